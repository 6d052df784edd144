//! Lowering: Cloud Map private DNS namespaces in the stack's VPC, and the discovery
//! services of the services that ask for one.

use super::vpc::vpc_ref;
use crate::aws::ids::{discovery_id, namespace_id};
use crate::aws::servicediscovery::namespace::NamespaceProps;
use crate::aws::servicediscovery::service::DiscoveryProps;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    let namespaces = manifest.namespaces.iter().map(|namespace| Desired {
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
    let services = manifest.containers.services.iter().filter_map(|service| {
        let discovery = service.discovery.as_ref()?;
        let domain = manifest
            .namespaces
            .iter()
            .find(|namespace| namespace.key == discovery.namespace)
            .map_or(String::new(), |namespace| namespace.name.clone());
        Some(Desired {
            id: discovery_id(&service.key),
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
        })
    });
    namespaces.chain(services).collect()
}
