//! `cargo xtask app-files`: Trunk's post_build hook (see Trunk.toml). Writes
//! `app-files.js` into Trunk's staging directory: the app's own files and a
//! version derived from their content. `www/service-worker.js` imports it
//! and caches those files for offline use under a cache named by the
//! version. Because the worker imports it, a build that changes any file
//! changes the worker's scripts, so browsers install the new worker, which
//! fills a new cache and deletes the old one.
//!
//! Release builds only: a debug build (`trunk serve`) writes `null`, so a
//! rebuild shows at the next reload instead of after the worker updates.

use crate::dist::walk;
use crate::Result;
use std::fs;
use std::path::Path;

/// The file this writes, next to `service-worker.js`.
pub const FILE_NAME: &str = "app-files.js";

/// Not cached by the app: the browser fetches (and checks for updates) the
/// worker's own script and what it imports itself.
const NOT_CACHED: [&str; 2] = ["service-worker.js", FILE_NAME];

/// Reads Trunk's hook environment and writes `app-files.js`.
pub fn app_files() -> Result<()> {
    let dir = std::env::var_os("TRUNK_STAGING_DIR").ok_or_else(|| {
        "app-files runs as Trunk's post_build hook (Trunk.toml): TRUNK_STAGING_DIR is not set"
            .to_string()
    })?;
    let release = std::env::var("TRUNK_PROFILE").is_ok_and(|p| p == "release");
    let dir = Path::new(&dir);
    if release {
        minify_app_js(dir)?;
    }
    allow_inline_scripts(dir)?;
    let mut paths = Vec::new();
    walk(dir, dir, &mut paths)?;
    let mut files = Vec::new();
    for (rel, path) in paths {
        if NOT_CACHED.contains(&rel.as_str()) {
            continue;
        }
        let bytes = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        files.push((rel, bytes));
    }
    files.sort();
    let text = script(&files, release);
    let out = dir.join(FILE_NAME);
    fs::write(&out, &text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    if release {
        println!(
            "app-files: {} files cached for offline use, version {}",
            files.len(),
            version(&files)
        );
    }
    Ok(())
}

/// The page's wasm-bindgen glue (an ES module), which Trunk's own minifier
/// leaves as it is (it stops at `export { ... as default }`), and the worker
/// shims Trunk copies verbatim: minified with terser (npm, pinned in
/// package.json), exported names, the wasm's imports and globals kept.
fn minify_app_js(dir: &Path) -> Result<()> {
    const GLUE: &str = "resilience-playground.js";
    let file = dir.join(GLUE);
    if !file.is_file() {
        return Ok(());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent directory")?;
    let terser = root.join("node_modules/terser/bin/terser");
    if !terser.is_file() {
        return Err(format!(
            "app-files: {} is missing: run `cargo xtask setup` (npm ci installs terser)",
            terser.display()
        ));
    }
    minify(&terser, &file, true)?;
    // The worker shims and the config worker's wasm-bindgen glue, which
    // Trunk writes as they are: the run worker's loader and the service
    // worker are modules (they import the page's glue); the config worker's
    // are classic scripts (globals such as `wasm_bindgen` kept).
    for (shim, module) in [
        ("run-worker-loader.js", true),
        ("service-worker.js", true),
        ("config-worker-loader.js", false),
        ("config-worker.js", false),
    ] {
        let path = dir.join(shim);
        if path.is_file() {
            minify(&terser, &path, module)?;
        }
    }
    // index.html preloads the glue with its integrity hash: recompute it.
    let minified = fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let index = dir.join("index.html");
    let html =
        fs::read_to_string(&index).map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    let html = with_integrity(&html, GLUE, &minified)?;
    fs::write(&index, html).map_err(|e| format!("cannot write {}: {e}", index.display()))?;
    Ok(())
}

/// Adds the sha256 of each inline script in index.html (Trunk's wasm loader,
/// and in `trunk serve` its reload script) to the Content-Security-Policy's
/// `script-src`, so the page needs no `'unsafe-inline'` for scripts. Runs
/// last: the hashes are of the bytes the browser reads.
fn allow_inline_scripts(dir: &Path) -> Result<()> {
    let index = dir.join("index.html");
    if !index.is_file() {
        return Ok(());
    }
    let html =
        fs::read_to_string(&index).map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    let html = with_script_hashes(&html)?;
    fs::write(&index, html).map_err(|e| format!("cannot write {}: {e}", index.display()))
}

/// What `script-src` starts with in index.html's Content-Security-Policy.
const SCRIPT_SRC: &str = "script-src 'self'";

/// `html` with `'sha256-…'` of every inline `<script>` added after
/// [`SCRIPT_SRC`]; an error when the page has no such policy.
fn with_script_hashes(html: &str) -> Result<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let at = html
        .find(SCRIPT_SRC)
        .map(|i| i + SCRIPT_SRC.len())
        .ok_or_else(|| {
            format!("app-files: index.html has no Content-Security-Policy with `{SCRIPT_SRC}`")
        })?;
    let mut hashes = String::new();
    for body in inline_scripts(html) {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body));
        let source = format!(" 'sha256-{hash}'");
        if !hashes.contains(&source) {
            hashes.push_str(&source);
        }
    }
    Ok(format!("{}{hashes}{}", &html[..at], &html[at..]))
}

/// The bodies of the `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = tag_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        let body = &after[body_start..body_start + close];
        if !tag.contains(" src=") && !body.trim().is_empty() {
            out.push(body);
        }
        rest = &after[body_start + close..];
    }
    out
}

/// Minifies `file` in place with terser (`module`: an ES module).
fn minify(terser: &Path, file: &Path, module: bool) -> Result<()> {
    let mut cmd = std::process::Command::new("node");
    cmd.arg(terser).arg(file);
    if module {
        cmd.arg("--module");
    }
    let status = cmd
        .args(["--compress", "--mangle", "--output"])
        .arg(file)
        .status()
        .map_err(|e| format!("app-files: cannot run node {}: {e}", terser.display()))?;
    if !status.success() {
        return Err(format!(
            "app-files: terser failed on {} ({status})",
            file.display()
        ));
    }
    Ok(())
}

/// `html` with the `integrity=sha384-…` that follows `file`'s name replaced
/// by the hash of `bytes`; an error if there is none to replace.
fn with_integrity(html: &str, file: &str, bytes: &[u8]) -> Result<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let marker = format!("{file} integrity=sha384-");
    let quoted = format!("{file}\" integrity=\"sha384-");
    let start = html
        .find(&marker)
        .map(|i| i + marker.len())
        .or_else(|| html.find(&quoted).map(|i| i + quoted.len()))
        .ok_or_else(|| format!("app-files: index.html names no integrity hash for {file}"))?;
    let end = html[start..]
        .find([' ', '"', '>'])
        .map_or(html.len(), |n| start + n);
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(bytes));
    Ok(format!("{}{hash}{}", &html[..start], &html[end..]))
}

/// The script: `self.APP_FILES = {"version": ..., "files": [...]}` (paths
/// relative to the page; `./` for index.html), or `null` when `cache` is off.
fn script(files: &[(String, Vec<u8>)], cache: bool) -> String {
    let head = "// Written by `cargo xtask app-files` (Trunk's post_build hook): the app's own files,\n\
                // which www/service-worker.js caches for offline use, and the build they belong to.\n";
    if !cache {
        return format!("{head}// A debug build: nothing is cached.\nself.APP_FILES = null;\n");
    }
    let names: Vec<String> = files
        .iter()
        .map(|(rel, _)| json_string(if rel == "index.html" { "./" } else { rel }))
        .collect();
    format!(
        "{head}self.APP_FILES = {{\"version\":{},\"files\":[{}]}};\n",
        json_string(&version(files)),
        names.join(",")
    )
}

/// 16 hex digits of a 64-bit FNV-1a hash over every file's name and bytes:
/// a cache name that changes with any change to the build (cache busting,
/// not security, so no cryptographic hash is needed).
fn version(files: &[(String, Vec<u8>)]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash = (hash ^ u64::from(*b)).wrapping_mul(PRIME);
        }
    };
    for (rel, bytes) in files {
        // Lengths first, so moving bytes from one file's end to the next name changes the hash.
        eat(&(rel.len() as u64).to_le_bytes());
        eat(rel.as_bytes());
        eat(&(bytes.len() as u64).to_le_bytes());
        eat(bytes);
    }
    format!("{hash:016x}")
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(n, b)| (n.to_string(), b.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn lists_the_files_with_index_as_the_directory() {
        let text = script(
            &files(&[("app.js", "a"), ("index.html", "<p>"), ("sub/x.wasm", "w")]),
            true,
        );
        let line = text
            .lines()
            .find(|l| l.starts_with("self.APP_FILES = "))
            .expect("the assignment");
        assert!(
            line.ends_with(r#","files":["app.js","./","sub/x.wasm"]};"#),
            "{line}"
        );
        assert!(line.contains(r#"{"version":""#), "{line}");
    }

    #[test]
    fn the_version_changes_with_any_byte_or_name() {
        let base = files(&[("a.js", "one"), ("b.wasm", "two")]);
        let v = version(&base);
        assert_eq!(v.len(), 16);
        assert_eq!(
            v,
            version(&base.clone()),
            "the same build, the same version"
        );
        for other in [
            files(&[("a.js", "one"), ("b.wasm", "twO")]),
            files(&[("a.js", "one"), ("c.wasm", "two")]),
            files(&[("a.js", "onet"), ("b.wasm", "wo")]),
            files(&[("a.js", "one")]),
        ] {
            assert_ne!(version(&other), v, "{other:?}");
        }
    }

    #[test]
    fn the_integrity_hash_follows_the_minified_file() {
        let html = "<link crossorigin href=/app.js integrity=sha384-OLD rel=modulepreload><x>";
        let out = with_integrity(html, "app.js", b"abc").unwrap_or_default();
        // sha384("abc"), base64.
        assert_eq!(
            out,
            "<link crossorigin href=/app.js integrity=sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn rel=modulepreload><x>"
        );
        assert!(with_integrity("<p>", "app.js", b"abc").is_err());
    }

    #[test]
    fn inline_scripts_are_allowed_by_their_hash_and_nothing_else() {
        let html = "<meta http-equiv=Content-Security-Policy content=\"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'\">\
                    <script type=module>import init from '/app.js';await init()</script>\
                    <script src=/other.js></script><script>x()</script>";
        let out = with_script_hashes(html).unwrap_or_default();
        // echo -n "import init from '/app.js';await init()" | openssl dgst -sha256 -binary | base64
        assert!(
            out.contains(
                "script-src 'self' 'sha256-UFeyD/quZMpFerO+MjuhLqkOpmnDMY717Tx+PfVSfk8=' 'sha256-"
            ),
            "{out}"
        );
        assert_eq!(out.matches("'sha256-").count(), 2, "{out}");
        assert!(with_script_hashes("<script>x()</script>").is_err());
    }

    #[test]
    fn a_debug_build_caches_nothing() {
        let text = script(&files(&[("a.js", "x")]), false);
        assert!(text.contains("self.APP_FILES = null;"), "{text}");
        assert!(!text.contains("a.js"), "{text}");
    }

    #[test]
    fn names_are_escaped_as_json() {
        assert_eq!(json_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(json_string("x\ny"), r#""x\u000ay""#);
    }
}
