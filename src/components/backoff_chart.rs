//! Delay per retry: the jitter envelope as a band, the seed's planned draw as
//! a dot, and every backoff the last run actually slept as small marks
//! (where this run's draws fell inside the envelope), with a key of its own
//! above the plot.

use std::rc::Rc;

use flaky::sim::Trace;
use policy::{PlannedRetry, SleepReason};
use yew::prelude::*;

use crate::same::Same;

use crate::view::ms_label;

#[derive(Properties, PartialEq)]
pub struct BackoffChartProps {
    pub plan: Vec<PlannedRetry>,
    #[prop_or_default]
    pub trace: Same<Option<Rc<Trace>>>,
}

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const PAD_LEFT: f64 = 64.0;
const PAD_BOTTOM: f64 = 28.0;
const PAD_TOP: f64 = 30.0;
/// Retries drawn at most (attempts.max = 0 plans 50).
const RETRIES_SHOWN: usize = 12;

#[component(BackoffChart)]
pub fn backoff_chart(props: &BackoffChartProps) -> Html {
    let plan: Vec<&PlannedRetry> = props.plan.iter().take(RETRIES_SHOWN).collect();
    if plan.is_empty() {
        return html! { <p class="empty" data-testid="backoff-chart">{ "No retries: the first attempt is the only one." }</p> };
    }
    // (retry, slept ms) of every backoff in the last run.
    let slept: Vec<(u32, u64)> = props
        .trace
        .iter()
        .flat_map(|t| t.calls.iter().flat_map(|c| c.sleeps.iter()))
        .filter_map(|s| match s.reason {
            SleepReason::Backoff {
                retry, planned_ms, ..
            } if (retry as usize) <= plan.len() => Some((retry, planned_ms)),
            _ => None,
        })
        .take(5000)
        .collect();
    let y_max = plan
        .iter()
        .map(|p| p.envelope_ms.1.max(p.drawn_ms))
        .chain(slept.iter().map(|s| s.1))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let band = (WIDTH - PAD_LEFT - 8.0) / plan.len() as f64;
    let y = |ms: u64| PAD_TOP + (HEIGHT - PAD_TOP - PAD_BOTTOM) * (1.0 - ms as f64 / y_max);
    let x_mid = |retry: u32| PAD_LEFT + band * (retry as f64 - 0.5);
    html! {
        <svg class="chart" data-testid="backoff-chart" viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img"
             aria-label="Backoff delay per retry: envelope, planned draw, and delays slept in the last run">
            <line class="axis" x1={PAD_LEFT.to_string()} y1={y(0).to_string()} x2={WIDTH.to_string()} y2={y(0).to_string()} />
            <text class="tick" x={(PAD_LEFT - 6.0).to_string()} y={(y(y_max as u64) + 4.0).to_string()} text-anchor="end">{ ms_label(y_max as u64) }</text>
            <text class="tick" x={(PAD_LEFT - 6.0).to_string()} y={(y(0) + 4.0).to_string()} text-anchor="end">{ "0" }</text>
            <text class="tick" x={(WIDTH - 4.0).to_string()} y={(HEIGHT - 2.0).to_string()} text-anchor="end">{ "retry n" }</text>
            { for plan.iter().map(|p| {
                let x = PAD_LEFT + band * (p.retry as f64 - 1.0);
                let (lo, hi) = p.envelope_ms;
                html! {
                    <g class="retry" data-testid="backoff-retry" data-retry={p.retry.to_string()} data-min-ms={lo.to_string()} data-max-ms={hi.to_string()}>
                        <rect class="envelope" x={(x + band * 0.2).to_string()} width={(band * 0.6).to_string()}
                              y={y(hi).to_string()} height={(y(lo) - y(hi)).max(2.0).to_string()}>
                            <title>{ format!("retry {}: {} – {} ({})", p.retry, ms_label(lo), ms_label(hi), p.formula) }</title>
                        </rect>
                        <text class="tick" x={(x + band * 0.5).to_string()} y={(HEIGHT - 8.0).to_string()} text-anchor="middle">{ p.retry }</text>
                    </g>
                }
            }) }
            <text class="tick key" x="8" y="14">
                { format!("▭ envelope · ● this seed's plan · • {} sleeps this run", slept.len()) }
            </text>
            // A few paths of dots, not an element per sleep (up to 5,000 of
            // them, all moved on every knob change): dots in different
            // layers overlap darker, so many draws still read as a distribution.
            <g class="slept-draws" data-testid="backoff-draws" data-count={slept.len().to_string()}>
            { for slept_layers(&slept, |i, retry, ms| {
                // Spread marks sideways a little so many draws read as a distribution.
                let dx = ((i as f64 * 0.618_034) % 1.0 - 0.5) * band * 0.5;
                (x_mid(retry) + dx, y(ms))
            }).into_iter().map(|d| html! { <path class="slept" d={d} /> }) }
            </g>
            { for plan.iter().map(|p| html! {
                <circle class="drawn" cx={x_mid(p.retry).to_string()} cy={y(p.drawn_ms).to_string()} r="5">
                    <title>{ format!("retry {}: this seed draws {}", p.retry, ms_label(p.drawn_ms)) }</title>
                </circle>
            }) }
        </svg>
    }
}

/// Layers of slept marks: a dot of each sleep, dealt round-robin into
/// [`SLEPT_LAYERS`] path data (`M x y h0`: a zero-length line drawn with
/// round caps), `at(index, retry, ms)` placing each.
fn slept_layers(slept: &[(u32, u64)], at: impl Fn(usize, u32, u64) -> (f64, f64)) -> Vec<String> {
    use std::fmt::Write;
    let mut layers = vec![String::new(); SLEPT_LAYERS.min(slept.len())];
    for (i, &(retry, ms)) in slept.iter().enumerate() {
        let (x, y) = at(i, retry, ms);
        let _ = write!(layers[i % SLEPT_LAYERS], "M{x:.1} {y:.1}h0");
    }
    layers
}

/// How many paths the slept marks are dealt into: overlapping dots of
/// different paths darken, as separate marks did.
const SLEPT_LAYERS: usize = 6;
