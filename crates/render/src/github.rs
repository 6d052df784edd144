//! GitHub Actions, when `GITHUB_ACTIONS=true`: annotations (workflow commands, written to
//! stderr, which the runner reads as it reads stdout, so stdout stays data) and the job's
//! summary (Markdown appended to the file `GITHUB_STEP_SUMMARY` names).
//!
//! A workflow command is one line: what it carries is escaped as the runner unescapes it
//! (`%`, CR and LF in the message; `:` and `,` too in properties), so no value written
//! into one can end it or start another. Everything written is redacted.

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::Mutex;

/// Whether edgectl runs as a step of a GitHub Actions job.
pub fn active() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|value| value == "true")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error = 0,
    Warning = 1,
}

/// Where an annotation points: a file, and in it a line and column when known.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    pub file: &'a str,
    /// 1-based line and column, and the column the marked text ends at.
    pub position: Option<(usize, usize, usize)>,
}

/// The annotation's workflow command, one line. A file is named as the runner matches it
/// to the repository: relative to `GITHUB_WORKSPACE` (an absolute path under it, or a
/// relative one from the current folder); stdin names none, and a position the manifest
/// does not have (line 0: a name edgectl made) is left out.
pub fn annotation(level: Level, at: Option<At<'_>>, title: &str, message: &str) -> String {
    let mut properties = Vec::new();
    if let Some(at) = at
        && let Some(file) = workspace_path(at.file)
    {
        properties.push(format!("file={}", property(&file)));
        if let Some((line, column, end)) = at.position.filter(|(line, _, _)| *line > 0) {
            properties.push(format!("line={line}"));
            properties.push(format!("col={column}"));
            if end > column {
                properties.push(format!("endColumn={end}"));
            }
        }
    }
    let title = crate::redact::redact(title);
    properties.push(format!("title={}", property(&title)));
    let command = match level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    let message = crate::redact::redact(message);
    format!("::{command} {}::{}", properties.join(","), data(&message))
}

/// `file` as the runner names files: relative to the workspace. None for stdin.
fn workspace_path(file: &str) -> Option<String> {
    if file == "-" || file == "<stdin>" {
        return None;
    }
    let path = std::path::Path::new(file);
    let absolute = match path.is_absolute() {
        true => path.to_path_buf(),
        false => std::env::current_dir().ok()?.join(path),
    };
    // `app/../stack.yaml` is `stack.yaml`: the runner matches names as written.
    let mut normal = std::path::PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                normal.pop();
            }
            std::path::Component::CurDir => {}
            other => normal.push(other),
        }
    }
    match std::env::var_os("GITHUB_WORKSPACE") {
        // Outside the workspace: no file of the repository.
        Some(root) => normal
            .strip_prefix(root)
            .ok()
            .map(|relative| relative.to_string_lossy().into_owned()),
        None => Some(file.to_string()),
    }
}

/// GitHub shows at most 10 annotations of each level per step: the first 9 are written,
/// then one that says how to see the rest; one written already is not written again
/// (`validate` checks each environment, and finds the same mistake in each).
const SHOWN: usize = 9;

static WRITTEN: Mutex<Option<(HashSet<String>, [usize; 2])>> = Mutex::new(None);

/// Writes an annotation when running on GitHub Actions (see [`SHOWN`]).
pub fn annotate(level: Level, at: Option<At<'_>>, title: &str, message: &str) {
    if !active() {
        return;
    }
    let line = annotation(level, at, title, message);
    // The same mistake under another title (another environment's) is the same one.
    let same = annotation(level, at, "", message);
    let Ok(mut written) = WRITTEN.lock() else {
        return;
    };
    let (seen, counts) = written.get_or_insert_with(Default::default);
    if !seen.insert(same) {
        return;
    }
    let count = &mut counts[level as usize];
    *count += 1;
    let line = match *count {
        n if n <= SHOWN => line,
        n if n == SHOWN + 1 => annotation(
            level,
            None,
            "edgectl",
            "more than GitHub shows per step: the job's log has every one",
        ),
        _ => return,
    };
    // Everything else written to stderr goes through the printer's `visible`; so does this.
    crate::print::err(&format!("{}\n", crate::visible(&line)));
}

/// Appends `markdown` to the job's summary, when running on GitHub Actions with one. A
/// summary that cannot be written is a warning, never a failed run.
pub fn summarize(markdown: &str) {
    if !active() {
        return;
    }
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|path| !path.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut file| {
            file.write_all(crate::redact::redact(markdown).as_bytes())?;
            file.write_all(b"\n")
        });
    if let Err(error) = written {
        crate::sayln!(
            "warning: cannot write the job summary to {}: {error}",
            std::path::Path::new(&path).display()
        );
    }
}

/// A workflow command's message, escaped as the runner unescapes it.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_annotation_is_one_line_that_no_value_can_end() {
        let at = At {
            file: "infra/a,b:c.yaml",
            position: Some((12, 5, 9)),
        };
        assert_eq!(
            annotation(
                Level::Error,
                Some(at),
                "edgectl: invalid manifest",
                "unknown field `prot`\n::add-mask::x 100%"
            ),
            "::error file=infra/a%2Cb%3Ac.yaml,line=12,col=5,endColumn=9,title=edgectl%3A invalid manifest::unknown field `prot`%0A::add-mask::x 100%25"
        );
        assert_eq!(
            annotation(Level::Warning, None, "edgectl", "a\r\nb"),
            "::warning title=edgectl::a%0D%0Ab"
        );
        let file_only = At {
            file: "stack.yaml",
            position: None,
        };
        assert_eq!(
            annotation(Level::Warning, Some(file_only), "edgectl", "w"),
            "::warning file=stack.yaml,title=edgectl::w"
        );
    }
}
