//! The AWS side: configuration, error kinds, retries, tags, and one adapter per resource
//! kind. The engine knows kinds only through the [`Adapter`] trait.

pub mod autoscaling;
pub mod calls;
pub mod cloudfront;
pub mod config;
pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod elbv2;
pub mod errors;
pub mod iam;
pub mod lock;
pub mod logs;
pub mod naming;
pub mod resend;
pub mod retry;
pub mod s3;
pub mod tags;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;

use crate::manifest::Manifest;
use crate::model::{Desired, Observed, ResourceId, Value};
use crate::plan::{Change, Replacement};
use calls::CallCounter;
use errors::{AwsError, ErrorKind};

/// Facts about the account and region that shape the desired graph.
#[derive(Clone, Debug, Default)]
pub struct Env {
    pub region: String,
    /// The availability zones the network uses, in order.
    pub zones: Vec<String>,
}

impl Env {
    /// Stand-in facts for checking the graph before any AWS call.
    pub fn placeholder(manifest: &Manifest) -> Self {
        let count = manifest
            .network
            .as_ref()
            .map_or(0, |network| network.zones.len());
        let region = manifest
            .region
            .clone()
            .unwrap_or_else(|| "us-east-1".to_string());
        Self {
            zones: (0..count)
                .map(|index| format!("{region}-zone{index}"))
                .collect(),
            region,
        }
    }
}

#[derive(Clone)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub s3: aws_sdk_s3::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sts: aws_sdk_sts::Client,
}

/// Builds one service's client from the shared configuration, counting its calls.
macro_rules! client {
    ($krate:ident, $config:expr, $counter:expr) => {
        $krate::Client::from_conf(
            $krate::config::Builder::from($config)
                .interceptor($counter.clone())
                .interceptor(resend::NoBlindResend)
                .build(),
        )
    };
}

impl Clients {
    pub fn new(config: &aws_config::SdkConfig, counter: &CallCounter) -> Self {
        Self {
            ec2: client!(aws_sdk_ec2, config, counter),
            ecr: client!(aws_sdk_ecr, config, counter),
            ecs: client!(aws_sdk_ecs, config, counter),
            elbv2: client!(aws_sdk_elasticloadbalancingv2, config, counter),
            iam: client!(aws_sdk_iam, config, counter),
            logs: client!(aws_sdk_cloudwatchlogs, config, counter),
            autoscaling: client!(aws_sdk_applicationautoscaling, config, counter),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .interceptor(resend::NoBlindResend)
                    // A local endpoint (moto) is an address, not a domain: no bucket subdomains.
                    .force_path_style(config.endpoint_url().is_some())
                    // Checksums only where S3 requires one (DeleteObjects): sync compares ETags
                    // and its own BLAKE3 hashes, and parts need no checksum bookkeeping.
                    .request_checksum_calculation(
                        aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                    )
                    .build(),
            ),
            cloudfront: client!(aws_sdk_cloudfront, config, counter),
            ssm: client!(aws_sdk_ssm, config, counter),
            sts: client!(aws_sdk_sts, config, counter),
        }
    }
}

/// What every AWS call needs: clients, the stack's identity, and the time bounds.
pub struct Cx {
    pub clients: Clients,
    pub stack: String,
    pub region: String,
    /// How long one wait or retry loop may take (`--timeout`).
    pub timeout: Duration,
    /// `--no-wait`: do not wait for services to become stable.
    pub no_wait: bool,
    /// `--wait`: also wait for CloudFront changes to deploy and invalidations to complete.
    pub wait_edge: bool,
    /// The stack's VPCs, read once (`ec2::stack_vpcs`).
    pub stack_vpcs: tokio::sync::OnceCell<Vec<aws_sdk_ec2::types::Vpc>>,
    /// The account's ECS clusters, read once (`ecs::clusters`).
    pub ecs_clusters: tokio::sync::OnceCell<Vec<aws_sdk_ecs::types::Cluster>>,
}

impl Cx {
    /// The same context without the reads cached for the whole command, to see what is
    /// live now (after a create whose response was lost).
    pub fn uncached(&self) -> Cx {
        Cx {
            clients: self.clients.clone(),
            stack: self.stack.clone(),
            region: self.region.clone(),
            timeout: self.timeout,
            no_wait: self.no_wait,
            wait_edge: self.wait_edge,
            stack_vpcs: Default::default(),
            ecs_clusters: Default::default(),
        }
    }

    /// The bound for retrying "not found yet" after a create (EC2 is eventually consistent).
    pub fn visibility_bound(&self) -> Duration {
        self.timeout.min(Duration::from_secs(120))
    }

    /// Retries an operation whose inputs were just created and may not be visible yet.
    pub async fn retry_not_found<T, F, Fut>(&self, attempt: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, AwsError>>,
    {
        retry::retry(self.visibility_bound(), &[ErrorKind::NotFound], attempt).await
    }

    /// Retries a delete refused because something is still being released.
    pub async fn retry_dependency<T, F, Fut>(&self, attempt: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, AwsError>>,
    {
        retry::retry(self.timeout, &[ErrorKind::Dependency], attempt).await
    }
}

/// The account the credentials belong to (STS `GetCallerIdentity`), for saved plans.
pub async fn account(cx: &Cx) -> Result<String, AwsError> {
    use errors::AwsResultExt as _;
    let identity = cx
        .clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .aws("GetCallerIdentity")?;
    identity.account().map(str::to_string).ok_or_else(|| {
        AwsError::new(
            ErrorKind::Other,
            "GetCallerIdentity",
            "the answer names no account",
        )
    })
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
            .map(|map| crate::engine::logical_index(map.iter()))
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
pub struct OpCx<'a> {
    pub cx: &'a Cx,
    pub id: &'a ResourceId,
    pub physical: &'a PhysicalIds,
    pub wait: bool,
    /// Where the operation says how far it has come (see [`OpCx::status`]).
    pub report: &'a (dyn Fn(&str) + Send + Sync),
}

impl OpCx<'_> {
    /// Tells the progress display how far the operation has come.
    pub fn status(&self, text: &str) {
        (self.report)(text);
    }

    /// The physical id behind a reference (or the literal, for ids the stack does not own).
    pub fn resolve(&self, value: &Value) -> Result<String, AwsError> {
        match value {
            Value::Ref(id) => self.physical.get(id).ok_or_else(|| {
                AwsError::new(
                    ErrorKind::Other,
                    "resolve",
                    format!("`{id}` has no id yet (it was not created)"),
                )
            }),
            Value::Phys(physical) | Value::Str(physical) => Ok(physical.clone()),
            other => Err(AwsError::new(
                ErrorKind::Other,
                "resolve",
                format!("expected a resource reference, found {other}"),
            )),
        }
    }

    /// The `Name` tag and ownership tags for a create call.
    pub fn create_tags(&self, desired: &Desired) -> Vec<(String, String)> {
        tags::create_tags(&self.cx.stack, self.id, desired.value("tags"))
    }
}

/// One AWS resource kind (or a few that one describe call returns together).
#[async_trait]
pub trait Adapter: Send + Sync {
    /// The kinds this adapter creates, as written before the `.` of logical ids.
    fn kinds(&self) -> &'static [&'static str];

    /// How a replacement of these kinds runs.
    fn replacement(&self) -> Replacement {
        Replacement::DeleteThenCreate
    }

    /// Before the diff, settles each side with what only the other knows (a sync's `delete`
    /// flag onto the live side; the live objects' sizes decide which files to hash).
    fn normalize(&self, _desired: &mut Desired, _observed: &mut Observed) {}

    /// Refuses, before any change is made, a deletion AWS would half-do or that would
    /// destroy what edgectl does not own (a bucket holding others' objects).
    async fn preflight_delete(&self, _cx: &Cx, _observed: &Observed) -> Result<(), String> {
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
    async fn preflight_create(&self, _cx: &Cx, _desired: &Desired) -> Result<(), String> {
        Ok(())
    }

    /// Starts local work the plan will need (hashing a sync's files) in the background,
    /// so that it runs while AWS is read. Plan and apply call it; destroy does not.
    fn warm(&self, _manifest: &Manifest) {}

    /// The resources the manifest implies for these kinds.
    fn desired(&self, manifest: &Manifest, env: &Env) -> Vec<Desired>;

    /// Every live resource of these kinds owned by the stack, with as few calls as the API allows.
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError>;

    /// Creates the resource with its tags in the same call; returns its physical id.
    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError>;

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError>;

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError>;
}

/// Every adapter, in no particular order: the graph decides order.
pub fn adapters() -> Vec<Arc<dyn Adapter>> {
    let mut adapters = ec2::adapters();
    adapters.push(Arc::new(ecr::RepositoryAdapter));
    adapters.push(Arc::new(logs::LogGroupAdapter));
    adapters.push(Arc::new(iam::RoleAdapter));
    adapters.extend(ecs::adapters());
    adapters.extend(elbv2::adapters());
    adapters.push(Arc::new(s3::BucketAdapter));
    adapters.push(Arc::new(cloudfront::CloudFrontAdapter));
    adapters
}

/// The adapter for a logical id's kind.
pub fn adapter_for<'a>(
    adapters: &'a [Arc<dyn Adapter>],
    id: &ResourceId,
) -> Option<&'a Arc<dyn Adapter>> {
    adapters
        .iter()
        .find(|adapter| adapter.kinds().contains(&id.kind()))
}
