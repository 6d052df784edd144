//! A YAML document as a tree whose every node knows where it came from.
//!
//! `serde_yaml` (deprecated upstream) reports a position only for the first error it meets;
//! validation here reports every error at once, each at its own line and column, so the
//! manifest is read into this located tree first and decoded by hand (`decode.rs`).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::diag::{Diagnostic, Pos};

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub kind: NodeKind,
    /// A variable's declared default was substituted into this scalar (no `--var` or
    /// `EDGECTL_VAR_` set it): an image tag like this never replaces the one running.
    pub defaulted: bool,
    /// A variable in this scalar could not be substituted (already reported): decoders
    /// skip it instead of adding errors about the unsubstituted text.
    pub unresolved: bool,
    /// A variable's value was substituted into this scalar: its text is the value's,
    /// whatever quotes the manifest wrote around `${var.K}` (`"${var.port}"` is a number
    /// when the value is one).
    pub interpolated: bool,
    /// The variables not marked `sensitive` substituted into this scalar: a value whose
    /// name says it is a secret, read from one of them, is printed in every plan.
    pub clear_variables: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar with its text; `plain` is false for quoted and block scalars, which are
    /// always strings (`"80"` is not a number).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// What the node is, in words a person reads: "null", "the text `3000/tcp`", "a
    /// list", "a mapping" (a long text cut short).
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Scalar { text, plain: true } if is_null(text) => "null".to_string(),
            NodeKind::Scalar { text, .. } => {
                let shown: String = text.chars().take(40).collect();
                let more = if text.chars().count() > 40 { "..." } else { "" };
                format!("the text `{shown}{more}`")
            }
            NodeKind::Seq(_) => "a list".to_string(),
            NodeKind::Map(_) => "a mapping".to_string(),
        }
    }

    /// A number written in quotes (`port: "3000"`): YAML reads it as text. A variable's
    /// value is not one, whatever quotes surround `${var.K}`.
    pub fn is_quoted_number(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: false }
            if !self.interpolated && text.trim().parse::<f64>().is_ok())
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true } if is_null(text))
    }

    /// The boolean it is as the manifest reads booleans: `true`/`false` plain in any of
    /// YAML's three spellings, or exactly `true`/`false` quoted (a variable's value);
    /// `None` for anything else, and for a variable given no value.
    pub fn as_bool(&self) -> Option<bool> {
        if self.unresolved {
            return None;
        }
        match &self.kind {
            NodeKind::Scalar { text, plain: true }
                if matches!(text.as_str(), "true" | "True" | "TRUE") =>
            {
                Some(true)
            }
            NodeKind::Scalar { text, plain: true }
                if matches!(text.as_str(), "false" | "False" | "FALSE") =>
            {
                Some(false)
            }
            NodeKind::Scalar { text, .. } if text == "true" => Some(true),
            NodeKind::Scalar { text, .. } if text == "false" => Some(false),
            _ => None,
        }
    }
}

pub fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// What a manifest may hold. Real manifests are a few kilobytes, a few levels deep; the
/// bounds keep a hostile or broken file (alias bombs, runaway nesting) from exhausting
/// memory or time: any file within them validates in well under a second.
pub mod limits {
    /// Bytes in the file.
    pub const BYTES: usize = 1024 * 1024;
    /// Collections inside collections.
    pub const DEPTH: usize = 64;
    /// Nodes in the document once every alias is expanded.
    pub const NODES: usize = 100_000;
    /// Entries in one list or mapping.
    pub const ENTRIES: usize = 10_000;
    /// Characters in one scalar (an S3 bucket policy, the largest text AWS takes here, is 20 KB).
    pub const SCALAR: usize = 64 * 1024;
}

/// The manifest's bytes as text. Every byte counts: text that is not UTF-8, or that holds
/// a character YAML forbids (a NUL byte, which the parser would read as the end of the
/// file, or any other control character but tab and line breaks), is an error at its
/// position, never a shorter document. `Err` carries the text to show the error in.
pub fn text_of(bytes: &[u8]) -> Result<String, (String, Diagnostic)> {
    if bytes.len() > limits::BYTES {
        let shown = String::from_utf8_lossy(&bytes[..limits::BYTES]).into_owned();
        let at = position_of(&shown, shown.len());
        return Err((
            shown,
            Diagnostic::new(
                at,
                format!(
                    "the manifest is larger than {} bytes ({} KiB)",
                    limits::BYTES,
                    limits::BYTES / 1024
                ),
            )
            .with_help("a manifest describes resources; keep data such as site content in files `sync.source` points at"),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.valid_up_to();
            let shown = String::from_utf8_lossy(bytes).into_owned();
            // The lossy text keeps every valid byte before the first invalid one in place.
            let at = position_of(&shown, valid);
            return Err((
                shown,
                Diagnostic::new(
                    at,
                    format!(
                        "the manifest is not valid UTF-8: byte 0x{:02x} at offset {valid}",
                        bytes[valid]
                    ),
                )
                .with_help("save the file as UTF-8"),
            ));
        }
    };
    for (offset, character) in text.char_indices() {
        if forbidden(character) {
            return Err((
                text.to_string(),
                Diagnostic::new(
                    position_of(text, offset),
                    format!(
                        "character {} is not allowed in YAML",
                        describe_char(character)
                    ),
                )
                .with_help(
                    "remove it: a manifest is text, with no control characters but tab and line breaks",
                ),
            ));
        }
    }
    Ok(text.to_string())
}

/// Characters outside YAML 1.2's printable set (`c-printable`).
fn forbidden(character: char) -> bool {
    match character {
        '\t' | '\n' | '\r' | '\u{85}' => false,
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => true,
        _ => false,
    }
}

fn describe_char(character: char) -> String {
    let code = u32::from(character);
    match character {
        '\0' => "U+0000 (NUL)".to_string(),
        _ => format!("U+{code:04X}"),
    }
}

/// The line and column of byte `offset` in `text`.
fn position_of(text: &str, offset: usize) -> Pos {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    Pos {
        line,
        column: before[line_start..].chars().count() + 1,
        len: 1,
    }
}

/// Parses one YAML document. An empty document is an empty mapping.
pub fn parse(text: &str) -> Result<Node, Diagnostic> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    // Driven event by event, so that a limit stops the parse at once.
    loop {
        match parser.next_token() {
            Ok((event, marker)) => {
                let end = event == Event::StreamEnd;
                builder.on_event(event, marker);
                if end || builder.error.is_some() {
                    break;
                }
            }
            Err(error) => {
                let marker = error.marker();
                return Err(Diagnostic::new(
                    pos(marker, 1),
                    format!("invalid YAML: {}", error.info()),
                )
                .with_help("check the indentation and quoting around this position"));
            }
        }
    }
    if let Some(diagnostic) = builder.error {
        return Err(diagnostic);
    }
    Ok(builder.root.unwrap_or(Node {
        pos: Pos {
            line: 1,
            column: 1,
            len: 1,
        },
        kind: NodeKind::Map(Vec::new()),
        defaulted: false,
        unresolved: false,
        interpolated: false,
        clear_variables: Vec::new(),
    }))
}

fn pos(marker: &Marker, len: usize) -> Pos {
    Pos {
        line: marker.line(),
        column: marker.col() + 1,
        len: len.max(1),
    }
}

enum Frame {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<(Node, Node)>, Option<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// For each open collection, the node count when it opened (to size it on close).
    opened_at: Vec<usize>,
    root: Option<Node>,
    /// Anchored nodes with their sizes (nodes in the subtree, aliases expanded).
    anchors: HashMap<usize, (Node, usize)>,
    /// Anchor ids of the collections still open, so their value can be recorded on close.
    open_anchors: Vec<usize>,
    /// Nodes built so far, every alias counted as the nodes it copies.
    nodes: usize,
    documents: usize,
    error: Option<Diagnostic>,
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending_key)) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }

    fn fail(&mut self, at: Pos, message: String, help: &str) {
        self.error = Some(Diagnostic::new(at, message).with_help(help));
    }

    /// Counts `count` more nodes; false (with the error set) past the limit.
    fn count(&mut self, count: usize, at: Pos) -> bool {
        self.nodes = self.nodes.saturating_add(count);
        if self.nodes > limits::NODES {
            self.fail(
                at,
                format!(
                    "the manifest holds more than {} values once its aliases are expanded",
                    limits::NODES
                ),
                "an alias (`*name`) copies what its anchor holds: use fewer aliases of large anchors",
            );
            return false;
        }
        true
    }

    /// Checks the collection about to receive a value is within the entries limit.
    fn room(&mut self, at: Pos) -> bool {
        let (len, opened) = match self.stack.last() {
            Some(Frame::Seq(pos, items)) => (items.len(), *pos),
            Some(Frame::Map(pos, entries, _)) => (entries.len(), *pos),
            None => return true,
        };
        if len >= limits::ENTRIES {
            self.fail(
                at,
                format!(
                    "the list or mapping at line {} has more than {} entries",
                    opened.line,
                    limits::ENTRIES
                ),
                "split it, or generate fewer entries",
            );
            return false;
        }
        true
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        if self.error.is_some() {
            return;
        }
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = style == TScalarStyle::Plain;
                let quoted = matches!(
                    style,
                    TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
                );
                let chars = text.chars().count();
                let at = pos(&marker, chars + if quoted { 2 } else { 0 });
                if chars > limits::SCALAR {
                    return self.fail(
                        pos(&marker, 1),
                        format!(
                            "this value is longer than {} characters ({chars})",
                            limits::SCALAR
                        ),
                        "keep long texts (policies, pages) in files",
                    );
                }
                if !self.room(at) || !self.count(1, at) {
                    return;
                }
                let node = Node {
                    pos: at,
                    kind: NodeKind::Scalar { text, plain },
                    defaulted: false,
                    unresolved: false,
                    interpolated: false,
                    clear_variables: Vec::new(),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.push_value(node);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let at = pos(&marker, 1);
                if self.stack.len() >= limits::DEPTH {
                    return self.fail(
                        at,
                        format!("the manifest nests deeper than {} levels", limits::DEPTH),
                        "a manifest needs a few levels: check for runaway brackets or indentation",
                    );
                }
                if !self.room(at) || !self.count(1, at) {
                    return;
                }
                self.open_anchors.push(anchor);
                self.opened_at.push(self.nodes);
                self.stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq(at, Vec::new())
                    } else {
                        Frame::Map(at, Vec::new(), None)
                    });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let anchor = self.open_anchors.pop().unwrap_or(0);
                let size = self.nodes - self.opened_at.pop().unwrap_or(self.nodes) + 1;
                let node = match self.stack.pop() {
                    Some(Frame::Seq(pos, items)) => Node {
                        pos,
                        kind: NodeKind::Seq(items),
                        defaulted: false,
                        unresolved: false,
                        interpolated: false,
                        clear_variables: Vec::new(),
                    },
                    Some(Frame::Map(pos, entries, _)) => Node {
                        pos,
                        kind: NodeKind::Map(entries),
                        defaulted: false,
                        unresolved: false,
                        interpolated: false,
                        clear_variables: Vec::new(),
                    },
                    None => return,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), size));
                }
                self.push_value(node);
            }
            Event::Alias(anchor) => {
                let at = pos(&marker, 1);
                let Some((node, size)) = self.anchors.get(&anchor).cloned() else {
                    self.error = Some(Diagnostic::new(at, "unknown YAML alias".into()));
                    return;
                };
                if self.room(at) && self.count(size, at) {
                    self.push_value(node);
                }
            }
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.fail(
                        pos(&marker, 3),
                        "a second YAML document: a manifest is one document".into(),
                        "remove the `---` that starts it, or split the stacks into separate files",
                    );
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_point_at_the_value() {
        let node = parse("stack: demo\nnetwork:\n  cidr: \"10.0.0.0/16\"\n").unwrap();
        let NodeKind::Map(entries) = &node.kind else {
            panic!("expected a map")
        };
        assert_eq!(
            entries[0].0.pos,
            Pos {
                line: 1,
                column: 1,
                len: 5
            }
        );
        assert_eq!(
            entries[0].1.pos,
            Pos {
                line: 1,
                column: 8,
                len: 4
            }
        );
        let NodeKind::Map(network) = &entries[1].1.kind else {
            panic!("expected a map")
        };
        assert_eq!(
            network[0].1.pos,
            Pos {
                line: 3,
                column: 9,
                len: 13
            }
        );
        assert_eq!(
            network[0].1.kind,
            NodeKind::Scalar {
                text: "10.0.0.0/16".into(),
                plain: false
            }
        );
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let error = parse("stack: demo\nnetwork: [1, 2\n").unwrap_err();
        assert!(
            error.message.starts_with("invalid YAML"),
            "{}",
            error.message
        );
        assert!(error.pos.line >= 2);
    }

    fn refused(bytes: &[u8]) -> Diagnostic {
        match text_of(bytes) {
            Err((_, diagnostic)) => diagnostic,
            Ok(text) => parse(&text).expect_err("should be refused"),
        }
    }

    #[test]
    fn a_nul_byte_is_an_error_where_it_is_not_the_end_of_the_file() {
        let error = refused(b"stack: demo\nnetwork:\0\n  cidr: 10.0.0.0/16\n");
        assert_eq!(
            error.message,
            "character U+0000 (NUL) is not allowed in YAML"
        );
        assert_eq!((error.pos.line, error.pos.column), (2, 9));
        for control in [0x01u8, 0x08, 0x0b, 0x0c, 0x1b, 0x7f] {
            let error = refused(&[b'a', b':', b' ', control]);
            assert_eq!((error.pos.line, error.pos.column), (1, 4), "{control:#x}");
        }
        // C1 controls and the two non-characters, as UTF-8.
        for text in ["a: \u{80}", "a: \u{9f}", "a: \u{fffe}", "a: \u{ffff}"] {
            assert!(refused(text.as_bytes()).message.contains("is not allowed"));
        }
        // Tabs, CR LF line ends, NEL and ordinary Unicode are text.
        assert!(text_of("a: \"x\ty\"\r\nb: \u{85}é\u{1F600}\n".as_bytes()).is_ok());
    }

    #[test]
    fn invalid_utf8_is_an_error_at_its_byte() {
        let error = refused(b"stack: demo\nnetwork: \xff\xfe\n");
        assert_eq!((error.pos.line, error.pos.column), (2, 10));
        assert!(
            error.message.contains("byte 0xff at offset 21"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_second_document_is_not_ignored() {
        let error = refused(b"stack: demo\n---\nnetwork: {}\n");
        assert!(
            error.message.contains("second YAML document"),
            "{}",
            error.message
        );
        assert_eq!(error.pos.line, 2);
        // One document with an explicit start is fine.
        assert!(parse("---\nstack: demo\n").is_ok());
    }

    #[test]
    fn limits_are_located_errors() {
        let deep = format!("a: {}{}", "[".repeat(100), "]".repeat(100));
        let error = refused(deep.as_bytes());
        assert!(
            error.message.contains("deeper than 64"),
            "{}",
            error.message
        );
        assert_eq!(error.pos.line, 1);

        // The classic alias bomb: ten levels, each ten aliases of the one before.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            bomb.push_str(&format!(
                "a{level}: &a{level} [{}]\n",
                [previous.as_str(); 10].join(", ")
            ));
        }
        let error = refused(bomb.as_bytes());
        assert!(
            error.message.contains("more than 100000 values"),
            "{}",
            error.message
        );
        assert!(error.pos.line >= 5);

        let wide = format!("a: [{}]", vec!["1"; limits::ENTRIES + 1].join(","));
        let error = refused(wide.as_bytes());
        assert!(
            error.message.contains("more than 10000 entries"),
            "{}",
            error.message
        );

        let long = format!("a: {}", "x".repeat(limits::SCALAR + 1));
        let error = refused(long.as_bytes());
        assert!(
            error.message.contains("longer than 65536"),
            "{}",
            error.message
        );

        let big = format!("a: b\n{}", "# padding\n".repeat(limits::BYTES / 10 + 1));
        let error = refused(big.as_bytes());
        assert!(
            error.message.contains("larger than 1048576 bytes"),
            "{}",
            error.message
        );
    }

    #[test]
    fn empty_document_is_an_empty_map() {
        assert_eq!(parse("").unwrap().kind, NodeKind::Map(Vec::new()));
    }
}
