//! The table of issued access tokens: rows kept durably by digest, revoked
//! in one step, old rows dropped, everything read back after a reopen and
//! from a backup.

use mesh_storage::{RedbStore, Store, StoreOptions, TokenRow};

use crate::common::*;

fn row(expires_at_ms: i64, who: &str) -> TokenRow {
    TokenRow {
        expires_at_ms,
        revoked: false,
        identity: who.as_bytes().to_vec(),
    }
}

#[test]
fn token_rows_are_kept_revoked_dropped_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = ([1u8; 32], [2u8; 32], [3u8; 32]);
    {
        let store = open(dir.path(), StoreOptions::default());
        store.put_token(&a, &row(5_000, "alice")).unwrap();
        store.put_token(&b, &row(9_000, "bob")).unwrap();
        store.put_token(&c, &row(-1, "old")).unwrap();
        assert_eq!(store.token(&a).unwrap(), Some(row(5_000, "alice")));
        assert!(store.revoke_token(&b).unwrap());
        assert!(!store.revoke_token(&[9; 32]).unwrap());
        store.remove_expired_tokens(0).unwrap();
        assert_eq!(store.token(&c).unwrap(), None);

        let backup = dir.path().join("backup");
        store.backup(&backup).unwrap();
        let restored = RedbStore::open(&backup).unwrap();
        assert_eq!(restored.tokens().unwrap().len(), 2);
    }
    // Durable: a reopened store has the same rows, the revocation too.
    let store = open(dir.path(), StoreOptions::default());
    let mut rows = store.tokens().unwrap();
    rows.sort_by_key(|(digest, _)| *digest);
    let revoked_bob = TokenRow {
        revoked: true,
        ..row(9_000, "bob")
    };
    assert_eq!(rows, vec![(a, row(5_000, "alice")), (b, revoked_bob)]);
}

#[test]
fn rows_round_trip_through_their_encoding() {
    for r in [
        row(i64::MIN, ""),
        row(0, "x"),
        row(i64::MAX, "alice@MESH.TEST"),
    ] {
        assert_eq!(TokenRow::decode(&r.encode()), Some(r.clone()));
        let revoked = TokenRow {
            revoked: true,
            ..r.clone()
        };
        assert_eq!(TokenRow::decode(&revoked.encode()), Some(revoked));
    }
    assert_eq!(TokenRow::decode(&[0; 8]), None);
    assert_eq!(TokenRow::decode(&[0, 0, 0, 0, 0, 0, 0, 0, 2]), None);
}
