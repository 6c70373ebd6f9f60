//! Normal handling: the routes of the mock server (`/flaky`, `/items`,
//! `/items/{name}`), the idempotency store and the items, and the response
//! bodies. The order of decisions before a request gets here is in the
//! [parent module](super).

use serde::Serialize;

use super::{Method, Request, Server, ITEM_NAME_BYTES_MAX};
use crate::endpoint::CreateMode;

/// An item and its copies (more than one is a duplicate create).
#[derive(Clone, Debug)]
pub(super) struct Item {
    copies: u64,
    /// When the first copy became visible to reads, ms.
    visible_from_ms: u64,
}

/// What the idempotency store remembers about one key.
#[derive(Clone, Debug)]
pub(super) struct KeyRecord {
    /// The body of the first request with this key.
    request_body: String,
    /// When the first request's response leaves; until then the key is in flight.
    ready_at_ms: u64,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// A response before it is given its time.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: String,
}

impl Response {
    pub(super) fn json(status: u16, body: Body<'_>) -> Response {
        Response {
            status,
            headers: vec![content_type()],
            body: serde_json::to_string(&body).unwrap_or_default(),
        }
    }

    fn error(status: u16, message: &str) -> Response {
        Response::json(
            status,
            Body {
                error: Some(message),
                ..Body::default()
            },
        )
    }

    pub(super) fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A response body: small JSON objects with the fields that are set.
/// (Typed rather than `serde_json::Value`, which would grow every wasm that
/// embeds the server.)
#[derive(Default, Serialize)]
pub(super) struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) copy: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) copies: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) replaced: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) request: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cause: Option<&'a str>,
}

fn content_type() -> (String, String) {
    ("Content-Type".to_string(), "application/json".to_string())
}

impl Server {
    /// Normal handling: routes the request and applies its effects.
    pub(super) fn route(&mut self, now_ms: u64, at_ms: u64, request: &Request) -> Response {
        let path = request.path.split(['?', '#']).next().unwrap_or_default();
        match (path, request.method) {
            ("/flaky", Method::Get) => {
                Response::json(200, Body { ok: Some(true), request: Some(self.counters.requests_received), ..Body::default() })
            }
            ("/flaky", _) => method_not_allowed(request, "GET"),
            ("/items", Method::Post) => self.post_item(now_ms, at_ms, request),
            ("/items", _) => method_not_allowed(request, "POST"),
            _ => match path.strip_prefix("/items/") {
                Some(name) if !name.is_empty() && !name.contains('/') => match request.method {
                    Method::Get => self.get_item(now_ms, name),
                    Method::Put => self.put_item(at_ms, name),
                    Method::Post => method_not_allowed(request, "GET, PUT"),
                },
                _ => Response::error(
                    404,
                    &format!(
                        "no such path `{path}`; try GET /flaky, POST /items, GET /items/{{name}} or PUT /items/{{name}}"
                    ),
                ),
            },
        }
    }

    fn post_item(&mut self, now_ms: u64, at_ms: u64, request: &Request) -> Response {
        let name = request.body.trim();
        if name.is_empty() || name.len() > ITEM_NAME_BYTES_MAX || name.contains('/') {
            return Response::error(
                400,
                &format!(
                    "the body must be the item's name: 1 to {ITEM_NAME_BYTES_MAX} bytes, no `/`"
                ),
            );
        }
        let key = match self.config.create {
            CreateMode::IdempotencyKey => request
                .header("Idempotency-Key")
                .map(str::trim)
                .filter(|k| !k.is_empty()),
            _ => None,
        };
        let Some(key) = key else {
            return self.create(at_ms, name);
        };
        if let Some(record) = self.keys.get(key) {
            if record.request_body != request.body {
                return Response::error(422, "this Idempotency-Key was used with a different body");
            }
            if now_ms < record.ready_at_ms {
                return Response::error(
                    409,
                    "a request with this Idempotency-Key is still in flight; retry later",
                );
            }
            let mut headers = record.headers.clone();
            headers.push(("Idempotent-Replayed".to_string(), "true".to_string()));
            let replay = Response {
                status: record.status,
                headers,
                body: record.body.clone(),
            };
            self.counters.replays = self.counters.replays.saturating_add(1);
            return replay;
        }
        let response = self.create(at_ms, name);
        self.keys.insert(
            key.to_string(),
            KeyRecord {
                request_body: request.body.clone(),
                ready_at_ms: at_ms,
                status: response.status,
                headers: response.headers.clone(),
                body: response.body.clone(),
            },
        );
        response
    }

    /// Records one applied create of `name`: a new copy of the item (a
    /// duplicate if it already had one) and the counters. Returns the copy number.
    fn apply_create(&mut self, at_ms: u64, name: &str) -> u64 {
        let item = self.items.entry(name.to_string()).or_insert(Item {
            copies: 0,
            visible_from_ms: at_ms,
        });
        if item.copies > 0 {
            self.counters.duplicates = self.counters.duplicates.saturating_add(1);
        }
        item.copies = item.copies.saturating_add(1);
        item.visible_from_ms = item.visible_from_ms.min(at_ms);
        self.counters.creates_applied = self.counters.creates_applied.saturating_add(1);
        self.items_created = self.items_created.saturating_add(1);
        item.copies
    }

    /// Applies a create: a new copy of the item, a duplicate if it already had one.
    fn create(&mut self, at_ms: u64, name: &str) -> Response {
        let copy = self.apply_create(at_ms, name);
        Response::json(
            201,
            Body {
                id: Some(self.items_created),
                name: Some(name),
                copy: Some(copy),
                ..Body::default()
            },
        )
        .with_header("Location", &format!("/items/{name}"))
    }

    fn get_item(&self, now_ms: u64, name: &str) -> Response {
        match self.items.get(name) {
            Some(item) if item.visible_from_ms <= now_ms => Response::json(
                200,
                Body {
                    name: Some(name),
                    copies: Some(item.copies),
                    ..Body::default()
                },
            ),
            _ => Response::error(404, &format!("no item named `{name}`")),
        }
    }

    fn put_item(&mut self, at_ms: u64, name: &str) -> Response {
        if self.items.contains_key(name) {
            return Response::json(
                200,
                Body {
                    name: Some(name),
                    replaced: Some(true),
                    ..Body::default()
                },
            );
        }
        self.apply_create(at_ms, name);
        Response::json(
            201,
            Body {
                id: Some(self.items_created),
                name: Some(name),
                replaced: Some(false),
                ..Body::default()
            },
        )
        .with_header("Location", &format!("/items/{name}"))
    }
}

fn method_not_allowed(request: &Request, allow: &str) -> Response {
    Response::error(
        405,
        &format!(
            "{} is not allowed on this path; allowed: {allow}",
            request.method
        ),
    )
    .with_header("Allow", allow)
}
