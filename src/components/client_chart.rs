//! Per-client state over time: the circuit breaker as a band (closed, open,
//! half-open) and the retry budget's level as a line.

use std::rc::Rc;

use flaky::sim::Trace;
use policy::{BreakerState, ClientEventKind};
use yew::prelude::*;

use crate::same::Same;

use crate::view::{self, ms_label};

#[derive(Properties, PartialEq)]
pub struct ClientChartProps {
    pub trace: Same<Option<Rc<Trace>>>,
}

const WIDTH: f64 = 560.0;
const LEFT: f64 = 64.0;
const BAND: f64 = 14.0;
/// Bands drawn at most; the rest are summarised.
const CLIENTS_SHOWN: u32 = 12;
const BUDGET_H: f64 = 80.0;

fn state_name(state: &BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open { .. } => "open",
        BreakerState::HalfOpen { .. } => "half-open",
    }
}

#[component(ClientChart)]
pub fn client_chart(props: &ClientChartProps) -> Html {
    let Some(trace) = &*props.trace else {
        return html! { <p class="empty"><span data-testid="breaker-state">{ "closed" }</span>{ " — no run yet." }</p> };
    };
    let span = view::span_ms(trace) as f64;
    let x = |t: u64| LEFT + (t as f64 / span).min(1.0) * (WIDTH - LEFT - 8.0);
    let clients = trace.calls.iter().map(|c| c.client + 1).max().unwrap_or(0);
    let shown = clients.min(CLIENTS_SHOWN);
    // Breaker segments per client: (from, until, state).
    let mut segments: Vec<Vec<(u64, u64, &'static str)>> = vec![Vec::new(); shown as usize];
    let mut current: Vec<(u64, &'static str)> = vec![(0, "closed"); shown as usize];
    let mut budget: Vec<(u64, f64)> = Vec::new();
    let mut last_state = "closed";
    for e in &trace.client_events {
        match &e.kind {
            ClientEventKind::Breaker(state) => {
                if e.client == 0 {
                    last_state = state_name(state);
                }
                if let Some(cur) = current.get_mut(e.client as usize) {
                    segments[e.client as usize].push((cur.0, e.at_ms, cur.1));
                    *cur = (e.at_ms, state_name(state));
                }
            }
            ClientEventKind::BudgetLevel(level) if e.client == 0 => budget.push((e.at_ms, *level)),
            ClientEventKind::BudgetLevel(_) => {}
        }
    }
    for (i, cur) in current.iter().enumerate() {
        segments[i].push((cur.0, span as u64, cur.1));
    }
    let any_breaker = trace
        .client_events
        .iter()
        .any(|e| matches!(e.kind, ClientEventKind::Breaker(_)));
    if !any_breaker && budget.is_empty() {
        return html! {
            <p class="state-line">{ "client 0 breaker: " }<strong class="breaker closed" data-testid="breaker-state">{ "closed" }</strong>
                <span class="sub">{ " — no breaker or budget is configured (breaker.kind, budget.kind), so every attempt goes through." }</span></p>
        };
    }
    let shown = if any_breaker { shown } else { 0 };
    let bands_h = BAND * shown as f64 + 4.0;
    let budget_top = bands_h + 18.0;
    let height = budget_top
        + if budget.is_empty() {
            0.0
        } else {
            BUDGET_H + 20.0
        };
    let by = |level: f64| budget_top + BUDGET_H * (1.0 - level.clamp(0.0, 1.0));
    let mut points = vec![(0u64, 1.0f64)];
    points.extend(budget.iter().copied());
    let path: String = points
        .iter()
        .enumerate()
        .map(|(i, (t, l))| {
            let prev = if i == 0 { *l } else { points[i - 1].1 };
            // Steps: the level holds until the next change.
            if i == 0 {
                format!("M{:.1},{:.1}", x(*t), by(*l))
            } else {
                format!(" L{:.1},{:.1} L{:.1},{:.1}", x(*t), by(prev), x(*t), by(*l))
            }
        })
        .collect::<String>()
        + &format!(
            " L{:.1},{:.1}",
            x(span as u64),
            by(points.last().map(|p| p.1).unwrap_or(1.0))
        );
    html! {
        <div>
            <p class="state-line">{ "client 0 breaker: " }
                <strong class={classes!("breaker", last_state)} data-testid="breaker-state">{ last_state }</strong>
                if !any_breaker { <span class="sub">{ " (no breaker configured or it never moved)" }</span> }
                if clients > shown { <span class="sub">{ format!(" · first {shown} of {clients} clients shown") }</span> }
            </p>
            <svg class="chart" data-testid="client-chart" viewBox={format!("0 0 {WIDTH} {height}")} role="img" aria-label="Breaker state per client and budget level over time">
                { for segments.iter().enumerate().flat_map(|(i, segs)| segs.iter().filter(|s| s.1 > s.0).map(move |(from, until, name)| html! {
                    <rect class={classes!("band", *name)} x={x(*from).to_string()} width={(x(*until) - x(*from)).max(0.5).to_string()}
                        y={(2.0 + BAND * i as f64).to_string()} height={(BAND - 2.0).to_string()}>
                        <title>{ format!("client {i}: {name} {} → {}", ms_label(*from), ms_label(*until)) }</title>
                    </rect>
                })) }
                { for (0..shown).map(|i| html! {
                    <text class="tick" x={(LEFT - 6.0).to_string()} y={(2.0 + BAND * i as f64 + BAND - 4.0).to_string()} text-anchor="end">{ format!("client {i}") }</text>
                }) }
                if !budget.is_empty() {
                    <text class="tick" x={(LEFT - 6.0).to_string()} y={(budget_top + 8.0).to_string()} text-anchor="end">{ "budget 100%" }</text>
                    <text class="tick" x={(LEFT - 6.0).to_string()} y={(budget_top + BUDGET_H).to_string()} text-anchor="end">{ "0%" }</text>
                    <line class="axis" x1={LEFT.to_string()} x2={WIDTH.to_string()} y1={(budget_top + BUDGET_H).to_string()} y2={(budget_top + BUDGET_H).to_string()} />
                    <path class="budget" d={path} data-testid="budget-line" />
                }
            </svg>
            <p class="legend-line"><span class="band-key closed"></span>{ "closed " }<span class="band-key open"></span>{ "open (fail fast) " }<span class="band-key half-open"></span>{ "half-open (probes)" }</p>
        </div>
    }
}
