//! The network (`vpc`, `subnet.<tier>-<n>`, `internet_gateway`, `nat_address.<n>`,
//! `nat_gateway.<n>`, `route_table.<name>`, `vpc_endpoint.<service>`): the typed
//! properties and lowering (`*_lower.rs`), one adapter per EC2 resource (over EC2's shared
//! reads, `aws::ec2`), registered by [`REGISTRATION`], with its references
//! (`${network.vpc.id}`, `${network.<tier>.ids}`).
//!
//! Its section is the one the manifest decodes itself, before every other (`network:`,
//! `Manifest::network`, a shared manifest type): every section places its resources in its
//! tiers and zones (`Manifest::scope()`, `lower::Env`), so the network is not theirs to
//! wait for. What the kinds placed in its VPC share of its lowering (the VPC by reference,
//! the `Name` a resource is tagged with) is `lower::vpc`.

mod elastic_ip;
mod elastic_ip_lower;
mod internet_gateway;
mod internet_gateway_lower;
mod nat_gateway;
mod nat_gateway_lower;
mod route_table;
mod route_table_lower;
mod subnet;
mod subnet_lower;
mod vpc;
mod vpc_endpoint;
mod vpc_endpoint_lower;
mod vpc_lower;

use std::sync::Arc;

use crate::aws::ids::subnet_id;
use crate::engine::model::{Desired, ResourceId, Value};
use crate::lower::{Env, Lowering};
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::Decoded;
use crate::manifest::{Manifest, Section, Tier};

const SECTION: &str = "network";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Network,
    lowering: &Network,
    // Found by EC2's own reads, filtered on the stack's tag.
    adapters: || {
        vec![
            Arc::new(vpc::VpcAdapter),
            Arc::new(subnet::SubnetAdapter),
            Arc::new(internet_gateway::InternetGatewayAdapter),
            Arc::new(elastic_ip::ElasticIpAdapter),
            Arc::new(nat_gateway::NatGatewayAdapter),
            Arc::new(route_table::RouteTableAdapter),
            Arc::new(vpc_endpoint::VpcEndpointAdapter),
        ]
    },
    permissions: &[PERMISSIONS, crate::aws::ec2::TAG_PERMISSIONS],
    conditions: &[],
};

struct Network;

impl Section for Network {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${network.vpc.id}`; `${network.<tier>.ids}`, the tier's subnets, comma-separated.
    fn attributes(&self) -> &'static [&'static str] {
        &["id", "ids"]
    }

    /// Decoded by the manifest itself, before every section (`Manifest::network`).
    fn decode(&self, _: &mut Decoder, _: &Fields<'_>, _: &Manifest) -> Option<Decoded> {
        None
    }
}

impl Lowering for Network {
    fn desired(
        &self,
        manifest: &Manifest,
        env: &Env,
        _uses: &mut crate::lower::uses::Uses,
    ) -> Vec<Desired> {
        let mut out = vpc_lower::desired(manifest, env);
        out.extend(subnet_lower::desired(manifest, env));
        out.extend(internet_gateway_lower::desired(manifest, env));
        out.extend(elastic_ip_lower::desired(manifest, env));
        out.extend(nat_gateway_lower::desired(manifest, env));
        out.extend(route_table_lower::desired(manifest, env));
        out.extend(vpc_endpoint_lower::desired(manifest, env));
        out
    }

    /// The VPC by reference; a tier's subnets, comma-separated.
    fn reference(
        &self,
        manifest: &Manifest,
        _env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        if attribute == "id" {
            return Some(vec![Value::Ref(ResourceId::singleton("vpc"))]);
        }
        let network = manifest.network.as_ref()?;
        let tier = Tier::ALL.into_iter().find(|tier| tier.as_str() == key)?;
        let mut parts = Vec::new();
        for index in 0..network.subnets(tier).len() {
            if index > 0 {
                parts.push(Value::str(","));
            }
            parts.push(Value::Ref(subnet_id(tier.as_str(), index)));
        }
        Some(parts)
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeNatGateways",
            "ec2:DescribeRouteTables",
            "ec2:DescribeAddresses",
            "ec2:DescribeVpcAttribute",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribePrefixLists",
        ],
        on: On::Any,
    },
    Permission {
        actions: &[
            "ec2:CreateVpc",
            "ec2:CreateSubnet",
            "ec2:CreateInternetGateway",
            "ec2:CreateNatGateway",
            "ec2:CreateRouteTable",
            "ec2:CreateVpcEndpoint",
            "ec2:AllocateAddress",
            "ec2:AttachInternetGateway",
            "ec2:AssociateRouteTable",
            "ec2:CreateRoute",
            "ec2:ReplaceRoute",
            "ec2:ModifySubnetAttribute",
            "ec2:ModifyVpcAttribute",
            "ec2:ModifyVpcEndpoint",
        ],
        on: On::Any,
    },
    Permission {
        actions: &[
            "ec2:DeleteVpc",
            "ec2:DeleteSubnet",
            "ec2:DeleteInternetGateway",
            "ec2:DetachInternetGateway",
            "ec2:DeleteNatGateway",
            "ec2:DeleteRouteTable",
            "ec2:DisassociateRouteTable",
            "ec2:DeleteRoute",
            "ec2:DeleteVpcEndpoints",
            "ec2:ReleaseAddress",
        ],
        on: On::Owned,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A tier's `ids` are its subnets in order, comma-separated; the VPC's `id` is the VPC.
    #[test]
    fn references_name_the_vpc_and_a_tier_s_subnets() {
        let manifest = crate::manifest::parse(
            "m.yaml",
            "stack: demo\nregion: eu-west-1\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 2\n  subnets:\n    public: [10.0.0.0/24, 10.0.1.0/24]\n",
            &Default::default(),
        )
        .unwrap();
        let env = Env::placeholder(&manifest);
        let subnet = |index| Value::Ref(subnet_id("public", index));
        assert_eq!(
            Network.reference(&manifest, &env, "public", "ids"),
            Some(vec![subnet(0), Value::str(","), subnet(1)])
        );
        assert_eq!(
            Network.reference(&manifest, &env, "vpc", "id"),
            Some(vec![Value::Ref(ResourceId::singleton("vpc"))])
        );
        assert_eq!(
            Network.reference(&manifest, &env, "private", "ids"),
            Some(Vec::new())
        );
    }
}
