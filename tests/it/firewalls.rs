//! WAFv2 end to end (issue 14): a regional web ACL with a rate limit, AWS managed rule
//! groups and an allow list (an IP set the stack makes), associated with the service
//! example's load balancer, read back through the SDK with its ownership tags; a clean
//! plan; rules and addresses changed in place; a web ACL of the name someone else holds
//! refused and untouched; a CloudFront web ACL (in us-east-1) named by the static site's
//! distribution; destroy leaving only the other's.

use crate::harness::{Moto, root, settings, written};

const FIREWALL: &str = "
firewalls:
  web:
    description: the demo's firewall
    rules:
      - { name: rate-limit, rate_limit: 1000, window: 5m }
      - { name: common, managed: AWSManagedRulesCommonRuleSet }
      - { name: office, allow_ips: [203.0.113.0/24] }
    protects: [load_balancers.web]
";

fn write(dir: &tempfile::TempDir, example: &str, extra: &str) -> String {
    // A sync's source is relative to the manifest: keep pointing at the example's.
    let site = root().join("examples/site");
    let text = std::fs::read_to_string(root().join(example))
        .unwrap()
        .replace("source: ./site", &format!("source: {}", site.display()));
    written(dir, "firewall.yaml", &(text + extra))
}

async fn acls(
    waf: &aws_sdk_wafv2::Client,
    scope: aws_sdk_wafv2::types::Scope,
) -> Vec<(String, String)> {
    let listed = waf.list_web_acls().scope(scope).send().await.unwrap();
    let mut found: Vec<(String, String)> = listed
        .web_acls()
        .iter()
        .map(|acl| {
            (
                acl.name().unwrap().to_string(),
                acl.arn().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn firewalls_lifecycle() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let sdk = moto.sdk().await;
    let waf = aws_sdk_wafv2::Client::new(&sdk);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let certificate = moto.certificate();
    let path = write(&dir, "examples/service.yaml", FIREWALL);
    let vars = ["--var", &format!("certificate_arn={certificate}")];
    let run = |verb: &[&str]| {
        let mut args: Vec<&str> = verb.to_vec();
        args.extend(["-f", &path]);
        if std::fs::read_to_string(&path)
            .unwrap()
            .contains("certificate_arn:")
        {
            args.extend(vars);
        }
        moto.edgectl(&args)
    };
    run(&["apply", "--auto-approve"]).success();
    let regional = acls(&waf, aws_sdk_wafv2::types::Scope::Regional).await;
    assert_eq!(regional.len(), 1, "{regional:?}");
    let (name, arn) = regional[0].clone();
    assert_eq!(name, "service-demo-web");
    let id = arn.rsplit('/').next().unwrap();
    let acl = waf
        .get_web_acl()
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .name(&name)
        .id(id)
        .send()
        .await
        .unwrap();
    let acl = acl.web_acl().unwrap();
    let rules: Vec<(&str, i32)> = acl
        .rules()
        .iter()
        .map(|rule| (rule.name(), rule.priority()))
        .collect();
    assert_eq!(rules, [("rate-limit", 0), ("common", 1), ("office", 2)]);
    let rate = acl.rules()[0]
        .statement()
        .unwrap()
        .rate_based_statement()
        .unwrap();
    assert_eq!(rate.limit(), 1000);
    let managed = acl.rules()[1]
        .statement()
        .unwrap()
        .managed_rule_group_statement()
        .unwrap();
    assert_eq!(
        (managed.vendor_name(), managed.name()),
        ("AWS", "AWSManagedRulesCommonRuleSet")
    );
    let set_arn = acl.rules()[2]
        .statement()
        .unwrap()
        .ip_set_reference_statement()
        .unwrap()
        .arn()
        .to_string();
    let tags = waf
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let tags = tags.tag_info_for_resource().unwrap().tag_list();
    assert!(
        tags.iter()
            .any(|tag| tag.key() == "edgectl:id" && tag.value() == "firewall.web"),
        "{tags:?}"
    );
    // Associated with the load balancer.
    let balancer = elb
        .describe_load_balancers()
        .names("service-demo-web")
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let protecting = waf
        .get_web_acl_for_resource()
        .resource_arn(&balancer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        protecting.web_acl().map(|acl| acl.arn()),
        Some(arn.as_str())
    );
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // In place: the limit, and the allowed addresses.
    let changed = FIREWALL
        .replace("rate_limit: 1000", "rate_limit: 2000")
        .replace("[203.0.113.0/24]", "[203.0.113.0/24, 198.51.100.0/24]");
    let path = write(&dir, "examples/service.yaml", &changed);
    let plan = run(&["plan"]).success();
    settings().bind(|| insta::assert_snapshot!("firewall_update", plan.stdout));
    run(&["apply", "--auto-approve"]).success();
    assert_eq!(
        acls(&waf, aws_sdk_wafv2::types::Scope::Regional).await[0].1,
        arn
    );
    let set_id = set_arn.rsplit('/').next().unwrap();
    let set_name = set_arn.rsplit('/').nth(1).unwrap();
    let set = waf
        .get_ip_set()
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .name(set_name)
        .id(set_id)
        .send()
        .await
        .unwrap();
    let mut addresses = set.ip_set().unwrap().addresses().to_vec();
    addresses.sort();
    assert_eq!(addresses, ["198.51.100.0/24", "203.0.113.0/24"]);
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    let _ = path;

    // Someone else's web ACL of a name the stack asks for: refused, untouched.
    waf.create_web_acl()
        .name("theirs")
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .default_action(
            aws_sdk_wafv2::types::DefaultAction::builder()
                .allow(aws_sdk_wafv2::types::AllowAction::builder().build())
                .build(),
        )
        .visibility_config(
            aws_sdk_wafv2::types::VisibilityConfig::builder()
                .metric_name("theirs")
                .sampled_requests_enabled(false)
                .cloud_watch_metrics_enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let taken = changed.replace(
        "  web:\n    description",
        "  web:\n    name: theirs\n    description",
    );
    let path = write(&dir, "examples/service.yaml", &taken);
    let refused = {
        let mut args = vec!["apply", "-f", &path, "--auto-approve"];
        args.extend(vars);
        moto.edgectl(&args)
    };
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("web ACL `theirs` (REGIONAL) already exists and it has no edgectl tags"),
        "{}",
        refused.stderr
    );

    // Destroy: the stack's web ACL, IP set and association go; theirs stays.
    let path = write(&dir, "examples/service.yaml", &changed);
    let mut args = vec!["destroy", "-f", &path, "--auto-approve"];
    args.extend(vars);
    moto.edgectl(&args).success();
    let left: Vec<String> = acls(&waf, aws_sdk_wafv2::types::Scope::Regional)
        .await
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(left, ["theirs"]);
}

/// A CloudFront web ACL: made in us-east-1 with the CLOUDFRONT scope, named by the
/// distribution it protects.
#[tokio::test(flavor = "multi_thread")]
async fn a_distribution_names_its_firewall() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let sdk = moto.sdk().await;
    let waf = aws_sdk_wafv2::Client::new(&sdk);
    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);
    let extra = "
firewalls:
  edge:
    rules:
      - { name: rate-limit, rate_limit: 500, window: 1m }
    protects: [distributions.cdn]
";
    let path = write(&dir, "examples/static-site.yaml", extra);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let global = acls(&waf, aws_sdk_wafv2::types::Scope::Cloudfront).await;
    assert_eq!(global.len(), 1, "{global:?}");
    let listed = cloudfront.list_distributions().send().await.unwrap();
    let id = listed.distribution_list().unwrap().items()[0]
        .id()
        .to_string();
    let config = cloudfront
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        config
            .distribution_config()
            .and_then(|config| config.web_acl_id()),
        Some(global[0].1.as_str())
    );
    let clean = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    moto.edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    assert!(
        acls(&waf, aws_sdk_wafv2::types::Scope::Cloudfront)
            .await
            .is_empty()
    );
}
