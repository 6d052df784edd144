//! Invalidations (`invalidation.<bucket key>`): what the distributions in front of a synced
//! bucket may serve stale. Its live state is the bucket's served objects that the sync is
//! about to overwrite or delete (the same listing the objects kind compares, read once),
//! so a plan shows which paths will be invalidated, and an update, run after the objects
//! changed, sends one CreateInvalidation per distribution (`cloudfront::invalidate`).
//! With the objects kind it is a bucket's sync, and lives beside it: the two share the
//! bucket's `edgectl:sync` tag, which only `s3` may write.
//!
//! Crash safety: the objects kind marks the bucket's `edgectl:sync` tag (`invalidate`)
//! before it changes a served object; an apply stopped before the invalidation leaves the
//! mark, which reads here as `pending`, and the next run invalidates `/*` (which paths
//! changed is not known any more) and clears it. A bucket is observed here only when its
//! tag says a distribution serves it (`cdn`), so a bucket no distribution fronts has none.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::content;
use super::lower::{InvalidationLocal, InvalidationProps, Target};
use super::s3::SyncTag;
use crate::aws::cloudfront::{invalidate, owned};
use crate::aws::errors::AwsError;
use crate::aws::ids::{INVALIDATION, invalidation_id};
use crate::aws::{Cx, OpCx};
use crate::engine::diff::{Change, Step, Summary};
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

/// Above this many changed paths, one invalidation of `/*` replaces the list (CloudFront
/// bills paths beyond the first 1,000 a month; a wildcard counts as one).
pub const INVALIDATE_ALL_ABOVE: usize = 15;

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
        let (Ok(mut want), Ok(local), Ok(mut live)) = (
            InvalidationProps::from_props(&desired.props),
            InvalidationLocal::from_props(&desired.props),
            InvalidationProps::from_props(&observed.props),
        ) else {
            return;
        };
        // Absent from a live side normalized already: nothing more is hashed.
        let sizes = live.sizes.take().unwrap_or_default();
        content::settle(
            &local.scan,
            local.delete,
            &mut want.files,
            &mut live.files,
            &sizes,
        );
        want.files.retain(|key, _| live.files.contains_key(key));
        desired.props.extend(want.into_props());
        observed.props = live.into_props();
        observed.props.extend(local.into_props());
    }

    fn summarize(&self, step: &Step) -> Option<Summary> {
        let desired = step.desired.as_ref()?;
        let want = InvalidationProps::from_props(&desired.props).ok()?;
        let local = InvalidationLocal::from_props(&desired.props).ok()?;
        let lines = match &step.observed {
            None => vec![
                "nothing is served from the bucket yet: its later changes are".to_string()
                    + " invalidated",
            ],
            Some(observed) => {
                let live = InvalidationProps::from_props(&observed.props).ok()?;
                local
                    .targets
                    .iter()
                    .map(|target| {
                        let paths = target.paths(&live, &want);
                        let shown = if paths.is_empty() {
                            "nothing".to_string()
                        } else {
                            paths.join(" ")
                        };
                        format!("{}: {shown}", target.distribution)
                    })
                    .chain(live.pending.then(|| {
                        "# an earlier apply stopped before invalidating what it changed: `/*` is invalidated".to_string()
                    }))
                    .collect()
            }
        };
        Some(Summary {
            lines,
            entries: Vec::new(),
        })
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        // Only buckets a distribution serves (`cdn`).
        let fronted = super::s3::synced(cx, |sync| sync.cdn).await?;
        Ok(fronted
            .into_iter()
            .map(|(owned, sync, listed)| {
                let (files, sizes) = content::live_files(listed);
                let props = InvalidationProps {
                    bucket: Value::Phys(owned.name.clone()),
                    files,
                    sizes: Some(sizes),
                    headers: sync.headers.clone(),
                    pending: sync.pending,
                };
                let mut resource = Observed::new(
                    invalidation_id(owned.id.name()),
                    &owned.name,
                    props.into_props(),
                );
                resource.extra.insert("sync".into(), sync.to_string());
                resource
            })
            .collect())
    }

    /// Nothing was served from the bucket through a distribution of the stack yet, so
    /// nothing is stale; the objects kind records that it is served from now on (`cdn`).
    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        op.resolve(&InvalidationProps::from_props(&desired.props)?.bucket)
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        let want = InvalidationProps::from_props(&desired.props)?;
        let local = InvalidationLocal::from_props(&desired.props)?;
        let live = InvalidationProps::from_props(&observed.props)?;
        for target in &local.targets {
            let paths = target.paths(&live, &want);
            if paths.is_empty() {
                continue;
            }
            // `edgectl sync` reads no distribution before it needs one.
            let arn = match op.resolve(&target.distribution) {
                Ok(arn) => Some(arn),
                Err(_) => owned(op.cx)
                    .await?
                    .iter()
                    .find(|found| Some(&found.logical) == reference_id(&target.distribution))
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
        let tags = super::s3::bucket_tags(op.cx, bucket).await?;
        let current = tags
            .iter()
            .find(|(key, _)| key == super::s3::SYNC_TAG)
            .map(|(_, value)| SyncTag::parse(value));
        if let Some(sync) = current.filter(|sync| sync.pending) {
            let done = SyncTag {
                pending: false,
                ..sync
            };
            super::s3::set_sync_tag(op.cx, bucket, Some(&done)).await?;
        }
        Ok(())
    }

    /// No distribution serves the bucket any more: nothing to tell.
    async fn delete(&self, _op: &OpCx<'_>, _observed: &Observed) -> Result<(), AwsError> {
        Ok(())
    }
}

impl Target {
    /// The paths to invalidate: the served objects that change, as this distribution
    /// serves them; `/*` after an apply stopped before its invalidation.
    fn paths(&self, live: &InvalidationProps, want: &InvalidationProps) -> Vec<String> {
        if live.pending {
            return vec!["/*".to_string()];
        }
        let keys = changed(live, want);
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

/// Served keys whose object changes: overwritten with other content (all of them when the
/// cache rules change, since every file is uploaded again) or deleted.
fn changed(live: &InvalidationProps, want: &InvalidationProps) -> Vec<String> {
    let headers_changed = live.headers != want.headers;
    live.files
        .iter()
        .filter(|(key, hash)| headers_changed || want.files.get(*key) != Some(*hash))
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
