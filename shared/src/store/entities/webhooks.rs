//! Webhook event ids seen, and OAuth state: both expire, and both are written once.

use super::TableStore;
use crate::domain::TenantId;
use crate::ports::{OAuthState, StoreError, WebhookStore};
use crate::store::keys;
use crate::store::row::{Condition, Record, Row, Table};
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
impl<T: Table> WebhookStore for TableStore<T> {
    async fn record_webhook_event(
        &self,
        tenant_id: &TenantId,
        event_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let keys = keys::webhook_event(tenant_id, event_id)?;
        let row = Row::new(keys, Record::WebhookEvent {}).expiring(expires_at.timestamp());
        // An expired record TTL has not deleted yet counts as absent.
        self.table.put_row_if(row, Condition::AbsentOrExpired).await
    }

    async fn forget_webhook_event(
        &self,
        tenant_id: &TenantId,
        event_id: &str,
    ) -> Result<(), StoreError> {
        let key = keys::webhook_event(tenant_id, event_id)?.key;
        self.table
            .delete_row_if(&key, Condition::Always)
            .await
            .map(|_| ())
    }

    async fn put_oauth_state(&self, state: &OAuthState) -> Result<(), StoreError> {
        let keys = keys::oauth_state(&state.nonce)?;
        let record = Record::OAuthState {
            state: state.clone(),
        };
        let row = Row::new(keys, record).expiring(state.expires_at.timestamp());
        if self
            .table
            .put_row_if(row, Condition::AbsentOrExpired)
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::conflict("oauth state", "(nonce)"))
        }
    }

    async fn take_oauth_state(
        &self,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OAuthState>, StoreError> {
        let key = keys::oauth_state(nonce)?.key;
        match self.table.delete_row_if(&key, Condition::Always).await? {
            Some(Row {
                record: Record::OAuthState { state },
                ..
            }) if state.expires_at > now => Ok(Some(state)),
            _ => Ok(None),
        }
    }
}
