//! Invalidations (`invalidation.<bucket key>`): what the distributions in front of a synced
//! bucket may serve stale. Its live state is the bucket's served objects that the sync is
//! about to overwrite or delete (the same listing the objects kind compares, read once),
//! so a plan shows which paths will be invalidated, and an update, run after the objects
//! changed, sends one CreateInvalidation per distribution.
//!
//! Crash safety: the objects kind marks the bucket's `edgectl:sync` tag (`invalidate`)
//! before it changes a served object; an apply stopped before the invalidation leaves the
//! mark, which reads here as `pending`, and the next run invalidates `/*` (which paths
//! changed is not known any more) and clears it. A bucket is observed here only when its
//! tag says a distribution serves it (`cdn`), so a bucket no distribution fronts has none.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use super::invalidate;
use crate::engine::diff::{Change, Step, Summary};
use crate::engine::model::{Desired, Field, Mode, Observed, ResourceId, Value, props};
use crate::errors::AwsError;
use crate::s3::{self, SyncTag, content};
use crate::{Cx, OpCx};

pub const INVALIDATION: &str = "invalidation";
/// Above this many changed paths, one invalidation of `/*` replaces the list (CloudFront
/// bills paths beyond the first 1,000 a month; a wildcard counts as one).
pub const INVALIDATE_ALL_ABOVE: usize = 15;

pub fn invalidation_id(bucket_key: &str) -> ResourceId {
    ResourceId::new(INVALIDATION, bucket_key)
}

pub struct InvalidationAdapter;

#[async_trait]
impl crate::engine::kind::Kind for InvalidationAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[INVALIDATION]
    }

    /// The distributions to tell are the manifest's; both sides keep only the served
    /// objects (new files were never served, so they are nothing to invalidate).
    fn normalize(&self, desired: &mut Desired, observed: &mut Observed) {
        if let Some(targets) = desired.props.get("targets") {
            observed.props.insert("targets".into(), targets.clone());
        }
        content::settle(desired, observed);
        let live: BTreeSet<String> = observed
            .value("files")
            .as_map()
            .map(|files| files.keys().cloned().collect())
            .unwrap_or_default();
        if let Some(Field {
            value: Value::Map(files),
            ..
        }) = desired.props.get_mut("files")
        {
            files.retain(|key, _| live.contains(key));
        }
    }

    fn summarize(&self, step: &Step) -> Option<Summary> {
        let desired = step.desired.as_ref()?;
        let lines = match &step.observed {
            None => vec!["nothing is served from the bucket yet: its later changes are".to_string()
                + " invalidated"],
            Some(observed) => targets(desired)
                .into_iter()
                .map(|target| {
                    let paths = target.paths(observed, desired);
                    let shown = if paths.is_empty() {
                        "nothing".to_string()
                    } else {
                        paths.join(" ")
                    };
                    format!("{}: {shown}", target.distribution)
                })
                .chain(pending(observed).then(|| {
                    "# an earlier apply stopped before invalidating what it changed: `/*` is invalidated".to_string()
                }))
                .collect(),
        };
        Some(Summary {
            lines,
            entries: Vec::new(),
        })
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        // Only buckets a distribution serves (`cdn`).
        let fronted = s3::synced(cx, |sync| sync.cdn).await?;
        Ok(fronted
            .into_iter()
            .map(|(owned, sync, listed)| {
                let (files, sizes) = content::live_files(listed);
                let mut resource = Observed::new(
                    invalidation_id(owned.id.name()),
                    &owned.name,
                    props([
                        ("bucket", Value::Phys(owned.name.clone()), Mode::InPlace),
                        ("files", files, Mode::InPlace),
                        ("sizes", sizes, Mode::InPlace),
                        ("headers", Value::str(&sync.headers), Mode::InPlace),
                        ("pending", Value::Bool(sync.pending), Mode::InPlace),
                    ]),
                );
                resource.extra.insert("sync".into(), sync.to_string());
                resource
            })
            .collect())
    }

    /// Nothing was served from the bucket through a distribution of the stack yet, so
    /// nothing is stale; the objects kind records that it is served from now on (`cdn`).
    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        op.resolve(desired.value("bucket"))
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        for target in targets(desired) {
            let paths = target.paths(observed, desired);
            if paths.is_empty() {
                continue;
            }
            // `edgectl sync` reads no distribution before it needs one.
            let arn = match op.resolve(&target.reference) {
                Ok(arn) => Some(arn),
                Err(_) => super::owned(op.cx)
                    .await?
                    .iter()
                    .find(|found| Some(&found.logical) == reference_id(&target.reference))
                    .map(|found| found.arn.clone()),
            };
            // A distribution that does not exist has nothing cached.
            if let Some(arn) = arn {
                invalidate(op, &arn, paths).await?;
            }
        }
        // The distributions are told: the mark the objects kind set (or an earlier
        // apply left) goes.
        let bucket = observed.physical_id.as_str();
        let tags = s3::bucket_tags(op.cx, bucket).await?;
        let current = tags
            .iter()
            .find(|(key, _)| key == s3::SYNC_TAG)
            .map(|(_, value)| SyncTag::parse(value));
        if let Some(sync) = current.filter(|sync| sync.pending) {
            let done = SyncTag {
                pending: false,
                ..sync
            };
            s3::set_sync_tag(op.cx, bucket, Some(&done)).await?;
        }
        Ok(())
    }

    /// No distribution serves the bucket any more: nothing to tell.
    async fn delete(&self, _op: &OpCx<'_>, _observed: &Observed) -> Result<(), AwsError> {
        Ok(())
    }
}

fn pending(observed: &Observed) -> bool {
    observed.value("pending") == &Value::Bool(true)
}

/// One distribution serving the bucket, and where.
struct Target {
    reference: Value,
    distribution: String,
    origin_path: String,
    root_object: String,
}

impl Target {
    /// The paths to invalidate: the served objects that change, as this distribution
    /// serves them; `/*` after an apply stopped before its invalidation.
    fn paths(&self, observed: &Observed, desired: &Desired) -> Vec<String> {
        if pending(observed) {
            return vec!["/*".to_string()];
        }
        let keys = changed(observed, desired);
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        invalidation_paths(&keys, &self.origin_path, &self.root_object)
    }
}

fn reference_id(value: &Value) -> Option<&ResourceId> {
    match value {
        Value::Ref(id) => Some(id),
        _ => None,
    }
}

fn targets(desired: &Desired) -> Vec<Target> {
    desired
        .value("targets")
        .items()
        .filter_map(Value::as_map)
        .filter_map(|map| {
            let text = |key: &str| {
                map.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let reference = map.get("distribution")?.clone();
            Some(Target {
                distribution: reference.to_string(),
                reference,
                origin_path: text("origin_path"),
                root_object: text("root_object"),
            })
        })
        .collect()
}

/// Served keys whose object changes: overwritten with other content (all of them when the
/// cache rules change, since every file is uploaded again) or deleted.
fn changed(observed: &Observed, desired: &Desired) -> Vec<String> {
    let empty = BTreeMap::new();
    let live = observed.value("files").as_map().unwrap_or(&empty);
    let wanted = desired.value("files").as_map().unwrap_or(&empty);
    let headers_changed = observed.value("headers") != desired.value("headers");
    live.iter()
        .filter(|(key, hash)| headers_changed || wanted.get(*key) != Some(*hash))
        .map(|(key, _)| key.clone())
        .collect()
}

/// CloudFront paths for changed keys behind an origin path; the root object also
/// answers for `/`. Above the threshold, `/*`.
pub fn invalidation_paths(keys: &[&str], origin_path: &str, root_object: &str) -> Vec<String> {
    let base = origin_path.trim_matches('/');
    let mut paths = BTreeSet::new();
    for key in keys {
        let path = if base.is_empty() {
            Some(*key)
        } else {
            key.strip_prefix(base)
                .and_then(|rest| rest.strip_prefix('/'))
        };
        let Some(path) = path else {
            continue;
        };
        paths.insert(format!("/{path}"));
        if !root_object.is_empty() && path == root_object {
            paths.insert("/".to_string());
        }
    }
    if paths.len() > INVALIDATE_ALL_ABOVE {
        return vec!["/*".to_string()];
    }
    paths.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidation_paths_follow_the_origin_path_and_root_object() {
        assert_eq!(
            invalidation_paths(&["index.html", "app.js"], "", "index.html"),
            vec!["/", "/app.js", "/index.html"]
        );
        assert_eq!(
            invalidation_paths(&["site/a.css", "other/b.css"], "/site", ""),
            vec!["/a.css"]
        );
        let many: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(invalidation_paths(&many, "", ""), vec!["/*"]);
    }
}
