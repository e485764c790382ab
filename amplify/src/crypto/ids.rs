//! The ids the relay sees: spaces and devices (Ed25519 verifying keys) and document references.

use std::fmt;

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
