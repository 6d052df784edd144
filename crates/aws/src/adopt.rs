//! `edgectl adopt`: whether a live resource a kind found for the manifest may be taken
//! over. Not when its tags say another edgectl stack (or another resource of this one)
//! owns it, nor while a live CloudFormation stack manages it without retaining it: the
//! stack's next update or deletion would undo or delete what edgectl then owns.

use std::collections::BTreeMap;

use super::errors::{AwsError, AwsResultExt as _};
use super::tags::{ID_TAG, STACK_TAG};
use crate::engine::kind::Found;
use crate::engine::model::{Observed, ResourceId};

/// The tags CloudFormation puts on what its stacks make (users cannot write `aws:` tags).
const CFN_STACK_ID: &str = "aws:cloudformation:stack-id";
const CFN_STACK_NAME: &str = "aws:cloudformation:stack-name";
const CFN_LOGICAL_ID: &str = "aws:cloudformation:logical-id";

/// What `find` found, `what` naming it ("ECS cluster `web`") and `tags` its live tags:
/// [`Found::Live`] when it may be taken over, [`Found::Refused`] with why and what to do.
pub async fn found<'a>(
    cx: &super::Cx,
    id: &ResourceId,
    what: String,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    observed: Observed,
) -> Result<Found, AwsError> {
    let tags: BTreeMap<&str, &str> = tags.into_iter().collect();
    match (tags.get(STACK_TAG), tags.get(ID_TAG)) {
        (Some(theirs), Some(their_id)) if *theirs == cx.stack && *their_id == id.to_string() => {}
        (Some(theirs), Some(their_id)) if *theirs == cx.stack => {
            return Ok(Found::Refused(format!(
                "{what} is this stack's `{their_id}` already"
            )));
        }
        (Some(theirs), _) => {
            return Ok(Found::Refused(format!(
                "{what} belongs to edgectl stack `{theirs}`: remove it from that stack's manifest with `retain: true` first"
            )));
        }
        _ => {}
    }
    let note = match (tags.get(CFN_STACK_ID), tags.get(CFN_LOGICAL_ID)) {
        (Some(stack_id), Some(logical)) => {
            let name = tags.get(CFN_STACK_NAME).copied().unwrap_or(stack_id);
            match verdict(cx, &what, stack_id, name, logical).await? {
                Ok(note) => note,
                Err(refused) => return Ok(refused),
            }
        }
        _ => None,
    };
    Ok(Found::Live {
        observed,
        what,
        note,
        also: Vec::new(),
    })
}

/// [`found`] for a kind CloudFormation does not tag (a CloudFront distribution, an ACM
/// certificate, a Route 53 record set, a KMS key, a VPC endpoint): see [`untagged`].
pub async fn found_untagged<'a>(
    cx: &super::Cx,
    id: &ResourceId,
    what: String,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    observed: Observed,
    cloudformation: (&str, &[&str]),
) -> Result<Found, AwsError> {
    let found = found(cx, id, what, tags, observed).await?;
    untagged(cx, found, cloudformation).await
}

/// Whether a CloudFormation stack manages what was found, for a kind CloudFormation does
/// not tag: asked by its physical id as CloudFormation knows it (`cloudformation`: the
/// resource type, `AWS::KMS::Key`, and the physical ids to try: a distribution's id, a
/// certificate's ARN, a record's name with and without its final dot, a key's id, an
/// endpoint's id), with DescribeStackResources.
pub async fn untagged(
    cx: &super::Cx,
    mut found: Found,
    (kind, physical): (&str, &[&str]),
) -> Result<Found, AwsError> {
    let Found::Live { note, what, .. } = &mut found else {
        return Ok(found);
    };
    if note.is_some() {
        return Ok(found);
    }
    for physical in physical {
        let Some((stack_id, name, logical)) = listed_by_stack(cx, kind, physical).await? else {
            continue;
        };
        match verdict(cx, what, &stack_id, &name, &logical).await? {
            // No longer that stack's (deleted, or dropped with `Retain`): ask the next.
            Ok(None) => continue,
            Ok(said) => *note = said,
            Err(refused) => return Ok(refused),
        }
        break;
    }
    Ok(found)
}

/// The stack (id, name) and logical id of the resource of type `kind` CloudFormation knows
/// as `physical`, if a stack lists it. DescribeStackResources answers with the first 100
/// resources of the stack that has it: a bigger stack's are paged through.
async fn listed_by_stack(
    cx: &super::Cx,
    kind: &str,
    physical: &str,
) -> Result<Option<(String, String, String)>, AwsError> {
    let client = &cx.clients.cloudformation;
    let answer = client
        .describe_stack_resources()
        .physical_resource_id(physical)
        .send()
        .await
        .aws("DescribeStackResources");
    let answer = match answer {
        Ok(answer) => answer,
        // "Stack for … does not exist": no stack has it.
        Err(error)
            if error.code.as_deref() == Some("ValidationError")
                && error.message.contains("does not exist") =>
        {
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    let rows = answer.stack_resources();
    // CDK's `DnsValidatedCertificate` and the like make them through custom resources.
    let of_kind = |listed: Option<&str>| {
        listed.is_some_and(|listed| {
            listed == kind
                || listed == "AWS::CloudFormation::CustomResource"
                || listed.starts_with("Custom::")
        })
    };
    // The row of exactly that type first; a custom resource's otherwise.
    let exact = rows.iter().find(|row| {
        row.physical_resource_id() == Some(physical) && row.resource_type() == Some(kind)
    });
    if let Some(row) = exact.or_else(|| {
        rows.iter().find(|row| {
            row.physical_resource_id() == Some(physical) && of_kind(row.resource_type())
        })
    }) {
        return Ok(Some((
            row.stack_id().unwrap_or_default().to_string(),
            row.stack_name().unwrap_or_default().to_string(),
            row.logical_resource_id().unwrap_or_default().to_string(),
        )));
    }
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let (stack_id, name) = (
        first.stack_id().unwrap_or_default().to_string(),
        first.stack_name().unwrap_or_default().to_string(),
    );
    let pages: Vec<_> = client
        .list_stack_resources()
        .stack_name(&stack_id)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("ListStackResources")?;
    Ok(pages
        .iter()
        .flat_map(|page| page.stack_resource_summaries())
        .find(|row| row.physical_resource_id() == Some(physical) && of_kind(row.resource_type()))
        .map(|row| {
            (
                stack_id.clone(),
                name.clone(),
                row.logical_resource_id().unwrap_or_default().to_string(),
            )
        }))
}

/// What a resource a CloudFormation stack lists (as `logical`) means for its adoption: a
/// note (retained, or no longer the stack's: none), or the refusal.
async fn verdict(
    cx: &super::Cx,
    what: &str,
    stack_id: &str,
    name: &str,
    logical: &str,
) -> Result<Result<Option<String>, Found>, AwsError> {
    Ok(match cloudformation(cx, stack_id, logical).await? {
        Managed::No => Ok(None),
        Managed::Retained => Ok(Some(format!(
            "CloudFormation stack `{name}` still lists it as `{logical}`, retained (DeletionPolicy and UpdateReplacePolicy Retain): remove it from that template (or delete the stack) once adopted, before either changes it again; what the stack made for it without tags (a gateway's attachment, routes, route table associations, security group rules, a load balancer's listeners and rules, a service's auto scaling, a topic's subscriptions, a bucket's policy, a file system's mount targets) goes with the stack unless retained too"
        ))),
        Managed::Yes => Err(Found::Refused(format!(
            "{what} is managed by CloudFormation stack `{name}` (as `{logical}`), whose next update or deletion would change, replace or delete it. Give `{logical}` `DeletionPolicy: Retain` and `UpdateReplacePolicy: Retain` in that template (CDK: `applyRemovalPolicy(RemovalPolicy.RETAIN)`) and deploy it, then adopt; afterwards remove it from the template or delete the stack, which leaves it in place"
        ))),
    })
}

/// Of the live resources that match a desired one where it sits (a subnet's CIDR in its
/// VPC, an access point's path on its file system), each with its tags and read under the
/// desired id, the one to take over; several are refused, named, with how to pin one.
pub async fn pick(
    op: &super::OpCx<'_>,
    noun: &str,
    matches: Vec<(Vec<(String, String)>, Observed)>,
) -> Result<Found, AwsError> {
    let mut matches = matches;
    match matches.len() {
        0 => Ok(Found::Nothing),
        1 => {
            let (tags, observed) = matches.remove(0);
            // Named by its `Name` tag, or its own name (a security group's).
            let name = tags
                .iter()
                .find(|(key, _)| key == "Name")
                .map(|(_, name)| name.clone())
                .or_else(|| Some(observed.value("name").as_str()?.to_string()));
            let what = match name {
                Some(name) => format!("{noun} `{name}`"),
                None => noun.to_string(),
            };
            let pairs = tags
                .iter()
                .map(|(key, value)| (key.as_str(), value.as_str()));
            found(op.cx, op.id, what, pairs, observed).await
        }
        _ => {
            let ids: Vec<&str> = matches
                .iter()
                .map(|(_, observed)| observed.physical_id.as_str())
                .collect();
            Ok(Found::Refused(format!(
                "{} {noun}s match ({}): name the one to take, `edgectl adopt -f FILE {}={}`",
                ids.len(),
                ids.join(", "),
                op.id,
                ids[0]
            )))
        }
    }
}

/// Whether a CloudFormation stack manages a resource it made.
#[derive(Debug, PartialEq)]
enum Managed {
    /// The stack is gone, or no longer has the resource (removed with `Retain`).
    No,
    /// The stack has it, and its template retains it (`DeletionPolicy` and
    /// `UpdateReplacePolicy` `Retain`).
    Retained,
    Yes,
}

async fn cloudformation(
    cx: &super::Cx,
    stack_id: &str,
    logical: &str,
) -> Result<Managed, AwsError> {
    let client = &cx.clients.cloudformation;
    let resource = client
        .describe_stack_resource()
        .stack_name(stack_id)
        .logical_resource_id(logical)
        .send()
        .await
        .aws("DescribeStackResource");
    let status = match resource {
        Ok(answer) => answer
            .stack_resource_detail()
            .and_then(|detail| detail.resource_status())
            .map(|status| status.as_str().to_string()),
        // A deleted stack, or a resource no longer in it: "Stack with id … does not exist",
        // "Resource … does not exist for stack …".
        Err(error)
            if error.code.as_deref() == Some("ValidationError")
                && error.message.contains("does not exist") =>
        {
            return Ok(Managed::No);
        }
        Err(error) => return Err(error),
    };
    // A stack deleted with the resource retained lists it as DELETE_SKIPPED. (Whether the
    // logical id still names this very resource is not asked: a stack that lists the
    // name at all is taken to manage it, which can only refuse too much.)
    if matches!(
        status.as_deref(),
        Some("DELETE_COMPLETE" | "DELETE_SKIPPED")
    ) {
        return Ok(Managed::No);
    }
    // As deployed, after its transforms (SAM's, macros').
    let template = client
        .get_template()
        .stack_name(stack_id)
        .template_stage(aws_sdk_cloudformation::types::TemplateStage::Processed)
        .send()
        .await
        .aws("GetTemplate")?;
    Ok(
        if retained(template.template_body().unwrap_or_default(), logical) {
            Managed::Retained
        } else {
            Managed::Yes
        },
    )
}

/// Whether a template (JSON, or YAML) keeps `logical`'s resource whatever the stack does
/// next: deleted from the stack or the stack deleted (`DeletionPolicy`), or replaced by an
/// update (`UpdateReplacePolicy`), both `Retain` (what CDK's `RemovalPolicy.RETAIN` writes).
fn retained(template: &str, logical: &str) -> bool {
    let keeps = |deletion: Option<&str>, replace: Option<&str>| {
        matches!(deletion, Some("Retain" | "RetainExceptOnCreate")) && replace == Some("Retain")
    };
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(template) {
        let resource = &json["Resources"][logical];
        return keeps(
            resource["DeletionPolicy"].as_str(),
            resource["UpdateReplacePolicy"].as_str(),
        );
    }
    let Ok(documents) = yaml_rust2::YamlLoader::load_from_str(template) else {
        return false;
    };
    documents.first().is_some_and(|document| {
        let resource = &document["Resources"][logical];
        keeps(
            resource["DeletionPolicy"].as_str(),
            resource["UpdateReplacePolicy"].as_str(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::retained;

    #[test]
    fn retained_means_both_policies_retain_in_json_and_yaml_templates() {
        let json = "{\"Resources\":{\n\t\"Vpc\":{\"Type\":\"AWS::EC2::VPC\",\"DeletionPolicy\":\"Retain\",\"UpdateReplacePolicy\":\"Retain\"},\n\t\"Half\":{\"DeletionPolicy\":\"Retain\"},\"Sg\":{\"DeletionPolicy\":\"Delete\",\"UpdateReplacePolicy\":\"Retain\"}}}";
        assert!(retained(json, "Vpc"));
        assert!(!retained(json, "Half"));
        assert!(!retained(json, "Sg"));
        assert!(!retained(json, "Missing"));
        let yaml = "Resources:\n  Cluster:\n    Type: AWS::ECS::Cluster\n    DeletionPolicy: RetainExceptOnCreate\n    UpdateReplacePolicy: Retain\n    Properties:\n      ClusterName: !Ref Name\n  Other:\n    Type: AWS::ECS::Cluster\n";
        assert!(retained(yaml, "Cluster"));
        assert!(!retained(yaml, "Other"));
        assert!(!retained("not: [a template", "Cluster"));
    }
}
