//! The sweep chart (A's and B's curves of one measure over the knob's
//! values, each with its 95% band; a click on a point sets that knob on that
//! side) and the profiles chart (each library profile as a labelled dot, the
//! Pareto front ringed; a click loads that profile as B). Geometry comes
//! from `app_core::view::sweep`; colours from classes (no inline styles).

use std::rc::Rc;

use app_core::settings::Sweep;
use app_core::state::PointsRun;
use app_core::view::sweep::{profiles_chart, sweep_chart, Tick, FRAME};
use yew::prelude::*;

use crate::state::Side;

#[derive(Properties, PartialEq)]
pub struct SweepChartProps {
    pub sweep: Sweep,
    pub run: PointsRun,
    /// A click on a point: (side, the value's index).
    pub on_pick: Callback<(Side, usize)>,
}

/// The axes: frame lines, tick labels and the two axis titles.
fn axes(x_ticks: &[Tick], y_ticks: &[Tick], x_label: &str, y_label: &str) -> Html {
    let f = FRAME;
    let (l, r, t, b) = (f.left, f.plot_right(), f.top, f.plot_bottom());
    html! {
        <g class="axes">
            <line class="axis" x1={l.to_string()} y1={b.to_string()} x2={r.to_string()} y2={b.to_string()} />
            <line class="axis" x1={l.to_string()} y1={t.to_string()} x2={l.to_string()} y2={b.to_string()} />
            { for y_ticks.iter().map(|tick| html! {
                <g>
                    <line class="grid" x1={l.to_string()} x2={r.to_string()} y1={tick.at.to_string()} y2={tick.at.to_string()} />
                    <text class="tick" x={(l - 6.0).to_string()} y={(tick.at + 4.0).to_string()} text-anchor="end">{ tick.label.clone() }</text>
                </g>
            }) }
            { for x_ticks.iter().map(|tick| html! {
                <text class="tick" x={tick.at.to_string()} y={(b + 16.0 + 14.0 * f64::from(tick.row)).to_string()} text-anchor="middle">{ tick.label.clone() }</text>
            }) }
            <text class="axis-label" x={((l + r) / 2.0).to_string()} y={(f.height - 6.0).to_string()} text-anchor="middle">{ x_label.to_string() }</text>
            <text class="axis-label" x="12" y={((t + b) / 2.0).to_string()} text-anchor="middle" transform={format!("rotate(-90 12 {})", (t + b) / 2.0)}>{ y_label.to_string() }</text>
        </g>
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::A => "a",
        Side::B => "b",
    }
}

#[component(SweepChart)]
pub fn sweep_chart_view(props: &SweepChartProps) -> Html {
    let chart = sweep_chart(
        &props.sweep,
        &props.run.values,
        &props.run.points,
        props.run.with_b,
    );
    let f = FRAME;
    let curves = chart.curves.iter().map(|curve| {
        let side = side_name(curve.side);
        let points = curve.points.iter().map(|p| {
            let on_pick = props.on_pick.clone();
            let (s, index) = (curve.side, p.index);
            let onclick = Callback::from(move |_: MouseEvent| on_pick.emit((s, index)));
            let onkeydown = {
                let on_pick = props.on_pick.clone();
                Callback::from(move |e: KeyboardEvent| {
                    if e.key() == "Enter" || e.key() == " " {
                        e.prevent_default();
                        on_pick.emit((s, index));
                    }
                })
            };
            let label = format!("{}: set {} on {} to {}", p.label, props.sweep.knob, side.to_uppercase(), p.value);
            html! {
                <g class={classes!("sweep-point", format!("side-{side}"))} data-testid="sweep-point" data-side={side} data-value={p.value.clone()}
                    role="button" tabindex="0" aria-label={label.clone()} {onclick} {onkeydown}>
                    <title>{ label }</title>
                    <line class="whisker" x1={p.x.to_string()} x2={p.x.to_string()} y1={p.y_lo.to_string()} y2={p.y_hi.to_string()} />
                    <circle class="hit" cx={p.x.to_string()} cy={p.y.to_string()} r="11" />
                    <circle class="dot" cx={p.x.to_string()} cy={p.y.to_string()} r="4.5" />
                </g>
            }
        });
        html! {
            <g class={classes!("curve", format!("side-{side}"))} data-testid={format!("sweep-curve-{side}")}>
                <path class="band" d={curve.band.clone()} />
                <path class="mean" d={curve.line.clone()} />
                { for points }
            </g>
        }
    });
    let (done, total) = props.run.progress();
    html! {
        <svg class="chart sweep-chart" data-testid="sweep-chart" viewBox={format!("0 0 {} {}", f.width, f.height)}
            role="group" aria-label={format!("{} against {}: {done} of {total} values computed", chart.y_label, chart.x_label)}>
            { axes(&chart.x_ticks, &chart.y_ticks, &chart.x_label, &chart.y_label) }
            { for curves }
        </svg>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProfilesChartProps {
    pub run: PointsRun,
    /// The measure across and the one up.
    pub x: AttrValue,
    pub y: AttrValue,
    /// A click on a profile: its id.
    pub on_pick: Callback<String>,
}

#[component(ProfilesChart)]
pub fn profiles_chart_view(props: &ProfilesChartProps) -> Html {
    let chart = profiles_chart(&props.run.values, &props.run.points, &props.x, &props.y);
    let f = FRAME;
    let dots = chart.dots.iter().map(|d| {
        let id = Rc::new(d.id.clone());
        let onclick = {
            let (on_pick, id) = (props.on_pick.clone(), id.clone());
            Callback::from(move |_: MouseEvent| on_pick.emit((*id).clone()))
        };
        let onkeydown = {
            let (on_pick, id) = (props.on_pick.clone(), id.clone());
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    on_pick.emit((*id).clone());
                }
            })
        };
        // Labels right of the dot, left of it near the right edge.
        let right = d.x > f.plot_right() - 120.0;
        let (lx, anchor) = if right { (d.x - 9.0, "end") } else { (d.x + 9.0, "start") };
        let label = format!("{}: load as B", d.title);
        html! {
            <g class={classes!("profile-point", d.on_front.then_some("front"))} data-testid="profile-point" data-id={d.id.clone()}
                data-front={if d.on_front { "1" } else { "0" }} role="button" tabindex="0" aria-label={label.clone()} {onclick} {onkeydown}>
                <title>{ label }</title>
                <circle class="hit" cx={d.x.to_string()} cy={d.y.to_string()} r="11" />
                <circle class="dot" cx={d.x.to_string()} cy={d.y.to_string()} r="5" />
                <text class="profile-label" x={lx.to_string()} y={d.label_y.to_string()} text-anchor={anchor}>{ d.label.clone() }</text>
            </g>
        }
    });
    html! {
        <svg class="chart profiles-chart" data-testid="profiles-chart" viewBox={format!("0 0 {} {}", f.width, f.height)}
            role="group" aria-label={format!("library profiles: {} against {}; ringed ones are on the front", chart.y_label, chart.x_label)}>
            { axes(&chart.x_ticks, &chart.y_ticks, &chart.x_label, &chart.y_label) }
            { for dots }
        </svg>
    }
}
