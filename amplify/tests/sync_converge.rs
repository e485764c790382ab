//! Several devices edit one space's journal apart; their changes travel as sealed blobs that
//! arrive late, out of order and more than once, mixed with forgeries. Every device ends with
//! the same journal, holding every word anyone typed and nothing the forgers wrote.

use amplify::{
    Cert, ChangeHash, DeviceKey, EntryId, Journal, Model, Moment, Payload, PayloadKind, Sealed, SpaceKeys,
    SpaceSecret,
};
use proptest::prelude::*;

struct Device {
    key: DeviceKey,
    cert: Cert,
    journal: Journal,
    /// Heads when this device last sent its changes.
    sent: Vec<ChangeHash>,
    typed: Vec<String>,
    counter: usize,
}

#[derive(Debug, Clone)]
enum Step {
    /// A device writes a new entry.
    Write { device: usize },
    /// A device appends a word to one of the entries it has.
    Append { device: usize, entry: usize },
    /// A device comes online and sends what it has not sent yet.
    Send { device: usize },
    /// The network hands a blob to a device, and maybe keeps a copy to hand again later.
    Deliver { blob: usize, device: usize, duplicate: bool },
    /// Someone outside the space injects a blob.
    Forge { how: u8 },
}

fn step(devices: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0..devices).prop_map(|device| Step::Write { device }),
        4 => (0..devices, any::<usize>()).prop_map(|(device, entry)| Step::Append { device, entry }),
        2 => (0..devices).prop_map(|device| Step::Send { device }),
        5 => (any::<usize>(), 0..devices, any::<bool>())
            .prop_map(|(blob, device, duplicate)| Step::Deliver { blob, device, duplicate }),
        1 => (0u8..3).prop_map(|how| Step::Forge { how }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Step>, u64)> {
    (3usize..=6)
        .prop_flat_map(|devices| (Just(devices), prop::collection::vec(step(devices), 10..80), any::<u64>()))
}

fn send(space: &SpaceKeys, device: &mut Device, network: &mut Vec<Sealed>, log: &mut Vec<Sealed>) {
    let bytes = device.journal.doc_mut().save_after(&device.sent);
    device.sent = device.journal.doc_mut().heads();
    if bytes.is_empty() {
        return;
    }
    let payload = Payload { doc: "journal/2026-11".into(), kind: PayloadKind::Changes, bytes };
    let blob = Sealed::seal(space, &device.key, &device.cert, &payload);
    network.push(blob.clone());
    log.push(blob);
}

/// What a device does with a blob from the relay: open it, or ignore it if it does not verify.
fn receive(space: &SpaceKeys, device: &mut Device, blob: &Sealed) -> bool {
    match blob.open(space) {
        Ok(payload) => {
            device.journal.doc_mut().apply(&payload.bytes).expect("a verified blob holds valid changes");
            true
        }
        Err(_) => false,
    }
}

fn forge(space: &SpaceKeys, honest: &Device, how: u8) -> Sealed {
    let outsider = SpaceSecret::generate().keys();
    let intruder = DeviceKey::generate();
    let mut journal = Journal::new();
    let id = journal.add_entry(Moment::new(0, 0), None);
    journal.set_body(&id, "FORGED");
    let payload = Payload {
        doc: "journal/2026-11".into(),
        kind: PayloadKind::Changes,
        bytes: journal.doc_mut().save(),
    };
    match how {
        // Sealed for another space entirely.
        0 => Sealed::seal(&outsider, &intruder, &outsider.admit(intruder.id()), &payload),
        // A stolen certificate, signed by the wrong device.
        1 => Sealed::seal(space, &intruder, &honest.cert, &payload),
        // An honest blob, altered in flight.
        _ => {
            let mut blob = Sealed::seal(space, &honest.key, &honest.cert, &payload);
            let last = blob.ciphertext.len() - 1;
            blob.ciphertext[last] ^= 0x55;
            blob
        }
    }
}

/// A small deterministic shuffle, so a failing case replays exactly.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn devices_converge_and_lose_nothing((count, steps, seed) in scenario()) {
        let space = SpaceSecret::generate().keys();
        let mut devices: Vec<Device> = (0..count)
            .map(|_| {
                let key = DeviceKey::generate();
                let cert = space.admit(key.id());
                // Every device starts its journal offline, from nothing.
                Device { key, cert, journal: Journal::new(), sent: Vec::new(), typed: Vec::new(), counter: 0 }
            })
            .collect();
        let mut network: Vec<Sealed> = Vec::new();
        let mut log: Vec<Sealed> = Vec::new();
        let mut forged = 0;

        for s in &steps {
            match *s {
                Step::Write { device } => {
                    let d = &mut devices[device];
                    d.counter += 1;
                    let token = format!("w{device}x{}", d.counter);
                    let id = d.journal.add_entry(Moment::new(d.counter as i64, 0), None);
                    d.journal.set_body(&id, &token);
                    d.typed.push(token);
                }
                Step::Append { device, entry } => {
                    let d = &mut devices[device];
                    let ids: Vec<EntryId> = d.journal.entries().into_iter().map(|e| e.id).collect();
                    if ids.is_empty() {
                        continue;
                    }
                    let id = ids[entry % ids.len()];
                    d.counter += 1;
                    let token = format!("a{device}x{}", d.counter);
                    let body = d.journal.entry(&id).unwrap().body;
                    d.journal.set_body(&id, &format!("{body} {token}"));
                    d.typed.push(token);
                }
                Step::Send { device } => send(&space, &mut devices[device], &mut network, &mut log),
                Step::Deliver { blob, device, duplicate } => {
                    if network.is_empty() {
                        continue;
                    }
                    let i = blob % network.len();
                    let b = if duplicate { network[i].clone() } else { network.swap_remove(i) };
                    receive(&space, &mut devices[device], &b);
                }
                Step::Forge { how } => {
                    let blob = forge(&space, &devices[0], how);
                    network.push(blob.clone());
                    log.push(blob);
                    forged += 1;
                }
            }
        }

        // Everyone comes online, sends, and eventually receives everything, in any order.
        for device in devices.iter_mut().take(count) {
            send(&space, device, &mut network, &mut log);
        }
        let mut rejected = 0;
        for (d, device) in devices.iter_mut().enumerate() {
            let mut everything = log.clone();
            shuffle(&mut everything, seed.wrapping_add(d as u64 + 1) | 1);
            for blob in &everything {
                if !receive(&space, device, blob) {
                    rejected += 1;
                }
            }
        }
        prop_assert_eq!(rejected, forged * count, "every forgery is refused by every device");

        let reference = devices[0].journal.entries();
        let text: String = reference.iter().map(|e| e.body.clone()).collect::<Vec<_>>().join("\n");
        for device in &devices[1..] {
            prop_assert_eq!(&device.journal.entries(), &reference);
        }
        for token in devices.iter().flat_map(|d| &d.typed) {
            prop_assert!(text.split_whitespace().any(|w| w == token), "{} was lost", token);
        }
        prop_assert!(!text.contains("FORGED"));
    }
}
