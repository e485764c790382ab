//! The frames' binary encoding: a tag byte, then the fields in order (see `codec`).

use super::{ClientFrame, Fatal, MAX_AUTH_CERTS, MAX_SUBSCRIBE_CURSORS, Reject, RelayFrame};
use crate::{
    codec::{Reader, WireError, Writer},
    crypto::{Cert, CertRole, DeviceId, DocRef, Sealed, SpaceId},
    members::{decode_ops, encode_ops},
    registration::{RegistrationId, SpaceRegistration},
};

impl Writer {
    fn cert(&mut self, c: &Cert) -> &mut Self {
        self.raw(&c.space.0).raw(&c.device.0).cert_rest(c)
    }
    /// A certificate without its space and device (a blob's own, in the compact form).
    fn cert_rest(&mut self, c: &Cert) -> &mut Self {
        match (c.role, c.grant) {
            (CertRole::Reader, Some(grant)) => self.u8(2).raw(&c.signer).raw(&c.signature).raw(&grant),
            (CertRole::Governed, _) => self.u8(3),
            // A member's signer is the space itself; a reader always has a grant.
            _ => self.u8(1).raw(&c.signature),
        }
    }
    fn sealed(&mut self, s: &Sealed) -> &mut Self {
        self.raw(&s.space.0).raw(&s.doc.0).raw(&s.author.0).cert(&s.cert).sealed_rest(s)
    }
    /// The compact form: the certificate by reference to the blob's own space and author.
    /// Only for a blob whose certificate names them (any other would not verify anyway).
    fn sealed_compact(&mut self, s: &Sealed) -> &mut Self {
        debug_assert!(by_reference(s));
        self.raw(&s.space.0).raw(&s.doc.0).raw(&s.author.0).cert_rest(&s.cert).sealed_rest(s)
    }
    fn sealed_rest(&mut self, s: &Sealed) -> &mut Self {
        if s.cert.role == CertRole::Governed {
            self.u32(s.epoch);
        }
        self.raw(&s.nonce).bytes(&s.ciphertext).raw(&s.signature)
    }
    /// A blob as its form says (see [`by_reference`]).
    fn sealed_in(&mut self, compact: bool, s: &Sealed) -> &mut Self {
        if compact { self.sealed_compact(s) } else { self.sealed(s) }
    }
}

/// Whether a blob's certificate names the blob's own space and author, so the compact form can
/// refer to them instead of repeating them (always, for a blob that verifies).
fn by_reference(s: &Sealed) -> bool {
    s.cert.space == s.space && s.cert.device == s.author
}

impl Reader<'_> {
    fn cert(&mut self) -> Result<Cert, WireError> {
        let (space, device) = (SpaceId(self.array()?), DeviceId(self.array()?));
        self.cert_rest(space, device)
    }
    fn cert_rest(&mut self, space: SpaceId, device: DeviceId) -> Result<Cert, WireError> {
        match self.u8()? {
            1 => Ok(Cert {
                space,
                device,
                role: CertRole::Member,
                signer: space.0,
                signature: self.array()?,
                grant: None,
            }),
            2 => {
                let (signer, signature, grant) = (self.array()?, self.array()?, self.array()?);
                Ok(Cert { space, device, role: CertRole::Reader, signer, signature, grant: Some(grant) })
            }
            3 => Ok(Cert::governed(space, device)),
            t => Err(WireError::UnknownTag(t)),
        }
    }
    fn sealed(&mut self) -> Result<Sealed, WireError> {
        let (space, doc, author, cert) =
            (SpaceId(self.array()?), DocRef(self.array()?), DeviceId(self.array()?), self.cert()?);
        self.sealed_rest(space, doc, author, cert)
    }
    fn sealed_compact(&mut self) -> Result<Sealed, WireError> {
        let (space, doc, author) = (SpaceId(self.array()?), DocRef(self.array()?), DeviceId(self.array()?));
        let cert = self.cert_rest(space, author)?;
        self.sealed_rest(space, doc, author, cert)
    }
    fn sealed_rest(
        &mut self,
        space: SpaceId,
        doc: DocRef,
        author: DeviceId,
        cert: Cert,
    ) -> Result<Sealed, WireError> {
        let epoch = if cert.role == CertRole::Governed { self.u32()? } else { 0 };
        Ok(Sealed {
            space,
            doc,
            author,
            cert,
            epoch,
            nonce: self.array()?,
            ciphertext: self.bytes()?.to_vec(),
            signature: self.array()?,
        })
    }
}

/// The smallest certificate on the wire (a governed space's claim).
const CERT_SIZE: usize = 32 + 32 + 1;
/// A sealed blob on its own, as the relay stores it.
pub fn encode_sealed(s: &Sealed) -> Vec<u8> {
    let mut w = Writer::default();
    w.sealed(s);
    w.0
}

/// # Errors
/// [`WireError`] if `bytes` are not exactly one sealed blob.
pub fn decode_sealed(bytes: &[u8]) -> Result<Sealed, WireError> {
    let mut r = Reader { buf: bytes };
    let sealed = r.sealed()?;
    r.end()?;
    Ok(sealed)
}

/// [`RelayFrame::Blob`] around an already encoded sealed blob (as the relay stores it), without
/// decoding it first.
pub fn blob_frame(seq: u64, sealed: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(5).u64(seq).raw(sealed);
    w.0
}

/// [`RelayFrame::Snapshot`] around an already encoded sealed blob.
pub fn snapshot_frame(covers: u64, sealed: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(6).u64(covers).raw(sealed);
    w.0
}

/// Relay frames' tags: a blob, a snapshot or a presence in full, and the same in the compact
/// form (see [`compact_frame`]).
const BLOB: u8 = 5;
const SNAPSHOT: u8 = 6;
const PRESENCE: u8 = 10;
const BLOB_COMPACT: u8 = 14;
const SNAPSHOT_COMPACT: u8 = 15;
const PRESENCE_COMPACT: u8 = 16;

/// An encoded relay frame as a client that reads the compact form gets it: a blob, snapshot or
/// presence frame loses its certificate's space and device (64 bytes: the blob's own, which
/// every stored blob's certificate names), any other frame is left as it is. Works on the bytes
/// (the relay keeps and passes on blobs encoded), without decoding the blob.
pub fn compact_frame(frame: Vec<u8>) -> Vec<u8> {
    let (tag, at) = match frame.first() {
        Some(&BLOB) => (BLOB_COMPACT, 1 + 8),
        Some(&SNAPSHOT) => (SNAPSHOT_COMPACT, 1 + 8),
        Some(&PRESENCE) => (PRESENCE_COMPACT, 1),
        _ => return frame,
    };
    // The blob's space (32 bytes), document (16) and author (32), then its certificate's space
    // and device: dropped when they repeat the blob's own.
    const CERT: usize = 32 + 16 + 32;
    let Some(sealed) = frame.get(at..) else { return frame };
    if sealed.len() < CERT + 64
        || sealed[CERT..CERT + 32] != sealed[..32]
        || sealed[CERT + 32..CERT + 64] != sealed[48..80]
    {
        return frame;
    }
    let mut out = Vec::with_capacity(frame.len() - 64);
    out.push(tag);
    out.extend_from_slice(&frame[1..at + CERT]);
    out.extend_from_slice(&frame[at + CERT + 64..]);
    out
}

impl ClientFrame {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            ClientFrame::Auth { device, signature, certs, compact } => {
                w.u8(if *compact { 11 } else { 1 }).raw(&device.0).raw(signature).len(certs.len());
                for c in certs {
                    w.cert(c);
                }
            }
            ClientFrame::Admit { cert } => {
                w.u8(2).cert(cert);
            }
            ClientFrame::Subscribe { space, cursors } => {
                w.u8(3).raw(&space.0).len(cursors.len());
                for (doc, seq) in cursors {
                    w.raw(&doc.0).u64(*seq);
                }
            }
            // Blobs go in the compact form (tags 12 to 14) whenever their certificate allows.
            ClientFrame::Put { request, blob } => {
                let compact = by_reference(blob);
                w.u8(if compact { 12 } else { 4 }).u32(*request).sealed_in(compact, blob);
            }
            ClientFrame::Snapshot { request, covers, blob } => {
                let compact = by_reference(blob);
                w.u8(if compact { 13 } else { 5 }).u32(*request).u64(*covers).sealed_in(compact, blob);
            }
            ClientFrame::Ping => {
                w.u8(6);
            }
            ClientFrame::Presence { blob } => {
                let compact = by_reference(blob);
                w.u8(if compact { 14 } else { 7 }).sealed_in(compact, blob);
            }
            ClientFrame::Erase { request, space, signature } => {
                w.u8(10).u32(*request).raw(&space.0).raw(signature);
            }
            ClientFrame::Members { request, space, ops } => {
                w.u8(9).u32(*request).raw(&space.0).bytes(&encode_ops(ops));
            }
            ClientFrame::Register { registration } => {
                w.u8(8)
                    .raw(&registration.space.0)
                    .raw(&registration.registration.0)
                    .raw(&registration.signature);
            }
        }
        w.0
    }

    /// # Errors
    /// [`WireError`] if `bytes` are not exactly one well-formed client frame.
    pub fn decode(bytes: &[u8]) -> Result<ClientFrame, WireError> {
        let mut r = Reader { buf: bytes };
        let frame = match r.u8()? {
            tag @ (1 | 11) => {
                let device = DeviceId(r.array()?);
                let signature = r.array()?;
                let n = r.len_at_most(CERT_SIZE, MAX_AUTH_CERTS)?;
                let certs = (0..n).map(|_| r.cert()).collect::<Result<_, _>>()?;
                ClientFrame::Auth { device, signature, certs, compact: tag == 11 }
            }
            2 => ClientFrame::Admit { cert: r.cert()? },
            3 => {
                let space = SpaceId(r.array()?);
                let n = r.len_at_most(16 + 8, MAX_SUBSCRIBE_CURSORS)?;
                let cursors = (0..n).map(|_| Ok((DocRef(r.array()?), r.u64()?))).collect::<Result<_, _>>()?;
                ClientFrame::Subscribe { space, cursors }
            }
            4 => ClientFrame::Put { request: r.u32()?, blob: r.sealed()? },
            5 => ClientFrame::Snapshot { request: r.u32()?, covers: r.u64()?, blob: r.sealed()? },
            6 => ClientFrame::Ping,
            7 => ClientFrame::Presence { blob: r.sealed()? },
            12 => ClientFrame::Put { request: r.u32()?, blob: r.sealed_compact()? },
            13 => ClientFrame::Snapshot { request: r.u32()?, covers: r.u64()?, blob: r.sealed_compact()? },
            14 => ClientFrame::Presence { blob: r.sealed_compact()? },
            10 => ClientFrame::Erase { request: r.u32()?, space: SpaceId(r.array()?), signature: r.array()? },
            9 => ClientFrame::Members {
                request: r.u32()?,
                space: SpaceId(r.array()?),
                ops: decode_ops(r.bytes()?)?,
            },
            8 => ClientFrame::Register {
                registration: SpaceRegistration {
                    space: SpaceId(r.array()?),
                    registration: RegistrationId(r.array()?),
                    signature: r.array()?,
                },
            },
            t => return Err(WireError::UnknownTag(t)),
        };
        r.end()?;
        Ok(frame)
    }
}

impl RelayFrame {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            RelayFrame::Challenge { nonce } => {
                w.u8(1).raw(nonce);
            }
            RelayFrame::Welcome { device, spaces } => {
                w.u8(2).raw(&device.0).len(spaces.len());
                for s in spaces {
                    w.raw(&s.0);
                }
            }
            RelayFrame::Ack { request, doc, seq } => {
                w.u8(3).u32(*request).raw(&doc.0).u64(*seq);
            }
            RelayFrame::Reject { request, code, message } => {
                w.u8(4).u32(*request).u16(*code as u16).str(message);
            }
            RelayFrame::Blob { seq, blob } => {
                w.u8(5).u64(*seq).sealed(blob);
            }
            RelayFrame::Snapshot { covers, blob } => {
                w.u8(6).u64(*covers).sealed(blob);
            }
            RelayFrame::CaughtUp { space } => {
                w.u8(7).raw(&space.0);
            }
            RelayFrame::Error { code, message } => {
                w.u8(8).u16(*code as u16).str(message);
            }
            RelayFrame::Pong => {
                w.u8(9);
            }
            RelayFrame::Presence { blob } => {
                w.u8(10).sealed(blob);
            }
            RelayFrame::Members { space, ops } => {
                w.u8(12).raw(&space.0).bytes(&encode_ops(ops));
            }
            RelayFrame::Removed { space } => {
                w.u8(13).raw(&space.0);
            }
            RelayFrame::Unregistered { spaces } => {
                w.u8(11).len(spaces.len());
                for s in spaces {
                    w.raw(&s.0);
                }
            }
        }
        w.0
    }

    /// # Errors
    /// [`WireError`] if `bytes` are not exactly one well-formed relay frame.
    pub fn decode(bytes: &[u8]) -> Result<RelayFrame, WireError> {
        let mut r = Reader { buf: bytes };
        let frame = match r.u8()? {
            1 => RelayFrame::Challenge { nonce: r.array()? },
            2 => {
                let device = DeviceId(r.array()?);
                let n = r.len(32)?;
                let spaces = (0..n).map(|_| Ok(SpaceId(r.array()?))).collect::<Result<_, _>>()?;
                RelayFrame::Welcome { device, spaces }
            }
            3 => RelayFrame::Ack { request: r.u32()?, doc: DocRef(r.array()?), seq: r.u64()? },
            4 => {
                let request = r.u32()?;
                let code = r.u16()?;
                let code = Reject::from_u16(code).ok_or(WireError::UnknownTag(code as u8))?;
                RelayFrame::Reject { request, code, message: r.str()? }
            }
            BLOB => RelayFrame::Blob { seq: r.u64()?, blob: r.sealed()? },
            SNAPSHOT => RelayFrame::Snapshot { covers: r.u64()?, blob: r.sealed()? },
            BLOB_COMPACT => RelayFrame::Blob { seq: r.u64()?, blob: r.sealed_compact()? },
            SNAPSHOT_COMPACT => RelayFrame::Snapshot { covers: r.u64()?, blob: r.sealed_compact()? },
            PRESENCE_COMPACT => RelayFrame::Presence { blob: r.sealed_compact()? },
            7 => RelayFrame::CaughtUp { space: SpaceId(r.array()?) },
            8 => {
                let code = r.u16()?;
                let code = Fatal::from_u16(code).ok_or(WireError::UnknownTag(code as u8))?;
                RelayFrame::Error { code, message: r.str()? }
            }
            9 => RelayFrame::Pong,
            PRESENCE => RelayFrame::Presence { blob: r.sealed()? },
            12 => RelayFrame::Members { space: SpaceId(r.array()?), ops: decode_ops(r.bytes()?)? },
            13 => RelayFrame::Removed { space: SpaceId(r.array()?) },
            11 => {
                let n = r.len(32)?;
                let spaces = (0..n).map(|_| Ok(SpaceId(r.array()?))).collect::<Result<_, _>>()?;
                RelayFrame::Unregistered { spaces }
            }
            t => return Err(WireError::UnknownTag(t)),
        };
        r.end()?;
        Ok(frame)
    }
}
