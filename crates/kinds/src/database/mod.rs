//! RDS PostgreSQL databases (`database.<key>`, the `databases` section), each with its DB
//! subnet group (`db_subnet_group.<key>`), its parameter group
//! (`db_parameter_group.<key>`) and, with enhanced monitoring, the role RDS assumes: the
//! section (`manifest.rs`), the typed properties and lowering (`lower.rs`), the adapters
//! (`adapter.rs` for the instance, `subnet_group.rs`, `parameter_group.rs`) and what they
//! share — the tagging, the ownership of what RDS lists without tags (`rds.rs`) —,
//! registered by [`REGISTRATION`]. Containers read a database's managed secret
//! (`databases.main:password`, checked against `manifest.declared`) through
//! `aws::ids::database_id(..).attribute("secret")`; alarms and dashboards name its
//! identifier through `Manifest::name_of("databases", key)`.

mod adapter;
mod lower;
mod manifest;
mod parameter_group;
mod rds;
mod subnet_group;

use std::sync::Arc;

use crate::aws::ids::database_id;
use crate::engine::model::Value;
use crate::lower::{Env, Lowering};
use crate::manifest::Manifest;
use crate::manifest::Section;
use crate::manifest::decode::{Decoder, Fields};
use crate::manifest::sections::{Decoded, entries};

const SECTION: &str = "databases";

pub const REGISTRATION: super::Registration = super::Registration {
    section: &Databases,
    lowering: &Databases,
    // Found by DescribeDBInstances (tags come with it) and the groups' listings.
    adapters: || {
        vec![
            Arc::new(subnet_group::SubnetGroupAdapter),
            Arc::new(parameter_group::ParameterGroupAdapter),
            Arc::new(adapter::InstanceAdapter),
        ]
    },
    permissions: &[adapter::PERMISSIONS],
    conditions: &[adapter::CONDITIONS],
};

struct Databases;

impl Section for Databases {
    fn key(&self) -> &'static str {
        SECTION
    }

    /// `${databases.<key>.endpoint}`, `port`, `identifier`.
    fn attributes(&self) -> &'static [&'static str] {
        &["endpoint", "port", "identifier"]
    }

    /// A database needs the network: without one, the section is refused at its key.
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

    /// Each database's identifier, which alarms and dashboards name it by.
    fn names(&self, decoded: &Decoded) -> Vec<(String, String)> {
        entries::<manifest::Database>(decoded)
            .iter()
            .map(|db| (db.key.clone(), db.identifier.clone()))
            .collect()
    }
}

impl Lowering for Databases {
    fn desired(
        &self,
        manifest: &Manifest,
        env: &Env,
        uses: &mut crate::lower::uses::Uses,
    ) -> Vec<crate::engine::model::Desired> {
        lower::desired(decoded(manifest), manifest, env, uses)
    }

    /// The endpoint is live; the port is the engine's (edgectl's PostgreSQL listens on
    /// 5432), the identifier the manifest's.
    fn reference(
        &self,
        manifest: &Manifest,
        _env: &Env,
        key: &str,
        attribute: &str,
    ) -> Option<Vec<Value>> {
        let db = decoded(manifest).iter().find(|db| db.key == key)?;
        Some(vec![match attribute {
            "endpoint" => Value::Ref(database_id(key).attribute("endpoint")),
            "port" => Value::str("5432"),
            _ => Value::Str(db.identifier.clone()),
        }])
    }
}

/// The databases the manifest declares.
fn decoded(manifest: &Manifest) -> &[manifest::Database] {
    manifest.sections.list(SECTION)
}
