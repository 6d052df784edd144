//! The walk with a test kind and no AWS: what runs, in which order, and what a failure or
//! a panic does to the rest.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::diff::{Change, Plan, Step, diff};
use super::error::{Error, ErrorKind};
use super::graph::Graph;
use super::kind::{Context, Kind, OpCx, PhysicalIds};
use super::model::{Desired, Mode, Observed, Props, ResourceId, Value, props};
use super::walk::{Hooks, Outcome, Phase, Walk, label, schedule};

/// What the test kind is told to do, and what it did.
#[derive(Clone, Default)]
struct TestCx {
    /// Operations (`create t.b`) that fail.
    fail: Arc<BTreeSet<String>>,
    /// Operations that panic.
    panic: Arc<BTreeSet<String>>,
    /// Operations as they finish.
    log: Arc<Mutex<Vec<String>>>,
    /// Operations that fail with an error of this kind, so many times, then succeed.
    flaky: Arc<Mutex<std::collections::BTreeMap<String, (ErrorKind, usize)>>>,
    /// Every attempt of an operation, failed or not.
    attempts: Arc<Mutex<Vec<String>>>,
    /// What creates made, as observe reads it back.
    live: Arc<Mutex<Vec<Observed>>>,
}

impl Context for TestCx {
    fn fresh(&self) -> Self {
        self.clone()
    }

    fn visibility_bound(&self) -> Duration {
        Duration::from_secs(2)
    }

    fn patience(&self) -> Duration {
        Duration::from_secs(2)
    }
}

impl TestCx {
    async fn act(&self, what: String) -> Result<(), Error> {
        // Let other operations interleave, as AWS calls would.
        tokio::task::yield_now().await;
        if self.panic.contains(&what) {
            panic!("test kind told to panic on {what}");
        }
        self.attempts.lock().unwrap().push(what.clone());
        if let Some((kind, left)) = self.flaky.lock().unwrap().get_mut(&what)
            && *left > 0
        {
            *left -= 1;
            return Err(Error::new(*kind, "Test", format!("{what} not yet")));
        }
        if self.fail.contains(&what) {
            return Err(Error::new(
                ErrorKind::Other,
                "Test",
                format!("{what} refused"),
            ));
        }
        self.log.lock().unwrap().push(what);
        Ok(())
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

struct TestKind;

#[async_trait]
impl Kind for TestKind {
    type Cx = TestCx;

    fn kinds(&self) -> &'static [&'static str] {
        &["t"]
    }

    async fn observe(&self, cx: &TestCx) -> Result<Vec<Observed>, Error> {
        Ok(cx.live.lock().unwrap().clone())
    }

    /// Makes the resource, then configures it (as CreateVpc, then ModifyVpcAttribute).
    async fn create(&self, op: &OpCx<'_, TestCx>, desired: &Desired) -> Result<String, Error> {
        op.cx.act(format!("create {}", op.id)).await?;
        let physical = format!("phys-{}", op.id.name());
        op.made(&physical);
        op.cx.live.lock().unwrap().push(Observed::new(
            op.id.clone(),
            physical.clone(),
            desired.props.clone(),
        ));
        op.cx.act(format!("configure {}", op.id)).await?;
        Ok(physical)
    }

    async fn update(
        &self,
        op: &OpCx<'_, TestCx>,
        _desired: &Desired,
        _observed: &Observed,
        _changes: &[Change],
    ) -> Result<(), Error> {
        op.cx.act(format!("update {}", op.id)).await
    }

    async fn delete(&self, op: &OpCx<'_, TestCx>, _observed: &Observed) -> Result<(), Error> {
        op.cx.act(format!("delete {}", op.id)).await
    }
}

/// Records what the walk reports as skipped.
#[derive(Default)]
struct Recorder {
    skipped: Mutex<Vec<String>>,
}

impl Hooks for Recorder {
    fn started(&self, _op: usize, _step: &Step, _phase: Phase) {}
    fn finished(&self, _: usize, _: &Step, _: Phase, _: Option<&str>, _: Duration) {}
    fn failed(&self, _: usize, _: &Step, _: Phase, _: &Error, _: Duration) {}
    fn skipped(&self, step: &Step, phase: Phase) {
        let verb = match phase {
            Phase::Create => "create",
            Phase::Update => "update",
            Phase::Delete => "delete",
        };
        self.skipped
            .lock()
            .unwrap()
            .push(format!("{verb} {}", step.id));
    }
}

/// `t.NAME` referring to each of `needs`.
fn fields(needs: &[&str]) -> Props {
    props([(
        "needs",
        Value::Set(
            needs
                .iter()
                .map(|name| Value::Ref(ResourceId::new("t", name)))
                .collect(),
        ),
        Mode::InPlace,
    )])
}

fn desired(name: &str, needs: &[&str]) -> Desired {
    Desired {
        id: ResourceId::new("t", name),
        props: fields(needs),
        after: Vec::new(),
    }
}

fn observed(name: &str, needs: &[&str]) -> Observed {
    Observed::new(
        ResourceId::new("t", name),
        format!("phys-{name}"),
        fields(needs),
    )
}

struct Ran {
    outcome: Outcome,
    labels: Vec<String>,
    log: Vec<String>,
    skipped: Vec<String>,
}

impl Ran {
    fn failed(&self) -> Vec<String> {
        self.outcome
            .failed
            .iter()
            .map(|(index, error)| format!("{}: {error}", self.labels[*index]))
            .collect()
    }

    fn done(&self) -> BTreeSet<String> {
        self.outcome
            .done
            .iter()
            .map(|index| self.labels[*index].clone())
            .collect()
    }
}

async fn walk(plan: &Plan, cx: TestCx) -> Ran {
    let ops = schedule(plan).unwrap();
    let recorder = Arc::new(Recorder::default());
    let kinds: Vec<Arc<dyn Kind<Cx = TestCx>>> = vec![Arc::new(TestKind)];
    let outcome = Walk {
        plan,
        ops: &ops,
        kinds: &kinds,
        cx: Arc::new(cx.clone()),
        physical: PhysicalIds::default(),
        parallelism: 4,
        stop: None,
        hooks: recorder.clone(),
    }
    .run()
    .await;
    let skipped = recorder.skipped.lock().unwrap().clone();
    Ran {
        labels: ops.iter().map(|op| label(plan, op)).collect(),
        outcome,
        log: cx.log(),
        skipped,
    }
}

/// a <- b <- c, and d, e, f on their own.
fn creates() -> Plan {
    let graph = Graph::new(vec![
        desired("a", &[]),
        desired("b", &["a"]),
        desired("c", &["b"]),
        desired("d", &[]),
        desired("e", &[]),
        desired("f", &[]),
    ])
    .unwrap();
    diff(&graph, Vec::new()).unwrap()
}

fn told(fail: &[&str], panic: &[&str]) -> TestCx {
    TestCx {
        fail: Arc::new(fail.iter().map(|what| what.to_string()).collect()),
        panic: Arc::new(panic.iter().map(|what| what.to_string()).collect()),
        ..TestCx::default()
    }
}

/// Operations that fail with `kind` the given number of times before they succeed.
fn flaky(operations: &[(&str, ErrorKind, usize)]) -> TestCx {
    let cx = TestCx::default();
    *cx.flaky.lock().unwrap() = operations
        .iter()
        .map(|(what, kind, times)| (what.to_string(), (*kind, *times)))
        .collect();
    cx
}

impl TestCx {
    fn attempts(&self, what: &str) -> usize {
        self.attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|attempt| *attempt == what)
            .count()
    }
}

#[tokio::test]
async fn a_create_whose_input_is_not_visible_yet_is_retried() {
    // b refers to a, made by this walk: refused twice (a is not visible yet), then made.
    let cx = flaky(&[("create t.b", ErrorKind::NotFound, 2)]);
    let ran = walk(&creates(), cx.clone()).await;
    assert!(ran.failed().is_empty(), "{:?}", ran.failed());
    assert_eq!(cx.attempts("create t.b"), 3);
    assert_eq!(ran.done().len(), 6);
    // d refers to nothing this walk made: "not found" is about an input that does not
    // exist (a certificate the manifest names), final at once.
    let cx = flaky(&[("create t.d", ErrorKind::NotFound, 1)]);
    let ran = walk(&creates(), cx.clone()).await;
    assert_eq!(cx.attempts("create t.d"), 1);
    assert_eq!(ran.failed().len(), 1);
}

#[tokio::test]
async fn a_made_resource_is_finished_not_made_again() {
    // Made, then its configuration is refused once: the walk finishes the live one.
    let cx = flaky(&[("configure t.b", ErrorKind::NotFound, 1)]);
    let ran = walk(&creates(), cx.clone()).await;
    assert!(ran.failed().is_empty(), "{:?}", ran.failed());
    assert_eq!(cx.attempts("create t.b"), 1, "never made twice");
    let made = cx.live.lock().unwrap().len();
    assert_eq!(made, 6, "one resource per create");
    assert!(ran.done().contains("create t.c"));
}

#[tokio::test]
async fn only_what_goes_away_by_itself_is_waited_for() {
    let plan = diff(
        &Graph::default(),
        vec![observed("held", &[]), observed("blocked", &[])],
    )
    .unwrap();
    let cx = flaky(&[
        ("delete t.held", ErrorKind::Dependency, 2),
        ("delete t.blocked", ErrorKind::Blocked, 1),
    ]);
    let ran = walk(&plan, cx.clone()).await;
    assert_eq!(cx.attempts("delete t.held"), 3);
    assert!(ran.done().contains("delete t.held"));
    // A person must act: refused at once, not retried.
    assert_eq!(cx.attempts("delete t.blocked"), 1);
    assert_eq!(
        ran.failed(),
        ["delete t.blocked: `Test` failed: delete t.blocked not yet"]
    );
    // Other kinds of error are not retried either.
    let cx = flaky(&[("create t.a", ErrorKind::Other, 1)]);
    let ran = walk(&creates(), cx.clone()).await;
    assert_eq!(cx.attempts("create t.a"), 1);
    assert_eq!(ran.failed().len(), 1);
}

#[tokio::test]
async fn a_failure_skips_its_dependents_and_the_rest_finishes() {
    let ran = walk(&creates(), told(&["create t.b"], &[])).await;
    assert_eq!(
        ran.done(),
        ["create t.a", "create t.d", "create t.e", "create t.f"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        ran.failed(),
        ["create t.b: `Test` failed: create t.b refused"]
    );
    assert_eq!(ran.skipped, ["create t.c"]);
    assert_eq!(ran.outcome.skipped.len(), 1);
    assert!(ran.outcome.not_started.is_empty());
    assert!(!ran.log.contains(&"create t.c".to_string()));
}

#[tokio::test]
async fn a_panic_fails_only_its_operation() {
    let ran = walk(&creates(), told(&[], &["create t.b"])).await;
    let failed = ran.failed();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].starts_with("create t.b: `internal` failed: edgectl panicked")
            && failed[0].contains("test kind told to panic on create t.b"),
        "{failed:?}"
    );
    assert_eq!(ran.skipped, ["create t.c"]);
    assert_eq!(ran.done().len(), 4);
}

#[tokio::test]
async fn every_error_is_reported_sorted() {
    let ran = walk(
        &creates(),
        told(&["create t.f", "create t.d"], &["create t.e"]),
    )
    .await;
    let failed: Vec<String> = ran
        .failed()
        .iter()
        .map(|line| line.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(failed, ["create t.d", "create t.e", "create t.f"]);
    assert_eq!(
        ran.done(),
        ["create t.a", "create t.b", "create t.c"]
            .map(String::from)
            .into()
    );
}

#[tokio::test]
async fn deletes_run_in_inverted_order() {
    // a <- b <- c live, none desired: c goes first, a last.
    let plan = diff(
        &Graph::default(),
        vec![
            observed("a", &[]),
            observed("b", &["a"]),
            observed("c", &["b"]),
        ],
    )
    .unwrap();
    let ran = walk(&plan, TestCx::default()).await;
    assert_eq!(ran.log, ["delete t.c", "delete t.b", "delete t.a"]);
    // A failed delete keeps what it depends on: b stays, so a is not deleted.
    let ran = walk(&plan, told(&["delete t.b"], &[])).await;
    assert_eq!(ran.log, ["delete t.c"]);
    assert_eq!(ran.skipped, ["delete t.a"]);
}
