//! `playground mock-server`: its options, a start on 127.0.0.1, a stop on Ctrl-C.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[allow(dead_code)] // the helpers other test files use
mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use common::bad;

#[test]
fn bad_options_are_named() {
    bad(
        &[
            "mock-server",
            "--allow-origin",
            "example.org",
            "--port",
            "0",
        ],
        &["bad origin `example.org`"],
    );
    bad(
        &["mock-server", "--trace-keep", "99999999999", "--port", "0"],
        &["bad trace length"],
    );
    bad(
        &["mock-server", "--preset", "nope", "--port", "0"],
        &["unknown preset `nope`"],
    );
    bad(
        &[
            "mock-server",
            "--set",
            "endpoint.fault.503=2",
            "--port",
            "0",
        ],
        &["endpoint.fault.503"],
    );
}

#[test]
fn it_serves_on_loopback_and_says_what_it_served_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_playground"))
        .args(["mock-server", "--preset", "no-idempotency", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.contains("preset no-idempotency"), "{line}");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.write_all(b"GET /mock/_control/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "{status}");
    assert!(
        rest.contains("mock-server: stopped; served 0 requests"),
        "{rest}"
    );
}
