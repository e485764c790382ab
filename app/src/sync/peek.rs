//! Reading what the relay holds for a space before joining it (the join page's preview of a
//! space from before governed spaces: whoever holds its secret may read it).

use amplify::{Payload, SpaceSecret};

use super::errand::Errand;
use crate::account::Account;

/// Reads what the relay holds for one space without joining it: what the join page shows
/// before someone decides.
///
/// # Errors
/// Why it could not be read, in words.
pub async fn peek(account: &Account, secret: &SpaceSecret) -> Result<Vec<Payload>, String> {
    let keys = secret.keys();
    let mut errand = Errand::open(&account.device, vec![keys.admit(account.device.id())]).await?;
    let blobs = errand.blobs(keys.id).await?;
    Ok(blobs.iter().filter_map(|blob| blob.open(&keys).ok()).collect())
}
