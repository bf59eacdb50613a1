//! The accounts a process serves. A worker re-reads its folder of account
//! configs while it runs, so the set can change under the loops and the review
//! UI: each of them takes a snapshot when it starts a piece of work, and an
//! account that leaves finishes what it had started.

use std::sync::{Arc, RwLock};

use crate::App;

#[derive(Clone)]
pub struct Roster(Arc<RwLock<Arc<Vec<Arc<App>>>>>);

impl Roster {
    pub fn new(apps: Vec<App>) -> Roster {
        Roster::from_shared(apps.into_iter().map(Arc::new).collect())
    }

    pub fn from_shared(apps: Vec<Arc<App>>) -> Roster {
        Roster(Arc::new(RwLock::new(Arc::new(apps))))
    }

    /// The accounts as they are now (a snapshot: later changes do not move it).
    pub fn apps(&self) -> Arc<Vec<Arc<App>>> {
        // A poisoned lock still holds a whole list: it is only ever replaced.
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn get(&self, account: &str) -> Option<Arc<App>> {
        self.apps().iter().find(|a| a.account() == account).cloned()
    }

    pub fn names(&self) -> Vec<String> {
        self.apps().iter().map(|a| a.account().to_string()).collect()
    }

    pub fn replace(&self, apps: Vec<Arc<App>>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(apps);
    }
}

/// A store and the accounts it holds (never none).
pub type StoreGroup = (Arc<dyn autoemail_store::Store>, Vec<Arc<App>>);

/// The accounts grouped by the store they share (a worker's accounts all
/// share one), in their order: each store is asked once, not once per account.
pub fn by_store(apps: &[Arc<App>]) -> Vec<StoreGroup> {
    let mut groups: Vec<StoreGroup> = Vec::new();
    for app in apps {
        match groups.iter_mut().find(|(s, _)| Arc::ptr_eq(s, &app.store)) {
            Some((_, apps)) => apps.push(app.clone()),
            None => groups.push((app.store.clone(), vec![app.clone()])),
        }
    }
    groups
}
