//! The tamper-evident audit log: one JSON line per API request (both protocols, success or
//! failure, authentication failures included) in `<data-dir>/audit/audit.log`.
//!
//! Every line is a JSON object whose first field, `prev`, is the hex SHA-256 of the previous line's
//! bytes (without its newline); the very first line chains to [`GENESIS`]. Rotation by size renames
//! `audit.log` to `audit.log.NNNNNN` (increasing) and the new file's first line chains to the old
//! file's last line, so [`verify_dir`] checks the whole history across files.
//!
//! What a line holds: time (RFC 3339, milliseconds, UTC), request id, protocol, action, principal
//! and AccessKey id when the request authenticated (else the AccessKey id it claimed, if any),
//! resource ARNs named by the request (as given) or by its answer (the key and version an alias
//! or a ciphertext resolved to), the encryption-context keys in clear with each value replaced by
//! an HMAC-SHA256 under a key derived from the root key ([`MacPurpose::AuditContext`]), the result
//! code (`OK` on success) and HTTP status, source address and user agent. Never plaintext, data keys, secret
//! values, key material, tokens or signatures: those parameters are simply never read here.
//!
//! Writing: requests hand a serialized event to a bounded channel ([`QUEUE`]); one background task
//! wakes on the first event of a batch, sleeps [`FLUSH_INTERVAL`] while more arrive (senders do not
//! wake it meanwhile: one task wake-up per batch, not per event), drains the queue, writes and
//! fsyncs once per batch, so no request waits for a disk sync. **Backpressure, not loss:** when the channel is full the request
//! waits for room (it is never answered with its event dropped). Events are lost only when the
//! writer cannot write (disk error) or is gone: each is counted in [`Audit::lost`] (for metrics)
//! and logged at error level. After a write error the writer reopens the file, cutting a partial
//! last line, so the chain on disk stays verifiable.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_lc_rs::digest;
use keyward_crypto::{Barrier, MacPurpose};
use keyward_protocol::params::Params;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// What the first line's `prev` hashes.
pub const GENESIS: &str = "keyward-audit-log-v1";
/// The live file's name inside the audit directory.
pub const LIVE_FILE: &str = "audit.log";
/// Default rotation size.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Events waiting for the writer at most; a full queue makes requests wait.
pub const QUEUE: usize = 4096;
/// Time the writer lets events gather after the first of a batch (at most [`QUEUE`] of them).
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(10);
/// Longest caller-supplied string kept in a line (resource names, user agent, action).
const MAX_FIELD: usize = 256;

/// The protocol a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Alibaba Cloud KMS API 2016-01-20.
    Alibaba,
    /// Huawei Cloud KMS API v1.0.
    Huawei,
}

/// What a request handler learns about a request, filled as it goes.
#[derive(Debug, Default, Clone)]
pub struct Record {
    /// Action (Alibaba) or operation path (Huawei).
    pub action: String,
    /// Principal, once authenticated.
    pub principal: Option<String>,
    /// AccessKey id, once authenticated.
    pub access_key_id: Option<String>,
    /// The AccessKey id a request that failed authentication claimed (unverified).
    pub claimed_access_key_id: Option<String>,
    /// Resource ARNs named by the request.
    pub resources: Vec<String>,
    /// Encryption contexts by parameter name: key → HMAC of the value (hex).
    pub encryption_context: BTreeMap<String, BTreeMap<String, String>>,
}

impl Record {
    /// Records the authenticated caller.
    pub fn caller(&mut self, caller: &keyward_core::Caller) {
        self.principal = Some(caller.principal.clone());
        self.access_key_id = Some(caller.access_key_id.clone());
    }

    /// Adds a resource named `given` (key id, ARN, `alias/…`, or a secret name when `secret`).
    pub fn resource(&mut self, region: &str, account: &str, given: &str, secret: bool) {
        let given = clip(given.trim());
        if given.is_empty() {
            return;
        }
        let arn = if given.starts_with("acs:") {
            given
        } else if secret {
            format!("acs:kms:{region}:{account}:secret/{given}")
        } else if given.starts_with("alias/") {
            format!("acs:kms:{region}:{account}:{given}")
        } else {
            format!("acs:kms:{region}:{account}:key/{given}")
        };
        if !self.resources.contains(&arn) {
            self.resources.push(arn);
        }
    }

    /// Adds the key (and version) an Alibaba answer names: `KeyId`/`KeyVersionId` at the top
    /// (the cryptographic actions, Decrypt included) or `KeyMetadata.KeyId`, so a request made
    /// through an alias or a ciphertext shows the key it resolved to.
    pub fn alibaba_answer(&mut self, region: &str, account: &str, answer: &Value) {
        let top = answer.get("KeyId").and_then(Value::as_str);
        let meta = answer.get("KeyMetadata").and_then(|m| m.get("KeyId")).and_then(Value::as_str);
        let Some(key_id) = top.or(meta) else { return };
        self.resource(region, account, key_id, false);
        if let Some(version) = answer.get("KeyVersionId").and_then(Value::as_str) {
            self.resource(
                region,
                account,
                &format!("acs:kms:{region}:{account}:key/{key_id}/keyversion/{version}"),
                false,
            );
        }
    }

    /// Records an encryption context (a JSON object, or any other text) as HMACs of its values.
    pub fn context(&mut self, barrier: &Barrier, param: &str, value: &Value) {
        let mut out = BTreeMap::new();
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    out.insert(
                        clip(k),
                        hex::encode(barrier.mac(MacPurpose::AuditContext, &[k.as_bytes(), text.as_bytes()])),
                    );
                }
            }
            other => {
                let text = other.to_string();
                out.insert(String::new(), hex::encode(barrier.mac(MacPurpose::AuditContext, &[b"", text.as_bytes()])));
            }
        }
        self.encryption_context.insert(param.to_string(), out);
    }

    /// Fills action-independent facts from Alibaba parameters: resources and contexts. Values
    /// that may be sensitive (plaintext, ciphertexts, material, tokens, secret data) are never read.
    pub fn alibaba_params(&mut self, kms: &keyward_core::Kms, params: &Params) {
        let (region, account) = (&kms.config().region, &kms.config().account_id);
        for name in ["KeyId", "SourceKeyId", "DestinationKeyId", "AliasName"] {
            if let Some(v) = params.opt(name) {
                self.resource(region, account, v, false);
            }
        }
        if let Some(v) = params.opt("SecretName") {
            self.resource(region, account, v, true);
        }
        if let Some(v) = params.opt("SecretNames") {
            for name in v.split(',').take(32) {
                self.resource(region, account, name, true);
            }
        }
        if let Some(v) = params.opt("ResourceId") {
            self.resource(region, account, v, false);
        }
        if let Some(Ok(Value::Array(ids))) = params.opt("ResourceIds").map(serde_json::from_str::<Value>) {
            for id in ids.iter().filter_map(Value::as_str).take(32) {
                self.resource(region, account, id, id.starts_with("acs:kms:") && id.contains(":secret/"));
            }
        }
        for name in ["EncryptionContext", "SourceEncryptionContext", "DestinationEncryptionContext"] {
            if let Some(v) = params.opt(name) {
                let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
                self.context(kms.barrier(), name, &value);
            }
        }
    }
}

/// How a request ended and where it came from.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    /// The request id sent to the caller.
    pub request_id: &'a str,
    /// Protocol.
    pub protocol: Protocol,
    /// `OK`, or the error code.
    pub code: &'a str,
    /// HTTP status.
    pub status: u16,
    /// Peer address (absent when the server runs without connection info, e.g. in tests).
    pub source: Option<SocketAddr>,
    /// `User-Agent` header.
    pub user_agent: Option<&'a str>,
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    request_id: &'a str,
    protocol: Protocol,
    action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    claimed_access_key_id: Option<&'a str>,
    resources: &'a [String],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    encryption_context: &'a BTreeMap<String, BTreeMap<String, String>>,
    result: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
}

enum Msg {
    Event(String),
    Flush(oneshot::Sender<()>),
}

/// Counters of the writer, for metrics.
#[derive(Debug, Default)]
pub struct Counters {
    /// Events written (fsynced).
    pub written: AtomicU64,
    /// Events that could not be written.
    pub lost: AtomicU64,
}

/// The audit log handle shared by request handlers. Cheap to clone.
#[derive(Clone)]
pub struct Audit {
    tx: mpsc::Sender<Msg>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit").field("counters", &self.counters).finish_non_exhaustive()
    }
}

impl Audit {
    /// Opens (or creates) `dir` and starts the writer task on the current runtime.
    pub fn start(dir: &Path, max_file_bytes: u64) -> std::io::Result<Self> {
        let mut state = FileState::new(dir.to_path_buf(), max_file_bytes.max(4096));
        state.reopen()?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        // A thread of its own: the writer blocks on the disk, and a blocking-pool task per batch
        // made the pool grow threads (and per-thread allocator heaps) under load.
        std::thread::Builder::new().name("keyward-audit".into()).spawn(move || writer(rx, state, c))?;
        Ok(Self { tx, counters })
    }

    /// Events that could not be written since start.
    pub fn lost(&self) -> u64 {
        self.counters.lost.load(Ordering::Relaxed)
    }

    /// Events written since start.
    pub fn written(&self) -> u64 {
        self.counters.written.load(Ordering::Relaxed)
    }

    /// The counters (for metrics).
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Queues one event; waits only when the queue is full.
    pub async fn emit(&self, record: &Record, outcome: &Outcome<'_>) {
        let line = Line {
            time: rfc3339_ms(time::OffsetDateTime::now_utc()),
            request_id: outcome.request_id,
            protocol: outcome.protocol,
            action: &record.action,
            principal: record.principal.as_deref(),
            access_key_id: record.access_key_id.as_deref(),
            claimed_access_key_id: record.claimed_access_key_id.as_deref(),
            resources: &record.resources,
            encryption_context: &record.encryption_context,
            result: outcome.code,
            status: outcome.status,
            source: outcome.source.map(|a| a.to_string()),
            user_agent: outcome.user_agent.map(clip),
        };
        let body = match serde_json::to_string(&line) {
            Ok(b) => b,
            Err(e) => {
                self.counters.lost.fetch_add(1, Ordering::Relaxed);
                tracing::error!(request_id = outcome.request_id, error = %e, "AUDIT EVENT LOST: cannot serialize");
                return;
            }
        };
        if self.tx.send(Msg::Event(body)).await.is_err() {
            self.counters.lost.fetch_add(1, Ordering::Relaxed);
            tracing::error!(request_id = outcome.request_id, "AUDIT EVENT LOST: the audit writer is not running");
        }
    }

    /// Waits until every event queued before this call is written (or counted lost).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

fn writer(mut rx: mpsc::Receiver<Msg>, mut state: FileState, counters: Arc<Counters>) {
    let mut closed = false;
    while !closed {
        let mut batch = Vec::new();
        let mut waiters = Vec::new();
        match rx.blocking_recv() {
            Some(Msg::Event(e)) => batch.push(e),
            Some(Msg::Flush(w)) => waiters.push(w),
            None => break,
        }
        // Not polling the channel while asleep means senders wake nobody: one wake-up per batch.
        std::thread::sleep(FLUSH_INTERVAL);
        loop {
            match rx.try_recv() {
                Ok(Msg::Event(e)) => batch.push(e),
                Ok(Msg::Flush(w)) => waiters.push(w),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            match state.write_batch(&batch) {
                Ok(()) => {
                    counters.written.fetch_add(n, Ordering::Relaxed);
                }
                Err((done, e)) => {
                    counters.written.fetch_add(done, Ordering::Relaxed);
                    counters.lost.fetch_add(n - done, Ordering::Relaxed);
                    tracing::error!(lost = n - done, error = %e, dir = %state.dir.display(),
                        "AUDIT EVENTS LOST: cannot write the audit log; will retry with the next batch");
                }
            }
        }
        for w in waiters {
            let _ = w.send(());
        }
    }
}

struct FileState {
    dir: PathBuf,
    max_file_bytes: u64,
    file: Option<std::fs::File>,
    size: u64,
    prev: String,
    next_index: u64,
}

impl FileState {
    fn new(dir: PathBuf, max_file_bytes: u64) -> Self {
        Self { dir, max_file_bytes, file: None, size: 0, prev: sha256_hex(GENESIS.as_bytes()), next_index: 1 }
    }

    /// Opens the live file for appending, cutting a partial last line, and finds the chain head.
    fn reopen(&mut self) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        let rotated = rotated_files(&self.dir)?;
        self.next_index = rotated.last().map_or(1, |(i, _)| i + 1);
        let live = self.dir.join(LIVE_FILE);
        let mut file = log_options().read(true).open(&live)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        if complete < bytes.len() {
            tracing::warn!(file = %live.display(), "audit log ends with a partial line; cutting it");
            file.set_len(complete as u64)?;
            file.sync_all()?;
        }
        self.prev = match last_line(&bytes[..complete]) {
            Some(line) => sha256_hex(line),
            None => match rotated.last() {
                Some((_, path)) => {
                    last_line(&std::fs::read(path)?).map_or_else(|| sha256_hex(GENESIS.as_bytes()), sha256_hex)
                }
                None => sha256_hex(GENESIS.as_bytes()),
            },
        };
        self.size = complete as u64;
        self.file = Some(file);
        Ok(())
    }

    /// Writes `bodies` as chained lines; on error, how many were written and the error.
    fn write_batch(&mut self, bodies: &[String]) -> Result<(), (u64, std::io::Error)> {
        let mut done = 0u64;
        let r = self.write_inner(bodies, &mut done);
        r.map_err(|e| {
            self.file = None;
            if let Err(e2) = self.reopen() {
                tracing::error!(error = %e2, "cannot reopen the audit log");
            }
            (done, e)
        })
    }

    fn write_inner(&mut self, bodies: &[String], done: &mut u64) -> std::io::Result<()> {
        if self.file.is_none() {
            self.reopen()?;
        }
        let mut buf = Vec::with_capacity(bodies.len() * 400);
        let mut prev = self.prev.clone();
        let mut pending = 0u64;
        for body in bodies {
            let rest = body.strip_prefix('{').unwrap_or(body);
            let line = format!("{{\"prev\":\"{prev}\",{rest}");
            if self.size + (buf.len() + line.len() + 1) as u64 > self.max_file_bytes && self.size + buf.len() as u64 > 0
            {
                self.append(&buf, &prev)?;
                *done += pending;
                pending = 0;
                buf.clear();
                self.rotate()?;
            }
            prev = sha256_hex(line.as_bytes());
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
            pending += 1;
        }
        self.append(&buf, &prev)?;
        *done += pending;
        Ok(())
    }

    fn append(&mut self, buf: &[u8], head: &str) -> std::io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let file = self.file.as_mut().ok_or_else(|| std::io::Error::other("audit log not open"))?;
        file.write_all(buf)?;
        file.sync_data()?;
        self.size += buf.len() as u64;
        self.prev = head.to_string();
        Ok(())
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file = None;
        let target = self.dir.join(format!("{LIVE_FILE}.{:06}", self.next_index));
        std::fs::rename(self.dir.join(LIVE_FILE), &target)?;
        self.next_index += 1;
        let file = log_options().open(self.dir.join(LIVE_FILE))?;
        #[cfg(unix)]
        std::fs::File::open(&self.dir)?.sync_all()?;
        self.file = Some(file);
        self.size = 0;
        Ok(())
    }
}

/// Append-only, created readable by the owner only.
fn log_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn last_line(bytes: &[u8]) -> Option<&[u8]> {
    let body = bytes.strip_suffix(b"\n")?;
    Some(body.iter().rposition(|&b| b == b'\n').map_or(body, |p| &body[p + 1..]))
}

/// Rotated files of `dir` as (index, path), oldest first.
pub fn rotated_files(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(index) = name.strip_prefix("audit.log.").and_then(|n| n.parse::<u64>().ok()) {
            out.push((index, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Every file of the chain in `dir`, oldest first (rotated files, then the live one).
pub fn chain_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = rotated_files(dir)?.into_iter().map(|(_, p)| p).collect();
    let live = dir.join(LIVE_FILE);
    if live.exists() {
        files.push(live);
    }
    Ok(files)
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    keyward_protocol::signature::hex_lower(digest::digest(&digest::SHA256, bytes).as_ref())
}

/// RFC 3339 with milliseconds, UTC (`2026-01-02T03:04:05.678Z`).
pub fn rfc3339_ms(t: time::OffsetDateTime) -> String {
    // Written digit by digit: this runs once per request, and `format!` with seven arguments
    // showed in profiles.
    fn digits(out: &mut String, value: u32, width: u32) {
        for i in (0..width).rev() {
            out.push(char::from(b'0' + (value / 10u32.pow(i) % 10) as u8));
        }
    }
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = String::with_capacity(24);
    digits(&mut out, u32::try_from(t.year()).unwrap_or(0).min(9999), 4);
    out.push('-');
    digits(&mut out, u32::from(u8::from(t.month())), 2);
    out.push('-');
    digits(&mut out, u32::from(t.day()), 2);
    out.push('T');
    digits(&mut out, u32::from(t.hour()), 2);
    out.push(':');
    digits(&mut out, u32::from(t.minute()), 2);
    out.push(':');
    digits(&mut out, u32::from(t.second()), 2);
    out.push('.');
    digits(&mut out, u32::from(t.millisecond()), 3);
    out.push('Z');
    out
}

/// At most [`MAX_FIELD`] characters of `s`.
pub fn clip(s: &str) -> String {
    if s.len() <= MAX_FIELD {
        // At most MAX_FIELD bytes, so at most MAX_FIELD characters: no need to count them.
        return s.to_string();
    }
    s.chars().take(MAX_FIELD).collect()
}

/// A successful check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Files checked.
    pub files: usize,
    /// Lines checked.
    pub lines: u64,
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The file.
    pub file: PathBuf,
    /// The line (1-based) within it.
    pub line: u64,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// Verifies the chain of every file in `dir`, from the genesis line.
pub fn verify_dir(dir: &Path) -> Result<Verified, Broken> {
    let files = chain_files(dir).map_err(|e| Broken { file: dir.to_path_buf(), line: 0, reason: e.to_string() })?;
    verify_files(&files, true)
}

/// Verifies `files` in order as one chain. With `from_genesis`, the first line must chain to
/// [`GENESIS`]; without, the first line's `prev` is taken as given (a file checked alone).
///
/// A changed line shows as the next line's `prev` no longer matching its hash; the report names
/// the changed line (the earlier one) unless the later line's `prev` is itself malformed. The
/// newest line has no successor: only its syntax is checked.
pub fn verify_files(files: &[PathBuf], from_genesis: bool) -> Result<Verified, Broken> {
    let mut expected: Option<String> = from_genesis.then(|| sha256_hex(GENESIS.as_bytes()));
    let mut last: Option<(PathBuf, u64)> = None;
    let mut lines = 0u64;
    for file in files {
        let broken = |line: u64, reason: String| Broken { file: file.clone(), line, reason };
        let bytes = std::fs::read(file).map_err(|e| broken(0, format!("cannot read: {e}")))?;
        if bytes.is_empty() {
            continue;
        }
        let Some(body) = bytes.strip_suffix(b"\n") else {
            let n = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            return Err(broken(n, "the last line is incomplete (no newline)".into()));
        };
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            let n = i as u64 + 1;
            let value: Value = serde_json::from_slice(line)
                .map_err(|e| broken(n, format!("not a JSON line ({e}): the line was altered")))?;
            let prev = value
                .get("prev")
                .and_then(Value::as_str)
                .ok_or_else(|| broken(n, "no \"prev\" field: the line was altered".into()))?;
            let well_formed =
                prev.len() == 64 && prev.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
            if !well_formed {
                return Err(broken(n, "malformed \"prev\": the line was altered".into()));
            }
            if let Some(exp) = &expected
                && prev != exp
            {
                return Err(match &last {
                    Some((f, l)) => Broken {
                        file: f.clone(),
                        line: *l,
                        reason: format!(
                            "its hash does not match the \"prev\" of the next line ({}:{n}): this line (or that \
                             \"prev\") was altered, or a line was removed",
                            file.display()
                        ),
                    },
                    None => broken(n, "the first line does not chain to the genesis hash".into()),
                });
            }
            expected = Some(sha256_hex(line));
            last = Some((file.clone(), n));
            lines += 1;
        }
    }
    Ok(Verified { files: files.len(), lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_format() {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        assert_eq!(rfc3339_ms(t), "2023-11-14T22:13:20.123Z");
        // Leading zeros everywhere, and a non-UTC offset converted to UTC.
        let t = time::macros::datetime!(2001-02-03 04:05:06.007 +01:00);
        assert_eq!(rfc3339_ms(t), "2001-02-03T03:05:06.007Z");
        let t = time::OffsetDateTime::from_unix_timestamp(0).unwrap();
        assert_eq!(rfc3339_ms(t), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_on_characters() {
        assert_eq!(clip("Encrypt"), "Encrypt");
        let long = "é".repeat(MAX_FIELD + 5);
        assert_eq!(clip(&long).chars().count(), MAX_FIELD);
        let ascii = "a".repeat(MAX_FIELD + 1);
        assert_eq!(clip(&ascii).len(), MAX_FIELD);
    }

    #[test]
    fn last_line_of_bytes() {
        assert_eq!(last_line(b""), None);
        assert_eq!(last_line(b"a\n"), Some(&b"a"[..]));
        assert_eq!(last_line(b"a\nbc\n"), Some(&b"bc"[..]));
    }

    #[test]
    fn resources_become_arns() {
        let mut r = Record::default();
        r.resource("cn-hangzhou", "1", "key-abc", false);
        r.resource("cn-hangzhou", "1", "alias/app", false);
        r.resource("cn-hangzhou", "1", "db/pass", true);
        r.resource("cn-hangzhou", "1", "acs:kms:cn-hangzhou:1:key/x", false);
        r.resource("cn-hangzhou", "1", "key-abc", false);
        assert_eq!(
            r.resources,
            [
                "acs:kms:cn-hangzhou:1:key/key-abc",
                "acs:kms:cn-hangzhou:1:alias/app",
                "acs:kms:cn-hangzhou:1:secret/db/pass",
                "acs:kms:cn-hangzhou:1:key/x"
            ]
        );
    }
}
