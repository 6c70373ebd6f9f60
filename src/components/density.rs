//! The density view: every attempt of a run, over time (by when it started)
//! and by outcome, as stacked columns. It reads at 30,000 calls and more, and
//! draws at most 128 columns whatever the run's size.

use std::rc::Rc;

use flaky::sim::Trace;
use yew::prelude::*;

use crate::same::Same;

use crate::view::{self, ms_label};

#[derive(Properties, PartialEq)]
pub struct DensityProps {
    pub trace: Same<Rc<Trace>>,
    /// The time axis' end, ms (shared with the lanes below).
    pub span_ms: u64,
}

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const HEIGHT: f64 = 130.0;
const TOP: f64 = 8.0;

#[component(Density)]
pub fn density(props: &DensityProps) -> Html {
    let (columns, tallest) = view::density_columns(&props.trace.density);
    let span = props.span_ms.max(1) as f64;
    let x = |t: u64| LEFT + ((t as f64).min(span) / span) * (WIDTH - LEFT - RIGHT);
    let y_scale = (HEIGHT - TOP - 4.0) / tallest.max(1) as f64;
    let attempts = props.trace.summary.attempts;
    let label = format!(
        "Attempt density: {attempts} attempts of {} calls over {}, stacked by outcome; tallest column {tallest}",
        props.trace.summary.calls,
        ms_label(props.span_ms)
    );
    html! {
        <svg class="density" data-testid="density" data-attempts={attempts.to_string()}
             viewBox={format!("0 0 {WIDTH} {HEIGHT}")} width="100%" role="img" aria-label={label}>
            <text class="axis-label" x={(LEFT - 8.0).to_string()} y={(TOP + 10.0).to_string()} text-anchor="end">{ compact(tallest) }</text>
            <text class="axis-label" x={(LEFT - 8.0).to_string()} y={(HEIGHT - 4.0).to_string()} text-anchor="end">{ "0" }</text>
            <line class="baseline" x1={LEFT.to_string()} x2={(WIDTH - RIGHT).to_string()} y1={(HEIGHT - 4.0).to_string()} y2={(HEIGHT - 4.0).to_string()} />
            { for columns.iter().map(|c| {
                let (x1, x2) = (x(c.from_ms), x(c.until_ms));
                let w = (x2 - x1 - 0.5).max(1.0);
                let mut bottom = HEIGHT - 4.0;
                let tip = format!(
                    "{} → {}: {}",
                    ms_label(c.from_ms),
                    ms_label(c.until_ms),
                    c.segments.iter().map(|(class, n)| format!("{n} {}", class_words(class))).collect::<Vec<_>>().join(", ")
                );
                html! {
                    <g class="density-column">
                        <title>{ tip }</title>
                        { for c.segments.iter().map(|(class, n)| {
                            let h = *n as f64 * y_scale;
                            bottom -= h;
                            let class = if *class == "unfinished" { "pending" } else { class };
                            html! { <rect class={format!("bar o-{class}")} x={x1.to_string()} y={bottom.to_string()} width={w.to_string()} height={h.max(0.5).to_string()} /> }
                        }) }
                    </g>
                }
            }) }
        </svg>
    }
}

/// A count short enough for the axis at any text size: 950, 30k, 1.2M.
fn compact(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1_000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

fn class_words(class: &str) -> &'static str {
    match class {
        "2xx" => "succeeded",
        "409" => "409 in flight",
        "429" => "429",
        "4xx" => "4xx",
        "5xx" => "5xx",
        "network_error" => "network errors",
        "timed_out" => "timed out",
        _ => "unfinished",
    }
}
