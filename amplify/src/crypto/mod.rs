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

mod cert;
mod check;
mod ids;
mod keys;
mod sealed;
#[cfg(test)]
mod tests;

pub(crate) use self::check::verify_key;
#[cfg(test)]
pub(crate) use self::sealed::decode_payload;
pub use self::{
    cert::{Cert, CertRole, verify_challenge},
    check::SealError,
    ids::{DeviceId, DocRef, SpaceId},
    keys::{ContentKey, DeviceKey, ReaderKeys, SpaceKeys, SpaceSecret, verify_erase},
    sealed::{Payload, PayloadKind, Sealed},
};
