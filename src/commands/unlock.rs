//! `edgectl unlock`: removes a stack's lock that a dead run left (see `aws::lock`). It
//! names the holder and asks first: breaking the lock of a run that is alive lets two
//! runs change the stack at once.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use crate::aws::lock;
use crate::cli::{GlobalArgs, UnlockArgs};
use crate::commands::apply::ApplyError;
use crate::pipeline;

pub async fn run(global: &GlobalArgs, args: &UnlockArgs) -> anyhow::Result<ExitCode> {
    let (manifest, _) = super::load_without_content(&args.manifest)?;
    if !args.auto_approve && !std::io::stdin().is_terminal() {
        return Err(ApplyError::NoTerminal("unlock").into());
    }
    let session = pipeline::connect(
        &super::connection(global),
        (&manifest).into(),
        Duration::from_secs(60),
        false,
        false,
    )
    .await?;
    let Some(holder) = lock::read(&session.cx).await? else {
        crate::sayln!("stack `{}` is not locked: nothing to do", manifest.stack);
        return Ok(ExitCode::SUCCESS);
    };
    crate::sayln!(
        "stack `{}` is locked by {}",
        manifest.stack,
        holder.describe()
    );
    if !args.auto_approve {
        crate::say!(
            "Remove the lock? Only if that run is dead: two runs at once can damage the stack. Only `yes` is accepted: "
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            return Err(ApplyError::Declined("unlock").into());
        }
    }
    lock::remove(&session.cx).await?;
    crate::sayln!("removed the lock of stack `{}`", manifest.stack);
    Ok(ExitCode::SUCCESS)
}
