//! The typed properties of a bucket, its policy, its synced objects and their
//! invalidation, and the buckets' lowering: name, versioning, encryption, public access
//! block, lifecycle, ownership, CORS, website.

use crate::lower::uses::{KeyUser, Uses};
use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{Bucket, CorsRule as ManifestCors, LifecycleRule as ManifestRule};
use crate::aws::ids::bucket_id;
use crate::aws::tags;
use crate::engine::model::{Desired, Value};
use crate::engine::typed::Properties as _;
use crate::manifest::Manifest;

crate::engine::record! {
    /// A bucket's default encryption: `algorithm` (`AES256` or `aws:kms`) and `kms_key`
    /// (the key by reference or by its id, `AwsDefault` for S3's `aws/s3`, or nothing).
    pub struct Encryption {
        pub algorithm: String,
        pub kms_key: Value,
    }
}

crate::engine::record! {
    /// One lifecycle rule; each number of days is nothing when not set.
    pub struct LifecycleRule {
        pub id: String,
        pub prefix: String,
        pub enabled: bool,
        /// `<days> days: <class>`, in day order.
        pub transitions: Vec<String>,
        pub expire_after_days: Option<i64>,
        pub noncurrent_expire_after_days: Option<i64>,
        pub abort_multipart_after_days: Option<i64>,
    }
}

crate::engine::record! {
    /// One CORS rule; `max_age` (seconds) is nothing when not set.
    pub struct CorsRule {
        pub origins: BTreeSet<String>,
        pub methods: BTreeSet<String>,
        pub headers: BTreeSet<String>,
        pub expose: BTreeSet<String>,
        pub max_age: Option<i64>,
    }
}

crate::engine::record! {
    /// A website: its index document and its error document (nothing without one).
    pub struct Website {
        pub index: String,
        pub error: Option<String>,
    }
}

crate::engine::properties! {
    /// A bucket: what its lowering builds and its observe reads. Each property but the
    /// name, `force_destroy` and the tags is one S3 sub-resource with its own get and put.
    pub struct BucketProps (changes: BucketChanges) {
        pub name: String => Replace,
        pub versioning: bool => InPlace,
        /// The default encryption; live, nothing when the bucket has none.
        pub encryption: Option<Encryption> => InPlace,
        /// All four public access blocks on.
        pub block_public_access: bool => InPlace,
        /// `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`; live, nothing
        /// without ownership controls.
        pub object_ownership: Option<String> => InPlace,
        /// Lifecycle rules: the days to each transition, to expiry, to noncurrent expiry
        /// and to aborting an unfinished upload.
        pub lifecycle: Vec<LifecycleRule> => InPlace,
        pub cors: Vec<CorsRule> => InPlace,
        /// Nothing without a website.
        pub website: Option<Website> => InPlace,
        /// Kept in a tag (`FORCE_DESTROY_TAG`): a destroy has only the live bucket.
        pub force_destroy: bool => InPlace,
        pub tags: BTreeMap<String, String> => InPlace,
    }
}

crate::engine::properties! {
    /// A bucket's policy: the manifest's statements and, apart from them, what edgectl's own
    /// statements are made of.
    pub struct BucketPolicyProps (changes: BucketPolicyChanges) {
        /// The bucket, by reference; live, its name.
        pub bucket: Value => Replace,
        /// The manifest's statements, each as normalised JSON text (see [`canonical`]).
        pub statements: BTreeSet<String> => InPlace,
        /// The distributions reading through their Origin Access Control, by reference;
        /// live, their ARNs.
        pub cloudfront_readers: BTreeSet<Value> => InPlace,
        /// Where load balancers write access logs, without surrounding slashes (empty: the
        /// bucket's root).
        pub elb_log_prefixes: BTreeSet<String> => InPlace,
    }
}

crate::engine::properties! {
    /// A bucket's synced content as both sides tell it: lowering from the folder, observe
    /// from the listing and the bucket's `edgectl:sync` tag ([`SyncTag`]).
    pub struct ObjectsProps (changes: ObjectsChanges) {
        /// The bucket, by reference; live, its name.
        pub bucket: Value => InPlace,
        /// The key prefix: empty, or ending in `/`.
        pub prefix: String => InPlace,
        /// Key -> content hash (an ETag, or `blake3:<hex>`); desired, a file not hashed yet
        /// reads as its size ([`content::unhashed`]) until `normalize` meets the live objects.
        pub files: BTreeMap<String, String> => InPlace,
        /// Live only, until `normalize` drops them: each object's size, which says what
        /// local files need hashing.
        pub sizes: Option<BTreeMap<String, i64>> => InPlace (optional),
        /// The header rules' fingerprint ([`content::headers_fingerprint`]).
        pub headers: String => InPlace,
        /// Whether a distribution of the stack serves the bucket (the tag's `cdn`).
        pub fronted: bool => InPlace,
    }
}

crate::engine::properties! {
    /// What only the manifest and the local folder tell of a sync: desired, and copied onto
    /// the live side by `normalize`, so that none of it reads as a change.
    pub struct ObjectsLocal (changes: ObjectsLocalChanges) {
        /// Whether remote keys with no local file go.
        pub delete: bool => InPlace,
        /// The sync as [`content::scan_value`] holds it, so that `apply PLANFILE` can read
        /// the folder again.
        pub scan: Value => InPlace,
        /// Whether the bucket encrypts with KMS (its objects' ETags are no content hashes).
        pub kms: bool => InPlace,
        /// What stops the sync before anything is uploaded: an entry that cannot be read.
        pub scan_error: Option<String> => InPlace,
        /// Entries left out because they are not regular files.
        pub skipped: Vec<String> => InPlace,
    }
}

crate::engine::properties! {
    /// What the distributions in front of a synced bucket may serve stale, as both sides
    /// tell it: lowering from the folder, observe from the listing and the bucket's
    /// `edgectl:sync` tag.
    pub struct InvalidationProps (changes: InvalidationChanges) {
        /// The bucket, by reference; live, its name.
        pub bucket: Value => InPlace,
        /// Key -> content hash, as the objects kind has them; after `normalize`, only the
        /// served objects (new files were never served).
        pub files: BTreeMap<String, String> => InPlace,
        /// Live only, until `normalize` drops them: each object's size.
        pub sizes: Option<BTreeMap<String, i64>> => InPlace (optional),
        /// The header rules' fingerprint: a change uploads, so invalidates, every file.
        pub headers: String => InPlace,
        /// An earlier apply stopped before invalidating what it changed (the tag's
        /// `invalidate`); desired, never.
        pub pending: bool => InPlace,
    }
}

crate::engine::properties! {
    /// What only the manifest and the local folder tell: desired, and copied onto the live
    /// side by `normalize`, so that none of it reads as a change.
    pub struct InvalidationLocal (changes: InvalidationLocalChanges) {
        /// The distributions serving the bucket, and where.
        pub targets: BTreeSet<Target> => InPlace,
        /// Whether the sync deletes remote keys with no local file.
        pub delete: bool => InPlace,
        /// The sync as [`content::scan_value`] holds it.
        pub scan: Value => InPlace,
    }
}

crate::engine::record! {
    /// One distribution serving the bucket, and where: the origin path it serves the
    /// bucket under and its root object (which also answers for `/`).
    pub struct Target {
        /// By reference.
        pub distribution: Value,
        pub origin_path: String,
        pub root_object: String,
    }
}

/// The buckets (`buckets`).
pub fn desired(buckets: &[Bucket], manifest: &Manifest, uses: &mut Uses) -> Vec<Desired> {
    buckets
        .iter()
        .map(|bucket| {
            let props = BucketProps {
                name: bucket.name.clone(),
                versioning: bucket.versioning,
                encryption: Some(encryption(bucket, uses)),
                block_public_access: bucket.block_public_access,
                object_ownership: Some(bucket.object_ownership.to_string()),
                lifecycle: bucket.lifecycle.iter().map(lifecycle_rule).collect(),
                cors: bucket.cors.iter().map(cors_rule).collect(),
                website: bucket.website.as_ref().map(|website| Website {
                    index: website.index.clone(),
                    error: website.error.clone(),
                }),
                force_destroy: bucket.force_destroy,
                tags: tags::managed_tag_map(
                    &manifest.tags,
                    &bucket.tags,
                    &bucket.name,
                    bucket.retain,
                ),
            };
            Desired {
                id: bucket_id(&bucket.key),
                props: props.into_props(),
                after: Vec::new(),
            }
        })
        .collect()
}

pub fn encryption(bucket: &Bucket, uses: &mut Uses) -> Encryption {
    match &bucket.kms {
        None => Encryption {
            algorithm: "AES256".into(),
            kms_key: Value::Null,
        },
        Some(key) => Encryption {
            algorithm: "aws:kms".into(),
            // S3 uses the account's `aws/s3` key when none is named.
            kms_key: key.as_ref().map_or(Value::AwsDefault, |key| {
                uses.key(&bucket_id(&bucket.key), key, KeyUser::Via("s3"))
            }),
        },
    }
}

pub fn lifecycle_rule(rule: &ManifestRule) -> LifecycleRule {
    LifecycleRule {
        id: rule.id.clone(),
        prefix: rule.prefix.clone(),
        enabled: rule.enabled,
        transitions: rule
            .transitions
            .iter()
            .map(|(days, class)| format!("{days} days: {class}"))
            .collect(),
        expire_after_days: rule.expire_after_days,
        noncurrent_expire_after_days: rule.noncurrent_expire_after_days,
        abort_multipart_after_days: rule.abort_multipart_after_days,
    }
}

fn cors_rule(rule: &ManifestCors) -> CorsRule {
    let set = |items: &[String]| -> BTreeSet<String> { items.iter().cloned().collect() };
    CorsRule {
        origins: set(&rule.origins),
        methods: set(&rule.methods),
        headers: set(&rule.headers),
        expose: set(&rule.expose),
        max_age: rule.max_age,
    }
}
