//! `RecordingSender`: an in-process `AlertSender` for the local runner and tests. It keeps every
//! attempt (tenant, channel, message and outcome) and can be told to fail a channel, for good or a
//! number of times, with a given `SendError`.

use crate::domain::{AlertChannel, AlertChannelId, AlertMessage, TenantId};
use crate::ports::alerts::{AlertSender, SendError, SendReceipt};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// One call to [`RecordingSender::send`].
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedSend {
    pub tenant_id: TenantId,
    pub channel: AlertChannel,
    pub message: AlertMessage,
    pub outcome: Result<SendReceipt, SendError>,
}

#[derive(Debug, Clone)]
struct Failure {
    error: SendError,
    /// `None`: every attempt fails until [`RecordingSender::heal`].
    remaining: Option<u32>,
}

#[derive(Default)]
pub struct RecordingSender {
    attempts: Mutex<Vec<RecordedSend>>,
    failures: Mutex<HashMap<AlertChannelId, Failure>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl RecordingSender {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every send to `channel` fails with `error` until [`Self::heal`].
    pub fn fail_channel(&self, channel: &AlertChannelId, error: SendError) {
        lock(&self.failures).insert(
            channel.clone(),
            Failure {
                error,
                remaining: None,
            },
        );
    }

    /// The next `times` sends to `channel` fail with `error`; later ones succeed.
    pub fn fail_channel_times(&self, channel: &AlertChannelId, error: SendError, times: u32) {
        lock(&self.failures).insert(
            channel.clone(),
            Failure {
                error,
                remaining: Some(times),
            },
        );
    }

    pub fn heal(&self, channel: &AlertChannelId) {
        lock(&self.failures).remove(channel);
    }

    /// Every attempt, in order.
    pub fn attempts(&self) -> Vec<RecordedSend> {
        lock(&self.attempts).clone()
    }

    /// The attempts that went through.
    pub fn sent(&self) -> Vec<RecordedSend> {
        lock(&self.attempts)
            .iter()
            .filter(|attempt| attempt.outcome.is_ok())
            .cloned()
            .collect()
    }

    /// The messages that went through to `channel`.
    pub fn sent_to(&self, channel: &AlertChannelId) -> Vec<AlertMessage> {
        self.sent()
            .into_iter()
            .filter(|attempt| &attempt.channel.id == channel)
            .map(|attempt| attempt.message)
            .collect()
    }

    fn outcome(&self, channel: &AlertChannelId) -> Result<SendReceipt, SendError> {
        let mut failures = lock(&self.failures);
        let Some(failure) = failures.get_mut(channel) else {
            return Ok(SendReceipt {
                status: 200,
                message_id: None,
            });
        };
        let error = failure.error.clone();
        match &mut failure.remaining {
            None => {}
            Some(0) => {
                failures.remove(channel);
                return Ok(SendReceipt {
                    status: 200,
                    message_id: None,
                });
            }
            Some(remaining) => {
                *remaining -= 1;
                if *remaining == 0 {
                    failures.remove(channel);
                }
            }
        }
        Err(error)
    }
}

#[async_trait::async_trait]
impl AlertSender for RecordingSender {
    async fn send(
        &self,
        tenant_id: &TenantId,
        channel: &AlertChannel,
        message: &AlertMessage,
    ) -> Result<SendReceipt, SendError> {
        let outcome = self.outcome(&channel.id);
        lock(&self.attempts).push(RecordedSend {
            tenant_id: tenant_id.clone(),
            channel: channel.clone(),
            message: message.clone(),
            outcome: outcome.clone(),
        });
        outcome
    }
}
