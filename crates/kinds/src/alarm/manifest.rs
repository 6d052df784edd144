//! CloudWatch alarms: the shorthand on services, load balancers and databases, and the
//! full form under `alarms:`. Both decode to [`Alarm`], the metric and its condition as
//! CloudWatch takes them, notifying topics by logical name.
//!
//! ```yaml
//! services:
//!   api:
//!     alarms: { cpu: 80, memory: 80, running_below: 1, notify: [alerts] }
//! load_balancers:
//!   alb:
//!     alarms: { 5xx_rate: 5%, response_time: 5s, unhealthy_targets: 1, notify: [alerts] }
//! databases:
//!   main:
//!     alarms: { cpu: 80, connections: 180, notify: [alerts] }
//! alarms:
//!   ingest-errors:
//!     namespace: AWS/Lambda
//!     metric: Errors
//!     dimensions: { FunctionName: cloudiot-ingest }
//!     statistic: Sum
//!     period: 5m
//!     threshold: 1
//!     comparison: ">="
//!     notify: [alerts]
//! ```

use std::collections::BTreeMap;

use crate::manifest::decode::{Decoder, Fields, Spanned};
use crate::manifest::decode::{Entry, field, named_positions, reference};
use crate::manifest::diag::{Pos, suggest};
use crate::manifest::yaml::Node;

const SERVICE: &[&str] = &["cpu", "memory", "running_below", "notify", "notify_ok"];
const LOAD_BALANCER: &[&str] = &[
    "5xx_rate",
    "response_time",
    "unhealthy_targets",
    "notify",
    "notify_ok",
];
const DATABASE: &[&str] = &["cpu", "connections", "notify", "notify_ok"];
const ALARM: &[&str] = &[
    "name",
    "description",
    "namespace",
    "metric",
    "dimensions",
    "statistic",
    "period",
    "threshold",
    "comparison",
    "evaluation_periods",
    "datapoints_to_alarm",
    "missing_data",
    "notify",
    "notify_ok",
];
/// The comparisons as written, with CloudWatch's names.
const COMPARISONS: &[(&str, &str)] = &[
    (">", "GreaterThanThreshold"),
    (">=", "GreaterThanOrEqualToThreshold"),
    ("<", "LessThanThreshold"),
    ("<=", "LessThanOrEqualToThreshold"),
];
/// How missing data counts, as written, with CloudWatch's names.
const MISSING: &[(&str, &str)] = &[
    ("missing", "missing"),
    ("ignore", "ignore"),
    ("breaching", "breaching"),
    ("not_breaching", "notBreaching"),
];
const STATISTICS: &[&str] = &["Average", "Sum", "Minimum", "Maximum", "SampleCount"];

#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    /// Its logical name: the key under `alarms:`, or `<section>.<owner>.<shorthand>`.
    pub id: String,
    /// The alarm's CloudWatch name (unique in the account and region).
    pub name: String,
    pub description: Option<String>,
    pub metric: Metric,
    pub threshold: f64,
    /// CloudWatch's name (`GreaterThanThreshold`).
    pub comparison: String,
    pub evaluation_periods: i64,
    pub datapoints_to_alarm: Option<i64>,
    /// CloudWatch's name (`notBreaching`).
    pub missing_data: String,
    /// Topic keys told when the alarm fires, and when it is OK again.
    pub notify: Vec<String>,
    pub notify_ok: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Metric {
    /// One metric's statistic over `period` seconds.
    Single { stat: Stat, period: i64 },
    /// Metric math: `expression` over the named metrics, each over `period` seconds.
    Math {
        expression: String,
        label: String,
        metrics: Vec<(String, Stat)>,
        period: i64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stat {
    pub namespace: String,
    pub metric: String,
    pub dimensions: BTreeMap<String, Dimension>,
    /// `Average`, `Sum`, ... or a percentile (`p99`).
    pub statistic: String,
}

/// A dimension's value: text (references marked, see `refs`), or what only a live
/// resource knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dimension {
    Text(String),
    /// The load balancer's ARN suffix (`app/<name>/<id>`).
    LoadBalancer(String),
    /// The target group of a service, by its ARN suffix (`targetgroup/<name>/<id>`).
    TargetGroup(String),
}

/// What the alarms may name outside themselves.
pub struct Context<'a> {
    pub stack: &'a str,
    pub topics: &'a [String],
    /// The services the `services` section decoded by key, each with its name and its
    /// cluster's key (`Manifest::names`, its attachment to `clusters`).
    pub services: BTreeMap<&'a str, (&'a str, &'a str)>,
    /// The load balancers by key, with the services each forwards to
    /// (`Manifest::attached_to`).
    pub balancers: std::collections::BTreeMap<&'a str, Vec<&'a str>>,
    /// The clusters' keys with their names (`Manifest::names`).
    pub clusters: &'a [(String, String)],
    /// The clusters that record Container Insights (`container_insights: true`).
    pub insights: Vec<&'a str>,
    /// The databases' keys with their identifiers (`Manifest::names`).
    pub databases: &'a [(String, String)],
}

/// Every alarm of the manifest: the shorthand of its services, load balancers and
/// databases, then the full form. Names must be unique.
pub fn decode(decoder: &mut Decoder, fields: &Fields<'_>, cx: &Context<'_>) -> Vec<Alarm> {
    let mut out = Vec::new();
    let mut positions: Vec<Pos> = Vec::new();
    for (section, allowed) in [
        ("services", SERVICE),
        ("load_balancers", LOAD_BALANCER),
        ("databases", DATABASE),
    ] {
        let Some(node) = fields.get(section) else {
            continue;
        };
        for (owner, body) in named_positions(node) {
            let Some(alarms) = field(body, "alarms") else {
                continue;
            };
            let what = format!("{section}.{}.alarms", owner.value);
            let Some(short) = decoder.fields(alarms, &what, allowed) else {
                continue;
            };
            for alarm in shorthand(decoder, &short, section, &owner.value, cx) {
                positions.push(short.key_pos(alarm.1).unwrap_or(alarms.pos));
                out.push(alarm.0);
            }
        }
    }
    if let Some(node) = fields.get("alarms") {
        for entry in decoder.entries(node, "alarms", ALARM) {
            let at = entry.key.pos;
            if let Some(alarm) = full(decoder, &entry, cx) {
                positions.push(at);
                out.push(alarm);
            }
        }
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, alarm) in out.iter().enumerate() {
        if let Some(first) = seen.insert(&alarm.name, index) {
            decoder.error(
                positions[index],
                format!(
                    "two alarms are named `{}` (`{}` and `{}`)",
                    alarm.name, out[first].id, alarm.id
                ),
                "CloudWatch keeps one alarm per name: give one of them another `name`",
            );
        }
    }
    out
}

/// The shorthand of one service, load balancer or database, each alarm with the key
/// that asked for it.
fn shorthand(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    section: &str,
    owner: &str,
    cx: &Context<'_>,
) -> Vec<(Alarm, &'static str)> {
    let mut made = Made {
        section,
        owner,
        stack: cx.stack,
        notify: topics(decoder, fields, "notify", cx),
        notify_ok: topics(decoder, fields, "notify_ok", cx),
        alarms: Vec::new(),
    };
    match section {
        "services" => service_alarms(decoder, fields, &mut made, cx),
        "load_balancers" => load_balancer_alarms(decoder, fields, &mut made, cx),
        _ => database_alarms(decoder, fields, &mut made, cx.databases),
    }
    made.alarms
}

/// The alarms one owner's shorthand makes, named and notified alike.
struct Made<'a> {
    section: &'a str,
    owner: &'a str,
    stack: &'a str,
    notify: Vec<String>,
    notify_ok: Vec<String>,
    alarms: Vec<(Alarm, &'static str)>,
}

/// When a shorthand alarm fires: the threshold, how it compares, over how many periods,
/// and what missing data counts as.
struct Rule {
    threshold: f64,
    comparison: &'static str,
    periods: i64,
    missing: &'static str,
}

impl Made<'_> {
    /// An alarm `<stack>-<owner>-<suffix>` for the shorthand `key`.
    fn alarm(
        &mut self,
        key: &'static str,
        suffix: &str,
        description: String,
        metric: Metric,
        rule: Rule,
    ) {
        let (section, owner) = (self.section, self.owner);
        self.alarms.push((
            Alarm {
                id: format!("{section}.{owner}.{}", suffix.replace('-', "_")),
                name: format!("{}-{owner}-{suffix}", self.stack),
                description: Some(description),
                metric,
                threshold: rule.threshold,
                comparison: rule.comparison.to_string(),
                evaluation_periods: rule.periods,
                datapoints_to_alarm: None,
                missing_data: rule.missing.to_string(),
                notify: self.notify.clone(),
                notify_ok: self.notify_ok.clone(),
            },
            key,
        ));
    }
}

/// One statistic of one metric over `period` seconds.
fn single(
    namespace: &str,
    metric: &str,
    statistic: &str,
    period: i64,
    dimensions: Vec<(&str, Dimension)>,
) -> Metric {
    Metric::Single {
        stat: Stat {
            namespace: namespace.to_string(),
            metric: metric.to_string(),
            dimensions: dimensions
                .into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
            statistic: statistic.to_string(),
        },
        period,
    }
}

/// A service's `cpu`, `memory` and `running_below`.
fn service_alarms(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    made: &mut Made<'_>,
    cx: &Context<'_>,
) {
    let (clusters, insights) = (cx.clusters, &cx.insights);
    let owner = made.owner;
    let Some(&(service_name, service_cluster)) = cx.services.get(owner) else {
        return;
    };
    let cluster = clusters
        .iter()
        .find(|(key, _)| key == service_cluster)
        .map(|(_, name)| name.as_str());
    let dims = || {
        vec![
            (
                "ClusterName",
                Dimension::Text(cluster.unwrap_or_default().to_string()),
            ),
            ("ServiceName", Dimension::Text(service_name.to_string())),
        ]
    };
    for (key, metric) in [("cpu", "CPUUtilization"), ("memory", "MemoryUtilization")] {
        if let Some(limit) = fields.get(key).and_then(|node| percent(decoder, node, key)) {
            let what = if key == "cpu" { "CPU" } else { "memory" };
            let text = format!("{what} of service `{owner}` above {limit} %");
            made.alarm(
                key,
                key,
                text,
                single("AWS/ECS", metric, "Average", 300, dims()),
                Rule {
                    threshold: limit,
                    comparison: "GreaterThanThreshold",
                    periods: 2,
                    missing: "missing",
                },
            );
        }
    }
    if let Some(node) = fields.get("running_below")
        && let Some(count) = decoder.int(node, "running_below", 1, 10_000)
    {
        if cluster.is_some() && !insights.contains(&service_cluster) {
            decoder.error(
                node.pos,
                "`running_below` reads Container Insights' RunningTaskCount, which cluster `"
                    .to_string()
                    + service_cluster
                    + "` does not record",
                format!(
                    "set `container_insights: true` on cluster `{}`",
                    service_cluster
                ),
            );
        } else {
            // No data is no task running.
            let text = format!("running tasks of service `{owner}` below {}", count.value);
            made.alarm(
                "running_below",
                "running",
                text,
                single(
                    "ECS/ContainerInsights",
                    "RunningTaskCount",
                    "Minimum",
                    60,
                    dims(),
                ),
                Rule {
                    threshold: count.value as f64,
                    comparison: "LessThanThreshold",
                    periods: 2,
                    missing: "breaching",
                },
            );
        }
    }
}

/// A load balancer's `5xx_rate`, `response_time` and `unhealthy_targets`.
fn load_balancer_alarms(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    made: &mut Made<'_>,
    cx: &Context<'_>,
) {
    let owner = made.owner;
    let Some(forwards) = cx.balancers.get(owner) else {
        return;
    };
    let lb = || ("LoadBalancer", Dimension::LoadBalancer(owner.to_string()));
    if let Some(node) = fields.get("5xx_rate")
        && let Some(limit) = percent(decoder, node, "5xx_rate")
    {
        let stat = |metric: &str| Stat {
            namespace: "AWS/ApplicationELB".into(),
            metric: metric.into(),
            dimensions: [lb()]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            statistic: "Sum".into(),
        };
        let math = Metric::Math {
            expression: "IF(requests > 0, 100 * errors / requests, 0)".into(),
            label: "5XX responses of targets, % of requests".into(),
            metrics: vec![
                ("errors".into(), stat("HTTPCode_Target_5XX_Count")),
                ("requests".into(), stat("RequestCount")),
            ],
            period: 300,
        };
        let text = format!(
            "5XX responses of load balancer `{owner}`'s targets above {limit} % of requests"
        );
        made.alarm(
            "5xx_rate",
            "5xx-rate",
            text,
            math,
            Rule {
                threshold: limit,
                comparison: "GreaterThanThreshold",
                periods: 1,
                missing: "notBreaching",
            },
        );
    }
    if let Some(node) = fields.get("response_time")
        && let Some(seconds) = duration_seconds(decoder, node, "response_time")
    {
        let text = format!("response time of load balancer `{owner}`'s targets above {seconds} s");
        made.alarm(
            "response_time",
            "response-time",
            text,
            single(
                "AWS/ApplicationELB",
                "TargetResponseTime",
                "Average",
                300,
                vec![lb()],
            ),
            Rule {
                threshold: seconds,
                comparison: "GreaterThanThreshold",
                periods: 2,
                missing: "missing",
            },
        );
    }
    unhealthy_target_alarms(decoder, fields, made, forwards);
}

/// One alarm per service behind the load balancer, on its target group's unhealthy hosts.
fn unhealthy_target_alarms(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    made: &mut Made<'_>,
    forwards: &[&str],
) {
    let owner = made.owner;
    let lb = || ("LoadBalancer", Dimension::LoadBalancer(owner.to_string()));
    if let Some(node) = fields.get("unhealthy_targets")
        && let Some(count) = decoder.int(node, "unhealthy_targets", 1, 10_000)
    {
        let mut targets: Vec<&str> = forwards.to_vec();
        targets.sort_unstable();
        targets.dedup();
        if targets.is_empty() {
            decoder.error(
                node.pos,
                format!(
                    "load balancer `{owner}` forwards to no service, so it has no targets to count"
                ),
                "remove `unhealthy_targets`, or add `forward: <service>` to a listener",
            );
        }
        for target in targets {
            let metric = single(
                "AWS/ApplicationELB",
                "UnHealthyHostCount",
                "Maximum",
                60,
                vec![
                    lb(),
                    ("TargetGroup", Dimension::TargetGroup(target.to_string())),
                ],
            );
            let text = format!(
                "{} or more unhealthy targets of service `{target}` behind load balancer `{owner}`",
                count.value
            );
            made.alarm(
                "unhealthy_targets",
                &format!("{target}-unhealthy"),
                text,
                metric,
                Rule {
                    threshold: count.value as f64,
                    comparison: "GreaterThanOrEqualToThreshold",
                    periods: 2,
                    missing: "missing",
                },
            );
        }
    }
}

/// A database's `cpu` and `connections`.
fn database_alarms(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    made: &mut Made<'_>,
    databases: &[(String, String)],
) {
    let owner = made.owner;
    let Some((_, identifier)) = databases.iter().find(|(key, _)| key == owner) else {
        return;
    };
    let dims = || vec![("DBInstanceIdentifier", Dimension::Text(identifier.clone()))];
    if let Some(node) = fields.get("cpu")
        && let Some(limit) = percent(decoder, node, "cpu")
    {
        let text = format!("CPU of database `{owner}` above {limit} %");
        made.alarm(
            "cpu",
            "cpu",
            text,
            single("AWS/RDS", "CPUUtilization", "Average", 300, dims()),
            Rule {
                threshold: limit,
                comparison: "GreaterThanThreshold",
                periods: 2,
                missing: "missing",
            },
        );
    }
    if let Some(node) = fields.get("connections")
        && let Some(count) = decoder.int(node, "connections", 1, 100_000)
    {
        let text = format!("connections to database `{owner}` above {}", count.value);
        made.alarm(
            "connections",
            "connections",
            text,
            single("AWS/RDS", "DatabaseConnections", "Average", 300, dims()),
            Rule {
                threshold: count.value as f64,
                comparison: "GreaterThanThreshold",
                periods: 2,
                missing: "missing",
            },
        );
    }
}

/// One alarm in full.
fn full(decoder: &mut Decoder, entry: &Entry<'_>, cx: &Context<'_>) -> Option<Alarm> {
    let Entry {
        key,
        fields,
        section,
        ..
    } = entry;
    let string = |decoder: &mut Decoder, name: &str| {
        fields.get(name).and_then(|node| decoder.string(node, name))
    };
    let name = alarm_name(decoder, fields, key, cx)?;
    let required = |decoder: &mut Decoder, field: &str, example: &str| {
        let found = fields
            .get(field)
            .and_then(|node| decoder.string(node, field));
        if found.is_none() && fields.get(field).is_none() {
            decoder.error(
                key.pos,
                format!("alarm `{}` has no `{field}`", key.value),
                format!("add `{field}: {example}`"),
            );
        }
        found
    };
    let namespace = required(decoder, "namespace", "AWS/ECS");
    let metric = required(decoder, "metric", "CPUUtilization");
    let threshold = match fields.get("threshold") {
        Some(node) => number(decoder, node, "threshold"),
        None => {
            decoder.error(
                key.pos,
                format!("alarm `{}` has no `threshold`", key.value),
                "add `threshold: 80`",
            );
            None
        }
    };
    let comparison = match fields.get("comparison") {
        Some(node) => named_choice(decoder, node, "comparison", COMPARISONS),
        None => {
            decoder.error(
                key.pos,
                format!("alarm `{}` has no `comparison`", key.value),
                "add `comparison: \">\"` (or `>=`, `<`, `<=`)",
            );
            None
        }
    };
    let statistic = decode_statistic(decoder, fields);
    let period = match fields.get("period") {
        Some(node) => period(decoder, node),
        None => Some(300),
    };
    let evaluation_periods = match fields.get("evaluation_periods") {
        Some(node) => decoder
            .int(node, "evaluation_periods", 1, 1440)
            .map(|n| n.value),
        None => Some(1),
    };
    if let (Some(period), Some(periods)) = (period, evaluation_periods)
        && period * periods > 86_400
    {
        decoder.error(
            fields
                .key_pos("evaluation_periods")
                .or(fields.key_pos("period"))
                .unwrap_or(key.pos),
            format!(
                "the alarm looks back {} seconds ({periods} periods of {period} s)",
                period * periods
            ),
            "CloudWatch evaluates at most one day: fewer or shorter periods",
        );
    }
    let datapoints_to_alarm = match fields.get("datapoints_to_alarm") {
        Some(node) => {
            let found = decoder.int(node, "datapoints_to_alarm", 1, 1440)?;
            if evaluation_periods.is_some_and(|periods| found.value > periods) {
                decoder.error(found.pos, format!("`datapoints_to_alarm` {} is above `evaluation_periods`", found.value), "the datapoints that breach are counted among the periods evaluated: use at most `evaluation_periods`");
            }
            Some(found.value)
        }
        None => None,
    };
    let missing_data = match fields.get("missing_data") {
        Some(node) => named_choice(decoder, node, "missing_data", MISSING)?,
        None => "missing".to_string(),
    };
    let dimensions = decode_dimensions(decoder, fields, section)?;
    let notify = topics(decoder, fields, "notify", cx);
    let notify_ok = topics(decoder, fields, "notify_ok", cx);
    let description = string(decoder, "description").map(|text| text.value);
    Some(Alarm {
        id: key.value.clone(),
        name,
        description,
        metric: Metric::Single {
            stat: Stat {
                namespace: namespace?.value,
                metric: metric?.value,
                dimensions,
                statistic: statistic?,
            },
            period: period?,
        },
        threshold: threshold?,
        comparison: comparison?,
        evaluation_periods: evaluation_periods?,
        datapoints_to_alarm,
        missing_data,
        notify,
        notify_ok,
    })
}

/// The alarm's `name`, `<stack>-<key>` unless given: CloudWatch's rules.
fn alarm_name(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    key: &Spanned<String>,
    cx: &Context<'_>,
) -> Option<String> {
    let string = |decoder: &mut Decoder, name: &str| {
        fields.get(name).and_then(|node| decoder.string(node, name))
    };
    Some(match string(decoder, "name") {
        Some(name) => {
            // CloudWatch: 1-255 characters, no control characters.
            if name.value.is_empty()
                || name.value.len() > 255
                || name.value.chars().any(char::is_control)
            {
                decoder.error(
                    name.pos,
                    format!("`{}` is not a valid alarm name", name.value),
                    "use 1-255 printable characters",
                );
                return None;
            }
            name.value
        }
        None if fields.get("name").is_some() => return None,
        None => format!("{}-{}", cx.stack, key.value),
    })
}

/// The `statistic`: one of CloudWatch's, or a percentile (`p99`); `Average` unless given.
fn decode_statistic(decoder: &mut Decoder, fields: &Fields<'_>) -> Option<String> {
    let string = |decoder: &mut Decoder, name: &str| {
        fields.get(name).and_then(|node| decoder.string(node, name))
    };
    match string(decoder, "statistic") {
        Some(stat)
            if STATISTICS.contains(&stat.value.as_str())
                || crate::base::known::percentile(&stat.value) =>
        {
            Some(stat.value)
        }
        Some(stat) => {
            let help = match suggest(&stat.value, STATISTICS.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "use one of {}, or a percentile such as `p99`",
                    crate::manifest::decode::list(STATISTICS)
                ),
            };
            decoder.error(
                stat.pos,
                format!("`{}` is not a CloudWatch statistic", stat.value),
                help,
            );
            None
        }
        None if fields.get("statistic").is_some() => None,
        None => Some("Average".to_string()),
    }
}

/// The metric's `dimensions`, 30 at most.
fn decode_dimensions(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    section: &str,
) -> Option<BTreeMap<String, Dimension>> {
    Some(match fields.get("dimensions") {
        Some(node) => {
            let mut out = BTreeMap::new();
            for (name, value) in decoder.named(node, &format!("{section}.dimensions")) {
                let value = decoder.string(value, &name.value)?;
                out.insert(name.value, Dimension::Text(value.value));
            }
            if out.len() > 30 {
                decoder.error(
                    node.pos,
                    "a metric has at most 30 dimensions",
                    "remove some",
                );
            }
            out
        }
        None => BTreeMap::new(),
    })
}

/// Topic keys (`notify: [alerts]` or `notify: alerts`), each declared.
fn topics(
    decoder: &mut Decoder,
    fields: &Fields<'_>,
    field: &str,
    cx: &Context<'_>,
) -> Vec<String> {
    let Some(node) = fields.get(field) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in decoder.list(node) {
        let Some(name) = decoder.string(item, field) else {
            continue;
        };
        let name = Spanned {
            value: name
                .value
                .strip_prefix("topics.")
                .unwrap_or(&name.value)
                .to_string(),
            pos: name.pos,
        };
        if reference(decoder, &name, "topic", cx.topics) && !out.contains(&name.value) {
            out.push(name.value);
        }
    }
    out
}

/// A number as written (`80`, `0.5`).
fn number(decoder: &mut Decoder, node: &Node, what: &str) -> Option<f64> {
    let text = decoder.string(node, what)?;
    match text.value.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Some(value),
        _ => {
            decoder.error(
                text.pos,
                format!("`{what}` must be a number, found `{}`", text.value),
                "write a number such as `80` or `0.5`",
            );
            None
        }
    }
}

/// A percentage: `80` or `80%`, from 0 to 100.
fn percent(decoder: &mut Decoder, node: &Node, what: &str) -> Option<f64> {
    let text = decoder.string(node, what)?;
    let bare = text.value.trim().trim_end_matches('%').trim();
    match bare.parse::<f64>() {
        Ok(value) if (0.0..=100.0).contains(&value) => Some(value),
        _ => {
            decoder.error(
                text.pos,
                format!("`{what}` must be a percentage, found `{}`", text.value),
                format!("write `{what}: 80` or `{what}: 80%`"),
            );
            None
        }
    }
}

/// A response time in seconds: `5s`, `500ms`, or a number of seconds.
fn duration_seconds(decoder: &mut Decoder, node: &Node, what: &str) -> Option<f64> {
    let text = decoder.string(node, what)?;
    let value = text.value.trim();
    let parsed = if let Some(ms) = value.strip_suffix("ms") {
        ms.trim().parse::<f64>().ok().map(|ms| ms / 1000.0)
    } else {
        value
            .strip_suffix('s')
            .unwrap_or(value)
            .trim()
            .parse::<f64>()
            .ok()
    };
    match parsed {
        Some(seconds) if seconds > 0.0 && seconds.is_finite() => Some(seconds),
        _ => {
            decoder.error(
                text.pos,
                format!("`{what}` must be a duration, found `{}`", text.value),
                format!("write `{what}: 5s` or `{what}: 500ms`"),
            );
            None
        }
    }
}

/// A period: `5m`, `1h`, `60` (seconds); CloudWatch takes 10, 20, 30 or a multiple of 60.
fn period(decoder: &mut Decoder, node: &Node) -> Option<i64> {
    let text = decoder.string(node, "period")?;
    let value = text.value.trim();
    let seconds = match value.parse::<i64>() {
        Ok(seconds) => Some(seconds),
        Err(_) => humantime::parse_duration(value)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok()),
    };
    match seconds {
        Some(s) if [10, 20, 30].contains(&s) || (s >= 60 && s % 60 == 0 && s <= 86_400) => Some(s),
        _ => {
            decoder.error(text.pos, format!("`period` cannot be `{}`", text.value), "CloudWatch takes 10, 20 or 30 seconds, or whole minutes up to a day: write `60`, `5m` or `1h`");
            None
        }
    }
}

/// One of the written forms of a choice, as CloudWatch names it.
fn named_choice(
    decoder: &mut Decoder,
    node: &Node,
    what: &str,
    choices: &[(&str, &str)],
) -> Option<String> {
    let text = decoder.string(node, what)?;
    if let Some((_, name)) = choices
        .iter()
        .find(|(written, name)| *written == text.value || *name == text.value)
    {
        return Some(name.to_string());
    }
    let written: Vec<&str> = choices.iter().map(|(written, _)| *written).collect();
    decoder.error(
        text.pos,
        format!("`{what}` cannot be `{}`", text.value),
        format!("use one of {}", crate::manifest::decode::list(&written)),
    );
    None
}
