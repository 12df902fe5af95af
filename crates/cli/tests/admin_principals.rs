//! `keyward admin principal …` and `keyward admin policy …`: the built binary on a fresh data dir
//! (root key from `KEYWARD_ROOT_KEY`, SQLite store), as an operator runs it — JSON shapes,
//! text output, refusals with a one-line error and a non-zero exit.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keyward");
/// A fixed test root key (64 hex characters).
const ROOT_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const LIST_KEYS: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]}"#;
const DENY_ALL: &str = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*"}]}"#;

/// Runs `keyward admin --data-dir DIR ARGS…`: (success, stdout, stderr).
fn admin(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("admin")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_ROOT_KEY_FILE")
        .env("KEYWARD_ROOT_KEY", ROOT_KEY)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs an admin command that must succeed and print JSON.
fn admin_json(dir: &Path, args: &[&str]) -> Value {
    let (ok, out, err) = admin(dir, args);
    assert!(ok, "keyward admin {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Runs an admin command that must succeed; its stdout.
fn admin_ok(dir: &Path, args: &[&str]) -> String {
    let (ok, out, err) = admin(dir, args);
    assert!(ok, "keyward admin {args:?} failed: {err}");
    out
}

/// Runs an admin command that must fail with one clear error line; its stderr.
fn admin_fails(dir: &Path, args: &[&str]) -> String {
    let (ok, out, err) = admin(dir, args);
    assert!(!ok, "keyward admin {args:?} succeeded: {out}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

fn is_wire_time(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T')
}

#[test]
fn principals_create_list_delete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = admin_json(d, &["principal", "create", "app-1", "--description", "the app", "--output", "json"]);
    assert_eq!(created["Principal"], "app-1");
    assert_eq!(created["Description"], "the app");
    let arn = created["Arn"].as_str().unwrap();
    assert!(arn.starts_with("acs:ram::") && arn.ends_with(":user/app-1"), "{arn}");
    assert!(is_wire_time(&created["CreateTime"]), "{created}");
    let keys: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["Arn", "CreateTime", "Description", "Principal"]);

    // Defaults: empty description, text output.
    let text = admin_ok(d, &["principal", "create", "b@example.com"]);
    assert!(text.contains("b@example.com") && text.contains(":user/b@example.com"), "{text}");

    let err = admin_fails(d, &["principal", "create", "app-1"]);
    assert!(err.contains("principal already exists"), "{err}");
    let err = admin_fails(d, &["principal", "create", "bad name"]);
    assert!(err.contains("PrincipalName"), "{err}");

    // The list has admin (the account itself: root ARN) and both, by name.
    let list = admin_json(d, &["principal", "list", "--output", "json"]);
    let rows = list["Principals"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["Principal"].as_str().unwrap()).collect();
    assert_eq!(names, ["admin", "app-1", "b@example.com"]);
    assert!(rows[0]["Arn"].as_str().unwrap().ends_with(":root"), "{list}");
    assert_eq!(rows[1]["Arn"], arn);
    assert_eq!(rows[1]["Description"], "the app");
    assert_eq!(rows[1]["AttachedPolicies"], serde_json::json!([]));
    assert!(is_wire_time(&rows[1]["CreateTime"]));
    let text = admin_ok(d, &["principal", "list", "--output", "text"]);
    assert!(text.lines().next().unwrap().starts_with("Principal"), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");

    let out = admin_ok(d, &["principal", "delete", "b@example.com"]);
    assert!(out.contains("deleted"), "{out}");
    let err = admin_fails(d, &["principal", "delete", "b@example.com"]);
    assert!(err.contains("principal b@example.com not found"), "{err}");
    let err = admin_fails(d, &["principal", "delete", "admin"]);
    assert!(err.contains("admin"), "{err}");
    let list = admin_json(d, &["principal", "list", "--output", "json"]);
    assert_eq!(list["Principals"].as_array().unwrap().len(), 2);
}

#[test]
fn policies_create_get_update_list_delete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = admin_json(
        d,
        &["policy", "create", "KeyListers", "--document", LIST_KEYS, "--description", "list keys", "--output", "json"],
    );
    let keys: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["CreateTime", "Description", "PolicyName", "UpdateTime"]);
    assert_eq!(created["PolicyName"], "KeyListers");
    assert_eq!(created["Description"], "list keys");
    assert!(is_wire_time(&created["CreateTime"]) && is_wire_time(&created["UpdateTime"]));

    // From a file.
    let file = d.join("deny.json");
    std::fs::write(&file, DENY_ALL).unwrap();
    admin_ok(d, &["policy", "create", "deny-all", "--file", file.to_str().unwrap()]);

    let got = admin_json(d, &["policy", "get", "deny-all", "--output", "json"]);
    assert_eq!(got["PolicyDocument"], DENY_ALL);
    assert_eq!(got["Principals"], serde_json::json!([]));
    assert_eq!(got["Description"], "");
    let text = admin_ok(d, &["policy", "get", "deny-all"]);
    assert!(text.contains("PolicyDocument") && text.contains(DENY_ALL), "{text}");

    let list = admin_json(d, &["policy", "list", "--output", "json"]);
    let rows = list["Policies"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["PolicyName"].as_str().unwrap()).collect();
    assert_eq!(names, ["KeyListers", "deny-all"], "by name");
    let keys: Vec<&str> = rows[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["CreateTime", "Description", "PolicyName", "UpdateTime"]);

    admin_ok(d, &["policy", "update", "KeyListers", "--document", DENY_ALL]);
    let got = admin_json(d, &["policy", "get", "KeyListers", "--output", "json"]);
    assert_eq!(got["PolicyDocument"], DENY_ALL);
    assert_eq!(got["Description"], "list keys", "kept");
    admin_ok(d, &["policy", "update", "KeyListers", "--file", file.to_str().unwrap()]);

    admin_ok(d, &["policy", "delete", "KeyListers"]);
    let err = admin_fails(d, &["policy", "get", "KeyListers"]);
    assert!(err.contains("policy KeyListers not found"), "{err}");
    let err = admin_fails(d, &["policy", "delete", "KeyListers"]);
    assert!(err.contains("not found"), "{err}");
    let err = admin_fails(d, &["policy", "update", "KeyListers", "--document", LIST_KEYS]);
    assert!(err.contains("policy KeyListers not found"), "{err}");
    let err = admin_fails(d, &["policy", "create", "x", "--file", d.join("missing.json").to_str().unwrap()]);
    assert!(err.contains("missing.json"), "{err}");
}

#[test]
fn bad_policy_documents_are_refused_with_the_parse_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = admin_fails(d, &["policy", "create", "p", "--document", "{not json"]);
    assert!(err.contains("Policy"), "{err}");
    // A resource-policy statement (Principal) in an identity policy: the place is named.
    let with_principal =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Principal":"*"}]}"#;
    let err = admin_fails(d, &["policy", "create", "p", "--document", with_principal]);
    assert!(err.contains("Statement[0].Principal"), "{err}");
    let bad_effect = r#"{"Version":"1","Statement":[{"Effect":"Perhaps","Action":"kms:*","Resource":"*"}]}"#;
    let err = admin_fails(d, &["policy", "create", "p", "--document", bad_effect]);
    assert!(err.contains("Statement[0].Effect"), "{err}");
    let list = admin_json(d, &["policy", "list", "--output", "json"]);
    assert_eq!(list["Policies"], serde_json::json!([]), "nothing stored");

    // An update with a bad document leaves the stored one alone.
    admin_ok(d, &["policy", "create", "p", "--document", LIST_KEYS]);
    let err = admin_fails(d, &["policy", "update", "p", "--document", bad_effect]);
    assert!(err.contains("Statement[0].Effect"), "{err}");
    assert_eq!(admin_json(d, &["policy", "get", "p", "--output", "json"])["PolicyDocument"], LIST_KEYS);

    // Exactly one of --document and --file.
    let (ok, _, err) = admin(d, &["policy", "create", "q"]);
    assert!(!ok && err.contains("--document"), "{err}");
    let (ok, _, err) = admin(d, &["policy", "create", "q", "--document", LIST_KEYS, "--file", "x.json"]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
}

#[test]
fn attach_detach_and_in_use_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    admin_ok(d, &["principal", "create", "alice"]);
    admin_ok(d, &["principal", "create", "bob"]);
    admin_ok(d, &["policy", "create", "listers", "--document", LIST_KEYS]);
    admin_ok(d, &["policy", "create", "deny", "--document", DENY_ALL]);

    let out = admin_ok(d, &["policy", "attach", "listers", "--principal", "alice"]);
    assert!(out.contains("attached"), "{out}");
    let out = admin_ok(d, &["policy", "attach", "listers", "--principal", "alice"]);
    assert!(out.contains("already attached"), "idempotent: {out}");
    admin_ok(d, &["policy", "attach", "deny", "--principal", "alice"]);
    admin_ok(d, &["policy", "attach", "listers", "--principal", "bob"]);

    let list = admin_json(d, &["principal", "list", "--output", "json"]);
    let alice = list["Principals"].as_array().unwrap().iter().find(|r| r["Principal"] == "alice").unwrap().clone();
    assert_eq!(alice["AttachedPolicies"], serde_json::json!(["deny", "listers"]));
    let got = admin_json(d, &["policy", "get", "listers", "--output", "json"]);
    assert_eq!(got["Principals"], serde_json::json!(["alice", "bob"]));

    // Unknown names, and admin (allowed everything) takes no policies.
    let err = admin_fails(d, &["policy", "attach", "listers", "--principal", "carol"]);
    assert!(err.contains("principal carol not found"), "{err}");
    let err = admin_fails(d, &["policy", "attach", "nothing", "--principal", "alice"]);
    assert!(err.contains("policy nothing not found"), "{err}");
    let err = admin_fails(d, &["policy", "attach", "listers", "--principal", "admin"]);
    assert!(err.contains("admin"), "{err}");
    let err = admin_fails(d, &["policy", "detach", "nothing", "--principal", "alice"]);
    assert!(err.contains("policy nothing not found"), "{err}");

    // A policy in use cannot be deleted; the message names the principals.
    let err = admin_fails(d, &["policy", "delete", "listers"]);
    assert!(err.contains("alice, bob") && err.contains("detach"), "{err}");
    let out = admin_ok(d, &["policy", "detach", "listers", "--principal", "alice"]);
    assert!(out.contains("detached"), "{out}");
    let out = admin_ok(d, &["policy", "detach", "listers", "--principal", "alice"]);
    assert!(out.contains("was not attached"), "{out}");
    let err = admin_fails(d, &["policy", "delete", "listers"]);
    assert!(err.contains("bob") && !err.contains("alice"), "{err}");

    // Deleting a principal takes its attachments along, so the policy becomes deletable.
    admin_ok(d, &["principal", "delete", "bob"]);
    admin_ok(d, &["policy", "delete", "listers"]);
    let got = admin_json(d, &["policy", "get", "deny", "--output", "json"]);
    assert_eq!(got["Principals"], serde_json::json!(["alice"]));
}

#[test]
fn access_keys_need_an_existing_principal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = admin_fails(d, &["access-key", "create", "--principal", "ghost", "--output", "json"]);
    assert!(err.contains("principal ghost not found"), "{err}");
    let list = admin_json(d, &["access-key", "list", "--output", "json"]);
    assert_eq!(list["AccessKeys"], serde_json::json!([]), "nothing created");

    admin_ok(d, &["principal", "create", "ghost"]);
    let ak = admin_json(d, &["access-key", "create", "--principal", "ghost", "--output", "json"]);
    assert_eq!(ak["Principal"], "ghost");
    let id = ak["AccessKeyId"].as_str().unwrap().to_string();
    // admin always exists.
    let ak = admin_json(d, &["access-key", "create", "--output", "json"]);
    assert_eq!(ak["Principal"], "admin");

    // A principal with AccessKeys cannot be deleted until they are.
    let err = admin_fails(d, &["principal", "delete", "ghost"]);
    assert!(err.contains("principal ghost still has AccessKeys; delete them first"), "{err}");
    admin_ok(d, &["access-key", "delete", &id]);
    admin_ok(d, &["principal", "delete", "ghost"]);
    let err = admin_fails(d, &["access-key", "create", "--principal", "ghost"]);
    assert!(err.contains("principal ghost not found"), "{err}");
}
