//! How the account is kept in the `kv` store: one JSON record (keys in hex), and each governed
//! space's membership log as bytes under `members/<space>`.

use std::collections::BTreeMap;

use amplify::{
    CohortRole, DeviceKey, Owner, ReaderKeys, RegistrationKey, SpaceId, SpaceSecret,
    members::{AgreementKey, EpochKey, RecoveryKey, State, decode_ops, encode_ops},
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use super::{Access, Account, Governed, Joined, SpaceKind};
use crate::{
    platform::warn,
    storage::{Storage, StorageError},
};

pub(super) const KEY: &str = "account";

#[derive(Serialize, Deserialize)]
struct Record {
    device: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agreement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recovery: Option<String>,
    spaces: Vec<SpaceRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registration: Option<String>,
}

/// One space, as the account keeps it and as the keyring tells the person's other devices.
#[derive(Serialize, Deserialize)]
pub(super) struct SpaceRecord {
    kind: SpaceKind,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reader: Option<String>,
    /// A governed space: its id, and (on this device only, never in the keyring) the epoch keys
    /// this device holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    governed: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    keys: Vec<(u32, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<CohortRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    side: Option<Owner>,
    /// This device was removed from the space (or left it): its documents stay, read-only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    removed: bool,
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn array(s: &str) -> Option<[u8; 32]> {
    parse_hex(s)?.try_into().ok()
}

impl SpaceRecord {
    /// `with_keys`: the account's own record keeps this device's epoch keys; the keyring's
    /// does not (each device gets its own, sealed to it).
    pub(super) fn of(joined: &Joined, with_keys: bool) -> SpaceRecord {
        let (secret, reader, governed, keys) = match &joined.access {
            Access::Member(secret) => (Some(hex(&secret.to_bytes())), None, None, Vec::new()),
            Access::Reader(reader) => (None, Some(hex(&reader.to_bytes())), None, Vec::new()),
            Access::Governed(g) => {
                let keys = if with_keys {
                    g.key_records()
                        .iter()
                        .flat_map(|(epoch, ks)| ks.iter().map(|k| (*epoch, hex(&k.to_bytes()))))
                        .collect()
                } else {
                    Vec::new()
                };
                (None, None, Some(g.space().to_string()), keys)
            }
        };
        SpaceRecord {
            kind: joined.kind,
            name: joined.name.clone(),
            secret,
            reader,
            governed,
            keys,
            role: joined.role,
            side: joined.side,
            removed: joined.removed && with_keys,
        }
    }

    /// The space this record describes, for `device`; `None` if the record is damaged. A
    /// governed space's log is read separately ([`Account::load_logs`]).
    pub(super) fn joined(self, device: &DeviceKey) -> Option<Joined> {
        let access = match (self.secret, self.reader, self.governed) {
            (Some(secret), _, _) => Access::Member(SpaceSecret::from_bytes(array(&secret)?)),
            (None, Some(reader), _) => Access::Reader(ReaderKeys::from_bytes(&parse_hex(&reader)?).ok()?),
            (None, None, Some(space)) => {
                let space = SpaceId::parse(&space)?;
                let mut keys: BTreeMap<u32, Vec<EpochKey>> = BTreeMap::new();
                for (epoch, key) in &self.keys {
                    keys.entry(*epoch).or_default().push(EpochKey::from_bytes(array(key)?));
                }
                Access::Governed(Governed::new(State::new(space), keys))
            }
            (None, None, None) => return None,
        };
        let mut joined = Joined::new(self.kind, self.name, access, device);
        joined.role = self.role;
        joined.side = self.side;
        joined.removed = self.removed;
        Some(joined)
    }
}

fn members_key(space: SpaceId) -> String {
    format!("members/{space}")
}

impl Account {
    pub(super) fn to_json(&self) -> String {
        let record = Record {
            device: hex(&self.device.to_bytes()),
            agreement: Some(hex(&self.agreement.seed())),
            recovery: self.recovery.as_ref().map(|r| hex(&r.seed())),
            spaces: self.spaces.iter().map(|s| SpaceRecord::of(s, true)).collect(),
            registration: self.registration.as_ref().map(|r| hex(&r.seed())),
        };
        serde_json::to_string(&record).expect("the account serializes")
    }

    pub(super) fn from_json(json: &str) -> Option<Account> {
        let record: Record = serde_json::from_str(json).ok()?;
        let device = DeviceKey::from_bytes(array(&record.device)?);
        let spaces = record.spaces.into_iter().map(|s| s.joined(&device)).collect::<Option<Vec<_>>>()?;
        let registration =
            record.registration.and_then(|seed| Some(RegistrationKey::from_seed(array(&seed)?)));
        // Accounts from before governed spaces get their agreement key now.
        let agreement = match record.agreement {
            Some(seed) => AgreementKey::from_seed(array(&seed)?),
            None => AgreementKey::generate(),
        };
        let recovery = record.recovery.and_then(|seed| Some(RecoveryKey::from_seed(array(&seed)?)));
        spaces.iter().any(|s| s.kind == SpaceKind::Personal).then_some(Account {
            device,
            agreement,
            recovery,
            spaces,
            registration,
        })
    }

    /// Keeps the account, and every governed space's log that grew since it was last kept.
    pub async fn save(&self, storage: &Storage) -> Result<(), StorageError> {
        for joined in &self.spaces {
            if let Access::Governed(g) = &joined.access {
                let ops = g.state().ops();
                if ops.len() != g.saved.get() {
                    let bytes = encode_ops(&ops.into_iter().cloned().collect::<Vec<_>>());
                    let value = js_sys::Uint8Array::from(&bytes[..]);
                    storage.put_kv(&members_key(g.space()), &value.into()).await?;
                    g.saved.set(g.state().ops().len());
                }
            }
        }
        storage.put_kv(KEY, &JsValue::from_str(&self.to_json())).await
    }

    /// Reads every governed space's log (after the record).
    pub(super) async fn load_logs(&mut self, storage: &Storage) -> Result<(), StorageError> {
        let agreement = self.agreement.clone();
        let device = self.device.id();
        for joined in &mut self.spaces {
            let Access::Governed(g) = &mut joined.access else { continue };
            let Some(value) = storage.get_kv(&members_key(g.space())).await? else { continue };
            let bytes = js_sys::Uint8Array::new(&value).to_vec();
            match decode_ops(&bytes) {
                Ok(ops) => {
                    let (_, errors) = g.take(ops);
                    if !errors.is_empty() {
                        warn(&format!("{} stored membership operations no longer count", errors.len()));
                    }
                    g.saved.set(g.state().ops().len());
                    g.collect_keys(amplify::members::Recipient::Device(device), &agreement);
                }
                // The relay sends the whole log again on the next connection.
                Err(e) => {
                    warn(&format!("a space's membership log could not be read ({e}); it is fetched again"))
                }
            }
        }
        Ok(())
    }
}
