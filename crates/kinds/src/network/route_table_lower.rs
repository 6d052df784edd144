//! Lowering: Route tables: public (to the internet gateway), private (to a NAT gateway),
//! isolated.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::ids::{internet_gateway_id, nat_gateway_id, subnet_id};
use crate::aws::tags;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::lower::vpc::{name, network, vpc_ref};
use crate::manifest::{Manifest, Nat, Tier};

/// The destination of a default route.
const ANYWHERE: &str = "0.0.0.0/0";

/// A route to `target`, as the table holds it.
pub fn route(destination: &str, target: Value) -> Route {
    Route {
        destination: destination.to_string(),
        target,
    }
}

crate::engine::properties! {
    /// A route table: its VPC makes it; its routes and subnets change in place.
    pub struct RouteTableProps (changes: RouteTableChanges) {
        /// By reference.
        pub vpc: Value => Replace,
        pub routes: BTreeSet<Route> => InPlace,
        /// The associated subnets, by reference.
        pub subnets: BTreeSet<Value> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::record! {
    /// One route: a destination CIDR and the gateway it goes to (an internet or NAT
    /// gateway, by reference).
    pub struct Route {
        pub destination: String,
        pub target: Value,
    }
}

pub fn desired(manifest: &Manifest, _env: &Env) -> Vec<Desired> {
    let Some(network) = network(manifest) else {
        return Vec::new();
    };
    let table = |suffix: String, routes: Vec<Route>, subnets: Vec<ResourceId>| {
        let props = RouteTableProps {
            vpc: vpc_ref(),
            routes: routes.into_iter().collect(),
            subnets: subnets.into_iter().map(Value::Ref).collect(),
            tags: tags::desired_tag_map(&manifest.tags, &name(manifest, &suffix)),
        };
        Desired {
            id: ResourceId::new("route_table", &suffix),
            props: props.into_props(),
            after: Vec::new(),
        }
    };
    let mut out = Vec::new();
    if !network.public.is_empty() {
        let subnets = (0..network.public.len())
            .map(|index| subnet_id(Tier::Public.as_str(), index))
            .collect();
        out.push(table(
            "public".into(),
            vec![route(ANYWHERE, Value::Ref(internet_gateway_id()))],
            subnets,
        ));
    }
    for index in 0..network.private.len() {
        let nat = match network.nat {
            Nat::None => None,
            Nat::Single => Some(nat_gateway_id(0)),
            Nat::PerZone => Some(nat_gateway_id(index)),
        };
        let routes = nat
            .map(|nat| route(ANYWHERE, Value::Ref(nat)))
            .into_iter()
            .collect();
        out.push(table(
            format!("private-{}", index + 1),
            routes,
            vec![subnet_id(Tier::Private.as_str(), index)],
        ));
    }
    if !network.isolated.is_empty() {
        let subnets = (0..network.isolated.len())
            .map(|index| subnet_id(Tier::Isolated.as_str(), index))
            .collect();
        out.push(table("isolated".into(), Vec::new(), subnets));
    }
    out
}

/// Every route table the network implies, by logical id.
pub fn route_table_ids(manifest: &Manifest) -> Vec<ResourceId> {
    desired(manifest, &Env::default())
        .into_iter()
        .map(|table| table.id)
        .collect()
}
