//! Fuzz target: the RAM policy parser must never panic on any input (documents reach it from
//! SetKeyPolicy, SetSecretPolicy, CreateKey/CreateSecret `Policy` and `keyward admin policy`),
//! and a document it accepts must evaluate any request without panicking, whatever its globs,
//! condition values and principals.
#![no_main]

use keyward_core::policy::{Context, Policy, PolicyKind, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = std::str::from_utf8(data) else { return };
    let mut context = Context::new();
    context
        .set_source_ip("10.1.2.3".parse().unwrap())
        .set_current_time_ms(1_700_000_000_000)
        .set_secure_transport(true)
        .set_tag("env", "prod")
        .set_encryption_context("tenant", "t1");
    for kind in [PolicyKind::Identity, PolicyKind::Resource] {
        if let Ok(policy) = Policy::parse(doc, kind) {
            for (action, principal) in [("kms:Encrypt", Some("acs:ram::1:user/app")), ("kms:GetSecretValue", None)] {
                let resources = ["acs:kms:cn-hangzhou:1:key/key-1", "acs:kms:cn-hangzhou:1:alias/app-x"];
                let request = Request { action, resources: &resources, principal, context: &context };
                let _ = policy.evaluate(&request);
            }
            let _ = policy.condition_keys().count();
        }
    }
});
