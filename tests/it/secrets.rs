//! Secrets Manager secrets end to end on `examples/service.yaml` with a `secrets:` section:
//! created with their ownership tags and client token, read back through the SDK, a clean
//! plan, an in-place change, a rename that replaces, the service reading one whole and one
//! key of another by reference (its task definition names the real ARNs, its execution
//! role may read exactly those, and decrypt with the customer managed key of one), a
//! look-alike refused and left untouched, and destroy
//! (retained by default; deletion scheduled with the recovery window otherwise; the
//! stack's own secret scheduled for deletion is restored by the next apply).
//!
//! moto lists a secret scheduled for deletion only with `IncludePlannedDeletion`, as AWS
//! does. It answers CreateSecret of a name scheduled for deletion with
//! ResourceExistsException (AWS: InvalidRequestException), or with the deleted secret
//! itself for a repeated client token; edgectl looks the name up before creating, so both
//! lead to the same restore.

use aws_sdk_secretsmanager::types::Tag;

use crate::harness::{Moto, plan_block, settings, summary};

/// The service example with `secrets` and the service's references.
fn manifest(certificate: &str, dir: &tempfile::TempDir, secrets: &str, references: &str) -> String {
    crate::harness::service_example(
        certificate,
        dir,
        &[
            (
                "\nservices:\n",
                &format!("\nsecrets:\n{secrets}\nservices:\n"),
            ),
            (
                "    environment: { NODE_ENV: production }\n",
                &format!("    environment: {{ NODE_ENV: production }}\n    secrets:\n{references}"),
            ),
        ],
    )
}

/// A customer managed key's ARN (moto's Secrets Manager takes it without asking KMS).
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

const SECRETS: &str = "  mqtt:
    name: service-demo/mqtt
    description: MQTT broker credentials
    kms_key: arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0
  token:
    description: API token
    generate: { length: 24, exclude_punctuation: true }
    retain: false
    recovery_window_days: 7
";

const REFERENCES: &str = "      MQTT_CREDENTIALS: secrets.mqtt
      API_TOKEN: secrets.token:value
";

async fn secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
) -> aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput {
    client
        .describe_secret()
        .secret_id(name)
        .send()
        .await
        .unwrap()
}

/// The secret's current value, `None` when it has none.
async fn value(client: &aws_sdk_secretsmanager::Client, name: &str) -> Option<String> {
    let got = client
        .get_secret_value()
        .secret_id(name)
        .send()
        .await
        .ok()?;
    got.secret_string().map(str::to_string)
}

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|tag| tag.key() == Some(key))
        .and_then(Tag::value)
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_lifecycle() {
    let moto = Moto::start();
    let certificate = moto.certificate();
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(&certificate, &dir, SECRETS, REFERENCES);
    let sdk = moto.sdk().await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    let ecs = aws_sdk_ecs::Client::new(&sdk);

    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let mqtt = secret(&client, "service-demo/mqtt").await;
    assert_eq!(mqtt.description(), Some("MQTT broker credentials"));
    assert_eq!(tag(mqtt.tags(), "edgectl:stack"), Some("service-demo"));
    assert_eq!(tag(mqtt.tags(), "edgectl:id"), Some("secret.mqtt"));
    assert_eq!(tag(mqtt.tags(), "edgectl:retain"), Some("true"));
    // A container reads it: made with a generated value (CDK's default, 32 characters),
    // which the runbook replaces. AWS attaches `AWSCURRENT` only to a secret made with a
    // value, and ECS stops every task reading one without; moto refuses GetSecretValue
    // on such a secret, as AWS does.
    let placeholder = value(&client, "service-demo/mqtt").await.unwrap();
    assert_eq!(placeholder.chars().count(), 32);
    let token = secret(&client, "service-demo/token").await;
    assert_eq!(tag(token.tags(), "edgectl:recovery-window-days"), Some("7"));
    let generated = value(&client, "service-demo/token").await.unwrap();
    assert_eq!(generated.len(), 24);
    assert!(generated.chars().all(|c| c.is_ascii_alphanumeric()));

    // The task definition names the real ARNs (with the suffix Secrets Manager appends).
    let mqtt_arn = mqtt.arn().unwrap().to_string();
    let token_arn = token.arn().unwrap().to_string();
    let listed = ecs
        .list_task_definitions()
        .family_prefix("service-demo-web")
        .send()
        .await
        .unwrap();
    let latest = listed.task_definition_arns().last().unwrap();
    let described = ecs
        .describe_task_definition()
        .task_definition(latest)
        .send()
        .await
        .unwrap();
    let container = &described.task_definition().unwrap().container_definitions()[0];
    let mut secrets: Vec<(String, String)> = container
        .secrets()
        .iter()
        .map(|secret| (secret.name().to_string(), secret.value_from().to_string()))
        .collect();
    secrets.sort();
    assert_eq!(
        secrets,
        [
            ("API_TOKEN".to_string(), format!("{token_arn}:value::")),
            ("MQTT_CREDENTIALS".to_string(), mqtt_arn.clone()),
        ]
    );
    // The execution role may read exactly these two secrets.
    let (_, document) = crate::harness::role_policy(&iam, "-execution").await;
    assert!(
        document.contains(&mqtt_arn) && document.contains(&token_arn),
        "{document}"
    );
    assert!(!document.contains("\"*\""), "{document}");
    // `mqtt` is encrypted with a customer managed key: the role may decrypt with it.
    assert!(
        document.contains("kms:Decrypt") && document.contains(KEY),
        "{document}"
    );
    assert_eq!(mqtt.kms_key_id(), Some(KEY));

    let plan = moto
        .edgectl(&["plan", "-f", &path, "--detailed-exitcode"])
        .success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // In place: a description. A rename would replace the secret, and `mqtt` is retained
    // (the default): refused before anything changes.
    let changed = manifest(
        &certificate,
        &dir,
        &SECRETS.replace("API token", "API token (rotated by hand)"),
        REFERENCES,
    );
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert!(
        summary(&plan).starts_with("Plan: 0 to create, 1 to update, 0 to replace"),
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let token = secret(&client, "service-demo/token").await;
    assert_eq!(token.description(), Some("API token (rotated by hand)"));
    // The value a person set stays: an update never writes one.
    assert_eq!(value(&client, "service-demo/token").await, Some(generated));
    let renamed = manifest(
        &certificate,
        &dir,
        &SECRETS.replace("service-demo/mqtt", "service-demo/mqtt-v2"),
        REFERENCES,
    );
    let refused = moto.edgectl(&["plan", "-f", &renamed]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(refused.stderr.contains("is retained"), "{}", refused.stderr);

    // Destroy: the retained secret stays; the other is scheduled for deletion, restorable.
    moto.edgectl(&["destroy", "-f", &changed, "--auto-approve"])
        .success();
    let kept = secret(&client, "service-demo/mqtt").await;
    assert!(kept.deleted_date().is_none());
    let gone = secret(&client, "service-demo/token").await;
    assert!(gone.deleted_date().is_some(), "scheduled for deletion");
    // Applied again: the stack's own secret comes back, with its value.
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let back = secret(&client, "service-demo/token").await;
    assert!(back.deleted_date().is_none());
    assert_eq!(back.arn(), Some(token_arn.as_str()));
    let plan = moto
        .edgectl(&["plan", "-f", &changed, "--detailed-exitcode"])
        .success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_made_by_someone_else_is_refused_and_untouched() {
    let moto = Moto::start();
    let certificate = moto.certificate();
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(&certificate, &dir, SECRETS, REFERENCES);
    let client = aws_sdk_secretsmanager::Client::new(&moto.sdk().await);
    client
        .create_secret()
        .name("service-demo/mqtt")
        .description("theirs")
        .secret_string("their value")
        .send()
        .await
        .unwrap();
    let before = format!("{:?}", secret(&client, "service-demo/mqtt").await.tags());
    let plan = moto.edgectl(&["plan", "-f", &path]);
    assert_ne!(plan.code, 0);
    assert!(
        plan.stderr.contains("secret `service-demo/mqtt`"),
        "{}",
        plan.stderr
    );
    let apply = moto.edgectl(&["apply", "-f", &path, "--auto-approve"]);
    assert_ne!(apply.code, 0);
    moto.edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    let after = secret(&client, "service-demo/mqtt").await;
    assert_eq!(after.description(), Some("theirs"));
    assert!(after.deleted_date().is_none());
    assert_eq!(format!("{:?}", after.tags()), before);
    assert_eq!(
        value(&client, "service-demo/mqtt").await.as_deref(),
        Some("their value")
    );
}

/// A secret of the stack that has no value (made by an earlier edgectl, which made
/// secrets without one) and that a container reads is given one before the service
/// reads it; the plan says it has none, and how to set one. A secret made with
/// `generate: false` has none and is only a note; a container may not read it.
#[tokio::test(flavor = "multi_thread")]
async fn a_secret_a_container_reads_gets_a_value_before_the_service() {
    let moto = Moto::start();
    let certificate = moto.certificate();
    let dir = tempfile::tempdir().unwrap();
    let secrets = "  mqtt:\n    name: service-demo/mqtt\n  spare:\n    name: service-demo/spare\n    generate: false\n";
    let path = manifest(
        &certificate,
        &dir,
        secrets,
        "      MQTT_CREDENTIALS: secrets.mqtt\n",
    );
    let sdk = moto.sdk().await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    for (name, id) in [("service-demo/mqtt", "secret.mqtt")] {
        client
            .create_secret()
            .name(name)
            .tags(
                Tag::builder()
                    .key("edgectl:stack")
                    .value("service-demo")
                    .build(),
            )
            .tags(Tag::builder().key("edgectl:id").value(id).build())
            .tags(Tag::builder().key("edgectl:retain").value("true").build())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(value(&client, "service-demo/mqtt").await, None);
    let plan = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    settings().bind(|| {
        insta::assert_snapshot!("secret_value_set", plan_block(&plan, "secret.mqtt"));
    });
    assert!(
        plan.stdout
            .contains("has no value: a container reading it cannot start; set one with `aws secretsmanager put-secret-value --secret-id service-demo/mqtt"),
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    assert_eq!(
        value(&client, "service-demo/mqtt")
            .await
            .map(|value| value.chars().count()),
        Some(32)
    );
    // Made without a value, as asked; the plan notes it and changes nothing.
    assert_eq!(value(&client, "service-demo/spare").await, None);
    let again = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("--secret-id service-demo/spare"),
        "{}",
        again.stdout
    );

    // A container may not read a secret made without a value.
    let reads_spare = manifest(
        &certificate,
        &dir,
        secrets,
        "      MQTT_CREDENTIALS: secrets.spare\n",
    );
    let refused = moto.edgectl(&["plan", "-f", &reads_spare]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("reads `secrets.spare`, which is made without a value (`generate: false`)"),
        "{}",
        refused.stderr
    );
}
