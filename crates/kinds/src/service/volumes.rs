//! A service's `volumes`: the file systems of the `file_systems` section (a kind of its
//! own, `kinds/file_system`) mounted into its containers, checked against what that
//! section declares (its names and each one's access points, as written).

use crate::manifest::declared::Declared;
use crate::manifest::decode::{Decoder, Entry, flag};
use crate::manifest::diag::suggest;
use crate::manifest::yaml::Node;

const VOLUME: &[&str] = &[
    "file_system",
    "access_point",
    "path",
    "read_only",
    "container",
];

/// A file system mounted into a service's containers.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    pub name: String,
    pub file_system: String,
    pub access_point: Option<String>,
    /// Where the containers see it.
    pub path: String,
    pub read_only: bool,
    /// The container it is mounted in; every container when `None`.
    pub container: Option<String>,
}

/// A service's `volumes`: name → `{ file_system, access_point, path, read_only, container }`.
pub fn decode_volumes(
    decoder: &mut Decoder,
    node: &Node,
    section: &str,
    declared: &Declared,
    containers: &[String],
) -> Vec<Volume> {
    let mut out = Vec::new();
    for Entry {
        key: name, fields, ..
    } in decoder.entries(node, &format!("{section}.volumes"), VOLUME)
    {
        let Some(named) = fields
            .required(
                decoder,
                "file_system",
                name.pos,
                format!("volume `{}` names no `file_system`", name.value),
                "name one of the file systems under `file_systems:`",
            )
            .and_then(|node| decoder.string(node, "file_system"))
        else {
            continue;
        };
        let file_systems = declared.names("file_systems");
        if !file_systems.contains(&named.value) {
            let hint = suggest(&named.value, file_systems.iter().map(String::as_str))
                .map(|close| format!("did you mean `{close}`? "))
                .unwrap_or_default();
            decoder.error(
                named.pos,
                format!("file system `{}` is not declared", named.value),
                format!("{hint}declare it under `file_systems:`"),
            );
            continue;
        }
        let file_system = named.value;
        let access_points = declared.nested("file_systems", &file_system, "access_points");
        let access_point = match fields
            .get("access_point")
            .and_then(|node| decoder.string(node, "access_point"))
        {
            Some(point) if access_points.contains(&point.value) => Some(point.value),
            Some(point) => {
                let hint = suggest(&point.value, access_points.iter().map(String::as_str))
                    .map(|close| format!("did you mean `{close}`? "))
                    .unwrap_or_default();
                decoder.error(
                    point.pos,
                    format!(
                        "file system `{}` has no access point `{}`",
                        file_system, point.value
                    ),
                    format!(
                        "{hint}declare it under `file_systems.{}.access_points`",
                        file_system
                    ),
                );
                continue;
            }
            None => None,
        };
        let path = match fields
            .get("path")
            .and_then(|node| decoder.string(node, "path"))
        {
            Some(path) if path.value.starts_with('/') => path.value,
            Some(path) => {
                decoder.error(
                    path.pos,
                    format!("`{}` is not an absolute path", path.value),
                    "write where the containers see the volume, e.g. `/var/lib/influxdb2`",
                );
                continue;
            }
            None => {
                decoder.error(
                    name.pos,
                    format!("volume `{}` has no `path`", name.value),
                    "write where the containers see it, e.g. `path: /var/lib/influxdb2`",
                );
                continue;
            }
        };
        let container = match fields
            .get("container")
            .and_then(|node| decoder.string(node, "container"))
        {
            Some(container) if containers.contains(&container.value) => Some(container.value),
            Some(container) => {
                decoder.error(
                    container.pos,
                    format!("the service has no container `{}`", container.value),
                    format!("name one of {}", containers.join(", ")),
                );
                continue;
            }
            None => None,
        };
        out.push(Volume {
            name: name.value,
            file_system,
            access_point,
            path,
            read_only: flag(decoder, &fields, "read_only", false),
            container,
        });
    }
    out
}
