//! ACM certificates requested with DNS validation (`certificate.<key>`), and the wait for
//! their issue (`certificate_validation.<key>`).
//!
//! A certificate carries its ownership tags from RequestCertificate, with an idempotency
//! token for the SDK's own resends; it lives in the stack's region, or in us-east-1 when a
//! distribution uses it (CloudFront's rule), read through a second regional client. Its
//! names cannot change: another set of names is another certificate, made before the old
//! one goes so that listeners and distributions move to it. Once requested it publishes
//! each validation record (`validation_<n>_name`, `validation_<n>_value`, numbered as
//! `known::validation_domains` orders the names), which the stack writes in its zones.
//!
//! The validation is a resource of its own so that what uses the certificate waits only
//! for it: it exists once ACM says ISSUED. Its create polls, with growing intervals, until
//! then; where the manifest's zones hold none of a name's records, it says which records
//! to write by hand and stops rather than wait forever.

use async_trait::async_trait;
use std::collections::BTreeSet;

use aws_sdk_acm::types::{
    CertificateDetail, CertificateStatus, CertificateType, Filters, KeyAlgorithm, Tag,
    ValidationMethod,
};
use futures::future::try_join_all;
use futures::stream::{StreamExt as _, TryStreamExt as _};
use sha2::{Digest as _, Sha256};

use super::lower::{CertificateProps, ValidationProps};
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::aws::ids::{CERTIFICATE, CERTIFICATE_VALIDATION as VALIDATION, validation_id};
use crate::aws::{Cx, OpCx, tags};
use crate::engine::diff::{Change, Replacement};
use crate::engine::kind::Found;
use crate::engine::model::{Desired, Observed, ResourceId, Value};
use crate::engine::typed::Properties as _;

/// Where CloudFront takes certificates from.
const GLOBAL: &str = "us-east-1";

/// The ACM client of a region: the stack's, or us-east-1.
fn client<'a>(cx: &'a Cx, region: &str) -> &'a aws_sdk_acm::Client {
    if region == cx.region {
        &cx.clients.acm
    } else {
        &cx.clients.acm_global
    }
}

fn plain(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The stack's certificates in the stack's region and in us-east-1, with their details.
/// A certificate of the stack: its logical id, what ACM says of it, its tags.
pub type Owned = (ResourceId, CertificateDetail, Vec<(String, String)>);

/// What the certificate and validation adapters share, read once per command.
#[derive(Default)]
struct Reads {
    /// The stack's certificates with their details, both regions.
    certificates: tokio::sync::OnceCell<Vec<Owned>>,
}

/// The stack's certificates, read once per command for both kinds.
async fn certificates(cx: &Cx) -> Result<Vec<Owned>, AwsError> {
    cx.reads
        .kinds
        .get::<Reads>()
        .certificates
        .get_or_try_init(|| read_certificates(cx))
        .await
        .cloned()
}

/// The stack's certificates as the tagging API lists them (in the stack's region and in
/// us-east-1), each described; when that is not every one the command expects (one
/// requested a moment ago, which the API does not list yet), every certificate of both
/// regions, each described with its tags (`tags::covers`).
async fn read_certificates(cx: &Cx) -> Result<Vec<Owned>, AwsError> {
    let listed = listed_certificates(cx).await?;
    // A command that expects nothing (`edgectl output`) reads what the API lists.
    if cx.reads.expected.get().is_none()
        || tags::covers(cx, CERTIFICATE, listed.iter().map(|(id, _, _)| id))
    {
        return Ok(listed);
    }
    let mut regions = vec![cx.region.as_str()];
    if cx.region != GLOBAL {
        regions.push(GLOBAL);
    }
    let mut owned = Vec::new();
    for region in regions {
        let acm = client(cx, region);
        let read: Vec<Option<Owned>> = futures::stream::iter(every(acm).await?)
            .map(|arn| async move {
                let Some((detail, pairs)) = described(acm, &arn).await? else {
                    return Ok::<_, AwsError>(None);
                };
                let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                let id = tags::owned_id(&cx.stack, borrowed).filter(|id| id.kind() == CERTIFICATE);
                Ok(id.map(|id| (id, detail, pairs)))
            })
            .buffer_unordered(16)
            .try_collect()
            .await?;
        owned.extend(read.into_iter().flatten());
    }
    Ok(owned)
}

/// Every certificate ACM lists in a region, of any status and key type.
async fn every(acm: &aws_sdk_acm::Client) -> Result<Vec<String>, AwsError> {
    let pages = list(acm, &[]).await?;
    Ok(pages
        .iter()
        .flat_map(|page| page.certificate_summary_list())
        .filter_map(|summary| summary.certificate_arn())
        .map(str::to_string)
        .collect())
}

/// ACM's listing in a region of the certificates of these statuses (every status when
/// none), of every key type edgectl requests or adopts.
async fn list(
    acm: &aws_sdk_acm::Client,
    statuses: &[CertificateStatus],
) -> Result<Vec<aws_sdk_acm::operation::list_certificates::ListCertificatesOutput>, AwsError> {
    acm.list_certificates()
        .set_certificate_statuses((!statuses.is_empty()).then(|| statuses.to_vec()))
        // Without it, ACM lists RSA 2048 certificates only.
        .includes(
            Filters::builder()
                .key_types(KeyAlgorithm::Rsa2048)
                .key_types(KeyAlgorithm::EcPrime256v1)
                .key_types(KeyAlgorithm::EcSecp384r1)
                .build(),
        )
        .into_paginator()
        .send()
        .try_collect()
        .await
        .aws("ListCertificates")
}

/// The stack's certificates the tagging API lists, each described.
async fn listed_certificates(cx: &Cx) -> Result<Vec<Owned>, AwsError> {
    let mut found = tags::tagged(cx, CERTIFICATE).await?;
    if cx.region != GLOBAL {
        found.extend(tags::tagged_global(cx, CERTIFICATE).await?);
    }
    let reads = found.into_iter().map(|(id, arn, pairs)| async move {
        match client(cx, crate::aws::naming::arn_region(&arn)?)
            .describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .aws("DescribeCertificate")
        {
            Ok(described) => Ok(described
                .certificate()
                .cloned()
                .map(|detail| (id, detail, pairs))),
            // Listed by the tagging API a moment after its deletion: gone.
            Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    });
    Ok(try_join_all(reads).await?.into_iter().flatten().collect())
}

/// The validation records ACM asks for, by the number of their name.
fn validation_records(detail: &CertificateDetail) -> Vec<(String, String, String)> {
    let names = crate::base::known::validation_domains(
        std::iter::once(detail.domain_name().unwrap_or_default()).chain(
            detail
                .subject_alternative_names()
                .iter()
                .map(String::as_str),
        ),
    );
    let mut out = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let record = detail
            .domain_validation_options()
            .iter()
            .filter(|option| option.domain_name().trim_start_matches("*.") == name)
            .find_map(|option| option.resource_record());
        if let Some(record) = record {
            out.push((
                index.to_string(),
                plain(record.name()),
                plain(record.value()),
            ));
        }
    }
    out
}

fn publish_records(detail: &CertificateDetail, publish: &mut dyn FnMut(String, String)) {
    for (index, name, value) in validation_records(detail) {
        publish(format!("validation_{index}_name"), name);
        publish(format!("validation_{index}_value"), value);
    }
}

/// The names a certificate covers, as compared.
fn names_of(detail: &CertificateDetail) -> BTreeSet<String> {
    detail
        .domain_name()
        .into_iter()
        .chain(
            detail
                .subject_alternative_names()
                .iter()
                .map(String::as_str),
        )
        .map(plain)
        .collect()
}

/// The names the manifest's certificate covers, as compared.
fn wanted_names(props: &CertificateProps) -> BTreeSet<String> {
    std::iter::once(plain(&props.domain))
        .chain(props.alternative_names.iter().map(|name| plain(name)))
        .collect()
}

/// The certificates of `domain` ACM has issued or waits to validate.
async fn of_domain(acm: &aws_sdk_acm::Client, domain: &str) -> Result<Vec<String>, AwsError> {
    let statuses = [
        CertificateStatus::Issued,
        CertificateStatus::PendingValidation,
    ];
    let pages = list(acm, &statuses).await?;
    Ok(pages
        .iter()
        .flat_map(|page| page.certificate_summary_list())
        .filter(|summary| summary.domain_name().map(plain) == Some(plain(domain)))
        .filter_map(|summary| summary.certificate_arn())
        .map(str::to_string)
        .collect())
}

/// A certificate's details and tags; `None` when it is gone.
async fn described(
    acm: &aws_sdk_acm::Client,
    arn: &str,
) -> Result<Option<(CertificateDetail, Vec<(String, String)>)>, AwsError> {
    let described = crate::aws::errors::present(
        acm.describe_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .aws("DescribeCertificate"),
    )?;
    let Some(detail) = described.and_then(|described| described.certificate().cloned()) else {
        return Ok(None);
    };
    let pairs: Vec<(String, String)> = acm
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .aws("ListTagsForCertificate")?
        .tags()
        .iter()
        .map(|tag| {
            (
                tag.key().to_string(),
                tag.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Ok(Some((detail, pairs)))
}

/// The stack's own certificate of exactly these names under this id, made by a run whose
/// answer was lost or adopted a moment ago: the Resource Groups Tagging API that observe
/// reads is eventually consistent, and ACM's idempotency token is this call's only.
async fn own_again(op: &OpCx<'_>, props: &CertificateProps) -> Result<Option<String>, AwsError> {
    let acm = client(op.cx, &props.region);
    let wanted = wanted_names(props);
    for arn in of_domain(acm, &props.domain).await? {
        let Some((detail, pairs)) = described(acm, &arn).await? else {
            continue;
        };
        let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        if tags::owned_id(&op.cx.stack, borrowed).as_ref() == Some(op.id)
            && names_of(&detail) == wanted
        {
            return Ok(Some(arn));
        }
    }
    Ok(None)
}

/// Requests the certificate, with the ownership tags.
async fn request(op: &OpCx<'_>, props: &CertificateProps) -> Result<String, AwsError> {
    let acm = client(op.cx, &props.region);
    let names: Vec<String> = props.alternative_names.iter().cloned().collect();
    let domain = props.domain.as_str();
    // Up to 32 word characters; per call, so that a certificate deleted and asked for
    // again within the hour ACM remembers tokens for is a new one.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let token =
        hex::encode(Sha256::digest(format!("{}/{}/{nonce}", op.cx.stack, op.id)))[..32].to_string();
    let tags = acm_tags("RequestCertificate", tags::for_create(op, &props.tags))?;
    let requested = acm
        .request_certificate()
        .domain_name(domain)
        .set_subject_alternative_names((!names.is_empty()).then(|| {
            std::iter::once(domain.to_string())
                .chain(names.iter().cloned())
                .collect()
        }))
        .validation_method(ValidationMethod::Dns)
        .idempotency_token(token)
        .set_tags(Some(tags))
        .send()
        .await
        .aws("RequestCertificate")?;
    Ok(requested
        .certificate_arn()
        .ok_or_else(|| AwsError::missing("RequestCertificate", "CertificateArn"))?
        .to_string())
}

/// Tags as ACM takes them, for `operation`.
fn acm_tags(operation: &str, pairs: Vec<(String, String)>) -> Result<Vec<Tag>, AwsError> {
    pairs
        .into_iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|error| AwsError::new(ErrorKind::Other, operation, error.to_string()))
        })
        .collect()
}

/// A certificate as the stack sees it, under `id`.
fn read_certificate(
    id: ResourceId,
    detail: &CertificateDetail,
    pairs: &[(String, String)],
) -> Result<Observed, AwsError> {
    let missing = |field: &str| AwsError::missing("DescribeCertificate", field);
    let arn = detail
        .certificate_arn()
        .ok_or_else(|| missing("CertificateArn"))?
        .to_string();
    let domain = detail
        .domain_name()
        .ok_or_else(|| missing("DomainName"))?
        .to_string();
    let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let props = CertificateProps {
        // ACM lists the domain among its alternative names.
        alternative_names: detail
            .subject_alternative_names()
            .iter()
            .filter(|name| **name != domain)
            .cloned()
            .collect(),
        region: crate::aws::naming::arn_region(&arn)?.to_string(),
        tags: tags::observed_tag_map(borrowed),
        domain,
    };
    let mut resource = Observed::new(id, &arn, props.into_props());
    let status = detail.status();
    if matches!(
        status,
        Some(
            CertificateStatus::Failed
                | CertificateStatus::ValidationTimedOut
                | CertificateStatus::Revoked
                | CertificateStatus::Expired
        )
    ) {
        resource.broken = Some(format!(
            "ACM says {}",
            status.map(|s| s.as_str()).unwrap_or_default()
        ));
    }
    publish_records(detail, &mut |name, value| {
        resource.attributes.insert(name, value);
    });
    Ok(resource)
}

/// The wait for certificate `key`'s issue: there once ACM issued it.
fn read_validation(key: &str, detail: &CertificateDetail) -> Result<Option<Observed>, AwsError> {
    if detail.status() != Some(&CertificateStatus::Issued) {
        return Ok(None);
    }
    let arn = detail
        .certificate_arn()
        .ok_or_else(|| AwsError::missing("DescribeCertificate", "CertificateArn"))?
        .to_string();
    let props = ValidationProps {
        certificate: Value::str(&arn),
        by_hand: Vec::new(),
    };
    Ok(Some(Observed::new(
        validation_id(key),
        &arn,
        props.into_props(),
    )))
}

pub struct CertificateAdapter;

#[async_trait]
impl crate::engine::kind::Kind for CertificateAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[CERTIFICATE]
    }

    fn replacement(&self) -> Replacement {
        Replacement::CreateThenDelete
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        certificates(cx)
            .await?
            .into_iter()
            .map(|(id, detail, pairs)| read_certificate(id, &detail, &pairs))
            .collect()
    }

    /// An ACM-issued certificate of the manifest's names (the domain and exactly its
    /// alternative names: another set would be replaced) in its region, issued or waiting
    /// for validation, or the one pinned by ARN; once issued, its validation comes with it.
    async fn find(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        pin: Option<&str>,
    ) -> Result<Found, AwsError> {
        let props = CertificateProps::from_props(&desired.props)?;
        if let Some(arn) = pin {
            // Not an ARN: nothing to find there.
            let Ok(region) = crate::aws::naming::arn_region(arn) else {
                return Ok(Found::Nothing);
            };
            if region != props.region {
                return Ok(Found::Refused(format!(
                    "certificate `{arn}` is in {region}; `{}` is in {}{}",
                    op.id,
                    props.region,
                    if props.region == GLOBAL {
                        " (CloudFront takes its certificates from us-east-1)"
                    } else {
                        ""
                    }
                )));
            }
        }
        let acm = client(op.cx, &props.region);
        let candidates: Vec<String> = match pin {
            Some(arn) => vec![arn.to_string()],
            None => of_domain(acm, &props.domain).await?,
        };
        let wanted = wanted_names(&props);
        let reads = candidates.iter().map(|arn| described(acm, arn));
        let mut matches = Vec::new();
        for (detail, pairs) in try_join_all(reads).await?.into_iter().flatten() {
            let names = names_of(&detail);
            let usable = detail.r#type() == Some(&CertificateType::AmazonIssued)
                && matches!(
                    detail.status(),
                    Some(CertificateStatus::Issued | CertificateStatus::PendingValidation)
                );
            // Only a certificate of exactly the manifest's names, issued by ACM: one pinned
            // (by the user, or as what a found distribution or listener uses) of other
            // names is not it, and the stack requests its own.
            if names == wanted && usable {
                matches.push((detail, pairs));
            }
        }
        if matches.len() != 1 {
            let matches = matches
                .iter()
                .map(|(detail, pairs)| {
                    Ok::<_, AwsError>((
                        pairs.clone(),
                        read_certificate(op.id.clone(), detail, pairs)?,
                    ))
                })
                .collect::<Result<_, _>>()?;
            return crate::aws::adopt::pick(op, "ACM certificate", matches).await;
        }
        let (detail, pairs) = matches.remove(0);
        let observed = read_certificate(op.id.clone(), &detail, &pairs)?;
        let status = detail.status().map_or("", |status| status.as_str());
        let what = format!(
            "ACM certificate for `{}` ({status}, {})",
            props.domain, observed.physical_id
        );
        let arn = observed.physical_id.clone();
        let borrowed = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let mut found = crate::aws::adopt::found_untagged(
            op.cx,
            op.id,
            what,
            borrowed,
            observed,
            ("AWS::CertificateManager::Certificate", &[&arn]),
        )
        .await?;
        if let Found::Live { also, .. } = &mut found
            && let Some(validation) = read_validation(op.id.name(), &detail)?
        {
            also.push(validation);
        }
        Ok(found)
    }

    async fn adopt(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        found: &Observed,
    ) -> Result<(), AwsError> {
        let arn = &found.physical_id;
        let tags = acm_tags("AddTagsToCertificate", tags::adopt_tags(op, desired))?;
        client(op.cx, crate::aws::naming::arn_region(arn)?)
            .add_tags_to_certificate()
            .certificate_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .aws("AddTagsToCertificate")
            .map(drop)
    }

    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = CertificateProps::from_props(&desired.props)?;
        let acm = client(op.cx, &props.region);
        let names: Vec<String> = props.alternative_names.iter().cloned().collect();
        let domain = props.domain.as_str();
        let arn = match own_again(op, &props).await? {
            Some(arn) => arn,
            None => request(op, &props).await?,
        };
        op.made(&arn);
        // ACM fills in the validation records a few seconds after the request.
        let expected = crate::base::known::validation_domains(
            std::iter::once(domain).chain(names.iter().map(String::as_str)),
        )
        .len();
        let mut backoff = crate::engine::retry::Backoff::new(op.cx.timeout);
        loop {
            let described = acm
                .describe_certificate()
                .certificate_arn(&arn)
                .send()
                .await
                .aws("DescribeCertificate")?;
            if let Some(detail) = described.certificate()
                && validation_records(detail).len() == expected
            {
                publish_records(detail, &mut |name, value| op.publish(&name, &value));
                return Ok(arn);
            }
            op.status("waiting for ACM's validation records");
            if !backoff.wait().await {
                return Err(AwsError::new(
                    ErrorKind::Timeout,
                    "DescribeCertificate",
                    format!(
                        "ACM gave no validation records for {arn} within {:?}",
                        op.cx.timeout
                    ),
                ));
            }
        }
    }

    async fn update(
        &self,
        op: &OpCx<'_>,
        desired: &Desired,
        observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        let arn = &observed.physical_id;
        let acm = client(op.cx, crate::aws::naming::arn_region(arn)?);
        let props = CertificateProps::from_props(&desired.props)?;
        let live = CertificateProps::from_props(&observed.props)?;
        let (set, remove) = tags::tag_delta(&live.tags, &props.tags);
        if !set.is_empty() {
            let tags: Vec<Tag> = set
                .into_iter()
                .filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok())
                .collect();
            acm.add_tags_to_certificate()
                .certificate_arn(arn)
                .set_tags(Some(tags))
                .send()
                .await
                .aws("AddTagsToCertificate")?;
        }
        if !remove.is_empty() {
            let tags: Vec<Tag> = remove
                .into_iter()
                .filter_map(|key| Tag::builder().key(key).build().ok())
                .collect();
            acm.remove_tags_from_certificate()
                .certificate_arn(arn)
                .set_tags(Some(tags))
                .send()
                .await
                .aws("RemoveTagsFromCertificate")?;
        }
        Ok(())
    }

    async fn delete(&self, op: &OpCx<'_>, observed: &Observed) -> Result<(), AwsError> {
        let arn = &observed.physical_id;
        match client(op.cx, crate::aws::naming::arn_region(arn)?)
            .delete_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .aws("DeleteCertificate")
        {
            Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
            other => other.map(drop),
        }
    }
}

pub struct ValidationAdapter;

#[async_trait]
impl crate::engine::kind::Kind for ValidationAdapter {
    type Cx = Cx;

    fn kinds(&self) -> &'static [&'static str] {
        &[VALIDATION]
    }

    /// The names to validate by hand are the manifest's to say.
    fn normalize(&self, desired: &mut Desired, observed: &mut Observed) {
        if let (Ok(want), Ok(mut live)) = (
            ValidationProps::from_props(&desired.props),
            ValidationProps::from_props(&observed.props),
        ) {
            live.by_hand = want.by_hand;
            observed.props = live.into_props();
        }
    }

    async fn observe(&self, cx: &Cx) -> Result<Vec<Observed>, AwsError> {
        certificates(cx)
            .await?
            .into_iter()
            .map(|(id, detail, _)| read_validation(id.name(), &detail))
            .filter_map(Result::transpose)
            .collect()
    }

    /// Waits until ACM issues the certificate.
    async fn create(&self, op: &OpCx<'_>, desired: &Desired) -> Result<String, AwsError> {
        let props = ValidationProps::from_props(&desired.props)?;
        let arn = props
            .certificate
            .as_str()
            .ok_or_else(|| {
                AwsError::new(ErrorKind::Other, "DescribeCertificate", "no certificate")
            })?
            .to_string();
        let acm = client(op.cx, crate::aws::naming::arn_region(&arn)?);
        let by_hand = &props.by_hand;
        let mut backoff = crate::engine::retry::Backoff::new(op.cx.timeout);
        loop {
            let described = acm
                .describe_certificate()
                .certificate_arn(&arn)
                .send()
                .await
                .aws("DescribeCertificate")?;
            let detail = described
                .certificate()
                .ok_or_else(|| AwsError::missing("DescribeCertificate", "Certificate"))?;
            match detail.status() {
                Some(CertificateStatus::Issued) => return Ok(arn),
                Some(CertificateStatus::PendingValidation) => {}
                other => {
                    return Err(AwsError::new(
                        ErrorKind::Other,
                        "DescribeCertificate",
                        format!(
                            "ACM will not issue {arn}: {} ({})",
                            other.map(|s| s.as_str()).unwrap_or("no status"),
                            detail
                                .failure_reason()
                                .map(|r| r.as_str())
                                .unwrap_or("no reason given")
                        ),
                    ));
                }
            }
            if !by_hand.is_empty() {
                let records: Vec<String> = validation_records(detail)
                    .into_iter()
                    .map(|(_, name, value)| format!("{name} CNAME {value}"))
                    .collect();
                return Err(AwsError::new(
                    ErrorKind::Blocked,
                    "DescribeCertificate",
                    format!(
                        "certificate {arn} waits for DNS validation of {}, in no zone of this stack: write these records where those names are served, then apply again: {}",
                        by_hand.join(", "),
                        records.join("; ")
                    ),
                ));
            }
            op.status("waiting for ACM to issue it (DNS validation)");
            if !backoff.wait().await {
                return Err(AwsError::new(
                    ErrorKind::Timeout,
                    "DescribeCertificate",
                    format!(
                        "ACM has not issued {arn} after {:?} (DNS validation usually takes minutes; apply again to keep waiting)",
                        op.cx.timeout
                    ),
                ));
            }
        }
    }

    async fn update(
        &self,
        _op: &OpCx<'_>,
        _desired: &Desired,
        _observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), AwsError> {
        Ok(())
    }

    /// Nothing to delete: the certificate goes with its own resource.
    async fn delete(&self, _op: &OpCx<'_>, _observed: &Observed) -> Result<(), AwsError> {
        Ok(())
    }
}

use crate::aws::permissions::{On, Permission};

/// The IAM permissions this kind's calls need (`edgectl policy`); the suite's
/// `policy` test runs each shipped manifest with no more than these.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        actions: &[
            "acm:ListCertificates",
            "acm:DescribeCertificate",
            "acm:RequestCertificate",
            "acm:AddTagsToCertificate",
            "acm:RemoveTagsFromCertificate",
            "acm:ListTagsForCertificate",
        ],
        on: On::Any,
    },
    Permission {
        actions: &["acm:DeleteCertificate"],
        on: On::Owned,
    },
];
