//! `cargo xtask dist`: release build into dist/ and a size report.

use crate::{proc, setup, Ctx, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Extensions of what a page fetches to show itself on first visit.
const FIRST_LOAD_EXTS: [&str; 4] = ["html", "js", "wasm", "css"];

/// Files the first view does not wait for: the workers' loaders (the page
/// starts its run worker once it is up, on the page's own wasm, and its
/// config worker after the first result) and the config worker's wasm.
const ON_DEMAND: [&str; 3] = [
    "run-worker-loader.js",
    "config-worker-loader.js",
    "config-worker_bg.wasm",
];

/// Counted, but what they name is not followed: app-files.js (imported by
/// the service worker) lists all of dist/, which the worker caches for
/// offline use once the page starts its run worker (after Fire is enabled).
const NOT_FOLLOWED: [&str; 1] = [crate::app_files::FILE_NAME];

/// Budgets, gzipped bytes: everything fetched before Fire is enabled (the
/// service worker included), and the whole of dist/. The first load is the
/// page's wasm, which is also its run workers' and the mock service
/// worker's: a first visit's first result needs no second download (it was
/// 400,000 when the first run waited for a run worker's own wasm beside it;
/// 520,000 until the stage fitted its lanes to the screen, 1.7 KB; 522,000
/// until the live driver's "cannot happen" stopped formatting its input,
/// 1.9 KB, which paid for the run worker's clamp-free yield and progress
/// gate, 0.9 KB).
pub const FIRST_LOAD_GZ_MAX: u64 = 521_000;
pub const DIST_GZ_MAX: u64 = 700_000;

struct Entry {
    /// Path relative to dist/, with `/` separators.
    rel: String,
    raw: u64,
    gz: u64,
    bytes: Vec<u8>,
}

/// `public_url`: where the build will be hosted (`/` or a path such as
/// `/playground/`), passed to Trunk as `--public-url`.
pub fn dist(ctx: &Ctx, public_url: &str) -> Result<()> {
    setup::setup(ctx, setup::Scope::BuildTools)?;
    let public_url = check_public_url(public_url)?;
    let mut build = proc::command("trunk", &ctx.root);
    build.args(["build", "--release", "--public-url", &public_url]);
    proc::run(&mut build)?;
    let dir = ctx.root.join("dist");
    report(&dir)
}

/// A public URL Trunk and the service worker agree on: an absolute path
/// (or a full URL) that ends in `/`, which is added when missing.
fn check_public_url(url: &str) -> Result<String> {
    let url = url.trim();
    let absolute =
        url.starts_with('/') || url.starts_with("http://") || url.starts_with("https://");
    if !absolute || url.contains(char::is_whitespace) || url.contains(['?', '#']) {
        return Err(format!(
            "--public-url `{url}`: give the path the app is hosted under, e.g. `/` or `/playground/`"
        ));
    }
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

/// Prints the size table of `dir` and fails when a budget is exceeded.
pub fn report(dir: &Path) -> Result<()> {
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    if files.is_empty() {
        return Err(format!("{} is empty after the build", dir.display()));
    }
    let mut entries = Vec::new();
    for (rel, path) in files {
        let bytes = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let gz = gzip_len(&bytes)?;
        entries.push(Entry {
            rel,
            raw: bytes.len() as u64,
            gz,
            bytes,
        });
    }
    entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    let first_load = first_load(&entries);

    let width = entries
        .iter()
        .map(|e| e.rel.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!();
    println!(
        "{:<width$}  {:>12}  {:>12}  first load",
        "file", "raw bytes", "gzip bytes"
    );
    for (i, e) in entries.iter().enumerate() {
        let mark = match first_load.iter().find(|(j, _)| *j == i) {
            Some(_) => "yes",
            None => "",
        };
        println!(
            "{:<width$}  {:>12}  {:>12}  {mark}",
            e.rel,
            group(e.raw),
            group(e.gz)
        );
    }
    let (raw_all, gz_all) = entries
        .iter()
        .fold((0, 0), |(r, g), e| (r + e.raw, g + e.gz));
    println!(
        "{:<width$}  {:>12}  {:>12}",
        format!("all {} files", entries.len()),
        group(raw_all),
        group(gz_all)
    );
    let (raw_fl, gz_fl) = first_load.iter().fold((0, 0), |(r, g), (i, _)| {
        (r + entries[*i].raw, g + entries[*i].gz)
    });
    println!();
    println!("first load counted (index.html and every html/js/wasm/css file it pulls in, transitively; on demand: {}; not followed: {}):", ON_DEMAND.join(", "), NOT_FOLLOWED.join(", "));
    for (i, why) in &first_load {
        println!("  {}  ({why})", entries[*i].rel);
    }
    println!(
        "first-load total: {} bytes raw ({}), {} bytes gzipped ({}), {} files (gzip level 6)",
        group(raw_fl),
        kib(raw_fl),
        group(gz_fl),
        kib(gz_fl),
        first_load.len()
    );
    // The page's own files vs the mock service worker's (fetched by the
    // browser when the page registers it, off the page's critical path).
    let is_worker = |rel: &str| rel == "service-worker.js" || rel == crate::app_files::FILE_NAME;
    for (label, worker) in [
        ("app (html, js, wasm, css)", false),
        ("worker (service-worker.js, app-files.js)", true),
    ] {
        let (raw, gz) = first_load
            .iter()
            .filter(|(i, _)| is_worker(&entries[*i].rel) == worker)
            .fold((0, 0), |(r, g), (i, _)| {
                (r + entries[*i].raw, g + entries[*i].gz)
            });
        println!(
            "  {label}: {} bytes raw, {} bytes gzipped ({})",
            group(raw),
            group(gz),
            kib(gz)
        );
    }
    let over: Vec<String> = [
        ("first load", gz_fl, FIRST_LOAD_GZ_MAX),
        ("the whole dist/", gz_all, DIST_GZ_MAX),
    ]
    .iter()
    .map(|(what, gz, max)| {
        println!(
            "budget: {what} {} of {} bytes gzipped",
            group(*gz),
            group(*max)
        );
        (what, gz, max)
    })
    .filter(|(_, gz, max)| gz > max)
    .map(|(what, gz, max)| {
        format!(
            "{what} is {} bytes gzipped, over its budget of {}",
            group(*gz),
            group(*max)
        )
    })
    .collect();
    if over.is_empty() {
        Ok(())
    } else {
        Err(over.join("; "))
    }
}

pub(crate) fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let read = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in read {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
        if kind.is_dir() {
            walk(base, &path, out)?;
        } else if kind.is_file() {
            let rel = path
                .strip_prefix(base)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, path));
        }
    }
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes)
        .and_then(|()| enc.finish())
        .map(|v| v.len() as u64)
        .map_err(|e| format!("gzip failed: {e}"))
}

fn ext(rel: &str) -> &str {
    rel.rsplit_once('.').map_or("", |(_, e)| e)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Indices of the files loaded on a first visit, each with the reason:
/// index.html, then (transitively) every html/js/wasm/css file whose path
/// relative to dist/ is named inside an already counted file.
fn first_load(entries: &[Entry]) -> Vec<(usize, String)> {
    let mut counted: Vec<(usize, String)> = Vec::new();
    match entries.iter().position(|e| e.rel == "index.html") {
        Some(i) => counted.push((i, "the page".to_owned())),
        None => return counted,
    }
    let mut next = 0;
    while next < counted.len() {
        let from = counted[next].0;
        next += 1;
        if NOT_FOLLOWED.contains(&entries[from].rel.as_str()) {
            continue;
        }
        for (i, e) in entries.iter().enumerate() {
            if counted.iter().any(|(j, _)| *j == i)
                || !FIRST_LOAD_EXTS.contains(&ext(&e.rel))
                || ON_DEMAND.contains(&e.rel.as_str())
            {
                continue;
            }
            if contains(&entries[from].bytes, e.rel.as_bytes()) {
                counted.push((i, format!("named in {}", entries[from].rel)));
            }
        }
    }
    counted
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn kib(n: u64) -> String {
    format!("{:.1} KiB", n as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rel: &str, text: &str) -> Entry {
        Entry {
            rel: rel.to_owned(),
            raw: text.len() as u64,
            gz: 0,
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn counts_what_index_html_pulls_in() {
        let entries = vec![
            entry("app-1.js", "import './snippets/x/inline0.js'"),
            entry("app-1_bg.wasm", "\0/sw.js\0"),
            entry("icon.png", ""),
            entry("index.html", "<link href=\"/app-1.js\"><script>init('/app-1_bg.wasm')</script><link href=\"/style-2.css\"><link href=\"/icon.png\">"),
            entry("snippets/x/inline0.js", ""),
            entry("style-2.css", ""),
            entry("sw.js", ""),
            entry("unused.js", ""),
        ];
        let mut names: Vec<&str> = first_load(&entries)
            .iter()
            .map(|(i, _)| entries[*i].rel.as_str())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "app-1.js",
                "app-1_bg.wasm",
                "index.html",
                "snippets/x/inline0.js",
                "style-2.css",
                "sw.js"
            ]
        );
    }

    #[test]
    fn on_demand_files_are_not_first_load() {
        let entries = vec![
            entry("app_bg.wasm", "./run-worker-loader.js ./sw.js"),
            entry("index.html", "app_bg.wasm"),
            entry("run-worker-loader.js", "./run-worker_bg.wasm"),
            entry("run-worker_bg.wasm", ""),
            entry("sw.js", ""),
        ];
        let names: Vec<&str> = first_load(&entries)
            .iter()
            .map(|(i, _)| entries[*i].rel.as_str())
            .collect();
        assert_eq!(names, ["index.html", "app_bg.wasm", "sw.js"]);
    }

    #[test]
    fn the_offline_list_is_counted_but_not_followed() {
        let entries = vec![
            entry("app-files.js", "self.APP_FILES = [\"big.wasm\"]"),
            entry("big.wasm", ""),
            entry("index.html", "sw.js"),
            entry("sw.js", "importScripts('./app-files.js')"),
        ];
        let names: Vec<&str> = first_load(&entries)
            .iter()
            .map(|(i, _)| entries[*i].rel.as_str())
            .collect();
        assert_eq!(names, ["index.html", "sw.js", "app-files.js"]);
    }

    #[test]
    fn public_urls_are_directories() {
        assert_eq!(check_public_url("/").as_deref(), Ok("/"));
        assert_eq!(check_public_url("/some/path").as_deref(), Ok("/some/path/"));
        assert_eq!(
            check_public_url(" /playground/ ").as_deref(),
            Ok("/playground/")
        );
        assert_eq!(
            check_public_url("https://example.org/pg").as_deref(),
            Ok("https://example.org/pg/")
        );
        for bad in ["playground/", "", "/a b/", "/x/?y"] {
            let e = check_public_url(bad).unwrap_err();
            assert!(e.contains("--public-url"), "{e}");
        }
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
    }
}
