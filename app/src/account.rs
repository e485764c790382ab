//! Who this device is and which spaces it belongs to: the device's signing key and, for each
//! space, its secret (members) or its reader keys (read-only). Kept in IndexedDB (the `kv`
//! store), never in localStorage or cookies.

use amplify::{
    Cert, CohortRole, ContentKey, DeviceKey, DocId, Owner, Payload, PayloadKind, ReaderKeys, RegistrationKey,
    SealError, Sealed, SpaceId, SpaceKeys, SpaceSecret, encode_sealed,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Reads and writes; can invite others.
    Member(SpaceSecret),
    /// Reads only.
    Reader(ReaderKeys),
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
    /// This device's certificate for the space.
    pub cert: Cert,
    id: SpaceId,
    content: ContentKey,
    keys: Option<SpaceKeys>,
}

impl Joined {
    fn new(kind: SpaceKind, name: String, access: Access, device: &DeviceKey) -> Joined {
        let (id, content, keys, cert) = match &access {
            Access::Member(secret) => {
                let keys = secret.keys();
                (keys.id, keys.content.clone(), Some(keys.clone()), keys.admit(device.id()))
            }
            Access::Reader(reader) => (reader.id, reader.content.clone(), None, reader.admit(device.id())),
        };
        Joined { kind, name, access, role: None, side: None, cert, id, content, keys }
    }

    pub fn id(&self) -> SpaceId {
        self.id
    }

    /// The space's keys, if this device may write to it.
    pub fn keys(&self) -> Option<&SpaceKeys> {
        self.keys.as_ref()
    }

    pub fn secret(&self) -> Option<&SpaceSecret> {
        match &self.access {
            Access::Member(secret) => Some(secret),
            Access::Reader(_) => None,
        }
    }

    pub fn can_write(&self) -> bool {
        self.keys.is_some()
    }

    pub fn content(&self) -> &ContentKey {
        &self.content
    }

    /// Verifies and decrypts a blob of this space.
    ///
    /// # Errors
    /// Why the blob is refused.
    pub fn open(&self, blob: &Sealed) -> Result<Payload, SealError> {
        match &self.access {
            Access::Member(_) => blob.open(self.keys.as_ref().expect("members have keys")),
            Access::Reader(reader) => blob.open_as_reader(reader),
        }
    }
}

/// This device's identity and spaces.
#[derive(Debug, Clone)]
pub struct Account {
    pub device: DeviceKey,
    pub spaces: Vec<Joined>,
    /// The programme's registration on the relay, if known: spaces are registered with it so
    /// the relay stores them.
    pub registration: Option<RegistrationKey>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    device: String,
    spaces: Vec<SpaceRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registration: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct SpaceRecord {
    kind: SpaceKind,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reader: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<CohortRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    side: Option<Owner>,
}

impl SpaceRecord {
    fn of(joined: &Joined) -> SpaceRecord {
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        SpaceRecord {
            kind: joined.kind,
            name: joined.name.clone(),
            secret: joined.secret().map(|secret| hex(&secret.to_bytes())),
            reader: match &joined.access {
                Access::Reader(reader) => Some(hex(&reader.to_bytes())),
                Access::Member(_) => None,
            },
            role: joined.role,
            side: joined.side,
        }
    }

    /// The space this record describes, admitting `device`; `None` if the record is damaged.
    fn joined(self, device: &DeviceKey) -> Option<Joined> {
        let access = match (self.secret, self.reader) {
            (Some(secret), _) => {
                Access::Member(SpaceSecret::from_bytes(parse_hex(&secret)?.try_into().ok()?))
            }
            (None, Some(reader)) => Access::Reader(ReaderKeys::from_bytes(&parse_hex(&reader)?).ok()?),
            (None, None) => return None,
        };
        let mut joined = Joined::new(self.kind, self.name, access, device);
        joined.role = self.role;
        joined.side = self.side;
        Some(joined)
    }
}

const KEY: &str = "account";

impl Account {
    /// Reads this device's account, or creates one (a new device key and a personal space).
    pub async fn load_or_create(storage: &Storage) -> Result<Account, StorageError> {
        if let Some(value) = storage.get_kv(KEY).await? {
            if let Some(account) = value.as_string().and_then(|json| Account::from_json(&json)) {
                return Ok(account);
            }
            // An unreadable account is kept aside, never overwritten.
            storage.put_kv(&format!("{KEY}.unreadable.{}", js_sys::Date::now()), &value).await?;
        }
        let device = DeviceKey::generate();
        let personal = Joined::new(
            SpaceKind::Personal,
            "Your journal".to_owned(),
            Access::Member(SpaceSecret::generate()),
            &device,
        );
        let account = Account { device, spaces: vec![personal], registration: None };
        account.save(storage).await?;
        Ok(account)
    }

    pub async fn save(&self, storage: &Storage) -> Result<(), StorageError> {
        storage.put_kv(KEY, &JsValue::from_str(&self.to_json())).await
    }

    fn to_json(&self) -> String {
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let record = Record {
            device: hex(&self.device.to_bytes()),
            spaces: self.spaces.iter().map(SpaceRecord::of).collect(),
            registration: self.registration.as_ref().map(|r| hex(&r.seed())),
        };
        serde_json::to_string(&record).expect("the account serializes")
    }

    fn from_json(json: &str) -> Option<Account> {
        let record: Record = serde_json::from_str(json).ok()?;
        let device = DeviceKey::from_bytes(parse_hex(&record.device)?.try_into().ok()?);
        let spaces = record.spaces.into_iter().map(|s| s.joined(&device)).collect::<Option<Vec<_>>>()?;
        let registration = record
            .registration
            .and_then(|seed| Some(RegistrationKey::from_seed(parse_hex(&seed)?.try_into().ok()?)));
        spaces.iter().any(|s| s.kind == SpaceKind::Personal).then_some(Account {
            device,
            spaces,
            registration,
        })
    }

    /// The person's own space.
    pub fn personal(&self) -> &Joined {
        self.spaces
            .iter()
            .find(|s| s.kind == SpaceKind::Personal)
            .expect("an account always has a personal space")
    }

    /// The person's id: their own space's id, in hex. The same on all their devices.
    pub fn person(&self) -> String {
        self.personal().id().to_string()
    }

    pub fn space(&self, id: SpaceId) -> Option<&Joined> {
        self.spaces.iter().find(|s| s.id() == id)
    }

    pub fn of_kind(&self, kind: SpaceKind) -> impl Iterator<Item = &Joined> {
        self.spaces.iter().filter(move |s| s.kind == kind)
    }

    /// The cohort this person is in, if any (a person takes part in one programme run at a
    /// time; the first joined wins).
    pub fn cohort(&self) -> Option<&Joined> {
        self.of_kind(SpaceKind::Cohort).next()
    }

    /// The space a document belongs to (its own shared space, or the person's).
    pub fn space_for_doc(&self, doc: DocId) -> Option<&Joined> {
        match doc.space() {
            Some(space) => self.space(space),
            None => Some(self.personal()),
        }
    }

    /// Adds a space (a home group, a cohort, a coaching pair). Joining twice changes nothing
    /// but the role, if given.
    pub fn join(&mut self, kind: SpaceKind, name: &str, access: Access) -> SpaceId {
        let joined = Joined::new(kind, name.to_owned(), access, &self.device);
        let id = joined.id();
        if self.space(id).is_none() {
            self.spaces.push(joined);
        }
        id
    }

    /// Seals `bytes` of local document `doc` for the relay, signed by this device; `None` if
    /// this device may not write the document's space (not a member, or only a reader).
    pub fn seal(&self, doc: DocId, bytes: &[u8], kind: PayloadKind, covers: u64) -> Option<Outgoing> {
        let space = self.space_for_doc(doc)?;
        let payload = Payload { doc: doc.to_string(), kind, bytes: bytes.to_vec() };
        let sealed = Sealed::seal(space.keys()?, &self.device, &space.cert, &payload);
        Some(Outgoing { space: space.id().to_string(), bytes: encode_sealed(&sealed), covers })
    }

    /// What the person's other devices need to join the same spaces: every space but the
    /// personal one, as (space id, record) pairs for the keyring.
    pub fn keyring_records(&self) -> Vec<(String, String)> {
        self.spaces
            .iter()
            .filter(|s| s.kind != SpaceKind::Personal)
            .map(|s| {
                let record = serde_json::to_string(&SpaceRecord::of(s)).expect("a space record serializes");
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
        if let Some(joined) = self.spaces.iter_mut().find(|s| s.id() == space) {
            joined.role = role.or(joined.role);
            joined.side = side.or(joined.side);
        }
    }

    /// Makes `secret` this device's personal space (linking it to another of the person's
    /// devices). Returns the old personal space's id, if it changed.
    pub fn link_personal(&mut self, secret: SpaceSecret, name: &str) -> Option<SpaceId> {
        let old = self.personal().id();
        let joined = Joined::new(SpaceKind::Personal, name.to_owned(), Access::Member(secret), &self.device);
        if joined.id() == old {
            return None;
        }
        self.spaces.retain(|s| s.kind != SpaceKind::Personal);
        self.spaces.insert(0, joined);
        Some(old)
    }
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}
