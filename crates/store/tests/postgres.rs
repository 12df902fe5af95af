//! The PostgreSQL backend against the conformance suite.
//!
//! Runs only when `KEYWARD_TEST_POSTGRES_URL` names a database (e.g.
//! `postgres://keyward:keyward@127.0.0.1:5432/keyward_test`); otherwise it says it was skipped
//! and passes. Each run creates a fresh schema and points `search_path` at it, so runs never
//! collide with each other or with earlier ones.

use std::borrow::Cow;
use std::str::FromStr;

use keyward_core::model::{
    AliasRecord, ImportTokenRecord, KeyRecord, KeyVersionRecord, Rotation, SecretDataType, SecretRecord, SecretType,
    SecretVersionRecord, Tag,
};
use keyward_core::store::{NewSecret, Store, StoreError};
use keyward_store::postgres::PostgresStore;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::PgConnectOptions;

const URL_VAR: &str = "KEYWARD_TEST_POSTGRES_URL";

/// A fresh, empty schema in the test database, dropped again by [`Schema::drop`].
struct Schema {
    admin: sqlx::PgPool,
    name: String,
}

impl Schema {
    async fn create(url: &str) -> Self {
        let admin = sqlx::PgPool::connect(url).await.expect("connect to the test database");
        let name = format!("kw_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}"))).execute(&admin).await.expect("create schema");
        Self { admin, name }
    }

    /// Connect options for the test database with `search_path` set to this schema.
    fn options(&self, url: &str) -> PgConnectOptions {
        PgConnectOptions::from_str(url).expect("parse URL").options([("search_path", self.name.as_str())])
    }

    async fn drop(self) {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {} CASCADE", self.name)))
            .execute(&self.admin)
            .await
            .expect("drop schema");
        self.admin.close().await;
    }
}

/// The embedded PostgreSQL migrations up to and including `version`, as an older binary had them.
fn migrations_up_to(version: i64) -> Migrator {
    let all = [
        (1, "init", include_str!("../migrations/postgres/0001_init.sql")),
        (2, "byok", include_str!("../migrations/postgres/0002_byok.sql")),
        (3, "aliases", include_str!("../migrations/postgres/0003_aliases.sql")),
        (4, "secrets", include_str!("../migrations/postgres/0004_secrets.sql")),
        (5, "principals", include_str!("../migrations/postgres/0005_principals.sql")),
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

fn test_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipped: set {URL_VAR} to run the PostgreSQL conformance tests");
            None
        }
    }
}

#[tokio::test]
async fn conformance() {
    let Some(url) = test_url() else { return };
    let schema = Schema::create(&url).await;
    let store = PostgresStore::connect_with(schema.options(&url)).await.expect("connect");
    assert_eq!(store.backend_name(), "postgres");
    keyward_store::conformance::run_all(&store).await;
    // Twice against the same schema: runs must not collide.
    keyward_store::conformance::run_all(&store).await;
    store.close().await;

    // Connecting again re-runs the embedded migrations as a no-op and keeps the data.
    let again = PostgresStore::connect_with(schema.options(&url)).await.expect("reconnect");
    assert!(!again.list_keys().await.expect("list_keys").is_empty());
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 \
         ORDER BY table_name",
    )
    .bind(&schema.name)
    .fetch_all(again.pool())
    .await
    .expect("tables");
    assert_eq!(
        tables,
        [
            "_sqlx_migrations",
            "access_keys",
            "aliases",
            "import_tokens",
            "instances",
            "key_policies",
            "key_tags",
            "key_versions",
            "keys",
            "meta",
            "policies",
            "principal_policies",
            "principals",
            "secret_tags",
            "secret_versions",
            "secrets"
        ]
    );
    again.close().await;
    schema.drop().await;
}

#[tokio::test]
async fn conformance_via_open_url() {
    let Some(url) = test_url() else { return };
    let schema = Schema::create(&url).await;
    // The same schema, selected through the URL's `options` parameter.
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-csearch_path%3D{}", schema.name);
    let store = keyward_store::open(&scoped).await.expect("open");
    assert_eq!(store.backend_name(), "postgres");
    keyward_store::conformance::run_all(store.as_ref()).await;
    drop(store);
    schema.drop().await;
}

/// A database created before BYOK (schema version 1 only) is upgraded on connect: migrations
/// 0002 to 0004 apply on top of 0001, existing rows keep their data (no fingerprint), and the
/// new methods work on them.
#[tokio::test]
async fn migration_0002_upgrades_a_version_1_database() {
    let Some(url) = test_url() else { return };
    let schema = Schema::create(&url).await;
    {
        let pool = sqlx::PgPool::connect_with(schema.options(&url)).await.expect("connect");
        migrations_up_to(1).run(&pool).await.expect("apply 0001 only");
        sqlx::query(
            "INSERT INTO keys (key_id, description, key_spec, key_usage, origin, protection_level, state, \
             creation_date, delete_date, material_expire, primary_version, last_rotation, instance_id, \
             rotation_enabled, rotation_interval_secs, next_rotation, deletion_protection_enabled, \
             deletion_protection_description, creator, revision) \
             VALUES ('old-key', 'from v1', 'Aliyun_AES_256', 'ENCRYPT/DECRYPT', 'EXTERNAL', 'SOFTWARE', \
             'Enabled', 1700000000, NULL, 1800000000, 'v1', 1700000000, NULL, FALSE, NULL, NULL, FALSE, '', \
             '1', 3)",
        )
        .execute(&pool)
        .await
        .expect("v1 key row");
        sqlx::query(
            "INSERT INTO key_versions (key_id, version_id, creation_date, sealed_material) \
             VALUES ('old-key', 'v1', 1700000000, '\\x00ff'::bytea)",
        )
        .execute(&pool)
        .await
        .expect("v1 version row");
        pool.close().await;
    }

    let store = PostgresStore::connect_with(schema.options(&url)).await.expect("connect upgrades");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("applied migrations");
    assert_eq!(applied, [1, 2, 3, 4, 5]);

    let key = store.get_key("old-key").await.expect("get_key").expect("v1 key survives");
    assert_eq!((key.description.as_str(), key.revision), ("from v1", 3));
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
    let orphan = ImportTokenRecord { token_id: "tok2".to_owned(), key_id: "nope".to_owned(), ..token };
    let err = store.create_import_token(&orphan).await;
    assert!(matches!(err, Err(StoreError::Conflict)), "foreign key enforced: {err:?}");
    assert!(store.delete_key("old-key").await.expect("delete_key"));
    assert_eq!(store.get_import_token("tok").await.expect("get_import_token"), None, "cascade");
    store.close().await;

    // Connecting again is a no-op.
    let again = PostgresStore::connect_with(schema.options(&url)).await.expect("reconnect");
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(again.pool()).await.expect("count");
    assert_eq!(applied, 5);
    again.close().await;
    schema.drop().await;
}

/// A database of schema version 2 (before aliases) is upgraded on connect: migrations 0003 and
/// 0004 apply on top of 0002, existing keys, versions and tags keep their data, and aliases,
/// version additions, tag upserts and the rotation query work on them.
#[tokio::test]
async fn migration_0003_upgrades_a_version_2_database() {
    let Some(url) = test_url() else { return };
    let schema = Schema::create(&url).await;
    {
        let pool = sqlx::PgPool::connect_with(schema.options(&url)).await.expect("connect");
        migrations_up_to(2).run(&pool).await.expect("apply 0001 and 0002 only");
        for (key_id, rotation_enabled) in [("due-key", true), ("idle-key", false)] {
            sqlx::query(
                "INSERT INTO keys (key_id, description, key_spec, key_usage, origin, protection_level, state, \
                 creation_date, delete_date, material_expire, primary_version, last_rotation, instance_id, \
                 rotation_enabled, rotation_interval_secs, next_rotation, deletion_protection_enabled, \
                 deletion_protection_description, creator, revision) \
                 VALUES ($1, 'from v2', 'Aliyun_AES_256', 'ENCRYPT/DECRYPT', 'Aliyun_KMS', 'SOFTWARE', \
                 'Enabled', 1700000000, NULL, NULL, 'v1', 1700000000, 'kst-old', $2, 86400, 1750000000, FALSE, \
                 '', '1', 2)",
            )
            .bind(key_id)
            .bind(rotation_enabled)
            .execute(&pool)
            .await
            .expect("v2 key row");
            sqlx::query(
                "INSERT INTO key_versions (key_id, version_id, creation_date, sealed_material, \
                 material_fingerprint) VALUES ($1, $1 || '-v1', 1700000000, '\\x00ff'::bytea, NULL)",
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

    let store = PostgresStore::connect_with(schema.options(&url)).await.expect("connect upgrades");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("applied migrations");
    assert_eq!(applied, [1, 2, 3, 4, 5]);
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 \
         AND indexname IN ('aliases_key_id', 'keys_rotation_due', 'key_versions_version_id') ORDER BY indexname",
    )
    .bind(&schema.name)
    .fetch_all(store.pool())
    .await
    .expect("indexes");
    assert_eq!(indexes, ["aliases_key_id", "key_versions_version_id", "keys_rotation_due"]);
    let collation: Option<String> = sqlx::query_scalar(
        "SELECT collation_name::text FROM information_schema.columns \
         WHERE table_schema = $1 AND table_name = 'aliases' AND column_name = 'alias_name'",
    )
    .bind(&schema.name)
    .fetch_one(store.pool())
    .await
    .expect("collation");
    assert_eq!(collation.as_deref(), Some("C"), "alias names in byte order");

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
    store.close().await;

    // Connecting again is a no-op.
    let again = PostgresStore::connect_with(schema.options(&url)).await.expect("reconnect");
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(again.pool()).await.expect("count");
    assert_eq!(applied, 5);
    again.close().await;
    schema.drop().await;
}

/// A database of schema version 3 (before secrets) is upgraded on connect: migration 0004
/// applies on top of 0003, existing keys keep their data, secret names are in byte order
/// ("C" collation), foreign keys are enforced and deletes cascade, and secret creation takes its
/// own per-instance advisory lock (not the key one).
#[tokio::test]
async fn migration_0004_upgrades_a_version_3_database() {
    let Some(url) = test_url() else { return };
    let schema = Schema::create(&url).await;
    {
        let pool = sqlx::PgPool::connect_with(schema.options(&url)).await.expect("connect");
        migrations_up_to(3).run(&pool).await.expect("apply 0001 to 0003 only");
        sqlx::query(
            "INSERT INTO keys (key_id, description, key_spec, key_usage, origin, protection_level, state, \
             creation_date, delete_date, material_expire, primary_version, last_rotation, instance_id, \
             rotation_enabled, rotation_interval_secs, next_rotation, deletion_protection_enabled, \
             deletion_protection_description, creator, revision) \
             VALUES ('old-key', 'from v3', 'Aliyun_AES_256', 'ENCRYPT/DECRYPT', 'Aliyun_KMS', 'SOFTWARE', \
             'Enabled', 1700000000, NULL, NULL, 'v1', 1700000000, 'kst-old', FALSE, NULL, NULL, FALSE, '', '1', 4)",
        )
        .execute(&pool)
        .await
        .expect("v3 key row");
        pool.close().await;
    }

    let store = PostgresStore::connect_with(schema.options(&url)).await.expect("connect upgrades");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("applied migrations");
    assert_eq!(applied, [1, 2, 3, 4, 5]);
    let key = store.get_key("old-key").await.expect("get_key").expect("v3 key survives");
    assert_eq!((key.description.as_str(), key.revision), ("from v3", 4));
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 AND tablename LIKE 'secret%' \
         AND indexname NOT LIKE '%_pkey' ORDER BY indexname",
    )
    .bind(&schema.name)
    .fetch_all(store.pool())
    .await
    .expect("indexes");
    assert_eq!(
        indexes,
        ["secret_versions_seq", "secrets_creation_date", "secrets_instance_id", "secrets_planned_delete"]
    );
    for (table, column) in [("secrets", "secret_name"), ("secret_versions", "version_id"), ("secret_tags", "tag_key")] {
        let collation: Option<String> = sqlx::query_scalar(
            "SELECT collation_name::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2 AND column_name = $3",
        )
        .bind(&schema.name)
        .bind(table)
        .bind(column)
        .fetch_one(store.pool())
        .await
        .expect("collation");
        assert_eq!(collation.as_deref(), Some("C"), "{table}.{column} in byte order");
    }

    // Secrets work on the upgraded database.
    let secret = SecretRecord {
        secret_name: "凭据/one".to_owned(),
        secret_type: SecretType::Generic,
        description: String::new(),
        encryption_key_id: "old-key".to_owned(),
        instance_id: Some("kst-old".to_owned()),
        creation_date: 1_700_000_000,
        update_date: 1_700_000_000,
        planned_delete: None,
        policy: "{}".to_owned(),
        creator: "1".to_owned(),
        revision: 0,
    };
    let version = SecretVersionRecord {
        secret_name: secret.secret_name.clone(),
        version_id: "v1".to_owned(),
        seq: 1,
        creation_date: 1_700_000_000,
        data_type: SecretDataType::Binary,
        ciphertext: vec![0, 255, 0],
        stages: vec!["ACSCurrent".to_owned()],
    };
    let new = || NewSecret { secret: &secret, version: &version, tags: &[], instance_quota: Some(1) };

    // While another session holds the instance's key lock, secret creation is not blocked; while
    // it holds the instance's secret lock, it is.
    let mut other = store.pool().acquire().await.expect("acquire");
    sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
        .bind(keyward_store::postgres::INSTANCE_LOCK_CLASS)
        .bind("kst-old")
        .execute(&mut *other)
        .await
        .expect("lock");
    tokio::time::timeout(std::time::Duration::from_secs(10), store.create_secret(new()))
        .await
        .expect("not blocked by the key lock")
        .expect("create_secret");
    sqlx::query("SELECT pg_advisory_unlock($1, hashtext($2))")
        .bind(keyward_store::postgres::INSTANCE_LOCK_CLASS)
        .bind("kst-old")
        .execute(&mut *other)
        .await
        .expect("unlock");
    assert!(store.delete_secret(&secret.secret_name).await.expect("delete_secret"));
    sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
        .bind(keyward_store::postgres::SECRET_LOCK_CLASS)
        .bind("kst-old")
        .execute(&mut *other)
        .await
        .expect("lock");
    let blocked = tokio::time::timeout(std::time::Duration::from_millis(500), store.create_secret(new())).await;
    assert!(blocked.is_err(), "waits for the secret lock");
    assert_eq!(store.get_secret(&secret.secret_name).await.expect("get_secret"), None, "nothing written meanwhile");
    sqlx::query("SELECT pg_advisory_unlock($1, hashtext($2))")
        .bind(keyward_store::postgres::SECRET_LOCK_CLASS)
        .bind("kst-old")
        .execute(&mut *other)
        .await
        .expect("unlock");
    drop(other);
    store.create_secret(new()).await.expect("create_secret after the lock is released");
    assert_eq!(
        store.list_secret_versions(&secret.secret_name).await.expect("versions"),
        std::slice::from_ref(&version)
    );

    // Foreign keys and cascades.
    let orphan = sqlx::query("INSERT INTO secret_tags (secret_name, tag_key, tag_value) VALUES ('nope', 'k', 'v')")
        .execute(store.pool())
        .await;
    assert!(orphan.is_err(), "foreign key enforced");
    store
        .put_secret_tags(&secret.secret_name, &[Tag { key: "k".to_owned(), value: "v".to_owned() }], 1)
        .await
        .expect("tags");
    assert!(store.delete_secret(&secret.secret_name).await.expect("delete_secret"));
    let left: i64 =
        sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM secret_versions) + (SELECT COUNT(*) FROM secret_tags)")
            .fetch_one(store.pool())
            .await
            .expect("count");
    assert_eq!(left, 0, "cascade");
    store.close().await;
    schema.drop().await;
}

/// A database of schema version 4 (before principals) is upgraded on connect: migration 0005
/// gives every principal named by an AccessKey, and `admin`, a principal row; names are in byte
/// order ("C" collation); key policies, identity policies and attachments work on old rows.
#[tokio::test]
async fn migration_0005_upgrades_a_version_4_database() {
    let Some(url) = test_url() else { return };
    let schema = Schema::create(&url).await;
    {
        let pool = sqlx::PgPool::connect_with(schema.options(&url)).await.expect("connect");
        migrations_up_to(4).run(&pool).await.expect("apply 0001 to 0004 only");
        sqlx::query(
            "INSERT INTO keys (key_id, description, key_spec, key_usage, origin, protection_level, state, \
             creation_date, delete_date, material_expire, primary_version, last_rotation, instance_id, \
             rotation_enabled, rotation_interval_secs, next_rotation, deletion_protection_enabled, \
             deletion_protection_description, creator, revision) \
             VALUES ('old-key', 'from v4', 'Aliyun_AES_256', 'ENCRYPT/DECRYPT', 'Aliyun_KMS', 'SOFTWARE', \
             'Enabled', 1700000000, NULL, NULL, 'v1', 1700000000, NULL, FALSE, NULL, NULL, FALSE, '', '1', 0)",
        )
        .execute(&pool)
        .await
        .expect("v4 key row");
        for (id, principal) in [("ak1", "alice"), ("ak2", "admin"), ("ak3", "alice"), ("ak4", "Bob")] {
            sqlx::query(
                "INSERT INTO access_keys (access_key_id, sealed_secret, principal, enabled, creation_date) \
                 VALUES ($1, '\\x00ff'::bytea, $2, TRUE, 1700000000)",
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
    let store = PostgresStore::connect_with(schema.options(&url)).await.expect("connect upgrades");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("applied migrations");
    assert_eq!(applied, [1, 2, 3, 4, 5]);
    let principals = store.list_principals().await.expect("list_principals");
    let names: Vec<&str> = principals.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Bob", "admin", "alice"], "backfilled once each, admin included, byte order");
    for p in &principals {
        assert_eq!(p.description, "");
        assert!(p.creation_date >= before - 5 && p.creation_date <= before + 60, "created now: {p:?}");
    }

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
    assert!(store.attach_policy("Bob", "readers").await.expect("attach_policy"));
    assert_eq!(store.list_attached_policies("Bob").await.expect("list"), vec![policy]);
    assert!(store.delete_key("old-key").await.expect("delete_key"));
    assert_eq!(store.get_key_policy("old-key").await.expect("get_key_policy"), None, "cascade");
    store.close().await;

    let again = PostgresStore::connect_with(schema.options(&url)).await.expect("reconnect");
    assert_eq!(again.list_principals().await.expect("list").len(), 3, "no second backfill");
    again.close().await;
    schema.drop().await;
}
