//! The attempt timeline: a lane per logical call, a bar per attempt coloured
//! by its outcome, backoff gaps labelled with their planned delay and reason,
//! timeouts hatched, calls still going at the horizon drawn to it, and the
//! mechanisms marked (`timeline/lane.rs`). Outages and spikes are bands
//! behind the lanes. A replay's cursor cuts the drawing at its time.
//! Comparing, A's and B's timelines share one time axis. When fewer lanes
//! than calls are drawn, the density view of every attempt shows above them
//! (on the dashboard; the stage draws as many tall lanes as fit).

use std::rc::Rc;

use flaky::sim::{Trace, WindowKind};
use wasm_bindgen::JsCast;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::same::Same;

use crate::context::AppContext;
use crate::state::{Action, LaneOrder, Side};
use crate::view::{self, ms_label};

#[derive(Properties, PartialEq, Clone)]
pub struct TimelineProps {
    pub trace: Same<Option<Rc<Trace>>>,
    /// The replay's cursor, ms of run time: nothing after it is drawn.
    #[prop_or_default]
    pub cursor: Option<f64>,
    /// The last event a shared time axis covers, ms (comparing: the later
    /// of both sides); the axis ends at most a tenth past it once the run is over.
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

const AXIS: f64 = 26.0;
/// A new run's lanes are drawn at the next frame, or after this many ms.
const DRAW_LATEST_MS: u32 = 100;
/// Lanes taller than this get text labels.
const LABEL_LANE_MIN: f64 = 18.0;
/// On the stage (27 px lane labels).
const STAGE_LABEL_LANE_MIN: f64 = 32.0;

mod lane;
mod tip;

use lane::{x_at, Lane, WIDTH};

/// The timeline, drawn at the frame after its props change: the counters
/// and the smaller charts of a new run show first, and the lanes (the page's
/// largest drawing, about 20 ms at 200 lanes) follow, as React's
/// `useDeferredValue` would have it. Meanwhile the timeline keeps its last
/// drawing and is `aria-busy`.
#[component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let shown = use_mut_ref(|| props.clone());
    // What the parent passed last: a callback adopts this, never the props
    // of the render that scheduled it (a late one would draw an old run).
    let latest = use_mut_ref(|| props.clone());
    let adopt = use_force_update();
    let pending = *shown.borrow() != *props;
    if *latest.borrow() != *props {
        *latest.borrow_mut() = props.clone();
    }
    if pending {
        // At the next frame, after the counters were painted (a knob moved
        // meanwhile posts its run first, and the lanes are drawn while the
        // worker computes it), or within 100 ms where no frame comes (a
        // hidden tab). Whichever is first draws; the other finds it done.
        let adopt_latest = {
            let (shown, latest) = (shown.clone(), latest.clone());
            move || {
                if *shown.borrow() != *latest.borrow() {
                    *shown.borrow_mut() = latest.borrow().clone();
                    adopt.force_update();
                }
            }
        };
        let on_frame = adopt_latest.clone();
        gloo_timers::callback::Timeout::new(DRAW_LATEST_MS, adopt_latest).forget();
        if let Some(window) = web_sys::window() {
            let frame = wasm_bindgen::closure::Closure::once_into_js(on_frame);
            let _ = window.request_animation_frame(frame.unchecked_ref());
        }
    }
    let body = shown.borrow().clone();
    html! {
        <div class="timeline-defer" aria-busy={pending.then_some("true")}>
            <TimelineBody ..body />
        </div>
    }
}

/// The height, in a timeline's user units, of the room the stage's first
/// timeline under `root` has (it fills its panel below its title; A's, whose
/// title also holds the lane picker, has no more than B's); none before one
/// is drawn.
pub fn fit_room(root: &web_sys::Element) -> Option<f64> {
    let room = root.query_selector(".timeline-scroll.fit").ok()??;
    let width = f64::from(room.client_width());
    (width > 0.0).then(|| f64::from(room.client_height()) * WIDTH / width)
}

#[component(TimelineBody)]
fn timeline_body(props: &TimelineProps) -> Html {
    let side = props.side.map(|s| s.name()).unwrap_or("a");
    let title = match props.side {
        Some(Side::A) => "Attempt timeline · A",
        Some(Side::B) => "Attempt timeline · B",
        None => "Attempt timeline",
    };
    // Before any early return: a hook is called on every render.
    let svg_ref = use_node_ref();
    // How many lanes the last render drew; more are made a task at a time.
    let drawn = use_mut_ref(|| 0usize);
    let more = use_mut_ref(|| false);
    {
        let (more, redraw) = (more.clone(), use_force_update());
        use_effect(move || {
            if *more.borrow() {
                gloo_timers::callback::Timeout::new(0, move || redraw.force_update()).forget();
            }
        });
    }
    let Some(trace) = &*props.trace else {
        (*drawn.borrow_mut(), *more.borrow_mut()) = (0, false);
        let empty = html! { <p class="empty" data-testid="timeline">{ "Fire to see each call as a lane and each attempt as a bar." }</p> };
        return html! {
            <section class="panel timeline-panel" data-testid={format!("timeline-panel-{side}")}>
                if props.height_max.is_some() {
                    // On the stage, the head and the room of a drawn timeline: the
                    // stage measures the room before the first run, and the lanes fit it.
                    <div class="timeline-head">
                        <h2>{ title }</h2>
                        if props.side != Some(Side::B) { <LaneOrderPicker order={props.order} /> }
                    </div>
                    <div class="timeline-scroll fit">{ empty }</div>
                } else {
                    <h2>{ title }</h2>
                    { empty }
                }
            </section>
        };
    };
    let stage = props.height_max;
    // The dashboard draws a lane per call up to 200; the stage as many tall lanes as fit.
    let lanes = match stage {
        Some(h) => view::lanes::stage_lanes(trace, props.order, h),
        None => view::detail_lanes(trace, props.order),
    };
    // Many new lanes are made a task at a time (`aria-busy` meanwhile).
    let drawing =
        view::lanes::lanes_to_draw(&lanes, *drawn.borrow(), view::lanes::NEW_ELEMENTS_PER_TASK);
    (*drawn.borrow_mut(), *more.borrow_mut()) = (drawing, drawing < lanes.len());
    let layers = lanes
        .iter()
        .map(|c| view::marks::layer_count(c))
        .max()
        .unwrap_or(1);
    let rows = view::lanes::lane_rows(layers);
    let caption = view::detail_lanes_caption(trace, props.order, lanes.len());
    let calls = trace.summary.calls.max(trace.calls.len() as u64);
    let dense = stage.is_none() && (lanes.len() as u64) < calls;
    let last = props.axis_ms.unwrap_or(0).max(view::axis::last_shown_ms(
        lanes.iter().copied(),
        &trace.windows,
        trace.end_ms,
    ));
    let span = if props.finished {
        view::axis::axis_end_ms(last)
    } else {
        // A "nice" scale end while a run grows: it changes rarely, so lanes
        // that did not change keep equal props and are not re-rendered.
        view::nice_ceiling(last)
    } as f64;
    let cut = props.cursor.map(|p| p.min(span));
    let run_end = props.finished.then_some(trace.end_ms);
    let n = lanes.len().max(1) as f64;
    let lane = match stage {
        Some(h) => ((h - view::lanes::TIMELINE_CHROME) / n)
            .clamp(view::lanes::STAGE_LANE_MIN * rows, 60.0 * rows),
        None if n <= 20.0 => 26.0 * rows,
        None => (620.0 / n).clamp(6.0, 26.0) * rows,
    };
    let mark_min = if stage.is_some() {
        view::lanes::STAGE_MARK_MIN
    } else {
        view::lanes::MARK_MIN
    };
    // The stage's larger tick text needs a taller axis row.
    let axis_h = if stage.is_some() { 34.0 } else { AXIS };
    let height = axis_h + lane * n + 6.0;
    let x = |t: f64| x_at(t, span);
    // Fewer, larger ticks on the stage.
    let step = view::tick_step(span as u64, if stage.is_some() { 4 } else { 8 }).max(1);
    let ticks = (0..=(span as u64 / step)).map(|i| i * step);
    // The stage's lane labels are large type: they need a taller lane.
    let labels = lane / rows
        >= if stage.is_some() {
            STAGE_LABEL_LANE_MIN
        } else {
            LABEL_LANE_MIN
        };
    let scrolls = stage.is_none();
    let breaker = view::marks::breaker_intervals(&trace.client_events, trace.end_ms);
    let windows = trace
        .windows
        .iter()
        .filter(|w| (w.from_ms as f64) < span && cut.is_none_or(|c| (w.from_ms as f64) <= c));
    let on_over = {
        let (svg_ref, trace, finished) = (svg_ref.clone(), trace.clone(), props.finished);
        Callback::from(move |e: MouseEvent| {
            if let Some(svg) = svg_ref.cast::<web_sys::Element>() {
                tip::show(&svg, e.target(), &trace, finished);
            }
        })
    };
    let on_out = {
        let svg_ref = svg_ref.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(svg) = svg_ref.cast::<web_sys::Element>() {
                tip::hide(&svg);
            }
        })
    };
    let shown = if caption.is_empty() {
        String::new()
    } else {
        format!(" · {caption}")
    };
    html! {
        <section class="panel timeline-panel" aria-labelledby={format!("timeline-title-{side}")} data-testid={format!("timeline-panel-{side}")}
            data-lanes={lanes.len().to_string()} data-axis-ms={(span as u64).to_string()} data-lane-units={lane.to_string()} data-run-end-ms={trace.end_ms.to_string()}>
            <div class="timeline-head">
            <h2 id={format!("timeline-title-{side}")}>{ title }
                <span class="sub">{ format!(" {calls} call{} · {}{shown}", if calls == 1 { "" } else { "s" }, ms_label(span as u64)) }
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
            <div class={classes!("timeline-scroll", stage.is_some().then_some("fit"))}
                 tabindex={scrolls.then_some("0")} role={scrolls.then_some("region")}
                 aria-label={scrolls.then(|| format!("{title}, scrollable"))}>
                <svg class="timeline" data-testid="timeline" ref={svg_ref} aria-busy={(drawing < lanes.len()).then_some("true")} onmouseover={on_over} onmouseout={on_out} viewBox={format!("0 0 {WIDTH} {height}")} width="100%"
                     role="group" aria-label="Attempt timeline: one lane per call, one bar per attempt">
                    <defs>
                        <pattern id={format!("hatch-{side}")} patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
                            <rect width="6" height="6" class="o-timed_out" />
                            <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
                        </pattern>
                        <pattern id={format!("breaker-hatch-{side}")} patternUnits="userSpaceOnUse" width="10" height="10" patternTransform="rotate(-45)">
                            <rect width="10" height="10" class="breaker-hatch-bg" />
                            <line x1="0" y1="0" x2="0" y2="10" class="breaker-hatch-line" />
                        </pattern>
                    </defs>
                    { for windows.map(|w| {
                        let (x1, x2) = (x(w.from_ms as f64), x(w.until_ms as f64));
                        let (class, words) = match w.kind { WindowKind::Outage => ("outage", "outage"), WindowKind::Spike => ("spike", "arrival spike") };
                        html! {
                            <rect class={classes!("window-band", class)} data-testid={format!("{class}-band")}
                                data-from-ms={w.from_ms.to_string()} data-until-ms={w.until_ms.to_string()}
                                x={x1.to_string()} width={(x2 - x1).max(mark_min).to_string()} y={axis_h.to_string()} height={(lane * n).to_string()}>
                                <title>{ format!("{words}: {} → {}", ms_label(w.from_ms), ms_label(w.until_ms)) }</title>
                            </rect>
                        }
                    }) }
                    { for ticks.map(|t| html! {
                        <g class="tick">
                            <line x1={x(t as f64).to_string()} x2={x(t as f64).to_string()} y1={(axis_h - 4.0).to_string()} y2={height.to_string()} />
                            // A tick at the axis's very end keeps its line, not its label:
                            // end-anchored, it would sit on the label before it.
                            if t == 0 || (t as f64) < span {
                                <text x={x(t as f64).to_string()} y={(axis_h - 10.0).to_string()} text-anchor="middle">{ ms_label(t) }</text>
                            }
                        </g>
                    }) }
                    // Its own element: Yew's html! flattens a `for` into its
                    // parent's children, and a list mixed with unkeyed siblings is
                    // patched by position, so a reordered lane (slowest first) was
                    // rebuilt instead of moved.
                    <g class="lanes">
                    { for lanes.iter().take(drawing).enumerate().map(|(i, call)| {
                        let mine: Vec<_> = breaker.iter().filter(|b| b.client == call.client).copied().collect();
                        html! {
                            <Lane key={call.id} call={(*call).clone()} top={axis_h + lane * i as f64} {lane} {layers} {labels} {cut} {span} {run_end}
                                hatch={format!("fill-hatch-{side}")} breaker_hatch={format!("fill-breaker-hatch-{side}")} breaker={mine} {mark_min} />
                        }
                    }) }
                    </g>
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
                    <rect class={classes!("bar", format!("o-{class}"), (*class == "timed_out").then_some("fill-hatch-a"))} width="18" height="12" rx="2" />
                </svg>{ *label }</li>
            }) }
            <li><span class="dash" aria-hidden="true"></span>{ "backoff sleep" }</li>
            <li><span class="dash ra" aria-hidden="true"></span>{ "Retry-After sleep" }</li>
            <li><svg width="14" height="14" aria-hidden="true"><polygon class="dup-shape" points="7,1 12,7 7,13 2,7" /></svg>{ "duplicate create (the item made again)" }</li>
            <li><svg width="14" height="14" aria-hidden="true"><path class="ff" d="M2,2 L12,12 M2,12 L12,2" /></svg>{ "failed fast (breaker, budget, throttle, bulkhead, cancelled hedge)" }</li>
            <li><svg width="18" height="12" aria-hidden="true"><rect class="breaker-band fill-breaker-hatch-a" width="18" height="12" /></svg>{ "breaker open (hatched) · half-open (light)" }</li>
            <li><svg width="18" height="12" aria-hidden="true"><rect class="window-band outage" width="18" height="12" /></svg>{ "outage" }</li>
            <li>{ "✓ succeeded · ✗ gave up · hedges overlap in a second row · layers: a bracket per upper attempt over the requests it caused" }</li>
        </ul>
    }
}
