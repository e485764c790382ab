//! How this device holds a governed space: the space's membership log (checked with the same
//! code the relay and every peer run) and the epoch keys this device was given.

use std::{cell::Cell, collections::BTreeMap, rc::Rc, sync::Arc};

use amplify::{
    ContentKey, DeviceId, DeviceKey, DocId, Payload, SealError, Sealed, SpaceId,
    members::{AgreementKey, EpochKey, MemberRole, Op, Recipient, State},
};

use super::SpaceKind;

/// The tag a cohort's log gives each member: their role in the programme.
pub fn cohort_tag(role: amplify::CohortRole) -> u8 {
    match role {
        amplify::CohortRole::Participant => 1,
        amplify::CohortRole::Coach => 2,
        amplify::CohortRole::ProgrammeTeam => 3,
        amplify::CohortRole::Executive => 4,
    }
}

pub fn cohort_role(tag: u8) -> Option<amplify::CohortRole> {
    amplify::CohortRole::ALL.into_iter().find(|r| cohort_tag(*r) == tag)
}

/// The tag a coaching pair's log gives each side.
pub fn side_tag(side: amplify::Owner) -> u8 {
    match side {
        amplify::Owner::Participant => 1,
        amplify::Owner::Coach => 2,
    }
}

/// A governed space as this device holds it.
#[derive(Debug, Clone)]
pub struct Governed {
    state: Arc<State>,
    /// The epoch keys this device holds, by epoch (two devices rotating at once make two).
    keys: BTreeMap<u32, Vec<EpochKey>>,
    /// How many operations are kept on the device (shared by clones of the account).
    pub(super) saved: Rc<Cell<usize>>,
}

impl Governed {
    pub fn new(state: State, keys: BTreeMap<u32, Vec<EpochKey>>) -> Governed {
        Governed { state: Arc::new(state), keys, saved: Rc::new(Cell::new(0)) }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn space(&self) -> SpaceId {
        self.state.space()
    }

    /// Every epoch key this device holds, oldest first.
    pub fn keys(&self) -> Vec<(u32, EpochKey)> {
        self.keys.iter().flat_map(|(epoch, keys)| keys.iter().map(|k| (*epoch, k.clone()))).collect()
    }

    pub(super) fn key_records(&self) -> &BTreeMap<u32, Vec<EpochKey>> {
        &self.keys
    }

    /// Keeps `key` for `epoch`. Returns whether it was new.
    pub fn keep_key(&mut self, epoch: u32, key: EpochKey) -> bool {
        let held = self.keys.entry(epoch).or_default();
        if held.contains(&key) {
            return false;
        }
        held.push(key);
        true
    }

    /// What document references are derived from: the space's first key, the same for every
    /// member whatever epoch they joined in.
    pub fn refs(&self) -> Option<ContentKey> {
        self.keys.values().next()?.first().map(EpochKey::content)
    }

    /// The newest epoch this device holds a key for.
    pub fn newest(&self) -> Option<(u32, &EpochKey)> {
        self.keys.iter().next_back().and_then(|(epoch, keys)| Some((*epoch, keys.first()?)))
    }

    /// Takes in operations (from the relay, or made here). Returns whether anything changed;
    /// operations that do not count are left out (the relay refused them too).
    pub fn take(&mut self, ops: Vec<Op>) -> (bool, Vec<String>) {
        let mut next = (*self.state).clone();
        let before = next.ops().len();
        let errors = next.add_all(ops);
        let changed = next.ops().len() != before;
        if changed {
            self.state = Arc::new(next);
        }
        (changed, errors.into_iter().map(|(_, e)| e.to_string()).collect())
    }

    /// Opens whatever keys the log has sealed for `recipient` with `key`. Returns how many were
    /// new.
    pub fn collect_keys(&mut self, recipient: Recipient, key: &AgreementKey) -> usize {
        let found = self.state.keys_for(recipient, key);
        found.into_iter().filter(|(epoch, k)| self.keep_key(*epoch, k.clone())).count()
    }

    /// Seals `payload` under the newest key this device holds. (If the space has rotated to a
    /// key not here yet, the relay refuses it as stale and it is sealed again once the key
    /// arrives.)
    pub fn seal(&self, device: &DeviceKey, payload: &Payload) -> Option<Sealed> {
        let refs = self.refs()?;
        let (epoch, key) = self.newest()?;
        Some(Sealed::seal_governed(self.space(), &refs, epoch, &key.content(), device, payload))
    }

    /// Opens a blob of this space: its signature, a key for its epoch, and whether its author
    /// may write it (a member writer then, and for a cohort's documents, the right person).
    pub fn open(&self, kind: SpaceKind, blob: &Sealed) -> Result<Payload, SealError> {
        let refs = self.refs().ok_or(SealError::Undecryptable)?;
        let keys: Vec<ContentKey> = self
            .keys
            .get(&blob.epoch)
            .map(|ks| ks.iter().map(EpochKey::content).collect())
            .unwrap_or_default();
        let payload = blob.open_governed(&refs, &keys)?;
        if !self.state.accepts(blob.author, blob.epoch) {
            return Err(SealError::NotAWriter);
        }
        let doc = payload.doc.parse::<DocId>().map_err(|_| SealError::Undecryptable)?;
        if !self.may_write_doc(kind, doc, blob.author) {
            return Err(SealError::NotTheirs);
        }
        Ok(payload)
    }

    /// Opens a blob this device sealed itself (to seal it again under a newer key).
    pub fn open_own(&self, blob: &Sealed) -> Option<Payload> {
        let refs = self.refs()?;
        let keys: Vec<ContentKey> = self.keys.get(&blob.epoch)?.iter().map(EpochKey::content).collect();
        blob.open_own(&refs, &keys).ok()
    }

    /// Whether `author` may write `doc`: in a cohort only the programme team (its admins)
    /// changes the cohort document, a person card or a published story only its person, and an
    /// executive viewer nothing but their own card (their name).
    pub fn may_write_doc(&self, kind: SpaceKind, doc: DocId, author: DeviceId) -> bool {
        let executive =
            self.state.member(author).is_some_and(|m| m.tag == cohort_tag(amplify::CohortRole::Executive));
        if kind == SpaceKind::Cohort && executive && !matches!(doc, DocId::PersonCard(..)) {
            return false;
        }
        match (kind, doc) {
            (SpaceKind::Cohort, DocId::Cohort(_)) => {
                self.state.member(author).is_some_and(|m| m.role == MemberRole::Admin)
            }
            (SpaceKind::Cohort, DocId::PersonCard(_, person) | DocId::Story(_, person)) => {
                self.state.person_of(author) == Some(person)
            }
            _ => true,
        }
    }
}
