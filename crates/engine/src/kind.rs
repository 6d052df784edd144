//! The contract every resource kind implements, and what an operation sees while it runs.
//! A kind knows how to read its live resources and create, update and delete one; the
//! engine decides what to do and when. The context type is the kind's own (the AWS
//! clients, for every kind edgectl ships; a plain struct in the walk's tests).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use async_trait::async_trait;

use super::diff::{Change, Replacement, Step, Summary};
use super::error::{Error, ErrorKind};
pub use super::model::live_ids;
use super::model::{Desired, Observed, ResourceId, Value};

/// What the engine needs from a kind's context.
pub trait Context: Send + Sync + 'static {
    /// The same context without what it caches for a whole command, to see what is live
    /// now (after a create whose response was lost).
    fn fresh(&self) -> Self;

    /// How long "not found" may mean "not visible yet" after a create (eventual consistency).
    fn visibility_bound(&self) -> Duration;

    /// How long to wait for what holds a resource to go away (the command's `--timeout`).
    fn patience(&self) -> Duration;
}

/// One resource kind (or a few that one read returns together).
#[async_trait]
pub trait Kind: Send + Sync {
    type Cx: Context;

    /// The kinds this implements, as written before the `.` of logical ids.
    fn kinds(&self) -> &'static [&'static str];

    /// How a replacement of these kinds runs.
    fn replacement(&self) -> Replacement {
        Replacement::DeleteThenCreate
    }

    /// Before the diff, settles each side with what only the other knows (a sync's `delete`
    /// flag onto the live side; the live objects' sizes decide which files to hash).
    fn normalize(&self, _desired: &mut Desired, _observed: &mut Observed) {}

    /// The step told in the kind's own words, in place of its fields (a sync's counts of
    /// files to upload and delete), for the plan people read and its JSON.
    fn summarize(&self, _step: &Step) -> Option<Summary> {
        None
    }

    /// A step the kind will not take as planned (a database's replacement the manifest
    /// did not allow): the plan stops with this reason.
    fn refuse(&self, _step: &Step) -> Option<String> {
        None
    }

    /// Refuses, before any change is made, a deletion AWS would half-do or that would
    /// destroy what edgectl does not own (a bucket holding others' objects).
    async fn preflight_delete(&self, _cx: &Self::Cx, _observed: &Observed) -> Result<(), String> {
        Ok(())
    }

    /// What makes a desired resource impossible to apply, known without AWS (a sync
    /// source with entries that cannot be read). Plan, apply and sync refuse on it before
    /// any change.
    fn invalid(&self, _desired: &Desired) -> Option<String> {
        None
    }

    /// Refuses, before any change is made, a create whose name is taken by a resource
    /// the stack does not own: where AWS answers a create with the existing resource of
    /// that name (ECS `CreateCluster`, ELBv2 `CreateLoadBalancer`/`CreateTargetGroup` with
    /// identical settings) or refuses it (IAM, ECR, CloudWatch Logs), or adds to it (a task
    /// definition family). The message names the resource and says who owns it.
    async fn preflight_create(&self, _cx: &Self::Cx, _desired: &Desired) -> Result<(), String> {
        Ok(())
    }

    /// Every live resource of these kinds owned by the stack, with as few calls as the API
    /// allows. References to other resources are physical ids; the engine reads them as
    /// logical ones.
    async fn observe(&self, cx: &Self::Cx) -> Result<Vec<Observed>, Error>;

    /// Creates the resource with its ownership marks in the same call; returns its physical id.
    async fn create(&self, op: &OpCx<'_, Self::Cx>, desired: &Desired) -> Result<String, Error>;

    async fn update(
        &self,
        op: &OpCx<'_, Self::Cx>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), Error>;

    async fn delete(&self, op: &OpCx<'_, Self::Cx>, observed: &Observed) -> Result<(), Error>;

    /// `edgectl adopt`: the live resource that `desired` would take over, one the stack
    /// does not own yet, found where AWS keeps the name the manifest gives it (a cluster's
    /// name) or, for what has none, by where it sits (a subnet's CIDR in its VPC, `op`
    /// resolving the references to what was found before it), or at `pin`, the physical
    /// id the user named. Read as `observe` reads the stack's, under `desired`'s id.
    async fn find(
        &self,
        _op: &OpCx<'_, Self::Cx>,
        _desired: &Desired,
        _pin: Option<&str>,
    ) -> Result<Found, Error> {
        Ok(Found::Unsupported)
    }

    /// Takes over what [`Kind::find`] found for `desired`: writes the stack's ownership
    /// marks on it, and nothing else (the next apply makes its changes). Safe to run again.
    async fn adopt(
        &self,
        op: &OpCx<'_, Self::Cx>,
        _desired: &Desired,
        _found: &Observed,
    ) -> Result<(), Error> {
        Err(Error::new(
            ErrorKind::Other,
            "adopt",
            format!("`{}`'s kind cannot be adopted", op.id),
        ))
    }

    /// The error an operation ends with, once the walk gives up on it, told with what
    /// only a read can say (which network interfaces still hold a subnet).
    async fn explain(&self, _cx: &Self::Cx, _step: &Step, error: Error) -> Error {
        error
    }
}

/// What [`Kind::find`] found for a resource of the manifest.
// One per resource `edgectl adopt` looks for, held briefly: not worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Found {
    /// Nothing: the resource is created as usual.
    Nothing,
    /// A live resource to take over (`what` names it as a person would: "ECS cluster
    /// `web`"), read under the desired resource's id.
    Live {
        observed: Observed,
        what: String,
        /// What the user should know before taking it over (a CloudFormation stack that
        /// retains it still lists it).
        note: Option<String>,
        /// What comes with it, untagged, read under ids of its own once it is the stack's
        /// (a security group's rules).
        also: Vec<Observed>,
    },
    /// A live resource that must not be taken over, and why (another stack's, one a live
    /// CloudFormation stack still manages, several that match).
    Refused(String),
    /// The kind cannot be adopted (an IAM role, whose path is the stack's): created as usual.
    Unsupported,
}

/// The kind that handles a logical id.
pub fn kind_for<'a, K: ?Sized + Kind>(kinds: &'a [Arc<K>], id: &ResourceId) -> Option<&'a Arc<K>> {
    kinds.iter().find(|kind| kind.kinds().contains(&id.kind()))
}

/// Physical id -> the logical id it stands for. Ids sort kind-first, and where two share
/// a physical id the first names it: a group (`security_group.x`) before its rules
/// (`security_group_rules.x`), a bucket before its objects.
pub fn logical_index<'a>(
    pairs: impl IntoIterator<Item = (&'a ResourceId, &'a String)>,
) -> BTreeMap<String, ResourceId> {
    let mut pairs: Vec<(&ResourceId, &String)> = pairs.into_iter().collect();
    pairs.sort();
    let mut index = BTreeMap::new();
    for (id, physical) in pairs {
        index.entry(physical.clone()).or_insert_with(|| id.clone());
    }
    index
}

/// Live references (physical ids in `index`) read as the logical ids they stand for.
pub fn read_as_logical(observed: &mut [Observed], index: &BTreeMap<String, ResourceId>) {
    for field in observed
        .iter_mut()
        .flat_map(|resource| resource.props.values_mut())
    {
        field.value.resolve(index);
    }
}

/// The physical ids known so far: observed at the start, extended as creates finish.
#[derive(Clone, Default)]
pub struct PhysicalIds(Arc<RwLock<BTreeMap<ResourceId, String>>>);

impl PhysicalIds {
    pub fn set(&self, id: &ResourceId, physical: String) {
        if let Ok(mut map) = self.0.write() {
            map.insert(id.clone(), physical);
        }
    }

    pub fn remove(&self, id: &ResourceId) {
        if let Ok(mut map) = self.0.write() {
            map.remove(id);
        }
    }

    /// Physical id -> logical id, for turning live references into logical ones.
    pub fn index(&self) -> BTreeMap<String, ResourceId> {
        self.0
            .read()
            .map(|map| logical_index(map.iter()))
            .unwrap_or_default()
    }

    /// Every id known, for a saved plan.
    pub fn snapshot(&self) -> BTreeMap<ResourceId, String> {
        self.0.read().map(|map| map.clone()).unwrap_or_default()
    }

    pub fn from_map(map: BTreeMap<ResourceId, String>) -> Self {
        Self(Arc::new(RwLock::new(map)))
    }

    pub fn get(&self, id: &ResourceId) -> Option<String> {
        self.0.read().ok()?.get(id).cloned()
    }
}

/// One operation's view: the shared context, the resource, and whether a dependent needs
/// it ready (or, for a delete, gone) before it can proceed.
pub struct OpCx<'a, C> {
    pub cx: &'a C,
    pub id: &'a ResourceId,
    pub physical: &'a PhysicalIds,
    pub wait: bool,
    /// Where the operation says how far it has come (see [`OpCx::status`]).
    pub report: &'a (dyn Fn(&str) + Send + Sync),
    /// The resource this create made, once the kind says so (see [`OpCx::made`]).
    pub made: &'a OnceLock<String>,
}

impl<C> OpCx<'_, C> {
    /// Says that the create's resource exists (its physical id), before the calls that
    /// finish it: when one of those fails and the walk takes the operation up again, it
    /// finishes this resource from what is live instead of making another.
    pub fn made(&self, physical: &str) {
        let _ = self.made.set(physical.to_string());
    }

    /// Makes one of the created resource's attributes known to what refers to it (see
    /// [`ResourceId::attribute`]).
    pub fn publish(&self, name: &str, value: &str) {
        self.physical
            .set(&self.id.attribute(name), value.to_string());
    }

    /// Tells the progress display how far the operation has come.
    pub fn status(&self, text: &str) {
        (self.report)(text);
    }

    /// A reference the manifest may leave out (a KMS key): `None` when it does.
    pub fn resolve_optional(&self, value: &Value) -> Result<Option<String>, Error> {
        match value {
            Value::Null | Value::AwsDefault => Ok(None),
            other => self.resolve(other).map(Some),
        }
    }

    /// The physical id behind a reference (or the literal, for ids the stack does not own).
    pub fn resolve(&self, value: &Value) -> Result<String, Error> {
        match value {
            Value::Ref(id) => self.physical.get(id).ok_or_else(|| {
                Error::new(
                    ErrorKind::Other,
                    "resolve",
                    format!("`{id}` has no id yet (it was not created)"),
                )
            }),
            Value::Phys(physical) | Value::Str(physical) => Ok(physical.clone()),
            other => Err(Error::new(
                ErrorKind::Other,
                "reference",
                format!("expected a resource reference, found {other}"),
            )),
        }
    }
}
