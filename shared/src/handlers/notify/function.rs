//! The Lambda edge of notify: an SQS batch in, the records to hand out again out. Never an error
//! for the batch as a whole: each record's fate is its own (`ReportBatchItemFailures`).

use crate::handlers::lambda::deadline_of;
use crate::handlers::notify::batch::{self, Decoded};
use crate::handlers::notify::deliver::Pacing;
use crate::handlers::notify::writeback::WritebackClients;
use crate::handlers::notify::{BatchReport, Notifier};
use crate::ports::alerts::AlertSender;
use crate::ports::Store;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chrono::Utc;
use lambda_runtime::LambdaEvent;
use std::sync::Arc;
use std::time::Instant;

/// The notify function: the clients built once per cold start.
pub struct NotifyFunction<S: ?Sized> {
    pub store: Arc<S>,
    pub sender: Arc<dyn AlertSender>,
    /// The dashboard's address, for links in alerts.
    pub dashboard_url: Option<String>,
    pub pacing: Pacing,
    /// The HubSpot write-back after each scoring.
    pub writebacks: Option<Arc<dyn WritebackClients>>,
}

impl<S> NotifyFunction<S>
where
    S: Store + ?Sized,
{
    pub async fn handle(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, std::convert::Infallible> {
        let deadline = deadline_of(&event.context);
        let report = self
            .handle_batch(batch::decode(event.payload), deadline)
            .await;
        Ok(batch::response(report.failed))
    }

    /// The batch's work, without the Lambda context (the local runner calls this).
    pub async fn handle_batch(&self, decoded: Decoded, deadline: Instant) -> BatchReport {
        let records = decoded.received.len() + decoded.undecodable.len();
        let notifier = Notifier {
            store: self.store.as_ref(),
            sender: self.sender.as_ref(),
            dashboard_url: self.dashboard_url.clone(),
            pacing: self.pacing,
            writebacks: self.writebacks.as_deref(),
        };
        let report = notifier.handle_batch(decoded, deadline, Utc::now()).await;
        tracing::info!(
            records,
            failed = report.failed.len(),
            messages_sent = report.messages_sent,
            alerts_held = report.alerts_held,
            alerts_released = report.alerts_released,
            "notify batch handled"
        );
        report
    }
}
