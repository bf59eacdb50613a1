//! A worker's folder of account configs (`*.toml`, one per account), read at
//! start and again while the worker runs: a hosted service adds, changes and
//! removes accounts without restarting its workers. A config that does not
//! load is skipped with its reason and the other accounts keep working; a
//! broken edit of a running account keeps the account on its last good config.
//! Its roster is what the worker's loops and review UI serve.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use autoemail_store::Store;

use crate::roster::Roster;
use crate::{App, AppError, Config, Result};

pub struct AccountFolder {
    dir: PathBuf,
    store_url: String,
    store: Arc<dyn Store>,
    files: BTreeMap<PathBuf, FileState>,
    /// The accounts of `files`, replaced after each look that changes them.
    roster: Roster,
}

/// What the folder held at the last look, per config file.
struct FileState {
    /// The config's bytes and its policy file's: what a change is judged by.
    fingerprint: Vec<u8>,
    policy_file: Option<PathBuf>,
    /// The account it serves (the last good config after a broken edit).
    app: Option<Arc<App>>,
    /// Why the current bytes do not load.
    problem: Option<String>,
}

/// What one look at the folder changed.
#[derive(Debug, Default)]
pub struct Changes {
    pub joined: Vec<String>,
    pub left: Vec<String>,
    pub reloaded: Vec<String>,
    /// Configs that do not load, each said once (until it changes again).
    pub problems: Vec<String>,
}

impl AccountFolder {
    /// Read the folder and connect to the store its accounts share (the URL of
    /// the first config, in name order, that loads). Fails only when no
    /// config loads at all; the others are in `Changes::problems`.
    pub async fn open(dir: &Path) -> Result<(AccountFolder, Changes)> {
        let paths = config_paths(dir)?;
        if paths.is_empty() {
            return Err(AppError::Config(format!("{} holds no account configs (*.toml)", dir.display())));
        }
        let mut problems = Vec::new();
        let mut store_url = None;
        for p in &paths {
            match Config::load(p).and_then(|c| c.store.postgres_url()) {
                Ok(Some(url)) => {
                    store_url = Some(url);
                    break;
                }
                Ok(None) => problems.push(format!("{}: workers share a PostgreSQL store: set [store] url or url_env", p.display())),
                Err(e) => problems.push(format!("account config {}: {e}", p.display())),
            }
        }
        let Some(store_url) = store_url else {
            return Err(AppError::Config(format!("no account config in {} loads:\n  {}", dir.display(), problems.join("\n  "))));
        };
        let store: Arc<dyn Store> = Arc::new(autoemail_store::PgStore::connect(&store_url).await?);
        let mut folder = AccountFolder { dir: dir.to_path_buf(), store_url, store, files: BTreeMap::new(), roster: Roster::from_shared(Vec::new()) };
        let changes = folder.rescan().await?;
        if folder.apps().is_empty() {
            return Err(AppError::Config(format!("no account config in {} loads:\n  {}", dir.display(), changes.problems.join("\n  "))));
        }
        Ok((folder, changes))
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn store_url(&self) -> &str {
        &self.store_url
    }

    /// The accounts served, as they come and go with each look at the folder.
    pub fn roster(&self) -> Roster {
        self.roster.clone()
    }

    /// The accounts served now, in file-name order.
    pub fn apps(&self) -> Vec<Arc<App>> {
        self.files.values().filter_map(|f| f.app.clone()).collect()
    }

    /// Look at the folder again. Unchanged files keep their accounts as they
    /// are; new accounts are registered in the store before they join the
    /// roster. When the store cannot take them, nothing changes and the next
    /// look tries again.
    pub async fn rescan(&mut self) -> Result<Changes> {
        let paths = config_paths(&self.dir)?;
        // A name stays with the file that holds it: a second file naming the same account is refused.
        let mut taken: HashMap<String, PathBuf> =
            paths.iter().filter_map(|p| self.files.get(p).and_then(|f| f.app.as_ref()).map(|a| (a.account().to_string(), p.clone()))).collect();
        let mut files = BTreeMap::new();
        let mut problems = Vec::new();
        for path in paths {
            let old = self.files.get(&path);
            let state = self.look_at(&path, old, &taken);
            if let Some(app) = &state.app {
                taken.entry(app.account().to_string()).or_insert_with(|| path.clone());
            }
            // Said once: not again while the same reason stands.
            if let Some(problem) = &state.problem
                && old.and_then(|o| o.problem.as_ref()) != Some(problem)
            {
                problems.push(problem.clone());
            }
            files.insert(path, state);
        }
        let by_name = |files: &BTreeMap<PathBuf, FileState>| -> HashMap<String, Arc<App>> {
            files.values().filter_map(|f| f.app.clone()).map(|a| (a.account().to_string(), a)).collect()
        };
        let (before, after) = (by_name(&self.files), by_name(&files));
        let mut joined: Vec<String> = after.keys().filter(|n| !before.contains_key(*n)).cloned().collect();
        let mut left: Vec<String> = before.keys().filter(|n| !after.contains_key(*n)).cloned().collect();
        let mut reloaded: Vec<String> = after.iter().filter(|(n, a)| before.get(*n).is_some_and(|b| !Arc::ptr_eq(a, b))).map(|(n, _)| n.clone()).collect();
        for name in &joined {
            self.store.register_account(name).await?;
        }
        self.files = files;
        if !(joined.is_empty() && left.is_empty() && reloaded.is_empty()) {
            self.roster.replace(self.apps());
        }
        joined.sort();
        left.sort();
        reloaded.sort();
        Ok(Changes { joined, left, reloaded, problems })
    }

    /// One config file: kept as it was, loaded anew, or refused with a reason.
    fn look_at(&self, path: &Path, old: Option<&FileState>, taken: &HashMap<String, PathBuf>) -> FileState {
        // A running account keeps its last good config while the file does not load.
        let old_app = old.and_then(|o| o.app.clone());
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                return FileState {
                    fingerprint: Vec::new(),
                    policy_file: None,
                    app: old_app,
                    problem: Some(format!("account config {}: {e}", path.display())),
                };
            }
        };
        let policy_file = old.and_then(|o| o.policy_file.clone());
        let fingerprint = fingerprint(&bytes, policy_file.as_deref());
        if let Some(o) = old
            && o.fingerprint == fingerprint
            && o.problem.is_none()
        {
            return FileState { fingerprint, policy_file, app: old_app, problem: None };
        }
        let loaded = Config::load(path).and_then(|config| {
            if config.store.postgres_url()?.as_deref() != Some(self.store_url.as_str()) {
                return Err(AppError::Config("every account of a worker must use the same [store] url as the others".into()));
            }
            if let Some(other) = taken.get(&config.account.name).filter(|other| *other != path) {
                return Err(AppError::Config(format!(
                    "account name {:?} is taken by {}; give each [account] its own name",
                    config.account.name,
                    other.display()
                )));
            }
            let policy_file = config.policy_section.file.as_ref().map(|f| config.resolve(f));
            let mut app = App::with_store(config, self.store.clone())?;
            app.drafting_inline = false;
            Ok((app, policy_file))
        });
        match loaded {
            Ok((app, policy_file)) => {
                // Judged by the policy file the config names now (read after
                // loading: a change in between loads it once more, never misses it).
                let fingerprint = self::fingerprint(&bytes, policy_file.as_deref());
                FileState { fingerprint, policy_file, app: Some(Arc::new(app)), problem: None }
            }
            Err(e) => {
                let problem = match e {
                    AppError::Config(m) if m.starts_with(&path.display().to_string()) => m,
                    e => format!("account config {}: {e}", path.display()),
                };
                FileState { fingerprint, policy_file, app: old_app, problem: Some(problem) }
            }
        }
    }
}

fn fingerprint(config: &[u8], policy_file: Option<&Path>) -> Vec<u8> {
    let mut out = config.to_vec();
    if let Some(p) = policy_file {
        out.extend_from_slice(b"\0policy\0");
        // An unreadable policy file is a change too: the config then fails to load and says why.
        out.extend(std::fs::read(p).unwrap_or_else(|e| e.to_string().into_bytes()));
    }
    out
}

fn config_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| AppError::Config(format!("reading the account folder {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    // Two spellings of one file (a link) would be one account twice.
    let mut seen = HashSet::new();
    paths.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(paths)
}
