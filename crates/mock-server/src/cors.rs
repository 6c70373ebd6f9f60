//! Which pages may read the server (CORS): loopback origins by default, or
//! exactly the ones `--allow-origin` names.

use axum::http::HeaderValue;

/// Which pages may read the server (CORS): what the server learns from `--allow-origin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Pages served from this machine: `http(s)://127.0.0.1`, `localhost`
    /// or `[::1]`, any port (`cargo xtask serve` is one). The default.
    Loopback,
    /// Exactly these origins, e.g. `https://example.org`.
    Exactly(Vec<HeaderValue>),
}

impl AllowedOrigins {
    /// Reads `--allow-origin` values: `scheme://host[:port]`, no path.
    pub fn parse(origins: &[String]) -> Result<AllowedOrigins, String> {
        if origins.is_empty() {
            return Ok(AllowedOrigins::Loopback);
        }
        origins
            .iter()
            .map(|o| {
                let o = o.trim().trim_end_matches('/');
                let ok = (o.starts_with("http://") || o.starts_with("https://"))
                    && !o.split_once("://").is_some_and(|(_, rest)| rest.is_empty() || rest.contains('/'));
                match HeaderValue::from_str(o) {
                    Ok(v) if ok => Ok(v),
                    _ => Err(format!(
                        "bad origin `{o}`; expected scheme://host[:port], e.g. http://127.0.0.1:8080"
                    )),
                }
            })
            .collect::<Result<_, _>>()
            .map(AllowedOrigins::Exactly)
    }

    pub(crate) fn allows(&self, origin: &HeaderValue) -> bool {
        match self {
            AllowedOrigins::Exactly(list) => list.contains(origin),
            AllowedOrigins::Loopback => origin.to_str().is_ok_and(is_loopback_origin),
        }
    }
}

/// `http(s)://127.0.0.1[:port]`, `localhost` or `[::1]`.
fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host).is_some_and(|port| {
            port.is_empty()
                || port
                    .strip_prefix(':')
                    .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_and_only_them() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "https://[::1]:1",
            "http://127.0.0.1",
        ] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1.evil.org",
            "http://localhost:80x",
            "http://example.org",
            "null",
            "http://127.0.0.1:",
            "ftp://127.0.0.1",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }

    #[test]
    fn allowed_origins_parse_or_name_the_bad_one() {
        assert_eq!(AllowedOrigins::parse(&[]), Ok(AllowedOrigins::Loopback));
        let exact = AllowedOrigins::parse(&["https://example.org/".to_string()]).unwrap();
        assert!(exact.allows(&HeaderValue::from_static("https://example.org")));
        assert!(!exact.allows(&HeaderValue::from_static("http://127.0.0.1:8080")));
        for bad in ["example.org", "https://example.org/x", "http://"] {
            let e = AllowedOrigins::parse(&[bad.to_string()]).unwrap_err();
            assert!(e.contains(bad.trim_end_matches('/')), "{e}");
        }
    }
}
