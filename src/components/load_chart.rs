//! Server load over time: requests arriving per second (bars, or a curve per
//! side when comparing) and the most requests in flight at once (line) —
//! where a retry storm shows. Comparing, A's and B's curves share one chart
//! and one time axis. A replay's cursor cuts the drawing at its time. A
//! server with a capacity limit adds its queue length (dashed line) and the
//! requests it shed or rejected (bars from the bottom, on the requests/s scale);
//! comparing, a dotted queue line per side on one scale.

use std::rc::Rc;

use flaky::sim::{LoadSample, Trace, WindowKind};
use yew::prelude::*;

use crate::same::Same;

use crate::view::{self, ms_label};

#[derive(Properties, PartialEq)]
pub struct LoadChartProps {
    pub trace: Same<Option<Rc<Trace>>>,
    /// Side B's trace, when comparing.
    #[prop_or_default]
    pub trace_b: Same<Option<Rc<Trace>>>,
    #[prop_or_default]
    pub cursor: Option<f64>,
    /// Drawing size in user units; text is [`LoadChartProps::text`] units high.
    #[prop_or(560.0)]
    pub width: f64,
    #[prop_or(200.0)]
    pub height: f64,
    #[prop_or(12.0)]
    pub text: f64,
}

/// Requests per second in a sample.
fn rate(l: &LoadSample) -> f64 {
    let seconds = (l.until_ms.saturating_sub(l.from_ms)).max(1) as f64 / 1000.0;
    l.arrivals as f64 / seconds
}

#[component(LoadChart)]
pub fn load_chart(props: &LoadChartProps) -> Html {
    let sides: Vec<(&str, &Rc<Trace>)> = [("a", &props.trace), ("b", &props.trace_b)]
        .into_iter()
        .filter_map(|(side, t)| t.as_ref().map(|t| (side, t)))
        .filter(|(_, t)| !t.server_load.is_empty())
        .collect();
    if sides.is_empty() {
        return html! { <p class="empty" data-testid="load-chart">{ "No requests yet." }</p> };
    }
    let comparing = props.trace_b.is_some();
    let (width, height, text) = (props.width, props.height, props.text);
    let end = sides
        .iter()
        .filter_map(|(_, t)| t.server_load.last().map(|l| l.until_ms))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let cut = props.cursor.unwrap_or(f64::INFINITY);
    let shown = |l: &&LoadSample| (l.from_ms as f64) < cut;
    let binned: Vec<(&str, Vec<LoadSample>)> = sides
        .iter()
        .map(|(side, t)| {
            (
                *side,
                if comparing {
                    app_core::load::rebin(&t.server_load, end)
                } else {
                    t.server_load.clone()
                },
            )
        })
        .collect();
    let queue = (!comparing)
        .then(|| view::queue_chart(&sides[0].1.server_queue))
        .flatten();
    // Comparing: both sides' queues on one scale.
    let queue_peak = sides
        .iter()
        .filter_map(|(_, t)| view::queue_chart(&t.server_queue))
        .map(|q| q.peak)
        .max();
    let (_, a) = sides[0];
    let flight_max = a
        .server_load
        .iter()
        .map(|l| u64::from(l.in_flight_max))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let capacity = sides[0].1.capacity_rps;
    let keys = chart_keys(
        &sides,
        comparing,
        flight_max as u64,
        queue.as_ref().map(|q| q.key.as_str()),
        queue_peak,
    );
    let key_texts: Vec<&str> = keys.iter().map(|(_, k)| k.as_str()).collect();
    // The key has rows of its own above the plot; the breaker's label a row below it.
    let places = view::keys::key_rows(&key_texts, 8.0, width - 8.0, text);
    let key_h = f64::from(view::keys::row_count(&places)) * text * 1.3;
    let opened = breaker_opened(&sides);
    let left = text * 4.2;
    let bottom = text * if opened.is_empty() { 1.9 } else { 3.2 };
    let top = key_h + text * 0.6;
    let rate_max = binned
        .iter()
        .flat_map(|(_, load)| load.iter().map(rate))
        .fold(0.0f64, f64::max)
        .max(queue.as_ref().map_or(0.0, |q| q.shed_rate_max))
        .max(f64::from(capacity) * 1.1)
        .max(1.0);
    let x = |t: u64| left + (t as f64 / end) * (width - left - 8.0);
    let y = |v: f64, max: f64| top + (height - top - bottom) * (1.0 - v / max);
    let curve = |load: &[LoadSample], value: &dyn Fn(&LoadSample) -> f64, max: f64| -> String {
        load.iter()
            .filter(shown)
            .enumerate()
            .map(|(i, l)| {
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { " L" },
                    x((l.from_ms + l.until_ms) / 2),
                    y(value(l), max)
                )
            })
            .collect()
    };
    let queue_path = |samples: &[flaky::trace::QueueSample], peak: u32| -> String {
        samples
            .iter()
            .filter(|s| (s.from_ms as f64) < cut)
            .enumerate()
            .map(|(i, s)| {
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { " L" },
                    x((s.from_ms + s.until_ms) / 2),
                    y(f64::from(s.queue_len_max), f64::from(peak.max(1)))
                )
            })
            .collect()
    };
    // A presentation attribute, not `style=`: the page's CSP allows no inline styles.
    let font = format!("{text}");
    html! {
        <svg class="chart load" data-testid="load-chart" viewBox={format!("0 0 {width} {height}")} role="img"
            aria-label={if comparing { "Server load over time, A and B" } else { "Server load over time" }} data-sides={sides.len().to_string()}>
            // Behind the curves: outages and spikes as bands, where a breaker opened.
            { for sides[0].1.windows.iter().filter(|w| (w.from_ms as f64) < end).map(|w| {
                let (class, words) = match w.kind { WindowKind::Outage => ("outage", "outage"), WindowKind::Spike => ("spike", "arrival spike") };
                let (x1, x2) = (x(w.from_ms), x(w.until_ms.min(end as u64)));
                html! {
                    <rect class={classes!("window-band", class)} data-testid={format!("{class}-band")}
                        x={x1.to_string()} width={(x2 - x1).max(3.0).to_string()} y={top.to_string()} height={(height - top - bottom).to_string()}>
                        <title>{ format!("{words}: {} → {}", ms_label(w.from_ms), ms_label(w.until_ms)) }</title>
                    </rect>
                }
            }) }
            { for opened.iter().filter(|t| (**t as f64) < end).map(|t| html! {
                <line class="breaker-open-line" x1={x(*t).to_string()} x2={x(*t).to_string()} y1={top.to_string()} y2={(height - bottom + text * 0.3).to_string()}>
                    <title>{ format!("a breaker opens at {}", ms_label(*t)) }</title>
                </line>
            }) }
            if capacity > 0 {
                <line class="capacity" data-testid="capacity-line" x1={left.to_string()} x2={(width - 8.0).to_string()}
                    y1={y(f64::from(capacity), rate_max).to_string()} y2={y(f64::from(capacity), rate_max).to_string()}>
                    <title>{ format!("the server's capacity: {capacity} requests/s") }</title>
                </line>
            }
            if comparing {
                { for binned.iter().map(|(side, load)| html! {
                    <path class={format!("rate side-{side}")} data-testid={format!("load-curve-{side}")} d={curve(load, &rate, rate_max)} />
                }) }
                if let Some(peak) = queue_peak {
                    { for sides.iter().filter(|(_, t)| !t.server_queue.is_empty()).map(|(side, t)| html! {
                        <path class={format!("queue side-{side}")} data-testid={format!("load-queue-{side}")} d={queue_path(&t.server_queue, peak)} />
                    }) }
                }
            } else {
                { for a.server_load.iter().filter(shown).filter(|l| l.arrivals > 0).map(|l| html! {
                    <rect class="arrivals" x={x(l.from_ms).to_string()} width={(x(l.until_ms) - x(l.from_ms)).max(1.0).to_string()}
                        y={y(rate(l), rate_max).to_string()} height={(y(0.0, rate_max) - y(rate(l), rate_max)).to_string()}>
                        <title>{ format!("{} → {}: {} requests arrived ({:.0}/s), at most {} in flight", ms_label(l.from_ms), ms_label(l.until_ms), l.arrivals, rate(l), l.in_flight_max) }</title>
                    </rect>
                }) }
                <path class="in-flight" d={curve(&a.server_load, &|l| f64::from(l.in_flight_max), flight_max)} />
                if let Some(q) = &queue {
                    { for a.server_queue.iter().filter(|s| (s.from_ms as f64) < cut && s.shed > 0).map(|s| html! {
                        <rect class="shed" x={x(s.from_ms).to_string()} width={(x(s.until_ms) - x(s.from_ms)).max(1.0).to_string()}
                            y={y(view::shed_rate(s), rate_max).to_string()} height={(y(0.0, rate_max) - y(view::shed_rate(s), rate_max)).to_string()}>
                            <title>{ format!("{} → {}: {} requests shed or rejected", ms_label(s.from_ms), ms_label(s.until_ms), s.shed) }</title>
                        </rect>
                    }) }
                    <path class="queue" data-testid="load-queue" d={queue_path(&a.server_queue, q.peak)} />
                }
            }
            if props.cursor.is_some_and(|c| c < end) {
                <line class="cursor" x1={x(cut as u64).to_string()} x2={x(cut as u64).to_string()} y1={top.to_string()} y2={(height - bottom).to_string()} />
            }
            <line class="axis" x1={left.to_string()} x2={width.to_string()} y1={y(0.0, 1.0).to_string()} y2={y(0.0, 1.0).to_string()} />
            <text class="tick" font-size={font.clone()} x={(left - 4.0).to_string()} y={(top + text * 0.7).to_string()} text-anchor="end">{ format!("{:.0}/s", rate_max) }</text>
            <text class="tick" font-size={font.clone()} x={(left - 4.0).to_string()} y={(height - bottom).to_string()} text-anchor="end">{ "0" }</text>
            <text class="tick" font-size={font.clone()} x={(width - 8.0).to_string()} y={(height - text * 0.3).to_string()} text-anchor="end">{ ms_label(end as u64) }</text>
            { for keys.iter().zip(&places).map(|((class, key), p)| html! {
                <text class={classes!("tick", "key", *class)} font-size={font.clone()} x={p.x.to_string()} y={(f64::from(p.row) * text * 1.3 + text).to_string()}>{ key.clone() }</text>
            }) }
            if let Some(first) = opened.first() {
                <text class="tick breaker-label" data-testid="breaker-open-label" font-size={font.clone()}
                    x={x(*first).to_string()} y={(height - bottom + text * 1.2).to_string()}
                    text-anchor={if x(*first) + text * 8.0 > width { "end" } else { "start" }}>{ "▲ breaker opens" }</text>
            }
        </svg>
    }
}

/// The key's entries, `(class, words)`, in the order they read.
fn chart_keys(
    sides: &[(&str, &Rc<Trace>)],
    comparing: bool,
    flight_peak: u64,
    queue: Option<&str>,
    queue_peak: Option<u32>,
) -> Vec<(&'static str, String)> {
    let mut keys = if comparing {
        let mut keys = vec![
            ("key-a", "— A requests/s".to_string()),
            ("key-b", "- - B requests/s".to_string()),
        ];
        if let Some(peak) = queue_peak {
            let peak = view::group_thousands(u64::from(peak));
            keys.push(("key-queue", format!("··· queue, A and B (peak {peak})")));
        }
        keys
    } else {
        let mut keys = vec![
            ("key-arrivals", "▮ requests/s".to_string()),
            ("key-flight", format!("— in flight (peak {flight_peak})")),
        ];
        if let Some(q) = queue {
            keys.push(("key-queue", format!("- - {q}")));
        }
        keys
    };
    let a = sides.first().map(|(_, t)| t);
    if let Some(capacity) = a.map(|t| t.capacity_rps).filter(|c| *c > 0) {
        keys.push(("key-capacity", format!("┄ capacity {capacity}/s")));
    }
    if a.is_some_and(|t| t.windows.iter().any(|w| w.kind == WindowKind::Outage)) {
        keys.push(("key-outage", "▨ outage".to_string()));
    }
    if a.is_some_and(|t| t.windows.iter().any(|w| w.kind == WindowKind::Spike)) {
        keys.push(("key-spike", "▨ spike".to_string()));
    }
    keys
}

/// When a breaker opened, on either side (the clients held in detail).
fn breaker_opened(sides: &[(&str, &Rc<Trace>)]) -> Vec<u64> {
    let mut at: Vec<u64> = sides
        .iter()
        .flat_map(|(_, t)| {
            let intervals = view::marks::breaker_intervals(&t.client_events, t.end_ms);
            view::marks::breaker_opened_ms(&intervals)
        })
        .collect();
    at.sort_unstable();
    at.dedup();
    at
}
