//! POSTing JSON to a model provider with timeouts and retries: 429 and 5xx
//! (and 529, "overloaded") are retried with exponential backoff, honouring
//! Retry-After; timeouts and dropped connections are retried too; other 4xx
//! answers are permanent and reported with the provider's own words.

use std::time::{Duration, Instant};

use crate::DraftError;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub timeout: Duration,
    /// Attempts after the first.
    pub max_retries: u32,
    pub base_backoff: Duration,
    /// Longest wait between attempts, also the cap on Retry-After.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { timeout: Duration::from_secs(60), max_retries: 3, base_backoff: Duration::from_millis(500), max_backoff: Duration::from_secs(30) }
    }
}

pub struct Response {
    pub body: serde_json::Value,
    pub attempts: u32,
    pub latency: Duration,
}

/// The provider's error message from a JSON error body, or the start of the body.
fn provider_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

fn is_retryable(status: u16) -> bool {
    status == 408 || status == 409 || status == 429 || status >= 500
}

fn what_to_do(status: u16) -> &'static str {
    match status {
        401 => " (check the API key: the variable named by api_key_env)",
        403 => " (the key is not allowed to use this model)",
        404 => " (check base_url and model)",
        _ => "",
    }
}

pub async fn post_json(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, String)],
    body: &serde_json::Value,
    policy: &RetryPolicy,
) -> Result<Response, DraftError> {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut req = client.post(url).timeout(policy.timeout).json(body);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let (error, wait) = match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let hint = retry_after(resp.headers());
                let text = resp.text().await.unwrap_or_default();
                if (200..300).contains(&status) {
                    return match serde_json::from_str(&text) {
                        Ok(body) => Ok(Response { body, attempts: attempt, latency: started.elapsed() }),
                        Err(e) => Err(DraftError::Malformed(format!("{url} answered with invalid JSON ({e})"))),
                    };
                }
                let message = format!("{url} answered {status}: {}{}", provider_message(&text), what_to_do(status));
                if !is_retryable(status) {
                    return Err(DraftError::Permanent(message));
                }
                (message, hint)
            }
            Err(e) if e.is_timeout() => (format!("{url} did not answer within {}s", policy.timeout.as_secs()), None),
            Err(e) => (format!("cannot reach {url}: {e}"), None),
        };
        if attempt > policy.max_retries {
            return Err(DraftError::Transient(format!("{error} (gave up after {attempt} attempts)")));
        }
        let backoff = policy.base_backoff.saturating_mul(1 << (attempt - 1).min(10));
        let wait = wait.unwrap_or(backoff).min(policy.max_backoff);
        tracing::info!(attempt, wait_ms = wait.as_millis() as u64, "{error}; retrying");
        tokio::time::sleep(wait).await;
    }
}

/// One GET with a timeout, for connectivity checks.
pub async fn get_json(client: &reqwest::Client, url: &str, headers: &[(&str, String)], timeout: Duration) -> Result<serde_json::Value, DraftError> {
    let mut req = client.get(url).timeout(timeout);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let resp = req.send().await.map_err(|e| {
        if e.is_timeout() {
            DraftError::Transient(format!("{url} did not answer within {}s", timeout.as_secs()))
        } else {
            DraftError::Transient(format!("cannot reach {url}: {e}"))
        }
    })?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    if !(200..300).contains(&status) {
        return Err(DraftError::Permanent(format!("{url} answered {status}: {}{}", provider_message(&text), what_to_do(status))));
    }
    serde_json::from_str(&text).map_err(|e| DraftError::Malformed(format!("{url} answered with invalid JSON ({e})")))
}
