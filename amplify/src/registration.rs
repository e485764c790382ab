//! Registrations: how whoever runs a relay decides which spaces may store anything on it.
//!
//! The operator issues a registration (`server registration issue`): a 32-byte seed, handed to
//! a programme team as a typed code, from which an Ed25519 key derives. The relay keeps only
//! the verifying key (the [`RegistrationId`]), a label of the operator's choosing and a quota.
//! A device that holds the seed (the programme team's, and every device invited into the
//! programme: invites carry it) signs a [`SpaceRegistration`] for each space it creates; the
//! relay stores blobs only for spaces registered under a registration it knows and has not
//! revoked, and counts their bytes against that registration's quota. The relay learns which
//! spaces belong together, never who is in them or what they are called.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroize;

use crate::{
    crypto::SpaceId,
    invite::{InviteError, parse_typed_code, typed_code},
};

/// What registration codes start with, so nobody mistakes one for a recovery code.
const CODE_PREFIX: &str = "AMPR-";

/// The secret of a registration: whoever holds it may register spaces under it.
#[derive(Clone)]
pub struct RegistrationKey {
    seed: [u8; 32],
    signing: SigningKey,
}

impl Drop for RegistrationKey {
    fn drop(&mut self) {
        self.seed.zeroize();
    }
}

impl PartialEq for RegistrationKey {
    fn eq(&self, other: &RegistrationKey) -> bool {
        self.seed == other.seed
    }
}

impl Eq for RegistrationKey {}

impl fmt::Debug for RegistrationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistrationKey({:?})", self.id())
    }
}

impl RegistrationKey {
    pub fn generate() -> RegistrationKey {
        RegistrationKey::from_seed(crate::random_bytes())
    }

    pub fn from_seed(seed: [u8; 32]) -> RegistrationKey {
        let hkdf = Hkdf::<Sha256>::new(Some(b"amplify registration v1"), &seed);
        let mut signing = [0u8; 32];
        hkdf.expand(b"signing key", &mut signing).expect("32 bytes is a valid HKDF length");
        let key = RegistrationKey { seed, signing: SigningKey::from_bytes(&signing) };
        signing.zeroize();
        key
    }

    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    pub fn id(&self) -> RegistrationId {
        RegistrationId(self.signing.verifying_key().to_bytes())
    }

    /// Registers `space` under this registration.
    pub fn register(&self, space: SpaceId) -> SpaceRegistration {
        let signature = self.signing.sign(&signed_bytes(self.id(), space)).to_bytes();
        SpaceRegistration { space, registration: self.id(), signature }
    }

    /// The code to hand to a programme team: `AMPR-` and 53 characters to type or paste.
    pub fn to_code(&self) -> String {
        format!("{CODE_PREFIX}{}", typed_code(&self.seed))
    }

    /// Reads a registration code as a person typed or pasted it.
    ///
    /// # Errors
    /// [`InviteError`] saying what is wrong with it.
    pub fn parse_code(code: &str) -> Result<RegistrationKey, InviteError> {
        let compact: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let prefix = CODE_PREFIX.trim_end_matches('-');
        // 53 characters make a code; 57 with the prefix (which also spells base-32 digits).
        let body = match compact.get(..prefix.len()) {
            Some(head) if compact.len() == 53 + prefix.len() && head.eq_ignore_ascii_case(prefix) => {
                &compact[prefix.len()..]
            }
            _ => &compact,
        };
        parse_typed_code(body).map(RegistrationKey::from_seed)
    }
}

/// A registration as the relay knows it: the verifying key of its [`RegistrationKey`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegistrationId(pub [u8; 32]);

impl fmt::Debug for RegistrationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistrationId({}…)", &crate::hex(&self.0)[..8])
    }
}

impl fmt::Display for RegistrationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::hex(&self.0))
    }
}

impl RegistrationId {
    /// Reads what `Display` wrote.
    pub fn parse(s: &str) -> Option<RegistrationId> {
        crate::parse_hex(s).map(RegistrationId)
    }
}

/// A registration's statement that `space` belongs to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceRegistration {
    pub space: SpaceId,
    pub registration: RegistrationId,
    pub signature: [u8; 64],
}

impl SpaceRegistration {
    /// Whether the registration's key signed it.
    pub fn verify(&self) -> bool {
        VerifyingKey::from_bytes(&self.registration.0).is_ok_and(|key| {
            key.verify_strict(
                &signed_bytes(self.registration, self.space),
                &Signature::from_bytes(&self.signature),
            )
            .is_ok()
        })
    }
}

fn signed_bytes(registration: RegistrationId, space: SpaceId) -> Vec<u8> {
    [&b"amplify space registration v1\0"[..], &registration.0, &space.0].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SpaceSecret;

    #[test]
    fn a_registration_signs_spaces_the_relay_can_check() {
        let key = RegistrationKey::generate();
        let space = SpaceSecret::generate().keys().id;
        let registered = key.register(space);
        assert!(registered.verify());
        let mut moved = registered;
        moved.space = SpaceSecret::generate().keys().id;
        assert!(!moved.verify(), "a registration names one space");
        let mut stolen = registered;
        stolen.registration = RegistrationKey::generate().id();
        assert!(!stolen.verify(), "and is signed by its own key");
    }

    #[test]
    fn the_code_reads_back_as_typed() {
        let key = RegistrationKey::generate();
        let code = key.to_code();
        assert!(code.starts_with("AMPR-"));
        assert_eq!(RegistrationKey::parse_code(&code), Ok(key.clone()));
        let sloppy = code.to_lowercase().replace('-', " ");
        assert_eq!(RegistrationKey::parse_code(&format!("  {sloppy} ")).map(|k| k.id()), Ok(key.id()));
        let without_prefix = &code[5..];
        assert_eq!(RegistrationKey::parse_code(without_prefix).map(|k| k.id()), Ok(key.id()));
        let mut typo: Vec<char> = code.chars().collect();
        typo[8] = if typo[8] == 'X' { 'Y' } else { 'X' };
        assert!(RegistrationKey::parse_code(&typo.into_iter().collect::<String>()).is_err());
    }
}
