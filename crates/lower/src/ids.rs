//! Logical ids several lowerings name, kept apart from those lowerings so that naming one
//! imports nothing else (a zone's alias names a load balancer, whose listeners name a
//! certificate, whose validation records live in a zone).

use crate::engine::model::ResourceId;

pub fn load_balancer_id(key: &str) -> ResourceId {
    ResourceId::new("load_balancer", key)
}
