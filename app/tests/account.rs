//! The account and the keyring that carries its spaces to the person's other devices, in a
//! real browser (the account lives in IndexedDB).

use amplify::SpaceSecret;
use app::{
    Storage,
    account::{Access, Account, SpaceKind},
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn fresh_account(test: &str) -> Account {
    let storage = Storage::open(&format!("amplify-test-{test}-{}", js_sys::Math::random())).await.unwrap();
    Account::load_or_create(&storage).await.unwrap()
}

#[wasm_bindgen_test]
async fn another_device_joins_the_spaces_recorded_in_the_keyring() {
    let mut phone = fresh_account("keyring-phone").await;
    let group = phone.join(SpaceKind::HomeGroup, "Nordics Rising", Access::Member(SpaceSecret::generate()));
    let records = phone.keyring_records();
    assert_eq!(records.len(), 1, "the personal space is never in the keyring");

    let mut laptop = fresh_account("keyring-laptop").await;
    let (space, record) = &records[0];
    assert_eq!(laptop.adopt(space, record), Some(group));
    let joined = laptop.space(group).expect("the laptop is in the group");
    assert_eq!(
        (joined.kind, joined.name.as_str(), joined.can_write()),
        (SpaceKind::HomeGroup, "Nordics Rising", true)
    );
    assert_ne!(joined.cert, phone.space(group).unwrap().cert, "each device gets its own certificate");
    assert_eq!(laptop.adopt(space, record), None, "adopting twice joins once");
}

#[wasm_bindgen_test]
async fn a_damaged_or_mismatched_record_is_left_alone() {
    let mut laptop = fresh_account("keyring-bad").await;
    let before = laptop.spaces.len();
    let secret = SpaceSecret::from_bytes([7; 32]);
    let id = secret.keys().id.to_string();
    let hex: String = [7u8; 32].iter().map(|b| format!("{b:02x}")).collect();
    let group = format!(r#"{{"kind":"HomeGroup","name":"G","secret":"{hex}"}}"#);
    let personal = format!(r#"{{"kind":"Personal","name":"Not mine","secret":"{hex}"}}"#);
    assert_eq!(laptop.adopt(&id, "garbage"), None);
    assert_eq!(laptop.adopt(&"0".repeat(64), &group), None, "the key must match the space it is filed under");
    assert_eq!(laptop.adopt(&id, &personal), None, "a keyring cannot replace the personal space");
    assert_eq!(laptop.spaces.len(), before);
    assert!(laptop.adopt(&id, &group).is_some());
}
