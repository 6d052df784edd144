//! The seed manifests against a real AWS account, as the Terraform provider's acceptance
//! tests run (issue 21): opt-in, never by default. With `EDGECTL_ACCEPTANCE=1` and AWS
//! credentials in the environment (`AWS_PROFILE`, or a CI role), each test applies one
//! shipped manifest made unique to the run, checks the next plan is clean, and destroys
//! it — also when the apply fails. A run killed half-way leaves a stack behind: `sweep`
//! finds every acceptance stack older than three hours by its tags (the Resource Groups
//! Tagging API) and destroys it with the manifest it was made from. The scheduled
//! workflow `.github/workflows/acceptance.yml` runs them on a sandbox account.
//!
//! Without `EDGECTL_ACCEPTANCE=1` these tests make no AWS call: they check the unique
//! manifests validate, and stop.
//!
//! - `EDGECTL_ACCEPTANCE_ZONE`: a public hosted zone of the sandbox account, for the
//!   manifests that answer on a domain (EdgeMind, HappyRobot with a domain); without it
//!   those run without their domain where the manifest allows, or are skipped.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::harness::{Run, edgectl_command, root};

const OPT_IN: &str = "EDGECTL_ACCEPTANCE";
/// The tag every acceptance stack carries: when its run started (Unix seconds).
const STARTED_TAG: &str = "edgectl-acceptance-started";
/// Stacks older than this are a killed run's: the sweeper removes them.
const ABANDONED_AFTER_SECONDS: u64 = 3 * 60 * 60;

/// One seed manifest as an acceptance stack: the text edits that make every name the
/// account (or AWS) holds unique to a run (`{run}` is the run's id, `{zone}` the sandbox
/// zone), what it destroys for good that it retains in production, and its variables.
struct Seed {
    path: &'static str,
    /// The stack name as it becomes (`{run}` in it): the sweeper reads the run back.
    stack: &'static str,
    edits: &'static [(&'static str, &'static str)],
    vars: &'static [&'static str],
    env: Option<&'static str>,
    /// The edits name the sandbox zone: skipped without one.
    needs_zone: bool,
}

const SEEDS: &[Seed] = &[
    Seed {
        path: "manifests/edgemind-prod.yaml",
        stack: "edgemind-{run}",
        edits: &[
            ("stack: edgemind-prod\n", "stack: edgemind-{run}\n"),
            ("edgemind-prod-", "edgemind-{run}-"),
            (
                "    name: edgemind/mqtt\n",
                "    name: edgemind-{run}/mqtt\n    retain: false\n    recovery_window_days: 7\n",
            ),
            (
                "    name: edgemind/influxdb\n",
                "    name: edgemind-{run}/influxdb\n    retain: false\n    recovery_window_days: 7\n",
            ),
            ("edgemind.local", "edgemind-{run}.local"),
            (
                "  influxdb:\n    infrequent_access_after_days: 14\n",
                "  influxdb:\n    retain: false\n    infrequent_access_after_days: 14\n",
            ),
            (
                "edge-mind.concept-reply-sandbox.com",
                "edge-mind-{run}.{zone}",
            ),
            ("concept-reply-sandbox.com", "{zone}"),
            (
                "source: ./edgemind-frontend",
                "source: {root}/manifests/edgemind-frontend",
            ),
        ],
        vars: &[],
        env: None,
        needs_zone: true,
    },
    Seed {
        path: "manifests/happyrobot-fde.yaml",
        stack: "happyrobot-fde-{run}",
        edits: &[
            (
                "happyrobot-fde-alb-access-logs-${env}",
                "happyrobot-fde-alb-access-logs-${env}-{run}",
            ),
            (
                "    identifier: happyrobot-fde-postgres${var.suffix}\n",
                "    identifier: happyrobot-fde-postgres${var.suffix}\n    skip_final_snapshot: true\n",
            ),
        ],
        vars: &["suffix=-{run}"],
        env: Some("dev"),
        needs_zone: false,
    },
    Seed {
        path: "manifests/cloudiot.yaml",
        stack: "cloudiot-{run}",
        edits: &[("retain: true", "retain: false")],
        vars: &["stage={run}"],
        env: None,
        needs_zone: false,
    },
    Seed {
        path: "manifests/manufacturing.yaml",
        stack: "manufacturing-development-{run}",
        edits: &[("retain: true", "retain: false")],
        vars: &["tenant={run}"],
        env: Some("development"),
        needs_zone: false,
    },
];

/// Whether the tests may touch AWS.
fn opted_in() -> bool {
    std::env::var(OPT_IN).is_ok_and(|value| value == "1")
}

/// A run id: short, lowercase, unique enough per account (seconds and process).
fn run_id() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "acc{:x}{:x}",
        now.as_secs() % 0x10_0000,
        std::process::id() % 0x100
    )
}

/// `seed` made unique to `run`, written to `dir`, with the command-line arguments that
/// plan it (manifest, variables, environment).
fn unique(
    seed: &Seed,
    run: &str,
    zone: &str,
    started: u64,
    dir: &tempfile::TempDir,
) -> Vec<String> {
    let fill = |text: &str| {
        text.replace("{run}", run)
            .replace("{zone}", zone)
            .replace("{root}", &root().display().to_string())
    };
    let mut text = std::fs::read_to_string(root().join(seed.path)).unwrap();
    for (from, to) in seed.edits {
        assert!(
            text.contains(from),
            "{} no longer contains {from:?}",
            seed.path
        );
        text = text.replace(from, &fill(to));
    }
    assert!(text.contains("\ntags:\n"), "{} has no tags", seed.path);
    text = text.replacen(
        "\ntags:\n",
        &format!("\ntags:\n  {STARTED_TAG}: \"{started}\"\n"),
        1,
    );
    let name = std::path::Path::new(seed.path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let mut args = vec!["-f".to_string(), path.to_string_lossy().into_owned()];
    for var in seed.vars {
        args.extend(["--var".to_string(), fill(var)]);
    }
    if let Some(env) = seed.env {
        args.extend(["--env".to_string(), env.to_string()]);
    }
    args
}

/// edgectl against the account the environment's credentials name (no endpoint).
fn edgectl(verb: &[&str], args: &[String]) -> Run {
    let mut all: Vec<&str> = verb.to_vec();
    all.extend(args.iter().map(String::as_str));
    let mut command = edgectl_command(&all, None);
    // The account's own credentials, not the tests' moto ones.
    for key in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_REGION",
        "AWS_EC2_METADATA_DISABLED",
    ] {
        match std::env::var_os(key) {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    if let Some(profile) = std::env::var_os("AWS_PROFILE") {
        command.env("AWS_PROFILE", profile);
    }
    let output = command.output().expect("run edgectl");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Destroys the stack when dropped, however the test ends.
struct Teardown(Vec<String>);

impl Drop for Teardown {
    fn drop(&mut self) {
        let run = edgectl(&["destroy", "--auto-approve"], &self.0);
        if run.code != 0 {
            eprintln!(
                "destroy failed; `sweep` will retry it after {ABANDONED_AFTER_SECONDS} s\n{}",
                run.stderr
            );
        }
    }
}

/// Applies `seed` to the account, plans clean, destroys; without the opt-in, only checks
/// its unique manifest validates.
fn accept(path: &str) {
    let seed = SEEDS
        .iter()
        .find(|seed| seed.path == path)
        .expect("a seed of this path");
    let zone = std::env::var("EDGECTL_ACCEPTANCE_ZONE").ok();
    let dir = tempfile::tempdir().unwrap();
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let run = run_id();
    let args = unique(
        seed,
        &run,
        zone.as_deref().unwrap_or("sandbox.example.com"),
        started,
        &dir,
    );
    let validate = edgectl(&["validate"], &args);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    if !opted_in() {
        eprintln!("{OPT_IN} is not 1: {path} validated as an acceptance stack, not applied");
        return;
    }
    if seed.needs_zone && zone.is_none() {
        eprintln!("EDGECTL_ACCEPTANCE_ZONE is not set: {path} needs a zone; skipped");
        return;
    }
    let _teardown = Teardown(args.clone());
    let apply = edgectl(&["apply", "--auto-approve"], &args);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let plan = edgectl(&["plan", "--detailed-exitcode"], &args);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

#[test]
fn edgemind_on_a_real_account() {
    accept("manifests/edgemind-prod.yaml");
}

#[test]
fn happyrobot_on_a_real_account() {
    accept("manifests/happyrobot-fde.yaml");
}

#[test]
fn cloudiot_on_a_real_account() {
    accept("manifests/cloudiot.yaml");
}

#[test]
fn manufacturing_on_a_real_account() {
    accept("manifests/manufacturing.yaml");
}

/// The acceptance stacks a killed run left (older than three hours, by their tag), each
/// destroyed with the manifest it was made from. Opt-in like the rest.
#[tokio::test(flavor = "multi_thread")]
async fn sweep() {
    if !opted_in() {
        eprintln!("{OPT_IN} is not 1: nothing swept");
        return;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut stacks = std::collections::BTreeMap::new();
    for region in ["us-east-1", "eu-south-2"] {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .load()
            .await;
        let tagging = aws_sdk_resourcegroupstagging::Client::new(&config);
        let mut pages = tagging
            .get_resources()
            .tag_filters(
                aws_sdk_resourcegroupstagging::types::TagFilter::builder()
                    .key(STARTED_TAG)
                    .build(),
            )
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("GetResources");
            for resource in page.resource_tag_mapping_list() {
                let tag = |key: &str| {
                    resource
                        .tags()
                        .iter()
                        .find(|tag| tag.key() == key)
                        .map(|tag| tag.value().to_string())
                };
                let (Some(stack), Some(started)) = (tag("edgectl:stack"), tag(STARTED_TAG)) else {
                    continue;
                };
                let started: u64 = started.parse().unwrap_or(now);
                if now.saturating_sub(started) > ABANDONED_AFTER_SECONDS {
                    stacks.insert(stack, started);
                }
            }
        }
    }
    let zone = std::env::var("EDGECTL_ACCEPTANCE_ZONE")
        .unwrap_or_else(|_| "sandbox.example.com".to_string());
    for (stack, started) in stacks {
        let found = SEEDS.iter().find_map(|seed| {
            let (before, after) = seed.stack.split_once("{run}")?;
            let run = stack.strip_prefix(before)?.strip_suffix(after)?;
            run.starts_with("acc").then(|| (seed, run.to_string()))
        });
        let Some((seed, run)) = found else {
            eprintln!("{stack}: no seed makes this stack; left for a person");
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let args = unique(seed, &run, &zone, started, &dir);
        let destroyed = edgectl(&["destroy", "--auto-approve"], &args);
        eprintln!("swept {stack}: exit {}", destroyed.code);
    }
}

/// Each seed's unique names differ from run to run and from the seed's own (so two runs,
/// and the production stack, never share a name).
#[test]
fn acceptance_stacks_share_no_name_with_the_seeds() {
    let dir = tempfile::tempdir().unwrap();
    for seed in SEEDS {
        let args = unique(seed, "acc1234", "sandbox.example.com", 0, &dir);
        // What AWS reads: the manifest without its comments.
        let text: String = std::fs::read_to_string(&args[1])
            .unwrap()
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .map(|line| format!("{line}\n"))
            .collect();
        let stack = seed.stack.replace("{run}", "acc1234");
        let valid = edgectl(&["validate"], &args);
        assert_eq!(valid.code, 0, "{}: {}", seed.path, valid.stderr);
        // The sweeper finds the seed and the run again from the stack's name.
        let said = format!("{}{}", valid.stdout, valid.stderr);
        assert!(
            said.contains(&format!("stack `{stack}`")),
            "{}: {said}",
            seed.path
        );
        // No name of the production stack survives (its secrets, buckets, zone records).
        for production in [
            "edgemind/mqtt",
            "edgemind-prod-frontend",
            "edge-mind.concept-reply-sandbox.com",
            "happyrobot-fde-alb-access-logs-dev\n",
        ] {
            assert!(!text.contains(production), "{}: {production}", seed.path);
        }
        assert!(!text.contains("retain: true"), "{}", seed.path);
    }
}
