//! Scripted replies (`endpoint.script`): the grammar never panics and names
//! every bad part; the server plays a script call by call, by client or by run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use flaky::script::{Script, ScriptAfter, ScriptScope};
use flaky::world::{Identity, Stage};
use flaky::{EndpointConfig, Method, Reply, Request, Server};

fn get() -> Request {
    Request {
        id: 1,
        method: Method::Get,
        path: "/flaky".to_string(),
        headers: vec![],
        body: String::new(),
    }
}

fn reply_of(server: &mut Server, client: u32, ordinal: u32, attempt: u32) -> Reply {
    let id = Identity {
        client,
        ordinal,
        attempt,
        stage: Stage::Main,
    };
    server.handle_from(0, &get(), Some(&id))
}

fn status(reply: &Reply) -> String {
    reply.status_key()
}

fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    match reply {
        Reply::Respond { headers, .. } => headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str()),
        _ => None,
    }
}

#[test]
fn the_knob_names_the_bad_part() {
    let mut c = EndpointConfig::default();
    for (value, part) in [
        (
            "500,700",
            "call 1 reply 2 `700`: status 700 is out of range",
        ),
        ("500;200+wait=1", "unknown `+wait`"),
        ("500;", "call 2 is empty (a stray `;`?)"),
        ("500,,200", "call 1 reply 2 ``: an empty reply"),
    ] {
        let err = c.set("endpoint.script", value).unwrap_err().to_string();
        assert!(
            err.contains("endpoint.script") && err.contains(part),
            "{value}: {err}"
        );
    }
    assert_eq!(
        c,
        EndpointConfig::default(),
        "a refused script changes nothing"
    );
    c.set("endpoint.script", " 500, 500 ,200 ; 429+retry-after=2 ")
        .unwrap();
    assert_eq!(
        c.get("endpoint.script").unwrap(),
        "500,500,200;429+retry-after=2"
    );
    let json = serde_json::to_string(&c).unwrap();
    assert!(
        json.contains(r#""script":"500,500,200;429+retry-after=2""#),
        "{json}"
    );
    let back: EndpointConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    let plain = serde_json::to_string(&EndpointConfig::default()).unwrap();
    assert!(
        !plain.contains("script"),
        "left out at its defaults: {plain}"
    );
}

#[test]
fn each_client_plays_the_script_then_the_model() {
    let mut config = EndpointConfig::default();
    config
        .set(
            "endpoint.script",
            "500,500,200;reset,hang,429+retry-after=2+code=Throttling",
        )
        .unwrap();
    config.set("endpoint.fault.503", "1").unwrap();
    let mut server = Server::new(config, 1).without_fault_details();
    let seen: Vec<String> = (1..=4)
        .map(|a| status(&reply_of(&mut server, 0, 0, a)))
        .collect();
    assert_eq!(
        seen,
        ["500", "500", "200", "503"],
        "attempt 4: the model's 503"
    );
    let seen: Vec<String> = (1..=3)
        .map(|a| status(&reply_of(&mut server, 7, 1, a)))
        .collect();
    assert_eq!(seen, ["reset", "hang", "429"]);
    let r = reply_of(&mut server, 7, 1, 3);
    assert_eq!(header(&r, "retry-after"), Some("2"));
    assert_eq!(header(&r, "x-amzn-errortype"), Some("Throttling"));
    assert_eq!(
        status(&reply_of(&mut server, 0, 2, 1)),
        "503",
        "call 3 meets the model"
    );
}

#[test]
fn repeat_last_and_the_run_scope() {
    let mut config = EndpointConfig::default();
    config.set("endpoint.script", "500,200;503").unwrap();
    config.set("endpoint.script_after", "repeat_last").unwrap();
    config.set("endpoint.script_scope", "run").unwrap();
    let mut server = Server::new(config, 1);
    // Client 5's call reaches the server first: it is the run's call 1.
    assert_eq!(status(&reply_of(&mut server, 5, 0, 1)), "500");
    assert_eq!(status(&reply_of(&mut server, 2, 0, 1)), "503");
    assert_eq!(status(&reply_of(&mut server, 5, 0, 2)), "200");
    assert_eq!(
        status(&reply_of(&mut server, 5, 0, 3)),
        "200",
        "repeats its last"
    );
    assert_eq!(status(&reply_of(&mut server, 2, 0, 9)), "503");
    assert_eq!(
        status(&reply_of(&mut server, 9, 9, 1)),
        "503",
        "beyond: the last call's script"
    );
    assert_eq!(server.counters().by_status.get("503"), Some(&3));
}

#[test]
fn a_script_reads_back_and_bounds_hold() {
    let script =
        Script::parse("503+grpc-retry-pushback-ms=-1,500+x-amz-retry-after=invalid").unwrap();
    assert_eq!(Script::parse(&script.to_string()).unwrap(), script);
    assert_eq!(
        script
            .reply(0, 1, ScriptAfter::Model)
            .unwrap()
            .headers()
            .collect::<Vec<_>>(),
        [("grpc-retry-pushback-ms", "-1")]
    );
    let huge = vec!["500"; 10_001].join(",");
    assert!(Script::parse(&huge)
        .unwrap_err()
        .contains("more than 10000 replies"));
    assert_eq!(ScriptScope::default(), ScriptScope::Client);
}

#[cfg(not(target_arch = "wasm32"))]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("500".to_string()),
            Just("200".to_string()),
            Just("reset".to_string()),
            Just("hang".to_string()),
            Just(",".to_string()),
            Just(";".to_string()),
            Just("+retry-after=".to_string()),
            Just("+code=".to_string()),
            Just("+x-amz-retry-after=".to_string()),
            "[0-9]{0,6}",
            "\\PC{0,4}",
        ]
    }

    proptest! {
        #[test]
        fn any_text_parses_or_names_its_part(text in ".{0,80}") {
            match Script::parse(&text) {
                Ok(script) => prop_assert_eq!(Script::parse(&script.to_string()).unwrap(), script),
                Err(e) => prop_assert!(e.contains("a script is") || e.contains("more than")),
            }
        }

        #[test]
        fn near_miss_scripts_never_panic_and_read_back(pieces in proptest::collection::vec(piece(), 0..24)) {
            let text: String = pieces.concat();
            let mut config = EndpointConfig::default();
            match config.set("endpoint.script", &text) {
                Ok(()) => {
                    let again = config.get("endpoint.script").unwrap();
                    let mut copy = EndpointConfig::default();
                    copy.set("endpoint.script", &again).unwrap();
                    prop_assert_eq!(copy, config.clone());
                    let mut server = Server::new(config, 3);
                    for attempt in 1..4 {
                        let _ = reply_of(&mut server, 0, 0, attempt);
                    }
                }
                Err(e) => prop_assert!(e.to_string().contains("endpoint.script")),
            }
        }
    }
}
