//! A service's rollouts: waiting for one to become stable, telling why one failed or has
//! not finished (the latest service events, the deployment's stopped tasks, the last lines
//! their containers logged), what a plan notes of a live service whose last rollout failed
//! or is still in progress, and the forced new deployment `--redeploy` asks for.

use aws_sdk_ecs::types::{DesiredStatus, LogDriver, Service, Task};

use crate::aws::OpCx;
use crate::aws::errors::{AwsError, AwsResultExt, ErrorKind};
use crate::engine::diff::Change;
use crate::engine::model::Value;
use crate::engine::retry::Backoff;

/// The change `--redeploy SERVICE` adds to a service's step: a new deployment of the same
/// task definition (ECS's `forceNewDeployment`), which pulls a mutable tag again.
pub const REDEPLOY: &str = "deployment";

/// The deployment a create or update started: its task definition, and its id as the
/// CreateService / UpdateService answer named it (its PRIMARY deployment), when it did.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub task_definition: &'a str,
    pub deployment: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// The deployment `answer` (the service as CreateService or UpdateService returned
    /// it) made PRIMARY.
    pub fn started(task_definition: &'a str, answer: Option<&'a Service>) -> Self {
        Self {
            task_definition,
            deployment: answer.and_then(primary).and_then(|d| d.id()),
        }
    }
}

/// How many stopped tasks a failure names, and how many lines of each one's logs.
const STOPPED_TASKS: usize = 3;
/// Pages of ListTasks (100 each) read for them.
const STOPPED_PAGES: usize = 3;
const LOG_LINES: i32 = 5;

pub fn redeploy_change() -> Change {
    Change {
        field: REDEPLOY.to_string(),
        old: Value::Str("running".to_string()),
        new: Value::Str("new, same task definition (--redeploy)".to_string()),
        forces_replacement: false,
    }
}

/// Whether `changes` (an update's) ask for a new deployment by `--redeploy`.
pub fn redeploys(changes: &[Change]) -> bool {
    changes.iter().any(|change| change.field == REDEPLOY)
}

/// Waits until the deployment `target` names is the service's PRIMARY one and its rollout
/// is COMPLETED (AWS's own definition of a stable deployment). A FAILED rollout, or
/// another deployment made PRIMARY in its place (the circuit breaker rolled back, to the
/// same task definition after `--redeploy`), is an error, and so is `--timeout` passing:
/// each says why, from [`why`].
pub async fn wait_stable(
    op: &OpCx<'_>,
    cluster: &str,
    service: &str,
    target: &Target<'_>,
) -> Result<(), AwsError> {
    let ecs = &op.cx.clients.ecs;
    let mut backoff = Backoff::new(op.cx.timeout);
    loop {
        let described = ecs
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .aws("DescribeServices")?;
        let Some(current) = described.services().first() else {
            return Err(AwsError::new(
                ErrorKind::NotFound,
                "DescribeServices",
                format!("service `{service}` is gone"),
            ));
        };
        match judge(current, target) {
            Rollout::Stable => return Ok(()),
            Rollout::InProgress => op.status(&rollout_status(current)),
            Rollout::Failed(reason) => {
                let why = why(op, cluster, current, target).await;
                return Err(AwsError::new(
                    ErrorKind::Other,
                    "deployment",
                    format!("{reason}{why}"),
                ));
            }
        }
        if !backoff.wait().await {
            let why = why(op, cluster, current, target).await;
            return Err(AwsError::new(
                ErrorKind::Timeout,
                "deployment",
                format!(
                    "service `{}` not stable after {} (running {} of {}); raise `--timeout`, or pass `--no-wait`{why}",
                    current.service_name().unwrap_or(service),
                    crate::base::text::duration(op.cx.timeout),
                    current.running_count(),
                    current.desired_count()
                ),
            ));
        }
    }
}

/// Why a rollout failed or has not finished, as lines to follow its one-line reason: the
/// deployment's latest stopped tasks (why each stopped, each container's exit code, and
/// the last lines each container wrote to CloudWatch Logs through `awslogs`), then the
/// service's latest events. Reading them is best effort: what cannot be read is said, and
/// never hides the failure itself.
async fn why(op: &OpCx<'_>, cluster: &str, service: &Service, target: &Target<'_>) -> String {
    let mut out = String::new();
    match stopped_tasks(op, cluster, service, target).await {
        Ok(tasks) if tasks.is_empty() => {
            out.push_str("\n  no stopped task of this deployment found");
        }
        Ok(tasks) => {
            let logs = log_streams(op, target.task_definition).await;
            for task in &tasks {
                out.push_str(&describe_task(task));
                match &logs {
                    Ok(streams) => {
                        for stream in streams {
                            out.push_str(&last_lines(op, stream, task).await);
                        }
                    }
                    Err(error) => out.push_str(&format!(
                        "\n      (its logs could not be found: {})",
                        error.message
                    )),
                }
            }
        }
        Err(error) => out.push_str(&format!(
            "\n  (the stopped tasks could not be read: {})",
            error.message
        )),
    }
    let events: Vec<String> = service
        .events()
        .iter()
        .take(5)
        .filter_map(|event| event.message().map(|message| format!("\n    {message}")))
        .collect();
    out.push_str("\n  latest service events:");
    if events.is_empty() {
        out.push_str(" none");
    }
    out.push_str(&events.concat());
    out
}

/// The latest tasks of the deployment ECS stopped for this service, newest first: those it
/// started (a task's `startedBy` is its deployment's id), or, the deployment unknown,
/// those of its task definition. ECS keeps a stopped task for at least an hour; a service
/// that has been failing for a while has many, so a few pages are read.
async fn stopped_tasks(
    op: &OpCx<'_>,
    cluster: &str,
    service: &Service,
    target: &Target<'_>,
) -> Result<Vec<Task>, AwsError> {
    let ecs = &op.cx.clients.ecs;
    let name = service.service_name().unwrap_or_default();
    let mut tasks: Vec<Task> = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..STOPPED_PAGES {
        let listed = ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(name)
            .desired_status(DesiredStatus::Stopped)
            .set_next_token(token.take())
            .send()
            .await
            .aws("ListTasks")?;
        if !listed.task_arns().is_empty() {
            // A page is at most 100 tasks, as many as DescribeTasks takes.
            let described = ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(listed.task_arns().to_vec()))
                .send()
                .await
                .aws("DescribeTasks")?;
            tasks.extend(
                described
                    .tasks()
                    .iter()
                    .filter(|task| of_target(task, target))
                    .cloned(),
            );
        }
        match listed.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => break,
        }
    }
    tasks.sort_by(|a, b| stopped_when(b).cmp(&stopped_when(a)));
    tasks.truncate(STOPPED_TASKS);
    Ok(tasks)
}

/// Whether `task` belongs to the deployment `target` names.
fn of_target(task: &Task, target: &Target<'_>) -> bool {
    match target.deployment {
        Some(id) => task.started_by() == Some(id),
        None => task.task_definition_arn() == Some(target.task_definition),
    }
}

/// When a task stopped, or began stopping (a task ECS stops has no `stoppedAt` until it
/// has), or was made.
fn stopped_when(task: &Task) -> Option<&aws_sdk_ecs::primitives::DateTime> {
    task.stopped_at()
        .or(task.stopping_at())
        .or(task.created_at())
}

/// A stopped task in a line, and one line per container that exited or has a reason.
fn describe_task(task: &Task) -> String {
    let id = task
        .task_arn()
        .and_then(|arn| arn.rsplit('/').next())
        .unwrap_or("?");
    let mut out = format!(
        "\n  task {id} stopped: {}",
        task.stopped_reason().unwrap_or("no reason given")
    );
    if let Some(code) = task.stop_code() {
        out.push_str(&format!(" ({})", code.as_str()));
    }
    for container in task.containers() {
        let name = container.name().unwrap_or("?");
        match (container.exit_code(), container.reason()) {
            (Some(code), Some(reason)) => out.push_str(&format!(
                "\n    container `{name}` exited with code {code}: {reason}"
            )),
            (Some(code), None) => {
                out.push_str(&format!("\n    container `{name}` exited with code {code}"))
            }
            (None, Some(reason)) => out.push_str(&format!("\n    container `{name}`: {reason}")),
            (None, None) => {}
        }
    }
    out
}

/// Where a container of the task definition writes its logs: `awslogs` writes each task's
/// container to `<prefix>/<container>/<task id>` in its group.
#[derive(Debug, PartialEq, Eq)]
struct LogStream {
    container: String,
    group: String,
    prefix: String,
}

async fn log_streams(op: &OpCx<'_>, task_definition: &str) -> Result<Vec<LogStream>, AwsError> {
    let described = op
        .cx
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .aws("DescribeTaskDefinition")?;
    Ok(described
        .task_definition()
        .map(|definition| streams_of(definition.container_definitions()))
        .unwrap_or_default())
}

fn streams_of(containers: &[aws_sdk_ecs::types::ContainerDefinition]) -> Vec<LogStream> {
    containers
        .iter()
        .filter_map(|container| {
            let config = container.log_configuration()?;
            if config.log_driver() != &LogDriver::Awslogs {
                return None;
            }
            let options = config.options()?;
            Some(LogStream {
                container: container.name()?.to_string(),
                group: options.get("awslogs-group")?.clone(),
                // Without a prefix, awslogs names streams by the container's id, which no
                // API gives before the task runs: nothing to read.
                prefix: options.get("awslogs-stream-prefix")?.clone(),
            })
        })
        .collect()
}

/// The last lines `stream`'s container wrote in `task`.
async fn last_lines(op: &OpCx<'_>, stream: &LogStream, task: &Task) -> String {
    let Some(id) = task.task_arn().and_then(|arn| arn.rsplit('/').next()) else {
        return String::new();
    };
    let name = format!("{}/{}/{id}", stream.prefix, stream.container);
    let read = op
        .cx
        .clients
        .logs
        .get_log_events()
        .log_group_name(&stream.group)
        .log_stream_name(&name)
        .limit(LOG_LINES)
        .start_from_head(false)
        .send()
        .await
        .aws("GetLogEvents");
    match read {
        // GetLogEvents may answer an empty page while older events exist.
        Ok(read) if read.events().is_empty() => format!(
            "\n    no log lines read for `{}` ({} {name})",
            stream.container, stream.group
        ),
        Ok(read) => {
            let mut out = format!(
                "\n    last lines of `{}` ({} {name}):",
                stream.container, stream.group
            );
            // Each line behind a bar: what a container wrote is never read as a line of
            // edgectl's (a CI runner's `::command::` included).
            for event in read.events() {
                let line = event.message().unwrap_or_default().trim_end();
                out.push_str(&format!("\n      | {}", clip(line)));
            }
            out
        }
        // A container that never started has no stream.
        Err(error) if error.kind == ErrorKind::NotFound => format!(
            "\n    `{}` logged nothing: no stream {name} in {}",
            stream.container, stream.group
        ),
        Err(error) => format!(
            "\n    (the logs of `{}` could not be read: {})",
            stream.container, error.message
        ),
    }
}

/// A log line, at most 300 characters of it.
fn clip(line: &str) -> String {
    match line.char_indices().nth(300) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line.to_string(),
    }
}

/// What a plan notes of a live service whose last rollout failed or is still in
/// progress: nothing changes in the manifest, yet the service does not run it. `key` is
/// the service's key under `services:`.
pub fn note(service: &Service, key: &str) -> Option<String> {
    let primary = primary(service)?;
    let running = primary.running_count();
    let desired = primary.desired_count();
    match primary.rollout_state()?.as_str() {
        "FAILED" => Some(format!(
            "last rollout failed: {} ({running} of {desired} tasks running); fix its cause and apply, or `apply --redeploy {key}` to start it again",
            primary.rollout_state_reason().unwrap_or("no reason given"),
        )),
        "IN_PROGRESS" => Some(format!(
            "rollout in progress: {running} of {desired} tasks of the new deployment running"
        )),
        _ => None,
    }
}

fn primary(service: &Service) -> Option<&aws_sdk_ecs::types::Deployment> {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
}

/// A rollout in flight, for the progress display: tasks of the new deployment running,
/// and its state.
fn rollout_status(service: &aws_sdk_ecs::types::Service) -> String {
    let primary = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    let running = primary.map_or(service.running_count(), |d| d.running_count());
    let state = primary
        .and_then(|d| d.rollout_state())
        .map_or("waiting for tasks", |state| state.as_str());
    format!(
        "{running} of {} tasks running, {}",
        service.desired_count(),
        state.to_ascii_lowercase().replace('_', " ")
    )
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rollout {
    Stable,
    InProgress,
    Failed(String),
}

/// Reads a service's deployments the way AWS documents stability, for the deployment
/// `target` names.
pub fn judge(service: &Service, target: &Target<'_>) -> Rollout {
    let Some(primary) = primary(service) else {
        return Rollout::InProgress;
    };
    match target.deployment {
        // Another deployment in ours' place: the circuit breaker rolled ours back (to the
        // same task definition, after a forced deployment), or another run deployed.
        Some(ours) if primary.id() != Some(ours) => {
            let reason = service
                .deployments()
                .iter()
                .find(|d| d.id() == Some(ours))
                .and_then(|d| d.rollout_state_reason())
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default();
            return Rollout::Failed(format!(
                "deployment {ours} of `{}` was rolled back{reason}: the service runs deployment {} of `{}`",
                target.task_definition,
                primary.id().unwrap_or("?"),
                primary.task_definition().unwrap_or("?")
            ));
        }
        Some(_) => {}
        None if primary.task_definition() != Some(target.task_definition) => {
            return Rollout::Failed(format!(
                "the deployment of `{}` was rolled back to `{}`",
                target.task_definition,
                primary.task_definition().unwrap_or("?")
            ));
        }
        None => {}
    }
    match primary.rollout_state().map(|state| state.as_str()) {
        Some("COMPLETED") => Rollout::Stable,
        Some("FAILED") => Rollout::Failed(format!(
            "the deployment failed: {}",
            primary.rollout_state_reason().unwrap_or("no reason given")
        )),
        Some(_) => Rollout::InProgress,
        // Services without rollout states: stable when one deployment runs them all.
        None if service.deployments().len() == 1
            && service.running_count() == service.desired_count() =>
        {
            Rollout::Stable
        }
        None => Rollout::InProgress,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState};

    fn service(deployments: Vec<Deployment>) -> aws_sdk_ecs::types::Service {
        aws_sdk_ecs::types::Service::builder()
            .set_deployments(Some(deployments))
            .desired_count(2)
            .running_count(2)
            .build()
    }

    fn deployment(status: &str, task: &str, state: DeploymentRolloutState) -> Deployment {
        Deployment::builder()
            .status(status)
            .task_definition(task)
            .rollout_state(state)
            .rollout_state_reason("tasks failed to start")
            .build()
    }

    // moto completes rollouts at once: a rollout in flight is the state AWS returns.
    #[test]
    fn a_rollout_in_flight_says_how_many_new_tasks_run() {
        let primary = Deployment::builder()
            .status("PRIMARY")
            .task_definition("arn:td/web:2")
            .rollout_state(DeploymentRolloutState::InProgress)
            .running_count(1)
            .build();
        let old = deployment("ACTIVE", "arn:td/web:1", DeploymentRolloutState::Completed);
        assert_eq!(
            rollout_status(&service(vec![primary, old])),
            "1 of 2 tasks running, in progress"
        );
        assert_eq!(
            rollout_status(&service(Vec::new())),
            "2 of 2 tasks running, waiting for tasks"
        );
    }

    // AWS's answers for a task whose container could not start (no exit code, a reason)
    // and one whose container exited.
    #[test]
    fn a_stopped_task_says_why_and_each_container_s_exit() {
        use aws_sdk_ecs::types::{Container, TaskStopCode};
        let task = Task::builder()
            .task_arn("arn:aws:ecs:us-east-1:1:task/main/abc123")
            .stopped_reason("Task failed to start")
            .stop_code(TaskStopCode::TaskFailedToStart)
            .containers(
                Container::builder()
                    .name("web")
                    .reason(
                        "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
                    )
                    .build(),
            )
            .containers(Container::builder().name("sidecar").exit_code(137).build())
            .containers(Container::builder().name("quiet").build())
            .build();
        assert_eq!(
            describe_task(&task),
            "\n  task abc123 stopped: Task failed to start (TaskFailedToStart)\
             \n    container `web`: CannotPullContainerError: pull image manifest has been retried 5 time(s)\
             \n    container `sidecar` exited with code 137"
        );
    }

    #[test]
    fn log_streams_are_read_only_where_awslogs_names_them() {
        use aws_sdk_ecs::types::{ContainerDefinition, LogConfiguration};
        let awslogs = |prefix: Option<&str>| {
            let mut config = LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/ecs/web");
            if let Some(prefix) = prefix {
                config = config.options("awslogs-stream-prefix", prefix);
            }
            config.build().unwrap()
        };
        let containers = [
            ContainerDefinition::builder()
                .name("web")
                .log_configuration(awslogs(Some("ecs")))
                .build(),
            ContainerDefinition::builder()
                .name("no-prefix")
                .log_configuration(awslogs(None))
                .build(),
            ContainerDefinition::builder()
                .name("firelens")
                .log_configuration(
                    LogConfiguration::builder()
                        .log_driver(LogDriver::Awsfirelens)
                        .build()
                        .unwrap(),
                )
                .build(),
            ContainerDefinition::builder().name("none").build(),
        ];
        assert_eq!(
            streams_of(&containers),
            vec![LogStream {
                container: "web".into(),
                group: "/ecs/web".into(),
                prefix: "ecs".into(),
            }]
        );
    }

    #[test]
    fn a_plan_notes_a_failed_or_unfinished_rollout_only() {
        let running = |state, count| {
            let mut service = service(vec![
                Deployment::builder()
                    .status("PRIMARY")
                    .task_definition("arn:td/web:2")
                    .rollout_state(state)
                    .rollout_state_reason("ECS deployment circuit breaker: tasks failed to start.")
                    .desired_count(2)
                    .running_count(count)
                    .build(),
            ]);
            service.service_name = Some("demo-web".into());
            service
        };
        assert_eq!(
            note(&running(DeploymentRolloutState::Failed, 0), "web").as_deref(),
            Some(
                "last rollout failed: ECS deployment circuit breaker: tasks failed to start. (0 of 2 tasks running); fix its cause and apply, or `apply --redeploy web` to start it again"
            )
        );
        assert_eq!(
            note(&running(DeploymentRolloutState::InProgress, 1), "web").as_deref(),
            Some("rollout in progress: 1 of 2 tasks of the new deployment running")
        );
        assert_eq!(
            note(&running(DeploymentRolloutState::Completed, 2), "web"),
            None
        );
        assert_eq!(note(&service(Vec::new()), "web"), None);
    }

    #[test]
    fn long_log_lines_are_clipped() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(301);
        assert_eq!(clip(&long), format!("{}…", "é".repeat(300)));
    }

    // moto never runs tasks or fails a rollout: these are the states AWS returns.
    #[test]
    fn rollouts_are_judged_by_the_primary_deployment() {
        let new = "arn:td/web:2";
        let old = "arn:td/web:1";
        let by_definition = Target {
            task_definition: new,
            deployment: None,
        };
        assert_eq!(
            judge(
                &service(vec![deployment(
                    "PRIMARY",
                    new,
                    DeploymentRolloutState::Completed
                )]),
                &by_definition
            ),
            Rollout::Stable
        );
        assert_eq!(
            judge(
                &service(vec![
                    deployment("PRIMARY", new, DeploymentRolloutState::InProgress),
                    deployment("ACTIVE", old, DeploymentRolloutState::Completed)
                ]),
                &by_definition
            ),
            Rollout::InProgress
        );
        assert!(matches!(
            judge(&service(vec![deployment("PRIMARY", new, DeploymentRolloutState::Failed)]), &by_definition),
            Rollout::Failed(reason) if reason.contains("tasks failed to start")
        ));
        // The circuit breaker rolled back: the PRIMARY deployment runs the old revision.
        assert!(matches!(
            judge(&service(vec![deployment("PRIMARY", old, DeploymentRolloutState::InProgress)]), &by_definition),
            Rollout::Failed(reason) if reason.contains("rolled back")
        ));
    }

    // A forced deployment (`--redeploy`) rolled back runs the same task definition again:
    // only the deployment's id tells it from ours.
    #[test]
    fn a_deployment_known_by_id_is_rolled_back_even_to_the_same_task_definition() {
        let definition = "arn:td/web:2";
        let ours = Target {
            task_definition: definition,
            deployment: Some("ecs-svc/2"),
        };
        let with_id = |id: &str, status: &str, state| {
            Deployment::builder()
                .id(id)
                .status(status)
                .task_definition(definition)
                .rollout_state(state)
                .rollout_state_reason("ECS deployment circuit breaker: tasks failed to start.")
                .build()
        };
        let rolled_back = service(vec![
            with_id("ecs-svc/3", "PRIMARY", DeploymentRolloutState::Completed),
            with_id("ecs-svc/2", "ACTIVE", DeploymentRolloutState::Failed),
        ]);
        assert!(matches!(
            judge(&rolled_back, &ours),
            Rollout::Failed(reason) if reason.starts_with("deployment ecs-svc/2 of `arn:td/web:2` was rolled back (ECS deployment circuit breaker: tasks failed to start.): the service runs deployment ecs-svc/3")
        ));
        let running = service(vec![with_id(
            "ecs-svc/2",
            "PRIMARY",
            DeploymentRolloutState::InProgress,
        )]);
        assert_eq!(judge(&running, &ours), Rollout::InProgress);
        let done = service(vec![with_id(
            "ecs-svc/2",
            "PRIMARY",
            DeploymentRolloutState::Completed,
        )]);
        assert_eq!(judge(&done, &ours), Rollout::Stable);
    }

    #[test]
    fn stopped_tasks_are_the_deployment_s() {
        let task = |started_by: &str, definition: &str| {
            Task::builder()
                .started_by(started_by)
                .task_definition_arn(definition)
                .build()
        };
        let by_id = Target {
            task_definition: "arn:td/web:2",
            deployment: Some("ecs-svc/2"),
        };
        assert!(of_target(&task("ecs-svc/2", "arn:td/web:2"), &by_id));
        // The same revision, an earlier deployment of it.
        assert!(!of_target(&task("ecs-svc/1", "arn:td/web:2"), &by_id));
        let by_definition = Target {
            deployment: None,
            ..by_id
        };
        assert!(of_target(
            &task("ecs-svc/1", "arn:td/web:2"),
            &by_definition
        ));
        assert!(!of_target(
            &task("ecs-svc/1", "arn:td/web:1"),
            &by_definition
        ));
    }
}
