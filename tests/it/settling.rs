//! AWS's eventual consistency, replayed (issue 21): the proxy answers the first requests
//! of one operation with the error AWS answers while it settles what the request needs (a
//! service-linked role made at an account's first use of ECS, a certificate ACM issued
//! seconds ago, a load balancer still provisioning, a role not yet assumable), in that
//! service's own protocol. Each first apply (or destroy) exits 0 and converges, and its
//! summary says what it waited for; a certificate the stack did not issue (a mistyped ARN)
//! still fails at once, with a hint. docs/aws-behaviour.md lists every condition with its
//! source and its test here.
//!
//! moto answers at once where AWS settles for seconds to minutes: these tests prove the
//! handling of each answer, not AWS's timing.

use crate::harness::{Moto, Run, run_edgectl, service_example, static_site_example, written};
use crate::proxy::{FaultProxy, Match};

/// What a condition replays: the operation, how many of its requests are answered with
/// the error, and the error.
struct Answer {
    matches: Match,
    times: usize,
    status: u16,
    code: &'static str,
    message: &'static str,
}

fn answer(operation: &'static str, code: &'static str, message: &'static str) -> Answer {
    Answer {
        matches: Match::Operation(operation),
        times: 2,
        status: 400,
        code,
        message,
    }
}

fn through(proxy: &FaultProxy, args: &[&str]) -> Run {
    run_edgectl(args, Some(&proxy.url), None)
}

/// Runs `verb` (apply or destroy) of `args` through a proxy that answers `answer`, and
/// checks it converged at once: exit 0, every answer given, the wait in the summary.
fn settles(moto: &Moto, verb: &str, args: &[&str], answer: Answer, awaited: &str) -> Run {
    settles_all(moto, verb, args, &[answer], &[awaited])
}

/// A plan with nothing to do.
fn converged(moto: &Moto, args: &[&str]) {
    let mut command = vec!["plan", "--detailed-exitcode"];
    command.extend(args);
    let plan = moto.edgectl(&command);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

/// The service example, with a certificate of moto's for its HTTPS listener.
fn service(moto: &Moto, dir: &tempfile::TempDir) -> String {
    service_example(&moto.certificate(), dir, &[])
}

/// The first apply of the manifest `write` makes (on a fresh moto, given to it to make
/// what the manifest needs) converges through `answer`, waiting for `awaited`.
async fn first_apply_settles<F>(write: F, answer: Answer, awaited: &str)
where
    F: AsyncFnOnce(&Moto, &tempfile::TempDir) -> String,
{
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = write(&moto, &dir).await;
    settles(&moto, "apply", &["-f", &path], answer, awaited);
    converged(&moto, &["-f", &path]);
}

async fn plain_service(moto: &Moto, dir: &tempfile::TempDir) -> String {
    service(moto, dir)
}

async fn plain_site(_moto: &Moto, dir: &tempfile::TempDir) -> String {
    static_site_example(dir, &[])
}

#[tokio::test(flavor = "multi_thread")]
async fn ecs_s_service_linked_role_at_an_account_s_first_cluster() {
    first_apply_settles(
        plain_service,
        answer(
            "CreateCluster",
            "InvalidParameterException",
            "Unable to assume the service linked role. Please verify that the ECS service linked role exists.",
        ),
        "ECS's service-linked role",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ecs_s_service_linked_role_at_an_account_s_first_service() {
    first_apply_settles(
        plain_service,
        answer(
            "CreateService",
            "InvalidParameterException",
            "Unable to assume the service linked role. Please verify that the ECS service linked role exists.",
        ),
        "ECS's service-linked role",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_group_s_listener_not_yet_known_to_ecs() {
    first_apply_settles(
        plain_service,
        answer(
            "CreateService",
            "InvalidParameterException",
            "The target group with targetGroupArn arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0 does not have an associated load balancer.",
        ),
        "the target group's listener to reach ECS",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_service_not_yet_known_to_application_auto_scaling() {
    first_apply_settles(
        plain_service,
        answer(
            "RegisterScalableTarget",
            "ValidationException",
            "ECS service doesn't exist: service/service-demo/web",
        ),
        "the new ECS service to reach Application Auto Scaling",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn application_auto_scaling_s_role_not_yet_usable() {
    first_apply_settles(
        plain_service,
        answer(
            "PutScalingPolicy",
            "FailedResourceAccessException",
            "Unable to retrieve the ECS service's desired count",
        ),
        "Application Auto Scaling's service-linked role",
    )
    .await;
}

/// A deleted service whose deployment is still going; a security group held by the
/// interfaces of what went; a log group busy with another operation; a role whose
/// policies' removal has not reached IAM yet.
#[tokio::test(flavor = "multi_thread")]
async fn a_destroy_waits_for_deployments_interfaces_and_log_groups() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = service(&moto, &dir);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    settles_all(
        &moto,
        "destroy",
        &["-f", &path],
        &[
            answer(
                "DeleteService",
                "InvalidParameterException",
                "The service cannot be stopped while deployments are active.",
            ),
            answer(
                "DeleteSecurityGroup",
                "InvalidGroup.InUse",
                "There are active network interfaces using security group sg-0",
            ),
            Answer {
                times: 1,
                status: 409,
                ..answer(
                    "DeleteRole",
                    "DeleteConflict",
                    "Cannot delete entity, must detach all policies first.",
                )
            },
            Answer {
                times: 1,
                ..answer(
                    "DeleteLogGroup",
                    "OperationAbortedException",
                    "A conflicting operation is currently in progress against this resource. Please try again.",
                )
            },
        ],
        &[
            "the service's deployments to finish",
            "the network interfaces and rules that use the group to go",
            "another operation on the log group to finish",
            "the role's policies, just removed, to be detached in IAM",
        ],
    );
    // Nothing of the stack is left: the next destroy has nothing to do.
    let again = moto.edgectl(&["destroy", "-f", &path, "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("No changes") || again.stderr.contains("No changes"),
        "{}\n{}",
        again.stdout,
        again.stderr
    );
}

/// A certificate ARN the stack did not issue that ELB cannot find is a mistake: the
/// first apply stops at once (one CreateListener), naming the region ELB looked in.
#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_the_stack_did_not_issue_fails_at_once() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = service(&moto, &dir);
    let proxy = FaultProxy::start(&moto.url);
    proxy.answer(
        Match::Containing("CreateListener", "Certificates.member"),
        5,
        400,
        "CertificateNotFound",
        "Certificate 'arn:aws:acm:us-east-1:123456789012:certificate/typo' not found",
    );
    let run = through(&proxy, &["apply", "-f", &path, "--auto-approve"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(proxy.answered("CertificateNotFound"), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("a listener's certificate is an ACM certificate in the load balancer's region (us-east-1)"),
        "{}",
        run.stderr
    );
}

/// The service example serving HTTPS with a certificate the stack requests and validates
/// in its zone.
fn service_with_stack_certificate(moto: &Moto, dir: &tempfile::TempDir) -> String {
    service_example(
        &moto.certificate(),
        dir,
        &[
            (
                "certificate: \"${var.certificate_arn}\"",
                "certificate: certificates.web",
            ),
            (
                "\nservices:\n",
                "\nzones:\n  main:\n    name: example.com\ncertificates:\n  web:\n    domain: app.example.com\n\nservices:\n",
            ),
        ],
    )
}

/// ELB answers CertificateNotFound for a certificate ACM issued seconds ago: the stack's
/// own is waited for.
#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_the_stack_just_issued_is_waited_for_by_elb() {
    first_apply_settles(
        async |moto: &Moto, dir: &tempfile::TempDir| {
            moto.zone("example.com").await;
            service_with_stack_certificate(moto, dir)
        },
        Answer {
            matches: Match::Containing("CreateListener", "Certificates.member"),
            times: 2,
            status: 400,
            code: "CertificateNotFound",
            message: "Certificate 'arn:aws:acm:us-east-1:123456789012:certificate/new' not found",
        },
        "the certificate ACM just issued to reach ELB",
    )
    .await;
}

/// The static site at its own name, with the certificate the stack requests in us-east-1.
fn site_with_stack_certificate(dir: &tempfile::TempDir) -> String {
    static_site_example(
        dir,
        &[
            (
                "    comment: static-demo single-page app\n",
                "    comment: static-demo single-page app\n    aliases: [www.example.com]\n    certificate: certificates.www\n",
            ),
            (
                "",
                "\nzones:\n  company:\n    name: example.com\ncertificates:\n  www:\n    domain: www.example.com\n",
            ),
        ],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_the_stack_just_issued_is_waited_for_by_cloudfront() {
    first_apply_settles(
        async |moto: &Moto, dir: &tempfile::TempDir| {
            moto.zone("example.com").await;
            site_with_stack_certificate(dir)
        },
        Answer {
            matches: Match::Rest("POST", "/distribution?WithTags"),
            times: 2,
            status: 400,
            code: "InvalidViewerCertificate",
            message: "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or doesn't include a valid certificate chain.",
        },
        "the certificate ACM just issued to reach CloudFront",
    )
    .await;
}

/// A distribution changed by someone else between edgectl's read and its update: read
/// again, updated.
#[tokio::test(flavor = "multi_thread")]
async fn a_distribution_changed_since_it_was_read_is_read_again() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = static_site_example(&dir, &[]);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let changed = static_site_example(
        &dir,
        &[(
            "    comment: static-demo single-page app\n",
            "    comment: the static demo\n",
        )],
    );
    settles(
        &moto,
        "apply",
        &["-f", &changed],
        Answer {
            matches: Match::Rest("PUT", "/config"),
            times: 1,
            status: 412,
            code: "PreconditionFailed",
            message: "The request failed because it didn't meet the preconditions in one or more request-header fields.",
        },
        "the distribution's latest version (it changed since it was read)",
    );
    converged(&moto, &["-f", &changed]);
}

/// The service example behind a web ACL with an IP set.
fn firewalled_service(moto: &Moto, dir: &tempfile::TempDir) -> String {
    let path = service(moto, dir);
    let text = std::fs::read_to_string(&path).unwrap()
        + "
firewalls:
  web:
    rules:
      - { name: rate-limit, rate_limit: 1000 }
      - { name: office, allow_ips: [203.0.113.0/24] }
    protects: [load_balancers.web]
";
    std::fs::write(&path, text).unwrap();
    path
}

/// WAF refuses to associate a web ACL with a load balancer still provisioning, and a web
/// ACL naming an IP set it does not see yet.
#[tokio::test(flavor = "multi_thread")]
async fn waf_waits_for_the_load_balancer_and_the_ip_set() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = firewalled_service(&moto, &dir);
    let run = settles(
        &moto,
        "apply",
        &["-f", &path],
        answer(
            "AssociateWebACL",
            "WAFUnavailableEntityException",
            "AWS WAF couldn't retrieve the resource that you requested. Retry your request.",
        ),
        "the load balancer to become available to WAF before associating the firewall",
    );
    drop(run);
    converged(&moto, &["-f", &path]);
    // Made again from nothing: the web ACL's create meets the IP set not yet visible.
    moto.edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    settles(
        &moto,
        "apply",
        &["-f", &path],
        answer(
            "CreateWebACL",
            "WAFUnavailableEntityException",
            "AWS WAF couldn't retrieve the resource that you requested. Retry your request.",
        ),
        "the IP sets the web ACL names to become available to WAF",
    );
    converged(&moto, &["-f", &path]);
}

/// A web ACL whose disassociation has not reached WAF yet, and an IP set still named by
/// the web ACL going: the destroy waits for both.
#[tokio::test(flavor = "multi_thread")]
async fn waf_deletes_wait_for_disassociation() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = firewalled_service(&moto, &dir);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let associated = "AWS WAF couldn't perform the operation because your resource is being used by another resource or it's associated with another resource.";
    settles_all(
        &moto,
        "destroy",
        &["-f", &path],
        &[
            answer("DeleteWebACL", "WAFAssociatedItemException", associated),
            Answer {
                times: 1,
                ..answer("DeleteIPSet", "WAFAssociatedItemException", associated)
            },
        ],
        &[
            "the web ACL's disassociations to reach WAF",
            "the web ACL's change to stop naming the IP set to reach WAF",
        ],
    );
}

/// RDS refuses enhanced monitoring while the monitoring role made by this run is not yet
/// assumable by it.
#[tokio::test(flavor = "multi_thread")]
async fn rds_waits_for_the_monitoring_role() {
    first_apply_settles(
        async |moto: &Moto, dir: &tempfile::TempDir| {
            service_example(
                &moto.certificate(),
                dir,
                &[
                    (
                        "      - { port: 3000, from: alb }\n",
                        "      - { port: 3000, from: alb }\n  db:\n    ingress:\n      - { port: 5432, from: web }\n",
                    ),
                    (
                        "\nrepositories:\n",
                        "\ndatabases:\n  main:\n    version: \"15\"\n    class: db.t3.micro\n    storage: 20\n    subnets: private\n    security_groups: [db]\n    monitoring_interval: 60\n\nrepositories:\n",
                    ),
                ],
            )
        },
        answer(
            "CreateDBInstance",
            "InvalidParameterValue",
            "IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING",
        ),
        "the monitoring role to reach RDS",
    )
    .await;
}

/// A role whose trust policy names a principal IAM does not know yet.
#[tokio::test(flavor = "multi_thread")]
async fn iam_waits_for_a_trusted_principal() {
    first_apply_settles(
        plain_service,
        answer(
            "CreateRole",
            "MalformedPolicyDocument",
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:role/new\"",
        ),
        "the principals the trust policy names to reach IAM",
    )
    .await;
}

/// A bucket policy naming a principal S3 does not know yet.
#[tokio::test(flavor = "multi_thread")]
async fn s3_waits_for_a_bucket_policy_s_principal() {
    first_apply_settles(
        plain_site,
        Answer {
            matches: Match::Rest("PUT", "?policy"),
            times: 2,
            status: 400,
            code: "MalformedPolicy",
            message: "Invalid principal in policy",
        },
        "the principals the bucket policy names to reach S3",
    )
    .await;
}

/// A key policy naming a role KMS does not know yet (IAM is eventually consistent).
#[tokio::test(flavor = "multi_thread")]
async fn kms_waits_for_the_principals_of_a_key_policy() {
    first_apply_settles(
        async |_moto: &Moto, dir: &tempfile::TempDir| {
            written(
                dir,
                "keys.yaml",
                "stack: keys-demo
region: us-east-1
keys:
  archive:
    description: Archive data at rest
buckets:
  archive:
    name: keys-demo-archive-123456789012
    encryption: sse-kms
    kms_key: keys.archive
    force_destroy: true
",
            )
        },
        answer(
            "CreateKey",
            "MalformedPolicyDocumentException",
            "Policy contains a statement with one or more invalid principals.",
        ),
        "the roles the key policy names to reach KMS",
    )
    .await;
}

/// A bucket name deleted moments ago (by an earlier destroy) is still being released.
#[tokio::test(flavor = "multi_thread")]
async fn s3_waits_for_a_bucket_name_being_released() {
    first_apply_settles(
        plain_site,
        Answer {
            matches: Match::RestExact("PUT", "/static-demo-site-example"),
            times: 1,
            status: 409,
            code: "OperationAborted",
            message: "A conflicting conditional operation is currently in progress against this resource. Please try again.",
        },
        "another operation on a bucket of this name to finish",
    )
    .await;
}

/// Application Auto Scaling's service-linked role, made at the account's first use.
#[tokio::test(flavor = "multi_thread")]
async fn application_auto_scaling_s_role_at_its_first_target() {
    first_apply_settles(
        plain_service,
        answer(
            "RegisterScalableTarget",
            "ValidationException",
            "Unable to assume IAM role: arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
        ),
        "Application Auto Scaling's service-linked role",
    )
    .await;
}

/// The service's roles, made this run, not yet assumable by ECS.
#[tokio::test(flavor = "multi_thread")]
async fn ecs_waits_for_the_service_s_roles() {
    first_apply_settles(
        plain_service,
        answer(
            "CreateService",
            "InvalidParameterException",
            "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.",
        ),
        "the service's roles to reach ECS",
    )
    .await;
}

/// Two changes to one role's policies at once.
#[tokio::test(flavor = "multi_thread")]
async fn iam_waits_for_another_change_to_a_role() {
    first_apply_settles(
        plain_service,
        Answer {
            matches: Match::Operation("AttachRolePolicy"),
            times: 1,
            status: 409,
            code: "ConcurrentModification",
            message: "Rate exceeded for the role: another change is in progress",
        },
        "another change to the role's policies to finish",
    )
    .await;
}

/// The caller's own permission to set a log group's retention, granted moments before.
#[tokio::test(flavor = "multi_thread")]
async fn logs_waits_for_the_caller_s_new_permissions() {
    first_apply_settles(
        plain_service,
        answer(
            "PutRetentionPolicy",
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform: logs:PutRetentionPolicy because no identity-based policy allows the logs:PutRetentionPolicy action",
        ),
        "the caller's new permissions to reach CloudWatch Logs",
    )
    .await;
}

async fn firewalled(moto: &Moto, dir: &tempfile::TempDir) -> String {
    firewalled_service(moto, dir)
}

/// WAF's service-linked role, made at the account's first association, and tagging that
/// asks to be retried.
#[tokio::test(flavor = "multi_thread")]
async fn waf_waits_for_its_role_and_its_tagging() {
    first_apply_settles(
        firewalled,
        answer(
            "AssociateWebACL",
            "WAFServiceLinkedRoleErrorException",
            "AWS WAF couldn't create the service-linked role. Retry your request.",
        ),
        "WAF's service-linked role, made by AWS at the account's first use",
    )
    .await;
    first_apply_settles(
        firewalled,
        answer(
            "CreateIPSet",
            "WAFTagOperationException",
            "An error occurred during the tagging operation. Retry your request.",
        ),
        "WAF's tagging, which asked to be retried",
    )
    .await;
}

/// A destroy whose distribution changed since it was read, and whose web ACL WAF cannot
/// see for a moment.
#[tokio::test(flavor = "multi_thread")]
async fn destroys_read_again_and_wait_for_waf() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let site = static_site_example(&dir, &[]);
    moto.edgectl(&["apply", "-f", &site, "--auto-approve"])
        .success();
    settles(
        &moto,
        "destroy",
        &["-f", &site],
        Answer {
            matches: Match::Rest("DELETE", "/distribution/"),
            times: 1,
            status: 412,
            code: "PreconditionFailed",
            message: "The request failed because it didn't meet the preconditions in one or more request-header fields.",
        },
        "the distribution's latest version (it changed since it was read)",
    );
    let service = firewalled_service(&moto, &dir);
    moto.edgectl(&["apply", "-f", &service, "--auto-approve"])
        .success();
    settles(
        &moto,
        "destroy",
        &["-f", &service],
        answer(
            "DeleteWebACL",
            "WAFUnavailableEntityException",
            "AWS WAF couldn't retrieve the resource that you requested. Retry your request.",
        ),
        "the web ACL's disassociations to reach WAF",
    );
}

/// Runs `verb` of `args` through a proxy answering each of `answers`, and checks it
/// converged at once: exit 0, every answer given, every wait in the summary.
fn settles_all(
    moto: &Moto,
    verb: &str,
    args: &[&str],
    answers: &[Answer],
    awaited: &[&str],
) -> Run {
    let proxy = FaultProxy::start(&moto.url);
    let mut expected = std::collections::BTreeMap::new();
    for answer in answers {
        proxy.answer(
            answer.matches.clone(),
            answer.times,
            answer.status,
            answer.code,
            answer.message,
        );
        *expected.entry(answer.code).or_insert(0) += answer.times;
    }
    let mut command = vec![verb, "--auto-approve"];
    command.extend(args);
    let run = through(&proxy, &command);
    assert_eq!(
        run.code, 0,
        "{verb} did not converge\n{}\n{}",
        run.stdout, run.stderr
    );
    for (code, times) in expected {
        assert_eq!(proxy.answered(code), times, "{code}\n{}", run.stderr);
    }
    for awaited in awaited {
        assert!(
            run.stderr.contains(&format!(" for {awaited}")),
            "the summary does not say it waited for {awaited}\n{}",
            run.stderr
        );
    }
    run
}

/// A new revision rolled out while ECS does not see the listener yet or the role, and a
/// scaling policy removed while Application Auto Scaling's role propagates.
#[tokio::test(flavor = "multi_thread")]
async fn updates_wait_for_ecs_and_application_auto_scaling() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = service(&moto, &dir);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let changed = service_example(
        &moto.certificate(),
        &dir,
        &[(
            "autoscale: { min: 1, max: 4, cpu: 70, memory: 80 }",
            "autoscale: { min: 1, max: 4, cpu: 70 }",
        )],
    );
    settles_all(
        &moto,
        "apply",
        &["-f", &changed, "--var", "image_tag=v2"],
        &[
            answer(
                "UpdateService",
                "InvalidParameterException",
                "The target group with targetGroupArn arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0 does not have an associated load balancer.",
            ),
            Answer {
                times: 1,
                ..answer(
                    "DeleteScalingPolicy",
                    "FailedResourceAccessException",
                    "Unable to retrieve the ECS service's desired count",
                )
            },
        ],
        &[
            "the target group's listener to reach ECS",
            "Application Auto Scaling's service-linked role",
        ],
    );
    converged(&moto, &["-f", &changed, "--var", "image_tag=v2"]);
    settles(
        &moto,
        "apply",
        &["-f", &changed, "--var", "image_tag=v3"],
        answer(
            "UpdateService",
            "InvalidParameterException",
            "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.",
        ),
        "the service's roles to reach ECS",
    );
}

/// A listener moved to the stack's new certificate (new names), which ELB does not find
/// for a moment.
#[tokio::test(flavor = "multi_thread")]
async fn a_listener_waits_for_its_new_certificate() {
    let moto = Moto::start();
    moto.zone("example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let path = service_with_stack_certificate(&moto, &dir);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("domain: app.example.com", "domain: api.example.com");
    let changed = written(&dir, "renamed.yaml", &text);
    settles(
        &moto,
        "apply",
        &["-f", &changed],
        Answer {
            matches: Match::Containing("ModifyListener", "Certificates.member"),
            times: 1,
            status: 400,
            code: "CertificateNotFound",
            message: "Certificate 'arn:aws:acm:us-east-1:123456789012:certificate/new' not found",
        },
        "the certificate ACM just issued to reach ELB",
    );
    converged(&moto, &["-f", &changed]);
}

/// A distribution with the stack's certificate changed while CloudFront does not find the
/// certificate for a moment; destroyed through a stale ETag.
#[tokio::test(flavor = "multi_thread")]
async fn a_distribution_waits_for_its_certificate_and_destroys_through_a_stale_etag() {
    let moto = Moto::start();
    moto.zone("example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let path = site_with_stack_certificate(&dir);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "    comment: static-demo single-page app\n",
        "    comment: the static demo\n",
    );
    std::fs::write(&path, text).unwrap();
    settles(
        &moto,
        "apply",
        &["-f", &path],
        Answer {
            matches: Match::Rest("PUT", "/config"),
            times: 1,
            status: 400,
            code: "InvalidViewerCertificate",
            message: "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or doesn't include a valid certificate chain.",
        },
        "the certificate ACM just issued to reach CloudFront",
    );
    converged(&moto, &["-f", &path]);
    settles(
        &moto,
        "destroy",
        &["-f", &path],
        Answer {
            matches: Match::Rest("DELETE", "/distribution/"),
            times: 1,
            status: 412,
            code: "InvalidIfMatchVersion",
            message: "The If-Match version is missing or not valid for the resource.",
        },
        "the distribution's latest version (it changed since it was read)",
    );
}

/// A web ACL changed by someone else since it was read (its lock token), naming an IP set
/// WAF does not see yet; destroyed through another stale lock token.
#[tokio::test(flavor = "multi_thread")]
async fn a_web_acl_reads_its_lock_token_again() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = firewalled_service(&moto, &dir);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("rate_limit: 1000", "rate_limit: 2000");
    std::fs::write(&path, text).unwrap();
    settles_all(
        &moto,
        "apply",
        &["-f", &path],
        &[
            Answer {
                times: 1,
                ..answer(
                    "UpdateWebACL",
                    "WAFOptimisticLockException",
                    "AWS WAF couldn't save your changes because someone changed the resource after you started to edit it. Reapply your changes.",
                )
            },
            Answer {
                times: 1,
                ..answer(
                    "UpdateWebACL",
                    "WAFUnavailableEntityException",
                    "AWS WAF couldn't retrieve the resource that you requested. Retry your request.",
                )
            },
        ],
        &[
            "a fresh lock token (the web ACL changed since it was read)",
            "the IP sets the web ACL names to become available to WAF",
        ],
    );
    converged(&moto, &["-f", &path]);
    settles(
        &moto,
        "destroy",
        &["-f", &path],
        Answer {
            times: 1,
            ..answer(
                "DeleteWebACL",
                "WAFOptimisticLockException",
                "AWS WAF couldn't save your changes because someone changed the resource after you started to edit it. Reapply your changes.",
            )
        },
        "a fresh lock token (the web ACL changed since it was read)",
    );
}

/// A key policy changed to let a new service use the key, naming what KMS does not know
/// yet.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_policy_change_waits_for_its_principals() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let text = "stack: keys-demo
region: us-east-1
keys:
  archive:
    description: Archive data at rest
buckets:
  archive:
    name: keys-demo-archive-123456789012
    encryption: sse-kms
    kms_key: keys.archive
    force_destroy: true
";
    let path = written(&dir, "keys.yaml", text);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    written(
        &dir,
        "keys.yaml",
        &format!("{text}secrets:\n  token:\n    kms_key: keys.archive\n    retain: false\n"),
    );
    settles(
        &moto,
        "apply",
        &["-f", &path],
        answer(
            "PutKeyPolicy",
            "MalformedPolicyDocumentException",
            "Policy contains a statement with one or more invalid principals.",
        ),
        "the roles the key policy names to reach KMS",
    );
    converged(&moto, &["-f", &path]);
}

/// A database change applied at once while RDS is busy with the instance, still
/// optimizing its storage, and not yet able to assume the monitoring role.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_change_waits_for_rds() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let database = |class: &str| {
        format!(
            "\ndatabases:\n  main:\n    version: \"15\"\n    class: {class}\n    storage: 20\n    subnets: private\n    security_groups: [db]\n    monitoring_interval: 60\n    apply_immediately: true\n    skip_final_snapshot: true\n\nrepositories:\n"
        )
    };
    let write = |class: &str| {
        service_example(
            &moto.certificate(),
            &dir,
            &[
                (
                    "      - { port: 3000, from: alb }\n",
                    "      - { port: 3000, from: alb }\n  db:\n    ingress:\n      - { port: 5432, from: web }\n",
                ),
                ("\nrepositories:\n", &database(class)),
            ],
        )
    };
    let path = write("db.t3.micro");
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let changed = write("db.t3.small");
    let once = |code: &'static str, message: &'static str| Answer {
        times: 1,
        ..answer("ModifyDBInstance", code, message)
    };
    settles_all(
        &moto,
        "apply",
        &["-f", &changed],
        &[
            once(
                "InvalidDBInstanceState",
                "Database instance is not in available state.",
            ),
            once(
                "InvalidParameterCombination",
                "You can't currently modify the storage of this DB instance because the previous storage change is being optimized.",
            ),
            once(
                "InvalidParameterValue",
                "IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING",
            ),
        ],
        &[
            "the database to become available",
            "RDS to finish optimizing the last storage change",
            "the monitoring role to reach RDS",
        ],
    );
    converged(&moto, &["-f", &changed]);
}

/// A bucket's encryption set while another operation on the bucket finishes.
#[tokio::test(flavor = "multi_thread")]
async fn s3_waits_for_another_operation_on_the_bucket() {
    first_apply_settles(
        plain_site,
        Answer {
            matches: Match::Rest("PUT", "?encryption"),
            times: 1,
            status: 409,
            code: "OperationAborted",
            message: "A conflicting conditional operation is currently in progress against this resource. Please try again.",
        },
        "another operation on the bucket to finish",
    )
    .await;
}

/// Runs an apply of `args` through a proxy that serves each request of `removals` and then
/// answers it with the error AWS answers when what it removes is gone already (another
/// writer removed it a moment before): the apply exits 0, every answer was given, and the
/// next plan has nothing to do.
fn removals_done_if_gone(moto: &Moto, args: &[&str], removals: &[(Match, u16, &str)]) {
    let proxy = FaultProxy::start(&moto.url);
    for (matches, status, code) in removals {
        proxy.answer_served(matches.clone(), 1, *status, code, "gone already");
    }
    let mut command = vec!["apply", "--auto-approve"];
    command.extend(args);
    let run = through(&proxy, &command);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for (matches, _, code) in removals {
        assert_eq!(proxy.answered(code), 1, "{matches:?}\n{}", run.stderr);
    }
    converged(moto, args);
}

/// A repository's lifecycle policy and a scaling policy removed in an update, each found
/// gone already.
#[tokio::test(flavor = "multi_thread")]
async fn removals_in_an_update_that_find_it_gone_are_done() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = service(&moto, &dir);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let changed = service_example(
        &moto.certificate(),
        &dir,
        &[
            (
                "autoscale: { min: 1, max: 4, cpu: 70, memory: 80 }",
                "autoscale: { min: 1, max: 4, cpu: 70 }",
            ),
            (
                "    lifecycle: { keep_last: 10, expire_untagged_after_days: 7 }\n",
                "",
            ),
        ],
    );
    removals_done_if_gone(
        &moto,
        &["-f", &changed],
        &[
            (
                Match::Operation("DeleteLifecyclePolicy"),
                400,
                "LifecyclePolicyNotFoundException",
            ),
            (
                Match::Operation("DeleteScalingPolicy"),
                400,
                "ObjectNotFoundException",
            ),
        ],
    );
}

/// A bucket's lifecycle, CORS rules, website and public access block removed, each found
/// gone already.
#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_s_removed_configuration_found_gone_is_done() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let head = "stack: removals-demo
region: us-east-1
buckets:
  assets:
    name: removals-demo-assets-123456789012
    force_destroy: true
";
    let path = written(
        &dir,
        "bucket.yaml",
        &format!(
            "{head}    lifecycle: {{ abort_multipart_after_days: 7 }}
    cors:
      - {{ origins: [\"https://example.com\"] }}
    website: {{ index: index.html }}
"
        ),
    );
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    written(
        &dir,
        "bucket.yaml",
        &format!("{head}    block_public_access: false\n"),
    );
    removals_done_if_gone(
        &moto,
        &["-f", &path],
        &[
            (
                Match::Rest("DELETE", "?lifecycle"),
                404,
                "NoSuchLifecycleConfiguration",
            ),
            (
                Match::Rest("DELETE", "?cors"),
                404,
                "NoSuchCORSConfiguration",
            ),
            (
                Match::Rest("DELETE", "?website"),
                404,
                "NoSuchWebsiteConfiguration",
            ),
            (
                Match::Rest("DELETE", "?publicAccessBlock"),
                404,
                "NoSuchPublicAccessBlockConfiguration",
            ),
        ],
    );
}

/// A cluster's capacity providers changed while the cluster is not active yet and while
/// its last change is still in progress.
#[tokio::test(flavor = "multi_thread")]
async fn a_capacity_provider_change_waits_for_the_cluster() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = service(&moto, &dir);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let changed = service_example(
        &moto.certificate(),
        &dir,
        &[(
            "container_insights: true",
            "container_insights: true\n    capacity_providers: [FARGATE]",
        )],
    );
    settles_all(
        &moto,
        "apply",
        &["-f", &changed],
        &[
            Answer {
                times: 1,
                ..answer(
                    "PutClusterCapacityProviders",
                    "ClientException",
                    "Cluster was not ACTIVE",
                )
            },
            Answer {
                times: 1,
                ..answer(
                    "PutClusterCapacityProviders",
                    "UpdateInProgressException",
                    "The cluster is being updated",
                )
            },
        ],
        &[
            "the cluster to become active",
            "the cluster's last change to finish",
        ],
    );
    converged(&moto, &["-f", &changed]);
}

/// A key's rotation turned on while KMS does not see the key enabled yet.
#[tokio::test(flavor = "multi_thread")]
async fn key_rotation_waits_for_the_key_to_be_enabled() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let text = |rotation: bool| {
        format!(
            "stack: rotation-demo
region: us-east-1
keys:
  archive:
    description: Archive data at rest
    rotation: {rotation}
"
        )
    };
    let path = written(&dir, "keys.yaml", &text(false));
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    written(&dir, "keys.yaml", &text(true));
    settles(
        &moto,
        "apply",
        &["-f", &path],
        answer(
            "EnableKeyRotation",
            "DisabledException",
            "arn:aws:kms:us-east-1:123456789012:key/0 is disabled.",
        ),
        "the key, enabled again, to reach KMS",
    );
    converged(&moto, &["-f", &path]);
}

/// A plan reads the scaling policies while Application Auto Scaling's role propagates.
#[tokio::test(flavor = "multi_thread")]
async fn a_plan_waits_for_application_auto_scaling_s_role() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = service(&moto, &dir);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let proxy = FaultProxy::start(&moto.url);
    proxy.answer(
        Match::Operation("DescribeScalingPolicies"),
        2,
        400,
        "FailedResourceAccessException",
        "Unable to assume IAM role",
    );
    let plan = through(&proxy, &["plan", "--detailed-exitcode", "-f", &path]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(
        proxy.answered("FailedResourceAccessException"),
        2,
        "{}",
        plan.stderr
    );
}
