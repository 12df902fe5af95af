//! RAM-style authorization policies: parsing and evaluation, pure (no I/O, no store, no clock).
//!
//! # Documents
//!
//! `{"Version":"1","Statement":[{"Sid":…,"Effect":"Allow"|"Deny","Action"|"NotAction":"kms:X"|[…],
//! "Resource"|"NotResource":"acs:…"|[…],"Principal":"*"|{"RAM":[…]},"Condition":{Op:{Key:V|[V…]}}}]}`,
//! at most [`MAX_POLICY_BYTES`] (32 KiB, Alibaba's `Policy` limit). [`Policy::parse`] is strict:
//! unknown fields, effects and operators, wrong types, empty lists and bad condition values are
//! refused with a [`PolicyError`] that names the place (`Statement[1].Condition.IpAddress.acs:SourceIp`).
//! [`PolicyKind::Identity`] documents (attached to a principal) must not have `Principal`;
//! [`PolicyKind::Resource`] documents (key and secret policies) must.
//!
//! # Matching
//!
//! - Actions: `*` and `?` wildcards, ASCII case-insensitive (`kms:get*` matches `kms:GetSecretValue`).
//! - Resources and principals: `*` and `?`, case-sensitive. `*` crosses `/` and `:`.
//!   The matcher (`policy/glob.rs`) has no exponential backtracking (O(|pattern|·|text|) at worst).
//! - A request names one or more resources (say the key ARN and the alias ARN it was reached
//!   through): a statement applies when **any** of them matches (`NotResource`: when any of them is
//!   outside the list). So a grant on either ARN allows, and a Deny on either ARN denies.
//! - `Principal` (resource policies): the statement applies when the request's principal ARN
//!   matches one of the patterns; `"*"` matches every request, even one without a principal.
//! - Conditions: every operator and every key of a `Condition` block must hold (AND); the values
//!   of one key are alternatives (OR). A positive operator is false when the context lacks the key;
//!   a negated one (`StringNotEquals`, `StringNotEqualsIgnoreCase`, `StringNotLike`,
//!   `NotIpAddress`) is the negation of its positive form: true when no value matches, and true
//!   when the key is missing (as in AWS). Operators: `StringEquals`, `StringNotEquals`,
//!   `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike`
//!   (case-sensitive unless named so), `IpAddress`, `NotIpAddress` (IPv4/IPv6 addresses and
//!   CIDRs; IPv4-mapped IPv6 counts as IPv4), `DateGreaterThan(Equals)`, `DateLessThan(Equals)`
//!   (ISO 8601 with `Z` or `±HH:MM`, or epoch seconds), `Bool`.
//! - Condition keys: the part up to the first `/` is case-insensitive (`acs:SourceIp` =
//!   `ACS:sourceip`), the part after it is exact (`kms:tag/Env` ≠ `kms:tag/env`), see
//!   [`Context`].
//!
//! # Decisions
//!
//! [`Policy::evaluate`] gives [`Decision::Allow`] when an Allow statement applies and no Deny
//! statement does, [`Decision::ExplicitDeny`] when a Deny statement applies, else
//! [`Decision::ImplicitDeny`]. [`evaluate_all`] combines several documents (explicit Deny wins,
//! then any Allow, default deny); [`authorize`] is the rule of issue 7 for keys and secrets: the
//! principal's policies **or** the resource's policy may allow, and neither may deny.
//!
//! # Wiring (for the operations)
//!
//! ```
//! use keyward_core::policy::{Context, Decision, Policy, PolicyKind, Request, authorize};
//! let mine = Policy::parse(
//!     r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Encrypt",
//!         "Resource":"acs:kms:*:*:key/k1","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
//!     PolicyKind::Identity,
//! )?;
//! let mut context = Context::new();
//! context.set_source_ip("10.1.2.3".parse().unwrap()).set_current_time_ms(1_700_000_000_000);
//! let request = Request {
//!     action: "kms:Encrypt",
//!     resources: &["acs:kms:cn-hangzhou:123:key/k1", "acs:kms:cn-hangzhou:123:alias/app"],
//!     principal: Some("acs:ram::123:user/app"),
//!     context: &context,
//! };
//! assert_eq!(authorize([&mine], None, &request), Decision::Allow);
//! # Ok::<(), keyward_core::policy::PolicyError>(())
//! ```
//!
//! Building a [`Context`] costs about 0.7 µs (the time string, the allocations) and tags may
//! need a lookup; [`Policy::condition_keys`] tells which keys the policies read. Evaluating a
//! three-statement policy for two resource ARNs took about 150 ns per request (release build).
//!
//! Parse documents when they are stored (SetKeyPolicy, policy create) so errors reach the caller
//! as `InvalidParameter` (`From<PolicyError> for Error`), and cache the parsed [`Policy`]: evaluation
//! allocates nothing but the lowercased context strings of `*IgnoreCase` operators. Left to the
//! caller: which resource ARNs an action names (see [`crate::authz`]).
//!
//! The account-wide principal `acs:ram::<account>:*` of Alibaba's default key and secret policy
//! means the account itself (`acs:ram::<account>:root`), not every user of the account: it
//! delegates to the users' own (identity) policies, as on Alibaba Cloud.

mod condition;
mod glob;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::error::Error;

/// The largest policy document accepted, in bytes (Alibaba's `Policy` limit).
pub const MAX_POLICY_BYTES: usize = 32 * 1024;

/// Context key of the caller's IP address.
pub const SOURCE_IP: &str = "acs:SourceIp";
/// Context key of the request time (ISO 8601, UTC, milliseconds).
pub const CURRENT_TIME: &str = "acs:CurrentTime";
/// Context key saying whether the request came over TLS (`true` / `false`).
pub const SECURE_TRANSPORT: &str = "acs:SecureTransport";
/// Prefix of the context keys of the resource's tags: `kms:tag/<TagKey>`.
pub const TAG_PREFIX: &str = "kms:tag/";
/// Prefix of the context keys of the request's encryption context: `kms:EncryptionContext/<k>`.
pub const ENCRYPTION_CONTEXT_PREFIX: &str = "kms:EncryptionContext/";

/// Why a policy document was refused. Messages quote at most 64 characters of the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Longer than [`MAX_POLICY_BYTES`].
    #[error("the policy document is longer than {MAX_POLICY_BYTES} bytes")]
    TooLarge,
    /// Not JSON at all.
    #[error("the policy document is not valid JSON: {0}")]
    Json(String),
    /// A field the format does not have.
    #[error("{at}: unknown field {field}")]
    UnknownField {
        /// Where.
        at: String,
        /// The field, quoted.
        field: String,
    },
    /// A required field is absent (`Version`, `Statement`, `Effect`, `Action`, `Resource`, or
    /// `Principal` in a resource policy).
    #[error("{at}: missing {field}")]
    MissingField {
        /// Where.
        at: String,
        /// The field.
        field: &'static str,
    },
    /// An `Effect` other than `Allow` and `Deny`.
    #[error("{at}: unknown effect {effect} (Allow or Deny)")]
    UnknownEffect {
        /// Where.
        at: String,
        /// The effect, quoted.
        effect: String,
    },
    /// A condition operator this evaluator does not know.
    #[error("{at}: unknown condition operator {operator}")]
    UnknownOperator {
        /// Where.
        at: String,
        /// The operator, quoted.
        operator: String,
    },
    /// A value of the wrong type or form.
    #[error("{at}: {detail}")]
    Invalid {
        /// Where.
        at: String,
        /// What is wrong.
        detail: String,
    },
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        Self::invalid("Policy", e.to_string())
    }
}

/// Where a document is attached, which decides whether its statements name a `Principal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a principal (RAM-user-like): no `Principal` field.
    Identity,
    /// A key or secret policy: every statement names its `Principal`.
    Resource,
}

/// The outcome of evaluating one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An Allow statement applies and no Deny statement does.
    Allow,
    /// A Deny statement applies (wins over every Allow).
    ExplicitDeny,
    /// Nothing applies: denied by default.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(self) -> bool {
        self == Self::Allow
    }

    /// Combines two decisions: Deny wins, then Allow, then the default.
    #[must_use]
    pub fn and(self, other: Self) -> Self {
        match (self, other) {
            (Self::ExplicitDeny, _) | (_, Self::ExplicitDeny) => Self::ExplicitDeny,
            (Self::Allow, _) | (_, Self::Allow) => Self::Allow,
            _ => Self::ImplicitDeny,
        }
    }
}

/// A parsed policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone)]
struct Statement {
    effect: Effect,
    actions: Patterns,
    resources: Patterns,
    /// `None` in identity policies.
    principals: Option<Patterns>,
    conditions: Vec<Condition>,
}

/// A list of wildcard patterns, or (`Not…`) its complement.
#[derive(Debug, Clone)]
struct Patterns {
    negated: bool,
    patterns: Vec<String>,
}

impl Patterns {
    fn matches(&self, text: &str, ascii_case_insensitive: bool) -> bool {
        self.patterns.iter().any(|p| glob::matches(p, text, ascii_case_insensitive)) != self.negated
    }
}

#[derive(Debug, Clone)]
struct Condition {
    kind: condition::Kind,
    negated: bool,
    /// As [`canonical_key`] gives it.
    key: String,
    values: condition::Values,
}

impl Condition {
    fn holds(&self, context: &Context) -> bool {
        match context.values.get(&self.key) {
            None => self.negated,
            Some(actual) => self.values.any_matches(self.kind, actual) != self.negated,
        }
    }
}

/// One request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `service:Action`, e.g. `kms:Encrypt`.
    pub action: &'a str,
    /// The resource ARNs the request touches (at least one, else nothing applies): e.g. the key
    /// ARN, plus the alias ARN when the key was named through an alias.
    pub resources: &'a [&'a str],
    /// The caller's principal ARN (`acs:ram::<account>:user/<name>`), matched by `Principal`.
    pub principal: Option<&'a str>,
    /// Condition keys and values.
    pub context: &'a Context,
}

/// The condition context of a request: key → value (strings, as RAM has them). `Debug` shows
/// the keys only: encryption-context values are caller data.
#[derive(Clone, Default)]
pub struct Context {
    values: BTreeMap<String, String>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets any key (the part up to the first `/` is case-insensitive).
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.values.insert(canonical_key(key), value.into());
        self
    }

    /// `acs:SourceIp`.
    pub fn set_source_ip(&mut self, ip: IpAddr) -> &mut Self {
        self.set(SOURCE_IP, ip.to_string())
    }

    /// `acs:CurrentTime`, from milliseconds since the epoch (the core's clock).
    pub fn set_current_time_ms(&mut self, ms: i64) -> &mut Self {
        self.set(CURRENT_TIME, condition::format_instant_ms(ms))
    }

    /// `acs:SecureTransport`.
    pub fn set_secure_transport(&mut self, tls: bool) -> &mut Self {
        self.set(SECURE_TRANSPORT, tls.to_string())
    }

    /// `kms:tag/<key>`: a tag of the resource.
    pub fn set_tag(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.set(&format!("{TAG_PREFIX}{key}"), value)
    }

    /// `kms:EncryptionContext/<key>`: one pair of the request's encryption context.
    pub fn set_encryption_context(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.set(&format!("{ENCRYPTION_CONTEXT_PREFIX}{key}"), value)
    }

    /// The value of a key, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(&canonical_key(key)).map(String::as_str)
    }
}

/// The lookup form of a condition key: ASCII-lowercased up to and including the first `/`, the
/// rest (a tag key, an encryption-context key) exact.
fn canonical_key(key: &str) -> String {
    match key.split_once('/') {
        Some((head, tail)) => format!("{}/{tail}", head.to_ascii_lowercase()),
        None => key.to_ascii_lowercase(),
    }
}

impl Policy {
    /// Parses a document strictly (see the module doc).
    pub fn parse(doc: &str, kind: PolicyKind) -> Result<Self, PolicyError> {
        parse::parse(doc, kind)
    }

    /// The condition keys the document tests, in lookup form (ASCII-lowercased up to the first
    /// `/`: `acs:sourceip`, `kms:tag/Env`), so a caller can skip building context values (a tag
    /// lookup, the time) that no policy reads.
    pub fn condition_keys(&self) -> impl Iterator<Item = &str> {
        self.statements.iter().flat_map(|s| s.conditions.iter().map(|c| c.key.as_str()))
    }

    /// This document's decision on the request.
    pub fn evaluate(&self, request: &Request<'_>) -> Decision {
        let mut decision = Decision::ImplicitDeny;
        for statement in &self.statements {
            if statement.applies(request) {
                match statement.effect {
                    Effect::Deny => return Decision::ExplicitDeny,
                    Effect::Allow => decision = Decision::Allow,
                }
            }
        }
        decision
    }
}

impl Statement {
    fn applies(&self, request: &Request<'_>) -> bool {
        let principal_ok = match &self.principals {
            None => true,
            Some(p) => match request.principal {
                Some(arn) => p.patterns.iter().any(|pattern| principal_matches(pattern, arn)) != p.negated,
                None => p.patterns.iter().any(|p| p == "*"),
            },
        };
        principal_ok
            && self.actions.matches(request.action, true)
            && request.resources.iter().any(|r| self.resources.matches(r, false))
            && self.conditions.iter().all(|c| c.holds(request.context))
    }
}

/// Whether a `Principal` pattern names `arn`. The account-wide pattern `acs:ram::<account>:*`
/// (Alibaba's default key and secret policy) means the account itself, as on Alibaba Cloud,
/// where it delegates to RAM: it matches `acs:ram::<account>:root` only, never the account's
/// users (who need a policy of their own or a grant naming them). Every other pattern is a glob.
fn principal_matches(pattern: &str, arn: &str) -> bool {
    if let Some(account) = pattern.strip_prefix("acs:ram::").and_then(|rest| rest.strip_suffix(":*"))
        && !account.contains(':')
        && !account.contains('/')
    {
        return arn
            .strip_prefix("acs:ram::")
            .and_then(|rest| rest.strip_suffix(":root"))
            .is_some_and(|a| glob::matches(account, a, false));
    }
    glob::matches(pattern, arn, false)
}

/// Several documents together (e.g. every policy attached to a principal): an explicit Deny in
/// any wins, else an Allow in any allows, else denied by default.
pub fn evaluate_all<'p>(policies: impl IntoIterator<Item = &'p Policy>, request: &Request<'_>) -> Decision {
    let mut decision = Decision::ImplicitDeny;
    for policy in policies {
        match policy.evaluate(request) {
            Decision::ExplicitDeny => return Decision::ExplicitDeny,
            d => decision = decision.and(d),
        }
    }
    decision
}

/// Issue 7's rule for keys and secrets: allowed when the principal's policies or the resource's
/// own policy (the key or secret policy, if it has one) allow, and neither denies.
pub fn authorize<'p>(
    principal_policies: impl IntoIterator<Item = &'p Policy>,
    resource_policy: Option<&Policy>,
    request: &Request<'_>,
) -> Decision {
    let resource = resource_policy.map_or(Decision::ImplicitDeny, |p| p.evaluate(request));
    if resource == Decision::ExplicitDeny {
        return Decision::ExplicitDeny;
    }
    evaluate_all(principal_policies, request).and(resource)
}
