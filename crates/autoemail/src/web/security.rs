//! What stands between the review UI and everyone else: sessions, login,
//! CSRF tokens, the Host check that defeats DNS rebinding on loopback, and the
//! response headers (a strict Content-Security-Policy) that keep an email's
//! HTML or subject from ever running script.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;

use super::Shared;

pub const COOKIE: &str = "autoemail_session";
/// Idle sessions end after 12 hours.
const SESSION_SECONDS: i64 = 12 * 3600;
/// A cap on remembered sessions, so requests without a cookie cannot grow memory without bound.
const MAX_SESSIONS: usize = 10_000;
/// Form bodies read for their CSRF field are at most this big.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
     font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What a handler knows of the browser it serves.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub csrf: String,
    pub authenticated: bool,
}

struct Session {
    csrf: String,
    authenticated: bool,
    last_seen: i64,
}

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 24];
    // The OS random source failing is not something a web request can recover from.
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    /// The session behind this cookie value, or a new one (Some(id) when created).
    fn get_or_create(&self, sid: Option<&str>, now: i64) -> (SessionInfo, Option<String>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sid) = sid
            && let Some(s) = map.get_mut(sid)
            && now - s.last_seen < SESSION_SECONDS
        {
            s.last_seen = now;
            return (SessionInfo { csrf: s.csrf.clone(), authenticated: s.authenticated }, None);
        }
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| now - s.last_seen < SESSION_SECONDS && s.authenticated);
            if map.len() >= MAX_SESSIONS {
                map.clear();
            }
        }
        let id = random_token();
        let csrf = random_token();
        map.insert(id.clone(), Session { csrf: csrf.clone(), authenticated: false, last_seen: now });
        (SessionInfo { csrf, authenticated: false }, Some(id))
    }

    /// A successful login: a fresh session id (the old one may have been seen by others), authenticated.
    pub fn login(&self, old: Option<&str>, now: i64) -> String {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = old {
            map.remove(old);
        }
        let id = random_token();
        map.insert(id.clone(), Session { csrf: random_token(), authenticated: true, last_seen: now });
        id
    }

    pub fn logout(&self, sid: Option<&str>) {
        if let Some(sid) = sid {
            self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(sid);
        }
    }
}

pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == COOKIE).then(|| v.to_string())
    })
}

pub fn set_cookie_header(shared: &Shared, sid: &str) -> HeaderValue {
    let secure = if shared.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={sid}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// Without a password the UI trusts whoever reaches loopback, so it must be
/// addressed as loopback: a page on another site that rebinds its own name to
/// 127.0.0.1 arrives with that name in Host and is turned away.
fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name.to_ascii_lowercase().as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

/// A request another site made the browser send.
fn cross_site(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).is_some_and(|v| v == "cross-site" || v == "same-site") {
        return true;
    }
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), headers.get(header::HOST).and_then(|v| v.to_str().ok())) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        _ => false,
    }
}

fn csrf_from_form(body: &[u8]) -> Option<String> {
    form_urlencoded_field(body, "csrf")
}

/// One field of an application/x-www-form-urlencoded body.
pub fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message.to_string()).into_response()
}

pub async fn guard(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    if !shared.auth_required && !host_is_loopback(&parts.headers) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "This AutoEmail UI answers only to http://127.0.0.1 or http://localhost. To reach it under another name, set [web] password_hash.",
        );
    }
    let now = crate::now();
    let cookie = session_cookie(&parts.headers);
    let (info, new_sid) = shared.sessions.get_or_create(cookie.as_deref(), now);
    let path = parts.uri.path().to_string();
    let public = path == "/login" || path.starts_with("/static/");
    if shared.auth_required && !info.authenticated && !public {
        let mut resp = if parts.method == Method::GET && !path.starts_with("/api/") {
            Redirect::to("/login").into_response()
        } else {
            refuse(StatusCode::UNAUTHORIZED, "log in first: POST /login with the password")
        };
        if let Some(sid) = &new_sid {
            resp.headers_mut().append(header::SET_COOKIE, set_cookie_header(&shared, sid));
        }
        return with_security_headers(resp);
    }

    let mut body = body;
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        if cross_site(&parts.headers) {
            return with_security_headers(refuse(StatusCode::FORBIDDEN, "refused: this request came from another site"));
        }
        let mut token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
        let is_form =
            parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if token.is_none() && is_form {
            let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
                Ok(b) => b,
                Err(_) => return with_security_headers(refuse(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large")),
            };
            token = csrf_from_form(&bytes);
            body = Body::from(bytes);
        }
        let ok = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(info.csrf.as_bytes())));
        if !ok {
            let mut resp = refuse(StatusCode::FORBIDDEN, "refused: the CSRF token is missing or out of date; reload the page and try again");
            if let Some(sid) = &new_sid {
                resp.headers_mut().append(header::SET_COOKIE, set_cookie_header(&shared, sid));
            }
            return with_security_headers(resp);
        }
    }
    parts.extensions.insert(info);
    parts.extensions.insert(SessionCookie(cookie));
    let mut resp = next.run(Request::from_parts(parts, body)).await;
    if let Some(sid) = &new_sid
        && !resp.headers().contains_key(header::SET_COOKIE)
    {
        resp.headers_mut().append(header::SET_COOKIE, set_cookie_header(&shared, sid));
    }
    with_security_headers(resp)
}

/// The cookie value the request came with, for login and logout.
#[derive(Clone, Debug)]
pub struct SessionCookie(pub Option<String>);

fn with_security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::PasswordHash::new(hash).is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// An argon2id hash of `password` for `[web] password_hash`.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_only() {
        let mut h = HeaderMap::new();
        for (host, ok) in
            [("127.0.0.1:8025", true), ("localhost:8025", true), ("[::1]:8025", true), ("evil.example:8025", false), ("127.0.0.1.evil.example", false)]
        {
            h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            assert_eq!(host_is_loopback(&h), ok, "{host}");
        }
        h.remove(header::HOST);
        assert!(!host_is_loopback(&h));
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8025"));
        assert!(!cross_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8025"));
        assert!(!cross_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(cross_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8025"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&h));
    }

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "wrong"));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn sessions_rotate_on_login_and_expire() {
        let s = Sessions::default();
        let (info, sid) = s.get_or_create(None, 0);
        let sid = sid.unwrap();
        assert!(!info.authenticated);
        let (again, none) = s.get_or_create(Some(&sid), 10);
        assert!(none.is_none());
        assert_eq!(again.csrf, info.csrf);
        let new = s.login(Some(&sid), 20);
        assert_ne!(new, sid);
        assert!(s.get_or_create(Some(&new), 30).0.authenticated);
        // The pre-login id is gone, and an idle session ends.
        assert!(s.get_or_create(Some(&sid), 30).1.is_some());
        assert!(s.get_or_create(Some(&new), 30 + SESSION_SECONDS + 1).1.is_some());
    }
}
