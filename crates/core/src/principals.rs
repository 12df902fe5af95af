//! Principals and identity policies: administration (`keyward admin principal|policy`).
//!
//! A principal is a named identity that AccessKeys belong to and identity policies are attached
//! to (see [`crate::authz`] for how they are used at request time). The bootstrap principal
//! `admin` is the account itself: it cannot be deleted and takes no policies (it is allowed
//! everything). Policy documents are parsed ([`Policy::parse`], [`PolicyKind::Identity`]) before
//! they are stored, so a stored document always parses. Every change that can alter what a
//! principal may do (policy update, delete, attach, detach) forgets the cached attached policies
//! of this node at once; other nodes see it within [`crate::authz::POLICY_CACHE_TTL`].

use crate::access_keys::ADMIN_PRINCIPAL;
use crate::error::Error;
use crate::model::{PolicyRecord, PrincipalRecord};
use crate::policy::{Policy, PolicyKind};
use crate::service::Kms;
use crate::store::StoreError;

/// Longest principal name.
pub const MAX_PRINCIPAL_NAME: usize = 64;
/// Longest policy name.
pub const MAX_POLICY_NAME: usize = 128;
/// Longest description of a principal or policy, in characters.
pub const MAX_DESCRIPTION: usize = 1024;

/// Checks a principal name: 1–64 of `[A-Za-z0-9._@-]`.
fn validate_principal_name(name: &str) -> Result<(), Error> {
    let ok = (1..=MAX_PRINCIPAL_NAME).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok { Ok(()) } else { Err(Error::invalid("PrincipalName", "1-64 characters of A-Z a-z 0-9 . _ @ -")) }
}

/// Checks a policy name: 1–128 of `[A-Za-z0-9._-]`.
fn validate_policy_name(name: &str) -> Result<(), Error> {
    let ok = (1..=MAX_POLICY_NAME).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok { Ok(()) } else { Err(Error::invalid("PolicyName", "1-128 characters of A-Z a-z 0-9 . _ -")) }
}

/// Checks a description: at most 1024 characters.
fn validate_description(description: &str) -> Result<(), Error> {
    if description.chars().count() <= MAX_DESCRIPTION {
        Ok(())
    } else {
        Err(Error::invalid("Description", format!("at most {MAX_DESCRIPTION} characters")))
    }
}

fn principal_not_found(name: &str) -> Error {
    Error::NotFound(format!("principal {name}"))
}

fn policy_not_found(name: &str) -> Error {
    Error::NotFound(format!("policy {name}"))
}

impl Kms {
    /// Creates a principal. `AlreadyExists("principal")` if the name is taken.
    pub async fn create_principal(&self, name: &str, description: &str) -> Result<PrincipalRecord, Error> {
        validate_principal_name(name)?;
        validate_description(description)?;
        let record =
            PrincipalRecord { name: name.to_string(), description: description.to_string(), creation_date: self.now() };
        match self.store.create_principal(&record).await {
            Ok(()) => Ok(record),
            Err(StoreError::AlreadyExists) => Err(Error::AlreadyExists("principal")),
            Err(e) => Err(e.into()),
        }
    }

    /// Every principal, by name.
    pub async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, Error> {
        Ok(self.store.list_principals().await?)
    }

    /// One principal; `NotFound` if it does not exist.
    pub async fn get_principal(&self, name: &str) -> Result<PrincipalRecord, Error> {
        self.store.get_principal(name).await?.ok_or_else(|| principal_not_found(name))
    }

    /// Deletes a principal with its policy attachments. `admin` cannot be deleted; a principal
    /// that still has AccessKeys is refused (`InUse`).
    pub async fn delete_principal(&self, name: &str) -> Result<(), Error> {
        if name == ADMIN_PRINCIPAL {
            return Err(Error::InvalidRequest(format!(
                "the principal {ADMIN_PRINCIPAL} is the account itself and cannot be deleted"
            )));
        }
        let deleted = match self.store.delete_principal(name).await {
            Ok(deleted) => deleted,
            Err(StoreError::Conflict) => {
                return Err(Error::InUse(format!("principal {name} still has AccessKeys; delete them first")));
            }
            Err(e) => return Err(e.into()),
        };
        self.forget_principal_policies(Some(name));
        if deleted { Ok(()) } else { Err(principal_not_found(name)) }
    }

    /// Creates an identity policy; the document must parse as an identity policy
    /// (`InvalidParameter` naming the place otherwise). `AlreadyExists("policy")` if the name is
    /// taken.
    pub async fn create_policy(&self, name: &str, description: &str, document: &str) -> Result<PolicyRecord, Error> {
        validate_policy_name(name)?;
        validate_description(description)?;
        Policy::parse(document, PolicyKind::Identity)?;
        let now = self.now();
        let record = PolicyRecord {
            name: name.to_string(),
            description: description.to_string(),
            document: document.to_string(),
            creation_date: now,
            update_date: now,
        };
        match self.store.create_policy(&record).await {
            Ok(()) => Ok(record),
            Err(StoreError::AlreadyExists) => Err(Error::AlreadyExists("policy")),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces a policy's document (validated as in [`Kms::create_policy`]); every principal it
    /// is attached to is affected.
    pub async fn update_policy(&self, name: &str, document: &str) -> Result<PolicyRecord, Error> {
        Policy::parse(document, PolicyKind::Identity)?;
        let updated = self.store.update_policy(name, document, self.now()).await?;
        self.forget_principal_policies(None);
        if !updated {
            return Err(policy_not_found(name));
        }
        self.get_policy(name).await
    }

    /// One policy; `NotFound` if it does not exist.
    pub async fn get_policy(&self, name: &str) -> Result<PolicyRecord, Error> {
        self.store.get_policy(name).await?.ok_or_else(|| policy_not_found(name))
    }

    /// Every policy, by name.
    pub async fn list_policies(&self) -> Result<Vec<PolicyRecord>, Error> {
        Ok(self.store.list_policies().await?)
    }

    /// The principals a policy is attached to, by name; `NotFound` for an unknown policy.
    pub async fn list_policy_principals(&self, name: &str) -> Result<Vec<String>, Error> {
        self.get_policy(name).await?;
        Ok(self.store.list_policy_principals(name).await?)
    }

    /// Deletes a policy; refused (`InUse`, naming the principals) while it is attached.
    pub async fn delete_policy(&self, name: &str) -> Result<(), Error> {
        let deleted = match self.store.delete_policy(name).await {
            Ok(deleted) => deleted,
            Err(StoreError::Conflict) => {
                let principals = self.store.list_policy_principals(name).await?;
                return Err(Error::InUse(format!(
                    "policy {name} is attached to principal(s) {}; detach it first",
                    principals.join(", ")
                )));
            }
            Err(e) => return Err(e.into()),
        };
        self.forget_principal_policies(None);
        if deleted { Ok(()) } else { Err(policy_not_found(name)) }
    }

    /// Checks that `principal` and `policy` exist (NotFound naming which) and that the principal
    /// may take policies (not `admin`).
    async fn check_attachment(&self, principal: &str, policy: &str) -> Result<(), Error> {
        if principal == ADMIN_PRINCIPAL {
            return Err(Error::InvalidRequest(format!(
                "the principal {ADMIN_PRINCIPAL} is the account itself and is allowed everything; \
                 policies cannot be attached to it"
            )));
        }
        self.get_principal(principal).await?;
        self.get_policy(policy).await?;
        Ok(())
    }

    /// Attaches a policy to a principal. Returns `false` if it was attached already.
    pub async fn attach_policy(&self, principal: &str, policy: &str) -> Result<bool, Error> {
        self.check_attachment(principal, policy).await?;
        let attached = match self.store.attach_policy(principal, policy).await {
            Ok(attached) => attached,
            // Deleted between the check and the attachment: say which is gone now.
            Err(StoreError::Conflict) => {
                self.check_attachment(principal, policy).await?;
                return Err(Error::Internal(format!("attaching policy {policy} to {principal} conflicted")));
            }
            Err(e) => return Err(e.into()),
        };
        self.forget_principal_policies(Some(principal));
        Ok(attached)
    }

    /// Detaches a policy from a principal. Returns `false` if it was not attached.
    pub async fn detach_policy(&self, principal: &str, policy: &str) -> Result<bool, Error> {
        self.get_principal(principal).await?;
        self.get_policy(policy).await?;
        let detached = self.store.detach_policy(principal, policy).await?;
        self.forget_principal_policies(Some(principal));
        Ok(detached)
    }

    /// The policies attached to a principal, by name; `NotFound` for an unknown principal.
    pub async fn list_attached_policies(&self, principal: &str) -> Result<Vec<PolicyRecord>, Error> {
        self.get_principal(principal).await?;
        Ok(self.store.list_attached_policies(principal).await?)
    }

    /// Makes sure the `admin` principal row exists (data dirs and stores from before principals,
    /// the in-memory store).
    pub(crate) async fn ensure_admin_principal(&self) -> Result<(), Error> {
        if self.store.get_principal(ADMIN_PRINCIPAL).await?.is_some() {
            return Ok(());
        }
        let record = PrincipalRecord {
            name: ADMIN_PRINCIPAL.to_string(),
            description: String::new(),
            creation_date: self.now(),
        };
        match self.store.create_principal(&record).await {
            Ok(()) | Err(StoreError::AlreadyExists) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testkit::{admin, kms};
    use crate::service::Caller;

    /// Allows kms:ListKeys on everything.
    const LIST_KEYS: &str =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]}"#;
    /// Denies kms:ListKeys on everything.
    const DENY_LIST_KEYS: &str =
        r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:ListKeys","Resource":"*"}]}"#;

    fn names(records: &[PolicyRecord]) -> Vec<&str> {
        records.iter().map(|p| p.name.as_str()).collect()
    }

    /// Whether `principal` may list keys right now (through the cached authorization path).
    async fn may_list_keys(kms: &Kms, principal: &str) -> bool {
        let caller = Caller::new(principal, "LTAIcaller");
        match kms.authorize_arn(&caller, "kms:ListKeys", &kms.collection_arn("key")).await {
            Ok(()) => true,
            Err(Error::Forbidden { .. }) => false,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    #[tokio::test]
    async fn principals_create_get_list_delete() {
        let kms = kms().await;
        let bob = kms.create_principal("bob", "builds things").await.unwrap();
        assert_eq!((bob.name.as_str(), bob.description.as_str()), ("bob", "builds things"));
        assert_eq!(bob.creation_date, kms.now());
        kms.create_principal("a.l-i_c@e", "").await.unwrap();
        assert_eq!(kms.get_principal("bob").await.unwrap(), bob);
        let listed: Vec<String> = kms.list_principals().await.unwrap().into_iter().map(|p| p.name).collect();
        assert!(listed.ends_with(&["a.l-i_c@e".to_string(), "bob".to_string()]), "by name: {listed:?}");

        assert!(matches!(kms.create_principal("bob", "again").await, Err(Error::AlreadyExists("principal"))));
        assert_eq!(kms.get_principal("bob").await.unwrap().description, "builds things", "unchanged");

        kms.delete_principal("bob").await.unwrap();
        let err = kms.get_principal("bob").await.unwrap_err();
        assert!(matches!(&err, Error::NotFound(what) if what == "principal bob"), "{err:?}");
        assert_eq!(err.to_string(), "principal bob not found");
        assert!(matches!(kms.delete_principal("bob").await, Err(Error::NotFound(w)) if w == "principal bob"));
    }

    #[tokio::test]
    async fn principal_names_and_descriptions_are_validated() {
        let kms = kms().await;
        for bad in ["", "has space", "slash/", "colon:", "星", &"x".repeat(65)] {
            let err = kms.create_principal(bad, "").await.unwrap_err();
            assert!(matches!(err, Error::InvalidParameter { name: "PrincipalName", .. }), "{bad:?}: {err:?}");
        }
        kms.create_principal(&"x".repeat(64), "").await.unwrap();
        kms.create_principal("long-desc", &"描".repeat(1024)).await.unwrap();
        let err = kms.create_principal("too-long-desc", &"d".repeat(1025)).await.unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { name: "Description", .. }), "{err:?}");
        assert!(matches!(kms.get_principal("too-long-desc").await, Err(Error::NotFound(_))), "nothing created");
    }

    #[tokio::test]
    async fn admin_cannot_be_deleted_nor_take_policies() {
        let kms = kms().await;
        kms.ensure_bootstrap_access_key(None).await.unwrap();
        assert_eq!(kms.get_principal(ADMIN_PRINCIPAL).await.unwrap().name, "admin", "bootstrap made the row");
        let err = kms.delete_principal(ADMIN_PRINCIPAL).await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
        kms.create_policy("p", "", LIST_KEYS).await.unwrap();
        let err = kms.attach_policy(ADMIN_PRINCIPAL, "p").await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
        assert!(kms.list_attached_policies(ADMIN_PRINCIPAL).await.unwrap().is_empty());
        assert!(kms.get_principal(ADMIN_PRINCIPAL).await.is_ok(), "still there");
    }

    #[tokio::test]
    async fn principal_with_access_keys_is_in_use() {
        let kms = kms().await;
        kms.create_principal("carol", "").await.unwrap();
        let (id, _secret) = kms.create_access_key("carol", None).await.unwrap();
        let err = kms.delete_principal("carol").await.unwrap_err();
        assert!(matches!(&err, Error::InUse(m) if m == "principal carol still has AccessKeys; delete them first"));
        assert!(kms.get_principal("carol").await.is_ok(), "not deleted");
        kms.delete_access_key(&id).await.unwrap();
        kms.delete_principal("carol").await.unwrap();
    }

    #[tokio::test]
    async fn access_keys_need_an_existing_principal_except_admin() {
        let kms = kms().await;
        let Err(err) = kms.create_access_key("ghost", None).await else { panic!("created for an unknown principal") };
        assert!(matches!(&err, Error::NotFound(w) if w == "principal ghost"), "{err:?}");
        assert!(kms.list_access_keys().await.unwrap().is_empty(), "nothing created");
        kms.create_principal("ghost", "").await.unwrap();
        kms.create_access_key("ghost", None).await.unwrap();
        // admin needs no row beforehand (the in-memory store starts empty) and gets one.
        kms.create_access_key(ADMIN_PRINCIPAL, None).await.unwrap();
        assert!(kms.get_principal(ADMIN_PRINCIPAL).await.is_ok());
        assert_eq!(kms.list_access_keys().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn bootstrap_creates_the_admin_principal_once() {
        let kms = kms().await;
        assert!(matches!(kms.get_principal(ADMIN_PRINCIPAL).await, Err(Error::NotFound(_))));
        let fixed = || Some(("LTAIbootstrap".to_string(), keyward_crypto::SecretBytes::new(b"s3cr3t-value".to_vec())));
        assert!(kms.ensure_bootstrap_access_key(fixed()).await.unwrap().is_none());
        let first = kms.get_principal(ADMIN_PRINCIPAL).await.unwrap();
        // Idempotent: a second bootstrap (key exists) keeps the same row.
        kms.ensure_bootstrap_access_key(fixed()).await.unwrap();
        kms.ensure_bootstrap_access_key(None).await.unwrap();
        assert_eq!(kms.get_principal(ADMIN_PRINCIPAL).await.unwrap(), first);
        assert_eq!(kms.list_principals().await.unwrap(), vec![first]);
    }

    #[tokio::test]
    async fn policies_create_get_update_list_delete() {
        let kms = kms().await;
        let created = kms.create_policy("KeyReaders", "read keys", LIST_KEYS).await.unwrap();
        assert_eq!(created.document, LIST_KEYS);
        assert_eq!((created.creation_date, created.update_date), (kms.now(), kms.now()));
        kms.create_policy("a-first.policy_1", "", DENY_LIST_KEYS).await.unwrap();
        assert_eq!(kms.get_policy("KeyReaders").await.unwrap(), created);
        assert_eq!(names(&kms.list_policies().await.unwrap()), ["KeyReaders", "a-first.policy_1"], "byte order");
        assert!(matches!(kms.create_policy("KeyReaders", "", LIST_KEYS).await, Err(Error::AlreadyExists("policy"))));

        let updated = kms.update_policy("KeyReaders", DENY_LIST_KEYS).await.unwrap();
        assert_eq!(updated.document, DENY_LIST_KEYS);
        assert_eq!(updated.description, "read keys", "only the document changes");
        assert_eq!(kms.get_policy("KeyReaders").await.unwrap(), updated);
        let err = kms.update_policy("nope", LIST_KEYS).await.unwrap_err();
        assert!(matches!(&err, Error::NotFound(w) if w == "policy nope"), "{err:?}");

        kms.delete_policy("KeyReaders").await.unwrap();
        assert!(matches!(kms.get_policy("KeyReaders").await, Err(Error::NotFound(w)) if w == "policy KeyReaders"));
        assert!(matches!(kms.delete_policy("KeyReaders").await, Err(Error::NotFound(_))));
        assert_eq!(names(&kms.list_policies().await.unwrap()), ["a-first.policy_1"]);
    }

    #[tokio::test]
    async fn policy_documents_and_names_are_validated() {
        let kms = kms().await;
        // A resource-policy document (with Principal) is not an identity policy.
        let with_principal =
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Principal":"*"}]}"#;
        for bad in [
            "not json",
            "{}",
            with_principal,
            r#"{"Version":"1","Statement":[{"Effect":"Maybe","Action":"kms:*","Resource":"*"}]}"#,
        ] {
            let err = kms.create_policy("p", "", bad).await.unwrap_err();
            assert!(matches!(err, Error::InvalidParameter { name: "Policy", .. }), "{bad}: {err:?}");
        }
        assert!(matches!(kms.get_policy("p").await, Err(Error::NotFound(_))), "nothing stored");
        for bad in ["", "with space", "at@sign", "slash/", &"p".repeat(129)] {
            let err = kms.create_policy(bad, "", LIST_KEYS).await.unwrap_err();
            assert!(matches!(err, Error::InvalidParameter { name: "PolicyName", .. }), "{bad:?}: {err:?}");
        }
        kms.create_policy(&"p".repeat(128), "", LIST_KEYS).await.unwrap();
        let err = kms.create_policy("d", &"d".repeat(1025), LIST_KEYS).await.unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { name: "Description", .. }), "{err:?}");

        kms.create_policy("ok", "", LIST_KEYS).await.unwrap();
        let err = kms.update_policy("ok", with_principal).await.unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { name: "Policy", .. }), "{err:?}");
        assert_eq!(kms.get_policy("ok").await.unwrap().document, LIST_KEYS, "unchanged");
    }

    #[tokio::test]
    async fn attach_detach_and_listings() {
        let kms = kms().await;
        kms.create_principal("dave", "").await.unwrap();
        kms.create_principal("erin", "").await.unwrap();
        kms.create_policy("p2", "", LIST_KEYS).await.unwrap();
        kms.create_policy("p1", "", LIST_KEYS).await.unwrap();

        assert!(kms.attach_policy("dave", "p2").await.unwrap());
        assert!(kms.attach_policy("dave", "p1").await.unwrap());
        assert!(!kms.attach_policy("dave", "p1").await.unwrap(), "already attached");
        assert!(kms.attach_policy("erin", "p1").await.unwrap());
        assert_eq!(names(&kms.list_attached_policies("dave").await.unwrap()), ["p1", "p2"]);
        assert_eq!(kms.list_policy_principals("p1").await.unwrap(), ["dave", "erin"]);

        let err = kms.attach_policy("nobody", "p1").await.unwrap_err();
        assert!(matches!(&err, Error::NotFound(w) if w == "principal nobody"), "{err:?}");
        let err = kms.attach_policy("dave", "nothing").await.unwrap_err();
        assert!(matches!(&err, Error::NotFound(w) if w == "policy nothing"), "{err:?}");
        let err = kms.detach_policy("nobody", "p1").await.unwrap_err();
        assert!(matches!(&err, Error::NotFound(w) if w == "principal nobody"), "{err:?}");
        let err = kms.detach_policy("dave", "nothing").await.unwrap_err();
        assert!(matches!(&err, Error::NotFound(w) if w == "policy nothing"), "{err:?}");
        let err = kms.list_attached_policies("nobody").await.unwrap_err();
        assert!(matches!(&err, Error::NotFound(w) if w == "principal nobody"), "{err:?}");
        assert!(matches!(kms.list_policy_principals("nothing").await, Err(Error::NotFound(_))));

        // Refused while attached, naming the principals.
        let err = kms.delete_policy("p1").await.unwrap_err();
        assert!(matches!(&err, Error::InUse(m) if m.contains("dave, erin")), "{err:?}");
        assert!(kms.get_policy("p1").await.is_ok(), "not deleted");

        assert!(kms.detach_policy("dave", "p1").await.unwrap());
        assert!(!kms.detach_policy("dave", "p1").await.unwrap(), "not attached any more");
        assert!(kms.detach_policy("erin", "p1").await.unwrap());
        kms.delete_policy("p1").await.unwrap();
        assert_eq!(names(&kms.list_attached_policies("dave").await.unwrap()), ["p2"]);

        // Deleting a principal takes its attachments along.
        kms.delete_principal("dave").await.unwrap();
        assert!(kms.list_policy_principals("p2").await.unwrap().is_empty());
        kms.delete_policy("p2").await.unwrap();
    }

    #[tokio::test]
    async fn every_change_is_seen_at_once_by_authorization() {
        let kms = kms().await;
        kms.create_principal("frank", "").await.unwrap();
        kms.create_policy("lister", "", LIST_KEYS).await.unwrap();
        // The empty policy set is cached by this check ...
        assert!(!may_list_keys(&kms, "frank").await);
        // ... and attaching forgets it.
        kms.attach_policy("frank", "lister").await.unwrap();
        assert!(may_list_keys(&kms, "frank").await, "attach seen at once");
        kms.update_policy("lister", DENY_LIST_KEYS).await.unwrap();
        assert!(!may_list_keys(&kms, "frank").await, "update seen at once");
        kms.update_policy("lister", LIST_KEYS).await.unwrap();
        assert!(may_list_keys(&kms, "frank").await);
        kms.detach_policy("frank", "lister").await.unwrap();
        assert!(!may_list_keys(&kms, "frank").await, "detach seen at once");

        // Deleting and re-creating a principal does not bring back its old grants.
        kms.attach_policy("frank", "lister").await.unwrap();
        assert!(may_list_keys(&kms, "frank").await);
        kms.delete_principal("frank").await.unwrap();
        kms.create_principal("frank", "").await.unwrap();
        assert!(!may_list_keys(&kms, "frank").await, "principal delete seen at once");

        // The account itself needs no policy.
        assert!(kms.authorize_arn(&admin(), "kms:ListKeys", &kms.collection_arn("key")).await.is_ok());
    }
}
