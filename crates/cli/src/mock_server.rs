//! `playground mock-server`: the flaky endpoints of a preset for real
//! clients, until Ctrl-C; then what it served.

use std::net::SocketAddr;

use mock_server::{AllowedOrigins, MockServer, Options};

use crate::args::MockServerArgs;
use crate::{run_config, Failure};

pub fn serve(a: &MockServerArgs) -> Result<String, Failure> {
    let built = run_config(&a.config)?;
    let allowed_origins = AllowedOrigins::parse(&a.allow_origin).map_err(Failure::Input)?;
    let options = Options {
        endpoint: built.config.endpoint,
        seed: a.seed,
        trace_keep: a.trace_keep,
        allowed_origins: allowed_origins.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async {
        let addr = SocketAddr::new(a.bind, a.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::Io(format!("cannot listen on {addr}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| Failure::Io(format!("cannot read the listening address: {e}")))?;
        if !a.bind.is_loopback() {
            eprintln!(
                "note: listening on {} (not loopback): other machines can reach this server",
                a.bind
            );
        }
        let origins = match &allowed_origins {
            AllowedOrigins::Loopback => "pages on 127.0.0.1, localhost or [::1]".to_string(),
            AllowedOrigins::Exactly(list) => list
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(", "),
        };
        // One line a script can wait for; the URL is the page's `?server=`.
        println!(
            "mock-server: {} on http://{local}/mock/ (trace keeps {}; readable by {origins}); Ctrl-C stops",
            built.origin, a.trace_keep
        );
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let report = MockServer::new(options).serve(listener, stop).await;
        Ok(format!("mock-server: stopped; {report}\n"))
    })
}
