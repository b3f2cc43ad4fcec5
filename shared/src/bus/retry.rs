//! Retrying the entries of a batch that the bus refused, and only those.

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// How often and how patiently refused entries are sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Sends after the first one; 0 sends once.
    pub max_retries: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four retries from 100 ms doubling to at most 2 s: about 1.5 s of waiting at most, well within a
    /// Lambda's time, and enough to ride out EventBridge throttling.
    fn default() -> Self {
        Self {
            max_retries: 4,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    fn delays(&self) -> impl Iterator<Item = Duration> {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
            .build()
    }
}

/// Why the bus refused one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryRefusal {
    pub code: String,
    pub message: String,
}

impl EntryRefusal {
    /// Codes that name a problem with the entry itself: sending it again cannot help.
    fn is_permanent(&self) -> bool {
        matches!(
            self.code.as_str(),
            "MalformedDetail"
                | "InvalidArgument"
                | "ValidationException"
                | "AccessDeniedException"
                | "NotAuthorizedForSourceException"
                | "NotAuthorizedForDetailTypeException"
                | "ResourceNotFoundException"
        )
    }
}

/// What remained unsent after the retries: the entries themselves, so the caller can say which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsent<T> {
    pub entries: Vec<T>,
    pub message: String,
    /// The call itself failed (after the SDK's own retries), rather than individual entries.
    pub call_failed: bool,
}

/// Sends `entries` with `send`, which answers, per entry and in order, `None` when the entry was accepted
/// or the refusal; `Err` when the call as a whole failed. Refused entries are sent again with backoff, the
/// accepted ones never; entries refused for good are not retried.
pub(crate) async fn send_with_retries<T, F, Fut>(
    entries: Vec<T>,
    policy: &RetryPolicy,
    mut send: F,
) -> Result<(), Unsent<T>>
where
    T: Clone,
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<Option<EntryRefusal>>, String>>,
{
    let mut delays = policy.delays();
    let mut pending = entries;
    let mut given_up: Vec<T> = Vec::new();
    let mut last_refusal: Option<EntryRefusal> = None;
    loop {
        let outcomes = match send(pending.clone()).await {
            Ok(outcomes) => outcomes,
            Err(message) => {
                given_up.extend(pending);
                return Err(Unsent {
                    entries: given_up,
                    message,
                    call_failed: true,
                });
            }
        };
        let mut retryable = Vec::new();
        for (index, entry) in pending.into_iter().enumerate() {
            // A response with fewer results than entries leaves the rest unconfirmed: send them again.
            let refusal = match outcomes.get(index) {
                Some(None) => continue,
                Some(Some(refusal)) => refusal.clone(),
                None => EntryRefusal {
                    code: "MissingResult".to_string(),
                    message: "the response had no result for this entry".to_string(),
                },
            };
            if refusal.is_permanent() {
                given_up.push(entry);
            } else {
                retryable.push(entry);
            }
            last_refusal = Some(refusal);
        }
        let delay = if retryable.is_empty() {
            None
        } else {
            delays.next()
        };
        match delay {
            Some(delay) => {
                tokio::time::sleep(delay).await;
                pending = retryable;
            }
            None => {
                given_up.extend(retryable);
                return match last_refusal {
                    Some(refusal) if !given_up.is_empty() => Err(Unsent {
                        entries: given_up,
                        message: format!("{}: {}", refusal.code, refusal.message),
                        call_failed: false,
                    }),
                    _ => Ok(()),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn quick(max_retries: usize) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    fn refusal(code: &str) -> Option<EntryRefusal> {
        Some(EntryRefusal {
            code: code.to_string(),
            message: "refused".to_string(),
        })
    }

    /// The entries each send call was given, in call order.
    type CallLog = Arc<Mutex<Vec<Vec<u32>>>>;
    /// What one send call answers: a refusal (or none) per entry, or a failure of the whole call.
    type SendResult = Result<Vec<Option<EntryRefusal>>, String>;

    /// A sender that refuses the entries named in `refuse` (per attempt) and records what each call got.
    fn scripted(
        refuse: Vec<Vec<(u32, &'static str)>>,
    ) -> (
        CallLog,
        impl FnMut(Vec<u32>) -> std::future::Ready<SendResult>,
    ) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&calls);
        let send = move |entries: Vec<u32>| {
            let mut calls = recorded.lock().unwrap_or_else(|e| e.into_inner());
            let attempt = calls.len();
            calls.push(entries.clone());
            let refused = refuse.get(attempt).cloned().unwrap_or_default();
            let outcomes = entries
                .iter()
                .map(|entry| {
                    refused
                        .iter()
                        .find(|(id, _)| id == entry)
                        .and_then(|(_, code)| refusal(code))
                })
                .collect();
            std::future::ready(Ok(outcomes))
        };
        (calls, send)
    }

    #[tokio::test]
    async fn only_refused_entries_are_sent_again() {
        let (calls, send) = scripted(vec![vec![
            (2, "ThrottlingException"),
            (5, "InternalFailure"),
        ]]);
        let outcome = send_with_retries(vec![1, 2, 3, 4, 5], &quick(3), send).await;
        assert_eq!(outcome, Ok(()));
        let calls = calls.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(calls, vec![vec![1, 2, 3, 4, 5], vec![2, 5]]);
    }

    #[tokio::test]
    async fn an_entry_refused_every_time_is_given_up_after_the_bound() {
        let always: Vec<_> = (0..10).map(|_| vec![(3, "ThrottlingException")]).collect();
        let (calls, send) = scripted(always);
        let outcome = send_with_retries(vec![1, 2, 3], &quick(2), send).await;
        let unsent = match outcome {
            Err(unsent) => unsent,
            Ok(()) => panic!("a refused entry was reported as sent"),
        };
        assert_eq!(unsent.entries, vec![3]);
        assert!(unsent.message.contains("ThrottlingException"));
        assert!(!unsent.call_failed);
        assert_eq!(calls.lock().unwrap_or_else(|e| e.into_inner()).len(), 3);
    }

    #[tokio::test]
    async fn a_malformed_entry_is_not_retried() {
        let (calls, send) = scripted(vec![vec![(1, "MalformedDetail")]]);
        let outcome = send_with_retries(vec![1, 2], &quick(3), send).await;
        assert_eq!(outcome.map_err(|u| u.entries), Err(vec![1]));
        assert_eq!(calls.lock().unwrap_or_else(|e| e.into_inner()).len(), 1);
    }

    #[tokio::test]
    async fn throttled_entries_are_retried_beside_a_malformed_one() {
        let (calls, send) = scripted(vec![vec![
            (1, "MalformedDetail"),
            (2, "ThrottlingException"),
        ]]);
        let outcome = send_with_retries(vec![1, 2, 3], &quick(3), send).await;
        assert_eq!(outcome.map_err(|u| u.entries), Err(vec![1]));
        let calls = calls.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(calls, vec![vec![1, 2, 3], vec![2]]);
    }

    #[tokio::test]
    async fn a_call_failing_after_refusals_names_the_given_up_and_the_pending_entries() {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let send = move |entries: Vec<u32>| {
            let attempt = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::future::ready(if attempt == 0 {
                Ok(entries
                    .iter()
                    .map(|entry| match entry {
                        1 => refusal("MalformedDetail"),
                        2 => refusal("ThrottlingException"),
                        _ => None,
                    })
                    .collect())
            } else {
                Err("connection reset".to_string())
            })
        };
        let outcome = send_with_retries(vec![1, 2, 3], &quick(3), send).await;
        let unsent = outcome.err().map(|u| (u.entries, u.call_failed));
        assert_eq!(unsent, Some((vec![1, 2], true)));
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_call_counts_every_pending_entry() {
        let send = |_: Vec<u32>| std::future::ready(Err("connection refused".to_string()));
        let outcome = send_with_retries(vec![1, 2, 3], &quick(3), send).await;
        assert_eq!(
            outcome,
            Err(Unsent {
                entries: vec![1, 2, 3],
                message: "connection refused".to_string(),
                call_failed: true
            })
        );
    }
}
