//! EFS end to end on `examples/service.yaml`: an encrypted file system with its lifecycle
//! and backups, a mount target in each private subnet behind its security group, an
//! access point, and the service mounting it (the task definition's EFS volume with
//! transit encryption and IAM authorisation, the container's mount point, the task role
//! allowed exactly ClientMount and ClientWrite on that file system); read back through
//! the SDK; a clean plan; changes in place; a file system someone else made left
//! untouched; destroy keeping the retained file system (its mount targets and access
//! point go, with the network), the next apply taking it up again, and a destroy without
//! `retain` deleting it.
//!
//! moto has neither PutBackupPolicy nor UpdateFileSystem: turning backups off and
//! changing the throughput mode are coded to AWS's API and not exercised here.

use crate::harness::{Moto, summary};

const FILE_SYSTEMS: &str = "file_systems:
  data:
    infrequent_access_after_days: 14
    security_groups: [efs]
    access_points:
      app: { path: /app, uid: 1000, gid: 1000, permissions: \"750\" }
RETAIN
";

fn manifest(certificate: &str, dir: &tempfile::TempDir, edits: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = vec![
        (
            "      - { port: 3000, from: alb }\n",
            "      - { port: 3000, from: alb }\n  efs:\n    ingress:\n      - { port: 2049, from: web }\n",
        ),
        (
            "    logs: { retention_days: 7 }\n",
            "    logs: { retention_days: 7 }\n    volumes:\n      data: { file_system: data, access_point: app, path: /var/lib/app }\n",
        ),
    ];
    all.extend(edits.iter().copied());
    crate::harness::service_example(certificate, dir, &all)
}

fn with_file_systems(retain: &str, lifecycle: &str) -> String {
    format!(
        "\n{}\nrepositories:\n",
        FILE_SYSTEMS.replace("RETAIN\n", retain)
    )
    .replace("infrequent_access_after_days: 14", lifecycle)
}

#[tokio::test(flavor = "multi_thread")]
async fn file_system_lifecycle() {
    let moto = Moto::start();
    let certificate = moto.certificate();
    let dir = tempfile::tempdir().unwrap();
    let sections = with_file_systems("", "infrequent_access_after_days: 14");
    let path = manifest(&certificate, &dir, &[("\nrepositories:\n", &sections)]);
    let sdk = moto.sdk().await;
    let efs = aws_sdk_efs::Client::new(&sdk);
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    let ec2 = aws_sdk_ec2::Client::new(&sdk);

    // Someone else's file system: never touched.
    let theirs = efs
        .create_file_system()
        .creation_token("someone-else")
        .send()
        .await
        .unwrap()
        .file_system_id()
        .to_string();

    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let listed = efs.describe_file_systems().send().await.unwrap();
    let fs = listed
        .file_systems()
        .iter()
        .find(|fs| fs.file_system_id() != theirs)
        .expect("the stack's file system")
        .clone();
    let id = fs.file_system_id().to_string();
    let tag = |key: &str| {
        fs.tags()
            .iter()
            .find(|tag| tag.key() == key)
            .map(|tag| tag.value().to_string())
    };
    assert_eq!(tag("edgectl:id").as_deref(), Some("file_system.data"));
    assert_eq!(tag("edgectl:retain").as_deref(), Some("true"));
    assert_eq!(fs.encrypted(), Some(true));
    let lifecycle = efs
        .describe_lifecycle_configuration()
        .file_system_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        lifecycle.lifecycle_policies()[0]
            .transition_to_ia()
            .map(|rule| rule.as_str()),
        Some("AFTER_14_DAYS")
    );
    let backup = efs
        .describe_backup_policy()
        .file_system_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(backup.backup_policy().unwrap().status().as_str(), "ENABLED");

    // A mount target in each private subnet, behind the `efs` group.
    let targets = efs
        .describe_mount_targets()
        .file_system_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(targets.mount_targets().len(), 2);
    let groups = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("service-demo-efs")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let efs_group = groups.security_groups()[0].group_id().unwrap().to_string();
    for target in targets.mount_targets() {
        let groups = efs
            .describe_mount_target_security_groups()
            .mount_target_id(target.mount_target_id())
            .send()
            .await
            .unwrap();
        assert_eq!(groups.security_groups(), std::slice::from_ref(&efs_group));
    }
    let points = efs
        .describe_access_points()
        .file_system_id(&id)
        .send()
        .await
        .unwrap();
    let point = &points.access_points()[0];
    assert_eq!(point.posix_user().unwrap().uid(), 1000);
    let root = point.root_directory().unwrap();
    assert_eq!(root.path(), Some("/app"));
    assert_eq!(root.creation_info().unwrap().permissions(), "750");
    let point_id = point.access_point_id().unwrap().to_string();

    // The service mounts it: encrypted in transit, authorised by the task role.
    let definition = crate::harness::latest_task_definition(&ecs, "service-demo-web").await;
    let volume = &definition.volumes()[0];
    assert_eq!(volume.name(), Some("data"));
    let config = volume.efs_volume_configuration().unwrap();
    assert_eq!(config.file_system_id(), id);
    assert_eq!(
        config.transit_encryption().map(|mode| mode.as_str()),
        Some("ENABLED")
    );
    let auth = config.authorization_config().unwrap();
    assert_eq!(auth.access_point_id(), Some(point_id.as_str()));
    assert_eq!(auth.iam().map(|mode| mode.as_str()), Some("ENABLED"));
    let mount = &definition.container_definitions()[0].mount_points()[0];
    assert_eq!(mount.source_volume(), Some("data"));
    assert_eq!(mount.container_path(), Some("/var/lib/app"));
    let (_, document) = crate::harness::role_policy(&iam, "web-task").await;
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let arn = format!("arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/{id}");
    let granted = |sid: &str| {
        document["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|statement| statement["Sid"] == sid)
            .map(|statement| (statement["Action"].clone(), statement["Resource"].clone()))
    };
    assert_eq!(
        granted("EdgectlFileSystemMount"),
        Some((
            serde_json::json!(["elasticfilesystem:ClientMount"]),
            serde_json::json!([arn])
        ))
    );
    assert_eq!(
        granted("EdgectlFileSystemWrite"),
        Some((
            serde_json::json!(["elasticfilesystem:ClientWrite"]),
            serde_json::json!([arn])
        ))
    );

    let plan = moto.edgectl(&["plan", "-f", &path]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // In place: the lifecycle.
    let sections = with_file_systems("", "infrequent_access_after_days: 30");
    let changed = manifest(&certificate, &dir, &[("\nrepositories:\n", &sections)]);
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert_eq!(
        summary(&plan),
        "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete.",
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let lifecycle = efs
        .describe_lifecycle_configuration()
        .file_system_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        lifecycle.lifecycle_policies()[0]
            .transition_to_ia()
            .map(|rule| rule.as_str()),
        Some("AFTER_30_DAYS")
    );
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // Destroy keeps the retained file system; its mount targets go with the network.
    let destroyed = moto
        .edgectl(&["destroy", "-f", &changed, "--auto-approve"])
        .success();
    assert!(
        destroyed
            .stdout
            .contains("`file_system.data` stays in place"),
        "{}",
        destroyed.stdout
    );
    let left = efs.describe_file_systems().send().await.unwrap();
    let ids: Vec<&str> = left
        .file_systems()
        .iter()
        .map(|fs| fs.file_system_id())
        .collect();
    assert!(ids.contains(&id.as_str()) && ids.contains(&theirs.as_str()));
    let targets = efs
        .describe_mount_targets()
        .file_system_id(&id)
        .send()
        .await
        .unwrap();
    assert!(targets.mount_targets().is_empty());

    // The next apply takes the same file system up again.
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let again = efs.describe_file_systems().send().await.unwrap();
    assert_eq!(again.file_systems().len(), 2, "no second file system");
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // Without `retain`, destroy deletes it (after its mount targets).
    let sections = with_file_systems("    retain: false\n", "infrequent_access_after_days: 30");
    let deleting = manifest(&certificate, &dir, &[("\nrepositories:\n", &sections)]);
    moto.edgectl(&["apply", "-f", &deleting, "--auto-approve"])
        .success();
    moto.edgectl(&["destroy", "-f", &deleting, "--auto-approve"])
        .success();
    let left = efs.describe_file_systems().send().await.unwrap();
    let ids: Vec<&str> = left
        .file_systems()
        .iter()
        .map(|fs| fs.file_system_id())
        .collect();
    assert_eq!(ids, [theirs.as_str()], "only someone else's is left");
}
