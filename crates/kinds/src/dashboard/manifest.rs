//! The `dashboards:` section: widgets of the stack's own metrics, named by what they
//! watch (`services.api.cpu`, `databases.main.connections`, `load_balancers.alb.5xx`),
//! its services' logs, its alarms' states, and text.
//!
//! ```yaml
//! dashboards:
//!   overview:
//!     name: HappyRobot-FDE-dev
//!     widgets:
//!       - title: CPU and memory
//!         metrics: [services.api.cpu, services.api.memory]
//!       - title: Recent errors
//!         logs: [services.api]
//!         query: "fields @timestamp, @message | filter @message like /ERROR/ | limit 20"
//!       - alarms: all
//!       - text: "## On call: #platform"
//! ```

use crate::manifest::Manifest;
use crate::manifest::decode::{Decoder, Entry, Fields, Spanned, list, plain_name_field, reference};
use crate::manifest::diag::suggest;
use crate::manifest::yaml::{Node, NodeKind};

const DASHBOARD: &[&str] = &["name", "period", "widgets"];
const WIDGET: &[&str] = &[
    "title", "metrics", "logs", "query", "alarms", "text", "width", "height", "period",
];
/// What a widget shows: exactly one of these.
const CONTENTS: &[&str] = &["metrics", "logs", "alarms", "text"];
/// The grid is 24 units wide.
pub const GRID: i64 = 24;
/// Logs Insights' query when a logs widget gives none: the latest errors.
pub const ERRORS_QUERY: &str = "fields @timestamp, @message | filter @message like /(?i)error/ | sort @timestamp desc | limit 20";

#[derive(Clone, Debug, PartialEq)]
pub struct Dashboard {
    pub key: String,
    /// Its CloudWatch name, unique in the account: `<stack>-<key>` unless written.
    pub name: String,
    pub widgets: Vec<Widget>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Widget {
    pub title: Option<String>,
    pub width: i64,
    pub height: i64,
    pub content: Content,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    Metrics {
        metrics: Vec<Metric>,
        /// Seconds.
        period: i64,
    },
    /// Logs Insights over the services' log groups.
    Logs { groups: Vec<String>, query: String },
    /// The states of alarms, by their logical ids (`services.api.cpu`).
    Alarms(Vec<String>),
    /// Markdown.
    Text(String),
}

/// One metric, as CloudWatch names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub namespace: &'static str,
    pub name: &'static str,
    pub dimensions: Vec<(&'static str, Dimension)>,
    pub stat: &'static str,
    /// How the graph names it (`api cpu`).
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Dimension {
    Text(String),
    /// A load balancer's ARN suffix (`app/<name>/<id>`), known once it exists.
    LoadBalancer(String),
}

/// A metric a section's resources offer: the name written, CloudWatch's namespace,
/// metric and statistic.
type Offered = (&'static str, &'static str, &'static str, &'static str);

const SERVICE_METRICS: &[Offered] = &[
    ("cpu", "AWS/ECS", "CPUUtilization", "Average"),
    ("memory", "AWS/ECS", "MemoryUtilization", "Average"),
    // Container Insights' count of running tasks.
    (
        "running",
        "ECS/ContainerInsights",
        "RunningTaskCount",
        "Average",
    ),
];
const DATABASE_METRICS: &[Offered] = &[
    ("cpu", "AWS/RDS", "CPUUtilization", "Average"),
    ("connections", "AWS/RDS", "DatabaseConnections", "Average"),
    ("read_latency", "AWS/RDS", "ReadLatency", "Average"),
    ("write_latency", "AWS/RDS", "WriteLatency", "Average"),
    ("free_storage", "AWS/RDS", "FreeStorageSpace", "Minimum"),
];
const LOAD_BALANCER_METRICS: &[Offered] = &[
    ("requests", "AWS/ApplicationELB", "RequestCount", "Sum"),
    (
        "response_time",
        "AWS/ApplicationELB",
        "TargetResponseTime",
        "Average",
    ),
    (
        "5xx",
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        "Sum",
    ),
    (
        "4xx",
        "AWS/ApplicationELB",
        "HTTPCode_Target_4XX_Count",
        "Sum",
    ),
    (
        "elb_5xx",
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        "Sum",
    ),
];
const SECTIONS: &[(&str, &[Offered])] = &[
    ("services", SERVICE_METRICS),
    ("databases", DATABASE_METRICS),
    ("load_balancers", LOAD_BALANCER_METRICS),
];

pub fn decode(decoder: &mut Decoder, node: &Node, manifest: &Manifest) -> Vec<Dashboard> {
    let mut out: Vec<Dashboard> = Vec::new();
    for Entry {
        key,
        fields,
        section,
        ..
    } in decoder.entries(node, "dashboards", DASHBOARD)
    {
        let Some(name) = plain_name_field(
            decoder,
            &fields,
            format!("{}-{}", manifest.stack, key.value),
            255,
            "dashboard",
            "",
        ) else {
            continue;
        };
        if let Some(first) = out.iter().find(|dashboard| dashboard.name == name) {
            decoder.error(
                fields.key_pos("name").unwrap_or(key.pos),
                format!(
                    "dashboards `{}` and `{}` are both named `{name}`",
                    first.key, key.value
                ),
                "CloudWatch names a dashboard once per account: give one another `name`",
            );
            continue;
        }
        let period = match fields.get("period") {
            Some(node) => period_of(decoder, node).unwrap_or(300),
            None => 300,
        };
        let widgets = match fields.get("widgets") {
            Some(node) => decoder
                .list(node)
                .into_iter()
                .enumerate()
                .filter_map(|(index, item)| {
                    widget(
                        decoder,
                        item,
                        &format!("{section}.widgets[{index}]"),
                        period,
                        manifest,
                    )
                })
                .collect(),
            None => {
                decoder.error(
                    key.pos,
                    format!("dashboard `{}` has no `widgets`", key.value),
                    "add `widgets: [{ metrics: [services.<name>.cpu] }]`",
                );
                continue;
            }
        };
        out.push(Dashboard {
            key: key.value,
            name,
            widgets,
        });
    }
    out
}

fn widget(
    decoder: &mut Decoder,
    node: &Node,
    section: &str,
    period: i64,
    manifest: &Manifest,
) -> Option<Widget> {
    let fields = decoder.fields(node, section, WIDGET)?;
    let present: Vec<&str> = CONTENTS
        .iter()
        .copied()
        .filter(|content| fields.get(content).is_some())
        .collect();
    let [content] = present.as_slice() else {
        decoder.error(
            node.pos,
            if present.is_empty() {
                format!("`{section}` shows nothing")
            } else {
                format!("`{section}` has both `{}` and `{}`", present[0], present[1])
            },
            format!("give a widget exactly one of {}", list(CONTENTS)),
        );
        return None;
    };
    if fields.get("query").is_some() && *content != "logs" {
        decoder.error(
            fields.key_pos("query").unwrap_or(node.pos),
            format!("`{section}.query` without `logs`"),
            "a query reads logs: add `logs: [services.<name>]`, or remove `query`",
        );
    }
    let period = match fields.get("period") {
        Some(node) => period_of(decoder, node)?,
        None => period,
    };
    let content = match *content {
        "metrics" => Content::Metrics {
            metrics: metrics(decoder, fields.get("metrics")?, manifest),
            period,
        },
        "logs" => logs(decoder, &fields, manifest)?,
        "alarms" => Content::Alarms(alarms(decoder, fields.get("alarms")?, manifest)),
        _ => Content::Text(decoder.string(fields.get("text")?, "text")?.value),
    };
    let full = matches!(content, Content::Text(_) | Content::Alarms(_));
    let width = match fields.get("width") {
        Some(node) => decoder.int(node, "width", 1, GRID)?.value,
        None if full => GRID,
        None => GRID / 2,
    };
    let height = match fields.get("height") {
        Some(node) => decoder.int(node, "height", 1, 1000)?.value,
        None if matches!(content, Content::Text(_)) => 2,
        None if matches!(content, Content::Alarms(_)) => 3,
        None => 6,
    };
    let title = fields
        .get("title")
        .and_then(|node| decoder.string(node, "title"))
        .map(|title| title.value);
    Some(Widget {
        title,
        width,
        height,
        content,
    })
}

/// `[services.api.cpu, databases.main.connections]`: each a metric of a resource the
/// manifest declares.
fn metrics(decoder: &mut Decoder, node: &Node, manifest: &Manifest) -> Vec<Metric> {
    let mut out = Vec::new();
    for item in decoder.list(node) {
        let Some(text) = decoder.string(item, "metrics") else {
            continue;
        };
        let parts: Vec<&str> = text.value.split('.').collect();
        let [section, key, metric] = parts.as_slice() else {
            decoder.error(
                text.pos,
                format!("`{}` is not a metric", text.value),
                "write `<section>.<name>.<metric>`, e.g. `services.api.cpu`",
            );
            continue;
        };
        let Some((_, offered)) = SECTIONS.iter().find(|(name, _)| name == section) else {
            let help = match suggest(section, SECTIONS.iter().map(|(name, _)| *name)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "metrics come from {}",
                    list(&SECTIONS.iter().map(|(name, _)| *name).collect::<Vec<_>>())
                ),
            };
            decoder.error(
                text.pos,
                format!("`{section}` in `{}` has no metrics", text.value),
                help,
            );
            continue;
        };
        let Some((_, namespace, name, stat)) =
            offered.iter().find(|(written, ..)| written == metric)
        else {
            let names: Vec<&str> = offered.iter().map(|(written, ..)| *written).collect();
            let help = match suggest(metric, names.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("`{section}` have {}", list(&names)),
            };
            decoder.error(
                text.pos,
                format!("`{section}` have no metric `{metric}`"),
                help,
            );
            continue;
        };
        let key = Spanned {
            value: key.to_string(),
            pos: text.pos,
        };
        let Some(dimensions) = dimensions(decoder, section, &key, metric, manifest) else {
            continue;
        };
        out.push(Metric {
            namespace,
            name,
            dimensions,
            stat,
            label: format!("{} {metric}", key.value),
        });
    }
    out
}

/// How CloudWatch tells `key`'s metric apart: the service's cluster and name, the
/// database's identifier, the load balancer's ARN suffix. A name is checked against what
/// its section declares; one declared whose own entry has mistakes (told there, at their
/// cause) adds nothing here.
fn dimensions(
    decoder: &mut Decoder,
    section: &str,
    key: &Spanned<String>,
    metric: &str,
    manifest: &Manifest,
) -> Option<Vec<(&'static str, Dimension)>> {
    match section {
        "services" => {
            if !reference(decoder, key, "service", manifest.declared.names("services")) {
                return None;
            }
            let service = manifest.name_of("services", &key.value)?;
            let cluster = *manifest
                .attached_to("services", &key.value, "clusters")
                .first()?;
            let name = manifest.name_of("clusters", cluster)?;
            let insights = manifest
                .declared
                .flagged("clusters", "container_insights", true)
                .contains(&cluster);
            if metric == "running" && !insights {
                decoder.error(
                    key.pos,
                    format!(
                        "`services.{}.running` needs Container Insights on cluster `{cluster}`",
                        key.value
                    ),
                    format!("add `container_insights: true` to `clusters.{cluster}`"),
                );
                return None;
            }
            Some(vec![
                ("ClusterName", Dimension::Text(name.to_string())),
                ("ServiceName", Dimension::Text(service.to_string())),
            ])
        }
        "databases" => {
            if !reference(
                decoder,
                key,
                "database",
                manifest.declared.names("databases"),
            ) {
                return None;
            }
            let identifier = manifest.name_of("databases", &key.value)?;
            Some(vec![(
                "DBInstanceIdentifier",
                Dimension::Text(identifier.to_string()),
            )])
        }
        _ => {
            let declared = manifest.declared.names("load_balancers");
            if !reference(decoder, key, "load balancer", declared) {
                return None;
            }
            manifest.name_of("load_balancers", &key.value)?;
            Some(vec![(
                "LoadBalancer",
                Dimension::LoadBalancer(key.value.clone()),
            )])
        }
    }
}

/// `logs: [services.api]` with an optional `query`: the services' log groups.
fn logs(decoder: &mut Decoder, fields: &Fields<'_>, manifest: &Manifest) -> Option<Content> {
    let keys = manifest.declared.names("services");
    let mut groups = Vec::new();
    for item in decoder.list(fields.get("logs")?) {
        let Some(text) = decoder.string(item, "logs") else {
            continue;
        };
        let Some(key) = text.value.strip_prefix("services.") else {
            decoder.error(
                text.pos,
                format!("`{}` has no logs a dashboard reads", text.value),
                "name a service's logs: `services.<name>`",
            );
            continue;
        };
        let key = Spanned {
            value: key.to_string(),
            pos: text.pos,
        };
        if reference(decoder, &key, "service", keys)
            && let Some(group) = manifest.known("services", &key.value, "log_group")
        {
            groups.push(group.to_string());
        }
    }
    let query = match fields.get("query") {
        Some(node) => decoder.string(node, "query")?.value,
        None => ERRORS_QUERY.to_string(),
    };
    Some(Content::Logs { groups, query })
}

/// `alarms: all`, or the alarms' logical ids (`[services.api.cpu, ingest-errors]`).
fn alarms(decoder: &mut Decoder, node: &Node, manifest: &Manifest) -> Vec<String> {
    let declared = manifest.ids("alarms");
    if let NodeKind::Scalar { text, .. } = &node.kind
        && text == "all"
    {
        if declared.is_empty() {
            decoder.error(
                node.pos,
                "`alarms: all` but the manifest declares no alarms",
                "declare alarms (`services.<name>.alarms`, `alarms:`), or remove the widget",
            );
        }
        return declared;
    }
    let mut out = Vec::new();
    for item in decoder.list(node) {
        let Some(name) = decoder.string(item, "alarms") else {
            continue;
        };
        if reference(decoder, &name, "alarm", &declared) {
            out.push(name.value);
        }
    }
    out
}

/// A period: `5m`, `1h`, `60` (seconds); CloudWatch graphs take whole minutes here.
fn period_of(decoder: &mut Decoder, node: &Node) -> Option<i64> {
    let text = decoder.string(node, "period")?;
    let value = text.value.trim();
    let seconds = value.parse::<i64>().ok().or_else(|| {
        humantime::parse_duration(value)
            .ok()
            .and_then(|duration| i64::try_from(duration.as_secs()).ok())
    });
    match seconds {
        Some(seconds) if seconds >= 60 && seconds % 60 == 0 && seconds <= 86_400 => Some(seconds),
        _ => {
            decoder.error(
                text.pos,
                format!("`period` cannot be `{}`", text.value),
                "write whole minutes up to a day: `60`, `5m` or `1h`",
            );
            None
        }
    }
}
