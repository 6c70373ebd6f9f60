//! The planned schedule as a table: retry number, jitter envelope, drawn delay.

use policy::PlannedRetry;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ScheduleProps {
    pub plan: Vec<PlannedRetry>,
}

#[component(Schedule)]
pub fn schedule(props: &ScheduleProps) -> Html {
    let total: u64 = props
        .plan
        .iter()
        .map(|p| p.drawn_ms)
        .fold(0, u64::saturating_add);
    html! {
        <table class="schedule" data-testid="schedule">
            <thead><tr><th>{ "retry" }</th><th>{ "delay range (ms)" }</th><th>{ "drawn (ms)" }</th></tr></thead>
            <tbody>
                { for props.plan.iter().map(|p| html! {
                    <tr data-testid="schedule-row">
                        <td data-testid="retry">{ p.retry }</td>
                        <td data-testid="envelope">{ format!("{} – {}", p.envelope_ms.0, p.envelope_ms.1) }</td>
                        <td data-testid="drawn">{ p.drawn_ms }</td>
                    </tr>
                }) }
            </tbody>
            <tfoot><tr><td colspan="2">{ "total sleep" }</td><td data-testid="total">{ total }</td></tr></tfoot>
        </table>
    }
}
