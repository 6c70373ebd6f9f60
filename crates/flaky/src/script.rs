//! Scripted replies (`endpoint.script`): the replies a call gets, attempt
//! by attempt, for deterministic demos and the libraries' own test cases.
//!
//! | text | meaning |
//! |---|---|
//! | `500,500,200` | call 1: two 500s, then served normally |
//! | `500,500,200;200;500,200` | calls separated by `;` |
//! | `reset`, `hang` | the connection resets; no answer ever comes |
//! | `429+retry-after=2` | a 429 with `Retry-After: 2` (seconds) |
//! | `500+x-amz-retry-after=1500` | with `x-amz-retry-after: 1500` (ms, the AWS 2026 behaviour) |
//! | `503+grpc-retry-pushback-ms=300` | with gRPC's pushback (ms; a negative value says "do not retry") |
//! | `400+code=Throttling` | the error code a service puts in its error body (sent as `X-Amzn-ErrorType`) |
//! | `none` or empty | no script |
//!
//! A status from 200 to 399 is served normally (a create answers 201); a
//! 4xx or 5xx fails the request before handling, as an injected fault does.
//! Header values are sent as written (a client may find one invalid: that
//! is a case the libraries test); each is 1 to 32 of `A-Z a-z 0-9 . -`.
//!
//! After its script a call meets the normal model, or with `repeat_last`
//! its last scripted reply again (a call beyond the script's calls then
//! replays the last call's script). `endpoint.script_scope` says whose
//! calls count: each client's own (`client`: its n-th call meets call n), or
//! the run's calls in the order they first reach the server (`run`).
//!
//! A bad script is refused whole and the error names the bad part
//! (`call 2 reply 1 `600``) and why.
//!
//! ```
//! use flaky::script::Script;
//!
//! let script = Script::parse("500,500,200;429+retry-after=2,200").unwrap();
//! assert_eq!(script.calls().len(), 2);
//! assert_eq!(script.to_string(), "500,500,200;429+retry-after=2,200");
//! let err = Script::parse("500;;200").unwrap_err();
//! assert!(err.contains("call 2 is empty"), "{err}");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// The syntax, for help and errors.
pub const SCRIPT_SYNTAX: &str = "calls separated by `;`, each a comma-separated list of replies: a status 200..599, reset or hang, with optional +retry-after=S, +x-amz-retry-after=MS, +grpc-retry-pushback-ms=MS, +code=NAME (e.g. 500,500,200;429+retry-after=2,200)";
/// Most replies one script may hold, over all its calls.
pub const SCRIPT_REPLIES_MAX: usize = 10_000;
/// Longest header value, characters.
pub const HEADER_VALUE_CHARS_MAX: usize = 32;
/// The header an error code travels in (AWS JSON protocols' `X-Amzn-ErrorType`).
pub const ERROR_CODE_HEADER: &str = policy::hints::ERROR_CODE;
/// AWS's retry hint, ms.
pub const AMZ_RETRY_AFTER_HEADER: &str = policy::hints::AMZ_RETRY_AFTER;
/// gRPC's retry pushback, ms.
pub const GRPC_PUSHBACK_HEADER: &str = policy::hints::GRPC_PUSHBACK;

/// What a scripted reply does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptedKind {
    /// Answer with this status (200..=599).
    Status(u16),
    /// Reset the connection.
    Reset,
    /// Never answer.
    Hang,
}

/// A `+name=value` part: a header the reply carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Extra {
    /// `+retry-after=S`: `Retry-After`, seconds.
    RetryAfter,
    /// `+x-amz-retry-after=MS`.
    AmzRetryAfter,
    /// `+grpc-retry-pushback-ms=MS`.
    GrpcPushback,
    /// `+code=NAME`: the error code.
    Code,
}

impl Extra {
    const ALL: [Extra; 4] = [
        Extra::RetryAfter,
        Extra::AmzRetryAfter,
        Extra::GrpcPushback,
        Extra::Code,
    ];

    /// The name after `+`.
    pub const fn name(self) -> &'static str {
        match self {
            Extra::RetryAfter => "retry-after",
            Extra::AmzRetryAfter => "x-amz-retry-after",
            Extra::GrpcPushback => "grpc-retry-pushback-ms",
            Extra::Code => "code",
        }
    }

    /// The header it is sent as.
    pub const fn header(self) -> &'static str {
        match self {
            Extra::RetryAfter => "Retry-After",
            Extra::AmzRetryAfter => AMZ_RETRY_AFTER_HEADER,
            Extra::GrpcPushback => GRPC_PUSHBACK_HEADER,
            Extra::Code => ERROR_CODE_HEADER,
        }
    }
}

/// One scripted reply: what happens, and the headers it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptedReply {
    pub kind: ScriptedKind,
    /// `(extra, value)` in the order written.
    pub extras: Vec<(Extra, String)>,
}

impl ScriptedReply {
    /// The headers the reply carries, as sent.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.extras.iter().map(|(e, v)| (e.header(), v.as_str()))
    }
}

impl fmt::Display for ScriptedReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ScriptedKind::Status(s) => write!(f, "{s}")?,
            ScriptedKind::Reset => f.write_str("reset")?,
            ScriptedKind::Hang => f.write_str("hang")?,
        }
        for (extra, value) in &self.extras {
            write!(f, "+{}={value}", extra.name())?;
        }
        Ok(())
    }
}

/// The replies calls get, attempt by attempt. Serialized as its text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Script {
    calls: Vec<Vec<ScriptedReply>>,
}

policy::choices! {
    /// What an attempt beyond its call's script meets.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ScriptAfter {
        /// The normal model (faults, outages, latency).
        #[default]
        Model = "model",
        /// The call's last scripted reply again; a call beyond the script's
        /// calls replays the last call's script.
        RepeatLast = "repeat_last",
    }
}

policy::choices! {
    /// Whose calls the script's calls are.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ScriptScope {
        /// Every client's n-th call meets the script's call n.
        #[default]
        Client = "client",
        /// The run's n-th call (in the order calls first reach the server).
        Run = "run",
    }
}

/// Most characters of a bad part quoted in an error.
const QUOTED_MAX: usize = 32;

fn quoted(text: &str) -> String {
    if text.chars().count() <= QUOTED_MAX {
        text.to_string()
    } else {
        text.chars().take(QUOTED_MAX).chain(['…']).collect()
    }
}

impl Script {
    /// Parses a script; the error names the bad part and why.
    pub fn parse(text: &str) -> Result<Script, String> {
        let text = text.trim();
        if text.is_empty() || text == "none" {
            return Ok(Script::default());
        }
        let mut calls = Vec::new();
        let mut count = 0usize;
        for (c, call) in text.split(';').enumerate() {
            let call = call.trim();
            if call.is_empty() {
                return Err(format!(
                    "call {} is empty (a stray `;`?); a script is {SCRIPT_SYNTAX}",
                    c + 1
                ));
            }
            let mut replies = Vec::new();
            for (r, part) in call.split(',').enumerate() {
                count += 1;
                if count > SCRIPT_REPLIES_MAX {
                    return Err(format!(
                        "more than {SCRIPT_REPLIES_MAX} replies; a script is {SCRIPT_SYNTAX}"
                    ));
                }
                let reply = parse_reply(part.trim()).map_err(|why| {
                    format!(
                        "call {} reply {} `{}`: {why}; a script is {SCRIPT_SYNTAX}",
                        c + 1,
                        r + 1,
                        quoted(part.trim())
                    )
                })?;
                replies.push(reply);
            }
            calls.push(replies);
        }
        Ok(Script { calls })
    }

    /// The calls' replies, in order.
    pub fn calls(&self) -> &[Vec<ScriptedReply>] {
        &self.calls
    }

    /// Whether there is no script.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The reply for attempt `attempt` (1-based) of the script's call
    /// `call` (0-based), or `None` where the model decides.
    pub fn reply(&self, call: usize, attempt: u32, after: ScriptAfter) -> Option<&ScriptedReply> {
        let replies = match (self.calls.get(call), after) {
            (Some(replies), _) => replies,
            (None, ScriptAfter::RepeatLast) => self.calls.last()?,
            (None, ScriptAfter::Model) => return None,
        };
        let index = usize::try_from(attempt.saturating_sub(1)).unwrap_or(usize::MAX);
        match (replies.get(index), after) {
            (Some(reply), _) => Some(reply),
            (None, ScriptAfter::RepeatLast) => replies.last(),
            (None, ScriptAfter::Model) => None,
        }
    }
}

fn parse_reply(part: &str) -> Result<ScriptedReply, String> {
    if part.is_empty() {
        return Err("an empty reply (a stray `,`?)".to_string());
    }
    let mut pieces = part.split('+');
    let head = pieces.next().unwrap_or("").trim();
    let kind = match head {
        "reset" => ScriptedKind::Reset,
        "hang" => ScriptedKind::Hang,
        digits => match digits.parse::<u16>() {
            Ok(s) if (200..=599).contains(&s) => ScriptedKind::Status(s),
            Ok(s) => return Err(format!("status {s} is out of range 200..599")),
            Err(_) => {
                return Err(format!(
                    "`{}` is not a status 200..599, reset or hang",
                    quoted(digits)
                ))
            }
        },
    };
    let mut extras: Vec<(Extra, String)> = Vec::new();
    for piece in pieces {
        let piece = piece.trim();
        let Some((name, value)) = piece.split_once('=') else {
            return Err(format!("`+{}` has no `=value`", quoted(piece)));
        };
        let Some(extra) = Extra::ALL.into_iter().find(|e| e.name() == name.trim()) else {
            let known: Vec<&str> = Extra::ALL.iter().map(|e| e.name()).collect();
            return Err(format!(
                "unknown `+{}`: expected one of +{}",
                quoted(name.trim()),
                known.join(", +")
            ));
        };
        if extras.iter().any(|(e, _)| *e == extra) {
            return Err(format!("`+{}` given twice", extra.name()));
        }
        let value = value.trim();
        let ok = !value.is_empty()
            && value.chars().count() <= HEADER_VALUE_CHARS_MAX
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !ok {
            return Err(format!(
                "`+{}={}`: a value is 1 to {HEADER_VALUE_CHARS_MAX} of A-Z a-z 0-9 . -",
                extra.name(),
                quoted(value)
            ));
        }
        extras.push((extra, value.to_string()));
    }
    Ok(ScriptedReply { kind, extras })
}

impl fmt::Display for Script {
    /// The text [`Script::parse`] reads back (`none` for no script).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.calls.is_empty() {
            return f.write_str("none");
        }
        for (c, call) in self.calls.iter().enumerate() {
            if c > 0 {
                f.write_str(";")?;
            }
            for (r, reply) in call.iter().enumerate() {
                if r > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{reply}")?;
            }
        }
        Ok(())
    }
}

impl From<Script> for String {
    fn from(value: Script) -> String {
        value.to_string()
    }
}

impl TryFrom<String> for Script {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Script::parse(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parts_are_named() {
        let err = |t: &str| Script::parse(t).unwrap_err();
        assert!(err("500,600").contains("call 1 reply 2 `600`: status 600 is out of range"));
        assert!(err("200;500+foo=1").contains("unknown `+foo`"));
        assert!(err("200;").contains("call 2 is empty"));
        assert!(err("200,,500").contains("call 1 reply 2 ``: an empty reply"));
        assert!(err("abc").contains("`abc` is not a status"));
        assert!(err("500+code").contains("has no `=value`"));
        assert!(err("500+code=a b").contains("a value is 1 to 32"));
        assert!(err("500+code=A+code=B").contains("given twice"));
        assert!(err("199").contains("status 199 is out of range"));
    }

    #[test]
    fn replies_by_call_and_attempt() {
        let s = Script::parse("500,200;reset").unwrap();
        let at = |c, a, after| s.reply(c, a, after).map(|r| r.to_string());
        assert_eq!(at(0, 1, ScriptAfter::Model).as_deref(), Some("500"));
        assert_eq!(at(0, 3, ScriptAfter::Model), None);
        assert_eq!(at(0, 3, ScriptAfter::RepeatLast).as_deref(), Some("200"));
        assert_eq!(at(1, 1, ScriptAfter::Model).as_deref(), Some("reset"));
        assert_eq!(at(2, 1, ScriptAfter::Model), None);
        assert_eq!(at(5, 2, ScriptAfter::RepeatLast).as_deref(), Some("reset"));
        assert_eq!(Script::parse("none").unwrap(), Script::default());
        assert_eq!(Script::default().to_string(), "none");
    }
}
