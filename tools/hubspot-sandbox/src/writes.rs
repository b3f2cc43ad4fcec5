//! What tests arrange and read around write-back: the scopes an install grants, the property groups
//! and properties an app created, the owners, and batch-update inputs made to fail.

use crate::crm_schema::{owners, SandboxOwner, SandboxProperty, SandboxPropertyGroup};
use crate::model::ObjectType;
use crate::state::lock;
use crate::Sandbox;

impl Sandbox {
    /// While `refuse` holds, tokens issued (and the private app's token) lack the write scopes, as when
    /// the portal's admin declines the optional scopes at install: writes answer 403 MISSING_SCOPES and
    /// token info leaves them out.
    pub fn refuse_write_scopes(&self, refuse: bool) {
        lock(&self.shared().auth).write_scopes_refused = refuse;
    }

    /// The property groups of a type that an app created (HubSpot's own groups left out).
    pub fn property_groups(&self, object_type: &str) -> Vec<SandboxPropertyGroup> {
        ObjectType::parse(object_type)
            .and_then(|ty| lock(&self.shared().crm_schema).groups.get(&ty).cloned())
            .unwrap_or_default()
    }

    /// The properties of a type that an app created, in creation order.
    pub fn custom_properties(&self, object_type: &str) -> Vec<SandboxProperty> {
        ObjectType::parse(object_type)
            .and_then(|ty| lock(&self.shared().crm_schema).properties.get(&ty).cloned())
            .unwrap_or_default()
    }

    /// The portal's owners (`GET /crm/v3/owners`); generated companies carry one of their ids in
    /// `hubspot_owner_id` (every seventh company has none).
    pub fn owners(&self) -> Vec<SandboxOwner> {
        owners()
    }

    /// Each batch-update input fails with this probability (a per-input error in a 207 answer).
    pub fn set_batch_update_failure_rate(&self, rate: f64) {
        lock(&self.shared().crm_schema).batch_input_failure_rate = rate;
    }

    /// The next batch-update input for each of these record ids fails once (207), later ones succeed.
    pub fn fail_next_update_of(&self, ids: &[&str]) {
        let mut schema = lock(&self.shared().crm_schema);
        for id in ids {
            if let Ok(id) = id.parse::<u64>() {
                schema.fail_next_update.insert(id);
            }
        }
    }
}
