//! Who this device is and which spaces it belongs to: the device's signing and agreement keys,
//! the person's recovery key, and for each space how this device holds it (a governed space's
//! membership log and epoch keys; for spaces from before governed spaces, their secret or
//! reader keys). Kept in IndexedDB (the `kv` store), never in localStorage or cookies.
//!
//! - `governed.rs`: a governed space as this device holds it: sealing, opening, who may write.
//! - `tend.rs`: membership changes: taking in operations, the upkeep they call for, and the
//!   changes people ask for (invites, removals, leaving, devices).
//! - `record.rs`: how all of it is kept.

mod governed;
mod record;
mod tend;

use amplify::{
    Cert, CohortRole, ContentKey, DeviceId, DeviceKey, DocId, Owner, Payload, PayloadKind, ReaderKeys,
    RegistrationKey, SealError, Sealed, SpaceId, SpaceKeys, SpaceSecret, encode_sealed,
    members::{Action, AgreementKey, MemberRole, Op, RecoveryKey, State},
};
use serde::{Deserialize, Serialize};

use self::record::SpaceRecord;
pub use self::{
    governed::{Governed, cohort_role, cohort_tag, side_tag},
    tend::{Opened, Taken},
};
use crate::storage::{Outgoing, Storage, StorageError};

/// What a space is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpaceKind {
    /// The person's own documents (journal, profile, a coach's private notes): only their
    /// devices hold this key.
    Personal,
    HomeGroup,
    /// One programme run: its members, calendar, showcase and the people in it.
    Cohort,
    /// A participant and their coach.
    Coaching,
}

/// How this device holds a space.
// A handful of these exist per device, so the larger variant costs nothing worth boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Access {
    /// Reads and writes; can invite others (a space from before governed spaces).
    Member(SpaceSecret),
    /// Reads only (a space from before governed spaces).
    Reader(ReaderKeys),
    /// A governed space: its membership log says what this device may do, and it reads with
    /// the epoch keys sealed to it.
    Governed(Governed),
}

/// A space this device belongs to.
#[derive(Debug, Clone)]
pub struct Joined {
    pub kind: SpaceKind,
    pub name: String,
    pub access: Access,
    /// For a cohort: this person's role in it. For coaching: which side they are on.
    pub role: Option<CohortRole>,
    pub side: Option<Owner>,
    /// This device's certificate for the space (for a governed space, a claim the relay
    /// checks against the log).
    pub cert: Cert,
    /// This device was removed from the space, or left it: what it holds stays, read-only.
    pub removed: bool,
    id: SpaceId,
    device: DeviceId,
    keys: Option<SpaceKeys>,
}

impl Joined {
    fn new(kind: SpaceKind, name: String, access: Access, device: &DeviceKey) -> Joined {
        let (id, keys, cert) = match &access {
            Access::Member(secret) => {
                let keys = secret.keys();
                (keys.id, Some(keys.clone()), keys.admit(device.id()))
            }
            Access::Reader(reader) => (reader.id, None, reader.admit(device.id())),
            Access::Governed(g) => (g.space(), None, Cert::governed(g.space(), device.id())),
        };
        Joined {
            kind,
            name,
            access,
            role: None,
            side: None,
            cert,
            removed: false,
            id,
            device: device.id(),
            keys,
        }
    }

    pub fn id(&self) -> SpaceId {
        self.id
    }

    /// The space's keys, if it is a space from before governed spaces and this device may
    /// write to it.
    pub fn keys(&self) -> Option<&SpaceKeys> {
        self.keys.as_ref()
    }

    pub fn secret(&self) -> Option<&SpaceSecret> {
        match &self.access {
            Access::Member(secret) => Some(secret),
            _ => None,
        }
    }

    pub fn governed(&self) -> Option<&Governed> {
        match &self.access {
            Access::Governed(g) => Some(g),
            _ => None,
        }
    }

    pub fn governed_mut(&mut self) -> Option<&mut Governed> {
        match &mut self.access {
            Access::Governed(g) => Some(g),
            _ => None,
        }
    }

    pub fn can_write(&self) -> bool {
        !self.removed
            && match &self.access {
                Access::Governed(g) => g.state().may_write(self.device),
                _ => self.keys.is_some(),
            }
    }

    /// Whether this device may manage the space's members (an admin of a governed space).
    pub fn can_manage(&self) -> bool {
        !self.removed
            && self
                .governed()
                .and_then(|g| g.state().member(self.device))
                .is_some_and(|m| m.role == MemberRole::Admin)
    }

    /// What document references in this space derive from.
    pub fn refs(&self) -> Option<ContentKey> {
        match &self.access {
            Access::Member(secret) => Some(secret.keys().content.clone()),
            Access::Reader(reader) => Some(reader.content.clone()),
            Access::Governed(g) => g.refs(),
        }
    }

    /// Verifies and decrypts a blob of this space (for a governed space, also whether its
    /// author may write it).
    ///
    /// # Errors
    /// Why the blob is refused.
    pub fn open(&self, blob: &Sealed) -> Result<Payload, SealError> {
        match &self.access {
            Access::Member(_) => blob.open(self.keys.as_ref().expect("members have keys")),
            Access::Reader(reader) => blob.open_as_reader(reader),
            Access::Governed(g) => g.open(self.kind, blob),
        }
    }

    /// Opens a blob this device sealed here and kept in its outbox (see [`Sealed::open_own`]).
    fn open_own(&self, blob: &Sealed) -> Option<Payload> {
        match &self.access {
            Access::Member(_) => {
                let content = &self.keys.as_ref()?.content;
                blob.open_own(content, std::slice::from_ref(content)).ok()
            }
            Access::Reader(_) => None,
            Access::Governed(g) => g.open_own(blob),
        }
    }

    /// Seals `payload` as `device`; `None` if this device may not write it here.
    fn seal(&self, device: &DeviceKey, payload: &Payload) -> Option<Sealed> {
        if !self.can_write() {
            return None;
        }
        match &self.access {
            Access::Governed(g) => {
                let doc = payload.doc.parse().ok()?;
                g.may_write_doc(self.kind, doc, device.id()).then(|| g.seal(device, payload))?
            }
            _ => Some(Sealed::seal(self.keys.as_ref()?, device, &self.cert, payload)),
        }
    }
}

/// This device's identity and spaces.
#[derive(Debug, Clone)]
pub struct Account {
    pub device: DeviceKey,
    /// What epoch keys of governed spaces are sealed to, for this device.
    pub agreement: AgreementKey,
    /// The person's recovery key (its code is shown in Settings), for a person whose own space
    /// is governed.
    pub recovery: Option<RecoveryKey>,
    pub spaces: Vec<Joined>,
    /// The programme's registration on the relay, if known: spaces are registered with it so
    /// the relay stores them.
    pub registration: Option<RegistrationKey>,
}

impl Account {
    /// Reads this device's account, or creates one (a new device key and a personal space).
    pub async fn load_or_create(storage: &Storage) -> Result<Account, StorageError> {
        if let Some(value) = storage.get_kv(record::KEY).await? {
            if let Some(mut account) = value.as_string().and_then(|json| Account::from_json(&json)) {
                account.load_logs(storage).await?;
                return Ok(account);
            }
            // An unreadable account is kept aside, never overwritten.
            storage.put_kv(&format!("{}.unreadable.{}", record::KEY, js_sys::Date::now()), &value).await?;
        }
        let account = Account::create();
        account.save(storage).await?;
        Ok(account)
    }

    /// A new person: a device key, a recovery key, and their own governed space.
    pub fn create() -> Account {
        let mut account = Account {
            device: DeviceKey::generate(),
            agreement: AgreementKey::generate(),
            recovery: Some(RecoveryKey::generate()),
            spaces: Vec::new(),
            registration: None,
        };
        account.create_governed(SpaceKind::Personal, "Your journal", 0);
        account
    }

    /// Starts a governed space with this device as its admin and a first key; in the person's
    /// own space, their recovery key is a member too. Returns its id.
    pub fn create_governed(&mut self, kind: SpaceKind, name: &str, tag: u8) -> SpaceId {
        let now = crate::platform::now().utc_ms;
        let person = (kind != SpaceKind::Personal).then(|| self.personal().id());
        let genesis = Op::create_space(&self.device, self.agreement.public(), person, tag, now);
        let space = genesis.space;
        let mut state = State::new(space);
        state.add(genesis).expect("a new space takes its genesis");
        if let (SpaceKind::Personal, Some(recovery)) = (kind, &self.recovery) {
            let add = Action::Add {
                device: recovery.device().id(),
                agreement: recovery.agreement().public(),
                person: space,
                role: MemberRole::Admin,
                tag,
            };
            state.add(Op::by_device(space, state.heads(), now, add, &self.device)).expect("an admin adds");
        }
        let (first, key) = state.rotate(&self.device, now);
        state.add(first).expect("an admin rotates");
        let governed = Governed::new(state, [(1, vec![key])].into_iter().collect());
        let joined = Joined::new(kind, name.to_owned(), Access::Governed(governed), &self.device);
        if kind == SpaceKind::Personal {
            self.spaces.retain(|s| s.kind != SpaceKind::Personal);
            self.spaces.insert(0, joined);
        } else {
            self.spaces.push(joined);
        }
        space
    }

    /// The person's own space.
    pub fn personal(&self) -> &Joined {
        self.spaces
            .iter()
            .find(|s| s.kind == SpaceKind::Personal)
            .expect("an account always has a personal space")
    }

    /// The person's id: their own space's id. The same on all their devices.
    pub fn person(&self) -> String {
        self.personal().id().to_string()
    }

    pub fn space(&self, id: SpaceId) -> Option<&Joined> {
        self.spaces.iter().find(|s| s.id() == id)
    }

    pub fn space_mut(&mut self, id: SpaceId) -> Option<&mut Joined> {
        self.spaces.iter_mut().find(|s| s.id() == id)
    }

    pub fn of_kind(&self, kind: SpaceKind) -> impl Iterator<Item = &Joined> {
        self.spaces.iter().filter(move |s| s.kind == kind)
    }

    /// The cohort this person is in, if any (a person takes part in one programme run at a
    /// time; the first joined and not left wins).
    pub fn cohort(&self) -> Option<&Joined> {
        self.of_kind(SpaceKind::Cohort)
            .find(|c| !c.removed)
            .or_else(|| self.of_kind(SpaceKind::Cohort).next())
    }

    /// The space a document belongs to (its own shared space, or the person's).
    pub fn space_for_doc(&self, doc: DocId) -> Option<&Joined> {
        match doc.space() {
            Some(space) => self.space(space),
            None => Some(self.personal()),
        }
    }

    /// Adds a space (a home group, a cohort, a coaching pair). Joining twice changes nothing.
    pub fn join(&mut self, kind: SpaceKind, name: &str, access: Access) -> SpaceId {
        let joined = Joined::new(kind, name.to_owned(), access, &self.device);
        let id = joined.id();
        match self.space_mut(id) {
            // Joined again after leaving: the new access replaces the old.
            Some(old) if old.removed => *old = joined,
            Some(_) => {}
            None => self.spaces.push(joined),
        }
        id
    }

    /// Seals `bytes` of local document `doc` for the relay, signed by this device; `None` if
    /// this device may not write the document (not a member, only a reader, or another
    /// person's document).
    pub fn seal(&self, doc: DocId, bytes: &[u8], kind: PayloadKind, covers: u64) -> Option<Outgoing> {
        let space = self.space_for_doc(doc)?;
        let payload = Payload { doc: doc.to_string(), kind, bytes: bytes.to_vec() };
        let sealed = space.seal(&self.device, &payload)?;
        Some(Outgoing { space: space.id().to_string(), bytes: encode_sealed(&sealed), covers })
    }

    /// Seals again, under the newest key, a blob this device sealed under an older epoch of a
    /// governed space. `None` if it cannot (not a blob of ours, or no newer key here yet).
    pub fn reseal(&self, blob: &Sealed) -> Option<Sealed> {
        let space = self.space(blob.space)?;
        let g = space.governed()?;
        if g.newest()?.0 <= blob.epoch {
            return None;
        }
        let payload = g.open_own(blob)?;
        space.seal(&self.device, &payload)
    }

    /// One blob carrying, in order, the changes of several blobs this device sealed for the
    /// same document, sealed under the space's newest key. `None` if any of them is not
    /// this device's plain changes to that one document, or cannot be opened here any more.
    pub fn coalesce(&self, blobs: &[Sealed]) -> Option<Sealed> {
        let first = blobs.first()?;
        let space = self.space(first.space)?;
        let mut payloads = Vec::with_capacity(blobs.len());
        for blob in blobs {
            if blob.author != self.device.id() || blob.space != first.space || blob.doc != first.doc {
                return None;
            }
            payloads.push(space.open_own(blob)?);
        }
        space.seal(&self.device, &Payload::fold(payloads)?)
    }

    /// What the person's other devices need to join the same spaces: every space but the
    /// personal one, as (space id, record) pairs for the keyring. A governed space's record
    /// holds no key: each device is given its own.
    pub fn keyring_records(&self) -> Vec<(String, String)> {
        self.spaces
            .iter()
            .filter(|s| s.kind != SpaceKind::Personal && !s.removed)
            .map(|s| {
                let record =
                    serde_json::to_string(&SpaceRecord::of(s, false)).expect("a space record serializes");
                (s.id().to_string(), record)
            })
            .collect()
    }

    /// Joins a space another of the person's devices recorded in the keyring. Returns it if it
    /// was new here; a damaged record, a personal space or a space whose key does not match
    /// its id is left alone.
    pub fn adopt(&mut self, space: &str, record: &str) -> Option<SpaceId> {
        let joined = serde_json::from_str::<SpaceRecord>(record).ok()?.joined(&self.device)?;
        let fresh = joined.kind != SpaceKind::Personal
            && joined.id().to_string() == space
            && self.space(joined.id()).is_none();
        fresh.then(|| {
            let id = joined.id();
            self.spaces.push(joined);
            id
        })
    }

    /// Sets this person's role in a cohort, or side in a coaching pair.
    pub fn set_roles(&mut self, space: SpaceId, role: Option<CohortRole>, side: Option<Owner>) {
        if let Some(joined) = self.space_mut(space) {
            joined.role = role.or(joined.role);
            joined.side = side.or(joined.side);
        }
    }

    /// Makes the person's own space this device's (linking it to another of the person's
    /// devices, or restoring it). Returns the old personal space's id, if it changed.
    pub fn link_personal(&mut self, access: Access, name: &str) -> Option<SpaceId> {
        let old = self.personal().id();
        let joined = Joined::new(SpaceKind::Personal, name.to_owned(), access, &self.device);
        if joined.id() == old {
            return None;
        }
        self.spaces.retain(|s| s.kind != SpaceKind::Personal);
        self.spaces.insert(0, joined);
        Some(old)
    }
}
