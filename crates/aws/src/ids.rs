//! The logical ids of the kinds, and the kind names in them: what one kind names another's
//! resources by (an alarm's topic, a listener's certificate, a dashboard's alarms).
//! Kept apart from the adapters and lowerings so that naming a resource of another kind
//! imports nothing of that kind (a folder in `kinds/` never imports another).

use sha2::{Digest, Sha256};

use crate::engine::model::ResourceId;

pub const ACCESS_POINT: &str = "access_point";
pub const ALARM: &str = "alarm";
pub const BUCKET: &str = "bucket";
pub const BUCKET_POLICY: &str = "bucket_policy";
pub const CERTIFICATE: &str = "certificate";
pub const CERTIFICATE_VALIDATION: &str = "certificate_validation";
pub const CLUSTER: &str = "cluster";
pub const DATABASE: &str = "database";
pub const DB_PARAMETER_GROUP: &str = "db_parameter_group";
pub const DB_SUBNET_GROUP: &str = "db_subnet_group";
pub const DISCOVERY: &str = "discovery";
pub const DISTRIBUTION: &str = "distribution";
pub const ELASTIC_IP: &str = "elastic_ip";
pub const FILE_SYSTEM: &str = "file_system";
pub const FIREWALL: &str = "firewall";
pub const FIREWALL_ASSOCIATION: &str = "firewall_association";
pub const INVALIDATION: &str = "invalidation";
pub const IP_SET: &str = "ip_set";
pub const KEY: &str = "key";
pub const LISTENER: &str = "listener";
pub const LISTENER_RULE: &str = "listener_rule";
pub const LOAD_BALANCER: &str = "load_balancer";
pub const LOG_GROUP: &str = "log_group";
pub const MOUNT_TARGET: &str = "mount_target";
pub const NAMESPACE: &str = "namespace";
pub const OBJECTS: &str = "objects";
pub const ORIGIN_ACCESS_CONTROL: &str = "origin_access_control";
pub const RECORD: &str = "record";
pub const REPOSITORY: &str = "repository";
pub const ROLE: &str = "role";
pub const SCALING: &str = "scaling";
pub const SECRET: &str = "secret";
pub const SECURITY_GROUP: &str = "security_group";
pub const SECURITY_GROUP_RULES: &str = "security_group_rules";
pub const SERVICE: &str = "service";
pub const SUBNET: &str = "subnet";
pub const SUBSCRIPTION: &str = "subscription";
pub const TARGET_GROUP: &str = "target_group";
pub const TASK_DEFINITION: &str = "task_definition";
pub const TOPIC: &str = "topic";
pub const ZONE: &str = "zone";

pub fn zone_id(key: &str) -> ResourceId {
    ResourceId::new(ZONE, key)
}

/// A record's logical id: its zone's key, its name relative to the zone (`@` for the
/// apex) and its type.
pub fn record_id(zone: &str, label: &str, kind: &str) -> ResourceId {
    ResourceId::new(
        RECORD,
        &format!("{zone}.{label}.{}", kind.to_ascii_lowercase()),
    )
}

pub fn internet_gateway_id() -> ResourceId {
    ResourceId::singleton("internet_gateway")
}

/// `nat_gateway.1` for zone 1.
pub fn nat_gateway_id(zone_index: usize) -> ResourceId {
    ResourceId::new("nat_gateway", &(zone_index + 1).to_string())
}

/// `security_group.<name>`.
pub fn group_id(name: &str) -> ResourceId {
    ResourceId::new(SECURITY_GROUP, name)
}

pub fn firewall_id(key: &str) -> ResourceId {
    ResourceId::new(FIREWALL, key)
}

pub fn ip_set_id(firewall: &str, rule: &str) -> ResourceId {
    ResourceId::new(IP_SET, &format!("{firewall}.{rule}"))
}

pub fn association_id(firewall: &str, load_balancer: &str) -> ResourceId {
    ResourceId::new(FIREWALL_ASSOCIATION, &format!("{firewall}.{load_balancer}"))
}

pub fn namespace_id(key: &str) -> ResourceId {
    ResourceId::new(NAMESPACE, key)
}

pub fn discovery_id(service: &str) -> ResourceId {
    ResourceId::new(DISCOVERY, service)
}

pub fn service_id(key: &str) -> ResourceId {
    ResourceId::new(SERVICE, key)
}

pub fn certificate_id(key: &str) -> ResourceId {
    ResourceId::new(CERTIFICATE, key)
}

pub fn validation_id(key: &str) -> ResourceId {
    ResourceId::new(CERTIFICATE_VALIDATION, key)
}

/// `mount_target.influxdb.us-east-1a`.
pub fn mount_target_id(file_system: &str, zone: &str) -> ResourceId {
    ResourceId::new(MOUNT_TARGET, &format!("{file_system}.{zone}"))
}

/// The mount targets of file system `file_system`, as a family (kind, name prefix): what a
/// task mounting it needs answering in its subnet.
pub fn mount_targets_of(file_system: &str) -> (&'static str, String) {
    (MOUNT_TARGET, format!("{file_system}."))
}

pub fn file_system_id(key: &str) -> ResourceId {
    ResourceId::new(FILE_SYSTEM, key)
}

/// `access_point.influxdb.data`.
pub fn access_point_id(file_system: &str, name: &str) -> ResourceId {
    ResourceId::new(ACCESS_POINT, &format!("{file_system}.{name}"))
}

pub fn listener_id(load_balancer: &str, port: u16) -> ResourceId {
    ResourceId::new(LISTENER, &format!("{load_balancer}-{port}"))
}

pub fn rule_id(load_balancer: &str, port: u16, priority: i64) -> ResourceId {
    ResourceId::new(LISTENER_RULE, &format!("{load_balancer}-{port}-{priority}"))
}

pub fn key_id(key: &str) -> ResourceId {
    ResourceId::new(KEY, key)
}

pub fn parameter_group_id(database: &str) -> ResourceId {
    ResourceId::new(DB_PARAMETER_GROUP, database)
}

pub fn subnet_group_id(database: &str) -> ResourceId {
    ResourceId::new(DB_SUBNET_GROUP, database)
}

pub fn database_id(key: &str) -> ResourceId {
    ResourceId::new(DATABASE, key)
}

pub fn scaling_id(service: &str) -> ResourceId {
    ResourceId::new(SCALING, service)
}

pub fn topic_id(key: &str) -> ResourceId {
    ResourceId::new(TOPIC, key)
}

/// A subscription's logical id: its topic's key, its protocol and a short digest of its
/// endpoint (an address or URL is no name).
pub fn subscription_id(topic: &str, protocol: &str, endpoint: &str) -> ResourceId {
    let digest = hex::encode(Sha256::digest(endpoint.as_bytes()));
    ResourceId::new(
        SUBSCRIPTION,
        &format!("{topic}.{protocol}-{}", &digest[..8]),
    )
}

pub fn alarm_id(name: &str) -> ResourceId {
    ResourceId::new(ALARM, name)
}

pub fn secret_id(key: &str) -> ResourceId {
    ResourceId::new(SECRET, key)
}

pub fn invalidation_id(bucket_key: &str) -> ResourceId {
    ResourceId::new(INVALIDATION, bucket_key)
}

pub fn oac_id(bucket_key: &str) -> ResourceId {
    ResourceId::new(ORIGIN_ACCESS_CONTROL, bucket_key)
}

pub fn distribution_id(key: &str) -> ResourceId {
    ResourceId::new(DISTRIBUTION, key)
}

pub fn bucket_id(key: &str) -> ResourceId {
    ResourceId::new(BUCKET, key)
}

pub fn objects_id(key: &str) -> ResourceId {
    ResourceId::new(OBJECTS, key)
}

pub fn policy_id(key: &str) -> ResourceId {
    ResourceId::new(BUCKET_POLICY, key)
}

pub fn load_balancer_id(key: &str) -> ResourceId {
    ResourceId::new(LOAD_BALANCER, key)
}

/// The role RDS's enhanced monitoring of a database assumes.
pub fn monitoring_role_id(database: &str) -> ResourceId {
    ResourceId::new(ROLE, &format!("{database}-monitoring"))
}

pub fn execution_role_id(service: &str) -> ResourceId {
    ResourceId::new(ROLE, &format!("{service}-execution"))
}

pub fn task_role_id(service: &str) -> ResourceId {
    ResourceId::new(ROLE, &format!("{service}-task"))
}

pub fn cluster_id(key: &str) -> ResourceId {
    ResourceId::new(CLUSTER, key)
}

pub fn task_definition_id(service: &str) -> ResourceId {
    ResourceId::new(TASK_DEFINITION, service)
}

pub fn log_group_id(service: &str) -> ResourceId {
    ResourceId::new(LOG_GROUP, service)
}

pub fn repository_id(key: &str) -> ResourceId {
    ResourceId::new(REPOSITORY, key)
}

/// `elastic_ip.nat-1` for the NAT gateway of zone 1.
pub fn nat_address_id(zone_index: usize) -> ResourceId {
    ResourceId::new(ELASTIC_IP, &format!("nat-{}", zone_index + 1))
}

pub fn target_group_id(service: &str) -> ResourceId {
    ResourceId::new(TARGET_GROUP, service)
}

/// `subnet.public-1` for the first public subnet.
pub fn subnet_id(tier: &str, index: usize) -> ResourceId {
    ResourceId::new(SUBNET, &format!("{}-{}", tier, index + 1))
}
