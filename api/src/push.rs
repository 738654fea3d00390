//! Pushes the provincial feed to `FEED_PUSH_URL`: batches in order, each signed
//! with HMAC-SHA256 (`X-Onestop-Signature: sha256=<hex>`) and named by an
//! `Idempotency-Key` derived from the records it holds, so a retried batch is the
//! same batch under the same key. Failures are retried with exponential backoff;
//! every attempt is logged with the records it carried, so each record's
//! attempts, last error and delivery time can be told.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use onestop_projections::feed::{record_attempt, undelivered};
use sha2::Sha256;

use crate::state::AppState;

/// Where and how to push.
#[derive(Debug, Clone)]
pub struct PushSettings {
    pub url: String,
    pub secret: String,
    pub batch_size: i64,
    /// First retry delay; doubles up to a minute.
    pub retry_base: Duration,
}

/// The signature header's value for a body.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Runs until the task is dropped.
pub async fn run(state: AppState, settings: PushSettings) {
    let http = match reqwest::Client::builder().timeout(Duration::from_secs(30)).build() {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(%error, "feed push disabled: cannot build the HTTP client");
            return;
        }
    };
    let mut backoff = settings.retry_base;
    // A failed batch is retried as it was: same records, same body, same key.
    let mut pending: Option<(Vec<i64>, String, String)> = None;
    loop {
        let (seqs, key, body) = match pending.take() {
            Some(batch) => batch,
            None => match undelivered(&state.pool, settings.batch_size).await {
                Ok(batch) if batch.is_empty() => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                Ok(batch) => {
                    let seqs: Vec<i64> = batch.iter().map(|r| r.seq).collect();
                    let key =
                        format!("feed-{}-{}", seqs.first().copied().unwrap_or(0), seqs.last().copied().unwrap_or(0));
                    let mut records = Vec::with_capacity(batch.len());
                    for record in &batch {
                        let mut value = crate::dvcqg::served(&state.cases, record).await;
                        value["seq"] = serde_json::json!(record.seq);
                        records.push(value);
                    }
                    let body = serde_json::json!({ "records": records }).to_string();
                    (seqs, key, body)
                }
                Err(error) => {
                    tracing::warn!(%error, "feed push cannot read undelivered records");
                    tokio::time::sleep(backoff).await;
                    continue;
                }
            },
        };
        let outcome = http
            .post(&settings.url)
            .header("content-type", "application/json")
            .header("idempotency-key", &key)
            .header("x-onestop-signature", signature(&settings.secret, body.as_bytes()))
            .body(body.clone())
            .send()
            .await;
        let failure = match outcome {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!("the receiver answered {}", response.status())),
            Err(error) => Some(format!("the receiver could not be reached: {error}")),
        };
        let (first, last) = (seqs.first().copied().unwrap_or(0), seqs.last().copied().unwrap_or(0));
        let marked = record_attempt(&state.pool, first, last, failure.as_deref().map_or(Ok(()), Err)).await;
        if let Err(error) = marked {
            tracing::warn!(%error, "feed push cannot record the outcome");
        }
        match failure {
            None => {
                ::metrics::counter!("feed_records_delivered_total").increment(seqs.len() as u64);
                backoff = settings.retry_base;
            }
            Some(reason) => {
                ::metrics::counter!("feed_push_failures_total").increment(1);
                tracing::warn!(%reason, batch = %key, retry_in_ms = backoff.as_millis() as u64, "feed push failed");
                pending = Some((seqs, key, body));
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}
