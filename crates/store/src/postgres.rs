//! The scale-out store: PostgreSQL, shared by many worker processes.
//!
//! The same tables and records as the SQLite store (migrations/postgres), so
//! the application behaves the same on either. What PostgreSQL adds: outbox
//! claims with `FOR UPDATE SKIP LOCKED`, so several senders never take the
//! same reply, and every commit durable on the server before it returns.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};

use crate::{Result, StoreError};

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connect to a `postgres://` URL and bring the schema up to date (migrations
    /// take an advisory lock, so workers starting together do not collide).
    pub async fn connect(url: &str) -> Result<Self> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new().max_connections(8).acquire_timeout(Duration::from_secs(30)).connect_with(options).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// One connection for administration (creating a database for a deployment or a test).
    pub async fn admin(url: &str) -> Result<PgPool> {
        Ok(PgPoolOptions::new().max_connections(1).connect(url).await?)
    }

    /// The URL of database `name` on the server of `url` (same role, host
    /// and options), for a database made with `create_database`.
    pub fn database_url(url: &str, name: &str) -> String {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (url, String::new()),
        };
        let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
        let path_start = base[scheme_end..].find('/').map(|i| scheme_end + i).unwrap_or(base.len());
        format!("{}/{name}{query}", &base[..path_start])
    }

    pub async fn create_database(admin: &PgPool, name: &str) -> Result<()> {
        check_identifier(name)?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin).await?;
        Ok(())
    }

    pub async fn drop_database(admin: &PgPool, name: &str) -> Result<()> {
        check_identifier(name)?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(admin).await?;
        Ok(())
    }
}

/// Database names go into SQL text (they cannot be bound): letters, digits and `_` only.
fn check_identifier(name: &str) -> Result<()> {
    let ok = !name.is_empty() && name.len() <= 63 && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { Ok(()) } else { Err(StoreError::Conflict(format!("{name:?} is not a plain database name (a-z, 0-9, _)"))) }
}

/// The channel workers and the UI listen on; delivered when the transaction commits.
pub const EVENTS_CHANNEL: &str = "autoemail";

async fn notify(conn: &mut PgConnection, payload: &str) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(EVENTS_CHANNEL).bind(payload).execute(conn).await?;
    Ok(())
}

/// Changes other processes made, as they commit: "message:ACCOUNT" (a new
/// message), "draft" (a draft stored), "approved:ACCOUNT" (a reply to send).
pub struct PgEvents {
    listener: sqlx::postgres::PgListener,
}

impl PgEvents {
    pub async fn listen(url: &str) -> Result<PgEvents> {
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(PgEvents { listener })
    }

    /// The next event; after a dropped connection the listener reconnects (events
    /// in the gap are lost, so workers also poll).
    pub async fn next(&mut self) -> Result<String> {
        Ok(self.listener.recv().await?.payload().to_string())
    }
}

/// Account lists bind as a PostgreSQL array.
fn account_list(accounts: &[String]) -> &[String] {
    accounts
}

crate::shared::store_impl! {
    store: PgStore,
    connection: sqlx::PgConnection,
    row: sqlx::postgres::PgRow,
    announce: super::notify,
    lock_claimed: " FOR UPDATE SKIP LOCKED",
    position: "strpos",
    in_accounts: "= ANY($1)",
    account_list: super::account_list,
    specific: {
        async fn integrity_check(&self) -> Result<String> {
            // PostgreSQL checks its pages itself; what is left to ask is whether the server answers.
            let ok: i32 = sqlx::query("SELECT 1 AS ok").fetch_one(&self.pool).await?.try_get("ok")?;
            Ok(if ok == 1 { "ok".into() } else { "the server did not answer as expected".into() })
        }
    }
}
