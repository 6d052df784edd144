//! The command line. Doc comments here are the help text.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Deploy containerised web apps on AWS from one YAML manifest: edgectl compares the
/// manifest with what is live in AWS and applies the difference, with no state file.
#[derive(Debug, Parser)]
#[command(
    name = "edgectl",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("EDGECTL_COMMIT"), ")"),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// AWS region (overrides the manifest's `region`, then AWS_REGION and the profile's region)
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Named AWS profile from the shared config files (as AWS_PROFILE)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Send every AWS request to this endpoint (as AWS_ENDPOINT_URL), e.g. a local moto server
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Print plain log lines instead of live progress bars, even on a terminal
    #[arg(long, global = true)]
    pub no_progress: bool,

    /// Say more: a sync's file list in plans, and the AWS calls made, by operation, after plan, apply, destroy and sync
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and validate a manifest; never calls AWS
    Validate(ManifestArgs),
    /// Show what `apply` would change; `--out` saves it for `apply PLANFILE`
    Plan(PlanArgs),
    /// Show the plan, ask for confirmation, then make AWS match the manifest; or, given a
    /// saved plan, check that what it touches is unchanged in AWS and execute exactly it
    Apply(ApplyArgs),
    /// Render a plan saved by `plan --out`, for people or (`--json`) for scripts
    Show(ShowArgs),
    /// Delete everything the stack owns, in reverse dependency order
    Destroy(DestroyArgs),
    /// Only the content of the manifest's synced buckets: upload what changed, delete
    /// what went (`delete: true`), invalidate the distributions in front; the buckets
    /// must exist (`apply` creates them). Asks nothing, like `aws s3 sync`
    Sync(SyncArgs),
    /// The manifest's outputs, read live from AWS: every one, or one by name, bare for
    /// scripts (`$(edgectl output -f m.yaml url)`)
    Output(OutputArgs),
    /// What the stack owns now, read live: each resource, its id in AWS and whether it
    /// matches the manifest (in sync, differs, missing, not in the manifest), the notes
    /// a plan would give, and the outputs (the URLs). Changes nothing, takes no lock
    Status(StatusArgs),
    /// Print the IAM policy a CI role needs to plan, apply and destroy exactly this
    /// stack: the actions its kinds call, scoped to its names, its ownership tag and its
    /// regions. Never calls AWS
    Policy(PolicyArgs),
    /// Take over live resources the manifest describes but the stack does not own yet
    /// (made by CloudFormation, CDK, Terraform or by hand): shows each resource of the
    /// manifest and the live one it would take, found by name (or, for what has none, by
    /// where it sits), and the changes the next apply would then make; on confirmation it
    /// tags them as the stack's and changes nothing else
    Adopt(AdoptArgs),
    /// Remove the stack's lock left by a run that died (`apply`, `destroy`, `sync` and
    /// `adopt` hold it while they run); says who held it and asks first
    Unlock(UnlockArgs),
    /// Print a completion script for a shell, e.g. `edgectl completions bash >
    /// ~/.local/share/bash-completion/completions/edgectl`
    Completions(CompletionsArgs),
    /// Print edgectl's man page (roff), e.g. `edgectl man > ~/.local/share/man/man1/edgectl.1`
    Man,
    /// Print the manifest's JSON Schema, for editors: `edgectl schema >
    /// edgectl.schema.json`, then `# yaml-language-server: $schema=edgectl.schema.json`
    /// at the top of a manifest
    Schema,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell the script is for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Clone, Debug, Args)]
pub struct ManifestArgs {
    /// The manifest file, or `-` to read it from stdin
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,

    /// Set a variable declared under `variables:` (repeatable); also EDGECTL_VAR_<K>
    #[arg(long = "var", value_name = "K=V", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Set variables from a YAML file of `name: value` lines (repeatable; a later file
    /// wins, and any `--var` wins over files)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,

    /// The environment, of those the manifest declares under `environments:`
    #[arg(long = "env", value_name = "NAME", env = "EDGECTL_ENV")]
    pub environment: Option<String>,

    /// Fail (exit 1) on the manifest's warnings, before any AWS call, as on its errors
    /// (`destroy`, `unlock`, `output` and `status`, which make nothing, ignore it)
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Exit 0 when there is nothing to change, 2 when there are changes, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Save the plan to this file, for `edgectl apply PLANFILE` (values of sensitive
    /// variables are never written)
    #[arg(long, value_name = "PLANFILE")]
    pub out: Option<PathBuf>,

    /// Print the plan as JSON on stdout (the format of plan files, see the README)
    /// instead of the plan for people; the same as `--format json`
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// How stdout shows the plan: `text` for people, `json` (the format of plan files),
    /// or `markdown` for a pull request's comment (one collapsed block per resource,
    /// sensitive values hidden)
    #[arg(long, value_enum, default_value_t = PlanFormat::Text, value_name = "FORMAT")]
    pub format: PlanFormat,

    /// Plan a new deployment of this service (its key under `services:`) with its
    /// current task definition, as `apply --redeploy` makes (repeatable)
    #[arg(long, value_name = "SERVICE")]
    pub redeploy: Vec<String>,

    /// Also show what `edgectl adopt` would take over: for each resource the plan
    /// creates, the live one of its name not owned by the stack, and the plan once it is
    #[arg(long, conflicts_with_all = ["out", "json", "format", "redeploy"])]
    pub adopt: bool,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Also allow `edgectl adopt`: CloudFormation's reads, and tag writes on any resource
    /// that write this stack's tag. For the adoption's run only: a role that may tag a
    /// resource as the stack's may then change or delete it
    #[arg(long)]
    pub adopt: bool,
}

#[derive(Debug, Args)]
pub struct AdoptArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Adopt only these resources, by their ids as plans show them (`cluster.main`);
    /// `ID=PHYSICAL` names the live resource to take (`vpc.main=vpc-0abc12`), where
    /// several would match or it has another name. Without ids, every one found
    #[arg(value_name = "ID[=PHYSICAL]")]
    pub ids: Vec<String>,

    /// Adopt without asking; required when stdin is not a terminal (CI)
    #[arg(long)]
    pub auto_approve: bool,

    /// When another run holds the stack's lock, wait this long for it (e.g. 5m) instead
    /// of failing at once
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

impl PlanArgs {
    /// `--json` is `--format json`.
    pub fn format(&self) -> PlanFormat {
        if self.json {
            PlanFormat::Json
        } else {
            self.format
        }
    }
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `plan --out`: apply exactly it, refusing if anything it touches
    /// changed in AWS since (no `-f`, no confirmation: the plan was the review)
    #[arg(value_name = "PLANFILE", conflicts_with = "file")]
    pub plan_file: Option<PathBuf>,

    /// The manifest file, or `-` to read it from stdin
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        required_unless_present = "plan_file"
    )]
    pub file: Option<PathBuf>,

    /// Set a variable declared under `variables:` (repeatable); also EDGECTL_VAR_<K>.
    /// With PLANFILE, only sensitive variables, whose values plans never hold
    #[arg(long = "var", value_name = "K=V", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Set variables from a YAML file of `name: value` lines (repeatable; a later file
    /// wins, and any `--var` wins over files)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,

    /// The environment, of those the manifest declares under `environments:` (a saved
    /// plan was made for one already)
    #[arg(long = "env", value_name = "NAME", env = "EDGECTL_ENV")]
    pub environment: Option<String>,

    /// Fail (exit 1) on the manifest's warnings, before any AWS call, as on its errors
    /// (a saved plan was checked when it was made: with PLANFILE it is ignored)
    #[arg(long)]
    pub strict: bool,

    /// Apply without asking; required when stdin is not a terminal (CI). A saved plan is
    /// applied without asking anyway (it was the review)
    #[arg(long)]
    pub auto_approve: bool,

    /// Start a new deployment of this service (its key under `services:`) with its
    /// current task definition, pulling its image tag again: a mutable tag (`latest`,
    /// a branch name) pushed since, or tasks restarted after a failed rollout's cause is
    /// fixed outside the manifest (repeatable)
    #[arg(long, value_name = "SERVICE", conflicts_with = "plan_file")]
    pub redeploy: Vec<String>,

    /// With PLANFILE: refuse a plan older than this (e.g. 2h, 7days)
    #[arg(long, default_value = "24h", value_name = "DURATION", value_parser = parse_duration, requires = "plan_file")]
    pub max_plan_age: Duration,

    /// How many AWS operations may run at once
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,

    /// Longest wait for one resource to become ready or to be released, and for each
    /// service's deployment to become stable (e.g. 90s, 20m)
    #[arg(long, default_value = "20m", value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Do not wait for services to become stable after a deployment starts
    #[arg(long)]
    pub no_wait: bool,

    /// Also wait for CloudFront: distribution changes deployed, invalidations completed
    #[arg(long, conflicts_with = "no_wait")]
    pub wait: bool,

    /// When another run holds the stack's lock, wait this long for it (e.g. 5m) instead
    /// of failing at once
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Destroy without asking; required when stdin is not a terminal (CI)
    #[arg(long)]
    pub auto_approve: bool,

    /// How many AWS operations may run at once
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,

    /// Longest wait for one resource to be released (e.g. 90s, 20m)
    #[arg(long, default_value = "20m", value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Duration,

    /// When another run holds the stack's lock, wait this long for it (e.g. 5m) instead
    /// of failing at once
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Sync only these buckets (their keys under `buckets:`); all with `sync` by default
    #[arg(value_name = "BUCKET")]
    pub buckets: Vec<String>,

    /// Show what would be uploaded and deleted; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// With --dry-run: exit 0 when in sync, 2 when something would change, 1 on error
    #[arg(long, requires = "dry_run")]
    pub detailed_exitcode: bool,

    /// How many AWS operations may run at once (uploads run in parallel within each bucket)
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,

    /// Longest wait for an invalidation with --wait (e.g. 90s, 20m)
    #[arg(long, default_value = "20m", value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Wait for the invalidations to complete
    #[arg(long)]
    pub wait: bool,

    /// When another run holds the stack's lock, wait this long for it (e.g. 5m) instead
    /// of failing at once
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved by `plan --out`
    #[arg(value_name = "PLANFILE")]
    pub plan_file: PathBuf,

    /// Print the plan file's JSON (sensitive values stay hidden)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Print JSON: `{"stack", "region", "resources": [{"id", "live", "state", "fields"}],
    /// "notes", "outputs"}`
    #[arg(long)]
    pub json: bool,

    /// Exit 0 when everything is in sync, 2 when anything is not, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// One output, printed bare (sensitive or not), for `$(edgectl output -f m.yaml url)`
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Print JSON: every output as `{"name": {"value", "sensitive", "description"}}`, or
    /// the one named as a JSON string
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,

    /// Remove the lock without asking; required when stdin is not a terminal
    #[arg(long)]
    pub auto_approve: bool,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not of the form K=V")),
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|error| format!("`{text}` is not a duration such as 90s or 20m: {error}"))
}

/// For a usage error that names a manifest where `-f` was expected (`edgectl plan
/// stack.yaml`), the command with `-f`: a manifest is named by its flag everywhere, and
/// `apply`'s own positional argument is a saved plan (`apply PLANFILE`).
pub fn manifest_hint(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(found)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    let manifest = found.ends_with(".yaml") || found.ends_with(".yml");
    if !manifest || found.starts_with('-') {
        return None;
    }
    let commands: Vec<String> = <Cli as clap::CommandFactory>::command()
        .get_subcommands()
        .map(|command| command.get_name().to_string())
        .collect();
    let command = std::env::args()
        .skip(1)
        .find(|arg| commands.contains(arg))?;
    Some(format!(
        "help: a manifest is given with `-f`: `edgectl {command} -f {found}`"
    ))
}
