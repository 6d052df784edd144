//! The static edge end to end on `examples/static-site.yaml` (copied with its `site/`
//! folder into a scratch directory, so files can change): apply from empty; the bucket's
//! objects, configuration and policy, the Origin Access Control and the distribution
//! checked through the SDK; a clean re-plan; one changed file uploaded alone and
//! invalidated; a deleted file removed; configuration changes in place; destroy refused
//! while the bucket holds someone else's object, then allowed with `force_destroy`.
//!
//! moto gaps (see scripts/patch-moto.py and MOTO.md): CloudFront deploys and completes
//! invalidations at once, and does not enforce `IfMatch`; the disable → wait → delete
//! order is exercised, but a wrong ETag would not fail here.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::{Moto, Run, copy_dir, root, settings, summary};

const BUCKET: &str = "static-demo-site-example";

struct Scratch {
    dir: tempfile::TempDir,
    manifest: String,
}

impl Scratch {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("scratch dir");
        copy_dir(&root().join("examples/site"), &dir.path().join("site"));
        let manifest = std::fs::read_to_string(root().join("examples/static-site.yaml"))
            .expect("read example");
        let scratch = Self { dir, manifest };
        scratch.write(&scratch.manifest.clone());
        scratch
    }

    fn path(&self) -> String {
        self.dir
            .path()
            .join("static-site.yaml")
            .to_string_lossy()
            .into_owned()
    }

    fn write(&self, text: &str) {
        std::fs::write(self.dir.path().join("static-site.yaml"), text).expect("write manifest");
    }

    fn edit(&mut self, from: &str, to: &str) {
        assert!(self.manifest.contains(from), "manifest lacks {from:?}");
        self.manifest = self.manifest.replace(from, to);
        self.write(&self.manifest.clone());
    }

    fn site(&self) -> std::path::PathBuf {
        self.dir.path().join("site")
    }
}

/// Local files under `dir`, keyed as S3 keys.
fn local_files(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            local_files(&entry.path(), &format!("{prefix}{name}/"), out);
        } else {
            out.insert(
                format!("{prefix}{name}"),
                std::fs::read(entry.path()).unwrap(),
            );
        }
    }
}

/// The plan's summary line is `want`.
fn assert_summary(run: &Run, want: &str) {
    assert_eq!(summary(run), want, "{}", run.stdout);
}

/// `edgectl <verb> -f <manifest> --auto-approve --no-progress [extra]`, whatever its exit.
fn approved(moto: &Moto, scratch: &Scratch, verb: &str, extra: &[&str]) -> Run {
    let path = scratch.path();
    let mut args = vec![verb, "-f", &path, "--auto-approve", "--no-progress"];
    args.extend_from_slice(extra);
    moto.edgectl(&args)
}

fn apply(moto: &Moto, scratch: &Scratch) -> Run {
    approved(moto, scratch, "apply", &[]).success()
}

fn destroy(moto: &Moto, scratch: &Scratch) -> Run {
    approved(moto, scratch, "destroy", &[]).success()
}

fn plan(moto: &Moto, scratch: &Scratch) -> Run {
    moto.edgectl(&["plan", "-f", &scratch.path(), "--verbose"])
}

/// The plan is empty (`--detailed-exitcode` exits 0).
fn assert_clean(moto: &Moto, scratch: &Scratch) {
    let run = moto.edgectl(&["plan", "-f", &scratch.path(), "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

async fn head_object(
    s3: &aws_sdk_s3::Client,
    key: &str,
) -> aws_sdk_s3::operation::head_object::HeadObjectOutput {
    s3.head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap()
}

/// Object PUTs moto served since `from` (log lines), not counting sub-resources (`?tagging`).
fn object_puts(moto: &Moto, from: usize) -> Vec<String> {
    moto.log_lines()[from..]
        .iter()
        .filter_map(|line| {
            let request = line.split('"').nth(1)?;
            let path = request.strip_prefix("PUT /")?.split(' ').next()?;
            let key = path.strip_prefix(&format!("{BUCKET}/"))?;
            // The SDK names the operation in the query (`?x-id=PutObject`).
            let key = key.split('?').next()?;
            (!key.is_empty()).then(|| key.to_string())
        })
        .collect()
}

async fn remote_objects(s3: &aws_sdk_s3::Client) -> BTreeMap<String, (Vec<u8>, String)> {
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let mut out = BTreeMap::new();
    for object in listed.contents() {
        let key = object.key().unwrap().to_string();
        let got = s3
            .get_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap();
        let content_type = got.content_type().unwrap_or_default().to_string();
        let bytes = got.body.collect().await.unwrap().into_bytes().to_vec();
        out.insert(key, (bytes, content_type));
    }
    out
}

/// The paths of each invalidation made on the distribution, in the listing's order.
async fn invalidations(
    cloudfront: &aws_sdk_cloudfront::Client,
    distribution_id: &str,
) -> Vec<Vec<String>> {
    let listed = cloudfront
        .list_invalidations()
        .distribution_id(distribution_id)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for item in listed.invalidation_list().unwrap().items() {
        let found = cloudfront
            .get_invalidation()
            .distribution_id(distribution_id)
            .id(item.id())
            .send()
            .await
            .unwrap();
        let batch = found.invalidation().unwrap().invalidation_batch().unwrap();
        out.push(batch.paths().unwrap().items().to_vec());
    }
    out
}

async fn s3_client(moto: &Moto) -> aws_sdk_s3::Client {
    let sdk = moto.sdk().await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn static_site_lifecycle() {
    let moto = Moto::start();
    let mut scratch = Scratch::new();
    let s3 = s3_client(&moto).await;
    let cloudfront = aws_sdk_cloudfront::Client::new(&moto.sdk().await);

    // From empty.
    let first = apply(&moto, &scratch);
    assert!(
        first
            .stdout
            .contains("bucket site: 4 to upload, 0 to delete, 0 unchanged"),
        "{}",
        first.stdout
    );

    // The objects are the folder: keys, bytes and Content-Type; headers from the rules.
    let mut local = BTreeMap::new();
    local_files(&scratch.site(), "", &mut local);
    let remote = remote_objects(&s3).await;
    assert_eq!(
        remote.keys().collect::<Vec<_>>(),
        local.keys().collect::<Vec<_>>()
    );
    for (key, bytes) in &local {
        assert_eq!(&remote[key].0, bytes, "bytes of {key}");
    }
    assert_eq!(remote["index.html"].1, "text/html");
    assert_eq!(remote["assets/site.css"].1, "text/css");
    assert_eq!(remote["assets/app.js"].1, "text/javascript");
    assert_eq!(remote["favicon.svg"].1, "image/svg+xml");
    let head = head_object(&s3, "assets/app.js").await;
    assert_eq!(
        head.cache_control(),
        Some("public, max-age=31536000, immutable")
    );
    let head = head_object(&s3, "index.html").await;
    assert_eq!(head.cache_control(), Some("no-cache"));

    // The bucket: secure defaults and the manifest's settings.
    let versioning = s3
        .get_bucket_versioning()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Enabled"));
    let public = s3
        .get_public_access_block()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let block = public.public_access_block_configuration().unwrap();
    assert_eq!(block.block_public_acls(), Some(true));
    assert_eq!(block.restrict_public_buckets(), Some(true));
    let encryption = s3
        .get_bucket_encryption()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let rule = &encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ownership.ownership_controls().unwrap().rules()[0]
            .object_ownership()
            .as_str(),
        "BucketOwnerEnforced"
    );
    let tagging = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    let tags: BTreeMap<&str, &str> = tagging
        .tag_set()
        .iter()
        .map(|tag| (tag.key(), tag.value()))
        .collect();
    assert_eq!(tags.get("edgectl:stack"), Some(&"static-demo"));
    assert_eq!(tags.get("edgectl:id"), Some(&"bucket.site"));

    // The distribution: bucket origin through the OAC, /api/* to the ALB, SPA errors.
    let list = cloudfront.list_distributions().send().await.unwrap();
    let summary_item = &list.distribution_list().unwrap().items()[0];
    let distribution_arn = summary_item.arn().to_string();
    let distribution_id = summary_item.id().to_string();
    let config = cloudfront
        .get_distribution_config()
        .id(&distribution_id)
        .send()
        .await
        .unwrap();
    let config = config.distribution_config().unwrap();
    let origins = config.origins().unwrap().items();
    let bucket_origin = origins.iter().find(|o| o.id() == "bucket-site").unwrap();
    assert_eq!(
        bucket_origin.domain_name(),
        "static-demo-site-example.s3.us-east-1.amazonaws.com"
    );
    let controls = cloudfront
        .list_origin_access_controls()
        .send()
        .await
        .unwrap();
    let control = &controls.origin_access_control_list().unwrap().items()[0];
    assert_eq!(control.name(), "static-demo-site");
    assert_eq!(control.signing_behavior().as_str(), "always");
    // Kept by moto only with scripts/patch-moto.py's patch 7.
    assert_eq!(bucket_origin.origin_access_control_id(), Some(control.id()));
    let lb_origin = origins.iter().find(|o| o.id() == "lb-api").unwrap();
    assert!(lb_origin.domain_name().contains("static-demo-api"));
    assert_eq!(
        lb_origin
            .custom_origin_config()
            .unwrap()
            .origin_protocol_policy()
            .as_str(),
        "http-only"
    );
    let behaviors = config.cache_behaviors().unwrap().items();
    assert_eq!(behaviors.len(), 1);
    assert_eq!(behaviors[0].path_pattern(), "/api/*");
    assert_eq!(behaviors[0].target_origin_id(), "lb-api");
    assert_eq!(
        behaviors[0].cache_policy_id(),
        Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"),
        "CachingDisabled"
    );
    let default = config.default_cache_behavior().unwrap();
    assert_eq!(
        default.cache_policy_id(),
        Some("658327ea-f89d-4fab-a63d-7e88639e58f6"),
        "CachingOptimized"
    );
    assert_eq!(
        default.viewer_protocol_policy().as_str(),
        "redirect-to-https"
    );
    let errors = config.custom_error_responses().unwrap().items();
    let codes: Vec<i32> = errors.iter().map(|e| e.error_code()).collect();
    assert_eq!(codes, vec![403, 404]);
    assert!(
        errors
            .iter()
            .all(|e| e.response_page_path() == Some("/index.html")
                && e.response_code() == Some("200"))
    );
    assert_eq!(config.default_root_object(), Some("index.html"));

    // The bucket policy lets exactly this distribution read.
    let policy = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(
        statement["Principal"]["Service"],
        "cloudfront.amazonaws.com"
    );
    assert_eq!(statement["Action"], "s3:GetObject");
    assert_eq!(
        statement["Condition"]["StringEquals"]["AWS:SourceArn"][0],
        distribution_arn.as_str()
    );

    // Nothing to do right after.
    assert_clean(&moto, &scratch);

    // One file changes: one upload, one invalidation naming it.
    std::fs::write(
        scratch.site().join("assets/site.css"),
        "body { color: #222; }\n",
    )
    .unwrap();
    let planned = plan(&moto, &scratch);
    settings().bind(|| insta::assert_snapshot!("sync_one_changed", planned.stdout));
    let before = moto.log_lines().len();
    // `--wait` also waits for the invalidation to complete (moto completes it at once, and
    // spells the status `COMPLETED` where AWS says `Completed`).
    approved(&moto, &scratch, "apply", &["--wait"]).success();
    assert_eq!(object_puts(&moto, before), vec!["assets/site.css"]);
    let polled = moto.log_lines()[before..]
        .iter()
        .filter(|line| line.contains("/invalidation/"))
        .count();
    assert!(polled >= 1, "--wait read the invalidation's status");
    assert_eq!(
        invalidations(&cloudfront, &distribution_id).await,
        vec![vec!["/assets/site.css"]],
        "one invalidation, naming the file"
    );

    // A file deleted locally goes remotely (`delete: true`).
    std::fs::remove_file(scratch.site().join("favicon.svg")).unwrap();
    let planned = plan(&moto, &scratch);
    assert!(
        planned
            .stdout
            .contains("bucket site: 0 to upload, 1 to delete, 3 unchanged"),
        "{}",
        planned.stdout
    );
    apply(&moto, &scratch);
    assert!(!remote_objects(&s3).await.contains_key("favicon.svg"));

    // An apply killed between changing objects and invalidating them leaves its mark on
    // the bucket (`edgectl:sync` ends in ` invalidate`); the next apply invalidates `/*`.
    let tagging = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    let mut tags: Vec<aws_sdk_s3::types::Tag> = tagging.tag_set().to_vec();
    for tag in &mut tags {
        if tag.key() == "edgectl:sync" {
            *tag = aws_sdk_s3::types::Tag::builder()
                .key("edgectl:sync")
                .value(format!("{} invalidate", tag.value()))
                .build()
                .unwrap();
        }
    }
    s3.put_bucket_tagging()
        .bucket(BUCKET)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .set_tag_set(Some(tags))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let planned = plan(&moto, &scratch);
    assert!(
        planned.stdout.contains("stopped before invalidating"),
        "{}",
        planned.stdout
    );
    let before = moto.log_lines().len();
    apply(&moto, &scratch);
    assert!(object_puts(&moto, before).is_empty(), "nothing re-uploaded");
    let mut all_paths: Vec<String> = invalidations(&cloudfront, &distribution_id).await.concat();
    all_paths.sort();
    assert_eq!(all_paths, ["/*", "/assets/site.css", "/favicon.svg"]);
    assert_clean(&moto, &scratch);

    // A distribution change is an update in place, and plans clean afterwards.
    scratch.edit(
        "      - { path: /api/*, origin: load_balancers.api }\n",
        "      - { path: /api/*, origin: load_balancers.api }\n      - { path: /ws, origin: load_balancers.api, websocket: true }\n",
    );
    let planned = plan(&moto, &scratch);
    assert_summary(
        &planned,
        "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete.",
    );
    assert!(
        planned
            .stdout
            .contains("origin_request_policy: \"Managed-AllViewer\", path: \"/ws\""),
        "{}",
        planned.stdout
    );
    apply(&moto, &scratch);
    assert_clean(&moto, &scratch);

    // Lifecycle, versioning and encryption changes are updates in place.
    scratch.edit(
        "      noncurrent_expire_after_days: 30",
        "      noncurrent_expire_after_days: 60",
    );
    scratch.edit(
        "    versioning: true\n",
        "    versioning: false\n    encryption: sse-kms\n",
    );
    let planned = plan(&moto, &scratch);
    settings().bind(|| insta::assert_snapshot!("bucket_configuration", planned.stdout));
    apply(&moto, &scratch);
    let versioning = s3
        .get_bucket_versioning()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Suspended"));
    assert_clean(&moto, &scratch);

    // Someone else's object: destroy is refused and nothing is deleted.
    s3.put_object()
        .bucket(BUCKET)
        .key("uploads/report.csv")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"a,b\n"))
        .send()
        .await
        .unwrap();
    let refused = moto.edgectl(&["destroy", "-f", &scratch.path(), "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(
        refused
            .stderr
            .contains("holds 1 object edgectl did not put there (uploads/report.csv)"),
        "{}",
        refused.stderr
    );
    assert!(s3.head_bucket().bucket(BUCKET).send().await.is_ok());
    let still = cloudfront.list_distributions().send().await.unwrap();
    assert_eq!(still.distribution_list().unwrap().items().len(), 1);
    assert!(remote_objects(&s3).await.contains_key("index.html"));

    // With force_destroy, everything goes, object versions included.
    scratch.edit(
        "    versioning: false\n",
        "    versioning: false\n    force_destroy: true\n",
    );
    apply(&moto, &scratch);
    destroy(&moto, &scratch);
    assert!(s3.head_bucket().bucket(BUCKET).send().await.is_err());
    let gone = cloudfront.list_distributions().send().await.unwrap();
    assert!(
        gone.distribution_list()
            .is_none_or(|list| list.items().is_empty())
    );
    let controls = cloudfront
        .list_origin_access_controls()
        .send()
        .await
        .unwrap();
    assert!(
        controls
            .origin_access_control_list()
            .is_none_or(|list| list.items().is_empty())
    );
    let after = moto.edgectl(&["plan", "-f", &scratch.path()]).success();
    assert!(
        summary(&after).starts_with("Plan: 15 to create"),
        "{}",
        after.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retained_bucket_survives_destroy() {
    let moto = Moto::start();
    let mut scratch = Scratch::new();
    scratch.edit(
        "    versioning: true\n",
        "    versioning: true\n    retain: true\n",
    );
    // A retained distribution keeps the Origin Access Control it uses (AWS refuses to
    // delete one in use), although the OAC has no tags of its own.
    scratch.edit("    spa: true\n", "    spa: true\n    retain: true\n");
    // Above 8 MiB a file goes up in parts, and its ETag is no content hash: the object
    // carries edgectl's BLAKE3 of its bytes, which the re-plan compares.
    let mut big: Vec<u8> = (0..9 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
    let video = scratch.site().join("video.bin");
    std::fs::write(&video, &big).unwrap();
    apply(&moto, &scratch);
    let s3 = s3_client(&moto).await;
    let head = head_object(&s3, "video.bin").await;
    assert!(
        head.e_tag().unwrap().ends_with("-2\""),
        "{:?}",
        head.e_tag()
    );
    let expected = blake3::hash(&big).to_hex().to_string();
    assert_eq!(
        head.metadata().and_then(|m| m.get("edgectl-blake3")),
        Some(&expected)
    );
    assert_clean(&moto, &scratch);

    // Same size, one byte changed in the second part: compared by content, it goes again.
    big[8 * 1024 * 1024 + 5] ^= 0xff;
    std::fs::write(&video, &big).unwrap();
    let changed = plan(&moto, &scratch);
    assert!(
        changed
            .stdout
            .contains("bucket site: 1 to upload, 0 to delete, 4 unchanged"),
        "{}",
        changed.stdout
    );
    assert!(changed.stdout.contains("video.bin"), "{}", changed.stdout);
    apply(&moto, &scratch);
    assert_clean(&moto, &scratch);

    // An object another tool put there (parts of 8 MiB, no edgectl hash) compares by its
    // ETag, computed locally the same way: the same bytes are no change.
    let upload = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("video.bin")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let mut parts = Vec::new();
    for (index, chunk) in big.chunks(8 * 1024 * 1024).enumerate() {
        let number = index as i32 + 1;
        let sent = s3
            .upload_part()
            .bucket(BUCKET)
            .key("video.bin")
            .upload_id(id)
            .part_number(number)
            .body(chunk.to_vec().into())
            .send()
            .await
            .unwrap();
        parts.push(
            aws_sdk_s3::types::CompletedPart::builder()
                .part_number(number)
                .set_e_tag(sent.e_tag().map(str::to_string))
                .build(),
        );
    }
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key("video.bin")
        .upload_id(id)
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let head = head_object(&s3, "video.bin").await;
    assert_eq!(head.metadata().and_then(|m| m.get("edgectl-blake3")), None);
    assert_clean(&moto, &scratch);
    let destroyed = destroy(&moto, &scratch);
    assert!(
        destroyed
            .stdout
            .contains("`bucket.site` stays in place: it is retained"),
        "{}",
        destroyed.stdout
    );
    for kept in ["distribution.cdn", "origin_access_control.site"] {
        assert!(
            destroyed
                .stdout
                .contains(&format!("`{kept}` stays in place")),
            "{kept}: {}",
            destroyed.stdout
        );
    }
    assert!(s3.head_bucket().bucket(BUCKET).send().await.is_ok());
    // Its content stays with it.
    let remote = remote_objects(&s3).await;
    assert!(remote.contains_key("index.html"));
    assert_eq!(remote["video.bin"].0, big);
    let cloudfront = aws_sdk_cloudfront::Client::new(&moto.sdk().await);
    let distributions = cloudfront.list_distributions().send().await.unwrap();
    assert_eq!(
        distributions
            .distribution_list()
            .map_or(0, |list| list.items().len()),
        1
    );
    let controls = cloudfront
        .list_origin_access_controls()
        .send()
        .await
        .unwrap();
    assert_eq!(
        controls
            .origin_access_control_list()
            .map_or(0, |list| list.items().len()),
        1
    );
}

/// CloudFront deletes only a disabled distribution whose change has deployed. moto
/// deploys at once unless its state manager says otherwise: here the distribution reads
/// `InProgress` until its third status read, and destroy must wait through them. (moto
/// does not return a distribution to `InProgress` on update, so the transition is set
/// before the create; apply without `--wait` reads no status.)
#[tokio::test(flavor = "multi_thread")]
async fn destroy_waits_for_the_disabled_distribution_to_deploy() {
    let moto = Moto::start();
    let scratch = Scratch::new();
    let body = r#"{"model_name":"cloudfront::distribution","transition":{"progression":"manual","times":8}}"#;
    // A plain HTTP POST to moto's own API (no client library needed).
    let address = moto.url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect to moto");
    let request = format!(
        "POST /moto-api/state-manager/set-transition HTTP/1.0\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.") && answer.contains(" 20"),
        "{answer}"
    );
    apply(&moto, &scratch);
    let before = moto.log_lines().len();
    destroy(&moto, &scratch);
    let reads = moto.log_lines()[before..]
        .iter()
        .filter(|line| {
            line.contains("\"GET /2020-05-31/distribution/") && !line.contains("/config")
        })
        .count();
    assert!(reads >= 3, "destroy read the distribution {reads} times");
    let cloudfront = aws_sdk_cloudfront::Client::new(&moto.sdk().await);
    let gone = cloudfront.list_distributions().send().await.unwrap();
    assert!(
        gone.distribution_list()
            .is_none_or(|list| list.items().is_empty())
    );
}

/// A bucket with the manifest's name that edgectl did not create (no ownership tags) is
/// never taken over: apply stops at it and leaves it as it was.
#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_made_by_hand_is_not_taken_over() {
    let moto = Moto::start();
    let scratch = Scratch::new();
    let s3 = s3_client(&moto).await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let run = approved(&moto, &scratch, "apply", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("already exists in this account but is not tagged as `bucket.site`"),
        "{}",
        run.stderr
    );
    // Untouched: no tags, no versioning, no objects.
    assert!(s3.get_bucket_tagging().bucket(BUCKET).send().await.is_err());
    let versioning = s3
        .get_bucket_versioning()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status(), None);
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0));
}

/// The AWS operations a `--verbose` run reports having called, by name.
pub fn operations(run: &Run) -> BTreeMap<String, usize> {
    run.stderr
        .lines()
        .skip_while(|line| !line.starts_with("AWS calls by operation"))
        .skip(1)
        .map_while(|line| {
            let (name, count) = line.trim().rsplit_once(' ')?;
            Some((name.trim().to_string(), count.parse().ok()?))
        })
        .collect()
}

/// `edgectl sync` keeps only the buckets' content: it refuses a bucket that is missing
/// or not the stack's, uploads and invalidates exactly what changed, reads nothing but the
/// bucket's tags and listing when nothing did, and leaves the rest of the manifest to apply.
#[tokio::test(flavor = "multi_thread")]
async fn sync_keeps_only_the_content() {
    let moto = Moto::start();
    let mut scratch = Scratch::new();
    let s3 = s3_client(&moto).await;
    let path = scratch.path();

    // A bucket name that is not in the manifest: refused before any AWS call.
    let before = moto.log_lines().len();
    let run = moto.edgectl(&["sync", "-f", &path, "sites"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("bucket `sites` is not in the manifest; did you mean `site`?"),
        "{}",
        run.stderr
    );
    assert_eq!(moto.log_lines().len(), before, "no AWS call");

    // No bucket yet: sync does not create one (apply does).
    let run = moto.edgectl(&["sync", "-f", &path]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "bucket `site` (static-demo-site-example) does not exist yet: `edgectl apply` creates it"
        ),
        "{}",
        run.stderr
    );
    assert!(s3.head_bucket().bucket(BUCKET).send().await.is_err());

    // A bucket of that name made by hand: never written into.
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let before = moto.log_lines().len();
    let run = moto.edgectl(&["sync", "-f", &path]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("is not owned by stack `static-demo` as `bucket.site`"),
        "{}",
        run.stderr
    );
    assert!(object_puts(&moto, before).is_empty());
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0));
    s3.delete_bucket().bucket(BUCKET).send().await.unwrap();

    apply(&moto, &scratch);
    // Nothing changed: who the credentials are (every command's first call), the bucket's
    // tags and its listing, nothing else.
    let run = moto.edgectl(&["sync", "-f", &path, "--verbose"]).success();
    assert!(
        run.stdout
            .contains("No changes: 2 resources match the manifest."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("bucket site: 4 files in sync"),
        "{}",
        run.stdout
    );
    let reads: BTreeMap<String, usize> = [
        ("STS.GetCallerIdentity", 1),
        ("S3.GetBucketTagging", 1),
        ("S3.ListObjectsV2", 1),
    ]
    .into_iter()
    .map(|(name, count)| (name.to_string(), count))
    .collect();
    assert_eq!(operations(&run), reads, "{}", run.stderr);

    // One file and the bucket's configuration change: sync uploads and invalidates the
    // file, and leaves the configuration to apply.
    std::fs::write(scratch.site().join("index.html"), "<h1>v2</h1>\n").unwrap();
    scratch.edit("    versioning: true\n", "    versioning: false\n");
    let run = moto.edgectl(&[
        "sync",
        "-f",
        &path,
        "--dry-run",
        "--detailed-exitcode",
        "--verbose",
    ]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    // The content kinds only: the objects' counts and files, the invalidation's paths per
    // distribution; the bucket's own change is left to apply.
    settings().bind(|| insta::assert_snapshot!("sync_dry_run", run.stdout));
    assert!(!run.stdout.contains("bucket.site"), "{}", run.stdout);
    let before = moto.log_lines().len();
    let run = moto
        .edgectl(&["sync", "-f", &path, "--verbose", "--no-progress"])
        .success();
    assert_eq!(object_puts(&moto, before), vec!["index.html"]);
    let called = operations(&run);
    assert_eq!(
        called.get("CloudFront.CreateInvalidation"),
        Some(&1),
        "{}",
        run.stderr
    );
    // The tags: read with the listing, then once more to mark the pending invalidation;
    // the final write reuses what the mark wrote.
    assert_eq!(called.get("S3.GetBucketTagging"), Some(&2), "{called:?}");
    assert_eq!(called.get("S3.PutBucketTagging"), Some(&2), "{called:?}");
    // Nothing but who the credentials are, the buckets' content, the distributions in
    // front, and the stack's lock (a sync that changes something holds it; its release
    // follows this report).
    assert!(
        called.keys().all(|name| name.starts_with("S3.")
            || name.starts_with("CloudFront.")
            || name == "SSM.PutParameter"
            || name == "STS.GetCallerIdentity"),
        "{called:?}"
    );
    let (_, content_type) = remote_objects(&s3).await.remove("index.html").unwrap();
    assert_eq!(content_type, "text/html");
    let cloudfront = aws_sdk_cloudfront::Client::new(&moto.sdk().await);
    let list = cloudfront.list_distributions().send().await.unwrap();
    let distribution_id = list.distribution_list().unwrap().items()[0]
        .id()
        .to_string();
    // One invalidation; the root object is served at `/` as well as at its own path.
    assert_eq!(
        invalidations(&cloudfront, &distribution_id).await,
        vec![vec!["/", "/index.html"]]
    );

    // The content is in sync; the configuration change is still apply's to make.
    let planned = plan(&moto, &scratch);
    assert_summary(
        &planned,
        "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete.",
    );
    assert!(
        planned.stdout.contains("~ bucket.site"),
        "{}",
        planned.stdout
    );
    let versioning = s3
        .get_bucket_versioning()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(
        versioning.status(),
        Some(&aws_sdk_s3::types::BucketVersioningStatus::Enabled)
    );
}

/// Nothing outside `source` is read: a symlink out of the folder and a FIFO in it are
/// skipped and listed in the plan; the symlinked file's bytes never reach S3.
#[tokio::test(flavor = "multi_thread")]
async fn symlinks_and_special_files_are_skipped_and_reported() {
    let moto = Moto::start();
    let scratch = Scratch::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "not for the bucket").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        scratch.site().join("secret.txt"),
    )
    .unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(scratch.site().join("pipe"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let plan = moto.edgectl(&["plan", "-f", &scratch.path()]).success();
    assert!(
        plan.stdout.contains(
            "# skipped, not regular files: `pipe` (a FIFO), `secret.txt` (a symlink, never followed)"
        ),
        "{}",
        plan.stdout
    );
    let run = approved(&moto, &scratch, "apply", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s3 = s3_client(&moto).await;
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let keys: Vec<&str> = listed
        .contents()
        .iter()
        .filter_map(|object| object.key())
        .collect();
    assert!(
        !keys.contains(&"secret.txt") && !keys.contains(&"pipe"),
        "{keys:?}"
    );
    assert!(keys.contains(&"index.html"), "{keys:?}");
}

/// A file no S3 key names faithfully stops plan, apply and sync before anything is
/// uploaded, naming it — with `delete: false` too, where a scan that found nothing must not
/// read as "nothing to sync" — and excluding it lets the sync go on.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_no_key_names_faithfully_stops_the_sync_until_excluded() {
    let moto = Moto::start();
    let mut scratch = Scratch::new();
    scratch.edit("      delete: true\n", "      delete: false\n");
    approved(&moto, &scratch, "apply", &[]).success();
    std::fs::write(scratch.site().join("what?.html"), "<p>never asked for</p>").unwrap();
    let requests_before = object_puts(&moto, 0).len();
    for verb in ["plan", "apply", "sync"] {
        let run = match verb {
            "sync" => moto.edgectl(&["sync", "-f", &scratch.path()]),
            "plan" => plan(&moto, &scratch),
            _ => approved(&moto, &scratch, "apply", &[]),
        };
        assert_eq!(run.code, 1, "{verb}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("1 name in sync source")
                && run
                    .stderr
                    .contains("`what?.html`: its name holds `?` or `#`, where a URL's path ends"),
            "{verb}: {}",
            run.stderr
        );
    }
    assert_eq!(
        object_puts(&moto, 0).len(),
        requests_before,
        "nothing uploaded"
    );
    scratch.edit(
        "      delete: false\n",
        "      delete: false\n      exclude: [\"what?.html\"]\n",
    );
    let run = plan(&moto, &scratch);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// An Origin Access Control of the name the stack would use, made by hand (no edgectl
/// mark in its description): plan and apply refuse before anything changes, naming it,
/// and it stays as it was.
#[tokio::test(flavor = "multi_thread")]
async fn an_origin_access_control_made_by_hand_is_refused() {
    use aws_sdk_cloudfront::types::{
        OriginAccessControlConfig, OriginAccessControlOriginTypes,
        OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols,
    };
    let moto = Moto::start();
    let scratch = Scratch::new();
    let cloudfront = aws_sdk_cloudfront::Client::new(&moto.sdk().await);
    let config = OriginAccessControlConfig::builder()
        .name("static-demo-site")
        .description("made by hand for another site")
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
        .signing_behavior(OriginAccessControlSigningBehaviors::Never)
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .build()
        .unwrap();
    cloudfront
        .create_origin_access_control()
        .origin_access_control_config(config)
        .send()
        .await
        .unwrap();
    let controls = || async {
        let listed = cloudfront
            .list_origin_access_controls()
            .send()
            .await
            .unwrap();
        format!("{:?}", listed.origin_access_control_list().unwrap().items())
    };
    let before = controls().await;
    let plan = moto.edgectl(&["plan", "-f", &scratch.path()]);
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    assert!(
        plan.stderr.contains(
            "cannot create `origin_access_control.site`: origin access control `static-demo-site`"
        ) && plan.stderr.contains("no edgectl tags"),
        "{}",
        plan.stderr
    );
    let run = approved(&moto, &scratch, "apply", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("apply refused: nothing was changed"),
        "{}",
        run.stderr
    );
    let after = controls().await;
    assert_eq!(after, before, "the hand-made Origin Access Control changed");
    let s3 = s3_client(&moto).await;
    assert!(
        s3.head_bucket().bucket(BUCKET).send().await.is_err(),
        "apply made the bucket"
    );
}
