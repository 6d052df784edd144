//! CloudWatch alarms end to end (issue 14): an alarm in full form watching the stack's own
//! topic (its dimension a reference, `${topics.alerts.name}`), notifying it, read back
//! through the SDK with its ownership tags from PutMetricAlarm; a clean plan; a changed
//! threshold and an added OK notification updated in place; an alarm of a taken name the
//! stack does not own refused and left untouched (PutMetricAlarm would overwrite it); a
//! new name replacing the alarm; destroy leaving only the other's alarm. The shorthand on
//! services, load balancers and databases is HappyRobot's (`manifests::happyrobot_*`).
//!
//! The SDK speaks Smithy RPC v2 CBOR to CloudWatch, which moto does not:
//! scripts/patch-moto.py (17) translates it to moto's JSON protocol.

use aws_sdk_cloudwatch::types::MetricAlarm;

use crate::harness::{Moto, edited, settings, written};

const MANIFEST: &str = "stack: alarms-demo
region: us-east-1
topics:
  alerts:
    display_name: Demo alerts
alarms:
  delivery-failures:
    description: notifications SNS could not deliver
    namespace: AWS/SNS
    metric: NumberOfNotificationsFailed
    dimensions: { TopicName: \"${topics.alerts.name}\" }
    statistic: Sum
    period: 5m
    threshold: 1
    comparison: \">=\"
    missing_data: not_breaching
    notify: [alerts]
";

fn write(dir: &tempfile::TempDir, edit: &[(&str, &str)]) -> String {
    written(dir, "alarms.yaml", &edited(MANIFEST, edit))
}

async fn alarms(cloudwatch: &aws_sdk_cloudwatch::Client) -> Vec<MetricAlarm> {
    let mut found = cloudwatch
        .describe_alarms()
        .send()
        .await
        .unwrap()
        .metric_alarms()
        .to_vec();
    found.sort_by(|a, b| a.alarm_name().cmp(&b.alarm_name()));
    found
}

async fn names(cloudwatch: &aws_sdk_cloudwatch::Client) -> Vec<String> {
    alarms(cloudwatch)
        .await
        .iter()
        .map(|alarm| alarm.alarm_name().unwrap_or_default().to_string())
        .collect()
}

async fn tags(cloudwatch: &aws_sdk_cloudwatch::Client, arn: &str) -> Vec<(String, String)> {
    let listed = cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let mut pairs: Vec<(String, String)> = listed
        .tags()
        .iter()
        .map(|tag| {
            (
                tag.key().unwrap_or_default().to_string(),
                tag.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

#[tokio::test(flavor = "multi_thread")]
async fn alarms_lifecycle() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&moto.sdk().await);
    let topic = "arn:aws:sns:us-east-1:123456789012:alarms-demo-alerts";
    let path = write(&dir, &[]);

    let plan = moto.edgectl(&["plan", "-f", &path]).success();
    assert!(
        plan.stdout.contains("+ alarm.delivery-failures  create"),
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let found = alarms(&cloudwatch).await;
    assert_eq!(found.len(), 1);
    let alarm = &found[0];
    assert_eq!(alarm.alarm_name(), Some("alarms-demo-delivery-failures"));
    assert_eq!(
        alarm.alarm_description(),
        Some("notifications SNS could not deliver")
    );
    assert_eq!(alarm.namespace(), Some("AWS/SNS"));
    assert_eq!(alarm.metric_name(), Some("NumberOfNotificationsFailed"));
    let dimensions: Vec<(&str, &str)> = alarm
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap_or_default(), d.value().unwrap_or_default()))
        .collect();
    assert_eq!(dimensions, [("TopicName", "alarms-demo-alerts")]);
    assert_eq!(alarm.statistic().map(|s| s.as_str()), Some("Sum"));
    assert_eq!(alarm.period(), Some(300));
    assert_eq!(alarm.threshold(), Some(1.0));
    assert_eq!(
        alarm.comparison_operator().map(|c| c.as_str()),
        Some("GreaterThanOrEqualToThreshold")
    );
    assert_eq!(alarm.evaluation_periods(), Some(1));
    assert_eq!(alarm.treat_missing_data(), Some("notBreaching"));
    assert_eq!(alarm.alarm_actions(), [topic]);
    assert!(alarm.ok_actions().is_empty());
    let arn = alarm.alarm_arn().unwrap().to_string();
    let owned = tags(&cloudwatch, &arn).await;
    assert!(
        owned.contains(&("edgectl:stack".into(), "alarms-demo".into())),
        "{owned:?}"
    );
    assert!(
        owned.contains(&("edgectl:id".into(), "alarm.delivery-failures".into())),
        "{owned:?}"
    );
    let clean = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // In place: the threshold, and the topic told when it is OK again.
    let changed = write(
        &dir,
        &[
            ("    threshold: 1\n", "    threshold: 2.5\n"),
            (
                "    notify: [alerts]\n",
                "    notify: [alerts]\n    notify_ok: [alerts]\n",
            ),
        ],
    );
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    settings().bind(|| insta::assert_snapshot!("alarm_update", plan.stdout));
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let alarm = alarms(&cloudwatch).await.remove(0);
    assert_eq!(alarm.threshold(), Some(2.5));
    assert_eq!(alarm.ok_actions(), [topic]);
    // Tags stay as created (PutMetricAlarm ignores tags when it updates).
    assert_eq!(tags(&cloudwatch, &arn).await, owned);
    let clean = moto.edgectl(&["plan", "-f", &changed, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // An alarm of a name someone else made: PutMetricAlarm would overwrite it. Refused
    // before anything changes; theirs keeps its threshold.
    cloudwatch
        .put_metric_alarm()
        .alarm_name("alarms-demo-latency")
        .namespace("AWS/SNS")
        .metric_name("PublishSize")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(60)
        .evaluation_periods(1)
        .threshold(42.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    let taken = format!(
        "{MANIFEST}  latency:\n    namespace: AWS/SNS\n    metric: PublishSize\n    threshold: 1000\n    comparison: \">\"\n"
    );
    let taken_path = dir.path().join("taken.yaml");
    std::fs::write(&taken_path, taken).unwrap();
    let refused = moto.edgectl(&[
        "apply",
        "-f",
        taken_path.to_str().unwrap(),
        "--auto-approve",
    ]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(
            "CloudWatch alarm `alarms-demo-latency` already exists and it has no edgectl tags"
        ),
        "{}",
        refused.stderr
    );
    let theirs = alarms(&cloudwatch)
        .await
        .into_iter()
        .find(|alarm| alarm.alarm_name() == Some("alarms-demo-latency"))
        .unwrap();
    assert_eq!(theirs.threshold(), Some(42.0));
    assert!(
        tags(&cloudwatch, theirs.alarm_arn().unwrap())
            .await
            .is_empty()
    );

    // A new name is a new alarm: made, then the old one deleted.
    let renamed = write(
        &dir,
        &[(
            "    description:",
            "    name: alarms-demo-undelivered\n    description:",
        )],
    );
    let plan = moto.edgectl(&["plan", "-f", &renamed]).success();
    assert!(
        plan.stdout
            .contains("+/- alarm.delivery-failures (alarms-demo-delivery-failures)  replace (create the new one first)"),
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", &renamed, "--auto-approve"])
        .success();
    assert_eq!(
        names(&cloudwatch).await,
        ["alarms-demo-latency", "alarms-demo-undelivered"]
    );

    // Destroy: the stack's alarm and topic go, the other's alarm stays.
    moto.edgectl(&["destroy", "-f", &renamed, "--auto-approve"])
        .success();
    assert_eq!(names(&cloudwatch).await, ["alarms-demo-latency"]);
}
