//! The manifest: reading, variables, decoding and validation. Nothing here calls AWS, and
//! nothing outside this module knows the manifest is YAML.

// The layers this crate may import (its Cargo dependencies), under the names the code
// uses for them: `crate::engine::model` is the engine crate's `model`.
use edgectl_base::{redact, source, text};

pub mod declared;
pub mod decode;
pub mod diag;
pub mod dns;
pub mod environments;
pub mod keys;
pub mod marks;
pub mod network;
pub mod refs;
pub mod regret;
pub mod schema;
pub mod scope;
pub mod sections;
pub mod vars;
pub mod yaml;

use std::collections::BTreeMap;
use std::io::Read as _;

pub use network::*;
pub use schema::*;

use decode::Decoder;
use diag::{Diagnostic, Pos};
use vars::{Declaration, Overrides};
use yaml::{Node, NodeKind};

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest `{path}`")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("manifest `{path}` is invalid: {count}; nothing was changed", count = plural(diagnostics.len(), "error"))]
    Invalid {
        path: String,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

impl ManifestError {
    /// The full report: every diagnostic with its source line.
    pub fn report(&self) -> Option<String> {
        match self {
            ManifestError::Invalid {
                path,
                text,
                diagnostics,
            } => Some(diag::render(path, text, diagnostics)),
            ManifestError::Read { .. } => None,
        }
    }
}

pub use crate::text::plural;

/// Reads `path` (`-` for stdin) and decodes it, with the sections of the registered kinds
/// (`sections`). At most one byte past the size limit is read, so a huge file (or endless
/// stdin) is refused without being held in memory.
pub fn load(
    path: &str,
    overrides: &Overrides,
    sections: &[&dyn Section],
) -> Result<Manifest, ManifestError> {
    let (label, bytes) = read(path)?;
    parse_bytes(label, &bytes, overrides, sections)
}

/// The environments a manifest declares (`environments:`), by name; none when it
/// declares none or cannot be read as YAML (its decoding tells why).
pub fn environments(bytes: &[u8]) -> Vec<String> {
    let Ok(text) = yaml::text_of(bytes) else {
        return Vec::new();
    };
    let Ok(mut root) = yaml::parse(&text) else {
        return Vec::new();
    };
    environments::take(&mut Decoder::default(), &mut root)
        .declared
        .into_keys()
        .collect()
}

/// Reads `path` (`-` for stdin) within the size limit: its label for messages
/// (`<stdin>`) and its bytes.
pub fn read(path: &str) -> Result<(&str, Vec<u8>), ManifestError> {
    let read_error = |source| ManifestError::Read {
        path: path.to_string(),
        source,
    };
    let limit = yaml::limits::BYTES as u64 + 1;
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
    } else {
        // Never a FIFO or a device: reading one could block, or never end.
        edgectl_base::files::open_regular(
            std::path::Path::new(path),
            edgectl_base::files::Links::Follow,
        )
        .and_then(|(file, _)| file.take(limit).read_to_end(&mut bytes))
        .map_err(read_error)?;
    }
    let label = if path == "-" { "<stdin>" } else { path };
    Ok((label, bytes))
}

/// A manifest decoded without the kinds' sections (the stack, region, tags, network,
/// outputs, environments and variables only), for the tests of what reads those.
pub fn parse(path: &str, text: &str, overrides: &Overrides) -> Result<Manifest, ManifestError> {
    parse_bytes(path, text.as_bytes(), overrides, &[])
}

/// Decodes a manifest from its bytes: every byte is part of it (see [`yaml::text_of`]).
pub fn parse_bytes(
    path: &str,
    bytes: &[u8],
    overrides: &Overrides,
    sections: &[&dyn Section],
) -> Result<Manifest, ManifestError> {
    parse_recording(path, bytes, overrides, sections, &mut Vec::new())
}

/// The mappings decoding a manifest reads, each where it is with the fields it allows
/// ([`decode::Decoder::fields_read`]), and what [`parse_bytes`] makes of it.
pub fn fields_read(
    path: &str,
    bytes: &[u8],
    overrides: &Overrides,
    sections: &[&dyn Section],
) -> (Result<Manifest, ManifestError>, Vec<decode::FieldsRead>) {
    let mut read = Vec::new();
    let result = parse_recording(path, bytes, overrides, sections, &mut read);
    (result, read)
}

fn parse_recording(
    path: &str,
    bytes: &[u8],
    overrides: &Overrides,
    sections: &[&dyn Section],
    fields_read: &mut Vec<decode::FieldsRead>,
) -> Result<Manifest, ManifestError> {
    let text = yaml::text_of(bytes).map_err(|(shown, diagnostic)| ManifestError::Invalid {
        path: path.to_string(),
        text: shown,
        diagnostics: vec![diagnostic],
    })?;
    let text = text.as_str();
    let invalid = |diagnostics| ManifestError::Invalid {
        path: path.to_string(),
        text: text.to_string(),
        diagnostics,
    };
    let mut root = yaml::parse(text).map_err(|diagnostic| invalid(vec![diagnostic]))?;
    let mut decoder = Decoder {
        skip_content: overrides.types_only || overrides.without_content,
        ..Decoder::default()
    };
    let (declarations, anchor) = take_variables(&mut decoder, &mut root);
    let environments = environments::take(&mut decoder, &mut root);
    let (environment, environment_values) = environments.choose(
        overrides.environment.as_deref(),
        &declarations,
        &mut decoder,
    );
    decoder.production = environment
        .as_ref()
        .is_some_and(|name| environments.production.contains(name));
    let values = vars::resolve(
        &declarations,
        overrides,
        &environment_values,
        anchor,
        &mut decoder.diagnostics,
    );
    // Before anything could print them: diagnostics quote the manifest's lines.
    crate::redact::register(
        values
            .iter()
            .filter(|(name, _)| {
                declarations
                    .get(*name)
                    .is_some_and(|declared| declared.sensitive)
            })
            .filter_map(|(_, value)| value.clone()),
    );
    let defaulted = vars::defaulted(&declarations, overrides, &environment_values);
    // With no environment chosen among declared ones (already an error), `${env}` reads as
    // the first, so that it adds no errors of its own.
    let named = environment
        .clone()
        .or_else(|| environments.declared.keys().next().cloned());
    let attributes = refs::Attributes::new(
        sections
            .iter()
            .map(|section| (section.key(), section.attributes()))
            .collect(),
    );
    let scope = vars::Scope {
        values: &values,
        environment: named.as_deref(),
        attributes: &attributes,
        types_only: overrides.types_only,
        sensitive: &declarations
            .iter()
            .filter(|(_, declared)| declared.sensitive)
            .map(|(name, _)| name.clone())
            .collect(),
    };
    vars::substitute(&mut root, &scope, &defaulted, &mut decoder.diagnostics);
    environments::prune(&mut root, &environments, named.as_deref(), &mut decoder);
    refs::check(&root, &attributes, &mut decoder.diagnostics);
    let base = std::path::Path::new(path)
        .parent()
        .filter(|_| path != "<stdin>")
        .map_or_else(
            || std::path::PathBuf::from("."),
            std::path::Path::to_path_buf,
        );
    let manifest = schema::decode(&root, &mut decoder, &base, sections);
    *fields_read = std::mem::take(&mut decoder.fields_read);
    match manifest {
        Some(mut manifest) if decoder.diagnostics.is_empty() => {
            manifest.environment = environment;
            let mut warnings = diag::Warning::located(path, text, &decoder.warnings);
            warnings.append(&mut manifest.warnings);
            manifest.warnings = warnings;
            manifest.source = schema::Source {
                digest: blake3::hash(bytes).to_hex().to_string(),
                variables: values
                    .into_iter()
                    .map(|(name, value)| {
                        let sensitive = declarations
                            .get(&name)
                            .is_some_and(|declared| declared.sensitive);
                        (name, schema::Variable { value, sensitive })
                    })
                    .collect(),
            };
            Ok(manifest)
        }
        _ => {
            let mut diagnostics = decoder.diagnostics;
            diagnostics.dedup();
            Err(invalid(diagnostics))
        }
    }
}

/// Removes the `variables` section from the tree (it is never substituted) and reads it.
fn take_variables(decoder: &mut Decoder, root: &mut Node) -> (BTreeMap<String, Declaration>, Pos) {
    let mut declarations = BTreeMap::new();
    let NodeKind::Map(entries) = &mut root.kind else {
        return (
            declarations,
            Pos {
                line: 1,
                column: 1,
                len: 1,
            },
        );
    };
    let Some(index) = entries.iter().position(
        |(key, _)| matches!(&key.kind, NodeKind::Scalar { text, .. } if text == "variables"),
    ) else {
        return (
            declarations,
            Pos {
                line: 1,
                column: 1,
                len: 1,
            },
        );
    };
    let (key, section) = entries.remove(index);
    for (name, body) in decoder.named(&section, "variables") {
        if !vars::valid_name(&name.value) {
            decoder.error(
                name.pos,
                format!("variable name `{}` is not valid", name.value),
                "use letters, digits and `_`, starting with a letter",
            );
            continue;
        }
        let mut declaration = Declaration {
            pos: name.pos,
            default: None,
            description: None,
            sensitive: false,
        };
        if let Some(fields) = decoder.fields(
            body,
            &format!("variables.{}", name.value),
            &["default", "description", "sensitive"],
        ) {
            declaration.sensitive = fields
                .get("sensitive")
                .and_then(|node| decoder.bool(node, "sensitive"))
                .unwrap_or(false);
            declaration.default = fields
                .get("default")
                .and_then(|node| decoder.string(node, "default"))
                .map(|text| text.value);
            if fields.get("default").is_none() && fields.key_pos("default").is_some() {
                // `default:` with nothing after it is an empty string, not "no default".
                declaration.default = Some(String::new());
            }
            declaration.description = fields
                .get("description")
                .and_then(|node| decoder.string(node, "description"))
                .map(|text| text.value);
        }
        declarations.insert(name.value, declaration);
    }
    (declarations, key.pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        match parse("m.yaml", text, &Overrides::default()) {
            Ok(_) => Vec::new(),
            Err(error) => match error {
                ManifestError::Invalid { diagnostics, .. } => diagnostics
                    .into_iter()
                    .map(|d| format!("{}:{} {}", d.pos.line, d.pos.column, d.message))
                    .collect(),
                other => vec![other.to_string()],
            },
        }
    }

    #[test]
    fn a_full_network_decodes_with_defaults() {
        let manifest = parse(
            "m.yaml",
            "stack: demo\nregion: us-east-1\nnetwork:\n  cidr: 10.0.0.0/16\n  subnets:\n    public: [10.0.0.0/24, 10.0.1.0/24]\n    private: [10.0.10.0/24, 10.0.11.0/24]",
            &Overrides::default(),
        )
        .unwrap();
        let network = manifest.network.unwrap();
        assert_eq!(network.nat, Nat::Single);
        assert_eq!(network.zones, Zones::Count(2));
        assert!(network.dns_hostnames && network.dns_support && !network.public_ip_on_launch);
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let found = errors(
            "stack: demo\nnetwork:\n  cidr: 10.0.0.0/16\n  subnet: []\n  subnets:\n    public: [10.1.0.0/24, 10.0.0.0/24, 10.0.0.128/25]\n",
        );
        assert_eq!(
            found,
            vec![
                "4:3 unknown field `subnet` in `network`",
                "6:13 3 public subnets for 2 zones",
                "6:14 subnet `10.1.0.0/24` is outside the VPC's `10.0.0.0/16`",
                "6:40 subnet `10.0.0.128/25` overlaps `10.0.0.0/24` (line 6)",
            ]
        );
    }
}
