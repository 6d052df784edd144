//! Customer managed KMS keys end to end: a key with its alias, rotation and a policy that
//! lets the services the manifest encrypts with it use it, named by a bucket, a secret
//! and a repository by reference (each names the key's real ARN), read back through the
//! SDK; a clean plan; an in-place change; an alias held by a key the stack does not own
//! refused and left untouched; destroy scheduling the deletion with the shortest window;
//! the next apply bringing the same key back, so what it encrypted stays readable.
//!
//! moto's KMS takes any key policy without checking it, and its S3, Secrets Manager and
//! ECR accept a key ARN without asking KMS; AWS checks that the caller may use the key.

use crate::harness::{Moto, edited, settings, summary, written};

const MANIFEST: &str = "stack: keys-demo
region: us-east-1
keys:
  archive:
    description: Archive data at rest
DEFAULT_OTHER
buckets:
  archive:
    name: keys-demo-archive-123456789012
    encryption: sse-kms
    kms_key: keys.archive
    force_destroy: true
secrets:
  token:
    kms_key: keys.archive
    retain: false
    recovery_window_days: 7
repositories:
  api:
    name: keys-demo/api
    encryption: kms
    kms_key: keys.archive
    force_destroy: true
";

fn write(dir: &tempfile::TempDir, name: &str, edit: &[(&str, &str)]) -> String {
    written(
        dir,
        name,
        &edited(&MANIFEST.replace("DEFAULT_OTHER\n", ""), edit),
    )
}

async fn key(kms: &aws_sdk_kms::Client, id: &str) -> aws_sdk_kms::types::KeyMetadata {
    kms.describe_key()
        .key_id(id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_lifecycle() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "keys.yaml", &[]);
    let sdk = moto.sdk().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let s3 = aws_sdk_s3::Client::new(&sdk);
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let ecr = aws_sdk_ecr::Client::new(&sdk);

    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let archive = key(&kms, "alias/keys-demo/archive").await;
    let arn = archive.arn().unwrap().to_string();
    assert_eq!(archive.description(), Some("Archive data at rest"));
    assert!(archive.enabled());
    let tags = kms.list_resource_tags().key_id(&arn).send().await.unwrap();
    let tag = |key: &str| {
        tags.tags()
            .iter()
            .find(|tag| tag.tag_key() == key)
            .map(|tag| tag.tag_value().to_string())
    };
    assert_eq!(tag("edgectl:stack").as_deref(), Some("keys-demo"));
    assert_eq!(tag("edgectl:id").as_deref(), Some("key.archive"));
    let rotation = kms
        .get_key_rotation_status()
        .key_id(&arn)
        .send()
        .await
        .unwrap();
    assert!(rotation.key_rotation_enabled());
    let policy = kms
        .get_key_policy()
        .key_id(&arn)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(
        statements[0]["Principal"]["AWS"],
        "arn:aws:iam::123456789012:root"
    );
    // Exactly the services that encrypt with it, through the account.
    assert_eq!(
        statements[1]["Condition"]["StringEquals"]["kms:ViaService"],
        serde_json::json!([
            "ecr.us-east-1.amazonaws.com",
            "s3.us-east-1.amazonaws.com",
            "secretsmanager.us-east-1.amazonaws.com"
        ])
    );
    assert_eq!(
        statements[1]["Condition"]["StringEquals"]["kms:CallerAccount"],
        "123456789012"
    );
    assert_eq!(statements.len(), 2, "no log group uses it: {policy}");

    // Each user names the key's ARN.
    let encryption = s3
        .get_bucket_encryption()
        .bucket("keys-demo-archive-123456789012")
        .send()
        .await
        .unwrap();
    let default = encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0]
        .apply_server_side_encryption_by_default()
        .unwrap()
        .clone();
    assert_eq!(default.kms_master_key_id(), Some(arn.as_str()));
    let token = secrets
        .describe_secret()
        .secret_id("keys-demo/token")
        .send()
        .await
        .unwrap();
    assert_eq!(token.kms_key_id(), Some(arn.as_str()));
    let repositories = ecr
        .describe_repositories()
        .repository_names("keys-demo/api")
        .send()
        .await
        .unwrap();
    let repository = &repositories.repositories()[0];
    assert_eq!(
        repository.encryption_configuration().unwrap().kms_key(),
        Some(arn.as_str())
    );

    let plan = moto.edgectl(&["plan", "-f", &path]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // In place: the description, rotation off.
    let changed = write(
        &dir,
        "changed.yaml",
        &[(
            "    description: Archive data at rest\n",
            "    description: Archive data\n    rotation: false\n    alias: keys-demo/archive-v2\n",
        )],
    );
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert_eq!(
        summary(&plan),
        "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete."
    );
    settings().bind(|| insta::assert_snapshot!("key_update", plan.stdout));
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let archive = key(&kms, "alias/keys-demo/archive-v2").await;
    assert_eq!(
        archive.arn(),
        Some(arn.as_str()),
        "the alias moved, not the key"
    );
    assert_eq!(archive.description(), Some("Archive data"));
    let aliases = kms.list_aliases().send().await.unwrap();
    assert!(
        !aliases
            .aliases()
            .iter()
            .any(|alias| alias.alias_name() == Some("alias/keys-demo/archive")),
        "the old alias is gone"
    );
    let rotation = kms
        .get_key_rotation_status()
        .key_id(&arn)
        .send()
        .await
        .unwrap();
    assert!(!rotation.key_rotation_enabled());
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // An alias held by someone else's key: refused before anything changes, untouched.
    let theirs = kms.create_key().send().await.unwrap();
    let theirs = theirs.key_metadata().unwrap().key_id().to_string();
    kms.create_alias()
        .alias_name("alias/shared/other")
        .target_key_id(&theirs)
        .send()
        .await
        .unwrap();
    let lookalike = write(
        &dir,
        "lookalike.yaml",
        &[(
            "    description: Archive data at rest\n",
            "    description: Archive data\n    rotation: false\n    alias: keys-demo/archive-v2\n  other:\n    alias: shared/other\n",
        )],
    );
    let refused = moto.edgectl(&["apply", "-f", &lookalike, "--auto-approve"]);
    assert_ne!(refused.code, 0, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("KMS alias `alias/shared/other` already exists")
            && refused.stderr.contains("no edgectl tags"),
        "{}",
        refused.stderr
    );
    let untouched = kms
        .list_resource_tags()
        .key_id(&theirs)
        .send()
        .await
        .unwrap();
    assert!(untouched.tags().is_empty());
    assert!(key(&kms, &theirs).await.enabled());

    // Destroy schedules the deletion with the shortest window, and says so.
    let destroyed = moto
        .edgectl(&["destroy", "-f", &changed, "--auto-approve"])
        .success();
    assert!(
        destroyed.stdout.contains("deletion scheduled in 7 days"),
        "{}",
        destroyed.stdout
    );
    let pending = key(&kms, &arn).await;
    assert_eq!(
        pending.key_state(),
        Some(&aws_sdk_kms::types::KeyState::PendingDeletion)
    );
    assert!(pending.deletion_date().is_some());
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert!(plan.stdout.contains("+ key.archive"), "{}", plan.stdout);

    // The next apply brings the same key back, enabled.
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let restored = key(&kms, "alias/keys-demo/archive-v2").await;
    assert_eq!(restored.arn(), Some(arn.as_str()));
    assert_eq!(
        restored.key_state(),
        Some(&aws_sdk_kms::types::KeyState::Enabled)
    );
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);
    // Someone else's key is still untouched by destroy and apply.
    assert!(key(&kms, &theirs).await.enabled());
}
