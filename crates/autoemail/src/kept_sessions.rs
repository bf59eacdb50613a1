//! IMAP sessions a worker keeps open between an account's syncs. Logging in
//! for every sync costs the server a login every few seconds per account (an
//! inbox provider may refuse a client that does so) and the sync a connect and
//! an authentication: 11.3 ms an idle sync on loopback, against 0.24 ms on a
//! kept session. The claims leave an account to the worker that synced it last
//! (see `Store::claim_account`), so its session is there when it is due again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use autoemail_mail::imap::ImapClient;

use crate::App;

/// Kept at most this long unused: an account another worker took over, or
/// one synced rarely, does not hold a connection (servers log out idle
/// sessions after 30 minutes at the earliest).
pub const MAX_IDLE: Duration = Duration::from_secs(300);

pub struct KeptSessions {
    max: usize,
    kept: Mutex<HashMap<String, Kept>>,
}

struct Kept {
    client: ImapClient,
    /// The account's config it was opened with: a reloaded account logs in anew.
    app: Arc<App>,
    used: Instant,
}

impl KeptSessions {
    /// At most `max` sessions (0: none kept, a login per sync).
    pub fn new(max: usize) -> KeptSessions {
        KeptSessions { max, kept: Mutex::new(HashMap::new()) }
    }

    /// The account's kept session, if one is open for its current config.
    pub fn take(&self, app: &Arc<App>) -> Option<ImapClient> {
        let kept = self.lock().remove(app.account())?;
        if Arc::ptr_eq(&kept.app, app) && kept.used.elapsed() < MAX_IDLE {
            Some(kept.client)
        } else {
            close(kept.client);
            None
        }
    }

    /// Keep a session after a good sync. When full, a new account's session is
    /// closed rather than one kept: accounts come round in turn, so pushing the
    /// longest unused out would leave every session gone by its next sync,
    /// while keeping the first `max` saves `max` logins a round.
    pub fn put(&self, app: &Arc<App>, client: ImapClient) {
        let mut kept = self.lock();
        if !kept.contains_key(app.account()) && kept.len() >= self.max {
            let stale: Vec<String> = kept.iter().filter(|(_, k)| k.used.elapsed() >= MAX_IDLE).map(|(name, _)| name.clone()).collect();
            for name in stale {
                if let Some(k) = kept.remove(&name) {
                    close(k.client);
                }
            }
            if kept.len() >= self.max {
                close(client);
                return;
            }
        }
        if let Some(old) = kept.insert(app.account().to_string(), Kept { client, app: app.clone(), used: Instant::now() }) {
            close(old.client);
        }
    }

    /// Close the sessions of accounts no longer served as they were (left or
    /// reloaded) and those unused for [`MAX_IDLE`].
    pub fn prune(&self, apps: &[Arc<App>]) {
        let serving: HashMap<&str, &Arc<App>> = apps.iter().map(|a| (a.account(), a)).collect();
        let mut kept = self.lock();
        let stale: Vec<String> = kept
            .iter()
            .filter(|(name, k)| k.used.elapsed() >= MAX_IDLE || !serving.get(name.as_str()).is_some_and(|a| Arc::ptr_eq(a, &k.app)))
            .map(|(name, _)| name.clone())
            .collect();
        for name in stale {
            if let Some(k) = kept.remove(&name) {
                close(k.client);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Kept>> {
        // A poisoned map still holds whole sessions: each is inserted or removed at once.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Log out on the side: a sync does not wait for a session it gives up.
fn close(client: ImapClient) {
    tokio::spawn(client.logout());
}
