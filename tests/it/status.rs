//! `edgectl status`: what the stack owns, read live, each resource with how it stands.

use crate::harness::{Moto, root, settings};

#[test]
fn status_tells_each_resource_and_the_outputs() {
    let moto = Moto::start();
    // Nothing live: everything missing.
    let before = moto.edgectl(&[
        "status",
        "-f",
        "examples/network.yaml",
        "--detailed-exitcode",
    ]);
    assert_eq!(before.code, 2, "{}", before.stderr);
    assert!(
        before
            .stdout
            .starts_with("Stack `network-demo` in us-east-1: 0 resources live (18 missing)\n"),
        "{}",
        before.stdout
    );
    moto.edgectl(&["apply", "-f", "examples/network.yaml", "--auto-approve"])
        .success();
    let calls = moto.requests();
    let after = moto.edgectl(&[
        "status",
        "-f",
        "examples/network.yaml",
        "--detailed-exitcode",
    ]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    settings().bind(|| insta::assert_snapshot!("status_in_sync", after.stdout));
    // Reads only: as many calls as a plan, and nothing changed since.
    let read = moto.requests() - calls;
    let plan = moto.edgectl(&["plan", "-f", "examples/network.yaml", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_eq!(
        moto.requests() - calls - read,
        read,
        "status reads what plan reads"
    );

    // The manifest moves on: one rule changed, one group gone.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/network.yaml")).unwrap();
    let changed = text
        .replace("[3000, 8080], from: alb", "[3000, 8081], from: alb")
        .replace(
            "  database:\n    description: PostgreSQL\n    ingress:\n      - { port: 5432, from: backend }\n    egress: []\n",
            "",
        );
    assert!(changed.contains("8081") && !changed.contains("  database:"));
    let path = dir.path().join("network.yaml");
    std::fs::write(&path, changed).unwrap();
    let drifted = moto.edgectl(&[
        "status",
        "-f",
        path.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(drifted.code, 2, "{}", drifted.stderr);
    let line = |id: &str| {
        drifted
            .stdout
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no {id}: {}", drifted.stdout))
            .to_string()
    };
    assert!(
        line("security_group_rules.backend").ends_with("differs: ingress (apply updates it)"),
        "{}",
        drifted.stdout
    );
    assert!(
        line("security_group.database").ends_with("not in the manifest (apply deletes it)"),
        "{}",
        drifted.stdout
    );
    assert!(line("vpc").ends_with("in sync"), "{}", drifted.stdout);
    assert!(
        drifted.stdout.starts_with(
            "Stack `network-demo` in us-east-1: 18 resources live (15 in sync, 1 to update, 2 not in the manifest)\n"
        ),
        "{}",
        drifted.stdout
    );

    let json = moto.edgectl(&["status", "-f", path.to_str().unwrap(), "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let resources = document["resources"].as_array().unwrap();
    let state = |id: &str| {
        resources
            .iter()
            .find(|resource| resource["id"] == id)
            .map(|resource| resource["state"].as_str().unwrap().to_string())
    };
    assert_eq!(
        state("security_group_rules.backend").as_deref(),
        Some("differs")
    );
    assert_eq!(
        state("security_group.database").as_deref(),
        Some("undeclared")
    );
    assert_eq!(state("vpc").as_deref(), Some("in-sync"));
    assert!(
        document["outputs"]["vpc_id"]["value"]
            .as_str()
            .unwrap()
            .starts_with("vpc-"),
        "{document}"
    );
}
