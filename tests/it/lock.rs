//! One run per stack at a time: the lock (an SSM parameter created only if absent) stops
//! a second apply or destroy at once, naming the holder; `--lock-timeout` waits for it;
//! a killed run leaves a lock that the next run reports as stale; only `edgectl unlock`
//! removes it; `plan` takes none.

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
        .value(r#"{"token":"t1","user":"alice","host":"ci-runner-7","pid":4242,"command":"edgectl apply","since":"2026-11-29T08:00:00Z"}"#)
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

/// A run killed mid-apply leaves its lock: the next run says the holder's process is
/// gone; after `unlock`, apply converges.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_leaves_a_lock_the_next_run_names_as_stale() {
    let moto = Moto::start();
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
    let run = moto.edgectl(&["apply", "-f", MANIFEST, "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("that process is no longer running on this host, so the lock is stale"),
        "{}",
        run.stderr
    );
    moto.edgectl(&["unlock", "-f", MANIFEST, "--auto-approve"])
        .success();
    moto.edgectl(&["apply", "-f", MANIFEST, "--auto-approve"])
        .success();
    let owned = crate::stress::inventory(&moto, "network-demo").await;
    assert!(owned.values().all(|count| *count == 1), "{owned:?}");
}
