//! The `clusters` section: ECS clusters, their Container Insights, capacity providers
//! and default strategy.

use crate::manifest::decode::{Decoder, Entry, flag};
use crate::manifest::scope::{Context, aws_name, number};
use crate::manifest::yaml::Node;

const CLUSTER: &[&str] = &[
    "name",
    "container_insights",
    "capacity_providers",
    "default_strategy",
];
const STRATEGY: &[&str] = &["provider", "weight", "base"];
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub key: String,
    pub name: String,
    pub container_insights: bool,
    pub capacity_providers: Vec<String>,
    pub default_strategy: Vec<Strategy>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Strategy {
    pub provider: String,
    pub weight: i64,
    pub base: i64,
}

/// The section at `node`.
pub fn decode(decoder: &mut Decoder, node: &Node, cx: &Context<'_>) -> Vec<Cluster> {
    let mut out = Vec::new();
    for Entry {
        key,
        fields,
        section,
        ..
    } in decoder.entries(node, "clusters", CLUSTER)
    {
        let Some(name) = aws_name(decoder, &fields, cx, &key.value, "name") else {
            continue;
        };
        let providers_allowed = ["FARGATE", "FARGATE_SPOT"];
        let capacity_providers: Vec<String> = match fields.get("capacity_providers") {
            Some(node) => decoder
                .list(node)
                .into_iter()
                .filter_map(|item| decoder.choice(item, "capacity_providers", &providers_allowed))
                .map(|choice| choice.value)
                .collect(),
            None => providers_allowed.iter().map(|p| p.to_string()).collect(),
        };
        let mut default_strategy = Vec::new();
        if let Some(node) = fields.get("default_strategy") {
            for item in decoder.list(node) {
                let Some(entry) =
                    decoder.fields(item, &format!("{section}.default_strategy"), STRATEGY)
                else {
                    continue;
                };
                let Some(provider) = entry
                    .get("provider")
                    .and_then(|node| decoder.choice(node, "provider", &providers_allowed))
                else {
                    decoder.error(
                        item.pos,
                        "a strategy entry names no `provider`",
                        "add `provider: FARGATE` or `provider: FARGATE_SPOT`",
                    );
                    continue;
                };
                if !capacity_providers.contains(&provider.value) {
                    decoder.error(
                        provider.pos,
                        format!(
                            "`{}` is not among the cluster's `capacity_providers`",
                            provider.value
                        ),
                        "add it to `capacity_providers`",
                    );
                }
                default_strategy.push(Strategy {
                    provider: provider.value,
                    weight: number(decoder, &entry, "weight", 1, 0, 1000),
                    base: number(decoder, &entry, "base", 0, 0, 100000),
                });
            }
        }
        default_strategy.sort();
        out.push(Cluster {
            key: key.value.clone(),
            name: name.value,
            container_insights: flag(decoder, &fields, "container_insights", false),
            capacity_providers,
            default_strategy,
        });
    }
    out
}
