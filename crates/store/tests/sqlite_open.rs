//! Opening one new SQLite store from several places at once: the daemon and a
//! command such as `autoemail queue` started beside it. Each one runs the
//! migrations; all must succeed and the schema must be whole.

use autoemail_store::{SqliteStore, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_store_opened_at_once_from_several_pools_migrates_once() {
    for round in 0..8 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let mut opens = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let path = path.clone();
            opens.spawn(async move { SqliteStore::open(&path).await.map(|_| ()) });
        }
        while let Some(result) = opens.join_next().await {
            if let Err(e) = result.unwrap() {
                panic!("round {round}: opening the new store failed: {e}");
            }
        }
        let store = SqliteStore::open(&path).await.unwrap();
        assert!(store.queue(None).await.unwrap().is_empty(), "round {round}: the schema is whole");
        assert!(dir.path().join("store.sqlite.migrate-lock").exists(), "the lock is a file beside the database, not the database");
    }
}
