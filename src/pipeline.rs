//! The pipeline the commands share: manifest -> desired graph -> observe -> diff.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::future::try_join_all;

use crate::aws::calls::CallCounter;
use crate::aws::config::{self, Connection};
use crate::aws::errors::AwsResultExt;
use crate::aws::{Adapter, Clients, Cx, PhysicalIds, adapter_for};
use crate::engine::diff::{self, Plan};
use crate::engine::graph::Graph;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::lower::Env;
use crate::manifest::{Manifest, Zones};

/// Builds the desired graph from whatever facts are at hand (placeholders before any call).
pub fn desired(manifest: &Manifest, env: &Env) -> anyhow::Result<Graph> {
    Graph::new(crate::lower::desired(
        manifest,
        env,
        &crate::kinds::lowerings(),
    ))
    .context("the manifest's resources do not form a valid graph")
}

pub struct Session {
    pub cx: Arc<Cx>,
    pub calls: CallCounter,
}

/// Where a command deploys: the stack, and the region its manifest (or plan) names.
pub struct Target<'a> {
    pub stack: &'a str,
    pub region: Option<&'a str>,
    /// The Route 53 zones the manifest writes records in: where to look for them.
    pub zones: Vec<String>,
    /// The manifest's buckets' names (`aws::Cx::buckets`).
    pub buckets: Vec<String>,
}

impl<'a> From<&'a Manifest> for Target<'a> {
    fn from(manifest: &'a Manifest) -> Self {
        Self {
            stack: &manifest.stack,
            region: manifest.region.as_deref(),
            zones: manifest
                .names("zones")
                .iter()
                .map(|(_, name)| name.clone())
                .collect(),
            buckets: manifest
                .names("buckets")
                .iter()
                .map(|(_, name)| name.clone())
                .collect(),
        }
    }
}

pub async fn connect(
    connection: &Connection,
    target: Target<'_>,
    timeout: Duration,
    no_wait: bool,
    wait_edge: bool,
) -> anyhow::Result<Session> {
    let sdk = config::load(connection, target.region)
        .await
        .map_err(|error| anyhow::Error::new(error).context("cannot choose where to deploy"))?;
    let region = sdk.region().map(ToString::to_string).unwrap_or_default();
    let calls = CallCounter::default();
    let clients = Clients::new(&sdk, &calls);
    let cx = Cx {
        clients,
        stack: target.stack.to_string(),
        region,
        timeout,
        no_wait,
        wait_edge,
        dns_zones: target.zones,
        buckets: target.buckets,
        reads: Default::default(),
        account: Default::default(),
    };
    // Who the credentials are, before anything else: no credentials, an expired session
    // or an endpoint nothing answers at is told at once, not after every read's retries.
    let endpoint = sdk
        .endpoint_url()
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_STS").ok())
        .unwrap_or_else(|| format!("https://sts.{}.amazonaws.com", cx.region));
    let profile = connection.profile.clone().or_else(|| {
        std::env::var("AWS_PROFILE")
            .ok()
            .filter(|name| !name.is_empty())
    });
    let custom = sdk.endpoint_url().is_some();
    match crate::aws::identity::identity(&cx, &endpoint, custom, profile.as_deref()).await {
        Ok(_) => {}
        Err(crate::aws::identity::IdentityError::Access(error)) => return Err(error.into()),
        // STS itself failing (throttled to the end, out of reach from a private subnet):
        // the run goes on, and its reads say what AWS answers them.
        Err(crate::aws::identity::IdentityError::Aws(error)) => {
            crate::sayln!("warning: cannot tell who the credentials are ({error}); going on");
        }
    }
    Ok(Session {
        cx: Arc::new(cx),
        calls,
    })
}

/// The live state: every adapter's observe and the zone lookup, all at once.
pub struct Observation {
    pub env: Env,
    pub observed: Vec<Observed>,
    pub elapsed: Duration,
}

/// Starts local work for a plan of `manifest` (see [`crate::lower::warm`]).
pub fn warm(manifest: &Manifest) {
    crate::lower::warm(manifest, &crate::kinds::lowerings());
}

pub async fn observe(
    cx: &Cx,
    adapters: &[Arc<dyn Adapter>],
    manifest: &Manifest,
) -> anyhow::Result<Observation> {
    let started = Instant::now();
    let zones = resolve_zones(cx, manifest);
    let reads = async {
        let adapters = in_play(cx, adapters, manifest).await?;
        observe_raw(cx, &adapters).await
    };
    let (zones, mut observed) = futures::try_join!(zones, reads)?;
    let ids = live_ids(&observed);
    let index = logical_index(ids.iter().map(|(id, physical)| (id, physical)));
    read_as_logical(&mut observed, &index);
    Ok(Observation {
        env: Env {
            region: cx.region.clone(),
            zones,
        },
        observed,
        elapsed: started.elapsed(),
    })
}

/// The adapters a command reads: those of the kinds the manifest makes and of the kinds
/// the stack has live resources of (`aws::tags::live_kinds`), each with the rest of its
/// kind's (a load balancer's listeners), and the roles'. A stack never reads a service it
/// has nothing in, so a role holding `edgectl policy`'s permissions can plan it.
async fn in_play(
    cx: &Cx,
    adapters: &[Arc<dyn Adapter>],
    manifest: &Manifest,
) -> anyhow::Result<Vec<Arc<dyn Adapter>>> {
    let ids: std::collections::BTreeSet<ResourceId> =
        desired(manifest, &Env::placeholder(manifest))?
            .nodes
            .into_keys()
            .collect();
    let mut kinds: std::collections::BTreeSet<String> =
        ids.iter().map(|id| id.kind().to_string()).collect();
    // What the kinds find through the tagging API must hold these (`tags::tagged_complete`).
    let _ = cx.reads.expected.set(ids);
    kinds.extend(
        crate::aws::tags::live_kinds(cx)
            .await
            .context("cannot list the stack's resources by its tag")?,
    );
    // Records in a zone the stack does not own carry no tag: while the manifest writes in
    // one, its records are read, so that one removed is deleted.
    if !cx.dns_zones.is_empty() {
        kinds.insert(crate::aws::ids::RECORD.to_string());
    }
    let read = crate::kinds::kinds_in_play(&kinds);
    Ok(adapters
        .iter()
        .filter(|adapter| adapter.kinds().iter().any(|kind| read.contains(kind)))
        .cloned()
        .collect())
}

/// Every adapter's live resources, all at once, with live references still physical ids.
pub async fn observe_raw(cx: &Cx, adapters: &[Arc<dyn Adapter>]) -> anyhow::Result<Vec<Observed>> {
    let observed = try_join_all(adapters.iter().map(|adapter| adapter.observe(cx)))
        .await
        .context("cannot read the stack's live state")?;
    Ok(observed
        .into_iter()
        .flatten()
        .map(|mut resource| {
            resource.retained = crate::aws::tags::retained(resource.value("tags"));
            resource
        })
        .collect())
}

pub use crate::engine::kind::{live_ids, logical_index, read_as_logical};

/// Zone names: as written, or the region's first N available zones in name order.
async fn resolve_zones(cx: &Cx, manifest: &Manifest) -> anyhow::Result<Vec<String>> {
    let Some(network) = &manifest.network else {
        return Ok(Vec::new());
    };
    let count = match &network.zones {
        Zones::Names(names) => return Ok(names.clone()),
        Zones::Count(count) => *count,
    };
    let found = cx
        .clients
        .ec2
        .describe_availability_zones()
        .send()
        .await
        .aws("DescribeAvailabilityZones")?;
    let mut names: Vec<String> = found
        .availability_zones()
        .iter()
        // Local Zones and Wavelength Zones are opt-in and not for a general network.
        .filter(|zone| {
            zone.zone_type()
                .is_none_or(|kind| kind == "availability-zone")
        })
        .filter(|zone| {
            zone.state()
                .is_none_or(|state| state.as_str() == "available")
        })
        .filter_map(|zone| zone.zone_name().map(str::to_string))
        .collect();
    names.sort();
    if names.len() < count {
        anyhow::bail!(
            "`network.zones` asks for {count} zones but region `{}` has {} available",
            cx.region,
            names.len()
        );
    }
    names.truncate(count);
    Ok(names)
}

/// `redeploy` names services (keys under `services:`) whose step gets a forced new
/// deployment (`apply --redeploy`): an update of its own when nothing else changes.
/// What apply would refuse (a database replaced without `allow_replacement`, a retained
/// resource replaced) is the error.
pub fn plan(
    adapters: &[Arc<dyn Adapter>],
    manifest: Option<&Manifest>,
    observation: &Observation,
    redeploy: &[String],
) -> anyhow::Result<Plan> {
    let (plan, refusals) = plan_with_refusals(adapters, manifest, observation, redeploy)?;
    match refusals.into_iter().next() {
        Some(why) => Err(anyhow::anyhow!(why)),
        None => Ok(plan),
    }
}

/// [`plan`], with what apply would refuse told beside it rather than as the error
/// (`status`, which shows the stack however far it is from the manifest).
pub fn plan_with_refusals(
    adapters: &[Arc<dyn Adapter>],
    manifest: Option<&Manifest>,
    observation: &Observation,
    redeploy: &[String],
) -> anyhow::Result<(Plan, Vec<String>)> {
    let mut refusals = Vec::new();
    let mut graph = match manifest {
        Some(manifest) => desired(manifest, &observation.env)?,
        None => Graph::default(),
    };
    // What only the manifest knows goes onto the live side before comparing.
    let mut observed = observation.observed.clone();
    for resource in &mut observed {
        if let (Some(adapter), Some(want)) = (
            adapter_for(adapters, &resource.id),
            graph.nodes.get_mut(&resource.id),
        ) {
            adapter.normalize(want, resource);
        }
    }
    // Notes on what the manifest keeps: what it deletes needs no advice.
    let notes: Vec<String> = observed
        .iter()
        .filter(|have| graph.nodes.contains_key(&have.id))
        .filter_map(|have| {
            Some(format!(
                "`{}` {}",
                have.id,
                have.extra.get(crate::engine::model::NOTE)?
            ))
        })
        .collect();
    let mut plan = diff::diff(&graph, observed.clone())?;
    plan.notes.extend(notes);
    let mut asked: Vec<&String> = redeploy.iter().collect();
    asked.sort();
    asked.dedup();
    for name in asked {
        force_deployment(&mut plan, &graph, &observed, name)?;
    }
    for step in &mut plan.steps {
        if let Some(adapter) = adapter_for(adapters, &step.id) {
            step.replacement = adapter.replacement();
            step.summary = adapter.summarize(step);
            if let Some(why) = adapter.refuse(step) {
                refusals.push(why);
            }
        }
        let retained = step.observed.as_ref().is_some_and(|have| have.retained);
        if retained && step.action == crate::engine::diff::Action::Replace {
            let fields: Vec<&str> = step
                .changes
                .iter()
                .filter(|change| change.forces_replacement)
                .map(|change| change.field.as_str())
                .collect();
            refusals.push(format!(
                "`{}` is retained (`retain: true`), but a change to {} would replace it: keep the live value, or remove `retain` first",
                step.id,
                fields.join(", ")
            ));
        }
    }
    Ok((plan, refusals))
}

/// `--redeploy`'s names, checked against the manifest's services before any AWS call.
pub fn check_redeploy(manifest: &Manifest, names: &[String]) -> anyhow::Result<()> {
    let services = manifest.names("services");
    for name in names {
        if !services.iter().any(|(key, _)| key == name) {
            let known: Vec<String> = services.iter().map(|(key, _)| format!("`{key}`")).collect();
            anyhow::bail!(
                "--redeploy {name}: the manifest has no service `{name}` ({})",
                match known.is_empty() {
                    true => "it has none".to_string(),
                    false => format!("its services: {}", known.join(", ")),
                }
            );
        }
    }
    Ok(())
}

/// Adds `--redeploy NAME`'s forced deployment to the service's step: to its update, or
/// an update of its own; a service being created or replaced deploys anyway.
fn force_deployment(
    plan: &mut Plan,
    graph: &Graph,
    observed: &[Observed],
    name: &str,
) -> anyhow::Result<()> {
    use crate::engine::diff::{Action, Step};
    let id = crate::aws::ids::service_id(name);
    let Some(want) = graph.nodes.get(&id) else {
        anyhow::bail!("--redeploy {name}: the manifest has no service `{name}`");
    };
    let change = crate::kinds::service::redeploy_change();
    if let Some(step) = plan.steps.iter_mut().find(|step| step.id == id) {
        if step.action == Action::Update {
            step.changes.push(change);
        }
        return Ok(());
    }
    let Some(have) = observed.iter().find(|have| have.id == id) else {
        return Ok(());
    };
    // What the manifest leaves to the live side (a count auto scaling keeps) settled on it,
    // as the diff settles a step's desired side.
    let (want, _, _) = diff::compare(want, have, &Default::default(), &Default::default());
    plan.steps.push(Step {
        id: id.clone(),
        action: Action::Update,
        changes: vec![change],
        reason: None,
        desired: Some(want),
        observed: Some(have.clone()),
        replacement: Default::default(),
        summary: None,
    });
    plan.unchanged = plan.unchanged.saturating_sub(1);
    plan.steps
        .sort_by(|a, b| (&a.id, a.action).cmp(&(&b.id, b.action)));
    Ok(())
}

/// What `edgectl adopt` found for one resource of the manifest.
pub struct Adoption {
    pub id: ResourceId,
    pub found: Found,
    /// The resource found that brought it (`Found::Live::also`: a group's rules, a
    /// service's auto scaling): the stack's with that one, nothing of its own to write.
    pub with: Option<ResourceId>,
}

/// `edgectl adopt` (and `plan --adopt`): what each kind finds live, not the stack's yet,
/// for the resources `plan` creates — only those `pins` names when it names any, each at
/// the physical id it gives, if it gives one. Found in the graph's order, so that what
/// sits in a resource found (a subnet in a VPC) is looked for where that one is; what
/// sits in a resource that is not found is not looked for (it is created with it).
pub async fn find_adoptions(
    cx: &Cx,
    adapters: &[Arc<dyn Adapter>],
    graph: &Graph,
    plan: &Plan,
    observed: &[Observed],
    pins: &BTreeMap<ResourceId, Option<String>>,
) -> anyhow::Result<Vec<Adoption>> {
    let creates: BTreeSet<ResourceId> = plan
        .steps
        .iter()
        .filter(|step| step.action == diff::Action::Create)
        .map(|step| step.id.clone())
        .collect();
    for id in pins.keys() {
        if !graph.nodes.contains_key(id) {
            anyhow::bail!(
                "`{id}` is not a resource of the manifest (`edgectl plan` lists their ids)"
            );
        }
        // Adopted already (by a run that died part way, say): nothing left to do for it,
        // unless it is named at another resource than the one the stack has.
        let owned = observed.iter().find(|have| &have.id == id);
        if let (Some(have), Some(Some(pin))) = (owned, pins.get(id))
            && have.physical_id != *pin
        {
            anyhow::bail!(
                "`{id}` is the stack's already, as `{}`, not `{pin}`",
                have.physical_id
            );
        }
    }
    let physical = physical_ids(observed);
    let find = |id: ResourceId, pin: Option<String>| {
        let physical = &physical;
        async move {
            let Some(adapter) = adapter_for(adapters, &id) else {
                return Ok((id, Found::Unsupported));
            };
            let made = std::sync::OnceLock::new();
            let op = crate::aws::OpCx {
                cx,
                id: &id,
                physical,
                wait: false,
                report: &|_| {},
                made: &made,
            };
            let mut found = match adapter.find(&op, &graph.nodes[&id], pin.as_deref()).await {
                // What it sits in was not found: it is created with it.
                Err(error) if error.operation == "resolve" => Found::Nothing,
                found => {
                    found.with_context(|| format!("cannot look for a live resource for `{id}`"))?
                }
            };
            if let Found::Live { observed, .. } = &mut found {
                retained_as_adopted(&graph.nodes[&id], observed);
            }
            Ok::<_, anyhow::Error>((id, found))
        }
    };
    let known = |found: &Found| {
        if let Found::Live { observed, .. } = found {
            physical.set(&observed.id, observed.physical_id.clone());
            for (name, value) in &observed.attributes {
                physical.set(&observed.id.attribute(name), value.clone());
            }
        }
    };
    let mut pending: BTreeSet<ResourceId> = creates
        .into_iter()
        .filter(|id| pins.is_empty() || pins.contains_key(id))
        .collect();
    let mut adoptions: BTreeMap<ResourceId, Found> = BTreeMap::new();
    let waits_on = |id: &ResourceId, others: &BTreeSet<ResourceId>| {
        graph.nodes[id]
            .deps()
            .iter()
            .any(|dep| &dep.id.owner() != id && others.contains(&dep.id.owner()))
    };
    while !pending.is_empty() {
        let ready: Vec<ResourceId> = pending
            .iter()
            .filter(|id| !waits_on(id, &pending))
            .cloned()
            .collect();
        if ready.is_empty() {
            anyhow::bail!("the resources to adopt wait on each other: {pending:?}");
        }
        let finds = ready
            .iter()
            .map(|id| find(id.clone(), pins.get(id).cloned().flatten()));
        for (id, found) in futures::future::try_join_all(finds).await? {
            known(&found);
            pending.remove(&id);
            adoptions.insert(id, found);
        }
    }
    // What a resource found refers to is where the resource it stands for is: a NAT
    // gateway's address, which has nothing else to be found by. Found there, what depends
    // on it and found nothing is looked for again.
    let mut asked: BTreeSet<ResourceId> = BTreeSet::new();
    loop {
        let mut inferred: BTreeMap<ResourceId, BTreeSet<String>> = BTreeMap::new();
        for (id, found) in &adoptions {
            let Found::Live { observed, .. } = found else {
                continue;
            };
            let mut refers = Vec::new();
            for (field, want) in &graph.nodes[id].props {
                if let Some(have) = observed.props.get(field) {
                    references(&want.value, &have.value, &mut refers);
                }
            }
            for (dep, live) in refers {
                if matches!(adoptions.get(&dep), Some(Found::Nothing))
                    && pins.get(&dep).is_none_or(Option::is_none)
                    && !asked.contains(&dep)
                {
                    inferred.entry(dep).or_default().insert(live);
                }
            }
        }
        let mut again: Vec<(ResourceId, Option<String>)> = Vec::new();
        for (dep, live) in inferred {
            asked.insert(dep.clone());
            match live.len() {
                1 => again.push((dep, live.into_iter().next())),
                _ => {
                    let live: Vec<String> = live.into_iter().collect();
                    adoptions.insert(
                        dep.clone(),
                        Found::Refused(format!(
                            "what was found refers to several live resources for it ({}): name the one to take, `edgectl adopt -f FILE {dep}={}`",
                            live.join(", "),
                            live[0]
                        )),
                    );
                }
            }
        }
        if again.is_empty() {
            break;
        }
        let found_now: BTreeSet<ResourceId> = again.iter().map(|(id, _)| id.clone()).collect();
        let finds = again.into_iter().map(|(id, live)| find(id, live));
        for (id, found) in futures::future::try_join_all(finds).await? {
            known(&found);
            adoptions.insert(id, found);
        }
        // What sits in those, however deep, and found nothing for want of them, in the
        // graph's order.
        let mut below = found_now;
        loop {
            let more: Vec<ResourceId> = adoptions
                .iter()
                .filter(|(id, found)| {
                    matches!(found, Found::Nothing)
                        && !asked.contains(*id)
                        && !below.contains(*id)
                        && waits_on(id, &below)
                })
                .map(|(id, _)| id.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            below.extend(more);
        }
        let mut retry: BTreeSet<ResourceId> = below
            .into_iter()
            .filter(|id| matches!(adoptions.get(id), Some(Found::Nothing)) && !asked.contains(id))
            .collect();
        while !retry.is_empty() {
            let ready: Vec<ResourceId> = retry
                .iter()
                .filter(|id| !waits_on(id, &retry))
                .cloned()
                .collect();
            if ready.is_empty() {
                anyhow::bail!("the resources to adopt wait on each other: {retry:?}");
            }
            let finds = ready
                .iter()
                .map(|id| find(id.clone(), pins.get(id).cloned().flatten()));
            for (id, found) in futures::future::try_join_all(finds).await? {
                known(&found);
                retry.remove(&id);
                adoptions.insert(id, found);
            }
        }
    }
    // What comes with a resource found, untagged (a security group's rules), is the
    // stack's with it, named or not.
    let with: Vec<(ResourceId, Observed)> = adoptions
        .iter()
        .filter_map(|(id, found)| match found {
            Found::Live { also, .. } => Some(also.iter().map(|also| (id.clone(), also.clone()))),
            _ => None,
        })
        .flatten()
        .collect();
    let mut brought: BTreeMap<ResourceId, ResourceId> = BTreeMap::new();
    for (by, observed) in with {
        if !matches!(adoptions.get(&observed.id), Some(Found::Live { .. })) {
            let id = observed.id.clone();
            brought.insert(id.clone(), by.clone());
            let what = format!("with `{by}`");
            adoptions.insert(
                id,
                Found::Live {
                    observed,
                    what,
                    note: None,
                    also: Vec::new(),
                },
            );
        }
    }
    // One live resource is taken over by one resource of the manifest (a group's rules
    // share the group's id, as another kind).
    let mut taken: BTreeMap<(String, String), ResourceId> = BTreeMap::new();
    for (id, found) in &mut adoptions {
        if let Found::Live { observed, what, .. } = found {
            let key = (id.kind().to_string(), observed.physical_id.clone());
            match taken.get(&key) {
                Some(first) => {
                    *found = Found::Refused(format!(
                        "{what} is found for `{first}` too; name the one to take for each, `edgectl adopt -f FILE {id}=ID`"
                    ));
                }
                None => {
                    taken.insert(key, id.clone());
                }
            }
        }
    }
    // An id named is adopted, or the run says why not.
    for id in pins.keys() {
        let why = match adoptions.get(id) {
            Some(Found::Nothing) => format!(
                "nothing live was found for it{}",
                match pins.get(id) {
                    Some(Some(pin)) => format!(" at `{pin}` (or not where the manifest puts it)"),
                    _ => String::new(),
                }
            ),
            Some(Found::Unsupported) => format!(
                "edgectl does not adopt a `{}` (the next apply creates it): leave it out",
                id.kind()
            ),
            _ => continue,
        };
        adoptions.insert(id.clone(), Found::Refused(why));
    }
    Ok(adoptions
        .into_iter()
        .map(|(id, found)| Adoption {
            with: brought.get(&id).cloned(),
            id,
            found,
        })
        .collect())
}

/// A resource found as it reads once adopted: adopt writes `edgectl:retain` with the
/// ownership tags where the manifest keeps the resource (`tags::adopt_tags`), so the plan
/// that follows does not show it as a change.
fn retained_as_adopted(desired: &Desired, observed: &mut Observed) {
    let retain = crate::aws::tags::RETAIN_TAG;
    let kept = desired
        .props
        .get("tags")
        .and_then(|field| field.value.as_map())
        .and_then(|map| map.get(retain))
        == Some(&Value::str("true"));
    if let (true, Some(field)) = (kept, observed.props.get_mut("tags"))
        && let Value::Map(tags) = &mut field.value
    {
        tags.insert(retain.to_string(), Value::str("true"));
        observed.retained = true;
    }
}

/// Where a desired value refers to a resource of the stack (`Ref`) and the live value at
/// the same place to a physical id: the pairs, however deep (a listener's action's target
/// group, a service's load balancer's). Sets are paired only when both hold one value.
fn references(want: &Value, have: &Value, out: &mut Vec<(ResourceId, String)>) {
    match (want, have) {
        (Value::Ref(dep), Value::Phys(live)) if dep.owner() == *dep => {
            out.push((dep.clone(), live.clone()));
        }
        (Value::Map(want), Value::Map(have)) => {
            for (key, want) in want {
                if let Some(have) = have.get(key) {
                    references(want, have, out);
                }
            }
        }
        (Value::List(want), Value::List(have)) if want.len() == have.len() => {
            for (want, have) in want.iter().zip(have) {
                references(want, have, out);
            }
        }
        (Value::Set(want), Value::Set(have)) if want.len() == 1 && have.len() == 1 => {
            if let (Some(want), Some(have)) = (want.first(), have.first()) {
                references(want, have, out);
            }
        }
        _ => {}
    }
}

/// The live state as it reads once `adoptions` are the stack's: what they found, under
/// the ids they would take, their references read as logical ids.
pub fn with_adopted(observation: &Observation, adoptions: &[Adoption]) -> Observation {
    let mut observed = observation.observed.clone();
    let adopted: Vec<Observed> = adoptions
        .iter()
        .filter_map(|adoption| match &adoption.found {
            Found::Live { observed, .. } => Some(observed.clone()),
            _ => None,
        })
        .collect();
    // What the stack has that refers to them (a service to a secret) reads them as theirs.
    observed.extend(adopted);
    let known = live_ids(&observed);
    let index = logical_index(known.iter().map(|(id, physical)| (id, physical)));
    read_as_logical(&mut observed, &index);
    Observation {
        env: observation.env.clone(),
        observed,
        elapsed: observation.elapsed,
    }
}

/// An adoption the next apply would undo: a resource found whose live settings the
/// manifest can only reach by replacing it (deleting what was just adopted). Said per
/// resource with the fields at fault, to be settled in the manifest before adopting.
pub fn replaced_after_adoption(
    plan: &Plan,
    adoptions: &[Adoption],
    graph: &Graph,
) -> Vec<(ResourceId, String)> {
    let adopted: BTreeSet<&ResourceId> = adoptions
        .iter()
        .filter(|adoption| matches!(adoption.found, Found::Live { .. }))
        .map(|adoption| &adoption.id)
        .collect();
    // What cannot be kept as it is: refused, or replaced by this very plan.
    let refused: BTreeSet<&ResourceId> = adoptions
        .iter()
        .filter(|adoption| matches!(adoption.found, Found::Refused(_)))
        .map(|adoption| &adoption.id)
        .chain(
            plan.steps
                .iter()
                .filter(|step| step.action == diff::Action::Replace)
                .map(|step| &step.id),
        )
        .collect();
    plan.steps
        .iter()
        .filter(|step| step.action == diff::Action::Replace && adopted.contains(&step.id))
        .map(|step| {
            // Not a value the manifest derives and keeps from the live resource (a target
            // group's name): it changes only because something else replaces the resource.
            let kept = |field: &str| {
                graph
                    .nodes
                    .get(&step.id)
                    .and_then(|node| node.props.get(field))
                    .is_some_and(|field| matches!(field.value, Value::KeepLive(..)))
            };
            let forcing: Vec<&diff::Change> = step
                .changes
                .iter()
                .filter(|change| change.forces_replacement && !kept(&change.field))
                .collect();
            // Replaced because what it sits in or refers to cannot be adopted.
            let mut refs = Vec::new();
            for change in &forcing {
                if let Some(field) = step
                    .desired
                    .as_ref()
                    .and_then(|desired| desired.props.get(&change.field))
                {
                    field.value.refs(&mut refs);
                }
            }
            let why = match refs.iter().find(|id| **id != step.id && refused.contains(id)) {
                Some(with) => format!(
                    "it goes with `{with}`, which cannot be adopted: leave `{}` out with it",
                    step.id
                ),
                None => {
                    let fields: Vec<String> = forcing
                        .iter()
                        .map(|change| {
                            format!("`{}` (live {}, manifest {})", change.field, change.old, change.new)
                        })
                        .collect();
                    format!(
                        "the next apply would replace it, deleting what was adopted: {} cannot change in place. Write the live value in the manifest, or leave `{}` out (`edgectl adopt -f FILE ID...` adopts only the ids named)",
                        fields.join(", "),
                        step.id
                    )
                }
            };
            (step.id.clone(), why)
        })
        .collect()
}

/// Every refusal the adapters give, before anything changes: to the deletions in `plan`
/// (what AWS would half-do, what the stack does not own), and to the creates whose name
/// is taken by a resource the stack does not own. All checks run at once.
pub async fn preflight(cx: &Cx, adapters: &[Arc<dyn Adapter>], plan: &Plan) -> Vec<String> {
    let deletes = plan
        .steps
        .iter()
        .filter(|step| matches!(step.action, diff::Action::Delete | diff::Action::Replace))
        .filter_map(|step| Some((adapter_for(adapters, &step.id)?, step.observed.as_ref()?)))
        .map(|(adapter, observed)| async move {
            adapter
                .preflight_delete(cx, observed)
                .await
                .err()
                .map(|why| format!("cannot delete `{}`: {why}", observed.id))
        });
    let creates = plan
        .steps
        .iter()
        // A replacement under the same name takes the name from the stack's own resource.
        .filter(|step| match step.action {
            diff::Action::Create => true,
            diff::Action::Replace => step.changes.iter().any(|change| change.field == "name"),
            _ => false,
        })
        .filter_map(|step| Some((adapter_for(adapters, &step.id)?, step.desired.as_ref()?)))
        .map(|(adapter, desired)| async move {
            adapter
                .preflight_create(cx, desired)
                .await
                .err()
                .map(|why| format!("cannot create `{}`: {why}", desired.id))
        });
    let (deletes, creates) = futures::join!(
        futures::future::join_all(deletes),
        futures::future::join_all(creates)
    );
    invalid(adapters, plan)
        .into_iter()
        .chain(deletes.into_iter().chain(creates).flatten())
        .collect()
}

/// The steps whose desired state cannot be applied whatever AWS holds (see
/// [`Adapter::invalid`]).
pub fn invalid(adapters: &[Arc<dyn Adapter>], plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter_map(|step| {
            let desired = step.desired.as_ref()?;
            let why = adapter_for(adapters, &step.id)?.invalid(desired)?;
            Some(format!("cannot apply `{}`: {why}", step.id))
        })
        .collect()
}

/// Physical ids of the live resources, keeping the one the diff keeps when two share an id.
pub fn physical_ids(observed: &[Observed]) -> PhysicalIds {
    let ids = PhysicalIds::default();
    let mut sorted: Vec<&Observed> = observed.iter().collect();
    sorted.sort_by(|a, b| (&a.id, &a.physical_id).cmp(&(&b.id, &b.physical_id)));
    for resource in sorted.into_iter().rev() {
        ids.set(&resource.id, resource.physical_id.clone());
        for (name, value) in &resource.attributes {
            ids.set(&resource.id.attribute(name), value.clone());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use crate::engine::diff::diff;
    use crate::engine::graph::Graph;
    use crate::engine::model::{Observed, Value};
    use crate::engine::walk::{label as walk_label, order, schedule};

    fn position(order: &[String], label: &str) -> usize {
        order
            .iter()
            .position(|item| item == label)
            .unwrap_or_else(|| panic!("{label} not in {order:?}"))
    }

    /// The teardown order AWS demands, on the real example's desired graph (moto would
    /// accept a wrong order, so it is checked here): services go before their target
    /// groups and cluster, listeners and rules before their load balancer, the load
    /// balancer before its security groups and subnets, auto scaling before its service.
    #[test]
    fn destroying_the_service_example_drains_in_reverse() {
        let text = include_str!("../examples/service.yaml");
        let overrides = crate::manifest::vars::Overrides {
            cli: vec![(
                "certificate_arn".to_string(),
                "arn:aws:acm:us-east-1:123456789012:certificate/example".to_string(),
            )],
            ..Default::default()
        };
        let manifest = crate::manifest::parse_bytes(
            "examples/service.yaml",
            text.as_bytes(),
            &overrides,
            &crate::kinds::sections(),
        )
        .unwrap();
        let env = crate::lower::Env::placeholder(&manifest);
        let graph = super::desired(&manifest, &env).unwrap();
        let live: Vec<Observed> = graph
            .nodes
            .values()
            .map(|desired| {
                let mut observed = Observed::new(
                    desired.id.clone(),
                    format!("phys-{}", desired.id),
                    desired.props.clone(),
                );
                observed.after = desired.after.clone();
                for field in observed.props.values_mut() {
                    field.value = field.value.settle(&Value::Null).0;
                }
                observed
            })
            .collect();
        let plan = diff(&Graph::default(), live).unwrap();
        let ops = schedule(&plan).unwrap();
        let order = order(&plan, &ops);
        let before = |first: &str, then: &str| {
            assert!(
                position(&order, first) < position(&order, then),
                "`{first}` must come before `{then}`: {order:?}"
            );
        };
        before("delete scaling.web", "delete service.web");
        before("delete service.web", "delete target_group.web");
        before("delete service.web", "delete cluster.main");
        before("delete service.web", "delete task_definition.web");
        before("delete listener.web-443", "delete target_group.web");
        before("delete listener.web-443", "delete load_balancer.web");
        before("delete listener.web-80", "delete load_balancer.web");
        before("delete load_balancer.web", "delete security_group.alb");
        before("delete load_balancer.web", "delete subnet.public-1");
        before("delete task_definition.web", "delete role.web-execution");
        before("delete task_definition.web", "delete log_group.web");
        before("delete task_definition.web", "delete repository.web");
    }

    /// A task mounting a file system stops (`failed to resolve fs-....efs...`) when no
    /// mount target answers in its subnet yet: EdgeMind's InfluxDB service is created
    /// after every mount target of its file system.
    #[test]
    fn services_start_after_the_mount_targets_of_what_they_mount() {
        let text = include_str!("../manifests/edgemind-prod.yaml");
        let manifest = crate::manifest::parse_bytes(
            "manifests/edgemind-prod.yaml",
            text.as_bytes(),
            &crate::manifest::vars::Overrides::default(),
            &crate::kinds::sections(),
        )
        .unwrap();
        let env = crate::lower::Env::placeholder(&manifest);
        let graph = super::desired(&manifest, &env).unwrap();
        let plan = diff(&graph, Vec::new()).unwrap();
        let ops = schedule(&plan).unwrap();
        // The service's create waits for each mount target's create (an edge, not an
        // accident of the order ties are broken in).
        let index = |label: &str| {
            ops.iter()
                .position(|op| walk_label(&plan, op) == label)
                .unwrap_or_else(|| panic!("no `{label}`"))
        };
        let service = &ops[index("create service.influxdb")];
        let targets: Vec<usize> = ops
            .iter()
            .enumerate()
            .filter(|(_, op)| walk_label(&plan, op).starts_with("create mount_target.influxdb."))
            .map(|(at, _)| at)
            .collect();
        assert_eq!(targets.len(), 2);
        for target in targets {
            assert!(
                service.after.contains(&target),
                "the service does not wait for `{}`",
                walk_label(&plan, &ops[target])
            );
        }
    }
}
