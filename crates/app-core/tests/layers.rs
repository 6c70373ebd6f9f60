//! The modules' layers: `settings` at the bottom; `url` and `view` read it
//! (and `url` the server origin rule of `server`, which reads nothing)
//! and not each other or the reducer; the reducer (`state`) reads `settings`,
//! `url`, `run` and `effect`, never the view model. So no import cycle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::path::Path;

/// The `crate::` modules a module's code (the module and its submodules) name.
fn imports(module: &str) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join(format!("{module}.rs"))];
    if let Ok(dir) = std::fs::read_dir(src.join(module)) {
        files.extend(dir.filter_map(Result::ok).map(|e| e.path()));
    }
    let mut named: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .flat_map(|text| {
            // Code only: a doc link names a module without depending on it.
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            code.split("crate::")
                .skip(1)
                .map(|rest| {
                    rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                        .next()
                        .unwrap_or("")
                        .to_string()
                })
                .collect::<Vec<_>>()
        })
        .filter(|m| m != module)
        .collect();
    named.sort();
    named.dedup();
    named
}

#[test]
fn modules_import_only_the_layers_below() {
    let allowed: &[(&str, &[&str])] = &[
        ("settings", &[]),
        ("run", &[]),
        ("load", &[]),
        ("server", &[]),
        ("effect", &["settings"]),
        ("url", &["server", "settings"]),
        ("view", &["run", "settings"]),
        ("state", &["effect", "run", "settings", "url"]),
        ("keys", &["run", "state"]),
    ];
    for (module, below) in allowed {
        let named = imports(module);
        let stray: Vec<&String> = named
            .iter()
            .filter(|m| !below.contains(&m.as_str()))
            .collect();
        assert!(
            stray.is_empty(),
            "`{module}` imports {stray:?}; it may import only {below:?}"
        );
    }
}
