//! RDS PostgreSQL end to end on `examples/service.yaml`: a database in the private
//! subnets behind its security group, with its subnet group, a parameter group of the
//! manifest's parameters, encryption, backups, Performance Insights and enhanced
//! monitoring (its role made for it); the master password kept by RDS in Secrets Manager
//! and injected into the service (`databases.main:password`), its endpoint in the
//! service's environment (`${databases.main.endpoint}`); read back through the SDK; a
//! clean plan; a class change waiting for the maintenance window, said in the plan; a
//! replacement refused unless allowed; an identifier taken by someone else refused; and
//! destroy with a final snapshot.
//!
//! moto applies every ModifyDBInstance at once (AWS holds one without ApplyImmediately in
//! PendingModifiedValues until the window: observe reads those as the instance's values),
//! makes an instance `available` on its first read (AWS: minutes), and does not check
//! parameter names or values.

use crate::harness::{Moto, summary};

const DATABASE: &str = "databases:
  main:
    version: \"15\"
    class: db.t3.micro
    storage: 20
    storage_type: gp3
    subnets: private
    security_groups: [db]
    database: app
    backup_retention_days: 1
    performance_insights: true
    monitoring_interval: 60
    parameters:
      max_connections: 200
      log_min_duration_statement: 1000
      shared_preload_libraries: pg_stat_statements
EXTRA
";

fn manifest(certificate: &str, dir: &tempfile::TempDir, extra: &str) -> String {
    let database = format!("\n{}\nrepositories:\n", DATABASE.replace("EXTRA\n", extra));
    crate::harness::service_example(
        certificate,
        dir,
        &[
            (
                "      - { port: 3000, from: alb }\n",
                "      - { port: 3000, from: alb }\n  db:\n    ingress:\n      - { port: 5432, from: web }\n",
            ),
            ("\nrepositories:\n", &database),
            (
                "    environment: { NODE_ENV: production }\n",
                "    environment:\n      NODE_ENV: production\n      DATABASE_HOST: ${databases.main.endpoint}\n    secrets:\n      DATABASE_PASSWORD: databases.main:password\n",
            ),
        ],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn database_lifecycle() {
    let moto = Moto::start();
    let certificate = moto.certificate();
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(&certificate, &dir, "");
    let sdk = moto.sdk().await;
    let rds = aws_sdk_rds::Client::new(&sdk);
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);

    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let found = rds
        .describe_db_instances()
        .db_instance_identifier("service-demo-main")
        .send()
        .await
        .unwrap();
    let db = found.db_instances()[0].clone();
    assert_eq!(db.engine(), Some("postgres"));
    assert!(db.engine_version().unwrap().starts_with("15"));
    assert_eq!(db.db_instance_class(), Some("db.t3.micro"));
    assert_eq!(db.allocated_storage(), Some(20));
    assert_eq!(db.storage_type(), Some("gp3"));
    assert_eq!(db.storage_encrypted(), Some(true));
    assert_eq!(db.backup_retention_period(), Some(1));
    assert_eq!(db.performance_insights_enabled(), Some(true));
    assert_eq!(db.monitoring_interval(), Some(60));
    assert!(
        db.monitoring_role_arn()
            .unwrap()
            .ends_with("service-demo-main-monitoring")
    );
    assert_eq!(db.db_name(), Some("app"));
    assert_eq!(db.publicly_accessible(), Some(false));
    let tag = |key: &str| {
        db.tag_list()
            .iter()
            .find(|tag| tag.key() == Some(key))
            .and_then(|tag| tag.value())
            .map(str::to_string)
    };
    assert_eq!(tag("edgectl:id").as_deref(), Some("database.main"));
    assert_eq!(tag("edgectl:final-snapshot").as_deref(), Some("take"));
    let group = db.db_subnet_group().unwrap();
    assert_eq!(group.subnets().len(), 2);
    let parameter_group = db.db_parameter_groups()[0]
        .db_parameter_group_name()
        .unwrap()
        .to_string();
    let parameters = rds
        .describe_db_parameters()
        .db_parameter_group_name(&parameter_group)
        .send()
        .await
        .unwrap();
    let value = |name: &str| {
        parameters
            .parameters()
            .iter()
            .find(|p| p.parameter_name() == Some(name))
            .and_then(|p| p.parameter_value())
            .map(str::to_string)
    };
    assert_eq!(value("max_connections").as_deref(), Some("200"));
    assert_eq!(
        value("shared_preload_libraries").as_deref(),
        Some("pg_stat_statements")
    );

    // The service: the endpoint in its environment, the managed secret's password key
    // as a secret, and its execution role may read that secret.
    let secret = db
        .master_user_secret()
        .unwrap()
        .secret_arn()
        .unwrap()
        .to_string();
    let endpoint = db.endpoint().unwrap().address().unwrap().to_string();
    let definition = crate::harness::latest_task_definition(&ecs, "service-demo-web").await;
    let container = &definition.container_definitions()[0];
    let host = container
        .environment()
        .iter()
        .find(|pair| pair.name() == Some("DATABASE_HOST"))
        .and_then(|pair| pair.value());
    assert_eq!(host, Some(endpoint.as_str()));
    assert_eq!(
        container.secrets()[0].value_from(),
        format!("{secret}:password::")
    );
    let (_, document) = crate::harness::role_policy(&iam, "web-execution").await;
    assert!(document.contains(&secret), "{document}");

    let plan = moto.edgectl(&["plan", "-f", &path]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // A new class waits for the maintenance window, and the plan says so.
    let bigger = std::fs::read_to_string(manifest(&certificate, &dir, ""))
        .unwrap()
        .replace("db.t3.micro", "db.t3.small");
    let bigger_path = dir.path().join("bigger.yaml");
    std::fs::write(&bigger_path, bigger).unwrap();
    let bigger_path = bigger_path.to_string_lossy().into_owned();
    let plan = moto.edgectl(&["plan", "-f", &bigger_path]).success();
    assert!(
        plan.stdout
            .contains("in the next maintenance window: class"),
        "{}",
        plan.stdout
    );
    moto.edgectl(&["apply", "-f", &bigger_path, "--auto-approve"])
        .success();
    let plan = moto.edgectl(&["plan", "-f", &bigger_path]).success();
    assert!(summary(&plan).starts_with("No changes"), "{}", plan.stdout);

    // A new master username would make a new, empty instance: refused unless allowed.
    let renamed = manifest(&certificate, &dir, "    username: admin\n");
    let refused = moto.edgectl(&["plan", "-f", &renamed]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("allow_replacement: true"),
        "{}",
        refused.stderr
    );

    // Destroy takes a final snapshot.
    moto.edgectl(&["destroy", "-f", &bigger_path, "--auto-approve"])
        .success();
    let left = rds.describe_db_instances().send().await.unwrap();
    assert!(left.db_instances().is_empty(), "{left:?}");
    let snapshots = rds.describe_db_snapshots().send().await.unwrap();
    assert!(
        snapshots.db_snapshots().iter().any(|snapshot| snapshot
            .db_snapshot_identifier()
            .is_some_and(|id| id.starts_with("service-demo-main-final-"))),
        "{snapshots:?}"
    );
    let groups = rds.describe_db_subnet_groups().send().await.unwrap();
    assert!(groups.db_subnet_groups().is_empty());
}

/// An identifier someone else's instance holds: refused before anything changes.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_identifier_taken_by_someone_else_is_refused() {
    let moto = Moto::start();
    let certificate = moto.certificate();
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(&certificate, &dir, "");
    let sdk = moto.sdk().await;
    let rds = aws_sdk_rds::Client::new(&sdk);
    rds.create_db_instance()
        .db_instance_identifier("service-demo-main")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("someone")
        .master_user_password("not-ours-123")
        .send()
        .await
        .unwrap();
    let refused = moto.edgectl(&["apply", "-f", &path, "--auto-approve"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains("DB instance `service-demo-main` already exists"),
        "{}",
        refused.stderr
    );
    let theirs = rds
        .describe_db_instances()
        .db_instance_identifier("service-demo-main")
        .send()
        .await
        .unwrap();
    let theirs = &theirs.db_instances()[0];
    assert_eq!(theirs.master_username(), Some("someone"));
    assert!(theirs.tag_list().is_empty());
}

/// A PostgreSQL version RDS no longer creates (the HappyRobot seed's 15.4) is refused at
/// plan time, naming the versions RDS offers, before anything is made; a minor that
/// automatic minor upgrades moved past the one written is no change.
#[tokio::test(flavor = "multi_thread")]
async fn versions_rds_does_not_create_are_refused_and_later_minors_are_no_change() {
    let moto = Moto::start();
    let certificate = moto.certificate();
    let dir = tempfile::tempdir().unwrap();
    let path = manifest(&certificate, &dir, "");
    let retired = std::fs::read_to_string(&path)
        .unwrap()
        .replace("version: \"15\"", "version: \"15.4\"");
    std::fs::write(&path, retired).unwrap();
    let plan = moto.edgectl(&["plan", "-f", &path]);
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    assert!(
        plan.stderr.contains(
            "RDS no longer creates PostgreSQL 15.4; it offers 15.12, 15.13, 15.14: write `version: \"15\"`"
        ),
        "{}",
        plan.stderr
    );
    let apply = moto.edgectl(&["apply", "-f", &path, "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", apply.stderr);
    let sdk = moto.sdk().await;
    let rds = aws_sdk_rds::Client::new(&sdk);
    let instances = rds.describe_db_instances().send().await.unwrap();
    assert!(instances.db_instances().is_empty());

    // Pinned at 15.12, upgraded by RDS to 15.13: nothing to do, never a downgrade.
    let pinned = std::fs::read_to_string(&path)
        .unwrap()
        .replace("version: \"15.4\"", "version: \"15.12\"");
    std::fs::write(&path, pinned).unwrap();
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    rds.modify_db_instance()
        .db_instance_identifier("service-demo-main")
        .engine_version("15.13")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let again = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}
