//! Cloud Map: private DNS namespaces in the stack's VPC (`namespace.<key>`, the
//! `namespaces` section) and the discovery services of the services that ask for one
//! (`discovery.<service>`, from a service's `discovery`), which ECS registers a service's
//! tasks with: the section (`manifest.rs`), the typed properties and lowering
//! (`lower.rs`), the adapters (`namespace.rs`, `service.rs`) and what they share — one
//! read of the account's private namespaces, the wait for Cloud Map's asynchronous
//! operations, the tagging (`cloud_map.rs`) —, registered by [`REGISTRATION`].

mod cloud_map;
mod lower;
mod manifest;
mod namespace;
mod service;

use std::sync::Arc;

use crate::lower::{Env, Lowering};
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;
use crate::manifest::{Attachment, Manifest, Section};

const SECTION: &str = "namespaces";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Namespaces,
    lowering: &Namespaces,
    // Found by their own listing: Cloud Map lists its namespaces, whose tags are read.
    adapters: || {
        vec![
            Arc::new(namespace::NamespaceAdapter),
            Arc::new(service::DiscoveryAdapter),
        ]
    },
    permissions: &[PERMISSIONS],
    conditions: &[],
};

struct Namespaces;

impl Section for Namespaces {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// The namespaces (a mistake of the whole section told at its key) and the services'
    /// `discovery`, decoded whether the section is written or not.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let namespaces = fields
            .with_key(SECTION)
            .map(|(node, at)| manifest::decode(decoder, node, at, manifest));
        let services = manifest::decode_services(decoder, fields, manifest);
        if namespaces.is_none() && services.is_empty() {
            return None;
        }
        Some(Arc::new(Discovered {
            namespaces: namespaces.unwrap_or_default(),
            services,
        }))
    }

    /// Each namespace registers the services that name it (which their lowering reads).
    fn attachments(&self, decoded: &Decoded) -> Vec<Attachment> {
        let Some(discovered) = decoded.downcast_ref::<Discovered>() else {
            return Vec::new();
        };
        discovered
            .services
            .iter()
            .map(|(service, discovery)| Attachment {
                section: SECTION,
                key: discovery.namespace.clone(),
                to_section: "services",
                to_key: service.clone(),
            })
            .collect()
    }
}

/// What the section decoded: its namespaces, and each service's `discovery` by the
/// service's key.
struct Discovered {
    namespaces: Vec<manifest::Namespace>,
    services: Vec<(String, manifest::Discovery)>,
}

impl Lowering for Namespaces {
    /// The namespaces, and the discovery services of the services that name one (with
    /// no `namespaces` section, none: the manifest refused a service's `discovery`).
    fn desired(
        &self,
        manifest: &Manifest,
        _env: &Env,
        _uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        let Some(discovered) = manifest.sections.get::<Discovered>(SECTION) else {
            return Vec::new();
        };
        lower::desired(&discovered.namespaces, &discovered.services, manifest)
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "servicediscovery:ListNamespaces",
            "servicediscovery:GetNamespace",
            "servicediscovery:ListServices",
            "servicediscovery:GetService",
            "servicediscovery:GetOperation",
            "servicediscovery:CreatePrivateDnsNamespace",
            "servicediscovery:UpdatePrivateDnsNamespace",
            "servicediscovery:CreateService",
            "servicediscovery:UpdateService",
            "servicediscovery:TagResource",
            "servicediscovery:UntagResource",
            "servicediscovery:ListTagsForResource",
        ],
        on: On::Any,
    },
    Permission {
        actions: &[
            "servicediscovery:DeleteNamespace",
            "servicediscovery:DeleteService",
        ],
        on: On::Owned,
    },
    Permission {
        actions: &[
            "route53:GetHostedZone",
            "route53:CreateHostedZone",
            "route53:DeleteHostedZone",
            "route53:ListHostedZonesByName",
            "route53:ChangeResourceRecordSets",
            "route53:ListResourceRecordSets",
            "route53:GetChange",
            "route53:AssociateVPCWithHostedZone",
            "route53:DisassociateVPCFromHostedZone",
            "ec2:DescribeVpcs",
            "ec2:DescribeRegions",
        ],
        on: On::Any,
    },
];
