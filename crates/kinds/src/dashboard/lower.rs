//! A dashboard's typed properties, and the manifest's dashboards as them: each widget as
//! CloudWatch's dashboard body holds it, laid out left to right in rows of 24 units.

use std::collections::BTreeMap;

use super::dashboard_id;
use super::manifest::{Content, Dashboard, Dimension, GRID, Metric, Widget};
use crate::aws::ids::{alarm_id, load_balancer_id};
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::lower::Env;
use crate::manifest::Manifest;

crate::engine::properties! {
    /// A CloudWatch dashboard.
    pub struct DashboardProps (changes: DashboardChanges) {
        /// Unique in the account; a new name is a new dashboard.
        pub name: String => Replace,
        /// The body's widgets as CloudWatch holds them (`type`, place, `properties`); an
        /// alarm widget names its alarms by reference.
        pub widgets: Vec<Value> => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

pub fn desired(dashboards: &[Dashboard], manifest: &Manifest, env: &Env) -> Vec<Desired> {
    dashboards
        .iter()
        .map(|dashboard| {
            let mut tags = manifest.tags.clone();
            tags.insert("Name".to_string(), dashboard.name.clone());
            let props = DashboardProps {
                name: dashboard.name.clone(),
                widgets: layout(&dashboard.widgets)
                    .into_iter()
                    .map(|(widget, place)| body(widget, place, &env.region))
                    .collect(),
                tags,
            };
            Desired {
                id: dashboard_id(&dashboard.key),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}

/// Where the console shows the dashboard.
pub fn console_url(region: &str, name: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards:name={name}"
    )
}

/// A widget's place on the grid: x, y.
type Place = (i64, i64);

/// Each widget after the one before it on its row, or at the start of the next row when it
/// does not fit; a row is as tall as its tallest widget.
fn layout(widgets: &[Widget]) -> Vec<(&Widget, Place)> {
    let (mut x, mut y, mut row) = (0, 0, 0);
    widgets
        .iter()
        .map(|widget| {
            if x + widget.width > GRID {
                (x, y, row) = (0, y + row, 0);
            }
            let place = (x, y);
            x += widget.width;
            row = row.max(widget.height);
            (widget, place)
        })
        .collect()
}

fn body(widget: &Widget, (x, y): Place, region: &str) -> Value {
    let mut properties: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(title) = &widget.title {
        properties.insert("title".into(), Value::str(title));
    }
    let kind = match &widget.content {
        Content::Metrics { metrics, period } => {
            properties.insert("region".into(), Value::str(region));
            properties.insert("view".into(), Value::str("timeSeries"));
            properties.insert("stacked".into(), Value::Bool(false));
            properties.insert("period".into(), Value::Int(*period));
            properties.insert(
                "metrics".into(),
                Value::List(metrics.iter().map(metric).collect()),
            );
            "metric"
        }
        Content::Logs { groups, query } => {
            let sources: Vec<String> = groups
                .iter()
                .map(|group| format!("SOURCE '{group}'"))
                .collect();
            properties.insert("region".into(), Value::str(region));
            properties.insert("view".into(), Value::str("table"));
            properties.insert(
                "query".into(),
                Value::Str(format!("{} | {query}", sources.join(" | "))),
            );
            "log"
        }
        Content::Alarms(ids) => {
            properties.insert(
                "alarms".into(),
                Value::List(ids.iter().map(|id| Value::Ref(alarm_id(id))).collect()),
            );
            "alarm"
        }
        Content::Text(markdown) => {
            properties.insert("markdown".into(), Value::str(markdown));
            "text"
        }
    };
    Value::map([
        ("type", Value::str(kind)),
        ("x", Value::Int(x)),
        ("y", Value::Int(y)),
        ("width", Value::Int(widget.width)),
        ("height", Value::Int(widget.height)),
        ("properties", Value::Map(properties)),
    ])
}

/// `[namespace, metric, dimension, value, ..., { stat, label }]`, as CloudWatch writes a
/// graph's metric.
fn metric(metric: &Metric) -> Value {
    let mut items = vec![Value::str(metric.namespace), Value::str(metric.name)];
    for (name, value) in &metric.dimensions {
        items.push(Value::str(*name));
        items.push(match value {
            Dimension::Text(text) => Value::str(text),
            Dimension::LoadBalancer(key) => Value::Template(vec![Value::Ref(
                load_balancer_id(key).attribute("arn_suffix"),
            )]),
        });
    }
    items.push(Value::map([
        ("stat", Value::str(metric.stat)),
        ("label", Value::str(&metric.label)),
    ]));
    Value::List(items)
}

#[cfg(test)]
mod tests {
    use super::super::KIND;
    use super::*;

    fn widget(width: i64, height: i64) -> Widget {
        Widget {
            title: None,
            width,
            height,
            content: Content::Text("x".into()),
        }
    }

    #[test]
    fn widgets_flow_in_rows_of_24() {
        let widgets = [widget(12, 6), widget(12, 4), widget(8, 3), widget(24, 2)];
        let places: Vec<Place> = layout(&widgets).into_iter().map(|(_, p)| p).collect();
        assert_eq!(places, [(0, 0), (12, 0), (0, 6), (0, 9)]);
    }

    #[test]
    fn a_dashboard_s_properties_read_back_typed() {
        let dashboard = Dashboard {
            key: "main".into(),
            name: "demo-main".into(),
            widgets: vec![Widget {
                title: Some("Alarms".into()),
                width: 24,
                height: 3,
                content: Content::Alarms(vec!["services.api.cpu".into()]),
            }],
        };
        let manifest = crate::manifest::parse(
            "m.yaml",
            "stack: demo\nregion: eu-west-1\n",
            &Default::default(),
        )
        .unwrap();
        let env = Env {
            region: "eu-west-1".into(),
            zones: Vec::new(),
        };
        let desired = desired(&[dashboard], &manifest, &env);
        assert_eq!(desired[0].id.kind(), KIND);
        let props = DashboardProps::from_props(&desired[0].props).unwrap();
        assert_eq!(props.name, "demo-main");
        let refs = {
            let mut refs = Vec::new();
            props.widgets[0].refs(&mut refs);
            refs
        };
        assert_eq!(refs, [alarm_id("services.api.cpu")]);
    }
}
