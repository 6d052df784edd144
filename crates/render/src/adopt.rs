//! What `edgectl adopt` (and `plan --adopt`) found: per resource of the manifest the plan
//! creates, the live one it would take over, what refuses it, or that there is none.

use std::fmt::Write as _;

use crate::Paint;
use crate::engine::kind::Found;
use crate::engine::model::ResourceId;

/// The list, grouped: taken over, refused, created (nothing found, or a kind that cannot
/// be adopted).
pub fn render(found: &[(&ResourceId, &Found)], paint: Paint) -> String {
    let mut out = String::new();
    let live: Vec<_> = found
        .iter()
        .filter_map(|(id, found)| match found {
            Found::Live {
                observed,
                what,
                note,
                ..
            } => Some((id, observed, what, note)),
            _ => None,
        })
        .collect();
    let title = match live.len() {
        0 => "Nothing to adopt".to_string(),
        count => format!(
            "Adopt {}: tagged as the stack's, nothing else changed",
            crate::text::plural(count, "resource")
        ),
    };
    let _ = writeln!(out, "{}", paint.bold(&title));
    for (id, observed, what, note) in &live {
        let _ = writeln!(
            out,
            "  {} {id} {} {what} ({})",
            paint.green("="),
            paint.dim("<-"),
            observed.physical_id
        );
        if let Some(note) = note {
            let _ = writeln!(out, "      {} {note}", paint.dim("note:"));
        }
    }
    let refused: Vec<_> = found
        .iter()
        .filter_map(|(id, found)| match found {
            Found::Refused(why) => Some((id, why)),
            _ => None,
        })
        .collect();
    if !refused.is_empty() {
        let _ = writeln!(out, "\n{}", paint.bold("Cannot adopt"));
        for (id, why) in refused {
            let _ = writeln!(out, "  {} {id}: {why}", paint.red("!"));
        }
    }
    let created = |unsupported: bool| -> Vec<String> {
        found
            .iter()
            .filter(|(_, found)| match found {
                Found::Nothing => !unsupported,
                Found::Unsupported => unsupported,
                _ => false,
            })
            .map(|(id, _)| id.to_string())
            .collect()
    };
    for (title, ids) in [
        ("Nothing live to adopt (apply creates them)", created(false)),
        (
            "Of kinds edgectl does not adopt (apply creates them)",
            created(true),
        ),
    ] {
        if !ids.is_empty() {
            let _ = writeln!(out, "\n{}", paint.bold(title));
            let _ = writeln!(out, "  {}", ids.join(", "));
        }
    }
    out
}
