//! Faults a test can switch on: failures, throttling, latency, dropped connections and a
//! "concurrent writer" that changes an object between a client's read and its write.

use std::time::Duration;

/// What to do to a request that matches a [`FaultRule`].
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and a `Status` body (500 → InternalError, 503 → ServiceUnavailable…).
    Status(u16),
    /// 429 TooManyRequests with `Retry-After: seconds`.
    Throttle { retry_after_secs: u64 },
    /// Close the connection without answering.
    Drop,
    /// Answer normally, but only after this delay.
    Delay(Duration),
    /// Answer a GET of one object normally, then change that object behind the client's back
    /// (an annotation and a new resourceVersion), so its next conditional write conflicts.
    ConcurrentWrite,
}

/// A fault, which requests it hits, and how many times (None: every time).
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub fault: Fault,
    /// Only this HTTP method (upper case), if set.
    pub method: Option<String>,
    /// Only paths containing this text, if set.
    pub path_contains: Option<String>,
    pub remaining: Option<u32>,
}

impl FaultRule {
    pub fn new(fault: Fault) -> FaultRule {
        FaultRule { fault, method: None, path_contains: None, remaining: None }
    }

    pub fn method(mut self, method: &str) -> FaultRule {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    pub fn path(mut self, contains: &str) -> FaultRule {
        self.path_contains = Some(contains.to_string());
        self
    }

    pub fn times(mut self, count: u32) -> FaultRule {
        self.remaining = Some(count);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.remaining != Some(0)
            && self.method.as_deref().is_none_or(|m| m == method)
            && self.path_contains.as_deref().is_none_or(|p| path.contains(p))
    }
}

/// The server's fault plan. Rules are tried in order; every matching rule applies.
#[derive(Debug, Default)]
pub struct Faults {
    pub rules: Vec<FaultRule>,
    /// Fail this share of API requests (0.0 to 1.0) with 500, from a seeded generator.
    pub error_rate: f64,
    seed: u64,
}

impl Faults {
    pub fn add(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    pub fn clear(&mut self) {
        self.rules.clear();
        self.error_rate = 0.0;
    }

    pub fn set_error_rate(&mut self, rate: f64, seed: u64) {
        self.error_rate = rate;
        self.seed = seed.max(1);
    }

    /// The faults that apply to this request, consuming one use of each counted rule. Delays
    /// and concurrent writes add up; of the faults that replace the answer (a status, a
    /// throttle, a drop) only the first matching rule applies.
    pub fn take(&mut self, method: &str, path: &str) -> Vec<Fault> {
        let mut hit = Vec::new();
        let mut answered = false;
        for rule in self.rules.iter_mut().filter(|r| r.matches(method, path)) {
            let replaces_answer = matches!(rule.fault, Fault::Status(_) | Fault::Throttle { .. } | Fault::Drop);
            if replaces_answer && answered {
                continue;
            }
            answered |= replaces_answer;
            if let Some(left) = rule.remaining.as_mut() {
                *left -= 1;
            }
            hit.push(rule.fault.clone());
        }
        if self.error_rate > 0.0 && !path.starts_with("/version") {
            // xorshift64: deterministic for a given seed, no extra dependency.
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            if (self.seed % 10_000) as f64 / 10_000.0 < self.error_rate {
                hit.push(Fault::Status(500));
            }
        }
        hit
    }
}
