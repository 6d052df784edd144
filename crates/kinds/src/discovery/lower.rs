//! Cloud Map private DNS namespaces in the stack's VPC, and the discovery services of the
//! services that ask for one: their typed properties and lowering.

use std::collections::BTreeMap;

use super::manifest::{Discovery, Namespace};
use crate::aws::ids::{discovery_id, namespace_id};
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::vpc::vpc_ref;
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A private DNS namespace: its name and VPC make it; its description and tags change
    /// in place.
    pub struct NamespaceProps (changes: NamespaceChanges) {
        /// The DNS domain (`edgemind.local`).
        pub name: String => Replace,
        /// By reference; read back from the namespace's `edgectl:vpc` tag, null without it.
        pub vpc: Value => Replace,
        pub description: String => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// A discovery service: its name and namespace make it; its TTL and tags change in
    /// place.
    pub struct DiscoveryProps (changes: DiscoveryChanges) {
        /// The first label of the name (`influxdb` of `influxdb.edgemind.local`).
        pub name: String => Replace,
        /// By reference.
        pub namespace: Value => Replace,
        /// Seconds resolvers may keep an answer; null when Cloud Map lists no record.
        pub ttl: Option<i64> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

pub fn desired(
    namespaces_declared: &[Namespace],
    services: &[(String, Discovery)],
    manifest: &Manifest,
) -> Vec<Desired> {
    let namespaces = namespaces_declared.iter().map(|namespace| Desired {
        id: namespace_id(&namespace.key),
        props: NamespaceProps {
            name: namespace.name.clone(),
            vpc: vpc_ref(),
            description: namespace.description.clone(),
            tags: tags::desired_tag_map(&manifest.tags, &namespace.name),
        }
        .into_props(),
        after: Vec::new(),
    });
    let services = services.iter().map(|(service, discovery)| {
        let domain = namespaces_declared
            .iter()
            .find(|namespace| namespace.key == discovery.namespace)
            .map_or(String::new(), |namespace| namespace.name.clone());
        Desired {
            id: discovery_id(service),
            props: DiscoveryProps {
                name: discovery.name.clone(),
                namespace: Value::Ref(namespace_id(&discovery.namespace)),
                ttl: Some(discovery.ttl),
                tags: tags::desired_tag_map(
                    &manifest.tags,
                    &format!("{}.{domain}", discovery.name),
                ),
            }
            .into_props(),
            after: Vec::new(),
        }
    });
    namespaces.chain(services).collect()
}
