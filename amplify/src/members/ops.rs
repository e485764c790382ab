//! The operations of a membership log: what each says, who signed it, and its bytes.

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};

use super::keys::{AgreementPub, InviteKey};
use crate::{
    codec::{Reader, WireError, Writer},
    crypto::{DeviceId, DeviceKey, SpaceId},
    doc_id::PersonId,
};

/// An operation's id: the SHA-256 of its bytes, signature included.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub [u8; 32]);

impl fmt::Debug for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpId({}…)", &crate::hex(&self.0)[..8])
    }
}

/// An invite's key: an Ed25519 public key whose secret half travels in the invite link.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InviteId(pub [u8; 32]);

impl fmt::Debug for InviteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InviteId({}…)", &crate::hex(&self.0)[..8])
    }
}

impl fmt::Display for InviteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::hex(&self.0))
    }
}

/// What a member may do. Ordered: an admin may do all a writer may, a writer all a reader may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemberRole {
    /// Reads only: what it signs is refused.
    Reader = 1,
    /// Reads and writes.
    Writer = 2,
    /// Also adds and removes members, makes and revokes invites.
    Admin = 3,
}

impl MemberRole {
    fn from_u8(v: u8) -> Option<MemberRole> {
        [MemberRole::Reader, MemberRole::Writer, MemberRole::Admin].into_iter().find(|r| *r as u8 == v)
    }
}

/// Who an envelope is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Recipient {
    Device(DeviceId),
    /// A live invite: whoever opens the link reads the space's keys with it.
    Invite(InviteId),
}

/// An epoch's key sealed to one recipient's agreement key (HPKE: the encapsulated key, then the
/// ciphertext).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Envelope {
    pub to: Recipient,
    pub encapped: [u8; 32],
    pub sealed: Vec<u8>,
}

/// What an operation does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// Admits a device, belonging to `person`, with `role` and the app's `tag` for it (its role
    /// in a cohort, its side in a coaching pair; 0 for none).
    Add {
        device: DeviceId,
        agreement: AgreementPub,
        person: PersonId,
        role: MemberRole,
        tag: u8,
    },
    /// Removes a device (from its own signer: leaving).
    Remove {
        device: DeviceId,
    },
    /// Opens an invite: up to `uses` devices may join with its key, until `expires_ms`, with
    /// `role` and `tag`. An invite for `person` links another device of that person (only their
    /// own devices make one): whoever joins with it joins as them.
    Invite {
        invite: InviteId,
        agreement: AgreementPub,
        role: MemberRole,
        tag: u8,
        expires_ms: i64,
        uses: u32,
        person: Option<PersonId>,
    },
    RevokeInvite {
        invite: InviteId,
    },
    /// A device joins with an invite (signed by the invite's key).
    Join {
        device: DeviceId,
        agreement: AgreementPub,
        person: PersonId,
    },
    /// The key of `epoch`, sealed to each recipient. An epoch newer than the space's current
    /// one is a rotation: it must be sealed to exactly the current members and live invites.
    Keys {
        epoch: u32,
        envelopes: Vec<Envelope>,
    },
}

impl Action {
    /// Opens the invite `key` (see [`Action::Invite`]).
    pub fn invite(
        key: &InviteKey,
        (role, tag): (MemberRole, u8),
        expires_ms: i64,
        uses: u32,
        person: Option<PersonId>,
    ) -> Action {
        Action::Invite {
            invite: key.id(),
            agreement: key.agreement().public(),
            role,
            tag,
            expires_ms,
            uses,
            person,
        }
    }
}

/// Who signed an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signer {
    /// The space's own key: only the first operation, and only a space's creator ever holds it
    /// (it is thrown away once the genesis is signed).
    Genesis,
    Device(DeviceId),
    Invite(InviteId),
}

/// One signed operation of a space's membership log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Op {
    pub space: SpaceId,
    /// The operations its signer had seen (the heads of their log).
    pub parents: Vec<OpId>,
    /// When it was made, on the signer's clock (invites' expiry is checked against it; the
    /// relay also checks its own clock).
    pub at_ms: i64,
    pub action: Action,
    pub signer: Signer,
    pub signature: [u8; 64],
}

const OP_VERSION: u8 = 1;

impl Op {
    /// The bytes the signature covers.
    fn signed_bytes(
        space: SpaceId,
        parents: &[OpId],
        at_ms: i64,
        action: &Action,
        signer: &Signer,
    ) -> Vec<u8> {
        let mut w = Writer::default();
        w.raw(b"amplify membership op v1\0").raw(&space.0).len(parents.len());
        for p in parents {
            w.raw(&p.0);
        }
        w.u64(at_ms as u64);
        write_action(&mut w, action);
        write_signer(&mut w, signer);
        w.0
    }

    fn new(
        space: SpaceId,
        parents: Vec<OpId>,
        at_ms: i64,
        action: Action,
        signer: Signer,
        key: &SigningKey,
    ) -> Op {
        let signature = key.sign(&Op::signed_bytes(space, &parents, at_ms, &action, &signer)).to_bytes();
        Op { space, parents, at_ms, action, signer, signature }
    }

    /// The first operation of a new space: its creator, as admin. Signed with the space's own
    /// key, which the caller then forgets.
    pub fn genesis(
        space_key: &SigningKey,
        creator: &DeviceKey,
        agreement: AgreementPub,
        person: PersonId,
        tag: u8,
        at_ms: i64,
    ) -> Op {
        let space = SpaceId(space_key.verifying_key().to_bytes());
        let action = Action::Add { device: creator.id(), agreement, person, role: MemberRole::Admin, tag };
        Op::new(space, Vec::new(), at_ms, action, Signer::Genesis, space_key)
    }

    /// The genesis of a brand-new space, whose key is made here and forgotten once it has
    /// signed: nobody holds the space's own key afterwards.
    pub fn create_space(
        creator: &DeviceKey,
        agreement: AgreementPub,
        person: Option<PersonId>,
        tag: u8,
        at_ms: i64,
    ) -> Op {
        let space_key = SigningKey::from_bytes(&crate::random_bytes());
        // A person's own space is named by itself: the person is the space.
        let person = person.unwrap_or(SpaceId(space_key.verifying_key().to_bytes()));
        Op::genesis(&space_key, creator, agreement, person, tag, at_ms)
    }

    /// An operation signed by a member device.
    pub fn by_device(
        space: SpaceId,
        parents: Vec<OpId>,
        at_ms: i64,
        action: Action,
        device: &DeviceKey,
    ) -> Op {
        Op::new(space, parents, at_ms, action, Signer::Device(device.id()), device.signing_key())
    }

    /// A join, signed by an invite's key.
    pub fn by_invite(
        space: SpaceId,
        parents: Vec<OpId>,
        at_ms: i64,
        action: Action,
        invite: &SigningKey,
    ) -> Op {
        let signer = Signer::Invite(InviteId(invite.verifying_key().to_bytes()));
        Op::new(space, parents, at_ms, action, signer, invite)
    }

    /// Whether the signature is the signer's. (Whether the signer had the right is the state's
    /// business.)
    pub fn signature_verifies(&self) -> bool {
        let key = match self.signer {
            Signer::Genesis => self.space.0,
            Signer::Device(d) => d.0,
            Signer::Invite(i) => i.0,
        };
        let bytes = Op::signed_bytes(self.space, &self.parents, self.at_ms, &self.action, &self.signer);
        crate::crypto::verify_key(&key, &bytes, &self.signature)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(OP_VERSION).raw(&self.space.0).len(self.parents.len());
        for p in &self.parents {
            w.raw(&p.0);
        }
        w.u64(self.at_ms as u64);
        write_action(&mut w, &self.action);
        write_signer(&mut w, &self.signer);
        w.raw(&self.signature);
        w.0
    }

    /// # Errors
    /// [`WireError`] if `bytes` are not exactly one operation.
    pub fn decode(bytes: &[u8]) -> Result<Op, WireError> {
        let mut r = Reader { buf: bytes };
        let op = read_op(&mut r)?;
        r.end()?;
        Ok(op)
    }

    pub fn id(&self) -> OpId {
        OpId(Sha256::digest(self.encode()).into())
    }
}

/// Several operations in one byte string (a frame, a stored log).
pub fn encode_ops(ops: &[Op]) -> Vec<u8> {
    let mut w = Writer::default();
    w.len(ops.len());
    for op in ops {
        w.bytes(&op.encode());
    }
    w.0
}

/// # Errors
/// [`WireError`] if `bytes` are not a list of operations.
pub fn decode_ops(bytes: &[u8]) -> Result<Vec<Op>, WireError> {
    let mut r = Reader { buf: bytes };
    let n = r.len(4)?;
    let ops = (0..n).map(|_| Op::decode(r.bytes()?)).collect::<Result<Vec<_>, _>>()?;
    r.end()?;
    Ok(ops)
}

fn write_action(w: &mut Writer, action: &Action) {
    match action {
        Action::Add { device, agreement, person, role, tag } => {
            w.u8(1).raw(&device.0).raw(&agreement.0).raw(&person.0).u8(*role as u8).u8(*tag);
        }
        Action::Remove { device } => {
            w.u8(2).raw(&device.0);
        }
        Action::Invite { invite, agreement, role, tag, expires_ms, uses, person } => {
            w.u8(3)
                .raw(&invite.0)
                .raw(&agreement.0)
                .u8(*role as u8)
                .u8(*tag)
                .u64(*expires_ms as u64)
                .u32(*uses);
            match person {
                Some(p) => w.u8(1).raw(&p.0),
                None => w.u8(0),
            };
        }
        Action::RevokeInvite { invite } => {
            w.u8(4).raw(&invite.0);
        }
        Action::Join { device, agreement, person } => {
            w.u8(5).raw(&device.0).raw(&agreement.0).raw(&person.0);
        }
        Action::Keys { epoch, envelopes } => {
            w.u8(6).u32(*epoch).len(envelopes.len());
            for e in envelopes {
                match e.to {
                    Recipient::Device(d) => w.u8(1).raw(&d.0),
                    Recipient::Invite(i) => w.u8(2).raw(&i.0),
                };
                w.raw(&e.encapped).bytes(&e.sealed);
            }
        }
    }
}

fn write_signer(w: &mut Writer, signer: &Signer) {
    match signer {
        Signer::Genesis => w.u8(1),
        Signer::Device(d) => w.u8(2).raw(&d.0),
        Signer::Invite(i) => w.u8(3).raw(&i.0),
    };
}

fn read_role(r: &mut Reader<'_>) -> Result<MemberRole, WireError> {
    let v = r.u8()?;
    MemberRole::from_u8(v).ok_or(WireError::UnknownTag(v))
}

fn read_op(r: &mut Reader<'_>) -> Result<Op, WireError> {
    match r.u8()? {
        OP_VERSION => {}
        v => return Err(WireError::Version(v)),
    }
    let space = SpaceId(r.array()?);
    let n = r.len(32)?;
    let parents = (0..n).map(|_| Ok(OpId(r.array()?))).collect::<Result<Vec<_>, WireError>>()?;
    let at_ms = r.u64()? as i64;
    let action = match r.u8()? {
        1 => Action::Add {
            device: DeviceId(r.array()?),
            agreement: AgreementPub(r.array()?),
            person: SpaceId(r.array()?),
            role: read_role(r)?,
            tag: r.u8()?,
        },
        2 => Action::Remove { device: DeviceId(r.array()?) },
        3 => Action::Invite {
            invite: InviteId(r.array()?),
            agreement: AgreementPub(r.array()?),
            role: read_role(r)?,
            tag: r.u8()?,
            expires_ms: r.u64()? as i64,
            uses: r.u32()?,
            person: match r.u8()? {
                0 => None,
                1 => Some(SpaceId(r.array()?)),
                t => return Err(WireError::UnknownTag(t)),
            },
        },
        4 => Action::RevokeInvite { invite: InviteId(r.array()?) },
        5 => Action::Join {
            device: DeviceId(r.array()?),
            agreement: AgreementPub(r.array()?),
            person: SpaceId(r.array()?),
        },
        6 => {
            let epoch = r.u32()?;
            let n = r.len(1 + 32 + 32 + 4)?;
            let envelopes = (0..n)
                .map(|_| {
                    let to = match r.u8()? {
                        1 => Recipient::Device(DeviceId(r.array()?)),
                        2 => Recipient::Invite(InviteId(r.array()?)),
                        t => return Err(WireError::UnknownTag(t)),
                    };
                    Ok(Envelope { to, encapped: r.array()?, sealed: r.bytes()?.to_vec() })
                })
                .collect::<Result<Vec<_>, WireError>>()?;
            Action::Keys { epoch, envelopes }
        }
        t => return Err(WireError::UnknownTag(t)),
    };
    let signer = match r.u8()? {
        1 => Signer::Genesis,
        2 => Signer::Device(DeviceId(r.array()?)),
        3 => Signer::Invite(InviteId(r.array()?)),
        t => return Err(WireError::UnknownTag(t)),
    };
    Ok(Op { space, parents, at_ms, action, signer, signature: r.array()? })
}
