//! Progress bars for a sync: one per object type, fed by the sync engine's progress callback.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use shared::connector::engine::{ProgressUpdate, SyncProgress};
use shared::domain::ObjectType;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Mutex, PoisonError};

/// How a sync's progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressOutput {
    /// Bars redrawn in place: a bar with the total when the source gives one (HubSpot's search
    /// does), a count with a spinner otherwise (its list endpoints, which a full sync walks, do not).
    Bars,
    /// One line per object type when its walk finishes (stderr is a pipe or a file).
    Lines,
    /// Nothing (`--no-progress`).
    Off,
}

impl ProgressOutput {
    /// Bars on a terminal, lines elsewhere, nothing when asked for none.
    pub fn choose(wanted: bool, terminal: bool) -> Self {
        match (wanted, terminal) {
            (false, _) => ProgressOutput::Off,
            (true, true) => ProgressOutput::Bars,
            (true, false) => ProgressOutput::Lines,
        }
    }
}

/// Draws "objects fetched per type" (see [`ProgressOutput`]).
pub struct SyncBars {
    output: ProgressOutput,
    multi: MultiProgress,
    bars: Mutex<BTreeMap<ObjectType, ProgressBar>>,
}

impl SyncBars {
    /// `wanted` is false with `--no-progress`.
    pub fn new(wanted: bool) -> Self {
        Self::with_output(ProgressOutput::choose(
            wanted,
            std::io::stderr().is_terminal(),
        ))
    }

    pub fn with_output(output: ProgressOutput) -> Self {
        let target = match output {
            ProgressOutput::Bars => ProgressDrawTarget::stderr(),
            ProgressOutput::Lines | ProgressOutput::Off => ProgressDrawTarget::hidden(),
        };
        Self {
            output,
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(BTreeMap::new()),
        }
    }

    /// The line printed for a finished walk, when lines are printed.
    fn finished_line(&self, update: &ProgressUpdate) -> Option<String> {
        (self.output == ProgressOutput::Lines).then(|| {
            format!(
                "  {:>10}: {} fetched",
                update.object_type.as_str(),
                update.fetched
            )
        })
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
            if let Some(line) = self.finished_line(update) {
                eprintln!("{line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(object_type: ObjectType) -> ProgressUpdate {
        ProgressUpdate {
            object_type,
            fetched: 12,
            total_hint: None,
            done: true,
        }
    }

    #[test]
    fn no_progress_means_no_lines_even_without_a_terminal() {
        assert_eq!(ProgressOutput::choose(false, false), ProgressOutput::Off);
        assert_eq!(ProgressOutput::choose(false, true), ProgressOutput::Off);
        let off = SyncBars::with_output(ProgressOutput::Off);
        assert_eq!(off.finished_line(&finished(ObjectType::Companies)), None);
    }

    #[test]
    fn without_a_terminal_each_finished_type_is_one_line() {
        assert_eq!(ProgressOutput::choose(true, false), ProgressOutput::Lines);
        assert_eq!(ProgressOutput::choose(true, true), ProgressOutput::Bars);
        let lines = SyncBars::with_output(ProgressOutput::Lines);
        assert_eq!(
            lines.finished_line(&finished(ObjectType::Companies)),
            Some("   companies: 12 fetched".to_string())
        );
    }
}
