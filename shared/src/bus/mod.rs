//! Adapters of the [`EventBus`](crate::ports::EventBus) port: Amazon EventBridge, and an in-process bus for the
//! local runner and tests. `shared/tests/bus_conformance.rs` runs one suite against both.

mod delivered;
mod eventbridge;
mod in_process;
mod retry;

pub use delivered::DeliveredEvent;
pub use eventbridge::{
    EventBridgeBus, CONCURRENT_CALLS as EVENTBRIDGE_CONCURRENT_CALLS,
    IAM_ACTIONS as EVENTBRIDGE_IAM_ACTIONS, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES,
};
pub use in_process::InProcessBus;
pub use retry::RetryPolicy;
