//! The attempt timeline: a lane per logical call, a bar per attempt coloured
//! by its outcome, backoff gaps labelled with their planned delay and reason,
//! timeouts hatched, fail-fast marked, calls still going at the horizon drawn
//! to it. A replay's cursor cuts the drawing at its time. Comparing, A's and
//! B's timelines share one time axis.

use std::rc::Rc;

use flaky::sim::{CallTrace, Trace};
use policy::{Done, GaveUp};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::context::AppContext;
use crate::state::{Action, LaneOrder, Side};
use crate::view::{self, ms_label};

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub trace: Option<Rc<Trace>>,
    /// The replay's cursor, ms of run time: nothing after it is drawn.
    #[prop_or_default]
    pub cursor: Option<f64>,
    /// A shared time axis end, ms (comparing: the longer of both runs).
    #[prop_or_default]
    pub axis_ms: Option<u64>,
    /// Which side this is, when comparing.
    #[prop_or_default]
    pub side: Option<Side>,
    /// The run is over: calls without an end are drawn to its end (the horizon).
    #[prop_or_default]
    pub finished: bool,
    /// Fit the lanes into this height (the talk stage); otherwise they scroll.
    #[prop_or_default]
    pub height_max: Option<f64>,
    /// Which calls get a lane: the first ones, or the slowest first.
    #[prop_or_default]
    pub order: LaneOrder,
}

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const AXIS: f64 = 26.0;
/// Lanes taller than this get text labels.
const LABEL_LANE_MIN: f64 = 18.0;
#[derive(Properties, PartialEq)]
struct LaneOrderPickerProps {
    order: LaneOrder,
}

/// "Lanes: first calls | slowest first" (`lanes=` in the URL).
#[component(LaneOrderPicker)]
fn lane_order_picker(props: &LaneOrderPickerProps) -> Html {
    let ctx = use_context::<AppContext>();
    let on_change = Callback::from(move |e: Event| {
        let el: HtmlSelectElement = e.target_unchecked_into();
        if let (Some(ctx), Some(order)) = (&ctx, LaneOrder::parse(&el.value())) {
            ctx.state.dispatch(Action::SetLaneOrder(order));
        }
    });
    html! {
        <label class="lane-order">
            <span>{ "Lanes" }</span>
            <select data-testid="lane-order" onchange={on_change} aria-label="Lanes"
                    title="Which calls get a lane: the first ones, or the slowest first (where a run's tail is)">
                <option value="start" selected={props.order == LaneOrder::Start}>{ "first calls" }</option>
                <option value="slowest" selected={props.order == LaneOrder::Slowest}>{ "slowest first" }</option>
            </select>
        </label>
    }
}

#[component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let side = props.side.map(|s| s.name()).unwrap_or("a");
    let title = match props.side {
        Some(Side::A) => "Attempt timeline · A",
        Some(Side::B) => "Attempt timeline · B",
        None => "Attempt timeline",
    };
    let Some(trace) = &props.trace else {
        return html! {
            <section class="panel timeline-panel" data-testid={format!("timeline-panel-{side}")}>
                <h2>{ title }</h2>
                <p class="empty" data-testid="timeline">{ "Fire to see each call as a lane and each attempt as a bar." }</p>
            </section>
        };
    };
    // A "nice" scale end: it changes rarely while a live run grows, so lanes
    // that did not change keep equal props and are not re-rendered.
    let span = view::nice_ceiling(props.axis_ms.unwrap_or(0).max(view::span_ms(trace))) as f64;
    let cut = props.cursor.map(|p| p.min(span));
    let run_end = props.finished.then_some(trace.end_ms);
    // Some lanes in detail (the first or the slowest); a big run adds the
    // density of every attempt.
    let lanes = view::detail_lanes(trace, props.order);
    let caption = view::detail_lanes_caption(trace, props.order, lanes.len());
    let calls = trace.summary.calls.max(trace.calls.len() as u64);
    let dense = calls > view::DENSITY_CALLS_MIN;
    let n = lanes.len().max(1) as f64;
    let lane = match props.height_max {
        Some(h) => ((h - 40.0) / n).clamp(1.5, 40.0),
        None if n <= 20.0 => 26.0,
        None => (620.0 / n).clamp(1.5, 26.0),
    };
    // The stage's larger tick text needs a taller axis row.
    let axis_h = if props.height_max.is_some() {
        34.0
    } else {
        AXIS
    };
    let height = axis_h + lane * n + 6.0;
    let x = |t: f64| LEFT + (t.min(span) / span) * (WIDTH - LEFT - RIGHT);
    // Fewer, larger ticks on the stage.
    let step = view::tick_step(span as u64, if props.height_max.is_some() { 4 } else { 8 }).max(1);
    let ticks = (0..=(span as u64 / step)).map(|i| i * step);
    let labels = lane >= LABEL_LANE_MIN;
    let scrolls = props.height_max.is_none();
    html! {
        <section class="panel timeline-panel" aria-labelledby={format!("timeline-title-{side}")} data-testid={format!("timeline-panel-{side}")}>
            <div class="timeline-head">
            <h2 id={format!("timeline-title-{side}")}>{ title }
                <span class="sub">{ format!(" {calls} call{} · {}", if calls == 1 { "" } else { "s" }, ms_label(span as u64)) }
                if !caption.is_empty() { { format!(" · {caption}") } }
                if let Some(c) = cut { <span class="sub">{ format!(" · replay at {}", ms_label(c as u64)) }</span> }
                </span>
            </h2>
            // One picker for both sides: B's timeline follows A's.
            if props.side != Some(Side::B) { <LaneOrderPicker order={props.order} /> }
            </div>
            if dense {
                <crate::components::density::Density trace={trace.clone()} span_ms={span as u64} />
            }
            // Focusable: on a phone it scrolls sideways (the lanes keep a
            // readable width), and a keyboard user must be able to scroll it.
            <div class={classes!("timeline-scroll", props.height_max.is_some().then_some("fit"))}
                 tabindex={scrolls.then_some("0")} role={scrolls.then_some("region")}
                 aria-label={scrolls.then(|| format!("{title}, scrollable"))}>
                <svg class="timeline" data-testid="timeline" viewBox={format!("0 0 {WIDTH} {height}")} width="100%"
                     role="img" aria-label="Attempt timeline: one lane per call, one bar per attempt">
                    <defs>
                        <pattern id={format!("hatch-{side}")} patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
                            <rect width="6" height="6" class="o-timed_out" />
                            <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
                        </pattern>
                    </defs>
                    { for ticks.map(|t| html! {
                        <g class="tick">
                            <line x1={x(t as f64).to_string()} x2={x(t as f64).to_string()} y1={(axis_h - 4.0).to_string()} y2={height.to_string()} />
                            <text x={x(t as f64).to_string()} y={(axis_h - 10.0).to_string()} text-anchor="middle">{ ms_label(t) }</text>
                        </g>
                    }) }
                    { for lanes.iter().enumerate().map(|(i, call)| html! {
                        <Lane key={call.id} call={(*call).clone()} top={axis_h + lane * i as f64} {lane} {labels} {cut} {span} {run_end} hatch={format!("url(#hatch-{side})")} />
                    }) }
                    if let Some(p) = cut {
                        <line class="playhead" x1={x(p).to_string()} x2={x(p).to_string()} y1={(axis_h - 6.0).to_string()} y2={height.to_string()} />
                    }
                </svg>
            </div>
            <Legend />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct LaneProps {
    call: CallTrace,
    top: f64,
    lane: f64,
    labels: bool,
    cut: Option<f64>,
    span: f64,
    /// The run's end, once it is over: an unfinished call is drawn to it.
    run_end: Option<u64>,
    hatch: AttrValue,
}

/// One call's lane. A component of its own so that a live update re-renders
/// only the lanes that changed (the rest compare equal and are skipped).
#[component(Lane)]
fn lane(props: &LaneProps) -> Html {
    let span = props.span;
    let x = |t: f64| LEFT + (t.min(span) / span) * (WIDTH - LEFT - RIGHT);
    lane_view(props, &x)
}

fn lane_view(props: &LaneProps, x: &dyn Fn(f64) -> f64) -> Html {
    let (call, top, lane, labels, cut) =
        (&props.call, props.top, props.lane, props.labels, props.cut);
    let visible = |t: u64| cut.is_none_or(|c| (t as f64) <= c);
    let clip = |t: f64| cut.map_or(t, |c| t.min(c));
    let bar_h = (lane * 0.62).max(1.0);
    let mid = top + lane / 2.0;
    // Overlapping attempts (hedges) share the bar's height, one row each.
    let rows = view::attempt_rows(&call.attempts);
    let row_count = rows.iter().max().map_or(1, |r| r + 1);
    let row_h = bar_h / row_count as f64;
    // A call still going when the run ended (a hung attempt, an endless
    // loop) is drawn to the run's end: the hang is as long as it looks.
    let hung = call.end_ms.is_none() && props.run_end.is_some();
    let end = call
        .end_ms
        .or(props.run_end)
        .map(|e| e as f64)
        .unwrap_or_else(|| {
            call.attempts
                .iter()
                .map(|a| a.end_ms.unwrap_or(a.start_ms))
                .chain(call.sleeps.iter().map(|s| s.until_ms))
                .max()
                .unwrap_or(call.start_ms) as f64
        });
    let finished = call.end_ms.is_some_and(visible);
    let marker = match (&call.result, finished) {
        (Some(Done::Succeeded { .. }), true) => Some(("✓", "ok")),
        (
            Some(Done::GaveUp {
                reason: GaveUp::BreakerOpen | GaveUp::ThrottledLocally | GaveUp::BulkheadFull,
                ..
            }),
            true,
        ) => Some(("⚡", "fail-fast")),
        (Some(Done::GaveUp { .. }), true) => Some(("✗", "failed")),
        _ => None,
    };
    let title = format!(
        "call {} (client {}) {}: {}",
        call.id,
        call.client,
        call.target,
        view::done_words(call.result.as_ref())
    );
    html! {
        <g class="lane" data-testid="timeline-lane" data-call={call.id.to_string()}
           data-took-ms={call.end_ms.or(props.run_end).map(|e| e.saturating_sub(call.start_ms).to_string())}
           data-result={call.result.as_ref().map(|d| match d { Done::Succeeded { .. } => "succeeded", Done::GaveUp { .. } => "gave_up" }).unwrap_or("running")}>
            <title>{ title }</title>
            if labels {
                <text class="lane-label" x={(LEFT - 8.0).to_string()} y={(mid + 4.0).to_string()} text-anchor="end">{ format!("#{}", call.id) }</text>
            }
            if visible(call.start_ms) {
                <line class="lane-line" x1={x(call.start_ms as f64).to_string()} x2={x(clip(end)).to_string()} y1={mid.to_string()} y2={mid.to_string()} />
            }
            { for call.sleeps.iter().filter(|s| visible(s.from_ms)).map(|s| {
                let (x1, x2) = (x(s.from_ms as f64), x(clip(s.until_ms as f64)));
                let label = view::sleep_label(&s.reason);
                let retry_after = matches!(s.reason, policy::SleepReason::RetryAfter { .. });
                html! {
                    <g class={classes!("sleep", retry_after.then_some("retry-after"))} data-testid="sleep"
                        data-from-ms={s.from_ms.to_string()} data-until-ms={s.until_ms.to_string()}>
                        <title>{ format!("sleep {} → {}: {label}", ms_label(s.from_ms), ms_label(s.until_ms)) }</title>
                        <line x1={x1.to_string()} x2={x2.to_string()} y1={mid.to_string()} y2={mid.to_string()} />
                        if labels && x2 - x1 > 70.0 {
                            <text x={((x1 + x2) / 2.0).to_string()} y={(top + 9.0).to_string()} text-anchor="middle">{ label }</text>
                        }
                    </g>
                }
            }) }
            { for call.attempts.iter().zip(&rows).filter(|(a, _)| visible(a.start_ms)).map(|(a, row)| {
                let class = view::outcome_class(a.outcome);
                let shown_end = a.end_ms.map(|e| e as f64).unwrap_or(end).max(a.start_ms as f64);
                let (x1, x2) = (x(a.start_ms as f64), x(clip(shown_end)));
                let outcome = if a.end_ms.is_some_and(visible) { a.outcome } else { None };
                let class = match outcome {
                    None if hung && a.end_ms.is_none() && cut.is_none_or(|c| c >= end) => "hung",
                    None => "pending",
                    Some(_) => class,
                };
                let fill = if class == "timed_out" { props.hatch.to_string() } else { String::new() };
                let tip = format!(
                    "attempt {}{}{}: {} → {}: {}{}",
                    a.attempt,
                    if a.probe { " (half-open probe)" } else { "" },
                    if a.hedge { " (hedge)" } else { "" },
                    ms_label(a.start_ms),
                    a.end_ms.map(ms_label).unwrap_or_else(|| if hung { "still waiting at the horizon".into() } else { "…".into() }),
                    view::outcome_words(a.outcome),
                    a.timeout_ms.map(|t| format!(" · timeout {}", ms_label(t))).unwrap_or_else(|| " · no timeout".into()),
                );
                html! {
                    <rect class={classes!("bar", format!("o-{class}"), a.probe.then_some("probe"))} data-testid="attempt-bar"
                        data-outcome={class} data-attempt={a.attempt.to_string()} data-start-ms={a.start_ms.to_string()} data-row={row.to_string()}
                        data-end-ms={a.end_ms.map(|e| e.to_string()).unwrap_or_default()}
                        x={x1.to_string()} width={(x2 - x1).max(if class == "throttled_locally" { 3.0 } else { 1.5 }).to_string()}
                        y={(mid - bar_h / 2.0 + *row as f64 * row_h).to_string()} height={row_h.to_string()}
                        rx={if labels { "3" } else { "0" }} style={if fill.is_empty() { String::new() } else { format!("fill: {fill}") }}>
                        <title>{ tip }</title>
                    </rect>
                }
            }) }
            if let (Some((symbol, class)), true) = (marker, labels) {
                <text class={classes!("marker", class)} x={(x(end) + 4.0).to_string()} y={(mid + 5.0).to_string()}>{ symbol }</text>
            }
        </g>
    }
}

/// Outcome colours (Okabe–Ito, safe for colour-vision deficiencies) and marks.
#[component(Legend)]
fn legend() -> Html {
    let items = [
        ("2xx", "success"),
        ("5xx", "5xx"),
        ("429", "429"),
        ("4xx", "4xx"),
        ("409", "409 in flight"),
        ("network_error", "network error"),
        ("timed_out", "timed out"),
        ("pending", "waiting"),
        ("hung", "no answer by the horizon (hung)"),
        (
            "throttled_locally",
            "rejected by the client's throttle (not sent)",
        ),
        (
            "cancelled",
            "cancelled: a hedge won (the server still worked)",
        ),
    ];
    html! {
        <ul class="legend" aria-label="Legend">
            { for items.iter().map(|(class, label)| html! {
                <li><svg width="18" height="12" aria-hidden="true">
                    <rect class={format!("bar o-{class}")} width="18" height="12" rx="2"
                        style={if *class == "timed_out" { "fill: url(#hatch-a)" } else { "" }} />
                </svg>{ *label }</li>
            }) }
            <li><span class="dash" aria-hidden="true"></span>{ "backoff sleep" }</li>
            <li><span class="dash ra" aria-hidden="true"></span>{ "Retry-After sleep" }</li>
            <li>{ "✓ succeeded · ✗ gave up · ⚡ failed fast (circuit open, throttle, bulkhead) · hedges overlap in a second row" }</li>
        </ul>
    }
}
