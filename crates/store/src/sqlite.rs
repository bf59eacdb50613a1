//! The embedded default store: one SQLite file.
//!
//! WAL mode lets the review CLI and the running daemon use the file at once;
//! `synchronous = FULL` makes each commit durable before it returns, which the
//! outbox needs (a reply marked sent must stay marked after a power cut). The
//! cost is one fsync per commit, small next to an SMTP round trip.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};

use crate::{Result, StoreError};

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

/// How long opening a store waits for another process's migrations.
const MIGRATION_LOCK_WAIT: Duration = Duration::from_secs(120);

/// An exclusive lock held while migrations run. sqlx does not lock SQLite
/// migrations: the daemon and `autoemail queue` opening a new store at once
/// both ran the first migration, and one of them failed ("table messages
/// already exists"). The lock is on a file beside the database, never the
/// database itself: closing any descriptor of the database file would drop
/// every POSIX lock SQLite holds on it in this process. It is released when
/// the returned file is dropped; the empty lock file stays (removing it would
/// let a waiting process and a new one both take a lock).
async fn lock_for_migrations(path: &std::path::Path) -> Result<Option<std::fs::File>> {
    let name = path.to_string_lossy();
    if name.is_empty() || name == ":memory:" {
        return Ok(None);
    }
    let lock_path = std::path::PathBuf::from(format!("{name}.migrate-lock"));
    let failed = |e: std::io::Error| StoreError::File(format!("cannot open {} to migrate the database: {e}", lock_path.display()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&lock_path).map_err(failed)?;
    let started = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < MIGRATION_LOCK_WAIT => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::File(format!(
                    "another process has been updating the database {} for {} s; stop it or try again",
                    path.display(),
                    MIGRATION_LOCK_WAIT.as_secs()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(failed(e)),
        }
    }
}

impl SqliteStore {
    /// Open (creating if missing) the database at `path` and run migrations.
    pub async fn open(path: &std::path::Path) -> Result<Self> {
        let options = SqliteConnectOptions::new().filename(path);
        Self::open_with(options).await
    }

    /// Open from a `sqlite://` URL.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::open_with(SqliteConnectOptions::from_str(url)?).await
    }

    async fn open_with(options: SqliteConnectOptions) -> Result<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let migration_lock = lock_for_migrations(options.get_filename()).await?;
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        drop(migration_lock);
        Ok(SqliteStore { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Nobody listens to a SQLite file: other processes poll it.
async fn announce(_conn: &mut SqliteConnection, _event: &str) -> Result<()> {
    Ok(())
}

/// Account lists bind as a JSON array, read back by `json_each`.
fn account_list(accounts: &[String]) -> String {
    crate::shared::json(&accounts)
}

crate::shared::store_impl! {
    store: SqliteStore,
    connection: sqlx::SqliteConnection,
    row: sqlx::sqlite::SqliteRow,
    announce: super::announce,
    lock_claimed: "",
    position: "instr",
    in_accounts: "IN (SELECT value FROM json_each($1))",
    account_list: super::account_list,
    specific: {
        async fn integrity_check(&self) -> Result<String> {
            let rows = sqlx::query("PRAGMA integrity_check").fetch_all(&self.pool).await?;
            let lines: Vec<String> = rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<std::result::Result<_, _>>()?;
            Ok(lines.join("; "))
        }
    }
}
