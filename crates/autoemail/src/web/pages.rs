//! HTML pages and the fragments htmx swaps in. Handlers gather data through
//! `Shared` and the store; templates (askama, compile-checked) escape every
//! string, and only the sanitizer's output and our own SVG are marked safe.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use autoemail_core::message::parse_message;
use autoemail_core::policy::Route;
use autoemail_core::review::DraftState;
use autoemail_core::risk::Source;
use autoemail_store::AuditFilter;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::security::{SessionCookie, SessionInfo, set_cookie_header, verify_password};
use super::view::{self, Group, QueueFilter, QueueRow, Segment};
use super::{HeldReply, Shared, WebError, WebResult, charts};
use crate::App;

/// What every full page carries: the CSRF token for htmx and which tab is active.
pub struct Chrome {
    pub csrf: String,
    pub active: &'static str,
    pub show_logout: bool,
}

impl Chrome {
    fn new(shared: &Shared, session: &SessionInfo, active: &'static str) -> Chrome {
        Chrome { csrf: session.csrf.clone(), active, show_logout: shared.auth_required }
    }
}

const NAV: [(&str, &str); 4] = [("/", "Queue"), ("/stats", "Stats"), ("/audit", "Audit log"), ("/policy", "Policy")];

fn render<T: Template>(t: &T) -> WebResult<Response> {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| WebError { status: axum::http::StatusCode::INTERNAL_SERVER_ERROR, message: format!("page rendering failed: {e}") })
}

fn render_string<T: Template>(t: &T) -> WebResult<String> {
    t.render().map_err(|e| WebError { status: axum::http::StatusCode::INTERNAL_SERVER_ERROR, message: format!("page rendering failed: {e}") })
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Events for the page's script, sent in the HX-Trigger header.
fn with_events(mut resp: Response, events: serde_json::Value) -> Response {
    if let Ok(v) = HeaderValue::from_str(&events.to_string()) {
        resp.headers_mut().insert("hx-trigger", v);
    }
    resp
}

pub fn fmt_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map(|d| d.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

// ---------------------------------------------------------------- queue

#[derive(Template)]
#[template(path = "web/queue_list.html")]
struct QueueList {
    rows: Vec<QueueRow>,
    groups: Vec<GroupSummary>,
    held: Vec<HeldReply>,
    total: usize,
    high: usize,
    hidden_by_filter: usize,
    /// Less urgent drafts left off the page.
    more: usize,
}

/// Drafts listed on the page at most: a person works from the top, and a
/// page of 50,000 rows would be slow to load and useless to scroll.
const PAGE_ROWS: usize = 200;
/// Groups listed on the page at most (each up to `view::GROUP_MAX` drafts).
const PAGE_GROUPS: usize = 20;

struct GroupSummary {
    refs: String,
    url: String,
    count: usize,
    autonomy_key: String,
    usual: String,
    senders: String,
}

#[derive(Template)]
#[template(path = "web/queue.html")]
struct QueuePage {
    chrome: Chrome,
    nav: [(&'static str, &'static str); 4],
    list: String,
    detail: String,
    accounts: Vec<String>,
    categories: Vec<String>,
    filter: QueueFilter,
}

/// The most urgent drafts the page looks at for its groups and rows: ten
/// pages' worth. Grouping compares texts, so it works on the top of the
/// queue; the rest are counted and move up as the person works.
const PAGE_WINDOW: usize = 2_000;

/// The list as filtered, every category in the whole queue (for the filter
/// menu), and the first group whole (the page opens it).
async fn queue_list(shared: &Shared, filter: &QueueFilter) -> WebResult<(QueueList, Vec<String>, Option<Group>)> {
    let all = shared.queue_rows().await?;
    let mut categories: Vec<String> = all.iter().map(|r| r.category.clone()).collect();
    categories.sort();
    categories.dedup();
    let total = all.len();
    let mut rows: Vec<QueueRow> = all.into_iter().filter(|r| filter.keeps(r)).collect();
    let hidden_by_filter = total - rows.len();
    let high = rows.iter().filter(|r| r.level == "high").count();
    let beyond_window = rows.len().saturating_sub(PAGE_WINDOW);
    rows.truncate(PAGE_WINDOW);
    let (mut groups, mut single) = view::group_routine(&rows);
    let more = beyond_window + single.len().saturating_sub(PAGE_ROWS) + groups.iter().skip(PAGE_GROUPS).map(|g| g.members.len()).sum::<usize>();
    groups.truncate(PAGE_GROUPS);
    single.truncate(PAGE_ROWS);
    let summaries = groups.iter().map(group_summary).collect();
    let first_group = groups.into_iter().next();
    Ok((QueueList { rows: single, groups: summaries, held: shared.held().await?, total, high, hidden_by_filter, more }, categories, first_group))
}

fn group_summary(g: &Group) -> GroupSummary {
    let mut senders: Vec<String> = g.members.iter().map(|m| m.row.from.clone()).collect();
    senders.dedup();
    let shown = senders.len().min(3);
    let mut senders_text = senders[..shown].join(", ");
    if senders.len() > shown {
        senders_text.push_str(&format!(" and {} more", senders.len() - shown));
    }
    GroupSummary {
        url: format!("/group?refs={}", view::path_segment(&g.refs)),
        count: g.members.len(),
        autonomy_key: g.autonomy_key.clone(),
        usual: view::clip(&g.usual, 160),
        senders: senders_text,
        refs: g.refs.clone(),
    }
}

pub async fn queue_page(
    State(shared): State<Arc<Shared>>,
    Extension(session): Extension<SessionInfo>,
    Query(filter): Query<QueueFilter>,
) -> WebResult<Response> {
    let (list, categories, first_group) = queue_list(&shared, &filter).await?;
    let first = list.rows.first().map(|r| (r.account.clone(), r.id));
    let detail = match (first_group, first) {
        (Some(g), _) => render_string(&GroupView::of(g))?,
        (None, Some((account, id))) => render_string(&draft_detail(&shared, &account, id).await?)?,
        (None, None) => String::new(),
    };
    let page = QueuePage {
        chrome: Chrome::new(&shared, &session, "Queue"),
        nav: NAV,
        list: render_string(&list)?,
        detail,
        accounts: shared.accounts(),
        categories,
        filter,
    };
    render(&page)
}

pub async fn queue_items(State(shared): State<Arc<Shared>>, Query(filter): Query<QueueFilter>) -> WebResult<Response> {
    render(&queue_list(&shared, &filter).await?.0)
}

// ---------------------------------------------------------------- one draft

#[derive(Serialize)]
pub struct SignalView {
    pub class: &'static str,
    pub text: String,
    pub source: &'static str,
}

#[derive(Serialize)]
pub struct VersionView {
    pub url: String,
    pub id: i64,
    pub version: i64,
    pub state: &'static str,
    pub drafter: String,
    pub instruction: String,
    pub current: bool,
}

/// How many of a thread's other messages a draft's page shows: the latest
/// ones. A thread of thousands would otherwise make a page of megabytes.
pub const THREAD_SHOWN: usize = 50;

#[derive(Serialize)]
pub struct ThreadMessage {
    pub from: String,
    pub date: String,
    pub text: String,
}

#[derive(Template, Serialize)]
#[template(path = "web/detail.html")]
pub struct DraftDetail {
    #[serde(rename = "ref")]
    pub reference: String,
    pub url: String,
    pub account: String,
    pub id: i64,
    pub state: &'static str,
    pub pending: bool,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub date: String,
    pub level: &'static str,
    pub route_summary: String,
    pub shadow: bool,
    pub signals: Vec<SignalView>,
    pub questions: Vec<String>,
    pub commitments: Vec<String>,
    pub has_placeholder: bool,
    pub warnings: Vec<String>,
    pub message_segments: Vec<Segment>,
    #[serde(skip)]
    pub safe_html: Option<String>,
    pub blocked_remote: usize,
    /// The thread's latest other messages, oldest first (at most [`THREAD_SHOWN`]).
    pub thread: Vec<ThreadMessage>,
    /// The thread's earlier messages beyond those.
    pub thread_not_shown: usize,
    pub body: String,
    pub draft_segments: Vec<Segment>,
    pub drafter: String,
    pub version: i64,
    pub versions: Vec<VersionView>,
    pub prev_version: i64,
    pub diff: Vec<Segment>,
    pub status: String,
    pub reject_reason: String,
}

fn route_summary(route: &Route) -> String {
    match route {
        Route::Review { priority, .. } => format!("Waits for your review (priority {priority})"),
        Route::AutoSend { hold_seconds, .. } => format!("The policy lets this send itself after a {hold_seconds} s hold"),
        Route::NoDraft { reason } => format!("No draft: {reason}"),
    }
}

pub async fn draft_detail(shared: &Shared, account: &str, id: i64) -> WebResult<DraftDetail> {
    let app = shared.app(account)?;
    let d = app.store.draft(id).await?;
    let stored = app.store.message(d.message_row).await?;
    if stored.account != account {
        return Err(WebError::not_found(format!("draft {id} is not in account {account}")));
    }
    let msg = parse_message(&stored.raw).map_err(|e| WebError::bad_request(format!("message {} cannot be read: {e}", stored.id)))?;
    let list = |v: &[autoemail_core::address::Mailbox]| v.iter().map(|m| m.display()).collect::<Vec<_>>().join(", ");
    let safe = msg.html.as_deref().map(crate::html_view::safe_html);
    let mut thread = Vec::new();
    let (tail, thread_total) = app.store.thread_tail(account, &stored.thread_key, stored.id, THREAD_SHOWN).await?;
    // The count is read after the messages: a message stored in between only adds to it.
    let thread_not_shown = thread_total.saturating_sub(tail.len());
    for t in tail {
        let text = parse_message(&t.raw).map(|m| m.text).unwrap_or_else(|e| format!("(cannot be read: {e})"));
        let text: String = if text.chars().count() > 4000 { format!("{}…", text.chars().take(4000).collect::<String>()) } else { text };
        thread.push(ThreadMessage {
            from: t.from_name.clone().or(t.from_email.clone()).unwrap_or_default(),
            date: fmt_time(t.date.unwrap_or(t.received_at)),
            text: text.trim().to_string(),
        });
    }
    let versions_all = app.store.drafts_for_message(d.message_row).await?;
    let prev = versions_all.iter().filter(|v| v.version < d.version).max_by_key(|v| v.version);
    let diff = prev.map(|p| view::word_diff(&p.body, &d.body)).unwrap_or_default();
    let versions = versions_all
        .iter()
        .map(|v| VersionView {
            url: view::draft_url(account, v.id),
            id: v.id,
            version: v.version,
            state: v.state.as_str(),
            drafter: v.drafter.clone(),
            instruction: v.instruction.clone().unwrap_or_default(),
            current: v.id == d.id,
        })
        .collect();
    let signals = d
        .assessment
        .signals
        .iter()
        .map(|s| SignalView {
            class: view::severity_name(s.severity),
            text: s.explanation.clone(),
            source: match s.source {
                Source::Message => "their message",
                Source::Draft => "the draft",
            },
        })
        .collect();
    // Spans were found in the draft as assessed; once edited they no longer line up.
    let draft_segments =
        if d.body == d.original_body { view::highlight(&d.body, &d.assessment.signals, Source::Draft) } else { view::highlight(&d.body, &[], Source::Draft) };
    let status = match d.state {
        DraftState::Pending => String::new(),
        DraftState::Failed => "Drafting or sending failed; regenerate (g) to try again.".into(),
        DraftState::Approved => "Approved; it sends when its hold ends.".into(),
        DraftState::Sent => "Sent.".into(),
        DraftState::Rejected => "Rejected.".into(),
        other => format!("{}.", other.as_str()),
    };
    Ok(DraftDetail {
        reference: view::draft_ref(account, id),
        url: view::draft_url(account, id),
        account: account.to_string(),
        id,
        state: d.state.as_str(),
        pending: d.state == DraftState::Pending,
        subject: if msg.subject.trim().is_empty() { "(no subject)".into() } else { msg.subject.clone() },
        from: msg.from.as_ref().map(|f| f.display()).unwrap_or_else(|| "(no sender)".into()),
        to: list(&msg.to),
        cc: list(&msg.cc),
        date: msg.date.map(fmt_time).unwrap_or_default(),
        level: view::level_name(d.assessment.level),
        route_summary: route_summary(&d.route),
        shadow: d.shadow_auto_send,
        signals,
        questions: d.open_questions.clone(),
        commitments: d.commitments.clone(),
        has_placeholder: d.body.contains("[["),
        warnings: msg.warnings.iter().map(|w| w.detail.clone()).collect(),
        message_segments: view::highlight(&msg.text, &d.assessment.signals, Source::Message),
        blocked_remote: safe.as_ref().map(|s| s.blocked_remote).unwrap_or(0),
        safe_html: safe.map(|s| s.html),
        thread,
        thread_not_shown,
        body: d.body.clone(),
        draft_segments,
        drafter: d.drafter.clone(),
        version: d.version,
        versions,
        prev_version: prev.map(|p| p.version).unwrap_or(0),
        diff,
        status,
        reject_reason: d.reject_reason.clone().unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "web/draft_page.html")]
struct DraftPage {
    chrome: Chrome,
    nav: [(&'static str, &'static str); 4],
    detail: String,
}

pub async fn draft_page(
    State(shared): State<Arc<Shared>>,
    Extension(session): Extension<SessionInfo>,
    headers: HeaderMap,
    Path((account, id)): Path<(String, i64)>,
) -> WebResult<Response> {
    let detail = draft_detail(&shared, &account, id).await?;
    if is_htmx(&headers) {
        return render(&detail);
    }
    render(&DraftPage { chrome: Chrome::new(&shared, &session, "Queue"), nav: NAV, detail: render_string(&detail)? })
}

#[derive(Template)]
#[template(path = "web/done.html")]
struct Done {
    title: String,
    detail: String,
}

#[derive(Deserialize)]
pub struct ApproveForm {
    body: Option<String>,
}

pub async fn approve(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>, Form(form): Form<ApproveForm>) -> WebResult<Response> {
    let a = shared.approve(&account, id, form.body).await?;
    let mut detail = format!("To {}. It waits {} s; press u or Undo to take it back.", a.recipients.join(", "), a.undo_seconds);
    if let Some(change) = &a.autonomy {
        detail.push_str(&format!(" {change}"));
    }
    let toast = format!("Approved: sends in {} s. u undoes.", a.undo_seconds);
    Ok(with_events(render(&Done { title: "Approved".into(), detail })?, serde_json::json!({"queueChanged": true, "advance": a.reference, "toast": toast})))
}

#[derive(Deserialize)]
pub struct RejectForm {
    reason: String,
}

pub async fn reject(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>, Form(form): Form<RejectForm>) -> WebResult<Response> {
    let reason = form.reason.trim();
    if reason.is_empty() {
        return Err(WebError::bad_request("say why you reject it (the reason goes into the audit log)"));
    }
    let change = shared.app(&account)?.reject(id, &shared.person, reason).await?;
    let detail = change.map(|t| t.reason).unwrap_or_default();
    Ok(with_events(
        render(&Done { title: format!("Rejected: {reason}"), detail })?,
        serde_json::json!({"queueChanged": true, "advance": view::draft_ref(&account, id), "toast": "Rejected."}),
    ))
}

#[derive(Deserialize)]
pub struct RegenerateForm {
    #[serde(default)]
    instruction: String,
}

pub async fn regenerate(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>, Form(form): Form<RegenerateForm>) -> WebResult<Response> {
    let new_id = shared.app(&account)?.regenerate(id, form.instruction.trim(), &shared.person).await?;
    let detail = draft_detail(&shared, &account, new_id).await?;
    let toast = format!("Version {} drafted.", detail.version);
    Ok(with_events(render(&detail)?, serde_json::json!({"queueChanged": true, "select": view::draft_ref(&account, new_id), "toast": toast})))
}

#[derive(Deserialize)]
pub struct SnoozeForm {
    minutes: i64,
}

pub async fn snooze(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>, Form(form): Form<SnoozeForm>) -> WebResult<Response> {
    if !(1..=60 * 24 * 30).contains(&form.minutes) {
        return Err(WebError::bad_request("snooze for between 1 minute and 30 days"));
    }
    let until = crate::now() + form.minutes * 60;
    shared.app(&account)?.snooze(id, &shared.person, Some(until)).await?;
    Ok(with_events(
        render(&Done { title: "Snoozed".into(), detail: format!("Back in the queue at {}.", fmt_time(until)) })?,
        serde_json::json!({"queueChanged": true, "advance": view::draft_ref(&account, id), "toast": "Snoozed."}),
    ))
}

pub async fn undo(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>) -> WebResult<Response> {
    shared.app(&account)?.undo(id, &shared.person).await?;
    let r = view::draft_ref(&account, id);
    Ok(with_events(
        render(&Done { title: "Taken back".into(), detail: "Nothing was sent; the draft is back in the queue.".into() })?,
        serde_json::json!({"queueChanged": true, "select": r, "toast": "Undone: nothing was sent."}),
    ))
}

// ---------------------------------------------------------------- groups

#[derive(Template)]
#[template(path = "web/group.html")]
struct GroupView {
    refs: String,
    autonomy_key: String,
    usual: String,
    members: Vec<view::GroupMember>,
}

async fn group_view(shared: &Shared, refs: &str) -> WebResult<GroupView> {
    let wanted: Vec<&str> = refs.split(',').map(str::trim).filter(|r| !r.is_empty()).collect();
    let rows: Vec<QueueRow> = shared.queue_rows().await?.into_iter().filter(|r| wanted.contains(&r.reference.as_str())).collect();
    let (mut groups, _) = view::group_routine(&rows);
    // The members may have changed since the queue was drawn: show what is still a group.
    let g = groups
        .drain(..)
        .max_by_key(|g| g.members.len())
        .ok_or_else(|| WebError::not_found("these drafts are no longer a group of waiting routine replies; reload the queue"))?;
    Ok(GroupView::of(g))
}

impl GroupView {
    fn of(g: Group) -> GroupView {
        let g = g.with_differences();
        GroupView { refs: g.refs, autonomy_key: g.autonomy_key, usual: g.usual, members: g.members }
    }
}

#[derive(Deserialize)]
pub struct RefsQuery {
    refs: String,
}

pub async fn group_page(
    State(shared): State<Arc<Shared>>,
    Extension(session): Extension<SessionInfo>,
    headers: HeaderMap,
    Query(q): Query<RefsQuery>,
) -> WebResult<Response> {
    let g = group_view(&shared, &q.refs).await?;
    if is_htmx(&headers) {
        return render(&g);
    }
    render(&DraftPage { chrome: Chrome::new(&shared, &session, "Queue"), nav: NAV, detail: render_string(&g)? })
}

#[derive(Deserialize)]
pub struct RefsForm {
    refs: String,
}

pub async fn group_approve(State(shared): State<Arc<Shared>>, Form(form): Form<RefsForm>) -> WebResult<Response> {
    let (done, refused) = shared.approve_group(&form.refs).await?;
    let undo = done.iter().map(|a| a.undo_seconds).max().unwrap_or(0);
    let mut detail = format!("{} replies approved; they wait {undo} s, each with its Undo button.", done.len());
    if !refused.is_empty() {
        detail.push_str(&format!(" Not approved: {}.", refused.join("; ")));
    }
    let first = form.refs.split(',').next().unwrap_or("").to_string();
    Ok(with_events(
        render(&Done { title: format!("{} approved", done.len()), detail })?,
        serde_json::json!({"queueChanged": true, "advance": format!("group:{first}"), "toast": format!("{} replies approved.", done.len())}),
    ))
}

// ---------------------------------------------------------------- stats

#[derive(Serialize)]
pub struct Stats {
    pub days: i64,
    pub drafts: usize,
    pub approved_unchanged: usize,
    pub edited: usize,
    pub rejected: usize,
    /// None until a draft has been edited.
    pub median_edit_percent: Option<f64>,
    pub minutes_saved: f64,
    pub sent: usize,
    pub auto_sent: usize,
    pub auto_undone: usize,
    pub auto_waiting: usize,
    pub median_queue_seconds: Option<i64>,
    pub p95_queue_seconds: Option<i64>,
    pub median_model_ms: Option<u64>,
    pub per_day: Vec<(String, f64)>,
    /// Drafts by seconds from the message's arrival to the draft being ready.
    pub latency_histogram: Vec<(String, f64)>,
    pub autonomy: Vec<AccountCategory>,
    /// The one account these figures are of; None: every account served.
    pub account: Option<String>,
}

/// One kind of reply's earned autonomy, and the account it belongs to (each
/// account earns its own).
#[derive(Serialize)]
pub struct AccountCategory {
    pub account: String,
    #[serde(flatten)]
    pub report: crate::autonomy::CategoryReport,
}

/// Estimated minutes saved. Writing a reply yourself: 1 minute to start plus
/// 40 words a minute. Reviewing a draft: 15 seconds, plus typing the share you
/// changed at 40 words a minute. Saved = writing − reviewing, over sent replies,
/// minus 15 seconds for each rejected draft.
pub fn minutes_saved(sent_words: &[(usize, f64)], rejected: usize) -> f64 {
    let mut saved = 0.0;
    for &(words, change) in sent_words {
        let write = 1.0 + words as f64 / 40.0;
        let review = 0.25 + change * words as f64 / 40.0;
        saved += write - review;
    }
    saved - 0.25 * rejected as f64
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> Option<T> {
    v.sort();
    v.get(v.len() / 2).copied()
}

/// The stats of one served account, or of every one: each store is asked
/// three times for all the accounts it holds, however many.
pub async fn stats(shared: &Shared, days: i64, account: Option<&str>) -> WebResult<Stats> {
    use autoemail_core::autonomy::Verdict;
    use autoemail_store::OutboxState;
    let now = crate::now();
    let since = now - days * 86_400;
    let apps: Vec<Arc<App>> = match account {
        Some(name) => vec![shared.app(name)?],
        None => shared.apps().to_vec(),
    };
    // Drafts and outcomes with their account: ids are only unique within a store.
    let mut facts: Vec<(String, autoemail_store::DraftFacts)> = Vec::new();
    let mut outcomes: Vec<(String, autoemail_store::StoredOutcome)> = Vec::new();
    let mut autonomy = Vec::new();
    for (store, apps) in crate::roster::by_store(&apps) {
        let names: Vec<String> = apps.iter().map(|a| a.account().to_string()).collect();
        let mut drafts = store.draft_facts_of(&names, since).await?;
        let mut states = store.autonomy_states_of(&names).await?;
        // Every outcome, for the autonomy records; the period's for the counts.
        let mut reviewed = store.outcomes_of(&names, 0).await?;
        for app in &apps {
            let name = app.account();
            let all = reviewed.remove(name).unwrap_or_default();
            let states = states.remove(name).unwrap_or_default();
            for report in crate::autonomy::category_reports(&app.autonomy_bar(), &states, &all) {
                autonomy.push(AccountCategory { account: name.to_string(), report });
            }
            outcomes.extend(all.into_iter().filter(|o| o.at >= since).map(|o| (name.to_string(), o)));
            facts.extend(drafts.remove(name).unwrap_or_default().into_iter().map(|f| (name.to_string(), f)));
        }
    }
    let verdicts = |v: Verdict| outcomes.iter().filter(move |(_, o)| o.outcome.verdict == v);
    let approved_unchanged = verdicts(Verdict::Approved).count();
    let rejected = verdicts(Verdict::Rejected).count();
    let edits: Vec<i64> = verdicts(Verdict::Edited).map(|(_, o)| (o.outcome.change * 1000.0) as i64).collect();
    let change_of: HashMap<(&str, i64), f64> = outcomes.iter().map(|(a, o)| ((a.as_str(), o.outcome.draft_id), o.outcome.change)).collect();
    let delivered = |f: &&autoemail_store::DraftFacts| matches!(f.outbox_state, Some(OutboxState::Sent | OutboxState::Filed));
    let sent_words: Vec<(usize, f64)> =
        facts.iter().filter(|(_, f)| delivered(&f)).map(|(a, f)| (f.words, change_of.get(&(a.as_str(), f.id)).copied().unwrap_or(0.0))).collect();
    let facts: Vec<&autoemail_store::DraftFacts> = facts.iter().map(|(_, f)| f).collect();
    let auto: Vec<&autoemail_store::DraftFacts> = facts.iter().copied().filter(|f| f.auto_approved).collect();
    let today = chrono::Local::now().date_naive();
    let per_day = (0..days.min(60))
        .rev()
        .map(|back| {
            let day = today - chrono::Days::new(back as u64);
            let n = facts
                .iter()
                .filter(|f| chrono::DateTime::from_timestamp(f.created_at, 0).map(|d| d.with_timezone(&chrono::Local).date_naive()) == Some(day))
                .count();
            (day.format("%b %d").to_string(), n as f64)
        })
        .collect();
    let queue_secs: Vec<i64> = facts.iter().map(|f| (f.created_at - f.received_at).max(0)).collect();
    let buckets: [(&str, i64); 7] =
        [("< 1 s", 1), ("1–5 s", 5), ("5–30 s", 30), ("30 s–2 min", 120), ("2–10 min", 600), ("10–60 min", 3600), ("> 1 h", i64::MAX)];
    let mut latency_histogram: Vec<(String, f64)> = buckets.iter().map(|(l, _)| (l.to_string(), 0.0)).collect();
    for &q in &queue_secs {
        if let Some(i) = buckets.iter().position(|&(_, upper)| q < upper) {
            latency_histogram[i].1 += 1.0;
        }
    }
    let p95 = {
        let mut q = queue_secs.clone();
        q.sort();
        q.get((q.len() * 95 / 100).min(q.len().saturating_sub(1))).copied()
    };
    Ok(Stats {
        days,
        drafts: facts.len(),
        approved_unchanged,
        edited: edits.len(),
        rejected,
        median_edit_percent: median(edits).map(|m| m as f64 / 10.0),
        minutes_saved: minutes_saved(&sent_words, rejected),
        sent: sent_words.len(),
        auto_sent: auto.iter().filter(|f| matches!(f.outbox_state, Some(OutboxState::Sent | OutboxState::Filed))).count(),
        auto_undone: auto.iter().filter(|f| matches!(f.outbox_state, Some(OutboxState::Cancelled))).count(),
        auto_waiting: auto.iter().filter(|f| matches!(f.outbox_state, Some(OutboxState::Queued | OutboxState::Sending))).count(),
        median_queue_seconds: median(queue_secs),
        p95_queue_seconds: p95,
        median_model_ms: median(facts.iter().filter_map(|f| f.latency_ms).collect()),
        per_day,
        latency_histogram,
        autonomy,
        account: account.map(str::to_string),
    })
}

#[derive(Template)]
#[template(path = "web/stats.html")]
struct StatsPage {
    chrome: Chrome,
    nav: [(&'static str, &'static str); 4],
    /// Every account served, for the choice of one (offered when there are several).
    accounts: Vec<String>,
    /// The periods offered, the one shown among them.
    periods: Vec<i64>,
    s: Stats,
    per_day_chart: String,
    outcome_chart: String,
    auto_chart: String,
    latency_chart: String,
    autonomy_rows: Vec<AutonomyRow>,
}

struct AutonomyRow {
    account: String,
    key: String,
    state: &'static str,
    reviewed: usize,
    streak: usize,
    needed: usize,
    percent: usize,
    mean_change: String,
    would_send: usize,
}

fn autonomy_rows<'a>(reports: impl IntoIterator<Item = (&'a str, &'a crate::autonomy::CategoryReport)>) -> Vec<AutonomyRow> {
    reports
        .into_iter()
        .map(|(account, r)| AutonomyRow {
            account: account.to_string(),
            key: r.key.clone(),
            state: r.state.as_str(),
            reviewed: r.reviewed,
            streak: r.streak.min(r.needed),
            needed: r.needed,
            percent: (r.streak.min(r.needed) * 100).checked_div(r.needed).unwrap_or(0),
            mean_change: format!("{:.1}%", r.mean_change * 100.0),
            would_send: r.shadow_would_send,
        })
        .collect()
}

/// `?days=30&account=ann`: the period, and one account or (left out or empty) all.
#[derive(Deserialize)]
pub struct StatsQuery {
    days: Option<i64>,
    account: Option<String>,
}

impl StatsQuery {
    pub fn days(&self) -> i64 {
        self.days.unwrap_or(30).clamp(1, 365)
    }

    pub fn account(&self) -> Option<&str> {
        self.account.as_deref().filter(|a| !a.is_empty())
    }
}

/// The periods the stats page offers.
const PERIODS: [i64; 4] = [7, 30, 90, 365];

pub async fn stats_page(State(shared): State<Arc<Shared>>, Extension(session): Extension<SessionInfo>, Query(q): Query<StatsQuery>) -> WebResult<Response> {
    let s = stats(&shared, q.days(), q.account()).await?;
    let per_day_chart = charts::bars("Drafts per day", &s.per_day, "drafts", (s.per_day.len() / 8).max(1));
    let outcome_chart = charts::stacked(
        "How drafts were treated",
        &[("approved unchanged".into(), s.approved_unchanged as f64), ("edited".into(), s.edited as f64), ("rejected".into(), s.rejected as f64)],
    );
    let auto_chart = charts::stacked(
        "Replies the policy sent",
        &[("sent".into(), s.auto_sent as f64), ("taken back".into(), s.auto_undone as f64), ("in their hold".into(), s.auto_waiting as f64)],
    );
    let latency_chart = charts::bars("Mail in to draft ready", &s.latency_histogram, "drafts", 1);
    let autonomy_rows = autonomy_rows(s.autonomy.iter().map(|c| (c.account.as_str(), &c.report)));
    render(&StatsPage {
        chrome: Chrome::new(&shared, &session, "Stats"),
        nav: NAV,
        accounts: shared.accounts(),
        periods: {
            let mut p = PERIODS.to_vec();
            if !p.contains(&s.days) {
                p.push(s.days);
                p.sort_unstable();
            }
            p
        },
        s,
        per_day_chart,
        outcome_chart,
        auto_chart,
        latency_chart,
        autonomy_rows,
    })
}

// ---------------------------------------------------------------- audit log

#[derive(Template)]
#[template(path = "web/audit.html")]
struct AuditPage {
    chrome: Chrome,
    nav: [(&'static str, &'static str); 4],
    q: String,
    rows: Vec<AuditRow>,
    limit: i64,
}

#[derive(Serialize)]
pub struct AuditRow {
    pub account: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub url: String,
    pub reason: String,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    pub q: String,
    pub limit: Option<i64>,
}

pub async fn audit_rows(shared: &Shared, q: &AuditQuery) -> WebResult<Vec<AuditRow>> {
    let limit = q.limit.unwrap_or(300).clamp(1, 5000);
    let mut rows = Vec::new();
    // Accounts may share one store: it is asked once, and each entry is shown under its own account.
    for (store, apps) in shared.by_store() {
        for r in store.audit_log(AuditFilter { text: Some(q.q.clone()), limit: Some(limit), ..Default::default() }).await? {
            let app = match r.account.as_deref() {
                Some(account) => match apps.iter().find(|a| a.account() == account) {
                    Some(app) => app,
                    // An account of the store that this UI does not serve.
                    None => continue,
                },
                // About no message (a pause, a resync): under the store's first account.
                None => &apps[0],
            };
            let (subject, url) = match (r.draft_id, r.message_row) {
                (Some(d), _) => (format!("draft {d}"), view::draft_url(app.account(), d)),
                (None, Some(m)) => (format!("message {m}"), String::new()),
                _ => (String::new(), String::new()),
            };
            rows.push((
                r.at,
                r.id,
                AuditRow { account: app.account().to_string(), at: fmt_time(r.at), actor: r.actor, action: r.action, subject, url, reason: r.reason },
            ));
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    Ok(rows.into_iter().take(limit as usize).map(|r| r.2).collect())
}

pub async fn audit_page(State(shared): State<Arc<Shared>>, Extension(session): Extension<SessionInfo>, Query(q): Query<AuditQuery>) -> WebResult<Response> {
    let rows = audit_rows(&shared, &q).await?;
    render(&AuditPage { chrome: Chrome::new(&shared, &session, "Audit log"), nav: NAV, limit: q.limit.unwrap_or(300), q: q.q, rows })
}

// ---------------------------------------------------------------- policy

#[derive(Template)]
#[template(path = "web/policy.html")]
struct PolicyPage {
    chrome: Chrome,
    nav: [(&'static str, &'static str); 4],
    accounts: Vec<PolicyView>,
}

struct PolicyView {
    account: String,
    source: String,
    default: String,
    auto_send_hold: u64,
    review_hold: u64,
    rules: Vec<RuleView>,
    autonomy: Vec<AutonomyRow>,
    paused: String,
}

struct RuleView {
    line: usize,
    name: String,
    matches: String,
    action: String,
}

fn rule_view(r: &autoemail_core::policy::Rule) -> RuleView {
    let mut m = Vec::new();
    let join = |v: &[String]| v.join(", ");
    if !r.sender.is_empty() {
        m.push(format!("sender {}", join(&r.sender)));
    }
    if !r.domain.is_empty() {
        m.push(format!("domain {}", join(&r.domain)));
    }
    if !r.thread.is_empty() {
        m.push(format!("thread {}", join(&r.thread)));
    }
    let debug_list = |v: Vec<String>| v.join(", ").to_lowercase();
    if !r.category.is_empty() {
        m.push(format!("category {}", debug_list(r.category.iter().map(|c| format!("{c:?}")).collect())));
    }
    if !r.intent.is_empty() {
        m.push(format!("intent {}", debug_list(r.intent.iter().map(|c| format!("{c:?}")).collect())));
    }
    if !r.sender_class.is_empty() {
        m.push(format!("sender class {}", debug_list(r.sender_class.iter().map(|c| format!("{c:?}")).collect())));
    }
    if !r.risk.is_empty() {
        m.push(format!("risk {}", r.risk.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")));
    }
    let mut action = format!("{:?}", r.action).to_lowercase();
    if let Some(h) = r.hold_seconds {
        action.push_str(&format!(", hold {h} s"));
    }
    if let Some(p) = r.priority {
        action.push_str(&format!(", priority {p}"));
    }
    RuleView { line: r.line, name: r.name.clone(), matches: if m.is_empty() { "every message".into() } else { m.join("; ") }, action }
}

pub async fn policy_page(State(shared): State<Arc<Shared>>, Extension(session): Extension<SessionInfo>) -> WebResult<Response> {
    let apps = shared.apps();
    let mut reports = crate::autonomy::autonomy_reports(&apps).await?;
    let mut paused = HashMap::new();
    for (store, apps) in shared.by_store() {
        paused.extend(store.paused_of(&apps.iter().map(|a| a.account().to_string()).collect::<Vec<_>>()).await?);
    }
    let mut accounts = Vec::new();
    for app in apps.iter() {
        let name = app.account();
        let report = reports.remove(name).unwrap_or_default();
        let p = app.policy();
        let source = match &app.config.policy_section.file {
            Some(f) => app.config.resolve(f).display().to_string(),
            None => format!("[policy] in {}", app.config.path.display()),
        };
        accounts.push(PolicyView {
            account: app.account().to_string(),
            source,
            default: format!("{:?}", p.default),
            auto_send_hold: p.auto_send_hold_seconds,
            review_hold: p.review_hold_seconds,
            rules: p.rules.iter().map(rule_view).collect(),
            autonomy: autonomy_rows(report.iter().map(|r| (name, r))),
            paused: paused.remove(name).map(|(why, since)| format!("Sending is paused since {}: {why}", fmt_time(since))).unwrap_or_default(),
        });
    }
    render(&PolicyPage { chrome: Chrome::new(&shared, &session, "Policy"), nav: NAV, accounts })
}

#[derive(Deserialize)]
pub struct AutonomyForm {
    account: String,
    key: String,
    decision: String,
}

pub async fn autonomy_decision(State(shared): State<Arc<Shared>>, Form(f): Form<AutonomyForm>) -> WebResult<Response> {
    let app = shared.app(&f.account)?;
    match f.decision.as_str() {
        "accept" => app.accept_autonomy(&f.key, &shared.person).await?,
        "decline" => app.decline_autonomy(&f.key, &shared.person).await?,
        other => return Err(WebError::bad_request(format!("decision {other:?}: use accept or decline"))),
    }
    Ok(Redirect::to("/policy").into_response())
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    csrf: String,
    error: String,
}

pub async fn login_page(Extension(session): Extension<SessionInfo>) -> WebResult<Response> {
    render(&LoginPage { csrf: session.csrf, error: String::new() })
}

#[derive(Deserialize)]
pub struct LoginForm {
    password: String,
}

pub async fn login(
    State(shared): State<Arc<Shared>>,
    Extension(session): Extension<SessionInfo>,
    Extension(SessionCookie(cookie)): Extension<SessionCookie>,
    Form(form): Form<LoginForm>,
) -> WebResult<Response> {
    let Some(hash) = &shared.password_hash else { return Ok(Redirect::to("/").into_response()) };
    if !verify_password(hash, &form.password) {
        tracing::warn!("review UI: a login failed");
        // Slow down guessing.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let mut resp = render(&LoginPage { csrf: session.csrf, error: "Wrong password.".into() })?;
        *resp.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
        return Ok(resp);
    }
    let sid = shared.sessions.login(cookie.as_deref(), crate::now());
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().insert(header::SET_COOKIE, set_cookie_header(&shared, &sid));
    Ok(resp)
}

pub async fn logout(State(shared): State<Arc<Shared>>, Extension(SessionCookie(cookie)): Extension<SessionCookie>) -> Response {
    shared.sessions.logout(cookie.as_deref());
    Redirect::to("/login").into_response()
}

#[cfg(test)]
mod tests {
    use super::minutes_saved;

    #[test]
    fn time_saved_follows_the_stated_formula() {
        // 80 words unchanged: write 1 + 2 = 3 min, review 0.25 → 2.75 saved.
        assert!((minutes_saved(&[(80, 0.0)], 0) - 2.75).abs() < 1e-9);
        // Half of it rewritten: review 0.25 + 1 = 1.25 → 1.75 saved; a reject costs 0.25.
        assert!((minutes_saved(&[(80, 0.5)], 1) - 1.5).abs() < 1e-9);
    }
}
