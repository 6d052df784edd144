//! Saved plans through the real binary: `plan --out` → `apply PLANFILE` applies exactly
//! the plan, refuses when what it touches changed in AWS (and only then), refuses a plan
//! for another region, an edited file, or without its sensitive values; `plan --json` and
//! `show --json` keep their documented shape.

use std::path::Path;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};

use crate::harness::{Moto, Run, settings};

const SECRET: &str = "pl4n-s3cret-Value";

/// A small network whose tags carry a sensitive variable, so its value reaches AWS.
fn manifest(alb_port: u16, extra_group: bool) -> String {
    let mut text = format!(
        r#"stack: saved-demo
region: us-east-1
variables:
  owner_token: {{ sensitive: true }}
  team: {{ default: web }}
tags:
  team: ${{var.team}}
  owner: ${{var.owner_token}}
network:
  cidr: 10.1.0.0/16
  zones: 1
  subnets:
    public: [10.1.0.0/24]
  nat: none
security_groups:
  alb:
    description: load balancer
    ingress:
      - {{ port: {alb_port}, from: 0.0.0.0/0 }}
"#
    );
    if extra_group {
        text.push_str(
            "  backend:\n    description: app\n    ingress:\n      - { port: 3000, from: alb }\n",
        );
    }
    text
}

struct Stack {
    moto: Moto,
    dir: tempfile::TempDir,
}

impl Stack {
    fn new() -> Self {
        Self {
            moto: Moto::start(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn write(&self, text: &str) -> String {
        let path = self.path("stack.yaml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// edgectl with the sensitive value given, as CI would pass it.
    fn run(&self, args: &[&str]) -> Run {
        let secret = format!("owner_token={SECRET}");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--var", &secret]);
        let run = self.moto.edgectl(&all);
        assert_hidden(&format!("{args:?}"), &run);
        run
    }

    fn plan_out(&self, manifest: &str, file: &str) -> String {
        let path = self.write(manifest);
        let out = self.path(file);
        self.run(&["plan", "-f", &path, "--out", &out]).success();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(!text.contains(SECRET), "the plan file holds the secret");
        out
    }

    /// The stack applied with port 80 open on the ALB's group, then a plan saved that
    /// opens 8080 instead.
    fn applied_then_planned(&self) -> String {
        let path = self.write(&manifest(80, false));
        self.run(&["apply", "-f", &path, "--auto-approve"])
            .success();
        self.plan_out(&manifest(8080, false), "port.plan")
    }

    /// The stack's VPCs (moto also has a default one).
    async fn vpcs(&self) -> Vec<aws_sdk_ec2::types::Vpc> {
        let ec2 = self.moto.ec2().await;
        ec2.describe_vpcs()
            .filters(tagged("edgectl:stack", "saved-demo"))
            .send()
            .await
            .unwrap()
            .vpcs()
            .to_vec()
    }

    async fn alb_group(&self) -> aws_sdk_ec2::types::SecurityGroup {
        let ec2 = self.moto.ec2().await;
        ec2.describe_security_groups()
            .filters(tagged("edgectl:id", "security_group.alb"))
            .send()
            .await
            .unwrap()
            .security_groups()[0]
            .clone()
    }

    async fn alb_ports(&self) -> Vec<i32> {
        let mut ports: Vec<i32> = self
            .alb_group()
            .await
            .ip_permissions()
            .iter()
            .filter_map(|permission| permission.from_port())
            .collect();
        ports.sort();
        ports
    }
}

fn tagged(key: &str, value: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{key}"))
        .values(value)
        .build()
}

fn assert_hidden(what: &str, run: &Run) {
    crate::sensitive::assert_absent(SECRET, what, run);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_applies_exactly_what_it_says() {
    let stack = Stack::new();
    let first = stack.plan_out(&manifest(80, false), "first.plan");
    // The manifest moves on after the plan was made: the plan still applies only itself.
    let path = stack.write(&manifest(80, true));
    let applied = stack.run(&["apply", &first]).success();
    assert!(
        applied.stderr.contains("Apply complete: 6 created"),
        "{}",
        applied.stderr
    );
    let next = stack.run(&["plan", "-f", &path]).success();
    assert!(
        next.stdout.contains("+ security_group.backend")
            && next.stdout.contains("Plan: 2 to create, 0 to update"),
        "the later group was created, though it was not in the plan:\n{}",
        next.stdout
    );
    // The sensitive value reached AWS as the plan was applied.
    let vpcs = stack.vpcs().await;
    let owner = vpcs[0]
        .tags()
        .iter()
        .find(|tag| tag.key() == Some("owner"))
        .and_then(|tag| tag.value())
        .map(str::to_string);
    assert_eq!(owner.as_deref(), Some(SECRET));

    // An applied plan applied again: what it creates has appeared, so it is refused.
    let again = stack.run(&["apply", &first]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains("`vpc` appeared since the plan was made"),
        "{}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_refused_when_what_it_touches_changed() {
    let stack = Stack::new();
    let plan = stack.applied_then_planned();

    // Someone opens port 22 on the group the plan changes.
    let ec2 = stack.moto.ec2().await;
    let group = stack.alb_group().await.group_id().unwrap().to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("10.9.9.9/32").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let refused = stack.run(&["apply", &plan]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(
            "error: `security_group_rules.alb` changed since the plan was made: `ingress` was"
        ) && refused.stderr.contains("the plan is out of date"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        stack.alb_ports().await,
        [22, 80],
        "the refused plan changed the group"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_outside_the_plan_does_not_stop_it() {
    let stack = Stack::new();
    let plan = stack.applied_then_planned();
    // The VPC is not in the plan: a tag added by hand does not make it stale.
    let ec2 = stack.moto.ec2().await;
    let vpc = stack.vpcs().await[0].vpc_id().unwrap().to_string();
    ec2.create_tags()
        .resources(&vpc)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("cost-centre")
                .value("42")
                .build(),
        )
        .send()
        .await
        .unwrap();
    // `--auto-approve` out of habit is accepted: a saved plan is applied without asking.
    let applied = stack
        .run(&["apply", &plan, "-v", "--auto-approve"])
        .success();
    assert!(
        applied
            .stderr
            .contains("Apply complete: 0 created, 1 updated"),
        "{}",
        applied.stderr
    );
    assert_eq!(stack.alb_ports().await, [8080]);
    // Only the kinds the plan touches were read again (security groups, found through the
    // stack's VPCs): no subnet, gateway or route table read.
    for read in [
        "EC2.DescribeSubnets",
        "EC2.DescribeInternetGateways",
        "EC2.DescribeRouteTables",
    ] {
        assert!(
            !applied.stderr.contains(read),
            "{read} was called:\n{}",
            applied.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_for_elsewhere_edited_or_without_their_secret_are_refused() {
    let stack = Stack::new();
    let plan = stack.plan_out(&manifest(80, false), "first.plan");
    let untouched = |what: &str, run: &Run, expected: &str| {
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{what}: {}", run.stderr);
    };
    let elsewhere = stack.run(&["apply", &plan, "--region", "eu-west-1"]);
    untouched(
        "another region",
        &elsewhere,
        "was made for region `us-east-1`, but this run is for `eu-west-1`",
    );

    let edited = stack.path("edited.plan");
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(text.contains("10.1.0.0/24"));
    std::fs::write(&edited, text.replace("10.1.0.0/24", "10.1.9.0/24")).unwrap();
    untouched(
        "an edited plan",
        &stack.run(&["apply", &edited]),
        "its checksum does not match its content",
    );

    let other = stack.path("other-stack.plan");
    std::fs::write(&other, text.replace("saved-demo", "other-demo")).unwrap();
    untouched(
        "a plan whose stack was edited",
        &stack.run(&["apply", &other]),
        "its checksum does not match its content",
    );

    let without = stack.moto.edgectl(&["apply", &plan]);
    untouched(
        "no sensitive value",
        &without,
        "needs the value of sensitive variable `owner_token`",
    );
    let wrong = stack
        .moto
        .edgectl(&["apply", &plan, "--var", "owner_token=guess"]);
    untouched(
        "a wrong sensitive value",
        &wrong,
        "is not the one the plan was made with",
    );
    let too_old = stack.run(&["apply", &plan, "--max-plan-age", "0s"]);
    untouched("an old plan", &too_old, "plans older than 0s are refused");
    // None of them created anything.
    assert!(stack.vpcs().await.is_empty());
}

/// The JSON for scripts, pinned: `plan --json` of a first apply, `show --json` and `show`
/// of an update (hashes, ids, times and paths filtered).
#[tokio::test(flavor = "multi_thread")]
async fn plan_json_and_show_keep_their_shape() {
    let stack = Stack::new();
    let path = stack.write(&manifest(80, false));
    let json = stack.run(&["plan", "-f", &path, "--json"]).success();
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).expect("stdout is JSON");
    assert_eq!(parsed["format_version"], "1");
    assert_eq!(parsed["summary"]["create"], 6);
    assert!(
        !json.stdout.contains("Plan: 6 to create"),
        "people's plan on stdout"
    );
    let filtered = |text: &str| filter(text, stack.dir.path());
    settings().bind(|| insta::assert_snapshot!("plan_json_create", filtered(&json.stdout)));

    stack
        .run(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let plan = stack.plan_out(&manifest(8080, false), "port.plan");
    let shown = stack.moto.edgectl(&["show", &plan, "--json"]).success();
    assert_hidden("show --json", &shown);
    assert_eq!(shown.stdout, std::fs::read_to_string(&plan).unwrap());
    settings().bind(|| insta::assert_snapshot!("show_json_update", filtered(&shown.stdout)));
    let people = stack.moto.edgectl(&["show", &plan]).success();
    assert_hidden("show", &people);
    settings().bind(|| insta::assert_snapshot!("show_update", filtered(&people.stdout)));
}

/// Hashes, salts and the temporary folder vary from run to run.
fn filter(text: &str, dir: &Path) -> String {
    hashes_hidden(&text.replace(&*dir.to_string_lossy(), "[dir]"))
}

/// Replaces 32- and 64-digit hex strings (BLAKE3 hashes, salts) by `[hash]`.
fn hashes_hidden(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || ('a'..='f').contains(&c) {
            run.push(c);
            continue;
        }
        flush(&mut out, &mut run);
        out.push(c);
    }
    flush(&mut out, &mut run);
    out
}

fn flush(out: &mut String, run: &mut String) {
    if run.len() == 32 || run.len() == 64 {
        out.push_str("[hash]");
    } else {
        out.push_str(run);
    }
    run.clear();
}

/// A saved plan that syncs a folder uploads exactly the planned files: a file changed
/// after the plan stops its apply before anything of it is uploaded (a plan whose folder
/// is unchanged applies, here after the first apply made the objects live).
#[tokio::test(flavor = "multi_thread")]
async fn a_saved_sync_refuses_files_changed_since_the_plan() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::write(site.join("index.html"), "<h1>one</h1>").unwrap();
    std::fs::write(site.join("app.js"), "console.log(1)").unwrap();
    let manifest = dir.path().join("site.yaml");
    std::fs::write(
        &manifest,
        "stack: saved-site\nregion: us-east-1\nbuckets:\n  web:\n    name: saved-site-web\n    force_destroy: true\n    sync: { source: ./site, delete: true }\n",
    )
    .unwrap();
    let manifest = manifest.to_string_lossy().into_owned();
    let plan = dir.path().join("site.plan").to_string_lossy().into_owned();
    moto.edgectl(&["plan", "-f", &manifest, "--out", &plan])
        .success();
    moto.edgectl(&["apply", &plan]).success();

    // A second plan changes index.html; then the file changes again before the apply.
    std::fs::write(site.join("index.html"), "<h1>two</h1>").unwrap();
    moto.edgectl(&["plan", "-f", &manifest, "--out", &plan])
        .success();
    std::fs::write(site.join("index.html"), "<h1>three, unreviewed</h1>").unwrap();
    let refused = moto.edgectl(&["apply", &plan]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("`index.html` changed in the folder since the plan was made")
            && refused
                .stderr
                .contains("apply refused: nothing was changed"),
        "{}",
        refused.stderr
    );
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.sdk().await)
            .force_path_style(true)
            .build(),
    );
    let live = s3
        .get_object()
        .bucket("saved-site-web")
        .key("index.html")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(
        &live[..],
        b"<h1>one</h1>",
        "the unreviewed file was uploaded"
    );
}
