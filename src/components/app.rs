//! The page: header, panels, fire controls, counters, timeline and charts.
//! Owns the runs: both kinds happen in the run worker (`crate::run_worker`),
//! off the main thread; simulated ones report progress and their result,
//! live ones stream updates in.

use std::cell::RefCell;
use std::rc::Rc;

use flaky::presets::{self, Preset};
use flaky::sim::{RunConfig, Trace};
use yew::prelude::*;

use crate::components::backoff_chart::BackoffChart;
use crate::components::banners::Banners;
use crate::components::client_chart::ClientChart;
use crate::components::counters::Counters;
use crate::components::export_panel::{imported_actions, ExportAnswer, ImportAnswer};
use crate::components::fire_bar::FireBar;
use crate::components::header::Header;
use crate::components::knob_panel::KnobPanel;
use crate::components::load_chart::LoadChart;
use crate::components::preset_note::PresetNote;
use crate::components::replay_bar::ReplayBar;
use crate::components::stage::Stage;
use crate::components::timeline::Timeline;
use crate::live::{Fire, Transport, TransportKind};
use crate::run_worker::{self, RunWorker};
use crate::state::{Action, Mode, RunStatus, Side, State};
use crate::view;

pub use super::keyboard::preset_index_for_key;
use ::run_worker::FromWorker;

mod worker_messages;

use worker_messages::on_worker_message;

/// What every component can reach.
#[derive(Clone, PartialEq)]
pub struct AppContext {
    pub state: UseReducerHandle<State>,
    /// Fire one call or the whole scenario, in the current mode.
    pub fire: Callback<Fire>,
    /// Clear the trace (and cancel a live run).
    pub reset: Callback<()>,
    /// Every preset, in the chapter's order.
    pub presets: Rc<Vec<Rc<Preset>>>,
    /// Download the shown run's trace as JSON (as `playground run --trace` writes it).
    pub download: Callback<()>,
    /// Read a pasted config (format name, text) in the run worker; its knobs apply.
    pub import: Callback<(String, String)>,
    /// The answer to the latest paste.
    pub imported: Option<Rc<ImportAnswer>>,
    /// Write the policy for a target (its name) in the run worker.
    pub export: Callback<(String, policy::PolicyConfig)>,
    /// The latest document written.
    pub exported: Option<Rc<ExportAnswer>>,
}

/// What the last fire ran: the trace download reruns it in full when the
/// page kept only the first lanes.
#[derive(Clone, Default)]
struct Fired {
    run_id: u64,
    config: RunConfig,
    seed: u64,
    /// What side B last ran (config, seed, mode): an unchanged B is not rerun.
    b: Option<(RunConfig, u64, Mode)>,
}

/// The config a fire runs: the whole scenario, or one call on one client.
pub fn fire_config(config: &RunConfig, what: Fire) -> RunConfig {
    let mut config = config.clone();
    if what == Fire::One {
        config.scenario.clients = 1;
        config.scenario.calls_per_client = 1;
    }
    config
}

fn read_url() -> State {
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let (settings, errors) = crate::url::parse(&query);
    State::from_url(settings, errors)
}

fn write_url(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}")),
        );
    }
}

#[component(App)]
pub fn app() -> Html {
    let state = use_reducer(read_url);
    let presets = use_memo((), |_| match presets::all() {
        Ok(all) => all.into_iter().map(Rc::new).collect::<Vec<_>>(),
        Err(e) => {
            web_sys::console::error_1(&e.into());
            Vec::new()
        }
    });
    // Where the mock endpoints are (known once the service worker answered).
    let transport: Rc<RefCell<Option<TransportKind>>> = use_mut_ref(|| None);
    // The live run going on in the worker, by run id.
    let live_run: Rc<RefCell<Option<u64>>> = use_mut_ref(|| None);
    let worker: Rc<RefCell<Option<Rc<RunWorker>>>> = use_mut_ref(|| None);
    // Side B runs in a worker of its own, at the same time as A.
    let worker_b: Rc<RefCell<Option<Rc<RunWorker>>>> = use_mut_ref(|| None);
    let fired: Rc<RefCell<Fired>> = use_mut_ref(Fired::default);
    // Why the run worker cannot run anything, once it failed to load.
    let broken: Rc<RefCell<Option<String>>> = use_mut_ref(|| None);
    // The answer to the latest pasted config (read in the run worker).
    let imported = use_state(|| None::<Rc<ImportAnswer>>);
    let import_id: Rc<RefCell<u64>> = use_mut_ref(|| 0);
    // The latest document written for a library (in the run worker too).
    let exported = use_state(|| None::<Rc<ExportAnswer>>);
    let export_id: Rc<RefCell<u64>> = use_mut_ref(|| 0);
    // The worker's messages become actions.
    let on_worker = {
        let dispatcher = state.dispatcher();
        let fired = fired.clone();
        let broken = broken.clone();
        let imported = imported.setter();
        let import_id = import_id.clone();
        let exported = exported.setter();
        let export_id = export_id.clone();
        use_callback((), move |message: FromWorker, _| {
            if let FromWorker::Exported { request_id, result } = message {
                if request_id == *export_id.borrow() {
                    exported.set(Some(Rc::new(ExportAnswer { request_id, result })));
                }
                return;
            }
            if let FromWorker::Broken { message } = &message {
                *broken.borrow_mut() = Some(message.clone());
            }
            if let FromWorker::Imported { request_id, result } = message {
                // Only the latest paste counts; its knobs apply in order, as SetKnob.
                if request_id == *import_id.borrow() {
                    let answer = ImportAnswer { request_id, result };
                    for action in imported_actions(&answer) {
                        dispatcher.dispatch(action);
                    }
                    imported.set(Some(Rc::new(answer)));
                }
                return;
            }
            on_worker_message(&dispatcher, &fired.borrow(), Side::A, message)
        })
    };
    let on_worker_b = {
        let dispatcher = state.dispatcher();
        let fired = fired.clone();
        use_callback((), move |message: FromWorker, _| {
            on_worker_message(&dispatcher, &fired.borrow(), Side::B, message)
        })
    };
    let ensure_worker_b = {
        let worker_b = worker_b.clone();
        let broken = broken.clone();
        move || -> Result<Rc<RunWorker>, String> {
            if let Some(problem) = broken.borrow().as_ref() {
                return Err(problem.clone());
            }
            if let Some(w) = worker_b.borrow().as_ref() {
                return Ok(w.clone());
            }
            let spawned = RunWorker::spawn(on_worker_b.clone())?;
            *worker_b.borrow_mut() = Some(spawned.clone());
            Ok(spawned)
        }
    };
    let ensure_worker = {
        let worker = worker.clone();
        move || -> Result<Rc<RunWorker>, String> {
            if let Some(problem) = broken.borrow().as_ref() {
                return Err(problem.clone());
            }
            if let Some(w) = worker.borrow().as_ref() {
                return Ok(w.clone());
            }
            let spawned = RunWorker::spawn(on_worker.clone())?;
            *worker.borrow_mut() = Some(spawned.clone());
            Ok(spawned)
        }
    };

    // Connect to the mock service worker (or fall back to the in-page model) once.
    // Then start the run worker in the background: Fire is enabled before it
    // loads (a message sent meanwhile waits in its loader).
    {
        let state = state.clone();
        let transport = transport.clone();
        let ensure_worker = ensure_worker.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let connected = Transport::connect().await;
                let status = connected.status();
                *transport.borrow_mut() = Some(connected.kind());
                state.dispatch(Action::SetTransport {
                    kind: status.kind.to_string(),
                    detail: status.detail,
                });
                if let Err(problem) = ensure_worker() {
                    web_sys::console::error_1(&problem.into());
                }
            });
        });
    }

    // Keep the URL in step with every setting.
    {
        let query = crate::url::to_query(&state.settings);
        use_effect_with(query, |query| write_url(query));
    }

    // Theme and talk mode live on <html>, so the whole page follows.
    {
        let (theme, talk) = (state.settings.theme, state.settings.talk);
        use_effect_with((theme, talk), |(theme, talk)| {
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                let _ = root.set_attribute("data-theme", theme.name());
                let _ = root.set_attribute("data-talk", if *talk { "1" } else { "0" });
            }
        });
    }

    let fire = {
        let state = state.clone();
        let transport = transport.clone();
        let live_run = live_run.clone();
        let ensure_worker = ensure_worker.clone();
        let fired = fired.clone();
        Callback::from(move |what: Fire| {
            // Refused before anything starts: the last run's figures stay as they were.
            if what == Fire::Scenario {
                if let Some(problem) = state.settings.over_limit() {
                    state.dispatch(Action::RefuseRun { problem });
                    return;
                }
            }
            let live_transport = transport.borrow().clone();
            if state.settings.mode == Mode::Live && live_transport.is_none() {
                state.dispatch(Action::RefuseRun {
                    problem: "The mock endpoints are still starting; try again in a moment."
                        .to_string(),
                });
                return;
            }
            if let Some(old) = live_run.borrow_mut().take() {
                if let Ok(worker) = ensure_worker() {
                    worker.cancel(old);
                }
                if let Ok(worker) = ensure_worker_b() {
                    worker.cancel(old);
                }
            }
            let run_id = state.run_id.wrapping_add(1);
            let config = fire_config(&state.settings.config, what);
            let config_b = state.settings.config_b().map(|b| fire_config(&b, what));
            let seed = state.settings.seed;
            let mode = state.settings.mode;
            // B unchanged on an unchanged world (same config, seed, mode, and its
            // trace still shown): its figures stand, only A reruns.
            let b_key = config_b.clone().map(|c| (c, seed, mode));
            // A pinned B keeps its run (live included) until B's knobs change.
            let with_b = b_key.is_some()
                && !state.b_pinned
                && (fired.borrow().b != b_key || state.trace_b.is_none() || mode == Mode::Live);
            {
                let mut f = fired.borrow_mut();
                f.run_id = run_id;
                f.config = config.clone();
                f.seed = seed;
                if with_b {
                    f.b = b_key;
                }
            }
            state.dispatch(Action::StartRun { run_id, with_b });
            let sides = [
                (Side::A, Some(config)),
                (Side::B, config_b.filter(|_| with_b)),
            ];
            for (side, config) in sides {
                let Some(config) = config else {
                    continue;
                };
                let worker = match side {
                    Side::A => ensure_worker(),
                    Side::B => ensure_worker_b(),
                };
                let started = match (mode, &live_transport) {
                    (Mode::Simulated, _) => worker.and_then(|w| w.run(run_id, &config, seed)),
                    (Mode::Live, None) => Ok(()),
                    (Mode::Live, Some(transport)) => worker
                        .and_then(|w| w.live(run_id, &config, seed, transport.clone()))
                        .map(|()| *live_run.borrow_mut() = Some(run_id)),
                };
                if let Err(problem) = started {
                    state.dispatch(Action::UpdateRun {
                        run_id,
                        side,
                        trace: Rc::new(Trace {
                            seed,
                            ..Default::default()
                        }),
                        running: false,
                        problem: Some(problem),
                    });
                }
            }
        })
    };

    // Stops a live run still going (before a reset or another lesson).
    let cancel_live = {
        let live_run = live_run.clone();
        let worker = worker.clone();
        let worker_b = worker_b.clone();
        Callback::from(move |()| {
            if let Some(old) = live_run.borrow_mut().take() {
                for w in [&worker, &worker_b] {
                    if let Some(w) = w.borrow().as_ref() {
                        w.cancel(old);
                    }
                }
            }
        })
    };
    let reset = {
        let state = state.clone();
        let cancel_live = cancel_live.clone();
        Callback::from(move |()| {
            cancel_live.emit(());
            state.dispatch(Action::Reset);
        })
    };

    // Another lesson: a live run of the old one stops (its figures are gone).
    {
        let cancel_live = cancel_live.clone();
        use_effect_with(state.settings.preset.clone(), move |_| cancel_live.emit(()));
    }

    // Simulated mode recomputes as the user moves a control, once something was fired.
    {
        let fire = fire.clone();
        let key = (
            state.settings.config.clone(),
            state.settings.b.clone(),
            state.settings.seed,
            state.settings.mode,
        );
        // A change while a run computes replaces that run (the worker drops it).
        let rerun = state.settings.mode == Mode::Simulated
            && state.status != RunStatus::Idle
            && state.trace_mode == Some(Mode::Simulated);
        let one_call = fired.borrow().config.scenario.clients == 1
            && fired.borrow().config.scenario.calls_per_client == 1
            && state.settings.calls() > 1;
        use_effect_with(key, move |_| {
            if rerun {
                fire.emit(if one_call { Fire::One } else { Fire::Scenario });
            }
        });
    }

    super::keyboard::use_shortcuts(&state, presets.clone(), fire.clone(), reset.clone());

    // The replay moves while it plays.
    {
        let dispatcher = state.dispatcher();
        let playing = state.replay.is_some_and(|r| r.playing);
        use_effect_with(playing, move |playing| {
            let ticker = playing.then(|| {
                gloo_timers::callback::Interval::new(REPLAY_FRAME_MS, move || {
                    dispatcher.dispatch(Action::ReplayTick(f64::from(REPLAY_FRAME_MS)))
                })
            });
            move || drop(ticker)
        });
    }

    let on_knob = {
        let dispatcher = state.dispatcher();
        use_callback((), move |(name, value): (String, String), _| {
            dispatcher.dispatch(Action::SetKnob { name, value })
        })
    };
    let on_knob_b = {
        let dispatcher = state.dispatcher();
        use_callback((), move |(name, value): (String, String), _| {
            dispatcher.dispatch(Action::SetKnobB { name, value })
        })
    };
    let download = {
        let state = state.clone();
        let fired = fired.clone();
        let ensure_worker = ensure_worker.clone();
        Callback::from(move |()| {
            let Some(trace) = state.trace.clone() else {
                return;
            };
            let result = if trace.is_complete() {
                serde_json::to_string(&*trace)
                    .map_err(|e| e.to_string())
                    .and_then(|json| run_worker::download(&trace_file_name(trace.seed), &json))
            } else {
                let f = fired.borrow().clone();
                let live = state.trace_mode == Some(Mode::Live);
                ensure_worker().and_then(|w| w.full_trace(f.run_id, &f.config, f.seed, live))
            };
            if let Err(problem) = result {
                web_sys::console::error_1(&problem.into());
            }
        })
    };
    let import = {
        let ensure_worker = ensure_worker.clone();
        let imported = imported.setter();
        Callback::from(move |(format, text): (String, String)| {
            let request_id = {
                let mut id = import_id.borrow_mut();
                *id += 1;
                *id
            };
            if let Err(problem) = ensure_worker().and_then(|w| w.import(request_id, &format, &text))
            {
                imported.set(Some(Rc::new(ImportAnswer {
                    request_id,
                    result: Err(problem),
                })));
            }
        })
    };
    let export = {
        let ensure_worker = ensure_worker.clone();
        let exported = exported.setter();
        Callback::from(move |(target, policy): (String, policy::PolicyConfig)| {
            let request_id = {
                let mut id = export_id.borrow_mut();
                *id += 1;
                *id
            };
            if let Err(problem) =
                ensure_worker().and_then(|w| w.export(request_id, &target, &policy))
            {
                exported.set(Some(Rc::new(ExportAnswer {
                    request_id,
                    result: Err(problem),
                })));
            }
        })
    };
    let context = AppContext {
        state: state.clone(),
        fire,
        reset,
        presets,
        download,
        import,
        imported: (*imported).clone(),
        export,
        exported: (*exported).clone(),
    };
    let s = &state.settings;
    let plan = {
        use policy::rand_chacha::rand_core::SeedableRng;
        let mut rng = policy::rand_chacha::ChaCha8Rng::seed_from_u64(s.seed);
        policy::schedule(&s.config.policy, &mut rng)
    };
    let trace = state.trace.clone();
    let comparing = s.b.is_some();
    let axis = [&state.trace, &state.trace_b]
        .iter()
        .filter_map(|t| t.as_ref().map(|t| view::span_ms(t)))
        .max();
    let cursor = state.replay.map(|r| r.cursor_ms);
    let finished = state.status == RunStatus::Done;
    let live = s.mode == Mode::Live;
    if s.talk {
        return html! {
            <ContextProvider<AppContext> context={context}>
                <div class="app talk">
                    <a class="skip-link" href="#run-controls">{ "Skip to the run controls" }</a>
                    <Stage on_knob={on_knob} on_knob_b={on_knob_b} />
                </div>
            </ContextProvider<AppContext>>
        };
    }
    html! {
        <ContextProvider<AppContext> context={context}>
            <div class="app">
                <a class="skip-link" href="#run-controls">{ "Skip to the run controls" }</a>
                <Header />
                <Banners />
                <PresetNote />
                <div class="layout">
                    <main class="stage-main">
                        <FireBar />
                        <ReplayBar />
                        <Counters />
                        <Timeline trace={trace.clone()} {cursor} axis_ms={axis} side={comparing.then_some(Side::A)} {finished} order={state.settings.lanes} />
                        if comparing {
                            <Timeline trace={state.trace_b.clone()} {cursor} axis_ms={axis} side={Some(Side::B)} {finished} order={state.settings.lanes} />
                        }
                        <div class="charts">
                            <section class="panel chart-panel" aria-labelledby="load-title">
                                <h2 id="load-title">{ if comparing { "Server load · A and B" } else { "Server load" } }</h2>
                                <LoadChart trace={trace.clone()} trace_b={state.trace_b.clone()} {cursor} />
                            </section>
                            <section class="panel chart-panel" aria-labelledby="backoff-title">
                                <h2 id="backoff-title">{ "Backoff per retry" }</h2>
                                <p class="formula" data-testid="formula"><code>{ policy::plan::formula(&s.config.policy) }</code></p>
                                <BackoffChart plan={plan.clone()} trace={trace.clone()} />
                                <crate::components::schedule::Schedule plan={plan} />
                            </section>
                            <section class="panel chart-panel" aria-labelledby="client-title">
                                <h2 id="client-title">{ "Breaker and budget" }</h2>
                                <ClientChart trace={trace} />
                            </section>
                        </div>
                        <crate::components::export_panel::ExportPanel />
                    </main>
                    <aside class="controls" aria-label="Settings">
                        <KnobPanel title={if comparing { "Client policy A" } else { "Client policy" }} groups={Rc::new(view::policy_groups())} open_first={4} config={s.config.clone()} {live} on_change={on_knob.clone()} testid={Some(AttrValue::from("side-a-knobs"))} />
                        if let Some(b) = s.config_b() {
                            <KnobPanel title="Client policy B" groups={Rc::new(view::policy_groups())} open_first={4} config={b} {live} on_change={on_knob_b}
                                id_prefix="knob-b-" differs={Rc::new(s.b_differs())} testid={Some(AttrValue::from("side-b-knobs"))} />
                        }
                        <KnobPanel title="Endpoint (server)" groups={Rc::new(view::endpoint_groups())} open_first={1} config={s.config.clone()} {live} on_change={on_knob.clone()} />
                        <KnobPanel title="Scenario" groups={Rc::new(view::scenario_groups())} open_first={1} config={s.config.clone()} {live} on_change={on_knob} />
                    </aside>
                </div>
                <footer class="footer">
                    <kbd>{ "Space" }</kbd>{ " fire · " }<kbd>{ "R" }</kbd>{ " reset · " }<kbd>{ "1–9, 0" }</kbd>{ " lessons · " }<kbd>{ "→ / PageDown" }</kbd>{ " next lesson · " }<kbd>{ "← / PageUp" }</kbd>{ " previous · " }<kbd>{ "P" }</kbd>{ " replay · " }<kbd>{ "T" }</kbd>{ " talk stage" }
                </footer>
            </div>
        </ContextProvider<AppContext>>
    }
}

/// How often a playing replay moves, ms.
const REPLAY_FRAME_MS: u32 = 40;

/// The trace download's file name.
pub fn trace_file_name(seed: u64) -> String {
    format!("playground-trace-seed-{seed}.json")
}
