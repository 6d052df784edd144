//! SNS topics and subscriptions end to end (issue 14): a topic with its display name and
//! ownership tags from CreateTopic, an email and an HTTPS subscription read back through
//! the SDK; the email one pending its recipient's confirmation is shown by the plan and is
//! no change; a changed display name updated in place, a subscription removed and another
//! added; a new name replacing the topic with its subscriptions; a topic of a taken name
//! the stack does not own refused and left untouched; destroy leaving nothing.
//!
//! moto lists an email subscription as confirmed at once; scripts/patch-moto.py (16) makes
//! it `PendingConfirmation` until confirmed, as AWS does.

use crate::harness::{Moto, edited, settings, written};

const MANIFEST: &str = "stack: topics-demo
region: us-east-1
topics:
  alerts:
    display_name: Demo alerts
    subscriptions:
      - email: oncall@example.com
      - https: https://hooks.example.com/alerts
outputs:
  topic: ${topics.alerts.arn}
";

fn write(dir: &tempfile::TempDir, edit: &[(&str, &str)]) -> String {
    written(dir, "topics.yaml", &edited(MANIFEST, edit))
}

async fn topics(sns: &aws_sdk_sns::Client) -> Vec<String> {
    let mut arns: Vec<String> = sns
        .list_topics()
        .send()
        .await
        .unwrap()
        .topics()
        .iter()
        .filter_map(|topic| topic.topic_arn().map(str::to_string))
        .collect();
    arns.sort();
    arns
}

/// (protocol, endpoint, pending) of a topic's subscriptions.
async fn subscriptions(sns: &aws_sdk_sns::Client, arn: &str) -> Vec<(String, String, bool)> {
    let listed = sns
        .list_subscriptions_by_topic()
        .topic_arn(arn)
        .send()
        .await
        .unwrap();
    let mut found: Vec<(String, String, bool)> = listed
        .subscriptions()
        .iter()
        .map(|found| {
            (
                found.protocol().unwrap_or_default().to_string(),
                found.endpoint().unwrap_or_default().to_string(),
                found.subscription_arn() == Some("PendingConfirmation"),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn topics_lifecycle() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let sns = aws_sdk_sns::Client::new(&moto.sdk().await);
    let path = write(&dir, &[]);

    let applied = moto
        .edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let arn = "arn:aws:sns:us-east-1:123456789012:topics-demo-alerts";
    assert_eq!(topics(&sns).await, [arn]);
    assert!(
        applied.stdout.contains(&format!("topic = \"{arn}\"")),
        "{}",
        applied.stdout
    );
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attributes
            .attributes()
            .unwrap()
            .get("DisplayName")
            .map(String::as_str),
        Some("Demo alerts")
    );
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let tag = |key: &str| {
        tags.tags()
            .iter()
            .find(|tag| tag.key() == key)
            .map(|tag| tag.value().to_string())
    };
    assert_eq!(tag("edgectl:stack").as_deref(), Some("topics-demo"));
    assert_eq!(tag("edgectl:id").as_deref(), Some("topic.alerts"));
    assert_eq!(
        subscriptions(&sns, arn).await,
        [
            ("email".to_string(), "oncall@example.com".to_string(), true),
            (
                "https".to_string(),
                "https://hooks.example.com/alerts".to_string(),
                false
            ),
        ]
    );

    // Pending confirmation: shown, and no change.
    let clean = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert!(
        clean
            .stdout
            .contains("waits for `oncall@example.com` to confirm it (email); not a change"),
        "{}",
        clean.stdout
    );

    // In place: the display name; the HTTPS subscription goes, an SMS one comes. The
    // pending email subscription stays (SNS cannot remove it).
    let changed = write(
        &dir,
        &[
            ("Demo alerts", "Demo alarms"),
            (
                "      - https: https://hooks.example.com/alerts\n",
                "      - sms: \"+34600000000\"\n",
            ),
        ],
    );
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attributes
            .attributes()
            .unwrap()
            .get("DisplayName")
            .map(String::as_str),
        Some("Demo alarms")
    );
    assert_eq!(
        subscriptions(&sns, arn).await,
        [
            ("email".to_string(), "oncall@example.com".to_string(), true),
            ("sms".to_string(), "+34600000000".to_string(), false),
        ]
    );
    let clean = moto.edgectl(&["plan", "-f", &changed, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // A topic of a name someone else made: refused, untouched.
    sns.create_topic()
        .name("someone-elses")
        .send()
        .await
        .unwrap();
    let foreign = "arn:aws:sns:us-east-1:123456789012:someone-elses";
    let taken = write(
        &dir,
        &[(
            "    display_name: Demo alerts\n",
            "    name: someone-elses\n    display_name: Demo alerts\n",
        )],
    );
    let before = topics(&sns).await;
    let refused = moto.edgectl(&["apply", "-f", &taken, "--auto-approve"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("SNS topic `someone-elses` already exists and it has no edgectl tags"),
        "{}",
        refused.stderr
    );
    assert_eq!(topics(&sns).await, before);
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(foreign)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());

    // A new name replaces the topic; its subscriptions follow.
    let renamed = write(
        &dir,
        &[(
            "    display_name: Demo alerts\n",
            "    name: topics-demo-alarms\n    display_name: Demo alerts\n",
        )],
    );
    let plan = moto.edgectl(&["plan", "-f", &renamed]).success();
    settings().bind(|| insta::assert_snapshot!("topic_rename", plan.stdout));
    moto.edgectl(&["apply", "-f", &renamed, "--auto-approve"])
        .success();
    let renamed_arn = "arn:aws:sns:us-east-1:123456789012:topics-demo-alarms";
    assert_eq!(topics(&sns).await, [foreign, renamed_arn]);
    assert_eq!(subscriptions(&sns, renamed_arn).await.len(), 2);

    moto.edgectl(&["destroy", "-f", &renamed, "--auto-approve"])
        .success();
    assert_eq!(topics(&sns).await, [foreign]);
}
