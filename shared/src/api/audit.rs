//! Records each change made through the API in the tenant's audit trail, with who made it (the
//! caller's subject and role) and the request it came in. Every handler that changes something calls
//! [`record`] once the change is made.

use crate::api::{ApiError, ApiState, Caller};
use crate::domain::AuditChange;

/// Records `change`, made by `caller`, in the caller's tenant's audit trail.
///
/// Placeholder of the contract: the audit store lands with the audit trail (issue 17); until then
/// nothing is written.
pub async fn record(
    state: &ApiState,
    caller: &Caller,
    change: AuditChange,
) -> Result<(), ApiError> {
    let _ = (state, caller, change);
    Ok(())
}
