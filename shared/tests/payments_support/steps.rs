//! A scripted walk any scripted source serves its steps from: step `i` is reached with cursor
//! `step-i` (`None` for step 0), with an optional delay, a refused credential or a stalled cursor
//! at a given step. The script may be changed between walks (the platform changed).

use shared::ports::source::{FetchWindow, SourceError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// What goes wrong, and where.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every step takes this long.
    pub step_delay: Duration,
    /// The step at this index finds the credentials refused.
    pub reauth_at: Option<usize>,
    /// The step at this index answers with its own cursor.
    pub stall_at: Option<usize>,
}

pub struct ScriptedSteps<T> {
    /// The records of each step of the next walk.
    pub steps: Mutex<Vec<Vec<T>>>,
    pub faults: Faults,
    requests: AtomicU64,
    /// Every (window, cursor) asked for, in order.
    pub asked: Mutex<Vec<(FetchWindow, Option<String>)>>,
}

impl<T: Clone> ScriptedSteps<T> {
    pub fn new(steps: Vec<Vec<T>>, faults: Faults) -> Self {
        ScriptedSteps {
            steps: Mutex::new(steps),
            faults,
            requests: AtomicU64::new(0),
            asked: Mutex::new(Vec::new()),
        }
    }

    /// The step at `cursor` and the next cursor, as the faults say; counts one request.
    pub async fn step(
        &self,
        window: FetchWindow,
        cursor: Option<&str>,
    ) -> Result<(Vec<T>, Option<String>), SourceError> {
        self.asked
            .lock()
            .unwrap()
            .push((window, cursor.map(str::to_owned)));
        self.count_request();
        tokio::time::sleep(self.faults.step_delay).await;
        let index = step_index(cursor)?;
        if self.faults.reauth_at == Some(index) {
            return Err(SourceError::NeedsReauth {
                reason: "invalid_client: Client Authentication failed".into(),
            });
        }
        let steps = self.steps.lock().unwrap().clone();
        let records = steps.get(index).cloned().unwrap_or_default();
        let next_cursor = if self.faults.stall_at == Some(index) {
            cursor.map(str::to_owned).or(Some("step-0".into()))
        } else {
            (index + 1 < steps.len()).then(|| format!("step-{}", index + 1))
        };
        Ok((records, next_cursor))
    }

    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn cursors_asked(&self) -> Vec<Option<String>> {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .map(|(_, c)| c.clone())
            .collect()
    }

    pub fn windows_asked(&self) -> Vec<FetchWindow> {
        self.asked.lock().unwrap().iter().map(|(w, _)| *w).collect()
    }
}

fn step_index(cursor: Option<&str>) -> Result<usize, SourceError> {
    match cursor {
        None => Ok(0),
        Some(c) => c
            .strip_prefix("step-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| SourceError::InvalidCursor(c.to_string())),
    }
}
