#![allow(dead_code)] // each test file uses part of it
//! Fresh stores for tests: a SQLite file always, and a PostgreSQL database when
//! `FLUIDITY_TEST_POSTGRES` names a server (`.ci/run` starts one on loopback), each
//! test in its own database.

use sqlx::Connection;

/// The store URLs a test runs against: `sqlite:` in a fresh folder, and a fresh
/// PostgreSQL database when one is configured.
pub async fn fresh_urls(name: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("fluidity-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut urls = vec![format!("sqlite:{}", dir.join("store.db").display())];
    if let Some(url) = fresh_postgres(name).await {
        urls.push(url);
    }
    urls
}

/// A new PostgreSQL database for `name`, or None when no server is configured.
pub async fn fresh_postgres(name: &str) -> Option<String> {
    let base = std::env::var("FLUIDITY_TEST_POSTGRES").ok()?;
    sqlx::any::install_default_drivers();
    let db = format!("fluidity_{}_{}", name.replace('-', "_"), std::process::id());
    let mut admin = sqlx::AnyConnection::connect(&base)
        .await
        .expect("the test PostgreSQL server answers");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').expect("a URL ending in /DATABASE");
    Some(format!("{prefix}/{db}"))
}

/// Runs one SQL statement on the store at `url` directly (a tamperer's edit).
pub async fn raw(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let url = match url.strip_prefix("sqlite:") {
        Some(path) => format!("sqlite://{path}"),
        None => url.to_string(),
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
}
