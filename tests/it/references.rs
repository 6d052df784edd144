//! References to live attributes and outputs (issue 14): a service's environment holds the
//! load balancer's DNS name, unknown in the plan from empty and the real one after apply
//! (read back from the task definition through the SDK); the plan right after is clean
//! (the template compares as the text it makes); `apply` prints the outputs, and
//! `edgectl output` reads them live — all, one bare for `$(...)`, or JSON — while an
//! unknown output name fails before any AWS call, and an output whose resource is gone
//! says so.

use crate::harness::Moto;

const MANIFEST: &str = "stack: refs-demo
region: us-east-1
network:
  cidr: 10.0.0.0/16
  zones: 2
  subnets:
    public: [10.0.0.0/24, 10.0.1.0/24]
  nat: none
security_groups:
  alb:
    ingress: [{ port: 80, from: 0.0.0.0/0 }]
  web:
    ingress: [{ port: 3000, from: alb }]
repositories:
  web:
    force_destroy: true
clusters:
  main: {}
load_balancers:
  alb:
    security_groups: [alb]
    listeners:
      - { port: 80, forward: web }
services:
  web:
    image: { repository: web, tag: v1 }
    port: 3000
    subnets: public
    public_ip: true
    security_groups: [web]
    expose: { port: 3000, health: /health }
    environment:
      API_URL: http://${load_balancers.alb.dns_name}/api
      LITERAL: costs $${5}
outputs:
  url: http://${load_balancers.alb.dns_name}
  repository: ${repositories.web.uri}
  vpc: ${network.vpc.id}
  subnets: ${network.public.ids}
  token:
    value: ${repositories.web.name}
    description: marked sensitive, so hidden in lists
    sensitive: true
";

#[tokio::test(flavor = "multi_thread")]
async fn references_resolve_at_apply_and_outputs_read_live() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refs.yaml");
    std::fs::write(&path, MANIFEST).unwrap();
    let path = path.to_string_lossy().into_owned();
    let sdk = moto.sdk().await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let ecs = aws_sdk_ecs::Client::new(&sdk);

    // An unknown output is refused before AWS is asked anything.
    let before = moto.requests();
    let unknown = moto.edgectl(&["output", "-f", &path, "urls"]);
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    assert!(
        unknown
            .stderr
            .contains("no output `urls`: did you mean `url`?"),
        "{}",
        unknown.stderr
    );
    assert_eq!(moto.requests(), before);

    // From empty, the DNS name is not known yet: the plan says so.
    let plan = moto.edgectl(&["plan", "-f", &path]).success();
    assert!(
        plan.stdout
            .contains("\"http://${load_balancer.alb@dns_name}/api\" (known after apply)"),
        "{}",
        plan.stdout
    );
    // Nothing live: the outputs cannot be read.
    let early = moto.edgectl(&["output", "-f", &path, "url"]);
    assert_eq!(early.code, 1);
    assert!(
        early
            .stderr
            .contains("output `url` needs `load_balancer.alb`, which is not live"),
        "{}",
        early.stderr
    );

    let applied = moto
        .edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let balancer = elb
        .describe_load_balancers()
        .names("refs-demo-alb")
        .send()
        .await
        .unwrap();
    let dns = balancer.load_balancers()[0].dns_name().unwrap().to_string();
    assert!(!dns.is_empty());
    assert!(
        applied
            .stdout
            .contains(&format!("url        = \"http://{dns}\"")),
        "{}",
        applied.stdout
    );
    assert!(
        applied.stdout.contains("token      = (sensitive)"),
        "{}",
        applied.stdout
    );

    // The task definition holds the live name, and the escaped `$${` as a literal `${`.
    let definition = ecs
        .describe_task_definition()
        .task_definition("refs-demo-web")
        .send()
        .await
        .unwrap();
    let environment = definition
        .task_definition()
        .unwrap()
        .container_definitions()[0]
        .environment()
        .to_vec();
    let value = |name: &str| {
        environment
            .iter()
            .find(|pair| pair.name() == Some(name))
            .and_then(|pair| pair.value())
            .map(str::to_string)
    };
    assert_eq!(value("API_URL"), Some(format!("http://{dns}/api")));
    assert_eq!(value("LITERAL"), Some("costs ${5}".to_string()));

    let clean = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // One output, bare: what `$(edgectl output -f m.yaml url)` captures.
    let one = moto.edgectl(&["output", "-f", &path, "url"]).success();
    assert_eq!(one.stdout, format!("http://{dns}\n"));
    // A sensitive one asked for by name is given.
    let token = moto.edgectl(&["output", "-f", &path, "token"]).success();
    assert_eq!(token.stdout, "refs-demo-web\n");
    let all = moto.edgectl(&["output", "-f", &path, "--json"]).success();
    let json: serde_json::Value = serde_json::from_str(&all.stdout).unwrap();
    assert_eq!(json["url"]["value"], format!("http://{dns}"));
    assert_eq!(json["token"]["sensitive"], true);
    let repository = json["repository"]["value"].as_str().unwrap();
    assert!(
        repository.ends_with(".dkr.ecr.us-east-1.amazonaws.com/refs-demo-web"),
        "{repository}"
    );
    let vpc = json["vpc"]["value"].as_str().unwrap();
    assert!(vpc.starts_with("vpc-"), "{vpc}");
    let subnets: Vec<&str> = json["subnets"]["value"]
        .as_str()
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(subnets.len(), 2);
    assert!(subnets.iter().all(|subnet| subnet.starts_with("subnet-")));
    // The reads are those of the kinds the outputs name, nothing else.
    let calls = moto
        .edgectl(&["-v", "output", "-f", &path, "url"])
        .success();
    assert!(
        !calls.stderr.contains("ECS.") && !calls.stderr.contains("IAM."),
        "{}",
        calls.stderr
    );

    moto.edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    let gone = moto.edgectl(&["output", "-f", &path]);
    assert_eq!(gone.code, 1);
    assert!(
        gone.stderr.contains("run `edgectl apply` first"),
        "{}",
        gone.stderr
    );

    // Through a saved plan: the plan holds the outputs' templates, and `apply PLANFILE`
    // prints them with what it made.
    let planfile = dir.path().join("refs.plan");
    let planfile = planfile.to_string_lossy();
    moto.edgectl(&["plan", "-f", &path, "--out", &planfile])
        .success();
    let applied = moto.edgectl(&["apply", &planfile]).success();
    let balancer = elb
        .describe_load_balancers()
        .names("refs-demo-alb")
        .send()
        .await
        .unwrap();
    let dns = balancer.load_balancers()[0].dns_name().unwrap().to_string();
    assert!(
        applied
            .stdout
            .contains(&format!("url        = \"http://{dns}\"")),
        "{}",
        applied.stdout
    );
    let definition = ecs
        .describe_task_definition()
        .task_definition("refs-demo-web")
        .send()
        .await
        .unwrap();
    let environment = definition
        .task_definition()
        .unwrap()
        .container_definitions()[0]
        .environment()
        .to_vec();
    assert!(
        environment
            .iter()
            .any(|pair| pair.value() == Some(format!("http://{dns}/api").as_str())),
        "{environment:?}"
    );
}
