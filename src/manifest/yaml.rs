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
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { text, plain: true } if is_null(text) => "null",
            NodeKind::Scalar { .. } => "a scalar",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true } if is_null(text))
    }
}

pub fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Parses one YAML document. An empty document is an empty mapping.
pub fn parse(text: &str) -> Result<Node, Diagnostic> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(error) = parser.load(&mut builder, false) {
        let marker = error.marker();
        return Err(
            Diagnostic::new(pos(marker, 1), format!("invalid YAML: {}", error.info()))
                .with_help("check the indentation and quoting around this position"),
        );
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
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    /// Anchor ids of the collections still open, so their value can be recorded on close.
    open_anchors: Vec<usize>,
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
                let len = text.chars().count() + if quoted { 2 } else { 0 };
                let node = Node {
                    pos: pos(&marker, len),
                    kind: NodeKind::Scalar { text, plain },
                    defaulted: false,
                    unresolved: false,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push_value(node);
            }
            Event::SequenceStart(anchor, _) => {
                self.open_anchors.push(anchor);
                self.stack.push(Frame::Seq(pos(&marker, 1), Vec::new()));
            }
            Event::MappingStart(anchor, _) => {
                self.open_anchors.push(anchor);
                self.stack
                    .push(Frame::Map(pos(&marker, 1), Vec::new(), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let anchor = self.open_anchors.pop().unwrap_or(0);
                let node = match self.stack.pop() {
                    Some(Frame::Seq(pos, items)) => Node {
                        pos,
                        kind: NodeKind::Seq(items),
                        defaulted: false,
                        unresolved: false,
                    },
                    Some(Frame::Map(pos, entries, _)) => Node {
                        pos,
                        kind: NodeKind::Map(entries),
                        defaulted: false,
                        unresolved: false,
                    },
                    None => return,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push_value(node);
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor) {
                Some(node) => {
                    let node = node.clone();
                    self.push_value(node);
                }
                None => {
                    self.error = Some(Diagnostic::new(
                        pos(&marker, 1),
                        "unknown YAML alias".into(),
                    ))
                }
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
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

    #[test]
    fn empty_document_is_an_empty_map() {
        assert_eq!(parse("").unwrap().kind, NodeKind::Map(Vec::new()));
    }
}
