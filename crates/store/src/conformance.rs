//! The conformance suite every [`Store`] backend must pass (feature `conformance`).
//!
//! [`run_all`] exercises every method of the trait: round trips of every field (`None` and
//! `Some`, every enum variant, tags, sealed bytes), `AlreadyExists` on duplicates, optimistic
//! concurrency (`Conflict` on a stale revision and on a deleted key, revision increments),
//! cascading deletes, the deletion sweep query, instance quotas (including concurrent
//! creators), list ordering, AccessKey administration, metadata write-once semantics, the
//! Bring-Your-Own-Key parts: version fingerprints, atomic material updates, the material-expiry
//! sweep query and import tokens (expiry, ordering, cascade with their key), and rotation, tags
//! and aliases: atomic version additions (revision rule, instance quota, also under
//! concurrency), the rotation sweep query, the owner of a version id, tag upserts with their limit, tag removal and the
//! all-tags listing, and aliases (round trips, the order of `AlreadyExists` / `QuotaExceeded` /
//! `Conflict`, the global alias quota, also under concurrency, repointing, byte-ordered
//! listings, cascade with their key), and secrets: round trips of every field (both data types,
//! a 30720-byte ciphertext, stages in order, Chinese and `/+=.@-` in case-sensitive names),
//! `AlreadyExists` on a taken name (also one pending deletion), the instance secret quota (also
//! under concurrency), `update_secret` (revision rule, versions put by id and deleted, `Conflict`
//! on a stale revision, a missing secret or another secret's version), versions by seq, lists by
//! creation then name, cascading deletes, the deletion sweep query, the per-instance count, and
//! secret tags (upserts with their limit, also under concurrency, removal, the all-tags listing,
//! kept apart from key tags), and authorization records: key policies (stored with the key by
//! `create_key`, set and replaced by `put_key_policy`, `Conflict` for a missing key, deleted with
//! the key), principals and identity policies (round trips, `AlreadyExists`, byte-ordered lists,
//! document updates, idempotent attachments, `Conflict` when attaching to a missing principal or
//! policy, deleting an attached policy (also racing an attachment) or a principal that still has
//! AccessKeys, attachments deleted with their principal). Every refused write is checked to have
//! written nothing.
//!
//! Checks panic on failure, like assertions in a test. Every id a run creates carries a fresh
//! random prefix and list results are filtered by it, so the suite can run again and again
//! against the same database, next to data from earlier runs.

use keyward_core::model::{
    AccessKeyRecord, AliasRecord, DeletionProtection, ImportTokenRecord, InstanceKind, InstanceRecord, KeyRecord,
    KeySpec, KeyState, KeyUsage, KeyVersionRecord, Origin, PolicyRecord, PrincipalRecord, ProtectionLevel, Rotation,
    SecretDataType, SecretRecord, SecretType, SecretVersionRecord, Tag,
};
use keyward_core::store::{NewKey, NewSecret, Store, StoreError};

/// Ids unique to one run of the suite.
struct Ids {
    run: String,
}

impl Ids {
    fn new() -> Self {
        Self { run: uuid::Uuid::new_v4().simple().to_string() }
    }

    /// An id unique to this run, named after `what`.
    fn id(&self, what: &str) -> String {
        format!("kw-{}-{what}", self.run)
    }
}

/// Runs every check against `store`; panics on the first failure.
pub async fn run_all(store: &dyn Store) {
    let ids = Ids::new();
    let backend = store.backend_name();
    macro_rules! check {
        ($name:ident) => {
            $name(store, &ids).await;
            eprintln!("conformance[{backend}]: {} ... ok", stringify!($name));
        };
    }
    check!(meta_put_if_absent);
    check!(key_round_trip_all_fields);
    check!(key_round_trip_optional_fields_absent);
    check!(key_round_trip_every_enum_variant);
    check!(key_version_material_variants);
    check!(key_tags_sorted_by_key);
    check!(create_key_duplicate_is_already_exists);
    check!(update_key_bumps_revision_and_replaces_fields);
    check!(update_key_stale_revision_conflicts);
    check!(update_key_missing_or_deleted_conflicts);
    check!(delete_key_cascades);
    check!(keys_due_for_deletion_selects_due_pending_keys);
    check!(count_instance_key_versions_counts_per_instance);
    check!(quota_enforced_and_nothing_written_on_failure);
    check!(quota_holds_under_concurrent_creation);
    check!(list_keys_ordered_by_creation_then_id);
    check!(instances_round_trip_duplicate_and_order);
    check!(access_keys_lifecycle);
    check!(key_version_fingerprint_round_trip);
    check!(update_key_material_sets_and_clears);
    check!(update_key_material_conflicts_change_nothing);
    check!(keys_with_expired_material_selects_expired_external_keys);
    check!(import_tokens_round_trip_and_duplicates);
    check!(import_tokens_live_listing_and_expiry_sweep);
    check!(import_tokens_deleted_with_their_key);
    check!(add_key_version_adds_and_replaces_key);
    check!(add_key_version_conflicts_change_nothing);
    check!(add_key_version_quota_enforced_and_nothing_written_on_failure);
    check!(add_key_version_quota_holds_under_concurrency);
    check!(keys_due_for_rotation_selects_due_keys_by_id);
    check!(key_id_for_version_finds_the_owner);
    check!(put_key_tags_upserts_within_the_limit);
    check!(put_key_tags_on_missing_key_conflicts);
    check!(put_key_tags_limit_holds_under_concurrency);
    check!(remove_key_tags_counts_removed);
    check!(list_all_key_tags_ordered_by_key_then_tag);
    check!(aliases_round_trip_and_refusals);
    check!(alias_quota_enforced_and_nothing_written_on_failure);
    check!(alias_quota_and_names_hold_under_concurrency);
    check!(update_and_delete_alias);
    check!(list_aliases_ordered_by_name_in_byte_order);
    check!(aliases_deleted_with_their_key);
    check!(secret_round_trip_all_fields);
    check!(secret_round_trip_optional_fields_absent);
    check!(create_secret_duplicate_is_already_exists);
    check!(update_secret_replaces_metadata_and_versions);
    check!(update_secret_conflicts_change_nothing);
    check!(list_secret_versions_ordered_by_seq);
    check!(delete_secret_cascades);
    check!(secrets_due_for_deletion_selects_due_secrets_by_name);
    check!(count_instance_secrets_counts_per_instance);
    check!(secret_quota_enforced_and_nothing_written_on_failure);
    check!(secret_quota_holds_under_concurrent_creation);
    check!(list_secrets_ordered_by_creation_then_name);
    check!(put_secret_tags_upserts_within_the_limit);
    check!(put_secret_tags_on_missing_secret_conflicts);
    check!(put_secret_tags_limit_holds_under_concurrency);
    check!(remove_secret_tags_counts_removed);
    check!(list_all_secret_tags_ordered_by_name_then_tag);
    check!(key_policy_stored_with_the_key);
    check!(put_key_policy_sets_replaces_and_conflicts);
    check!(key_policy_deleted_with_its_key);
    check!(principals_round_trip_duplicate_and_order);
    check!(policies_round_trip_update_and_order);
    check!(attach_policy_is_idempotent_and_listed);
    check!(attach_policy_to_missing_principal_or_policy_conflicts);
    check!(delete_policy_refused_while_attached);
    check!(delete_principal_refused_with_access_keys_and_cascades);
    check!(delete_policy_and_attach_never_both_succeed_under_concurrency);
    eprintln!("conformance[{backend}]: all checks passed");
}

// --- builders ---

/// A key with every optional field absent.
fn minimal_key(key_id: &str) -> KeyRecord {
    KeyRecord {
        key_id: key_id.to_owned(),
        description: String::new(),
        spec: KeySpec::Aes256,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::Kms,
        protection_level: ProtectionLevel::Software,
        state: KeyState::Enabled,
        creation_date: 1_700_000_000,
        delete_date: None,
        material_expire: None,
        primary_version: None,
        last_rotation: None,
        instance_id: None,
        rotation: Rotation::default(),
        deletion_protection: DeletionProtection::default(),
        creator: "1234567890".to_owned(),
        revision: 0,
    }
}

/// A key with every optional field present.
fn full_key(key_id: &str, instance_id: &str) -> KeyRecord {
    KeyRecord {
        key_id: key_id.to_owned(),
        description: format!("密钥 ✓ \"quoted\" 'single' \\ {}", "x".repeat(8000)),
        spec: KeySpec::Rsa3072,
        usage: KeyUsage::SignVerify,
        origin: Origin::External,
        protection_level: ProtectionLevel::Hsm,
        state: KeyState::PendingDeletion,
        creation_date: 1_700_000_001,
        delete_date: Some(1_700_604_801),
        material_expire: Some(i64::MAX),
        primary_version: Some("4a1b2c3d-0000-4000-8000-000000000001".to_owned()),
        last_rotation: Some(0),
        instance_id: Some(instance_id.to_owned()),
        rotation: Rotation { enabled: true, interval_secs: Some(7 * 86_400), next_rotation: Some(-1) },
        deletion_protection: DeletionProtection { enabled: true, description: "保护 protected".to_owned() },
        creator: "acs:ram::1234567890:user/alice".to_owned(),
        revision: 5,
    }
}

fn version(key_id: &str, n: u32, material: Option<Vec<u8>>) -> KeyVersionRecord {
    KeyVersionRecord {
        key_id: key_id.to_owned(),
        version_id: format!("00000000-0000-4000-8000-{n:012}"),
        creation_date: 1_700_000_000 + i64::from(n),
        sealed_material: material,
        material_fingerprint: None,
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag { key: key.to_owned(), value: value.to_owned() }
}

fn instance(instance_id: &str, key_quota: i64, creation_date: i64) -> InstanceRecord {
    InstanceRecord {
        instance_id: instance_id.to_owned(),
        name: format!("name of {instance_id}"),
        kind: InstanceKind::Software,
        spec_qps: 1000,
        key_quota,
        secret_quota: 0,
        creation_date,
    }
}

/// Every byte value, so that no encoding layer can silently mangle sealed data.
fn all_bytes() -> Vec<u8> {
    (0..=255u8).chain((0..=255u8).rev()).collect()
}

/// Creates a key with an optional first version, tags and quota.
async fn create(
    store: &dyn Store,
    key: &KeyRecord,
    version: Option<&KeyVersionRecord>,
    tags: &[Tag],
    instance_quota: Option<i64>,
) -> Result<(), StoreError> {
    store.create_key(NewKey { key, version, tags, instance_quota, policy: None }).await
}

/// Creates a key with no version, tags or quota; panics on failure.
async fn create_plain(store: &dyn Store, key: &KeyRecord) {
    create(store, key, None, &[], None).await.expect("create_key");
}

async fn get(store: &dyn Store, key_id: &str) -> Option<KeyRecord> {
    store.get_key(key_id).await.expect("get_key")
}

// --- metadata ---

async fn meta_put_if_absent(store: &dyn Store, ids: &Ids) {
    let name = ids.id("meta-canary");
    assert_eq!(store.get_meta(&name).await.expect("get_meta"), None, "absent meta");

    let value = all_bytes();
    assert!(store.put_meta_if_absent(&name, &value).await.expect("put_meta"), "first put writes");
    assert_eq!(store.get_meta(&name).await.expect("get_meta"), Some(value.clone()));

    assert!(
        !store.put_meta_if_absent(&name, b"other").await.expect("put_meta"),
        "second put must report that nothing was written"
    );
    assert_eq!(store.get_meta(&name).await.expect("get_meta"), Some(value), "second put must not overwrite");

    let empty = ids.id("meta-empty");
    assert!(store.put_meta_if_absent(&empty, b"").await.expect("put_meta"));
    assert_eq!(
        store.get_meta(&empty).await.expect("get_meta"),
        Some(Vec::new()),
        "an empty value is present, not absent"
    );
}

// --- keys: round trips ---

async fn key_round_trip_all_fields(store: &dyn Store, ids: &Ids) {
    let inst = ids.id("rt-instance");
    let key = full_key(&ids.id("rt-full"), &inst);
    let v = version(&key.key_id, 1, Some(all_bytes()));
    let tags = [tag("env", "prod"), tag("owner", "李雷"), tag("empty", "")];
    create(store, &key, Some(&v), &tags, None).await.expect("create_key");

    assert_eq!(get(store, &key.key_id).await, Some(key.clone()), "every field round-trips");
    assert_eq!(store.list_key_versions(&key.key_id).await.expect("list_key_versions"), vec![v]);
    assert_eq!(
        store.list_key_tags(&key.key_id).await.expect("list_key_tags"),
        vec![tag("empty", ""), tag("env", "prod"), tag("owner", "李雷")]
    );
}

async fn key_round_trip_optional_fields_absent(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("rt-minimal"));
    create_plain(store, &key).await;
    assert_eq!(get(store, &key.key_id).await, Some(key.clone()), "None fields stay None");
    assert!(store.list_key_versions(&key.key_id).await.expect("versions").is_empty());
    assert!(store.list_key_tags(&key.key_id).await.expect("tags").is_empty());
    assert_eq!(get(store, &ids.id("rt-never-created")).await, None, "unknown key");
}

async fn key_round_trip_every_enum_variant(store: &dyn Store, ids: &Ids) {
    let usages = KeyUsage::ALL;
    let origins = [Origin::Kms, Origin::External];
    let levels = [ProtectionLevel::Software, ProtectionLevel::Hsm];
    let n = KeySpec::ALL.len().max(KeyState::ALL.len());
    for i in 0..n {
        let mut key = minimal_key(&ids.id(&format!("enum-{i}")));
        key.spec = KeySpec::ALL[i % KeySpec::ALL.len()];
        key.state = KeyState::ALL[i % KeyState::ALL.len()];
        key.usage = usages[i % usages.len()];
        key.origin = origins[(i / 2) % origins.len()];
        key.protection_level = levels[(i / 4) % levels.len()];
        create_plain(store, &key).await;
        assert_eq!(get(store, &key.key_id).await, Some(key), "enum variant combination {i}");
    }
}

async fn key_version_material_variants(store: &dyn Store, ids: &Ids) {
    // EXTERNAL key awaiting import: a version without material.
    let mut pending = minimal_key(&ids.id("mat-none"));
    pending.origin = Origin::External;
    pending.state = KeyState::PendingImport;
    let v_none = version(&pending.key_id, 1, None);
    create(store, &pending, Some(&v_none), &[], None).await.expect("create_key");
    assert_eq!(store.list_key_versions(&pending.key_id).await.expect("versions"), vec![v_none]);

    // Empty material is present, not absent.
    let key = minimal_key(&ids.id("mat-empty"));
    let v_empty = version(&key.key_id, 2, Some(Vec::new()));
    create(store, &key, Some(&v_empty), &[], None).await.expect("create_key");
    assert_eq!(store.list_key_versions(&key.key_id).await.expect("versions"), vec![v_empty]);

    // Large material.
    let key = minimal_key(&ids.id("mat-large"));
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let v_big = version(&key.key_id, 3, Some(big));
    create(store, &key, Some(&v_big), &[], None).await.expect("create_key");
    assert_eq!(store.list_key_versions(&key.key_id).await.expect("versions"), vec![v_big]);
}

async fn key_tags_sorted_by_key(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("tags-order"));
    let tags = [tag("zeta", "1"), tag("alpha", "2"), tag("Mid", "3"), tag("beta", ""), tag("a", "5")];
    create(store, &key, None, &tags, None).await.expect("create_key");
    // Byte order: uppercase before lowercase, a prefix before its extensions.
    assert_eq!(
        store.list_key_tags(&key.key_id).await.expect("list_key_tags"),
        vec![tag("Mid", "3"), tag("a", "5"), tag("alpha", "2"), tag("beta", ""), tag("zeta", "1")]
    );
    assert!(
        store.list_key_tags(&ids.id("tags-unknown")).await.expect("list_key_tags").is_empty(),
        "tags of an unknown key"
    );
}

async fn create_key_duplicate_is_already_exists(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("dup"));
    let v1 = version(&key.key_id, 1, Some(vec![1, 2, 3]));
    create(store, &key, Some(&v1), &[tag("a", "1")], None).await.expect("create_key");

    let mut other = key.clone();
    other.description = "second".to_owned();
    let v2 = version(&key.key_id, 2, Some(vec![4]));
    let err = create(store, &other, Some(&v2), &[tag("b", "2")], None).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate key id: {err:?}");

    // The failed creation left the original untouched.
    assert_eq!(get(store, &key.key_id).await, Some(key.clone()));
    assert_eq!(store.list_key_versions(&key.key_id).await.expect("versions"), vec![v1]);
    assert_eq!(store.list_key_tags(&key.key_id).await.expect("tags"), vec![tag("a", "1")]);
}

// --- keys: optimistic concurrency ---

async fn update_key_bumps_revision_and_replaces_fields(store: &dyn Store, ids: &Ids) {
    let inst = ids.id("upd-instance");
    let original = minimal_key(&ids.id("upd"));
    create_plain(store, &original).await;

    // None -> Some for every optional field, and every other field changed.
    let mut changed = full_key(&original.key_id, &inst);
    changed.revision = original.revision;
    store.update_key(&changed).await.expect("update_key");
    let stored = get(store, &original.key_id).await.expect("key exists");
    assert_eq!(stored.revision, original.revision + 1, "revision bumped");
    assert_eq!(stored, KeyRecord { revision: original.revision + 1, ..changed }, "fields replaced");

    // Some -> None again.
    let back = KeyRecord { revision: stored.revision, ..original.clone() };
    store.update_key(&back).await.expect("update_key");
    let stored = get(store, &original.key_id).await.expect("key exists");
    assert_eq!(stored, KeyRecord { revision: original.revision + 2, ..original });
}

async fn update_key_stale_revision_conflicts(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("stale"));
    create_plain(store, &key).await;

    let mut first = key.clone();
    first.state = KeyState::Disabled;
    store.update_key(&first).await.expect("first writer wins");

    let mut second = key.clone();
    second.description = "lost update".to_owned();
    let err = store.update_key(&second).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "stale revision: {err:?}");

    let stored = get(store, &key.key_id).await.expect("key exists");
    assert_eq!(stored, KeyRecord { revision: key.revision + 1, ..first });

    // A revision from the future conflicts too.
    let ahead = KeyRecord { revision: stored.revision + 5, ..stored.clone() };
    assert!(matches!(store.update_key(&ahead).await, Err(StoreError::Conflict)));

    // Re-reading and retrying succeeds.
    let mut retry = stored.clone();
    retry.description = "after re-read".to_owned();
    store.update_key(&retry).await.expect("update with current revision");
    let stored = get(store, &key.key_id).await.expect("key exists");
    assert_eq!(stored.revision, key.revision + 2);
    assert_eq!(stored.description, "after re-read");
}

async fn update_key_missing_or_deleted_conflicts(store: &dyn Store, ids: &Ids) {
    let never = minimal_key(&ids.id("upd-never"));
    let err = store.update_key(&never).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "update of unknown key: {err:?}");
    assert_eq!(get(store, &never.key_id).await, None, "update must not create");

    let key = minimal_key(&ids.id("upd-deleted"));
    create_plain(store, &key).await;
    assert!(store.delete_key(&key.key_id).await.expect("delete_key"));
    let err = store.update_key(&key).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "update of deleted key: {err:?}");
    assert_eq!(get(store, &key.key_id).await, None, "update must not resurrect");
}

// --- keys: deletion ---

async fn delete_key_cascades(store: &dyn Store, ids: &Ids) {
    let inst = ids.id("del-instance");
    let mut key = minimal_key(&ids.id("del"));
    key.instance_id = Some(inst.clone());
    let v = version(&key.key_id, 1, Some(vec![9; 48]));
    create(store, &key, Some(&v), &[tag("a", "1"), tag("b", "2")], None).await.expect("create");
    assert_eq!(store.count_instance_key_versions(&inst).await.expect("count"), 1);

    assert!(store.delete_key(&key.key_id).await.expect("delete_key"), "existed");
    assert_eq!(get(store, &key.key_id).await, None);
    assert!(store.list_key_versions(&key.key_id).await.expect("versions").is_empty());
    assert!(store.list_key_tags(&key.key_id).await.expect("tags").is_empty());
    assert_eq!(store.count_instance_key_versions(&inst).await.expect("count"), 0);
    assert!(!store.delete_key(&key.key_id).await.expect("delete_key"), "already gone");
    assert!(!store.delete_key(&ids.id("del-never")).await.expect("delete_key"), "never existed");

    // The id can be reused, and nothing of the old key comes back.
    let v2 = version(&key.key_id, 2, None);
    create(store, &key, Some(&v2), &[tag("c", "3")], None).await.expect("re-create");
    assert_eq!(store.list_key_versions(&key.key_id).await.expect("versions"), vec![v2]);
    assert_eq!(store.list_key_tags(&key.key_id).await.expect("tags"), vec![tag("c", "3")]);
}

async fn keys_due_for_deletion_selects_due_pending_keys(store: &dyn Store, ids: &Ids) {
    let now = 1_800_000_000;
    let cases = [
        ("due-past", KeyState::PendingDeletion, Some(now - 86_400), true),
        ("due-now", KeyState::PendingDeletion, Some(now), true),
        ("due-future", KeyState::PendingDeletion, Some(now + 1), false),
        ("due-no-date", KeyState::PendingDeletion, None, false),
        ("due-enabled", KeyState::Enabled, Some(now - 10), false),
        ("due-disabled", KeyState::Disabled, Some(now - 10), false),
        ("due-import", KeyState::PendingImport, Some(now - 10), false),
    ];
    let mut expected = Vec::new();
    for (name, state, delete_date, due) in cases {
        let mut key = minimal_key(&ids.id(name));
        key.state = state;
        key.delete_date = delete_date;
        create_plain(store, &key).await;
        if due {
            expected.push(key.key_id);
        }
    }
    let mut due: Vec<String> = store
        .keys_due_for_deletion(now)
        .await
        .expect("keys_due_for_deletion")
        .into_iter()
        .filter(|id| id.starts_with(&ids.id("due-")))
        .collect();
    due.sort();
    expected.sort();
    assert_eq!(due, expected);

    // A key that becomes PendingDeletion through an update is found too.
    let mut late = minimal_key(&ids.id("due-updated"));
    create_plain(store, &late).await;
    late.state = KeyState::PendingDeletion;
    late.delete_date = Some(now - 1);
    store.update_key(&late).await.expect("update_key");
    let due = store.keys_due_for_deletion(now).await.expect("keys_due_for_deletion");
    assert!(due.contains(&late.key_id), "updated key is due");
    assert!(
        !store.keys_due_for_deletion(now - 2).await.expect("due").contains(&late.key_id),
        "not due before its date"
    );
}

// --- instances and quotas ---

async fn count_instance_key_versions_counts_per_instance(store: &dyn Store, ids: &Ids) {
    let a = ids.id("count-a");
    let b = ids.id("count-b");
    for (i, (inst, with_version)) in [(&a, true), (&a, true), (&a, false), (&b, true)].into_iter().enumerate() {
        let mut key = minimal_key(&ids.id(&format!("count-key-{i}")));
        key.instance_id = Some(inst.clone());
        let v = version(&key.key_id, 1, Some(vec![1]));
        create(store, &key, with_version.then_some(&v), &[], None).await.expect("create_key");
    }
    // A default key (no instance) counts nowhere.
    let default_key = minimal_key(&ids.id("count-default"));
    let v = version(&default_key.key_id, 1, Some(vec![1]));
    create(store, &default_key, Some(&v), &[], None).await.expect("create_key");

    assert_eq!(store.count_instance_key_versions(&a).await.expect("count"), 2);
    assert_eq!(store.count_instance_key_versions(&b).await.expect("count"), 1);
    assert_eq!(store.count_instance_key_versions(&ids.id("count-none")).await.expect("count"), 0);
}

async fn quota_enforced_and_nothing_written_on_failure(store: &dyn Store, ids: &Ids) {
    let inst = instance(&ids.id("quota"), 2, 1_700_000_000);
    store.create_instance(&inst).await.expect("create_instance");
    let q = Some(inst.key_quota);
    let key_in = |name: &str| {
        let mut key = minimal_key(&ids.id(name));
        key.instance_id = Some(inst.instance_id.clone());
        key
    };

    let k1 = key_in("quota-1");
    let v1 = version(&k1.key_id, 1, Some(vec![1]));
    create(store, &k1, Some(&v1), &[], q).await.expect("1 of 2");
    let k2 = key_in("quota-2");
    let v2 = version(&k2.key_id, 1, Some(vec![2]));
    create(store, &k2, Some(&v2), &[tag("t", "v")], q).await.expect("2 of 2");
    assert_eq!(store.count_instance_key_versions(&inst.instance_id).await.expect("count"), 2);

    // Full: a key with a version and a key without one (it still needs a unit) both fail.
    let k3 = key_in("quota-3");
    let v3 = version(&k3.key_id, 1, Some(vec![3]));
    let err = create(store, &k3, Some(&v3), &[tag("t", "v")], q).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "over quota: {err:?}");
    let k4 = key_in("quota-4");
    let err = create(store, &k4, None, &[tag("t", "v")], q).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "over quota without version: {err:?}");

    // Nothing of the refused keys was written.
    for k in [&k3, &k4] {
        assert_eq!(get(store, &k.key_id).await, None, "refused key not stored");
        assert!(store.list_key_versions(&k.key_id).await.expect("versions").is_empty());
        assert!(store.list_key_tags(&k.key_id).await.expect("tags").is_empty());
    }
    assert_eq!(store.count_instance_key_versions(&inst.instance_id).await.expect("count"), 2);

    // A duplicate id is reported as such even when the instance is full.
    let err = create(store, &k1, Some(&v1), &[], q).await;
    assert!(
        matches!(err, Err(StoreError::AlreadyExists | StoreError::QuotaExceeded)),
        "duplicate in a full instance: {err:?}"
    );
    assert_eq!(store.list_key_versions(&k1.key_id).await.expect("versions"), vec![v1]);

    // Deleting a key frees its unit; a larger quota admits more; no quota means no check.
    assert!(store.delete_key(&k2.key_id).await.expect("delete_key"));
    create(store, &k3, Some(&v3), &[], q).await.expect("freed unit");
    let err = create(store, &k4, None, &[], q).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "full again: {err:?}");
    create(store, &k4, None, &[], Some(3)).await.expect("larger quota");
    let k5 = key_in("quota-5");
    let v5 = version(&k5.key_id, 1, None);
    create(store, &k5, Some(&v5), &[], None).await.expect("unchecked");
    assert_eq!(store.count_instance_key_versions(&inst.instance_id).await.expect("count"), 3);
    // The quota concerns instance keys only: a default key is never refused.
    let default_key = minimal_key(&ids.id("quota-default"));
    let v = version(&default_key.key_id, 1, Some(vec![1]));
    create(store, &default_key, Some(&v), &[], Some(0)).await.expect("default key, no quota");
    assert_eq!(store.list_key_versions(&default_key.key_id).await.expect("versions"), vec![v]);
}

async fn quota_holds_under_concurrent_creation(store: &dyn Store, ids: &Ids) {
    let inst = instance(&ids.id("race"), 3, 1_700_000_000);
    store.create_instance(&inst).await.expect("create_instance");
    let keys: Vec<(KeyRecord, KeyVersionRecord)> = (0..8)
        .map(|i| {
            let mut key = minimal_key(&ids.id(&format!("race-{i}")));
            key.instance_id = Some(inst.instance_id.clone());
            let v = version(&key.key_id, 1, Some(vec![7; 64]));
            (key, v)
        })
        .collect();
    let q = Some(inst.key_quota);
    let attempt = |i: usize| create(store, &keys[i].0, Some(&keys[i].1), &[], q);
    let results =
        tokio::join!(attempt(0), attempt(1), attempt(2), attempt(3), attempt(4), attempt(5), attempt(6), attempt(7));
    let results = [results.0, results.1, results.2, results.3, results.4, results.5, results.6, results.7];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(StoreError::QuotaExceeded))).count();
    assert_eq!((ok, refused), (3, 5), "exactly the quota succeeds: {results:?}");
    assert_eq!(store.count_instance_key_versions(&inst.instance_id).await.expect("count"), 3);
}

// --- ordering ---

async fn list_keys_ordered_by_creation_then_id(store: &dyn Store, ids: &Ids) {
    // Inserted out of order; equal creation dates are ordered by id.
    let specs = [("order-b", 200), ("order-z", 100), ("order-a", 200), ("order-c", 100)];
    for (name, created) in specs {
        let mut key = minimal_key(&ids.id(name));
        key.creation_date = created;
        create_plain(store, &key).await;
    }
    let listed: Vec<(i64, String)> = store
        .list_keys()
        .await
        .expect("list_keys")
        .into_iter()
        .filter(|k| k.key_id.starts_with(&ids.id("order-")))
        .map(|k| (k.creation_date, k.key_id))
        .collect();
    let expected: Vec<(i64, String)> = [(100, "order-c"), (100, "order-z"), (200, "order-a"), (200, "order-b")]
        .into_iter()
        .map(|(t, n)| (t, ids.id(n)))
        .collect();
    assert_eq!(listed, expected);

    // The whole list is sorted, whatever else the database holds.
    let all = store.list_keys().await.expect("list_keys");
    assert!(
        all.windows(2)
            .all(|w| (w[0].creation_date, w[0].key_id.as_bytes()) <= (w[1].creation_date, w[1].key_id.as_bytes())),
        "list_keys ordered by creation date then id"
    );
    // Full records come back from list_keys too.
    let full = get(store, &ids.id("rt-full")).await.expect("round-trip key exists");
    assert!(all.contains(&full), "list_keys returns complete records");
}

// --- instances ---

async fn instances_round_trip_duplicate_and_order(store: &dyn Store, ids: &Ids) {
    let mut hw = instance(&ids.id("inst-b"), 2000, 300);
    hw.kind = InstanceKind::Hardware;
    hw.spec_qps = i64::MAX;
    hw.secret_quota = 100;
    let sw1 = instance(&ids.id("inst-z"), 1000, 100);
    let sw2 = instance(&ids.id("inst-c"), 1000, 300);
    for inst in [&hw, &sw1, &sw2] {
        store.create_instance(inst).await.expect("create_instance");
        assert_eq!(store.get_instance(&inst.instance_id).await.expect("get_instance"), Some(inst.clone()));
    }
    assert_eq!(store.get_instance(&ids.id("inst-none")).await.expect("get_instance"), None);

    let mut dup = sw1.clone();
    dup.name = "other".to_owned();
    let err = store.create_instance(&dup).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate instance: {err:?}");
    assert_eq!(store.get_instance(&sw1.instance_id).await.expect("get"), Some(sw1.clone()));

    let listed: Vec<InstanceRecord> = store
        .list_instances()
        .await
        .expect("list_instances")
        .into_iter()
        .filter(|i| i.instance_id.starts_with(&ids.id("inst-")))
        .collect();
    assert_eq!(listed, vec![sw1, hw, sw2], "ordered by creation date then id");
}

// --- access keys ---

async fn access_keys_lifecycle(store: &dyn Store, ids: &Ids) {
    let ak = |name: &str, created: i64, enabled: bool| AccessKeyRecord {
        access_key_id: ids.id(name),
        sealed_secret: all_bytes(),
        principal: format!("principal of {name}"),
        enabled,
        creation_date: created,
    };
    let b = ak("ak-b", 200, true);
    let z = ak("ak-z", 100, false);
    let a = ak("ak-a", 200, true);
    for k in [&b, &z, &a] {
        store.create_access_key(k).await.expect("create_access_key");
        assert_eq!(store.get_access_key(&k.access_key_id).await.expect("get_access_key"), Some(k.clone()));
    }
    assert_eq!(store.get_access_key(&ids.id("ak-none")).await.expect("get"), None);

    let err = store.create_access_key(&AccessKeyRecord { principal: "x".into(), ..a.clone() }).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate AccessKey: {err:?}");

    let listed: Vec<AccessKeyRecord> = store
        .list_access_keys()
        .await
        .expect("list_access_keys")
        .into_iter()
        .filter(|k| k.access_key_id.starts_with(&ids.id("ak-")))
        .collect();
    assert_eq!(listed, vec![z.clone(), a.clone(), b.clone()], "ordered by creation then id");

    // Disable, disable again (still existed), enable.
    assert!(store.set_access_key_enabled(&a.access_key_id, false).await.expect("disable"));
    assert!(!store.get_access_key(&a.access_key_id).await.expect("get").expect("exists").enabled);
    assert!(store.set_access_key_enabled(&a.access_key_id, false).await.expect("disable"));
    assert!(store.set_access_key_enabled(&z.access_key_id, true).await.expect("enable"));
    assert_eq!(
        store.get_access_key(&z.access_key_id).await.expect("get"),
        Some(AccessKeyRecord { enabled: true, ..z.clone() }),
        "only the flag changes"
    );
    assert!(!store.set_access_key_enabled(&ids.id("ak-none"), true).await.expect("set"), "unknown AccessKey");
    assert_eq!(store.get_access_key(&ids.id("ak-none")).await.expect("get"), None, "not created");

    // Delete.
    assert!(store.delete_access_key(&b.access_key_id).await.expect("delete"));
    assert_eq!(store.get_access_key(&b.access_key_id).await.expect("get"), None);
    assert!(!store.delete_access_key(&b.access_key_id).await.expect("delete"), "already gone");
    assert!(!store.set_access_key_enabled(&b.access_key_id, true).await.expect("set"), "deleted AccessKey");
    let left: Vec<String> = store
        .list_access_keys()
        .await
        .expect("list_access_keys")
        .into_iter()
        .map(|k| k.access_key_id)
        .filter(|id| id.starts_with(&ids.id("ak-")))
        .collect();
    assert_eq!(left, vec![z.access_key_id, a.access_key_id]);
}

// --- Bring Your Own Key: fingerprints, material updates, import tokens ---

/// An EXTERNAL key awaiting import.
fn external_key(key_id: &str) -> KeyRecord {
    KeyRecord { origin: Origin::External, state: KeyState::PendingImport, ..minimal_key(key_id) }
}

/// A version with a fingerprint.
fn fingerprinted(key_id: &str, n: u32, material: Option<Vec<u8>>, fingerprint: Vec<u8>) -> KeyVersionRecord {
    KeyVersionRecord { material_fingerprint: Some(fingerprint), ..version(key_id, n, material) }
}

/// An import token of `key_id`'s first version.
fn token(ids: &Ids, name: &str, key_id: &str, creation_date: i64, expires_at: i64) -> ImportTokenRecord {
    ImportTokenRecord {
        token_id: ids.id(name),
        key_id: key_id.to_owned(),
        version_id: version(key_id, 1, None).version_id,
        wrapping_spec: "RSA_2048".to_owned(),
        wrapping_algorithm: "RSAES_OAEP_SHA_256".to_owned(),
        sealed_private_key: all_bytes(),
        public_key_der: all_bytes().into_iter().rev().collect(),
        creation_date,
        expires_at,
    }
}

/// Creates an EXTERNAL key awaiting import, with its first version (no material); panics on failure.
async fn create_external(store: &dyn Store, ids: &Ids, name: &str) -> (KeyRecord, KeyVersionRecord) {
    let key = external_key(&ids.id(name));
    let v = version(&key.key_id, 1, None);
    create(store, &key, Some(&v), &[], None).await.expect("create_key");
    (key, v)
}

async fn versions(store: &dyn Store, key_id: &str) -> Vec<KeyVersionRecord> {
    store.list_key_versions(key_id).await.expect("list_key_versions")
}

async fn get_token(store: &dyn Store, token_id: &str) -> Option<ImportTokenRecord> {
    store.get_import_token(token_id).await.expect("get_import_token")
}

async fn live_tokens(store: &dyn Store, key_id: &str, now: i64) -> Vec<ImportTokenRecord> {
    store.list_live_import_tokens(key_id, now).await.expect("list_live_import_tokens")
}

async fn key_version_fingerprint_round_trip(store: &dyn Store, ids: &Ids) {
    // No fingerprint yet.
    let key = external_key(&ids.id("fp-none"));
    let v = version(&key.key_id, 1, None);
    create(store, &key, Some(&v), &[], None).await.expect("create_key");
    assert_eq!(versions(store, &key.key_id).await, vec![v], "None fingerprint stays None");

    // A fingerprint with material, without material (deleted or expired: the fingerprint is
    // kept), and an empty one (present, not absent).
    let cases = [
        ("fp-with-material", Some(vec![5; 32]), all_bytes()),
        ("fp-without-material", None, vec![0xab; 32]),
        ("fp-empty", Some(all_bytes()), Vec::new()),
    ];
    for (i, (name, material, fingerprint)) in cases.into_iter().enumerate() {
        let key = KeyRecord { state: KeyState::Enabled, ..external_key(&ids.id(name)) };
        let v = fingerprinted(&key.key_id, i as u32 + 2, material, fingerprint);
        create(store, &key, Some(&v), &[], None).await.expect("create_key");
        assert_eq!(versions(store, &key.key_id).await, vec![v], "fingerprint round-trips: {name}");
    }
}

async fn update_key_material_sets_and_clears(store: &dyn Store, ids: &Ids) {
    let key = external_key(&ids.id("mat-upd"));
    let v = version(&key.key_id, 1, None);
    let tags = [tag("t", "v")];
    create(store, &key, Some(&v), &tags, None).await.expect("create_key");

    // Import: material and fingerprint set, key metadata replaced, revision bumped.
    let imported = KeyRecord {
        state: KeyState::Enabled,
        material_expire: Some(1_900_000_000),
        primary_version: Some(v.version_id.clone()),
        last_rotation: Some(1_700_000_100),
        ..key.clone()
    };
    let fp = vec![0x11; 32];
    store.update_key_material(&imported, &v.version_id, Some(&all_bytes()), Some(&fp)).await.expect("import");
    let stored = get(store, &key.key_id).await.expect("key exists");
    assert_eq!(stored, KeyRecord { revision: key.revision + 1, ..imported }, "key replaced, revision bumped");
    assert_eq!(
        versions(store, &key.key_id).await,
        vec![fingerprinted(&key.key_id, 1, Some(all_bytes()), fp.clone())],
        "material and fingerprint set"
    );
    assert_eq!(store.list_key_tags(&key.key_id).await.expect("tags"), tags.to_vec(), "tags untouched");

    // Re-import: new material; no fingerprint given keeps the stored one.
    let reimported = KeyRecord { material_expire: None, ..stored };
    store.update_key_material(&reimported, &v.version_id, Some(&[7; 48]), None).await.expect("re-import");
    let stored = get(store, &key.key_id).await.expect("key exists");
    assert_eq!(stored, KeyRecord { revision: key.revision + 2, ..reimported });
    assert_eq!(
        versions(store, &key.key_id).await,
        vec![fingerprinted(&key.key_id, 1, Some(vec![7; 48]), fp.clone())],
        "material replaced, fingerprint kept"
    );

    // Material deleted (DeleteKeyMaterial / expiry): cleared, the fingerprint is kept.
    let deleted = KeyRecord { state: KeyState::PendingImport, primary_version: None, ..stored };
    store.update_key_material(&deleted, &v.version_id, None, None).await.expect("delete material");
    let stored = get(store, &key.key_id).await.expect("key exists");
    assert_eq!(stored, KeyRecord { revision: key.revision + 3, ..deleted });
    assert_eq!(
        versions(store, &key.key_id).await,
        vec![fingerprinted(&key.key_id, 1, None, fp)],
        "material cleared, fingerprint kept"
    );

    // A fingerprint given without material replaces the stored one.
    let fp2 = vec![0x22; 32];
    store.update_key_material(&stored, &v.version_id, None, Some(&fp2)).await.expect("fingerprint only");
    assert_eq!(versions(store, &key.key_id).await, vec![fingerprinted(&key.key_id, 1, None, fp2.clone())]);

    // Empty material is present, not absent.
    let stored = get(store, &key.key_id).await.expect("key exists");
    assert_eq!(stored.revision, key.revision + 4);
    store.update_key_material(&stored, &v.version_id, Some(&[]), None).await.expect("empty material");
    assert_eq!(versions(store, &key.key_id).await, vec![fingerprinted(&key.key_id, 1, Some(Vec::new()), fp2)]);
    assert_eq!(get(store, &key.key_id).await.expect("key exists").revision, key.revision + 5);
}

/// Asserts that `key` and its versions are stored exactly as given.
async fn assert_stored(store: &dyn Store, key: &KeyRecord, key_versions: &[KeyVersionRecord], what: &str) {
    assert_eq!(get(store, &key.key_id).await.as_ref(), Some(key), "{what}: key unchanged");
    assert_eq!(versions(store, &key.key_id).await, key_versions, "{what}: versions unchanged");
}

async fn update_key_material_conflicts_change_nothing(store: &dyn Store, ids: &Ids) {
    let (key, v) = create_external(store, ids, "matc").await;
    // Another key, whose version id this key does not have.
    let other = external_key(&ids.id("matc-other"));
    let other_v = version(&other.key_id, 2, None);
    create(store, &other, Some(&other_v), &[], None).await.expect("create_key");

    let first = KeyRecord { state: KeyState::Enabled, ..key.clone() };
    store.update_key_material(&first, &v.version_id, Some(&[1; 32]), Some(&[0x33; 32])).await.expect("import");
    let current = get(store, &key.key_id).await.expect("key exists");
    let current_versions = versions(store, &key.key_id).await;
    assert_eq!(current.revision, key.revision + 1);

    // A stale revision (the import above bumped it) and a revision from the future.
    let stale = KeyRecord { description: "lost update".to_owned(), ..key.clone() };
    let err = store.update_key_material(&stale, &v.version_id, Some(&[2; 32]), Some(&[0x44; 32])).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "stale revision: {err:?}");
    assert_stored(store, &current, &current_versions, "stale revision").await;
    let ahead = KeyRecord { revision: current.revision + 5, ..current.clone() };
    let err = store.update_key_material(&ahead, &v.version_id, Some(&[2; 32]), None).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "future revision: {err:?}");
    assert_stored(store, &current, &current_versions, "future revision").await;

    // A missing version, and another key's version: the key update is rolled back too (no
    // revision bump, no metadata change).
    let changed = KeyRecord { description: "must not stick".to_owned(), ..current.clone() };
    for version_id in ["00000000-0000-4000-8000-999999999999", other_v.version_id.as_str()] {
        let err = store.update_key_material(&changed, version_id, Some(&[2; 32]), Some(&[0x55; 32])).await;
        assert!(matches!(err, Err(StoreError::Conflict)), "version {version_id} not of this key: {err:?}");
        assert_stored(store, &current, &current_versions, "version not of this key").await;
    }
    assert_stored(store, &other, std::slice::from_ref(&other_v), "the other key").await;

    // A key that never existed, and a deleted one: nothing is created or resurrected.
    let never = external_key(&ids.id("matc-never"));
    let err = store.update_key_material(&never, &v.version_id, Some(&[2; 32]), None).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "unknown key: {err:?}");
    assert_eq!(get(store, &never.key_id).await, None, "update must not create");
    assert!(versions(store, &never.key_id).await.is_empty());
    let (gone, gone_v) = create_external(store, ids, "matc-deleted").await;
    assert!(store.delete_key(&gone.key_id).await.expect("delete_key"));
    let err = store.update_key_material(&gone, &gone_v.version_id, Some(&[2; 32]), None).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "deleted key: {err:?}");
    assert_eq!(get(store, &gone.key_id).await, None, "update must not resurrect");
    assert!(versions(store, &gone.key_id).await.is_empty());

    // With the current revision and an existing version, it succeeds.
    store.update_key_material(&changed, &v.version_id, Some(&[2; 32]), None).await.expect("current revision");
    assert_stored(
        store,
        &KeyRecord { revision: current.revision + 1, ..changed },
        &[fingerprinted(&key.key_id, 1, Some(vec![2; 32]), vec![0x33; 32])],
        "after a successful update",
    )
    .await;
}

async fn keys_with_expired_material_selects_expired_external_keys(store: &dyn Store, ids: &Ids) {
    let now = 1_800_000_000;
    // Created out of id order: the result is ordered by id.
    let cases = [
        ("exp-d-enabled-past", Origin::External, KeyState::Enabled, Some(now - 86_400), true),
        ("exp-b-disabled-now", Origin::External, KeyState::Disabled, Some(now), true),
        ("exp-c-pending-deletion", Origin::External, KeyState::PendingDeletion, Some(now - 1), true),
        ("exp-a-pending-import", Origin::External, KeyState::PendingImport, Some(now - 1), false),
        ("exp-e-future", Origin::External, KeyState::Enabled, Some(now + 1), false),
        ("exp-f-never", Origin::External, KeyState::Enabled, None, false),
        ("exp-g-kms", Origin::Kms, KeyState::Enabled, Some(now - 1), false),
    ];
    let (mut keys, mut expected) = (Vec::new(), Vec::new());
    for (name, origin, state, material_expire, expired) in cases {
        let key = KeyRecord { origin, state, material_expire, ..minimal_key(&ids.id(name)) };
        create_plain(store, &key).await;
        if expired {
            expected.push(key.key_id.clone());
        }
        keys.push(key);
    }
    expected.sort();
    let prefix = ids.id("exp-");
    let listed = |at: i64| {
        let prefix = &prefix;
        async move {
            let all = store.keys_with_expired_material(at).await.expect("keys_with_expired_material");
            assert!(all.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()), "ordered by id: {all:?}");
            all.into_iter().filter(|id| id.starts_with(prefix)).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(now).await, expected);
    assert_eq!(listed(now - 2).await, [ids.id("exp-d-enabled-past")], "earlier: only the long expired");

    // The sweeper moves a key to PendingImport, a re-import sets a later expiry: both drop out.
    let swept = KeyRecord { state: KeyState::PendingImport, ..keys[1].clone() };
    store.update_key(&swept).await.expect("update_key");
    let reimported = KeyRecord { material_expire: Some(now + 100), ..keys[0].clone() };
    store.update_key(&reimported).await.expect("update_key");
    assert_eq!(listed(now).await, [ids.id("exp-c-pending-deletion")]);
}

async fn import_tokens_round_trip_and_duplicates(store: &dyn Store, ids: &Ids) {
    let (key, _) = create_external(store, ids, "tok-key").await;
    let rsa = token(ids, "tok-rsa", &key.key_id, 1_700_000_000, 1_700_086_400);
    let sm2 = ImportTokenRecord {
        wrapping_spec: "EC_SM2".to_owned(),
        wrapping_algorithm: "SM2PKE".to_owned(),
        sealed_private_key: vec![0; 1],
        public_key_der: (0..70_000u32).map(|i| (i % 253) as u8).collect(),
        creation_date: -1,
        expires_at: i64::MAX,
        ..token(ids, "tok-sm2", &key.key_id, 0, 0)
    };
    for t in [&rsa, &sm2] {
        store.create_import_token(t).await.expect("create_import_token");
        assert_eq!(get_token(store, &t.token_id).await.as_ref(), Some(t), "every field round-trips");
    }
    assert_eq!(get_token(store, &ids.id("tok-none")).await, None, "unknown token");

    // A taken id: AlreadyExists, whatever else differs (even a key that does not exist).
    let dup = ImportTokenRecord { wrapping_spec: "RSA_3072".to_owned(), expires_at: 1, ..rsa.clone() };
    let err = store.create_import_token(&dup).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate token id: {err:?}");
    let dup_unknown_key = ImportTokenRecord { key_id: ids.id("tok-no-key"), ..rsa.clone() };
    let err = store.create_import_token(&dup_unknown_key).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate token id, unknown key: {err:?}");
    assert_eq!(get_token(store, &rsa.token_id).await, Some(rsa.clone()), "the original is untouched");

    // A key that does not exist, or no longer does: Conflict, nothing stored.
    let orphan = token(ids, "tok-orphan", &ids.id("tok-no-key"), 1_700_000_000, 1_700_086_400);
    let err = store.create_import_token(&orphan).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "token of an unknown key: {err:?}");
    assert_eq!(get_token(store, &orphan.token_id).await, None, "refused token not stored");
    let (gone, _) = create_external(store, ids, "tok-deleted-key").await;
    assert!(store.delete_key(&gone.key_id).await.expect("delete_key"));
    let late = token(ids, "tok-late", &gone.key_id, 1_700_000_000, 1_700_086_400);
    let err = store.create_import_token(&late).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "token of a deleted key: {err:?}");
    assert_eq!(get_token(store, &late.token_id).await, None, "refused token not stored");
    assert_eq!(get(store, &gone.key_id).await, None, "the key is not resurrected");
}

async fn import_tokens_live_listing_and_expiry_sweep(store: &dyn Store, ids: &Ids) {
    let now = 1_800_000_000;
    // Expired tokens left in the database by others must not skew the count below.
    store.delete_expired_import_tokens(now).await.expect("delete_expired_import_tokens");

    let (a, _) = create_external(store, ids, "live-a").await;
    let (b, _) = create_external(store, ids, "live-b").await;
    let t_z = token(ids, "live-t-z", &a.key_id, 100, now + 1);
    let t_a = token(ids, "live-t-a", &a.key_id, 200, now + 86_400);
    let t_b = token(ids, "live-t-b", &a.key_id, 200, now + 5);
    let t_at_now = token(ids, "live-t-at-now", &a.key_id, 50, now);
    let t_past = token(ids, "live-t-past", &a.key_id, 10, now - 86_400);
    let t_other = token(ids, "live-t-other", &b.key_id, 100, now + 10);
    let t_other_past = token(ids, "live-t-other-past", &b.key_id, 100, now - 1);
    // Created out of order.
    for t in [&t_b, &t_past, &t_a, &t_other, &t_z, &t_at_now, &t_other_past] {
        store.create_import_token(t).await.expect("create_import_token");
    }

    // Live means `expires_at > now`; oldest first, equal creation dates by id.
    assert_eq!(live_tokens(store, &a.key_id, now).await, [t_z.clone(), t_a.clone(), t_b.clone()]);
    assert_eq!(live_tokens(store, &a.key_id, now + 1).await, [t_a.clone(), t_b.clone()], "expiring at now");
    assert_eq!(
        live_tokens(store, &a.key_id, now - 86_401).await,
        [t_past.clone(), t_at_now.clone(), t_z.clone(), t_a.clone(), t_b.clone()],
        "every token of the key"
    );
    assert_eq!(live_tokens(store, &b.key_id, now).await, std::slice::from_ref(&t_other), "only the key's own tokens");
    assert!(live_tokens(store, &ids.id("live-none"), now).await.is_empty(), "unknown key");
    assert_eq!(get_token(store, &t_at_now.token_id).await, Some(t_at_now.clone()), "listing deletes nothing");

    // The sweep deletes `expires_at <= now`, of every key, and reports how many.
    assert_eq!(store.delete_expired_import_tokens(now).await.expect("delete_expired"), 3);
    for t in [&t_at_now, &t_past, &t_other_past] {
        assert_eq!(get_token(store, &t.token_id).await, None, "expired token deleted");
    }
    for t in [&t_z, &t_a, &t_b, &t_other] {
        assert_eq!(get_token(store, &t.token_id).await.as_ref(), Some(t), "live token kept");
    }
    assert_eq!(store.delete_expired_import_tokens(now).await.expect("delete_expired"), 0, "nothing left");
    assert_eq!(live_tokens(store, &a.key_id, 0).await, [t_z.clone(), t_a.clone(), t_b.clone()]);

    // A later sweep (other data may expire in this window too, hence `>=`).
    assert!(store.delete_expired_import_tokens(now + 5).await.expect("delete_expired") >= 2);
    assert_eq!(live_tokens(store, &a.key_id, 0).await, [t_a]);
    assert_eq!(live_tokens(store, &b.key_id, 0).await, [t_other]);

    // Leave no live tokens behind for later runs on the same database.
    assert!(store.delete_key(&a.key_id).await.expect("delete_key"));
    assert!(store.delete_key(&b.key_id).await.expect("delete_key"));
}

async fn import_tokens_deleted_with_their_key(store: &dyn Store, ids: &Ids) {
    let far = 4_000_000_000;
    let (key, v) = create_external(store, ids, "cascade").await;
    let (other, _) = create_external(store, ids, "cascade-other").await;
    let t1 = token(ids, "cascade-t1", &key.key_id, 1, far);
    let t2 = token(ids, "cascade-t2", &key.key_id, 2, far);
    let t3 = token(ids, "cascade-t3", &other.key_id, 3, far);
    for t in [&t1, &t2, &t3] {
        store.create_import_token(t).await.expect("create_import_token");
    }

    // Updating the key or its material leaves its tokens alone.
    let imported = KeyRecord { state: KeyState::Enabled, ..key.clone() };
    store.update_key_material(&imported, &v.version_id, Some(&[1; 32]), Some(&[2; 32])).await.expect("import");
    assert_eq!(live_tokens(store, &key.key_id, 0).await, [t1.clone(), t2.clone()]);

    assert!(store.delete_key(&key.key_id).await.expect("delete_key"));
    assert_eq!(get_token(store, &t1.token_id).await, None, "deleted with the key");
    assert_eq!(get_token(store, &t2.token_id).await, None, "deleted with the key");
    assert!(live_tokens(store, &key.key_id, 0).await.is_empty());
    assert_eq!(live_tokens(store, &other.key_id, 0).await, std::slice::from_ref(&t3), "other keys' tokens kept");

    // A re-created key does not get the old tokens back; their ids can be reused.
    let (key, _) = create_external(store, ids, "cascade").await;
    assert!(live_tokens(store, &key.key_id, 0).await.is_empty(), "no token comes back");
    store.create_import_token(&t1).await.expect("token id reusable");
    assert_eq!(get_token(store, &t1.token_id).await, Some(t1));

    assert!(store.delete_key(&other.key_id).await.expect("delete_key"));
    assert_eq!(get_token(store, &t3.token_id).await, None, "deleted with the key");
    assert!(store.delete_key(&key.key_id).await.expect("delete_key"));
}

// --- rotation: version additions and the rotation sweep ---

/// Reads `key_id` and adds version `n` to it as the new primary version, checked against
/// `quota`. Returns the key as written and the version.
async fn rotate(
    store: &dyn Store,
    key_id: &str,
    n: u32,
    quota: Option<i64>,
) -> (KeyRecord, KeyVersionRecord, Result<(), StoreError>) {
    let current = get(store, key_id).await.expect("key exists");
    let v = version(key_id, n, Some(vec![n as u8; 32]));
    let rotated =
        KeyRecord { primary_version: Some(v.version_id.clone()), last_rotation: Some(v.creation_date), ..current };
    let result = store.add_key_version(&rotated, &v, quota).await;
    (rotated, v, result)
}

async fn add_key_version_adds_and_replaces_key(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("addv"));
    let v1 = version(&key.key_id, 1, Some(vec![1; 32]));
    let tags = [tag("t", "v")];
    create(store, &key, Some(&v1), &tags, None).await.expect("create_key");

    // A rotation: new primary version and rotation dates, the revision bumped.
    let v2 = version(&key.key_id, 2, Some(all_bytes()));
    let rotated = KeyRecord {
        primary_version: Some(v2.version_id.clone()),
        last_rotation: Some(v2.creation_date),
        rotation: Rotation {
            enabled: true,
            interval_secs: Some(86_400),
            next_rotation: Some(v2.creation_date + 86_400),
        },
        ..key.clone()
    };
    store.add_key_version(&rotated, &v2, None).await.expect("add_key_version");
    let stored = get(store, &key.key_id).await.expect("key exists");
    assert_eq!(stored, KeyRecord { revision: key.revision + 1, ..rotated }, "key replaced, revision bumped");
    assert_eq!(versions(store, &key.key_id).await, vec![v1.clone(), v2.clone()], "oldest first");
    assert_eq!(store.list_key_tags(&key.key_id).await.expect("tags"), tags.to_vec(), "tags untouched");

    // A version without material, with a fingerprint (EXTERNAL keys), round-trips too.
    let v3 = fingerprinted(&key.key_id, 3, None, vec![0x5a; 32]);
    let again = KeyRecord { primary_version: Some(v3.version_id.clone()), ..stored };
    store.add_key_version(&again, &v3, None).await.expect("add_key_version");
    assert_eq!(get(store, &key.key_id).await, Some(KeyRecord { revision: key.revision + 2, ..again }));
    assert_eq!(versions(store, &key.key_id).await, vec![v1, v2, v3]);
}

async fn add_key_version_conflicts_change_nothing(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("addc"));
    let v1 = version(&key.key_id, 1, Some(vec![1; 32]));
    create(store, &key, Some(&v1), &[], None).await.expect("create_key");
    let other = minimal_key(&ids.id("addc-other"));
    create_plain(store, &other).await;
    let first = KeyRecord { description: "first writer".to_owned(), ..key.clone() };
    store.update_key(&first).await.expect("update_key");
    let current = get(store, &key.key_id).await.expect("key exists");
    assert_eq!(current.revision, key.revision + 1);
    let current_versions = vec![v1.clone()];

    let v2 = version(&key.key_id, 2, Some(vec![2; 32]));
    let with_v2 = |base: &KeyRecord| KeyRecord {
        primary_version: Some(v2.version_id.clone()),
        description: "must not stick".to_owned(),
        ..base.clone()
    };

    // A stale revision and a revision from the future.
    let err = store.add_key_version(&with_v2(&key), &v2, None).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "stale revision: {err:?}");
    assert_stored(store, &current, &current_versions, "stale revision").await;
    let ahead = KeyRecord { revision: current.revision + 5, ..with_v2(&current) };
    let err = store.add_key_version(&ahead, &v2, None).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "future revision: {err:?}");
    assert_stored(store, &current, &current_versions, "future revision").await;

    // A version naming another key: neither key gets it.
    let foreign = version(&other.key_id, 2, Some(vec![2; 32]));
    let err = store.add_key_version(&with_v2(&current), &foreign, None).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "version of another key: {err:?}");
    assert_stored(store, &current, &current_versions, "version of another key").await;
    assert_stored(store, &other, &[], "the other key").await;

    // A duplicate version id: AlreadyExists, and the key update is rolled back too.
    let dup = KeyVersionRecord { sealed_material: Some(vec![9; 32]), creation_date: 5, ..v1.clone() };
    let err = store.add_key_version(&with_v2(&current), &dup, None).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate version id: {err:?}");
    assert_stored(store, &current, &current_versions, "duplicate version id").await;

    // A key that never existed, and a deleted one: nothing is created or resurrected.
    let never = minimal_key(&ids.id("addc-never"));
    let never_v = version(&never.key_id, 1, None);
    let err = store.add_key_version(&never, &never_v, None).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "unknown key: {err:?}");
    assert_eq!(get(store, &never.key_id).await, None, "must not create the key");
    assert!(versions(store, &never.key_id).await.is_empty(), "must not create the version");
    let gone = minimal_key(&ids.id("addc-deleted"));
    create_plain(store, &gone).await;
    assert!(store.delete_key(&gone.key_id).await.expect("delete_key"));
    let gone_v = version(&gone.key_id, 1, None);
    let err = store.add_key_version(&gone, &gone_v, Some(100)).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "deleted key: {err:?}");
    assert_eq!(get(store, &gone.key_id).await, None, "must not resurrect the key");
    assert!(versions(store, &gone.key_id).await.is_empty(), "must not create the version");

    // With the current revision it succeeds.
    store.add_key_version(&with_v2(&current), &v2, None).await.expect("current revision");
    assert_stored(
        store,
        &KeyRecord { revision: current.revision + 1, ..with_v2(&current) },
        &[v1.clone(), v2],
        "after a successful addition",
    )
    .await;
}

async fn add_key_version_quota_enforced_and_nothing_written_on_failure(store: &dyn Store, ids: &Ids) {
    let inst = instance(&ids.id("addq"), 3, 1_700_000_000);
    store.create_instance(&inst).await.expect("create_instance");
    let q = Some(inst.key_quota);
    let inst_id = inst.instance_id.as_str();
    let count = move || async move { store.count_instance_key_versions(inst_id).await.expect("count") };
    let key_in = |name: &str| KeyRecord { instance_id: Some(inst.instance_id.clone()), ..minimal_key(&ids.id(name)) };

    let k1 = key_in("addq-1");
    let v1 = version(&k1.key_id, 1, Some(vec![1]));
    create(store, &k1, Some(&v1), &[], q).await.expect("create_key");
    let k2 = key_in("addq-2");
    create(store, &k2, None, &[], None).await.expect("create_key");
    assert_eq!(count().await, 1);

    // Versions of every key of the instance count.
    let (_, v2, result) = rotate(store, &k1.key_id, 2, q).await;
    result.expect("2 of 3");
    let (_, k2_v1, result) = rotate(store, &k2.key_id, 1, q).await;
    result.expect("3 of 3");
    assert_eq!(count().await, 3);

    // Full: refused, and neither the version nor the key update is written.
    let before = get(store, &k1.key_id).await.expect("key exists");
    let (_, _, result) = rotate(store, &k1.key_id, 3, q).await;
    assert!(matches!(result, Err(StoreError::QuotaExceeded)), "over quota: {result:?}");
    assert_stored(store, &before, &[v1.clone(), v2.clone()], "over quota").await;
    assert_eq!(count().await, 3);

    // A stale revision is reported as such even when the instance is full.
    let v3 = version(&k1.key_id, 3, Some(vec![3]));
    let stale = KeyRecord { revision: before.revision - 1, ..before.clone() };
    let err = store.add_key_version(&stale, &v3, q).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "stale revision in a full instance: {err:?}");
    // A duplicate version id in a full instance: either refusal, nothing written.
    let err = store.add_key_version(&before, &v1, q).await;
    assert!(
        matches!(err, Err(StoreError::AlreadyExists | StoreError::QuotaExceeded)),
        "duplicate in a full instance: {err:?}"
    );
    assert_stored(store, &before, &[v1.clone(), v2.clone()], "refusals in a full instance").await;

    // No quota means no check; a larger quota admits more; deleting a key frees its versions.
    let (_, v3, result) = rotate(store, &k1.key_id, 3, None).await;
    result.expect("unchecked");
    let (_, v4, result) = rotate(store, &k1.key_id, 4, Some(5)).await;
    result.expect("larger quota");
    assert_eq!(count().await, 5);
    let (_, _, result) = rotate(store, &k1.key_id, 5, Some(5)).await;
    assert!(matches!(result, Err(StoreError::QuotaExceeded)), "full again: {result:?}");
    assert_eq!(versions(store, &k1.key_id).await, vec![v1, v2, v3, v4]);
    assert_eq!(versions(store, &k2.key_id).await, vec![k2_v1]);
    assert!(store.delete_key(&k2.key_id).await.expect("delete_key"));
    let (_, _, result) = rotate(store, &k1.key_id, 5, Some(5)).await;
    result.expect("freed unit");
    assert_eq!(count().await, 5);

    // The quota concerns instance keys only: a default key is never refused.
    let default_key = minimal_key(&ids.id("addq-default"));
    create_plain(store, &default_key).await;
    let (_, v, result) = rotate(store, &default_key.key_id, 1, Some(0)).await;
    result.expect("default key, no quota");
    assert_eq!(versions(store, &default_key.key_id).await, vec![v]);
}

async fn add_key_version_quota_holds_under_concurrency(store: &dyn Store, ids: &Ids) {
    let inst = instance(&ids.id("addrace"), 3, 1_700_000_000);
    store.create_instance(&inst).await.expect("create_instance");
    let mut keys = Vec::new();
    for i in 0..8 {
        let key =
            KeyRecord { instance_id: Some(inst.instance_id.clone()), ..minimal_key(&ids.id(&format!("addrace-{i}"))) };
        create_plain(store, &key).await;
        let v = version(&key.key_id, 1, Some(vec![7; 64]));
        let rotated = KeyRecord { primary_version: Some(v.version_id.clone()), ..key };
        keys.push((rotated, v));
    }
    let q = Some(inst.key_quota);
    let attempt = |i: usize| store.add_key_version(&keys[i].0, &keys[i].1, q);
    let results =
        tokio::join!(attempt(0), attempt(1), attempt(2), attempt(3), attempt(4), attempt(5), attempt(6), attempt(7));
    let results = [results.0, results.1, results.2, results.3, results.4, results.5, results.6, results.7];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(StoreError::QuotaExceeded))).count();
    assert_eq!((ok, refused), (3, 5), "exactly the quota succeeds: {results:?}");
    assert_eq!(store.count_instance_key_versions(&inst.instance_id).await.expect("count"), 3);
    // Exactly the successful additions bumped their key's revision.
    for ((key, _), result) in keys.iter().zip(&results) {
        let stored = get(store, &key.key_id).await.expect("key exists");
        assert_eq!(stored.revision, key.revision + i64::from(result.is_ok()), "revision of {}", key.key_id);
        assert_eq!(versions(store, &key.key_id).await.len(), usize::from(result.is_ok()));
    }
}

async fn keys_due_for_rotation_selects_due_keys_by_id(store: &dyn Store, ids: &Ids) {
    let now = 1_800_000_000;
    // Created out of id order: the result is ordered by id. The key state does not matter.
    let cases = [
        ("rot-d-past", true, Some(now - 86_400), KeyState::Enabled, true),
        ("rot-b-now", true, Some(now), KeyState::Enabled, true),
        ("rot-C-disabled-key", true, Some(now - 1), KeyState::Disabled, true),
        ("rot-c-future", true, Some(now + 1), KeyState::Enabled, false),
        ("rot-a-no-date", true, None, KeyState::Enabled, false),
        ("rot-e-rotation-off", false, Some(now - 1), KeyState::Enabled, false),
    ];
    let (mut keys, mut expected) = (Vec::new(), Vec::new());
    for (name, enabled, next_rotation, state, due) in cases {
        let rotation = Rotation { enabled, interval_secs: enabled.then_some(86_400), next_rotation };
        let key = KeyRecord { rotation, state, ..minimal_key(&ids.id(name)) };
        create_plain(store, &key).await;
        if due {
            expected.push(key.key_id.clone());
        }
        keys.push(key);
    }
    expected.sort();
    let prefix = ids.id("rot-");
    let listed = |at: i64| {
        let prefix = &prefix;
        async move {
            let all = store.keys_due_for_rotation(at).await.expect("keys_due_for_rotation");
            assert!(all.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()), "ordered by id: {all:?}");
            all.into_iter().filter(|id| id.starts_with(prefix)).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(now).await, expected);
    assert_eq!(listed(now - 2).await, [ids.id("rot-d-past")], "earlier: only the long due");

    // A rotation moves the next date on, turning rotation off drops the key: both drop out.
    // Turning it on makes a key due.
    let (_, _, result) = rotate(store, &keys[0].key_id, 2, None).await;
    result.expect("add_key_version");
    let rotated = get(store, &keys[0].key_id).await.expect("key exists");
    let moved_on = KeyRecord {
        rotation: Rotation { next_rotation: Some(now + 86_400), ..rotated.rotation.clone() },
        ..rotated.clone()
    };
    store.update_key(&moved_on).await.expect("update_key");
    let off = KeyRecord { rotation: Rotation { enabled: false, ..keys[1].rotation.clone() }, ..keys[1].clone() };
    store.update_key(&off).await.expect("update_key");
    let on = KeyRecord { rotation: Rotation { enabled: true, ..keys[5].rotation.clone() }, ..keys[5].clone() };
    store.update_key(&on).await.expect("update_key");
    assert_eq!(listed(now).await, [ids.id("rot-C-disabled-key"), ids.id("rot-e-rotation-off")]);
}

async fn key_id_for_version_finds_the_owner(store: &dyn Store, ids: &Ids) {
    // Version ids are globally unique: these carry the run's prefix.
    let unique = |key_id: &str, n: u32, name: &str| KeyVersionRecord {
        version_id: ids.id(name),
        ..version(key_id, n, Some(vec![n as u8; 32]))
    };
    let k1 = minimal_key(&ids.id("kfv-key-1"));
    let va = unique(&k1.key_id, 1, "kfv-version-a");
    create(store, &k1, Some(&va), &[], None).await.expect("create_key");
    let vb = unique(&k1.key_id, 2, "kfv-version-b");
    store.add_key_version(&k1, &vb, None).await.expect("add_key_version");
    let k2 = external_key(&ids.id("kfv-key-2"));
    let vc = KeyVersionRecord { sealed_material: None, ..unique(&k2.key_id, 1, "kfv-version-c") };
    create(store, &k2, Some(&vc), &[], None).await.expect("create_key");
    let owner = |version_id: String| async move { store.key_id_for_version(&version_id).await.expect("owner") };

    assert_eq!(owner(va.version_id.clone()).await.as_ref(), Some(&k1.key_id), "first version");
    assert_eq!(owner(vb.version_id.clone()).await.as_ref(), Some(&k1.key_id), "added version");
    assert_eq!(owner(vc.version_id.clone()).await.as_ref(), Some(&k2.key_id), "version without material");
    assert_eq!(owner(ids.id("kfv-version-none")).await, None, "unknown version");
    assert_eq!(owner(k1.key_id.clone()).await, None, "a key id is not a version id");
    assert_eq!(owner(va.version_id.to_uppercase()).await, None, "exact match");

    // Material updates do not move a version; deleting the key removes it.
    store
        .update_key_material(&get(store, &k2.key_id).await.expect("key"), &vc.version_id, Some(&[1; 32]), None)
        .await
        .expect("update_key_material");
    assert_eq!(owner(vc.version_id.clone()).await.as_ref(), Some(&k2.key_id));
    assert!(store.delete_key(&k1.key_id).await.expect("delete_key"));
    assert_eq!(owner(va.version_id.clone()).await, None, "deleted with the key");
    assert_eq!(owner(vb.version_id.clone()).await, None, "deleted with the key");
    assert_eq!(owner(vc.version_id.clone()).await.as_ref(), Some(&k2.key_id), "other keys' versions kept");
}

// --- tags ---

async fn put_key_tags_upserts_within_the_limit(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("ptag"));
    create(store, &key, None, &[tag("a", "1"), tag("b", "2")], None).await.expect("create_key");
    let other = minimal_key(&ids.id("ptag-other"));
    create(store, &other, None, &[tag("a", "other")], None).await.expect("create_key");
    let tags_of = move |key_id: String| async move { store.list_key_tags(&key_id).await.expect("list_key_tags") };

    // New tags are added, existing ones overwritten; the result is sorted by tag key.
    store.put_key_tags(&key.key_id, &[tag("c", "3"), tag("a", "10")], 3).await.expect("put_key_tags");
    let three = vec![tag("a", "10"), tag("b", "2"), tag("c", "3")];
    assert_eq!(tags_of(key.key_id.clone()).await, three);

    // Over the limit: refused, and nothing is written (not even the overwrites).
    let err = store.put_key_tags(&key.key_id, &[tag("d", "4")], 3).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "over the limit: {err:?}");
    let err = store.put_key_tags(&key.key_id, &[tag("a", "11"), tag("Z", "0"), tag("d", "4")], 4).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "over the limit: {err:?}");
    assert_eq!(tags_of(key.key_id.clone()).await, three, "nothing written");

    // Overwrites alone never add: allowed at the limit. An empty value is a value.
    store.put_key_tags(&key.key_id, &[tag("a", "12"), tag("b", "")], 3).await.expect("overwrite at the limit");
    assert_eq!(tags_of(key.key_id.clone()).await, [tag("a", "12"), tag("b", ""), tag("c", "3")]);

    // A tag key repeated in one call counts once and keeps the last value; byte order.
    store.put_key_tags(&key.key_id, &[tag("d", "4"), tag("Z", "z"), tag("d", "5")], 5).await.expect("exactly at 5");
    let five = vec![tag("Z", "z"), tag("a", "12"), tag("b", ""), tag("c", "3"), tag("d", "5")];
    assert_eq!(tags_of(key.key_id.clone()).await, five);

    // No tags: nothing changes, unless the key is already over a (lowered) limit.
    store.put_key_tags(&key.key_id, &[], 5).await.expect("no tags");
    let err = store.put_key_tags(&key.key_id, &[], 4).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "already over a lowered limit: {err:?}");
    assert_eq!(tags_of(key.key_id.clone()).await, five);

    // A key without tags and a zero limit.
    let bare = minimal_key(&ids.id("ptag-bare"));
    create_plain(store, &bare).await;
    store.put_key_tags(&bare.key_id, &[], 0).await.expect("nothing to add");
    let err = store.put_key_tags(&bare.key_id, &[tag("x", "1")], 0).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "zero limit: {err:?}");
    assert!(tags_of(bare.key_id.clone()).await.is_empty());

    // Other keys' tags and the key itself are untouched.
    assert_eq!(tags_of(other.key_id.clone()).await, [tag("a", "other")]);
    assert_eq!(get(store, &key.key_id).await, Some(key), "tags do not bump the revision");
}

async fn put_key_tags_on_missing_key_conflicts(store: &dyn Store, ids: &Ids) {
    let never = ids.id("ptagc-never");
    let err = store.put_key_tags(&never, &[tag("a", "1")], 10).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "unknown key: {err:?}");
    let err = store.put_key_tags(&never, &[], 10).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "unknown key, no tags: {err:?}");
    assert!(store.list_key_tags(&never).await.expect("tags").is_empty(), "no orphan tags");

    let key = minimal_key(&ids.id("ptagc-deleted"));
    create(store, &key, None, &[tag("old", "1")], None).await.expect("create_key");
    assert!(store.delete_key(&key.key_id).await.expect("delete_key"));
    let err = store.put_key_tags(&key.key_id, &[tag("a", "1")], 10).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "deleted key: {err:?}");
    assert_eq!(get(store, &key.key_id).await, None, "must not resurrect");
    create_plain(store, &key).await;
    assert!(store.list_key_tags(&key.key_id).await.expect("tags").is_empty(), "no tag comes back");
}

async fn put_key_tags_limit_holds_under_concurrency(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("ptagrace"));
    create(store, &key, None, &[tag("base", "0")], None).await.expect("create_key");
    // Disjoint tags, two per call: only the limit check orders the calls.
    let tags: Vec<[Tag; 2]> = (0..8).map(|i| [tag(&format!("t{i}a"), "v"), tag(&format!("t{i}b"), "v")]).collect();
    let attempt = |i: usize| store.put_key_tags(&key.key_id, &tags[i], 5);
    let results =
        tokio::join!(attempt(0), attempt(1), attempt(2), attempt(3), attempt(4), attempt(5), attempt(6), attempt(7));
    let results = [results.0, results.1, results.2, results.3, results.4, results.5, results.6, results.7];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(StoreError::QuotaExceeded))).count();
    assert_eq!((ok, refused), (2, 6), "exactly up to the limit succeeds: {results:?}");
    // Each call wrote all of its tags or none.
    let stored = store.list_key_tags(&key.key_id).await.expect("list_key_tags");
    assert_eq!(stored.len(), 5, "{stored:?}");
    for (i, result) in results.iter().enumerate() {
        for t in &tags[i] {
            assert_eq!(stored.contains(t), result.is_ok(), "tags of call {i}: {stored:?}");
        }
    }
}

async fn remove_key_tags_counts_removed(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("rtag"));
    let all = [tag("a", "1"), tag("b", "2"), tag("c", "3"), tag("d", "4")];
    create(store, &key, None, &all, None).await.expect("create_key");
    let other = minimal_key(&ids.id("rtag-other"));
    create(store, &other, None, &[tag("a", "1"), tag("b", "2")], None).await.expect("create_key");
    let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let remove = move |key_id: String, n: Vec<String>| async move {
        store.remove_key_tags(&key_id, &n).await.expect("remove_key_tags")
    };

    // Absent keys are ignored, a repeated one counts once, matching is exact.
    assert_eq!(remove(key.key_id.clone(), names(&["a", "x", "a", "B", "c "])).await, 1);
    assert_eq!(remove(key.key_id.clone(), names(&["b", "c"])).await, 2);
    assert_eq!(remove(key.key_id.clone(), names(&[])).await, 0, "nothing named");
    assert_eq!(remove(key.key_id.clone(), names(&["a", "b"])).await, 0, "already removed");
    assert_eq!(store.list_key_tags(&key.key_id).await.expect("tags"), [tag("d", "4")]);
    assert_eq!(remove(ids.id("rtag-never"), names(&["a"])).await, 0, "unknown key");
    assert_eq!(store.list_key_tags(&other.key_id).await.expect("tags"), [tag("a", "1"), tag("b", "2")]);

    // Removed tags can be put again.
    store.put_key_tags(&key.key_id, &[tag("a", "new")], 2).await.expect("put_key_tags");
    assert_eq!(store.list_key_tags(&key.key_id).await.expect("tags"), [tag("a", "new"), tag("d", "4")]);
    assert_eq!(remove(key.key_id.clone(), names(&["d", "a"])).await, 2);
    assert!(store.list_key_tags(&key.key_id).await.expect("tags").is_empty());
}

async fn list_all_key_tags_ordered_by_key_then_tag(store: &dyn Store, ids: &Ids) {
    let prefix = ids.id("lat-");
    let listed = || {
        let prefix = &prefix;
        async move {
            let all = store.list_all_key_tags().await.expect("list_all_key_tags");
            assert!(
                all.windows(2)
                    .all(|w| (w[0].0.as_bytes(), w[0].1.key.as_bytes()) < (w[1].0.as_bytes(), w[1].1.key.as_bytes())),
                "ordered by key id then tag key"
            );
            all.into_iter().filter(|(k, _)| k.starts_with(prefix)).collect::<Vec<_>>()
        }
    };
    // Created out of order.
    let (a, b, c, upper) = (ids.id("lat-a"), ids.id("lat-b"), ids.id("lat-c"), ids.id("lat-B"));
    create(store, &minimal_key(&b), None, &[tag("z", "1"), tag("A", "2"), tag("m", "")], None).await.expect("create");
    create(store, &minimal_key(&c), None, &[], None).await.expect("create");
    create(store, &minimal_key(&a), None, &[tag("m", "3")], None).await.expect("create");
    create(store, &minimal_key(&upper), None, &[tag("q", "4")], None).await.expect("create");
    let entry = |k: &str, t: Tag| (k.to_owned(), t);
    assert_eq!(
        listed().await,
        [
            entry(&upper, tag("q", "4")),
            entry(&a, tag("m", "3")),
            entry(&b, tag("A", "2")),
            entry(&b, tag("m", "")),
            entry(&b, tag("z", "1")),
        ]
    );

    // Changes show: tags put, tags removed, keys deleted.
    store.put_key_tags(&c, &[tag("x", "5")], 10).await.expect("put_key_tags");
    assert_eq!(store.remove_key_tags(&b, &["m".to_owned()]).await.expect("remove_key_tags"), 1);
    assert!(store.delete_key(&upper).await.expect("delete_key"));
    assert_eq!(
        listed().await,
        [entry(&a, tag("m", "3")), entry(&b, tag("A", "2")), entry(&b, tag("z", "1")), entry(&c, tag("x", "5"))]
    );
}

// --- aliases ---

/// An alias named after `name`, unique to this run.
fn alias(ids: &Ids, name: &str, key_id: &str, creation_date: i64) -> AliasRecord {
    AliasRecord { alias_name: format!("alias/{}", ids.id(name)), key_id: key_id.to_owned(), creation_date }
}

async fn get_alias(store: &dyn Store, alias_name: &str) -> Option<AliasRecord> {
    store.get_alias(alias_name).await.expect("get_alias")
}

/// Number of aliases in the whole store (other runs' included: the quota counts them all).
async fn alias_total(store: &dyn Store) -> i64 {
    store.list_aliases(None).await.expect("list_aliases").len() as i64
}

/// Creates a key with no version or tags, returning its id.
async fn plain_key(store: &dyn Store, ids: &Ids, name: &str) -> String {
    let key = minimal_key(&ids.id(name));
    create_plain(store, &key).await;
    key.key_id
}

async fn aliases_round_trip_and_refusals(store: &dyn Store, ids: &Ids) {
    let k1 = plain_key(store, ids, "al-k1").await;
    let k2 = plain_key(store, ids, "al-k2").await;
    let roomy = alias_total(store).await + 100;

    let a = alias(ids, "al-one", &k1, 1_700_000_000);
    let b =
        AliasRecord { alias_name: format!("alias/{}-ünï/cödé", ids.id("al-two")), creation_date: -1, ..a.clone() };
    let c = AliasRecord { creation_date: i64::MAX, ..alias(ids, "al-three", &k2, 0) };
    for x in [&a, &b, &c] {
        store.create_alias(x, roomy).await.expect("create_alias");
        assert_eq!(get_alias(store, &x.alias_name).await.as_ref(), Some(x), "every field round-trips");
    }
    assert_eq!(get_alias(store, &format!("alias/{}", ids.id("al-none"))).await, None, "unknown alias");
    assert_eq!(get_alias(store, &a.alias_name.to_uppercase()).await, None, "names are case-sensitive");

    // A taken name: AlreadyExists, checked before the quota and the key.
    let dup = AliasRecord { key_id: k2.clone(), creation_date: 5, ..a.clone() };
    let err = store.create_alias(&dup, roomy).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "taken name: {err:?}");
    let err = store.create_alias(&dup, alias_total(store).await).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "taken name, quota full: {err:?}");
    let dup_no_key = AliasRecord { key_id: ids.id("al-no-key"), ..a.clone() };
    let err = store.create_alias(&dup_no_key, roomy).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "taken name, unknown key: {err:?}");
    assert_eq!(get_alias(store, &a.alias_name).await, Some(a.clone()), "the original is untouched");

    // A key that does not exist, or no longer does: Conflict, nothing stored.
    let orphan = alias(ids, "al-orphan", &ids.id("al-no-key"), 1);
    let err = store.create_alias(&orphan, roomy).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "alias of an unknown key: {err:?}");
    assert_eq!(get_alias(store, &orphan.alias_name).await, None, "refused alias not stored");
    let gone = plain_key(store, ids, "al-deleted-key").await;
    assert!(store.delete_key(&gone).await.expect("delete_key"));
    let late = alias(ids, "al-late", &gone, 1);
    let err = store.create_alias(&late, roomy).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "alias of a deleted key: {err:?}");
    assert_eq!(get_alias(store, &late.alias_name).await, None, "refused alias not stored");
    assert_eq!(get(store, &gone).await, None, "the key is not resurrected");
    assert_eq!(store.list_aliases(Some(&k1)).await.expect("list_aliases"), [a, b], "aliases of k1");
    assert_eq!(store.list_aliases(Some(&k2)).await.expect("list_aliases"), [c], "aliases of k2");
}

async fn alias_quota_enforced_and_nothing_written_on_failure(store: &dyn Store, ids: &Ids) {
    let key = plain_key(store, ids, "alq-key").await;
    let base = alias_total(store).await;
    let quota = base + 2;

    let a1 = alias(ids, "alq-1", &key, 1);
    let a2 = alias(ids, "alq-2", &key, 2);
    let a3 = alias(ids, "alq-3", &key, 3);
    store.create_alias(&a1, quota).await.expect("1 of 2");
    store.create_alias(&a2, quota).await.expect("2 of 2");
    assert_eq!(alias_total(store).await, quota);

    // Full: refused, nothing stored; the quota is checked before the key.
    let err = store.create_alias(&a3, quota).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "over quota: {err:?}");
    let orphan = alias(ids, "alq-orphan", &ids.id("alq-no-key"), 3);
    let err = store.create_alias(&orphan, quota).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "over quota, unknown key: {err:?}");
    for (q, what) in [(0, "zero quota"), (-1, "negative quota"), (base, "quota below the total")] {
        let err = store.create_alias(&a3, q).await;
        assert!(matches!(err, Err(StoreError::QuotaExceeded)), "{what}: {err:?}");
    }
    assert_eq!(get_alias(store, &a3.alias_name).await, None, "refused alias not stored");
    assert_eq!(get_alias(store, &orphan.alias_name).await, None, "refused alias not stored");
    assert_eq!(alias_total(store).await, quota);

    // Deleting an alias frees its unit; a larger quota admits more.
    assert!(store.delete_alias(&a1.alias_name).await.expect("delete_alias"));
    store.create_alias(&a3, quota).await.expect("freed unit");
    let a4 = alias(ids, "alq-4", &key, 4);
    let err = store.create_alias(&a4, quota).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "full again: {err:?}");
    store.create_alias(&a4, quota + 1).await.expect("larger quota");
    assert_eq!(store.list_aliases(Some(&key)).await.expect("list_aliases"), [a2, a3, a4]);
}

async fn alias_quota_and_names_hold_under_concurrency(store: &dyn Store, ids: &Ids) {
    let key = plain_key(store, ids, "alrace-key").await;
    let quota = alias_total(store).await + 3;
    let aliases: Vec<AliasRecord> = (0..8).map(|i| alias(ids, &format!("alrace-{i}"), &key, i)).collect();
    let attempt = |i: usize| store.create_alias(&aliases[i], quota);
    let results =
        tokio::join!(attempt(0), attempt(1), attempt(2), attempt(3), attempt(4), attempt(5), attempt(6), attempt(7));
    let results = [results.0, results.1, results.2, results.3, results.4, results.5, results.6, results.7];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(StoreError::QuotaExceeded))).count();
    assert_eq!((ok, refused), (3, 5), "exactly the quota succeeds: {results:?}");
    assert_eq!(alias_total(store).await, quota);
    for (a, result) in aliases.iter().zip(&results) {
        assert_eq!(get_alias(store, &a.alias_name).await.is_some(), result.is_ok(), "{}", a.alias_name);
    }

    // One name created by several at once: exactly one wins.
    let contested: Vec<AliasRecord> =
        (0..4).map(|i| AliasRecord { creation_date: 100 + i, ..alias(ids, "alrace-contested", &key, 0) }).collect();
    let roomy = alias_total(store).await + 100;
    let attempt = |i: usize| store.create_alias(&contested[i], roomy);
    let results = tokio::join!(attempt(0), attempt(1), attempt(2), attempt(3));
    let results = [results.0, results.1, results.2, results.3];
    let ok: Vec<usize> = (0..4).filter(|&i| results[i].is_ok()).collect();
    let taken = results.iter().filter(|r| matches!(r, Err(StoreError::AlreadyExists))).count();
    assert_eq!((ok.len(), taken), (1, 3), "one winner: {results:?}");
    assert_eq!(get_alias(store, &contested[0].alias_name).await.as_ref(), Some(&contested[ok[0]]), "the winner's");
    assert!(store.delete_key(&key).await.expect("delete_key"));
}

async fn update_and_delete_alias(store: &dyn Store, ids: &Ids) {
    let k1 = plain_key(store, ids, "alu-k1").await;
    let k2 = plain_key(store, ids, "alu-k2").await;
    let a = alias(ids, "alu", &k1, 1_700_000_000);
    store.create_alias(&a, alias_total(store).await + 1).await.expect("create_alias");
    let on_k2 = AliasRecord { key_id: k2.clone(), ..a.clone() };

    // Repointing changes the key only; repointing to the same key is fine.
    assert!(store.update_alias(&a.alias_name, &k2).await.expect("update_alias"), "existed");
    assert_eq!(get_alias(store, &a.alias_name).await, Some(on_k2.clone()));
    assert!(store.update_alias(&a.alias_name, &k2).await.expect("update_alias"), "same key");
    assert!(store.list_aliases(Some(&k1)).await.expect("list_aliases").is_empty(), "moved off k1");
    assert_eq!(store.list_aliases(Some(&k2)).await.expect("list_aliases"), std::slice::from_ref(&on_k2));

    // An unknown alias: false, nothing created.
    let unknown = format!("alias/{}", ids.id("alu-unknown"));
    assert!(!store.update_alias(&unknown, &k1).await.expect("update_alias"), "unknown alias");
    assert_eq!(get_alias(store, &unknown).await, None, "update must not create");

    // A key that does not exist, or no longer does: Conflict (even for an unknown alias), the
    // alias unchanged.
    let never = ids.id("alu-no-key");
    for (name, what) in [(&a.alias_name, "known alias"), (&unknown, "unknown alias")] {
        let err = store.update_alias(name, &never).await;
        assert!(matches!(err, Err(StoreError::Conflict)), "{what}, unknown key: {err:?}");
    }
    let gone = plain_key(store, ids, "alu-deleted-key").await;
    assert!(store.delete_key(&gone).await.expect("delete_key"));
    let err = store.update_alias(&a.alias_name, &gone).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "deleted key: {err:?}");
    assert_eq!(get_alias(store, &a.alias_name).await, Some(on_k2.clone()), "alias unchanged");
    assert_eq!(get(store, &gone).await, None, "the key is not resurrected");

    // Delete: true once, then false; a deleted alias cannot be updated; its name is reusable.
    assert!(store.delete_alias(&a.alias_name).await.expect("delete_alias"), "existed");
    assert_eq!(get_alias(store, &a.alias_name).await, None);
    assert!(!store.delete_alias(&a.alias_name).await.expect("delete_alias"), "already gone");
    assert!(!store.delete_alias(&unknown).await.expect("delete_alias"), "never existed");
    assert!(!store.update_alias(&a.alias_name, &k1).await.expect("update_alias"), "deleted alias");
    assert_eq!(get_alias(store, &a.alias_name).await, None, "update must not re-create");
    assert!(get(store, &k2).await.is_some(), "deleting an alias keeps its key");
    store.create_alias(&a, alias_total(store).await + 1).await.expect("name reusable");
    assert_eq!(get_alias(store, &a.alias_name).await, Some(a));
}

async fn list_aliases_ordered_by_name_in_byte_order(store: &dyn Store, ids: &Ids) {
    let k1 = plain_key(store, ids, "alo-k1").await;
    let k2 = plain_key(store, ids, "alo-k2").await;
    // Created out of order. Byte order: uppercase before lowercase, `-` and `_` before letters,
    // a prefix before its extensions (a locale collation would order these differently).
    let specs = [
        ("alo-b", &k1, 3),
        ("alo-B", &k2, 1),
        ("alo-ab", &k2, 2),
        ("alo-a", &k1, 9),
        ("alo-a_z", &k1, 0),
        ("alo-a-b", &k2, 5),
        ("alo-A-c", &k1, 4),
    ];
    let roomy = alias_total(store).await + 100;
    let mut created = Vec::new();
    for (name, key_id, date) in specs {
        let a = alias(ids, name, key_id, date);
        store.create_alias(&a, roomy).await.expect("create_alias");
        created.push(a);
    }
    let mut expected = created.clone();
    expected.sort_by(|x, y| x.alias_name.as_bytes().cmp(y.alias_name.as_bytes()));
    let names: Vec<String> = expected.iter().map(|a| a.alias_name.clone()).collect();
    let run = |n: &str| format!("alias/{}", ids.id(n));
    assert_eq!(
        names,
        ["alo-A-c", "alo-B", "alo-a", "alo-a-b", "alo-a_z", "alo-ab", "alo-b"].map(run),
        "the expected byte order"
    );

    let all = store.list_aliases(None).await.expect("list_aliases");
    assert!(
        all.windows(2).all(|w| w[0].alias_name.as_bytes() < w[1].alias_name.as_bytes()),
        "list_aliases ordered by name in byte order"
    );
    let prefix = run("alo-");
    let listed: Vec<AliasRecord> = all.into_iter().filter(|a| a.alias_name.starts_with(&prefix)).collect();
    assert_eq!(listed, expected, "complete records, by name");

    let of = |k: &str| expected.iter().filter(|a| a.key_id == k).cloned().collect::<Vec<_>>();
    assert_eq!(store.list_aliases(Some(&k1)).await.expect("list_aliases"), of(&k1), "aliases of k1");
    assert_eq!(store.list_aliases(Some(&k2)).await.expect("list_aliases"), of(&k2), "aliases of k2");
    assert!(store.list_aliases(Some(&ids.id("alo-none"))).await.expect("list_aliases").is_empty(), "unknown key");
    assert!(store.delete_key(&k1).await.expect("delete_key"));
    assert!(store.delete_key(&k2).await.expect("delete_key"));
}

async fn aliases_deleted_with_their_key(store: &dyn Store, ids: &Ids) {
    let k1 = plain_key(store, ids, "alc-k1").await;
    let k2 = plain_key(store, ids, "alc-k2").await;
    let roomy = alias_total(store).await + 100;
    let a1 = alias(ids, "alc-a1", &k1, 1);
    let a2 = alias(ids, "alc-a2", &k1, 2);
    let b = alias(ids, "alc-b", &k2, 3);
    for a in [&a1, &a2, &b] {
        store.create_alias(a, roomy).await.expect("create_alias");
    }

    // Updating the key, adding versions or tags leaves its aliases alone.
    let current = get(store, &k1).await.expect("key exists");
    store.update_key(&KeyRecord { state: KeyState::Disabled, ..current }).await.expect("update_key");
    let (_, _, result) = rotate(store, &k1, 1, None).await;
    result.expect("add_key_version");
    store.put_key_tags(&k1, &[tag("t", "v")], 10).await.expect("put_key_tags");
    assert_eq!(store.list_aliases(Some(&k1)).await.expect("list_aliases"), [a1.clone(), a2.clone()]);

    assert!(store.delete_key(&k1).await.expect("delete_key"));
    assert_eq!(get_alias(store, &a1.alias_name).await, None, "deleted with the key");
    assert_eq!(get_alias(store, &a2.alias_name).await, None, "deleted with the key");
    assert!(store.list_aliases(Some(&k1)).await.expect("list_aliases").is_empty());
    assert_eq!(get_alias(store, &b.alias_name).await, Some(b.clone()), "other keys' aliases kept");

    // A re-created key does not get the old aliases back; their names can be reused.
    create_plain(store, &minimal_key(&k1)).await;
    assert!(store.list_aliases(Some(&k1)).await.expect("list_aliases").is_empty(), "no alias comes back");
    store.create_alias(&a1, roomy).await.expect("name reusable");
    assert_eq!(get_alias(store, &a1.alias_name).await, Some(a1.clone()));

    assert!(store.delete_key(&k2).await.expect("delete_key"));
    assert_eq!(get_alias(store, &b.alias_name).await, None, "deleted with the key");
    assert!(store.delete_key(&k1).await.expect("delete_key"));
    assert_eq!(get_alias(store, &a1.alias_name).await, None, "deleted with the key");
}

// --- secrets ---

/// A secret with every optional field absent.
fn minimal_secret(secret_name: &str) -> SecretRecord {
    SecretRecord {
        secret_name: secret_name.to_owned(),
        secret_type: SecretType::Generic,
        description: String::new(),
        encryption_key_id: "00000000-0000-4000-8000-0000000000aa".to_owned(),
        instance_id: None,
        creation_date: 1_700_000_000,
        update_date: 1_700_000_000,
        planned_delete: None,
        policy: "{}".to_owned(),
        creator: "1234567890".to_owned(),
        revision: 0,
    }
}

/// A secret with every optional field present.
fn full_secret(secret_name: &str, instance_id: &str) -> SecretRecord {
    SecretRecord {
        secret_name: secret_name.to_owned(),
        secret_type: SecretType::Generic,
        description: format!("凭据 ✓ \"quoted\" 'single' \\ {}", "d".repeat(1000)),
        encryption_key_id: "key-shh5f4b8a2c1e0d9g7h6".to_owned(),
        instance_id: Some(instance_id.to_owned()),
        creation_date: 1_700_000_001,
        update_date: 1_700_000_002,
        planned_delete: Some(1_700_604_802),
        policy: r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1:*"]},"Action":["kms:*"],"Resource":["*"],"Condition":{"StringEquals":{"x":"值 \"q\""}}}]}"#.to_owned(),
        creator: "acs:ram::1234567890:user/alice".to_owned(),
        revision: 7,
    }
}

/// Version `n` of a secret (`seq` = `n`), holding `stages`.
fn secret_version(
    secret_name: &str,
    n: i64,
    data_type: SecretDataType,
    ciphertext: Vec<u8>,
    stages: &[&str],
) -> SecretVersionRecord {
    SecretVersionRecord {
        secret_name: secret_name.to_owned(),
        version_id: format!("v{n}"),
        seq: n,
        creation_date: 1_700_000_000 + n,
        data_type,
        ciphertext,
        stages: stages.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// A text version `n` holding `stages`, with a small ciphertext.
fn text_version(secret_name: &str, n: i64, stages: &[&str]) -> SecretVersionRecord {
    secret_version(secret_name, n, SecretDataType::Text, vec![n as u8; 40], stages)
}

/// A 30720-byte ciphertext holding every byte value (the largest secret value, sealed).
fn large_ciphertext() -> Vec<u8> {
    (0..30_720u32).map(|i| (i.wrapping_mul(7) % 256) as u8).collect()
}

/// Creates a secret with its first version, tags and quota.
async fn create_s(
    store: &dyn Store,
    secret: &SecretRecord,
    version: &SecretVersionRecord,
    tags: &[Tag],
    instance_quota: Option<i64>,
) -> Result<(), StoreError> {
    store.create_secret(NewSecret { secret, version, tags, instance_quota }).await
}

/// Creates a secret with a first text version `v1` (ACSCurrent) and no tags or quota; panics on
/// failure. Returns the version.
async fn create_s_plain(store: &dyn Store, secret: &SecretRecord) -> SecretVersionRecord {
    let v = text_version(&secret.secret_name, 1, &["ACSCurrent"]);
    create_s(store, secret, &v, &[], None).await.expect("create_secret");
    v
}

async fn get_s(store: &dyn Store, secret_name: &str) -> Option<SecretRecord> {
    store.get_secret(secret_name).await.expect("get_secret")
}

async fn s_versions(store: &dyn Store, secret_name: &str) -> Vec<SecretVersionRecord> {
    store.list_secret_versions(secret_name).await.expect("list_secret_versions")
}

async fn s_tags(store: &dyn Store, secret_name: &str) -> Vec<Tag> {
    store.list_secret_tags(secret_name).await.expect("list_secret_tags")
}

/// Asserts that `secret`, its versions and its tags are stored exactly as given.
async fn assert_secret_stored(
    store: &dyn Store,
    secret: &SecretRecord,
    versions: &[SecretVersionRecord],
    tags: &[Tag],
    what: &str,
) {
    assert_eq!(get_s(store, &secret.secret_name).await.as_ref(), Some(secret), "{what}: secret unchanged");
    assert_eq!(s_versions(store, &secret.secret_name).await, versions, "{what}: versions unchanged");
    assert_eq!(s_tags(store, &secret.secret_name).await, tags, "{what}: tags unchanged");
}

/// Asserts that nothing of `secret_name` is stored.
async fn assert_secret_absent(store: &dyn Store, secret_name: &str, what: &str) {
    assert_eq!(get_s(store, secret_name).await, None, "{what}: no secret");
    assert!(s_versions(store, secret_name).await.is_empty(), "{what}: no versions");
    assert!(s_tags(store, secret_name).await.is_empty(), "{what}: no tags");
}

async fn secret_round_trip_all_fields(store: &dyn Store, ids: &Ids) {
    let inst = ids.id("srt-instance");
    // Chinese characters and every punctuation a secret name may hold.
    let secret = full_secret(&ids.id("srt-数据库/prod+key=1.a@b-c"), &inst);
    let v = secret_version(
        &secret.secret_name,
        1,
        SecretDataType::Binary,
        large_ciphertext(),
        &["ACSCurrent", "ACSPrevious", "自定义-stage \"q\" \\"],
    );
    let tags = [tag("env", "prod"), tag("owner", "李雷"), tag("empty", "")];
    create_s(store, &secret, &v, &tags, None).await.expect("create_secret");

    assert_eq!(get_s(store, &secret.secret_name).await, Some(secret.clone()), "every field round-trips");
    let stored = s_versions(store, &secret.secret_name).await;
    assert_eq!(stored, vec![v.clone()], "version round-trips");
    assert_eq!(stored[0].ciphertext.len(), 30_720, "the whole ciphertext");
    assert_eq!(
        s_tags(store, &secret.secret_name).await,
        vec![tag("empty", ""), tag("env", "prod"), tag("owner", "李雷")]
    );
    assert_eq!(store.count_instance_secrets(&inst).await.expect("count"), 1);
    let listed = store.list_secrets().await.expect("list_secrets");
    assert!(listed.contains(&secret), "list_secrets returns complete records");
}

async fn secret_round_trip_optional_fields_absent(store: &dyn Store, ids: &Ids) {
    let secret = minimal_secret(&ids.id("srt-minimal"));
    // Text data, no stages, an empty ciphertext (present, not absent).
    let v = secret_version(&secret.secret_name, 1, SecretDataType::Text, Vec::new(), &[]);
    create_s(store, &secret, &v, &[], None).await.expect("create_secret");
    assert_eq!(get_s(store, &secret.secret_name).await, Some(secret.clone()), "None fields stay None");
    assert_eq!(s_versions(store, &secret.secret_name).await, vec![v], "empty stages and ciphertext");
    assert!(s_tags(store, &secret.secret_name).await.is_empty());
    assert_secret_absent(store, &ids.id("srt-never-created"), "unknown secret").await;

    // Names are case-sensitive: another case is another secret.
    let upper = secret.secret_name.to_uppercase();
    assert_eq!(get_s(store, &upper).await, None, "lookup is case-sensitive");
    let other = SecretRecord { description: "upper".to_owned(), ..minimal_secret(&upper) };
    let other_v = secret_version(&upper, 1, SecretDataType::Binary, vec![1, 2, 3], &["ACSCurrent"]);
    create_s(store, &other, &other_v, &[tag("case", "upper")], None).await.expect("a name in another case");
    assert_eq!(get_s(store, &upper).await, Some(other));
    assert_eq!(get_s(store, &secret.secret_name).await, Some(secret.clone()), "the original is untouched");
    assert!(s_tags(store, &secret.secret_name).await.is_empty(), "tags do not mix across cases");
    assert!(store.delete_secret(&upper).await.expect("delete_secret"));
    assert_eq!(get_s(store, &secret.secret_name).await, Some(secret), "deleting one case keeps the other");
}

async fn create_secret_duplicate_is_already_exists(store: &dyn Store, ids: &Ids) {
    let inst = instance(&ids.id("sdup-instance"), 0, 1_700_000_000);
    let secret =
        SecretRecord { instance_id: Some(inst.instance_id.clone()), ..minimal_secret(&ids.id("sdup-密钥/a")) };
    let v1 = text_version(&secret.secret_name, 1, &["ACSCurrent"]);
    create_s(store, &secret, &v1, &[tag("a", "1")], Some(5)).await.expect("create_secret");
    let stored_tags = [tag("a", "1")];

    let other = SecretRecord { description: "second".to_owned(), revision: 3, ..secret.clone() };
    let v2 = text_version(&secret.secret_name, 2, &["ACSCurrent"]);
    let err = create_s(store, &other, &v2, &[tag("b", "2")], None).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate name: {err:?}");
    // Also when the instance is full: the name is reported first.
    let err = create_s(store, &other, &v2, &[tag("b", "2")], Some(1)).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate name in a full instance: {err:?}");
    assert_secret_stored(store, &secret, std::slice::from_ref(&v1), &stored_tags, "duplicate").await;
    assert_eq!(store.count_instance_secrets(&inst.instance_id).await.expect("count"), 1);

    // A secret pending deletion keeps its name.
    let pending = SecretRecord { planned_delete: Some(1_700_000_500), update_date: 1_700_000_100, ..secret.clone() };
    store.update_secret(&pending, &[], &[]).await.expect("schedule deletion");
    let pending = SecretRecord { revision: secret.revision + 1, ..pending };
    let err = create_s(store, &other, &v2, &[], None).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "name of a secret pending deletion: {err:?}");
    assert_secret_stored(store, &pending, &[v1], &stored_tags, "pending deletion").await;
}

async fn update_secret_replaces_metadata_and_versions(store: &dyn Store, ids: &Ids) {
    let inst = ids.id("supd-instance");
    let original = minimal_secret(&ids.id("supd"));
    let v1 = create_s_plain(store, &original).await;
    let tags = [tag("t", "v")];
    store.put_secret_tags(&original.secret_name, &tags, 10).await.expect("put_secret_tags");

    // None -> Some for every optional field; a new current version, the old one demoted.
    let changed = SecretRecord { revision: original.revision, ..full_secret(&original.secret_name, &inst) };
    let v2 = secret_version(&original.secret_name, 2, SecretDataType::Binary, large_ciphertext(), &["ACSCurrent"]);
    let v1_prev = SecretVersionRecord { stages: vec!["ACSPrevious".to_owned()], ..v1.clone() };
    store.update_secret(&changed, &[v2.clone(), v1_prev.clone()], &[]).await.expect("update_secret");
    let stored = get_s(store, &original.secret_name).await.expect("secret exists");
    assert_eq!(stored, SecretRecord { revision: original.revision + 1, ..changed.clone() }, "replaced, bumped");
    assert_eq!(s_versions(store, &original.secret_name).await, vec![v1_prev.clone(), v2.clone()], "by seq");
    assert_eq!(s_tags(store, &original.secret_name).await, tags, "tags untouched");
    assert_eq!(store.count_instance_secrets(&inst).await.expect("count"), 1, "moved into the instance");

    // Metadata only: the versions stay.
    let meta_only = SecretRecord { description: "只改描述".to_owned(), ..stored };
    store.update_secret(&meta_only, &[], &[]).await.expect("update_secret");
    let stored = get_s(store, &original.secret_name).await.expect("secret exists");
    assert_eq!(stored, SecretRecord { revision: original.revision + 2, ..meta_only });
    assert_eq!(s_versions(store, &original.secret_name).await, vec![v1_prev.clone(), v2.clone()]);

    // Some -> None again; v1 deleted, v3 added, v2 replaced in place (every field but the id),
    // an unknown version id to delete is ignored.
    let back = SecretRecord { revision: stored.revision, ..original.clone() };
    let v3 = text_version(&original.secret_name, 3, &["ACSCurrent", "custom"]);
    let v2_new = SecretVersionRecord {
        seq: 5,
        creation_date: 42,
        data_type: SecretDataType::Text,
        ciphertext: vec![0xee; 3],
        stages: vec!["ACSPrevious".to_owned()],
        ..v2.clone()
    };
    let delete = ["v1".to_owned(), "v-never".to_owned()];
    store.update_secret(&back, &[v3.clone(), v2_new.clone()], &delete).await.expect("update_secret");
    let stored = get_s(store, &original.secret_name).await.expect("secret exists");
    assert_eq!(stored, SecretRecord { revision: original.revision + 3, ..original.clone() });
    assert_eq!(s_versions(store, &original.secret_name).await, vec![v3.clone(), v2_new.clone()], "by seq");
    assert_eq!(store.count_instance_secrets(&inst).await.expect("count"), 0, "moved out of the instance");

    // A version both deleted and put ends up as put; deleting every version leaves none.
    let v3_again = SecretVersionRecord { stages: vec!["ACSCurrent".to_owned()], ..v3.clone() };
    store.update_secret(&stored, std::slice::from_ref(&v3_again), &["v3".to_owned()]).await.expect("update_secret");
    assert_eq!(s_versions(store, &original.secret_name).await, vec![v3_again, v2_new]);
    let stored = get_s(store, &original.secret_name).await.expect("secret exists");
    store.update_secret(&stored, &[], &["v2".to_owned(), "v3".to_owned()]).await.expect("update_secret");
    assert!(s_versions(store, &original.secret_name).await.is_empty(), "every version deleted");
    assert_eq!(get_s(store, &original.secret_name).await.expect("secret exists").revision, original.revision + 5);
}

async fn update_secret_conflicts_change_nothing(store: &dyn Store, ids: &Ids) {
    let secret = minimal_secret(&ids.id("supc"));
    let v1 = create_s_plain(store, &secret).await;
    let other = minimal_secret(&ids.id("supc-other"));
    let other_v1 = create_s_plain(store, &other).await;
    let first = SecretRecord { description: "first writer".to_owned(), ..secret.clone() };
    store.update_secret(&first, &[], &[]).await.expect("first writer wins");
    let current = get_s(store, &secret.secret_name).await.expect("secret exists");
    assert_eq!(current, SecretRecord { revision: secret.revision + 1, ..first });
    let current_versions = vec![v1.clone()];

    let v2 = text_version(&secret.secret_name, 2, &["ACSCurrent"]);
    let v1_prev = SecretVersionRecord { stages: vec!["ACSPrevious".to_owned()], ..v1.clone() };
    let lost = |base: &SecretRecord| SecretRecord { description: "must not stick".to_owned(), ..base.clone() };

    // A stale revision and a revision from the future: nothing written, not even the versions.
    let err = store.update_secret(&lost(&secret), &[v2.clone(), v1_prev.clone()], &["v1".to_owned()]).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "stale revision: {err:?}");
    assert_secret_stored(store, &current, &current_versions, &[], "stale revision").await;
    let ahead = SecretRecord { revision: current.revision + 5, ..lost(&current) };
    let err = store.update_secret(&ahead, std::slice::from_ref(&v2), &["v1".to_owned()]).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "future revision: {err:?}");
    assert_secret_stored(store, &current, &current_versions, &[], "future revision").await;

    // A version naming another secret: neither secret gets it.
    let foreign = text_version(&other.secret_name, 2, &["ACSCurrent"]);
    let err = store.update_secret(&lost(&current), &[v2.clone(), foreign], &[]).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "version of another secret: {err:?}");
    assert_secret_stored(store, &current, &current_versions, &[], "version of another secret").await;
    assert_secret_stored(store, &other, &[other_v1], &[], "the other secret").await;

    // A secret that never existed, and a deleted one: nothing is created or resurrected.
    let never = minimal_secret(&ids.id("supc-never"));
    let never_v = text_version(&never.secret_name, 1, &["ACSCurrent"]);
    let err = store.update_secret(&never, std::slice::from_ref(&never_v), &[]).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "unknown secret: {err:?}");
    assert_secret_absent(store, &never.secret_name, "unknown secret").await;
    let gone = minimal_secret(&ids.id("supc-deleted"));
    create_s_plain(store, &gone).await;
    assert!(store.delete_secret(&gone.secret_name).await.expect("delete_secret"));
    let gone_v = text_version(&gone.secret_name, 2, &["ACSCurrent"]);
    let err = store.update_secret(&gone, &[gone_v], &[]).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "deleted secret: {err:?}");
    assert_secret_absent(store, &gone.secret_name, "deleted secret").await;

    // With the current revision it succeeds.
    store.update_secret(&lost(&current), &[v2.clone(), v1_prev.clone()], &[]).await.expect("current revision");
    let expected = SecretRecord { revision: current.revision + 1, ..lost(&current) };
    assert_secret_stored(store, &expected, &[v1_prev, v2], &[], "after a successful update").await;
}

async fn list_secret_versions_ordered_by_seq(store: &dyn Store, ids: &Ids) {
    let secret = minimal_secret(&ids.id("sseq"));
    // Version ids whose byte order and creation dates disagree with their seq.
    let with = |version_id: &str, seq: i64, creation_date: i64| SecretVersionRecord {
        version_id: version_id.to_owned(),
        seq,
        creation_date,
        ..text_version(&secret.secret_name, seq, &[])
    };
    let first = with("zz-first", 1, 300);
    create_s(store, &secret, &first, &[], None).await.expect("create_secret");
    let (b, c, d) = (with("aa-fourth", 4, 100), with("mm-second", 2, 200), with("ZZ-third", 3, 400));
    let current = get_s(store, &secret.secret_name).await.expect("secret exists");
    store.update_secret(&current, &[b.clone(), c.clone()], &[]).await.expect("update_secret");
    let current = get_s(store, &secret.secret_name).await.expect("secret exists");
    store.update_secret(&current, std::slice::from_ref(&d), &[]).await.expect("update_secret");
    assert_eq!(s_versions(store, &secret.secret_name).await, vec![first.clone(), c.clone(), d.clone(), b.clone()]);
    // Versions of another secret with the same version ids are kept apart.
    let other = minimal_secret(&ids.id("sseq-other"));
    let other_first = SecretVersionRecord { secret_name: other.secret_name.clone(), seq: 9, ..first.clone() };
    create_s(store, &other, &other_first, &[], None).await.expect("create_secret");
    assert_eq!(s_versions(store, &other.secret_name).await, vec![other_first]);
    assert_eq!(s_versions(store, &secret.secret_name).await, vec![first, c, d, b]);
    assert!(s_versions(store, &ids.id("sseq-none")).await.is_empty(), "unknown secret");
}

async fn delete_secret_cascades(store: &dyn Store, ids: &Ids) {
    let inst = ids.id("sdel-instance");
    let secret = SecretRecord { instance_id: Some(inst.clone()), ..minimal_secret(&ids.id("sdel-名")) };
    let v1 = text_version(&secret.secret_name, 1, &["ACSPrevious"]);
    create_s(store, &secret, &v1, &[tag("a", "1"), tag("b", "2")], None).await.expect("create_secret");
    let v2 = text_version(&secret.secret_name, 2, &["ACSCurrent"]);
    store.update_secret(&secret, &[v2], &[]).await.expect("update_secret");
    // A key with the same id keeps its tags.
    let key = minimal_key(&secret.secret_name);
    create(store, &key, None, &[tag("a", "key")], None).await.expect("create_key");
    assert_eq!(store.count_instance_secrets(&inst).await.expect("count"), 1);

    assert!(store.delete_secret(&secret.secret_name).await.expect("delete_secret"), "existed");
    assert_secret_absent(store, &secret.secret_name, "deleted").await;
    assert!(
        !store.list_all_secret_tags().await.expect("all tags").iter().any(|(n, _)| *n == secret.secret_name),
        "no tag left"
    );
    assert_eq!(store.count_instance_secrets(&inst).await.expect("count"), 0);
    assert!(!store.delete_secret(&secret.secret_name).await.expect("delete_secret"), "already gone");
    assert!(!store.delete_secret(&ids.id("sdel-never")).await.expect("delete_secret"), "never existed");
    assert_eq!(get(store, &key.key_id).await, Some(key.clone()), "the key is another record");
    assert_eq!(store.list_key_tags(&key.key_id).await.expect("tags"), [tag("a", "key")]);

    // The name can be reused, and nothing of the old secret comes back.
    let v9 = text_version(&secret.secret_name, 9, &["ACSCurrent"]);
    create_s(store, &secret, &v9, &[tag("c", "3")], None).await.expect("re-create");
    assert_secret_stored(store, &secret, &[v9], &[tag("c", "3")], "re-created").await;
    assert!(store.delete_key(&key.key_id).await.expect("delete_key"));
    assert_eq!(get_s(store, &secret.secret_name).await, Some(secret), "deleting the key keeps the secret");
}

async fn secrets_due_for_deletion_selects_due_secrets_by_name(store: &dyn Store, ids: &Ids) {
    let now = 1_800_000_000;
    // Created out of name order: the result is ordered by name.
    let cases = [
        ("sdue-d-past", Some(now - 86_400), true),
        ("sdue-b-now", Some(now), true),
        ("sdue-C-upper", Some(now - 1), true),
        ("sdue-c-future", Some(now + 1), false),
        ("sdue-a-none", None, false),
    ];
    let (mut secrets, mut expected) = (Vec::new(), Vec::new());
    for (name, planned_delete, due) in cases {
        let secret = SecretRecord { planned_delete, ..minimal_secret(&ids.id(name)) };
        create_s_plain(store, &secret).await;
        if due {
            expected.push(secret.secret_name.clone());
        }
        secrets.push(secret);
    }
    expected.sort();
    let prefix = ids.id("sdue-");
    let listed = |at: i64| {
        let prefix = &prefix;
        async move {
            let all = store.secrets_due_for_deletion(at).await.expect("secrets_due_for_deletion");
            assert!(all.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()), "ordered by name: {all:?}");
            all.into_iter().filter(|n| n.starts_with(prefix)).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(now).await, expected);
    assert_eq!(listed(now - 2).await, [ids.id("sdue-d-past")], "earlier: only the long due");

    // Restoring drops a secret, scheduling one makes it due.
    let restored = SecretRecord { planned_delete: None, ..secrets[0].clone() };
    store.update_secret(&restored, &[], &[]).await.expect("restore");
    let scheduled = SecretRecord { planned_delete: Some(now - 5), ..secrets[4].clone() };
    store.update_secret(&scheduled, &[], &[]).await.expect("schedule");
    assert_eq!(listed(now).await, [ids.id("sdue-C-upper"), ids.id("sdue-a-none"), ids.id("sdue-b-now")]);
    // Deleted secrets are no longer due.
    assert!(store.delete_secret(&secrets[1].secret_name).await.expect("delete_secret"));
    assert_eq!(listed(now).await, [ids.id("sdue-C-upper"), ids.id("sdue-a-none")]);
}

async fn count_instance_secrets_counts_per_instance(store: &dyn Store, ids: &Ids) {
    let (a, b) = (ids.id("scount-a"), ids.id("scount-b"));
    for (i, inst) in [&a, &a, &a, &b].into_iter().enumerate() {
        let secret =
            SecretRecord { instance_id: Some(inst.clone()), ..minimal_secret(&ids.id(&format!("scount-{i}"))) };
        create_s_plain(store, &secret).await;
    }
    // A default secret (no instance) counts nowhere; versions do not count, secrets do.
    create_s_plain(store, &minimal_secret(&ids.id("scount-default"))).await;
    let first = get_s(store, &ids.id("scount-0")).await.expect("secret exists");
    let more = [2, 3].map(|n| text_version(&first.secret_name, n, &[]));
    store.update_secret(&first, &more, &[]).await.expect("update_secret");

    assert_eq!(store.count_instance_secrets(&a).await.expect("count"), 3);
    assert_eq!(store.count_instance_secrets(&b).await.expect("count"), 1);
    assert_eq!(store.count_instance_secrets(&ids.id("scount-none")).await.expect("count"), 0);
    assert!(store.delete_secret(&first.secret_name).await.expect("delete_secret"));
    assert_eq!(store.count_instance_secrets(&a).await.expect("count"), 2);
    // A key of the instance is not a secret.
    let key = KeyRecord { instance_id: Some(b.clone()), ..minimal_key(&ids.id("scount-key")) };
    create_plain(store, &key).await;
    assert_eq!(store.count_instance_secrets(&b).await.expect("count"), 1);
}

async fn secret_quota_enforced_and_nothing_written_on_failure(store: &dyn Store, ids: &Ids) {
    let inst = InstanceRecord { secret_quota: 2, ..instance(&ids.id("squota"), 1, 1_700_000_000) };
    store.create_instance(&inst).await.expect("create_instance");
    let q = Some(inst.secret_quota);
    let count = || async { store.count_instance_secrets(&inst.instance_id).await.expect("count") };
    let secret_in =
        |name: &str| SecretRecord { instance_id: Some(inst.instance_id.clone()), ..minimal_secret(&ids.id(name)) };
    let first_version = |s: &SecretRecord| text_version(&s.secret_name, 1, &["ACSCurrent"]);

    let s1 = secret_in("squota-1");
    create_s(store, &s1, &first_version(&s1), &[], q).await.expect("1 of 2");
    let s2 = secret_in("squota-2");
    create_s(store, &s2, &first_version(&s2), &[tag("t", "v")], q).await.expect("2 of 2");
    assert_eq!(count().await, 2);
    // Keys of the instance do not take secret units.
    let key = KeyRecord { instance_id: Some(inst.instance_id.clone()), ..minimal_key(&ids.id("squota-key")) };
    create(store, &key, None, &[], None).await.expect("create_key");

    // Full: refused, nothing written.
    let s3 = secret_in("squota-3");
    let err = create_s(store, &s3, &first_version(&s3), &[tag("t", "v")], q).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "over quota: {err:?}");
    for (quota, what) in [(0, "zero quota"), (-1, "negative quota"), (1, "quota below the count")] {
        let err = create_s(store, &s3, &first_version(&s3), &[], Some(quota)).await;
        assert!(matches!(err, Err(StoreError::QuotaExceeded)), "{what}: {err:?}");
    }
    assert_secret_absent(store, &s3.secret_name, "refused secret").await;
    assert_eq!(count().await, 2);

    // Deleting a secret frees its unit; a larger quota admits more; no quota means no check.
    assert!(store.delete_secret(&s2.secret_name).await.expect("delete_secret"));
    create_s(store, &s3, &first_version(&s3), &[], q).await.expect("freed unit");
    let s4 = secret_in("squota-4");
    let err = create_s(store, &s4, &first_version(&s4), &[], q).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "full again: {err:?}");
    create_s(store, &s4, &first_version(&s4), &[], Some(3)).await.expect("larger quota");
    let s5 = secret_in("squota-5");
    create_s(store, &s5, &first_version(&s5), &[], None).await.expect("unchecked");
    assert_eq!(count().await, 4);
    // A secret scheduled for deletion still takes its unit.
    let current = get_s(store, &s1.secret_name).await.expect("secret exists");
    store.update_secret(&SecretRecord { planned_delete: Some(1), ..current }, &[], &[]).await.expect("schedule");
    let s6 = secret_in("squota-6");
    let err = create_s(store, &s6, &first_version(&s6), &[], Some(4)).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "pending deletion still counts: {err:?}");
    // The quota concerns instance secrets only: a default secret is never refused.
    let default_secret = minimal_secret(&ids.id("squota-default"));
    let v = first_version(&default_secret);
    create_s(store, &default_secret, &v, &[], Some(0)).await.expect("default secret, no quota");
    assert_secret_stored(store, &default_secret, &[v], &[], "default secret").await;
}

async fn secret_quota_holds_under_concurrent_creation(store: &dyn Store, ids: &Ids) {
    let inst = InstanceRecord { secret_quota: 3, ..instance(&ids.id("srace"), 1, 1_700_000_000) };
    store.create_instance(&inst).await.expect("create_instance");
    let secrets: Vec<(SecretRecord, SecretVersionRecord)> = (0..8)
        .map(|i| {
            let secret = SecretRecord {
                instance_id: Some(inst.instance_id.clone()),
                ..minimal_secret(&ids.id(&format!("srace-{i}")))
            };
            let v = text_version(&secret.secret_name, 1, &["ACSCurrent"]);
            (secret, v)
        })
        .collect();
    let q = Some(inst.secret_quota);
    let attempt = |i: usize| create_s(store, &secrets[i].0, &secrets[i].1, &[], q);
    let results =
        tokio::join!(attempt(0), attempt(1), attempt(2), attempt(3), attempt(4), attempt(5), attempt(6), attempt(7));
    let results = [results.0, results.1, results.2, results.3, results.4, results.5, results.6, results.7];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(StoreError::QuotaExceeded))).count();
    assert_eq!((ok, refused), (3, 5), "exactly the quota succeeds: {results:?}");
    assert_eq!(store.count_instance_secrets(&inst.instance_id).await.expect("count"), 3);
    for ((secret, v), result) in secrets.iter().zip(&results) {
        let expected: &[SecretVersionRecord] = if result.is_ok() { std::slice::from_ref(v) } else { &[] };
        assert_eq!(s_versions(store, &secret.secret_name).await, expected, "{}", secret.secret_name);
    }

    // One name created by several at once: exactly one wins.
    let contested: Vec<SecretRecord> = (0..4)
        .map(|i| SecretRecord { description: format!("writer {i}"), ..minimal_secret(&ids.id("srace-contested")) })
        .collect();
    let v = text_version(&contested[0].secret_name, 1, &["ACSCurrent"]);
    let attempt = |i: usize| create_s(store, &contested[i], &v, &[], None);
    let results = tokio::join!(attempt(0), attempt(1), attempt(2), attempt(3));
    let results = [results.0, results.1, results.2, results.3];
    let ok: Vec<usize> = (0..4).filter(|&i| results[i].is_ok()).collect();
    let taken = results.iter().filter(|r| matches!(r, Err(StoreError::AlreadyExists))).count();
    assert_eq!((ok.len(), taken), (1, 3), "one winner: {results:?}");
    assert_secret_stored(store, &contested[ok[0]], &[v], &[], "the winner's").await;
}

async fn list_secrets_ordered_by_creation_then_name(store: &dyn Store, ids: &Ids) {
    // Inserted out of order; equal creation dates are ordered by name, in byte order.
    let specs = [("sorder-b", 200), ("sorder-z", 100), ("sorder-a", 200), ("sorder-C", 200), ("sorder-c", 100)];
    for (name, created) in specs {
        let secret = SecretRecord { creation_date: created, ..minimal_secret(&ids.id(name)) };
        create_s_plain(store, &secret).await;
    }
    let listed: Vec<(i64, String)> = store
        .list_secrets()
        .await
        .expect("list_secrets")
        .into_iter()
        .filter(|s| s.secret_name.starts_with(&ids.id("sorder-")))
        .map(|s| (s.creation_date, s.secret_name))
        .collect();
    let expected: Vec<(i64, String)> =
        [(100, "sorder-c"), (100, "sorder-z"), (200, "sorder-C"), (200, "sorder-a"), (200, "sorder-b")]
            .into_iter()
            .map(|(t, n)| (t, ids.id(n)))
            .collect();
    assert_eq!(listed, expected);

    // The whole list is sorted, whatever else the database holds.
    let all = store.list_secrets().await.expect("list_secrets");
    assert!(
        all.windows(2)
            .all(|w| (w[0].creation_date, w[0].secret_name.as_bytes())
                <= (w[1].creation_date, w[1].secret_name.as_bytes())),
        "list_secrets ordered by creation date then name"
    );
}

async fn put_secret_tags_upserts_within_the_limit(store: &dyn Store, ids: &Ids) {
    let secret = minimal_secret(&ids.id("sptag"));
    let v = text_version(&secret.secret_name, 1, &["ACSCurrent"]);
    create_s(store, &secret, &v, &[tag("a", "1"), tag("b", "2")], None).await.expect("create_secret");
    let other = minimal_secret(&ids.id("sptag-other"));
    let other_v = text_version(&other.secret_name, 1, &["ACSCurrent"]);
    create_s(store, &other, &other_v, &[tag("a", "other")], None).await.expect("create_secret");
    let name = secret.secret_name.as_str();

    // New tags are added, existing ones overwritten; the result is sorted by tag key.
    store.put_secret_tags(name, &[tag("c", "3"), tag("a", "10")], 3).await.expect("put_secret_tags");
    let three = vec![tag("a", "10"), tag("b", "2"), tag("c", "3")];
    assert_eq!(s_tags(store, name).await, three);

    // Over the limit: refused, and nothing is written (not even the overwrites).
    let err = store.put_secret_tags(name, &[tag("d", "4")], 3).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "over the limit: {err:?}");
    let err = store.put_secret_tags(name, &[tag("a", "11"), tag("Z", "0"), tag("d", "4")], 4).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "over the limit: {err:?}");
    assert_eq!(s_tags(store, name).await, three, "nothing written");

    // Overwrites alone never add: allowed at the limit. An empty value is a value.
    store.put_secret_tags(name, &[tag("a", "12"), tag("b", "")], 3).await.expect("overwrite at the limit");
    assert_eq!(s_tags(store, name).await, [tag("a", "12"), tag("b", ""), tag("c", "3")]);

    // A tag key repeated in one call counts once and keeps the last value; byte order.
    store.put_secret_tags(name, &[tag("d", "4"), tag("Z", "z"), tag("d", "5")], 5).await.expect("exactly at 5");
    let five = vec![tag("Z", "z"), tag("a", "12"), tag("b", ""), tag("c", "3"), tag("d", "5")];
    assert_eq!(s_tags(store, name).await, five);

    // No tags: nothing changes, unless the secret is already over a (lowered) limit.
    store.put_secret_tags(name, &[], 5).await.expect("no tags");
    let err = store.put_secret_tags(name, &[], 4).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "already over a lowered limit: {err:?}");
    assert_eq!(s_tags(store, name).await, five);

    // A secret without tags and a zero limit.
    let bare = minimal_secret(&ids.id("sptag-bare"));
    create_s_plain(store, &bare).await;
    store.put_secret_tags(&bare.secret_name, &[], 0).await.expect("nothing to add");
    let err = store.put_secret_tags(&bare.secret_name, &[tag("x", "1")], 0).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "zero limit: {err:?}");
    assert!(s_tags(store, &bare.secret_name).await.is_empty());

    // Other secrets' tags, the secret itself and its versions are untouched.
    assert_eq!(s_tags(store, &other.secret_name).await, [tag("a", "other")]);
    assert_eq!(s_versions(store, name).await, [v]);
    assert_eq!(get_s(store, name).await, Some(secret.clone()), "tags do not bump the revision");
}

async fn put_secret_tags_on_missing_secret_conflicts(store: &dyn Store, ids: &Ids) {
    let never = ids.id("sptagc-never");
    let err = store.put_secret_tags(&never, &[tag("a", "1")], 10).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "unknown secret: {err:?}");
    let err = store.put_secret_tags(&never, &[], 10).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "unknown secret, no tags: {err:?}");
    assert_secret_absent(store, &never, "no orphan tags").await;
    // A key of that id does not make it a secret.
    create_plain(store, &minimal_key(&never)).await;
    let err = store.put_secret_tags(&never, &[tag("a", "1")], 10).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "a key, not a secret: {err:?}");
    assert!(store.list_key_tags(&never).await.expect("tags").is_empty(), "the key gets no tag");

    let secret = minimal_secret(&ids.id("sptagc-deleted"));
    let v = text_version(&secret.secret_name, 1, &["ACSCurrent"]);
    create_s(store, &secret, &v, &[tag("old", "1")], None).await.expect("create_secret");
    assert!(store.delete_secret(&secret.secret_name).await.expect("delete_secret"));
    let err = store.put_secret_tags(&secret.secret_name, &[tag("a", "1")], 10).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "deleted secret: {err:?}");
    assert_secret_absent(store, &secret.secret_name, "must not resurrect").await;
    create_s_plain(store, &secret).await;
    assert!(s_tags(store, &secret.secret_name).await.is_empty(), "no tag comes back");
}

async fn put_secret_tags_limit_holds_under_concurrency(store: &dyn Store, ids: &Ids) {
    let secret = minimal_secret(&ids.id("sptagrace"));
    let v = text_version(&secret.secret_name, 1, &["ACSCurrent"]);
    create_s(store, &secret, &v, &[tag("base", "0")], None).await.expect("create_secret");
    // Disjoint tags, two per call: only the limit check orders the calls.
    let tags: Vec<[Tag; 2]> = (0..8).map(|i| [tag(&format!("t{i}a"), "v"), tag(&format!("t{i}b"), "v")]).collect();
    let attempt = |i: usize| store.put_secret_tags(&secret.secret_name, &tags[i], 5);
    let results =
        tokio::join!(attempt(0), attempt(1), attempt(2), attempt(3), attempt(4), attempt(5), attempt(6), attempt(7));
    let results = [results.0, results.1, results.2, results.3, results.4, results.5, results.6, results.7];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(StoreError::QuotaExceeded))).count();
    assert_eq!((ok, refused), (2, 6), "exactly up to the limit succeeds: {results:?}");
    // Each call wrote all of its tags or none.
    let stored = s_tags(store, &secret.secret_name).await;
    assert_eq!(stored.len(), 5, "{stored:?}");
    for (i, result) in results.iter().enumerate() {
        for t in &tags[i] {
            assert_eq!(stored.contains(t), result.is_ok(), "tags of call {i}: {stored:?}");
        }
    }
}

async fn remove_secret_tags_counts_removed(store: &dyn Store, ids: &Ids) {
    let secret = minimal_secret(&ids.id("srtag"));
    let v = text_version(&secret.secret_name, 1, &["ACSCurrent"]);
    let all = [tag("a", "1"), tag("b", "2"), tag("c", "3"), tag("d", "4")];
    create_s(store, &secret, &v, &all, None).await.expect("create_secret");
    let other = minimal_secret(&ids.id("srtag-other"));
    let other_v = text_version(&other.secret_name, 1, &["ACSCurrent"]);
    create_s(store, &other, &other_v, &[tag("a", "1"), tag("b", "2")], None).await.expect("create_secret");
    let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let remove = move |secret_name: String, n: Vec<String>| async move {
        store.remove_secret_tags(&secret_name, &n).await.expect("remove_secret_tags")
    };
    let name = secret.secret_name.clone();

    // Absent keys are ignored, a repeated one counts once, matching is exact.
    assert_eq!(remove(name.clone(), names(&["a", "x", "a", "B", "c "])).await, 1);
    assert_eq!(remove(name.clone(), names(&["b", "c"])).await, 2);
    assert_eq!(remove(name.clone(), names(&[])).await, 0, "nothing named");
    assert_eq!(remove(name.clone(), names(&["a", "b"])).await, 0, "already removed");
    assert_eq!(s_tags(store, &name).await, [tag("d", "4")]);
    assert_eq!(remove(ids.id("srtag-never"), names(&["a"])).await, 0, "unknown secret");
    assert_eq!(s_tags(store, &other.secret_name).await, [tag("a", "1"), tag("b", "2")]);

    // Removed tags can be put again; removal does not bump the revision.
    store.put_secret_tags(&name, &[tag("a", "new")], 2).await.expect("put_secret_tags");
    assert_eq!(s_tags(store, &name).await, [tag("a", "new"), tag("d", "4")]);
    assert_eq!(remove(name.clone(), names(&["d", "a"])).await, 2);
    assert!(s_tags(store, &name).await.is_empty());
    assert_eq!(get_s(store, &name).await, Some(secret));
}

async fn list_all_secret_tags_ordered_by_name_then_tag(store: &dyn Store, ids: &Ids) {
    let prefix = ids.id("slat-");
    let listed = || {
        let prefix = &prefix;
        async move {
            let all = store.list_all_secret_tags().await.expect("list_all_secret_tags");
            assert!(
                all.windows(2)
                    .all(|w| (w[0].0.as_bytes(), w[0].1.key.as_bytes()) < (w[1].0.as_bytes(), w[1].1.key.as_bytes())),
                "ordered by secret name then tag key"
            );
            all.into_iter().filter(|(n, _)| n.starts_with(prefix)).collect::<Vec<_>>()
        }
    };
    // Created out of order.
    let (a, b, c, upper, cn) =
        (ids.id("slat-a"), ids.id("slat-b"), ids.id("slat-c"), ids.id("slat-B"), ids.id("slat-中/文"));
    let make = |name: &str, tags: Vec<Tag>| {
        let secret = minimal_secret(name);
        async move {
            let v = text_version(&secret.secret_name, 1, &["ACSCurrent"]);
            create_s(store, &secret, &v, &tags, None).await.expect("create_secret");
        }
    };
    make(&b, vec![tag("z", "1"), tag("A", "2"), tag("m", "")]).await;
    make(&c, vec![]).await;
    make(&cn, vec![tag("标签", "值")]).await;
    make(&a, vec![tag("m", "3")]).await;
    make(&upper, vec![tag("q", "4")]).await;
    // Key tags are not secret tags.
    create(store, &minimal_key(&ids.id("slat-key")), None, &[tag("k", "v")], None).await.expect("create_key");
    let entry = |n: &str, t: Tag| (n.to_owned(), t);
    assert_eq!(
        listed().await,
        [
            entry(&upper, tag("q", "4")),
            entry(&a, tag("m", "3")),
            entry(&b, tag("A", "2")),
            entry(&b, tag("m", "")),
            entry(&b, tag("z", "1")),
            entry(&cn, tag("标签", "值")),
        ]
    );

    // Changes show: tags put, tags removed, secrets deleted.
    store.put_secret_tags(&c, &[tag("x", "5")], 10).await.expect("put_secret_tags");
    assert_eq!(store.remove_secret_tags(&b, &["m".to_owned()]).await.expect("remove_secret_tags"), 1);
    assert!(store.delete_secret(&upper).await.expect("delete_secret"));
    assert!(store.delete_secret(&cn).await.expect("delete_secret"));
    assert_eq!(
        listed().await,
        [entry(&a, tag("m", "3")), entry(&b, tag("A", "2")), entry(&b, tag("z", "1")), entry(&c, tag("x", "5"))]
    );
}

// --- key policies, principals and identity policies ---

/// A key policy document naming `what`, with characters every layer must keep.
fn policy_doc(what: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":["kms:*"],"Resource":["*"],"Sid":"{what} ✓ \"q\" \\"}}]}}"#
    )
}

async fn key_policy(store: &dyn Store, key_id: &str) -> Option<String> {
    store.get_key_policy(key_id).await.expect("get_key_policy")
}

async fn key_policy_stored_with_the_key(store: &dyn Store, ids: &Ids) {
    let with = minimal_key(&ids.id("kp-with"));
    let doc = policy_doc("with");
    store
        .create_key(NewKey { key: &with, version: None, tags: &[], instance_quota: None, policy: Some(&doc) })
        .await
        .expect("create_key with a policy");
    assert_eq!(key_policy(store, &with.key_id).await, Some(doc.clone()), "stored with the key");

    let without = minimal_key(&ids.id("kp-without"));
    create_plain(store, &without).await;
    assert_eq!(key_policy(store, &without.key_id).await, None, "no policy given, none stored");
    assert_eq!(key_policy(store, &ids.id("kp-none")).await, None, "unknown key");

    // A refused creation writes no policy and leaves the existing one alone.
    let other = policy_doc("other");
    let err = store
        .create_key(NewKey { key: &with, version: None, tags: &[], instance_quota: None, policy: Some(&other) })
        .await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate key: {err:?}");
    assert_eq!(key_policy(store, &with.key_id).await, Some(doc), "unchanged by the refused duplicate");

    let inst = ids.id("kp-inst");
    let quota_key = KeyRecord { instance_id: Some(inst.clone()), ..minimal_key(&ids.id("kp-quota")) };
    let v = version(&quota_key.key_id, 1, Some(vec![1; 32]));
    let err = store
        .create_key(NewKey {
            key: &quota_key,
            version: Some(&v),
            tags: &[],
            instance_quota: Some(0),
            policy: Some(&other),
        })
        .await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "quota: {err:?}");
    assert_eq!(get(store, &quota_key.key_id).await, None, "no key");
    assert_eq!(key_policy(store, &quota_key.key_id).await, None, "no policy written");
}

async fn put_key_policy_sets_replaces_and_conflicts(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("kp-put"));
    create_plain(store, &key).await;
    let first = policy_doc("first");
    store.put_key_policy(&key.key_id, &first).await.expect("put_key_policy");
    assert_eq!(key_policy(store, &key.key_id).await, Some(first));
    let second = policy_doc("second");
    store.put_key_policy(&key.key_id, &second).await.expect("put_key_policy again");
    assert_eq!(key_policy(store, &key.key_id).await, Some(second), "replaced");
    assert_eq!(get(store, &key.key_id).await, Some(key), "the key itself is unchanged");

    let missing = ids.id("kp-missing");
    let err = store.put_key_policy(&missing, &policy_doc("missing")).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "missing key: {err:?}");
    assert_eq!(key_policy(store, &missing).await, None, "nothing written");
}

async fn key_policy_deleted_with_its_key(store: &dyn Store, ids: &Ids) {
    let key = minimal_key(&ids.id("kp-del"));
    let doc = policy_doc("del");
    store
        .create_key(NewKey { key: &key, version: None, tags: &[], instance_quota: None, policy: Some(&doc) })
        .await
        .expect("create_key");
    assert!(store.delete_key(&key.key_id).await.expect("delete_key"));
    assert_eq!(key_policy(store, &key.key_id).await, None, "deleted with the key");
    // A new key under the same id starts without a policy.
    create_plain(store, &key).await;
    assert_eq!(key_policy(store, &key.key_id).await, None, "not inherited by a new key with the same id");
    let err = store.put_key_policy(&ids.id("kp-del-none"), &doc).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "{err:?}");
}

fn principal(ids: &Ids, name: &str, creation_date: i64) -> PrincipalRecord {
    PrincipalRecord {
        name: ids.id(name),
        description: format!("用户 {name} \"quoted\" \\ {}", "d".repeat(1000)),
        creation_date,
    }
}

fn identity_policy(ids: &Ids, name: &str, creation_date: i64) -> PolicyRecord {
    PolicyRecord {
        name: ids.id(name),
        description: format!("策略 {name}"),
        document: policy_doc(name),
        creation_date,
        update_date: creation_date + 1,
    }
}

/// The principals of this run, by name as listed.
async fn run_principals(store: &dyn Store, ids: &Ids, prefix: &str) -> Vec<PrincipalRecord> {
    let prefix = ids.id(prefix);
    store
        .list_principals()
        .await
        .expect("list_principals")
        .into_iter()
        .filter(|p| p.name.starts_with(&prefix))
        .collect()
}

/// The policies of this run, by name as listed.
async fn run_policies(store: &dyn Store, ids: &Ids, prefix: &str) -> Vec<PolicyRecord> {
    let prefix = ids.id(prefix);
    store.list_policies().await.expect("list_policies").into_iter().filter(|p| p.name.starts_with(&prefix)).collect()
}

async fn principals_round_trip_duplicate_and_order(store: &dyn Store, ids: &Ids) {
    let b = principal(ids, "pr-b", 300);
    let upper = principal(ids, "pr-Z", 100);
    let a = PrincipalRecord { description: String::new(), ..principal(ids, "pr-a.x@y_z", 200) };
    for p in [&b, &upper, &a] {
        store.create_principal(p).await.expect("create_principal");
        assert_eq!(store.get_principal(&p.name).await.expect("get_principal"), Some(p.clone()));
    }
    assert_eq!(store.get_principal(&ids.id("pr-none")).await.expect("get_principal"), None);

    let err =
        store.create_principal(&PrincipalRecord { description: "other".into(), creation_date: 1, ..b.clone() }).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate principal: {err:?}");
    assert_eq!(store.get_principal(&b.name).await.expect("get_principal"), Some(b.clone()), "unchanged");

    // By name in byte order (upper case first), not by creation date.
    assert_eq!(run_principals(store, ids, "pr-").await, vec![upper, a, b]);
}

async fn policies_round_trip_update_and_order(store: &dyn Store, ids: &Ids) {
    let b = identity_policy(ids, "po-b", 100);
    let upper = identity_policy(ids, "po-Q", 300);
    let a = PolicyRecord { description: String::new(), ..identity_policy(ids, "po-a.1_2", 200) };
    for p in [&b, &upper, &a] {
        store.create_policy(p).await.expect("create_policy");
        assert_eq!(store.get_policy(&p.name).await.expect("get_policy"), Some(p.clone()));
    }
    assert_eq!(store.get_policy(&ids.id("po-none")).await.expect("get_policy"), None);

    let err = store.create_policy(&PolicyRecord { document: "{}".into(), ..b.clone() }).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "duplicate policy: {err:?}");
    assert_eq!(store.get_policy(&b.name).await.expect("get_policy"), Some(b.clone()), "unchanged");
    assert_eq!(run_policies(store, ids, "po-").await, vec![upper.clone(), a.clone(), b.clone()], "by name");

    // An update replaces the document and the update date only.
    let doc = policy_doc("updated");
    assert!(store.update_policy(&b.name, &doc, 5000).await.expect("update_policy"));
    let updated = PolicyRecord { document: doc.clone(), update_date: 5000, ..b.clone() };
    assert_eq!(store.get_policy(&b.name).await.expect("get_policy"), Some(updated.clone()));
    assert!(!store.update_policy(&ids.id("po-none"), &doc, 5000).await.expect("update_policy"), "unknown policy");
    assert_eq!(store.get_policy(&ids.id("po-none")).await.expect("get_policy"), None, "not created by the update");
    assert_eq!(run_policies(store, ids, "po-").await, vec![upper, a, updated]);
}

async fn attach_policy_is_idempotent_and_listed(store: &dyn Store, ids: &Ids) {
    let alice = principal(ids, "at-alice", 1);
    let bob = principal(ids, "at-bob", 2);
    let p2 = identity_policy(ids, "at-p2", 1);
    let p1 = identity_policy(ids, "at-p1", 2);
    for p in [&alice, &bob] {
        store.create_principal(p).await.expect("create_principal");
    }
    for p in [&p2, &p1] {
        store.create_policy(p).await.expect("create_policy");
    }
    assert!(store.list_attached_policies(&alice.name).await.expect("list").is_empty(), "nothing attached yet");
    assert!(store.list_policy_principals(&p1.name).await.expect("list").is_empty());

    assert!(store.attach_policy(&alice.name, &p2.name).await.expect("attach"), "newly attached");
    assert!(store.attach_policy(&alice.name, &p1.name).await.expect("attach"));
    assert!(!store.attach_policy(&alice.name, &p1.name).await.expect("attach again"), "already attached");
    assert!(store.attach_policy(&bob.name, &p1.name).await.expect("attach"));

    // Ordered by policy name; whole records, current documents.
    assert_eq!(store.list_attached_policies(&alice.name).await.expect("list"), vec![p1.clone(), p2.clone()]);
    assert!(store.update_policy(&p1.name, &policy_doc("v2"), 99).await.expect("update_policy"));
    let p1v2 = PolicyRecord { document: policy_doc("v2"), update_date: 99, ..p1.clone() };
    assert_eq!(store.list_attached_policies(&alice.name).await.expect("list"), vec![p1v2.clone(), p2.clone()]);
    assert_eq!(store.list_attached_policies(&bob.name).await.expect("list"), vec![p1v2.clone()]);
    assert!(store.list_attached_policies(&ids.id("at-none")).await.expect("list").is_empty(), "unknown principal");
    assert_eq!(store.list_policy_principals(&p1.name).await.expect("list"), vec![alice.name.clone(), bob.name.clone()]);
    assert_eq!(store.list_policy_principals(&p2.name).await.expect("list"), vec![alice.name.clone()]);
    assert!(store.list_policy_principals(&ids.id("at-none")).await.expect("list").is_empty(), "unknown policy");

    // Detach: whether it was attached.
    assert!(store.detach_policy(&alice.name, &p1.name).await.expect("detach"));
    assert!(!store.detach_policy(&alice.name, &p1.name).await.expect("detach again"), "not attached any more");
    assert!(!store.detach_policy(&ids.id("at-none"), &p1.name).await.expect("detach"), "unknown principal");
    assert_eq!(store.list_attached_policies(&alice.name).await.expect("list"), vec![p2.clone()]);
    assert_eq!(store.list_policy_principals(&p1.name).await.expect("list"), vec![bob.name.clone()]);
    // Re-attaching after a detach attaches again.
    assert!(store.attach_policy(&alice.name, &p1.name).await.expect("re-attach"));
    assert_eq!(store.list_attached_policies(&alice.name).await.expect("list"), vec![p1v2, p2]);
}

async fn attach_policy_to_missing_principal_or_policy_conflicts(store: &dyn Store, ids: &Ids) {
    let carol = principal(ids, "am-carol", 1);
    let pol = identity_policy(ids, "am-pol", 1);
    store.create_principal(&carol).await.expect("create_principal");
    store.create_policy(&pol).await.expect("create_policy");
    let missing_principal = ids.id("am-nobody");
    let missing_policy = ids.id("am-nothing");

    let err = store.attach_policy(&missing_principal, &pol.name).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "missing principal: {err:?}");
    let err = store.attach_policy(&carol.name, &missing_policy).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "missing policy: {err:?}");
    let err = store.attach_policy(&missing_principal, &missing_policy).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "both missing: {err:?}");

    // Nothing written: no dangling attachment, nothing created.
    assert!(store.list_policy_principals(&pol.name).await.expect("list").is_empty());
    assert!(store.list_attached_policies(&carol.name).await.expect("list").is_empty());
    assert!(store.list_attached_policies(&missing_principal).await.expect("list").is_empty());
    assert!(store.list_policy_principals(&missing_policy).await.expect("list").is_empty());
    assert_eq!(store.get_principal(&missing_principal).await.expect("get"), None);
    assert_eq!(store.get_policy(&missing_policy).await.expect("get"), None);
    // A principal created later does not find a stale attachment.
    store
        .create_principal(&PrincipalRecord { name: missing_principal.clone(), ..carol.clone() })
        .await
        .expect("create");
    assert!(store.list_attached_policies(&missing_principal).await.expect("list").is_empty());
}

async fn delete_policy_refused_while_attached(store: &dyn Store, ids: &Ids) {
    let dave = principal(ids, "dp-dave", 1);
    let erin = principal(ids, "dp-erin", 1);
    let pol = identity_policy(ids, "dp-pol", 1);
    store.create_principal(&dave).await.expect("create_principal");
    store.create_principal(&erin).await.expect("create_principal");
    store.create_policy(&pol).await.expect("create_policy");
    assert!(store.attach_policy(&dave.name, &pol.name).await.expect("attach"));
    assert!(store.attach_policy(&erin.name, &pol.name).await.expect("attach"));

    let err = store.delete_policy(&pol.name).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "attached twice: {err:?}");
    assert_eq!(store.get_policy(&pol.name).await.expect("get"), Some(pol.clone()), "not deleted");
    assert_eq!(
        store.list_policy_principals(&pol.name).await.expect("list"),
        vec![dave.name.clone(), erin.name.clone()]
    );

    assert!(store.detach_policy(&dave.name, &pol.name).await.expect("detach"));
    let err = store.delete_policy(&pol.name).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "still attached once: {err:?}");
    assert_eq!(store.list_attached_policies(&erin.name).await.expect("list"), vec![pol.clone()], "kept");

    assert!(store.detach_policy(&erin.name, &pol.name).await.expect("detach"));
    assert!(store.delete_policy(&pol.name).await.expect("delete_policy"), "detached everywhere");
    assert_eq!(store.get_policy(&pol.name).await.expect("get"), None);
    assert!(!store.delete_policy(&pol.name).await.expect("delete_policy"), "already gone");
    assert!(run_policies(store, ids, "dp-").await.is_empty());
    let err = store.attach_policy(&dave.name, &pol.name).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "deleted policy: {err:?}");
}

async fn delete_principal_refused_with_access_keys_and_cascades(store: &dyn Store, ids: &Ids) {
    let frank = principal(ids, "dr-frank", 1);
    let grace = principal(ids, "dr-grace", 1);
    let pol = identity_policy(ids, "dr-pol", 1);
    store.create_principal(&frank).await.expect("create_principal");
    store.create_principal(&grace).await.expect("create_principal");
    store.create_policy(&pol).await.expect("create_policy");
    assert!(store.attach_policy(&frank.name, &pol.name).await.expect("attach"));
    assert!(store.attach_policy(&grace.name, &pol.name).await.expect("attach"));
    let ak = AccessKeyRecord {
        access_key_id: ids.id("dr-ak"),
        sealed_secret: all_bytes(),
        principal: frank.name.clone(),
        enabled: false,
        creation_date: 1,
    };
    store.create_access_key(&ak).await.expect("create_access_key");

    // Refused while an AccessKey (even a disabled one) belongs to the principal; nothing deleted.
    let err = store.delete_principal(&frank.name).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "AccessKey left: {err:?}");
    assert_eq!(store.get_principal(&frank.name).await.expect("get"), Some(frank.clone()));
    assert_eq!(store.list_attached_policies(&frank.name).await.expect("list"), vec![pol.clone()]);
    assert_eq!(store.get_access_key(&ak.access_key_id).await.expect("get"), Some(ak.clone()));

    // Without AccessKeys: deleted with its attachments; other principals keep theirs.
    assert!(store.delete_access_key(&ak.access_key_id).await.expect("delete_access_key"));
    assert!(store.delete_principal(&frank.name).await.expect("delete_principal"));
    assert_eq!(store.get_principal(&frank.name).await.expect("get"), None);
    assert!(store.list_attached_policies(&frank.name).await.expect("list").is_empty(), "attachments cascade");
    assert_eq!(store.list_policy_principals(&pol.name).await.expect("list"), vec![grace.name.clone()]);
    assert!(!store.delete_principal(&frank.name).await.expect("delete_principal"), "already gone");
    assert!(!store.delete_principal(&ids.id("dr-none")).await.expect("delete_principal"), "unknown");
    assert_eq!(run_principals(store, ids, "dr-").await, vec![grace.clone()]);

    // A principal re-created under the same name starts with no attachments.
    store.create_principal(&frank).await.expect("re-create");
    assert!(store.list_attached_policies(&frank.name).await.expect("list").is_empty());

    // Deleting the last principal of a policy makes the policy deletable.
    assert!(store.delete_principal(&grace.name).await.expect("delete_principal"));
    assert!(store.delete_policy(&pol.name).await.expect("delete_policy"));
}

async fn delete_policy_and_attach_never_both_succeed_under_concurrency(store: &dyn Store, ids: &Ids) {
    let holder = principal(ids, "race-holder", 1);
    store.create_principal(&holder).await.expect("create_principal");
    for round in 0..12 {
        let pol = identity_policy(ids, &format!("race-pol-{round}"), 1);
        store.create_policy(&pol).await.expect("create_policy");
        // Alternate which one is started first.
        let (attached, deleted) = if round % 2 == 0 {
            tokio::join!(store.attach_policy(&holder.name, &pol.name), store.delete_policy(&pol.name))
        } else {
            let (d, a) = tokio::join!(store.delete_policy(&pol.name), store.attach_policy(&holder.name, &pol.name));
            (a, d)
        };
        match (&attached, &deleted) {
            // Attached first: the delete is refused and the policy stays attached.
            (Ok(true), Err(StoreError::Conflict)) => {
                assert_eq!(store.get_policy(&pol.name).await.expect("get"), Some(pol.clone()));
                assert_eq!(store.list_policy_principals(&pol.name).await.expect("list"), vec![holder.name.clone()]);
                assert!(store.detach_policy(&holder.name, &pol.name).await.expect("detach"));
            }
            // Deleted first: the attachment is refused and leaves nothing behind.
            (Err(StoreError::Conflict), Ok(true)) => {
                assert_eq!(store.get_policy(&pol.name).await.expect("get"), None);
                assert!(store.list_policy_principals(&pol.name).await.expect("list").is_empty(), "no dangling row");
            }
            other => panic!("round {round}: attach and delete_policy gave {other:?}"),
        }
    }
    assert!(store.list_attached_policies(&holder.name).await.expect("list").is_empty());
}
