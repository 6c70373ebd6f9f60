//! Server load over time: requests arriving per bucket (bars) and the most
//! requests in flight at once (line) — where a retry storm shows.

use std::rc::Rc;

use flaky::sim::Trace;
use yew::prelude::*;

use crate::view::ms_label;

#[derive(Properties, PartialEq)]
pub struct LoadChartProps {
    pub trace: Option<Rc<Trace>>,
}

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 10.0;

#[component(LoadChart)]
pub fn load_chart(props: &LoadChartProps) -> Html {
    let Some(trace) = props.trace.as_ref().filter(|t| !t.server_load.is_empty()) else {
        return html! { <p class="empty" data-testid="load-chart">{ "No requests yet." }</p> };
    };
    let load = &trace.server_load;
    let end = load.last().map(|l| l.until_ms).unwrap_or(1).max(1) as f64;
    let arrivals_max = load.iter().map(|l| l.arrivals).max().unwrap_or(0).max(1) as f64;
    let flight_max = load
        .iter()
        .map(|l| u64::from(l.in_flight_max))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x = |t: u64| LEFT + (t as f64 / end) * (WIDTH - LEFT - 8.0);
    let y = |v: f64, max: f64| TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v / max);
    let line: String = load
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                x((l.from_ms + l.until_ms) / 2),
                y(f64::from(l.in_flight_max), flight_max)
            )
        })
        .collect();
    html! {
        <svg class="chart" data-testid="load-chart" viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label="Server load over time">
            { for load.iter().filter(|l| l.arrivals > 0).map(|l| html! {
                <rect class="arrivals" x={x(l.from_ms).to_string()} width={(x(l.until_ms) - x(l.from_ms)).max(1.0).to_string()}
                    y={y(l.arrivals as f64, arrivals_max).to_string()} height={(y(0.0, arrivals_max) - y(l.arrivals as f64, arrivals_max)).to_string()}>
                    <title>{ format!("{} → {}: {} requests arrived, at most {} in flight", ms_label(l.from_ms), ms_label(l.until_ms), l.arrivals, l.in_flight_max) }</title>
                </rect>
            }) }
            <path class="in-flight" d={line} />
            <line class="axis" x1={LEFT.to_string()} x2={WIDTH.to_string()} y1={y(0.0, 1.0).to_string()} y2={y(0.0, 1.0).to_string()} />
            <text class="tick" x={(LEFT - 4.0).to_string()} y={(TOP + 8.0).to_string()} text-anchor="end">{ arrivals_max as u64 }</text>
            <text class="tick" x={(LEFT - 4.0).to_string()} y={(HEIGHT - BOTTOM).to_string()} text-anchor="end">{ "0" }</text>
            <text class="tick" x={(WIDTH - 8.0).to_string()} y={(HEIGHT - 6.0).to_string()} text-anchor="end">{ ms_label(end as u64) }</text>
            <text class="tick" x={LEFT.to_string()} y={(HEIGHT - 6.0).to_string()}>{ "0" }</text>
            <text class="tick key-arrivals" x={(LEFT + 60.0).to_string()} y={(HEIGHT - 6.0).to_string()}>{ "▮ arrivals per bucket" }</text>
            <text class="tick key-flight" x={(LEFT + 220.0).to_string()} y={(HEIGHT - 6.0).to_string()}>{ format!("— in flight (peak {})", flight_max as u64) }</text>
        </svg>
    }
}
