//! Access requests (§3.2–§3.4): creating one through `/command/`, following its NDJSON poll
//! stream to a decision, and the outcomes' texts and exit codes.

use super::client::{self, Replay};
use super::P0Client;
use crate::error::{Error, Result};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// §3.3: the client's own limit on waiting, retries included.
const WAIT_LIMIT: Duration = Duration::from_secs(600);
/// A poll stream silent for this long (no heartbeat, no data) is treated as cut: twice one
/// call's deadline (`P0_CALL_TIMEOUT`), 120 s by default. Heartbeats come every few seconds,
/// so this is a connection that died without a word (a VPN drop, a laptop's sleep).
fn stream_idle_limit(call_timeout: Duration) -> Duration {
    call_timeout * 2
}
/// The longest poll line kept: a data line is a request object of a few KiB. A connection
/// sending more without a newline is dropped (and counts as a failed one).
pub const MAX_LINE: usize = 1024 * 1024;
/// The create error that means the access already exists (§3.4).
pub(super) const ALREADY_HAS_ACCESS: &str = "This principal already has this access";
const SCRIPT_NAME: &str = "p0";

/// A created request, as the server answered (`ok`, `message`, `id`, `request`, flags).
#[derive(Debug, Clone)]
pub struct Created(pub Value);

impl Created {
    pub fn id(&self) -> Option<&str> {
        self.0.get("id").and_then(Value::as_str)
    }

    pub fn message(&self) -> Option<&str> {
        self.0.get("message").and_then(Value::as_str)
    }

    fn flag(&self, name: &str) -> bool {
        self.0.get(name).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn is_preexisting(&self) -> bool {
        self.flag("isPreexisting")
    }

    /// Existing, standing or auto-approved access: no approval message (§3.4).
    pub fn is_quiet(&self) -> bool {
        self.is_preexisting() || self.flag("isPersistent") || self.flag("isPreapproved")
    }

    /// Access the request itself granted (as opposed to access the user already had).
    pub fn is_new_access(&self) -> bool {
        !(self.is_preexisting() || self.flag("isPersistent"))
    }

    fn status(&self) -> Option<&str> {
        self.0.pointer("/request/status").and_then(Value::as_str)
    }

    /// The first data line merged over the create response, as P0's CLI does.
    fn merge(&mut self, data: Map<String, Value>) {
        if let Value::Object(fields) = &mut self.0 {
            fields.extend(data);
        }
    }
}

/// What a request's status means (§3.3). `DENIED_NOTIFIED` and its kind are the same decision
/// after the notification went out; P0's CLI reported them as "did not complete" (exit 4),
/// which told scripts to retry a denied request.
pub fn outcome(created: &Created) -> Result<()> {
    let status = created.status().unwrap_or_default();
    let message = created
        .0
        .pointer("/request/error/message")
        .and_then(Value::as_str)
        .map(String::from);
    match status.strip_suffix("_NOTIFIED").unwrap_or(status) {
        "APPROVED" | "DONE" => Ok(()),
        "DENIED" => Err(Error::RequestDenied(message)),
        "ERRORED" => Err(Error::RequestErrored(message)),
        "EXPIRED" => Err(Error::AccessExpired(message)),
        "REVOKED" => Err(Error::AccessRevoked(message)),
        _ => Err(Error::RequestNotComplete(message)),
    }
}

/// Whether a create answer's status is final, so the poll stream has nothing to add: DONE
/// (provisioned) or a failure. APPROVED is not: provisioning may still run, and the stream's
/// line (DONE) says when it is over, as P0's CLI always waits for it.
fn needs_no_poll(status: &str) -> bool {
    matches!(
        status.strip_suffix("_NOTIFIED").unwrap_or(status),
        "DONE" | "DENIED" | "ERRORED" | "EXPIRED" | "REVOKED"
    )
}

/// Splits complete lines off a byte stream; a line cut by the network stays pending. Each
/// byte is scanned for a newline once (a long line arriving in small chunks is not rescanned
/// from its start), and a pending line may not grow past `max_line`.
pub struct LineBuffer {
    pending: Vec<u8>,
    /// How much of `pending` is known to hold no newline.
    scanned: usize,
    max_line: usize,
}

/// A line grew past the buffer's cap without a newline.
#[derive(Debug, PartialEq, Eq)]
pub struct LineTooLong;

impl Default for LineBuffer {
    fn default() -> Self {
        LineBuffer::with_max_line(MAX_LINE)
    }
}

impl LineBuffer {
    pub fn with_max_line(max_line: usize) -> Self {
        LineBuffer {
            pending: Vec::new(),
            scanned: 0,
            max_line,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Vec<u8>>, LineTooLong> {
        self.pending.extend_from_slice(chunk);
        let mut lines = Vec::new();
        let mut start = 0;
        while let Some(offset) = self.pending[self.scanned..]
            .iter()
            .position(|&b| b == b'\n')
        {
            let end = self.scanned + offset;
            let trimmed = self.pending[start..end].trim_ascii();
            if !trimmed.is_empty() {
                lines.push(trimmed.to_vec());
            }
            start = end + 1;
            self.scanned = start;
        }
        self.pending.drain(..start);
        self.scanned = self.pending.len();
        if self.pending.len() > self.max_line {
            return Err(LineTooLong);
        }
        Ok(lines)
    }
}

/// One line of the poll stream.
#[derive(Debug)]
pub enum StreamLine {
    Heartbeat,
    Data(Map<String, Value>),
    Failed(String),
    Other,
}

pub fn parse_line(line: &[u8]) -> StreamLine {
    let Ok(value) = serde_json::from_slice::<Value>(line) else {
        tracing::debug!("ignoring a poll line that is not JSON");
        return StreamLine::Other;
    };
    match value.get("type").and_then(Value::as_str) {
        Some("heartbeat") => StreamLine::Heartbeat,
        Some("error") => StreamLine::Failed(
            value
                .get("error")
                .map(client::error_text)
                .unwrap_or_default(),
        ),
        Some("data") => match value.get("data") {
            Some(Value::Object(data)) => match data.get("error") {
                Some(error) => StreamLine::Failed(client::error_text(error)),
                None => StreamLine::Data(data.clone()),
            },
            _ => StreamLine::Other,
        },
        _ => StreamLine::Other,
    }
}

/// How one poll connection ended.
enum StreamEnd {
    Decided(Map<String, Value>),
    /// Cut, closed or silent before any data line (heartbeats are not progress).
    Cut,
    /// A line longer than [`MAX_LINE`] without a newline: the connection was dropped.
    LineTooLong,
}

impl P0Client {
    /// `POST /o/{org}/command/` with `argv` (§3.2). `ok` is required.
    pub(crate) async fn run_command(
        &self,
        argv: Vec<String>,
        endpoint: &str,
        replay: Replay,
    ) -> Result<Value> {
        let body = json!({"argv": argv, "scriptName": SCRIPT_NAME});
        let value = self.post_json(endpoint, &body, replay).await?;
        // P0 tells out-of-date clients (and anything else the user should know) here; shown
        // even with --quiet, never on stdout.
        for warning in warnings(&value) {
            self.printer().warn(&format!("P0: {warning}"));
        }
        if value.get("ok").and_then(Value::as_bool) != Some(true) {
            return Err(Error::InvalidResponse);
        }
        Ok(value)
    }

    /// Creates an access request from the user's words after `p0 request`.
    pub(crate) async fn create_request(&self, args: Vec<String>) -> Result<Created> {
        let argv = std::iter::once("request".to_string()).chain(args).collect();
        // Never blindly repeated: a second POST could make a second request.
        self.run_command(argv, "command/", Replay::OnlyIfUnsent)
            .await
            .map(Created)
    }

    /// Waits for the request's decision (unless the create answer says it is provisioned or
    /// failed) and returns the merged answer when access was granted; the §3.3 error otherwise.
    pub(crate) async fn settle(&self, mut created: Created) -> Result<Created> {
        if !created.status().is_some_and(needs_no_poll) {
            let id = created.id().ok_or(Error::NoAccessId)?.to_string();
            self.printer().status(&format!(
                "Will wait up to {} minutes for this request to complete...",
                WAIT_LIMIT.as_secs() / 60
            ));
            let progress = self
                .printer()
                .spinner("Waiting for the request to be decided");
            let data = tokio::time::timeout(WAIT_LIMIT, self.poll(&id))
                .await
                .map_err(|_| Error::WaitTimedOut {
                    minutes: WAIT_LIMIT.as_secs() / 60,
                })?;
            drop(progress);
            created.merge(data?);
        }
        outcome(&created)?;
        Ok(created)
    }

    /// Follows `/command/{id}/poll` to its first data line, reconnecting when the stream is cut.
    /// Every connection that ends without one is a failure for the §3.1 schedule, however
    /// many heartbeats it carried: a stream cut after each heartbeat must not reconnect forever.
    async fn poll(&self, id: &str) -> Result<Map<String, Value>> {
        let path = format!("command/{id}/poll");
        let mut failures = 0;
        loop {
            // `Network` means the connection retries are already spent.
            let end = match self.poll_once(&path, id).await {
                Err(Error::Network { .. }) => return Err(Error::NetworkExhausted),
                other => other?,
            };
            let overlong = match end {
                StreamEnd::Decided(data) => return Ok(data),
                StreamEnd::Cut => false,
                StreamEnd::LineTooLong => true,
            };
            if !self.retry.backoff.allows(failures) {
                return Err(if overlong {
                    Error::RemoteData(format!(
                        "P0's status stream for the request sent a line longer than {} KiB \
                         without ending it, on every connection.",
                        MAX_LINE / 1024
                    ))
                } else {
                    Error::NetworkExhausted
                });
            }
            let delay = self.retry.backoff.delay(failures);
            tracing::debug!("poll stream ended early; reconnecting in {delay:?}");
            tokio::time::sleep(delay).await;
            failures += 1;
        }
    }

    async fn poll_once(&self, path: &str, id: &str) -> Result<StreamEnd> {
        // The stream may rightly last minutes: the wait's own limit, not the client's default.
        let mut response = self
            .authorized(
                reqwest::Method::GET,
                path,
                None,
                Replay::Idempotent,
                Some(WAIT_LIMIT),
            )
            .await?;
        if !response.status().is_success() {
            return Err(client::api_json(response).await.err().unwrap_or_else(|| {
                client::http_error(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
            }));
        }
        let mut lines = LineBuffer::default();
        loop {
            let idle_limit = stream_idle_limit(self.retry.call_timeout);
            let chunk = match tokio::time::timeout(idle_limit, response.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) => return Ok(StreamEnd::Cut),
                Ok(Err(e)) => {
                    tracing::debug!("poll stream broke: {e}");
                    return Ok(StreamEnd::Cut);
                }
                Err(_) => {
                    tracing::debug!("poll stream silent for {idle_limit:?}");
                    return Ok(StreamEnd::Cut);
                }
            };
            let Ok(complete) = lines.push(&chunk) else {
                tracing::debug!("poll line longer than {MAX_LINE} bytes; dropping the connection");
                return Ok(StreamEnd::LineTooLong);
            };
            for line in complete {
                match parse_line(&line) {
                    StreamLine::Heartbeat => tracing::debug!("poll: heartbeat"),
                    StreamLine::Data(data) if names_another_request(&data, id) => {
                        tracing::debug!("poll: ignoring a data line about another request");
                    }
                    StreamLine::Data(data) => return Ok(StreamEnd::Decided(data)),
                    StreamLine::Failed(error) => return Err(Error::Api(error)),
                    StreamLine::Other => {}
                }
            }
        }
    }
}

/// The texts of a `/command/` answer's `warnings` (strings, or objects with a `message`);
/// anything else there is ignored.
fn warnings(answer: &Value) -> Vec<String> {
    let Some(Value::Array(items)) = answer.get("warnings") else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|item| item.is_string() || item.get("message").is_some_and(Value::is_string))
        .map(client::error_text)
        .collect()
}

/// Whether a data line's `id` (the create answer's field it is merged over) names a request
/// other than `id`: a proxy or server mixing streams up must not decide this request with
/// another's outcome. A line that names none is this stream's.
fn names_another_request(data: &Map<String, Value>, id: &str) -> bool {
    data.get("id")
        .and_then(Value::as_str)
        .is_some_and(|named| named != id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_done_or_a_failure_skips_the_poll() {
        for final_status in [
            "DONE",
            "DONE_NOTIFIED",
            "DENIED",
            "ERRORED",
            "EXPIRED",
            "REVOKED",
        ] {
            assert!(needs_no_poll(final_status), "{final_status}");
        }
        for open in [
            "APPROVED",
            "APPROVED_NOTIFIED",
            "NEW",
            "PENDING_APPROVAL",
            "",
        ] {
            assert!(!needs_no_poll(open), "{open}");
        }
    }

    #[test]
    fn warnings_are_strings_or_messages() {
        let answer = json!({"ok": true, "warnings": ["Update p0", {"message": "Soon"}, 3, {}]});
        assert_eq!(warnings(&answer), ["Update p0", "Soon"]);
        assert!(warnings(&json!({"ok": true})).is_empty());
        assert!(warnings(&json!({"warnings": "not a list"})).is_empty());
    }

    #[test]
    fn a_data_line_about_another_request_is_not_ours() {
        let data = |value: Value| value.as_object().unwrap().clone();
        assert!(!names_another_request(
            &data(json!({"request": {"status": "DONE"}})),
            "r1"
        ));
        assert!(!names_another_request(
            &data(json!({"id": "r1", "request": {"id": "r1"}})),
            "r1"
        ));
        assert!(names_another_request(&data(json!({"id": "r2"})), "r1"));
    }

    fn created(value: Value) -> Created {
        Created(value)
    }

    #[test]
    fn statuses_map_to_the_protocol_outcomes() {
        let status = |s: &str| outcome(&created(json!({"request": {"status": s}})));
        for ok in ["APPROVED", "APPROVED_NOTIFIED", "DONE", "DONE_NOTIFIED"] {
            assert!(status(ok).is_ok(), "{ok}");
        }
        assert_eq!(status("DENIED").unwrap_err().exit_code(), 2);
        assert_eq!(status("DENIED_NOTIFIED").unwrap_err().exit_code(), 2);
        assert_eq!(status("ERRORED").unwrap_err().exit_code(), 1);
        assert_eq!(
            status("EXPIRED").unwrap_err().to_string(),
            "Your access has expired"
        );
        assert_eq!(
            status("REVOKED").unwrap_err().to_string(),
            "Your access was revoked"
        );
        let pending = status("PENDING_APPROVAL").unwrap_err();
        assert_eq!(pending.exit_code(), 4);
        assert_eq!(
            pending.to_string(),
            "Your request did not complete: P0 ended its wait without a decision, and the \
             request may still be approved in P0."
        );
        let with_message = outcome(&created(
            json!({"request": {"status": "DENIED", "error": {"message": "not on call"}}}),
        ));
        assert_eq!(
            with_message.unwrap_err().to_string(),
            "Your request was denied: not on call"
        );
    }

    #[test]
    fn lines_split_across_reads_are_joined() {
        let mut buffer = LineBuffer::default();
        assert!(buffer.push(b"{\"type\":\"heart").unwrap().is_empty());
        let lines = buffer
            .push(b"beat\"}\n\n{\"type\":\"data\",\"data\":{\"request\":{}}}\n{\"ty")
            .unwrap();
        assert_eq!(lines.len(), 2);
        assert!(matches!(parse_line(&lines[0]), StreamLine::Heartbeat));
        assert!(matches!(parse_line(&lines[1]), StreamLine::Data(_)));
        // The cut line never becomes a line.
        assert!(buffer.push(b"").unwrap().is_empty());
        assert_eq!(buffer.push(b"pe\":\"heartbeat\"}\n").unwrap().len(), 1);
    }

    #[test]
    fn a_line_that_never_ends_is_refused_at_the_cap() {
        let mut buffer = LineBuffer::with_max_line(1000);
        // Many small chunks of one long line: each is scanned once, and kept under the cap.
        for _ in 0..99 {
            assert!(buffer.push(&[b'x'; 10]).unwrap().is_empty());
        }
        assert_eq!(buffer.scanned, 990);
        assert_eq!(buffer.push(&[b'x'; 20]), Err(LineTooLong));
        // Complete lines of any number are fine, as long as none is longer than the cap.
        let mut buffer = LineBuffer::with_max_line(1000);
        let many = "{\"type\":\"heartbeat\"}\n".repeat(500);
        assert_eq!(buffer.push(many.as_bytes()).unwrap().len(), 500);
        assert_eq!(buffer.pending.len(), 0);
    }

    #[test]
    fn error_lines_and_data_errors_are_fatal() {
        assert!(matches!(
            parse_line(br#"{"type":"error","error":"boom"}"#),
            StreamLine::Failed(e) if e == "boom"
        ));
        assert!(matches!(
            parse_line(br#"{"type":"data","data":{"error":"gone"}}"#),
            StreamLine::Failed(e) if e == "gone"
        ));
        assert!(matches!(parse_line(b"garbage"), StreamLine::Other));
    }

    #[test]
    fn data_is_merged_over_the_create_answer() {
        let mut c = created(json!({"ok": true, "id": "r1", "isPreexisting": false,
            "request": {"status": "NEW"}}));
        let data = json!({"request": {"status": "APPROVED"}});
        c.merge(data.as_object().unwrap().clone());
        assert_eq!(c.status(), Some("APPROVED"));
        assert_eq!(c.id(), Some("r1"));
        assert!(c.is_new_access() && !c.is_quiet());
    }
}
