//! The accept loop: one task per connection (hyper's HTTP/1.1 over tokio),
//! at most [`CONNECTIONS_MAX`] at once, each told its peer and how to reset
//! itself; a stop lets connections finish for [`STOP_GRACE`], then drops them.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// Connections served at once; beyond, the listener's backlog waits.
pub const CONNECTIONS_MAX: usize = 16_384;
/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connections may finish their requests after a stop.
pub const STOP_GRACE: Duration = Duration::from_secs(1);
/// Longest request head (line and headers) read, bytes.
const HEAD_BYTES_MAX: usize = 64 * 1024;

/// What a request handler knows of its connection (a request extension).
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    /// Notified: the connection closes without an answer (a reset).
    pub reset: Arc<Notify>,
}

/// Accepts until `stop`; returns how many connections it accepted.
pub async fn accept_loop(
    listener: TcpListener,
    router: Router,
    stop: impl Future<Output = ()>,
) -> u64 {
    let (stopping_tx, stopping) = watch::channel(false);
    let permits = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    let mut tasks = JoinSet::new();
    let mut accepted: u64 = 0;
    tokio::pin!(stop);
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        tokio::select! {
            () = &mut stop => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            conn = listener.accept() => match conn {
                Ok((stream, peer)) => {
                    accepted += 1;
                    let _ = stream.set_nodelay(true);
                    let router = router.clone();
                    let stopping = stopping.clone();
                    tasks.spawn(async move {
                        serve_connection(stream, peer, router, stopping).await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    // Out of file descriptors, a connection reset before accept: wait, go on.
                    eprintln!("mock-server: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    let _ = stopping_tx.send(true);
    let drained = tokio::time::timeout(STOP_GRACE + Duration::from_millis(200), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tasks.abort_all();
    }
    accepted
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    mut stopping: watch::Receiver<bool>,
) {
    let info = ConnInfo {
        peer,
        reset: Arc::new(Notify::new()),
    };
    let reset = info.reset.clone();
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(info.clone());
            router.clone().oneshot(req)
        });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(HEAD_BYTES_MAX)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // Dropping the connection closes it with no answer: the client sees a reset.
        () = reset.notified() => {}
        _ = stopping.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(STOP_GRACE, conn.as_mut()).await;
        }
    }
}
