//! The rules of alerting, as pure functions over domain types: whether an event fires a rule for a
//! client, the hygiene that holds it back (state, cool-down, snooze, quiet hours, digest), and how
//! a burst becomes one digest. No I/O: the notify handler reads and writes around these.
