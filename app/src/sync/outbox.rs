//! Sending the outbox, and what the relay answers: acknowledged, refused for now, or never.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use amplify::{ClientFrame, DocRef, Reject, Sealed, SpaceId, decode_sealed, encode_sealed};
use leptos::{prelude::*, task::spawn_local};

use super::{
    Problem,
    engine::{Engine, Event},
};
use crate::{
    platform::{self, warn},
    storage::Outgoing,
};

/// The most ciphertext one folded blob carries: well under the relay's largest frame.
const BATCH_BYTES: usize = 256 * 1024;

/// Queued blobs of one document, to be folded into one.
struct Run {
    space: String,
    doc: DocRef,
    /// Their ciphertext, in bytes.
    bytes: usize,
    keys: Vec<u32>,
    blobs: Vec<Sealed>,
}

impl Engine {
    /// Registers the spaces the relay does not store yet, with the programme's registration if
    /// this device has it; otherwise says so, once, for the person to act on.
    pub(super) fn register_spaces(&self) {
        let Some(account) = self.account() else { return };
        let waiting: Vec<SpaceId> = self.unregistered.borrow().iter().copied().collect();
        if waiting.is_empty() {
            return;
        }
        match &account.registration {
            Some(key) => {
                for space in waiting {
                    self.send(&ClientFrame::Register { registration: key.register(space) });
                }
                self.unregistered.borrow_mut().clear();
                if self.sync.problem.get_untracked() == Some(Problem::NotRegistered) {
                    self.sync.problem.set(None);
                }
            }
            None => self.sync.problem.set(Some(Problem::NotRegistered)),
        }
    }

    pub(super) async fn send_outbox(&self) {
        let Ok(items) = self.storage.outbox().await else { return };
        let items = self.coalesce(items).await;
        let spaces: HashSet<String> = self
            .account()
            .map(|a| a.spaces.iter().filter(|s| !s.removed).map(|s| s.id().to_string()).collect())
            .unwrap_or_default();
        let mut orphans = Vec::new();
        for (key, outgoing) in items {
            if self.in_flight.borrow().contains(&key) {
                continue;
            }
            let Ok(blob) = decode_sealed(&outgoing.bytes) else {
                orphans.push(key);
                continue;
            };
            if !spaces.contains(&outgoing.space) {
                // Queued for a space this device no longer belongs to.
                orphans.push(key);
                continue;
            }
            self.in_flight.borrow_mut().insert(key);
            let frame = match outgoing.covers {
                0 => ClientFrame::Put { request: key, blob },
                covers => ClientFrame::Snapshot { request: key, covers, blob },
            };
            self.send(&frame);
        }
        // On failure they stay queued and are skipped again next time.
        if !orphans.is_empty()
            && let Err(e) = self.storage.dequeue(&orphans).await
        {
            warn(&format!("could not drop blobs queued for spaces this device left: {e}"));
        }
        self.sync.waiting.set(self.storage.outbox_len().await.unwrap_or(0));
    }

    /// Folds the queued changes to each document into one blob (a few kilobytes per save, a
    /// batch of at most [`BATCH_BYTES`]): a week offline goes out as a handful of blobs, far
    /// below any rate limit, with one envelope each instead of one per save. Blobs already
    /// sent, snapshots and anything that cannot be opened again are left as they are.
    async fn coalesce(&self, items: Vec<(u32, Outgoing)>) -> Vec<(u32, Outgoing)> {
        let Some(account) = self.account() else { return items };
        let me = account.device.id();
        // The runs to fold, by document, in the order they were queued.
        let mut runs: Vec<Run> = Vec::new();
        for (key, outgoing) in &items {
            if outgoing.covers != 0 || self.in_flight.borrow().contains(key) {
                continue;
            }
            let Ok(blob) = decode_sealed(&outgoing.bytes) else { continue };
            if blob.author != me {
                continue;
            }
            let last = runs.iter_mut().rev().find(|r| r.space == outgoing.space && r.doc == blob.doc);
            match last {
                Some(run) if run.bytes + blob.ciphertext.len() <= BATCH_BYTES => {
                    run.bytes += blob.ciphertext.len();
                    run.keys.push(*key);
                    run.blobs.push(blob);
                }
                _ => runs.push(Run {
                    space: outgoing.space.clone(),
                    doc: blob.doc,
                    bytes: blob.ciphertext.len(),
                    keys: vec![*key],
                    blobs: vec![blob],
                }),
            }
        }
        let mut folded: HashMap<u32, Option<Outgoing>> = HashMap::new();
        for Run { space, keys, blobs, .. } in runs.into_iter().filter(|r| r.keys.len() > 1) {
            let Some(combined) = account.coalesce(&blobs) else { continue };
            let combined = Outgoing { space, bytes: encode_sealed(&combined), covers: 0 };
            match self.storage.coalesce(&keys, &combined).await {
                Ok(()) => {
                    folded.insert(keys[0], Some(combined));
                    folded.extend(keys[1..].iter().map(|k| (*k, None)));
                }
                // Sent one by one, as they were queued.
                Err(e) => warn(&format!("could not fold queued changes into one blob: {e}")),
            }
        }
        items
            .into_iter()
            .filter_map(|(key, outgoing)| match folded.remove(&key) {
                Some(combined) => combined.map(|c| (key, c)),
                None => Some((key, outgoing)),
            })
            .collect()
    }

    pub(super) async fn acknowledged(&self, request: u32, doc: DocRef, seq: u64) {
        self.in_flight.borrow_mut().remove(&request);
        if self.sync.problem.get_untracked().is_some() {
            // The relay takes changes again.
            self.sync.problem.set(None);
            *self.retry_full.borrow_mut() = Duration::from_secs(15);
        }
        let mut space = None;
        if let Ok(items) = self.storage.outbox().await
            && let Some((_, outgoing)) = items.iter().find(|(k, _)| *k == request)
        {
            space = SpaceId::parse(&outgoing.space);
            if let (Some(space), true) = (space, outgoing.covers > 0) {
                self.cursors.borrow_mut().entry(space, doc).snapshot(seq);
                self.snapshotting.borrow_mut().remove(&(space, doc));
            } else if let Some(space) = space {
                self.cursors.borrow_mut().entry(space, doc).past(seq, outgoing.bytes.len());
            }
        }
        if let Err(e) = self.storage.dequeue(&[request]).await {
            // Sent again next time; the relay knows it and answers with the same number.
            warn(&format!("could not drop an acknowledged blob from the outbox: {e}"));
        }
        self.count_waiting().await;
        if let Some(space) = space {
            // A withdrawn entry's text leaves the relay as soon as the withdrawal is stored.
            self.snapshot_if_due(space).await;
        }
    }

    pub(super) async fn rejected(&self, request: u32, code: Reject, message: &str) {
        web_sys::console::warn_1(&format!("the relay refused a request: {code:?}: {message}").into());
        if request == 0 {
            return;
        }
        self.in_flight.borrow_mut().remove(&request);
        let space = match self.storage.outbox().await {
            Ok(items) => {
                items.into_iter().find(|(k, _)| *k == request).and_then(|(_, o)| SpaceId::parse(&o.space))
            }
            Err(_) => None,
        };
        let retry = |after: Duration| {
            let events = self.events.clone();
            spawn_local(async move {
                platform::sleep(after).await;
                // Only fails once the engine has stopped: nothing left to nudge.
                let _stopped = events.unbounded_send(Event::Outbox);
            });
        };
        match code {
            // Not admitted yet (the certificate follows), or busy: keep it and try again shortly.
            Reject::NotAdmitted | Reject::RateLimited | Reject::Unavailable => retry(Duration::from_secs(5)),
            // The space's key changed: sealed again under the new one as soon as it is here.
            Reject::StaleEpoch => {
                if let Some(space) = space {
                    self.reseal(space).await;
                }
                retry(Duration::from_secs(5));
            }
            // Kept until the space is registered (the next connection registers it, if this
            // device has the registration by then).
            Reject::NotRegistered => {
                if let Some(space) = space {
                    self.unregistered.borrow_mut().insert(space);
                }
                self.register_spaces();
                if self.sync.problem.get_untracked().is_none() {
                    retry(Duration::from_secs(5));
                } else {
                    retry(Duration::from_secs(60));
                }
            }
            // Kept until someone makes room; tried again less and less often.
            Reject::SpaceFull | Reject::ProgrammeFull | Reject::DeviceFull | Reject::RelayFull => {
                let kind = space.and_then(|s| self.account().and_then(|a| a.space(s).map(|j| j.kind)));
                self.sync.problem.set(Some(Problem::Full { code, kind }));
                let after = *self.retry_full.borrow();
                *self.retry_full.borrow_mut() = (after * 2).min(Duration::from_secs(300));
                retry(after);
            }
            _ => {
                // It can never succeed; keeping it would block nothing but would count forever.
                if let Err(e) = self.storage.dequeue(&[request]).await {
                    warn(&format!("could not drop a refused blob from the outbox: {e}"));
                }
                self.count_waiting().await;
            }
        }
    }
}
