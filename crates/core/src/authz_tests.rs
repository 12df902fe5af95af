//! Tests of [`crate::authz`] through the operations: who may do what to which key or secret,
//! with identity policies, key and secret policies, aliases, conditions and the caches.

use std::sync::Arc;

use crate::Error;
use crate::model::{PolicyRecord, PrincipalRecord, Tag};
use crate::ops::create_key::CreateKeyRequest;
use crate::ops::create_secret::CreateSecretRequest;
use crate::ops::re_encrypt::ReEncryptSource;
use crate::ops::testkit::{admin, kms};
use crate::service::{Caller, Kms};
use keyward_crypto::SecretBytes;

const ACCOUNT: &str = "1000000000000000";

fn user(name: &str) -> Caller {
    Caller::new(name, format!("LTAI{name}"))
}

/// Creates principal `name` with one attached identity policy `doc` (if any).
async fn principal(kms: &Kms, name: &str, doc: Option<&str>) -> Caller {
    let store = kms.store();
    store
        .create_principal(&PrincipalRecord { name: name.into(), description: String::new(), creation_date: 0 })
        .await
        .unwrap();
    if let Some(doc) = doc {
        let policy = format!("{name}-policy");
        store
            .create_policy(&PolicyRecord {
                name: policy.clone(),
                description: String::new(),
                document: doc.into(),
                creation_date: 0,
                update_date: 0,
            })
            .await
            .unwrap();
        store.attach_policy(name, &policy).await.unwrap();
    }
    user(name)
}

fn allow(actions: &str, resources: &str) -> String {
    format!(r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":{resources}}}]}}"#)
}

async fn key(kms: &Kms) -> String {
    kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap().key_id
}

fn forbidden<T>(e: Result<T, Error>, action: &str) -> String {
    match e {
        Err(Error::Forbidden { action: a, resource, principal }) => {
            assert_eq!(a, action);
            assert!(principal.starts_with(&format!("acs:ram::{ACCOUNT}:user/")), "{principal}");
            resource
        }
        Err(other) => panic!("expected Forbidden on {action}, got {other:?}"),
        Ok(_) => panic!("expected Forbidden on {action}, got success"),
    }
}

#[tokio::test]
async fn a_principal_allowed_only_encrypt_on_one_key_can_do_nothing_else() {
    let kms = kms().await;
    let (a, b) = (key(&kms).await, key(&kms).await);
    let arn = kms.key_arn(&a);
    let app = principal(&kms, "app", Some(&allow(r#""kms:Encrypt""#, &format!("\"{arn}\"")))).await;

    let ct = kms.encrypt(&app, &a, b"hello", None).await.unwrap();
    assert_eq!(kms.decrypt(&admin(), &ct.blob, None).await.unwrap().plaintext.expose(), b"hello");

    assert_eq!(forbidden(kms.decrypt(&app, &ct.blob, None).await, "kms:Decrypt"), arn);
    assert_eq!(forbidden(kms.encrypt(&app, &b, b"x", None).await, "kms:Encrypt"), kms.key_arn(&b));
    forbidden(kms.describe_key(&app, &a).await, "kms:DescribeKey");
    forbidden(kms.generate_data_key(&app, "kms:GenerateDataKey", &a, 32, None).await, "kms:GenerateDataKey");
    forbidden(kms.disable_key(&app, &a).await, "kms:DisableKey");
    forbidden(kms.create_key(&app, CreateKeyRequest::default()).await, "kms:CreateKey");
    let page = crate::ops::Page { number: 1, size: 10 };
    assert_eq!(
        forbidden(kms.list_keys(&app, &[], page).await, "kms:ListKeys"),
        format!("acs:kms:cn-hangzhou:{ACCOUNT}:key")
    );
    forbidden(kms.describe_regions(&app).await, "kms:DescribeRegions");
    // A principal with no policy at all may do nothing; an unknown one neither.
    let none = principal(&kms, "nobody", None).await;
    forbidden(kms.encrypt(&none, &a, b"x", None).await, "kms:Encrypt");
    forbidden(kms.encrypt(&user("ghost"), &a, b"x", None).await, "kms:Encrypt");
    // admin is the account: everything, without any policy.
    kms.describe_key(&admin(), &a).await.unwrap();
}

#[tokio::test]
async fn unknown_keys_are_not_found_before_they_are_forbidden() {
    let kms = kms().await;
    let app = principal(&kms, "app", None).await;
    assert!(matches!(kms.encrypt(&app, "no-such-key", b"x", None).await, Err(Error::KeyNotFound)));
    assert!(matches!(kms.encrypt(&app, "alias/none", b"x", None).await, Err(Error::AliasNotFound)));
}

#[tokio::test]
async fn a_grant_on_the_alias_allows_through_the_alias_only_and_a_deny_on_either_wins() {
    let kms = kms().await;
    let k = key(&kms).await;
    kms.create_alias(&admin(), "alias/app-x", &k).await.unwrap();
    let app = principal(&kms, "app", Some(&allow(r#""kms:Encrypt""#, r#""acs:kms:*:*:alias/app-*""#))).await;
    kms.encrypt(&app, "alias/app-x", b"x", None).await.unwrap();
    let alias_arn = kms.alias_arn("alias/app-x");
    kms.encrypt(&app, &alias_arn, b"x", None).await.unwrap();
    assert_eq!(forbidden(kms.encrypt(&app, &k, b"x", None).await, "kms:Encrypt"), kms.key_arn(&k));

    let doc = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"kms:*","Resource":"{}"}},
            {{"Effect":"Deny","Action":"kms:Encrypt","Resource":"{alias_arn}"}}]}}"#,
        kms.key_arn(&k)
    );
    let other = principal(&kms, "other", Some(&doc)).await;
    kms.encrypt(&other, &k, b"x", None).await.unwrap();
    forbidden(kms.encrypt(&other, "alias/app-x", b"x", None).await, "kms:Encrypt");
}

#[tokio::test]
async fn a_key_policy_grants_a_user_without_any_identity_policy() {
    let kms = kms().await;
    let (k, other) = (key(&kms).await, key(&kms).await);
    let app = principal(&kms, "app", None).await;
    forbidden(kms.encrypt(&app, &k, b"x", None).await, "kms:Encrypt");
    let doc = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Principal":{{"RAM":["acs:ram::{ACCOUNT}:user/app"]}},
            "Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}}]}}"#
    );
    kms.set_key_policy(&admin(), &k, None, &doc).await.unwrap();
    let ct = kms.encrypt(&app, &k, b"x", None).await.unwrap();
    kms.decrypt(&app, &ct.blob, None).await.unwrap();
    forbidden(kms.encrypt(&app, &other, b"x", None).await, "kms:Encrypt");
    forbidden(kms.set_key_policy(&app, &k, None, &doc).await, "kms:SetKeyPolicy");
    // Nobody else is named.
    let bob = principal(&kms, "bob", None).await;
    forbidden(kms.encrypt(&bob, &k, b"x", None).await, "kms:Encrypt");
}

#[tokio::test]
async fn the_default_policy_account_principal_grants_users_nothing() {
    let kms = kms().await;
    let k = key(&kms).await;
    let default = kms.get_key_policy(&admin(), &k, None).await.unwrap();
    kms.set_key_policy(&admin(), &k, None, &default).await.unwrap();
    let app = principal(&kms, "app", None).await;
    forbidden(kms.encrypt(&app, &k, b"x", None).await, "kms:Encrypt");
}

#[tokio::test]
async fn a_deny_in_the_key_policy_beats_an_identity_allow_and_the_reverse() {
    let kms = kms().await;
    let k = key(&kms).await;
    let app = principal(&kms, "app", Some(&allow(r#""kms:*""#, r#""*""#))).await;
    kms.encrypt(&app, &k, b"x", None).await.unwrap();
    let deny =
        r#"{"Version":"1","Statement":[{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*"}]}"#;
    kms.set_key_policy(&admin(), &k, None, deny).await.unwrap();
    forbidden(kms.encrypt(&app, &k, b"x", None).await, "kms:Encrypt");
    kms.describe_key(&app, &k).await.unwrap();
    // The account itself is not subject to key policies.
    kms.encrypt(&admin(), &k, b"x", None).await.unwrap();

    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},
        {"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#;
    let d = principal(&kms, "d", Some(doc)).await;
    let k2 = key(&kms).await;
    let ct = kms.encrypt(&d, &k2, b"x", None).await.unwrap();
    forbidden(kms.decrypt(&d, &ct.blob, None).await, "kms:Decrypt");
}

#[tokio::test]
async fn encryption_context_conditions_bind_data_keys_to_a_tenant() {
    let kms = kms().await;
    let k = key(&kms).await;
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt","kms:Encrypt"],
        "Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext/tenant":"t1"}}}]}"#;
    let app = principal(&kms, "app", Some(doc)).await;
    let good = Some(r#"{"tenant":"t1","x":"y"}"#);
    let dk = kms.generate_data_key(&app, "kms:GenerateDataKey", &k, 32, good).await.unwrap();
    kms.decrypt(&app, &dk.encrypted.blob, good).await.unwrap();
    forbidden(
        kms.generate_data_key(&app, "kms:GenerateDataKey", &k, 32, Some(r#"{"tenant":"t2"}"#)).await,
        "kms:GenerateDataKey",
    );
    forbidden(kms.encrypt(&app, &k, b"x", None).await, "kms:Encrypt");
    // The admin can still open it; the tenant-2 context would not even match the blob.
    kms.decrypt(&admin(), &dk.encrypted.blob, good).await.unwrap();
}

#[tokio::test]
async fn tag_conditions_see_tag_changes_at_once() {
    let kms = kms().await;
    let k = key(&kms).await;
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*",
        "Condition":{"StringEquals":{"kms:tag/env":"prod"}}}]}"#;
    let app = principal(&kms, "app", Some(doc)).await;
    forbidden(kms.encrypt(&app, &k, b"x", None).await, "kms:Encrypt");
    let prod = Tag { key: "env".into(), value: "prod".into() };
    kms.tag_key(&admin(), "kms:TagResource", &k, &[prod]).await.unwrap();
    kms.encrypt(&app, &k, b"x", None).await.unwrap();
    kms.untag_key(&admin(), "kms:UntagResource", &k, None).await.unwrap();
    forbidden(kms.encrypt(&app, &k, b"x", None).await, "kms:Encrypt");
}

#[tokio::test]
async fn source_address_time_and_transport_conditions() {
    let kms = kms().await;
    let k = key(&kms).await;
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*",
        "Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"Bool":{"acs:SecureTransport":"true"},
        "DateLessThan":{"acs:CurrentTime":"2100-01-01T00:00:00Z"}}}]}"#;
    let app = principal(&kms, "app", Some(doc)).await;
    let inside = app.clone().from_address(Some("10.1.2.3".parse().unwrap()), true);
    kms.encrypt(&inside, &k, b"x", None).await.unwrap();
    let outside = app.clone().from_address(Some("192.168.1.1".parse().unwrap()), true);
    forbidden(kms.encrypt(&outside, &k, b"x", None).await, "kms:Encrypt");
    let plain = app.clone().from_address(Some("10.1.2.3".parse().unwrap()), false);
    forbidden(kms.encrypt(&plain, &k, b"x", None).await, "kms:Encrypt");
    forbidden(kms.encrypt(&app, &k, b"x", None).await, "kms:Encrypt");

    let past = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*",
        "Condition":{"DateLessThan":{"acs:CurrentTime":"2001-01-01T00:00:00Z"}}}]}"#;
    let late = principal(&kms, "late", Some(past)).await;
    forbidden(kms.encrypt(&late, &k, b"x", None).await, "kms:Encrypt");
}

#[tokio::test]
async fn re_encrypt_needs_from_on_the_source_and_to_on_the_destination() {
    let kms = kms().await;
    let (a, b) = (key(&kms).await, key(&kms).await);
    let from_only = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"kms:ReEncryptFrom","Resource":"{}"}}]}}"#,
        kms.key_arn(&a)
    );
    let app = principal(&kms, "app", Some(&from_only)).await;
    let ct = kms.encrypt(&admin(), &a, b"x", None).await.unwrap();
    let src = || ReEncryptSource::Symmetric { context: None };
    assert_eq!(forbidden(kms.re_encrypt(&app, &ct.blob, src(), &b, None).await, "kms:ReEncryptTo"), kms.key_arn(&b));
    let both = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"kms:ReEncryptFrom","Resource":"{}"}},
            {{"Effect":"Allow","Action":"kms:ReEncryptTo","Resource":"{}"}}]}}"#,
        kms.key_arn(&a),
        kms.key_arn(&b)
    );
    let ok = principal(&kms, "ok", Some(&both)).await;
    let out = kms.re_encrypt(&ok, &ct.blob, src(), &b, None).await.unwrap();
    assert_eq!(out.encrypted.key_id, b);
    let to_only = principal(&kms, "to", Some(&allow(r#""kms:ReEncryptTo""#, r#""*""#))).await;
    assert_eq!(
        forbidden(kms.re_encrypt(&to_only, &ct.blob, src(), &b, None).await, "kms:ReEncryptFrom"),
        kms.key_arn(&a)
    );
}

async fn secret(kms: &Kms, name: &str, key: Option<&str>) {
    let mut req = CreateSecretRequest::new(name, "v1", SecretBytes::new(b"s3cret".to_vec()));
    req.encryption_key = key.map(str::to_string);
    kms.create_secret(&admin(), req).await.unwrap();
}

#[tokio::test]
async fn secrets_by_identity_policy_secret_policy_and_customer_key() {
    let kms = kms().await;
    secret(&kms, "db/x", None).await;
    secret(&kms, "other", None).await;
    let app = principal(&kms, "app", Some(&allow(r#""kms:GetSecretValue""#, r#""acs:kms:*:*:secret/db/*""#))).await;
    assert_eq!(kms.get_secret_value(&app, "db/x", None, None).await.unwrap().data.expose(), b"s3cret");
    assert_eq!(
        forbidden(kms.get_secret_value(&app, "other", None, None).await, "kms:GetSecretValue"),
        kms.secret_arn("other")
    );
    forbidden(kms.describe_secret(&app, "db/x", false).await, "kms:DescribeSecret");

    // A secret policy naming the user, no identity policy.
    let bob = principal(&kms, "bob", None).await;
    let doc = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Principal":{{"RAM":["acs:ram::{ACCOUNT}:user/bob"]}},"Action":"kms:GetSecretValue","Resource":"*"}}]}}"#
    );
    forbidden(kms.get_secret_value(&bob, "other", None, None).await, "kms:GetSecretValue");
    kms.set_secret_policy(&admin(), "other", None, &doc).await.unwrap();
    kms.get_secret_value(&bob, "other", None, None).await.unwrap();
    assert!(matches!(
        kms.set_secret_policy(&admin(), "other", None, r#"{"Version":"1","Statement":[{"Effect":"Allow"}]}"#).await,
        Err(Error::InvalidParameter { name: "Policy", .. })
    ));

    // Under a key of the caller's choice, reading also needs kms:Decrypt on that key.
    let k = key(&kms).await;
    secret(&kms, "db/own", Some(&k)).await;
    assert_eq!(forbidden(kms.get_secret_value(&app, "db/own", None, None).await, "kms:Decrypt"), kms.key_arn(&k));
    let both = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"kms:GetSecretValue","Resource":"acs:kms:*:*:secret/db/*"}},
            {{"Effect":"Allow","Action":"kms:Decrypt","Resource":"{}"}}]}}"#,
        kms.key_arn(&k)
    );
    let carol = principal(&kms, "carol", Some(&both)).await;
    kms.get_secret_value(&carol, "db/own", None, None).await.unwrap();
}

#[tokio::test]
async fn a_restricted_user_creating_a_secret_gets_the_service_key_made_for_it() {
    let kms = kms().await;
    let app = principal(&kms, "app", Some(&allow(r#"["kms:CreateSecret","kms:GetSecretValue"]"#, r#""*""#))).await;
    let req = CreateSecretRequest::new("first", "v1", SecretBytes::new(b"value".to_vec()));
    kms.create_secret(&app, req).await.unwrap();
    assert_eq!(kms.get_secret_value(&app, "first", None, None).await.unwrap().data.expose(), b"value");
}

#[tokio::test]
async fn attached_policy_changes_are_seen_after_the_cache_is_forgotten() {
    let kms = Arc::new(kms().await);
    let k = key(&kms).await;
    let app = principal(&kms, "app", Some(&allow(r#""kms:Encrypt""#, r#""*""#))).await;
    kms.encrypt(&app, &k, b"x", None).await.unwrap();
    kms.store().detach_policy("app", "app-policy").await.unwrap();
    // Cached for up to the TTL; an administrative change through this node forgets it at once.
    kms.encrypt(&app, &k, b"x", None).await.unwrap();
    kms.forget_principal_policies(Some("app"));
    forbidden(kms.encrypt(&app, &k, b"x", None).await, "kms:Encrypt");
}

#[tokio::test]
async fn a_stored_policy_that_no_longer_parses_fails_closed_for_users_only() {
    let kms = kms().await;
    secret(&kms, "legacy", None).await;
    // Stored before policies were checked.
    let mut rec = kms.store().get_secret("legacy").await.unwrap().unwrap();
    rec.policy = r#"{"Version":"1","Statement":"nonsense"}"#.into();
    kms.store().update_secret(&rec, &[], &[]).await.unwrap();
    let app = principal(&kms, "app", Some(&allow(r#""kms:*""#, r#""*""#))).await;
    assert!(matches!(kms.get_secret_value(&app, "legacy", None, None).await, Err(Error::Internal(_))));
    kms.get_secret_value(&admin(), "legacy", None, None).await.unwrap();
}
