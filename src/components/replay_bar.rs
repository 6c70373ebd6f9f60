//! Replay of a finished run: play or pause, restart, speed (¼×, 1×, 4×) and
//! a time cursor that the counters, the timeline and the load chart follow.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::context::AppContext;
use crate::state::{Action, RunStatus, REPLAY_SPEEDS};
use crate::view::ms_label;

fn speed_words(speed: f64) -> &'static str {
    if speed < 0.5 {
        "¼×"
    } else if speed < 2.0 {
        "1×"
    } else {
        "4×"
    }
}

#[component(ReplayBar)]
pub fn replay_bar() -> Html {
    let Some(ctx) = use_context::<AppContext>() else {
        return html! {};
    };
    let state = &ctx.state;
    let ready = state.status == RunStatus::Done && state.trace.is_some();
    let span = state.run_span_ms();
    let replay = state.replay;
    let playing = replay.is_some_and(|r| r.playing);
    let cursor = replay.map(|r| r.cursor_ms).unwrap_or(span);
    let speed = replay.map(|r| r.speed).unwrap_or(REPLAY_SPEEDS[0]);
    let on_play = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::ReplayToggle))
    };
    let on_restart = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::ReplayRestart))
    };
    let on_stop = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::ReplayStop))
    };
    let on_speed = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(speed) = el.value().parse::<f64>() {
                state.dispatch(Action::ReplaySpeed(speed));
            }
        })
    };
    let on_cursor = {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            if let Ok(at) = el.value().parse::<f64>() {
                if state.replay.is_none() {
                    state.dispatch(Action::ReplaySpeed(REPLAY_SPEEDS[0]));
                }
                state.dispatch(Action::ReplayTo(at));
            }
        })
    };
    html! {
        <div class="replay-bar" role="group" aria-label="Replay" data-testid="replay">
            <button data-testid="replay-play" disabled={!ready} onclick={on_play} aria-pressed={playing.to_string()}
                title="Play or pause the replay of the run (P)">{ if playing { "❚❚ Pause" } else { "▶ Replay" } }</button>
            <button data-testid="replay-restart" disabled={!ready} onclick={on_restart} title="Replay from the start">{ "⟲ Restart" }</button>
            <label class="replay-speed">
                <span class="visually-hidden">{ "Replay speed" }</span>
                <select data-testid="replay-speed" disabled={!ready} onchange={on_speed} aria-label="Replay speed">
                    { for REPLAY_SPEEDS.iter().map(|s| html! {
                        <option value={s.to_string()} selected={(*s - speed).abs() < 1e-9}>{ speed_words(*s) }</option>
                    }) }
                </select>
            </label>
            <input class="replay-cursor" type="range" data-testid="replay-cursor" disabled={!ready} aria-label="Replay time"
                min="0" max={format!("{span:.0}")} step="1" value={format!("{cursor:.0}")} oninput={on_cursor} />
            <span class="replay-time" data-testid="replay-time" aria-live="off">
                { if replay.is_some() { format!("{} / {}", ms_label(cursor as u64), ms_label(span as u64)) } else { "whole run".to_string() } }
            </span>
            if replay.is_some() {
                <button data-testid="replay-stop" onclick={on_stop} title="Show the whole run">{ "Whole run" }</button>
            }
        </div>
    }
}
