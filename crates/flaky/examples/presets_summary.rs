//! Every preset's run in one line: a quick look while tuning presets.json.
fn main() -> Result<(), String> {
    for p in flaky::presets::all()? {
        let t = std::time::Instant::now();
        let trace = flaky::sim::run(&p.config, 1);
        let s = trace.summary();
        println!("{:32} {:>6.1}ms calls={} ok={} gave_up={:?} unfinished={} req={} amp={:.1} p99={} dup={} inflight={} drain={} brk={}", p.id, t.elapsed().as_secs_f64()*1e3, s.calls, s.succeeded, s.gave_up, s.unfinished, s.server_requests, s.amplification, s.latency_ms_p99, s.duplicates, s.server_in_flight_max, s.time_to_drain_ms, s.breaker_open_ms);
    }
    Ok(())
}
