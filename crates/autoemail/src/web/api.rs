//! The JSON API: everything the UI does, for scripts and other front ends.
//! Same session, CSRF header (`X-CSRF-Token`, from `GET /api/session`) and
//! audit trail as the pages. Described in `openapi.json`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::pages::{AuditQuery, StatsQuery, audit_rows, draft_detail, stats};
use super::security::SessionInfo;
use super::view::{self, QueueFilter};
use super::{Shared, WebError, WebResult};

pub const OPENAPI: &str = include_str!("openapi.json");

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/openapi.json", get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response() }))
        .route("/session", get(session))
        .route("/events/wait", get(wait_for_event))
        .route("/queue", get(queue))
        .route("/held", get(held))
        .route("/drafts/{account}/{id}", get(draft))
        .route("/drafts/{account}/{id}/approve", post(approve))
        .route("/drafts/{account}/{id}/reject", post(reject))
        .route("/drafts/{account}/{id}/regenerate", post(regenerate))
        .route("/drafts/{account}/{id}/snooze", post(snooze))
        .route("/drafts/{account}/{id}/undo", post(undo))
        .route("/groups", get(groups))
        .route("/groups/approve", post(approve_group))
        .route("/stats", get(stats_json))
        .route("/audit", get(audit))
        .route("/policy", get(policy))
        .route("/autonomy/{account}/{decision}", post(autonomy))
}

/// Long poll: answers with the next change another process commits (a new
/// message, a draft, an approval), or 204 after 25 s. Without PostgreSQL there
/// are no such events: 204 at once with `X-Events: none`, and pages poll.
async fn wait_for_event(State(shared): State<Arc<Shared>>) -> Response {
    let Some(events) = &shared.events else {
        return (axum::http::StatusCode::NO_CONTENT, [("x-events", "none")]).into_response();
    };
    let mut rx = events.subscribe();
    match tokio::time::timeout(std::time::Duration::from_secs(25), rx.recv()).await {
        Ok(Ok(event)) => Json(json!({ "event": event })).into_response(),
        _ => axum::http::StatusCode::NO_CONTENT.into_response(),
    }
}

async fn session(Extension(s): Extension<SessionInfo>) -> Json<serde_json::Value> {
    Json(json!({ "csrf_token": s.csrf, "authenticated": s.authenticated }))
}

async fn queue(State(shared): State<Arc<Shared>>, Query(filter): Query<QueueFilter>) -> WebResult<Json<serde_json::Value>> {
    let rows: Vec<_> = shared.queue_rows().await?.into_iter().filter(|r| filter.keeps(r)).collect();
    Ok(Json(json!({ "drafts": rows })))
}

async fn held(State(shared): State<Arc<Shared>>) -> WebResult<Json<serde_json::Value>> {
    Ok(Json(json!({ "held": shared.held().await? })))
}

async fn draft(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>) -> WebResult<Response> {
    Ok(Json(draft_detail(&shared, &account, id).await?).into_response())
}

#[derive(Deserialize, Default)]
struct ApproveBody {
    body: Option<String>,
}

async fn approve(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>, body: Option<Json<ApproveBody>>) -> WebResult<Response> {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    Ok(Json(shared.approve(&account, id, body.body).await?).into_response())
}

#[derive(Deserialize)]
struct RejectBody {
    reason: String,
}

async fn reject(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>, Json(b): Json<RejectBody>) -> WebResult<Response> {
    if b.reason.trim().is_empty() {
        return Err(WebError::bad_request("reason is required"));
    }
    let change = shared.app(&account)?.reject(id, &shared.person, b.reason.trim()).await?;
    Ok(Json(json!({ "ref": view::draft_ref(&account, id), "state": "rejected", "autonomy": change.map(|t| t.reason) })).into_response())
}

#[derive(Deserialize, Default)]
struct RegenerateBody {
    #[serde(default)]
    instruction: String,
}

async fn regenerate(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>, body: Option<Json<RegenerateBody>>) -> WebResult<Response> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let new_id = shared.app(&account)?.regenerate(id, b.instruction.trim(), &shared.person).await?;
    Ok(Json(draft_detail(&shared, &account, new_id).await?).into_response())
}

#[derive(Deserialize)]
struct SnoozeBody {
    minutes: i64,
}

async fn snooze(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>, Json(b): Json<SnoozeBody>) -> WebResult<Response> {
    if !(0..=60 * 24 * 30).contains(&b.minutes) {
        return Err(WebError::bad_request("minutes: between 0 (back now) and 43200"));
    }
    let until = (b.minutes > 0).then(|| crate::now() + b.minutes * 60);
    shared.app(&account)?.snooze(id, &shared.person, until).await?;
    Ok(Json(json!({ "ref": view::draft_ref(&account, id), "snoozed_until": until })).into_response())
}

async fn undo(State(shared): State<Arc<Shared>>, Path((account, id)): Path<(String, i64)>) -> WebResult<Response> {
    shared.app(&account)?.undo(id, &shared.person).await?;
    Ok(Json(json!({ "ref": view::draft_ref(&account, id), "state": "pending" })).into_response())
}

async fn groups(State(shared): State<Arc<Shared>>) -> WebResult<Json<serde_json::Value>> {
    let rows = shared.queue_rows().await?;
    let (groups, _) = view::group_routine(&rows);
    let groups: Vec<view::Group> = groups.into_iter().map(view::Group::with_differences).collect();
    Ok(Json(json!({ "groups": groups })))
}

#[derive(Deserialize)]
struct GroupBody {
    refs: Vec<String>,
}

async fn approve_group(State(shared): State<Arc<Shared>>, Json(b): Json<GroupBody>) -> WebResult<Json<serde_json::Value>> {
    let (approved, refused) = shared.approve_group(&b.refs.join(",")).await?;
    Ok(Json(json!({ "approved": approved, "refused": refused })))
}

async fn stats_json(State(shared): State<Arc<Shared>>, Query(q): Query<StatsQuery>) -> WebResult<Response> {
    Ok(Json(stats(&shared, q.days(), q.account()).await?).into_response())
}

async fn audit(State(shared): State<Arc<Shared>>, Query(q): Query<AuditQuery>) -> WebResult<Json<serde_json::Value>> {
    Ok(Json(json!({ "entries": audit_rows(&shared, &q).await? })))
}

async fn policy(State(shared): State<Arc<Shared>>) -> WebResult<Json<serde_json::Value>> {
    let apps = shared.apps();
    let mut reports = crate::autonomy::autonomy_reports(&apps).await?;
    let mut out = Vec::new();
    for app in apps.iter() {
        out.push(json!({ "account": app.account(), "policy": app.policy(), "autonomy": reports.remove(app.account()).unwrap_or_default() }));
    }
    Ok(Json(json!({ "accounts": out })))
}

#[derive(Deserialize)]
struct AutonomyBody {
    key: String,
}

async fn autonomy(
    State(shared): State<Arc<Shared>>,
    Path((account, decision)): Path<(String, String)>,
    Json(b): Json<AutonomyBody>,
) -> WebResult<Json<serde_json::Value>> {
    let app = shared.app(&account)?;
    match decision.as_str() {
        "accept" => app.accept_autonomy(&b.key, &shared.person).await?,
        "decline" => app.decline_autonomy(&b.key, &shared.person).await?,
        other => return Err(WebError::bad_request(format!("{other:?}: use accept or decline"))),
    }
    Ok(Json(json!({ "key": b.key, "state": app.autonomy_state(&b.key).await?.as_str() })))
}
