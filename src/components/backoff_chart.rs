//! Delay per retry: the jitter envelope as a band, the drawn delays as dots.

use policy::PlannedRetry;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BackoffChartProps {
    pub plan: Vec<PlannedRetry>,
}

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const PAD_LEFT: f64 = 64.0;
const PAD_BOTTOM: f64 = 28.0;
const PAD_TOP: f64 = 12.0;

#[component(BackoffChart)]
pub fn backoff_chart(props: &BackoffChartProps) -> Html {
    let plan = &props.plan;
    if plan.is_empty() {
        return html! { <p class="empty" data-testid="backoff-chart">{ "No retries: the first attempt is the only one." }</p> };
    }
    let y_max = plan.iter().map(|p| p.envelope_ms.1.max(p.drawn_ms)).max().unwrap_or(0).max(1) as f64;
    let n = plan.len() as f64;
    let band = (WIDTH - PAD_LEFT - 8.0) / n;
    let y = |ms: u64| PAD_TOP + (HEIGHT - PAD_TOP - PAD_BOTTOM) * (1.0 - ms as f64 / y_max);
    html! {
        <svg class="chart" data-testid="backoff-chart" viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img"
             aria-label="Backoff delay per retry: envelope and drawn delay">
            <line class="axis" x1={PAD_LEFT.to_string()} y1={y(0).to_string()} x2={WIDTH.to_string()} y2={y(0).to_string()} />
            <text class="tick" x={(PAD_LEFT - 6.0).to_string()} y={(y(y_max as u64) + 4.0).to_string()} text-anchor="end">{ format!("{} ms", y_max as u64) }</text>
            <text class="tick" x={(PAD_LEFT - 6.0).to_string()} y={(y(0) + 4.0).to_string()} text-anchor="end">{ "0" }</text>
            { for plan.iter().enumerate().map(|(i, p)| {
                let x = PAD_LEFT + band * i as f64;
                let (lo, hi) = p.envelope_ms;
                html! {
                    <g class="retry">
                        <rect class="envelope" x={(x + band * 0.2).to_string()} width={(band * 0.6).to_string()}
                              y={y(hi).to_string()} height={(y(lo) - y(hi)).max(1.0).to_string()}>
                            <title>{ format!("retry {}: {}–{} ms", p.retry, lo, hi) }</title>
                        </rect>
                        <circle class="drawn" cx={(x + band * 0.5).to_string()} cy={y(p.drawn_ms).to_string()} r="5">
                            <title>{ format!("retry {}: drew {} ms", p.retry, p.drawn_ms) }</title>
                        </circle>
                        <text class="tick" x={(x + band * 0.5).to_string()} y={(HEIGHT - 8.0).to_string()} text-anchor="middle">{ p.retry }</text>
                    </g>
                }
            }) }
        </svg>
    }
}
