//! ACM certificates end to end (issue 14): a certificate requested with DNS validation,
//! its validation records written in the zone (with their ownership markers), the apply
//! waiting until ACM issues it; a certificate whose names no zone of the stack holds
//! stops at once with the records to write by hand, instead of waiting forever; new
//! names make a new certificate before the old goes; someone else's certificate of the
//! same name is never touched; destroy leaves the zone as it was.
//!
//! moto's ACM issues a DNS-validated certificate `MOTO_ACM_VALIDATION_WAIT` seconds after
//! the request (the harness sets 1) without looking for the record; AWS issues it once
//! it resolves the validation record, usually within minutes.

use crate::harness::{Moto, settings};

const MANIFEST: &str = "stack: certs-demo
region: eu-west-1
zones:
  main:
    name: example.com
certificates:
  site:
    domain: app.example.com
    alternative_names: [\"*.app.example.com\", www.example.com]
  shop:
    domain: shop.example.net
";

async fn certificates(acm: &aws_sdk_acm::Client) -> Vec<(String, String, String)> {
    let listed = acm.list_certificates().send().await.unwrap();
    let mut out = Vec::new();
    for summary in listed.certificate_summary_list() {
        let arn = summary.certificate_arn().unwrap();
        let described = acm
            .describe_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .unwrap();
        let detail = described.certificate().unwrap();
        out.push((
            detail.domain_name().unwrap().to_string(),
            detail.status().unwrap().as_str().to_string(),
            arn.to_string(),
        ));
    }
    out.sort();
    out
}

async fn names(route53: &aws_sdk_route53::Client, zone: &str) -> Vec<String> {
    let sets = route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = sets
        .resource_record_sets()
        .iter()
        .map(|set| format!("{} {}", set.name(), set.r#type().as_str()))
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn certificates_lifecycle() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let sdk = moto.sdk_in("eu-west-1").await;
    let acm = aws_sdk_acm::Client::new(&sdk);
    let route53 = aws_sdk_route53::Client::new(&sdk);
    let zone = moto.zone("example.com").await;
    let before = names(&route53, &zone).await;
    // Someone else's certificate of the same name.
    let theirs = acm
        .request_certificate()
        .domain_name("app.example.com")
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap()
        .certificate_arn()
        .unwrap()
        .to_string();

    let path = dir.path().join("certs.yaml");
    std::fs::write(&path, MANIFEST).unwrap();
    let path = path.to_string_lossy().into_owned();
    let run = moto.edgectl(&["apply", "-f", &path, "--auto-approve"]);
    // shop.example.net is in no zone of the stack: its records are for a person to write.
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("waits for DNS validation of shop.example.net, in no zone of this stack: write these records")
            && run.stderr.contains(".shop.example.net CNAME _"),
        "{}",
        run.stderr
    );
    let found = certificates(&acm).await;
    let ours: Vec<&(String, String, String)> =
        found.iter().filter(|(_, _, arn)| *arn != theirs).collect();
    assert_eq!(ours.len(), 2, "{found:?}");
    assert!(
        ours.iter()
            .any(|(domain, status, _)| domain == "app.example.com" && status == "ISSUED"),
        "{found:?}"
    );
    let tags = acm
        .list_tags_for_certificate()
        .certificate_arn(
            &ours
                .iter()
                .find(|(domain, ..)| domain == "app.example.com")
                .unwrap()
                .2,
        )
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|tag| tag.key() == "edgectl:id" && tag.value() == Some("certificate.site"))
    );
    // One validation record per name (the wildcard shares its base's), each with its marker.
    let now = names(&route53, &zone).await;
    let validation: Vec<&String> = now
        .iter()
        .filter(|name| {
            name.starts_with('_') && !name.starts_with("_edgectl.") && name.ends_with(" CNAME")
        })
        .collect();
    assert_eq!(validation.len(), 2, "{now:?}");
    assert_eq!(
        now.iter()
            .filter(|name| name.starts_with("_edgectl.cname._"))
            .count(),
        2,
        "{now:?}"
    );

    // Without the certificate validated by hand: done, and a clean plan.
    let site_only = MANIFEST.replace("  shop:\n    domain: shop.example.net\n", "");
    std::fs::write(&path, &site_only).unwrap();
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let clean = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    let found = certificates(&acm).await;
    assert_eq!(found.len(), 2, "{found:?}");

    // In place: the certificate's tags (its names are what it is).
    let tagged = site_only.replace(
        "region: eu-west-1\n",
        "region: eu-west-1\ntags: { team: web }\n",
    );
    std::fs::write(&path, &tagged).unwrap();
    let plan = moto.edgectl(&["plan", "-f", &path]).success();
    settings().bind(|| insta::assert_snapshot!("certificate_tags", plan.stdout));
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let ours = &found.iter().find(|(_, _, arn)| *arn != theirs).unwrap().2;
    let tags = acm
        .list_tags_for_certificate()
        .certificate_arn(ours)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|tag| tag.key() == "team" && tag.value() == Some("web")),
        "{tags:?}"
    );
    std::fs::write(&path, &site_only).unwrap();
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let old = found
        .iter()
        .find(|(_, _, arn)| *arn != theirs)
        .unwrap()
        .2
        .clone();

    // New names: a new certificate, issued before the old one goes.
    let renamed = site_only.replace(", www.example.com]", "]");
    std::fs::write(&path, &renamed).unwrap();
    let plan = moto.edgectl(&["plan", "-f", &path]).success();
    settings().bind(|| insta::assert_snapshot!("certificate_names", plan.stdout));
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let found = certificates(&acm).await;
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|(_, _, arn)| *arn != old), "{found:?}");
    let clean = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);

    // Destroy: the stack's certificate and records go; theirs and the zone stay.
    moto.edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    let found = certificates(&acm).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].2, theirs);
    assert_eq!(names(&route53, &zone).await, before);
}

/// A distribution's certificate is made in us-east-1, whatever the stack's region (a
/// second regional client): the static site in eu-west-1 on its own domain.
#[tokio::test(flavor = "multi_thread")]
async fn a_distribution_s_certificate_is_made_in_us_east_1() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let site = crate::harness::root().join("examples/site");
    let text = std::fs::read_to_string(crate::harness::root().join("examples/static-site.yaml"))
        .unwrap()
        .replace("region: us-east-1", "region: eu-west-1")
        .replace("source: ./site", &format!("source: {}", site.display()))
        .replace(
            "    comment: static-demo single-page app\n",
            "    comment: static-demo single-page app\n    aliases: [www.example.com]\n    certificate: certificates.www\n",
        )
        + "
zones:
  company:
    name: example.com
    records:
      - { name: www, alias: distributions.cdn }
certificates:
  www:
    domain: www.example.com
";
    assert!(text.contains("certificates.www\n"), "the example changed");
    let path = dir.path().join("site.yaml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_string_lossy().into_owned();
    moto.zone("example.com").await;
    moto.edgectl(&["apply", "-f", &path, "--auto-approve"])
        .success();
    let global = aws_sdk_acm::Client::new(&moto.sdk_in("us-east-1").await);
    let regional = aws_sdk_acm::Client::new(&moto.sdk_in("eu-west-1").await);
    let found = certificates(&global).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("www.example.com", "ISSUED")
    );
    assert!(
        found[0].2.starts_with("arn:aws:acm:us-east-1:"),
        "{found:?}"
    );
    assert!(certificates(&regional).await.is_empty());
    let cloudfront = aws_sdk_cloudfront::Client::new(&moto.sdk().await);
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
            .and_then(|config| config.viewer_certificate())
            .and_then(|viewer| viewer.acm_certificate_arn()),
        Some(found[0].2.as_str())
    );
    let clean = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    moto.edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    assert!(certificates(&global).await.is_empty());
}

/// Writes a CNAME by hand in `zone` (someone else's record, no marker).
async fn cname(route53: &aws_sdk_route53::Client, zone: &str, name: &str, value: &str) {
    use aws_sdk_route53::types::{ChangeAction, ResourceRecord, ResourceRecordSet, RrType};
    let set = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::Cname)
        .ttl(300)
        .resource_records(ResourceRecord::builder().value(value).build().unwrap())
        .build()
        .unwrap();
    crate::harness::change_record(route53, zone, ChangeAction::Create, set).await;
}

/// ACM asks every certificate of a name in one account for the same validation record:
/// one written before (by hand, by the CDK stack this one replaces) holding exactly that
/// value satisfies the validation and is never taken over — the stack writes only a
/// marker of its own beside it, and its destroy leaves the record; one of that name with
/// another value is refused, named. (moto, like AWS, asks for the same record for the
/// same name.)
#[tokio::test(flavor = "multi_thread")]
async fn a_validation_record_already_in_the_zone_is_relied_on_not_taken_over() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let sdk = moto.sdk_in("eu-west-1").await;
    let route53 = aws_sdk_route53::Client::new(&sdk);
    let zone = moto.zone("example.com").await;
    let text = "stack: certs-demo
region: eu-west-1
zones:
  main:
    name: example.com
certificates:
  site:
    domain: app.example.com
";
    let path = dir.path().join("certs.yaml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_string_lossy().into_owned();
    // What ACM asks for, for app.example.com, in this account.
    let name = "_d930b28be6c5927595552b219965053e.app.example.com.";
    let value = "_c9edd76ee4a0e2a74388032f3861cc50.ykybfrwcxw.acm-validations.aws.";

    // Another value under that name: refused, named, nothing of it changed.
    cname(&route53, &zone, name, "someone-else.example.net.").await;
    let refused = moto.edgectl(&["apply", "-f", &path, "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "record `{}` (CNAME) in zone",
            name.trim_end_matches('.')
        )) && refused.stderr.contains("not the value ACM asks for"),
        "{}",
        refused.stderr
    );
    moto.edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    let zone_name = |sets: &[String]| sets.iter().any(|set| set.starts_with(name));
    assert!(zone_name(&names(&route53, &zone).await));
    // Put right by its owner: now the value ACM asks for.
    let sets = route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap();
    let theirs = sets
        .resource_record_sets()
        .iter()
        .find(|set| set.name() == name)
        .unwrap()
        .clone();
    crate::harness::change_record(
        &route53,
        &zone,
        aws_sdk_route53::types::ChangeAction::Delete,
        theirs,
    )
    .await;
    cname(&route53, &zone, name, value).await;

    let applied = moto.edgectl(&["apply", "-f", &path, "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let after = names(&route53, &zone).await;
    assert!(
        after.contains(&format!("_edgectl-shared.certs-demo.cname.{} TXT", name)),
        "{after:?}"
    );
    // Not the stack's record: no ownership marker of its own.
    assert!(
        !after
            .iter()
            .any(|set| set.starts_with(&format!("_edgectl.cname.{name}"))),
        "{after:?}"
    );
    let plan = moto.edgectl(&["plan", "-f", &path, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);

    moto.edgectl(&["destroy", "-f", &path, "--auto-approve"])
        .success();
    let left = names(&route53, &zone).await;
    assert!(
        left.contains(&format!("{name} CNAME")),
        "the record the stack relied on was deleted: {left:?}"
    );
    assert!(!left.iter().any(|set| set.contains("_edgectl")), "{left:?}");
}
