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

/// How many stopped tasks a failure names, and how many lines of each one's logs.
const STOPPED_TASKS: usize = 3;
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

/// Waits until the service's PRIMARY deployment runs `task_definition` and its rollout is
/// COMPLETED (AWS's own definition of a stable deployment). A FAILED rollout, or a PRIMARY
/// deployment on another task definition (the circuit breaker rolled back), is an error,
/// and so is `--timeout` passing: each says why, from [`why`].
pub async fn wait_stable(
    op: &OpCx<'_>,
    cluster: &str,
    service: &str,
    task_definition: &str,
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
        match judge(current, task_definition) {
            Rollout::Stable => return Ok(()),
            Rollout::InProgress => op.status(&rollout_status(current)),
            Rollout::Failed(reason) => {
                let why = why(op, cluster, current, task_definition).await;
                return Err(AwsError::new(
                    ErrorKind::Other,
                    "deployment",
                    format!("{reason}{why}"),
                ));
            }
        }
        if !backoff.wait().await {
            let why = why(op, cluster, current, task_definition).await;
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
async fn why(op: &OpCx<'_>, cluster: &str, service: &Service, task_definition: &str) -> String {
    let mut out = String::new();
    match stopped_tasks(op, cluster, service, task_definition).await {
        Ok(tasks) if tasks.is_empty() => {
            out.push_str("\n  no task of this deployment has stopped");
        }
        Ok(tasks) => {
            let logs = log_streams(op, task_definition).await;
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

/// The latest tasks of `task_definition` ECS stopped for this service, newest first. ECS
/// keeps a stopped task for at least an hour.
async fn stopped_tasks(
    op: &OpCx<'_>,
    cluster: &str,
    service: &Service,
    task_definition: &str,
) -> Result<Vec<Task>, AwsError> {
    let ecs = &op.cx.clients.ecs;
    let name = service.service_name().unwrap_or_default();
    let listed = ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(name)
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await
        .aws("ListTasks")?;
    if listed.task_arns().is_empty() {
        return Ok(Vec::new());
    }
    // One page of ListTasks is at most 100 tasks, as many as DescribeTasks takes.
    let described = ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(listed.task_arns().to_vec()))
        .send()
        .await
        .aws("DescribeTasks")?;
    let mut tasks: Vec<Task> = described
        .tasks()
        .iter()
        .filter(|task| task.task_definition_arn() == Some(task_definition))
        .cloned()
        .collect();
    tasks.sort_by(|a, b| b.stopped_at().cmp(&a.stopped_at()));
    tasks.truncate(STOPPED_TASKS);
    Ok(tasks)
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
        Ok(read) if read.events().is_empty() => format!(
            "\n    `{}` logged nothing ({} {name})",
            stream.container, stream.group
        ),
        Ok(read) => {
            let mut out = format!(
                "\n    last lines of `{}` ({} {name}):",
                stream.container, stream.group
            );
            for event in read.events() {
                let line = event.message().unwrap_or_default().trim_end();
                out.push_str(&format!("\n      {}", clip(line)));
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

/// Reads a service's deployments the way AWS documents stability.
pub fn judge(service: &aws_sdk_ecs::types::Service, task_definition: &str) -> Rollout {
    let Some(primary) = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
    else {
        return Rollout::InProgress;
    };
    if primary.task_definition() != Some(task_definition) {
        return Rollout::Failed(format!(
            "the deployment of `{task_definition}` was rolled back to `{}`",
            primary.task_definition().unwrap_or("?")
        ));
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
        assert_eq!(
            judge(
                &service(vec![deployment(
                    "PRIMARY",
                    new,
                    DeploymentRolloutState::Completed
                )]),
                new
            ),
            Rollout::Stable
        );
        assert_eq!(
            judge(
                &service(vec![
                    deployment("PRIMARY", new, DeploymentRolloutState::InProgress),
                    deployment("ACTIVE", old, DeploymentRolloutState::Completed)
                ]),
                new
            ),
            Rollout::InProgress
        );
        assert!(matches!(
            judge(&service(vec![deployment("PRIMARY", new, DeploymentRolloutState::Failed)]), new),
            Rollout::Failed(reason) if reason.contains("tasks failed to start")
        ));
        // The circuit breaker rolled back: the PRIMARY deployment runs the old revision.
        assert!(matches!(
            judge(&service(vec![deployment("PRIMARY", old, DeploymentRolloutState::InProgress)]), new),
            Rollout::Failed(reason) if reason.contains("rolled back")
        ));
    }
}
