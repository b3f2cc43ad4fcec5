//! The rules of alerting, as pure functions over domain types: whether an event fires a rule for a
//! client (`conditions`), the hygiene that holds it back (state, cool-down, snooze, quiet hours,
//! digest: `hygiene`), how a burst becomes one digest and a delivery gets its id (`digest`), and
//! what an alert says (`items`). No I/O: the notify handler reads and writes around these.

pub mod conditions;
pub mod digest;
pub mod hygiene;
pub mod items;

#[cfg(test)]
mod test_fixtures;

pub use conditions::{
    band_state_key, ends_state, evaluate, history_days, in_scope, AlertEvent, Firing,
};
pub use digest::{delivery_id, plan_messages, plan_released, AlertKey, Released, Send};
pub use hygiene::{decide, next_local_hour, quiet_hours_end, Decision, SuppressReason};
pub use items::{band_label, client_link, worst_first};
