//! `edgectl validate`: the manifest and its graph, without AWS, for what it says rather
//! than for one run: a variable given no value is checked for where it stands, not for its
//! value (`Overrides::types_only`), and a manifest that declares environments is checked
//! in every one of them unless `--env` names one.

use std::process::ExitCode;

use crate::cli::ManifestArgs;
use crate::lower::Env;
use crate::manifest::{self, vars::Overrides};

pub fn run(args: &ManifestArgs) -> anyhow::Result<ExitCode> {
    let path = args.file.to_string_lossy();
    let (label, bytes) = manifest::read(&path)?;
    let environments: Vec<Option<String>> = match &args.environment {
        Some(chosen) => vec![Some(chosen.clone())],
        None => {
            let declared = manifest::environments(&bytes);
            if declared.is_empty() {
                vec![None]
            } else {
                declared.into_iter().map(Some).collect()
            }
        }
    };
    let sections = crate::kinds::sections();
    let mut stacks = Vec::new();
    let mut failed = Vec::new();
    // Each once, with the environments that have it.
    let mut warnings: Vec<(manifest::diag::Warning, Vec<Option<String>>)> = Vec::new();
    // Variables files are read once, whatever the environments.
    let given = super::overrides(args, None)?;
    for environment in &environments {
        let overrides = Overrides {
            types_only: true,
            environment: environment.clone(),
            ..given.clone()
        };
        let checked = manifest::parse_bytes(label, &bytes, &overrides, &sections)
            .map_err(anyhow::Error::from)
            .and_then(|manifest| {
                crate::pipeline::desired(&manifest, &Env::placeholder(&manifest))?;
                Ok(manifest)
            });
        match checked {
            Ok(manifest) => {
                for warning in manifest.warnings {
                    let seen = warnings.iter_mut().find(|(seen, _)| {
                        (seen.pos, &seen.message) == (warning.pos, &warning.message)
                    });
                    match seen {
                        Some((_, having)) if !having.contains(environment) => {
                            having.push(environment.clone());
                        }
                        Some(_) => {}
                        None => warnings.push((warning, vec![environment.clone()])),
                    }
                }
                stacks.push(manifest.stack);
            }
            Err(error) => {
                if let Some(name) = environment {
                    crate::sayln!("in environment `{name}`:");
                }
                if let Some(report) = error
                    .downcast_ref::<manifest::ManifestError>()
                    .and_then(manifest::ManifestError::report)
                {
                    crate::say!("{report}");
                }
                crate::sayln!("error: {error}");
                super::annotate_manifest(&error, label, environment.as_deref());
                failed.push(environment.clone());
            }
        }
    }
    // What every environment has first, then what only some have, under their names.
    warnings.sort_by_key(|(_, having)| (having.len() != environments.len(), having.clone()));
    let mut heading = None;
    for (warning, having) in &warnings {
        let only = (having.len() != environments.len()).then(|| {
            let names: Vec<String> = having
                .iter()
                .flatten()
                .map(|name| format!("`{name}`"))
                .collect();
            match names.as_slice() {
                [name] => format!("environment {name}"),
                _ => format!("environments {}", names.join(", ")),
            }
        });
        if let Some(only) = &only
            && heading.as_ref() != Some(only)
        {
            crate::sayln!("in {only}:");
            heading = Some(only.clone());
        }
        super::warn_in(label, std::slice::from_ref(warning), only.as_deref());
    }
    if !failed.is_empty() {
        return Ok(ExitCode::from(1));
    }
    if args.strict {
        let warnings: Vec<_> = warnings.into_iter().map(|(warning, _)| warning).collect();
        super::strict(&warnings)?;
    }
    let checked: Vec<String> = environments
        .iter()
        .zip(&stacks)
        .map(|(environment, stack)| match environment {
            Some(name) => format!("`{name}` (stack `{stack}`)"),
            None => format!("stack `{stack}`"),
        })
        .collect();
    let place = match environments.as_slice() {
        [None] => format!(": {}", checked.join("")),
        [_] => format!(" in environment {}", checked.join("")),
        _ => format!(" in environments {}", checked.join(", ")),
    };
    crate::sayln!("manifest `{label}` is valid{place}");
    Ok(ExitCode::SUCCESS)
}
