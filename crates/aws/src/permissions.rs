//! The IAM permissions edgectl's calls need: each kind declares those of its calls beside
//! them (`Registration::permissions` in `kinds/`), the shared parts theirs here
//! ([`ALWAYS`], [`ROLES`]); [`policy`] writes what a stack's kinds need as one policy
//! document, each permission scoped as narrowly as AWS lets it be (`edgectl policy`).

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::tags::STACK_TAG;

/// Actions (as IAM names them: `ec2:CreateVpc`) and the resources they are allowed on.
#[derive(Clone, Copy, Debug)]
pub struct Permission {
    pub actions: &'static [&'static str],
    pub on: On,
}

/// What a permission is allowed on. Every regional statement is also held to the
/// regions the stack calls (`aws:RequestedRegion`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum On {
    /// Any resource: reads and lists, creates (whose resource has no ARN yet), and calls
    /// IAM does not scope to a resource.
    Any,
    /// Resources carrying the stack's ownership tag (`aws:ResourceTag/edgectl:stack`):
    /// deletes, so that the stack's role deletes nothing it does not own.
    Owned,
    /// Each of the stack's resources of a kind, by the ARN its name makes: `{name}`,
    /// `{partition}`, `{region}` (the account is `*`).
    Named {
        kind: &'static str,
        arn: &'static str,
    },
    /// ARNs of the stack's own, whatever the manifest holds: `{stack}`, `{partition}`,
    /// `{region}` (its roles' path, its lock parameter).
    Stack(&'static str),
    /// The service-linked role a service makes on its first use in an account
    /// (`iam:AWSServiceName`).
    ServiceLinked(&'static str),
    /// Any resource, only within a create that tags what it makes (the service's
    /// condition key naming the create, `ec2:CreateAction`, is present): a tag write
    /// that cannot mark another's resource as the stack's.
    Creating(&'static str),
    /// Any resource, only when the request writes the stack's ownership tag
    /// (`aws:RequestTag/edgectl:stack`): `edgectl adopt`'s tag writes.
    Adopting,
}

/// The stack's lock (`lock.rs`): its parameter and its takeover claims.
const LOCK: &[&str] = &[
    "ssm:GetParameter",
    "ssm:PutParameter",
    "ssm:DeleteParameter",
    "ssm:AddTagsToResource",
];

/// What every command that reads the stack calls: who the credentials are, the stack's
/// tagged resources, its lock, and the roles' listing (roles are not in the tagging API).
pub const ALWAYS: &[Permission] = &[
    Permission {
        actions: &["sts:GetCallerIdentity", "tag:GetResources", "iam:ListRoles"],
        on: On::Any,
    },
    Permission {
        actions: LOCK,
        on: On::Stack("arn:{partition}:ssm:{region}:*:parameter/edgectl/lock/{stack}"),
    },
    Permission {
        actions: LOCK,
        on: On::Stack("arn:{partition}:ssm:{region}:*:parameter/edgectl/lock/{stack}/*"),
    },
];

/// The roles several kinds make (`iam.rs`), all under the stack's path; and, on any role,
/// the read that finds whether a role's name is taken before it is made (IAM names a role
/// without its path there).
pub const ROLES: &[Permission] = &[
    Permission {
        actions: &["iam:GetRole"],
        on: On::Any,
    },
    Permission {
        actions: &[
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:GetRole",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:PutRolePolicy",
            "iam:GetRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:PassRole",
        ],
        on: On::Stack("arn:{partition}:iam::*:role/edgectl/{stack}/*"),
    },
];

/// `edgectl adopt` (`edgectl policy --adopt`): whether a live CloudFormation stack still
/// manages what would be taken over, and the tag writes that take it over, only as this
/// stack's. Given for the adoption's run: a role that may tag any resource as the stack's
/// may then change or delete it.
pub const ADOPT: &[Permission] = &[
    Permission {
        actions: &[
            "cloudformation:DescribeStackResource",
            "cloudformation:DescribeStackResources",
            "cloudformation:ListStackResources",
            "cloudformation:GetTemplate",
        ],
        on: On::Any,
    },
    Permission {
        actions: &[
            "ec2:CreateTags",
            "ecs:TagResource",
            "ecr:TagResource",
            "elasticloadbalancing:AddTags",
            "sns:TagResource",
            "cloudwatch:TagResource",
            "logs:TagResource",
            "secretsmanager:TagResource",
        ],
        on: On::Adopting,
    },
];

/// The services whose calls are global (no region to hold them to).
const GLOBAL: &[&str] = &["iam", "cloudfront", "route53", "sts"];

/// What a policy is written for.
pub struct Scope<'a> {
    pub stack: &'a str,
    pub partition: &'a str,
    /// The regions the stack calls: its own, and us-east-1 where CloudFront's
    /// certificates and web ACLs live.
    pub regions: Vec<String>,
    /// The stack's resources' names, by kind (`bucket` → its buckets' names).
    pub names: BTreeMap<String, Vec<String>>,
}

/// The policy document: one statement per scope (and per global or regional service),
/// its actions sorted and unique, statements in a stable order.
pub fn policy<'a>(permissions: impl IntoIterator<Item = &'a Permission>, scope: &Scope) -> Json {
    // (resources, condition) → actions
    let mut statements: BTreeMap<(String, Vec<String>, String), std::collections::BTreeSet<&str>> =
        BTreeMap::new();
    for permission in permissions {
        let (sid, resources, condition) = match permission.on {
            On::Any => ("Any".to_string(), vec!["*".to_string()], String::new()),
            On::Owned => (
                "OwnedByTheStack".to_string(),
                vec!["*".to_string()],
                format!("ResourceTag:{}", scope.stack),
            ),
            On::Named { kind, arn } => {
                let Some(names) = scope.names.get(kind).filter(|names| !names.is_empty()) else {
                    continue;
                };
                let resources = names
                    .iter()
                    .map(|name| fill(arn, scope, Some(name)))
                    .collect();
                (format!("Named{}", camel(kind)), resources, String::new())
            }
            On::Stack(arn) => (
                "TheStacksOwn".to_string(),
                vec![fill(arn, scope, None)],
                String::new(),
            ),
            On::Creating(key) => (
                "TaggingWhatItMakes".to_string(),
                vec!["*".to_string()],
                format!("Creating:{key}"),
            ),
            On::Adopting => (
                "AdoptingIntoTheStack".to_string(),
                vec!["*".to_string()],
                format!("RequestTag:{}", scope.stack),
            ),
            On::ServiceLinked(service) => (
                "ServiceLinkedRoles".to_string(),
                vec![format!(
                    "arn:{}:iam::*:role/aws-service-role/*",
                    scope.partition
                )],
                format!("ServiceName:{service}"),
            ),
        };
        for action in permission.actions {
            let service = action.split(':').next().unwrap_or_default();
            // An ARN names its region already (or, for S3, has none to hold).
            let regional = !GLOBAL.contains(&service) && resources == ["*"];
            let condition = if regional && condition.is_empty() {
                "Region".to_string()
            } else if regional {
                format!("{condition}|Region")
            } else {
                condition.clone()
            };
            statements
                .entry((sid.clone(), resources.clone(), condition))
                .or_default()
                .insert(action);
        }
    }
    // Service-linked roles: one statement, every service named.
    let mut merged: BTreeMap<(String, Vec<String>, String), std::collections::BTreeSet<&str>> =
        BTreeMap::new();
    let mut linked: Vec<String> = Vec::new();
    for ((sid, resources, condition), actions) in statements {
        if let Some(service) = condition.strip_prefix("ServiceName:") {
            linked.push(service.to_string());
            merged
                .entry((sid, resources, "ServiceName".to_string()))
                .or_default()
                .extend(actions);
        } else {
            merged
                .entry((sid, resources, condition))
                .or_default()
                .extend(actions);
        }
    }
    linked.sort();
    linked.dedup();
    // Statements that allow the same actions under the same condition are one, on all
    // their resources (a lock parameter and its takeover claims).
    let mut joined: BTreeMap<(String, std::collections::BTreeSet<&str>, String), Vec<String>> =
        BTreeMap::new();
    for ((sid, resources, condition), actions) in merged {
        joined
            .entry((sid, actions, condition))
            .or_default()
            .extend(resources);
    }
    let mut merged: BTreeMap<(String, Vec<String>, String), std::collections::BTreeSet<&str>> =
        BTreeMap::new();
    for ((sid, actions, condition), mut resources) in joined {
        resources.sort();
        resources.dedup();
        merged
            .entry((sid, resources, condition))
            .or_default()
            .extend(actions);
    }
    let mut out = Vec::new();
    let mut sids: BTreeMap<String, usize> = BTreeMap::new();
    for ((sid, resources, condition), actions) in merged {
        let mut sid = sid;
        if condition.ends_with("Region") {
            sid.push_str("InTheStacksRegions");
        } else if sid == "Any" {
            sid = "AnyGlobal".to_string();
        }
        let seen = sids.entry(sid.clone()).or_default();
        *seen += 1;
        if *seen > 1 {
            sid = format!("{sid}{seen}");
        }
        // Reads on any resource by verb (`ec2:Describe*`): what IAM's own read-only
        // policies allow, and what keeps a stack's policy within IAM's size limits.
        let actions: std::collections::BTreeSet<String> = actions
            .into_iter()
            .map(|action| {
                // Never IAM's: its `List*` would reach users and their access keys.
                let any = resources == ["*"] && !action.starts_with("iam:");
                match action.split_once(':') {
                    Some((service, verb)) if any && verb.starts_with("Describe") => {
                        format!("{service}:Describe*")
                    }
                    Some((service, verb)) if any && verb.starts_with("List") => {
                        format!("{service}:List*")
                    }
                    _ => action.to_string(),
                }
            })
            .collect();
        let mut statement = json!({
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions.into_iter().collect::<Vec<_>>(),
            "Resource": if resources.len() == 1 { json!(resources[0]) } else { json!(resources) },
        });
        let mut conditions = serde_json::Map::new();
        for part in condition.split('|').filter(|part| !part.is_empty()) {
            let entries = match part {
                "Region" => vec![(
                    "StringEquals",
                    "aws:RequestedRegion".to_string(),
                    json!(scope.regions),
                )],
                "ServiceName" => vec![(
                    "StringEquals",
                    "iam:AWSServiceName".to_string(),
                    json!(linked),
                )],
                creating if creating.starts_with("Creating:") => vec![(
                    "Null",
                    creating.trim_start_matches("Creating:").to_string(),
                    json!("false"),
                )],
                // Writing the stack's tag, only its two ownership tags, on what carries no
                // stack's tag or this one's already.
                adopting if adopting.starts_with("RequestTag:") => {
                    let stack = adopting.trim_start_matches("RequestTag:");
                    vec![
                        (
                            "StringEquals",
                            "aws:RequestTag/edgectl:stack".to_string(),
                            json!(stack),
                        ),
                        (
                            "ForAllValues:StringEquals",
                            "aws:TagKeys".to_string(),
                            json!(["edgectl:stack", "edgectl:id", "edgectl:retain"]),
                        ),
                        (
                            "StringEqualsIfExists",
                            "aws:ResourceTag/edgectl:stack".to_string(),
                            json!(stack),
                        ),
                    ]
                }
                tag => vec![(
                    "StringEquals",
                    "aws:ResourceTag/edgectl:stack".to_string(),
                    json!(tag.trim_start_matches("ResourceTag:")),
                )],
            };
            for (operator, key, value) in entries {
                conditions
                    .entry(operator)
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .expect("an object")
                    .insert(key, value);
            }
        }
        if !conditions.is_empty() {
            statement["Condition"] = Json::Object(conditions);
        }
        out.push(statement);
    }
    debug_assert_eq!(STACK_TAG, "edgectl:stack");
    json!({ "Version": "2012-10-17", "Statement": out })
}

fn fill(arn: &str, scope: &Scope, name: Option<&str>) -> String {
    let region = scope.regions.first().map(String::as_str).unwrap_or("*");
    let mut out = arn
        .replace("{partition}", scope.partition)
        .replace("{region}", region)
        .replace("{stack}", scope.stack);
    if let Some(name) = name {
        out = out.replace("{name}", name);
    }
    out
}

/// `load_balancer` → `LoadBalancer`, for a statement's id.
fn camel(kind: &str) -> String {
    kind.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope<'static> {
        Scope {
            stack: "shop",
            partition: "aws",
            regions: vec!["eu-west-1".to_string()],
            names: BTreeMap::from([("bucket".to_string(), vec!["shop-site".to_string()])]),
        }
    }

    /// Reads are regional, deletes need the stack's tag, names make ARNs, and a kind with
    /// no resource named adds nothing.
    #[test]
    fn permissions_are_scoped_and_grouped() {
        let permissions = [
            Permission {
                actions: &["ec2:DescribeVpcs", "iam:ListRoles", "ec2:DescribeVpcs"],
                on: On::Any,
            },
            Permission {
                actions: &["ec2:DeleteVpc"],
                on: On::Owned,
            },
            Permission {
                actions: &["s3:PutObject"],
                on: On::Named {
                    kind: "bucket",
                    arn: "arn:{partition}:s3:::{name}/*",
                },
            },
            Permission {
                actions: &["ecr:DeleteRepository"],
                on: On::Named {
                    kind: "repository",
                    arn: "arn:{partition}:ecr:{region}:*:repository/{name}",
                },
            },
        ];
        let policy = policy(&permissions, &scope());
        let statements = policy["Statement"].as_array().unwrap();
        let find = |sid: &str| {
            statements
                .iter()
                .find(|statement| statement["Sid"] == sid)
                .unwrap_or_else(|| panic!("no {sid} in {policy:#}"))
        };
        assert_eq!(
            find("AnyInTheStacksRegions")["Action"],
            json!(["ec2:Describe*"])
        );
        assert_eq!(
            find("AnyInTheStacksRegions")["Condition"]["StringEquals"]["aws:RequestedRegion"],
            json!(["eu-west-1"])
        );
        assert_eq!(find("AnyGlobal")["Action"], json!(["iam:ListRoles"]));
        assert!(find("AnyGlobal").get("Condition").is_none());
        assert_eq!(
            find("OwnedByTheStackInTheStacksRegions")["Condition"]["StringEquals"]["aws:ResourceTag/edgectl:stack"],
            json!("shop")
        );
        assert_eq!(
            find("NamedBucket")["Resource"],
            json!("arn:aws:s3:::shop-site/*")
        );
        assert_eq!(statements.len(), 4, "{policy:#}");
    }
}
