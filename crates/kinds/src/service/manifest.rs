//! The `services` section (a service's image names a repository of the `repositories`
//! section, its `cluster` one of the `clusters` section, checked against what they
//! declare; the `load_balancers` section checks that a listener forwards to each exposed
//! one). Every cross-reference and every limit AWS enforces late (or moto never) is
//! checked here, before any call: Fargate cpu/memory pairs, name lengths.

use std::collections::BTreeMap;

use crate::base::known::LOG_GROUP_PREFIXES;
use crate::manifest::decode::{Decoder, Entry, Fields, Spanned, flag, list, reference, strings};
use crate::manifest::diag::{Pos, suggest};
use crate::manifest::keys::{KeyRef, key_ref};
use crate::manifest::network::Tier;
use crate::manifest::scope::{Context, aws_name, number, security_groups, tier};
use crate::manifest::yaml::{Node, NodeKind};

const CONTAINER: &[&str] = &[
    "image",
    "port",
    "ports",
    "environment",
    "secrets",
    "command",
    "entrypoint",
    "health_check",
    "essential",
];
const SERVICE_ONLY: &[&str] = &[
    "name",
    "cluster",
    "cpu",
    "memory",
    "count",
    "containers",
    "subnets",
    "security_groups",
    "public_ip",
    "expose",
    "health_check_grace_period",
    "deployment",
    "execute_command",
    "discovery",
    "volumes",
    "autoscale",
    "logs",
    "task_role",
    "execution_role",
    "alarms",
];
const IMAGE: &[&str] = &["repository", "tag"];
const HEALTH_CHECK: &[&str] = &["command", "interval", "timeout", "retries", "start_period"];
const EXPOSE: &[&str] = &[
    "container",
    "port",
    "protocol",
    "health",
    "sticky",
    "deregistration_delay",
];
const TARGET_HEALTH: &[&str] = &[
    "path",
    "interval",
    "timeout",
    "healthy",
    "unhealthy",
    "matcher",
];
const STICKY: &[&str] = &["duration"];
const DEPLOYMENT: &[&str] = &["min_percent", "max_percent", "rollback"];
const AUTOSCALE: &[&str] = &[
    "min",
    "max",
    "cpu",
    "memory",
    "scale_in_cooldown",
    "scale_out_cooldown",
];
const LOGS: &[&str] = &["group", "retention_days", "retain", "kms_key"];
const TASK_ROLE: &[&str] = &["allow", "statements", "arn"];
const STATEMENT: &[&str] = &["effect", "actions", "resources"];
const EXECUTION_ROLE: &[&str] = &["arn"];

/// CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub key: String,
    pub name: String,
    pub cluster: String,
    pub cpu: i64,
    pub memory: i64,
    pub count: i64,
    pub containers: Vec<Container>,
    pub subnets: Tier,
    pub security_groups: Vec<String>,
    pub public_ip: bool,
    pub expose: Option<Expose>,
    pub grace_period: Option<i64>,
    pub min_percent: i64,
    pub max_percent: i64,
    pub rollback: bool,
    pub execute_command: bool,
    /// EFS file systems mounted into its containers.
    pub volumes: Vec<super::volumes::Volume>,
    pub autoscale: Option<Autoscale>,
    pub retention_days: i64,
    /// Destroy leaves the log group (and its logs) in place.
    pub retain_logs: bool,
    /// `/ecs/<service name>` unless the manifest names one.
    pub log_group: String,
    /// The key the log group is encrypted with (CloudWatch Logs' own when `None`).
    pub log_key: Option<KeyRef>,
    pub task_role: TaskRole,
    pub execution_role: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub name: String,
    pub image: Image,
    pub ports: Vec<u16>,
    pub environment: BTreeMap<String, String>,
    /// Name -> Secrets Manager or SSM parameter ARN; the value is never read.
    pub secrets: BTreeMap<String, SecretSource>,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub health_check: Option<HealthCheck>,
    pub essential: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Image {
    /// Any image reference, used as written (`influxdb:2.7`).
    Literal(String),
    /// An image in one of the stack's repositories.
    Repository {
        repository: String,
        tag: String,
        /// The tag came from a variable's declared default, not from `--var` or the
        /// environment: a running service keeps the image it runs (CI owns the tag).
        tag_defaulted: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct HealthCheck {
    pub command: Vec<String>,
    pub interval: i64,
    pub timeout: i64,
    pub retries: i64,
    pub start_period: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expose {
    pub container: String,
    pub port: u16,
    pub https: bool,
    pub health_path: String,
    pub health_interval: i64,
    pub health_timeout: i64,
    pub healthy: i64,
    pub unhealthy: i64,
    pub matcher: String,
    /// lb_cookie stickiness duration in seconds.
    pub sticky: Option<i64>,
    pub deregistration_delay: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Autoscale {
    pub min: i64,
    pub max: i64,
    pub cpu: Option<i64>,
    pub memory: Option<i64>,
    /// Seconds after a scale-in (out) before another; AWS's default (300 s) when unset.
    pub scale_in_cooldown: Option<i64>,
    pub scale_out_cooldown: Option<i64>,
}

/// Where a container's secret comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretSource {
    /// A Secrets Manager secret or SSM parameter made elsewhere, by its ARN as written.
    Arn(String),
    /// One of the stack's secrets (`secrets.mqtt`), whole or one key of its JSON value
    /// (`secrets.mqtt:password`).
    Secret {
        key: String,
        json_key: Option<String>,
    },
    /// The master user secret RDS keeps for one of the stack's databases
    /// (`databases.main:password`), whole or one key of its JSON value.
    Database {
        key: String,
        json_key: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum TaskRole {
    None,
    /// Inline policy statements of a role edgectl creates.
    Statements(Vec<Statement>),
    Arn(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Statement {
    pub allow: bool,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// The section's services; `at` is where the section is written (its key).
pub fn decode(decoder: &mut Decoder, node: &Node, at: Pos, cx: &Context<'_>) -> Vec<Service> {
    let repository_keys = cx.declared.names("repositories").to_vec();
    let cluster_keys = cx.declared.names("clusters").to_vec();
    let services = decode_services(decoder, node, cx, &repository_keys, &cluster_keys);
    // The load balancers' section checks that a listener forwards to every exposed service.
    if cx.network.is_none() && !services.is_empty() {
        decoder.error(
            at,
            "services and load balancers run in a VPC, and there is no `network`",
            "add a `network:` section with the subnets they use",
        );
    }
    services
}

fn string_map(decoder: &mut Decoder, node: &Node, what: &str) -> BTreeMap<String, Spanned<String>> {
    decoder
        .named(node, what)
        .into_iter()
        .filter_map(|(key, value)| Some((key.value, decoder.string(value, what)?)))
        .collect()
}

/// Fargate's valid task sizes: cpu units -> memory (MiB) allowed.
pub fn fargate_memory(cpu: i64) -> Option<Vec<i64>> {
    let (from, to, step) = match cpu {
        256 => return Some(vec![512, 1024, 2048]),
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122880, 8192),
        _ => return None,
    };
    Some((from..=to).step_by(step).collect())
}

fn decode_services(
    decoder: &mut Decoder,
    node: &Node,
    cx: &Context<'_>,
    repositories: &[String],
    clusters: &[String],
) -> Vec<Service> {
    let mut out = Vec::new();
    let mut allowed: Vec<&str> = SERVICE_ONLY.to_vec();
    allowed.extend(CONTAINER);
    for entry in decoder.entries(node, "services", &allowed) {
        if let Some(service) = decode_service(decoder, &entry, cx, repositories, clusters) {
            out.push(service);
        }
    }
    out
}

fn decode_service(
    decoder: &mut Decoder,
    entry: &Entry<'_>,
    cx: &Context<'_>,
    repositories: &[String],
    clusters: &[String],
) -> Option<Service> {
    let Entry {
        key,
        node: body,
        fields,
        section,
    } = entry;
    let name = aws_name(decoder, fields, cx, &key.value, "name")?;
    let cluster = decode_cluster(decoder, fields, key, clusters);
    let (cpu, memory) = decode_task_size(decoder, fields, key.pos);
    let containers = decode_containers(decoder, fields, body, key, section, repositories, cx);
    if containers.iter().all(|container| !container.essential) && !containers.is_empty() {
        decoder.error(
            key.pos,
            "a task needs at least one essential container",
            "remove `essential: false` from the main container",
        );
    }
    let expose = fields
        .get("expose")
        .and_then(|node| decode_expose(decoder, node, section, &containers));
    let subnets = match fields.get("subnets") {
        Some(node) => tier(decoder, node, cx),
        None => cx.network.map(|network| {
            if network.private.is_empty() {
                Tier::Public
            } else {
                Tier::Private
            }
        }),
    };
    let public_ip = flag(decoder, fields, "public_ip", subnets == Some(Tier::Public));
    let (min_percent, max_percent, rollback) = decode_deployment(decoder, fields, section);
    let count = number(decoder, fields, "count", 1, 0, 5000);
    let autoscale = decode_autoscale(decoder, fields, section, count);
    let (log_group, retention_days, retain_logs, log_key) =
        decode_logs(decoder, fields, section, &name.value, cx);
    let task_role = fields.get("task_role").map_or(TaskRole::None, |node| {
        decode_task_role(decoder, node, section)
    });
    let execution_role = fields.get("execution_role").and_then(|node| {
        let role = decoder.fields(node, &format!("{section}.execution_role"), EXECUTION_ROLE)?;
        let arn = role.get("arn").and_then(|n| decoder.string(n, "arn"))?;
        role_arn(decoder, &arn).then_some(arn.value)
    });
    let grace_period = fields
        .get("health_check_grace_period")
        .and_then(|n| decoder.int(n, "health_check_grace_period", 0, 2147483647))
        .map(|v| v.value);
    if grace_period.is_some() && expose.is_none() {
        decoder.error(
            fields
                .key_pos("health_check_grace_period")
                .unwrap_or(key.pos),
            "`health_check_grace_period` applies only to a service behind a load balancer",
            "add `expose`, or remove it",
        );
    }
    let security_groups = security_groups(decoder, fields, cx);
    let (Some(cluster), Some(subnets)) = (cluster, subnets) else {
        return None;
    };
    let volumes = fields
        .get("volumes")
        .map(|node| {
            let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
            super::volumes::decode_volumes(decoder, node, section, cx.declared, &names)
        })
        .unwrap_or_default();
    Some(Service {
        key: key.value.clone(),
        name: name.value,
        cluster,
        cpu,
        memory,
        count,
        containers,
        subnets,
        security_groups,
        public_ip,
        expose,
        grace_period,
        min_percent,
        max_percent,
        rollback,
        execute_command: flag(decoder, fields, "execute_command", false),
        volumes,
        autoscale,
        retention_days,
        retain_logs,
        log_group,
        log_key,
        task_role,
        execution_role,
    })
}

/// The service's `cluster`: named, or the manifest's only one.
fn decode_cluster(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    key: &Spanned<String>,
    clusters: &[String],
) -> Option<String> {
    match fields
        .get("cluster")
        .and_then(|node| decoder.string(node, "cluster"))
    {
        Some(cluster) => reference(decoder, &cluster, "cluster", clusters).then_some(cluster.value),
        None if clusters.len() == 1 => Some(clusters[0].clone()),
        None => {
            decoder.error(
                key.pos,
                format!("service `{}` names no `cluster`", key.value),
                if clusters.is_empty() {
                    "define one under `clusters:` and name it here".to_string()
                } else {
                    format!(
                        "add `cluster:` with one of: {}",
                        list(&clusters.iter().map(String::as_str).collect::<Vec<_>>())
                    )
                },
            );
            None
        }
    }
}

/// The task's `cpu` and `memory`, checked against Fargate's task sizes.
fn decode_task_size(decoder: &mut Decoder, fields: &Fields<'_>, at: Pos) -> (i64, i64) {
    let cpu = fields
        .get("cpu")
        .and_then(|node| decoder.int(node, "cpu", 256, 16384));
    let memory = fields
        .get("memory")
        .and_then(|node| decoder.int(node, "memory", 512, 122880));
    let (cpu, memory) = (
        cpu.map_or(256, |c| c.value),
        memory.map_or(512, |m| m.value),
    );
    match fargate_memory(cpu) {
        None => decoder.error(
            fields.key_pos("cpu").unwrap_or(at),
            format!("Fargate has no task size with {cpu} cpu units"),
            "use 256, 512, 1024, 2048, 4096, 8192 or 16384",
        ),
        Some(allowed) if !allowed.contains(&memory) => decoder.error(
            fields.key_pos("memory").unwrap_or(at),
            format!("Fargate does not run {cpu} cpu units with {memory} MiB"),
            format!(
                "with `cpu: {cpu}`, memory is one of {}..{} MiB (steps of {})",
                allowed[0],
                allowed[allowed.len() - 1],
                allowed.get(1).map_or(0, |second| second - allowed[0])
            ),
        ),
        _ => {}
    }
    (cpu, memory)
}

/// One container from the service's own fields, or several under `containers`.
fn decode_containers(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    body: &Node,
    key: &Spanned<String>,
    section: &str,
    repositories: &[String],
    cx: &Context<'_>,
) -> Vec<Container> {
    // One container from the service's own fields, or several under `containers`.
    let mut containers = Vec::new();
    let inline = CONTAINER.iter().any(|field| fields.get(field).is_some());
    match (fields.get("containers"), inline) {
        (Some(list), true) => decoder.error(
            list.pos,
            "a service has container fields or `containers`, not both",
            "move `image`, `ports` and the rest into one entry of `containers`",
        ),
        (Some(list), false) => {
            for (container_name, body) in decoder.named(list, &format!("{section}.containers")) {
                if let Some(container_fields) = decoder.fields(
                    body,
                    &format!("{section}.containers.{}", container_name.value),
                    CONTAINER,
                ) && let Some(container) = decode_container(
                    decoder,
                    &container_fields,
                    body,
                    &container_name.value,
                    repositories,
                    cx,
                ) {
                    containers.push(container);
                }
            }
        }
        (None, _) => {
            if let Some(container) =
                decode_container(decoder, fields, body, &key.value, repositories, cx)
            {
                containers.push(container);
            }
        }
    }
    containers
}

/// The rollout's `deployment`: (min_percent, max_percent, rollback).
fn decode_deployment(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    section: &str,
) -> (i64, i64, bool) {
    let deployment = fields
        .get("deployment")
        .and_then(|node| decoder.fields(node, &format!("{section}.deployment"), DEPLOYMENT));
    let (min_percent, max_percent, rollback) = match &deployment {
        Some(d) => (
            number(decoder, d, "min_percent", 100, 0, 100),
            number(decoder, d, "max_percent", 200, 100, 200),
            flag(decoder, d, "rollback", true),
        ),
        None => (100, 200, true),
    };
    (min_percent, max_percent, rollback)
}

/// The service's `autoscale`: target tracking on CPU and/or memory between `min` and `max`.
fn decode_autoscale(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    section: &str,
    count: i64,
) -> Option<Autoscale> {
    fields.get("autoscale").and_then(|node| {
        let a = decoder.fields(node, &format!("{section}.autoscale"), AUTOSCALE)?;
        let min = number(decoder, &a, "min", 1, 0, 5000);
        let max = number(decoder, &a, "max", count.max(min), 1, 5000);
        let cpu = a
            .get("cpu")
            .and_then(|n| decoder.int(n, "cpu", 1, 100))
            .map(|v| v.value);
        let memory = a
            .get("memory")
            .and_then(|n| decoder.int(n, "memory", 1, 100))
            .map(|v| v.value);
        let cooldown = |decoder: &mut Decoder, key: &str| {
            a.get(key)
                .and_then(|n| decoder.int(n, key, 0, 3600))
                .map(|v| v.value)
        };
        let scale_in_cooldown = cooldown(decoder, "scale_in_cooldown");
        let scale_out_cooldown = cooldown(decoder, "scale_out_cooldown");
        if min > max {
            decoder.error(
                node.pos,
                format!("autoscale `min` {min} is above `max` {max}"),
                "swap them",
            );
        }
        if cpu.is_none() && memory.is_none() {
            decoder.error(
                node.pos,
                "`autoscale` has no target",
                "add `cpu: 70` and/or `memory: 80` (percent utilisation to hold)",
            );
        }
        Some(Autoscale {
            min,
            max,
            cpu,
            memory,
            scale_in_cooldown,
            scale_out_cooldown,
        })
    })
}

/// The service's `logs`: (group, retention in days, retain, KMS key).
fn decode_logs(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    section: &str,
    name: &str,
    cx: &Context<'_>,
) -> (String, i64, bool, Option<KeyRef>) {
    let logs_fields = fields
        .get("logs")
        .and_then(|node| decoder.fields(node, &format!("{section}.logs"), LOGS));
    let log_group = match logs_fields.as_ref().and_then(|logs| logs.get("group")) {
    Some(node) => decoder.string(node, "group").and_then(|group| {
        let valid = LOG_GROUP_PREFIXES.iter().any(|prefix| group.value.starts_with(prefix))
            && group.value.len() <= 512
            && group.value.chars().all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c));
        if valid {
            Some(group.value)
        } else {
            decoder.error(group.pos, format!("log group `{}` is not under `/ecs/` or `/aws/ecs/`", group.value), "edgectl keeps service log groups under those prefixes (letters, digits and `_-/.#`), so it can find them again without a state file");
            None
        }
    }),
    None => None,
}
.unwrap_or_else(|| format!("/ecs/{name}"));
    let retention_days = logs_fields.as_ref().and_then(|logs| {
    let days = logs.get("retention_days").and_then(|n| decoder.int(n, "retention_days", 1, 3653))?;
    if RETENTION_DAYS.contains(&days.value) {
        Some(days.value)
    } else {
        decoder.error(days.pos, format!("CloudWatch Logs cannot keep logs for {} days", days.value), "use 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653");
        None
    }
}).unwrap_or(30);
    let retain_logs = logs_fields
        .as_ref()
        .and_then(|logs| logs.get("retain").and_then(|n| decoder.bool(n, "retain")))
        .unwrap_or(false);
    let log_key = logs_fields
        .as_ref()
        .and_then(|logs| logs.get("kms_key"))
        .and_then(|node| key_ref(decoder, node, &cx.keys));
    (log_group, retention_days, retain_logs, log_key)
}

fn role_arn(decoder: &mut Decoder, arn: &Spanned<String>) -> bool {
    let ok = arn.value.starts_with("arn:")
        && arn.value.contains(":iam::")
        && arn.value.contains(":role/");
    if !ok {
        decoder.error(
            arn.pos,
            format!("`{}` is not an IAM role ARN", arn.value),
            "write `arn:aws:iam::ACCOUNT:role/NAME`",
        );
    }
    ok
}

fn decode_task_role(decoder: &mut Decoder, node: &Node, section: &str) -> TaskRole {
    let Some(role) = decoder.fields(node, &format!("{section}.task_role"), TASK_ROLE) else {
        return TaskRole::None;
    };
    if let Some(arn) = role.get("arn").and_then(|n| decoder.string(n, "arn")) {
        if role.get("allow").is_some() || role.get("statements").is_some() {
            decoder.error(
                arn.pos,
                "a task role is an existing `arn` or a role edgectl makes, not both",
                "remove `arn`, or remove `allow`/`statements`",
            );
        }
        return if role_arn(decoder, &arn) {
            TaskRole::Arn(arn.value)
        } else {
            TaskRole::None
        };
    }
    let mut statements = Vec::new();
    // Where each statement is written, for the warnings about wildcards.
    let mut written = Vec::new();
    if let Some(allow) = role.get("allow") {
        let actions: Vec<String> = strings(decoder, allow, "allow")
            .into_iter()
            .map(|a| a.value)
            .collect();
        if !actions.is_empty() {
            statements.push(Statement {
                allow: true,
                actions,
                resources: vec!["*".to_string()],
            });
            written.push(allow.pos);
        }
    }
    if let Some(list) = role.get("statements") {
        for item in decoder.list(list) {
            let Some(statement) =
                decoder.fields(item, &format!("{section}.task_role.statements"), STATEMENT)
            else {
                continue;
            };
            let allow = statement
                .get("effect")
                .and_then(|n| decoder.choice(n, "effect", &["Allow", "Deny"]))
                .is_none_or(|e| e.value == "Allow");
            let actions: Vec<String> = statement
                .get("actions")
                .map(|n| strings(decoder, n, "actions"))
                .unwrap_or_default()
                .into_iter()
                .map(|a| a.value)
                .collect();
            let resources: Vec<String> = statement
                .get("resources")
                .map(|n| strings(decoder, n, "resources"))
                .unwrap_or_default()
                .into_iter()
                .map(|a| a.value)
                .collect();
            if actions.is_empty() {
                decoder.error(
                    item.pos,
                    "a statement has no `actions`",
                    "add `actions: [s3:GetObject]`",
                );
                continue;
            }
            statements.push(Statement {
                allow,
                actions,
                resources: if resources.is_empty() {
                    vec!["*".to_string()]
                } else {
                    resources
                },
            });
            written.push(item.pos);
        }
    }
    for (statement, pos) in statements.iter().zip(written) {
        wildcards(decoder, statement, pos, section);
    }
    for statement in &statements {
        for action in &statement.actions {
            if action != "*" && !action.contains(':') {
                decoder.error(
                    node.pos,
                    format!("`{action}` is not an IAM action"),
                    "write `service:Action`, e.g. `bedrock:InvokeModel`",
                );
            }
        }
    }
    if statements.is_empty() {
        TaskRole::None
    } else {
        TaskRole::Statements(statements)
    }
}

/// Actions IAM authorizes only on `"*"`: a statement of nothing else needs it.
const RESOURCELESS_ACTIONS: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "logs:DescribeLogGroups",
    "sts:GetCallerIdentity",
];

/// Warns of what a task role edgectl writes grants beyond what the service needs: a
/// wildcard action (`*`, `s3:*`, `s3:Get*`), or every resource (`"*"`, which `allow:`
/// writes) for actions that can be scoped.
fn wildcards(decoder: &mut Decoder, statement: &Statement, pos: Pos, section: &str) {
    if !statement.allow {
        return;
    }
    let wild: Vec<&str> = statement
        .actions
        .iter()
        .filter(|action| action.contains('*'))
        .map(String::as_str)
        .collect();
    if !wild.is_empty() {
        decoder.warn(
            pos,
            format!(
                "`{section}.task_role` allows the wildcard action{} {}: the service can do whatever that service adds later too",
                if wild.len() == 1 { "" } else { "s" },
                list(&wild)
            ),
            "name the actions the service calls (`s3:GetObject`, `s3:PutObject`)",
        );
    }
    let scopable: Vec<&str> = statement
        .actions
        .iter()
        .filter(|action| !RESOURCELESS_ACTIONS.contains(&action.as_str()))
        .map(String::as_str)
        .collect();
    if statement.resources.iter().any(|resource| resource == "*") && !scopable.is_empty() {
        decoder.warn(
            pos,
            format!(
                "`{section}.task_role` allows {} on every resource (`*`) of the account",
                list(&scopable)
            ),
            "write the role as `statements: [{ actions: [...], resources: [ARN, ...] }]` naming what it may touch (`arn:aws:s3:::bucket/*`, `arn:aws:bedrock:*::foundation-model/*`)",
        );
    }
}

fn decode_container(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    node: &Node,
    name: &str,
    repositories: &[String],
    cx: &Context<'_>,
) -> Option<Container> {
    let image = decode_image(decoder, fields, node, name, repositories);
    let ports = decode_ports(decoder, fields);
    if let Some(node) = fields.get("environment") {
        for (variable, value) in crate::manifest::decode::named_positions(node) {
            crate::manifest::regret::clear_secret(
                decoder,
                &variable.value,
                variable.pos,
                value,
                "environment variable",
                "pass it in `secrets:` instead (a stack secret, a database's password, or a Secrets Manager or SSM parameter ARN), which the task definition holds as a reference",
            );
        }
    }
    let environment = fields
        .get("environment")
        .map(|n| string_map(decoder, n, "environment"))
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.value))
        .collect();
    let secrets: BTreeMap<String, SecretSource> = fields
        .get("secrets")
        .map(|n| string_map(decoder, n, "secrets"))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(key, source)| decode_secret_source(decoder, key, source, cx))
        .collect();
    let words = |decoder: &mut Decoder, key: &str| -> Option<Vec<String>> {
        let node = fields.get(key)?;
        Some(match &node.kind {
            // A string is run by the shell, as Docker's CMD does.
            NodeKind::Scalar { text, .. } => vec!["sh".into(), "-c".into(), text.clone()],
            _ => strings(decoder, node, key)
                .into_iter()
                .map(|w| w.value)
                .collect(),
        })
    };
    let command = words(decoder, "command");
    let entrypoint = words(decoder, "entrypoint");
    let health_check = fields
        .get("health_check")
        .and_then(|node| decode_health_check(decoder, node));
    Some(Container {
        name: name.to_string(),
        image: image?,
        ports,
        environment,
        secrets,
        command,
        entrypoint,
        health_check,
        essential: flag(decoder, fields, "essential", true),
    })
}

/// A container's `image`: a literal reference, or `{ repository, tag }` naming one of the
/// stack's repositories.
fn decode_image(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    node: &Node,
    name: &str,
    repositories: &[String],
) -> Option<Image> {
    match fields.get("image") {
        None => {
            decoder.error(node.pos, format!("container `{name}` has no `image`"), "add `image: nginx:1.27`, or `image: { repository: web, tag: \"${var.image_tag}\" }`");
            None
        }
        Some(image) => match &image.kind {
            NodeKind::Map(_) => {
                let image_fields = decoder.fields(image, "image", IMAGE)?;
                let repository = image_fields
                    .get("repository")
                    .and_then(|n| decoder.string(n, "repository"));
                let tag = image_fields.get("tag");
                match (repository, tag) {
                    (Some(repository), Some(tag_node)) => {
                        let tag = decoder.string(tag_node, "tag")?;
                        // Docker tags: up to 128 of [A-Za-z0-9_.-], not starting with `.` or `-`.
                        if tag.value.is_empty()
                            || tag.value.len() > 128
                            || tag.value.starts_with(['.', '-'])
                            || !tag
                                .value
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
                        {
                            decoder.error(
                                tag.pos,
                                format!("`{}` is not a valid image tag", tag.value),
                                "use up to 128 letters, digits, `_`, `.` and `-`",
                            );
                        }
                        if tag.value == "latest" {
                            latest_in_production(
                                decoder,
                                tag.pos,
                                &format!("{}:{}", repository.value, tag.value),
                            );
                        }
                        let known = reference(decoder, &repository, "repository", repositories);
                        known.then_some(Image::Repository {
                            repository: repository.value,
                            tag: tag.value,
                            tag_defaulted: tag_node.defaulted,
                        })
                    }
                    _ => {
                        decoder.error(
                            image.pos,
                            "an image from a repository needs `repository` and `tag`",
                            "write `image: { repository: web, tag: \"${var.image_tag}\" }`",
                        );
                        None
                    }
                }
            }
            _ => decoder.string(image, "image").map(|text| {
                if implied_latest(&text.value) {
                    latest_in_production(decoder, text.pos, &text.value);
                }
                Image::Literal(text.value)
            }),
        },
    }
}

/// Whether an image reference runs `latest`: `nginx`, `nginx:latest`,
/// `registry:5000/app` (a registry's port is no tag); not `nginx:1.27` nor a digest.
fn implied_latest(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or_default();
    last.split(':').nth(1).is_none_or(|tag| tag == "latest")
}

/// Warns of an image that is `latest` (named or implied) in an environment marked
/// `production: true`.
fn latest_in_production(decoder: &mut Decoder, pos: Pos, image: &str) {
    if !decoder.production {
        return;
    }
    decoder.warn(
        pos,
        format!("image `{image}` is `latest` in a production environment: each task that starts may pull a different image, and no deployment can return to the one before"),
        "deploy an immutable tag (CI's commit SHA: `--var image_tag=$GITHUB_SHA`) or a digest (`@sha256:...`)",
    );
}

/// A container's `port` or `ports`, without repeats.
fn decode_ports(decoder: &mut Decoder, fields: &Fields<'_>) -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::new();
    match (fields.get("port"), fields.get("ports")) {
        (Some(_), Some(node)) => decoder.error(
            node.pos,
            "a container has `port` or `ports`, not both",
            "merge them into `ports: [...]`",
        ),
        (Some(node), None) | (None, Some(node)) => {
            for item in decoder.list(node) {
                if let Some(port) = decoder.int(item, "port", 1, 65535)
                    && !ports.contains(&(port.value as u16))
                {
                    ports.push(port.value as u16);
                }
            }
        }
        (None, None) => {}
    }
    ports
}

/// Where one of a container's `secrets` comes from: one of the stack's secrets (or a key
/// of its JSON), a database's managed secret, or the ARN of a secret or SSM parameter
/// made elsewhere.
fn decode_secret_source(
    decoder: &mut Decoder,
    key: String,
    source: Spanned<String>,
    cx: &Context<'_>,
) -> Option<(String, SecretSource)> {
    let stack_secrets = &cx.secrets;
    if let Some(reference) = source.value.strip_prefix("secrets.") {
        let (secret, json_key) = match reference.split_once(':') {
            Some((secret, json_key)) => (secret, Some(json_key.to_string())),
            None => (reference, None),
        };
        if !stack_secrets.iter().any(|known| known == secret) {
            let hint = suggest(secret, stack_secrets.iter().map(String::as_str))
                .map(|close| format!("did you mean `secrets.{close}`? "))
                .unwrap_or_default();
            decoder.error(source.pos, format!("secret `{key}` refers to `secrets.{secret}`, which the manifest does not declare"), format!("{hint}declare it under `secrets:`, or write the ARN of a secret made elsewhere"));
            return None;
        }
        if json_key.as_deref() == Some("") {
            decoder.error(source.pos, format!("secret `{key}` names no JSON key after `:`"), format!("write `secrets.{secret}` for the whole value, or `secrets.{secret}:password` for one key of its JSON"));
            return None;
        }
        // ECS stops every task reading a secret that has no `AWSCURRENT` value.
        if cx.valueless_secrets.iter().any(|known| known == secret) {
            decoder.error(source.pos, format!("secret `{key}` reads `secrets.{secret}`, which is made without a value (`generate: false`): its tasks could not start"), format!("remove `generate: false` from `secrets.{secret}` (a value is generated, then replaced with `aws secretsmanager put-secret-value`), or read a secret made elsewhere by its ARN"));
            return None;
        }
        return Some((
            key,
            SecretSource::Secret {
                key: secret.to_string(),
                json_key,
            },
        ));
    }
    if let Some(reference) = source.value.strip_prefix("databases.") {
        let (database, json_key) = match reference.split_once(':') {
            Some((database, json_key)) => (database, Some(json_key.to_string())),
            None => (reference, None),
        };
        if !cx.databases.iter().any(|known| known == database) {
            let hint = suggest(database, cx.databases.iter().map(String::as_str))
                .map(|close| format!("did you mean `databases.{close}`? "))
                .unwrap_or_default();
            decoder.error(source.pos, format!("secret `{key}` refers to `databases.{database}`, which the manifest does not declare"), format!("{hint}declare it under `databases:`"));
            return None;
        }
        return Some((
            key,
            SecretSource::Database {
                key: database.to_string(),
                json_key: json_key.filter(|k| !k.is_empty()),
            },
        ));
    }
    if source.value.starts_with("arn:")
        && (source.value.contains(":secretsmanager:") || source.value.contains(":ssm:"))
    {
        Some((key, SecretSource::Arn(source.value)))
    } else {
        decoder.error(source.pos, format!("secret `{key}` is not one of the stack's secrets nor a Secrets Manager or SSM parameter ARN"), "write `secrets.<name>` (or `secrets.<name>:<json key>`) for a secret under `secrets:`, or the ARN (`arn:aws:secretsmanager:...`, `arn:aws:ssm:...:parameter/...`) of one made elsewhere; values never appear in the manifest");
        None
    }
}

/// A container's `health_check`: its command (a string is run by the shell) and ECS's
/// limits on its timing.
fn decode_health_check(decoder: &mut Decoder, node: &Node) -> Option<HealthCheck> {
    let check = decoder.fields(node, "health_check", HEALTH_CHECK)?;
    let command_node = check.get("command");
    let command = match command_node.map(|n| &n.kind) {
        Some(NodeKind::Scalar { text, .. }) => vec!["CMD-SHELL".to_string(), text.clone()],
        Some(_) => {
            let mut words: Vec<String> = strings(decoder, command_node?, "command")
                .into_iter()
                .map(|w| w.value)
                .collect();
            if !matches!(words.first().map(String::as_str), Some("CMD" | "CMD-SHELL")) {
                words.insert(0, "CMD".to_string());
            }
            words
        }
        None => {
            decoder.error(
                node.pos,
                "a health check needs a `command`",
                "e.g. `command: curl -f http://localhost:3000/health || exit 1`",
            );
            return None;
        }
    };
    // ECS limits: interval 5-300 s, timeout 2-60 s, retries 1-10, start period 0-300 s.
    Some(HealthCheck {
        command,
        interval: number(decoder, &check, "interval", 30, 5, 300),
        timeout: number(decoder, &check, "timeout", 5, 2, 60),
        retries: number(decoder, &check, "retries", 3, 1, 10),
        start_period: number(decoder, &check, "start_period", 0, 0, 300),
    })
}

fn decode_expose(
    decoder: &mut Decoder,
    node: &Node,
    section: &str,
    containers: &[Container],
) -> Option<Expose> {
    let fields = decoder.fields(node, &format!("{section}.expose"), EXPOSE)?;
    let container = match fields
        .get("container")
        .and_then(|n| decoder.string(n, "container"))
    {
        Some(name) => {
            let known: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
            if !reference(decoder, &name, "container", &known) {
                return None;
            }
            name.value
        }
        None => containers.first()?.name.clone(),
    };
    let port = decode_expose_port(decoder, &fields, node, &container, containers)?;
    let https = fields
        .get("protocol")
        .and_then(|n| decoder.choice(n, "protocol", &["HTTP", "HTTPS"]))
        .is_some_and(|p| p.value == "HTTPS");
    let health_node = fields.get("health");
    let health = match health_node.map(|n| &n.kind) {
        Some(NodeKind::Map(_)) => decoder.fields(
            health_node?,
            &format!("{section}.expose.health"),
            TARGET_HEALTH,
        ),
        _ => None,
    };
    let health_path = match (health_node, &health) {
        (Some(node), None) => decoder.string(node, "health").map(|p| p.value),
        (_, Some(h)) => h
            .get("path")
            .and_then(|n| decoder.string(n, "path"))
            .map(|p| p.value),
        (None, None) => None,
    }
    .unwrap_or_else(|| "/".to_string());
    if !health_path.starts_with('/') {
        decoder.error(
            health_node.map_or(node.pos, |n| n.pos),
            format!("health check path `{health_path}` does not start with `/`"),
            "write a path such as `/health`",
        );
    }
    let (interval, timeout, healthy, unhealthy, matcher) = match &health {
        // ELBv2 limits: interval 5-300 s, timeout 2-120 s (below the interval), thresholds 2-10.
        Some(h) => (
            number(decoder, h, "interval", 30, 5, 300),
            number(decoder, h, "timeout", 5, 2, 120),
            number(decoder, h, "healthy", 5, 2, 10),
            number(decoder, h, "unhealthy", 2, 2, 10),
            h.get("matcher")
                .and_then(|n| decoder.string(n, "matcher"))
                .map_or_else(|| "200".to_string(), |m| m.value),
        ),
        None => (30, 5, 5, 2, "200".to_string()),
    };
    if timeout >= interval {
        decoder.error(
            health_node.map_or(node.pos, |n| n.pos),
            format!("health check timeout {timeout}s is not below its interval {interval}s"),
            "make the timeout shorter than the interval",
        );
    }
    let sticky = fields.get("sticky").and_then(|n| match &n.kind {
        NodeKind::Map(_) => {
            let s = decoder.fields(n, "sticky", STICKY)?;
            Some(number(decoder, &s, "duration", 86400, 1, 604800))
        }
        _ => decoder.bool(n, "sticky")?.then_some(86400),
    });
    Some(Expose {
        container,
        port,
        https,
        health_path,
        health_interval: interval,
        health_timeout: timeout,
        healthy,
        unhealthy,
        matcher,
        sticky,
        deregistration_delay: number(decoder, &fields, "deregistration_delay", 300, 0, 3600),
    })
}

/// The container port a load balancer sends to: one the container listens on, its first
/// unless given.
fn decode_expose_port(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    node: &Node,
    container: &str,
    containers: &[Container],
) -> Option<u16> {
    let container_ports = containers
        .iter()
        .find(|c| c.name == container)
        .map(|c| c.ports.clone())
        .unwrap_or_default();
    let port = match fields
        .get("port")
        .and_then(|n| decoder.int(n, "port", 1, 65535))
    {
        Some(port) => {
            if !container_ports.contains(&(port.value as u16)) {
                decoder.error(
                    port.pos,
                    format!(
                        "container `{container}` does not listen on port {}",
                        port.value
                    ),
                    format!(
                        "add it to the container's `ports`{}",
                        if container_ports.is_empty() {
                            String::new()
                        } else {
                            format!(" (now {container_ports:?})")
                        }
                    ),
                );
            }
            port.value as u16
        }
        None => match container_ports.first() {
            Some(port) => *port,
            None => {
                decoder.error(
                    node.pos,
                    format!("container `{container}` has no ports to expose"),
                    "add `port: 3000` to the container",
                );
                return None;
            }
        },
    };
    Some(port)
}

#[cfg(test)]
mod image_tests {
    #[test]
    fn an_image_runs_latest_when_its_tag_says_so_or_is_left_out() {
        for image in [
            "nginx",
            "nginx:latest",
            "registry.example.com:5000/app",
            "public.ecr.aws/nginx/nginx",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest",
        ] {
            assert!(super::implied_latest(image), "{image}");
        }
        for image in [
            "nginx:1.27",
            "registry.example.com:5000/app:4f2a9c1",
            "public.ecr.aws/nginx/nginx:stable-alpine",
            "app@sha256:0123abcd",
            "app:latest@sha256:0123abcd",
        ] {
            assert!(!super::implied_latest(image), "{image}");
        }
    }
}
