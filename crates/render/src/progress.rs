//! Progress of a walk: a live line per in-flight operation on a terminal, plain
//! timestamped lines elsewhere (CI logs). Always on stderr.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Paint, duration};
use crate::engine::diff::Step;
use crate::engine::error::Error;
use crate::engine::walk::{Hooks, Phase};

pub enum Progress {
    Live {
        bars: MultiProgress,
        active: Mutex<HashMap<usize, ProgressBar>>,
        paint: Paint,
    },
    Lines {
        /// When each operation in flight last printed a line.
        printed: Mutex<HashMap<usize, Instant>>,
    },
}

/// Operations started and not yet finished or failed, for what a first Ctrl-C says.
static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many operations of the walk are in flight now (0 outside a walk).
pub fn in_flight() -> usize {
    IN_FLIGHT.load(std::sync::atomic::Ordering::SeqCst)
}

fn landed() {
    let _ = IN_FLIGHT.fetch_update(
        std::sync::atomic::Ordering::SeqCst,
        std::sync::atomic::Ordering::SeqCst,
        |count| count.checked_sub(1),
    );
}

/// Off a terminal, an operation's status is logged at most this often.
const STATUS_EVERY: Duration = Duration::from_secs(5);

/// Whether a status line is due `now`, given when the operation last printed one; if so,
/// `last` moves to `now`.
fn due(last: &mut Instant, now: Instant) -> bool {
    let due = now.saturating_duration_since(*last) >= STATUS_EVERY;
    if due {
        *last = now;
    }
    due
}

impl Progress {
    pub fn new(live: bool) -> Self {
        if live {
            let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            Progress::Live {
                bars,
                active: Mutex::new(HashMap::new()),
                paint: Paint::for_stderr(),
            }
        } else {
            Progress::Lines {
                printed: Mutex::new(HashMap::new()),
            }
        }
    }

    /// A line that stays, above any live bars.
    pub fn line(&self, text: &str) {
        match self {
            Progress::Live { bars, .. } => {
                let _ = bars.println(crate::visible(&crate::redact::redact(text)));
            }
            Progress::Lines { .. } => crate::sayln!(
                "{} {text}",
                humantime::format_rfc3339_millis(SystemTime::now())
            ),
        }
    }

    fn paint(&self) -> Paint {
        match self {
            Progress::Live { paint, .. } => *paint,
            Progress::Lines { .. } => Paint { enabled: false },
        }
    }
}

impl Hooks for Progress {
    fn started(&self, op: usize, step: &Step, phase: Phase) {
        IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let text = format!("{} {}", phase.verb().0, step.id);
        match self {
            Progress::Live { bars, active, .. } => {
                let bar = bars.add(ProgressBar::new_spinner());
                let style = ProgressStyle::with_template("  {spinner} {msg} {elapsed:.dim}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
                bar.set_style(style);
                bar.set_message(crate::visible(&crate::redact::redact(&text)).into_owned());
                bar.enable_steady_tick(Duration::from_millis(120));
                if let Ok(mut active) = active.lock() {
                    active.insert(op, bar);
                }
            }
            Progress::Lines { printed } => {
                if let Ok(mut printed) = printed.lock() {
                    printed.insert(op, Instant::now());
                }
                self.line(&text);
            }
        }
    }

    fn progressed(&self, op: usize, step: &Step, phase: Phase, status: &str) {
        let text = format!("{} {}: {status}", phase.verb().0, step.id);
        match self {
            Progress::Live { active, .. } => {
                if let Some(bar) = active
                    .lock()
                    .ok()
                    .and_then(|active| active.get(&op).cloned())
                {
                    bar.set_message(crate::visible(&crate::redact::redact(&text)).into_owned());
                }
            }
            Progress::Lines { printed } => {
                let now = Instant::now();
                let due = printed
                    .lock()
                    .is_ok_and(|mut printed| due(printed.entry(op).or_insert(now), now));
                if due {
                    self.line(&text);
                }
            }
        }
    }

    fn finished(
        &self,
        op: usize,
        step: &Step,
        phase: Phase,
        physical_id: Option<&str>,
        elapsed: Duration,
    ) {
        landed();
        self.clear(op);
        let physical = physical_id.map(|id| format!(" {id}")).unwrap_or_default();
        let mark = self.paint().green("✓");
        self.line(&format!(
            "{mark} {} {}{physical} in {}",
            phase.verb().1,
            step.id,
            duration(elapsed)
        ));
    }

    fn failed(&self, op: usize, step: &Step, phase: Phase, error: &Error, elapsed: Duration) {
        landed();
        self.clear(op);
        let mark = self.paint().red("✗");
        // The first line; the whole error (a failed rollout's tasks and logs) is in the
        // run's list of errors, printed once at the end.
        let error = error.to_string();
        let (first, more) = match error.split_once('\n') {
            Some((first, _)) => (first, " (details below)"),
            None => (error.as_str(), ""),
        };
        self.line(&format!(
            "{mark} failed {} {} after {}: {first}{more}",
            phase.verb().0,
            step.id,
            duration(elapsed)
        ));
    }

    fn skipped(&self, step: &Step, phase: Phase) {
        self.line(&format!(
            "- skipped {} {}: a resource it depends on failed",
            phase.verb().0,
            step.id
        ));
    }
}

impl Progress {
    fn clear(&self, op: usize) {
        match self {
            Progress::Live { active, bars, .. } => {
                if let Some(bar) = active.lock().ok().and_then(|mut active| active.remove(&op)) {
                    bar.finish_and_clear();
                    bars.remove(&bar);
                }
            }
            Progress::Lines { printed } => {
                if let Ok(mut printed) = printed.lock() {
                    printed.remove(&op);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_spaced_out() {
        let start = Instant::now();
        let mut last = start;
        assert!(!due(&mut last, start + Duration::from_secs(1)));
        assert!(due(&mut last, start + STATUS_EVERY));
        assert_eq!(last, start + STATUS_EVERY);
        assert!(!due(
            &mut last,
            start + STATUS_EVERY + Duration::from_secs(4)
        ));
        assert!(due(&mut last, start + STATUS_EVERY * 2));
    }
}
