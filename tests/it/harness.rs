//! Starting moto, running edgectl, reading AWS back through the SDK.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned moto server: `EDGECTL_MOTO_SERVER`, else installed by `scripts/moto-venv`.
pub fn moto_server() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(path) = std::env::var_os("EDGECTL_MOTO_SERVER") {
            return PathBuf::from(path);
        }
        let output = Command::new(root().join("scripts/moto-venv"))
            .output()
            .expect("run scripts/moto-venv");
        assert!(
            output.status.success(),
            "installing moto failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
    })
}

pub struct Moto {
    child: Child,
    pub url: String,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    pub fn start() -> Self {
        Self::start_with(true, None)
    }

    /// A moto whose services never report running tasks: every rollout waits (until
    /// `--timeout`), as one whose tasks fail their health checks does on AWS.
    pub fn start_with_rollouts_stuck() -> Self {
        Self::start_with(false, None)
    }

    /// A moto where a deployment of an image whose name contains `marker` fails as AWS's
    /// does when its essential container exits: two stopped tasks with exit code 1 and a
    /// log line each, the rollout FAILED, or rolled back by the circuit breaker when it
    /// may (patch 21 of `scripts/patch-moto.py`).
    pub fn start_with_failing_image(marker: &str) -> Self {
        Self::start_with(true, Some(marker))
    }

    fn start_with(rollouts_complete: bool, failing_image: Option<&str>) -> Self {
        // Another process may take the port between our probe and moto's bind: try again.
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir");
            let log = dir.path().join("moto.log");
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("free port")
                .port();
            let mut command = Command::new(moto_server());
            if rollouts_complete {
                // Services report this many running tasks, so rollouts complete (moto
                // runs none).
                command.env("MOTO_ECS_SERVICE_RUNNING", "10");
            }
            if let Some(marker) = failing_image {
                command.env("MOTO_ECS_FAILING_IMAGE", marker);
            }
            let child = command
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                // ACM issues a DNS-validated certificate this many seconds after the request
                // (it never looks for the validation record; AWS does).
                .env("MOTO_ACM_VALIDATION_WAIT", "1")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log file"))
                .spawn()
                .expect("start moto_server");
            let mut moto = Moto {
                child,
                url: format!("http://127.0.0.1:{port}"),
                port,
                log,
                _dir: dir,
            };
            if moto.wait_ready(port) {
                return moto;
            }
        }
        panic!("moto_server did not start after 5 attempts")
    }

    fn wait_ready(&mut self, port: u16) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = stream.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: localhost\r\n\r\n");
                let mut response = String::new();
                let _ = stream.read_to_string(&mut response);
                if response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200") {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// AWS requests moto has served (its log has one line per request; moto-api excluded).
    pub fn requests(&self) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .map(plain)
            .filter(|line| {
                ["\"GET ", "\"POST ", "\"PUT ", "\"DELETE ", "\"HEAD "]
                    .iter()
                    .any(|verb| line.contains(verb))
            })
            .filter(|line| !line.contains("/moto-api"))
            .count()
    }

    /// Waits until moto's request log stops growing: requests a killed edgectl sent are
    /// still served after it died, and a test must not act before they have been.
    pub fn settle(&self) {
        // A request the dead process sent sits on a connection moto has not closed yet
        // (CLOSE_WAIT on moto's side, until moto has served it): on a busy machine moto can
        // take well over a second to serve it (its first SSM call imports the SSM backend),
        // so a quiet log alone is not proof.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = self.requests();
        let mut quiet_since = Instant::now();
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            let now = self.requests();
            if now != seen || self.half_closed_connections() > 0 {
                seen = now;
                quiet_since = Instant::now();
            } else if quiet_since.elapsed() >= Duration::from_secs(1) {
                return;
            }
        }
        panic!("moto did not settle within 60 s after the killed run");
    }

    /// Connections to moto whose client has closed its end while moto still holds its own:
    /// requests from a dead client that moto has not finished serving (Linux `/proc/net`).
    fn half_closed_connections(&self) -> usize {
        const CLOSE_WAIT: &str = "08";
        let port = format!(":{:04X}", self.port);
        ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|table| std::fs::read_to_string(table).ok())
            .flat_map(|table| {
                table
                    .lines()
                    .skip(1)
                    .map(|line| {
                        let fields: Vec<&str> = line.split_whitespace().collect();
                        (fields.get(1).is_some_and(|local| local.ends_with(&port))
                            && fields.get(3) == Some(&CLOSE_WAIT)) as usize
                    })
                    .collect::<Vec<_>>()
            })
            .sum()
    }

    /// moto's request log lines served so far (`"PUT /bucket/key HTTP/1.1" 200`).
    pub fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Runs edgectl against this server, from the repository root, without a terminal.
    pub fn edgectl(&self, args: &[&str]) -> Run {
        self.edgectl_with_stdin(args, None)
    }

    pub fn edgectl_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        run_edgectl(args, Some(&self.url), stdin)
    }

    /// SDK configuration for this server, for the services without a helper here.
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        self.sdk_in("us-east-1").await
    }

    /// The SDK's configuration for one region of the server.
    pub async fn sdk_in(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load()
            .await
    }

    /// Requests an ACM certificate from moto (HTTPS listeners need one that exists), with
    /// the boto3 that moto itself brings.
    pub fn certificate(&self) -> String {
        self.certificate_in("us-east-1")
    }

    /// Makes the public zones a manifest writes records in without owning them
    /// (`zones:` entries without `create: true`), as the account it deploys to has them.
    pub async fn external_zones(&self, manifest: &str) {
        let text = std::fs::read_to_string(root().join(manifest)).unwrap_or_default();
        let Some(section) = text.split("\nzones:\n").nth(1) else {
            return;
        };
        let mut names = Vec::new();
        let mut current: Option<(String, bool)> = None;
        for line in section.lines() {
            if !line.starts_with(' ') && !line.trim().is_empty() {
                break;
            }
            if line.starts_with("  ") && !line.starts_with("    ") && line.trim_end().ends_with(':')
            {
                names.extend(
                    current
                        .take()
                        .filter(|(_, create)| !create)
                        .map(|(name, _)| name),
                );
                current = Some((String::new(), false));
            } else if let Some(name) = line.strip_prefix("    name:") {
                if let Some(zone) = current.as_mut() {
                    zone.0 = name.trim().to_string();
                }
            } else if line.trim() == "create: true"
                && let Some(zone) = current.as_mut()
            {
                zone.1 = true;
            }
        }
        names.extend(current.filter(|(_, create)| !create).map(|(name, _)| name));
        // A name from a variable is the test's to make, with the value it passes.
        for name in names.into_iter().filter(|name| !name.contains("${")) {
            self.zone(&name).await;
        }
    }

    /// A public hosted zone someone else made (not the stack): its id.
    pub async fn zone(&self, name: &str) -> String {
        aws_sdk_route53::Client::new(&self.sdk().await)
            .create_hosted_zone()
            .name(name)
            .caller_reference(format!("the-company-{name}"))
            .send()
            .await
            .unwrap()
            .hosted_zone()
            .unwrap()
            .id()
            .to_string()
    }

    /// A certificate in `region`: a load balancer's must be in its own region, as on AWS.
    pub fn certificate_in(&self, region: &str) -> String {
        let python = moto_server().with_file_name("python");
        let script = format!(
            "import boto3; print(boto3.client('acm', endpoint_url='{}', region_name='{region}', \
             aws_access_key_id='test', aws_secret_access_key='test')\
             .request_certificate(DomainName='app.example.com')['CertificateArn'])",
            self.url
        );
        let output = Command::new(python)
            .args(["-c", &script])
            .output()
            .expect("run python");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    pub async fn ec2(&self) -> aws_sdk_ec2::Client {
        self.ec2_in("us-east-1").await
    }

    /// A subnet made as someone else would (no tags) in `vpc`: its id.
    pub async fn make_subnet(&self, vpc: &str, cidr: &str, zone: &str) -> String {
        self.ec2()
            .await
            .create_subnet()
            .vpc_id(vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .unwrap()
            .subnet()
            .unwrap()
            .subnet_id()
            .unwrap()
            .to_string()
    }

    /// A VPC made as someone else would (no tags): its id.
    pub async fn make_vpc(&self, cidr: &str) -> String {
        self.make_vpc_in("us-east-1", cidr).await
    }

    /// [`Moto::make_vpc`] in `region`.
    pub async fn make_vpc_in(&self, region: &str, cidr: &str) -> String {
        self.ec2_in(region)
            .await
            .create_vpc()
            .cidr_block(cidr)
            .send()
            .await
            .unwrap()
            .vpc()
            .unwrap()
            .vpc_id()
            .unwrap()
            .to_string()
    }

    pub async fn ec2_in(&self, region: &str) -> aws_sdk_ec2::Client {
        let config = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new(region.to_string()))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(
            self.code, 0,
            "edgectl failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A log line without its colours: moto's server colours the request of an error answer
/// (`"\x1b[33mPOST / HTTP/1.1\x1b[0m" 404`), which must count as a request too.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

/// The binary with a clean AWS environment, from the repository root; `endpoint` None
/// points it nowhere usable.
pub fn edgectl_command(args: &[&str], endpoint: Option<&str>) -> Command {
    let mut command = Command::new(binary());
    command.args(args).current_dir(root());
    clean_environment(&mut command, endpoint);
    command
}

/// The edgectl the tests run: this build's, or the one `EDGECTL_BENCH_BINARY` names
/// (bench/run measures its scale series with the release build through these tests).
pub fn binary() -> PathBuf {
    std::env::var_os("EDGECTL_BENCH_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_edgectl").into())
}

/// What every edgectl the tests run sees: test credentials for `endpoint` (None points
/// nowhere usable), no profile or config file of the machine's, no colour.
pub fn clean_environment(command: &mut Command, endpoint: Option<&str>) {
    command
        .env_remove("AWS_PROFILE")
        .env_remove("EDGECTL_ENV")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env_remove("AWS_RETRY_MODE")
        .env_remove("AWS_MAX_ATTEMPTS")
        // The suite may itself run on GitHub Actions: only the tests that say so do.
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("NO_COLOR", "1");
    match endpoint {
        Some(url) => command.env("AWS_ENDPOINT_URL", url),
        None => command.env_remove("AWS_ENDPOINT_URL"),
    };
}

/// Runs the binary with a clean AWS environment; `endpoint` None points it nowhere usable.
pub fn run_edgectl(args: &[&str], endpoint: Option<&str>, stdin: Option<&str>) -> Run {
    let mut command = edgectl_command(args, endpoint);
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run edgectl");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("edgectl output");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The manifests that ship (`examples/*.yaml`, `manifests/*.yaml`), from the repository
/// root, sorted.
pub fn shipped_manifests() -> Vec<String> {
    let mut out: Vec<String> = ["examples", "manifests"]
        .iter()
        .flat_map(|folder| std::fs::read_dir(root().join(folder)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .map(|path| path.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    out.sort();
    assert!(out.len() >= 7, "{out:?}");
    out
}

/// Hides what changes from run to run: AWS ids, timestamps and durations.
pub fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        r"\b(vpc|subnet|igw|nat|eipalloc|rtb|rtbassoc|sg|vpce|eni)-[0-9a-f]{8,17}\b",
        "$1-[id]",
    );
    settings.add_filter(
        r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:[A-Za-z0-9:/._+=@-]+",
        "[arn]",
    );
    settings.add_filter(
        r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com",
        "[registry]",
    );
    // Route 53's hosted zone ids and CloudFront's distribution ids (AWS's start with `Z`
    // and `E`; moto's need not).
    settings.add_filter(r"\b[0-9A-Z]{13,32}\b", "[aws-id]");
    // Cloud Map's namespace and service ids.
    settings.add_filter(r"\b(ns|srv)-[0-9a-z]{8,20}\b", "$1-[id]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[time]");
    settings.add_filter(r"\b\d+(\.\d+)?(ms|s)\b", "[duration]");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The role whose name ends in `suffix` (`-execution`, `-task`), and its inline policy
/// edgectl wrote, URL-decoded where IAM encodes it.
pub async fn role_policy(
    iam: &aws_sdk_iam::Client,
    suffix: &str,
) -> (aws_sdk_iam::types::Role, String) {
    let roles = iam.list_roles().send().await.unwrap();
    let role = roles
        .roles()
        .iter()
        .find(|role| role.role_name().ends_with(suffix))
        .unwrap_or_else(|| panic!("no role ending in {suffix}"))
        .clone();
    let policy = iam
        .get_role_policy()
        .role_name(role.role_name())
        .policy_name("edgectl")
        .send()
        .await
        .unwrap();
    // IAM answers the document URL-encoded.
    let encoded = policy.policy_document().as_bytes();
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut index = 0;
    while index < encoded.len() {
        let hex = encoded
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (encoded[index], hex) {
            (b'%', Some(byte)) => {
                bytes.push(byte);
                index += 3;
            }
            (byte, _) => {
                bytes.push(byte);
                index += 1;
            }
        }
    }
    (role, String::from_utf8(bytes).unwrap())
}

/// `examples/static-site.yaml` edited (`from` → `to`, each of which must be there; `+` at
/// the end of the text by an empty `from`), its sync source made absolute, written to a
/// new file in `dir`.
pub fn static_site_example(dir: &tempfile::TempDir, edits: &[(&str, &str)]) -> String {
    let site = root().join("examples/site");
    let mut text = std::fs::read_to_string(root().join("examples/static-site.yaml"))
        .unwrap()
        .replace("source: ./site", &format!("source: {}", site.display()));
    for (from, to) in edits {
        if from.is_empty() {
            text.push_str(to);
            continue;
        }
        assert!(
            text.contains(from),
            "the example no longer contains {from:?}"
        );
        text = text.replace(from, to);
    }
    let count = std::fs::read_dir(dir.path()).unwrap().count();
    let path = dir.path().join(format!("site-{count}.yaml"));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// One change to a Route 53 record set, by hand (someone else's record).
pub async fn change_record(
    route53: &aws_sdk_route53::Client,
    zone: &str,
    action: aws_sdk_route53::types::ChangeAction,
    set: aws_sdk_route53::types::ResourceRecordSet,
) {
    use aws_sdk_route53::types::{Change, ChangeBatch};
    route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(action)
                        .resource_record_set(set)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// `examples/service.yaml` edited (`from` → `to`, each of which must be there), with a
/// certificate of the moto server's own for its HTTPS listener, written to a new file in
/// `dir` (one per version, so that each stays what it was written as).
pub fn service_example(
    certificate: &str,
    dir: &tempfile::TempDir,
    edits: &[(&str, &str)],
) -> String {
    let mut text = std::fs::read_to_string(root().join("examples/service.yaml")).unwrap();
    let variable = "  certificate_arn:\n";
    let with_default = format!("  certificate_arn:\n    default: {certificate}\n");
    for (from, to) in
        std::iter::once((variable, with_default.as_str())).chain(edits.iter().copied())
    {
        assert!(
            text.contains(from),
            "the example no longer contains {from:?}"
        );
        text = text.replace(from, to);
    }
    let count = std::fs::read_dir(dir.path()).unwrap().count();
    let path = dir.path().join(format!("service-{count}.yaml"));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// `text` with each `(from, to)` edit made: every `from` must be in it (a manifest that
/// changed under a test fails it, rather than an edit silently not made).
#[track_caller]
pub fn edited(text: &str, edits: &[(&str, &str)]) -> String {
    let mut text = text.to_string();
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "the manifest no longer contains {from:?}"
        );
        text = text.replace(from, to);
    }
    text
}

/// `text` written to `name` in `dir`: the file's path.
pub fn written(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// One resource's part of a printed plan: its line (`  ~ secret.mqtt (...)  update in
/// place`) and the changes under it, for a snapshot that other resources do not move.
#[track_caller]
pub fn plan_block(run: &Run, id: &str) -> String {
    let mut lines = run
        .stdout
        .lines()
        .skip_while(|line| line.split_whitespace().nth(1).is_none_or(|word| word != id));
    let head = lines
        .next()
        .unwrap_or_else(|| panic!("the plan has no `{id}`: {}", run.stdout));
    std::iter::once(head)
        .chain(lines.take_while(|line| !line.is_empty()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A plan's summary line (`Plan: ...` or `No changes...`), empty when there is none.
pub fn summary(run: &Run) -> String {
    run.stdout
        .lines()
        .find(|line| line.starts_with("Plan:") || line.starts_with("No changes"))
        .unwrap_or("")
        .to_string()
}

/// The latest registered revision of a task definition family.
pub async fn latest_task_definition(
    ecs: &aws_sdk_ecs::Client,
    family: &str,
) -> aws_sdk_ecs::types::TaskDefinition {
    let listed = ecs
        .list_task_definitions()
        .family_prefix(family)
        .send()
        .await
        .unwrap();
    let described = ecs
        .describe_task_definition()
        .task_definition(listed.task_definition_arns().last().unwrap())
        .send()
        .await
        .unwrap();
    described.task_definition().unwrap().clone()
}

/// The environments a manifest declares (`environments:`), in order.
pub fn environments(text: &str) -> Vec<String> {
    let Some(section) = text.split("\nenvironments:\n").nth(1) else {
        return Vec::new();
    };
    section
        .lines()
        .take_while(|line| line.is_empty() || line.starts_with(' ') || line.starts_with('#'))
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.trim().split(':').next())
        .map(str::to_string)
        .collect()
}

/// The first environment a manifest declares, which tests run it as.
pub fn first_environment(text: &str) -> Option<String> {
    environments(text).into_iter().next()
}

/// `from`'s files and folders, copied under `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
