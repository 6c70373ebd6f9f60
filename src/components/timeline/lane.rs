//! One call's lane: its attempts as bars, its sleeps as gaps, and the marks
//! of the mechanisms at work on it, all read from the trace
//! (`app_core::view::marks`): a diamond where an attempt created a
//! duplicate item, an X where the call failed fast, hatched bands while its
//! client's breaker was open or half-open, and, for layered calls, a row of
//! brackets per upper layer over the requests each of its attempts caused.
//! Tooltips are written on hover (`tip.rs`).

use flaky::sim::CallTrace;
use policy::{Done, GaveUp};
use yew::prelude::*;

use crate::view::marks::{self, Bracket, BreakerInterval};
use crate::view::{self, ms_label};

#[derive(Properties, PartialEq)]
pub struct LaneProps {
    pub call: CallTrace,
    pub top: f64,
    /// The lane's height, all its rows included.
    pub lane: f64,
    /// Rows of the lane: 1, plus one per upper layer drawn.
    pub layers: u32,
    pub labels: bool,
    pub cut: Option<f64>,
    pub span: f64,
    /// The run's end, once it is over: an unfinished call is drawn to it.
    pub run_end: Option<u64>,
    pub hatch: AttrValue,
    pub breaker_hatch: AttrValue,
    /// The intervals the call's client's breaker was open or half-open.
    pub breaker: Vec<BreakerInterval>,
    /// The narrowest bar or mark, user units.
    pub mark_min: f64,
}

pub const WIDTH: f64 = 1000.0;
pub const LEFT: f64 = 64.0;
pub const RIGHT: f64 = 24.0;

/// The x of time `t` on an axis ending at `span`.
pub fn x_at(t: f64, span: f64) -> f64 {
    LEFT + (t.min(span) / span.max(1.0)) * (WIDTH - LEFT - RIGHT)
}

/// One call's lane. A component of its own so that a live update re-renders
/// only the lanes that changed (the rest compare equal and are skipped).
#[component(Lane)]
pub fn lane(props: &LaneProps) -> Html {
    let span = props.span;
    let x = |t: f64| x_at(t, span);
    lane_view(props, &x)
}

fn lane_view(props: &LaneProps, x: &dyn Fn(f64) -> f64) -> Html {
    let (call, labels, cut) = (&props.call, props.labels, props.cut);
    // Drawn in the lane's own coordinates, moved into place by one
    // `transform`: a lane that moves (slowest first) changes one attribute.
    let top = 0.0;
    let visible = |t: u64| cut.is_none_or(|c| (t as f64) <= c);
    let clip = |t: f64| cut.map_or(t, |c| t.min(c));
    // Upper layers' brackets take the top rows; the requests the bottom one.
    let layers = props.layers.max(1);
    let row_lane = props.lane / view::lanes::lane_rows(layers);
    let bracket_h = (props.lane - row_lane) / f64::from(layers - 1).max(1.0);
    let bars_top = top + props.lane - row_lane;
    let bar_h = (row_lane * 0.62).max(1.0);
    let mid = bars_top + row_lane / 2.0;
    let min_w = props.mark_min;
    // Overlapping attempts (hedges) share the bar's height, one row each.
    let rows = view::attempt_rows(&call.attempts);
    let row_count = rows.iter().max().map_or(1, |r| r + 1);
    let row_h = bar_h / row_count as f64;
    let hung = call.end_ms.is_none() && props.run_end.is_some();
    let end = lane_end_ms(call, props.run_end);
    let finished = call.end_ms.is_some_and(visible);
    let marker = match (&call.result, finished) {
        (Some(Done::Succeeded { .. }), true) => Some(("✓", "ok")),
        (
            Some(Done::GaveUp {
                reason:
                    GaveUp::AttemptsExhausted
                    | GaveUp::DeadlineExceeded
                    | GaveUp::NonRetryable { .. }
                    | GaveUp::NetworkErrorNotRetried
                    | GaveUp::TimeoutNotRetried
                    | GaveUp::UnkeyedNonIdempotent,
                ..
            }),
            true,
        ) => Some(("✗", "failed")),
        _ => None,
    };
    let (bar_y, row_h_text) = (mid - bar_h / 2.0, num(row_h));
    // Tooltips (an attempt's, a sleep's, the call's) are written on hover
    // (`timeline/tip.rs`), not up front: a title per element was half the
    // timeline's elements and most of its text.
    let bars = call.attempts.iter().zip(&rows).filter(|(a, _)| visible(a.start_ms)).map(|(a, row)| {
        let shown_end = a.end_ms.map(|e| e as f64).unwrap_or(end).max(a.start_ms as f64);
        let (x1, x2) = (x(a.start_ms as f64), x(clip(shown_end)));
        let outcome = if a.end_ms.is_some_and(visible) { a.outcome } else { None };
        let class = match outcome {
            None if hung && a.end_ms.is_none() && cut.is_none_or(|c| c >= end) => "hung",
            None => "pending",
            Some(_) => view::outcome_class(a.outcome),
        };
        // The hatch is a class (styles.css), not `style=`: the CSP allows no inline styles.
        let fill = (class == "timed_out").then(|| props.hatch.clone());
        // A 0 ms attempt still shows: centred on its time, at least `min_w` wide.
        let w = (x2 - x1).max(min_w);
        let x0 = if x2 - x1 < min_w { (x1 + x2) / 2.0 - min_w / 2.0 } else { x1 };
        html! {
            <rect key={a.attempt} class={classes!("bar", format!("o-{class}"), a.probe.then_some("probe"), fill)} data-testid="attempt-bar"
                data-outcome={class} data-attempt={a.attempt.to_string()} data-start-ms={a.start_ms.to_string()}
                data-row={(row_count > 1).then(|| row.to_string())}
                data-end-ms={a.end_ms.map(|e| e.to_string()).unwrap_or_default()}
                x={num(x0)} width={num(w)}
                y={num(bar_y + *row as f64 * row_h)} height={row_h_text.clone()}
                rx={labels.then_some("3")} />
        }
    });
    // Keyed lists of their own (an attempt by its number, a sleep by its
    // place): a rerun's lane keeps the elements of the attempts it shares
    // with the last run, instead of shifting every bar by one.
    let bars: Html = bars.collect();
    let sleeps: Html = call
        .sleeps
        .iter()
        .enumerate()
        .filter(|(_, s)| visible(s.from_ms))
        .map(|(i, s)| {
            let (x1, x2) = (x(s.from_ms as f64), x(clip(s.until_ms as f64)));
            let retry_after = matches!(s.reason, policy::SleepReason::RetryAfter { .. });
            html! {
                <line key={i} class={classes!("sleep", retry_after.then_some("retry-after"))} data-testid="sleep"
                    data-from-ms={s.from_ms.to_string()} data-until-ms={s.until_ms.to_string()}
                    x1={num(x1)} x2={num(x2)} y1={num(mid)} y2={num(mid)} />
            }
        })
        .collect();
    html! {
        <g class="lane" data-testid="timeline-lane" data-call={call.id.to_string()} data-client={call.client.to_string()}
           data-start-ms={call.start_ms.to_string()} data-end-ms={call.end_ms.map(|e| e.to_string())}
           data-took-ms={call.end_ms.or(props.run_end).map(|e| e.saturating_sub(call.start_ms).to_string())}
           data-duplicates={call.attempts.iter().filter(|a| a.duplicate).count().to_string()}
           data-result={call.result.as_ref().map(|d| match d { Done::Succeeded { .. } => "succeeded", Done::GaveUp { .. } => "gave_up" }).unwrap_or("running")}
           transform={format!("translate(0,{})", num(props.top))}>
            { breaker_bands(props, x, cut) }
            if labels {
                <text class="lane-label" x={(LEFT - 8.0).to_string()} y={num(mid + 4.0)} text-anchor="end">{ format!("#{}", call.id) }</text>
            }
            if visible(call.start_ms) {
                <line class="lane-line" x1={num(x(call.start_ms as f64))} x2={num(x(clip(end)))} y1={num(mid)} y2={num(mid)} />
            }
            { sleeps }
            if labels && layers == 1 {
                { for call.sleeps.iter().filter(|s| visible(s.from_ms)).filter_map(|s| {
                    let (x1, x2) = (x(s.from_ms as f64), x(clip(s.until_ms as f64)));
                    (x2 - x1 > 70.0).then(|| html! {
                        <text class="sleep-label" x={num((x1 + x2) / 2.0)} y={num(bars_top + 9.0)} text-anchor="middle">{ view::sleep_label(&s.reason) }</text>
                    })
                }) }
            }
            if layers > 1 {
                { layer_rows(call, x, cut, top, bracket_h, layers) }
                <g class="layer-row" data-testid="layer-row" data-depth={(layers - 1).to_string()}>{ bars }</g>
            } else {
                { bars }
            }
            { duplicate_marks(call, x, &visible, mid, bar_h, min_w) }
            { fail_fast_marks(call, x, &visible, mid, row_lane, min_w) }
            if let (Some((symbol, class)), true) = (marker, labels) {
                <text class={classes!("marker", class)} x={num(x(end) + min_w)} y={num(mid + 5.0)}>{ symbol }</text>
            }
        </g>
    }
}

/// Where a call's lane ends, ms: its end; a call still going when the run
/// ended (a hung attempt, an endless loop) is drawn to the run's end, so the
/// hang is as long as it looks.
pub fn lane_end_ms(call: &CallTrace, run_end: Option<u64>) -> f64 {
    call.end_ms
        .or(run_end)
        .map(|e| e as f64)
        .unwrap_or_else(|| crate::view::axis::last_event_ms([call]) as f64)
}

/// A coordinate as SVG text, to a tenth of a unit (a pixel is 1 to 2 units):
/// shorter than `f64`'s shortest form, and integer formatting is cheaper.
pub fn num(v: f64) -> String {
    let tenths = (v * 10.0).round() as i64;
    let (whole, tenth) = (tenths / 10, (tenths % 10).abs());
    match (tenth, tenths < 0 && whole == 0) {
        (0, _) => whole.to_string(),
        (_, true) => format!("-0.{tenth}"),
        _ => format!("{whole}.{tenth}"),
    }
}

/// Hatched bands behind the lane while its client's breaker was open
/// (dense hatching) or half-open (sparse).
fn breaker_bands(props: &LaneProps, x: &dyn Fn(f64) -> f64, cut: Option<f64>) -> Html {
    let end = |t: u64| cut.map_or(t as f64, |c| (t as f64).min(c));
    props
        .breaker
        .iter()
        .filter(|i| cut.is_none_or(|c| (i.from_ms as f64) <= c) && (i.from_ms as f64) < props.span)
        .map(|i| {
            let (x1, x2) = (x(i.from_ms as f64), x(end(i.until_ms)));
            let phase = i.phase.name();
            html! {
                <rect class={classes!("breaker-band", phase, (i.phase == marks::BreakerPhase::Open).then(|| props.breaker_hatch.clone()))} data-testid="breaker-band" data-phase={phase}
                    x={x1.to_string()} width={(x2 - x1).max(props.mark_min).to_string()}
                    y={num(props.top)} height={num(props.lane)}
                    // In the timeline's space, not the lane's: the hatching of
                    // adjacent lanes' bands lines up into one area.
                    transform={format!("translate(0,{})", num(-props.top))}>
                    <title>{ format!("client {}'s breaker {phase}: {} → {}", i.client, ms_label(i.from_ms), ms_label(i.until_ms)) }</title>
                </rect>
            }
        })
        .collect()
}

/// A diamond over each attempt whose create made a duplicate item; it names
/// the item on hover and on keyboard focus.
fn duplicate_marks(
    call: &CallTrace,
    x: &dyn Fn(f64) -> f64,
    visible: &dyn Fn(u64) -> bool,
    mid: f64,
    bar_h: f64,
    min_w: f64,
) -> Html {
    let r = (bar_h * 0.75).max(min_w * 0.75);
    marks::duplicate_marks(call)
        .into_iter()
        .filter(|m| visible(m.at_ms))
        .map(|m| {
            let (cx, cy) = (x(m.at_ms as f64), mid);
            let words = format!(
                "Duplicate create: attempt {} of call {} created item {} again",
                m.attempt, call.id, m.item
            );
            let points = format!(
                "{cx},{} {},{cy} {cx},{} {},{cy}",
                cy - r,
                cx + r * 0.8,
                cy + r,
                cx - r * 0.8
            );
            html! {
                <g class="dup-mark" data-testid="dup-mark" data-attempt={m.attempt.to_string()} data-item={m.item.clone()}
                   tabindex="0" role="img" aria-label={words.clone()}>
                    <title>{ words }</title>
                    <polygon points={points} />
                </g>
            }
        })
        .collect()
}

/// An X where the call (or an attempt) failed fast, at least `min_w` wide.
fn fail_fast_marks(
    call: &CallTrace,
    x: &dyn Fn(f64) -> f64,
    visible: &dyn Fn(u64) -> bool,
    mid: f64,
    row: f64,
    min_w: f64,
) -> Html {
    let r = (row * 0.32).max(min_w / 2.0);
    marks::fail_fast_marks(call)
        .into_iter()
        .filter(|m| visible(m.at_ms))
        .map(|m| {
            let cx = x(m.at_ms as f64);
            let d = format!(
                "M{},{} L{},{} M{},{} L{},{}",
                cx - r,
                mid - r,
                cx + r,
                mid + r,
                cx - r,
                mid + r,
                cx + r,
                mid - r
            );
            html! {
                <g class="fail-fast-mark" data-testid="fail-fast-mark" data-why={m.why.name()}>
                    <title>{ format!("{} at {}", m.why.words(), ms_label(m.at_ms)) }</title>
                    <path class="ff-halo" d={d.clone()} />
                    <path class="ff" d={d} />
                </g>
            }
        })
        .collect()
}

/// One row of brackets per upper layer, top first: each attempt of that
/// layer spans the requests it caused below, numbered when there is room.
fn layer_rows(
    call: &CallTrace,
    x: &dyn Fn(f64) -> f64,
    cut: Option<f64>,
    top: f64,
    row_h: f64,
    layers: u32,
) -> Html {
    let brackets = marks::layer_brackets(call);
    (0..layers - 1)
        .map(|depth| {
            let y = top + row_h * f64::from(depth) + row_h * 0.3;
            let tick = row_h * 0.55;
            let row = brackets
                .iter()
                .filter(|b| b.depth == depth && cut.is_none_or(|c| (b.from_ms as f64) <= c))
                .map(|b: &Bracket| {
                    let until = cut.map_or(b.until_ms as f64, |c| (b.until_ms as f64).min(c));
                    let (x1, x2) = (x(b.from_ms as f64), x(until).max(x(b.from_ms as f64) + 4.0));
                    html! {
                        <g class="bracket">
                            <title>{ format!("layer {} attempt {}: {} requests below, {} → {}", depth + 1, b.attempt, b.requests, ms_label(b.from_ms), ms_label(b.until_ms)) }</title>
                            <path d={format!("M{x1:.1},{:.1} L{x1:.1},{y:.1} L{x2:.1},{y:.1} L{x2:.1},{:.1}", y + tick, y + tick)} />
                        </g>
                    }
                })
                .collect::<Html>();
            html! {
                <g class="layer-row" data-testid="layer-row" data-depth={depth.to_string()}>{ row }</g>
            }
        })
        .collect()
}
