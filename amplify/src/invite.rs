//! Invitations and recovery codes: how a space's secret travels from one device to another.
//!
//! An invite link carries the secret in the URL's `#fragment`, which browsers never send to a
//! server: `https://amplify.example/join#v1.g.<secret>.<space name>.<inviter>`. A recovery code
//! is the same secret of a person's own space, written to be typed: 52 Crockford base-32
//! characters in groups of four, then Crockford's check symbol (modulo 37).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use thiserror::Error;

use crate::{
    cohort::CohortRole,
    crypto::{ReaderKeys, SpaceId, SpaceSecret},
    members::OpId,
    registration::RegistrationKey,
};

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum InviteError {
    #[error("this is not an Amplify invite link")]
    NotAnInvite,
    #[error("this invite was made by a newer version of Amplify")]
    UnknownVersion,
    #[error("the invite link is damaged (was it copied whole?)")]
    Damaged,
    #[error("the recovery code has {0} characters; it should have 53")]
    CodeLength(usize),
    #[error("the recovery code has a typo: '{0}' is not one of its characters")]
    CodeCharacter(char),
    #[error("the recovery code has a typo somewhere (its check character does not match)")]
    CodeCheck,
}

/// What an invite lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteKind {
    /// Link another device of one's own: the person's own space.
    Device,
    /// Join a home group.
    HomeGroup,
    /// Start coaching with the coach who sent it.
    Coaching,
    /// Join a cohort in a role. Executive viewers get read-only keys.
    Cohort(CohortRole),
}

/// The key an invite carries: a space's secret, or only what reading it takes.
// An invite is read once, when someone opens the link: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteKey {
    Secret(SpaceSecret),
    Reader(ReaderKeys),
    /// A governed space's invite: the invite's own key (whoever holds it joins with it, and
    /// reads the space's keys sealed to it), and the operation that opened it, which the join
    /// builds on. It expires, runs out and can be revoked.
    Ticket {
        space: SpaceId,
        seed: [u8; 32],
        opened: OpId,
    },
}

impl InviteKey {
    /// The space this key opens.
    pub fn space(&self) -> crate::SpaceId {
        match self {
            InviteKey::Secret(secret) => secret.keys().id,
            InviteKey::Reader(reader) => reader.id,
            InviteKey::Ticket { space, .. } => *space,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub kind: InviteKind,
    pub key: InviteKey,
    /// What the space is called ("Nordics Rising"), to show before joining.
    pub name: String,
    /// Who invited, to show before joining.
    pub from: String,
    /// The programme's registration on the relay, if the inviter holds one: the invited
    /// person's devices register their own spaces with it (see `registration.rs`).
    pub registration: Option<RegistrationKey>,
}

impl Invite {
    /// The part after `#` in an invite link.
    pub fn to_fragment(&self) -> String {
        let kind = match self.kind {
            InviteKind::Device => "d",
            InviteKind::HomeGroup => "g",
            InviteKind::Coaching => "k",
            InviteKind::Cohort(CohortRole::Participant) => "cp",
            InviteKind::Cohort(CohortRole::Coach) => "cc",
            InviteKind::Cohort(CohortRole::ProgrammeTeam) => "ct",
            InviteKind::Cohort(CohortRole::Executive) => "ce",
        };
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let (version, key) = match &self.key {
            InviteKey::Secret(secret) => ("v1", b64(&secret.to_bytes())),
            InviteKey::Reader(reader) => ("v1", b64(&reader.to_bytes())),
            InviteKey::Ticket { space, seed, opened } => {
                ("v2", format!("{}.{}.{}", b64(&space.0), b64(seed), b64(&opened.0)))
            }
        };
        let mut fragment =
            format!("{version}.{kind}.{key}.{}.{}", b64(self.name.as_bytes()), b64(self.from.as_bytes()));
        if let Some(registration) = &self.registration {
            fragment.push('.');
            fragment.push_str(&b64(&registration.seed()));
        }
        fragment
    }

    /// Reads an invite from a link's fragment (with or without the `#`).
    ///
    /// # Errors
    /// [`InviteError`] naming what is wrong, in words a person can act on.
    pub fn parse(fragment: &str) -> Result<Invite, InviteError> {
        let fragment = fragment.trim().trim_start_matches('#');
        let parts: Vec<&str> = fragment.split('.').collect();
        let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| InviteError::Damaged);
        let array = |s: &str| -> Result<[u8; 32], InviteError> {
            decode(s)?.try_into().map_err(|_| InviteError::Damaged)
        };
        let (kind, key, rest) = match parts.first() {
            Some(&"v1") if parts.len() >= 3 => (parts[1], Err(parts[2]), &parts[3..]),
            Some(&"v2") if parts.len() >= 5 => {
                let ticket = InviteKey::Ticket {
                    space: SpaceId(array(parts[2])?),
                    seed: array(parts[3])?,
                    opened: OpId(array(parts[4])?),
                };
                (parts[1], Ok(ticket), &parts[5..])
            }
            Some(&("v1" | "v2")) => return Err(InviteError::Damaged),
            Some(v) if v.starts_with('v') && v.len() <= 4 => return Err(InviteError::UnknownVersion),
            _ => return Err(InviteError::NotAnInvite),
        };
        let (name, from, registration) = match rest {
            [name, from] => (*name, *from, None),
            [name, from, registration] => (*name, *from, Some(*registration)),
            _ => return Err(InviteError::Damaged),
        };
        let kind = match kind {
            "d" => InviteKind::Device,
            "g" => InviteKind::HomeGroup,
            "k" => InviteKind::Coaching,
            "cp" => InviteKind::Cohort(CohortRole::Participant),
            "cc" => InviteKind::Cohort(CohortRole::Coach),
            "ct" => InviteKind::Cohort(CohortRole::ProgrammeTeam),
            "ce" => InviteKind::Cohort(CohortRole::Executive),
            _ => return Err(InviteError::Damaged),
        };
        let key = match key {
            Ok(ticket) => ticket,
            Err(key) if kind == InviteKind::Cohort(CohortRole::Executive) => {
                InviteKey::Reader(ReaderKeys::from_bytes(&decode(key)?).map_err(|_| InviteError::Damaged)?)
            }
            Err(key) => InviteKey::Secret(SpaceSecret::from_bytes(array(key)?)),
        };
        let text = |s: &str| String::from_utf8(decode(s)?).map_err(|_| InviteError::Damaged);
        let registration = match registration {
            Some(seed) => {
                let seed: [u8; 32] = decode(seed)?.try_into().map_err(|_| InviteError::Damaged)?;
                Some(RegistrationKey::from_seed(seed))
            }
            None => None,
        };
        Ok(Invite { kind, key, name: text(name)?, from: text(from)?, registration })
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Crockford's check symbols: the 32 digits and five more, for values modulo 37.
const CHECK: &[u8; 37] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

/// A person's recovery code: the seed of their recovery key (or, for an account from before
/// governed spaces, their own space's secret).
pub fn recovery_code(seed: &[u8; 32]) -> String {
    typed_code(seed)
}

/// Reads a recovery code as typed: any case, with or without dashes and spaces; O read as 0,
/// I and L as 1.
///
/// # Errors
/// [`InviteError`] saying what is wrong with the code.
pub fn parse_recovery_code(code: &str) -> Result<[u8; 32], InviteError> {
    parse_typed_code(code)
}

/// 32 bytes written to be typed: 52 Crockford base-32 characters in groups of four, then
/// Crockford's check symbol (modulo 37).
pub(crate) fn typed_code(bytes: &[u8; 32]) -> String {
    let mut digits = Vec::with_capacity(53);
    let (mut acc, mut bits) = (0u32, 0);
    for &byte in bytes {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            digits.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        digits.push(((acc << (5 - bits)) & 31) as u8);
    }
    let mut chars: Vec<char> = digits.iter().map(|&d| CROCKFORD[d as usize] as char).collect();
    chars.push(CHECK[check_digit(&digits) as usize] as char);
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// A character of a typed code as it is meant: upper case, O read as 0, I and L as 1 (what a
/// person misreads on paper or in a handwritten copy).
pub fn code_char(c: char) -> char {
    match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        u => u,
    }
}

/// Reads what [`typed_code`] wrote, as a person typed it.
pub(crate) fn parse_typed_code(code: &str) -> Result<[u8; 32], InviteError> {
    let chars: Vec<char> = code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if chars.len() != 53 {
        return Err(InviteError::CodeLength(chars.len()));
    }
    let mut digits = Vec::with_capacity(52);
    for &c in &chars[..52] {
        let d =
            CROCKFORD.iter().position(|&x| x as char == code_char(c)).ok_or(InviteError::CodeCharacter(c))?;
        digits.push(d as u8);
    }
    let last = chars[52];
    let check =
        CHECK.iter().position(|&x| x as char == code_char(last)).ok_or(InviteError::CodeCharacter(last))?
            as u8;
    if check_digit(&digits) != check {
        return Err(InviteError::CodeCheck);
    }
    let mut bytes = Vec::with_capacity(33);
    let (mut acc, mut bits) = (0u32, 0);
    for d in digits {
        acc = (acc << 5) | u32::from(d);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
    }
    Ok(bytes[..32].try_into().expect("52 base-32 digits hold 32 bytes"))
}

/// A weighted sum modulo 37. 37 is a prime above every digit difference, and no weight is a
/// multiple of it, so any single wrong character and any swap of two neighbours changes it.
fn check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits.iter().enumerate().map(|(i, &d)| (i as u32 % 36 + 1) * u32::from(d)).sum();
    (sum % 37) as u8
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn an_invite_round_trips_through_its_fragment() {
        let secret = SpaceSecret::generate();
        for (kind, key) in [
            (InviteKind::HomeGroup, InviteKey::Secret(secret.clone())),
            (InviteKind::Coaching, InviteKey::Secret(secret.clone())),
            (InviteKind::Cohort(CohortRole::Coach), InviteKey::Secret(secret.clone())),
            (InviteKind::Cohort(CohortRole::Executive), InviteKey::Reader(secret.keys().reader_keys())),
            (
                InviteKind::Cohort(CohortRole::Executive),
                InviteKey::Ticket { space: secret.keys().id, seed: [3; 32], opened: OpId([4; 32]) },
            ),
            (
                InviteKind::Device,
                InviteKey::Ticket { space: secret.keys().id, seed: [5; 32], opened: OpId([6; 32]) },
            ),
        ] {
            let registration = (kind == InviteKind::HomeGroup).then(RegistrationKey::generate);
            let invite = Invite {
                kind,
                key,
                name: "Nordics Rising · Ørsted".into(),
                from: "Maya".into(),
                registration,
            };
            let fragment = invite.to_fragment();
            assert!(fragment.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)), "{fragment}");
            assert_eq!(Invite::parse(&format!("#{fragment}")), Ok(invite.clone()));
            assert_eq!(invite.key.space(), secret.keys().id);
        }
    }

    #[test]
    fn broken_invites_say_what_is_wrong() {
        assert_eq!(Invite::parse("hello"), Err(InviteError::NotAnInvite));
        assert_eq!(Invite::parse("v3.g.x.y.z"), Err(InviteError::UnknownVersion));
        assert_eq!(Invite::parse("v2.g.AAAA.AAAA.AAAA.AA.AA"), Err(InviteError::Damaged), "short keys");
        assert_eq!(Invite::parse("v1.g.AAAA"), Err(InviteError::Damaged));
        assert_eq!(Invite::parse("v1.x.AAAA.AA.AA"), Err(InviteError::Damaged));
        assert_eq!(Invite::parse("v1.g.AAAA.AA.AA"), Err(InviteError::Damaged), "a short secret");
    }

    #[test]
    fn recovery_codes_forgive_case_dashes_and_look_alikes() {
        let secret = [0xa5; 32];
        let code = recovery_code(&secret);
        assert_eq!(code.replace('-', "").len(), 53);
        let sloppy = code.to_lowercase().replace('-', " ").replace('0', "o").replace('1', "l");
        assert_eq!(parse_recovery_code(&sloppy), Ok(secret));
    }

    #[test]
    fn recovery_code_typos_are_caught() {
        let code = recovery_code(&[7; 32]);
        assert_eq!(parse_recovery_code(&code[..20]), Err(InviteError::CodeLength(16)));
        assert_eq!(parse_recovery_code(&code.replacen('7', "U", 1)), Err(InviteError::CodeCharacter('U')));
        let mut flipped: Vec<char> = code.chars().collect();
        flipped.swap(5, 6);
        let flipped: String = flipped.into_iter().collect();
        if flipped != code {
            assert_eq!(parse_recovery_code(&flipped), Err(InviteError::CodeCheck));
        }
    }

    proptest! {
        #[test]
        fn any_secret_round_trips_and_any_single_typo_or_swap_is_caught(
            bytes in any::<[u8; 32]>(),
            at in 0usize..52,
            delta in 1u8..32,
        ) {
            let code = recovery_code(&bytes);
            prop_assert_eq!(parse_recovery_code(&code), Ok(bytes));
            let plain: Vec<u8> = code.replace('-', "").into_bytes();
            let digit = |c: u8| CROCKFORD.iter().position(|&x| x == c).unwrap() as u8;

            let mut typo = plain.clone();
            typo[at] = CROCKFORD[((digit(typo[at]) + delta) % 32) as usize];
            prop_assert!(parse_recovery_code(std::str::from_utf8(&typo).unwrap()).is_err());

            let mut swap = plain.clone();
            if at < 51 && swap[at] != swap[at + 1] {
                swap.swap(at, at + 1);
                prop_assert!(parse_recovery_code(std::str::from_utf8(&swap).unwrap()).is_err());
            }
        }
    }
}
