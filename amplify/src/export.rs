//! One's own data, to take away: the journal and an experiment canvas as Markdown (to read) and
//! as JSON (to keep or move).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{
    canvas::{Assumption, Canvas, Comment, Evidence, Field, Section},
    journal::Entry,
};

/// The journal as Markdown, newest first, one section per entry.
pub fn journal_markdown(entries: &[Entry]) -> String {
    let mut out = String::from("# My Amplify journal\n");
    for entry in entries {
        let (h, m) = entry.written.local_time();
        out.push_str(&format!("\n## {} {h:02}:{m:02} · {}\n\n", entry.written.local_date(), entry.title()));
        if let Some(prompt) = &entry.prompt {
            out.push_str(&format!("*{prompt}*\n\n"));
        }
        out.push_str(entry.body.trim_end());
        out.push('\n');
        let mut meta = Vec::new();
        if !entry.tags.is_empty() {
            meta.push(entry.tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" "));
        }
        if let Some(energy) = entry.energy {
            meta.push(format!("Energy: {}", energy.label()));
        }
        if !meta.is_empty() {
            out.push_str(&format!("\n{}\n", meta.join(" · ")));
        }
    }
    out
}

#[derive(Serialize)]
struct JournalExport<'a> {
    format: &'static str,
    entries: &'a [Entry],
}

/// The journal as JSON.
pub fn journal_json(entries: &[Entry]) -> String {
    serde_json::to_string_pretty(&JournalExport { format: "amplify-journal/1", entries })
        .expect("entries serialize")
}

/// An experiment canvas as Markdown, box by box.
pub fn canvas_markdown(canvas: &Canvas, owner: &str) -> String {
    let title = match owner.trim() {
        "" => "My experiment".to_owned(),
        owner => format!("{owner}'s experiment"),
    };
    let mut out = format!("# {title}\n\nStage: {}\n", canvas.stage().label());
    if let Some((decision, on)) = canvas.decision() {
        out.push_str(&format!("Decision: {} ({on})\n", decision.label()));
    }
    for section in [Section::Problem, Section::TestCard, Section::LearningCard, Section::Decision] {
        out.push_str(&format!("\n## {}\n", section.title()));
        for field in Field::ALL.into_iter().filter(|f| f.section() == section) {
            let text = canvas.get(field);
            if !text.trim().is_empty() {
                out.push_str(&format!("\n**{}**\n\n{}\n", field.label(), text.trim_end()));
            }
        }
        if section == Section::Problem {
            let assumptions = canvas.assumptions();
            if !assumptions.is_empty() {
                out.push_str("\n## Assumptions\n\n");
                for a in assumptions {
                    out.push_str(&format!(
                        "- {} ({}; importance {}, evidence {})\n",
                        a.text,
                        a.risk.label(),
                        a.importance,
                        a.evidence
                    ));
                }
            }
        }
        if section == Section::TestCard {
            let evidence = canvas.evidence();
            if !evidence.is_empty() {
                out.push_str("\n## Evidence log\n\n");
                for e in evidence {
                    out.push_str(&format!("- {} ({})\n", e.text, e.by));
                }
            }
        }
    }
    out
}

#[derive(Serialize)]
struct CanvasExport {
    format: &'static str,
    owner: Option<String>,
    stage: &'static str,
    decision: Option<(&'static str, String)>,
    fields: BTreeMap<&'static str, String>,
    assumptions: Vec<Assumption>,
    evidence: Vec<Evidence>,
    comments: Vec<Comment>,
}

/// An experiment canvas as JSON.
pub fn canvas_json(canvas: &Canvas) -> String {
    let export = CanvasExport {
        format: "amplify-canvas/1",
        owner: canvas.owner(),
        stage: canvas.stage().key(),
        decision: canvas.decision().map(|(d, on)| (d.key(), on)),
        fields: Field::ALL.into_iter().map(|f| (f.key(), canvas.get(f))).collect(),
        assumptions: canvas.assumptions(),
        evidence: canvas.evidence(),
        comments: canvas.comments(),
    };
    serde_json::to_string_pretty(&export).expect("a canvas serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Journal, Model, Moment, Risk, Stage};

    #[test]
    fn the_journal_exports_as_readable_markdown_and_complete_json() {
        let mut journal = Journal::new();
        let id = journal
            .add_entry(Moment::new(20_416 * 86_400_000 + 9 * 3_600_000, 60), Some("What do I stand for?"));
        journal.set_body(&id, "Candour, kindly.");
        journal.add_tag(&id, "values");
        let md = journal_markdown(&journal.entries());
        assert!(md.contains("## 2025-11-24 10:00 · What do I stand for?"), "{md}");
        assert!(md.contains("Candour, kindly.") && md.contains("#values"));
        let json: serde_json::Value = serde_json::from_str(&journal_json(&journal.entries())).unwrap();
        assert_eq!(json["entries"][0]["body"], "Candour, kindly.");
        assert_eq!(json["entries"][0]["id"], id.to_string());
    }

    #[test]
    fn a_canvas_exports_box_by_box() {
        let mut canvas = Canvas::new();
        canvas.set(Field::Problem, "Older fans miss new releases");
        canvas.set(Field::WeLearned, "They prefer radio");
        canvas.add_assumption("They read email", Risk::Desirable);
        canvas.add_evidence("12 of 40 opened it", "Sam", 1);
        canvas.set_stage(Stage::Learning);
        let md = canvas_markdown(&canvas, "Maya");
        for needle in [
            "# Maya's experiment",
            "Stage: Learning",
            "Older fans miss new releases",
            "They read email",
            "12 of 40 opened it",
            "They prefer radio",
        ] {
            assert!(md.contains(needle), "{needle} missing from\n{md}");
        }
        let json: serde_json::Value = serde_json::from_str(&canvas_json(&canvas)).unwrap();
        assert_eq!(json["fields"]["problem"], "Older fans miss new releases");
        assert_eq!(json["stage"], "learning");
        assert_eq!(json["assumptions"][0]["text"], "They read email");
    }

    #[test]
    fn a_canvas_without_an_owner_name_is_still_titled() {
        assert!(canvas_markdown(&Canvas::new(), " ").starts_with("# My experiment\n"));
    }
}
