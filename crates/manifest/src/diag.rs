//! Manifest diagnostics: a message at a position with an optional hint, rendered like a
//! compiler error so the file, line and column can be clicked in a terminal or CI log.

use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// How many characters to underline.
    pub len: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub pos: Pos,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(pos: Pos, message: String) -> Self {
        Self {
            pos,
            message,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// A manifest's warning: what people regret (an SSH port open to the internet), at its
/// place when decoding found it, or of the whole manifest (`Section::warnings`).
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    pub pos: Option<Pos>,
    pub message: String,
    pub help: Option<String>,
    /// As a terminal shows it: with its source line when it has a place.
    pub shown: String,
}

impl Warning {
    /// A warning without a place in the file.
    pub fn general(message: String) -> Self {
        Self {
            shown: format!("warning: {}\n", super::marks::display(&message)),
            pos: None,
            message,
            help: None,
        }
    }

    /// Warnings at their places, each shown with its source line.
    pub fn located(path: &str, source: &str, diagnostics: &[Diagnostic]) -> Vec<Self> {
        let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
        sorted.sort_by(|a, b| (a.pos, &a.message).cmp(&(b.pos, &b.message)));
        sorted.dedup();
        sorted
            .into_iter()
            .map(|diagnostic| Self {
                pos: Some(diagnostic.pos),
                message: diagnostic.message.clone(),
                help: diagnostic.help.clone(),
                shown: render_as("warning", path, source, std::slice::from_ref(diagnostic)),
            })
            .collect()
    }
}

/// Renders diagnostics sorted by position, each with its source line and a caret.
pub fn render(path: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    render_as("error", path, source, diagnostics)
}

/// [`render`], each headed `label` (`error`, `warning`).
fn render_as(label: &str, path: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
    sorted.sort_by(|a, b| (a.pos, &a.message).cmp(&(b.pos, &b.message)));
    let mut out = String::new();
    // A broken file can yield thousands of errors; the first ones show what is wrong.
    let hidden = sorted.len().saturating_sub(MAX_SHOWN);
    sorted.truncate(MAX_SHOWN);
    for diagnostic in sorted {
        let Pos { line, column, len } = diagnostic.pos;
        // A reference quoted from a decoded string shows as written (see `refs`).
        let _ = writeln!(
            out,
            "{label}: {}",
            super::marks::display(&diagnostic.message)
        );
        let _ = writeln!(out, "  --> {path}:{line}:{column}");
        if let Some(text) = line.checked_sub(1).and_then(|index| lines.get(index)) {
            let gutter = line.to_string().len();
            let visible = text.chars().count().saturating_sub(column - 1).max(1);
            let _ = writeln!(out, "{:gutter$} |", "");
            // Control characters (the subject of some errors) and those that reorder text are
            // shown as one replacement character each, not sent to the terminal.
            let text: String = text
                .chars()
                .map(|c| {
                    let reorders = matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
                    if (c.is_control() && c != '\t') || reorders {
                        '\u{fffd}'
                    } else {
                        c
                    }
                })
                .collect();
            let _ = writeln!(out, "{line} | {text}");
            let _ = writeln!(
                out,
                "{:gutter$} | {}{}",
                "",
                " ".repeat(column.saturating_sub(1)),
                "^".repeat(len.clamp(1, visible))
            );
        }
        if let Some(help) = &diagnostic.help {
            let _ = writeln!(out, "  = help: {}", super::marks::display(help));
        }
        out.push('\n');
    }
    if hidden > 0 {
        let _ = writeln!(out, "... and {hidden} more {label}s\n");
    }
    out
}

/// Errors shown in one report.
const MAX_SHOWN: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_words() {
        assert_eq!(
            suggest("cidr_block", ["cidr", "zones", "subnets"]),
            Some("cidr")
        );
        assert_eq!(suggest("region", ["cidr", "zones", "subnets"]), None);
        assert_eq!(
            suggest("subnet", ["cidr", "zones", "subnets"]),
            Some("subnets")
        );
        assert_eq!(suggest("ingres", ["ingress", "egress"]), Some("ingress"));
    }

    #[test]
    fn renders_source_line_and_caret() {
        let text = "stack: demo\nnetwork:\n  cidrr: 10.0.0.0/16\n";
        let diagnostic = Diagnostic::new(
            Pos {
                line: 3,
                column: 3,
                len: 5,
            },
            "unknown field".into(),
        )
        .with_help("did you mean `cidr`?");
        assert_eq!(
            render("m.yaml", text, &[diagnostic]),
            "error: unknown field\n  --> m.yaml:3:3\n  |\n3 |   cidrr: 10.0.0.0/16\n  |   ^^^^^\n  = help: did you mean `cidr`?\n\n"
        );
    }
}
