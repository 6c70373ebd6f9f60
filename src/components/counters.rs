//! The run's figures, with duplicate creates big enough for the back row.
//! Comparing, A's and B's side by side, B's with its change against A in
//! colour and in words. During a replay the figures that have a time series
//! follow the cursor. Goodput, recovery time and shed requests show when
//! they mean something (a capacity limit, an outage or a spike).

use std::rc::Rc;

use flaky::sim::{Summary, Trace};
use yew::prelude::*;

use crate::same::Same;

use crate::context::AppContext;
use crate::state::Side;
use crate::view;

#[component(Counters)]
pub fn counters() -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let state = &ctx.state;
    let clients = state.settings.config.scenario.clients;
    let cursor = state.replay.map(|r| r.cursor_ms);
    let comparing = state.settings.b.is_some();
    let recovery = view::recovery_relevant(&state.settings.config);
    html! {
        <section class={classes!("counters-row", comparing.then_some("comparing"))} aria-label="Counters">
            <SideCounters side={Side::A} trace={state.trace.clone()} other={None::<Rc<Trace>>} {clients} {cursor} {comparing} {recovery} />
            if comparing {
                <SideCounters side={Side::B} trace={state.trace_b.clone()} other={state.trace.clone()} {clients} {cursor} {comparing} {recovery} />
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct SideProps {
    side: Side,
    trace: Same<Option<Rc<Trace>>>,
    /// A's trace, for B's change.
    other: Same<Option<Rc<Trace>>>,
    clients: u32,
    cursor: Option<f64>,
    comparing: bool,
    /// Show goodput, recovery time and shed requests.
    recovery: bool,
}

#[component(SideCounters)]
fn side_counters(props: &SideProps) -> Html {
    let summary = props.trace.as_ref().map(|t| t.summary());
    let a = props.other.as_ref().map(|t| t.summary());
    // During a replay: what had happened by the cursor (every call's series).
    let at = match (props.cursor, &*props.trace) {
        (Some(t), Some(trace)) => Some(view::at_cursor(trace, t)),
        _ => None,
    };
    let figure = |name: &'static str, testid: &'static str, label: Html, at_value: Option<u64>| {
        let value = summary.as_ref().and_then(|s| s.figure(name));
        let shown = at_value.map(|v| v as f64).or(value);
        let text = shown
            .map(|v| view::figure_text(name, v))
            .unwrap_or_else(|| "–".into());
        let change = match (&a, value) {
            (Some(a), Some(b)) if at_value.is_none() => {
                a.figure(name).map(|av| view::change(name, av, b))
            }
            _ => None,
        };
        html! {
            <div class="figure" data-figure={name}>
                <span class="value" data-testid={testid}>{ text }</span>
                <span class="label">{ label }</span>
                if let Some(c) = change {
                    <span class={classes!("change", c.class)} data-testid={format!("change-{testid}")}>{ c.words }</span>
                }
            </div>
        }
    };
    let s = summary.clone().unwrap_or_default();
    let gave_up_total: u64 = s.gave_up.values().sum();
    let share = |n: u64| {
        if s.calls == 0 {
            String::new()
        } else {
            format!(" ({:.1}% of calls)", n as f64 * 100.0 / s.calls as f64)
        }
    };
    let reasons: Vec<String> = view::gave_up_shares(&s)
        .into_iter()
        .map(|(words, n, share)| {
            format!(
                "{words}: {} ({:.1}%)",
                view::group_thousands(n),
                share * 100.0
            )
        })
        .collect();
    let dup = summary.as_ref().map(|s| s.duplicates).unwrap_or(0);
    let replaying = at.is_some();
    html! {
        <div class={classes!("counters", "panel", format!("side-{}", props.side.name()))} data-testid={format!("side-{}", props.side.name())}>
            if props.comparing {
                <h2 class="side-title">{ match props.side { Side::A => "A", Side::B => "B" } }
                    <span class="sub">{ match props.side { Side::A => " · the policy as set", Side::B => " · the second policy, same world" } }</span>
                </h2>
            }
            <div class="counters-body">
                <div class={classes!("dup", (dup > 0).then_some("bad"))}>
                    <span class="value" data-testid="dup-count">{ summary.as_ref().map(|s| view::group_thousands(s.duplicates)).unwrap_or_else(|| "–".into()) }</span>
                    <span class="label">{ "duplicate creates" }</span>
                    if let (Some(a), Some(b)) = (&a, &summary) {
                        { html! { <span class={classes!("change", view::change("duplicates", a.duplicates as f64, b.duplicates as f64).class)}>{ view::change("duplicates", a.duplicates as f64, b.duplicates as f64).words }</span> } }
                    }
                </div>
                <div class="grid">
                    { figure("succeeded", "calls-succeeded", html! { { format!("succeeded{}", if replaying { " so far" } else { "" }) } }, at.map(|a| a.succeeded)) }
                    <div class="figure" data-figure="gave_up">
                        <span class="value" data-testid="calls-gave-up">{ match (at, &summary) { (Some(at), _) => view::group_thousands(at.gave_up), (None, Some(_)) => view::group_thousands(gave_up_total), _ => "–".into() } }</span>
                        <span class="label">{ if replaying { "gave up so far".to_string() } else { format!("gave up{}", share(gave_up_total)) } }</span>
                        if !replaying {
                            <span class="reasons" data-testid="gave-up-reasons">{ reasons.join(" · ") }</span>
                            if let (Some(a), Some(b)) = (&a, &summary) {
                                { change_line("gave_up", a, b) }
                            }
                        }
                    </div>
                    <div class="figure" data-figure="unfinished" title="not finished when the run's horizon (sim.horizon_ms) came: still going (a hung call), or never started because their client was still busy">
                        <span class="value" data-testid="calls-unfinished">{ summary.as_ref().map(|s| view::group_thousands(s.unfinished)).unwrap_or_else(|| "–".into()) }</span>
                        <span class="label">{ "unfinished at the horizon" }</span>
                        if let Some(line) = props.trace.as_ref().and_then(|t| view::hanging_line(props.comparing.then_some(props.side), t)) {
                            <span class="reasons" data-testid="hanging-line">{ line }</span>
                        }
                        if let (Some(a), Some(b)) = (&a, &summary) {
                            { change_line("unfinished", a, b) }
                        }
                    </div>
                    { figure("server_requests", "server-requests", html! { { format!("server requests{}", if replaying { " so far" } else { "" }) } }, at.map(|a| a.server_requests)) }
                    { figure("amplification", "amplification", html! { { "amplification (server requests per call)" } }, None) }
                    if let Some(layers) = summary.as_ref().and_then(view::layer_counts) {
                        <div class="figure" data-figure="requests_per_layer" title="calls each layer received (sim.layers), then the endpoint's requests: each layer's retries multiply the ones below">
                            <span class="value layers" data-testid="requests-per-layer">{ layers.iter().map(|(_, n)| view::group_thousands(*n)).collect::<Vec<_>>().join(" → ") }</span>
                            <span class="label">{ format!("calls per layer: {}", layers.iter().map(|(w, _)| w.as_str()).collect::<Vec<_>>().join(" → ")) }</span>
                        </div>
                    }
                    { figure("latency_ms_p99", "latency-p99", html! { <>{ "p99 latency " }<span class="scope" data-testid="latency-scope">{ view::latency_scope(&s) }</span></> }, None) }
                    { figure("creates_applied", "creates-applied", html! { { "creates applied" } }, None) }
                    { figure("breaker_open_ms", "breaker-open-ms", html! { <>{ "breaker open, " }<span class="scope">{ view::breaker_open_words(&s, props.clients) }</span></> }, None) }
                    if props.recovery {
                        { figure("goodput", "goodput", html! { { view::figure_words("goodput") } }, None) }
                        <div class="figure" data-figure="recovered_ms" title="from the end of the last outage or spike to the first whole second in which calls succeed at 90% or more of the rate they start">
                            <span class="value" data-testid="recovered-ms">{ summary.as_ref().map(|s| view::summary_figure_text(s, "recovered_ms")).unwrap_or_else(|| "–".into()) }</span>
                            <span class="label">{ view::figure_words("recovered_ms") }</span>
                            if let Some(c) = a.as_ref().zip(summary.as_ref()).and_then(|(a, b)| view::recovery_change(a, b)) {
                                <span class={classes!("change", c.class)}>{ c.words }</span>
                            }
                        </div>
                        { figure("shed", "shed", html! { { view::figure_words("shed") } }, None) }
                    }
                </div>
            </div>
        </div>
    }
}

fn change_line(name: &str, a: &Summary, b: &Summary) -> Html {
    match (a.figure(name), b.figure(name)) {
        (Some(av), Some(bv)) => {
            let c = view::change(name, av, bv);
            html! { <span class={classes!("change", c.class)}>{ c.words }</span> }
        }
        _ => html! {},
    }
}
