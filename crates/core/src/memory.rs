//! [`MemoryStore`]: an in-memory [`Store`] for unit tests of the core. Not durable; never used
//! by the server. It follows the same contract as the SQL backends (the conformance suite in
//! `keyward-store` states it).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::model::{
    AccessKeyRecord, AliasRecord, ImportTokenRecord, InstanceRecord, KeyRecord, KeyState, KeyVersionRecord, Origin,
    PolicyRecord, PrincipalRecord, SecretRecord, SecretVersionRecord, Tag, UnixTime,
};
use crate::store::{NewKey, NewSecret, Store, StoreError};

#[derive(Default)]
struct State {
    meta: BTreeMap<String, Vec<u8>>,
    keys: BTreeMap<String, KeyRecord>,
    versions: BTreeMap<String, Vec<KeyVersionRecord>>,
    tags: BTreeMap<String, Vec<Tag>>,
    instances: BTreeMap<String, InstanceRecord>,
    access_keys: BTreeMap<String, AccessKeyRecord>,
    tokens: BTreeMap<String, ImportTokenRecord>,
    aliases: BTreeMap<String, AliasRecord>,
    secrets: BTreeMap<String, SecretRecord>,
    secret_versions: BTreeMap<String, Vec<SecretVersionRecord>>,
    secret_tags: BTreeMap<String, Vec<Tag>>,
    key_policies: BTreeMap<String, String>,
    principals: BTreeMap<String, PrincipalRecord>,
    policies: BTreeMap<String, PolicyRecord>,
    /// (principal, policy) attachments.
    attachments: std::collections::BTreeSet<(String, String)>,
}

/// In-memory store (tests only).
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn count_versions(s: &State, instance_id: &str) -> i64 {
    s.keys
        .values()
        .filter(|k| k.instance_id.as_deref() == Some(instance_id))
        .map(|k| s.versions.get(&k.key_id).map_or(0, Vec::len) as i64)
        .sum()
}

#[async_trait]
impl Store for MemoryStore {
    fn backend_name(&self) -> &'static str {
        "memory"
    }

    async fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.state().meta.get(name).cloned())
    }

    async fn put_meta_if_absent(&self, name: &str, value: &[u8]) -> Result<bool, StoreError> {
        let mut s = self.state();
        if s.meta.contains_key(name) {
            return Ok(false);
        }
        s.meta.insert(name.to_string(), value.to_vec());
        Ok(true)
    }

    async fn create_key(&self, new: NewKey<'_>) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.keys.contains_key(&new.key.key_id) {
            return Err(StoreError::AlreadyExists);
        }
        if let (Some(q), Some(inst)) = (new.instance_quota, new.key.instance_id.as_deref())
            && count_versions(&s, inst) + 1 > q
        {
            return Err(StoreError::QuotaExceeded);
        }
        let id = new.key.key_id.clone();
        s.keys.insert(id.clone(), new.key.clone());
        s.versions.insert(id.clone(), new.version.into_iter().cloned().collect());
        let mut tags = new.tags.to_vec();
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        s.tags.insert(id.clone(), tags);
        if let Some(p) = new.policy {
            s.key_policies.insert(id, p.to_string());
        }
        Ok(())
    }

    async fn get_key(&self, key_id: &str) -> Result<Option<KeyRecord>, StoreError> {
        Ok(self.state().keys.get(key_id).cloned())
    }

    async fn update_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        let mut s = self.state();
        match s.keys.get_mut(&key.key_id) {
            Some(stored) if stored.revision == key.revision => {
                *stored = key.clone();
                stored.revision += 1;
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn list_keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        let mut v: Vec<_> = self.state().keys.values().cloned().collect();
        v.sort_by(|a, b| (a.creation_date, &a.key_id).cmp(&(b.creation_date, &b.key_id)));
        Ok(v)
    }

    async fn delete_key(&self, key_id: &str) -> Result<bool, StoreError> {
        let mut s = self.state();
        s.versions.remove(key_id);
        s.tags.remove(key_id);
        s.tokens.retain(|_, t| t.key_id != key_id);
        s.aliases.retain(|_, a| a.key_id != key_id);
        s.key_policies.remove(key_id);
        Ok(s.keys.remove(key_id).is_some())
    }

    async fn keys_due_for_deletion(&self, now: UnixTime) -> Result<Vec<String>, StoreError> {
        Ok(self
            .state()
            .keys
            .values()
            .filter(|k| k.state == KeyState::PendingDeletion && k.delete_date.is_some_and(|d| d <= now))
            .map(|k| k.key_id.clone())
            .collect())
    }

    async fn keys_with_expired_material(&self, now: UnixTime) -> Result<Vec<String>, StoreError> {
        Ok(self
            .state()
            .keys
            .values()
            .filter(|k| k.origin == Origin::External && k.state != KeyState::PendingImport)
            .filter(|k| k.material_expire.is_some_and(|t| t <= now))
            .map(|k| k.key_id.clone())
            .collect())
    }

    async fn update_key_material(
        &self,
        key: &KeyRecord,
        version_id: &str,
        sealed_material: Option<&[u8]>,
        fingerprint: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let State { keys, versions, .. } = &mut *s;
        let stored = keys.get_mut(&key.key_id).filter(|k| k.revision == key.revision).ok_or(StoreError::Conflict)?;
        let version = versions
            .get_mut(&key.key_id)
            .and_then(|vs| vs.iter_mut().find(|v| v.version_id == version_id))
            .ok_or(StoreError::Conflict)?;
        version.sealed_material = sealed_material.map(<[u8]>::to_vec);
        if let Some(f) = fingerprint {
            version.material_fingerprint = Some(f.to_vec());
        }
        *stored = key.clone();
        stored.revision += 1;
        Ok(())
    }

    async fn add_key_version(
        &self,
        key: &KeyRecord,
        version: &KeyVersionRecord,
        instance_quota: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.keys.get(&key.key_id).is_none_or(|k| k.revision != key.revision) || version.key_id != key.key_id {
            return Err(StoreError::Conflict);
        }
        if let (Some(q), Some(inst)) = (instance_quota, key.instance_id.as_deref())
            && count_versions(&s, inst) + 1 > q
        {
            return Err(StoreError::QuotaExceeded);
        }
        let versions = s.versions.entry(key.key_id.clone()).or_default();
        if versions.iter().any(|v| v.version_id == version.version_id) {
            return Err(StoreError::AlreadyExists);
        }
        versions.push(version.clone());
        let stored = s.keys.get_mut(&key.key_id).ok_or(StoreError::Conflict)?;
        *stored = key.clone();
        stored.revision += 1;
        Ok(())
    }

    async fn keys_due_for_rotation(&self, now: UnixTime) -> Result<Vec<String>, StoreError> {
        Ok(self
            .state()
            .keys
            .values()
            .filter(|k| k.rotation.enabled && k.rotation.next_rotation.is_some_and(|t| t <= now))
            .map(|k| k.key_id.clone())
            .collect())
    }

    async fn put_key_tags(&self, key_id: &str, tags: &[Tag], max_tags: usize) -> Result<(), StoreError> {
        let mut s = self.state();
        if !s.keys.contains_key(key_id) {
            return Err(StoreError::Conflict);
        }
        let mut current = s.tags.get(key_id).cloned().unwrap_or_default();
        for t in tags {
            match current.iter_mut().find(|c| c.key == t.key) {
                Some(c) => c.value.clone_from(&t.value),
                None => current.push(t.clone()),
            }
        }
        if current.len() > max_tags {
            return Err(StoreError::QuotaExceeded);
        }
        current.sort_by(|a, b| a.key.cmp(&b.key));
        s.tags.insert(key_id.to_string(), current);
        Ok(())
    }

    async fn remove_key_tags(&self, key_id: &str, tag_keys: &[String]) -> Result<u64, StoreError> {
        let mut s = self.state();
        let Some(current) = s.tags.get_mut(key_id) else { return Ok(0) };
        let before = current.len();
        current.retain(|t| !tag_keys.contains(&t.key));
        Ok((before - current.len()) as u64)
    }

    async fn list_all_key_tags(&self) -> Result<Vec<(String, Tag)>, StoreError> {
        Ok(self.state().tags.iter().flat_map(|(k, ts)| ts.iter().map(move |t| (k.clone(), t.clone()))).collect())
    }

    async fn create_alias(&self, alias: &AliasRecord, quota: i64) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.aliases.contains_key(&alias.alias_name) {
            return Err(StoreError::AlreadyExists);
        }
        if s.aliases.len() as i64 >= quota {
            return Err(StoreError::QuotaExceeded);
        }
        if !s.keys.contains_key(&alias.key_id) {
            return Err(StoreError::Conflict);
        }
        s.aliases.insert(alias.alias_name.clone(), alias.clone());
        Ok(())
    }

    async fn update_alias(&self, alias_name: &str, key_id: &str) -> Result<bool, StoreError> {
        let mut s = self.state();
        if !s.keys.contains_key(key_id) {
            return Err(StoreError::Conflict);
        }
        Ok(s.aliases.get_mut(alias_name).map(|a| a.key_id = key_id.to_string()).is_some())
    }

    async fn delete_alias(&self, alias_name: &str) -> Result<bool, StoreError> {
        Ok(self.state().aliases.remove(alias_name).is_some())
    }

    async fn get_alias(&self, alias_name: &str) -> Result<Option<AliasRecord>, StoreError> {
        Ok(self.state().aliases.get(alias_name).cloned())
    }

    async fn list_aliases(&self, key_id: Option<&str>) -> Result<Vec<AliasRecord>, StoreError> {
        Ok(self.state().aliases.values().filter(|a| key_id.is_none_or(|k| a.key_id == k)).cloned().collect())
    }

    async fn create_import_token(&self, token: &ImportTokenRecord) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.tokens.contains_key(&token.token_id) {
            return Err(StoreError::AlreadyExists);
        }
        if !s.keys.contains_key(&token.key_id) {
            return Err(StoreError::Conflict);
        }
        s.tokens.insert(token.token_id.clone(), token.clone());
        Ok(())
    }

    async fn get_import_token(&self, token_id: &str) -> Result<Option<ImportTokenRecord>, StoreError> {
        Ok(self.state().tokens.get(token_id).cloned())
    }

    async fn list_live_import_tokens(&self, key_id: &str, now: UnixTime) -> Result<Vec<ImportTokenRecord>, StoreError> {
        let mut v: Vec<_> =
            self.state().tokens.values().filter(|t| t.key_id == key_id && t.expires_at > now).cloned().collect();
        v.sort_by(|a, b| (a.creation_date, &a.token_id).cmp(&(b.creation_date, &b.token_id)));
        Ok(v)
    }

    async fn delete_expired_import_tokens(&self, now: UnixTime) -> Result<u64, StoreError> {
        let mut s = self.state();
        let before = s.tokens.len();
        s.tokens.retain(|_, t| t.expires_at > now);
        Ok((before - s.tokens.len()) as u64)
    }

    async fn count_instance_key_versions(&self, instance_id: &str) -> Result<i64, StoreError> {
        Ok(count_versions(&self.state(), instance_id))
    }

    async fn key_id_for_version(&self, version_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .state()
            .versions
            .iter()
            .find(|(_, vs)| vs.iter().any(|v| v.version_id == version_id))
            .map(|(k, _)| k.clone()))
    }

    async fn list_key_versions(&self, key_id: &str) -> Result<Vec<KeyVersionRecord>, StoreError> {
        Ok(self.state().versions.get(key_id).cloned().unwrap_or_default())
    }

    async fn list_key_tags(&self, key_id: &str) -> Result<Vec<Tag>, StoreError> {
        Ok(self.state().tags.get(key_id).cloned().unwrap_or_default())
    }

    async fn create_instance(&self, instance: &InstanceRecord) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.instances.contains_key(&instance.instance_id) {
            return Err(StoreError::AlreadyExists);
        }
        s.instances.insert(instance.instance_id.clone(), instance.clone());
        Ok(())
    }

    async fn get_instance(&self, instance_id: &str) -> Result<Option<InstanceRecord>, StoreError> {
        Ok(self.state().instances.get(instance_id).cloned())
    }

    async fn list_instances(&self) -> Result<Vec<InstanceRecord>, StoreError> {
        let mut v: Vec<_> = self.state().instances.values().cloned().collect();
        v.sort_by(|a, b| (a.creation_date, &a.instance_id).cmp(&(b.creation_date, &b.instance_id)));
        Ok(v)
    }

    async fn create_access_key(&self, key: &AccessKeyRecord) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.access_keys.contains_key(&key.access_key_id) {
            return Err(StoreError::AlreadyExists);
        }
        s.access_keys.insert(key.access_key_id.clone(), key.clone());
        Ok(())
    }

    async fn get_access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>, StoreError> {
        Ok(self.state().access_keys.get(access_key_id).cloned())
    }

    async fn list_access_keys(&self) -> Result<Vec<AccessKeyRecord>, StoreError> {
        let mut v: Vec<_> = self.state().access_keys.values().cloned().collect();
        v.sort_by(|a, b| (a.creation_date, &a.access_key_id).cmp(&(b.creation_date, &b.access_key_id)));
        Ok(v)
    }

    async fn set_access_key_enabled(&self, access_key_id: &str, enabled: bool) -> Result<bool, StoreError> {
        Ok(self.state().access_keys.get_mut(access_key_id).map(|k| k.enabled = enabled).is_some())
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool, StoreError> {
        Ok(self.state().access_keys.remove(access_key_id).is_some())
    }

    async fn create_secret(&self, new: NewSecret<'_>) -> Result<(), StoreError> {
        let mut s = self.state();
        let name = new.secret.secret_name.clone();
        if s.secrets.contains_key(&name) {
            return Err(StoreError::AlreadyExists);
        }
        if let (Some(q), Some(inst)) = (new.instance_quota, new.secret.instance_id.as_deref()) {
            let used = s.secrets.values().filter(|x| x.instance_id.as_deref() == Some(inst)).count() as i64;
            if used + 1 > q {
                return Err(StoreError::QuotaExceeded);
            }
        }
        s.secrets.insert(name.clone(), new.secret.clone());
        s.secret_versions.insert(name.clone(), vec![new.version.clone()]);
        let mut tags = new.tags.to_vec();
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        s.secret_tags.insert(name, tags);
        Ok(())
    }

    async fn get_secret(&self, secret_name: &str) -> Result<Option<SecretRecord>, StoreError> {
        Ok(self.state().secrets.get(secret_name).cloned())
    }

    async fn list_secrets(&self) -> Result<Vec<SecretRecord>, StoreError> {
        let mut v: Vec<_> = self.state().secrets.values().cloned().collect();
        v.sort_by(|a, b| (a.creation_date, &a.secret_name).cmp(&(b.creation_date, &b.secret_name)));
        Ok(v)
    }

    async fn update_secret(
        &self,
        secret: &SecretRecord,
        put: &[SecretVersionRecord],
        delete: &[String],
    ) -> Result<(), StoreError> {
        // Another secret's version means the caller's view is wrong, as in `add_key_version`.
        if put.iter().any(|p| p.secret_name != secret.secret_name) {
            return Err(StoreError::Conflict);
        }
        let mut s = self.state();
        let State { secrets, secret_versions, .. } = &mut *s;
        let stored = secrets
            .get_mut(&secret.secret_name)
            .filter(|x| x.revision == secret.revision)
            .ok_or(StoreError::Conflict)?;
        let versions = secret_versions.entry(secret.secret_name.clone()).or_default();
        versions.retain(|v| !delete.contains(&v.version_id));
        for p in put {
            match versions.iter_mut().find(|v| v.version_id == p.version_id) {
                Some(v) => *v = p.clone(),
                None => versions.push(p.clone()),
            }
        }
        versions.sort_by_key(|v| v.seq);
        *stored = secret.clone();
        stored.revision += 1;
        Ok(())
    }

    async fn list_secret_versions(&self, secret_name: &str) -> Result<Vec<SecretVersionRecord>, StoreError> {
        Ok(self.state().secret_versions.get(secret_name).cloned().unwrap_or_default())
    }

    async fn delete_secret(&self, secret_name: &str) -> Result<bool, StoreError> {
        let mut s = self.state();
        s.secret_versions.remove(secret_name);
        s.secret_tags.remove(secret_name);
        Ok(s.secrets.remove(secret_name).is_some())
    }

    async fn secrets_due_for_deletion(&self, now: UnixTime) -> Result<Vec<String>, StoreError> {
        Ok(self
            .state()
            .secrets
            .values()
            .filter(|x| x.planned_delete.is_some_and(|d| d <= now))
            .map(|x| x.secret_name.clone())
            .collect())
    }

    async fn count_instance_secrets(&self, instance_id: &str) -> Result<i64, StoreError> {
        Ok(self.state().secrets.values().filter(|x| x.instance_id.as_deref() == Some(instance_id)).count() as i64)
    }

    async fn list_secret_tags(&self, secret_name: &str) -> Result<Vec<Tag>, StoreError> {
        Ok(self.state().secret_tags.get(secret_name).cloned().unwrap_or_default())
    }

    async fn put_secret_tags(&self, secret_name: &str, tags: &[Tag], max_tags: usize) -> Result<(), StoreError> {
        let mut s = self.state();
        if !s.secrets.contains_key(secret_name) {
            return Err(StoreError::Conflict);
        }
        let mut current = s.secret_tags.get(secret_name).cloned().unwrap_or_default();
        for t in tags {
            match current.iter_mut().find(|c| c.key == t.key) {
                Some(c) => c.value.clone_from(&t.value),
                None => current.push(t.clone()),
            }
        }
        if current.len() > max_tags {
            return Err(StoreError::QuotaExceeded);
        }
        current.sort_by(|a, b| a.key.cmp(&b.key));
        s.secret_tags.insert(secret_name.to_string(), current);
        Ok(())
    }

    async fn remove_secret_tags(&self, secret_name: &str, tag_keys: &[String]) -> Result<u64, StoreError> {
        let mut s = self.state();
        let Some(current) = s.secret_tags.get_mut(secret_name) else { return Ok(0) };
        let before = current.len();
        current.retain(|t| !tag_keys.contains(&t.key));
        Ok((before - current.len()) as u64)
    }

    async fn list_all_secret_tags(&self) -> Result<Vec<(String, Tag)>, StoreError> {
        Ok(self.state().secret_tags.iter().flat_map(|(k, ts)| ts.iter().map(move |t| (k.clone(), t.clone()))).collect())
    }

    async fn get_key_policy(&self, key_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.state().key_policies.get(key_id).cloned())
    }

    async fn put_key_policy(&self, key_id: &str, document: &str) -> Result<(), StoreError> {
        let mut s = self.state();
        if !s.keys.contains_key(key_id) {
            return Err(StoreError::Conflict);
        }
        s.key_policies.insert(key_id.to_string(), document.to_string());
        Ok(())
    }

    async fn create_principal(&self, principal: &PrincipalRecord) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.principals.contains_key(&principal.name) {
            return Err(StoreError::AlreadyExists);
        }
        s.principals.insert(principal.name.clone(), principal.clone());
        Ok(())
    }

    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        Ok(self.state().principals.get(name).cloned())
    }

    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError> {
        Ok(self.state().principals.values().cloned().collect())
    }

    async fn delete_principal(&self, name: &str) -> Result<bool, StoreError> {
        let mut s = self.state();
        if s.access_keys.values().any(|k| k.principal == name) {
            return Err(StoreError::Conflict);
        }
        s.attachments.retain(|(p, _)| p != name);
        Ok(s.principals.remove(name).is_some())
    }

    async fn create_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.policies.contains_key(&policy.name) {
            return Err(StoreError::AlreadyExists);
        }
        s.policies.insert(policy.name.clone(), policy.clone());
        Ok(())
    }

    async fn get_policy(&self, name: &str) -> Result<Option<PolicyRecord>, StoreError> {
        Ok(self.state().policies.get(name).cloned())
    }

    async fn list_policies(&self) -> Result<Vec<PolicyRecord>, StoreError> {
        Ok(self.state().policies.values().cloned().collect())
    }

    async fn update_policy(&self, name: &str, document: &str, update_date: UnixTime) -> Result<bool, StoreError> {
        let mut s = self.state();
        Ok(s.policies
            .get_mut(name)
            .map(|p| {
                p.document = document.to_string();
                p.update_date = update_date;
            })
            .is_some())
    }

    async fn delete_policy(&self, name: &str) -> Result<bool, StoreError> {
        let mut s = self.state();
        if s.attachments.iter().any(|(_, p)| p == name) {
            return Err(StoreError::Conflict);
        }
        Ok(s.policies.remove(name).is_some())
    }

    async fn attach_policy(&self, principal: &str, policy: &str) -> Result<bool, StoreError> {
        let mut s = self.state();
        if !s.principals.contains_key(principal) || !s.policies.contains_key(policy) {
            return Err(StoreError::Conflict);
        }
        Ok(s.attachments.insert((principal.to_string(), policy.to_string())))
    }

    async fn detach_policy(&self, principal: &str, policy: &str) -> Result<bool, StoreError> {
        Ok(self.state().attachments.remove(&(principal.to_string(), policy.to_string())))
    }

    async fn list_attached_policies(&self, principal: &str) -> Result<Vec<PolicyRecord>, StoreError> {
        let s = self.state();
        Ok(s.attachments
            .iter()
            .filter(|(p, _)| p == principal)
            .filter_map(|(_, name)| s.policies.get(name).cloned())
            .collect())
    }

    async fn list_policy_principals(&self, policy: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.state().attachments.iter().filter(|(_, p)| p == policy).map(|(p, _)| p.clone()).collect())
    }
}
