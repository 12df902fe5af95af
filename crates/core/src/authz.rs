//! Authorization of every operation (DESIGN.md §6, issue 7). Each operation names its action
//! (`kms:<Action>`) and what it acts on ([`Target`]) and calls [`Kms::authorize`] before it reads
//! or changes anything a caller could learn from, so every protocol (Alibaba, Huawei), the agent
//! path and any future console pass the same checks.
//!
//! # The rule
//!
//! - The bootstrap principal `admin` is the account itself (`acs:ram::<account>:root`): it is
//!   allowed everything and pays nothing for the check.
//! - Any other principal (`acs:ram::<account>:user/<name>`) is allowed when its attached
//!   identity policies **or** the resource's own policy (key policy, secret policy) allow the
//!   request, and neither denies it explicitly; otherwise [`Error::Forbidden`] names the action
//!   and resource (see [`crate::policy::authorize`]).
//! - A key named through an alias is checked against the key ARN **and** the alias ARN: a grant
//!   on either allows, a Deny on either denies.
//! - In a key or secret policy, the account-wide principal `acs:ram::<account>:*` (Alibaba's
//!   default policy) means the account itself, as on Alibaba Cloud, where it delegates to RAM:
//!   it does not grant anything to the account's other principals (see [`crate::policy`]).
//!
//! # Cost
//!
//! A principal's parsed policies are cached for [`POLICY_CACHE_TTL`] (bounded by
//! [`POLICY_CACHE_MAX`]); key and secret policies and tags are cached with the key or secret
//! (see [`crate::cache`]). The condition context (time, source address, tags, encryption
//! context) is built only when some policy in play has conditions. So the hot path does no
//! database round trip for authorization either.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::access_keys::ADMIN_PRINCIPAL;
use crate::cache::{LoadedKey, LoadedSecret, ResourceAuth};
use crate::error::Error;
use crate::policy::{self, Context, Decision, Policy, PolicyKind, Request};
use crate::service::{Caller, Kms};

/// How long a principal's attached policies are trusted before the store is asked again (a
/// change made through this node is seen at once; one made on another node within this time).
pub const POLICY_CACHE_TTL: Duration = Duration::from_secs(5);
/// Most principals whose policies are cached at once.
pub const POLICY_CACHE_MAX: usize = 10_000;

/// What a request acts on.
pub enum Target<'a> {
    /// A key, and the alias ARN it was named through.
    Key {
        /// The key.
        key: &'a LoadedKey,
        /// `acs:kms:<region>:<account>:alias/<name>` when the caller named the key by alias.
        alias: Option<&'a str>,
    },
    /// A secret.
    Secret(&'a LoadedSecret),
    /// Something without a policy of its own, by ARN: an alias, a KMS instance, the collection
    /// of keys or secrets (`acs:kms:<region>:<account>:key` for CreateKey and ListKeys), or the
    /// account's KMS itself (`acs:kms:<region>:<account>:*`).
    Arn(&'a str),
}

/// A principal's parsed policies and when they were read.
type CachedPolicies = (Instant, Arc<Vec<Policy>>);

/// Cached attached policies of principals.
pub(crate) struct PrincipalPolicyCache {
    map: Mutex<HashMap<String, CachedPolicies>>,
}

impl PrincipalPolicyCache {
    pub(crate) fn new() -> Self {
        Self { map: Mutex::new(HashMap::new()) }
    }

    fn get(&self, principal: &str) -> Option<Arc<Vec<Policy>>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(principal).filter(|(at, _)| at.elapsed() < POLICY_CACHE_TTL).map(|(_, p)| p.clone())
    }

    fn put(&self, principal: &str, policies: Arc<Vec<Policy>>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= POLICY_CACHE_MAX && !map.contains_key(principal) {
            map.retain(|_, (at, _)| at.elapsed() < POLICY_CACHE_TTL);
            if map.len() >= POLICY_CACHE_MAX {
                map.clear();
            }
        }
        map.insert(principal.to_string(), (Instant::now(), policies));
    }

    fn forget(&self, principal: Option<&str>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        match principal {
            Some(p) => {
                map.remove(p);
            }
            None => map.clear(),
        }
    }
}

/// Parses a stored key or secret policy for the cache. A stored document that no longer parses
/// (secret policies were stored unchecked before issue 7) is kept as an error, reported when a
/// principal other than `admin` is checked against it.
pub(crate) fn resource_auth(document: Option<&str>, tags: Vec<crate::model::Tag>) -> ResourceAuth {
    match document.filter(|d| !d.is_empty()) {
        None => ResourceAuth { policy: None, invalid_policy: None, tags },
        Some(doc) => match Policy::parse(doc, PolicyKind::Resource) {
            Ok(p) => ResourceAuth { policy: Some(Arc::new(p)), invalid_policy: None, tags },
            Err(e) => ResourceAuth { policy: None, invalid_policy: Some(e.to_string()), tags },
        },
    }
}

/// Which condition keys the policies in play read, by family.
#[derive(Clone, Copy, Default)]
struct Wanted {
    time: bool,
    transport: bool,
    source_ip: bool,
    tags: bool,
    encryption_context: bool,
}

impl Wanted {
    fn of<'p>(policies: impl Iterator<Item = &'p Policy>) -> Self {
        let mut w = Self::default();
        let has_prefix = |k: &str, prefix: &str| {
            k.len() >= prefix.len() && k.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        };
        for key in policies.flat_map(Policy::condition_keys) {
            if key.eq_ignore_ascii_case(policy::CURRENT_TIME) {
                w.time = true;
            } else if key.eq_ignore_ascii_case(policy::SECURE_TRANSPORT) {
                w.transport = true;
            } else if key.eq_ignore_ascii_case(policy::SOURCE_IP) {
                w.source_ip = true;
            } else if has_prefix(key, policy::TAG_PREFIX) {
                w.tags = true;
            } else if has_prefix(key, policy::ENCRYPTION_CONTEXT_PREFIX) {
                w.encryption_context = true;
            }
        }
        w
    }

    fn any(self) -> bool {
        self.time || self.transport || self.source_ip || self.tags || self.encryption_context
    }
}

impl Caller {
    /// Whether this is the account itself (the bootstrap principal), allowed everything.
    pub fn is_root(&self) -> bool {
        self.principal == ADMIN_PRINCIPAL
    }
}

impl Kms {
    /// The ARN of a principal: `acs:ram::<account>:root` for `admin`, else
    /// `acs:ram::<account>:user/<name>`.
    pub fn principal_arn(&self, principal: &str) -> String {
        if principal == ADMIN_PRINCIPAL {
            format!("acs:ram::{}:root", self.config.account_id)
        } else {
            format!("acs:ram::{}:user/{principal}", self.config.account_id)
        }
    }

    /// The ARN of a collection (`key`, `secret`, `keystore`) or, with `*`, of the account's KMS.
    pub fn collection_arn(&self, what: &str) -> String {
        format!("acs:kms:{}:{}:{what}", self.config.region, self.config.account_id)
    }

    /// The alias ARN a `KeyId` parameter names the key through, if it is an alias.
    pub(crate) fn alias_arn_of(&self, key_ref: &str) -> Option<String> {
        if key_ref.starts_with("alias/") {
            return Some(self.alias_arn(key_ref));
        }
        key_ref
            .strip_prefix("acs:kms:")
            .and_then(|rest| rest.splitn(3, ':').nth(2))
            .and_then(|res| res.starts_with("alias/").then(|| key_ref.to_string()))
    }

    /// Forgets cached attached policies (of one principal, or of all with `None`), after an
    /// administrative change through this node.
    pub(crate) fn forget_principal_policies(&self, principal: Option<&str>) {
        self.principal_policies.forget(principal);
    }

    /// The parsed identity policies attached to a principal (cached).
    async fn attached_policies(&self, principal: &str) -> Result<Arc<Vec<Policy>>, Error> {
        if let Some(hit) = self.principal_policies.get(principal) {
            return Ok(hit);
        }
        let mut parsed = Vec::new();
        for record in self.store.list_attached_policies(principal).await? {
            let policy = Policy::parse(&record.document, PolicyKind::Identity).map_err(|e| {
                Error::Internal(format!("stored policy {} of principal {principal} does not parse: {e}", record.name))
            })?;
            parsed.push(policy);
        }
        let parsed = Arc::new(parsed);
        self.principal_policies.put(principal, parsed.clone());
        Ok(parsed)
    }

    /// Checks that `caller` may perform `action` (`kms:<Action>`) on `target`;
    /// `encryption_context` (the request's JSON, already validated) feeds
    /// `kms:EncryptionContext/<key>` conditions. See the module docs for the rule.
    pub async fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        target: Target<'_>,
        encryption_context: Option<&str>,
    ) -> Result<(), Error> {
        if caller.is_root() {
            return Ok(());
        }
        let policies = self.attached_policies(&caller.principal).await?;
        let (arn, alias, auth): (String, Option<&str>, Option<&ResourceAuth>) = match target {
            Target::Key { key, alias } => (self.key_arn(&key.record.key_id), alias, Some(&key.auth)),
            Target::Secret(s) => (self.secret_arn(&s.record.secret_name), None, Some(&s.auth)),
            Target::Arn(arn) => (arn.to_string(), None, None),
        };
        if let Some(why) = auth.and_then(|a| a.invalid_policy.as_deref()) {
            return Err(Error::Internal(format!("the stored policy of {arn} does not parse: {why}")));
        }
        let resource_policy = auth.and_then(|a| a.policy.as_deref());
        let principal = self.principal_arn(&caller.principal);
        let mut context = Context::new();
        let wanted = Wanted::of(policies.iter().chain(resource_policy));
        if wanted.any() {
            self.fill_context(&mut context, wanted, caller, auth, encryption_context);
        }
        let resources: Vec<&str> = std::iter::once(arn.as_str()).chain(alias).collect();
        let request = Request { action, resources: &resources, principal: Some(&principal), context: &context };
        match policy::authorize(policies.iter(), resource_policy, &request) {
            Decision::Allow => Ok(()),
            Decision::ExplicitDeny | Decision::ImplicitDeny => {
                Err(Error::Forbidden { action: action.to_string(), resource: arn, principal })
            }
        }
    }

    /// Sets the context values the policies in play read (and only those: formatting the time or
    /// copying tags for a policy that tests only the source address is wasted work).
    fn fill_context(
        &self,
        context: &mut Context,
        wanted: Wanted,
        caller: &Caller,
        auth: Option<&ResourceAuth>,
        encryption_context: Option<&str>,
    ) {
        if wanted.time {
            context.set_current_time_ms(self.now_ms());
        }
        if wanted.transport {
            context.set_secure_transport(caller.secure_transport);
        }
        if wanted.source_ip
            && let Some(ip) = caller.source_ip
        {
            context.set_source_ip(ip);
        }
        if wanted.tags {
            for tag in auth.map(|a| a.tags.as_slice()).unwrap_or_default() {
                context.set_tag(&tag.key, tag.value.clone());
            }
        }
        if wanted.encryption_context
            && let Some(json) = encryption_context
            && let Ok(pairs) = serde_json::from_str::<BTreeMap<String, serde_json::Value>>(json)
        {
            for (k, v) in pairs {
                let value = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                context.set_encryption_context(&k, value);
            }
        }
    }

    /// Loads the key a `KeyId` parameter names (id, ARN, alias, alias ARN) and authorizes
    /// `action` on it. The key is returned whatever its state (callers check that next).
    pub async fn authorized_key(
        &self,
        caller: &Caller,
        action: &str,
        key_ref: &str,
        encryption_context: Option<&str>,
    ) -> Result<Arc<LoadedKey>, Error> {
        let id = self.resolve_key(key_ref).await?;
        self.checked_key(caller, action, &id, Some(key_ref), encryption_context).await
    }

    /// [`Kms::authorized_key`], giving the key's metadata as callers see it
    /// ([`Kms::effective`]).
    pub async fn authorized_record(
        &self,
        caller: &Caller,
        action: &str,
        key_ref: &str,
    ) -> Result<crate::model::KeyRecord, Error> {
        Ok(self.effective(self.authorized_key(caller, action, key_ref, None).await?.record.clone()))
    }

    /// [`Kms::authorized_key`] for a key id found otherwise (a ciphertext's version, a secret's
    /// encryption key): no alias is involved.
    pub async fn authorize_key_id(
        &self,
        caller: &Caller,
        action: &str,
        key_id: &str,
        encryption_context: Option<&str>,
    ) -> Result<Arc<LoadedKey>, Error> {
        self.checked_key(caller, action, key_id, None, encryption_context).await
    }

    /// Loads key `key_id` and authorizes `action` on it, and on the alias ARN when `key_ref`
    /// (what the caller named) is an alias.
    async fn checked_key(
        &self,
        caller: &Caller,
        action: &str,
        key_id: &str,
        key_ref: Option<&str>,
        encryption_context: Option<&str>,
    ) -> Result<Arc<LoadedKey>, Error> {
        let key = self.loaded_key(key_id).await?;
        if !caller.is_root() {
            let alias = key_ref.and_then(|r| self.alias_arn_of(r));
            self.authorize(caller, action, Target::Key { key: &key, alias: alias.as_deref() }, encryption_context)
                .await?;
        }
        Ok(key)
    }

    /// Loads the secret a `SecretName` parameter names and authorizes `action` on it (secrets in
    /// their recovery window included).
    pub async fn authorized_secret(
        &self,
        caller: &Caller,
        action: &str,
        secret_ref: &str,
    ) -> Result<Arc<LoadedSecret>, Error> {
        let secret = self.loaded_secret(secret_ref).await?;
        if !caller.is_root() {
            self.authorize(caller, action, Target::Secret(&secret), None).await?;
        }
        Ok(secret)
    }

    /// Authorizes `action` on a resource without a policy of its own, by ARN.
    pub async fn authorize_arn(&self, caller: &Caller, action: &str, arn: &str) -> Result<(), Error> {
        if caller.is_root() {
            return Ok(());
        }
        self.authorize(caller, action, Target::Arn(arn), None).await
    }
}
