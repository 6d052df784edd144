//! `edgectl policy` (#24 §6): a CI user holding only the policy it prints plans, applies,
//! plans clean and destroys each shipped manifest, with moto enforcing IAM
//! (`/moto-api/reset-auth`); a policy missing one action fails the run with the
//! AccessDenied message that names it.
//!
//! moto checks a request's action, and its resource only for S3 (the bucket or object)
//! and IAM (the role); the conditions edgectl writes (`aws:RequestedRegion`,
//! `aws:ResourceTag/edgectl:stack`) it reads from the request's parameters, so they fail
//! there: the policy moto is given keeps every statement's actions, its S3 and IAM
//! resources, and drops the conditions (`as_moto_checks`).

use std::process::{Command, Stdio};

use serde_json::{Value as Json, json};

use crate::harness::{Moto, Run, edgectl_command, environments, root, shipped_manifests};

/// The arguments a manifest needs besides `-f`: its certificate, its first environment.
fn manifest_args(moto: &Moto, file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let mut args = vec!["-f".to_string(), file.to_string()];
    if text.contains("certificate_arn:") {
        let region = text
            .lines()
            .find_map(|line| line.strip_prefix("region: "))
            .unwrap_or("us-east-1")
            .trim();
        args.push("--var".to_string());
        args.push(format!("certificate_arn={}", moto.certificate_in(region)));
    }
    if let Some(environment) = environments(&text).first() {
        args.push("--env".to_string());
        args.push(environment.clone());
    }
    args
}

/// edgectl against `moto` as the user whose access key is `key`.
fn as_user(moto: &Moto, key: &(String, String), args: &[String]) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command: Command = edgectl_command(&args, Some(&moto.url));
    command
        .env("AWS_ACCESS_KEY_ID", &key.0)
        .env("AWS_SECRET_ACCESS_KEY", &key.1)
        .stdin(Stdio::null());
    let output = command.output().expect("run edgectl");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The policy as moto can check it (see the module's comment).
fn as_moto_checks(policy: &Json) -> Json {
    let statements: Vec<Json> = policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|statement| {
            let actions = statement["Action"].as_array().expect("actions");
            let checked = actions.iter().all(|action| {
                let action = action.as_str().unwrap();
                action.starts_with("s3:") || action.starts_with("iam:")
            });
            json!({
                "Effect": statement["Effect"],
                "Action": statement["Action"],
                "Resource": if checked { statement["Resource"].clone() } else { json!("*") },
            })
        })
        .collect();
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// A user holding `policy` (inline), and its access key.
async fn user(moto: &Moto, name: &str, policy: &Json) -> (String, String) {
    let iam = aws_sdk_iam::Client::new(&moto.sdk().await);
    iam.create_user().user_name(name).send().await.unwrap();
    iam.put_user_policy()
        .user_name(name)
        .policy_name("edgectl")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    (
        key.access_key_id().to_string(),
        key.secret_access_key().to_string(),
    )
}

/// From now on, moto authorizes every request by its access key's policies.
fn enforce_iam(moto: &Moto, requests_before: &str) {
    let status = Command::new("curl")
        .args([
            "-sf",
            "-X",
            "POST",
            // A form's body would be parsed away; moto reads the raw number.
            "-H",
            "Content-Type: text/plain",
            "--data",
            requests_before,
            &format!("{}/moto-api/reset-auth", moto.url),
        ])
        .stdout(Stdio::null())
        .status()
        .expect("run curl");
    assert!(status.success(), "moto-api/reset-auth");
}

fn policy_of(args: &[String]) -> Json {
    let mut policy_args = vec!["policy".to_string()];
    policy_args.extend(args.iter().cloned());
    let args: Vec<&str> = policy_args.iter().map(String::as_str).collect();
    // `policy` makes no AWS call: no endpoint at all.
    let run = crate::harness::run_edgectl(&args, None, None).success();
    assert!(run.stderr.contains("statements,"), "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("the policy is JSON")
}

#[tokio::test]
async fn a_ci_user_with_only_the_printed_policy_deploys_every_shipped_manifest() {
    let moto = Moto::start();
    let mut cases = Vec::new();
    for (n, file) in shipped_manifests().into_iter().enumerate() {
        moto.external_zones(&file).await;
        let args = manifest_args(&moto, &file);
        let policy = policy_of(&args);
        let key = user(&moto, &format!("ci-{n}"), &as_moto_checks(&policy)).await;
        cases.push((file, args, key));
    }
    enforce_iam(&moto, "0");
    for (file, args, key) in &cases {
        let with = |command: &[&str]| -> Vec<String> {
            command
                .iter()
                .map(|word| word.to_string())
                .chain(args.iter().cloned())
                .collect()
        };
        let applied = as_user(&moto, key, &with(&["apply", "--auto-approve"]));
        assert_eq!(
            applied.code, 0,
            "{file}: apply as the CI user\n{}",
            applied.stderr
        );
        let planned = as_user(&moto, key, &with(&["plan", "--detailed-exitcode"]));
        assert_eq!(
            planned.code, 0,
            "{file}: plan after apply is not clean\n{}{}",
            planned.stdout, planned.stderr
        );
        let destroyed = as_user(&moto, key, &with(&["destroy", "--auto-approve"]));
        assert_eq!(
            destroyed.code, 0,
            "{file}: destroy as the CI user\n{}",
            destroyed.stderr
        );
        let after = as_user(&moto, key, &with(&["plan", "--detailed-exitcode"]));
        assert!(
            after.stdout.contains("create") || after.code == 2,
            "{file}: after destroy, plan creates everything again\n{}",
            after.stderr
        );
    }
    // The test's own credentials (no user of moto's IAM) are refused now: IAM was
    // enforced throughout.
    let outsider = as_user(
        &moto,
        &("test".to_string(), "test".to_string()),
        &with_file("examples/network.yaml", "plan"),
    );
    assert_eq!(outsider.code, 1, "{}", outsider.stderr);
}

fn with_file(file: &str, command: &str) -> Vec<String> {
    vec![command.to_string(), "-f".to_string(), file.to_string()]
}

/// One action short of the printed policy (the VPC's create): apply stops there, naming
/// the action and the statement to add, and makes nothing that depends on it.
#[tokio::test]
async fn a_policy_short_of_one_action_fails_naming_it() {
    let moto = Moto::start();
    let args = vec!["-f".to_string(), "examples/network.yaml".to_string()];
    let mut policy = as_moto_checks(&policy_of(&args));
    let mut removed = 0;
    for statement in policy["Statement"].as_array_mut().unwrap() {
        let actions = statement["Action"].as_array_mut().unwrap();
        let before = actions.len();
        actions.retain(|action| action != "ec2:CreateVpc");
        removed += before - actions.len();
    }
    assert_eq!(removed, 1, "the network's policy allows ec2:CreateVpc once");
    let key = user(&moto, "ci", &policy).await;
    enforce_iam(&moto, "0");
    let mut apply = with_file("examples/network.yaml", "apply");
    apply.push("--auto-approve".to_string());
    let run = as_user(&moto, &key, &apply);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("may not call `ec2:CreateVpc`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("add {\"Action\":\"ec2:CreateVpc\",\"Effect\":\"Allow\",\"Resource\":\"*\"}"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("subnet.") || run.stderr.contains("skipped"),
        "{}",
        run.stderr
    );
}

/// What moto cannot check, checked on the printed policy itself: deletes need the
/// stack's tag, EC2 tags are written by a create or on the stack's own, what is allowed
/// on any resource is held to the stack's regions (global services aside), names make
/// ARNs, and nothing allows every action of a service.
#[test]
fn the_printed_policy_is_scoped() {
    let args: Vec<String> = ["-f", "manifests/edgemind-prod.yaml"]
        .iter()
        .map(|word| word.to_string())
        .collect();
    let policy = policy_of(&args);
    let statements = policy["Statement"].as_array().unwrap();
    let holding = |action: &str| -> Vec<&Json> {
        statements
            .iter()
            .filter(|statement| {
                statement["Action"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|found| found == action)
            })
            .collect()
    };
    for delete in [
        "ec2:DeleteVpc",
        "ecs:DeleteService",
        "elasticloadbalancing:DeleteLoadBalancer",
    ] {
        for statement in holding(delete) {
            assert_eq!(
                statement["Condition"]["StringEquals"]["aws:ResourceTag/edgectl:stack"],
                json!("edgemind-prod"),
                "{delete}: {statement:#}"
            );
        }
        assert!(!holding(delete).is_empty(), "{delete} is allowed");
    }
    for statement in holding("ec2:CreateTags") {
        let condition = &statement["Condition"];
        assert!(
            condition["Null"]["ec2:CreateAction"] == json!("false")
                || condition["StringEquals"]["aws:ResourceTag/edgectl:stack"]
                    == json!("edgemind-prod"),
            "{statement:#}"
        );
    }
    let global = ["iam:", "cloudfront:", "route53:", "sts:"];
    for statement in statements {
        let actions = statement["Action"].as_array().unwrap();
        assert!(
            actions
                .iter()
                .all(|action| !action.as_str().unwrap().ends_with(":*")),
            "{statement:#}"
        );
        let regional = actions.iter().any(|action| {
            !global
                .iter()
                .any(|prefix| action.as_str().unwrap().starts_with(prefix))
        });
        if statement["Resource"] == json!("*") && regional {
            assert_eq!(
                statement["Condition"]["StringEquals"]["aws:RequestedRegion"],
                json!(["us-east-1"]),
                "{statement:#}"
            );
        }
    }
    let bucket = holding("s3:PutBucketPolicy");
    assert_eq!(bucket.len(), 1);
    assert_eq!(
        bucket[0]["Resource"],
        json!([
            "arn:aws:s3:::edgemind-prod-cdn-logs",
            "arn:aws:s3:::edgemind-prod-frontend"
        ])
    );
    let roles = holding("iam:PassRole");
    assert_eq!(roles.len(), 1);
    assert_eq!(
        roles[0]["Resource"],
        json!("arn:aws:iam::*:role/edgectl/edgemind-prod/*")
    );
}

/// `policy --adopt` holds what `edgectl adopt` calls: a user with only it takes over
/// what was made by hand (moto checks the actions, not the tag conditions).
#[tokio::test]
async fn a_ci_user_with_the_adopt_policy_adopts() {
    let moto = Moto::start();
    crate::adopt::make_legacy(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let manifest = crate::harness::written(&dir, "legacy.yaml", crate::adopt::MANIFEST);
    let file = vec!["-f".to_string(), manifest.clone()];
    let mut asked = file.clone();
    asked.push("--adopt".to_string());
    let policy = policy_of(&asked);
    let statement = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|statement| {
            statement["Sid"]
                .as_str()
                .unwrap()
                .starts_with("AdoptingIntoTheStack")
        })
        .expect("a statement for adopt's tag writes");
    assert_eq!(
        statement["Condition"]["StringEquals"]["aws:RequestTag/edgectl:stack"],
        json!("legacy")
    );
    assert_eq!(
        statement["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"],
        json!(["edgectl:stack", "edgectl:id", "edgectl:retain"])
    );
    assert_eq!(
        statement["Condition"]["StringEqualsIfExists"]["aws:ResourceTag/edgectl:stack"],
        json!("legacy")
    );
    let without = policy_of(&file);
    assert!(!without.to_string().contains("AdoptingIntoTheStack"));
    let key = user(&moto, "adopter", &as_moto_checks(&policy)).await;
    enforce_iam(&moto, "0");
    let mut adopt = vec!["adopt".to_string()];
    adopt.extend(file);
    adopt.push("--auto-approve".to_string());
    adopt.extend(crate::adopt::ADOPTED.iter().map(ToString::to_string));
    let run = as_user(&moto, &key, &adopt);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("adopted 15 resources"),
        "{}",
        run.stderr
    );
}
