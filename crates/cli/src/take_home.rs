//! `export` and `import`: the policy written for a library, and a library's
//! config read back into knobs (the `export` crate does both).

use std::io::Read as _;

use app_core::state::Settings;
use app_core::url;
use export::import::{self, Format};
use export::Target;
use flaky::sim::RunConfig;

use crate::args::{ExportArgs, ImportArgs};
use crate::{run_config, Failure};

/// One document on stdout; every note also on stderr, as a warning.
pub(crate) fn export(a: &ExportArgs) -> Result<String, Failure> {
    let target = Target::parse(&a.target).map_err(|e| Failure::Input(format!("--target: {e}")))?;
    let built = run_config(&a.config)?;
    let doc = export::export(target, &built.config.policy);
    for note in &doc.notes {
        eprintln!("warning: {} cannot express {note}", target.name());
    }
    Ok(doc.text)
}

/// The assignments, one `--set KEY=VALUE` a line, then the page URL.
pub(crate) fn import(a: &ImportArgs) -> Result<String, Failure> {
    let format = Format::parse(&a.from).map_err(|e| Failure::Input(format!("--from: {e}")))?;
    let shown = a.file.display();
    let mut text = String::new();
    let read = if a.file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)
    } else {
        std::fs::File::open(&a.file).and_then(|mut f| f.read_to_string(&mut text))
    };
    read.map_err(|e| Failure::Input(format!("cannot read `{shown}`: {e}")))?;
    let imported =
        import::import(format, &text).map_err(|e| Failure::Input(format!("{shown}: {e}")))?;
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    let mut out: String = imported
        .assignments
        .iter()
        .map(|(k, v)| format!("--set {k}={v}\n"))
        .collect();
    let settings = Settings {
        config: RunConfig {
            policy: imported.policy,
            ..RunConfig::default()
        },
        ..Settings::default()
    };
    out.push_str(&url::to_query(&settings));
    out.push('\n');
    Ok(out)
}
