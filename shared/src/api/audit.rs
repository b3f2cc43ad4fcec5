//! Records each change made through the API in the tenant's audit trail, with who made it (the
//! caller's subject and role) and the request it came in. Every handler that changes something calls
//! [`record`] once the change is made.

use crate::api::{ApiError, ApiState, Caller};
use crate::domain::{AuditActor, AuditChange, AuditEntry};

/// Records `change`, made by `caller`, in the caller's tenant's audit trail. A failure is the
/// request's failure: a change the trail misses must not look like a success.
pub async fn record(
    state: &ApiState,
    caller: &Caller,
    change: AuditChange,
) -> Result<(), ApiError> {
    let actor = AuditActor::Person {
        subject: caller.subject.clone(),
        role: caller.role,
    };
    let entry = AuditEntry::of(
        caller.tenant_id.clone(),
        actor,
        change,
        state.now(),
        caller.request_id.clone(),
    );
    crate::handlers::audit::append(state.store.as_ref(), &entry).await?;
    Ok(())
}
