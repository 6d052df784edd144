//! The diff: desired graph and observed resources in, actions with field changes out.
//! Pure: no AWS, so every case is unit-tested.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::graph::{Graph, GraphError};
use crate::model::{Desired, Mode, Observed, ResourceId, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    /// Delete the live resource, then create its successor (AWS forbids two at once for
    /// most of these: a subnet's CIDR, a security group's name).
    Replace,
    Delete,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update in place",
            Action::Replace => "replace",
            Action::Delete => "delete",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub old: Value,
    pub new: Value,
    pub forces_replacement: bool,
}

/// How a replacement runs (Terraform's DeleteThenCreate / CreateThenDelete).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replacement {
    /// AWS forbids two at once (a subnet's CIDR, a security group's name).
    #[default]
    DeleteThenCreate,
    /// The successor takes over first (a target group: listeners and services move to
    /// it, then the old one goes), so traffic never points nowhere.
    CreateThenDelete,
    /// The predecessor stays (a task definition's old revision, kept for rollbacks;
    /// destroy deregisters every revision).
    CreateOnly,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: ResourceId,
    pub action: Action,
    pub changes: Vec<Change>,
    /// Why a replacement or deletion happens when no field says it (a failed resource, a duplicate).
    pub reason: Option<String>,
    pub desired: Option<Desired>,
    pub observed: Option<Observed>,
    pub replacement: Replacement,
    /// What the kind says of this step for people, in place of its fields (a sync's
    /// counts): see `Kind::summarize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
}

/// A step told in a kind's own words: lines shown in place of the fields, and the entries
/// behind them (a sync's files), listed one by one with `--verbose`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<Entry>,
}

/// One entry of a summary: what happens to it, and its name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub action: Action,
    pub name: String,
}

/// Whether any of `fields` is among `changes` (what an update sends depends on it).
pub fn touches(changes: &[Change], fields: &[&str]) -> bool {
    changes
        .iter()
        .any(|change| fields.contains(&change.field.as_str()))
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Sorted by id, then action.
    pub steps: Vec<Step>,
    pub unchanged: usize,
    /// Things the reader should know that are not changes (a live image kept).
    pub notes: Vec<String>,
}

impl Plan {
    pub fn count(&self, action: Action) -> usize {
        self.steps
            .iter()
            .filter(|step| step.action == action)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// The plan that makes `observed` match `desired`. About 150 lines, in one function on
/// purpose: three passes over shared maps — the live resources by logical id (a duplicate
/// deleted), each desired resource's step (compared knowing what is replaced before it),
/// then what the manifest no longer has, deleted or kept (`retain`) — whose order is what
/// a reader needs to see whole.
pub fn diff(desired: &Graph, observed: Vec<Observed>) -> Result<Plan, GraphError> {
    let mut live: BTreeMap<ResourceId, Observed> = BTreeMap::new();
    let mut steps = Vec::new();
    let mut observed = observed;
    observed
        .sort_by(|a, b| (&a.id, a.spare, &a.physical_id).cmp(&(&b.id, b.spare, &b.physical_id)));
    for resource in observed {
        if live.contains_key(&resource.id) {
            // Two live resources carry the same logical id (a create retried after a crash on an
            // API without idempotency tokens): keep one, delete the other.
            steps.push(Step {
                id: resource.id.clone(),
                action: Action::Delete,
                changes: Vec::new(),
                reason: Some(format!(
                    "duplicate `{}` of this resource",
                    resource.physical_id
                )),
                desired: None,
                observed: Some(resource),
                replacement: Replacement::default(),
                summary: None,
            });
        } else {
            live.insert(resource.id.clone(), resource);
        }
    }

    // What templates may be rendered with: every live physical id and attribute.
    let known: BTreeMap<ResourceId, String> =
        super::model::live_ids(live.values()).into_iter().collect();
    let mut replaced: BTreeSet<ResourceId> = BTreeSet::new();
    let mut unchanged = 0;
    let mut notes = Vec::new();
    for id in desired.order()? {
        let want = &desired.nodes[&id];
        let Some(have) = live.remove(&id) else {
            steps.push(Step {
                id,
                action: Action::Create,
                changes: Vec::new(),
                reason: None,
                desired: Some(without_live(want)),
                observed: None,
                replacement: Replacement::default(),
                summary: None,
            });
            continue;
        };
        let (mut settled, mut changes, mut kept) = compare(want, &have, &replaced, &known);
        let replace =
            have.broken.is_some() || changes.iter().any(|change| change.forces_replacement);
        if replace {
            renew(want, &have, &mut settled, &mut changes, &mut kept);
        }
        notes.extend(kept);
        let want = settled;
        let action = if replace {
            replaced.insert(id.clone());
            Action::Replace
        } else if changes.is_empty() {
            unchanged += 1;
            continue;
        } else {
            Action::Update
        };
        steps.push(Step {
            id,
            action,
            changes,
            reason: have.broken.clone(),
            desired: Some(want),
            observed: Some(have),
            replacement: Replacement::default(),
            summary: None,
        });
    }
    // `retain: true`: what the manifest no longer has (or destroy) stays in place, with the
    // resources without tags of their own that hang off it (a retained bucket's objects and
    // policy) or that it uses (a retained distribution's Origin Access Control, which AWS
    // refuses to delete while in use).
    let mut kept: BTreeSet<ResourceId> = live
        .iter()
        .filter(|(_, have)| have.retained)
        .map(|(id, _)| id.clone())
        .collect();
    loop {
        let mut more = Vec::new();
        for (id, have) in &live {
            if kept.contains(id) {
                for dep in have.deps() {
                    if live
                        .get(&dep.id)
                        .is_some_and(|used| !used.props.contains_key("tags"))
                    {
                        more.push(dep.id.clone());
                    }
                }
            } else if !have.props.contains_key("tags")
                && have.deps().iter().any(|dep| kept.contains(&dep.id))
            {
                more.push(id.clone());
            }
        }
        let before = kept.len();
        kept.extend(more);
        if kept.len() == before {
            break;
        }
    }
    // ... but not one that cannot outlive something else it hangs off that goes (a retained
    // file system's mount target in a subnet that destroy deletes).
    loop {
        let going: Vec<ResourceId> = kept
            .iter()
            .filter(|id| {
                live.get(*id).is_some_and(|have| {
                    !have.props.contains_key("tags")
                        && have
                            .deps()
                            .iter()
                            .any(|dep| live.contains_key(&dep.id) && !kept.contains(&dep.id))
                })
            })
            .cloned()
            .collect();
        if going.is_empty() {
            break;
        }
        for id in going {
            kept.remove(&id);
        }
    }
    for id in &kept {
        live.remove(id);
        notes.push(format!(
            "`{id}` stays in place: it is retained (`retain: true`); delete it by hand when it is no longer needed"
        ));
    }
    for (id, have) in live {
        steps.push(Step {
            id,
            action: Action::Delete,
            changes: Vec::new(),
            reason: None,
            desired: None,
            observed: Some(have),
            replacement: Replacement::default(),
            summary: None,
        });
    }
    steps.sort_by(|a, b| (&a.id, a.action).cmp(&(&b.id, b.action)));
    Ok(Plan {
        steps,
        unchanged,
        notes,
    })
}

/// One resource's desired fields against its live ones: the desired side settled on what
/// is live (a value kept from the live side), the changes, and notes on what was kept.
/// References to resources in `replaced` read as not yet known; templates compare as the
/// text they make with the ids and attributes `known`.
pub fn compare(
    want: &Desired,
    have: &Observed,
    replaced: &BTreeSet<ResourceId>,
    known: &BTreeMap<ResourceId, String>,
) -> (Desired, Vec<Change>, Vec<String>) {
    let known = |id: &ResourceId| known.get(id).cloned();
    let id = &want.id;
    let mut notes = Vec::new();
    let mut changes = Vec::new();
    let mut want = want.clone();
    for (name, field) in want.props.iter_mut() {
        let old = have.value(name).clone();
        let (settled, kept) = field.value.settle(&old);
        if let Some(why) = kept {
            notes.push(format!("`{id}` keeps its live `{name}`: {why}"));
        }
        field.value = settled;
        let plain = field.value.render(&known);
        let mut new = field.value.clone();
        for gone in replaced {
            new = new.forget(gone);
        }
        let new = new.render(&known);
        if new == old {
            continue;
        }
        let follows_replacement = new != plain;
        let forces_replacement = match field.mode {
            Mode::Replace => true,
            Mode::Blocking => follows_replacement,
            Mode::InPlace => false,
        };
        changes.push(Change {
            field: name.clone(),
            old,
            new,
            forces_replacement,
        });
    }
    (want, changes, notes)
}

/// What replaces a resource is made new: a field that makes the resource (`Mode::Replace`)
/// and keeps its live value (a target group's name, which the manifest derives and an
/// adopted group need not share) takes the manifest's instead, the live one being taken
/// by the resource it replaces until that is deleted.
fn renew(
    want: &Desired,
    have: &Observed,
    settled: &mut Desired,
    changes: &mut Vec<Change>,
    notes: &mut Vec<String>,
) {
    for (name, field) in &want.props {
        if field.mode != Mode::Replace || !matches!(field.value, Value::KeepLive(..)) {
            continue;
        }
        let fresh = field.value.settle(&Value::Null).0;
        if let Some(settled) = settled.props.get_mut(name) {
            settled.value = fresh.clone();
        }
        let kept = format!("`{}` keeps its live `{name}`:", want.id);
        notes.retain(|note| !note.starts_with(&kept));
        let old = have.value(name).clone();
        if fresh != old && !changes.iter().any(|change| &change.field == name) {
            changes.push(Change {
                field: name.clone(),
                old,
                new: fresh,
                forces_replacement: true,
            });
            changes.sort_by(|a, b| a.field.cmp(&b.field));
        }
    }
}

/// A resource with nothing live: every `KeepLive` takes its fallback.
fn without_live(want: &Desired) -> Desired {
    let mut want = want.clone();
    for field in want.props.values_mut() {
        field.value = field.value.settle(&Value::Null).0;
    }
    want
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, Props, props};

    fn desired(id: &str, props: Props) -> Desired {
        Desired {
            id: ResourceId::parse(id),
            props,
            after: Vec::new(),
        }
    }

    /// A live resource, retained when its tags say so (as `pipeline::observe_raw` reads
    /// them).
    fn observed(id: &str, physical: &str, props: Props) -> Observed {
        let retained = props.get("tags").is_some_and(|tags| {
            tags.value
                .as_map()
                .and_then(|map| map.get("edgectl:retain"))
                == Some(&Value::str("true"))
        });
        Observed {
            retained,
            ..Observed::new(ResourceId::parse(id), physical, props)
        }
    }

    fn reference(id: &str) -> Value {
        Value::Ref(ResourceId::parse(id))
    }

    fn summary(plan: &Plan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|step| format!("{} {}", step.action.verb(), step.id))
            .collect()
    }

    #[test]
    fn a_kept_name_is_kept_until_the_resource_is_replaced() {
        use crate::model::Why;
        let graph = Graph::new(vec![desired(
            "target_group.web",
            props([
                (
                    "name",
                    Value::KeepLive(Box::new(Value::str("stack-web-1a2b")), Why("derived")),
                    Mode::Replace,
                ),
                ("port", Value::Int(3000), Mode::Replace),
            ]),
        )])
        .unwrap();
        let live = |port: i64| {
            observed(
                "target_group.web",
                "arn:tg",
                props([
                    ("name", Value::str("Stack-Targe-XYZ"), Mode::Replace),
                    ("port", Value::Int(port), Mode::Replace),
                ]),
            )
        };
        // Another name, nothing else: kept, said in a note.
        let plan = diff(&graph, vec![live(3000)]).unwrap();
        assert!(plan.is_empty(), "{:?}", summary(&plan));
        assert_eq!(plan.notes.len(), 1, "{:?}", plan.notes);
        // Replaced for its port: the new one takes the manifest's name (the live one is
        // still taken), and the plan says so.
        let plan = diff(&graph, vec![live(8080)]).unwrap();
        assert_eq!(summary(&plan), ["replace target_group.web"]);
        let step = &plan.steps[0];
        assert_eq!(
            step.desired.as_ref().unwrap().props["name"].value,
            Value::str("stack-web-1a2b")
        );
        let fields: Vec<&str> = step.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["name", "port"]);
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
    }

    #[test]
    fn a_template_compares_as_the_text_it_makes() {
        let url = || {
            Value::Template(vec![
                Value::str("http://"),
                Value::Ref(ResourceId::parse("load_balancer.alb").attribute("dns_name")),
            ])
        };
        let balancer = |name: &str| {
            let mut have = observed(
                "load_balancer.alb",
                "arn:alb",
                props([("name", Value::str(name), Mode::Replace)]),
            );
            have.attributes
                .insert("dns_name".into(), "alb-1.example.com".into());
            have
        };
        let service = |live: &str| {
            observed(
                "service.web",
                "arn:web",
                props([("url", Value::str(live), Mode::InPlace)]),
            )
        };
        let graph = |name: &str| {
            Graph::new(vec![
                desired(
                    "load_balancer.alb",
                    props([("name", Value::str(name), Mode::Replace)]),
                ),
                desired("service.web", props([("url", url(), Mode::InPlace)])),
            ])
            .unwrap()
        };
        // The live text is what the template makes: nothing to do.
        let plan = diff(
            &graph("alb"),
            vec![balancer("alb"), service("http://alb-1.example.com")],
        )
        .unwrap();
        assert!(plan.is_empty(), "{:?}", summary(&plan));
        // Other live text: an update to the rendered text.
        let plan = diff(&graph("alb"), vec![balancer("alb"), service("http://old")]).unwrap();
        assert_eq!(summary(&plan), ["update in place service.web"]);
        assert_eq!(
            plan.steps[0].changes[0].new,
            Value::str("http://alb-1.example.com")
        );
        // The load balancer replaced: its new name is unknown until it exists.
        let plan = diff(
            &graph("alb-2"),
            vec![balancer("alb"), service("http://alb-1.example.com")],
        )
        .unwrap();
        assert_eq!(
            summary(&plan),
            ["replace load_balancer.alb", "update in place service.web"]
        );
        assert!(plan.steps[1].changes[0].new.has_template());
    }

    #[test]
    fn identical_state_plans_nothing() {
        let vpc = props([("cidr", Value::str("10.0.0.0/16"), Mode::Replace)]);
        let graph = Graph::new(vec![desired("vpc", vpc.clone())]).unwrap();
        let plan = diff(&graph, vec![observed("vpc", "vpc-1", vpc)]).unwrap();
        assert!(plan.is_empty());
        assert_eq!(plan.unchanged, 1);
    }

    #[test]
    fn creates_updates_and_deletes() {
        let graph = Graph::new(vec![
            desired("vpc", props([("dns", Value::Bool(true), Mode::InPlace)])),
            desired(
                "subnet.a",
                props([("vpc", reference("vpc"), Mode::Replace)]),
            ),
        ])
        .unwrap();
        let plan = diff(
            &graph,
            vec![
                observed(
                    "vpc",
                    "vpc-1",
                    props([("dns", Value::Bool(false), Mode::InPlace)]),
                ),
                observed(
                    "subnet.old",
                    "subnet-9",
                    props([("vpc", reference("vpc"), Mode::Replace)]),
                ),
            ],
        )
        .unwrap();
        assert_eq!(
            summary(&plan),
            [
                "create subnet.a",
                "delete subnet.old",
                "update in place vpc"
            ]
        );
        assert_eq!(plan.steps[2].changes[0].old, Value::Bool(false));
    }

    #[test]
    fn immutable_change_replaces_and_cascades_to_hard_dependents_only() {
        let graph = Graph::new(vec![
            desired(
                "subnet.a",
                props([("cidr", Value::str("10.0.2.0/24"), Mode::Replace)]),
            ),
            desired(
                "nat_gateway.1",
                props([("subnet", reference("subnet.a"), Mode::Replace)]),
            ),
            desired(
                "route_table.private",
                props([(
                    "subnets",
                    Value::Set([reference("subnet.a")].into()),
                    Mode::InPlace,
                )]),
            ),
            desired(
                "security_group.a",
                props([("name", Value::str("a"), Mode::Replace)]),
            ),
            desired(
                "security_group_rules.b",
                props([(
                    "ingress",
                    Value::Set([reference("security_group.a")].into()),
                    Mode::Blocking,
                )]),
            ),
        ])
        .unwrap();
        let live = vec![
            observed(
                "subnet.a",
                "subnet-1",
                props([("cidr", Value::str("10.0.1.0/24"), Mode::Replace)]),
            ),
            observed(
                "nat_gateway.1",
                "nat-1",
                props([("subnet", reference("subnet.a"), Mode::Replace)]),
            ),
            observed(
                "route_table.private",
                "rtb-1",
                props([(
                    "subnets",
                    Value::Set([reference("subnet.a")].into()),
                    Mode::InPlace,
                )]),
            ),
            observed(
                "security_group.a",
                "sg-1",
                props([("name", Value::str("old"), Mode::Replace)]),
            ),
            observed(
                "security_group_rules.b",
                "sg-2",
                props([(
                    "ingress",
                    Value::Set([reference("security_group.a")].into()),
                    Mode::Blocking,
                )]),
            ),
        ];
        let plan = diff(&graph, live).unwrap();
        assert_eq!(
            summary(&plan),
            [
                "replace nat_gateway.1",
                "update in place route_table.private",
                "replace security_group.a",
                "replace security_group_rules.b",
                "replace subnet.a",
            ]
        );
        assert_eq!(
            plan.steps[1].changes[0].new,
            Value::Set([Value::Unknown].into())
        );
    }

    #[test]
    fn a_blocking_field_changed_by_hand_is_an_update() {
        let rules = |group: &str| {
            props([(
                "ingress",
                Value::Set([reference(group)].into()),
                Mode::Blocking,
            )])
        };
        let graph = Graph::new(vec![
            desired("security_group.a", Props::new()),
            desired("security_group.c", Props::new()),
            desired("security_group_rules.b", rules("security_group.c")),
        ])
        .unwrap();
        let plan = diff(
            &graph,
            vec![
                observed("security_group.a", "sg-a", Props::new()),
                observed("security_group.c", "sg-c", Props::new()),
                observed("security_group_rules.b", "sg-b", rules("security_group.a")),
            ],
        )
        .unwrap();
        assert_eq!(summary(&plan), ["update in place security_group_rules.b"]);
    }

    #[test]
    fn broken_and_duplicate_resources() {
        let nat = props([("subnet", Value::str("x"), Mode::Replace)]);
        let graph = Graph::new(vec![desired("nat_gateway.1", nat.clone())]).unwrap();
        let mut failed = observed("nat_gateway.1", "nat-1", nat.clone());
        failed.broken = Some("state is failed".into());
        let duplicate = observed("nat_gateway.1", "nat-2", nat);
        let plan = diff(&graph, vec![duplicate, failed]).unwrap();
        assert_eq!(
            summary(&plan),
            ["replace nat_gateway.1", "delete nat_gateway.1"]
        );
        assert_eq!(
            plan.steps[0].observed.as_ref().unwrap().physical_id,
            "nat-1"
        );
        assert_eq!(
            plan.steps[1].reason.as_deref(),
            Some("duplicate `nat-2` of this resource")
        );
        let _ = Field {
            value: Value::Null,
            mode: Mode::InPlace,
        };
    }

    #[test]
    fn what_hangs_off_a_retained_resource_goes_with_what_else_it_needs() {
        let retained = Value::map([("edgectl:retain", Value::str("true"))]);
        let fs = observed(
            "file_system.data",
            "fs-1",
            props([("tags", retained, Mode::InPlace)]),
        );
        let subnet = observed(
            "subnet.private-1",
            "subnet-1",
            props([("tags", Value::map([]), Mode::InPlace)]),
        );
        let target = observed(
            "mount_target.data.a",
            "fsmt-1",
            props([
                ("file_system", reference("file_system.data"), Mode::Replace),
                ("subnet", reference("subnet.private-1"), Mode::Replace),
            ]),
        );
        let plan = diff(&Graph::default(), vec![fs, subnet, target]).unwrap();
        assert_eq!(
            summary(&plan),
            ["delete mount_target.data.a", "delete subnet.private-1"]
        );
        assert_eq!(plan.notes.len(), 1, "{:?}", plan.notes);
    }

    #[test]
    fn of_duplicates_a_spare_is_the_one_deleted() {
        let key = props([("alias", Value::str("a"), Mode::InPlace)]);
        let graph = Graph::new(vec![desired("key.a", key.clone())]).unwrap();
        // The spare sorts first by physical id: the diff still keeps the other.
        let mut spare = observed("key.a", "arn:1", key.clone());
        spare.spare = true;
        let kept = observed("key.a", "arn:2", key);
        let plan = diff(&graph, vec![kept, spare]).unwrap();
        assert_eq!(summary(&plan), ["delete key.a"]);
        assert_eq!(
            plan.steps[0].observed.as_ref().unwrap().physical_id,
            "arn:1"
        );
    }

    #[test]
    fn retained_resources_and_what_hangs_off_them_stay() {
        let retained = Value::map([("edgectl:retain", Value::str("true"))]);
        let bucket = observed(
            "bucket.data",
            "data-bucket",
            props([("tags", retained, Mode::InPlace)]),
        );
        let objects = observed(
            "objects.data",
            "data-bucket",
            props([("bucket", reference("bucket.data"), Mode::InPlace)]),
        );
        let distribution = observed(
            "distribution.cdn",
            "arn:aws:cloudfront::123456789012:distribution/E1",
            props([
                (
                    "tags",
                    Value::map([("edgectl:retain", Value::str("true"))]),
                    Mode::InPlace,
                ),
                ("oac", reference("origin_access_control.cdn"), Mode::InPlace),
                ("origin", reference("bucket.scratch"), Mode::InPlace),
            ]),
        );
        let oac = observed(
            "origin_access_control.cdn",
            "E2OAC",
            props([("name", Value::str("cdn"), Mode::InPlace)]),
        );
        let other = observed(
            "bucket.scratch",
            "scratch-bucket",
            props([("tags", Value::map([]), Mode::InPlace)]),
        );
        let plan = diff(
            &Graph::default(),
            vec![bucket, objects, other, distribution, oac],
        )
        .unwrap();
        // A tagged resource the retained one uses (its origin bucket) still goes.
        assert_eq!(summary(&plan), ["delete bucket.scratch"]);
        assert_eq!(plan.notes.len(), 4, "{:?}", plan.notes);
        for (note, id) in plan.notes.iter().zip([
            "bucket.data",
            "distribution.cdn",
            "objects.data",
            "origin_access_control.cdn",
        ]) {
            assert!(
                note.starts_with(&format!("`{id}` stays in place")),
                "{note}"
            );
        }
    }
}
