//! A big journal, as seven months of heavy use would make it: 1,000 entries of about 300 words,
//! built by typing, kept as the app keeps it (one volume per month, ~143 entries each) and, for
//! comparison, as one document. Prints load time, save size, and the cost of one keystroke plus
//! its incremental save. Run with `cargo bench -p amplify` (or `./x bench`).

use std::{hint::black_box, time::Instant};

use amplify::{Journal, Model, Moment, Query};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const ENTRIES: usize = 1_000;
const WORDS: usize = 300;
const MONTHS: usize = 7;

/// A deterministic stream of plausible words, varied enough that compression sees text, not a
/// loop.
fn word(i: usize) -> &'static str {
    const WORDS: [&str; 96] = [
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
        "one",
        "assumption",
        "about",
        "artists",
        "streaming",
        "customers",
        "in",
        "Nordics",
        "feedback",
        "coach",
        "home",
        "group",
        "forest",
        "rain",
        "courage",
        "leader",
        "stand",
        "why",
        "would",
        "anyone",
        "follow",
        "me",
        "smallest",
        "possible",
        "test",
        "measure",
        "evidence",
        "learned",
        "pivot",
        "persevere",
        "stop",
        "scale",
        "managing",
        "director",
        "asked",
        "question",
        "silence",
        "trust",
        "network",
        "region",
        "Tokyo",
        "London",
        "Miami",
        "flight",
        "hotel",
        "meeting",
        "pitch",
        "data",
        "predict",
        "hits",
        "catalog",
        "revenue",
        "partners",
        "deal",
        "young",
        "seasoned",
        "story",
        "showcase",
        "impact",
        "risk",
        "small",
        "think",
        "big",
        "energy",
        "drained",
        "curious",
        "proud",
        "nervous",
        "honest",
        "kind",
        "clear",
        "decision",
        "tomorrow",
        "again",
    ];
    let mut x = i as u64 ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    WORDS[((x ^ (x >> 31)) % WORDS.len() as u64) as usize]
}

/// Types `count` entries starting at entry number `first`, one `set_body` per word (as the app
/// calls it on each input event; a word is roughly what gathers between two debounced saves),
/// saving after every word.
fn typed_journal(first: usize, count: usize) -> Journal {
    let mut journal = Journal::new();
    let mut heads = journal.doc_mut().heads();
    for e in first..first + count {
        let at = Moment::new(1_750_000_000_000 + e as i64 * 21_600_000, 60);
        let id = journal.add_entry(at, (e % 3 == 0).then_some(amplify::CORE_PROMPTS[e % 4]));
        let mut body = String::new();
        for w in 0..WORDS {
            if w > 0 {
                body.push(' ');
            }
            body.push_str(word(e * WORDS + w));
            journal.set_body(&id, &body);
            // What the app's incremental save does after a pause in typing.
            let _ = journal.doc_mut().save_after(&heads);
            heads = journal.doc_mut().heads();
        }
        if e % 5 == 0 {
            journal.add_tag(&id, "feedback");
        }
    }
    journal
}

fn mb(bytes: usize) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn bench(c: &mut Criterion) {
    let per_month = ENTRIES.div_ceil(MONTHS);
    let started = Instant::now();
    let mut volumes: Vec<Journal> =
        (0..MONTHS).map(|m| typed_journal(m * per_month, per_month.min(ENTRIES - m * per_month))).collect();
    let snapshots: Vec<Vec<u8>> = volumes.iter_mut().map(|v| v.doc_mut().save()).collect();
    let mut whole = typed_journal(0, ENTRIES);
    let whole_snapshot = whole.doc_mut().save();
    let text: usize = volumes.iter().flat_map(|v| v.entries()).map(|e| e.body.len()).sum();
    println!(
        "journal: {ENTRIES} entries x {WORDS} words, typed twice in {:.1?}; text {}; \
         as {MONTHS} monthly volumes: {} in all, {} per month; as one document: {}",
        started.elapsed(),
        mb(text),
        mb(snapshots.iter().map(Vec::len).sum()),
        mb(snapshots[0].len()),
        mb(whole_snapshot.len()),
    );

    c.bench_function("load this month's volume (~143 entries)", |b| {
        b.iter(|| Journal::load(black_box(&snapshots[MONTHS - 1])).unwrap())
    });
    c.bench_function("load all seven volumes (1,000 entries)", |b| {
        b.iter(|| snapshots.iter().map(|s| Journal::load(black_box(s)).unwrap()).collect::<Vec<_>>())
    });
    c.bench_function("load 1,000 entries kept as one document", |b| {
        b.iter(|| Journal::load(black_box(&whole_snapshot)).unwrap())
    });

    c.bench_function("list all 1,000 entries grouped by day", |b| {
        b.iter(|| volumes.iter().rev().map(|v| black_box(v.days(&Query::default())).len()).sum::<usize>())
    });
    c.bench_function("search 1,000 entries for a word and a tag", |b| {
        let query = Query::parse("uncomfortable #feedback");
        b.iter(|| volumes.iter().map(|v| black_box(v.search(&query)).len()).sum::<usize>())
    });

    let latest = &snapshots[MONTHS - 1];
    c.bench_function("one keystroke in a 300-word entry + incremental save", |b| {
        b.iter_batched(
            || {
                let mut volume = Journal::load(latest).unwrap();
                let heads = volume.doc_mut().heads();
                let entry = volume.entries().remove(0);
                (volume, heads, entry)
            },
            |(mut volume, heads, entry)| {
                volume.set_body(&entry.id, &format!("{}!", entry.body));
                black_box(volume.doc_mut().save_after(&heads))
            },
            BatchSize::PerIteration,
        )
    });
    let mut volume = Journal::load(latest).unwrap();
    let heads = volume.doc_mut().heads();
    let entry = volume.entries().remove(0);
    volume.set_body(&entry.id, &format!("{}!", entry.body));
    println!("one keystroke's incremental save: {} bytes", volume.doc_mut().save_after(&heads).len());

    c.bench_function("compact this month's volume (save the whole document)", |b| {
        b.iter_batched(
            || Journal::load(latest).unwrap(),
            |mut j| black_box(j.doc_mut().save()),
            BatchSize::PerIteration,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
