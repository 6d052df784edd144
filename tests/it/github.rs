//! GitHub Actions (`examples/github/`): each workflow's edgectl steps run as the runner
//! runs a `run:` step — `bash -e`, the workflow's, job's and step's `env`, and
//! `GITHUB_ACTIONS`, `GITHUB_SHA`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` — in a checkout
//! holding EdgeMind's manifest and its frontend, against moto. The steps that are not
//! edgectl's (checkout, OIDC credentials, docker, the pull request's comment, artifacts)
//! are GitHub's and are skipped; jobs run in the file's order, in one checkout (as the
//! artifact between them would carry the plan). `actionlint` checks the files where it is
//! installed. Annotations and the job's summary are checked here too.

use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::harness::{Moto, Run, clean_environment, copy_dir, root};

const MANIFEST: &str = "manifests/edgemind-prod.yaml";
const SHA: &str = "4f2c9a1d6e8b7f3a5c0e2d4b6a8f1c3e5d7b9a0c";

/// A checkout: the manifest and its synced folder, and the files the runner gives a step.
struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("manifests")).unwrap();
        std::fs::copy(root().join(MANIFEST), dir.path().join(MANIFEST)).unwrap();
        copy_dir(
            &root().join("manifests/edgemind-frontend"),
            &dir.path().join("manifests/edgemind-frontend"),
        );
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }
}

/// A step is edgectl's when a line of its script runs it.
fn runs_edgectl(script: &str) -> bool {
    script
        .lines()
        .any(|line| line.trim_start().starts_with("edgectl "))
        || script.contains("|| edgectl ")
}

fn env_of(node: &Yaml) -> Vec<(String, String)> {
    node["env"]
        .as_hash()
        .map(|hash| {
            hash.iter()
                .filter_map(|(key, value)| {
                    let value = match value {
                        Yaml::String(text) => text.clone(),
                        Yaml::Integer(number) => number.to_string(),
                        Yaml::Boolean(flag) => flag.to_string(),
                        _ => return None,
                    };
                    Some((key.as_str()?.to_string(), value))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `workflow`'s edgectl steps, in order, each checked: the name of each, and what it
/// did. The job's summary and outputs accumulate in the checkout.
fn run_workflow(moto: &Moto, checkout: &Checkout, workflow: &str) -> Vec<(String, Run)> {
    let text = std::fs::read_to_string(root().join("examples/github").join(workflow)).unwrap();
    let document = &YamlLoader::load_from_str(&text).unwrap()[0];
    let binaries = Path::new(env!("CARGO_BIN_EXE_edgectl")).parent().unwrap();
    let path = format!(
        "{}:{}",
        binaries.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = Vec::new();
    let jobs = document["jobs"].as_hash().expect("jobs");
    for (job_name, job) in jobs {
        for step in job["steps"].as_vec().expect("steps") {
            let Some(script) = step["run"].as_str() else {
                continue;
            };
            let name = step["name"].as_str().unwrap_or(script).to_string();
            // What any step's script is given comes through the environment, never an
            // expression pasted into it (GitHub's advice against script injection).
            assert!(
                !script.contains("${{"),
                "{workflow}: step `{name}` pastes an expression into its script"
            );
            if !runs_edgectl(script) {
                continue;
            }
            let mut command = Command::new("bash");
            command
                .args(["-e", "-c", script])
                .current_dir(checkout.dir.path());
            clean_environment(&mut command, Some(&moto.url));
            command
                .env("PATH", &path)
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_WORKSPACE", checkout.dir.path())
                .env("GITHUB_SHA", SHA)
                .env("GITHUB_OUTPUT", checkout.path("github-output"))
                .env("GITHUB_STEP_SUMMARY", checkout.path("step-summary.md"));
            for scope in [document, job, step] {
                command.envs(env_of(scope));
            }
            let output = command.output().unwrap();
            let run = Run {
                code: output.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            };
            assert_eq!(
                run.code,
                0,
                "{workflow}: job `{}`, step `{name}` failed\nstdout:\n{}\nstderr:\n{}",
                job_name.as_str().unwrap_or("?"),
                run.stdout,
                run.stderr
            );
            ran.push((name, run));
        }
    }
    ran
}

fn names(ran: &[(String, Run)]) -> Vec<&str> {
    ran.iter().map(|(name, _)| name.as_str()).collect()
}

/// The four workflows, in the order a team meets them: a pull request's plan, the deploy
/// of the reviewed plan on main, a backend release (a new image), a frontend release (a
/// changed file), and the next pull request's plan, clean.
#[tokio::test]
async fn the_example_workflows_run_their_edgectl_steps() {
    let moto = Moto::start();
    moto.external_zones(MANIFEST).await;
    let checkout = Checkout::new();

    // A pull request: validate, then the plan as a comment, the job's summary and an output.
    let ran = run_workflow(&moto, &checkout, "pull-request.yml");
    assert_eq!(names(&ran), ["Validate", "Plan"]);
    let comment = checkout.read("plan.md");
    assert!(
        comment.starts_with("### edgectl plan: stack `edgemind-prod` in us-east-1\n"),
        "{comment}"
    );
    assert!(
        comment.contains("<details><summary><code>+ vpc  create</code></summary>"),
        "{comment}"
    );
    assert!(checkout.read("github-output").contains("changes=true"));
    assert!(checkout.read("step-summary.md").contains(&comment));

    // Main: the plan saved as the artifact, then applied as reviewed.
    let ran = run_workflow(&moto, &checkout, "main.yml");
    assert_eq!(names(&ran), ["Plan", "Apply the reviewed plan"]);
    assert!(checkout.path("edgemind-prod.plan").exists());
    // The apply job runs only when the plan job says there are changes.
    assert!(checkout.read("github-output").ends_with("changes=true\n"));
    let summary = checkout.read("step-summary.md");
    assert!(summary.contains("**Apply complete: "), "{summary}");
    assert!(
        summary.contains("| FrontendBucketName | `edgemind-prod-frontend` |"),
        "{summary}"
    );

    // A backend release: the commit's image, deployed by one apply.
    let ran = run_workflow(&moto, &checkout, "edgemind-backend.yml");
    assert_eq!(names(&ran), ["Deploy"]);
    let ecs = aws_sdk_ecs::Client::new(&moto.sdk().await);
    let service = ecs
        .describe_services()
        .cluster("edgemind-prod-cluster")
        .services("edgemind-prod-backend")
        .send()
        .await
        .unwrap();
    let definition = ecs
        .describe_task_definition()
        .task_definition(service.services()[0].task_definition().unwrap())
        .send()
        .await
        .unwrap();
    let image = definition
        .task_definition()
        .unwrap()
        .container_definitions()[0]
        .image()
        .unwrap()
        .to_string();
    assert!(
        image.ends_with(&format!("/edgemind-prod-backend:{SHA}")),
        "{image}"
    );

    // A frontend release: one changed file, uploaded by sync.
    let index = checkout.path("manifests/edgemind-frontend/index.html");
    std::fs::write(&index, "<!doctype html><title>EdgeMind, released</title>\n").unwrap();
    let ran = run_workflow(&moto, &checkout, "edgemind-frontend.yml");
    assert_eq!(names(&ran), ["Sync"]);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.sdk().await)
            .force_path_style(true)
            .build(),
    );
    let object = s3
        .get_object()
        .bucket("edgemind-prod-frontend")
        .key("index.html")
        .send()
        .await
        .unwrap();
    let body = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        &body[..],
        b"<!doctype html><title>EdgeMind, released</title>\n"
    );

    // The next pull request: nothing to change (CI owns the image tag; the content is in
    // sync), and the comment says so.
    std::fs::remove_file(checkout.path("github-output")).unwrap();
    run_workflow(&moto, &checkout, "pull-request.yml");
    let comment = checkout.read("plan.md");
    assert!(comment.contains("**No changes**"), "{comment}");
    assert!(checkout.read("github-output").contains("changes=false"));
}

/// Every workflow is valid for actionlint, where it is installed (CI machines need not
/// have it: the test says so and checks nothing else).
#[test]
fn the_example_workflows_pass_actionlint_where_installed() {
    let Ok(output) = Command::new("actionlint")
        .args(["-shellcheck=", "-pyflakes="])
        .arg(root().join("examples/github/pull-request.yml"))
        .arg(root().join("examples/github/main.yml"))
        .arg(root().join("examples/github/edgemind-backend.yml"))
        .arg(root().join("examples/github/edgemind-frontend.yml"))
        .output()
    else {
        eprintln!("actionlint is not installed: the workflows were not linted");
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// On GitHub Actions, a manifest's errors are annotations at their line and column (the
/// runner shows them on the pull request's diff), with the help; a warning is one on the
/// file; the same run without GITHUB_ACTIONS writes none.
#[test]
fn manifest_errors_are_annotations_on_github_actions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stack.yaml");
    std::fs::write(
        &path,
        "stack: demo\nregion: us-east-1\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 2\n  subnets:\n    public: [10.0.0.0/24, 10.0.1.0/24]\nsecurity_groups:\n  web:\n    ingress:\n      - { prot: 80, from: 0.0.0.0/0 }\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let run = |github: bool| {
        let mut command = crate::harness::edgectl_command(&["validate", "-f", path], None);
        if github {
            command
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_WORKSPACE", dir.path());
        }
        let output = command.output().unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let annotated = run(true);
    // The file as the runner names it: relative to the workspace.
    let expected = "::error file=stack.yaml,line=11,col=11,endColumn=15,title=edgectl%3A invalid manifest::unknown field `prot`";
    assert!(annotated.contains(expected), "{annotated}");
    assert!(annotated.contains("%0Ahelp: "), "{annotated}");
    let plain = run(false);
    assert!(!plain.contains("::error"), "{plain}");
    // What people read is the same either way.
    assert!(
        plain.lines().all(|line| annotated.contains(line)),
        "{plain}"
    );
}
