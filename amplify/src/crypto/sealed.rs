//! Sealed blobs: encrypted for a space, signed by their author.

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload as Aad},
};
use ed25519_dalek::Signer;

use crate::codec::{Reader, WireError, Writer};

use super::{
    cert::{Cert, CertRole},
    check::{SealError, verify},
    ids::{DeviceId, DocRef, SpaceId},
    keys::{ContentKey, DeviceKey, ReaderKeys, SpaceKeys},
};

/// What a sealed blob carries, once opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The document's id on devices (`journal/2026-11`); the relay only sees its [`DocRef`].
    pub doc: String,
    pub kind: PayloadKind,
    /// Automerge bytes: incremental changes, or a whole saved document.
    pub bytes: Vec<u8>,
}

impl Payload {
    /// Folds the changes queued for one document into one payload, in order (automerge loads
    /// concatenated changes as it loads each): what a device's outbox sends after a spell
    /// offline instead of one blob per save. `None` if there are none, if any is not changes,
    /// or if they belong to different documents.
    pub fn fold(payloads: impl IntoIterator<Item = Payload>) -> Option<Payload> {
        let mut payloads = payloads.into_iter();
        let mut folded = payloads.next().filter(|p| p.kind == PayloadKind::Changes)?;
        for p in payloads {
            if p.kind != PayloadKind::Changes || p.doc != folded.doc {
                return None;
            }
            folded.bytes.extend_from_slice(&p.bytes);
        }
        Some(folded)
    }
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
    /// For a governed space, the epoch whose key sealed it (0 otherwise).
    pub epoch: u32,
    pub nonce: [u8; 24],
    pub ciphertext: Vec<u8>,
    pub signature: [u8; 64],
}

impl Sealed {
    /// Encrypts `payload` for `space` and signs it as `device`, admitted by `cert`.
    pub fn seal(space: &SpaceKeys, device: &DeviceKey, cert: &Cert, payload: &Payload) -> Sealed {
        let doc = space.content.doc_ref(&payload.doc);
        let nonce: [u8; 24] = crate::random_bytes();
        let header = header_bytes(space.id, doc, device.id(), 0);
        let plaintext = encode_payload(payload);
        let cipher = XChaCha20Poly1305::new(&space.content.0.into());
        let ciphertext = cipher
            .encrypt(&XNonce::from(nonce), Aad { msg: &plaintext, aad: &header })
            .expect("encryption into a Vec cannot fail");
        let signature = device.0.sign(&signed_bytes(&header, &nonce, &ciphertext)).to_bytes();
        Sealed {
            space: space.id,
            doc,
            author: device.id(),
            cert: *cert,
            epoch: 0,
            nonce,
            ciphertext,
            signature,
        }
    }

    /// Encrypts `payload` for the governed space `space` under the key of `epoch`, filed under
    /// the reference `refs` derives (the space's first epoch key: stable across rotations), and
    /// signs it as `device`.
    pub fn seal_governed(
        space: SpaceId,
        refs: &ContentKey,
        epoch: u32,
        key: &ContentKey,
        device: &DeviceKey,
        payload: &Payload,
    ) -> Sealed {
        let doc = refs.doc_ref(&payload.doc);
        let nonce: [u8; 24] = crate::random_bytes();
        let header = header_bytes(space, doc, device.id(), epoch);
        let plaintext = encode_payload(payload);
        let ciphertext = XChaCha20Poly1305::new(&key.0.into())
            .encrypt(&XNonce::from(nonce), Aad { msg: &plaintext, aad: &header })
            .expect("encryption into a Vec cannot fail");
        let signature = device.0.sign(&signed_bytes(&header, &nonce, &ciphertext)).to_bytes();
        let cert = Cert::governed(space, device.id());
        Sealed { space, doc, author: device.id(), cert, epoch, nonce, ciphertext, signature }
    }

    /// Decrypts a governed space's blob with one of `keys` (those this device holds for the
    /// blob's epoch) after checking the author's signature. Whether the author may write is the
    /// membership log's to say: the caller checks.
    ///
    /// # Errors
    /// [`SealError::BadSignature`] and the like, or [`SealError::Undecryptable`] if no key fits.
    pub fn open_governed(&self, refs: &ContentKey, keys: &[ContentKey]) -> Result<Payload, SealError> {
        if self.cert.role != CertRole::Governed {
            return Err(SealError::BadCert);
        }
        self.verify_signature()?;
        self.decrypt(keys, |doc| refs.doc_ref(doc) == self.doc)
    }

    /// Opens a blob this device sealed itself and kept in its outbox, to fold it with others or
    /// seal it again: `refs` files its documents, `keys` may have sealed it. Decryption
    /// authenticates the header and the ciphertext under a key only members hold, so the
    /// device's own signature is not verified again (that verification was most of the cost of
    /// folding a week of saves). Never for blobs that came from the relay or a peer.
    ///
    /// # Errors
    /// [`SealError::Undecryptable`] if no key fits or the payload is not filed under this
    /// blob's reference.
    pub fn open_own(&self, refs: &ContentKey, keys: &[ContentKey]) -> Result<Payload, SealError> {
        self.decrypt(keys, |doc| refs.files(self.doc, doc))
    }

    /// Decrypts with the first of `keys` that fits; the document inside must be one `files`
    /// says this blob's reference is for (a member could otherwise file a document's changes
    /// under another document's reference).
    fn decrypt(&self, keys: &[ContentKey], files: impl Fn(&str) -> bool) -> Result<Payload, SealError> {
        let header = header_bytes(self.space, self.doc, self.author, self.epoch);
        for key in keys {
            let opened = XChaCha20Poly1305::new(&key.0.into())
                .decrypt(&XNonce::from(self.nonce), Aad { msg: &self.ciphertext, aad: &header });
            if let Ok(plaintext) = opened {
                let payload = decode_payload(&plaintext).map_err(|_| SealError::Undecryptable)?;
                return if files(&payload.doc) { Ok(payload) } else { Err(SealError::Undecryptable) };
            }
        }
        Err(SealError::Undecryptable)
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
        if self.cert.role == CertRole::Reader {
            return Err(SealError::ReadOnly);
        }
        let header = header_bytes(self.space, self.doc, self.author, self.epoch);
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
        self.decrypt(std::slice::from_ref(content), |doc| content.files(self.doc, doc))
    }
}

/// What the signature and the encryption both bind: for a governed space the epoch too (a blob
/// cannot be passed off as sealed under another epoch's key).
pub(super) fn header_bytes(space: SpaceId, doc: DocRef, author: DeviceId, epoch: u32) -> Vec<u8> {
    let mut header = [&b"amplify sealed v1\0"[..], &space.0, &doc.0, &author.0].concat();
    if epoch > 0 {
        header.extend_from_slice(&epoch.to_le_bytes());
    }
    header
}

pub(super) fn signed_bytes(header: &[u8], nonce: &[u8; 24], ciphertext: &[u8]) -> Vec<u8> {
    [header, nonce, ciphertext].concat()
}

const PAYLOAD_VERSION: u8 = 1;

pub(crate) fn encode_payload(p: &Payload) -> Vec<u8> {
    let kind = match p.kind {
        PayloadKind::Changes => 1,
        PayloadKind::Snapshot => 2,
        PayloadKind::Presence => 3,
    };
    let mut w = Writer::default();
    w.u8(PAYLOAD_VERSION).u8(kind).str(&p.doc).bytes(&p.bytes);
    w.0
}

pub(crate) fn decode_payload(bytes: &[u8]) -> Result<Payload, WireError> {
    let mut r = Reader { buf: bytes };
    match r.u8()? {
        PAYLOAD_VERSION => {}
        v => return Err(WireError::Version(v)),
    }
    let kind = match r.u8()? {
        1 => PayloadKind::Changes,
        2 => PayloadKind::Snapshot,
        3 => PayloadKind::Presence,
        t => return Err(WireError::UnknownTag(t)),
    };
    let payload = Payload { kind, doc: r.str()?, bytes: r.bytes()?.to_vec() };
    r.end()?;
    Ok(payload)
}
