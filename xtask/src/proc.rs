//! Running child processes: PATH set-up, plain runs, captured runs and tee'd runs.

use crate::Result;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;

/// Where `cargo install` puts binaries: `$CARGO_INSTALL_ROOT/bin` when that is
/// set, then `$CARGO_HOME/bin` (by default `~/.cargo/bin`).
pub fn cargo_bin_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(root) = std::env::var_os("CARGO_INSTALL_ROOT") {
        dirs.push(PathBuf::from(root).join("bin"));
    }
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    } else if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    dirs
}

/// Put `<root>/node_modules/.bin` and `~/.cargo/bin` first on this process's
/// PATH, so that every child (and the lookup of every child's program) sees them.
pub fn prepend_tool_paths(root: &Path) -> Result<()> {
    let mut dirs = vec![root.join("node_modules").join(".bin")];
    dirs.extend(cargo_bin_dirs());
    let old = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&old) {
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let joined: OsString =
        std::env::join_paths(dirs).map_err(|e| format!("cannot build PATH: {e}"))?;
    // Edition 2021: set_var is safe; xtask is single-threaded at this point.
    std::env::set_var("PATH", joined);
    Ok(())
}

/// A command to run in `dir`.
pub fn command(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir);
    cmd
}

/// Shell-like rendering of a command, for messages.
pub fn show(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            s.push_str(&format!("{}={} ", k.to_string_lossy(), v.to_string_lossy()));
        }
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        let a = a.to_string_lossy();
        if a.is_empty() || a.contains(char::is_whitespace) {
            s.push_str(&format!(" '{a}'"));
        } else {
            s.push(' ');
            s.push_str(&a);
        }
    }
    s
}

fn spawn_error(cmd: &Command, e: io::Error) -> String {
    if e.kind() == io::ErrorKind::NotFound {
        format!(
            "`{}` failed: program `{}` not found on PATH",
            show(cmd),
            cmd.get_program().to_string_lossy()
        )
    } else {
        format!("`{}` failed to start: {e}", show(cmd))
    }
}

/// Run with inherited stdio; an error names the command when it does not succeed.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().map_err(|e| spawn_error(cmd, e))?;
    check(cmd, status)
}

pub fn check(cmd: &Command, status: ExitStatus) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", show(cmd)))
    }
}

/// Run quietly and return stdout when the program exists and succeeds.
/// Used for probes such as `trunk --version`.
pub fn probe(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Run, copying the child's stdout and stderr through live, and return its
/// exit status with everything it printed (stdout then stderr) for parsing.
pub fn run_tee(cmd: &mut Command) -> Result<(ExitStatus, String)> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| spawn_error(cmd, e))?;
    let out = child.stdout.take();
    let err = child.stderr.take();
    let out_pump = thread::spawn(move || out.map(|r| pump(r, io::stdout())).unwrap_or_default());
    let err_pump = thread::spawn(move || err.map(|r| pump(r, io::stderr())).unwrap_or_default());
    let status = child
        .wait()
        .map_err(|e| format!("waiting for `{}`: {e}", show(cmd)))?;
    let mut text = out_pump.join().unwrap_or_default();
    text.extend(err_pump.join().unwrap_or_default());
    Ok((status, String::from_utf8_lossy(&text).into_owned()))
}

fn pump(mut from: impl Read, mut to: impl Write) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                // The user's terminal going away must not stop the child's output
                // from being collected.
                let _ = to.write_all(&buf[..n]);
                let _ = to.flush();
                all.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    all
}
