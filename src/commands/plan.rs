//! `edgectl plan`: what apply would do, on stdout; `--out` saves it as a plan file and
//! `--json` prints that file's JSON instead of the plan for people.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::{GlobalArgs, PlanArgs, PlanFormat};
use crate::pipeline;
use crate::planfile;
use crate::render;

pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let (manifest, adapters) = super::load(&args.manifest)?;
    pipeline::check_redeploy(&manifest, &args.redeploy)?;
    pipeline::warm(&manifest);
    let session = pipeline::connect(
        &super::connection(global),
        (&manifest).into(),
        Duration::from_secs(60),
        false,
        false,
    )
    .await?;
    let format = args.format();
    let saving = args.out.is_some() || format == PlanFormat::Json;
    // The account a saved plan is for, read while the live state is.
    let (observation, account) =
        futures::join!(super::observe(&session, &adapters, &manifest), async {
            match saving {
                true => crate::aws::account(&session.cx).await.map(Some),
                false => Ok(None),
            }
        });
    let observation = observation?;
    let account = account.context("cannot tell which account the plan is for")?;
    let plan = pipeline::plan(&adapters, Some(&manifest), &observation, &args.redeploy)?;
    if args.adopt {
        let (adoptions, after) = super::adopt::preview(
            global,
            &session,
            &adapters,
            &manifest,
            &observation,
            &Default::default(),
        )
        .await?;
        super::print_calls(global, &session);
        let adoptable = adoptions
            .iter()
            .any(|adoption| matches!(adoption.found, crate::engine::kind::Found::Live { .. }));
        return Ok(
            if args.detailed_exitcode && (adoptable || !after.is_empty()) {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            },
        );
    }
    let place = super::place(&session.cx.region, manifest.environment.as_deref());
    match format {
        PlanFormat::Text => super::print_plan(global, &plan, &manifest.stack, &place),
        PlanFormat::Markdown => crate::data!(
            "{}",
            crate::render::markdown::render(
                &plan,
                &manifest.stack,
                &place,
                crate::render::markdown::COMMENT
            )
        ),
        PlanFormat::Json => {}
    }
    super::summarize_plan(&plan, &manifest.stack, &place);
    // What apply would refuse (a name taken by a resource the stack does not own) fails
    // the plan too, so that a reviewed plan is one that can be applied.
    let refusals = pipeline::preflight(&session.cx, &adapters, &plan).await;
    for refusal in &refusals {
        crate::sayln!("error: {refusal}");
    }
    crate::sayln!(
        "read {} live resources with {} in {}",
        observation.observed.len(),
        session.calls.summary(),
        render::duration(observation.elapsed)
    );
    super::print_calls(global, &session);
    if !refusals.is_empty() {
        anyhow::bail!(
            "apply would refuse this plan ({}); nothing was changed{}",
            crate::manifest::plural(refusals.len(), "error"),
            if args.out.is_some() {
                " and no plan file was written"
            } else {
                ""
            }
        );
    }
    if let Some(account) = account {
        let ops = crate::engine::walk::schedule(&plan)?;
        let origin = planfile::Origin {
            stack: &manifest.stack,
            region: &session.cx.region,
            account: &account,
            manifest_path: &args.manifest.file.to_string_lossy(),
            source: &manifest.source,
            environment: manifest.environment.as_deref(),
            dns_zones: pipeline::Target::from(&manifest).zones,
            buckets: pipeline::Target::from(&manifest).buckets,
            outputs: crate::lower::outputs(&manifest, &observation.env, &crate::kinds::lowerings())
                .into_iter()
                .map(|(output, value)| planfile::SavedOutput {
                    name: output.name,
                    value,
                    sensitive: output.sensitive,
                })
                .collect(),
        };
        let document = planfile::build(
            &plan,
            &origin,
            &observation.observed,
            pipeline::physical_ids(&observation.observed).snapshot(),
            crate::engine::walk::order(&plan, &ops),
        );
        let sensitive: BTreeMap<String, String> = manifest
            .source
            .variables
            .iter()
            .filter(|(_, variable)| variable.sensitive)
            .filter_map(|(name, variable)| Some((name.clone(), variable.value.clone()?)))
            .collect();
        let text = planfile::to_text(&document, &sensitive).context("cannot write the plan")?;
        if let Some(out) = &args.out {
            write_private(out, &text)
                .with_context(|| format!("cannot write the plan to `{}`", out.display()))?;
            crate::sayln!(
                "saved the plan to `{}`: `edgectl apply {}` applies exactly it",
                out.display(),
                out.display()
            );
        }
        if format == PlanFormat::Json {
            crate::data!("{text}");
        }
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes the file readable by its owner only (it names the stack's resources and the
/// values of its non-sensitive variables), whole or not at all: a temporary file beside
/// it, renamed over it.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}
