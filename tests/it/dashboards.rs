//! CloudWatch dashboards end to end (issue 23: the first kind built in one place,
//! `crates/kinds/src/dashboard/`): the service example with a dashboard of its service's and load
//! balancer's metrics, its logs, its alarm's state and text. A dashboard of the name
//! someone else made is refused and left untouched (PutDashboard would overwrite it); the
//! stack's is made with its ownership tags from PutDashboard, read back through the SDK,
//! plans clean, changes in place, moves to a new name (the old one deleted), and goes
//! with destroy. Seed 004's dashboard is HappyRobot's (`manifests::happyrobot_*`); faults
//! and kills reach it there (`stress`).

use crate::harness::{Moto, edited, service_example, settings};

const DASHBOARD: &str = "
dashboards:
  ops:
    widgets:
      - title: Web service
        metrics: [services.web.cpu, services.web.memory, services.web.running]
      - title: Load balancer
        metrics: [load_balancers.web.requests, load_balancers.web.5xx]
      - title: Errors
        logs: [services.web]
      - alarms: all
      - text: \"## service-demo\"
";

fn manifest(moto: &Moto, dir: &tempfile::TempDir, edits: &[(&str, &str)]) -> String {
    let path = service_example(
        &moto.certificate(),
        dir,
        &[(
            "    logs: { retention_days: 7 }\n",
            "    logs: { retention_days: 7 }\n    alarms: { cpu: 80 }\n",
        )],
    );
    let text = std::fs::read_to_string(&path).unwrap() + DASHBOARD;
    std::fs::write(&path, edited(&text, edits)).unwrap();
    path
}

async fn body(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str) -> Option<serde_json::Value> {
    let found = cloudwatch
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .ok()?;
    serde_json::from_str(found.dashboard_body()?).ok()
}

async fn names(cloudwatch: &aws_sdk_cloudwatch::Client) -> Vec<String> {
    cloudwatch
        .list_dashboards()
        .send()
        .await
        .unwrap()
        .dashboard_entries()
        .iter()
        .filter_map(|entry| entry.dashboard_name().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboards_lifecycle() {
    let moto = Moto::start();
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&moto.sdk().await);
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(&moto, &dir, &[]);

    // Someone else's dashboard of the name the stack would use: refused, naming it,
    // before anything changes; theirs keeps its body.
    let theirs = r#"{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":2,"properties":{"markdown":"theirs"}}]}"#;
    cloudwatch
        .put_dashboard()
        .dashboard_name("service-demo-ops")
        .dashboard_body(theirs)
        .send()
        .await
        .unwrap();
    let refused = moto.edgectl(&["apply", "-f", &path, "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(
            "CloudWatch dashboard `service-demo-ops` already exists and it has no edgectl tags"
        ),
        "{}",
        refused.stderr
    );
    assert_eq!(
        body(&cloudwatch, "service-demo-ops").await,
        serde_json::from_str(theirs).ok()
    );
    assert_eq!(names(&cloudwatch).await, ["service-demo-ops"]);
    cloudwatch
        .delete_dashboards()
        .dashboard_names("service-demo-ops")
        .send()
        .await
        .unwrap();

    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let made = body(&cloudwatch, "service-demo-ops").await.unwrap();
    let widgets = made["widgets"].as_array().unwrap();
    let kinds: Vec<&str> = widgets
        .iter()
        .map(|widget| widget["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["metric", "metric", "log", "alarm", "text"]);
    // Two to a row, then the full-width ones each on their own.
    let places: Vec<(i64, i64, i64)> = widgets
        .iter()
        .map(|widget| {
            (
                widget["x"].as_i64().unwrap(),
                widget["y"].as_i64().unwrap(),
                widget["width"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            (0, 0, 12),
            (12, 0, 12),
            (0, 6, 12),
            (0, 12, 24),
            (0, 15, 24)
        ]
    );
    assert_eq!(
        widgets[0]["properties"]["metrics"][0],
        serde_json::json!([
            "AWS/ECS",
            "CPUUtilization",
            "ClusterName",
            "service-demo-main",
            "ServiceName",
            "service-demo-web",
            { "stat": "Average", "label": "web cpu" }
        ])
    );
    let suffix = widgets[1]["properties"]["metrics"][0][3].as_str().unwrap();
    assert!(suffix.starts_with("app/service-demo-web/"), "{suffix}");
    assert_eq!(
        widgets[3]["properties"]["alarms"],
        serde_json::json!(["arn:aws:cloudwatch:us-east-1:123456789012:alarm:service-demo-web-cpu"])
    );
    let arn = cloudwatch
        .get_dashboard()
        .dashboard_name("service-demo-ops")
        .send()
        .await
        .unwrap()
        .dashboard_arn()
        .unwrap()
        .to_string();
    let tags = cloudwatch
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|tag| {
            (
                tag.key().unwrap().to_string(),
                tag.value().unwrap().to_string(),
            )
        })
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("Name", "service-demo-ops"),
            ("edgectl:id", "dashboard.ops"),
            ("edgectl:stack", "service-demo"),
            ("project", "edgectl-examples"),
        ]
        .map(|(key, value)| (key.to_string(), value.to_string()))
    );
    let clean = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // A widget's title changed and a tag added: one update in place.
    let changed = manifest(
        &moto,
        &dir,
        &[
            ("title: Errors", "title: Recent errors"),
            (
                "  project: edgectl-examples\n",
                "  project: edgectl-examples\n  team: web\n",
            ),
        ],
    );
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    settings().bind(|| insta::assert_snapshot!("dashboard_update", plan.stdout));
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let updated = body(&cloudwatch, "service-demo-ops").await.unwrap();
    assert_eq!(
        updated["widgets"][2]["properties"]["title"],
        "Recent errors"
    );
    let tagged = cloudwatch
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(
        tagged
            .tags()
            .iter()
            .any(|tag| tag.key() == Some("team") && tag.value() == Some("web"))
    );
    let clean = moto.edgectl(&["plan", "-f", &changed, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // A new name is a new dashboard: made, then the old one deleted.
    let renamed = manifest(
        &moto,
        &dir,
        &[(
            "  ops:\n    widgets:",
            "  ops:\n    name: service-demo-operations\n    widgets:",
        )],
    );
    moto.edgectl(&["apply", "-f", &renamed, "--auto-approve"])
        .success();
    assert_eq!(names(&cloudwatch).await, ["service-demo-operations"]);

    // Destroy takes the stack's and leaves another's.
    cloudwatch
        .put_dashboard()
        .dashboard_name("someone-elses")
        .dashboard_body(theirs)
        .send()
        .await
        .unwrap();
    moto.edgectl(&["destroy", "-f", &renamed, "--auto-approve"])
        .success();
    assert_eq!(names(&cloudwatch).await, ["someone-elses"]);
}

/// What a dashboard's widgets name is checked before any call: an undeclared service, a
/// metric a section does not have, a widget of two contents, Container Insights off.
#[test]
fn bad_dashboards_are_refused_before_any_call() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(
        &moto,
        &dir,
        &[
            ("services.web.memory", "services.wbe.memory"),
            ("load_balancers.web.5xx", "load_balancers.web.5xxx"),
            (
                "  - text: \"## service-demo\"",
                "  - { text: hi, alarms: all }",
            ),
            ("container_insights: true", "container_insights: false"),
        ],
    );
    let requests = moto.requests();
    let run = moto.edgectl(&["plan", "-f", &path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "unknown service `wbe`",
        "defined services: `web`",
        "`load_balancers` have no metric `5xxx`",
        "did you mean `5xx`?",
        "has both `alarms` and `text`",
        "`services.web.running` needs Container Insights on cluster `main`",
    ] {
        assert!(run.stderr.contains(expected), "{expected}\n{}", run.stderr);
    }
    assert_eq!(moto.requests(), requests, "a call was made");
}
