//! The sweep chart and the profiles chart as geometry: scales (linear or
//! log x, categorical for choices), ticks, each side's curve with its 95%
//! band, and the profiles as labelled dots with the Pareto front marked.
//! Units are the SVG's viewBox units ([`FRAME`]).
//!
//! | scale | x of value v in [from, to] |
//! |---|---|
//! | linear | left + (v − from) / (to − from) · plot width |
//! | log | left + ln(v / from) / ln(to / from) · plot width |
//! | choices | left + (i + ½) / n · plot width |

use std::rc::Rc;

use flaky::sweep::{front, goal_of, Point, Scale};

use crate::settings::{Side, Sweep, SWEEP_MEASURES};

/// The chart's viewBox and its plot's margins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

/// Both charts' frame: room for tick labels on the left and below.
pub const FRAME: Frame = Frame {
    width: 640.0,
    height: 280.0,
    left: 72.0,
    right: 16.0,
    top: 12.0,
    bottom: 50.0,
};

impl Frame {
    pub fn plot_right(&self) -> f64 {
        self.width - self.right
    }
    pub fn plot_bottom(&self) -> f64 {
        self.height - self.bottom
    }
}

/// A tick: its position along the axis and its label.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Tick {
    pub at: f64,
    pub label: String,
    /// The label's row below the axis (0 or 1): many choices' names alternate.
    pub row: u32,
}

/// One computed point of a side's curve.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePoint {
    /// The value's index in the sweep.
    pub index: usize,
    /// The knob's value, as text.
    pub value: String,
    pub x: f64,
    pub y: f64,
    /// The 95% band's ends at this value (y_hi ≤ y ≤ y_lo: SVG's y grows down).
    pub y_lo: f64,
    pub y_hi: f64,
    /// `value → mean [lo, hi]`, for the point's title.
    pub label: String,
}

/// A side's curve: its points, the line through them and the band around them.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub side: Side,
    pub points: Vec<CurvePoint>,
    /// SVG path data: the means joined.
    pub line: String,
    /// SVG path data: the band, along the upper ends and back along the lower.
    pub band: String,
}

/// The sweep chart.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepChart {
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub x_label: String,
    pub y_label: String,
    pub curves: Vec<Curve>,
}

/// A measure's label in words.
pub fn measure_label(measure: &str) -> &str {
    SWEEP_MEASURES
        .iter()
        .find(|(m, _)| *m == measure)
        .map_or(measure, |(_, label)| label)
}

/// A number as a tick or point label: whole when it is, else 3 significant digits.
pub fn number_label(v: f64) -> String {
    if (v.fract() == 0.0 && v.abs() < 1e15) || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// A linear scale from `[lo, hi]` to `[a, b]`, with "nice" ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear {
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
}

impl Linear {
    /// Covers `[min, max]` with about four nice steps (1, 2 or 5 × 10^k).
    pub fn nice(min: f64, max: f64) -> Linear {
        let (min, max) = if min == max {
            (min - 1.0, max + 1.0)
        } else {
            (min, max)
        };
        let raw = (max - min) / 4.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        Linear {
            lo: (min / step).floor() * step,
            hi: (max / step).ceil() * step,
            step,
        }
    }

    /// Where `v` falls between `a` (at lo) and `b` (at hi).
    pub fn at(&self, v: f64, a: f64, b: f64) -> f64 {
        a + (v - self.lo) / (self.hi - self.lo) * (b - a)
    }

    /// The ticks from lo to hi, placed between `a` and `b`.
    pub fn ticks(&self, a: f64, b: f64) -> Vec<Tick> {
        let n = ((self.hi - self.lo) / self.step).round() as u32;
        (0..=n)
            .map(|i| {
                let v = self.lo + f64::from(i) * self.step;
                Tick {
                    at: self.at(v, a, b),
                    label: number_label(v),
                    row: 0,
                }
            })
            .collect()
    }
}

/// Where each value sits on the x axis, and the x ticks.
fn x_positions(sweep: &Sweep, values: &[String]) -> (Vec<f64>, Vec<Tick>) {
    let f = FRAME;
    let (l, r) = (f.left, f.plot_right());
    let numbers: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok()).collect();
    match (sweep.range, numbers) {
        (Some(range), Some(numbers)) if range.to > range.from => {
            let (from, to) = (range.from, range.to);
            let log = range.scale == Scale::Log && from > 0.0;
            let place = |v: f64| {
                let t = if log {
                    (v / from).ln() / (to / from).ln()
                } else {
                    (v - from) / (to - from)
                };
                l + t.clamp(0.0, 1.0) * (r - l)
            };
            let ticks = if log {
                let mut ticks = vec![];
                let mut decade = 10f64.powf(from.log10().ceil());
                while decade <= to * 1.000_001 {
                    ticks.push(Tick {
                        at: place(decade),
                        label: number_label(decade),
                        row: 0,
                    });
                    decade *= 10.0;
                }
                if ticks.len() < 2 {
                    ticks = [from, to]
                        .iter()
                        .map(|&v| Tick {
                            at: place(v),
                            label: number_label(v),
                            row: 0,
                        })
                        .collect();
                }
                ticks
            } else {
                let scale = Linear::nice(from, to);
                scale
                    .ticks(0.0, 1.0)
                    .into_iter()
                    .filter_map(|t| {
                        let v = scale.lo + t.at * (scale.hi - scale.lo);
                        (v >= from - 1e-9 && v <= to + 1e-9).then(|| Tick {
                            at: place(v),
                            label: t.label,
                            row: 0,
                        })
                    })
                    .collect()
            };
            (numbers.into_iter().map(place).collect(), ticks)
        }
        _ => {
            let n = values.len().max(1) as f64;
            let xs: Vec<f64> = (0..values.len())
                .map(|i| l + (i as f64 + 0.5) / n * (r - l))
                .collect();
            // More than five names alternate between two rows, so they do not overlap.
            let stagger = values.len() > 5;
            let ticks = xs
                .iter()
                .zip(values)
                .enumerate()
                .map(|(i, (&at, v))| Tick {
                    at,
                    label: v.clone(),
                    row: u32::from(stagger && i % 2 == 1),
                })
                .collect();
            (xs, ticks)
        }
    }
}

/// `M x y L x y ...` through the points.
fn path(points: impl Iterator<Item = (f64, f64)>) -> String {
    let mut out = String::new();
    for (i, (x, y)) in points.enumerate() {
        out.push_str(if i == 0 { "M" } else { " L" });
        out.push_str(&format!("{x:.1} {y:.1}"));
    }
    out
}

/// The sweep chart of `measure` over the points in so far (A's, and B's when swept).
pub fn sweep_chart(
    sweep: &Sweep,
    values: &[String],
    points: &[Option<Rc<Point>>],
    with_b: bool,
) -> SweepChart {
    let f = FRAME;
    let (xs, x_ticks) = x_positions(sweep, values);
    let sides: &[Side] = if with_b {
        &[Side::A, Side::B]
    } else {
        &[Side::A]
    };
    let interval = |p: &Point, side: Side| {
        p.rows
            .iter()
            .find(|r| r.name == sweep.measure)
            .and_then(|r| match side {
                Side::A => r.a,
                Side::B => r.b,
            })
    };
    let all: Vec<(usize, Side, flaky::stats::Interval)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_ref().map(|p| (i, p)))
        .flat_map(|(i, p)| {
            sides
                .iter()
                .filter_map(move |&s| interval(p, s).map(|iv| (i, s, iv)))
        })
        .filter(|(_, _, iv)| iv.lo.is_finite() && iv.hi.is_finite())
        .collect();
    let min = all
        .iter()
        .map(|(_, _, iv)| iv.lo)
        .fold(f64::INFINITY, f64::min);
    let max = all
        .iter()
        .map(|(_, _, iv)| iv.hi)
        .fold(f64::NEG_INFINITY, f64::max);
    let y_scale = if all.is_empty() {
        Linear::nice(0.0, 1.0)
    } else {
        Linear::nice(min, max)
    };
    let (top, bottom) = (f.top, f.plot_bottom());
    let y = |v: f64| y_scale.at(v, bottom, top);
    let curves = sides
        .iter()
        .map(|&side| {
            let points: Vec<CurvePoint> = all
                .iter()
                .filter(|(_, s, _)| *s == side)
                .map(|&(i, _, iv)| CurvePoint {
                    index: i,
                    value: values[i].clone(),
                    x: xs[i],
                    y: y(iv.mean),
                    y_lo: y(iv.lo),
                    y_hi: y(iv.hi),
                    label: format!(
                        "{} = {}: {} [{}, {}]",
                        sweep.knob,
                        values[i],
                        number_label(iv.mean),
                        number_label(iv.lo),
                        number_label(iv.hi)
                    ),
                })
                .collect();
            let line = path(points.iter().map(|p| (p.x, p.y)));
            let band = if points.is_empty() {
                String::new()
            } else {
                let upper = points.iter().map(|p| (p.x, p.y_hi));
                let lower = points.iter().rev().map(|p| (p.x, p.y_lo));
                format!("{} Z", path(upper.chain(lower)))
            };
            Curve {
                side,
                points,
                line,
                band,
            }
        })
        .collect();
    SweepChart {
        x_ticks,
        y_ticks: y_scale.ticks(bottom, top),
        x_label: sweep.knob.clone(),
        y_label: measure_label(&sweep.measure).to_string(),
        curves,
    }
}

/// One library profile on the profiles chart.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileDot {
    pub id: String,
    /// The id without `lib-`, as the dot's label.
    pub label: String,
    pub x: f64,
    pub y: f64,
    /// On the Pareto front of the two measures.
    pub on_front: bool,
    /// Where its label's baseline is: above the dot, moved down past labels
    /// placed before it that it would overlap.
    pub label_y: f64,
    /// `label: x …, y …`, for the dot's title.
    pub title: String,
}

/// The profiles chart: each computed profile at (x measure, y measure).
#[derive(Clone, Debug, PartialEq)]
pub struct ProfilesChart {
    pub dots: Vec<ProfileDot>,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub x_label: String,
    pub y_label: String,
}

/// Label height and the width a label is taken to cover, in viewBox units.
const LABEL_H: f64 = 13.0;
const LABEL_W: f64 = 150.0;

/// Labels above their dots, top to bottom; one that would overlap a label
/// already placed near it moves down below that one.
fn place_labels(dots: &mut [ProfileDot]) {
    let mut order: Vec<usize> = (0..dots.len()).collect();
    order.sort_by(|&a, &b| dots[a].y.total_cmp(&dots[b].y));
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for i in order {
        let mut y = dots[i].y - 6.0;
        while placed
            .iter()
            .any(|&(x, py)| (x - dots[i].x).abs() < LABEL_W && (py - y).abs() < LABEL_H)
        {
            y += LABEL_H;
        }
        placed.push((dots[i].x, y));
        dots[i].label_y = y;
    }
}

/// The profiles at (`x`, `y`) (the user's pick, `ProfileAxes`); the front
/// by both measures' goals (`flaky::sweep::goal_of`: success rate and goodput higher).
pub fn profiles_chart(
    ids: &[String],
    points: &[Option<Rc<Point>>],
    x: &str,
    y: &str,
) -> ProfilesChart {
    let f = FRAME;
    let mean = |p: &Point, m: &str| {
        p.rows
            .iter()
            .find(|r| r.name == m)
            .and_then(|r| r.a)
            .map(|i| i.mean)
    };
    let known: Vec<(&String, f64, f64)> = ids
        .iter()
        .zip(points)
        .filter_map(|(id, p)| {
            let p = p.as_ref()?;
            Some((id, mean(p, x)?, mean(p, y)?))
        })
        .filter(|(_, a, b)| a.is_finite() && b.is_finite())
        .collect();
    let on_front = front(
        &known.iter().map(|&(_, a, b)| (a, b)).collect::<Vec<_>>(),
        (goal_of(x), goal_of(y)),
    );
    let range = |vals: Vec<f64>| {
        let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if vals.is_empty() {
            Linear::nice(0.0, 1.0)
        } else {
            Linear::nice(min, max)
        }
    };
    let xs = range(known.iter().map(|k| k.1).collect());
    let ys = range(known.iter().map(|k| k.2).collect());
    let mut dots: Vec<ProfileDot> = known
        .iter()
        .zip(on_front)
        .map(|(&(id, a, b), on_front)| {
            let label = id.strip_prefix("lib-").unwrap_or(id).to_string();
            ProfileDot {
                title: format!(
                    "{label}: {} {}, {} {}{}",
                    measure_label(x),
                    number_label(a),
                    measure_label(y),
                    number_label(b),
                    if on_front { " (on the front)" } else { "" }
                ),
                id: id.clone(),
                label,
                x: xs.at(a, f.left, f.plot_right()),
                y: ys.at(b, f.plot_bottom(), f.top),
                on_front,
                label_y: 0.0,
            }
        })
        .collect();
    place_labels(&mut dots);
    ProfilesChart {
        dots,
        x_ticks: xs.ticks(f.left, f.plot_right()),
        y_ticks: ys.ticks(f.plot_bottom(), f.top),
        x_label: measure_label(x).to_string(),
        y_label: measure_label(y).to_string(),
    }
}
