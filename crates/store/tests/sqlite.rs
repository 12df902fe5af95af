//! The SQLite backend against the conformance suite, plus durability across reopen, schema
//! upgrades of existing databases and the connection pragmas (WAL, `synchronous=FULL`, foreign
//! keys).

use std::borrow::Cow;

use keyward_core::model::{
    AliasRecord, DeletionProtection, ImportTokenRecord, KeyRecord, KeySpec, KeyState, KeyUsage, KeyVersionRecord,
    Origin, ProtectionLevel, Rotation, SecretDataType, SecretRecord, SecretType, SecretVersionRecord, Tag,
};
use keyward_core::store::{NewKey, NewSecret, Store, StoreError};
use keyward_store::sqlite::SqliteStore;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

fn sample_key(key_id: &str) -> KeyRecord {
    KeyRecord {
        key_id: key_id.to_owned(),
        description: "durable".to_owned(),
        spec: KeySpec::Aes256,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::Kms,
        protection_level: ProtectionLevel::Software,
        state: KeyState::Enabled,
        creation_date: 1_700_000_000,
        delete_date: None,
        material_expire: None,
        primary_version: Some("v1".to_owned()),
        last_rotation: Some(1_700_000_000),
        instance_id: None,
        rotation: Rotation::default(),
        deletion_protection: DeletionProtection::default(),
        creator: "1".to_owned(),
        revision: 0,
    }
}

fn sample_secret(secret_name: &str) -> SecretRecord {
    SecretRecord {
        secret_name: secret_name.to_owned(),
        secret_type: SecretType::Generic,
        description: "durable".to_owned(),
        encryption_key_id: "key-1".to_owned(),
        instance_id: None,
        creation_date: 1_700_000_000,
        update_date: 1_700_000_000,
        planned_delete: None,
        policy: "{}".to_owned(),
        creator: "1".to_owned(),
        revision: 0,
    }
}

fn sample_secret_version(secret_name: &str, version_id: &str, seq: i64) -> SecretVersionRecord {
    SecretVersionRecord {
        secret_name: secret_name.to_owned(),
        version_id: version_id.to_owned(),
        seq,
        creation_date: 1_700_000_000 + seq,
        data_type: SecretDataType::Text,
        ciphertext: vec![seq as u8; 16],
        stages: vec!["ACSCurrent".to_owned(), "阶段 \"x\"".to_owned()],
    }
}

/// The embedded SQLite migrations up to and including `version`, as an older binary had them.
fn migrations_up_to(version: i64) -> Migrator {
    let all = [
        (1, "init", include_str!("../migrations/sqlite/0001_init.sql")),
        (2, "byok", include_str!("../migrations/sqlite/0002_byok.sql")),
        (3, "aliases", include_str!("../migrations/sqlite/0003_aliases.sql")),
        (4, "secrets", include_str!("../migrations/sqlite/0004_secrets.sql")),
        (5, "principals", include_str!("../migrations/sqlite/0005_principals.sql")),
    ];
    Migrator::with_migrations(
        all.into_iter()
            .filter(|(v, _, _)| *v <= version)
            .map(|(v, name, sql)| {
                Migration::new(v, Cow::Borrowed(name), MigrationType::Simple, sql.into_sql_str(), false)
            })
            .collect(),
    )
}

#[tokio::test]
async fn conformance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("keyward.db")).await.expect("open");
    keyward_store::conformance::run_all(&store).await;
    // Twice against the same database: runs must not collide.
    keyward_store::conformance::run_all(&store).await;
    store.close().await;
}

#[tokio::test]
async fn conformance_via_open_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("by-url.db").display());
    let store = keyward_store::open(&url).await.expect("open");
    assert_eq!(store.backend_name(), "sqlite");
    keyward_store::conformance::run_all(store.as_ref()).await;
}

#[tokio::test]
async fn data_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested").join("keyward.db");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");

    let key = sample_key("reopen-key");
    let version = KeyVersionRecord {
        key_id: key.key_id.clone(),
        version_id: "v1".to_owned(),
        creation_date: 1_700_000_000,
        sealed_material: Some(vec![0, 1, 2, 255]),
        material_fingerprint: Some(vec![9; 32]),
    };
    let tags = [Tag { key: "k".to_owned(), value: "v".to_owned() }];
    {
        let store = SqliteStore::open(&path).await.expect("open");
        store
            .create_key(NewKey { key: &key, version: Some(&version), tags: &tags, instance_quota: None, policy: None })
            .await
            .expect("create_key");
        assert!(store.put_meta_if_absent("canary", b"sealed").await.expect("put_meta"));
        store.update_key(&key).await.expect("update_key");
        store.close().await;
    }
    assert!(path.exists(), "database file created");

    // Reopening runs the migrations again (a no-op) and sees everything.
    let store = SqliteStore::open(&path).await.expect("reopen");
    let stored = store.get_key(&key.key_id).await.expect("get_key").expect("key survives");
    assert_eq!(stored, KeyRecord { revision: 1, ..key.clone() });
    assert_eq!(store.list_key_versions(&key.key_id).await.expect("versions"), vec![version]);
    assert_eq!(store.list_key_tags(&key.key_id).await.expect("tags"), tags.to_vec());
    assert_eq!(store.get_meta("canary").await.expect("get_meta"), Some(b"sealed".to_vec()));
    assert!(!store.put_meta_if_absent("canary", b"other").await.expect("put_meta"));
    let err =
        store.create_key(NewKey { key: &key, version: None, tags: &[], instance_quota: None, policy: None }).await;
    assert!(matches!(err, Err(StoreError::AlreadyExists)), "{err:?}");
    store.close().await;
}

#[tokio::test]
async fn pragmas_in_effect_on_every_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("keyward.db")).await.expect("open");

    // Hold several connections at once so that more than one is checked.
    let mut conns = Vec::new();
    for _ in 0..4 {
        conns.push(store.pool().acquire().await.expect("acquire"));
    }
    for conn in &mut conns {
        let mode: String =
            sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut **conn).await.expect("journal_mode");
        assert_eq!(mode.to_ascii_lowercase(), "wal");
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut **conn).await.expect("synchronous");
        assert_eq!(sync, 2, "synchronous=FULL");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut **conn).await.expect("foreign_keys");
        assert_eq!(fk, 1, "foreign keys on");
        let timeout: i64 =
            sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(&mut **conn).await.expect("busy_timeout");
        assert_eq!(timeout, 5000, "busy timeout 5 s");
    }
    drop(conns);
    store.close().await;
}

#[tokio::test]
async fn corrupt_enum_text_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("keyward.db")).await.expect("open");
    let key = sample_key("corrupt-key");
    store
        .create_key(NewKey { key: &key, version: None, tags: &[], instance_quota: None, policy: None })
        .await
        .expect("create_key");
    sqlx::query("UPDATE keys SET state = 'Exploded' WHERE key_id = ?")
        .bind(&key.key_id)
        .execute(store.pool())
        .await
        .expect("tamper");
    let err = store.get_key(&key.key_id).await;
    assert!(matches!(err, Err(StoreError::Corrupt(_))), "{err:?}");
    let err = store.list_keys().await;
    assert!(matches!(err, Err(StoreError::Corrupt(_))), "{err:?}");
    store.close().await;
}

#[tokio::test]
async fn unsupported_url_scheme_is_refused() {
    let err = keyward_store::open("mysql://u:secret@host/db").await.err().expect("refused");
    assert!(matches!(err, StoreError::Backend(_)));
    let shown = format!("{err} {:?}", err);
    assert!(!shown.contains("secret"), "URL not echoed: {shown}");
}

#[tokio::test]
async fn repeated_tag_key_keeps_last_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("keyward.db")).await.expect("open");
    let key = sample_key("tagged");
    let tags = [
        Tag { key: "env".to_owned(), value: "dev".to_owned() },
        Tag { key: "env".to_owned(), value: "prod".to_owned() },
    ];
    store
        .create_key(NewKey { key: &key, version: None, tags: &tags, instance_quota: None, policy: None })
        .await
        .expect("create_key");
    assert_eq!(
        store.list_key_tags(&key.key_id).await.expect("tags"),
        vec![Tag { key: "env".to_owned(), value: "prod".to_owned() }]
    );
    store.close().await;
}

#[tokio::test]
async fn first_version_of_another_key_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("keyward.db")).await.expect("open");
    let key = sample_key("owner");
    let version = KeyVersionRecord {
        key_id: "someone-else".to_owned(),
        version_id: "v1".to_owned(),
        creation_date: 1,
        sealed_material: None,
        material_fingerprint: None,
    };
    let err = store
        .create_key(NewKey { key: &key, version: Some(&version), tags: &[], instance_quota: None, policy: None })
        .await;
    assert!(matches!(err, Err(StoreError::Corrupt(_))), "{err:?}");
    assert_eq!(store.get_key(&key.key_id).await.expect("get_key"), None);
    store.close().await;
}

/// A database created before BYOK (schema version 1 only) is upgraded when opened: migrations
/// 0002 to 0004 apply on top of 0001, existing rows keep their data (no fingerprint), and the
/// new methods work on them.
#[tokio::test]
async fn migration_0002_upgrades_a_version_1_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v1.db");
    {
        let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true).foreign_keys(true);
        let pool = SqlitePool::connect_with(options).await.expect("create v1 database");
        migrations_up_to(1).run(&pool).await.expect("apply 0001 only");
        sqlx::query(
            "INSERT INTO keys (key_id, description, key_spec, key_usage, origin, protection_level, state, \
             creation_date, delete_date, material_expire, primary_version, last_rotation, instance_id, \
             rotation_enabled, rotation_interval_secs, next_rotation, deletion_protection_enabled, \
             deletion_protection_description, creator, revision) \
             VALUES ('old-key', 'from v1', 'Aliyun_AES_256', 'ENCRYPT/DECRYPT', 'EXTERNAL', 'SOFTWARE', \
             'Enabled', 1700000000, NULL, 1800000000, 'v1', 1700000000, NULL, 0, NULL, NULL, 0, '', '1', 3)",
        )
        .execute(&pool)
        .await
        .expect("v1 key row");
        sqlx::query(
            "INSERT INTO key_versions (key_id, version_id, creation_date, sealed_material) \
             VALUES ('old-key', 'v1', 1700000000, X'00FF')",
        )
        .execute(&pool)
        .await
        .expect("v1 version row");
        pool.close().await;
    }

    let store = SqliteStore::open(&path).await.expect("open upgrades");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("applied migrations");
    assert_eq!(applied, [1, 2, 3, 4, 5]);

    let key = store.get_key("old-key").await.expect("get_key").expect("v1 key survives");
    let expected = KeyRecord {
        key_id: "old-key".to_owned(),
        description: "from v1".to_owned(),
        origin: Origin::External,
        material_expire: Some(1_800_000_000),
        creator: "1".to_owned(),
        revision: 3,
        ..sample_key("old-key")
    };
    assert_eq!(key, expected);
    let old_version = KeyVersionRecord {
        key_id: "old-key".to_owned(),
        version_id: "v1".to_owned(),
        creation_date: 1_700_000_000,
        sealed_material: Some(vec![0x00, 0xff]),
        material_fingerprint: None,
    };
    assert_eq!(store.list_key_versions("old-key").await.expect("versions"), vec![old_version.clone()]);

    // The new column and table are usable on the upgraded database.
    store.update_key_material(&key, "v1", Some(&[7; 32]), Some(&[8; 32])).await.expect("update_key_material");
    assert_eq!(
        store.list_key_versions("old-key").await.expect("versions"),
        vec![KeyVersionRecord {
            sealed_material: Some(vec![7; 32]),
            material_fingerprint: Some(vec![8; 32]),
            ..old_version
        }]
    );
    assert_eq!(store.keys_with_expired_material(1_800_000_000).await.expect("expired"), ["old-key"]);
    let token = ImportTokenRecord {
        token_id: "tok".to_owned(),
        key_id: "old-key".to_owned(),
        version_id: "v1".to_owned(),
        wrapping_spec: "RSA_2048".to_owned(),
        wrapping_algorithm: "RSAES_OAEP_SHA_256".to_owned(),
        sealed_private_key: vec![1, 2, 3],
        public_key_der: vec![4, 5, 6],
        creation_date: 1_700_000_000,
        expires_at: 1_700_086_400,
    };
    store.create_import_token(&token).await.expect("create_import_token");
    assert_eq!(store.get_import_token("tok").await.expect("get_import_token"), Some(token.clone()));
    let err = store
        .create_import_token(&ImportTokenRecord { token_id: "tok2".to_owned(), key_id: "nope".to_owned(), ..token })
        .await;
    assert!(matches!(err, Err(StoreError::Conflict)), "foreign key enforced: {err:?}");
    assert!(store.delete_key("old-key").await.expect("delete_key"));
    assert_eq!(store.get_import_token("tok").await.expect("get_import_token"), None, "cascade");

    let violations: Vec<(String,)> =
        sqlx::query_as("PRAGMA foreign_key_check").fetch_all(store.pool()).await.expect("foreign_key_check");
    assert!(violations.is_empty(), "{violations:?}");
    let strict: i64 = sqlx::query_scalar("SELECT strict FROM pragma_table_list WHERE name = 'import_tokens'")
        .fetch_one(store.pool())
        .await
        .expect("table_list");
    assert_eq!(strict, 1, "import_tokens is STRICT");
    store.close().await;

    // Opening again is a no-op.
    let store = SqliteStore::open(&path).await.expect("reopen");
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(store.pool()).await.expect("count");
    assert_eq!(applied, 5);
    store.close().await;
}

/// A database of schema version 2 (before aliases) is upgraded when opened: migrations 0003 and
/// 0004 apply on top of 0002, existing keys, versions and tags keep their data, and aliases,
/// version additions, tag upserts and the rotation query work on them.
#[tokio::test]
async fn migration_0003_upgrades_a_version_2_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v2.db");
    {
        let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true).foreign_keys(true);
        let pool = SqlitePool::connect_with(options).await.expect("create v2 database");
        migrations_up_to(2).run(&pool).await.expect("apply 0001 and 0002 only");
        for (key_id, rotation_enabled, next_rotation) in [("due-key", 1, 1_750_000_000), ("idle-key", 0, 1_750_000_000)]
        {
            sqlx::query(
                "INSERT INTO keys (key_id, description, key_spec, key_usage, origin, protection_level, state, \
                 creation_date, delete_date, material_expire, primary_version, last_rotation, instance_id, \
                 rotation_enabled, rotation_interval_secs, next_rotation, deletion_protection_enabled, \
                 deletion_protection_description, creator, revision) \
                 VALUES (?, 'from v2', 'Aliyun_AES_256', 'ENCRYPT/DECRYPT', 'Aliyun_KMS', 'SOFTWARE', \
                 'Enabled', 1700000000, NULL, NULL, 'v1', 1700000000, 'kst-old', ?, 86400, ?, 0, '', '1', 2)",
            )
            .bind(key_id)
            .bind(rotation_enabled)
            .bind(next_rotation)
            .execute(&pool)
            .await
            .expect("v2 key row");
            sqlx::query(
                "INSERT INTO key_versions (key_id, version_id, creation_date, sealed_material, \
                 material_fingerprint) VALUES (?1, ?1 || '-v1', 1700000000, X'00FF', NULL)",
            )
            .bind(key_id)
            .execute(&pool)
            .await
            .expect("v2 version row");
        }
        sqlx::query("INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES ('due-key', 'env', 'prod')")
            .execute(&pool)
            .await
            .expect("v2 tag row");
        pool.close().await;
    }

    let store = SqliteStore::open(&path).await.expect("open upgrades");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("applied migrations");
    assert_eq!(applied, [1, 2, 3, 4, 5]);
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('aliases_key_id', 'keys_rotation_due', 'key_versions_version_id') \
         ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .expect("indexes");
    assert_eq!(indexes, ["aliases_key_id", "key_versions_version_id", "keys_rotation_due"]);
    let strict: i64 = sqlx::query_scalar("SELECT strict FROM pragma_table_list WHERE name = 'aliases'")
        .fetch_one(store.pool())
        .await
        .expect("table_list");
    assert_eq!(strict, 1, "aliases is STRICT");

    // Existing rows survive, and the rotation query sees them.
    let key = store.get_key("due-key").await.expect("get_key").expect("v2 key survives");
    assert_eq!((key.description.as_str(), key.revision, key.rotation.enabled), ("from v2", 2, true));
    assert_eq!(key.rotation.next_rotation, Some(1_750_000_000));
    assert_eq!(store.keys_due_for_rotation(1_800_000_000).await.expect("due"), ["due-key"]);
    assert!(store.keys_due_for_rotation(1_749_999_999).await.expect("due").is_empty());
    assert_eq!(store.count_instance_key_versions("kst-old").await.expect("count"), 2);
    assert_eq!(store.key_id_for_version("idle-key-v1").await.expect("owner").as_deref(), Some("idle-key"));

    // Version additions (with the instance quota) and tag upserts work on old rows.
    let v2 = KeyVersionRecord {
        key_id: "due-key".to_owned(),
        version_id: "v2".to_owned(),
        creation_date: 1_750_000_000,
        sealed_material: Some(vec![1; 32]),
        material_fingerprint: None,
    };
    let rotated = KeyRecord {
        primary_version: Some("v2".to_owned()),
        rotation: Rotation { next_rotation: Some(1_850_000_000), ..key.rotation.clone() },
        ..key.clone()
    };
    let err = store.add_key_version(&rotated, &v2, Some(2)).await;
    assert!(matches!(err, Err(StoreError::QuotaExceeded)), "{err:?}");
    store.add_key_version(&rotated, &v2, Some(3)).await.expect("add_key_version");
    assert!(store.keys_due_for_rotation(1_800_000_000).await.expect("due").is_empty(), "rotated");
    assert_eq!(store.list_key_versions("due-key").await.expect("versions").len(), 2);
    assert_eq!(store.key_id_for_version("v2").await.expect("owner").as_deref(), Some("due-key"));
    store
        .put_key_tags("due-key", &[Tag { key: "env".to_owned(), value: "dev".to_owned() }], 1)
        .await
        .expect("put_key_tags");
    assert_eq!(store.list_all_key_tags().await.expect("all tags").len(), 1);

    // Aliases: created, refused for an unknown key (foreign key), deleted with their key.
    let alias = AliasRecord { alias_name: "alias/old".to_owned(), key_id: "due-key".to_owned(), creation_date: 1 };
    store.create_alias(&alias, 10).await.expect("create_alias");
    assert_eq!(store.get_alias("alias/old").await.expect("get_alias"), Some(alias.clone()));
    let orphan = AliasRecord { alias_name: "alias/orphan".to_owned(), key_id: "nope".to_owned(), ..alias.clone() };
    let err = store.create_alias(&orphan, 10).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "foreign key enforced: {err:?}");
    assert!(store.update_alias("alias/old", "idle-key").await.expect("update_alias"));
    assert!(store.delete_key("idle-key").await.expect("delete_key"));
    assert_eq!(store.get_alias("alias/old").await.expect("get_alias"), None, "cascade");
    let violations: Vec<(String,)> =
        sqlx::query_as("PRAGMA foreign_key_check").fetch_all(store.pool()).await.expect("foreign_key_check");
    assert!(violations.is_empty(), "{violations:?}");
    store.close().await;

    // Opening again is a no-op.
    let store = SqliteStore::open(&path).await.expect("reopen");
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(store.pool()).await.expect("count");
    assert_eq!(applied, 5);
    store.close().await;
}

#[tokio::test]
async fn first_secret_version_of_another_secret_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("keyward.db")).await.expect("open");
    let secret = sample_secret("owner");
    let version = sample_secret_version("someone-else", "v1", 1);
    let err =
        store.create_secret(NewSecret { secret: &secret, version: &version, tags: &[], instance_quota: None }).await;
    assert!(matches!(err, Err(StoreError::Corrupt(_))), "{err:?}");
    assert_eq!(store.get_secret("owner").await.expect("get_secret"), None);
    assert!(store.list_secret_versions("someone-else").await.expect("versions").is_empty());
    store.close().await;
}

/// Stages are stored as a JSON array of strings; secret rows that no longer decode (unknown
/// enum text, stages that are not such an array) are reported as corrupt.
#[tokio::test]
async fn secret_rows_are_stored_as_documented_and_corruption_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("keyward.db")).await.expect("open");
    let secret = sample_secret("s");
    let version = sample_secret_version("s", "v1", 1);
    let tags = [
        Tag { key: "env".to_owned(), value: "dev".to_owned() },
        Tag { key: "env".to_owned(), value: "prod".to_owned() },
    ];
    store
        .create_secret(NewSecret { secret: &secret, version: &version, tags: &tags, instance_quota: None })
        .await
        .expect("create_secret");
    // A repeated tag key keeps the last value, as for keys.
    assert_eq!(
        store.list_secret_tags("s").await.expect("tags"),
        [Tag { key: "env".to_owned(), value: "prod".to_owned() }]
    );
    let stages: String = sqlx::query_scalar("SELECT stages FROM secret_versions WHERE secret_name = 's'")
        .fetch_one(store.pool())
        .await
        .expect("stages");
    assert_eq!(stages, r#"["ACSCurrent","阶段 \"x\""]"#);

    for (column, value) in [("stages", "ACSCurrent"), ("stages", r#"{"a":1}"#), ("stages", "[1]"), ("data_type", "hex")]
    {
        sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE secret_versions SET {column} = ? WHERE secret_name = 's'")))
            .bind(value)
            .execute(store.pool())
            .await
            .expect("tamper");
        let err = store.list_secret_versions("s").await;
        assert!(matches!(err, Err(StoreError::Corrupt(_))), "{column} = {value}: {err:?}");
        sqlx::query("UPDATE secret_versions SET stages = '[]', data_type = 'text' WHERE secret_name = 's'")
            .execute(store.pool())
            .await
            .expect("repair");
        assert_eq!(store.list_secret_versions("s").await.expect("versions")[0].stages, Vec::<String>::new());
    }

    sqlx::query("UPDATE secrets SET secret_type = 'Rds' WHERE secret_name = 's'")
        .execute(store.pool())
        .await
        .expect("tamper");
    let err = store.get_secret("s").await;
    assert!(matches!(err, Err(StoreError::Corrupt(_))), "{err:?}");
    let err = store.list_secrets().await;
    assert!(matches!(err, Err(StoreError::Corrupt(_))), "{err:?}");
    store.close().await;
}

/// A database of schema version 3 (before secrets) is upgraded when opened: migration 0004
/// applies on top of 0003, existing keys keep their data, and the secrets tables are STRICT,
/// enforce their foreign keys and cascade.
#[tokio::test]
async fn migration_0004_upgrades_a_version_3_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v3.db");
    let key = sample_key("old-key");
    {
        let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true).foreign_keys(true);
        let pool = SqlitePool::connect_with(options).await.expect("create v3 database");
        migrations_up_to(3).run(&pool).await.expect("apply 0001 to 0003 only");
        sqlx::query(
            "INSERT INTO keys (key_id, description, key_spec, key_usage, origin, protection_level, state, \
             creation_date, delete_date, material_expire, primary_version, last_rotation, instance_id, \
             rotation_enabled, rotation_interval_secs, next_rotation, deletion_protection_enabled, \
             deletion_protection_description, creator, revision) \
             VALUES ('old-key', 'durable', 'Aliyun_AES_256', 'ENCRYPT/DECRYPT', 'Aliyun_KMS', 'SOFTWARE', \
             'Enabled', 1700000000, NULL, NULL, 'v1', 1700000000, NULL, 0, NULL, NULL, 0, '', '1', 0)",
        )
        .execute(&pool)
        .await
        .expect("v3 key row");
        pool.close().await;
    }

    let store = SqliteStore::open(&path).await.expect("open upgrades");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("applied migrations");
    assert_eq!(applied, [1, 2, 3, 4, 5]);
    assert_eq!(store.get_key("old-key").await.expect("get_key"), Some(key));
    for table in ["secrets", "secret_versions", "secret_tags"] {
        let strict: i64 = sqlx::query_scalar("SELECT strict FROM pragma_table_list WHERE name = ?")
            .bind(table)
            .fetch_one(store.pool())
            .await
            .expect("table_list");
        assert_eq!(strict, 1, "{table} is STRICT");
    }
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'secret%' \
         AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .expect("indexes");
    assert_eq!(
        indexes,
        ["secret_versions_seq", "secrets_creation_date", "secrets_instance_id", "secrets_planned_delete"]
    );
    // Secrets work on the upgraded database; orphan rows are refused by the foreign keys.
    let secret = SecretRecord { instance_id: Some("kst-old".to_owned()), ..sample_secret("凭据/one") };
    let version = sample_secret_version("凭据/one", "v1", 1);
    store
        .create_secret(NewSecret { secret: &secret, version: &version, tags: &[], instance_quota: Some(1) })
        .await
        .expect("create_secret");
    let orphan = sqlx::query(
        "INSERT INTO secret_versions (secret_name, version_id, seq, creation_date, data_type, ciphertext, stages) \
         VALUES ('nope', 'v1', 1, 1, 'text', X'00', '[]')",
    )
    .execute(store.pool())
    .await;
    assert!(orphan.is_err(), "foreign key enforced");
    store.put_secret_tags("凭据/one", &[Tag { key: "k".to_owned(), value: "v".to_owned() }], 1).await.expect("tags");
    assert!(store.delete_secret("凭据/one").await.expect("delete_secret"));
    let left: i64 =
        sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM secret_versions) + (SELECT COUNT(*) FROM secret_tags)")
            .fetch_one(store.pool())
            .await
            .expect("count");
    assert_eq!(left, 0, "cascade");
    let violations: Vec<(String,)> =
        sqlx::query_as("PRAGMA foreign_key_check").fetch_all(store.pool()).await.expect("foreign_key_check");
    assert!(violations.is_empty(), "{violations:?}");
    store.close().await;

    // Opening again is a no-op.
    let store = SqliteStore::open(&path).await.expect("reopen");
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(store.pool()).await.expect("count");
    assert_eq!(applied, 5);
    store.close().await;
}

#[tokio::test]
async fn secrets_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keyward.db");
    let secret = sample_secret("reopen/secret");
    let v1 = sample_secret_version("reopen/secret", "v1", 1);
    let v2 = sample_secret_version("reopen/secret", "v2", 2);
    {
        let store = SqliteStore::open(&path).await.expect("open");
        store
            .create_secret(NewSecret { secret: &secret, version: &v1, tags: &[], instance_quota: None })
            .await
            .expect("create_secret");
        store.update_secret(&secret, std::slice::from_ref(&v2), &[]).await.expect("update_secret");
        store.close().await;
    }
    let store = SqliteStore::open(&path).await.expect("reopen");
    assert_eq!(store.get_secret("reopen/secret").await.expect("get"), Some(SecretRecord { revision: 1, ..secret }));
    assert_eq!(store.list_secret_versions("reopen/secret").await.expect("versions"), [v1, v2]);
    store.close().await;
}

/// A database of schema version 4 (before principals) is upgraded when opened: migration 0005
/// gives every principal named by an AccessKey, and `admin`, a principal row; key policies,
/// identity policies and attachments work on the old rows.
#[tokio::test]
async fn migration_0005_upgrades_a_version_4_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v4.db");
    {
        let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true).foreign_keys(true);
        let pool = SqlitePool::connect_with(options).await.expect("create v4 database");
        migrations_up_to(4).run(&pool).await.expect("apply 0001 to 0004 only");
        sqlx::query(
            "INSERT INTO keys (key_id, description, key_spec, key_usage, origin, protection_level, state, \
             creation_date, delete_date, material_expire, primary_version, last_rotation, instance_id, \
             rotation_enabled, rotation_interval_secs, next_rotation, deletion_protection_enabled, \
             deletion_protection_description, creator, revision) \
             VALUES ('old-key', 'durable', 'Aliyun_AES_256', 'ENCRYPT/DECRYPT', 'Aliyun_KMS', 'SOFTWARE', \
             'Enabled', 1700000000, NULL, NULL, 'v1', 1700000000, NULL, 0, NULL, NULL, 0, '', '1', 0)",
        )
        .execute(&pool)
        .await
        .expect("v4 key row");
        for (id, principal) in [("ak1", "alice"), ("ak2", "admin"), ("ak3", "alice"), ("ak4", "bob")] {
            sqlx::query(
                "INSERT INTO access_keys (access_key_id, sealed_secret, principal, enabled, creation_date) \
                 VALUES (?, x'00ff', ?, 1, 1700000000)",
            )
            .bind(id)
            .bind(principal)
            .execute(&pool)
            .await
            .expect("v4 AccessKey row");
        }
        pool.close().await;
    }

    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let store = SqliteStore::open(&path).await.expect("open upgrades");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("applied migrations");
    assert_eq!(applied, [1, 2, 3, 4, 5]);
    let principals = store.list_principals().await.expect("list_principals");
    let names: Vec<&str> = principals.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["admin", "alice", "bob"], "backfilled once each, admin included");
    for p in &principals {
        assert_eq!(p.description, "");
        assert!(p.creation_date >= before - 5 && p.creation_date <= before + 60, "created now: {p:?}");
    }
    for table in ["key_policies", "principals", "policies", "principal_policies"] {
        let strict: i64 = sqlx::query_scalar("SELECT strict FROM pragma_table_list WHERE name = ?")
            .bind(table)
            .fetch_one(store.pool())
            .await
            .expect("table_list");
        assert_eq!(strict, 1, "{table} is STRICT");
    }

    // The new methods work on old rows.
    assert_eq!(store.get_key_policy("old-key").await.expect("get_key_policy"), None);
    store.put_key_policy("old-key", "{\"Version\":\"1\"}").await.expect("put_key_policy");
    assert_eq!(store.get_key_policy("old-key").await.expect("get").as_deref(), Some("{\"Version\":\"1\"}"));
    let err = store.delete_principal("alice").await;
    assert!(matches!(err, Err(StoreError::Conflict)), "alice still has AccessKeys: {err:?}");
    let policy = keyward_core::model::PolicyRecord {
        name: "readers".to_owned(),
        description: String::new(),
        document: "{}".to_owned(),
        creation_date: 1,
        update_date: 1,
    };
    store.create_policy(&policy).await.expect("create_policy");
    assert!(store.attach_policy("bob", "readers").await.expect("attach_policy"));
    assert_eq!(store.list_attached_policies("bob").await.expect("list"), vec![policy]);
    assert!(store.delete_key("old-key").await.expect("delete_key"));
    assert_eq!(store.get_key_policy("old-key").await.expect("get_key_policy"), None, "cascade");
    store.close().await;

    // Opening again is a no-op: no second backfill.
    let again = SqliteStore::open(&path).await.expect("reopen");
    assert_eq!(again.list_principals().await.expect("list").len(), 3);
    again.close().await;
}
