//! Who this device is and which spaces it belongs to: the device's signing key and each
//! space's secret. Kept in IndexedDB (the `kv` store), never in localStorage or cookies.

use amplify::{Cert, DeviceKey, SpaceId, SpaceKeys, SpaceSecret};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use crate::storage::{Storage, StorageError};

/// What a space is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpaceKind {
    /// The person's own documents (journal, profile): only their devices hold this key.
    Personal,
    HomeGroup,
}

/// A space this device belongs to.
#[derive(Debug, Clone)]
pub struct Joined {
    pub kind: SpaceKind,
    pub name: String,
    pub secret: SpaceSecret,
    pub keys: SpaceKeys,
    /// This device's certificate for the space.
    pub cert: Cert,
}

impl Joined {
    fn new(kind: SpaceKind, name: String, secret: SpaceSecret, device: &DeviceKey) -> Joined {
        let keys = secret.keys();
        let cert = keys.admit(device.id());
        Joined { kind, name, secret, keys, cert }
    }

    pub fn id(&self) -> SpaceId {
        self.keys.id
    }
}

/// This device's identity and spaces.
#[derive(Debug, Clone)]
pub struct Account {
    pub device: DeviceKey,
    pub spaces: Vec<Joined>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    device: String,
    spaces: Vec<SpaceRecord>,
}

#[derive(Serialize, Deserialize)]
struct SpaceRecord {
    kind: SpaceKind,
    name: String,
    secret: String,
}

const KEY: &str = "account";

/// The local document id of a home group's shared document.
pub fn group_doc_id(space: SpaceId) -> String {
    format!("group/{space}")
}

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
        let personal =
            Joined::new(SpaceKind::Personal, "Your journal".to_owned(), SpaceSecret::generate(), &device);
        let account = Account { device, spaces: vec![personal] };
        account.save(storage).await?;
        Ok(account)
    }

    pub async fn save(&self, storage: &Storage) -> Result<(), StorageError> {
        storage.put_kv(KEY, &JsValue::from_str(&self.to_json())).await
    }

    fn to_json(&self) -> String {
        let record = Record {
            device: amplify_hex(&self.device.to_bytes()),
            spaces: self
                .spaces
                .iter()
                .map(|s| SpaceRecord {
                    kind: s.kind,
                    name: s.name.clone(),
                    secret: amplify_hex(&s.secret.to_bytes()),
                })
                .collect(),
        };
        serde_json::to_string(&record).expect("the account serializes")
    }

    fn from_json(json: &str) -> Option<Account> {
        let record: Record = serde_json::from_str(json).ok()?;
        let device = DeviceKey::from_bytes(parse_hex32(&record.device)?);
        let spaces = record
            .spaces
            .into_iter()
            .map(|s| {
                Some(Joined::new(s.kind, s.name, SpaceSecret::from_bytes(parse_hex32(&s.secret)?), &device))
            })
            .collect::<Option<Vec<_>>>()?;
        spaces.iter().any(|s| s.kind == SpaceKind::Personal).then_some(Account { device, spaces })
    }

    /// The person's own space.
    pub fn personal(&self) -> &Joined {
        self.spaces
            .iter()
            .find(|s| s.kind == SpaceKind::Personal)
            .expect("an account always has a personal space")
    }

    pub fn space(&self, id: SpaceId) -> Option<&Joined> {
        self.spaces.iter().find(|s| s.id() == id)
    }

    /// The space a local document belongs to.
    pub fn space_for_doc(&self, doc: &str) -> Option<&Joined> {
        if doc == "profile" || amplify::volume_month(doc).is_some() {
            return Some(self.personal());
        }
        let space = SpaceId::parse(doc.strip_prefix("group/")?)?;
        self.space(space)
    }

    /// Adds a space (a home group joined or created). Joining one twice changes nothing.
    pub fn join(&mut self, kind: SpaceKind, name: &str, secret: SpaceSecret) -> SpaceId {
        let joined = Joined::new(kind, name.to_owned(), secret, &self.device);
        let id = joined.id();
        if self.space(id).is_none() {
            self.spaces.push(joined);
        }
        id
    }

    /// Makes `secret` this device's personal space (linking it to another of the person's
    /// devices). Returns the old personal space's id, if it changed.
    pub fn link_personal(&mut self, secret: SpaceSecret, name: &str) -> Option<SpaceId> {
        let old = self.personal().id();
        let joined = Joined::new(SpaceKind::Personal, name.to_owned(), secret, &self.device);
        if joined.id() == old {
            return None;
        }
        self.spaces.retain(|s| s.kind != SpaceKind::Personal);
        self.spaces.insert(0, joined);
        Some(old)
    }
}

fn amplify_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    // SpaceId::parse reads exactly 64 hex digits into 32 bytes.
    SpaceId::parse(s).map(|id| id.0)
}
