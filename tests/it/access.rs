//! When AWS cannot be used at all (no credentials, an expired session, an endpoint nothing
//! answers at) or refuses a call (AccessDenied), the run says so in one sentence with the
//! fix, at once, and never in a debug form.

use std::process::Command;

use crate::harness::{Moto, edgectl_command};
use crate::proxy::{FaultProxy, Match};

/// Runs a prepared command: (exit code, stderr).
fn run(mut command: Command) -> (i32, String) {
    let output = command.output().expect("run edgectl");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What no user should ever read: the SDK's debug form of an error.
fn assert_plain(stderr: &str) {
    for debug in ["DispatchFailure(", "ConnectorError", "{ source:", "Some("] {
        assert!(
            !stderr.contains(debug),
            "debug form `{debug}` in:\n{stderr}"
        );
    }
}

/// No credentials anywhere: one sentence naming where edgectl looked, and how to give it
/// some; no read is made (nor retried) before it.
#[test]
fn no_credentials_are_told_with_where_edgectl_looked() {
    let mut command = edgectl_command(
        &["plan", "-f", "examples/network.yaml", "--verbose"],
        Some("http://127.0.0.1:9"),
    );
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN");
    let (code, stderr) = run(command);
    assert_eq!(code, 1, "{stderr}");
    assert_plain(&stderr);
    assert!(
        stderr.contains("error: no AWS credentials found: edgectl looked in the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE), in ~/.aws/credentials and ~/.aws/config"),
        "{stderr}"
    );
    assert!(stderr.contains("help: run `aws configure`"), "{stderr}");
    assert!(!stderr.contains("caused by"), "{stderr}");
}

/// An endpoint that refuses connections fails at the first call, naming the endpoint;
/// nothing is retried.
#[test]
fn an_endpoint_that_refuses_connections_is_told_at_once() {
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (code, stderr) = run(edgectl_command(
        &["plan", "-f", "examples/network.yaml"],
        Some(&endpoint),
    ));
    assert_eq!(code, 1, "{stderr}");
    assert_plain(&stderr);
    assert!(
        stderr.contains(&format!(
            "error: nothing answers at {endpoint}: the connection was refused"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("help: check the endpoint"), "{stderr}");
    assert!(!stderr.contains("retried"), "{stderr}");
}

/// A session past its expiry (STS answers `ExpiredToken`): told as such, with how to log
/// in again, after the one call.
#[test]
fn an_expired_session_says_to_log_in_again() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto.url);
    proxy.answer(
        Match::Operation("GetCallerIdentity"),
        5,
        403,
        "ExpiredToken",
        "The security token included in the request is expired",
    );
    let (code, stderr) = run(edgectl_command(
        &["plan", "-f", "examples/network.yaml"],
        Some(&proxy.url),
    ));
    assert_eq!(code, 1, "{stderr}");
    assert_plain(&stderr);
    assert_eq!(proxy.answered("ExpiredToken"), 1, "{stderr}");
    assert!(
        stderr.contains(
            "error: the AWS session has expired: The security token included in the request is expired"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("help: log in again"), "{stderr}");
}

/// A read the credentials' policy does not allow: the error names the action and the
/// statement to add, and the run stops (a denial is not retried).
#[test]
fn access_denied_names_the_statement_to_add() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto.url);
    proxy.answer(
        Match::Operation("DescribeVpcs"),
        20,
        403,
        "UnauthorizedOperation",
        "You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ec2:DescribeVpcs because no identity-based policy allows the ec2:DescribeVpcs action",
    );
    let (code, stderr) = run(edgectl_command(
        &["plan", "-f", "examples/network.yaml"],
        Some(&proxy.url),
    ));
    assert_eq!(code, 1, "{stderr}");
    assert_plain(&stderr);
    // The EC2 kinds share one read of the stack's VPCs: denied, it is not asked again
    // by each (nor retried).
    let denied = proxy.answered("UnauthorizedOperation");
    assert!((1..=8).contains(&denied), "{denied} denials\n{stderr}");
    assert!(
        stderr.contains(
            "arn:aws:iam::123456789012:user/ci may not call `ec2:DescribeVpcs` (because no identity-based policy allows the ec2:DescribeVpcs action): add {\"Action\":\"ec2:DescribeVpcs\",\"Effect\":\"Allow\",\"Resource\":\"*\"} to its policy"
        ),
        "{stderr}"
    );
}
