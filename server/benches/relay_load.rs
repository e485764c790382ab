//! Relay load: N simulated clients over loopback, in home groups of five, each writing to the
//! group's M documents. Reports blobs stored per second, end-to-end fan-out latency (from
//! sealing on one client to opening on another) at p50/p99, and each relay's resident memory
//! and CPU. The relays run as their own processes, the release binary: one on SQLite (its file
//! in a temp dir), and, when `AMPLIFY_TEST_DATABASE_URL` names a PostgreSQL cluster (`./x bench`
//! starts a throwaway one), one and then two on PostgreSQL. With two, a group's members are
//! spread over both, and what crosses from one instance to the other is timed on its own.
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
use support::{Client, Member, RelayProcess, database_for};
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

/// Where the clients' relays keep their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Sqlite,
    Postgres { instances: usize },
}

impl Setup {
    fn name(self) -> String {
        match self {
            Setup::Sqlite => "1 x SQLite".to_owned(),
            Setup::Postgres { instances } => format!("{instances} x Postgres"),
        }
    }
}

struct Run {
    clients: usize,
    stored: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
    /// Of those, blobs written through one instance and read through another.
    crossing_us: Vec<u64>,
    /// Per instance.
    rss_kib: Vec<u64>,
    relay_cpu: Vec<f64>,
    /// The database's processes, together (PostgreSQL only).
    database_cpu: f64,
}

/// CPU seconds used by every PostgreSQL server process on the machine.
fn postgres_cpu() -> f64 {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .map(cpu_seconds)
        .sum()
}

async fn run(setup: Setup, clients: usize) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("relay.log");
    // Every client comes from 127.0.0.1: the per-address cap is lifted for the benchmark.
    let open = ["--open-admission", "--max-connections", "20000", "--max-connections-per-address", "20000"];
    let relays: Vec<RelayProcess> = match setup {
        Setup::Sqlite => vec![RelayProcess::start_with(&dir.path().join("store"), &log, &open, "info")],
        Setup::Postgres { instances } => {
            let url = database_for(&dir.path().join("store"));
            (0..instances)
                .map(|i| {
                    let mut flags = open.to_vec();
                    flags.extend(["--database-url", url.as_str()]);
                    RelayProcess::start_with(&dir.path().join(format!("store-{i}")), &log, &flags, "info")
                })
                .collect()
        }
    };
    let addrs: Vec<_> = relays.iter().map(|r| r.addr).collect();
    let pids: Vec<u32> = relays.iter().map(|r| r.child.id()).collect();
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
        // Members of a group take turns between the instances.
        let instance = i % addrs.len();
        let addr = addrs[instance];
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
                                let crossed = usize::from(payload.bytes[8]) != instance;
                                reader_latencies.lock().unwrap().push((now.saturating_sub(sent), crossed));
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
                bytes.push(instance as u8);
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
    let cpu_before: Vec<f64> = pids.iter().map(|pid| cpu_seconds(*pid)).collect();
    let database_before = postgres_cpu();
    let writing = Instant::now();
    done.wait().await;
    let elapsed = writing.elapsed();
    let seconds = elapsed.as_secs_f64();
    let relay_cpu =
        pids.iter().zip(cpu_before).map(|(pid, before)| (cpu_seconds(*pid) - before) / seconds).collect();
    let database_cpu =
        if setup == Setup::Sqlite { 0.0 } else { (postgres_cpu() - database_before) / seconds };
    let rss_kib = pids.iter().map(|pid| proc_kib(*pid, "VmRSS:")).collect();
    let mut stored = 0;
    for task in tasks {
        stored += task.await.unwrap_or(0);
    }
    for relay in relays {
        relay.kill_hard();
    }
    let measured = latencies.lock().unwrap().clone();
    let mut latencies_us: Vec<u64> = measured.iter().map(|(us, _)| *us).collect();
    let mut crossing_us: Vec<u64> =
        measured.iter().filter(|(_, crossed)| *crossed).map(|(us, _)| *us).collect();
    latencies_us.sort_unstable();
    crossing_us.sort_unstable();
    Run { clients, stored, elapsed, latencies_us, crossing_us, rss_kib, relay_cpu, database_cpu }
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
    let mut setups = vec![Setup::Sqlite];
    if std::env::var("AMPLIFY_TEST_DATABASE_URL").is_ok() {
        setups.extend([Setup::Postgres { instances: 1 }, Setup::Postgres { instances: 2 }]);
    } else {
        println!("(PostgreSQL skipped: AMPLIFY_TEST_DATABASE_URL is not set; ./x bench starts a cluster)");
    }
    let header = [
        "setup",
        "clients",
        "stored",
        "blobs/s",
        "p50 ms",
        "p99 ms",
        "cross p50",
        "cross p99",
        "RSS MiB",
        "relay CPU",
        "db CPU",
    ];
    println!("{}", header.map(|h| format!("{h:>11}")).join(" "));
    for setup in setups {
        for &clients in &counts {
            let r = runtime.block_on(run(setup, clients));
            let each = |values: Vec<String>| values.join("+");
            let row = [
                setup.name(),
                r.clients.to_string(),
                r.stored.to_string(),
                format!("{:.0}", r.stored as f64 / r.elapsed.as_secs_f64()),
                format!("{:.1}", percentile(&r.latencies_us, 0.50)),
                format!("{:.1}", percentile(&r.latencies_us, 0.99)),
                format!("{:.1}", percentile(&r.crossing_us, 0.50)),
                format!("{:.1}", percentile(&r.crossing_us, 0.99)),
                each(r.rss_kib.iter().map(|kib| format!("{:.0}", *kib as f64 / 1024.0)).collect()),
                each(r.relay_cpu.iter().map(|cpu| format!("{:.0}%", cpu * 100.0)).collect()),
                if setup == Setup::Sqlite {
                    "-".to_owned()
                } else {
                    format!("{:.0}%", r.database_cpu * 100.0)
                },
            ];
            println!("{}", row.map(|c| format!("{c:>11}")).join(" "));
        }
    }
}
