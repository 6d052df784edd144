//! The plan as Markdown, for a pull request's comment (`plan --format markdown`) and a
//! GitHub Actions job's summary: the counts, the notes, then one collapsed block per
//! resource with its fields as the plan for people shows them. Sensitive values are
//! hidden as everywhere (the printer and the summary writer redact).

use std::fmt::Write as _;

use crate::engine::diff::{Action, Plan, Step};

/// GitHub refuses a comment over 65,536 characters: a plan for one is kept under this,
/// with room left for the line that lists the rest.
pub const COMMENT: usize = 60_000;
/// A job's summary may hold 1 MiB (for all its steps).
pub const SUMMARY: usize = 500_000;

/// The plan in at most about `limit` bytes: past it, the remaining resources are counted,
/// not shown.
pub fn render(plan: &Plan, stack: &str, region: &str, limit: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### edgectl plan: stack `{stack}` in {region}\n");
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "**No changes**: {} {} the manifest.",
            crate::text::plural(plan.unchanged, "resource"),
            if plan.unchanged == 1 {
                "matches"
            } else {
                "match"
            }
        );
    } else {
        let _ = writeln!(out, "**{}**\n", crate::plan::summary(plan));
        let _ = writeln!(out, "| | create | update | replace | delete |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|");
        let _ = writeln!(
            out,
            "| resources | {} | {} | {} | {} |",
            plan.count(Action::Create),
            plan.count(Action::Update),
            plan.count(Action::Replace),
            plan.count(Action::Delete)
        );
    }
    if !plan.notes.is_empty() {
        out.push('\n');
        for note in &plan.notes {
            let line = format!("> **note:** {}\n", inline_text(note));
            if out.len() + line.len() > limit / 2 {
                let _ = writeln!(out, "> (more notes: `edgectl plan` shows every one)");
                break;
            }
            out.push_str(&line);
        }
    }
    for (shown, step) in plan.steps.iter().enumerate() {
        let block = step_block(step);
        if out.len() + block.len() > limit {
            // From the first that does not fit on, in the plan's order: counted only.
            let rest = &plan.steps[shown..];
            let _ = writeln!(
                out,
                "\n{} more ({}), too long to show here: `edgectl plan` shows the whole plan.",
                crate::text::plural(rest.len(), "resource"),
                counts(rest)
            );
            break;
        }
        out.push('\n');
        out.push_str(&block);
    }
    out
}

/// What `steps` do, counted: "2 to create, 1 to delete".
fn counts(steps: &[Step]) -> String {
    let mut parts = Vec::new();
    for (action, verb) in [
        (Action::Create, "to create"),
        (Action::Update, "to update"),
        (Action::Replace, "to replace"),
        (Action::Delete, "to delete"),
    ] {
        let count = steps.iter().filter(|step| step.action == action).count();
        if count > 0 {
            parts.push(format!("{count} {verb}"));
        }
    }
    parts.join(", ")
}

/// One resource, collapsed: its symbol, id and action as the summary, its fields inside.
fn step_block(step: &Step) -> String {
    // Redacted before anything is escaped: an escaped secret would no longer be found.
    let text = crate::redact::redact(&crate::plan::step_text(step, false)).into_owned();
    let mut lines = text.lines();
    let heading = lines.next().unwrap_or_default().trim();
    let fields: Vec<&str> = lines.collect();
    let mut out = String::new();
    if fields.iter().all(|line| line.trim().is_empty()) {
        let _ = writeln!(out, "- <code>{}</code>", html(heading));
        return out;
    }
    let fence = fence_for(&text);
    let _ = writeln!(
        out,
        "<details><summary><code>{}</code></summary>\n",
        html(heading)
    );
    let _ = writeln!(out, "{fence}diff");
    for line in fields {
        let _ = writeln!(out, "{}", diff_line(line));
    }
    let _ = writeln!(out, "{fence}\n</details>");
    out
}

/// A field line marked for Markdown's `diff` highlighting: what is added, removed or
/// changed keeps the plan's own symbol in the first column.
fn diff_line(line: &str) -> String {
    let trimmed = line.trim_start();
    let mark = if trimmed.contains(" + ") || trimmed.starts_with("+ ") {
        '+'
    } else if trimmed.contains(" - ") || trimmed.starts_with("- ") {
        '-'
    } else if trimmed.contains(" ~ ") || trimmed.contains(" → ") {
        '!'
    } else {
        ' '
    };
    format!("{mark} {}", line.trim_end())
}

/// A code fence longer than any run of backticks in `text`, so no value can close it.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// Text set inside HTML (a `<summary>`): no tag or entity of its own.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A note on one line of Markdown: its own line breaks and HTML are not Markdown's.
fn inline_text(text: &str) -> String {
    html(&crate::redact::redact(text).replace('\n', " "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::diff::{Change, Step};
    use crate::engine::model::{ResourceId, Value};

    fn update(id: &str, field: &str, old: &str, new: &str) -> Step {
        Step {
            id: ResourceId::parse(id),
            action: Action::Update,
            changes: vec![Change {
                field: field.to_string(),
                old: Value::Str(old.to_string()),
                new: Value::Str(new.to_string()),
                forces_replacement: false,
            }],
            reason: None,
            desired: None,
            observed: None,
            replacement: Default::default(),
            summary: None,
        }
    }

    #[test]
    fn each_resource_is_a_collapsed_block_that_no_value_can_break_out_of() {
        let plan = Plan {
            steps: vec![update("service.web", "image", "a```b", "<script>")],
            unchanged: 3,
            notes: vec!["`service.web` last rollout failed\nnext line".to_string()],
        };
        let text = render(&plan, "demo", "us-east-1", COMMENT);
        assert!(text.starts_with("### edgectl plan: stack `demo` in us-east-1\n"));
        assert!(text.contains("**Plan: 0 to create, 1 to update, 0 to replace, 0 to delete.**"));
        assert!(text.contains("> **note:** `service.web` last rollout failed next line"));
        assert!(
            text.contains(
                "<details><summary><code>~ service.web  update in place</code></summary>"
            )
        );
        // The value holds three backticks: the fence is four.
        assert!(text.contains("````diff\n! "), "{text}");
        assert!(text.contains("\"a```b\" → \"<script>\""), "{text}");
        assert!(text.contains("````\n</details>"));
    }

    #[test]
    fn no_changes_says_so() {
        let plan = Plan {
            steps: Vec::new(),
            unchanged: 1,
            notes: Vec::new(),
        };
        assert_eq!(
            render(&plan, "demo", "eu-west-1", COMMENT),
            "### edgectl plan: stack `demo` in eu-west-1\n\n**No changes**: 1 resource matches the manifest.\n"
        );
    }

    #[test]
    fn a_plan_too_long_for_a_comment_lists_the_rest_by_name() {
        let long = "x".repeat(5_000);
        let steps: Vec<Step> = (0..20)
            .map(|index| update(&format!("bucket.b{index:02}"), "policy", "", &long))
            .collect();
        let plan = Plan {
            steps,
            unchanged: 0,
            notes: Vec::new(),
        };
        let text = render(&plan, "demo", "us-east-1", COMMENT);
        assert!(text.len() < 65_536, "{}", text.len());
        // 11 blocks of about 5,000 bytes fit; the rest, from the first that does not, are
        // counted.
        assert_eq!(text.matches("<details>").count(), 11, "{text}");
        assert!(
            text.contains("9 resources more (9 to update), too long to show here"),
            "{text}"
        );
        let whole = render(&plan, "demo", "us-east-1", SUMMARY);
        assert_eq!(whole.matches("<details>").count(), 20);
    }
}
