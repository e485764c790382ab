//! Space secrets and the keys derived from them, reader keys, and device keys.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{
    cert::{Cert, CertRole, challenge_bytes, grant_bytes},
    check::{SealError, verify},
    ids::{DeviceId, DocRef, SpaceId},
};

/// The 32 random bytes a space is born from. Invites and recovery codes carry it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SpaceSecret([u8; 32]);

impl SpaceSecret {
    pub fn generate() -> SpaceSecret {
        SpaceSecret(crate::random_bytes())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> SpaceSecret {
        SpaceSecret(bytes)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Derives the space's keys.
    pub fn keys(&self) -> SpaceKeys {
        let hkdf = Hkdf::<Sha256>::new(Some(b"amplify space v1"), &self.0);
        let mut content = [0u8; 32];
        let mut signing = [0u8; 32];
        let mut reader = [0u8; 32];
        hkdf.expand(b"content key", &mut content).expect("32 bytes is a valid HKDF length");
        hkdf.expand(b"signing key", &mut signing).expect("32 bytes is a valid HKDF length");
        hkdf.expand(b"reader key", &mut reader).expect("32 bytes is a valid HKDF length");
        let signing = SigningKey::from_bytes(&signing);
        SpaceKeys {
            id: SpaceId(signing.verifying_key().to_bytes()),
            content: ContentKey(content),
            signing,
            reader: SigningKey::from_bytes(&reader),
        }
    }
}

impl fmt::Debug for SpaceSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpaceSecret(…)")
    }
}

/// The key that encrypts a space's documents.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct ContentKey(pub(crate) [u8; 32]);

impl fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentKey(…)")
    }
}

impl ContentKey {
    /// The opaque reference under which the relay files the document `local_id`: a keyed hash,
    /// so the relay cannot tell a journal from a canvas, and two spaces' references never meet.
    ///
    /// The hash is keyed with a key of its own, derived from the content key (readers, who hold
    /// only the content key, derive it too): the encryption key is used for nothing else.
    pub fn doc_ref(&self, local_id: &str) -> DocRef {
        let hkdf = Hkdf::<Sha256>::new(Some(b"amplify doc ref key v2"), &self.0);
        let mut key = [0u8; 32];
        hkdf.expand(b"doc ref", &mut key).expect("32 bytes is a valid HKDF length");
        let reference = doc_ref_under(&key, b"amplify doc ref v2\0", local_id);
        key.zeroize();
        reference
    }

    /// The reference version 1 used: the same hash keyed with the content key itself. Blobs
    /// filed under it before the change still open; nothing new is filed under it.
    pub fn legacy_doc_ref(&self, local_id: &str) -> DocRef {
        doc_ref_under(&self.0, b"amplify doc ref v1\0", local_id)
    }

    /// Whether `doc` is `local_id`'s reference, current or legacy.
    pub(super) fn files(&self, doc: DocRef, local_id: &str) -> bool {
        self.doc_ref(local_id) == doc || self.legacy_doc_ref(local_id) == doc
    }
}

fn doc_ref_under(key: &[u8], label: &[u8], local_id: &str) -> DocRef {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label);
    mac.update(local_id.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    DocRef(id)
}

/// A space's keys, derived from its secret.
#[derive(Clone)]
pub struct SpaceKeys {
    pub id: SpaceId,
    pub content: ContentKey,
    signing: SigningKey,
    /// Admits readers on the space's behalf (see [`ReaderKeys`]).
    reader: SigningKey,
}

impl fmt::Debug for SpaceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpaceKeys").field("id", &self.id).finish_non_exhaustive()
    }
}

impl SpaceKeys {
    /// Admits `device` to the space as a member: it may read and write.
    pub fn admit(&self, device: DeviceId) -> Cert {
        let signature = self.signing.sign(&Cert::signed_bytes(self.id, device, CertRole::Member)).to_bytes();
        Cert { space: self.id, device, role: CertRole::Member, signer: self.id.0, signature, grant: None }
    }

    /// The space's signed request that the relay erase everything it holds for it (whoever holds
    /// the space's secret may ask: the person whose own space it is).
    pub fn erase_request(&self) -> [u8; 64] {
        self.signing.sign(&erase_bytes(self.id)).to_bytes()
    }

    /// What a read-only invite carries: enough to read the space and to admit one's own devices
    /// as readers, and nothing that writes or admits members.
    pub fn reader_keys(&self) -> ReaderKeys {
        let reader = self.reader.verifying_key().to_bytes();
        let grant = self.signing.sign(&grant_bytes(self.id, &reader)).to_bytes();
        ReaderKeys { id: self.id, content: self.content.clone(), reader: self.reader.clone(), grant }
    }
}

/// A read-only capability for a space: its content key, and a reader key the space granted the
/// right to admit readers.
#[derive(Clone)]
pub struct ReaderKeys {
    pub id: SpaceId,
    pub content: ContentKey,
    reader: SigningKey,
    grant: [u8; 64],
}

impl fmt::Debug for ReaderKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReaderKeys").field("id", &self.id).finish_non_exhaustive()
    }
}

impl PartialEq for ReaderKeys {
    fn eq(&self, other: &ReaderKeys) -> bool {
        self.to_bytes() == other.to_bytes()
    }
}

impl Eq for ReaderKeys {}

impl ReaderKeys {
    /// Admits `device` to the space as a reader.
    pub fn admit(&self, device: DeviceId) -> Cert {
        let signature = self.reader.sign(&Cert::signed_bytes(self.id, device, CertRole::Reader)).to_bytes();
        let signer = self.reader.verifying_key().to_bytes();
        Cert { space: self.id, device, role: CertRole::Reader, signer, signature, grant: Some(self.grant) }
    }

    /// Space id, content key, reader key, grant: 160 bytes, for an invite.
    pub fn to_bytes(&self) -> Vec<u8> {
        [&self.id.0[..], &self.content.0, &self.reader.to_bytes(), &self.grant].concat()
    }

    /// Reads what [`ReaderKeys::to_bytes`] wrote, checking that the space granted the key.
    ///
    /// # Errors
    /// [`SealError::BadCert`] if the bytes do not hold a granted reader key.
    pub fn from_bytes(bytes: &[u8]) -> Result<ReaderKeys, SealError> {
        if bytes.len() != 160 {
            return Err(SealError::BadCert);
        }
        let array =
            |range: std::ops::Range<usize>| -> [u8; 32] { bytes[range].try_into().expect("32 bytes") };
        let keys = ReaderKeys {
            id: SpaceId(array(0..32)),
            content: ContentKey(array(32..64)),
            reader: SigningKey::from_bytes(&array(64..96)),
            grant: bytes[96..160].try_into().expect("64 bytes"),
        };
        verify(&keys.id.0, &grant_bytes(keys.id, &keys.reader.verifying_key().to_bytes()), &keys.grant)
            .map_err(|_| SealError::BadCert)?;
        Ok(keys)
    }
}

/// A device's signing key. Kept on the device (in IndexedDB), never sent anywhere.
#[derive(Clone)]
pub struct DeviceKey(pub(super) SigningKey);

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceKey({:?})", self.id())
    }
}

impl DeviceKey {
    pub fn generate() -> DeviceKey {
        DeviceKey(SigningKey::from_bytes(&crate::random_bytes()))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> DeviceKey {
        DeviceKey(SigningKey::from_bytes(&bytes))
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn id(&self) -> DeviceId {
        DeviceId(self.0.verifying_key().to_bytes())
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.0
    }

    /// Signs the relay's challenge, proving this connection holds the device key.
    pub fn sign_challenge(&self, nonce: &[u8; 32]) -> [u8; 64] {
        self.0.sign(&challenge_bytes(nonce, self.id())).to_bytes()
    }

    /// This device's request that the relay erase the governed space `space` (it must be one
    /// of the space's admins).
    pub fn erase_request(&self, space: SpaceId) -> [u8; 64] {
        self.0.sign(&erase_bytes(space)).to_bytes()
    }
}

/// What a space signs to have the relay erase it.
pub(crate) fn erase_bytes(space: SpaceId) -> Vec<u8> {
    [&b"amplify erase v1\0"[..], &space.0].concat()
}

/// Whether `signature` is a request to erase `space`, signed by `signer`: the space's own key
/// (a space from before governed spaces) or, for a governed space, one of its admin devices.
pub fn verify_erase(space: SpaceId, signer: &[u8; 32], signature: &[u8; 64]) -> bool {
    verify(signer, &erase_bytes(space), signature).is_ok()
}
