//! One run per stack at a time: the lock (an SSM parameter created only if absent, a lease
//! its holder renews) stops a second apply or destroy at once, naming the holder;
//! `--lock-timeout` waits for it; a killed run's lock never blocks the next run for long
//! (taken over at once on the same host, once its lease runs out anywhere); of two runs
//! taking over one stale lock, exactly one proceeds; a live holder keeps its lease
//! however long it runs; `edgectl unlock` removes a lock at once; `plan` takes none.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{Moto, edgectl_command};
use crate::proxy::{FaultProxy, Match};

const MANIFEST: &str = "examples/network.yaml";
const LOCK: &str = "/edgectl/lock/network-demo";

async fn ssm(moto: &Moto) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&moto.sdk().await)
}

async fn lock_value(ssm: &aws_sdk_ssm::Client) -> Option<String> {
    ssm.get_parameter()
        .name(LOCK)
        .send()
        .await
        .ok()
        .and_then(|found| found.parameter()?.value().map(str::to_string))
}

async fn owned_vpcs(moto: &Moto) -> usize {
    let vpcs = moto.ec2().await.describe_vpcs().send().await.unwrap();
    vpcs.vpcs()
        .iter()
        .filter(|vpc| {
            vpc.tags()
                .iter()
                .any(|tag| tag.key() == Some("edgectl:stack"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_lock_stops_apply_and_destroy_until_unlocked() {
    let moto = Moto::start();
    let ssm = ssm(&moto).await;
    ssm.put_parameter()
        .name(LOCK)
        // A live holder on another host: its lease runs until 2100.
        .value(r#"{"token":"t1","user":"alice","host":"ci-runner-7","pid":4242,"command":"edgectl apply","since":"2026-11-29T08:00:00Z","expires":4102444800}"#)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();

    // Plan takes no lock.
    moto.edgectl(&["plan", "-f", MANIFEST]).success();
    for verb in ["apply", "destroy"] {
        let run = moto.edgectl(&[verb, "-f", MANIFEST, "--auto-approve"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains(
                "stack `network-demo` is locked by another run: alice@ci-runner-7 (pid 4242, `edgectl apply`) since 2026-11-29T08:00:00Z"
            ),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("`edgectl unlock -f FILE`"),
            "{}",
            run.stderr
        );
        assert!(
            run.stdout.is_empty(),
            "no plan before the lock: {}",
            run.stdout
        );
    }
    assert_eq!(
        owned_vpcs(&moto).await,
        0,
        "a locked apply changed something"
    );

    // Breaking a lock needs a confirmation: none can come without a terminal.
    let run = moto.edgectl(&["unlock", "-f", MANIFEST]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(lock_value(&ssm).await.is_some());
    let run = moto
        .edgectl(&["unlock", "-f", MANIFEST, "--auto-approve"])
        .success();
    assert!(run.stderr.contains("alice@ci-runner-7"), "{}", run.stderr);
    assert_eq!(lock_value(&ssm).await, None);

    // A run takes the lock and gives it back.
    moto.edgectl(&["apply", "-f", MANIFEST, "--auto-approve"])
        .success();
    assert_eq!(lock_value(&ssm).await, None, "apply left its lock");
    let run = moto
        .edgectl(&["unlock", "-f", MANIFEST, "--auto-approve"])
        .success();
    assert!(run.stderr.contains("is not locked"), "{}", run.stderr);
}

/// Two processes at once: the second fails at once naming the first, a third with
/// `--lock-timeout` waits and then runs; nothing is made twice.
#[tokio::test(flavor = "multi_thread")]
async fn two_runs_of_one_stack_never_interleave() {
    let moto = Moto::start();
    let ssm = ssm(&moto).await;
    let proxy = FaultProxy::start(&moto.url);
    // A slow AWS, so that the first run is still going when the others start.
    proxy.delay(Duration::from_millis(40));
    let first = edgectl_command(
        &["apply", "-f", MANIFEST, "--auto-approve", "--no-progress"],
        Some(&proxy.url),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while lock_value(&ssm).await.is_none() {
        assert!(
            Instant::now() < deadline,
            "the first run never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let waiting = edgectl_command(
        &[
            "apply",
            "-f",
            MANIFEST,
            "--auto-approve",
            "--lock-timeout",
            "2m",
        ],
        Some(&proxy.url),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let second = crate::harness::run_edgectl(
        &["destroy", "-f", MANIFEST, "--auto-approve"],
        Some(&proxy.url),
        None,
    );
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains("stack `network-demo` is locked by another run")
            && second.stderr.contains("`edgectl apply`"),
        "{}",
        second.stderr
    );
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let waiting = waiting.wait_with_output().unwrap();
    assert!(
        waiting.status.success(),
        "{}",
        String::from_utf8_lossy(&waiting.stderr)
    );
    assert_eq!(lock_value(&ssm).await, None);
    let owned = crate::stress::inventory(&moto, "network-demo").await;
    assert!(owned.values().all(|count| *count == 1), "{owned:?}");
    assert_eq!(owned_vpcs(&moto).await, 1);
}

/// A run killed mid-apply (SIGKILL: no chance to release) leaves its lock: the next run
/// on the same host takes it over at once, saying whose it was, and converges with no
/// `unlock`.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_s_lock_is_taken_over_by_the_next_run() {
    let moto = Moto::start();
    let ssm = ssm(&moto).await;
    let proxy = FaultProxy::start(&moto.url);
    let mut child = edgectl_command(
        &["apply", "-f", MANIFEST, "--auto-approve"],
        Some(&proxy.url),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    proxy.kill_after(12, child.id());
    let _ = child.wait();
    proxy.settle();
    assert!(proxy.killed_at().is_some(), "the run was not killed");
    assert!(
        lock_value(&ssm).await.is_some(),
        "the killed run left no lock"
    );
    let run = moto
        .edgectl(&["apply", "-f", MANIFEST, "--auto-approve"])
        .success();
    assert!(
        run.stderr
            .contains("took over the stale lock of stack `network-demo` held by")
            && run
                .stderr
                .contains("its process is no longer running on this host"),
        "{}",
        run.stderr
    );
    assert_eq!(lock_value(&ssm).await, None, "the rerun left its lock");
    each_once(&moto).await;
}

/// A lock whose lease ran out (its holder on another machine died) is taken over; two
/// runs that find it at once race on the takeover claim, and exactly one proceeds.
#[tokio::test(flavor = "multi_thread")]
async fn two_runs_taking_over_one_stale_lock_exactly_one_proceeds() {
    let moto = Moto::start();
    let ssm = ssm(&moto).await;
    ssm.put_parameter()
        .name(LOCK)
        .value(r#"{"token":"dead","user":"bob","host":"vm-gone","pid":7,"command":"edgectl apply","since":"2026-11-29T08:00:00Z","expires":1764403200}"#)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let proxy = FaultProxy::start(&moto.url);
    // A slow AWS, so that the winner is still running when the other run looks.
    proxy.delay(Duration::from_millis(30));
    let start = || {
        edgectl_command(
            &["apply", "-f", MANIFEST, "--auto-approve"],
            Some(&proxy.url),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let (first, second) = (start(), start());
    let outcomes: Vec<(bool, String)> = [first, second]
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            (
                output.status.success(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        })
        .collect();
    let proceeded: Vec<&(bool, String)> = outcomes.iter().filter(|(ok, _)| *ok).collect();
    assert_eq!(proceeded.len(), 1, "{outcomes:#?}");
    assert!(
        proceeded[0]
            .1
            .contains("took over the stale lock of stack `network-demo` held by bob@vm-gone")
            && proceeded[0].1.contains("its lease ran out"),
        "{}",
        proceeded[0].1
    );
    let refused = outcomes.iter().find(|(ok, _)| !*ok).unwrap();
    assert!(
        refused
            .1
            .contains("stack `network-demo` is locked by another run"),
        "{}",
        refused.1
    );
    assert_eq!(lock_value(&ssm).await, None);
    each_once(&moto).await;
}

/// Every resource of the stack exists exactly once.
async fn each_once(moto: &Moto) {
    let owned = crate::stress::inventory(moto, "network-demo").await;
    assert!(owned.values().all(|count| *count == 1), "{owned:?}");
}

/// A live holder renews its lease however long it runs (the heartbeat goes on through
/// waits): with a 2-second lease, a run made to last many leases (a slow AWS) still holds
/// the lock when another run looks, and the other is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_live_holder_keeps_its_lease_through_a_long_run() {
    let moto = Moto::start();
    let ssm = ssm(&moto).await;
    let proxy = FaultProxy::start(&moto.url);
    proxy.delay(Duration::from_millis(500));
    let holder = edgectl_command(
        &["apply", "-f", MANIFEST, "--auto-approve"],
        Some(&proxy.url),
    )
    .env("EDGECTL_LOCK_LEASE_SECONDS", "2")
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while lock_value(&ssm).await.is_none() {
        assert!(Instant::now() < deadline, "the run never took the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Three leases later (with the clock margin, half a lease), the holder is still at
    // work, renewing.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let mut holder = holder;
    assert!(
        holder.try_wait().unwrap().is_none(),
        "the run ended before its lease would have run out: make AWS slower"
    );
    let other = crate::harness::run_edgectl(
        &["destroy", "-f", MANIFEST, "--auto-approve"],
        Some(&moto.url),
        None,
    );
    let holder = holder.wait_with_output().unwrap();
    assert!(
        holder.status.success(),
        "{}",
        String::from_utf8_lossy(&holder.stderr)
    );
    assert_eq!(
        other.code, 1,
        "the lease was taken from a live holder:\n{}",
        other.stderr
    );
    assert!(
        other.stderr.contains("is locked by another run"),
        "{}",
        other.stderr
    );
}

/// An apply of the network example through `proxy`, once it holds the lock.
async fn applying(proxy: &FaultProxy, ssm: &aws_sdk_ssm::Client) -> std::process::Child {
    let child = edgectl_command(
        &["apply", "-f", MANIFEST, "--auto-approve"],
        Some(&proxy.url),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    until_locked(ssm).await;
    child
}

/// The lock is gone and the stopped run made nothing (stopped `when`).
async fn released_having_made_nothing(moto: &Moto, ssm: &aws_sdk_ssm::Client, when: &str) {
    assert_eq!(lock_value(ssm).await, None, "the lock outlived the run");
    assert_eq!(
        owned_vpcs(moto).await,
        0,
        "a run stopped {when} made something"
    );
}

/// Sends `signal` (`TERM`, `INT`) to `pid`.
fn send(signal: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until the stack's lock is taken.
async fn until_locked(ssm: &aws_sdk_ssm::Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while lock_value(ssm).await.is_none() {
        assert!(Instant::now() < deadline, "the run never took the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// SIGTERM (what CI sends on cancel) while the run reads AWS: it stops, releases the
/// lock and exits 143.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_reading_releases_the_lock() {
    let moto = Moto::start();
    let ssm = ssm(&moto).await;
    let proxy = FaultProxy::start(&moto.url);
    proxy.delay(Duration::from_millis(700));
    let child = applying(&proxy, &ssm).await;
    send("TERM", child.id());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGTERM: the next run continues from what is live"),
        "{stderr}"
    );
    proxy.delay(Duration::ZERO);
    released_having_made_nothing(&moto, &ssm, "while reading").await;
}

/// SIGTERM while the lock is being taken: the run's PutParameter was carried out but its
/// answer lost (a 500 after moto served it), so the run reads the lock back to see whose it
/// is, slowly. Stopped there, it removes the lock it wrote, and exits 143.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_taking_the_lock_removes_what_it_wrote() {
    let moto = Moto::start();
    let ssm = ssm(&moto).await;
    let proxy = FaultProxy::start(&moto.url);
    proxy.answer_served(
        Match::Operation("PutParameter"),
        1,
        500,
        "InternalFailure",
        "the answer is lost",
    );
    proxy.slow(Match::Operation("GetParameter"), Duration::from_secs(2));
    let child = applying(&proxy, &ssm).await;
    send("TERM", child.id());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert_eq!(proxy.answered("InternalFailure"), 1, "{stderr}");
    assert_eq!(lock_value(&ssm).await, None, "the lock outlived the run");
}

/// SIGINT during the walk: nothing new starts, what is in flight is not waited for, the
/// run says what was done and what was left, releases the lock and exits 130; the next
/// apply converges.
#[tokio::test(flavor = "multi_thread")]
async fn sigint_during_the_walk_releases_the_lock_and_says_what_is_left() {
    let moto = Moto::start();
    let ssm = ssm(&moto).await;
    let proxy = FaultProxy::start(&moto.url);
    proxy.delay(Duration::from_millis(300));
    let child = applying(&proxy, &ssm).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while owned_vpcs(&moto).await == 0 {
        assert!(Instant::now() < deadline, "the walk never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    send("INT", child.id());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopping (SIGINT)"), "{stderr}");
    assert!(stderr.contains("done before stopping"), "{stderr}");
    assert!(
        stderr.contains("interrupted; not started:") || stderr.contains("stopped in flight"),
        "{stderr}"
    );
    proxy.delay(Duration::ZERO);
    proxy.settle();
    assert_eq!(lock_value(&ssm).await, None, "the lock outlived the run");
    moto.edgectl(&["apply", "-f", MANIFEST, "--auto-approve"])
        .success();
    each_once(&moto).await;
}

/// SIGTERM at the confirmation prompt (a terminal, through `script`): the lock is
/// released, nothing changes, exit 143.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_at_the_prompt_releases_the_lock() {
    let moto = Moto::start();
    let ssm = ssm(&moto).await;
    let binary = env!("CARGO_BIN_EXE_edgectl");
    // `script` gives edgectl a terminal, so it asks before it applies.
    let mut wrapper = edgectl_command(&[], Some(&moto.url));
    let command = format!(
        "{binary} apply -f {} ; echo exit=$?",
        crate::harness::root().join(MANIFEST).display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .envs(
            wrapper
                .get_envs()
                .filter_map(|(key, value)| Some((key, value?))),
        )
        .current_dir(crate::harness::root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = &mut wrapper;
    // What the terminal shows, read as it comes.
    let shown = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let shown = shown.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = std::io::Read::read(&mut stdout, &mut buffer) {
                if read == 0 {
                    break;
                }
                shown
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        })
    };
    until_locked(&ssm).await;
    // The prompt follows the plan, once the lock is held; find edgectl under `script`.
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid = loop {
        let found = std::process::Command::new("pgrep")
            .args(["-P", &child.id().to_string()])
            .output()
            .unwrap();
        let shell: Vec<String> = String::from_utf8_lossy(&found.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let mut pids = Vec::new();
        for parent in shell.iter().chain(std::iter::once(&child.id().to_string())) {
            let found = std::process::Command::new("pgrep")
                .args(["-P", parent, "-f", "apply -f"])
                .output()
                .unwrap();
            pids.extend(
                String::from_utf8_lossy(&found.stdout)
                    .split_whitespace()
                    .filter_map(|pid| pid.parse::<u32>().ok()),
            );
        }
        if let Some(pid) = pids.into_iter().find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|line| line.starts_with(binary))
        }) {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "edgectl did not start under script"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // At the prompt: the plan printed, the question asked.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !shown.lock().unwrap().contains("Only `yes` is accepted") {
        assert!(
            Instant::now() < deadline,
            "no prompt: {}",
            shown.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    send("TERM", pid);
    let _ = child.wait();
    reader.join().unwrap();
    let said = shown.lock().unwrap().clone();
    assert!(said.contains("exit=143"), "{said}");
    released_having_made_nothing(&moto, &ssm, "at the prompt").await;
}

/// SIGTERM while the run waits for a service's rollout (its tasks never start): the wait
/// stops at once, the lock is released, the run says what was stopped, exit 143.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_a_rollout_wait_releases_the_lock() {
    let moto = Moto::start_with_rollouts_stuck();
    let dir = tempfile::tempdir().unwrap();
    let path = crate::harness::service_example(&moto.certificate(), &dir, &[]);
    let ssm = aws_sdk_ssm::Client::new(&moto.sdk().await);
    let lock = "/edgectl/lock/service-demo";
    let child = edgectl_command(&["apply", "-f", &path, "--auto-approve"], Some(&moto.url))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The service is made, and its rollout waited for.
    let ecs = aws_sdk_ecs::Client::new(&moto.sdk().await);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = ecs
            .list_services()
            .cluster("service-demo-main")
            .send()
            .await
            .map(|found| found.service_arns().len())
            .unwrap_or(0);
        if listed > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the service was never made");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    send("TERM", child.id());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    // Said at once: how many operations are in flight, and that they are not waited for.
    assert!(
        stderr.contains("operation in flight end their current call, not waited for")
            || stderr.contains("operations in flight end their current call, not waited for"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stopped in flight (asked of AWS, not waited for): create service.web"),
        "{stderr}"
    );
    let held = ssm
        .get_parameter()
        .name(lock)
        .send()
        .await
        .ok()
        .and_then(|found| found.parameter()?.value().map(str::to_string));
    assert_eq!(held, None, "the lock outlived the run");
}
