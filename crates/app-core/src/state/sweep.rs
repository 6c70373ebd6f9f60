//! The sweep and the profiles chart, decided: which points to compute (A's
//! and B's config at each value, the same seeds at every value), which
//! answers count (only the latest batch's), and what a click on a point or a
//! profile sets. The shell computes the points in up to four run workers.

use std::rc::Rc;

use flaky::scenario::RunKnobs;
use flaky::sim::RunConfig;
use flaky::sweep::{self, Point, PointJob};

use super::State;
use crate::effect::{Batch, Effect};
use crate::settings::{Settings, Side, SWEEP_MEASURES, SWEEP_SEEDS_DEFAULT};

/// A batch of points being computed or done: one per value (a sweep) or per
/// library profile.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PointsRun {
    /// Only answers of this batch count.
    pub batch_id: u64,
    /// The values (knob text) or the profiles' ids, in order.
    pub values: Vec<String>,
    /// Each value's point once computed.
    pub points: Vec<Option<Rc<Point>>>,
    /// Whether B was swept too.
    pub with_b: bool,
    /// Why the batch (or a point of it) could not be computed.
    pub problem: Option<String>,
}

impl PointsRun {
    /// How many points are in, and of how many.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.points.iter().filter(|p| p.is_some()).count();
        (done, self.points.len())
    }

    /// Every point is in, or the batch failed.
    pub fn finished(&self) -> bool {
        self.problem.is_some() || self.points.iter().all(Option::is_some)
    }
}

/// What a sweep's points depend on: not the measure shown, nor the swept
/// knob's own value on either side (a click on a point sets it).
fn sweep_inputs(s: &Settings) -> Option<(String, u32, RunConfig, Option<RunConfig>, u64)> {
    let sweep = s.sweep.as_ref()?;
    let neutral = |config: &RunConfig| {
        let mut out = config.clone();
        if let Some(default) = RunConfig::default().get(&sweep.knob) {
            let _ = out.set(&sweep.knob, &default);
        }
        out
    };
    Some((
        sweep.text(),
        sweep.seeds,
        neutral(&s.config),
        s.config_b().as_ref().map(neutral),
        s.seed,
    ))
}

/// A's world without its client policy: what the profiles' points depend on.
fn world(config: &RunConfig) -> RunConfig {
    RunConfig {
        policy: policy::PolicyConfig::default(),
        ..config.clone()
    }
}

fn all_measures() -> Vec<String> {
    SWEEP_MEASURES.iter().map(|(m, _)| m.to_string()).collect()
}

impl State {
    /// Starts or cancels the sweep and the profiles after the settings changed.
    pub(super) fn follow_sweep(&mut self, before: &Settings, fx: &mut Vec<Effect>) {
        if sweep_inputs(&self.settings) != sweep_inputs(before) {
            self.start_sweep(fx);
        }
        let moved = (world(&self.settings.config), self.settings.seed)
            != (world(&before.config), before.seed);
        if moved && self.profiles_run.is_some() {
            self.start_profiles(fx);
        }
    }

    /// The next batch id.
    fn next_batch(&mut self) -> u64 {
        self.batch_id += 1;
        self.batch_id
    }

    /// Computes the settings' sweep (or cancels the last one when there is none).
    pub(super) fn start_sweep(&mut self, fx: &mut Vec<Effect>) {
        let Some(sweep) = self.settings.sweep.clone() else {
            if self.sweep_run.take().is_some() {
                fx.push(Effect::Points {
                    kind: Batch::Sweep,
                    jobs: Vec::new(),
                });
            }
            return;
        };
        let batch_id = self.next_batch();
        let config_b = self.settings.config_b();
        let mut run = PointsRun {
            batch_id,
            with_b: config_b.is_some(),
            ..PointsRun::default()
        };
        let mut jobs = Vec::new();
        match sweep.values(&RunKnobs::STANDARD) {
            Ok(values) => {
                let seeds = sweep.seed_list(self.settings.seed);
                for (index, value) in values.iter().enumerate() {
                    let at = |c: &RunConfig| sweep::config_at(c, &sweep.knob, value);
                    let configs = at(&self.settings.config)
                        .and_then(|a| Ok((a, config_b.as_ref().map(at).transpose()?)));
                    match configs {
                        Ok((a, b)) => jobs.push(PointJob {
                            batch_id,
                            index: index as u32,
                            value: value.clone(),
                            a,
                            b,
                            seeds: seeds.clone(),
                            measures: all_measures(),
                        }),
                        Err(e) => {
                            run.problem = Some(format!("{} = {value}: {e}", sweep.knob));
                            jobs.clear();
                            break;
                        }
                    }
                }
                run.points = vec![None; values.len()];
                run.values = values;
            }
            Err(e) => run.problem = Some(format!("sweep of {}: {e}", sweep.knob)),
        }
        self.sweep_run = Some(run);
        fx.push(Effect::Points {
            kind: Batch::Sweep,
            jobs,
        });
    }

    /// Computes every library profile on A's world (the sweep's seeds).
    pub(super) fn start_profiles(&mut self, fx: &mut Vec<Effect>) {
        let batch_id = self.next_batch();
        let seeds_n = self
            .settings
            .sweep
            .as_ref()
            .map_or(SWEEP_SEEDS_DEFAULT, |s| s.seeds);
        let seeds: Vec<u64> = (0..u64::from(seeds_n))
            .map(|i| self.settings.seed.wrapping_add(i))
            .collect();
        let mut run = PointsRun {
            batch_id,
            ..PointsRun::default()
        };
        let mut jobs = Vec::new();
        match sweep::profiles() {
            Ok(profiles) => {
                for (index, p) in profiles.iter().enumerate() {
                    jobs.push(PointJob {
                        batch_id,
                        index: index as u32,
                        value: p.id.clone(),
                        a: sweep::with_profile(&self.settings.config, p),
                        b: None,
                        seeds: seeds.clone(),
                        measures: all_measures(),
                    });
                }
                run.values = profiles.into_iter().map(|p| p.id).collect();
                run.points = vec![None; run.values.len()];
            }
            Err(e) => run.problem = Some(e),
        }
        self.profiles_run = Some(run);
        fx.push(Effect::Points {
            kind: Batch::Profiles,
            jobs,
        });
    }

    /// A point came in: kept if its batch is the latest of its chart.
    pub(super) fn point_done(
        &mut self,
        batch_id: u64,
        index: u32,
        result: Rc<Result<Point, String>>,
    ) {
        for run in [&mut self.sweep_run, &mut self.profiles_run]
            .into_iter()
            .flatten()
        {
            if run.batch_id != batch_id {
                continue;
            }
            match &*result {
                Ok(point) => {
                    if let Some(slot) = run.points.get_mut(index as usize) {
                        *slot = Some(Rc::new(point.clone()));
                    }
                }
                Err(e) => run.problem = Some(e.clone()),
            }
        }
    }

    /// A click on a point: that side's knob takes the point's value.
    pub(super) fn pick_sweep_point(&mut self, side: Side, index: usize) {
        let (Some(sweep), Some(run)) = (&self.settings.sweep, &self.sweep_run) else {
            return;
        };
        let Some(value) = run.values.get(index).cloned() else {
            return;
        };
        let knob = sweep.knob.clone();
        match side {
            Side::A => self.set_knob(&knob, &value),
            Side::B => self.set_knob_b(&knob, &value),
        }
    }

    /// A click on a profile: B takes its client policy.
    pub(super) fn pick_profile(&mut self, id: &str) {
        if let Ok(Some(profile)) = sweep::profiles().map(|all| all.into_iter().find(|p| p.id == id))
        {
            self.settings.b = Some(profile.config.policy);
            self.b_pinned = false;
        }
    }
}
