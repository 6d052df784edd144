//! The AWS side: configuration, error kinds, retries, tags, the reads several kinds share,
//! and the roles' adapter (which several kinds' lowerings make roles for); every other
//! adapter is its kind's, in `kinds/`. The engine knows kinds only through the [`Adapter`]
//! trait.

// The layers this crate may import (its Cargo dependencies), under the names the code
// uses for them: `crate::engine::model` is the engine crate's `model`.
use edgectl_base::text;
use edgectl_engine as engine;

pub mod access;
pub mod adopt;
pub mod calls;
pub mod cloudfront;
pub mod conditions;
pub mod config;
pub mod ec2;
pub mod ecs;
pub mod elbv2;
pub mod errors;
pub mod iam;
pub mod identity;
pub mod ids;
pub mod kind_reads;
pub mod lock;
pub mod naming;
pub mod permissions;
pub mod resend;
pub mod tags;

use std::sync::Arc;
use std::time::Duration;

pub use crate::engine::kind::{Kind, PhysicalIds};
use crate::engine::model::ResourceId;
use calls::CallCounter;
use errors::{AwsError, ErrorKind};

#[derive(Clone)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub efs: aws_sdk_efs::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub iam: aws_sdk_iam::Client,
    pub kms: aws_sdk_kms::Client,
    pub rds: aws_sdk_rds::Client,
    /// Cloud Map.
    pub discovery: aws_sdk_servicediscovery::Client,
    pub route53: aws_sdk_route53::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// CloudWatch alarms.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub s3: aws_sdk_s3::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub sns: aws_sdk_sns::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sts: aws_sdk_sts::Client,
    /// The Resource Groups Tagging API: finds resources by tag where their own API cannot.
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    /// ACM in the stack's region (load balancers' certificates) and in us-east-1
    /// (CloudFront's), with the tagging API there to find the latter.
    pub acm: aws_sdk_acm::Client,
    pub acm_global: aws_sdk_acm::Client,
    pub tagging_global: aws_sdk_resourcegroupstagging::Client,
    /// WAFv2 in the stack's region (load balancers' web ACLs) and in us-east-1
    /// (CloudFront's).
    pub wafv2: aws_sdk_wafv2::Client,
    pub wafv2_global: aws_sdk_wafv2::Client,
    /// CloudFormation: only read, by `edgectl adopt`, to tell whether a stack still
    /// manages what it would take over.
    pub cloudformation: aws_sdk_cloudformation::Client,
}

/// A client of `$krate` in us-east-1, whatever the stack's region.
macro_rules! global_client {
    ($krate:ident, $config:expr, $counter:expr) => {
        $krate::Client::from_conf(
            $krate::config::Builder::from($config)
                .region($krate::config::Region::new("us-east-1"))
                .interceptor($counter.clone())
                .interceptor(resend::NoBlindResend)
                .build(),
        )
    };
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
            efs: client!(aws_sdk_efs, config, counter),
            elbv2: client!(aws_sdk_elasticloadbalancingv2, config, counter),
            iam: client!(aws_sdk_iam, config, counter),
            kms: client!(aws_sdk_kms, config, counter),
            rds: client!(aws_sdk_rds, config, counter),
            discovery: client!(aws_sdk_servicediscovery, config, counter),
            route53: client!(aws_sdk_route53, config, counter),
            logs: client!(aws_sdk_cloudwatchlogs, config, counter),
            cloudwatch: client!(aws_sdk_cloudwatch, config, counter),
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
            secrets: client!(aws_sdk_secretsmanager, config, counter),
            sns: client!(aws_sdk_sns, config, counter),
            ssm: client!(aws_sdk_ssm, config, counter),
            sts: client!(aws_sdk_sts, config, counter),
            tagging: client!(aws_sdk_resourcegroupstagging, config, counter),
            acm: client!(aws_sdk_acm, config, counter),
            acm_global: global_client!(aws_sdk_acm, config, counter),
            tagging_global: global_client!(aws_sdk_resourcegroupstagging, config, counter),
            wafv2: client!(aws_sdk_wafv2, config, counter),
            wafv2_global: global_client!(aws_sdk_wafv2, config, counter),
            cloudformation: client!(aws_sdk_cloudformation, config, counter),
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
    /// The Route 53 zones the manifest writes records in, besides those the stack owns.
    pub dns_zones: Vec<String>,
    /// The names of the manifest's buckets: looked for by name besides the tagging API's
    /// listing, which may not show a bucket made a moment ago.
    pub buckets: Vec<String>,
    /// Reads several adapters share, made once per command.
    pub reads: Reads,
    /// The account the credentials belong to, once asked ([`account`]).
    pub account: std::sync::OnceLock<String>,
}

/// Reads several adapters share, made once per command (and afresh by [`Cx::uncached`]).
#[derive(Default)]
pub struct Reads {
    /// The stack's VPCs (`ec2::stack_vpcs`).
    pub stack_vpcs: tokio::sync::OnceCell<Vec<aws_sdk_ec2::types::Vpc>>,
    /// The account's ECS clusters (`ecs::clusters`).
    pub ecs_clusters: tokio::sync::OnceCell<Vec<aws_sdk_ecs::types::Cluster>>,
    /// The stack's ECS clusters (`ecs::stack_clusters`).
    pub ecs_stack_clusters: tokio::sync::OnceCell<Vec<aws_sdk_ecs::types::Cluster>>,
    /// The services of the stack's clusters (`ecs::services`).
    pub ecs_services: tokio::sync::OnceCell<Vec<ecs::ClusterService>>,
    /// The load balancers, listeners and rules (`elbv2::balancers`, ...).
    pub elbv2: elbv2::Reads,
    /// What a command restricts its reads to, kept by a fresh context: `edgectl sync`'s
    /// buckets (logical id, name), each read by its name.
    pub scope: std::sync::OnceLock<Vec<(crate::engine::model::ResourceId, String)>>,
    /// The resources a command expects of the stack (the manifest's, a saved plan's),
    /// kept by a fresh context: a kind trusts the tagging API's listing of its resources
    /// only when every one expected is in it (`tags::tagged_complete`).
    pub expected: std::sync::OnceLock<std::collections::BTreeSet<crate::engine::model::ResourceId>>,
    /// The stack's resources the Resource Groups Tagging API lists: KMS keys, SNS topics,
    /// CloudWatch alarms, ACM certificates, ... (`tags::tagged`).
    pub tagged: tokio::sync::OnceCell<Vec<tags::Tagged>>,
    /// The same in us-east-1, where CloudFront's certificates live (`tags::tagged_global`).
    pub tagged_global: tokio::sync::OnceCell<Vec<tags::Tagged>>,
    /// The stack's distributions as listed (`cloudfront::owned`).
    pub distributions: tokio::sync::OnceCell<Vec<cloudfront::OwnedDistribution>>,
    /// What the kinds in `kinds/` share between their adapters, each its own type.
    pub kinds: kind_reads::KindReads,
}

impl Reads {
    /// Nothing read yet; what scopes the reads (`edgectl sync`'s buckets) and what the
    /// command expects are kept.
    fn fresh(&self) -> Self {
        let scope = std::sync::OnceLock::new();
        if let Some(kept) = self.scope.get() {
            let _ = scope.set(kept.clone());
        }
        let expected = std::sync::OnceLock::new();
        if let Some(kept) = self.expected.get() {
            let _ = expected.set(kept.clone());
        }
        Self {
            scope,
            expected,
            ..Self::default()
        }
    }
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
            dns_zones: self.dns_zones.clone(),
            buckets: self.buckets.clone(),
            reads: self.reads.fresh(),
            account: self.account.clone(),
        }
    }

    /// The bound for retrying "not found yet" after a create (EC2 is eventually consistent).
    pub fn visibility_bound(&self) -> Duration {
        self.timeout.min(Duration::from_secs(120))
    }
}

/// The account the credentials belong to (STS `GetCallerIdentity`), for saved plans; asked
/// once (the connection's first call, `access::identity`, tells it).
pub async fn account(cx: &Cx) -> Result<String, AwsError> {
    use errors::AwsResultExt as _;
    if let Some(account) = cx.account.get() {
        return Ok(account.clone());
    }
    let identity = cx
        .clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .aws("GetCallerIdentity")?;
    let account = identity.account().map(str::to_string).ok_or_else(|| {
        AwsError::new(
            ErrorKind::Other,
            "GetCallerIdentity",
            "the answer names no account",
        )
    })?;
    Ok(cx.account.get_or_init(|| account).clone())
}

/// What an AWS operation sees: the engine's view of one operation, on these clients.
pub type OpCx<'a> = crate::engine::kind::OpCx<'a, Cx>;

/// A kind on AWS: the engine's contract on these clients. Every adapter is one (how the
/// manifest becomes desired resources is `lower/`'s business, not the adapters').
pub trait Adapter: Kind<Cx = Cx> {}

impl<T: Kind<Cx = Cx>> Adapter for T {}

/// The adapters of this crate: the roles' (the kinds' own are registered in `kinds/`).
pub fn adapters() -> Vec<Arc<dyn Adapter>> {
    vec![Arc::new(iam::RoleAdapter)]
}

/// The adapter for a logical id's kind.
pub fn adapter_for<'a>(
    adapters: &'a [Arc<dyn Adapter>],
    id: &ResourceId,
) -> Option<&'a Arc<dyn Adapter>> {
    crate::engine::kind::kind_for(adapters, id)
}

impl crate::engine::kind::Context for Cx {
    fn fresh(&self) -> Self {
        self.uncached()
    }

    fn visibility_bound(&self) -> Duration {
        Cx::visibility_bound(self)
    }

    fn patience(&self) -> Duration {
        self.timeout
    }
}
