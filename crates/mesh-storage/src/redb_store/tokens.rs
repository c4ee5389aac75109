//! The table of access tokens a server issued: one row per token digest,
//! each change its own durable transaction.

use redb::{Durability, ReadableTable};

use super::{RedbStore, TOKENS};
use crate::error::{Result, StoreError};
use crate::types::TokenRow;

fn corrupt(reason: &str) -> StoreError {
    StoreError::Backend(format!("corrupt access token row: {reason}").into())
}

fn digest_of(key: &[u8]) -> Result<[u8; 32]> {
    key.try_into()
        .map_err(|_| corrupt("its key is not a 32-byte digest"))
}

impl RedbStore {
    pub(super) fn put_token_row(&self, digest: &[u8; 32], row: &TokenRow) -> Result<()> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        txn.open_table(TOKENS)?
            .insert(digest.as_slice(), row.encode().as_slice())?;
        txn.commit()?;
        Ok(())
    }

    pub(super) fn token_row(&self, digest: &[u8; 32]) -> Result<Option<TokenRow>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(TOKENS)?;
        let Some(bytes) = table.get(digest.as_slice())? else {
            return Ok(None);
        };
        TokenRow::decode(bytes.value())
            .map(Some)
            .ok_or_else(|| corrupt("its value does not decode"))
    }

    pub(super) fn revoke_token_row(&self, digest: &[u8; 32]) -> Result<bool> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        let found = {
            let mut table = txn.open_table(TOKENS)?;
            let row = match table.get(digest.as_slice())? {
                Some(bytes) => Some(
                    TokenRow::decode(bytes.value())
                        .ok_or_else(|| corrupt("its value does not decode"))?,
                ),
                None => None,
            };
            match row {
                Some(mut row) => {
                    row.revoked = true;
                    table.insert(digest.as_slice(), row.encode().as_slice())?;
                    true
                }
                None => false,
            }
        };
        txn.commit()?;
        Ok(found)
    }

    pub(super) fn remove_expired_token_rows(&self, before_ms: i64) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(TOKENS)?;
            // Rows whose expiry cannot be read are dropped as well: no
            // token could be verified against them.
            table.retain(|_, value| {
                TokenRow::decode(value).is_some_and(|row| row.expires_at_ms >= before_ms)
            })?;
        }
        txn.commit()?;
        Ok(())
    }

    pub(super) fn token_rows(&self) -> Result<Vec<([u8; 32], TokenRow)>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(TOKENS)?;
        let mut rows = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            let row = TokenRow::decode(value.value())
                .ok_or_else(|| corrupt("its value does not decode"))?;
            rows.push((digest_of(key.value())?, row));
        }
        Ok(rows)
    }
}
