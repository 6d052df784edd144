//! Lowering: Cloud Map private DNS namespaces in the stack's VPC, and the discovery
//! services of the services that ask for one.

use super::vpc::vpc_ref;
use crate::aws::servicediscovery::namespace::namespace_id;
use crate::aws::servicediscovery::service::discovery_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Mode, Value, props};
use crate::manifest::Manifest;

pub fn desired(manifest: &Manifest) -> Vec<Desired> {
    let namespaces = manifest.namespaces.iter().map(|namespace| Desired {
        id: namespace_id(&namespace.key),
        props: props([
            ("name", Value::str(&namespace.name), Mode::Replace),
            ("vpc", vpc_ref(), Mode::Replace),
            (
                "description",
                Value::str(&namespace.description),
                Mode::InPlace,
            ),
            (
                "tags",
                tags::desired_tags(&manifest.tags, &namespace.name),
                Mode::InPlace,
            ),
        ]),
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
            props: props([
                ("name", Value::str(&discovery.name), Mode::Replace),
                (
                    "namespace",
                    Value::Ref(namespace_id(&discovery.namespace)),
                    Mode::Replace,
                ),
                ("ttl", Value::Int(discovery.ttl), Mode::InPlace),
                (
                    "tags",
                    tags::desired_tags(&manifest.tags, &format!("{}.{domain}", discovery.name)),
                    Mode::InPlace,
                ),
            ]),
            after: Vec::new(),
        })
    });
    namespaces.chain(services).collect()
}
