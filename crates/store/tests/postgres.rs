//! The PostgreSQL backend against the conformance suite.
//!
//! Runs only when `KEYWARD_TEST_POSTGRES_URL` names a database (e.g.
//! `postgres://keyward:keyward@127.0.0.1:5432/keyward_test`); otherwise it says it was skipped
//! and passes. Each run creates a fresh schema and points `search_path` at it, so runs never
//! collide with each other or with earlier ones.

use std::str::FromStr;

use keyward_core::store::Store;
use keyward_store::postgres::PostgresStore;
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
    assert_eq!(tables, ["_sqlx_migrations", "access_keys", "instances", "key_tags", "key_versions", "keys", "meta"]);
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
