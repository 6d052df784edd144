//! WAFv2: web ACLs (`firewall.<key>`), the IP sets their address rules read
//! (`ip_set.<key>.<rule>`), and their associations with the stack's load balancers
//! (`firewall_association.<key>.<load balancer>`). A distribution names its web ACL in its
//! own configuration (the distribution kind's `web_acl`).
//!
//! A web ACL or IP set is regional, or CloudFront's (read and written in us-east-1,
//! `Clients::wafv2_global`). Both carry their ownership tags from the create call; their
//! names are unique per scope, so a create looks first and refuses a look-alike. Updates
//! and deletes take the lock token of a fresh read (WAF's optimistic locking). Found by
//! listing both scopes (WAF has no listing by tag) and reading the tags of each.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, CountAction, DefaultAction, IpAddressVersion,
    IpSetReferenceStatement, ManagedRuleGroupStatement, NoneAction, OverrideAction,
    RateBasedStatement, RateBasedStatementAggregateKeyType, Rule, RuleAction, Scope, Statement,
    Tag, VisibilityConfig, WebAcl,
};
use futures::future::try_join_all;

use super::lower::{AssociationProps, FirewallProps, IpSetProps, WafRule};
use crate::aws::conditions::{Condition, Given as _, Means};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::{FIREWALL, FIREWALL_ASSOCIATION as ASSOCIATION, IP_SET, association_id};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::Change;
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

fn built<T>(
    operation: &'static str,
    result: Result<T, aws_smithy_types::error::operation::BuildError>,
) -> Result<T, AwsError> {
    result.map_err(|error| AwsError::new(ErrorKind::Other, operation, error.to_string()))
}

fn waf_tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    pairs
        .into_iter()
        .map(|(key, value)| built("TagResource", Tag::builder().key(key).value(value).build()))
        .collect()
}

crate::aws::tagging_by_arn!(struct Waf(aws_sdk_wafv2::Client), waf_tags);

/// What the web ACL, IP set and association adapters share, read once per command.
#[derive(Default)]
struct Reads {
    /// The account's web ACLs of both scopes, with their tags.
    web_acls: tokio::sync::OnceCell<Vec<Tagged>>,
    /// The account's IP sets of both scopes, with their tags.
    ip_sets: tokio::sync::OnceCell<Vec<Tagged>>,
    /// The stack's web ACLs (`owned`).
    stack_web_acls: tokio::sync::OnceCell<Vec<Owned>>,
    /// The stack's IP sets (`owned`).
    stack_ip_sets: tokio::sync::OnceCell<Vec<Owned>>,
}

fn scope_of(scope: &str) -> Scope {
    Scope::from(scope)
}

/// The client of a scope: CloudFront's lives in us-east-1.
fn client<'a>(cx: &'a Cx, scope: &Scope) -> &'a aws_sdk_wafv2::Client {
    match scope {
        Scope::Cloudfront => &cx.clients.wafv2_global,
        _ => &cx.clients.wafv2,
    }
}

/// One listed WAF resource: name, id, ARN (the listing's lock token goes stale: updates
/// and deletes read their own).
type Listed = (String, String, String);
/// A listed WAF resource in its scope, with its tags.
pub type Tagged = (Scope, Listed, Vec<(String, String)>);

/// A web ACL or IP set of the stack: its logical id, scope, listing and tags.
pub struct Owned {
    pub id: ResourceId,
    pub scope: Scope,
    pub name: String,
    pub waf_id: String,
    pub arn: String,
    pub tags: Vec<(String, String)>,
}

async fn tags_of(cx: &Cx, scope: &Scope, arn: &str) -> Result<Vec<(String, String)>, AwsError> {
    let found = client(cx, scope)
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .aws("ListTagsForResource")?;
    Ok(found
        .tag_info_for_resource()
        .map(|info| {
            info.tag_list()
                .iter()
                .map(|tag| (tag.key().to_string(), tag.value().to_string()))
                .collect()
        })
        .unwrap_or_default())
}

/// One page of ListWebACLs or ListIPSets (their summaries have the same fields) as
/// [`Listed`] items, and the next page's marker.
macro_rules! listed_page {
    ($waf:expr, $scope:expr, $marker:expr, $call:ident, $items:ident, $operation:literal) => {{
        let page = $waf
            .$call()
            .scope($scope.clone())
            .set_next_marker($marker.take())
            .send()
            .await
            .aws($operation)?;
        let items: Vec<Listed> = page
            .$items()
            .iter()
            .map(|item| {
                let field = |value: Option<&str>, field: &str| {
                    value
                        .map(str::to_string)
                        .ok_or_else(|| AwsError::missing($operation, field))
                };
                Ok::<_, AwsError>((
                    field(item.name(), "Name")?,
                    field(item.id(), "Id")?,
                    field(item.arn(), "ARN")?,
                ))
            })
            .collect::<Result<_, _>>()?;
        (items, page.next_marker().map(str::to_string))
    }};
}

/// Every web ACL (`acls`) or IP set of both scopes, each with its tags.
async fn list_all(cx: &Cx, acls: bool) -> Result<Vec<Tagged>, AwsError> {
    let mut listed = Vec::new();
    for scope in [Scope::Regional, Scope::Cloudfront] {
        let waf = client(cx, &scope);
        let mut marker: Option<String> = None;
        loop {
            let (items, next) = if acls {
                listed_page!(waf, scope, marker, list_web_acls, web_acls, "ListWebACLs")
            } else {
                listed_page!(waf, scope, marker, list_ip_sets, ip_sets, "ListIPSets")
            };
            let empty = items.is_empty();
            listed.extend(items.into_iter().map(|item| (scope.clone(), item)));
            match next {
                Some(next) if !empty && !next.is_empty() => marker = Some(next),
                _ => break,
            }
        }
    }
    let reads = listed.into_iter().map(|(scope, item)| async move {
        let pairs = tags_of(cx, &scope, &item.2).await?;
        Ok::<_, AwsError>((scope, item, pairs))
    });
    try_join_all(reads).await
}

/// Every web ACL (`acls`) or IP set of both scopes with its tags, read once per command
/// (observe and the look-alike checks share it).
async fn listing(cx: &Cx, acls: bool) -> Result<&Vec<Tagged>, AwsError> {
    let reads = cx.reads.kinds.get::<Reads>();
    let cell = if acls {
        &reads.web_acls
    } else {
        &reads.ip_sets
    };
    cell.get_or_try_init(|| list_all(cx, acls)).await
}

/// The stack's web ACLs (`acls`) or IP sets as the tagging API lists them, of both scopes
/// (CLOUDFRONT's in us-east-1), each with its tags read afresh (one gone since it was
/// listed left out); `None` when the listing does not hold every one the command expects
/// (`tags::trusted`).
async fn stack_listed(cx: &Cx, acls: bool) -> Result<Option<Vec<Tagged>>, AwsError> {
    let (kind, marker) = if acls {
        (FIREWALL, "/webacl/")
    } else {
        (IP_SET, "/ipset/")
    };
    // A command that has not said what it expects lists WAF's.
    if cx.reads.expected.get().is_none() {
        return Ok(None);
    }
    // In us-east-1 one listing holds both scopes; elsewhere us-east-1's is read for the
    // CLOUDFRONT scope alone (its REGIONAL resources are another region's).
    let mut listed = tags::tagged(cx, kind).await?;
    if cx.region != "us-east-1" {
        let global = tags::tagged_global(cx, kind).await?;
        listed.extend(
            global
                .into_iter()
                .filter(|(_, arn, _)| arn.contains(":global/")),
        );
    }
    let Some(listed) = tags::trusted(cx, kind, marker, listed) else {
        return Ok(None);
    };
    let mut seen = std::collections::BTreeSet::new();
    let reads = listed
        .into_iter()
        .filter(|(_, arn, _)| seen.insert(arn.clone()))
        .filter_map(|(_, arn, _)| {
            // `arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID`, `global/` for CLOUDFRONT.
            let scope = if arn.contains(":global/") {
                Scope::Cloudfront
            } else {
                Scope::Regional
            };
            let (name, waf_id) = arn.split_once(marker)?.1.rsplit_once('/')?;
            Some((scope, (name.to_string(), waf_id.to_string(), arn.clone())))
        })
        .map(|(scope, item)| async move {
            let pairs = crate::aws::errors::present(tags_of(cx, &scope, &item.2).await)?;
            Ok::<_, AwsError>(pairs.map(|pairs| (scope, item, pairs)))
        });
    Ok(Some(
        try_join_all(reads).await?.into_iter().flatten().collect(),
    ))
}

/// The stack's among `listed`.
fn owned_among(cx: &Cx, listed: &[Tagged]) -> Vec<Owned> {
    listed
        .iter()
        .filter_map(|(scope, (name, waf_id, arn), pairs)| {
            let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            let id = tags::owned_id(&cx.stack, borrowed)?;
            Some(Owned {
                id,
                scope: scope.clone(),
                name: name.clone(),
                waf_id: waf_id.clone(),
                arn: arn.clone(),
                tags: pairs.clone(),
            })
        })
        .collect()
}

/// The stack's web ACLs (`acls`) or IP sets, read once per command: as the tagging API
/// lists them when they are every one the command expects, else from the account's
/// listing of both scopes.
async fn owned(cx: &Cx, acls: bool) -> Result<&[Owned], AwsError> {
    let reads = cx.reads.kinds.get::<Reads>();
    let cell = if acls {
        &reads.stack_web_acls
    } else {
        &reads.stack_ip_sets
    };
    let kind = if acls { FIREWALL } else { IP_SET };
    cell.get_or_try_init(|| async {
        if let Some(listed) = stack_listed(cx, acls).await? {
            let found = owned_among(cx, &listed);
            if tags::covers(cx, kind, found.iter().map(|owned| &owned.id)) {
                return Ok(found);
            }
        }
        Ok::<_, AwsError>(owned_among(cx, listing(cx, acls).await?))
    })
    .await
    .map(Vec::as_slice)
}

/// A web ACL as the stack sees it, under `acl.id`; `None` when it is gone.
async fn read_acl(cx: &Cx, acl: &Owned) -> Result<Option<Observed>, AwsError> {
    let (live, _) = match get_acl(cx, &acl.scope, &acl.name, &acl.waf_id).await {
        Ok(found) => found,
        Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let borrowed = acl.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let mut rules: Vec<&Rule> = live.rules().iter().collect();
    rules.sort_by_key(|rule| rule.priority());
    let props = FirewallProps {
        name: live.name().to_string(),
        scope: acl.scope.as_str().to_string(),
        description: live
            .description()
            .filter(|text| !text.is_empty())
            .map(str::to_string),
        default: if live
            .default_action()
            .is_some_and(|action| action.block().is_some())
        {
            "block"
        } else {
            "allow"
        }
        .to_string(),
        metrics: live
            .visibility_config()
            .is_some_and(VisibilityConfig::cloud_watch_metrics_enabled),
        rules: rules.into_iter().map(rule_value).collect(),
        tags: tags::observed_tag_map(borrowed),
    };
    let mut resource = Observed::new(acl.id.clone(), &acl.arn, props.into_props());
    resource.extra.insert("id".into(), acl.waf_id.clone());
    Ok(Some(resource))
}

/// An IP set as the stack sees it, under `set.id`; `None` when it is gone.
async fn read_ip_set(cx: &Cx, set: &Owned) -> Result<Option<Observed>, AwsError> {
    let found = match client(cx, &set.scope)
        .get_ip_set()
        .scope(set.scope.clone())
        .name(&set.name)
        .id(&set.waf_id)
        .send()
        .await
        .aws("GetIPSet")
    {
        Ok(found) => found,
        Err(error) if error.kind == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let Some(live) = found.ip_set() else {
        return Ok(None);
    };
    let borrowed = set.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let props = IpSetProps {
        name: live.name().to_string(),
        scope: set.scope.as_str().to_string(),
        version: live.ip_address_version().as_str().to_string(),
        addresses: live.addresses().iter().cloned().collect(),
        tags: tags::observed_tag_map(borrowed),
    };
    let mut resource = Observed::new(set.id.clone(), &set.arn, props.into_props());
    resource.extra.insert("id".into(), set.waf_id.clone());
    Ok(Some(resource))
}

/// `edgectl adopt`: the web ACL (`acls`) or IP set of the manifest's name in its scope
/// (names are unique per scope), or the one pinned by ARN, read under `op`'s id.
async fn find_named(
    op: &OpCx<'_>,
    (name, scope): (&str, &str),
    pin: Option<&str>,
    acls: bool,
) -> Result<Found, AwsError> {
    let scope = scope_of(scope);
    let all = listing(op.cx, acls).await?;
    let Some((_, (name, waf_id, arn), pairs)) = all.iter().find(|(found, item, _)| {
        *found == scope
            && match pin {
                Some(pin) => item.2 == pin || item.1 == pin,
                None => item.0 == name,
            }
    }) else {
        return Ok(Found::Nothing);
    };
    let listed = Owned {
        id: op.id.clone(),
        scope: scope.clone(),
        name: name.clone(),
        waf_id: waf_id.clone(),
        arn: arn.clone(),
        tags: pairs.clone(),
    };
    let read = if acls {
        read_acl(op.cx, &listed).await?
    } else {
        read_ip_set(op.cx, &listed).await?
    };
    let Some(observed) = read else {
        return Ok(Found::Nothing);
    };
    let what = format!(
        "{} `{name}` ({})",
        if acls { "web ACL" } else { "IP set" },
        scope.as_str()
    );
    let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    crate::aws::adopt::found(op.cx, op.id, what, borrowed, observed).await
}

/// `edgectl adopt`'s one write on a web ACL or IP set: the ownership tags, in its scope's
/// region.
async fn adopt_tags(op: &OpCx<'_>, desired: &Desired, found: &Observed) -> Result<(), AwsError> {
    let scope = if crate::aws::naming::arn_region(&found.physical_id)? == "us-east-1"
        && found.physical_id.contains(":global/")
    {
        Scope::Cloudfront
    } else {
        Scope::Regional
    };
    client(op.cx, &scope)
        .tag_resource()
        .resource_arn(&found.physical_id)
        .set_tags(Some(waf_tags(tags::adopt_tags(op, desired))?))
        .send()
        .await
        .aws("TagResource")
        .map(drop)
}

/// Refuses a name someone else holds in the scope (WAF names are unique per scope).
async fn refuse_taken(
    cx: &Cx,
    desired: &Desired,
    (name, scope): (&str, &str),
    acls: bool,
    what: &str,
) -> Result<(), String> {
    let scope = scope_of(scope);
    let all = listing(cx, acls)
        .await
        .map_err(|error| format!("cannot check whether the name is taken: {error}"))?;
    let Some((_, _, pairs)) = all
        .iter()
        .find(|(found, item, _)| *found == scope && item.0 == name)
    else {
        return Ok(());
    };
    let pairs = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let what = format!("{what} `{name}` ({})", scope.as_str());
    tags::name_taken_adoptable(&cx.stack, &desired.id, &what, pairs).map_or(Ok(()), Err)
}

fn visibility(name: &str, metrics: bool) -> Result<VisibilityConfig, AwsError> {
    built(
        "CreateWebACL",
        VisibilityConfig::builder()
            .metric_name(name)
            .sampled_requests_enabled(metrics)
            .cloud_watch_metrics_enabled(metrics)
            .build(),
    )
}

/// A rule as the manifest's lowering writes it, as WAF takes it.
fn sdk_rule(rule: &WafRule, metrics: bool) -> Result<Rule, AwsError> {
    let count = rule.count;
    let name = &rule.name;
    let priority = crate::aws::errors::int32(
        "CreateWebACL",
        &format!("rule `{name}`'s priority"),
        rule.priority,
    )?;
    let mut builder = Rule::builder()
        .name(name)
        .priority(priority)
        .visibility_config(visibility(name, metrics)?);
    let action = |allow: bool| {
        if count {
            RuleAction::builder()
                .count(CountAction::builder().build())
                .build()
        } else if allow {
            RuleAction::builder()
                .allow(AllowAction::builder().build())
                .build()
        } else {
            RuleAction::builder()
                .block(BlockAction::builder().build())
                .build()
        }
    };
    if let Some(limit) = rule.rate_limit {
        builder = builder
            .statement(
                Statement::builder()
                    .rate_based_statement(built(
                        "CreateWebACL",
                        RateBasedStatement::builder()
                            .limit(limit)
                            .set_evaluation_window_sec(rule.window)
                            .aggregate_key_type(RateBasedStatementAggregateKeyType::Ip)
                            .build(),
                    )?)
                    .build(),
            )
            .action(action(false));
    } else if let Some(managed) = &rule.managed {
        let override_action = if count {
            OverrideAction::builder()
                .count(CountAction::builder().build())
                .build()
        } else {
            OverrideAction::builder()
                .none(NoneAction::builder().build())
                .build()
        };
        builder = builder
            .statement(
                Statement::builder()
                    .managed_rule_group_statement(built(
                        "CreateWebACL",
                        ManagedRuleGroupStatement::builder()
                            .set_vendor_name(rule.vendor.clone())
                            .name(managed)
                            .build(),
                    )?)
                    .build(),
            )
            .override_action(override_action);
    } else {
        let arn = rule
            .ip_set
            .as_ref()
            .and_then(Value::as_str)
            .ok_or_else(|| {
                AwsError::new(
                    ErrorKind::Other,
                    "CreateWebACL",
                    format!("rule `{name}` names no IP set ARN"),
                )
            })?;
        builder = builder
            .statement(
                Statement::builder()
                    .ip_set_reference_statement(built(
                        "CreateWebACL",
                        IpSetReferenceStatement::builder().arn(arn).build(),
                    )?)
                    .build(),
            )
            .action(action(rule.allow == Some(true)));
    }
    built("CreateWebACL", builder.build())
}

/// A live rule as the lowering writes it.
fn rule_value(rule: &Rule) -> WafRule {
    let statement = rule.statement();
    let rate = statement.and_then(Statement::rate_based_statement);
    let group = statement.and_then(Statement::managed_rule_group_statement);
    let set = statement.and_then(Statement::ip_set_reference_statement);
    WafRule {
        name: rule.name().to_string(),
        priority: rule.priority().into(),
        count: rule.action().is_some_and(|action| action.count().is_some())
            || rule
                .override_action()
                .is_some_and(|action| action.count().is_some()),
        rate_limit: rate.map(RateBasedStatement::limit),
        // WAF's default window is 5 minutes; moto answers none.
        window: rate.map(|rate| match rate.evaluation_window_sec() {
            0 => 300,
            window => window,
        }),
        vendor: group.map(|group| group.vendor_name().to_string()),
        managed: group.map(|group| group.name().to_string()),
        ip_set: set.map(|set| Value::str(set.arn())),
        allow: set.map(|_| rule.action().is_some_and(|action| action.allow().is_some())),
    }
}

fn default_action(props: &FirewallProps) -> DefaultAction {
    if props.default == "block" {
        DefaultAction::builder()
            .block(BlockAction::builder().build())
            .build()
    } else {
        DefaultAction::builder()
            .allow(AllowAction::builder().build())
            .build()
    }
}

async fn get_acl(
    cx: &Cx,
    scope: &Scope,
    name: &str,
    id: &str,
) -> Result<(WebAcl, String), AwsError> {
    let found = client(cx, scope)
        .get_web_acl()
        .scope(scope.clone())
        .name(name)
        .id(id)
        .send()
        .await
        .aws("GetWebACL")?;
    let acl = found
        .web_acl()
        .cloned()
        .ok_or_else(|| AwsError::missing("GetWebACL", "WebACL"))?;
    // The lock token an update or delete must send (observe reads the ACL only).
    let lock = found
        .lock_token()
        .map(str::to_string)
        .ok_or_else(|| AwsError::missing("GetWebACL", "LockToken"))?;
    Ok((acl, lock))
}

pub struct FirewallAdapter;

/// What WAF answers while it settles what a call needs (the Terraform provider's
/// `internal/service/wafv2/web_acl.go`, `ip_set.go` and `web_acl_association.go`: 5
/// minutes, 10 for an association). Its "not found", WAFNonexistentItemException, is
/// read as such for every call (`errors::classify`): a delete that meets it is done.
pub const CONDITIONS: &[Condition] = &[
    Condition {
        operation: "AssociateWebACL",
        code: "WAFUnavailableEntityException",
        message: None,
        means: Means::Settling {
            awaiting: "the load balancer to become available to WAF before associating the firewall",
            window: Duration::from_secs(600),
        },
        source: "terraform-provider-aws internal/service/wafv2/web_acl_association.go resourceWebACLAssociationCreate",
    },
    Condition {
        operation: "CreateWebACL",
        code: "WAFUnavailableEntityException",
        message: None,
        means: Means::Settling {
            awaiting: "the IP sets the web ACL names to become available to WAF",
            window: Duration::from_secs(300),
        },
        source: "terraform-provider-aws internal/service/wafv2/web_acl.go resourceWebACLCreate",
    },
    Condition {
        operation: "UpdateWebACL",
        code: "WAFUnavailableEntityException",
        message: None,
        means: Means::Settling {
            awaiting: "the IP sets the web ACL names to become available to WAF",
            window: Duration::from_secs(300),
        },
        source: "terraform-provider-aws internal/service/wafv2/web_acl.go resourceWebACLUpdate",
    },
    Condition {
        operation: "UpdateWebACL",
        code: "WAFOptimisticLockException",
        message: None,
        means: Means::Settling {
            awaiting: "a fresh lock token (the web ACL changed since it was read)",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/wafv2/web_acl.go resourceWebACLUpdate",
    },
    Condition {
        operation: "DeleteWebACL",
        code: "WAFOptimisticLockException",
        message: None,
        means: Means::Settling {
            awaiting: "a fresh lock token (the web ACL changed since it was read)",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/wafv2/web_acl.go resourceWebACLDelete",
    },
    Condition {
        operation: "DeleteWebACL",
        code: "WAFAssociatedItemException",
        message: None,
        means: Means::Settling {
            awaiting: "the web ACL's disassociations to reach WAF",
            window: Duration::from_secs(300),
        },
        source: "terraform-provider-aws internal/service/wafv2/web_acl.go resourceWebACLDelete",
    },
    Condition {
        operation: "DeleteWebACL",
        code: "WAFUnavailableEntityException",
        message: None,
        means: Means::Settling {
            awaiting: "the web ACL's disassociations to reach WAF",
            window: Duration::from_secs(300),
        },
        source: "terraform-provider-aws internal/service/wafv2/web_acl.go resourceWebACLDelete",
    },
    Condition {
        operation: "AssociateWebACL",
        code: "WAFServiceLinkedRoleErrorException",
        message: None,
        means: Means::Settling {
            awaiting: "WAF's service-linked role, made by AWS at the account's first use",
            window: Duration::from_secs(120),
        },
        source: "terraform-provider-aws internal/service/wafv2/service_package.go CustomizeConn",
    },
    Condition {
        operation: "CreateWebACL",
        code: "WAFTagOperationException",
        message: Some("Retry your request"),
        means: Means::Settling {
            awaiting: "WAF's tagging, which asked to be retried",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/wafv2/service_package.go CustomizeConn",
    },
    Condition {
        operation: "CreateIPSet",
        code: "WAFTagOperationException",
        message: Some("Retry your request"),
        means: Means::Settling {
            awaiting: "WAF's tagging, which asked to be retried",
            window: Duration::from_secs(60),
        },
        source: "terraform-provider-aws internal/service/wafv2/service_package.go CustomizeConn",
    },
    Condition {
        operation: "DeleteIPSet",
        code: "WAFAssociatedItemException",
        message: None,
        means: Means::Settling {
            awaiting: "the web ACL's change to stop naming the IP set to reach WAF",
            window: Duration::from_secs(300),
        },
        source: "terraform-provider-aws internal/service/wafv2/ip_set.go resourceIPSetDelete",
    },
];

#[async_trait]
impl crate::engine::kind::Kind for FirewallAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[FIREWALL]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let owned = owned(cx, true).await?;
        let reads = owned
            .iter()
            .filter(|acl| acl.id.kind() == FIREWALL)
            .map(|acl| read_acl(cx, acl));
        Ok(try_join_all(reads).await?.into_iter().flatten().collect())
    }

    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = FirewallProps::from_props(&desired.props)?;
        find_named(op, (&props.name, &props.scope), pin, true).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        adopt_tags(op, desired, found).await
    }

    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = FirewallProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        refuse_taken(cx, desired, (&props.name, &props.scope), true, "web ACL").await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = FirewallProps::from_props(&desired.props)?;
        let scope = scope_of(&props.scope);
        let name = props.name.as_str();
        let rules = props
            .rules
            .iter()
            .map(|rule| sdk_rule(rule, props.metrics))
            .collect::<Result<Vec<_>, _>>()?;
        let created = client(op.cx, &scope)
            .create_web_acl()
            .name(name)
            .scope(scope.clone())
            .default_action(default_action(&props))
            .set_description(props.description.clone())
            .set_rules(Some(rules))
            .visibility_config(visibility(name, props.metrics)?)
            .set_tags(Some(waf_tags(tags::for_create(op, &props.tags))?))
            .send()
            .await
            .aws("CreateWebACL")
            .given(CONDITIONS)?;
        created
            .summary()
            .and_then(|summary| summary.arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::missing("CreateWebACL", "Summary.ARN"))
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let props = FirewallProps::from_props(&desired.props)?;
        let live = FirewallProps::from_props(&observed.props)?;
        let scope = scope_of(&live.scope);
        let waf = client(op.cx, &scope);
        let changed = FirewallProps::changed(changes);
        if changed.description || changed.default || changed.metrics || changed.rules {
            let name = props.name.as_str();
            let id = observed.detail("id")?.to_string();
            let (_, lock) = get_acl(op.cx, &scope, name, &id).await?;
            let rules = props
                .rules
                .iter()
                .map(|rule| sdk_rule(rule, props.metrics))
                .collect::<Result<Vec<_>, _>>()?;
            waf.update_web_acl()
                .name(name)
                .scope(scope.clone())
                .id(id)
                .lock_token(lock)
                .default_action(default_action(&props))
                .set_description(props.description.clone())
                .set_rules(Some(rules))
                .visibility_config(visibility(name, props.metrics)?)
                .send()
                .await
                .aws("UpdateWebACL")
                .given(CONDITIONS)?;
        }
        tags::sync(&Waf(waf), &observed.physical_id, &live.tags, &props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let live = FirewallProps::from_props(&observed.props)?;
        let scope = scope_of(&live.scope);
        let name = live.name.as_str();
        let id = observed.detail("id")?.to_string();
        let lock = match get_acl(op.cx, &scope, name, &id).await {
            Ok((_, lock)) => lock,
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        match client(op.cx, &scope)
            .delete_web_acl()
            .name(name)
            .scope(scope.clone())
            .id(id)
            .lock_token(lock)
            .send()
            .await
            .aws("DeleteWebACL")
            .given(CONDITIONS)
        {
            Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(drop),
        }
    }
}

pub struct IpSetAdapter;

#[async_trait]
impl crate::engine::kind::Kind for IpSetAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[IP_SET]
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let owned = owned(cx, false).await?;
        let reads = owned.iter().map(|set| read_ip_set(cx, set));
        Ok(try_join_all(reads).await?.into_iter().flatten().collect())
    }

    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = IpSetProps::from_props(&desired.props)?;
        find_named(op, (&props.name, &props.scope), pin, false).await
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        adopt_tags(op, desired, found).await
    }

    async fn preflight_create(&self, cx: &Cx, desired: &Desired) -> Result<(), String> {
        let props = IpSetProps::from_props(&desired.props).map_err(|e| e.to_string())?;
        refuse_taken(cx, desired, (&props.name, &props.scope), false, "IP set").await
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = IpSetProps::from_props(&desired.props)?;
        let scope = scope_of(&props.scope);
        let created = client(op.cx, &scope)
            .create_ip_set()
            .name(&props.name)
            .scope(scope.clone())
            .ip_address_version(IpAddressVersion::from(props.version.as_str()))
            .set_addresses(Some(props.addresses.iter().cloned().collect()))
            .set_tags(Some(waf_tags(tags::for_create(op, &props.tags))?))
            .send()
            .await
            .aws("CreateIPSet")
            .given(CONDITIONS)?;
        created
            .summary()
            .and_then(|summary| summary.arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::missing("CreateIPSet", "Summary.ARN"))
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        changes: &[Change],
    ) -> Result<(), AwsError> {
        let props = IpSetProps::from_props(&desired.props)?;
        let live = IpSetProps::from_props(&observed.props)?;
        let scope = scope_of(&live.scope);
        let waf = client(op.cx, &scope);
        if IpSetProps::changed(changes).addresses {
            let name = props.name.as_str();
            let id = observed.detail("id")?.to_string();
            let found = waf
                .get_ip_set()
                .scope(scope.clone())
                .name(name)
                .id(&id)
                .send()
                .await
                .aws("GetIPSet")?;
            waf.update_ip_set()
                .scope(scope.clone())
                .name(name)
                .id(id)
                .lock_token(
                    found
                        .lock_token()
                        .ok_or_else(|| AwsError::missing("GetIPSet", "LockToken"))?,
                )
                .set_addresses(Some(props.addresses.iter().cloned().collect()))
                .send()
                .await
                .aws("UpdateIPSet")?;
        }
        tags::sync(&Waf(waf), &observed.physical_id, &live.tags, &props.tags).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let live = IpSetProps::from_props(&observed.props)?;
        let scope = scope_of(&live.scope);
        let waf = client(op.cx, &scope);
        let name = live.name.as_str();
        let id = observed.detail("id")?.to_string();
        let lock = match waf
            .get_ip_set()
            .scope(scope.clone())
            .name(name)
            .id(&id)
            .send()
            .await
            .aws("GetIPSet")
        {
            Ok(found) => found
                .lock_token()
                .ok_or_else(|| AwsError::missing("GetIPSet", "LockToken"))?
                .to_string(),
            Err(error) if error.kind == ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        match waf
            .delete_ip_set()
            .scope(scope.clone())
            .name(name)
            .id(id)
            .lock_token(lock)
            .send()
            .await
            .aws("DeleteIPSet")
            .given(CONDITIONS)
        {
            Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(drop),
        }
    }
}

pub struct AssociationAdapter;

#[async_trait]
impl crate::engine::kind::Kind for AssociationAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[ASSOCIATION]
    }

    /// The stack's load balancers protected by one of its web ACLs (one read per load
    /// balancer: WAF lists no associations by ACL in every region).
    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        let acls = owned(cx, true).await?;
        if acls.is_empty() {
            return Ok(Vec::new());
        }
        let balancers = crate::aws::elbv2::balancers(cx).await?;
        let acls = &acls;
        let reads = balancers.iter().map(|balancer| async move {
            let found = cx
                .clients
                .wafv2
                .get_web_acl_for_resource()
                .resource_arn(&balancer.arn)
                .send()
                .await
                .aws("GetWebACLForResource")?;
            let Some(arn) = found.web_acl().map(|acl| acl.arn().to_string()) else {
                return Ok(None);
            };
            let Some(acl) = acls.iter().find(|acl| acl.arn == arn) else {
                // Someone else's web ACL: not the stack's association.
                return Ok(None);
            };
            let props = AssociationProps {
                load_balancer: Value::Phys(balancer.arn.clone()),
                firewall: Value::Phys(arn.clone()),
            };
            Ok::<_, AwsError>(Some(Observed::new(
                association_id(acl.id.name(), balancer.id.name()),
                format!("{arn}|{}", balancer.arn),
                props.into_props(),
            )))
        });
        Ok(try_join_all(reads).await?.into_iter().flatten().collect())
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = AssociationProps::from_props(&desired.props)?;
        let acl = op.resolve(&props.firewall)?;
        let balancer = op.resolve(&props.load_balancer)?;
        associate(op, &acl, &balancer).await?;
        Ok(format!("{acl}|{balancer}"))
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        _observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        // Associating another web ACL replaces the one there.
        let props = AssociationProps::from_props(&desired.props)?;
        let acl = op.resolve(&props.firewall)?;
        let balancer = op.resolve(&props.load_balancer)?;
        associate(op, &acl, &balancer).await
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let balancer = observed
            .physical_id
            .split_once('|')
            .map_or(observed.physical_id.as_str(), |(_, balancer)| balancer);
        match op
            .cx
            .clients
            .wafv2
            .disassociate_web_acl()
            .resource_arn(balancer)
            .send()
            .await
            .aws("DisassociateWebACL")
        {
            Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(drop),
        }
    }
}

async fn associate(op: &OpCx<'_>, acl: &str, balancer: &str) -> Result<(), AwsError> {
    active(op, balancer).await?;
    op.cx
        .clients
        .wafv2
        .associate_web_acl()
        .web_acl_arn(acl)
        .resource_arn(balancer)
        .send()
        .await
        .aws("AssociateWebACL")
        .given(CONDITIONS)?;
    Ok(())
}

/// Waits until the load balancer is `active`: WAF refuses to associate a web ACL with
/// one still provisioning (WAFUnavailableEntityException; minutes after CreateLoadBalancer
/// on AWS). What the association needs, read rather than retried blind.
async fn active(op: &OpCx<'_>, balancer: &str) -> Result<(), AwsError> {
    let elb = &op.cx.clients.elbv2;
    op.status("waiting for the load balancer to become active before associating the firewall");
    let bound = Duration::from_secs(600).min(op.cx.timeout);
    let what = format!("load balancer {balancer} to become active");
    crate::engine::retry::poll(bound, &what, || async {
        let found = elb
            .describe_load_balancers()
            .load_balancer_arns(balancer)
            .send()
            .await
            .aws("DescribeLoadBalancers")?;
        let state = found
            .load_balancers()
            .first()
            .and_then(|found| found.state())
            .and_then(|state| state.code())
            .map(|code| code.as_str().to_string());
        match state.as_deref() {
            Some("active" | "active_impaired") => Ok(Some(())),
            Some("failed") => Err(AwsError::new(
                ErrorKind::Other,
                "DescribeLoadBalancers",
                format!("load balancer {balancer} failed to provision"),
            )),
            _ => Ok(None),
        }
    })
    .await
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "wafv2:ListWebACLs",
            "wafv2:ListIPSets",
            "wafv2:GetWebACL",
            "wafv2:GetIPSet",
            "wafv2:GetWebACLForResource",
            "wafv2:CreateWebACL",
            "wafv2:UpdateWebACL",
            "wafv2:CreateIPSet",
            "wafv2:UpdateIPSet",
            "wafv2:AssociateWebACL",
            "wafv2:DisassociateWebACL",
            "wafv2:TagResource",
            "wafv2:UntagResource",
            "wafv2:ListTagsForResource",
            "wafv2:ListResourcesForWebACL",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:SetWebACL",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["wafv2:DeleteWebACL", "wafv2:DeleteIPSet"],
        on: On::Owned,
    },
];
