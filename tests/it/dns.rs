//! Route 53 end to end (issue 14): records the stack writes in a zone someone else owns
//! (CNAME, TXT, MX, A) and in a zone it makes, each with its ownership marker written in
//! the same change batch; a record someone else wrote in the same zone survives apply and
//! destroy, and a record of its name and type is refused; values changed in place; the
//! stack's zone refused for deletion while it holds a record the stack did not write;
//! destroy leaving the other zone as it was.

use crate::harness::{Moto, edited, settings, written};

const MANIFEST: &str = "stack: dns-demo
region: us-east-1
zones:
  main:
    name: example.com
    records:
      - { name: www, cname: app.example.com, ttl: 60 }
      - { name: \"@\", txt: [\"v=spf1 -all\"] }
      - { name: \"@\", mx: [\"10 mail.example.com\"] }
      - { name: app, a: [192.0.2.10, 192.0.2.11] }
  internal:
    name: demo.example.org
    create: true
    comment: the demo's own zone
    records:
      - { name: api, a: [192.0.2.20] }
";

fn write(dir: &tempfile::TempDir, file: &str, edit: &[(&str, &str)]) -> String {
    written(dir, file, &edited(MANIFEST, edit))
}

/// Every record set of a zone as (name, type, values), sorted.
async fn records(
    route53: &aws_sdk_route53::Client,
    zone: &str,
) -> Vec<(String, String, Vec<String>)> {
    let listed = route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    let mut found: Vec<(String, String, Vec<String>)> = listed
        .resource_record_sets()
        .iter()
        .map(|set| {
            let mut values: Vec<String> = set
                .resource_records()
                .iter()
                .map(|record| record.value().to_string())
                .collect();
            values.sort();
            (
                set.name().to_string(),
                set.r#type().as_str().to_string(),
                values,
            )
        })
        .collect();
    found.sort();
    found
}

async fn zones(route53: &aws_sdk_route53::Client) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = route53
        .list_hosted_zones()
        .send()
        .await
        .unwrap()
        .hosted_zones()
        .iter()
        .map(|zone| (zone.name().to_string(), zone.id().to_string()))
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn records_lifecycle() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let route53 = aws_sdk_route53::Client::new(&moto.sdk().await);
    // The company's zone, with a record of its own.
    let theirs = moto.zone("example.com").await;
    let mail = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name("mail.example.com")
        .r#type(aws_sdk_route53::types::RrType::A)
        .ttl(60)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("192.0.2.1")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    crate::harness::change_record(
        &route53,
        &theirs,
        aws_sdk_route53::types::ChangeAction::Create,
        mail,
    )
    .await;
    let before = records(&route53, &theirs).await;

    let path = write(&dir, "dns.yaml", &[]);
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let marker = |name: &str, id: &str| {
        (
            name.to_string(),
            "TXT".to_string(),
            vec![
                "\"edgectl:id=".to_string() + id + "\"",
                "\"edgectl:stack=dns-demo\"".to_string(),
            ],
        )
    };
    let set = |name: &str, kind: &str, values: &[&str]| {
        (
            name.to_string(),
            kind.to_string(),
            values
                .iter()
                .map(|value| value.to_string())
                .collect::<Vec<_>>(),
        )
    };
    let mut expected = before.clone();
    expected.extend([
        set("www.example.com.", "CNAME", &["app.example.com"]),
        marker("_edgectl.cname.www.example.com.", "record.main.www.cname"),
        set("example.com.", "TXT", &["\"v=spf1 -all\""]),
        marker("_edgectl.txt.example.com.", "record.main.@.txt"),
        set("example.com.", "MX", &["10 mail.example.com"]),
        marker("_edgectl.mx.example.com.", "record.main.@.mx"),
        set("app.example.com.", "A", &["192.0.2.10", "192.0.2.11"]),
        marker("_edgectl.a.app.example.com.", "record.main.app.a"),
    ]);
    expected.sort();
    assert_eq!(records(&route53, &theirs).await, expected);
    // The stack's own zone, made with its caller reference and tagged.
    let all = zones(&route53).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let (_, own) = all
        .iter()
        .find(|(name, _)| name == "demo.example.org.")
        .cloned()
        .unwrap();
    let zone = route53.get_hosted_zone().id(&own).send().await.unwrap();
    assert!(
        zone.hosted_zone()
            .unwrap()
            .caller_reference()
            .starts_with("edgectl/dns-demo/zone.internal/")
    );
    let own_records = records(&route53, &own).await;
    assert!(
        own_records.contains(&set("api.demo.example.org.", "A", &["192.0.2.20"])),
        "{own_records:?}"
    );
    let clean = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // In place: new values.
    let changed = write(
        &dir,
        "changed.yaml",
        &[
            ("192.0.2.10, 192.0.2.11", "192.0.2.12"),
            ("ttl: 60", "ttl: 120"),
            ("comment: the demo's own zone", "comment: the demo's zone"),
        ],
    );
    let plan = moto.edgectl(&["plan", "-f", &changed]).success();
    settings().bind(|| insta::assert_snapshot!("dns_update", plan.stdout));
    moto.edgectl(&["apply", "-f", &changed, "--auto-approve"])
        .success();
    let now = records(&route53, &theirs).await;
    assert!(
        now.contains(&set("app.example.com.", "A", &["192.0.2.12"])),
        "{now:?}"
    );
    let zone = route53.get_hosted_zone().id(&own).send().await.unwrap();
    assert_eq!(
        zone.hosted_zone()
            .and_then(|zone| zone.config())
            .and_then(|config| config.comment()),
        Some("the demo's zone")
    );
    let clean = moto.edgectl(&["plan", "-f", &changed, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // A record of the name and type someone else wrote: refused, theirs untouched.
    let taken = write(
        &dir,
        "taken.yaml",
        &[(
            "      - { name: app,",
            "      - { name: mail, a: [192.0.2.99] }\n      - { name: app,",
        )],
    );
    let refused = moto.edgectl(&["apply", "-f", &taken, "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("record `mail.example.com` (A) already exists in zone `example.com` and this stack did not write it"),
        "{}",
        refused.stderr
    );
    assert!(records(&route53, &theirs).await.contains(&set(
        "mail.example.com.",
        "A",
        &["192.0.2.1"]
    )));

    // The stack's zone holding a record someone else wrote: destroy refuses before
    // changing anything.
    let stray = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name("stray.demo.example.org")
        .r#type(aws_sdk_route53::types::RrType::Txt)
        .ttl(60)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("\"hand-made\"")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let batch = |action| {
        aws_sdk_route53::types::ChangeBatch::builder()
            .changes(
                aws_sdk_route53::types::Change::builder()
                    .action(action)
                    .resource_record_set(stray.clone())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    route53
        .change_resource_record_sets()
        .hosted_zone_id(&own)
        .change_batch(batch(aws_sdk_route53::types::ChangeAction::Create))
        .send()
        .await
        .unwrap();
    let held = moto.edgectl(&["destroy", "-f", &changed, "--auto-approve"]);
    assert_ne!(held.code, 0, "{}", held.stderr);
    assert!(
        held.stderr
            .contains("holds records this stack did not write (stray.demo.example.org TXT)"),
        "{}",
        held.stderr
    );
    assert_eq!(records(&route53, &theirs).await, {
        let mut now = now.clone();
        now.sort();
        now
    });
    route53
        .change_resource_record_sets()
        .hosted_zone_id(&own)
        .change_batch(batch(aws_sdk_route53::types::ChangeAction::Delete))
        .send()
        .await
        .unwrap();

    // Destroy: the stack's records and zone go; the company's zone is as it was.
    moto.edgectl(&["destroy", "-f", &changed, "--auto-approve"])
        .success();
    assert_eq!(records(&route53, &theirs).await, before);
    assert_eq!(zones(&route53).await.len(), 1);
}
