//! The page: header, panels, fire controls, counters, timeline and charts.
//! A shell over `app_core::state::State::update`: it renders the state and
//! carries out the effects the reducer returns (`crate::effects`): runs in
//! the run worker, the URL, `<html>`'s attributes, downloads.

use std::rc::Rc;

use flaky::presets;
use yew::prelude::*;

use crate::components::backoff_chart::BackoffChart;
use crate::components::banners::Banners;
use crate::components::client_chart::ClientChart;
use crate::components::counters::Counters;
use crate::components::fire_bar::FireBar;
use crate::components::header::Header;
use crate::components::knob_panel::KnobPanel;
use crate::components::load_chart::LoadChart;
use crate::components::preset_note::PresetNote;
use crate::components::replay_bar::ReplayBar;
use crate::components::stage::Stage;
use crate::components::timeline::Timeline;
use crate::context::AppContext;
use crate::effects::Executor;
use crate::state::{Action, Mode, Side, State};
use crate::view;

/// How often a playing replay moves, ms.
const REPLAY_FRAME_MS: u32 = 40;

fn read_url() -> State {
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let (settings, errors) = crate::url::parse(&query);
    State::from_url(settings, errors)
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
    // The executor carries out each effect as soon as the dispatch that asked
    // for it returns (`State::set_carrier`), before the render.
    {
        let (state, dispatcher) = (state.clone(), state.dispatcher());
        use_memo((), move |_| {
            let executor = Rc::new(Executor::new(dispatcher));
            state.set_carrier(Rc::new(move |effect| executor.execute(effect)));
        });
    }
    // The page is up: the reducer asks for the URL, <html>'s attributes, the transport.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| dispatcher.dispatch(Action::Start));
    }
    super::keyboard::use_shortcuts(state.dispatcher());
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
    let s = &state.settings;
    // The backoff plan, drawn again only when the policy or the seed changes.
    let plan = use_memo((s.config.policy.clone(), s.seed), |(policy, seed)| {
        app_core::run::backoff_plan(policy, *seed)
    });
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
    let context = AppContext::new(state.clone(), presets);
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
    let trace = state.trace.clone();
    let comparing = s.b.is_some();
    let axis = [&state.trace, &state.trace_b]
        .iter()
        .filter_map(|t| t.as_ref().map(|t| view::span_ms(t)))
        .max();
    let cursor = state.replay.map(|r| r.cursor_ms);
    let finished = state.traces_whole();
    let live = s.mode == Mode::Live;
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
                        <Timeline trace={trace.clone()} {cursor} axis_ms={axis} side={comparing.then_some(Side::A)} {finished} order={s.lanes} />
                        if comparing {
                            <Timeline trace={state.trace_b.clone()} {cursor} axis_ms={axis} side={Some(Side::B)} {finished} order={s.lanes} />
                        }
                        <div class="charts">
                            <section class="panel chart-panel" aria-labelledby="load-title">
                                <h2 id="load-title">{ if comparing { "Server load · A and B" } else { "Server load" } }</h2>
                                <LoadChart trace={trace.clone()} trace_b={state.trace_b.clone()} {cursor} />
                            </section>
                            <section class="panel chart-panel" aria-labelledby="backoff-title">
                                <h2 id="backoff-title">{ "Backoff per retry" }</h2>
                                <p class="formula" data-testid="formula"><code>{ policy::plan::formula(&s.config.policy) }</code></p>
                                <BackoffChart plan={(*plan).clone()} trace={trace.clone()} />
                                <crate::components::schedule::Schedule plan={(*plan).clone()} />
                            </section>
                            <section class="panel chart-panel" aria-labelledby="client-title">
                                <h2 id="client-title">{ "Breaker and budget" }</h2>
                                <ClientChart trace={trace} />
                            </section>
                        </div>
                        <crate::components::sweep_panel::SweepPanel />
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
