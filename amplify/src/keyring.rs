//! The spaces a person belongs to, kept in their own space so that every device of theirs
//! learns them: a new phone restored with the recovery code, or a linked laptop, gets the home
//! group, the coaching pair and the cohort back, not only the journal.
//!
//! Layout: `spaces` (space id → the device's record of it, an opaque string the client writes:
//! kind, name, key, role), and `registration` (the relay registration code the person's devices
//! register their spaces with, if they have one), and `recovery` (the person's recovery code).
//! Only the person's devices hold the personal
//! space's key, so only they can read the keys written here.

use automerge::ObjType;

use crate::doc::{Doc, DocKind};

/// The person's keyring: one record per space, by space id.
#[derive(Debug)]
pub struct Keyring {
    doc: Doc,
}

crate::doc::model!(Keyring, DocKind::Keyring, [("spaces", ObjType::Map)]);

impl Keyring {
    /// The record kept for `space`, if any.
    pub fn get(&self, space: &str) -> Option<String> {
        self.doc.get_str(&self.doc.root_obj("spaces"), space)
    }

    /// Keeps `record` for `space`. Writing the same record again changes nothing.
    pub fn put(&mut self, space: &str, record: &str) {
        if self.get(space).as_deref() != Some(record) {
            let spaces = self.doc.root_obj("spaces");
            self.doc.put(&spaces, space, record);
        }
    }

    /// The registration code kept for the person's devices, if any.
    pub fn registration(&self) -> Option<String> {
        self.doc.get_str(&automerge::ROOT, "registration")
    }

    /// Keeps the registration code. Writing the same code again changes nothing.
    pub fn set_registration(&mut self, code: &str) {
        if self.registration().as_deref() != Some(code) {
            self.doc.put(&automerge::ROOT, "registration", code);
        }
    }

    /// The person's recovery code, so every device of theirs shows the same one.
    pub fn recovery(&self) -> Option<String> {
        self.doc.get_str(&automerge::ROOT, "recovery")
    }

    /// Every recovery code written without seeing the others: two devices that each wrote
    /// their own before one was linked to the other leave two here after the merge. The
    /// person's code is the one whose key is a member of their space; the reader decides.
    pub fn recoveries(&self) -> Vec<String> {
        self.doc.get_all_str(&automerge::ROOT, "recovery")
    }

    /// Forgets the recovery code this keyring holds (a device being linked drops its own before
    /// its keyring merges with the person's).
    pub fn forget_recovery(&mut self) {
        if self.recovery().is_some() {
            self.doc.delete(&automerge::ROOT, "recovery");
        }
    }

    /// Keeps the recovery code (a new one replaces the old).
    pub fn set_recovery(&mut self, code: &str) {
        if self.recovery().as_deref() != Some(code) {
            self.doc.put(&automerge::ROOT, "recovery", code);
        }
    }

    /// Every space and its record, by space id.
    pub fn entries(&self) -> Vec<(String, String)> {
        let spaces = self.doc.root_obj("spaces");
        self.doc
            .keys(&spaces)
            .filter_map(|space| {
                let record = self.get(&space)?;
                Some((space, record))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;

    #[test]
    fn two_devices_joining_different_spaces_offline_both_keep_both() {
        let mut phone = Keyring::new();
        let mut laptop = Keyring::load(&phone.doc_mut().save()).unwrap();
        phone.put("aa", "group record");
        laptop.put("bb", "cohort record");
        let mut laptop_doc = laptop.doc_mut().fork();
        phone.doc_mut().merge(&mut laptop_doc).unwrap();
        assert_eq!(
            phone.entries(),
            vec![("aa".to_owned(), "group record".to_owned()), ("bb".to_owned(), "cohort record".to_owned())]
        );
    }

    #[test]
    fn putting_the_same_record_again_writes_nothing() {
        let mut keyring = Keyring::new();
        keyring.put("aa", "record");
        let heads = keyring.doc_mut().heads();
        keyring.put("aa", "record");
        assert_eq!(keyring.doc_mut().heads(), heads);
        assert_eq!(keyring.get("aa").as_deref(), Some("record"));
    }

    #[test]
    fn a_linked_device_that_forgets_its_own_code_leaves_only_the_persons() {
        let merged = |forget: bool| {
            let mut phone = Keyring::new();
            let mut laptop = Keyring::new();
            phone.set_recovery("PHONE-CODE");
            laptop.set_recovery("LAPTOP-CODE");
            if forget {
                laptop.forget_recovery();
            }
            let mut laptop_doc = laptop.doc_mut().fork();
            phone.doc_mut().merge(&mut laptop_doc).unwrap();
            let mut codes = phone.recoveries();
            crate::sort::ord(&mut codes);
            codes
        };
        assert_eq!(merged(false), vec!["LAPTOP-CODE".to_owned(), "PHONE-CODE".to_owned()], "both are kept");
        assert_eq!(merged(true), vec!["PHONE-CODE".to_owned()]);
    }
}
