//! Keys of governed spaces: each device's agreement key (X25519, for receiving epoch keys),
//! epoch keys (what content is sealed with), invite keys, and the envelopes that carry an epoch
//! key to one recipient: HPKE (RFC 9180) in base mode, X25519-HKDF-SHA256 with
//! ChaCha20-Poly1305, from the `hpke` crate.

use std::fmt;

use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use hpke::{
    Deserializable, Kem as _, OpModeR, OpModeS, Serializable, aead::ChaCha20Poly1305, kdf::HkdfSha256,
    kem::X25519HkdfSha256,
};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::ops::{Envelope, InviteId, Recipient};
use crate::crypto::{ContentKey, SpaceId};

type Kem = X25519HkdfSha256;

/// A device's (or an invite's) X25519 key, from a 32-byte seed kept on the device.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AgreementKey {
    seed: [u8; 32],
}

impl fmt::Debug for AgreementKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgreementKey({:?})", self.public())
    }
}

/// The public half of an [`AgreementKey`]: what the membership log records.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgreementPub(pub [u8; 32]);

impl fmt::Debug for AgreementPub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgreementPub({}…)", &crate::hex(&self.0)[..8])
    }
}

impl AgreementKey {
    pub fn generate() -> AgreementKey {
        AgreementKey { seed: crate::random_bytes() }
    }

    pub fn from_seed(seed: [u8; 32]) -> AgreementKey {
        AgreementKey { seed }
    }

    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    fn pair(&self) -> (<Kem as hpke::Kem>::PrivateKey, <Kem as hpke::Kem>::PublicKey) {
        Kem::derive_keypair(&self.seed)
    }

    pub fn public(&self) -> AgreementPub {
        let bytes = self.pair().1.to_bytes();
        AgreementPub(bytes.as_slice().try_into().expect("an X25519 public key is 32 bytes"))
    }
}

/// The key one epoch of a space's content is sealed with.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct EpochKey(pub(crate) [u8; 32]);

impl fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EpochKey(…)")
    }
}

impl EpochKey {
    pub fn generate() -> EpochKey {
        EpochKey(crate::random_bytes())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> EpochKey {
        EpochKey(bytes)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The content key this epoch seals with.
    pub fn content(&self) -> ContentKey {
        ContentKey(self.0)
    }

    /// Seals this key for `to`, whose agreement key is `public`, as epoch `epoch` of `space`.
    ///
    /// # Panics
    /// Never for a key the membership log accepted (it checks agreement keys are valid points).
    pub fn seal_for(
        &self,
        to: Recipient,
        public: AgreementPub,
        space: SpaceId,
        epoch: u32,
    ) -> Option<Envelope> {
        let public = <Kem as hpke::Kem>::PublicKey::from_bytes(&public.0).ok()?;
        let (encapped, sealed) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeS::Base,
            &public,
            INFO,
            &self.0,
            &aad(space, epoch, to),
        )
        .ok()?;
        let encapped = encapped.to_bytes().as_slice().try_into().ok()?;
        Some(Envelope { to, encapped, sealed })
    }
}

const INFO: &[u8] = b"amplify epoch key v1";

fn aad(space: SpaceId, epoch: u32, to: Recipient) -> Vec<u8> {
    let who = match to {
        Recipient::Device(d) => [&[1u8][..], &d.0].concat(),
        Recipient::Invite(i) => [&[2u8][..], &i.0].concat(),
    };
    [&space.0[..], &epoch.to_le_bytes(), &who].concat()
}

/// Opens `envelope` (epoch `epoch` of `space`) with `key`; `None` if it is not for this key.
pub fn open_envelope(
    key: &AgreementKey,
    space: SpaceId,
    epoch: u32,
    envelope: &Envelope,
) -> Option<EpochKey> {
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(&envelope.encapped).ok()?;
    let opened = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &key.pair().0,
        &encapped,
        INFO,
        &envelope.sealed,
        &aad(space, epoch, envelope.to),
    )
    .ok()?;
    Some(EpochKey(opened.as_slice().try_into().ok()?))
}

/// What an invite link carries: one seed, from which the invite's signing key (to join) and
/// agreement key (to read the space's keys) derive.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct InviteKey {
    seed: [u8; 32],
}

impl fmt::Debug for InviteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InviteKey({:?})", self.id())
    }
}

impl InviteKey {
    pub fn generate() -> InviteKey {
        InviteKey { seed: crate::random_bytes() }
    }

    pub fn from_seed(seed: [u8; 32]) -> InviteKey {
        InviteKey { seed }
    }

    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"amplify invite v1"), &self.seed)
            .expand(label, &mut out)
            .expect("32 bytes is a valid HKDF length");
        out
    }

    pub fn signing(&self) -> SigningKey {
        SigningKey::from_bytes(&self.derive(b"signing key"))
    }

    pub fn agreement(&self) -> AgreementKey {
        AgreementKey::from_seed(self.derive(b"agreement key"))
    }

    pub fn id(&self) -> InviteId {
        InviteId(self.signing().verifying_key().to_bytes())
    }
}

/// A person's recovery key: one seed, written down as the recovery code, from which a device
/// key and an agreement key derive. It is a member device of every space the person is in, so a
/// device restored from the code can add itself everywhere; when a device of the person is
/// lost, the person replaces it (the lost device may have known the code).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryKey {
    seed: [u8; 32],
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryKey({:?})", self.device().id())
    }
}

impl RecoveryKey {
    pub fn generate() -> RecoveryKey {
        RecoveryKey { seed: crate::random_bytes() }
    }

    pub fn from_seed(seed: [u8; 32]) -> RecoveryKey {
        RecoveryKey { seed }
    }

    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"amplify recovery v1"), &self.seed)
            .expand(label, &mut out)
            .expect("32 bytes is a valid HKDF length");
        out
    }

    /// The device the recovery key is in every space.
    pub fn device(&self) -> crate::crypto::DeviceKey {
        crate::crypto::DeviceKey::from_bytes(self.derive(b"device key"))
    }

    pub fn agreement(&self) -> AgreementKey {
        AgreementKey::from_seed(self.derive(b"agreement key"))
    }
}
