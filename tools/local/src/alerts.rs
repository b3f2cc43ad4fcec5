//! notify in the runner: the bus's client changes and `ScoresUpdated` reach it in batches, as the
//! queue hands them to the Lambda, and an hourly timer releases held alerts, as the schedule does.
//! Messages go out for real through the `ChannelSender`: a rule pointed at a local URL (plain http
//! to localhost is allowed here) gets them.

use crate::timers::stopping;
use shared::channels::{ChannelSender, SenderOptions, UrlPolicy};
use shared::handlers::notify::batch::{Decoded, Received};
use shared::handlers::notify::deliver::Pacing;
use shared::handlers::notify::function::NotifyFunction;
use shared::handlers::route::Trigger;
use shared::ports::SecretVault;
use shared::store::MemoryStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Like the queue's batching window: events that arrive together are handled together (so a
/// scoring's burst becomes one digest).
const BATCH_WINDOW: Duration = Duration::from_secs(2);
/// The queue's batch size.
const BATCH_SIZE: usize = 100;
/// What one batch may take (the Lambda's timeout).
const BATCH_DEADLINE: Duration = Duration::from_secs(300);
/// The release schedule (hourly in the template).
const RELEASE_EVERY: Duration = Duration::from_secs(3600);

/// notify over the runner's store and vault, sending for real (email is not configured locally).
pub fn notify_function(
    store: Arc<MemoryStore>,
    vault: Arc<dyn SecretVault>,
    dashboard_url: &str,
) -> Result<NotifyFunction<MemoryStore>, reqwest::Error> {
    let options = SenderOptions {
        url_policy: UrlPolicy::LOCAL,
        ..SenderOptions::default()
    };
    Ok(NotifyFunction {
        store,
        sender: Arc::new(ChannelSender::new(vault, None, options)?),
        dashboard_url: Some(dashboard_url.to_string()),
        pacing: Pacing::default(),
        // The write-back is not wired locally yet: the runner's HubSpot sources are built later.
        writebacks: None,
    })
}

/// Feeds notify its triggers in batches until the runner stops. A record that fails is logged (the
/// delivery log has the details); the runner has no dead-letter queue to park it in.
pub async fn feed(
    function: Arc<NotifyFunction<MemoryStore>>,
    mut triggers: mpsc::UnboundedReceiver<Trigger>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut sequence = 0u64;
    loop {
        let first = tokio::select! {
            () = stopping(&mut stopped) => break,
            first = triggers.recv() => match first { Some(t) => t, None => break },
        };
        let mut batch = vec![first];
        let window = tokio::time::sleep(BATCH_WINDOW);
        tokio::pin!(window);
        while batch.len() < BATCH_SIZE {
            tokio::select! {
                () = &mut window => break,
                next = triggers.recv() => match next { Some(t) => batch.push(t), None => break },
            }
        }
        let received = batch
            .into_iter()
            .map(|trigger| {
                sequence += 1;
                Received {
                    message_id: format!("local-{sequence}"),
                    trigger,
                    last_receive: true,
                }
            })
            .collect();
        let decoded = Decoded {
            received,
            undecodable: vec![],
        };
        let report = function
            .handle_batch(decoded, Instant::now() + BATCH_DEADLINE)
            .await;
        if !report.failed.is_empty() {
            eprintln!(
                "Alerts: {} event(s) could not be delivered (see the delivery log on the Alerts page)",
                report.failed.len()
            );
        }
    }
}

/// The hourly release of held alerts (quiet hours over, digest hour).
pub async fn release_hourly(
    triggers: mpsc::UnboundedSender<Trigger>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + RELEASE_EVERY, RELEASE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = stopping(&mut stopped) => break,
            _ = ticks.tick() => {
                if triggers.send(Trigger::AlertRelease).is_err() {
                    break;
                }
            }
        }
    }
}
