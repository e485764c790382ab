//! Relay soak: honest home groups sync while every attack the relay must withstand runs at
//! once, from other addresses (127.0.0.2 and up, as other machines would). Prints the relay's
//! peak memory, honest acknowledgement latency quiet and under attack, connections refused,
//! and blobs lost across a kill -9 (must be 0). Asserts nothing.
//!
//! `cargo bench -p server --bench relay_soak [-- SECONDS]` (default 30 seconds of attack).

#[path = "../tests/support/mod.rs"]
mod support;

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use amplify::{ClientFrame, DocRef, MAX_AUTH_CERTS, RelayFrame, SpaceKeys, SpaceSecret};
use futures_util::{SinkExt, StreamExt};
use support::{Client, Member, RawSocket, RelayProcess, connect_from};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;

const HONEST: usize = 50;
const GROUP: usize = 5;
const INTERVAL: Duration = Duration::from_millis(250);

fn from(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Honest members in groups of five, each putting a small blob every `INTERVAL` until `stop`;
/// returns the put-to-ack latencies (µs) and every acknowledged (group, payload).
async fn honest(
    addr: std::net::SocketAddr,
    groups: Arc<Vec<SpaceKeys>>,
    stop: Arc<AtomicBool>,
) -> (Vec<u64>, Vec<(usize, Vec<u8>)>) {
    let mut tasks = Vec::new();
    for i in 0..HONEST {
        let (groups, stop) = (groups.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let group = i / GROUP;
            let member = Member::of(&[&groups[group]]);
            let Some(client) = Client::connect_from(addr, from(1), &member).await else {
                return (vec![], vec![]);
            };
            let (mut sink, mut stream) = client.ws.split();
            let mut latencies = Vec::new();
            let mut acked = Vec::new();
            let mut n: u32 = 0;
            let mut tick = tokio::time::interval(INTERVAL);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let payload = [i.to_le_bytes().as_slice(), &n.to_le_bytes()].concat();
                let blob = member.seal(&groups[group], &format!("canvas/{i}"), &payload);
                let sent = Instant::now();
                let frame = ClientFrame::Put { request: n, blob }.encode();
                if sink.send(Message::Binary(frame.into())).await.is_err() {
                    break;
                }
                // Wait for this put's answer (live blobs of the group may come first).
                loop {
                    match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
                        Ok(Some(Ok(Message::Binary(bytes)))) => match RelayFrame::decode(&bytes) {
                            Ok(RelayFrame::Ack { request, .. }) if request == n => {
                                latencies.push(sent.elapsed().as_micros() as u64);
                                acked.push((group, payload.clone()));
                                break;
                            }
                            Ok(RelayFrame::Reject { request, code, .. }) if request == n => {
                                eprintln!("an honest put was refused: {code:?}");
                                break;
                            }
                            _ => {}
                        },
                        Ok(Some(Ok(_))) => {}
                        _ => return (latencies, acked),
                    }
                }
                n += 1;
            }
            (latencies, acked)
        }));
    }
    let mut latencies = Vec::new();
    let mut acked = Vec::new();
    for task in tasks {
        let (l, a) = task.await.unwrap_or_default();
        latencies.extend(l);
        acked.extend(a);
    }
    latencies.sort_unstable();
    (latencies, acked)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

/// The relay's counter `name` from `/metrics`.
async fn metric(addr: std::net::SocketAddr, name: &str) -> u64 {
    let text = support::http_get_as(addr, "/metrics", Some("soak")).await;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("amplify_{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Every attack at once, until `stop`. Returns how many connections the attackers could not
/// even open.
async fn attack(addr: std::net::SocketAddr, stop: Arc<AtomicBool>) -> u64 {
    let refused = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    // A space of their own, filled with 2 MiB blobs, for readers that never read.
    let big = SpaceSecret::generate().keys();
    let owner = Arc::new(Member::of(&[&big]));
    if let Some(mut client) = Client::connect_from(addr, from(2), &owner).await {
        for i in 0..48u32 {
            let blob = owner.seal(&big, "journal/2026-11", &vec![i as u8; 1_900_000]);
            client.try_send(&ClientFrame::Put { request: i, blob }).await;
            let _ = client.try_recv().await;
        }
    }
    let big = Arc::new(big);
    // Readers that never read, reconnecting when dropped.
    for _ in 0..8 {
        let (stop, owner, big) = (stop.clone(), owner.clone(), big.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Some(mut socket) = RawSocket::open_from(addr, from(3)).await else { break };
                if !socket.try_authenticate(&owner).await {
                    continue;
                }
                socket.send(&ClientFrame::Subscribe { space: big.id, cursors: vec![] }).await;
                // Never read; wait for the relay to give up on us.
                let _ = socket.closed_by_relay().await;
            }
        }));
    }
    // Subscriptions with made-up cursors.
    for k in 0..4u8 {
        let (stop, owner, big) = (stop.clone(), owner.clone(), big.clone());
        tasks.push(tokio::spawn(async move {
            let Some(mut client) = Client::connect_from(addr, from(4), &owner).await else { return };
            let mut round = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let cursors: Vec<(DocRef, u64)> = (0..amplify::MAX_SUBSCRIBE_CURSORS as u32)
                    .map(|i| {
                        let mut doc = [k; 16];
                        doc[..4].copy_from_slice(&round.to_le_bytes());
                        doc[4..8].copy_from_slice(&i.to_le_bytes());
                        (DocRef(doc), 1)
                    })
                    .collect();
                if !client.try_send(&ClientFrame::Subscribe { space: big.id, cursors }).await {
                    return;
                }
                round += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    // Frames stalled one byte short of 1.5 MiB.
    for _ in 0..4 {
        let (stop, owner) = (stop.clone(), owner.clone());
        tasks.push(tokio::spawn(async move {
            let mut held = Vec::new();
            while !stop.load(Ordering::Relaxed) && held.len() < 60 {
                let Some(mut socket) = RawSocket::open_from(addr, from(5)).await else { break };
                if !socket.try_authenticate(&owner).await {
                    continue;
                }
                let size = 1536 * 1024;
                let mut bytes = RawSocket::frame_header(size);
                bytes.resize(bytes.len() + size - 1, 9);
                let _ =
                    tokio::time::timeout(Duration::from_millis(200), socket.stream.write_all(&bytes)).await;
                held.push(socket);
            }
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    // Idle TCP connections, as many as the relay lets one address have, and more.
    {
        let (stop, refused) = (stop.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            let mut held = Vec::new();
            for _ in 0..2000 {
                match connect_from(addr, from(6)).await {
                    Some(stream) => held.push(stream),
                    None => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    // Forgers, and Auth frames with 64 certificates each, reconnecting as they are closed.
    for _ in 0..4 {
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let spaces: Vec<SpaceKeys> =
                (0..MAX_AUTH_CERTS).map(|_| SpaceSecret::generate().keys()).collect();
            let refs: Vec<&SpaceKeys> = spaces.iter().collect();
            while !stop.load(Ordering::Relaxed) {
                let forger = Member::of(&refs);
                let Some(mut client) = Client::connect_from(addr, from(7), &forger).await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let mut forged = forger.seal(&spaces[0], "profile", b"x");
                forged.signature[0] ^= 1;
                for i in 0..40 {
                    if !client.try_send(&ClientFrame::Put { request: i, blob: forged.clone() }).await {
                        break;
                    }
                }
                while client.try_recv().await.is_some() {}
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    refused.load(Ordering::Relaxed)
}

fn main() {
    let seconds: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(30);
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("store");
        let log = dir.path().join("relay.log");
        let flags = ["--open-admission", "--metrics-token", "soak"];
        let relay = RelayProcess::start_with(&data, &log, &flags, "warn");
        let (addr, pid) = (relay.addr, relay.child.id());
        let groups: Arc<Vec<SpaceKeys>> =
            Arc::new((0..HONEST / GROUP).map(|_| SpaceSecret::generate().keys()).collect());
        println!(
            "relay soak: {HONEST} honest members in groups of {GROUP}, a put every {INTERVAL:?} each; \
             {seconds} s quiet, then {seconds} s under every attack at once"
        );

        let stop = Arc::new(AtomicBool::new(false));
        let quiet = tokio::spawn(honest(addr, groups.clone(), stop.clone()));
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let (quiet_latencies, mut acked) = quiet.await.unwrap();
        let quiet_peak = proc_kib(pid, "VmHWM:");

        let stop = Arc::new(AtomicBool::new(false));
        let attackers = tokio::spawn(attack(addr, stop.clone()));
        let sampler = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut healthz_ms = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let asked = Instant::now();
                    let answer = support::http_get(addr, "/healthz").await;
                    if answer.starts_with("HTTP/1.1 200") {
                        healthz_ms.push(asked.elapsed().as_micros() as u64);
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                healthz_ms.sort_unstable();
                healthz_ms
            })
        };
        let under_attack = tokio::spawn(honest(addr, groups.clone(), stop.clone()));
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let (attack_latencies, attack_acked) = under_attack.await.unwrap();
        acked.extend(attack_acked);
        let peak = proc_kib(pid, "VmHWM:");
        let unopened = attackers.await.unwrap_or(0);
        let healthz = sampler.await.unwrap_or_default();
        let refused = metric(addr, "refused_connections_total").await + unopened;
        let dropped = metric(addr, "dropped_slow_readers_total").await;
        let timed_out = metric(addr, "timed_out_total").await;
        let closed = metric(addr, "closed_for_errors_total").await;
        relay.kill_hard();

        // Everything acknowledged survives a kill -9.
        let relay = RelayProcess::start_with(&data, &log, &flags, "warn");
        let mut stored: Vec<(usize, Vec<u8>)> = Vec::new();
        for (g, space) in groups.iter().enumerate() {
            let reader = Member::of(&[space]);
            let mut client = Client::connect(relay.addr, &reader).await;
            let frames = client.subscribe(space.id, vec![]).await;
            stored.extend(support::opened(space, &frames).into_iter().map(|bytes| (g, bytes)));
        }
        relay.kill_hard();
        let lost = acked.iter().filter(|a| !stored.contains(a)).count();

        println!("{:>34} {:>12} {:>12}", "", "quiet", "under attack");
        println!(
            "{:>34} {:>12} {:>12}",
            "honest puts acknowledged",
            quiet_latencies.len(),
            attack_latencies.len()
        );
        println!(
            "{:>34} {:>12.1} {:>12.1}",
            "honest ack p50 (ms)",
            percentile(&quiet_latencies, 0.5),
            percentile(&attack_latencies, 0.5)
        );
        println!(
            "{:>34} {:>12.1} {:>12.1}",
            "honest ack p99 (ms)",
            percentile(&quiet_latencies, 0.99),
            percentile(&attack_latencies, 0.99)
        );
        println!(
            "{:>34} {:>12.1} {:>12.1}",
            "relay peak RSS (MiB)",
            quiet_peak as f64 / 1024.0,
            peak as f64 / 1024.0
        );
        println!("{:>34} {:>12} {:>12.1}", "/healthz p99 under attack (ms)", "", percentile(&healthz, 0.99));
        println!("{:>34} {:>12} {:>12}", "connections refused at the cap", "", refused);
        println!("{:>34} {:>12} {:>12}", "readers dropped for not reading", "", dropped);
        println!("{:>34} {:>12} {:>12}", "connections timed out", "", timed_out);
        println!("{:>34} {:>12} {:>12}", "connections closed for errors", "", closed);
        println!("{:>34} {:>12} {:>12}", "acknowledged blobs lost to kill -9", "", lost);
    });
}
