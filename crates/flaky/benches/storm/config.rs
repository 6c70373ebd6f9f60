// The storm scenario, in one place: included with `include!` by the native
// bench (`benches/sim.rs`) and the wasm test (`tests/storm_wasm.rs`), so both
// time exactly the same run. (In a subfolder so cargo does not take it for a
// bench target of its own.)

/// `clients` clients creating an item each at 0 ms with the full policy stack
/// (full jitter, token-bucket budget, consecutive breaker, idempotency keys)
/// against a server with 503s, commit-then-lose, resets and an overload limit.
pub fn storm_config(clients: u32) -> flaky::sim::RunConfig {
    let mut config = flaky::sim::RunConfig::default();
    let clients = clients.to_string();
    let settings = [
        ("sim.clients", clients.as_str()),
        ("sim.operation", "create"),
        ("sim.net_ms", "5"),
        ("sim.net_jitter_ms", "5"),
        ("sim.horizon_ms", "300000"),
        ("attempts.max", "5"),
        ("attempts.timeout_ms", "2000"),
        ("backoff.kind", "exponential"),
        ("backoff.base_ms", "100"),
        ("backoff.cap_ms", "5000"),
        ("jitter.kind", "full"),
        ("budget.kind", "token_bucket"),
        ("breaker.kind", "consecutive"),
        ("breaker.threshold", "3"),
        ("breaker.open_ms", "2000"),
        ("idempotency.key", "true"),
        ("endpoint.create", "idempotency_key"),
        ("endpoint.latency.kind", "long_tail"),
        ("endpoint.latency.p50_ms", "30"),
        ("endpoint.latency.p99_ms", "300"),
        ("endpoint.fault.503", "0.1"),
        ("endpoint.fault.commit_lose", "0.05"),
        ("endpoint.fault.reset", "0.05"),
        ("endpoint.overload.limit", "500"),
    ];
    for (name, value) in settings {
        if let Err(e) = config.set(name, value) {
            panic!("storm config: {e}");
        }
    }
    config
}

/// One line of the storm's figures, the same on native and wasm.
pub fn storm_line(s: &flaky::sim::Summary) -> String {
    format!(
        "calls={} succeeded={} gave_up={:?} unfinished={} attempts={} server_requests={} amplification={:.2} p50={}ms p99={}ms duplicates={} drain={}ms breaker_open={}ms in_flight_max={}",
        s.calls,
        s.succeeded,
        s.gave_up,
        s.unfinished,
        s.attempts,
        s.server_requests,
        s.amplification,
        s.latency_ms_p50,
        s.latency_ms_p99,
        s.duplicates,
        s.time_to_drain_ms,
        s.breaker_open_ms,
        s.server_in_flight_max
    )
}
