//! A worker's folder of account configs (`*.toml`, one per account), read at
//! start and again while the worker runs: a hosted service adds, changes and
//! removes accounts without restarting its workers. A config that does not
//! load is skipped with its reason and the other accounts keep working; a
//! broken edit of a running account keeps the account on its last good config.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use autoemail_store::Store;

use crate::{App, AppError, Config, Result};

pub struct AccountFolder {
    dir: PathBuf,
    store_url: String,
    store: Arc<dyn Store>,
    files: BTreeMap<PathBuf, FileState>,
}

/// What the folder held at the last look, per config file.
struct FileState {
    /// The config's bytes and its policy file's: what a change is judged by.
    fingerprint: Vec<u8>,
    policy_file: Option<PathBuf>,
    /// The account it serves (the last good config after a broken edit).
    app: Option<Arc<App>>,
    /// Why the current bytes do not load, once said.
    problem: Option<String>,
}

/// What one look at the folder changed.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    pub joined: Vec<String>,
    pub left: Vec<String>,
    pub reloaded: Vec<String>,
    /// Configs that do not load, each said once (until it changes again).
    pub problems: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
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
        let mut folder = AccountFolder { dir: dir.to_path_buf(), store_url, store, files: BTreeMap::new() };
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

    /// The accounts served now, in file-name order.
    pub fn apps(&self) -> Vec<Arc<App>> {
        self.files.values().filter_map(|f| f.app.clone()).collect()
    }

    /// Look at the folder again. Unchanged files keep their accounts as they
    /// are; new accounts are registered in the store before they count. When
    /// the store cannot take them, nothing changes and the next look tries again.
    pub async fn rescan(&mut self) -> Result<Changes> {
        let paths = config_paths(&self.dir)?;
        // A name stays with the file that holds it: a second file naming the same account is refused.
        let mut taken: HashMap<String, PathBuf> =
            paths.iter().filter_map(|p| self.files.get(p).and_then(|f| f.app.as_ref()).map(|a| (a.account().to_string(), p.clone()))).collect();
        let mut files = BTreeMap::new();
        let mut problems = Vec::new();
        for path in paths {
            let looked = self.look_at(&path, self.files.get(&path), &taken);
            if let Some(app) = &looked.app {
                taken.entry(app.account().to_string()).or_insert_with(|| path.clone());
            }
            if let Some(problem) = &looked.problem
                && !looked.problem_said
            {
                problems.push(problem.clone());
            }
            files.insert(path, looked.into_state());
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
        joined.sort();
        left.sort();
        reloaded.sort();
        Ok(Changes { joined, left, reloaded, problems })
    }

    /// One config file: kept as it was, loaded anew, or refused with a reason.
    fn look_at(&self, path: &Path, old: Option<&FileState>, taken: &HashMap<String, PathBuf>) -> Looked {
        let old_app = old.and_then(|o| o.app.clone());
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return Looked::refused(old, Vec::new(), None, old_app, format!("account config {}: {e}", path.display())),
        };
        let policy_file = old.and_then(|o| o.policy_file.clone());
        let fingerprint = fingerprint(&bytes, policy_file.as_deref());
        if let Some(o) = old
            && o.fingerprint == fingerprint
            && o.problem.is_none()
        {
            return Looked { app: old_app, fingerprint, policy_file, problem: None, problem_said: true };
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
                Looked { app: Some(Arc::new(app)), fingerprint, policy_file, problem: None, problem_said: true }
            }
            Err(e) => {
                let problem = match e {
                    AppError::Config(m) if m.starts_with(&path.display().to_string()) => m,
                    e => format!("account config {}: {e}", path.display()),
                };
                // A running account keeps its last good config.
                Looked::refused(old, fingerprint, policy_file, old_app, problem)
            }
        }
    }
}

/// The outcome of looking at one file.
struct Looked {
    app: Option<Arc<App>>,
    fingerprint: Vec<u8>,
    policy_file: Option<PathBuf>,
    problem: Option<String>,
    /// The problem was reported at an earlier look.
    problem_said: bool,
}

impl Looked {
    fn refused(old: Option<&FileState>, fingerprint: Vec<u8>, policy_file: Option<PathBuf>, app: Option<Arc<App>>, problem: String) -> Looked {
        let said = old.is_some_and(|o| o.problem.as_deref() == Some(problem.as_str()));
        Looked { app, fingerprint, policy_file, problem: Some(problem), problem_said: said }
    }

    fn into_state(self) -> FileState {
        FileState { fingerprint: self.fingerprint, policy_file: self.policy_file, app: self.app, problem: self.problem }
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
