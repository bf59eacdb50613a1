//! The review UI and its JSON API (axum + askama + htmx, no build step).
//!
//! One person supervises many drafts here: a keyboard-first queue, the item
//! view with risk spans highlighted, similar routine drafts approved as a group
//! once seen, undo during the hold, stats, the audit log and the policy. Every
//! action goes through the same application calls as the CLI, so the audit log
//! and the send gate are the same whichever front end is used.
//!
//! Safety: loopback only unless a password is set (then login, rotating
//! session ids, HttpOnly SameSite=Strict cookies); a CSRF token on every
//! state-changing request; a Host check against DNS rebinding; a strict
//! Content-Security-Policy; an email's HTML only ever sanitized.

mod api;
pub mod charts;
mod pages;
pub mod security;
pub mod view;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use autoemail_store::{OutboxState, StoreError};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::{App, AppError};

pub use security::hash_password;

/// What every request handler shares.
pub struct Shared {
    /// The accounts served; a worker's can change while it runs.
    pub roster: crate::roster::Roster,
    pub sessions: security::Sessions,
    pub auth_required: bool,
    pub secure_cookies: bool,
    pub password_hash: Option<String>,
    pub undo_seconds: u64,
    /// Who acts, in the audit log.
    pub person: String,
    /// Changes other processes commit (PostgreSQL LISTEN/NOTIFY), for pages to refresh at once.
    pub events: Option<tokio::sync::broadcast::Sender<String>>,
}

/// A running UI: its address, and the task serving it.
pub struct WebServer {
    pub addr: SocketAddr,
    pub task: tokio::task::JoinHandle<()>,
}

impl WebServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Serve the UI for these accounts (the first account's `[web]` settings apply).
pub async fn serve(apps: Vec<App>, person: &str) -> Result<WebServer, AppError> {
    serve_roster(crate::roster::Roster::new(apps), person).await
}

/// Serve the UI for the roster's accounts as they come and go (the `[web]`
/// settings of its first account at the start apply).
pub async fn serve_roster(roster: crate::roster::Roster, person: &str) -> Result<WebServer, AppError> {
    let apps = roster.apps();
    let first = apps.first().ok_or_else(|| AppError::Config("no account to serve".into()))?;
    let web = first.config.web.clone();
    let addr = web.socket_addr()?;
    let events = first.config.store.postgres_url()?.map(forward_events);
    let shared = Arc::new(Shared {
        events,
        auth_required: web.password_hash.is_some() || !addr.ip().is_loopback(),
        secure_cookies: web.secure_cookies.unwrap_or(!addr.ip().is_loopback()),
        password_hash: web.password_hash.clone(),
        undo_seconds: web.undo_seconds,
        person: person.to_string(),
        sessions: security::Sessions::default(),
        roster,
    });
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        AppError::Config(format!("the review UI cannot listen on {addr}: {e}. Set another [web] bind (or enabled = false), or stop what uses the port."))
    })?;
    let addr = listener.local_addr()?;
    let router = router(shared);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!("review UI stopped: {e}");
        }
    });
    Ok(WebServer { addr, task })
}

/// Relay the store's notifications to waiting pages; reconnects when the listener drops.
fn forward_events(url: String) -> tokio::sync::broadcast::Sender<String> {
    let (tx, _) = tokio::sync::broadcast::channel(256);
    let sender = tx.clone();
    tokio::spawn(async move {
        loop {
            match autoemail_store::PgEvents::listen(&url).await {
                Ok(mut events) => {
                    while let Ok(event) = events.next().await {
                        let _ = sender.send(event);
                    }
                }
                Err(e) => tracing::warn!("review UI: no live events from the store ({e}); pages poll instead"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    });
    tx
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(pages::queue_page))
        .route("/queue/items", get(pages::queue_items))
        .route("/draft/{account}/{id}", get(pages::draft_page))
        .route("/draft/{account}/{id}/approve", post(pages::approve))
        .route("/draft/{account}/{id}/reject", post(pages::reject))
        .route("/draft/{account}/{id}/regenerate", post(pages::regenerate))
        .route("/draft/{account}/{id}/snooze", post(pages::snooze))
        .route("/draft/{account}/{id}/undo", post(pages::undo))
        .route("/group", get(pages::group_page))
        .route("/group/approve", post(pages::group_approve))
        .route("/stats", get(pages::stats_page))
        .route("/audit", get(pages::audit_page))
        .route("/policy", get(pages::policy_page))
        .route("/autonomy", post(pages::autonomy_decision))
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/static/{file}", get(static_file))
        .nest("/api", api::router())
        .layer(axum::middleware::from_fn_with_state(shared.clone(), security::guard))
        .with_state(shared)
}

/// Assets are compiled in: the binary is the whole UI.
async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, kind): (&'static [u8], &str) = match file.as_str() {
        "htmx.min.js" => (include_bytes!("../../static/htmx-2.0.11.min.js"), "text/javascript; charset=utf-8"),
        "app.js" => (include_bytes!("../../static/app.js"), "text/javascript; charset=utf-8"),
        "app.css" => (include_bytes!("../../static/app.css"), "text/css; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such file").into_response(),
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

/// An error a handler answers with: the status and words the person can act on.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
}

impl WebError {
    pub fn bad_request(message: impl Into<String>) -> WebError {
        WebError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }
    pub fn not_found(message: impl Into<String>) -> WebError {
        WebError { status: StatusCode::NOT_FOUND, message: message.into() }
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        let status = match &e {
            AppError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            AppError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            AppError::Review(_) | AppError::Invalid(_) => StatusCode::CONFLICT,
            AppError::Draft(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("review UI: {e}");
        }
        WebError { status, message: e.to_string() }
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        AppError::from(e).into()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        (self.status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], self.message).into_response()
    }
}

pub type WebResult<T> = std::result::Result<T, WebError>;

/// An approved reply still in its hold window.
#[derive(Debug, Clone, Serialize)]
pub struct HeldReply {
    #[serde(rename = "ref")]
    pub reference: String,
    pub account: String,
    pub draft_id: i64,
    pub subject: String,
    pub to: String,
    pub send_at: i64,
    pub seconds_left: i64,
    pub undo_url: String,
}

/// What an approval did, for the page and the API.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalResult {
    #[serde(rename = "ref")]
    pub reference: String,
    pub message_id: String,
    pub recipients: Vec<String>,
    pub send_at: i64,
    pub undo_seconds: i64,
    /// A change of the category's earned autonomy this approval caused.
    pub autonomy: Option<String>,
}

pub(crate) use crate::roster::StoreGroup;

impl Shared {
    pub fn app(&self, account: &str) -> WebResult<Arc<App>> {
        self.roster.get(account).ok_or_else(|| WebError::not_found(format!("no account named {account:?} here")))
    }

    /// The accounts served now.
    pub fn apps(&self) -> Arc<Vec<Arc<App>>> {
        self.roster.apps()
    }

    pub fn accounts(&self) -> Vec<String> {
        self.roster.names()
    }

    /// The served accounts grouped by the store they share (a worker's
    /// accounts all share one): each store is asked once, not once per account.
    pub(crate) fn by_store(&self) -> Vec<StoreGroup> {
        crate::roster::by_store(&self.apps())
    }

    /// Pending and failed drafts of every account, snoozed ones left out, most urgent first.
    pub async fn queue_rows(&self) -> WebResult<Vec<view::QueueRow>> {
        let now = crate::now();
        let mut rows = Vec::new();
        for (store, apps) in self.by_store() {
            let items = match apps.as_slice() {
                [one] => store.queue_entries(Some(one.account())).await?,
                _ => store.queue_entries(None).await?,
            };
            // One query for every served account of the store, not one each.
            let served: Vec<String> = apps.iter().map(|a| a.account().to_string()).collect();
            let importance = store.answered_counts_of(&served).await?;
            let served: std::collections::HashSet<String> = served.into_iter().collect();
            let none = HashMap::new();
            for item in items {
                // A shared store may hold accounts this UI does not serve.
                if !served.contains(&item.account) {
                    continue;
                }
                let counts = importance.get(&item.account).unwrap_or(&none);
                if item.snoozed_until.is_some_and(|t| t > now) {
                    continue;
                }
                rows.push(view::QueueRow::from_entry(item, counts, now));
            }
        }
        view::sort_queue(&mut rows);
        Ok(rows)
    }

    /// Approved replies waiting out their hold, soonest first.
    pub async fn held(&self) -> WebResult<Vec<HeldReply>> {
        let now = crate::now();
        let mut out = Vec::new();
        for (store, apps) in self.by_store() {
            for o in store.outbox_by_state(OutboxState::Queued).await? {
                let Some(app) = apps.iter().find(|a| a.account() == o.account) else { continue };
                if o.not_before <= now - 5 {
                    continue;
                }
                let subject = store.message(o.original_row).await.map(|m| m.subject).unwrap_or_default();
                out.push(HeldReply {
                    reference: view::draft_ref(app.account(), o.draft_id),
                    account: app.account().to_string(),
                    draft_id: o.draft_id,
                    subject: if subject.trim().is_empty() { "(no subject)".into() } else { subject },
                    to: o.recipients.join(", "),
                    send_at: o.not_before,
                    seconds_left: (o.not_before - now).max(0),
                    undo_url: format!("{}/undo", view::draft_url(app.account(), o.draft_id)),
                });
            }
        }
        out.sort_by_key(|h| std::cmp::Reverse(h.send_at));
        Ok(out)
    }

    pub async fn approve(&self, account: &str, id: i64, body: Option<String>) -> WebResult<ApprovalResult> {
        let app = self.app(account)?;
        let body = body.map(|b| b.replace("\r\n", "\n"));
        let approved = app.approve_held(id, &self.person, body, self.undo_seconds).await?;
        Ok(ApprovalResult {
            reference: view::draft_ref(account, id),
            undo_seconds: (approved.send_at - crate::now()).max(0),
            message_id: approved.message_id,
            recipients: approved.recipients,
            send_at: approved.send_at,
            autonomy: approved.autonomy.map(|t| t.reason),
        })
    }

    /// Approve several drafts the person has seen together; each stands alone
    /// (one that changed state since is reported, not approved).
    pub async fn approve_group(&self, refs: &str) -> WebResult<(Vec<ApprovalResult>, Vec<String>)> {
        let refs: Vec<&str> = refs.split(',').filter(|r| !r.trim().is_empty()).collect();
        // A group is what a person can read before approving it: no more, even from the API.
        if refs.len() > view::GROUP_MAX {
            return Err(WebError::bad_request(format!(
                "{} drafts at once: a group holds at most {}; approve them in groups as the queue shows them",
                refs.len(),
                view::GROUP_MAX
            )));
        }
        let mut done = Vec::new();
        let mut refused = Vec::new();
        for r in refs {
            let Some((account, id)) = view::parse_ref(r) else { return Err(WebError::bad_request(format!("{r:?} is not a draft reference"))) };
            let app = self.app(&account)?;
            let draft = app.store.draft(id).await?;
            // Only routine drafts are approvable in a group: the page showed them as such.
            if draft.assessment.level != autoemail_core::risk::RiskLevel::Routine {
                refused.push(format!("{r}: not routine, review it on its own"));
                continue;
            }
            match self.approve(&account, id, None).await {
                Ok(a) => done.push(a),
                Err(e) => refused.push(format!("{r}: {}", e.message)),
            }
        }
        Ok((done, refused))
    }
}
