//! Governed spaces: who may read, write and manage a space, as a signed, convergent log of
//! operations that every peer and the relay check; and the keys of the space's epochs, sealed to
//! each member device. See ARCHITECTURE.md, "Removing people".
//!
//! - `ops.rs`: the operations, their signatures and their encoding.
//! - `state.rs`: what a set of operations means (members, invites, epochs), the same for every
//!   reader whatever order the operations arrived in.
//! - `keys.rs`: devices' agreement keys, epoch keys and the envelopes that carry them (HPKE).

mod keys;
mod ops;
mod state;
#[cfg(test)]
mod tests;

pub use self::{
    keys::{AgreementKey, AgreementPub, EpochKey, InviteKey, RecoveryKey, open_envelope},
    ops::{Action, Envelope, InviteId, MemberRole, Op, OpId, Recipient, Signer, decode_ops, encode_ops},
    state::{Invite, Member, MembershipError, State},
};
