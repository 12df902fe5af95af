//! Data-driven tests of policy evaluation (policy × request × expected decision), parser errors,
//! and randomized junk that must never panic.

use super::*;

const KEY: &str = "acs:kms:cn-hangzhou:123:key/key-abc";
const OTHER_KEY: &str = "acs:kms:cn-hangzhou:123:key/key-xyz";
const ALIAS: &str = "acs:kms:cn-hangzhou:123:alias/app-orders";
const SECRET: &str = "acs:kms:cn-hangzhou:123:secret/db/prod";
const USER: &str = "acs:ram::123:user/app";
/// 2023-11-14T22:13:20Z
const NOW_MS: i64 = 1_700_000_000_000;

fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"1","Statement":[{statements}]}}"#)
}

fn allow(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"Allow","Action":{action},"Resource":{resource}}}"#)
}

fn allow_if(action: &str, resource: &str, condition: &str) -> String {
    format!(r#"{{"Effect":"Allow","Action":{action},"Resource":{resource},"Condition":{condition}}}"#)
}

fn deny(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"Deny","Action":{action},"Resource":{resource}}}"#)
}

/// The default context: source 10.1.2.3, now, TLS, tag Env=prod, encryption context tenant=acme.
fn context() -> Context {
    let mut c = Context::new();
    c.set_source_ip("10.1.2.3".parse().unwrap())
        .set_current_time_ms(NOW_MS)
        .set_secure_transport(true)
        .set_tag("Env", "prod")
        .set_encryption_context("tenant", "acme");
    c
}

struct Case {
    name: &'static str,
    policy: String,
    action: &'static str,
    resources: &'static [&'static str],
    context: Context,
    want: Decision,
}

fn case(
    name: &'static str,
    policy: String,
    action: &'static str,
    resources: &'static [&'static str],
    want: Decision,
) -> Case {
    Case { name, policy, action, resources, context: context(), want }
}

fn with_context(mut c: Case, edit: impl FnOnce(&mut Context)) -> Case {
    edit(&mut c.context);
    c
}

fn cond(op: &str, key: &str, values: &str) -> String {
    format!(r#"{{"{op}":{{"{key}":{values}}}}}"#)
}

fn conditional(name: &'static str, op: &str, key: &str, values: &str, want: Decision) -> Case {
    case(name, doc(&allow_if(r#""kms:Encrypt""#, r#""*""#, &cond(op, key, values))), "kms:Encrypt", &[KEY], want)
}

use Decision::{Allow, ExplicitDeny, ImplicitDeny};

fn cases() -> Vec<Case> {
    let enc = r#""kms:Encrypt""#;
    let key = format!("{KEY:?}");
    vec![
        // Basics and default deny.
        case("exact allow", doc(&allow(enc, &key)), "kms:Encrypt", &[KEY], Allow),
        case("other action", doc(&allow(enc, &key)), "kms:Decrypt", &[KEY], ImplicitDeny),
        case("other key", doc(&allow(enc, &key)), "kms:Encrypt", &[OTHER_KEY], ImplicitDeny),
        case("empty statement list", doc(""), "kms:Encrypt", &[KEY], ImplicitDeny),
        case("no resources in the request", doc(&allow(enc, r#""*""#)), "kms:Encrypt", &[], ImplicitDeny),
        case("action list", doc(&allow(r#"["kms:Decrypt","kms:Encrypt"]"#, &key)), "kms:Encrypt", &[KEY], Allow),
        case("resource list", doc(&allow(enc, &format!("[{OTHER_KEY:?},{KEY:?}]"))), "kms:Encrypt", &[KEY], Allow),
        // Deny over Allow.
        case(
            "deny wins",
            doc(&format!("{},{}", allow(r#""kms:*""#, r#""*""#), deny(enc, &key))),
            "kms:Encrypt",
            &[KEY],
            ExplicitDeny,
        ),
        case(
            "deny first, still wins",
            doc(&format!("{},{}", deny(enc, &key), allow(r#""*""#, r#""*""#))),
            "kms:Encrypt",
            &[KEY],
            ExplicitDeny,
        ),
        case(
            "deny elsewhere",
            doc(&format!("{},{}", allow(r#""kms:*""#, r#""*""#), deny(enc, &key))),
            "kms:Decrypt",
            &[KEY],
            Allow,
        ),
        case("deny alone", doc(&deny(enc, &key)), "kms:Encrypt", &[KEY], ExplicitDeny),
        // Action wildcards, case-insensitive.
        case("kms:*", doc(&allow(r#""kms:*""#, r#""*""#)), "kms:ScheduleKeyDeletion", &[KEY], Allow),
        case("*", doc(&allow(r#""*""#, r#""*""#)), "kms:Encrypt", &[KEY], Allow),
        case("kms:Get*", doc(&allow(r#""kms:Get*""#, r#""*""#)), "kms:GetSecretValue", &[SECRET], Allow),
        case("kms:Get* not List", doc(&allow(r#""kms:Get*""#, r#""*""#)), "kms:ListKeys", &[KEY], ImplicitDeny),
        case("action case", doc(&allow(r#""KMS:encrypt""#, r#""*""#)), "kms:Encrypt", &[KEY], Allow),
        case("action ?", doc(&allow(r#""kms:?ecrypt""#, r#""*""#)), "kms:Decrypt", &[KEY], Allow),
        case("other service", doc(&allow(r#""ecs:*""#, r#""*""#)), "kms:Encrypt", &[KEY], ImplicitDeny),
        case(
            "ReEncryptFrom vs ReEncrypt*",
            doc(&allow(r#""kms:ReEncrypt*""#, r#""*""#)),
            "kms:ReEncryptTo",
            &[KEY],
            Allow,
        ),
        // Resource wildcards, case-sensitive.
        case("alias prefix", doc(&allow(enc, r#""acs:kms:*:*:alias/app-*""#)), "kms:Encrypt", &[ALIAS], Allow),
        case(
            "alias prefix, other alias",
            doc(&allow(enc, r#""acs:kms:*:*:alias/db-*""#)),
            "kms:Encrypt",
            &[ALIAS],
            ImplicitDeny,
        ),
        case("resource case", doc(&allow(enc, r#""acs:kms:*:*:KEY/*""#)), "kms:Encrypt", &[KEY], ImplicitDeny),
        case(
            "secret path",
            doc(&allow(r#""kms:GetSecretValue""#, r#""acs:kms:*:*:secret/db/*""#)),
            "kms:GetSecretValue",
            &[SECRET],
            Allow,
        ),
        case("resource ?", doc(&allow(enc, r#""acs:kms:*:*:key/key-???""#)), "kms:Encrypt", &[KEY], Allow),
        // Several resources: any allows, any denies.
        case(
            "key ARN or alias ARN: alias granted",
            doc(&allow(enc, &format!("{ALIAS:?}"))),
            "kms:Encrypt",
            &[KEY, ALIAS],
            Allow,
        ),
        case("key ARN or alias ARN: key granted", doc(&allow(enc, &key)), "kms:Encrypt", &[KEY, ALIAS], Allow),
        case(
            "deny on the alias",
            doc(&format!("{},{}", allow(enc, &key), deny(enc, &format!("{ALIAS:?}")))),
            "kms:Encrypt",
            &[KEY, ALIAS],
            ExplicitDeny,
        ),
        // NotAction / NotResource.
        case(
            "NotAction",
            doc(r#"{"Effect":"Allow","NotAction":"kms:Delete*","Resource":"*"}"#),
            "kms:Encrypt",
            &[KEY],
            Allow,
        ),
        case(
            "NotAction excluded",
            doc(r#"{"Effect":"Allow","NotAction":"kms:Delete*","Resource":"*"}"#),
            "kms:DeleteSecret",
            &[SECRET],
            ImplicitDeny,
        ),
        case(
            "NotResource deny",
            doc(&format!(r#"{},{{"Effect":"Deny","Action":"*","NotResource":{key}}}"#, allow(r#""*""#, r#""*""#))),
            "kms:Encrypt",
            &[OTHER_KEY],
            ExplicitDeny,
        ),
        case(
            "NotResource deny, listed key",
            doc(&format!(r#"{},{{"Effect":"Deny","Action":"*","NotResource":{key}}}"#, allow(r#""*""#, r#""*""#))),
            "kms:Encrypt",
            &[KEY],
            Allow,
        ),
        // Conditions, each operator.
        conditional("StringEquals tag", "StringEquals", "kms:tag/Env", r#""prod""#, Allow),
        conditional("StringEquals tag, other value", "StringEquals", "kms:tag/Env", r#""dev""#, ImplicitDeny),
        conditional("StringEquals is case-sensitive", "StringEquals", "kms:tag/Env", r#""PROD""#, ImplicitDeny),
        conditional("StringEquals values ORed", "StringEquals", "kms:tag/Env", r#"["dev","prod"]"#, Allow),
        conditional("tag key is exact", "StringEquals", "kms:tag/env", r#""prod""#, ImplicitDeny),
        conditional("key prefix is case-insensitive", "StringEquals", "KMS:TAG/Env", r#""prod""#, Allow),
        conditional("StringEquals missing key", "StringEquals", "kms:tag/Team", r#""a""#, ImplicitDeny),
        conditional("StringNotEquals", "StringNotEquals", "kms:tag/Env", r#""dev""#, Allow),
        conditional("StringNotEquals equal", "StringNotEquals", "kms:tag/Env", r#"["dev","prod"]"#, ImplicitDeny),
        conditional("StringNotEquals missing key", "StringNotEquals", "kms:tag/Team", r#""a""#, Allow),
        conditional("StringEqualsIgnoreCase", "StringEqualsIgnoreCase", "kms:tag/Env", r#""PrOd""#, Allow),
        conditional("StringNotEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "kms:tag/Env", r#""PROD""#, ImplicitDeny),
        conditional("StringLike encryption context", "StringLike", "kms:EncryptionContext/tenant", r#""ac*""#, Allow),
        conditional("StringLike ?", "StringLike", "kms:EncryptionContext/tenant", r#""ac?e""#, Allow),
        conditional(
            "StringLike case-sensitive",
            "StringLike",
            "kms:EncryptionContext/tenant",
            r#""AC*""#,
            ImplicitDeny,
        ),
        conditional("StringLike missing key", "StringLike", "kms:EncryptionContext/other", r#""*""#, ImplicitDeny),
        conditional("StringNotLike", "StringNotLike", "kms:EncryptionContext/tenant", r#""b*""#, Allow),
        conditional("StringNotLike matching", "StringNotLike", "kms:EncryptionContext/tenant", r#""a*""#, ImplicitDeny),
        conditional("IpAddress", "IpAddress", "acs:SourceIp", r#""10.0.0.0/8""#, Allow),
        conditional("IpAddress values ORed", "IpAddress", "acs:SourceIp", r#"["192.168.0.0/16","10.1.2.3"]"#, Allow),
        conditional("IpAddress outside", "IpAddress", "acs:SourceIp", r#""192.168.0.0/16""#, ImplicitDeny),
        conditional(
            "IpAddress IPv6 range, IPv4 source",
            "IpAddress",
            "acs:SourceIp",
            r#""2001:db8::/32""#,
            ImplicitDeny,
        ),
        conditional("NotIpAddress", "NotIpAddress", "acs:SourceIp", r#""192.168.0.0/16""#, Allow),
        conditional("NotIpAddress inside", "NotIpAddress", "acs:SourceIp", r#""10.0.0.0/8""#, ImplicitDeny),
        with_context(conditional("IpAddress IPv6", "IpAddress", "acs:SourceIp", r#""2001:db8::/32""#, Allow), |c| {
            c.set_source_ip("2001:db8::7".parse().unwrap());
        }),
        with_context(conditional("IpAddress v4-mapped", "IpAddress", "acs:SourceIp", r#""10.0.0.0/8""#, Allow), |c| {
            c.set_source_ip("::ffff:10.9.9.9".parse().unwrap());
        }),
        with_context(
            conditional("IpAddress junk source", "IpAddress", "acs:SourceIp", r#""0.0.0.0/0""#, ImplicitDeny),
            |c| {
                c.set("acs:SourceIp", "not-an-ip");
            },
        ),
        with_context(
            conditional("IpAddress missing", "IpAddress", "acs:SourceIp", r#""0.0.0.0/0""#, ImplicitDeny),
            |c| {
                *c = Context::new();
            },
        ),
        conditional("DateGreaterThan", "DateGreaterThan", "acs:CurrentTime", r#""2023-01-01T00:00:00Z""#, Allow),
        conditional(
            "DateGreaterThan future",
            "DateGreaterThan",
            "acs:CurrentTime",
            r#""2030-01-01T00:00:00Z""#,
            ImplicitDeny,
        ),
        conditional("DateGreaterThan epoch seconds", "DateGreaterThan", "acs:CurrentTime", "1699999999", Allow),
        conditional("DateGreaterThan equal instant", "DateGreaterThan", "acs:CurrentTime", "1700000000", ImplicitDeny),
        conditional(
            "DateGreaterThanEquals equal instant",
            "DateGreaterThanEquals",
            "acs:CurrentTime",
            r#""1700000000""#,
            Allow,
        ),
        conditional("DateLessThan", "DateLessThan", "acs:CurrentTime", r#""2023-11-15T06:13:21+08:00""#, Allow),
        conditional(
            "DateLessThan past",
            "DateLessThan",
            "acs:CurrentTime",
            r#""2023-11-15T06:13:20+08:00""#,
            ImplicitDeny,
        ),
        conditional("DateLessThanEquals", "DateLessThanEquals", "acs:CurrentTime", r#""2023-11-14T22:13:20Z""#, Allow),
        with_context(
            conditional(
                "DateLessThan missing",
                "DateLessThan",
                "acs:CurrentTime",
                r#""2030-01-01T00:00:00Z""#,
                ImplicitDeny,
            ),
            |c| {
                *c = Context::new();
            },
        ),
        conditional("Bool", "Bool", "acs:SecureTransport", "true", Allow),
        conditional("Bool as string", "Bool", "acs:SecureTransport", r#""TRUE""#, Allow),
        conditional("Bool false", "Bool", "acs:SecureTransport", "false", ImplicitDeny),
        with_context(conditional("Bool missing", "Bool", "acs:SecureTransport", "false", ImplicitDeny), |c| {
            *c = Context::new();
        }),
        // Keys and operators ANDed.
        case(
            "two operators, both hold",
            doc(&allow_if(
                enc,
                r#""*""#,
                r#"{"StringEquals":{"kms:tag/Env":"prod"},"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#,
            )),
            "kms:Encrypt",
            &[KEY],
            Allow,
        ),
        case(
            "two operators, one fails",
            doc(&allow_if(
                enc,
                r#""*""#,
                r#"{"StringEquals":{"kms:tag/Env":"prod"},"IpAddress":{"acs:SourceIp":"192.168.0.0/16"}}"#,
            )),
            "kms:Encrypt",
            &[KEY],
            ImplicitDeny,
        ),
        case(
            "two keys, one missing",
            doc(&allow_if(enc, r#""*""#, r#"{"StringEquals":{"kms:tag/Env":"prod","kms:EncryptionContext/x":"y"}}"#)),
            "kms:Encrypt",
            &[KEY],
            ImplicitDeny,
        ),
        // Conditional deny: the classic "deny outside the office network".
        case(
            "deny NotIpAddress, outside",
            doc(&format!(
                r#"{},{{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{{"NotIpAddress":{{"acs:SourceIp":"192.168.0.0/16"}}}}}}"#,
                allow(r#""kms:*""#, r#""*""#)
            )),
            "kms:Encrypt",
            &[KEY],
            ExplicitDeny,
        ),
        with_context(
            case(
                "deny NotIpAddress, inside",
                doc(&format!(
                    r#"{},{{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{{"NotIpAddress":{{"acs:SourceIp":"192.168.0.0/16"}}}}}}"#,
                    allow(r#""kms:*""#, r#""*""#)
                )),
                "kms:Encrypt",
                &[KEY],
                Allow,
            ),
            |c| {
                c.set_source_ip("192.168.3.4".parse().unwrap());
            },
        ),
    ]
}

#[test]
fn decision_table() {
    let cases = cases();
    assert!(cases.len() > 70);
    for c in cases {
        let policy = Policy::parse(&c.policy, PolicyKind::Identity).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let request = Request { action: c.action, resources: c.resources, principal: Some(USER), context: &c.context };
        assert_eq!(policy.evaluate(&request), c.want, "{}: {}", c.name, c.policy);
    }
}

fn parse_identity(s: &str) -> Policy {
    Policy::parse(s, PolicyKind::Identity).unwrap()
}

fn parse_resource(s: &str) -> Policy {
    Policy::parse(s, PolicyKind::Resource).unwrap()
}

#[test]
fn several_documents() {
    let ctx = context();
    let req = |action| Request { action, resources: &[KEY], principal: Some(USER), context: &ctx };
    let allow_enc = parse_identity(&doc(&allow(r#""kms:Encrypt""#, r#""*""#)));
    let allow_dec = parse_identity(&doc(&allow(r#""kms:Decrypt""#, r#""*""#)));
    let deny_all = parse_identity(&doc(&deny(r#""kms:*""#, r#""*""#)));
    let nothing = parse_identity(&doc(""));
    assert_eq!(evaluate_all([&allow_enc, &allow_dec], &req("kms:Encrypt")), Allow);
    assert_eq!(evaluate_all([&allow_enc, &allow_dec], &req("kms:Decrypt")), Allow);
    assert_eq!(evaluate_all([&allow_enc, &allow_dec], &req("kms:Sign")), ImplicitDeny);
    assert_eq!(evaluate_all([&allow_enc, &deny_all], &req("kms:Encrypt")), ExplicitDeny);
    assert_eq!(evaluate_all([&deny_all, &allow_enc], &req("kms:Encrypt")), ExplicitDeny);
    assert_eq!(evaluate_all([&nothing], &req("kms:Encrypt")), ImplicitDeny);
    assert_eq!(evaluate_all([], &req("kms:Encrypt")), ImplicitDeny);
    assert!(Allow.is_allowed() && !ImplicitDeny.is_allowed() && !ExplicitDeny.is_allowed());
}

#[test]
fn principal_or_resource_policy() {
    let ctx = context();
    let req = |action, principal| Request { action, resources: &[KEY], principal, context: &ctx };
    let user_encrypt = parse_identity(&doc(&allow(r#""kms:Encrypt""#, r#""*""#)));
    let key_policy = |effect: &str, principal: &str, action: &str| {
        parse_resource(&doc(&format!(
            r#"{{"Sid":"s","Effect":"{effect}","Principal":{principal},"Action":"{action}","Resource":"*"}}"#
        )))
    };
    let grants_app_decrypt = key_policy("Allow", r#"{"RAM":["acs:ram::123:user/app"]}"#, "kms:Decrypt");
    let denies_app_encrypt = key_policy("Deny", r#"{"RAM":"acs:ram::123:user/app"}"#, "kms:Encrypt");
    let denies_other_encrypt = key_policy("Deny", r#"{"RAM":["acs:ram::123:user/other"]}"#, "kms:Encrypt");
    let account_wide = key_policy("Allow", r#"{"RAM":["acs:ram::123:*"]}"#, "kms:*");
    let anyone = key_policy("Allow", r#""*""#, "kms:Sign");

    // Principal policy alone, or with no resource policy.
    assert_eq!(authorize([&user_encrypt], None, &req("kms:Encrypt", Some(USER))), Allow);
    assert_eq!(authorize([&user_encrypt], None, &req("kms:Decrypt", Some(USER))), ImplicitDeny);
    // Key-policy grant without a principal policy.
    assert_eq!(authorize([], Some(&grants_app_decrypt), &req("kms:Decrypt", Some(USER))), Allow);
    assert_eq!(
        authorize([], Some(&grants_app_decrypt), &req("kms:Decrypt", Some("acs:ram::123:user/bob"))),
        ImplicitDeny
    );
    assert_eq!(authorize([], Some(&grants_app_decrypt), &req("kms:Decrypt", None)), ImplicitDeny);
    // Either allows.
    assert_eq!(authorize([&user_encrypt], Some(&grants_app_decrypt), &req("kms:Encrypt", Some(USER))), Allow);
    assert_eq!(authorize([&user_encrypt], Some(&grants_app_decrypt), &req("kms:Decrypt", Some(USER))), Allow);
    // Neither may deny.
    assert_eq!(authorize([&user_encrypt], Some(&denies_app_encrypt), &req("kms:Encrypt", Some(USER))), ExplicitDeny);
    assert_eq!(authorize([&user_encrypt], Some(&denies_other_encrypt), &req("kms:Encrypt", Some(USER))), Allow);
    let user_deny = parse_identity(&doc(&deny(r#""kms:Decrypt""#, r#""*""#)));
    assert_eq!(authorize([&user_deny], Some(&grants_app_decrypt), &req("kms:Decrypt", Some(USER))), ExplicitDeny);
    // Account-wide and anonymous principals.
    // The account-wide principal is the account itself (root), as on Alibaba Cloud: it grants
    // the account's users nothing by itself.
    assert_eq!(authorize([], Some(&account_wide), &req("kms:Decrypt", Some(USER))), ImplicitDeny);
    assert_eq!(authorize([], Some(&account_wide), &req("kms:Decrypt", Some("acs:ram::123:root"))), Allow);
    assert_eq!(authorize([], Some(&account_wide), &req("kms:Decrypt", Some("acs:ram::999:root"))), ImplicitDeny);
    assert_eq!(authorize([], Some(&account_wide), &req("kms:Decrypt", Some("acs:ram::999:user/app"))), ImplicitDeny);
    assert_eq!(authorize([], Some(&anyone), &req("kms:Sign", None)), Allow);
    // Other principal patterns stay globs.
    let all_users = key_policy("Allow", r#"{"RAM":["acs:ram::123:user/*"]}"#, "kms:*");
    assert_eq!(authorize([], Some(&all_users), &req("kms:Decrypt", Some(USER))), Allow);
    assert_eq!(authorize([], Some(&all_users), &req("kms:Decrypt", Some("acs:ram::123:root"))), ImplicitDeny);
    // The secrets' and keys' default policies parse as resource policies and grant users nothing.
    for default in [crate::ops::secrets::default_policy("123"), crate::ops::key_policy::default_key_policy("123")] {
        let p = parse_resource(&default);
        assert_eq!(authorize([], Some(&p), &req("kms:GetSecretValue", Some(USER))), ImplicitDeny);
        assert_eq!(authorize([], Some(&p), &req("kms:GetSecretValue", Some("acs:ram::123:root"))), Allow);
    }
}

#[test]
fn condition_keys_are_listed() {
    let p = parse_identity(&doc(&format!(
        "{},{}",
        allow_if(r#""*""#, r#""*""#, r#"{"IpAddress":{"acs:SourceIp":"::/0"},"StringEquals":{"KMS:Tag/Env":"x"}}"#),
        allow(r#""*""#, r#""*""#)
    )));
    let mut keys: Vec<&str> = p.condition_keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["acs:sourceip", "kms:tag/Env"]);
    assert_eq!(parse_identity(&doc("")).condition_keys().count(), 0);
}

#[test]
fn context_keys_and_debug() {
    let mut c = Context::new();
    c.set_encryption_context("Tenant", "secret-ish value").set_tag("Env", "prod");
    assert_eq!(c.get("KMS:EncryptionContext/Tenant"), Some("secret-ish value"));
    assert_eq!(c.get("kms:EncryptionContext/tenant"), None);
    let shown = format!("{c:?}");
    assert!(shown.contains("kms:encryptioncontext/Tenant"), "{shown}");
    assert!(!shown.contains("secret-ish"), "{shown}");
    c.set_current_time_ms(NOW_MS);
    assert_eq!(c.get(CURRENT_TIME), Some("2023-11-14T22:13:20.000Z"));
}

#[test]
fn parser_errors() {
    let big = doc(&allow(&format!("{:?}", "kms:E".repeat(7000)), r#""*""#));
    let cases: Vec<(String, PolicyKind, &str)> = vec![
        (big, PolicyKind::Identity, "longer than 32768 bytes"),
        ("{".into(), PolicyKind::Identity, "not valid JSON"),
        ("[]".into(), PolicyKind::Identity, "must be a JSON object"),
        ("{} {}".into(), PolicyKind::Identity, "not valid JSON"),
        (format!("{}{}", "[".repeat(200), "]".repeat(200)), PolicyKind::Identity, "not valid JSON"),
        (
            doc(r#"{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}"#),
            PolicyKind::Identity,
            "duplicate field \"Effect\"",
        ),
        (r#"{"Version":"1","Version":"1","Statement":[]}"#.into(), PolicyKind::Identity, "duplicate field \"Version\""),
        (
            doc(&allow_if(
                r#""*""#,
                r#""*""#,
                r#"{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"IpAddress":{"acs:SourceIp":"0.0.0.0/0"}}"#,
            )),
            PolicyKind::Identity,
            "duplicate field \"IpAddress\"",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"StringEquals":{"k":"a","k":"b"}}"#)),
            PolicyKind::Identity,
            "duplicate field \"k\"",
        ),
        (r#"{"Statement":[]}"#.into(), PolicyKind::Identity, "missing Version"),
        (r#"{"Version":"2","Statement":[]}"#.into(), PolicyKind::Identity, "Version: must be the string \"1\""),
        (r#"{"Version":1,"Statement":[]}"#.into(), PolicyKind::Identity, "Version: must be"),
        (r#"{"Version":"1"}"#.into(), PolicyKind::Identity, "missing Statement"),
        (r#"{"Version":"1","Statement":{}}"#.into(), PolicyKind::Identity, "Statement: must be an array"),
        (r#"{"Version":"1","Statement":[],"Id":"x"}"#.into(), PolicyKind::Identity, "unknown field \"Id\""),
        (r#"{"Version":"1","Statement":[1]}"#.into(), PolicyKind::Identity, "Statement[0]: must be a JSON object"),
        (
            doc(r#"{"Effect":"Permit","Action":"*","Resource":"*"}"#),
            PolicyKind::Identity,
            "Statement[0].Effect: unknown effect \"Permit\"",
        ),
        (doc(r#"{"Effect":"allow","Action":"*","Resource":"*"}"#), PolicyKind::Identity, "unknown effect \"allow\""),
        (doc(r#"{"Effect":true,"Action":"*","Resource":"*"}"#), PolicyKind::Identity, "must be \"Allow\" or \"Deny\""),
        (doc(r#"{"Action":"*","Resource":"*"}"#), PolicyKind::Identity, "Statement[0]: missing Effect"),
        (doc(r#"{"Effect":"Allow","Resource":"*"}"#), PolicyKind::Identity, "missing Action"),
        (doc(r#"{"Effect":"Allow","Action":"*"}"#), PolicyKind::Identity, "missing Resource"),
        (doc(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), PolicyKind::Identity, "Action: must be a non-empty"),
        (doc(r#"{"Effect":"Allow","Action":"","Resource":"*"}"#), PolicyKind::Identity, "Action: must be a non-empty"),
        (
            doc(r#"{"Effect":"Allow","Action":["kms:A",3],"Resource":"*"}"#),
            PolicyKind::Identity,
            "Action: must be a non-empty",
        ),
        (
            doc(r#"{"Effect":"Allow","Action":"Encrypt","Resource":"*"}"#),
            PolicyKind::Identity,
            "\"Encrypt\" is not an action",
        ),
        (
            doc(r#"{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}"#),
            PolicyKind::Identity,
            "both Action and NotAction",
        ),
        (
            doc(r#"{"Effect":"Allow","Action":"*","Resource":"key/1"}"#),
            PolicyKind::Identity,
            "\"key/1\" is not a resource",
        ),
        (
            doc(r#"{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}"#),
            PolicyKind::Identity,
            "both Resource and NotResource",
        ),
        (
            doc(r#"{"Effect":"Allow","Action":"*","Resource":"*","Sid":5}"#),
            PolicyKind::Identity,
            "Sid: must be a string",
        ),
        (
            doc(r#"{"Effect":"Allow","Action":"*","Resource":"*","Extra":5}"#),
            PolicyKind::Identity,
            "unknown field \"Extra\"",
        ),
        (
            doc(r#"{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}"#),
            PolicyKind::Identity,
            "has no Principal",
        ),
        (doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#), PolicyKind::Resource, "missing Principal"),
        (
            doc(r#"{"Effect":"Allow","Action":"*","Resource":"*","Principal":{"AWS":"*"}}"#),
            PolicyKind::Resource,
            "unknown field \"AWS\"",
        ),
        (
            doc(r#"{"Effect":"Allow","Action":"*","Resource":"*","Principal":"me"}"#),
            PolicyKind::Resource,
            "Principal: must be",
        ),
        (
            doc(r#"{"Effect":"Allow","Action":"*","Resource":"*","Principal":{}}"#),
            PolicyKind::Resource,
            "Principal: must be",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"NumericEquals":{"a":"1"}}"#)),
            PolicyKind::Identity,
            "Statement[0].Condition: unknown condition operator \"NumericEquals\"",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"StringEqualsIfExists":{"a":"1"}}"#)),
            PolicyKind::Identity,
            "unknown condition operator",
        ),
        (doc(&allow_if(r#""*""#, r#""*""#, r#"[]"#)), PolicyKind::Identity, "Condition: must be a JSON object"),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"StringEquals":"a"}"#)),
            PolicyKind::Identity,
            "Condition.StringEquals: must be a JSON object",
        ),
        (doc(&allow_if(r#""*""#, r#""*""#, r#"{"StringEquals":{}}"#)), PolicyKind::Identity, "has no condition key"),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"StringEquals":{"":"a"}}"#)),
            PolicyKind::Identity,
            "empty condition key",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"StringEquals":{"k":[]}}"#)),
            PolicyKind::Identity,
            "Condition.StringEquals.k: must be a string, number or boolean",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"StringEquals":{"k":null}}"#)),
            PolicyKind::Identity,
            "must be a string, number or boolean",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"StringEquals":{"k":{"a":"b"}}}"#)),
            PolicyKind::Identity,
            "must be a string, number or boolean",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"StringEquals":{"k":[["a"]]}}"#)),
            PolicyKind::Identity,
            "must be a string, number or boolean",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"IpAddress":{"acs:SourceIp":"10.0.0.0/33"}}"#)),
            PolicyKind::Identity,
            "IpAddress.acs:SourceIp: \"10.0.0.0/33\" is not an IP address or CIDR",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"NotIpAddress":{"acs:SourceIp":["10.0.0.0/8","fe80::/200"]}}"#)),
            PolicyKind::Identity,
            "\"fe80::/200\" is not an IP",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}"#)),
            PolicyKind::Identity,
            "\"tomorrow\" is not an ISO 8601",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"DateLessThan":{"acs:CurrentTime":1.5}}"#)),
            PolicyKind::Identity,
            "\"1.5\" is not an ISO 8601",
        ),
        (
            doc(&allow_if(r#""*""#, r#""*""#, r#"{"Bool":{"acs:SecureTransport":"yes"}}"#)),
            PolicyKind::Identity,
            "\"yes\" is not true or false",
        ),
    ];
    for (document, kind, want) in cases {
        let err = Policy::parse(&document, kind).expect_err(&document).to_string();
        assert!(err.contains(want), "{document}\n  got: {err}\n  want: {want}");
    }
    // Long values are cut in messages.
    let long = doc(&format!(r#"{{"Effect":"{}","Action":"*","Resource":"*"}}"#, "x".repeat(500)));
    let err = Policy::parse(&long, PolicyKind::Identity).unwrap_err().to_string();
    assert!(err.len() < 200 && err.contains('…'), "{err}");
    // The core error: InvalidParameter naming Policy.
    let core: Error = PolicyError::TooLarge.into();
    assert!(matches!(core, Error::InvalidParameter { name: "Policy", .. }));
    // Exactly at the limit is fine.
    let statement = allow(r#""kms:Encrypt""#, r#""*""#);
    let mut padded = doc(&statement);
    padded.push_str(&" ".repeat(MAX_POLICY_BYTES - padded.len()));
    assert!(Policy::parse(&padded, PolicyKind::Identity).is_ok());
    padded.push(' ');
    assert_eq!(Policy::parse(&padded, PolicyKind::Identity).unwrap_err(), PolicyError::TooLarge);
}

/// xorshift64: deterministic junk without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn junk_never_panics() {
    let seeds = [
        doc(&format!(
            "{},{},{}",
            allow_if(
                r#"["kms:*","kms:Get?"]"#,
                r#"["acs:kms:*:*:key/*","*"]"#,
                r#"{"StringLike":{"kms:tag/Env":["p*"]},"IpAddress":{"acs:SourceIp":["10.0.0.0/8","::1"]},"DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00+08:00"},"Bool":{"acs:SecureTransport":true}}"#
            ),
            deny(r#""kms:Delete*""#, r#""*""#),
            r#"{"Effect":"Allow","NotAction":"x:y","NotResource":"acs:*"}"#
        )),
        doc(
            r#"{"Sid":"a","Effect":"Deny","NotAction":"x:y","NotResource":"acs:*","Principal":{"RAM":["acs:ram::1:*"]},"Condition":{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext/t":["A",1,false]}}}"#,
        ),
        crate::ops::secrets::default_policy("123"),
    ];
    let tokens: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"Effect\"",
        "\"Allow\"",
        "\"Deny\"",
        "\"Action\"",
        "\"Resource\"",
        "\"Condition\"",
        "\"*\"",
        "\"?\"",
        "null",
        "true",
        "1e999",
        "-0",
        "\"10.0.0.0/8\"",
        "\"::/0\"",
        "\"2024-02-30T00:00:00Z\"",
        "\"\\u0000\"",
        "é",
        "\u{1F600}",
        "\\",
        "/",
        "IpAddress",
        "StringLike",
    ];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let ctx = context();
    let mut parsed = 0;
    for round in 0..20_000 {
        let text: String = if round % 4 == 0 {
            // Raw junk bytes.
            let bytes: Vec<u8> = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            // A valid document, mutated.
            let mut s: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
            for _ in 0..=rng.below(4) {
                let at = rng.below(s.len() + 1);
                match rng.below(4) {
                    0 if at < s.len() => {
                        s.remove(at);
                    }
                    1 => s.truncate(at),
                    2 => {
                        let t = tokens[rng.below(tokens.len())];
                        for (i, c) in t.chars().enumerate() {
                            s.insert((at + i).min(s.len()), c);
                        }
                    }
                    _ if at < s.len() => s[at] = char::from(rng.next() as u8 & 0x7F),
                    _ => {}
                }
            }
            s.into_iter().collect()
        };
        for kind in [PolicyKind::Identity, PolicyKind::Resource] {
            if let Ok(policy) = Policy::parse(&text, kind) {
                parsed += 1;
                let junk_action: String = (0..rng.below(12)).map(|_| char::from(rng.next() as u8 & 0x7F)).collect();
                for action in ["kms:Encrypt", "kms:DeleteKey", junk_action.as_str()] {
                    let request = Request { action, resources: &[KEY, ALIAS], principal: Some(USER), context: &ctx };
                    let _ = policy.evaluate(&request);
                    let _ = authorize([&policy], Some(&policy), &request);
                }
            }
        }
    }
    assert!(parsed > 100, "the mutations should leave some documents valid ({parsed})");
    // Junk in the context never panics either.
    let policy = parse_identity(&seeds[0]);
    for _ in 0..2_000 {
        let junk: String = (0..rng.below(40)).map(|_| char::from(rng.next() as u8)).collect();
        let mut c = Context::new();
        c.set(SOURCE_IP, junk.clone())
            .set(CURRENT_TIME, junk.clone())
            .set(SECURE_TRANSPORT, junk.clone())
            .set_tag("Env", junk);
        let request = Request { action: "kms:Encrypt", resources: &[KEY], principal: None, context: &c };
        let _ = policy.evaluate(&request);
    }
}
