//! The run's figures, with duplicate creates big enough for the back row.

use yew::prelude::*;

use crate::components::app::AppContext;

#[component(Counters)]
pub fn counters() -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let summary = ctx.state.trace.as_ref().map(|t| t.summary());
    let n = |f: &dyn Fn(&flaky::sim::Summary) -> String| {
        summary.as_ref().map(f).unwrap_or_else(|| "–".into())
    };
    let gave_up_total = n(&|s| s.gave_up.values().sum::<u64>().to_string());
    let reasons = summary
        .as_ref()
        .map(|s| {
            s.gave_up
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default();
    let dup = summary.as_ref().map(|s| s.duplicates).unwrap_or(0);
    html! {
        <section class="counters panel" aria-label="Counters">
            <div class={classes!("dup", (dup > 0).then_some("bad"))}>
                <span class="value" data-testid="dup-count">{ n(&|s| s.duplicates.to_string()) }</span>
                <span class="label">{ "duplicate creates" }</span>
            </div>
            <div class="grid">
                <div><span class="value" data-testid="calls-succeeded">{ n(&|s| s.succeeded.to_string()) }</span><span class="label">{ "succeeded" }</span></div>
                <div title={reasons.clone()}><span class="value" data-testid="calls-gave-up">{ gave_up_total }</span><span class="label">{ "gave up" }</span>
                    <span class="reasons" data-testid="gave-up-reasons">{ reasons }</span></div>
                <div title="not finished when the run's horizon (sim.horizon_ms) came: still going, or never started because their client was still busy"><span class="value" data-testid="calls-unfinished">{ n(&|s| s.unfinished.to_string()) }</span><span class="label">{ "unfinished" }</span>
                    if let Some(not_started) = summary.as_ref().map(|s| s.not_started).filter(|n| *n > 0) {
                        <span class="reasons" data-testid="not-started">{ format!("{not_started} never started") }</span>
                    }
                </div>
                <div><span class="value" data-testid="server-requests">{ n(&|s| s.server_requests.to_string()) }</span><span class="label">{ "server requests" }</span></div>
                <div><span class="value" data-testid="amplification">{ n(&|s| format!("{:.2}×", s.amplification)) }</span><span class="label">{ "amplification" }</span></div>
                <div><span class="value" data-testid="latency-p99">{ n(&|s| crate::view::ms_label(s.latency_ms_p99)) }</span><span class="label">{ "p99 latency" }</span></div>
                <div><span class="value" data-testid="creates-applied">{ n(&|s| s.creates_applied.to_string()) }</span><span class="label">{ "creates applied" }</span></div>
                <div><span class="value" data-testid="breaker-open-ms">{ n(&|s| crate::view::ms_label(s.breaker_open_ms)) }</span><span class="label">{ "breaker open" }</span></div>
            </div>
        </section>
    }
}
