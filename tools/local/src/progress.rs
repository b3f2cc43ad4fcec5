//! Progress bars for a sync: one per object type, fed by the sync engine's progress callback.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use shared::connector::engine::{ProgressUpdate, SyncProgress};
use shared::domain::ObjectType;
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// Draws "objects fetched per type" on the terminal; where there is no terminal (a pipe, a test), it
/// prints one line per finished type instead.
pub struct SyncBars {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<ObjectType, ProgressBar>>,
}

impl SyncBars {
    pub fn new(draw: bool) -> Self {
        let target = if draw {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(BTreeMap::new()),
        }
    }

    fn bar_for(&self, update: &ProgressUpdate) -> ProgressBar {
        let mut bars = self.bars.lock().unwrap_or_else(PoisonError::into_inner);
        bars.entry(update.object_type)
            .or_insert_with(|| {
                let bar = match update.total_hint {
                    Some(total) => self.multi.add(ProgressBar::new(total)),
                    None => self.multi.add(ProgressBar::no_length()),
                };
                let style = if update.total_hint.is_some() {
                    "{prefix:>12} [{bar:30.cyan/blue}] {pos}/{len} {msg}"
                } else {
                    "{prefix:>12} {spinner} {pos} fetched {msg}"
                };
                if let Ok(style) = ProgressStyle::with_template(style) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_prefix(update.object_type.as_str());
                bar
            })
            .clone()
    }

    /// Removes the bars (before the runner prints its summary).
    pub fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl SyncProgress for SyncBars {
    fn update(&self, update: &ProgressUpdate) {
        let bar = self.bar_for(update);
        if let Some(total) = update.total_hint {
            bar.set_length(total.max(update.fetched));
        }
        bar.set_position(update.fetched);
        if update.done && !bar.is_finished() {
            bar.finish_with_message("done");
            if self.multi.is_hidden() {
                eprintln!(
                    "  {:>10}: {} fetched",
                    update.object_type.as_str(),
                    update.fetched
                );
            }
        }
    }
}
