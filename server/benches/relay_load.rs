//! Relay load: N simulated clients over loopback, in home groups of five, each writing to the
//! group's M documents. Reports blobs stored per second, end-to-end fan-out latency (from
//! sealing on one client to opening on another) at p50/p99, and the relay's resident memory.
//! The relay runs as its own process, the release binary, with its SQLite file in a temp dir.
//!
//! `cargo bench -p server --bench relay_load [-- N ...]` (default: 100 1000 3000).

#[path = "../tests/support/mod.rs"]
mod support;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use amplify::{ClientFrame, RelayFrame, SpaceKeys, SpaceSecret};
use futures_util::{SinkExt, StreamExt};
use support::{Client, Member, RelayProcess};
use tokio::sync::Barrier;
use tokio_tungstenite::tungstenite::Message;

const GROUP: usize = 5;
const DOCS: usize = 4;
const BLOBS_PER_CLIENT: usize = 10;
const INTERVAL: Duration = Duration::from_millis(500);

fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU seconds the process has used (user + system).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        fields.get(11..13).map(|f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum()).unwrap_or(0.0);
    ticks / 100.0
}

struct Run {
    clients: usize,
    stored: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
    rss_kib: u64,
    peak_kib: u64,
    relay_cpu: f64,
}

async fn run(clients: usize) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let relay = RelayProcess::start(&dir.path().join("store"), &dir.path().join("relay.log"));
    let addr = relay.addr;
    let pid = relay.child.id();
    let start = Instant::now();
    let spaces: Vec<Arc<SpaceKeys>> =
        (0..clients.div_ceil(GROUP)).map(|_| Arc::new(SpaceSecret::generate().keys())).collect();
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let ready = Arc::new(Barrier::new(clients + 1));
    let done = Arc::new(Barrier::new(clients + 1));
    let mut tasks = Vec::new();
    for i in 0..clients {
        let space = spaces[i / GROUP].clone();
        let (latencies, ready, done) = (latencies.clone(), ready.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let member = Member::of(&[&space]);
            let mut client = Client::connect(addr, &member).await;
            client.subscribe(space.id, vec![]).await;
            let (mut sink, mut stream) = client.ws.split();
            ready.wait().await;
            let reader_space = space.clone();
            let reader_latencies = latencies.clone();
            // Each client receives every blob of its group (its own too).
            let expected = BLOBS_PER_CLIENT * GROUP;
            let reader = tokio::spawn(async move {
                let (mut blobs, mut acks) = (0, 0);
                while blobs < expected || acks < BLOBS_PER_CLIENT {
                    let Ok(Some(Ok(Message::Binary(bytes)))) =
                        tokio::time::timeout(Duration::from_secs(30), stream.next()).await
                    else {
                        break;
                    };
                    match RelayFrame::decode(&bytes) {
                        Ok(RelayFrame::Blob { blob, .. }) => {
                            blobs += 1;
                            // One member per group opens blobs to time them; opening costs two
                            // signature checks and a decryption, CPU the relay needs more.
                            if i % GROUP != 0 {
                                continue;
                            }
                            if let Ok(payload) = blob.open(&reader_space) {
                                let sent = u64::from_le_bytes(payload.bytes[..8].try_into().unwrap());
                                let now = start.elapsed().as_micros() as u64;
                                reader_latencies.lock().unwrap().push(now.saturating_sub(sent));
                            }
                        }
                        Ok(RelayFrame::Ack { .. }) => acks += 1,
                        _ => {}
                    }
                }
                acks
            });
            let mut tick = tokio::time::interval(INTERVAL);
            for n in 0..BLOBS_PER_CLIENT {
                tick.tick().await;
                let mut bytes = (start.elapsed().as_micros() as u64).to_le_bytes().to_vec();
                bytes.resize(300, b'x');
                let blob = member.seal(&space, &format!("doc-{}", n % DOCS), &bytes);
                let frame = ClientFrame::Put { request: n as u32, blob }.encode();
                if sink.send(Message::Binary(frame.into())).await.is_err() {
                    break;
                }
            }
            let acks = reader.await.unwrap_or(0);
            done.wait().await;
            acks
        }));
        // Connect in waves so the relay is not met by every handshake at once.
        if i % 200 == 199 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    ready.wait().await;
    let cpu_before = cpu_seconds(pid);
    let writing = Instant::now();
    done.wait().await;
    let elapsed = writing.elapsed();
    let relay_cpu = (cpu_seconds(pid) - cpu_before) / elapsed.as_secs_f64();
    let rss_kib = proc_kib(pid, "VmRSS:");
    let peak_kib = proc_kib(pid, "VmHWM:");
    let mut stored = 0;
    for task in tasks {
        stored += task.await.unwrap_or(0);
    }
    relay.kill_hard();
    let mut latencies_us = latencies.lock().unwrap().clone();
    latencies_us.sort_unstable();
    Run { clients, stored, elapsed, latencies_us, rss_kib, peak_kib, relay_cpu }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

fn main() {
    let counts: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let counts = if counts.is_empty() { vec![100, 1000, 3000] } else { counts };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!(
        "relay load: clients in groups of {GROUP}, {DOCS} documents per group, {BLOBS_PER_CLIENT} blobs of 300 bytes \
         per client, one every {INTERVAL:?}"
    );
    let header = ["clients", "stored", "blobs/s", "p50 ms", "p99 ms", "RSS MiB", "peak MiB", "relay CPU"];
    println!("{}", header.map(|h| format!("{h:>10}")).join(" "));
    for clients in counts {
        let r = runtime.block_on(run(clients));
        let row = [
            r.clients.to_string(),
            r.stored.to_string(),
            format!("{:.0}", r.stored as f64 / r.elapsed.as_secs_f64()),
            format!("{:.1}", percentile(&r.latencies_us, 0.50)),
            format!("{:.1}", percentile(&r.latencies_us, 0.99)),
            format!("{:.1}", r.rss_kib as f64 / 1024.0),
            format!("{:.1}", r.peak_kib as f64 / 1024.0),
            format!("{:.0}%", r.relay_cpu * 100.0),
        ];
        println!("{}", row.map(|c| format!("{c:>10}")).join(" "));
    }
}
