//! Writes a journal of `ENTRIES` entries over the last `MONTHS` months (this month included) as
//! the app stores it: one automerge snapshot per monthly volume, a file each in `OUT_DIR`, named
//! after the document id (`journal_2026-12.bin` for `journal/2026-12`). The browser benchmark
//! (`tests/e2e/bench/journal.mjs`) puts them into a device's IndexedDB to measure a big journal
//! without typing it.
//!
//! `cargo run --release -p amplify --example journal_fixture -- OUT_DIR ENTRIES MONTHS NOW_MS`

use amplify::{Date, Energy, Journal, Model, Moment, Month, volume_id};

/// Words for plausible bodies, varied enough that searching finds some entries and not others.
const WORDS: [&str; 40] = [
    "today",
    "I",
    "listened",
    "before",
    "speaking",
    "and",
    "the",
    "team",
    "found",
    "its",
    "own",
    "answer",
    "which",
    "felt",
    "uncomfortable",
    "but",
    "right",
    "for",
    "my",
    "experiment",
    "we",
    "tested",
    "assumption",
    "about",
    "artists",
    "streaming",
    "feedback",
    "coach",
    "courage",
    "trust",
    "silence",
    "Tokyo",
    "London",
    "flight",
    "pitch",
    "evidence",
    "decision",
    "nervous",
    "proud",
    "tomorrow",
];
const TAGS: [&str; 5] = ["feedback", "courage", "experiment", "team", "travel"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, entries, months, now] = &args[..] else {
        eprintln!("usage: journal_fixture OUT_DIR ENTRIES MONTHS NOW_MS");
        std::process::exit(2);
    };
    let (entries, months, now): (usize, usize, i64) =
        (entries.parse().expect("ENTRIES"), months.parse().expect("MONTHS"), now.parse().expect("NOW_MS"));
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out).expect("OUT_DIR can be made");
    let this_month = Moment::new(now, 0).local_date().month();
    let per_month = entries.div_ceil(months.max(1));
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut written = 0;
    for back in 0..months {
        let month = months_before(this_month, back);
        let start = month.first_day().days() * 86_400_000;
        let end = if back == 0 {
            now - 60_000
        } else {
            months_before(this_month, back - 1).first_day().days() * 86_400_000
        };
        let count = per_month.min(entries - written);
        let mut journal = Journal::new();
        for i in 0..count {
            let at = Moment::new(start + (end - start) * (i as i64) / (count as i64).max(1), 0);
            let id = journal.add_entry(at, None);
            let words = 40 + next() as usize % 80;
            let body: Vec<&str> = (0..words).map(|_| WORDS[next() as usize % WORDS.len()]).collect();
            journal.set_body(&id, &format!("Entry {}: {}", written + i + 1, body.join(" ")));
            journal.add_tag(&id, TAGS[next() as usize % TAGS.len()]);
            journal.set_energy(&id, Energy::new(1 + (next() % 5) as u8));
        }
        written += count;
        let path = out.join(format!("{}.bin", volume_id(month).replace('/', "_")));
        std::fs::write(&path, journal.doc_mut().save()).expect("the volume can be written");
    }
    println!("{written} entries in {months} volumes, in {}", out.display());
}

/// The month `n` months before `month`.
fn months_before(month: Month, n: usize) -> Month {
    let mut date: Date = month.first_day();
    for _ in 0..n {
        date = Date::from_days(date.days() - 1).month().first_day();
    }
    date.month()
}
