//! Bounded retries for transient API failures.
//!
//! kube's built-in retry layer is switched off (it retries up to 15 times with backoff up to
//! minutes, too long for a command a person waits on); this one tries at most
//! [`MAX_ATTEMPTS`] times, about two seconds in all, then says the server is failing.

use std::future::Future;
use std::time::Duration;

use super::error::{ClusterError, Operation};

pub const MAX_ATTEMPTS: u32 = 4;

/// Runs `call` until it succeeds, fails for good, or runs out of attempts.
pub async fn retrying<T, F, Fut>(operation: &Operation, server: &str, mut call: F) -> Result<T, ClusterError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut attempt = 1;
    loop {
        let error = match call().await {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        let retry_after = retry_after(&error);
        let error = ClusterError::from_kube(error, operation, server);
        if !error.is_transient() {
            return Err(error);
        }
        if attempt >= MAX_ATTEMPTS {
            return Err(match error {
                // A server we never reached is "unreachable", not "failing".
                unreachable @ ClusterError::Unreachable { .. } => unreachable,
                other => {
                    ClusterError::Exhausted { operation: operation.clone(), attempts: attempt, source: Box::new(other) }
                }
            });
        }
        let backoff = Duration::from_millis(100 * 2u64.pow(attempt - 1));
        tokio::time::sleep(retry_after.unwrap_or(backoff).min(Duration::from_secs(5))).await;
        attempt += 1;
    }
}

/// `details.retryAfterSeconds` of a 429/503 Status, as the API server sends it.
fn retry_after(error: &kube::Error) -> Option<Duration> {
    match error {
        kube::Error::Api(status) => status
            .details
            .as_ref()
            .map(|d| d.retry_after_seconds)
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(u64::from(s))),
        _ => None,
    }
}
