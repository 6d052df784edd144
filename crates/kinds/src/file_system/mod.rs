//! EFS file systems (`file_system.<key>`, the `file_systems` section), a mount target in
//! each subnet of their tier (`mount_target.<key>.<zone>`) and their access points
//! (`access_point.<key>.<name>`): the section (`manifest.rs`), the typed properties and
//! lowering (`lower.rs`), the adapters (`adapter.rs` for the file systems, `mount_target.rs`,
//! `access_point.rs`) and what they share — the tagging, one read of the stack's file
//! systems (`efs.rs`) —, registered by [`REGISTRATION`]. A service's `volumes` name a file
//! system and its access points (checked against `manifest.declared`), and its lowering
//! orders it after the file system's mount targets (`uses.after_family`).

mod access_point;
mod adapter;
mod efs;
mod lower;
mod manifest;
mod mount_target;

use std::sync::Arc;

use crate::aws::ids::file_system_id;
use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::keys::KeptEncrypted;
use crate::manifest::sections::{Decoded, entries};

const SECTION: &str = "file_systems";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &FileSystems,
    lowering: &FileSystems,
    // Found by DescribeFileSystems, whose answer carries the tags.
    adapters: || {
        vec![
            Arc::new(adapter::FileSystemAdapter),
            Arc::new(mount_target::MountTargetAdapter),
            Arc::new(access_point::AccessPointAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[],
};

struct FileSystems;

impl Section for FileSystems {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${file_systems.<key>.id}`.
    fn attributes(&self) -> &'static [&'static str] {
        &["id"]
    }

    /// A file system needs the network: without one, the section is refused at its key.
    fn decode(
        &self,
        decoder: &mut Decoder,
        fields: &Fields<'_>,
        manifest: &Manifest,
    ) -> Option<Decoded> {
        let (node, at) = fields.with_key(SECTION)?;
        Some(Arc::new(manifest::decode(
            decoder,
            node,
            at,
            &manifest.scope(),
        )))
    }

    fn kept_encrypted(&self, decoded: &Decoded) -> Vec<KeptEncrypted> {
        manifest::kept_encrypted(entries::<manifest::FileSystem>(decoded))
    }
}

impl Lowering for FileSystems {
    fn desired(
        &self,
        manifest: &Manifest,
        env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, env, uses)
    }

    /// A file system's id is live.
    fn reference(
        &self,
        manifest: &Manifest,
        _env: &Env,
        key: &str,
        _attribute: &str,
    ) -> Option<Vec<Value>> {
        decoded(manifest)
            .iter()
            .any(|fs| fs.key == key)
            .then(|| vec![Value::Ref(file_system_id(key))])
    }
}

/// The file systems the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::FileSystem] {
    manifest.sections.list(SECTION)
}
