//! Tests of the secret operations together, over the in-memory store with a manual clock:
//! stages, version rolling, idempotent puts, the recovery window, the encryption key's state,
//! ciphertext binding, the default key, instances, the secret cache.

use std::sync::Arc;

use keyward_crypto::SecretBytes;

use crate::Error;
use crate::clock::ManualClock;
use crate::model::{InstanceKind, InstanceRecord, KeyState, SecretDataType, SecretType, Tag};
use crate::ops::Page;
use crate::ops::create_key::CreateKeyRequest;
use crate::ops::create_secret::CreateSecretRequest;
use crate::ops::list_secrets::SecretFilter;
use crate::ops::secrets::{DEFAULT_KEY_META, parse_secret_type};
use crate::ops::testkit::{admin, kms, kms_with_clock};
use crate::service::Kms;

fn data(s: &str) -> SecretBytes {
    SecretBytes::from_slice(s.as_bytes())
}

async fn create(kms: &Kms, name: &str, value: &str) {
    kms.create_secret(&admin(), CreateSecretRequest::new(name, "v1", data(value))).await.unwrap();
}

async fn put(kms: &Kms, name: &str, version: &str, value: &str, stages: Option<&[&str]>) -> Result<Vec<String>, Error> {
    let stages = stages.map(|s| s.iter().map(|x| x.to_string()).collect());
    kms.put_secret_value(&admin(), name, version, data(value), SecretDataType::Text, stages).await.map(|r| r.stages)
}

async fn value(kms: &Kms, name: &str, version: Option<&str>, stage: Option<&str>) -> Result<String, Error> {
    let v = kms.get_secret_value(&admin(), name, version, stage).await?;
    Ok(String::from_utf8(v.data.expose().to_vec()).unwrap())
}

/// `(version id, stages)` of every version, oldest first, as the store holds them.
async fn stages(kms: &Kms, name: &str) -> Vec<(String, Vec<String>)> {
    kms.store().list_secret_versions(name).await.unwrap().into_iter().map(|v| (v.version_id, v.stages)).collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[tokio::test]
async fn create_and_read_with_the_default_key_made_once() {
    let kms = kms().await;
    assert!(kms.store().get_meta(DEFAULT_KEY_META).await.unwrap().is_none());
    let a = kms.create_secret(&admin(), CreateSecretRequest::new("db/a", "v1", data("pw-a"))).await.unwrap();
    let b = kms.create_secret(&admin(), CreateSecretRequest::new("db/b", "v1", data("pw-b"))).await.unwrap();
    assert_eq!(a.secret.encryption_key_id, b.secret.encryption_key_id);
    let meta = kms.store().get_meta(DEFAULT_KEY_META).await.unwrap().unwrap();
    assert_eq!(meta, a.secret.encryption_key_id.as_bytes());
    let key = kms.describe_key(&admin(), &a.secret.encryption_key_id).await.unwrap();
    assert!(key.description.contains("secrets") && key.deletion_protection.enabled);
    assert_eq!(kms.store().list_keys().await.unwrap().len(), 1, "one default key, not one per secret");

    assert_eq!(value(&kms, "db/a", None, None).await.unwrap(), "pw-a");
    assert_eq!(value(&kms, &kms.secret_arn("db/b"), Some("v1"), Some("ACSCurrent")).await.unwrap(), "pw-b");
    let v = kms.get_secret_value(&admin(), "db/a", None, None).await.unwrap();
    assert_eq!(
        (v.version_id.as_str(), v.stages.clone(), v.secret_type),
        ("v1", s(&["ACSCurrent"]), SecretType::Generic)
    );
    assert!(!format!("{v:?}").contains("pw-a"), "Debug must not show the data");

    // The stored row is a ciphertext under the key, not the value.
    let row = &kms.store().list_secret_versions("db/a").await.unwrap()[0];
    assert!(!row.ciphertext.windows(4).any(|w| w == b"pw-a"));

    assert!(matches!(
        kms.create_secret(&admin(), CreateSecretRequest::new("db/a", "v9", data("x"))).await,
        Err(Error::AlreadyExists(_))
    ));
    assert!(matches!(value(&kms, "nope", None, None).await, Err(Error::SecretNotFound)));
    assert!(matches!(value(&kms, "db/a", Some("v9"), None).await, Err(Error::SecretVersionNotFound(_))));
    assert!(matches!(value(&kms, "db/a", None, Some("Custom")).await, Err(Error::SecretVersionNotFound(_))));
}

#[tokio::test]
async fn concurrent_first_use_agrees_on_one_default_key() {
    let kms = Arc::new(kms().await);
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let kms = kms.clone();
            tokio::spawn(async move {
                kms.create_secret(&admin(), CreateSecretRequest::new(format!("s{i}"), "v1", data("x"))).await.unwrap()
            })
        })
        .collect();
    let mut keys = Vec::new();
    for t in tasks {
        keys.push(t.await.unwrap().secret.encryption_key_id);
    }
    keys.dedup();
    assert_eq!(keys.len(), 1);
    assert_eq!(kms.store().list_keys().await.unwrap().len(), 1, "losers delete the key they made");
}

#[tokio::test]
async fn put_moves_current_and_previous_and_custom_stages() {
    let kms = kms().await;
    create(&kms, "app", "one").await;
    assert_eq!(put(&kms, "app", "v2", "two", None).await.unwrap(), s(&["ACSCurrent"]));
    assert_eq!(stages(&kms, "app").await, vec![("v1".into(), s(&["ACSPrevious"])), ("v2".into(), s(&["ACSCurrent"]))]);
    assert_eq!(
        put(&kms, "app", "v3", "three", Some(&["ACSCurrent", "Blue"])).await.unwrap(),
        s(&["ACSCurrent", "Blue"])
    );
    assert_eq!(
        stages(&kms, "app").await,
        vec![("v1".into(), vec![]), ("v2".into(), s(&["ACSPrevious"])), ("v3".into(), s(&["ACSCurrent", "Blue"]))]
    );
    // A custom stage alone does not touch ACSCurrent; it leaves its former holder.
    assert_eq!(put(&kms, "app", "v4", "four", Some(&["Blue"])).await.unwrap(), s(&["Blue"]));
    assert_eq!(value(&kms, "app", None, None).await.unwrap(), "three");
    assert_eq!(value(&kms, "app", None, Some("Blue")).await.unwrap(), "four");
    assert_eq!(value(&kms, "app", None, Some("ACSPrevious")).await.unwrap(), "two");
    assert_eq!(value(&kms, "app", Some("v1"), None).await.unwrap(), "one", "versions without stages stay readable");
    assert!(matches!(value(&kms, "app", Some("v4"), Some("ACSCurrent")).await, Err(Error::InvalidRequest(_))));
    assert!(matches!(
        put(&kms, "app", "v5", "x", Some(&["ACSCurrent", "ACSPrevious"])).await,
        Err(Error::InvalidParameter { name: "VersionStages", .. })
    ));
    assert!(matches!(
        put(&kms, "app", "bad id", "x", None).await,
        Err(Error::InvalidParameter { name: "VersionId", .. })
    ));
    assert!(matches!(put(&kms, "nope", "v1", "x", None).await, Err(Error::SecretNotFound)));
}

#[tokio::test]
async fn put_is_idempotent_per_version_id() {
    let kms = kms().await;
    create(&kms, "app", "one").await;
    put(&kms, "app", "v2", "two", None).await.unwrap();
    let before = kms.store().get_secret("app").await.unwrap().unwrap();
    assert_eq!(put(&kms, "app", "v2", "two", None).await.unwrap(), s(&["ACSCurrent"]));
    assert_eq!(put(&kms, "app", "v1", "one", None).await.unwrap(), s(&["ACSPrevious"]), "no change, its stages");
    assert_eq!(kms.store().get_secret("app").await.unwrap().unwrap(), before, "nothing written");
    assert!(matches!(put(&kms, "app", "v2", "other", None).await, Err(Error::AlreadyExists(_))));
    assert!(matches!(put(&kms, "app", "v2", "tw", None).await, Err(Error::AlreadyExists(_))));
    put(&kms, "app", "v3", "abcd", None).await.unwrap();
    let binary = kms.put_secret_value(&admin(), "app", "v3", data("abcd"), SecretDataType::Binary, None).await;
    assert!(matches!(binary, Err(Error::AlreadyExists(_))), "same bytes, other data type");
}

#[tokio::test]
async fn versions_roll_at_ten_dropping_the_oldest_without_stages() {
    let kms = kms().await;
    create(&kms, "app", "v1").await;
    for i in 2..=12 {
        put(&kms, "app", &format!("v{i}"), &format!("value {i}"), None).await.unwrap();
    }
    let ids: Vec<String> = stages(&kms, "app").await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, (3..=12).map(|i| format!("v{i}")).collect::<Vec<_>>());

    // Give every version a stage: the next put cannot drop any.
    for i in 3..=10 {
        kms.update_secret_version_stage(&admin(), "app", &format!("S{i}"), None, Some(&format!("v{i}"))).await.unwrap();
    }
    let r = put(&kms, "app", "v13", "x", Some(&["New"])).await;
    assert!(matches!(r, Err(Error::LimitExceeded(_))), "{r:?}");
    assert_eq!(stages(&kms, "app").await.len(), 10, "nothing written");
    // Freeing one version makes room again; the freed one goes.
    kms.update_secret_version_stage(&admin(), "app", "S5", Some("v5"), None).await.unwrap();
    put(&kms, "app", "v13", "x", Some(&["New"])).await.unwrap();
    let ids: Vec<String> = stages(&kms, "app").await.into_iter().map(|(id, _)| id).collect();
    assert!(!ids.contains(&"v5".to_string()) && ids.contains(&"v13".to_string()) && ids.len() == 10);
}

#[tokio::test]
async fn update_version_stage_adds_removes_and_moves() {
    let kms = kms().await;
    create(&kms, "app", "one").await;
    put(&kms, "app", "v2", "two", None).await.unwrap();
    put(&kms, "app", "v3", "three", Some(&[])).await.unwrap();
    let up = |stage: &'static str, rm: Option<&'static str>, mv: Option<&'static str>| {
        let kms = &kms;
        async move { kms.update_secret_version_stage(&admin(), "app", stage, rm, mv).await }
    };
    // Add a custom stage to a version, move it, remove it.
    up("Blue", None, Some("v3")).await.unwrap();
    assert!(matches!(up("Blue", None, Some("v1")).await, Err(Error::InvalidRequest(_))), "holder not named");
    up("Blue", Some("v3"), Some("v1")).await.unwrap();
    assert_eq!(value(&kms, "app", None, Some("Blue")).await.unwrap(), "one");
    assert!(matches!(up("Blue", Some("v2"), None).await, Err(Error::InvalidRequest(_))), "param mismatch");
    up("Blue", Some("v1"), None).await.unwrap();
    assert!(matches!(value(&kms, "app", None, Some("Blue")).await, Err(Error::SecretVersionNotFound(_))));
    // ACSCurrent and ACSPrevious can be moved, never removed.
    assert!(matches!(up("ACSCurrent", Some("v2"), None).await, Err(Error::InvalidParameter { .. })));
    assert!(matches!(up("ACSPrevious", Some("v1"), None).await, Err(Error::InvalidParameter { .. })));
    // Moving ACSCurrent puts ACSPrevious on the former holder.
    up("ACSCurrent", Some("v2"), Some("v3")).await.unwrap();
    assert_eq!(
        stages(&kms, "app").await,
        vec![("v1".into(), vec![]), ("v2".into(), s(&["ACSPrevious"])), ("v3".into(), s(&["ACSCurrent"]))]
    );
    // Rolling back.
    up("ACSCurrent", Some("v3"), Some("v2")).await.unwrap();
    assert_eq!(value(&kms, "app", None, None).await.unwrap(), "two");
    assert_eq!(value(&kms, "app", None, Some("ACSPrevious")).await.unwrap(), "three");
    // Unknown versions, missing targets.
    assert!(matches!(up("ACSCurrent", Some("v2"), Some("v9")).await, Err(Error::SecretVersionNotFound(_))));
    assert!(matches!(up("X", Some("v9"), None).await, Err(Error::SecretVersionNotFound(_))));
    assert!(matches!(up("X", None, None).await, Err(Error::InvalidParameter { .. })));
    assert!(matches!(up("X", Some("v1"), Some("v1")).await, Err(Error::InvalidParameter { .. })));
    assert!(matches!(
        kms.update_secret_version_stage(&admin(), "nope", "X", None, Some("v1")).await,
        Err(Error::SecretNotFound)
    ));
}

#[tokio::test]
async fn recovery_window_restore_purge_and_force() {
    let clock = ManualClock::new();
    let kms = kms_with_clock(clock.clone()).await;
    create(&kms, "gone", "x").await;
    create(&kms, "kept", "y").await;
    let (name, planned) = kms.delete_secret(&admin(), "gone", false, Some(7)).await.unwrap();
    assert_eq!((name.as_str(), planned), ("gone", kms.now() + 7 * 86_400));

    // In the window: reads and writes refused; describe, list, versions and restore work.
    assert!(matches!(value(&kms, "gone", None, None).await, Err(Error::SecretInDeleteWindow)));
    assert!(matches!(put(&kms, "gone", "v2", "z", None).await, Err(Error::SecretInDeleteWindow)));
    assert!(matches!(
        kms.update_secret(&admin(), "gone", Some("d".into()), false).await,
        Err(Error::SecretInDeleteWindow)
    ));
    assert!(matches!(kms.get_secret_policy(&admin(), "gone", None).await, Err(Error::SecretInDeleteWindow)));
    assert!(matches!(kms.delete_secret(&admin(), "gone", false, None).await, Err(Error::SecretInDeleteWindow)));
    assert!(matches!(
        kms.create_secret(&admin(), CreateSecretRequest::new("gone", "v1", data("new"))).await,
        Err(Error::SecretInDeleteWindow)
    ));
    let d = kms.describe_secret(&admin(), "gone", false).await.unwrap();
    assert_eq!(d.secret.planned_delete, Some(planned));
    let page = Page { number: 1, size: 10 };
    assert_eq!(kms.list_secrets(&admin(), &[], page).await.unwrap().total, 2);
    assert_eq!(kms.list_secret_version_ids(&admin(), "gone", false, page).await.unwrap().1.total, 1);

    assert!(matches!(kms.restore_secret(&admin(), "kept").await, Err(Error::SecretNotInDeleteWindow)));
    kms.restore_secret(&admin(), "gone").await.unwrap();
    assert_eq!(value(&kms, "gone", None, None).await.unwrap(), "x");

    // Purged only after the window.
    kms.delete_secret(&admin(), "gone", false, Some(7)).await.unwrap();
    assert!(kms.purge_due_secrets(kms.now()).await.unwrap().is_empty());
    clock.advance_ms(7 * 86_400 * 1000);
    // Past the window it is gone at once, before the job runs.
    assert!(matches!(kms.describe_secret(&admin(), "gone", false).await, Err(Error::SecretNotFound)));
    assert!(matches!(kms.restore_secret(&admin(), "gone").await, Err(Error::SecretNotFound)));
    assert_eq!(kms.list_secrets(&admin(), &[], page).await.unwrap().total, 1);
    assert_eq!(kms.purge_due_secrets(kms.now()).await.unwrap(), vec!["gone".to_string()]);
    assert!(kms.store().get_secret("gone").await.unwrap().is_none());
    assert!(kms.store().list_secret_versions("gone").await.unwrap().is_empty());
    create(&kms, "gone", "reborn").await;
    assert_eq!(value(&kms, "gone", None, None).await.unwrap(), "reborn");

    // Force: now, also from inside the window; never combined with a window.
    assert!(matches!(
        kms.delete_secret(&admin(), "kept", true, Some(7)).await,
        Err(Error::InvalidParameter { name: "RecoveryWindowInDays", .. })
    ));
    for bad in [6, 31] {
        assert!(kms.delete_secret(&admin(), "kept", false, Some(bad)).await.is_err());
    }
    kms.delete_secret(&admin(), "kept", false, None).await.unwrap();
    let (_, at) = kms.delete_secret(&admin(), "kept", true, None).await.unwrap();
    assert_eq!(at, kms.now());
    assert!(kms.store().get_secret("kept").await.unwrap().is_none());
    assert!(matches!(kms.delete_secret(&admin(), "kept", true, None).await, Err(Error::SecretNotFound)));
}

#[tokio::test]
async fn a_disabled_key_makes_its_secrets_unreadable_until_enabled() {
    let kms = kms().await;
    let key = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
    kms.create_alias(&admin(), "alias/secrets", &key.key_id).await.unwrap();
    let mut req = CreateSecretRequest::new("app", "v1", data("pw"));
    req.encryption_key = Some("alias/secrets".into());
    let created = kms.create_secret(&admin(), req).await.unwrap();
    assert_eq!(created.secret.encryption_key_id, key.key_id, "stored resolved");

    kms.disable_key(&admin(), &key.key_id).await.unwrap();
    match value(&kms, "app", None, None).await {
        Err(Error::SecretKeyState { key_id, state }) => {
            assert_eq!((key_id, state), (key.key_id.clone(), KeyState::Disabled))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(put(&kms, "app", "v2", "x", None).await, Err(Error::SecretKeyState { .. })));
    let mut req = CreateSecretRequest::new("other", "v1", data("pw"));
    req.encryption_key = Some(key.key_id.clone());
    assert!(matches!(kms.create_secret(&admin(), req).await, Err(Error::KeyState(KeyState::Disabled))));
    kms.enable_key(&admin(), &key.key_id).await.unwrap();
    assert_eq!(value(&kms, "app", None, None).await.unwrap(), "pw");

    kms.schedule_key_deletion(&admin(), &key.key_id, 7).await.unwrap();
    assert!(matches!(
        value(&kms, "app", None, None).await,
        Err(Error::SecretKeyState { state: KeyState::PendingDeletion, .. })
    ));
}

#[tokio::test]
async fn encryption_keys_must_be_symmetric_and_exist() {
    let kms = kms().await;
    let ec = kms
        .create_key(&admin(), CreateKeyRequest { spec: Some(crate::model::KeySpec::EcP256), ..Default::default() })
        .await
        .unwrap();
    let mut req = CreateSecretRequest::new("app", "v1", data("pw"));
    req.encryption_key = Some(ec.key_id);
    assert!(matches!(
        kms.create_secret(&admin(), req).await,
        Err(Error::InvalidParameter { name: "EncryptionKeyId", .. })
    ));
    let mut req = CreateSecretRequest::new("app", "v1", data("pw"));
    req.encryption_key = Some("11111111-2222-4333-8444-555555555555".into());
    assert!(matches!(kms.create_secret(&admin(), req).await, Err(Error::KeyNotFound)));
}

#[tokio::test]
async fn ciphertexts_are_bound_to_their_secret_and_version() {
    let kms = kms().await;
    create(&kms, "a", "secret-a").await;
    put(&kms, "a", "v2", "secret-a2", None).await.unwrap();
    create(&kms, "b", "secret-b").await;
    let a = kms.store().list_secret_versions("a").await.unwrap();
    let b = kms.store().get_secret("b").await.unwrap().unwrap();
    let mut b_versions = kms.store().list_secret_versions("b").await.unwrap();
    // Copy a's v1 ciphertext into b's v1 row (same key!): it must not open.
    b_versions[0].ciphertext = a[0].ciphertext.clone();
    kms.store().update_secret(&b, &b_versions, &[]).await.unwrap();
    // And a's v1 ciphertext into a's v2 row.
    let a_rec = kms.store().get_secret("a").await.unwrap().unwrap();
    let mut moved = a[1].clone();
    moved.ciphertext = a[0].ciphertext.clone();
    kms.store().update_secret(&a_rec, &[moved], &[]).await.unwrap();
    kms.invalidate_secret("a");
    kms.invalidate_secret("b");
    assert!(matches!(value(&kms, "b", None, None).await, Err(Error::Internal(_))));
    assert!(matches!(value(&kms, "a", Some("v2"), None).await, Err(Error::Internal(_))));
    assert_eq!(value(&kms, "a", Some("v1"), None).await.unwrap(), "secret-a");
    // Nor does Decrypt open a secret's ciphertext, with or without a context.
    assert!(matches!(kms.decrypt(&admin(), &a[0].ciphertext, None).await, Err(Error::InvalidCiphertext)));
    let ctx = Some(r#"{"SecretName":"a","VersionId":"v1"}"#);
    assert!(matches!(kms.decrypt(&admin(), &a[0].ciphertext, ctx).await, Err(Error::InvalidCiphertext)));
}

#[tokio::test]
async fn reads_come_from_the_cache_and_writes_invalidate_it() {
    let kms = kms().await;
    create(&kms, "app", "one").await;
    assert_eq!(value(&kms, "app", None, None).await.unwrap(), "one");
    // Remove the rows behind the service's back: the cached (sealed) copy still answers, so the
    // read made no store round trip.
    kms.store().delete_secret("app").await.unwrap();
    assert_eq!(value(&kms, "app", None, None).await.unwrap(), "one");
    // A write through this node invalidates at once.
    create(&kms, "app", "two").await;
    assert_eq!(value(&kms, "app", None, None).await.unwrap(), "two");
    put(&kms, "app", "v2", "three", None).await.unwrap();
    assert_eq!(value(&kms, "app", None, None).await.unwrap(), "three");
    kms.delete_secret(&admin(), "app", false, None).await.unwrap();
    assert!(matches!(value(&kms, "app", None, None).await, Err(Error::SecretInDeleteWindow)));
}

#[tokio::test]
async fn data_types_sizes_names_and_managed_features() {
    let kms = kms().await;
    let mut req = CreateSecretRequest::new("bin", "v1", data("aGVsbG8="));
    req.data_type = SecretDataType::Binary;
    kms.create_secret(&admin(), req).await.unwrap();
    let v = kms.get_secret_value(&admin(), "bin", None, None).await.unwrap();
    assert_eq!((v.data.expose(), v.data_type), (&b"aGVsbG8="[..], SecretDataType::Binary), "returned as given");
    let mut req = CreateSecretRequest::new("bin2", "v1", data("not base64!"));
    req.data_type = SecretDataType::Binary;
    assert!(matches!(kms.create_secret(&admin(), req).await, Err(Error::InvalidParameter { name: "SecretData", .. })));
    let big = "x".repeat(30_721);
    assert!(matches!(
        kms.create_secret(&admin(), CreateSecretRequest::new("big", "v1", data(&big))).await,
        Err(Error::InvalidParameter { name: "SecretData", .. })
    ));
    kms.create_secret(&admin(), CreateSecretRequest::new("big", "v1", data(&big[1..]))).await.unwrap();
    for bad in ["acs/x", "a b", ""] {
        let r = kms.create_secret(&admin(), CreateSecretRequest::new(bad, "v1", data("x"))).await;
        assert!(matches!(r, Err(Error::InvalidParameter { name: "SecretName", .. })), "{bad}");
    }
    let mut req = CreateSecretRequest::new("desc", "v1", data("x"));
    req.description = "d".repeat(1025);
    assert!(matches!(kms.create_secret(&admin(), req).await, Err(Error::InvalidParameter { name: "Description", .. })));

    assert_eq!(parse_secret_type("Generic").unwrap(), SecretType::Generic);
    for managed in ["Rds", "Redis", "RAMCredentials", "ECS", "PolarDB"] {
        assert!(matches!(parse_secret_type(managed), Err(Error::UnsupportedOperation(m)) if m.contains("Generic")));
    }
    assert!(matches!(parse_secret_type("generic"), Err(Error::InvalidParameter { name: "SecretType", .. })));
    let mut req = CreateSecretRequest::new("rot", "v1", data("x"));
    req.enable_automatic_rotation = true;
    assert!(matches!(kms.create_secret(&admin(), req).await, Err(Error::UnsupportedOperation(_))));

    assert!(matches!(kms.rotate_secret(&admin(), "bin", "v2").await, Err(Error::UnsupportedOperation(_))));
    assert!(matches!(kms.rotate_secret(&admin(), "nope", "v2").await, Err(Error::SecretNotFound)));
    assert!(matches!(kms.update_secret_rotation_policy(&admin(), "bin").await, Err(Error::UnsupportedOperation(_))));
    assert!(matches!(kms.update_secret_rotation_policy(&admin(), "nope").await, Err(Error::SecretNotFound)));
    assert!(matches!(kms.update_secret(&admin(), "bin", None, true).await, Err(Error::UnsupportedOperation(_))));
    assert!(matches!(kms.update_secret(&admin(), "nope", None, true).await, Err(Error::SecretNotFound)));
    kms.update_secret(&admin(), "bin", Some("new description".into()), false).await.unwrap();
    assert_eq!(kms.describe_secret(&admin(), "bin", false).await.unwrap().secret.description, "new description");
}

#[tokio::test]
async fn instances_keys_and_quotas() {
    let kms = kms().await;
    let inst = InstanceRecord {
        instance_id: "kst-test".into(),
        name: "t".into(),
        kind: InstanceKind::Software,
        spec_qps: 1000,
        key_quota: 10,
        secret_quota: 2,
        creation_date: kms.now(),
    };
    kms.store().create_instance(&inst).await.unwrap();
    let ikey = kms
        .create_key(&admin(), CreateKeyRequest { instance_id: Some("kst-test".into()), ..Default::default() })
        .await
        .unwrap();
    let plain_key = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
    let req = |name: &str, inst: Option<&str>, key: Option<&str>| {
        let mut r = CreateSecretRequest::new(name, "v1", data("x"));
        r.instance_id = inst.map(str::to_string);
        r.encryption_key = key.map(str::to_string);
        r
    };
    assert!(matches!(
        kms.create_secret(&admin(), req("a", Some("kst-nope"), Some(&ikey.key_id))).await,
        Err(Error::InstanceNotFound)
    ));
    assert!(matches!(
        kms.create_secret(&admin(), req("a", Some("kst-test"), None)).await,
        Err(Error::InvalidParameter { name: "EncryptionKeyId", .. })
    ));
    assert!(matches!(
        kms.create_secret(&admin(), req("a", Some("kst-test"), Some(&plain_key.key_id))).await,
        Err(Error::InvalidParameter { name: "EncryptionKeyId", .. })
    ));
    let a = kms.create_secret(&admin(), req("a", Some("kst-test"), Some(&ikey.key_id))).await.unwrap();
    assert_eq!(a.secret.instance_id.as_deref(), Some("kst-test"));
    // A key in an instance puts the secret there, DKMSInstanceId or not; the quota counts it.
    let b = kms.create_secret(&admin(), req("b", None, Some(&ikey.key_id))).await.unwrap();
    assert_eq!(b.secret.instance_id.as_deref(), Some("kst-test"));
    assert!(matches!(
        kms.create_secret(&admin(), req("c", None, Some(&ikey.key_id))).await,
        Err(Error::LimitExceeded(m)) if m.contains("secret quota")
    ));
    let d = kms.create_secret(&admin(), req("d", None, Some(&plain_key.key_id))).await.unwrap();
    assert_eq!(d.secret.instance_id, None);
}

#[tokio::test]
async fn list_filters_pages_and_versions() {
    let kms = kms().await;
    for (name, desc) in [("db/prod", "production database"), ("db/test", "test database"), ("api/token", "")] {
        let mut req = CreateSecretRequest::new(name, "v1", data("x"));
        req.description = desc.into();
        if name == "db/prod" {
            req.tags = vec![Tag { key: "env".into(), value: "prod".into() }];
        }
        kms.create_secret(&admin(), req).await.unwrap();
    }
    let page = Page { number: 1, size: 10 };
    let names = |f: Vec<SecretFilter>| {
        let kms = &kms;
        async move {
            let r = kms.list_secrets(&admin(), &f, page).await.unwrap();
            r.items.into_iter().map(|l| l.secret.secret_name).collect::<Vec<_>>()
        }
    };
    assert_eq!(names(vec![]).await.len(), 3);
    assert_eq!(names(vec![SecretFilter::Name(s(&["db/"]))]).await, s(&["db/prod", "db/test"]));
    assert_eq!(names(vec![SecretFilter::Name(s(&["token", "prod"]))]).await, s(&["api/token", "db/prod"]));
    assert_eq!(
        names(vec![SecretFilter::Name(s(&["db"])), SecretFilter::Description(s(&["test"]))]).await,
        s(&["db/test"])
    );
    assert_eq!(names(vec![SecretFilter::TagKey(s(&["env"]))]).await, s(&["db/prod"]));
    assert_eq!(names(vec![SecretFilter::TagValue(s(&["dev"]))]).await, Vec::<String>::new());
    assert_eq!(names(vec![SecretFilter::Type(vec![SecretType::Generic])]).await.len(), 3);
    assert_eq!(names(vec![SecretFilter::Creator(s(&["1000000000000000"]))]).await.len(), 3);
    assert_eq!(names(vec![SecretFilter::Instance(s(&["kst-x"]))]).await.len(), 0);
    let listed = kms.list_secrets(&admin(), &[], Page { number: 2, size: 2 }).await.unwrap();
    assert_eq!((listed.total, listed.items.len()), (3, 1));
    let prod = kms.list_secrets(&admin(), &[SecretFilter::TagKey(s(&["env"]))], page).await.unwrap();
    assert_eq!(prod.items[0].tags, vec![Tag { key: "env".into(), value: "prod".into() }]);
    let d = kms.describe_secret(&admin(), "db/prod", true).await.unwrap();
    assert_eq!(d.tags.len(), 1);

    put(&kms, "api/token", "v2", "y", None).await.unwrap();
    put(&kms, "api/token", "v3", "z", None).await.unwrap();
    let (name, staged) = kms.list_secret_version_ids(&admin(), "api/token", false, page).await.unwrap();
    assert_eq!(name, "api/token");
    assert_eq!(staged.items.iter().map(|v| v.version_id.as_str()).collect::<Vec<_>>(), ["v2", "v3"]);
    let (_, all) = kms.list_secret_version_ids(&admin(), "api/token", true, Page { number: 1, size: 2 }).await.unwrap();
    assert_eq!((all.total, all.items.len()), (3, 2));
}

#[tokio::test]
async fn policies_default_and_set() {
    let kms = kms().await;
    create(&kms, "app", "x").await;
    let p = kms.get_secret_policy(&admin(), "app", None).await.unwrap();
    assert!(p.contains("acs:ram::1000000000000000:*") && p.contains("\"Effect\":\"Allow\""));
    kms.set_secret_policy(&admin(), "app", Some("default"), r#"{"Version":"1","Statement":[]}"#).await.unwrap();
    assert_eq!(
        kms.get_secret_policy(&admin(), "app", Some("default")).await.unwrap(),
        r#"{"Version":"1","Statement":[]}"#
    );
    assert!(matches!(
        kms.get_secret_policy(&admin(), "app", Some("other")).await,
        Err(Error::InvalidParameter { name: "PolicyName", .. })
    ));
    let empty = r#"{"Version":"1","Statement":[]}"#;
    assert!(matches!(kms.set_secret_policy(&admin(), "nope", None, empty).await, Err(Error::SecretNotFound)));
    // Documents are checked as RAM resource policies.
    for bad in ["{}", r#"{"Version":"1","Statement":[{"Effect":"Deny"}]}"#] {
        assert!(matches!(
            kms.set_secret_policy(&admin(), "app", None, bad).await,
            Err(Error::InvalidParameter { name: "Policy", .. })
        ));
        let mut req = CreateSecretRequest::new("bad-policy", "v1", data("x"));
        req.policy = Some(bad.into());
        assert!(matches!(kms.create_secret(&admin(), req).await, Err(Error::InvalidParameter { name: "Policy", .. })));
    }
    let mut req = CreateSecretRequest::new("with-policy", "v1", data("x"));
    req.policy = Some(
        r#"{"Version":"1","Statement":[{"Effect":"Deny","Principal":"*","Action":"kms:DeleteSecret","Resource":"*"}]}"#
            .into(),
    );
    kms.create_secret(&admin(), req).await.unwrap();
    assert!(kms.get_secret_policy(&admin(), "with-policy", None).await.unwrap().contains("Deny"));
}
