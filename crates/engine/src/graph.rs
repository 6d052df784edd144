//! The desired graph: every resource the manifest implies, keyed by logical id, checked for
//! dangling references and cycles, and walked in dependency order.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Desired, ResourceId};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GraphError {
    #[error("`{0}` is defined twice")]
    Duplicate(ResourceId),
    #[error("`{from}` refers to `{to}`, which the manifest does not define")]
    Dangling { from: ResourceId, to: ResourceId },
    #[error("dependency cycle: {}", .0.iter().map(ResourceId::as_str).collect::<Vec<_>>().join(" -> "))]
    Cycle(Vec<ResourceId>),
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: BTreeMap<ResourceId, Desired>,
}

impl Graph {
    pub fn new(nodes: Vec<Desired>) -> Result<Self, GraphError> {
        let mut graph = Graph::default();
        for node in nodes {
            if graph.nodes.contains_key(&node.id) {
                return Err(GraphError::Duplicate(node.id));
            }
            graph.nodes.insert(node.id.clone(), node);
        }
        for node in graph.nodes.values() {
            for dep in node.deps() {
                if !graph.nodes.contains_key(&dep.id) {
                    return Err(GraphError::Dangling {
                        from: node.id.clone(),
                        to: dep.id,
                    });
                }
            }
        }
        graph.order()?;
        Ok(graph)
    }

    /// Ids in an order where every resource comes after its dependencies (ties by id).
    pub fn order(&self) -> Result<Vec<ResourceId>, GraphError> {
        let edges: BTreeMap<&ResourceId, Vec<ResourceId>> = self
            .nodes
            .values()
            .map(|node| {
                (
                    &node.id,
                    node.deps().into_iter().map(|dep| dep.id).collect(),
                )
            })
            .collect();
        topological(&edges)
    }
}

/// Kahn's algorithm over `node -> dependencies`; a cycle is reported with its members.
pub fn topological(
    edges: &BTreeMap<&ResourceId, Vec<ResourceId>>,
) -> Result<Vec<ResourceId>, GraphError> {
    let mut waiting: BTreeMap<&ResourceId, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&ResourceId, Vec<&ResourceId>> = BTreeMap::new();
    for (node, deps) in edges {
        let known: BTreeSet<&ResourceId> =
            deps.iter().filter(|dep| edges.contains_key(dep)).collect();
        waiting.insert(node, known.len());
        for dep in known {
            dependents.entry(dep).or_default().push(node);
        }
    }
    let mut ready: BTreeSet<&ResourceId> = waiting
        .iter()
        .filter(|(_, count)| **count == 0)
        .map(|(node, _)| *node)
        .collect();
    let mut order = Vec::with_capacity(edges.len());
    while let Some(node) = ready.pop_first() {
        order.push(node.clone());
        for dependent in dependents.get(node).into_iter().flatten() {
            if let Some(count) = waiting.get_mut(dependent) {
                *count -= 1;
                if *count == 0 {
                    ready.insert(dependent);
                }
            }
        }
    }
    if order.len() == edges.len() {
        return Ok(order);
    }
    // Follow unfinished dependencies from any stuck node until one repeats.
    let done: BTreeSet<&ResourceId> = order.iter().collect();
    let mut path: Vec<ResourceId> = Vec::new();
    let mut current = edges
        .keys()
        .find(|node| !done.contains(*node))
        .map(|node| (*node).clone());
    while let Some(node) = current {
        if let Some(start) = path.iter().position(|seen| *seen == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node);
            return Err(GraphError::Cycle(cycle));
        }
        current = edges[&node]
            .iter()
            .find(|dep| edges.contains_key(dep) && !done.contains(dep))
            .cloned();
        path.push(node);
    }
    Err(GraphError::Cycle(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mode, Value, props};

    fn node(id: &str, refs: &[&str]) -> Desired {
        let value = Value::Set(
            refs.iter()
                .map(|r| Value::Ref(ResourceId::parse(r)))
                .collect(),
        );
        Desired {
            id: ResourceId::parse(id),
            props: props([("refs", value, Mode::InPlace)]),
            after: Vec::new(),
        }
    }

    #[test]
    fn orders_dependencies_first() {
        let graph = Graph::new(vec![
            node(
                "route_table.public",
                &["vpc", "internet_gateway", "subnet.public-1"],
            ),
            node("subnet.public-1", &["vpc"]),
            node("internet_gateway", &["vpc"]),
            node("vpc", &[]),
        ])
        .unwrap();
        let order: Vec<String> = graph
            .order()
            .unwrap()
            .iter()
            .map(|id| id.to_string())
            .collect();
        assert_eq!(
            order,
            [
                "vpc",
                "internet_gateway",
                "subnet.public-1",
                "route_table.public"
            ]
        );
    }

    #[test]
    fn reports_cycles_and_dangling_references() {
        let cycle = Graph::new(vec![
            node("a.x", &["a.y"]),
            node("a.y", &["a.z"]),
            node("a.z", &["a.x"]),
        ])
        .unwrap_err();
        assert_eq!(
            cycle.to_string(),
            "dependency cycle: a.x -> a.y -> a.z -> a.x"
        );
        let dangling = Graph::new(vec![node("a.x", &["vpc"])]).unwrap_err();
        assert_eq!(
            dangling.to_string(),
            "`a.x` refers to `vpc`, which the manifest does not define"
        );
    }
}
