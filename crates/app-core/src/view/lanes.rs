//! How many lanes fit: the talk stage draws fewer, taller lanes, each at
//! least [`STAGE_LANE_MIN`] units high, and picks how many fit its height.

/// The smallest lane on the stage, in the timeline's user units (1000 wide):
/// at 1280×720 the stage draws them about 0.74 px a unit, so ≥ 13 px.
pub const STAGE_LANE_MIN: f64 = 18.0;

/// Room the timeline keeps for its axis row and margins, user units.
pub const TIMELINE_CHROME: f64 = 40.0;

/// The narrowest bar or mark on the stage, user units (≥ 4 px at 1280×720).
pub const STAGE_MARK_MIN: f64 = 6.0;

/// The narrowest bar or mark on the dashboard, user units.
pub const MARK_MIN: f64 = 4.0;

/// A lane's height relative to a plain one when its calls go through
/// `layers` layers: each layer above the bottom adds a row of brackets.
pub fn lane_rows(layers: u32) -> f64 {
    1.0 + 0.55 * f64::from(layers.saturating_sub(1))
}

/// How many lanes of at least [`STAGE_LANE_MIN`] × `rows` fit in
/// `height` user units (at least 1).
pub fn stage_lane_count(height: f64, rows: f64) -> usize {
    let room = (height - TIMELINE_CHROME).max(0.0);
    let lane = STAGE_LANE_MIN * rows.max(1.0);
    ((room / lane).floor() as usize).max(1)
}

/// The calls the timeline draws in detail, at most `max` of those the trace
/// holds: the first ones in start order, or the slowest first (an
/// unfinished call lasts until the run's end so far; ties keep start order).
pub fn detail_lanes_up_to(
    trace: &flaky::sim::Trace,
    order: crate::settings::LaneOrder,
    max: usize,
) -> Vec<&flaky::sim::CallTrace> {
    use flaky::sim::CallTrace;
    let mut lanes: Vec<&CallTrace> = trace.calls.iter().collect();
    if order == crate::settings::LaneOrder::Slowest {
        let took = |c: &CallTrace| c.end_ms.unwrap_or(trace.end_ms).saturating_sub(c.start_ms);
        lanes.sort_by(|a, b| took(b).cmp(&took(a)).then(a.id.cmp(&b.id)));
    }
    lanes.truncate(max);
    lanes
}

/// The lanes the talk stage draws in `height` user units: as many as fit at
/// [`STAGE_LANE_MIN`] (taller for layered calls: a row of brackets per
/// upper layer), in the chosen order.
pub fn stage_lanes(
    trace: &flaky::sim::Trace,
    order: crate::settings::LaneOrder,
    height: f64,
) -> Vec<&flaky::sim::CallTrace> {
    let all = detail_lanes_up_to(trace, order, crate::view::DETAIL_LANES_MAX);
    let layers = all
        .iter()
        .map(|c| crate::view::marks::layer_count(c))
        .max()
        .unwrap_or(1);
    let mut lanes = all;
    lanes.truncate(stage_lane_count(height, lane_rows(layers)));
    lanes
}

/// Elements a timeline makes per task for lanes it did not draw yet (their
/// bars, sleeps, line and group): 200 lanes made at once held the main thread
/// for over 100 ms after a big run. Lanes already drawn are updated at once.
pub const NEW_ELEMENTS_PER_TASK: usize = 300;

/// How many of `lanes` to draw now when `drawn` were drawn before: all of
/// them when none is new, otherwise the drawn ones and as many more as
/// `budget` elements allow (at least one, so drawing always progresses).
pub fn lanes_to_draw(lanes: &[&flaky::sim::CallTrace], drawn: usize, budget: usize) -> usize {
    let mut left = budget;
    let mut n = drawn.min(lanes.len());
    for call in &lanes[n..] {
        let cost = call.attempts.len() + call.sleeps.len() + 2;
        if n > drawn && cost > left {
            break;
        }
        left = left.saturating_sub(cost);
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use flaky::sim::{CallTrace, RunConfig};

    #[test]
    fn new_lanes_come_a_budget_at_a_time_and_drawn_ones_all_at_once() {
        let mut config = RunConfig::default();
        for (k, v) in [("sim.clients", "20"), ("endpoint.fault.503", "0.5")] {
            config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
        }
        let trace = flaky::sim::run(&config, 1);
        let lanes: Vec<&CallTrace> = trace.calls.iter().collect();
        assert_eq!(lanes.len(), 20);
        let cost = |from: usize, to: usize| -> usize {
            lanes[from..to]
                .iter()
                .map(|c| c.attempts.len() + c.sleeps.len() + 2)
                .sum()
        };
        assert!(cost(0, 1) > 2, "a lane costs its bars and sleeps too");
        // A budget of exactly three lanes draws three; one element less, two.
        assert_eq!(lanes_to_draw(&lanes, 0, cost(0, 3)), 3);
        assert_eq!(lanes_to_draw(&lanes, 0, cost(0, 3) - 1), 2);
        assert_eq!(lanes_to_draw(&lanes, 3, cost(3, 7)), 7);
        // Everything drawn (or more than now): all at once, whatever the budget.
        assert_eq!(lanes_to_draw(&lanes, 20, 0), 20);
        assert_eq!(lanes_to_draw(&lanes, 200, 0), 20);
        // A lane bigger than the budget still comes, one a task.
        assert_eq!(lanes_to_draw(&lanes, 0, 1), 1);
        assert_eq!(lanes_to_draw(&lanes, 19, 1), 20);
        assert_eq!(lanes_to_draw(&[], 0, 5), 0);
    }
}
