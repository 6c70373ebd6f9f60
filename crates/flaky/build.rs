//! Writes `presets.json` without the whitespace between its tokens into
//! `OUT_DIR` (`src/presets.rs` embeds that copy): the pretty file stays the
//! one people edit, and the page's wasm carries 6 KB less.

use std::{env, fs, path::Path};

fn main() -> Result<(), String> {
    println!("cargo:rerun-if-changed=presets.json");
    let pretty = fs::read_to_string("presets.json").map_err(|e| format!("presets.json: {e}"))?;
    let out_dir = env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    let out = Path::new(&out_dir).join("presets.min.json");
    fs::write(&out, squeeze(&pretty)).map_err(|e| format!("{}: {e}", out.display()))
}

/// The JSON text without whitespace outside its strings (strings, escapes
/// included, are copied as they are).
fn squeeze(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}
