//! Security groups (`security_group.<name>`, the `security_groups` section) and their
//! rules (`security_group_rules.<name>`, a resource of their own so that groups may refer
//! to one another): the section (`manifest.rs`), the typed properties and lowering
//! (`lower.rs`), the adapter of both (`adapter.rs`, over EC2's shared reads,
//! `aws::ec2`), registered by [`REGISTRATION`]. Load balancers, services, file systems
//! and databases name a group (`scope::security_groups`, checked against
//! `manifest.declared`) and refer to it through `aws::ids::group_id`.

mod adapter;
mod lower;
mod manifest;

use std::sync::Arc;

use crate::lower::{Env, Lowering};
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;
use crate::manifest::{Manifest, Section};

const SECTION: &str = "security_groups";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &SecurityGroups,
    lowering: &SecurityGroups,
    // Found by DescribeSecurityGroups filtered on the stack's tag.
    adapters: || vec![Arc::new(adapter::SecurityGroupAdapter)],
    permissions: &[adapter::PERMISSIONS, crate::aws::ec2::TAG_PERMISSIONS],
    conditions: &[adapter::CONDITIONS],
};

struct SecurityGroups;

impl Section for SecurityGroups {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// Groups belong to the stack's VPC: without a network, the section is refused at
    /// its key.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let node = fields.get(SECTION)?;
        Some(Arc::new(manifest::decode(
            decoder,
            node,
            manifest.network.as_ref(),
            fields.key_pos(SECTION),
        )))
    }
}

impl Lowering for SecurityGroups {
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        _uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest)
    }
}

/// The security groups the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::SecurityGroup] {
    manifest.sections.list(SECTION)
}

#[cfg(test)]
mod tests {
    use super::manifest::Peer;

    #[test]
    fn rules_name_ports_ranges_and_other_groups() {
        let manifest = crate::manifest::parse_bytes(
            "m.yaml",
            b"stack: demo\nregion: us-east-1\nnetwork:\n  cidr: 10.0.0.0/16\n  subnets:\n    public: [10.0.0.0/24, 10.0.1.0/24]\nsecurity_groups:\n  alb: { ingress: [{ ports: [80, 443], from: 0.0.0.0/0 }] }\n  backend: { ingress: [{ ports: 3000-3001, from: alb }] }\n",
            &Default::default(),
            &crate::sections(),
        )
        .unwrap();
        let groups = super::decoded(&manifest);
        assert_eq!(groups[1].ingress[0].ports, vec![(3000, 3001)]);
        assert_eq!(groups[1].ingress[0].peers, vec![Peer::Group("alb".into())]);
    }

    #[test]
    fn a_bad_port_is_told_where_it_is() {
        let error = crate::manifest::parse_bytes(
            "m.yaml",
            b"stack: demo\nnetwork:\n  cidr: 10.0.0.0/16\n  subnets:\n    public: [10.0.0.0/24, 10.0.1.0/24]\nsecurity_groups:\n  a: { ingress: [{ port: 70000, from: b }] }\n",
            &Default::default(),
            &crate::sections(),
        )
        .unwrap_err();
        let crate::manifest::ManifestError::Invalid { diagnostics, .. } = error else {
            panic!("invalid, not {error}");
        };
        let found: Vec<String> = diagnostics
            .iter()
            .map(|d| format!("{}:{} {}", d.pos.line, d.pos.column, d.message))
            .collect();
        assert_eq!(found, ["7:26 `70000` is not a port or port range"]);
    }
}
