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
                super::warn(label, &manifest.warnings);
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
    if !failed.is_empty() {
        return Ok(ExitCode::from(1));
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
