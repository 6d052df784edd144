//! One run per stack at a time: the lock (an SSM parameter created only if absent, a lease
//! its holder renews) stops a second apply or destroy at once, naming the holder;
//! `--lock-timeout` waits for it; a killed run's lock never blocks the next run for long
//! (taken over at once on the same host, once its lease runs out anywhere); of two runs
//! taking over one stale lock, exactly one proceeds; a live holder keeps its lease
//! however long it runs; `edgectl unlock` removes a lock at once; `plan` takes none.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{Moto, edgectl_command};
use crate::proxy::FaultProxy;

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
