//! Keys, membership and sealed blobs: what lets a content-blind relay store and forward changes
//! that only a space's members can read, and that only its admitted devices can write.
//!
//! - A **space** (a person's own documents, a coaching pair, a home group, a cohort) is born from
//!   a 32-byte [`SpaceSecret`]. From it derive, with HKDF-SHA256, the content key
//!   (XChaCha20-Poly1305) and the space signing key (Ed25519). The space's id *is* its verifying
//!   key, so anyone can check a signature by the space without asking anybody.
//! - A **device** has its own Ed25519 key. A [`Cert`] signed by the space key admits a device to
//!   the space. Whoever holds the space secret (from an invite link or a recovery code) can
//!   admit their own devices; whoever does not can neither read nor write.
//! - A [`Sealed`] blob is a payload encrypted with the content key, tagged with the space, an
//!   opaque document reference and the author, carrying the author's certificate, and signed by
//!   the author's device key. The relay verifies admission and signature without the content
//!   key; members also decrypt.

use std::fmt;

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload as Aad},
};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Why a sealed blob or a certificate was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SealError {
    #[error("the certificate is not signed by the space")]
    BadCert,
    #[error("the certificate admits another device than the blob's author")]
    CertNotAuthor,
    #[error("the certificate is for another space")]
    CertOtherSpace,
    #[error("the author's signature does not verify")]
    BadSignature,
    #[error("the blob cannot be decrypted with this space's key")]
    Undecryptable,
    #[error("a key is not a valid Ed25519 point")]
    BadKey,
    #[error("the author may read this space but not write to it")]
    ReadOnly,
}

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
pub struct ContentKey([u8; 32]);

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
    fn files(&self, doc: DocRef, local_id: &str) -> bool {
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
        let signature = self.signing.sign(&Cert::signed_bytes(self.id, device, Role::Member)).to_bytes();
        Cert { space: self.id, device, role: Role::Member, signer: self.id.0, signature, grant: None }
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
        let signature = self.reader.sign(&Cert::signed_bytes(self.id, device, Role::Reader)).to_bytes();
        let signer = self.reader.verifying_key().to_bytes();
        Cert { space: self.id, device, role: Role::Reader, signer, signature, grant: Some(self.grant) }
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

fn grant_bytes(space: SpaceId, reader: &[u8; 32]) -> Vec<u8> {
    [&b"amplify reader grant v1\0"[..], &space.0, reader].concat()
}

/// What a certificate allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Reads and writes.
    Member,
    /// Reads only: the relay and every member refuse what a reader signs.
    Reader,
}

/// Identifies a space: its Ed25519 verifying key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpaceId(pub [u8; 32]);

/// Identifies a device: its Ed25519 verifying key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(pub [u8; 32]);

/// How the relay files a document: 16 bytes that mean nothing without the content key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocRef(pub [u8; 16]);

macro_rules! hex_debug {
    ($($t:ident),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Eight hex digits are enough to tell ids apart in logs.
                write!(f, "{}({}…)", stringify!($t), &crate::hex(&self.0)[..8])
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&crate::hex(&self.0))
            }
        }
        impl $t {
            /// Reads what `Display` wrote.
            pub fn parse(s: &str) -> Option<$t> {
                crate::parse_hex(s).map($t)
            }
        }
    )*};
}
hex_debug!(SpaceId, DeviceId, DocRef);

/// A device's signing key. Kept on the device (in IndexedDB), never sent anywhere.
#[derive(Clone)]
pub struct DeviceKey(SigningKey);

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

    /// Signs the relay's challenge, proving this connection holds the device key.
    pub fn sign_challenge(&self, nonce: &[u8; 32]) -> [u8; 64] {
        self.0.sign(&challenge_bytes(nonce, self.id())).to_bytes()
    }
}

fn challenge_bytes(nonce: &[u8; 32], device: DeviceId) -> Vec<u8> {
    [&b"amplify relay auth v1\0"[..], nonce, &device.0].concat()
}

/// Checks a device's answer to the relay's challenge.
///
/// # Errors
/// [`SealError::BadKey`] or [`SealError::BadSignature`].
pub fn verify_challenge(nonce: &[u8; 32], device: DeviceId, signature: &[u8; 64]) -> Result<(), SealError> {
    verify(&device.0, &challenge_bytes(nonce, device), signature)
}

fn verify(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Result<(), SealError> {
    let key = VerifyingKey::from_bytes(key).map_err(|_| SealError::BadKey)?;
    key.verify_strict(message, &Signature::from_bytes(signature)).map_err(|_| SealError::BadSignature)
}

/// A space's statement that a device may read it, and write to it if a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cert {
    pub space: SpaceId,
    pub device: DeviceId,
    pub role: Role,
    /// Who signed: the space itself for members, a granted reader key for readers.
    pub signer: [u8; 32],
    pub signature: [u8; 64],
    /// For readers: the space's grant of `signer`.
    pub grant: Option<[u8; 64]>,
}

impl Cert {
    fn signed_bytes(space: SpaceId, device: DeviceId, role: Role) -> Vec<u8> {
        let role = match role {
            Role::Member => 1u8,
            Role::Reader => 2,
        };
        [&b"amplify cert v2\0"[..], &space.0, &device.0, &[role]].concat()
    }

    /// Checks that the space signed this certificate, directly (members) or through a reader
    /// key it granted (readers).
    ///
    /// # Errors
    /// [`SealError::BadCert`] if not.
    pub fn verify(&self) -> Result<(), SealError> {
        let signed = Cert::signed_bytes(self.space, self.device, self.role);
        let checked = match (self.role, self.grant) {
            (Role::Member, None) if self.signer == self.space.0 => {
                verify(&self.space.0, &signed, &self.signature)
            }
            (Role::Reader, Some(grant)) => {
                verify(&self.space.0, &grant_bytes(self.space, &self.signer), &grant)
                    .and_then(|()| verify(&self.signer, &signed, &self.signature))
            }
            _ => Err(SealError::BadCert),
        };
        checked.map_err(|_| SealError::BadCert)
    }
}

/// What a sealed blob carries, once opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The document's id on devices (`journal/2026-11`); the relay only sees its [`DocRef`].
    pub doc: String,
    pub kind: PayloadKind,
    /// Automerge bytes: incremental changes, or a whole saved document.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    Changes,
    Snapshot,
    /// "I am looking at this document": passed on live, never stored.
    Presence,
}

/// An encrypted, signed blob: all the relay ever sees of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub space: SpaceId,
    pub doc: DocRef,
    pub author: DeviceId,
    pub cert: Cert,
    pub nonce: [u8; 24],
    pub ciphertext: Vec<u8>,
    pub signature: [u8; 64],
}

impl Sealed {
    /// Encrypts `payload` for `space` and signs it as `device`, admitted by `cert`.
    pub fn seal(space: &SpaceKeys, device: &DeviceKey, cert: &Cert, payload: &Payload) -> Sealed {
        let doc = space.content.doc_ref(&payload.doc);
        let nonce: [u8; 24] = crate::random_bytes();
        let header = header_bytes(space.id, doc, device.id());
        let plaintext = crate::wire::encode_payload(payload);
        let cipher = XChaCha20Poly1305::new(&space.content.0.into());
        let ciphertext = cipher
            .encrypt(&XNonce::from(nonce), Aad { msg: &plaintext, aad: &header })
            .expect("encryption into a Vec cannot fail");
        let signature = device.0.sign(&signed_bytes(&header, &nonce, &ciphertext)).to_bytes();
        Sealed { space: space.id, doc, author: device.id(), cert: *cert, nonce, ciphertext, signature }
    }

    /// What the relay checks: the space admitted the author, and the author signed the blob.
    ///
    /// # Errors
    /// Which check failed.
    pub fn verify(&self) -> Result<(), SealError> {
        if self.cert.space != self.space {
            return Err(SealError::CertOtherSpace);
        }
        if self.cert.device != self.author {
            return Err(SealError::CertNotAuthor);
        }
        self.cert.verify()?;
        self.verify_signature()
    }

    /// Verifies, then decrypts with a reader's keys.
    ///
    /// # Errors
    /// As [`Sealed::open`].
    pub fn open_as_reader(&self, reader: &ReaderKeys) -> Result<Payload, SealError> {
        self.open_with(reader.id, &reader.content)
    }

    /// Only the author's signature, for a certificate the caller already checked (the relay
    /// checks each connection's certificates once). Still refuses a certificate that does not
    /// name this blob's space and author.
    ///
    /// # Errors
    /// [`SealError::CertOtherSpace`], [`SealError::CertNotAuthor`] or [`SealError::BadSignature`].
    pub fn verify_signature(&self) -> Result<(), SealError> {
        if self.cert.space != self.space {
            return Err(SealError::CertOtherSpace);
        }
        if self.cert.device != self.author {
            return Err(SealError::CertNotAuthor);
        }
        if self.cert.role != Role::Member {
            return Err(SealError::ReadOnly);
        }
        let header = header_bytes(self.space, self.doc, self.author);
        verify(&self.author.0, &signed_bytes(&header, &self.nonce, &self.ciphertext), &self.signature)
    }

    /// Verifies the blob, then decrypts it with the space's key.
    ///
    /// # Errors
    /// Any [`Sealed::verify`] failure, [`SealError::Undecryptable`] if the key does not fit or the
    /// ciphertext was altered, and [`SealError::Undecryptable`] if the payload inside is malformed
    /// or filed under a reference that does not match its document.
    pub fn open(&self, space: &SpaceKeys) -> Result<Payload, SealError> {
        self.open_with(space.id, &space.content)
    }

    fn open_with(&self, space: SpaceId, content: &ContentKey) -> Result<Payload, SealError> {
        self.verify()?;
        if self.space != space {
            return Err(SealError::CertOtherSpace);
        }
        let header = header_bytes(self.space, self.doc, self.author);
        let cipher = XChaCha20Poly1305::new(&content.0.into());
        let plaintext = cipher
            .decrypt(&XNonce::from(self.nonce), Aad { msg: &self.ciphertext, aad: &header })
            .map_err(|_| SealError::Undecryptable)?;
        let payload = crate::wire::decode_payload(&plaintext).map_err(|_| SealError::Undecryptable)?;
        // A member could file a document's changes under another document's reference; the
        // reference is derived from the id inside, so a mismatch is refused.
        if !content.files(self.doc, &payload.doc) {
            return Err(SealError::Undecryptable);
        }
        Ok(payload)
    }
}

fn header_bytes(space: SpaceId, doc: DocRef, author: DeviceId) -> Vec<u8> {
    [&b"amplify sealed v1\0"[..], &space.0, &doc.0, &author.0].concat()
}

fn signed_bytes(header: &[u8], nonce: &[u8; 24], ciphertext: &[u8]) -> Vec<u8> {
    [header, nonce, ciphertext].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> Payload {
        Payload { doc: "journal/2026-11".to_owned(), kind: PayloadKind::Changes, bytes: b"changes".to_vec() }
    }

    #[test]
    fn a_member_seals_and_another_member_opens() {
        let secret = SpaceSecret::generate();
        let (space, device) = (secret.keys(), DeviceKey::generate());
        let sealed = Sealed::seal(&space, &device, &space.admit(device.id()), &payload());
        assert_eq!(sealed.verify(), Ok(()));
        // Another device with the same secret (an invite, a recovery code) reads it.
        let elsewhere = SpaceSecret::from_bytes(secret.to_bytes()).keys();
        assert_eq!(sealed.open(&elsewhere), Ok(payload()));
    }

    #[test]
    fn the_relay_sees_no_plaintext_and_no_document_name() {
        let space = SpaceSecret::generate().keys();
        let device = DeviceKey::generate();
        let mut p = payload();
        p.bytes = b"MARKER-in-my-private-journal".to_vec();
        let sealed = Sealed::seal(&space, &device, &space.admit(device.id()), &p);
        let wire = crate::wire::encode_sealed(&sealed);
        for needle in [&b"MARKER"[..], b"journal", b"2026-11"] {
            assert!(!wire.windows(needle.len()).any(|w| w == needle));
        }
    }

    #[test]
    fn every_forgery_is_refused() {
        let space = SpaceSecret::generate().keys();
        let device = DeviceKey::generate();
        let cert = space.admit(device.id());
        let good = Sealed::seal(&space, &device, &cert, &payload());

        let mut tampered = good.clone();
        tampered.ciphertext[0] ^= 1;
        assert_eq!(tampered.verify(), Err(SealError::BadSignature));

        // A device the space never admitted, signing with a certificate it made itself.
        let other_space = SpaceSecret::generate().keys();
        let intruder = DeviceKey::generate();
        let mut self_made = Sealed::seal(&space, &intruder, &other_space.admit(intruder.id()), &payload());
        assert_eq!(self_made.verify(), Err(SealError::CertOtherSpace));
        self_made.cert.space = space.id;
        assert_eq!(self_made.verify(), Err(SealError::BadCert));

        // A stolen certificate, used by another device.
        let thief = Sealed::seal(&space, &intruder, &cert, &payload());
        assert_eq!(thief.verify(), Err(SealError::CertNotAuthor));

        // Someone without the content key cannot read it.
        assert_eq!(good.open(&other_space), Err(SealError::CertOtherSpace));
        let mut rekeyed = good.clone();
        rekeyed.space = other_space.id;
        rekeyed.cert = other_space.admit(device.id());
        assert!(rekeyed.open(&other_space).is_err());
    }

    #[test]
    fn readers_read_but_what_they_sign_is_refused() {
        let space = SpaceSecret::generate().keys();
        let member = DeviceKey::generate();
        let written = Sealed::seal(&space, &member, &space.admit(member.id()), &payload());

        // The executive's invite carries reader keys only.
        let reader = ReaderKeys::from_bytes(&space.reader_keys().to_bytes()).unwrap();
        let executive = DeviceKey::generate();
        let cert = reader.admit(executive.id());
        assert_eq!(cert.verify(), Ok(()), "the space admits the reader");
        assert_eq!(written.open_as_reader(&reader), Ok(payload()));

        let attempt = Sealed::seal(&space, &executive, &cert, &payload());
        assert_eq!(attempt.verify(), Err(SealError::ReadOnly));
        assert_eq!(attempt.open(&space), Err(SealError::ReadOnly));

        // A reader key the space never granted admits nobody.
        let mut forged = cert;
        forged.grant = Some([0; 64]);
        assert_eq!(forged.verify(), Err(SealError::BadCert));
        let mut promoted = cert;
        promoted.role = Role::Member;
        assert_eq!(promoted.verify(), Err(SealError::BadCert), "a reader cannot make itself a member");
        let mut bytes = space.reader_keys().to_bytes();
        bytes[100] ^= 1;
        assert!(ReaderKeys::from_bytes(&bytes).is_err());
    }

    #[test]
    fn doc_refs_depend_on_the_space() {
        let (a, b) = (SpaceSecret::generate().keys(), SpaceSecret::generate().keys());
        assert_eq!(a.content.doc_ref("profile"), a.content.doc_ref("profile"));
        assert_ne!(a.content.doc_ref("profile"), b.content.doc_ref("profile"));
        assert_ne!(a.content.doc_ref("profile"), a.content.doc_ref("journal/2026-11"));
    }

    /// `payload` sealed by `device` but filed under `doc`, as a client with other rules would.
    fn sealed_under(space: &SpaceKeys, device: &DeviceKey, doc: DocRef) -> Sealed {
        let mut blob = Sealed::seal(space, device, &space.admit(device.id()), &payload());
        blob.doc = doc;
        let header = header_bytes(blob.space, blob.doc, blob.author);
        let cipher = XChaCha20Poly1305::new(&space.content.0.into());
        let plaintext = crate::wire::encode_payload(&payload());
        blob.ciphertext =
            cipher.encrypt(&XNonce::from(blob.nonce), Aad { msg: &plaintext, aad: &header }).unwrap();
        blob.signature = device.0.sign(&signed_bytes(&header, &blob.nonce, &blob.ciphertext)).to_bytes();
        blob
    }

    #[test]
    fn doc_refs_have_a_key_of_their_own_and_legacy_refs_still_open() {
        let space = SpaceSecret::generate().keys();
        let device = DeviceKey::generate();
        let id = payload().doc;
        assert_ne!(space.content.doc_ref(&id), space.content.legacy_doc_ref(&id));
        // A blob a version-1 client filed under the old reference still opens.
        let old = sealed_under(&space, &device, space.content.legacy_doc_ref(&id));
        assert_eq!(old.open(&space), Ok(payload()));
        // Filed under another document's reference, current or legacy, it is refused.
        for other in [space.content.doc_ref("profile"), space.content.legacy_doc_ref("profile")] {
            let misfiled = sealed_under(&space, &device, other);
            assert_eq!(misfiled.verify(), Ok(()), "signed correctly");
            assert_eq!(misfiled.open(&space), Err(SealError::Undecryptable));
        }
    }

    #[test]
    fn challenges_prove_the_device_key() {
        let device = DeviceKey::generate();
        let nonce = [7u8; 32];
        let signature = device.sign_challenge(&nonce);
        assert_eq!(verify_challenge(&nonce, device.id(), &signature), Ok(()));
        assert!(verify_challenge(&[8u8; 32], device.id(), &signature).is_err());
        assert!(verify_challenge(&nonce, DeviceKey::generate().id(), &signature).is_err());
    }
}
