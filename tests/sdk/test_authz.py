"""Authorization end to end through the official SDKs (issue 7), on SQLite and PostgreSQL.

Each test makes its own principal (`keyward admin principal create`), identity policies
(`keyward admin policy create|attach`), AccessKey (`keyward admin access-key create --principal`),
keys, aliases and secrets with unique names, then drives the server with the restricted
principal's AccessKey through the Tea SDK (`alibabacloud-kms20160120`), the classic SDK
(`aliyun-python-sdk-kms`), the secrets client (`alibabacloud-secretsmanager-client-v2`) and the
Huawei SDK (`huaweicloudsdkkms`). The admin (bootstrap) AccessKey is the account root: it sets
things up and proves results (it decrypts what the restricted principal encrypted).

The rule under test: every action is `kms:<Action>` on a resource ARN; a non-root principal is
allowed when its identity policies or the key/secret policy allow and neither denies; the
account-wide principal `acs:ram::<account>:*` of a default key or secret policy means the root
only. Denied: 403 `Forbidden.NoPermission` naming the action and resource (Huawei: 403
`KMS.0306`); the audit log records the denial with the principal."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from alibabacloud_kms20160120 import models as m
from aliyunsdkkms.request.v20160120 import DecryptRequest, EncryptRequest
from huaweicloudsdkkms.v2 import (
    CreateKeyRequest as HwCreateKeyRequest,
    CreateKeyRequestBody as HwCreateKeyRequestBody,
    DecryptDataRequest,
    DecryptDataRequestBody,
    EncryptDataRequest,
    EncryptDataRequestBody,
)
from Tea.exceptions import TeaException

import authz_support as az
import crypto_support as cs
import huawei_support as h
from authz_support import (
    ACCOUNT_KMS_ARN,
    ACCOUNT_PRINCIPAL,
    ALIASES_ARN,
    KEYS_ARN,
    SECRETS_ARN,
    allow,
    alias_arn,
    deny,
    document,
    expect_denied,
    new_principal,
    uid,
    until_allowed,
    until_denied,
    user_arn,
)
from kwhelpers import (
    REGION,
    assert_raw_error,
    build_acs3_request,
    core_call,
    expect_core_error,
    expect_tea_error,
    key_arn,
    secret_arn,
    send_raw,
    tea_client,
)

# ---------------------------------------------------------------------------
# small wrappers
# ---------------------------------------------------------------------------


def new_key(kms, **kw) -> str:
    return cs.create_key(kms, **kw)["KeyId"]


def encrypt(client, key_ref: str, text: str = "authz ✓", context: dict | None = None) -> dict:
    return cs.encrypt(client, key_ref, text, context)


def decrypt(client, blob: str, context: dict | None = None) -> dict:
    return cs.decrypt(client, blob, context)


def describe(client, key_ref: str) -> dict:
    return cs.describe(client, key_ref)


def create_alias(kms, key_id: str, prefix: str) -> str:
    name = f"alias/{prefix}{uid()}"
    kms.create_alias(m.CreateAliasRequest(alias_name=name, key_id=key_id))
    return name


def create_secret(kms, name: str, data: str = "s3cr3t ✓", **kw) -> str:
    kms.create_secret(m.CreateSecretRequest(secret_name=name, version_id="v1", secret_data=data, **kw))
    return name


def get_secret(client, name: str) -> str:
    return client.get_secret_value(m.GetSecretValueRequest(secret_name=name)).body.secret_data


def get_key_policy(client, key_id: str, policy_name: str | None = None) -> dict:
    return json.loads(client.get_key_policy(m.GetKeyPolicyRequest(key_id=key_id, policy_name=policy_name)).body.policy)


def set_key_policy(client, key_id: str, policy: str, policy_name: str | None = "default") -> None:
    client.set_key_policy(m.SetKeyPolicyRequest(key_id=key_id, policy=policy, policy_name=policy_name))


def list_keys_total(client) -> int:
    return client.list_keys(m.ListKeysRequest(page_size=100)).body.total_count


def assert_roundtrip(kms, blob: str, text: str, key_id: str, context: dict | None = None) -> None:
    """The root decrypts what the restricted principal made: proof it is a real ciphertext of `key_id`."""
    dec = decrypt(kms, blob, context)
    assert (dec["Plaintext"], dec["KeyId"]) == (text, key_id), dec


# ===========================================================================
# 1. A principal allowed only kms:Encrypt on one key
# ===========================================================================


def test_encrypt_only_on_one_key(backend, kms):
    a, b = new_key(kms), new_key(kms)
    p = new_principal(backend, allow("kms:Encrypt", key_arn(a)))
    c = p.tea()

    enc = encrypt(c, a, "only encrypt ✓")
    assert enc["KeyId"] == a, enc
    assert_roundtrip(kms, enc["CiphertextBlob"], "only encrypt ✓", a)

    expect_denied(lambda: decrypt(c, enc["CiphertextBlob"]), "kms:Decrypt", key_arn(a), p.arn)
    expect_denied(lambda: encrypt(c, b), "kms:Encrypt", key_arn(b), p.arn)
    expect_denied(lambda: encrypt(c, key_arn(b)), "kms:Encrypt", key_arn(b))
    expect_denied(lambda: describe(c, a), "kms:DescribeKey", key_arn(a))
    expect_denied(lambda: c.create_key(m.CreateKeyRequest()), "kms:CreateKey", KEYS_ARN)
    expect_denied(lambda: list_keys_total(c), "kms:ListKeys", KEYS_ARN)
    expect_denied(lambda: c.generate_data_key(m.GenerateDataKeyRequest(key_id=a)), "kms:GenerateDataKey", key_arn(a))
    expect_denied(lambda: c.disable_key(m.DisableKeyRequest(key_id=a)), "kms:DisableKey", key_arn(a))
    expect_denied(lambda: c.get_random_password(m.GetRandomPasswordRequest(password_length="16")),
                  "kms:GetRandomPassword", ACCOUNT_KMS_ARN)
    # Nothing the principal was refused changed anything: the key is still Enabled.
    assert describe(kms, a)["KeyState"] == "Enabled"
    # The key ARN is the same resource as the id.
    assert_roundtrip(kms, encrypt(c, key_arn(a), "by arn")["CiphertextBlob"], "by arn", a)


def test_encrypt_only_through_the_classic_sdk(backend, kms):
    a, b = new_key(kms), new_key(kms)
    p = new_principal(backend, allow("kms:Encrypt", key_arn(a)))
    client = p.core()

    req = EncryptRequest.EncryptRequest()
    req.set_KeyId(a)
    req.set_Plaintext("classic ✓")
    body = core_call(client, backend, req)
    assert body["KeyId"] == a, body
    assert_roundtrip(kms, body["CiphertextBlob"], "classic ✓", a)

    req = EncryptRequest.EncryptRequest()
    req.set_KeyId(b)
    req.set_Plaintext("nope")
    err = expect_core_error(lambda: core_call(client, backend, req), "Forbidden.NoPermission", 403)
    az.check_denial_message(err.get_error_msg(), "kms:Encrypt", key_arn(b), p.arn)

    req = DecryptRequest.DecryptRequest()
    req.set_CiphertextBlob(body["CiphertextBlob"])
    err = expect_core_error(lambda: core_call(client, backend, req, method="GET"), "Forbidden.NoPermission", 403)
    az.check_denial_message(err.get_error_msg(), "kms:Decrypt", key_arn(a))


def test_principal_without_policies_is_denied_everything(backend, kms):
    a = new_key(kms)
    p = new_principal(backend)
    c = p.tea()
    expect_denied(lambda: encrypt(c, a), "kms:Encrypt", key_arn(a), p.arn)
    expect_denied(lambda: describe(c, a), "kms:DescribeKey", key_arn(a))
    expect_denied(lambda: c.list_aliases(m.ListAliasesRequest()), "kms:ListAliases", ALIASES_ARN)
    expect_denied(lambda: c.list_secrets(m.ListSecretsRequest()), "kms:ListSecrets", SECRETS_ARN)
    name = f"authz-{uid()}"
    expect_denied(lambda: c.create_secret(m.CreateSecretRequest(secret_name=name, version_id="v1", secret_data="x")),
                  "kms:CreateSecret", secret_arn(name))
    expect_denied(lambda: c.get_random_password(m.GetRandomPasswordRequest()), "kms:GetRandomPassword",
                  ACCOUNT_KMS_ARN)
    # The root is unaffected.
    assert_roundtrip(kms, encrypt(kms, a, "root")["CiphertextBlob"], "root", a)


def test_list_and_account_actions_are_checked_on_the_collection(backend, kms):
    a = new_key(kms)
    create_alias(kms, a, "authz-list-")
    p = new_principal(
        backend,
        allow(["kms:ListKeys"], KEYS_ARN),
        allow(["kms:ListAliases"], ALIASES_ARN),
        allow(["kms:GetRandomPassword"], ACCOUNT_KMS_ARN),
    )
    c = p.tea()
    # Checked once on the collection, not filtered per item: the same answer the root gets.
    assert list_keys_total(c) == list_keys_total(kms)
    first = [k.key_id for k in c.list_keys(m.ListKeysRequest(page_size=100)).body.keys.key]
    assert first == [k.key_id for k in kms.list_keys(m.ListKeysRequest(page_size=100)).body.keys.key]
    mine = c.list_aliases(m.ListAliasesRequest(page_size=100)).body.total_count
    assert mine == kms.list_aliases(m.ListAliasesRequest(page_size=100)).body.total_count
    pw = c.get_random_password(m.GetRandomPasswordRequest(password_length="20")).body.random_password
    assert len(pw) == 20
    # DescribeRegions (not in the Tea SDK's models) through the independent ACS3 signer: an
    # account-level action, denied to a principal without the grant.
    data = assert_raw_error(send_raw(backend, build_acs3_request(
        backend, "DescribeRegions", access_key_id=p.access_key_id, access_key_secret=p.access_key_secret)),
        "Forbidden.NoPermission", 403)
    az.check_denial_message(data["Message"], "kms:DescribeRegions", ACCOUNT_KMS_ARN, p.arn)
    q = new_principal(backend, allow("kms:DescribeRegions", ACCOUNT_KMS_ARN))
    assert send_raw(backend, build_acs3_request(backend, "DescribeRegions", access_key_id=q.access_key_id,
                                                access_key_secret=q.access_key_secret)).status == 200
    r = new_principal(backend)
    data = assert_raw_error(send_raw(backend, build_acs3_request(
        backend, "DescribeRegions", access_key_id=r.access_key_id, access_key_secret=r.access_key_secret)),
        "Forbidden.NoPermission", 403)
    az.check_denial_message(data["Message"], "kms:DescribeRegions", ACCOUNT_KMS_ARN, r.arn)
    # ...and the items themselves are not granted.
    expect_denied(lambda: describe(c, a), "kms:DescribeKey", key_arn(a))
    expect_denied(lambda: c.list_secrets(m.ListSecretsRequest()), "kms:ListSecrets", SECRETS_ARN)
    s = new_principal(backend, allow("kms:ListSecrets", SECRETS_ARN))
    create_secret(kms, f"authz-list-{uid()}")
    mine = s.tea().list_secrets(m.ListSecretsRequest(page_size=100)).body.total_count
    assert mine == kms.list_secrets(m.ListSecretsRequest(page_size=100)).body.total_count
    assert mine >= 1


def test_create_secret_is_checked_on_the_secret_arn(backend, kms):
    prefix = f"authz-app-{uid()}"
    p = new_principal(backend, allow("kms:CreateSecret", f"acs:kms:*:*:secret/{prefix}/*"))
    c = p.tea()
    ok = f"{prefix}/db"
    c.create_secret(m.CreateSecretRequest(secret_name=ok, version_id="v1", secret_data="made by a user"))
    assert get_secret(kms, ok) == "made by a user"
    other = f"authz-other-{uid()}"
    expect_denied(lambda: c.create_secret(m.CreateSecretRequest(secret_name=other, version_id="v1", secret_data="x")),
                  "kms:CreateSecret", secret_arn(other))
    # Not created.
    expect_tea_error(lambda: kms.describe_secret(m.DescribeSecretRequest(secret_name=other)),
                     "Forbidden.ResourceNotFound", 404)


# ===========================================================================
# 2. Alias resources
# ===========================================================================


def test_grant_on_alias_pattern(backend, kms):
    k = new_key(kms)
    app = create_alias(kms, k, "app-")
    other = create_alias(kms, k, "authz-other-")
    p = new_principal(backend, allow("kms:Encrypt", "acs:kms:*:*:alias/app-*"))
    c = p.tea()

    enc = encrypt(c, app, "via alias")
    assert enc["KeyId"] == k, enc
    assert_roundtrip(kms, enc["CiphertextBlob"], "via alias", k)
    # The alias ARN names the same alias.
    assert_roundtrip(kms, encrypt(c, alias_arn(app), "via alias arn")["CiphertextBlob"], "via alias arn", k)

    # The same key by id, or through an alias outside the pattern: the grant does not apply.
    expect_denied(lambda: encrypt(c, k), "kms:Encrypt", key_arn(k), p.arn)
    expect_denied(lambda: encrypt(c, key_arn(k)), "kms:Encrypt", key_arn(k))
    expect_denied(lambda: encrypt(c, other), "kms:Encrypt", (key_arn(k), alias_arn(other)))
    # Only Encrypt was granted, even through the alias.
    expect_denied(lambda: describe(c, app), "kms:DescribeKey", (key_arn(k), alias_arn(app)))


def test_deny_on_alias_beats_allow_on_key(backend, kms):
    k = new_key(kms)
    app = create_alias(kms, k, "app-")
    p = new_principal(backend, allow("kms:Encrypt", key_arn(k)), deny("kms:Encrypt", alias_arn(app)))
    c = p.tea()
    assert_roundtrip(kms, encrypt(c, k, "by id")["CiphertextBlob"], "by id", k)
    expect_denied(lambda: encrypt(c, app), "kms:Encrypt", (key_arn(k), alias_arn(app)), p.arn)
    expect_denied(lambda: encrypt(c, alias_arn(app)), "kms:Encrypt", (key_arn(k), alias_arn(app)))


def test_deny_on_key_beats_allow_on_alias(backend, kms):
    k = new_key(kms)
    app = create_alias(kms, k, "app-")
    p = new_principal(backend, allow("kms:*", "acs:kms:*:*:alias/app-*"), deny("kms:Encrypt", key_arn(k)))
    c = p.tea()
    expect_denied(lambda: encrypt(c, app), "kms:Encrypt", (key_arn(k), alias_arn(app)))
    assert describe(c, app)["KeyId"] == k


# ===========================================================================
# 3. Key policies
# ===========================================================================


def assert_default_key_policy(doc: dict) -> None:
    """Alibaba's default key policy: the whole account (delegating to RAM), every kms action."""
    assert set(doc) == {"Version", "Statement"}, doc
    assert doc["Version"] == "1", doc
    assert len(doc["Statement"]) == 1, doc
    st = doc["Statement"][0]
    assert set(st) <= {"Sid", "Effect", "Principal", "Action", "Resource"}, st
    assert st["Effect"] == "Allow", st
    assert st["Principal"] == {"RAM": [ACCOUNT_PRINCIPAL]}, st
    assert st["Action"] == ["kms:*"], st
    assert st["Resource"] == ["*"], st


def test_key_policy_grant_without_principal_policy(backend, kms):
    k, other = new_key(kms), new_key(kms)
    p = new_principal(backend)
    c = p.tea()

    # A new key has Alibaba's default policy, which grants the account root only, not its users.
    default = get_key_policy(kms, k)
    assert_default_key_policy(default)
    assert get_key_policy(kms, k, "default") == default
    expect_denied(lambda: encrypt(c, k), "kms:Encrypt", key_arn(k), p.arn)

    policy = {"Version": "1", "Statement": [
        default["Statement"][0],
        {"Sid": "app", "Effect": "Allow", "Principal": {"RAM": [p.arn]},
         "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": ["*"]},
    ]}
    set_key_policy(kms, k, json.dumps(policy))
    assert get_key_policy(kms, k) == policy
    assert get_key_policy(kms, k, "default") == policy

    # Through the API: effective at once.
    enc = encrypt(c, k, "key policy ✓")
    assert decrypt(c, enc["CiphertextBlob"])["Plaintext"] == "key policy ✓"
    assert_roundtrip(kms, enc["CiphertextBlob"], "key policy ✓", k)
    # That key only, those actions only.
    expect_denied(lambda: encrypt(c, other), "kms:Encrypt", key_arn(other))
    expect_denied(lambda: describe(c, k), "kms:DescribeKey", key_arn(k))
    expect_denied(lambda: c.get_key_policy(m.GetKeyPolicyRequest(key_id=k)), "kms:GetKeyPolicy", key_arn(k))
    expect_denied(lambda: set_key_policy(c, k, json.dumps(policy)), "kms:SetKeyPolicy", key_arn(k))

    # Another user named in a key policy is not this user.
    q = new_principal(backend)
    expect_denied(lambda: encrypt(q.tea(), k), "kms:Encrypt", key_arn(k), q.arn)

    # The root keeps everything whatever the policy says (here: a policy naming only the user).
    only_user = {"Version": "1", "Statement": [policy["Statement"][1]]}
    set_key_policy(kms, k, json.dumps(only_user))
    assert_roundtrip(kms, encrypt(kms, k, "root")["CiphertextBlob"], "root", k)
    assert_roundtrip(kms, encrypt(c, k, "user")["CiphertextBlob"], "user", k)

    # Back to the default: the user loses the key at once.
    set_key_policy(kms, k, json.dumps(default))
    expect_denied(lambda: encrypt(c, k), "kms:Encrypt", key_arn(k))


def test_key_policy_given_at_create_key(backend, kms):
    p = new_principal(backend)
    policy = {"Version": "1", "Statement": [{"Effect": "Allow", "Principal": {"RAM": [p.arn]},
                                             "Action": ["kms:Encrypt"], "Resource": ["*"]}]}
    k = cs.create_key(kms, policy=json.dumps(policy))["KeyId"]
    assert get_key_policy(kms, k) == policy
    assert_roundtrip(kms, encrypt(p.tea(), k, "at create")["CiphertextBlob"], "at create", k)
    expect_tea_error(lambda: cs.create_key(kms, policy="{"), "InvalidParameter", 400)


def test_key_policy_rejects_bad_documents(backend, kms):
    k = new_key(kms)
    p = new_principal(backend)
    good = {"Version": "1", "Statement": [{"Effect": "Allow", "Principal": {"RAM": [p.arn]},
                                           "Action": ["kms:Encrypt"], "Resource": ["*"]}]}
    set_key_policy(kms, k, json.dumps(good))
    bad_docs = [
        "{",
        "not json",
        "[]",
        '{"Version":"1"}',
        # A key policy must say whom it is for.
        document(allow("kms:Encrypt", "*")),
        json.dumps({"Version": "1", "Statement": [{"Effect": "Maybe", "Principal": {"RAM": [p.arn]},
                                                   "Action": ["kms:Encrypt"], "Resource": ["*"]}]}),
        json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Principal": {"RAM": [p.arn]},
                                                   "Action": ["kms:Encrypt"], "Resource": ["*"],
                                                   "Condition": {"NoSuchOperator": {"acs:SourceIp": "1.2.3.4"}}}]}),
    ]
    for bad in bad_docs:
        err = expect_tea_error(lambda: set_key_policy(kms, k, bad), "InvalidParameter", 400)
        assert "Policy" in err.data["Message"] or "policy" in err.data["Message"], err.data
    expect_tea_error(lambda: set_key_policy(kms, k, json.dumps(good), policy_name="custom"), "InvalidParameter", 400)
    # Nothing changed.
    assert get_key_policy(kms, k) == good
    assert_roundtrip(kms, encrypt(p.tea(), k, "still")["CiphertextBlob"], "still", k)


# ===========================================================================
# 4. An explicit Deny wins
# ===========================================================================


def test_identity_deny_beats_identity_allow(backend, kms):
    k = new_key(kms)
    p = new_principal(backend, allow("kms:*", "*"))
    p.attach(deny("kms:Decrypt", "*"))  # a second document: Deny wins across documents
    c = p.tea()
    enc = encrypt(c, k, "deny wins")
    assert_roundtrip(kms, enc["CiphertextBlob"], "deny wins", k)
    expect_denied(lambda: decrypt(c, enc["CiphertextBlob"]), "kms:Decrypt", key_arn(k), p.arn)
    # Everything else kms:* grants still works.
    assert describe(c, k)["KeyId"] == k
    mine = new_key(c)
    assert describe(kms, mine)["KeyState"] == "Enabled"


def test_key_policy_deny_beats_identity_allow(backend, kms):
    k = new_key(kms)
    p = new_principal(backend, allow("kms:*", "*"))
    c = p.tea()
    blob = encrypt(c, k, "before")["CiphertextBlob"]
    assert decrypt(c, blob)["Plaintext"] == "before"
    policy = {"Version": "1", "Statement": [
        {"Effect": "Allow", "Principal": {"RAM": [ACCOUNT_PRINCIPAL]}, "Action": ["kms:*"], "Resource": ["*"]},
        {"Effect": "Deny", "Principal": {"RAM": [p.arn]}, "Action": ["kms:Decrypt"], "Resource": ["*"]},
    ]}
    set_key_policy(kms, k, json.dumps(policy))
    expect_denied(lambda: decrypt(c, blob), "kms:Decrypt", key_arn(k))
    assert_roundtrip(kms, encrypt(c, k, "after")["CiphertextBlob"], "after", k)


def test_identity_deny_beats_key_policy_allow(backend, kms):
    k = new_key(kms)
    p = new_principal(backend, deny("kms:Decrypt", key_arn(k)))
    policy = {"Version": "1", "Statement": [{"Effect": "Allow", "Principal": {"RAM": [p.arn]},
                                             "Action": ["kms:*"], "Resource": ["*"]}]}
    set_key_policy(kms, k, json.dumps(policy))
    c = p.tea()
    blob = encrypt(c, k, "x")["CiphertextBlob"]
    expect_denied(lambda: decrypt(c, blob), "kms:Decrypt", key_arn(k))


# ===========================================================================
# 5. Conditions
# ===========================================================================


def test_condition_on_encryption_context(backend, kms):
    k = new_key(kms)
    cond = {"StringEquals": {"kms:EncryptionContext/tenant": "t1"}}
    p = new_principal(backend, allow(["kms:Encrypt", "kms:GenerateDataKey"], key_arn(k), condition=cond))
    c = p.tea()

    enc = encrypt(c, k, "tenant one", {"tenant": "t1"})
    assert_roundtrip(kms, enc["CiphertextBlob"], "tenant one", k, {"tenant": "t1"})
    enc = encrypt(c, k, "with more", {"tenant": "t1", "app": "x"})
    assert_roundtrip(kms, enc["CiphertextBlob"], "with more", k, {"tenant": "t1", "app": "x"})
    expect_denied(lambda: encrypt(c, k, "x", {"tenant": "t2"}), "kms:Encrypt", key_arn(k))
    expect_denied(lambda: encrypt(c, k, "x", {"Tenant": "t1"}), "kms:Encrypt", key_arn(k))
    expect_denied(lambda: encrypt(c, k, "x"), "kms:Encrypt", key_arn(k))

    dk = c.generate_data_key(m.GenerateDataKeyRequest(key_id=k, encryption_context={"tenant": "t1"})).body
    dec = decrypt(kms, dk.ciphertext_blob, {"tenant": "t1"})
    assert dec["Plaintext"] == dk.plaintext and dec["KeyId"] == k
    expect_denied(lambda: c.generate_data_key(m.GenerateDataKeyRequest(key_id=k, encryption_context={"tenant": "t2"})),
                  "kms:GenerateDataKey", key_arn(k))
    expect_denied(lambda: c.generate_data_key(m.GenerateDataKeyRequest(key_id=k)), "kms:GenerateDataKey", key_arn(k))


def test_condition_on_encryption_context_like(backend, kms):
    k = new_key(kms)
    cond = {"StringLike": {"kms:EncryptionContext/tenant": "team-*"}}
    p = new_principal(backend, allow("kms:Encrypt", key_arn(k), condition=cond))
    c = p.tea()
    assert_roundtrip(kms, encrypt(c, k, "a", {"tenant": "team-a"})["CiphertextBlob"], "a", k, {"tenant": "team-a"})
    expect_denied(lambda: encrypt(c, k, "x", {"tenant": "other"}), "kms:Encrypt", key_arn(k))


def test_condition_on_key_tag(backend, kms):
    prod = new_key(kms, tags=json.dumps([{"TagKey": "env", "TagValue": "prod"}]))
    dev = new_key(kms, tags=json.dumps([{"TagKey": "env", "TagValue": "dev"}]))
    untagged = new_key(kms)
    p = new_principal(backend, allow("kms:Encrypt", "*", condition={"StringEquals": {"kms:tag/env": "prod"}}))
    c = p.tea()
    assert_roundtrip(kms, encrypt(c, prod, "prod")["CiphertextBlob"], "prod", prod)
    expect_denied(lambda: encrypt(c, dev), "kms:Encrypt", key_arn(dev))
    expect_denied(lambda: encrypt(c, untagged), "kms:Encrypt", key_arn(untagged))

    # Tags changed through the API count at once.
    kms.tag_resource(m.TagResourceRequest(key_id=untagged, tags=json.dumps([{"TagKey": "env", "TagValue": "prod"}])))
    assert_roundtrip(kms, encrypt(c, untagged, "now prod")["CiphertextBlob"], "now prod", untagged)
    kms.untag_resource(m.UntagResourceRequest(key_id=prod, tag_keys=json.dumps(["env"])))
    expect_denied(lambda: encrypt(c, prod), "kms:Encrypt", key_arn(prod))


def test_condition_on_source_ip(backend, kms):
    k = new_key(kms)
    outside = new_principal(backend, allow("kms:Encrypt", key_arn(k),
                                           condition={"NotIpAddress": {"acs:SourceIp": "127.0.0.0/8"}}))
    expect_denied(lambda: encrypt(outside.tea(), k), "kms:Encrypt", key_arn(k))

    inside = new_principal(backend, allow("kms:Encrypt", key_arn(k),
                                          condition={"IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}))
    assert_roundtrip(kms, encrypt(inside.tea(), k, "loopback")["CiphertextBlob"], "loopback", k)

    elsewhere = new_principal(backend, allow("kms:Encrypt", key_arn(k),
                                             condition={"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}))
    expect_denied(lambda: encrypt(elsewhere.tea(), k), "kms:Encrypt", key_arn(k))

    # A Deny for the loopback network beats a plain Allow.
    fenced = new_principal(backend, allow("kms:Encrypt", key_arn(k)),
                           deny("kms:*", "*", condition={"IpAddress": {"acs:SourceIp": "127.0.0.1/32"}}))
    expect_denied(lambda: encrypt(fenced.tea(), k), "kms:Encrypt", key_arn(k))


@pytest.mark.parametrize("operator,when,allowed", [
    ("DateLessThan", "2020-01-01T00:00:00Z", False),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", True),
    ("DateLessThan", "future", True),
    ("DateGreaterThan", "future", False),
])
def test_condition_on_current_time(backend, kms, operator, when, allowed):
    if when == "future":
        when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%SZ")
    k = new_key(kms)
    p = new_principal(backend, allow("kms:Encrypt", key_arn(k), condition={operator: {"acs:CurrentTime": when}}))
    c = p.tea()
    if allowed:
        assert_roundtrip(kms, encrypt(c, k, "in time")["CiphertextBlob"], "in time", k)
    else:
        expect_denied(lambda: encrypt(c, k), "kms:Encrypt", key_arn(k))


# ===========================================================================
# 6. ReEncrypt
# ===========================================================================


def test_re_encrypt_needs_both_sides(backend, kms):
    a, b = new_key(kms), new_key(kms)
    blob = encrypt(kms, a, "moving ✓")["CiphertextBlob"]

    def re_encrypt(client):
        return client.re_encrypt(m.ReEncryptRequest(ciphertext_blob=blob, destination_key_id=b)).body.to_map()

    src_only = new_principal(backend, allow("kms:ReEncryptFrom", key_arn(a)))
    expect_denied(lambda: re_encrypt(src_only.tea()), "kms:ReEncryptTo", key_arn(b), src_only.arn)

    dst_only = new_principal(backend, allow("kms:ReEncryptTo", key_arn(b)))
    expect_denied(lambda: re_encrypt(dst_only.tea()), "kms:ReEncryptFrom", key_arn(a), dst_only.arn)

    # Neither Encrypt nor Decrypt stands in for them.
    enc_dec = new_principal(backend, allow(["kms:Encrypt", "kms:Decrypt"], [key_arn(a), key_arn(b)]))
    with pytest.raises(TeaException) as info:
        re_encrypt(enc_dec.tea())
    assert (info.value.code, info.value.status_code) == ("Forbidden.NoPermission", 403)

    both = new_principal(backend, allow("kms:ReEncryptFrom", key_arn(a)), allow("kms:ReEncryptTo", key_arn(b)))
    body = re_encrypt(both.tea())
    assert body["KeyId"] == a, body  # ReEncrypt's KeyId names the source
    assert_roundtrip(kms, body["CiphertextBlob"], "moving ✓", b)
    # The pattern form kms:ReEncrypt* covers both.
    star = new_principal(backend, allow("kms:ReEncrypt*", "*"))
    assert_roundtrip(kms, re_encrypt(star.tea())["CiphertextBlob"], "moving ✓", b)


# ===========================================================================
# 7. Secrets
# ===========================================================================


def test_secret_identity_policy_on_name_pattern(backend, kms):
    base = f"authz-{uid()}"
    db = create_secret(kms, f"db/{base}", "db value")
    other = create_secret(kms, f"other-{base}", "other value")
    p = new_principal(backend, allow("kms:GetSecretValue", "acs:kms:*:*:secret/db/*"))
    c = p.tea()
    assert get_secret(c, db) == "db value"
    assert get_secret(c, secret_arn(db)) == "db value"
    expect_denied(lambda: get_secret(c, other), "kms:GetSecretValue", secret_arn(other), p.arn)
    expect_denied(lambda: c.describe_secret(m.DescribeSecretRequest(secret_name=db)), "kms:DescribeSecret",
                  secret_arn(db))
    expect_denied(lambda: c.put_secret_value(m.PutSecretValueRequest(secret_name=db, version_id="v2",
                                                                     secret_data="overwritten")),
                  "kms:PutSecretValue", secret_arn(db))
    assert get_secret(kms, db) == "db value"


def test_secret_policy_grant_without_identity_policy(backend, kms):
    name = create_secret(kms, f"authz-sp-{uid()}", "by secret policy")
    other = create_secret(kms, f"authz-sp-{uid()}", "not for you")
    p = new_principal(backend)
    c = p.tea()
    # The default secret policy grants the account root only.
    default = json.loads(kms.get_secret_policy(m.GetSecretPolicyRequest(secret_name=name)).body.policy)
    assert default["Statement"][0]["Principal"] == {"RAM": [ACCOUNT_PRINCIPAL]}, default
    expect_denied(lambda: get_secret(c, name), "kms:GetSecretValue", secret_arn(name), p.arn)

    policy = {"Version": "1", "Statement": [{"Effect": "Allow", "Principal": {"RAM": [p.arn]},
                                             "Action": ["kms:GetSecretValue"], "Resource": ["*"]}]}
    kms.set_secret_policy(m.SetSecretPolicyRequest(secret_name=name, policy=json.dumps(policy)))
    assert get_secret(c, name) == "by secret policy"
    expect_denied(lambda: get_secret(c, other), "kms:GetSecretValue", secret_arn(other))
    expect_denied(lambda: c.describe_secret(m.DescribeSecretRequest(secret_name=name)), "kms:DescribeSecret",
                  secret_arn(name))

    # An identity-style document (no Principal) is not a secret policy.
    err = expect_tea_error(lambda: kms.set_secret_policy(m.SetSecretPolicyRequest(
        secret_name=name, policy=document(allow("kms:GetSecretValue", "*")))), "InvalidParameter", 400)
    assert "Policy" in err.data["Message"] or "policy" in err.data["Message"], err.data
    assert get_secret(c, name) == "by secret policy"


def test_secret_with_encryption_key_also_needs_decrypt(backend, kms):
    k = new_key(kms)
    name = create_secret(kms, f"authz-ek-{uid()}", "wrapped by my key", encryption_key_id=k)
    plain = create_secret(kms, f"authz-ek-{uid()}", "service key")

    read_only = new_principal(backend, allow("kms:GetSecretValue", [secret_arn(name), secret_arn(plain)]))
    c = read_only.tea()
    expect_denied(lambda: get_secret(c, name), "kms:Decrypt", key_arn(k), read_only.arn)
    # Without an explicit EncryptionKeyId, GetSecretValue alone is enough.
    assert get_secret(c, plain) == "service key"

    with_key = new_principal(backend, allow("kms:GetSecretValue", secret_arn(name)), allow("kms:Decrypt", key_arn(k)))
    assert get_secret(with_key.tea(), name) == "wrapped by my key"

    # Decrypt on the key alone does not read the secret.
    key_only = new_principal(backend, allow("kms:Decrypt", key_arn(k)))
    expect_denied(lambda: get_secret(key_only.tea(), name), "kms:GetSecretValue", secret_arn(name))


@pytest.fixture
def isolated_secrets_client(monkeypatch, tmp_path):
    """As in test_secrets_client.py: a clean environment and fresh TLS sessions for the client."""
    from darabonba.core import DaraCore

    for var in az.SECRETS_CLIENT_ENV:
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    DaraCore._sessions.clear()
    yield
    DaraCore._sessions.clear()


def test_secrets_client_with_a_restricted_access_key(backend, kms, isolated_secrets_client):
    from alibabacloud_kms20160120.models import GetSecretValueRequest
    from alibabacloud_secretsmanager_client_v2.service.default_secret_manager_client_builder import (
        DefaultSecretManagerClientBuilder,
    )
    from alibabacloud_secretsmanager_client_v2.service.full_jitter_back_off_strategy import (
        FullJitterBackoffStrategy,
    )
    from alibabacloud_tea_openapi import models as open_api_models

    base = f"authz-smc-{uid()}"
    ok = create_secret(kms, f"{base}/allowed", "client value ✓")
    no = create_secret(kms, f"{base}-denied", "hidden")
    p = new_principal(backend, allow("kms:GetSecretValue", secret_arn(ok)))
    config = open_api_models.Config(
        access_key_id=p.access_key_id, access_key_secret=p.access_key_secret,
        endpoint=f"127.0.0.1:{backend.https_port}", region_id=REGION, protocol="https", ca=backend.ca_path,
    )
    client = (
        DefaultSecretManagerClientBuilder.standard()
        .add_config(config)
        .with_back_off_strategy(FullJitterBackoffStrategy(retry_max_attempts=0, retry_initial_interval_mills=10))
        .build()
    )
    client.init()
    try:
        body = client.get_secret_value(GetSecretValueRequest(secret_name=ok)).body
        assert (body.secret_name, body.secret_data, body.version_id) == (ok, "client value ✓", "v1")
        with pytest.raises(TeaException) as info:
            client.get_secret_value(GetSecretValueRequest(secret_name=no))
        assert (info.value.code, info.value.status_code) == ("Forbidden.NoPermission", 403), info.value
        az.check_denial_message(info.value.message, "kms:GetSecretValue", secret_arn(no))
    finally:
        client.close()


# ===========================================================================
# 8. The Huawei API
# ===========================================================================


def hw_encrypt(client, key_id: str, text: str) -> dict:
    return h.wire(client.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(key_id=key_id, plain_text=text))))


def test_huawei_denial_shape(backend, kms):
    admin_hw = h.hw_client(backend)
    allowed, refused = h.create_key(admin_hw), h.create_key(admin_hw)
    p = new_principal(backend, allow("kms:Encrypt", key_arn(allowed)))
    c = h.hw_client(backend, ak=p.access_key_id, sk=p.access_key_secret)

    enc = hw_encrypt(c, allowed, "huawei ✓")
    assert enc["key_id"] == allowed, enc
    dec = h.wire(admin_hw.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(cipher_text=enc["cipher_text"]))))
    assert (dec["key_id"], dec["plain_text"]) == (allowed, "huawei ✓")

    err = h.expect_hw_error(lambda: hw_encrypt(c, refused, "no"), "KMS.0306", 403)
    az.check_denial_message(err.error_msg, "kms:Encrypt", key_arn(refused))
    err = h.expect_hw_error(lambda: c.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(
        cipher_text=enc["cipher_text"]))), "KMS.0306", 403)
    az.check_denial_message(err.error_msg, "kms:Decrypt", key_arn(allowed))
    err = h.expect_hw_error(lambda: c.create_key(HwCreateKeyRequest(body=HwCreateKeyRequestBody(
        key_alias=h.unique_alias("authz")))), "KMS.0306", 403)
    az.check_denial_message(err.error_msg, "kms:CreateKey", KEYS_ARN)
    # The same principal, the same rule, through the Alibaba API.
    expect_denied(lambda: encrypt(p.tea(), refused), "kms:Encrypt", key_arn(refused))


# ===========================================================================
# 9. Changes made with `keyward admin` reach the running server
# ===========================================================================


def test_detach_takes_effect(backend, kms):
    k = new_key(kms)
    p = new_principal(backend)
    policy = p.attach(allow(["kms:Encrypt", "kms:Decrypt"], key_arn(k)))
    c = p.tea()
    blob = encrypt(c, k, "while attached")["CiphertextBlob"]
    assert decrypt(c, blob)["Plaintext"] == "while attached"

    p.detach(policy)
    until_denied(lambda: encrypt(c, k), "kms:Encrypt", key_arn(k))
    expect_denied(lambda: decrypt(c, blob), "kms:Decrypt", key_arn(k))

    # Attaching again (after the server cached "no policies") is seen too.
    az.attach_policy(backend, policy, p.name)
    assert until_allowed(lambda: decrypt(c, blob))["Plaintext"] == "while attached"


def test_policy_update_takes_effect(backend, kms):
    k = new_key(kms)
    p = new_principal(backend)
    policy = p.attach(allow("kms:Encrypt", key_arn(k)))
    c = p.tea()
    encrypt(c, k)
    backend.admin("policy", "update", policy, "--document", document(allow("kms:DescribeKey", key_arn(k))),
                  parse_json=False)
    until_denied(lambda: encrypt(c, k), "kms:Encrypt", key_arn(k))
    assert describe(c, k)["KeyId"] == k
    got = backend.admin("policy", "get", policy, "--output", "json")
    assert json.loads(got["PolicyDocument"]) == json.loads(document(allow("kms:DescribeKey", key_arn(k))))
    assert p.name in got["Principals"], got


def test_admin_cli_lists_principals_and_policies(backend):
    p = new_principal(backend, allow("kms:Encrypt", "*"))
    principals = backend.admin("principal", "list", "--output", "json")["Principals"]
    mine = [x for x in principals if x["Principal"] == p.name]
    assert len(mine) == 1, principals
    assert mine[0]["Arn"] == user_arn(p.name)
    assert len(mine[0]["AttachedPolicies"]) == 1, mine
    assert any(x["Principal"] == "admin" for x in principals), "the bootstrap principal exists"
    policy = mine[0]["AttachedPolicies"][0]
    names = [x["PolicyName"] for x in backend.admin("policy", "list", "--output", "json")["Policies"]]
    assert policy in names


# ===========================================================================
# 10. The audit log
# ===========================================================================


def test_audit_records_denials_with_the_principal(backend, kms):
    k = new_key(kms)
    p = new_principal(backend, allow("kms:Encrypt", key_arn(k)))
    c = p.tea()

    ok = c.encrypt(m.EncryptRequest(key_id=k, plaintext="audited plaintext"))
    err = expect_denied(lambda: describe(c, k), "kms:DescribeKey", key_arn(k))
    request_id = err.data["RequestId"]

    denied = az.audit_event(backend, request_id)
    assert denied["result"] == "Forbidden.NoPermission", denied
    assert denied["status"] == 403, denied
    assert denied["principal"] == p.name, denied
    assert denied["access_key_id"] == p.access_key_id, denied
    assert denied["action"] == "DescribeKey", denied
    assert key_arn(k) in denied["resources"], denied
    assert denied["protocol"] == "alibaba", denied
    assert str(denied.get("source", "")).startswith("127.0.0.1:"), denied

    allowed = az.audit_event(backend, ok.body.request_id)
    assert (allowed["result"], allowed["status"], allowed["principal"]) == ("OK", 200, p.name), allowed
    assert allowed["action"] == "Encrypt", allowed

    # A Huawei denial is recorded too, with the Huawei code.
    hc = h.hw_client(backend, ak=p.access_key_id, sk=p.access_key_secret)
    other = new_key(kms)
    herr = h.expect_hw_error(lambda: hw_encrypt(hc, other, "x"), "KMS.0306", 403)
    hev = az.audit_event(backend, herr.request_id)
    assert (hev["protocol"], hev["status"], hev["principal"]) == ("huawei", 403, p.name), hev
    assert hev["result"] in ("KMS.0306", "Forbidden.NoPermission"), hev

    raw = (backend.data_dir / "audit" / "audit.log").read_bytes()
    assert b"audited plaintext" not in raw
    assert p.access_key_secret.encode() not in raw


# ===========================================================================
# Wire details
# ===========================================================================


def test_denial_envelope_and_root(backend, kms):
    """The 403 carries the documented envelope; the root is never checked (nor denied)."""
    k = new_key(kms)
    p = new_principal(backend)
    err = expect_denied(lambda: encrypt(p.tea(), k), "kms:Encrypt", key_arn(k), user_arn(p.name))
    assert err.data["HttpStatus"] == 403
    # The root's own key policy cannot lock the root out.
    lockout = {"Version": "1", "Statement": [{"Effect": "Deny", "Principal": {"RAM": [ACCOUNT_PRINCIPAL]},
                                              "Action": ["kms:*"], "Resource": ["*"]}]}
    set_key_policy(kms, k, json.dumps(lockout))
    assert_roundtrip(kms, encrypt(kms, k, "root")["CiphertextBlob"], "root", k)
    # And the bootstrap AccessKey still does everything through a fresh client.
    assert describe(tea_client(backend), k)["KeyId"] == k


# ===========================================================================
# Every action is its own kms:<Action>
# ===========================================================================


def key_ops(client, key_id: str, version_id: str, blob: str) -> dict:
    """Calls on one key, by the action they are authorized as."""
    return {
        "Encrypt": lambda: client.encrypt(m.EncryptRequest(key_id=key_id, plaintext="x")),
        "Decrypt": lambda: client.decrypt(m.DecryptRequest(ciphertext_blob=blob)),
        "GenerateDataKey": lambda: client.generate_data_key(m.GenerateDataKeyRequest(key_id=key_id)),
        "GenerateDataKeyWithoutPlaintext": lambda: client.generate_data_key_without_plaintext(
            m.GenerateDataKeyWithoutPlaintextRequest(key_id=key_id)),
        "DescribeKey": lambda: client.describe_key(m.DescribeKeyRequest(key_id=key_id)),
        "DescribeKeyVersion": lambda: client.describe_key_version(
            m.DescribeKeyVersionRequest(key_id=key_id, key_version_id=version_id)),
        "ListKeyVersions": lambda: client.list_key_versions(m.ListKeyVersionsRequest(key_id=key_id)),
        "ListAliasesByKeyId": lambda: client.list_aliases_by_key_id(m.ListAliasesByKeyIdRequest(key_id=key_id)),
        "ListResourceTags": lambda: client.list_resource_tags(m.ListResourceTagsRequest(key_id=key_id)),
        "GetKeyPolicy": lambda: client.get_key_policy(m.GetKeyPolicyRequest(key_id=key_id)),
        "UpdateKeyDescription": lambda: client.update_key_description(
            m.UpdateKeyDescriptionRequest(key_id=key_id, description="set by a user")),
        "TagResource": lambda: client.tag_resource(
            m.TagResourceRequest(key_id=key_id, tags=json.dumps([{"TagKey": "by", "TagValue": "user"}]))),
    }


KEY_ACTIONS = list(key_ops(None, "k", "v", "b"))


@pytest.mark.parametrize("granted", KEY_ACTIONS)
def test_each_key_action_needs_its_own_grant(backend, kms, granted):
    k = new_key(kms)
    version = cs.primary_version(kms, k)
    blob = encrypt(kms, k, "matrix")["CiphertextBlob"]
    p = new_principal(backend, allow(f"kms:{granted}", key_arn(k)))
    ops = key_ops(p.tea(), k, version, blob)
    ops[granted]()
    failures = []
    for action, op in ops.items():
        if action == granted:
            continue
        try:
            expect_denied(op, f"kms:{action}", key_arn(k))
        except AssertionError as exc:
            failures.append(f"{action}: {exc}")
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"{action}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def secret_ops(client, name: str) -> dict:
    return {
        "GetSecretValue": lambda: client.get_secret_value(m.GetSecretValueRequest(secret_name=name)),
        "DescribeSecret": lambda: client.describe_secret(m.DescribeSecretRequest(secret_name=name)),
        "ListSecretVersionIds": lambda: client.list_secret_version_ids(m.ListSecretVersionIdsRequest(secret_name=name)),
        "GetSecretPolicy": lambda: client.get_secret_policy(m.GetSecretPolicyRequest(secret_name=name)),
        "PutSecretValue": lambda: client.put_secret_value(m.PutSecretValueRequest(
            secret_name=name, version_id=f"v-{uid()}", secret_data="put by a user")),
        "UpdateSecret": lambda: client.update_secret(m.UpdateSecretRequest(secret_name=name, description="by a user")),
    }


SECRET_ACTIONS = list(secret_ops(None, "s"))


@pytest.mark.parametrize("granted", SECRET_ACTIONS)
def test_each_secret_action_needs_its_own_grant(backend, kms, granted):
    name = create_secret(kms, f"authz-matrix-{uid()}")
    p = new_principal(backend, allow(f"kms:{granted}", secret_arn(name)))
    ops = secret_ops(p.tea(), name)
    ops[granted]()
    failures = []
    for action, op in ops.items():
        if action == granted:
            continue
        try:
            expect_denied(op, f"kms:{action}", secret_arn(name))
        except AssertionError as exc:
            failures.append(f"{action}: {exc}")
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"{action}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_put_secret_value_under_own_key_needs_encrypt(backend, kms):
    k = new_key(kms)
    name = create_secret(kms, f"authz-ek-{uid()}", "v1 value", encryption_key_id=k)

    def put(client):
        return client.put_secret_value(m.PutSecretValueRequest(secret_name=name, version_id=f"v-{uid()}",
                                                               secret_data="rolled"))

    put_only = new_principal(backend, allow("kms:PutSecretValue", secret_arn(name)))
    expect_denied(lambda: put(put_only.tea()), "kms:Encrypt", key_arn(k))
    assert get_secret(kms, name) == "v1 value"
    with_key = new_principal(backend, allow("kms:PutSecretValue", secret_arn(name)), allow("kms:Encrypt", key_arn(k)))
    put(with_key.tea())
    assert get_secret(kms, name) == "rolled"


def test_asymmetric_actions(backend, kms):
    k = cs.create_key(kms, "RSA_2048", "SIGN/VERIFY")["KeyId"]
    version = cs.primary_version(kms, k)
    p = new_principal(backend, allow(["kms:AsymmetricSign", "kms:GetPublicKey"], key_arn(k)))
    c = p.tea()
    digest = cs.b64(b"\x01" * 32)
    sig = c.asymmetric_sign(m.AsymmetricSignRequest(key_id=k, key_version_id=version, algorithm=cs.PSS,
                                                    digest=digest)).body.value
    assert cs.get_public_key(c, k, version)["PublicKey"].startswith("-----BEGIN PUBLIC KEY-----")
    expect_denied(lambda: c.asymmetric_verify(m.AsymmetricVerifyRequest(
        key_id=k, key_version_id=version, algorithm=cs.PSS, digest=digest, value=sig)), "kms:AsymmetricVerify",
        key_arn(k))
    ok = kms.asymmetric_verify(m.AsymmetricVerifyRequest(key_id=k, key_version_id=version, algorithm=cs.PSS,
                                                         digest=digest, value=sig)).body.value
    assert ok is True


# ===========================================================================
# DryRun, transports and signature schemes
# ===========================================================================


def test_dry_run_checks_permission(backend, kms):
    """DryRun answers whether the real call would be allowed: DryRunOperationError when it would,
    Forbidden.NoPermission when it would not."""
    a, b = new_key(kms), new_key(kms)
    p = new_principal(backend, allow("kms:Encrypt", key_arn(a)))
    c = p.tea()
    expect_tea_error(lambda: c.encrypt(m.EncryptRequest(key_id=a, plaintext="x", dry_run="true")),
                     "DryRunOperationError", 400)
    expect_denied(lambda: c.encrypt(m.EncryptRequest(key_id=b, plaintext="x", dry_run="true")), "kms:Encrypt",
                  key_arn(b))


def test_same_decision_over_every_transport_and_signature(backend, kms):
    a, b = new_key(kms), new_key(kms)
    p = new_principal(backend, allow("kms:Encrypt", key_arn(a)))
    clients = {
        "acs3-http": p.tea(),
        "v1-http": p.tea(signature_algorithm="v2"),
        "acs3-https": p.tea(protocol="https", ca=backend.ca_path),
    }
    for label, c in clients.items():
        assert_roundtrip(kms, encrypt(c, a, label)["CiphertextBlob"], label, a)
        expect_denied(lambda: encrypt(c, b), "kms:Encrypt", key_arn(b))


def test_condition_on_secure_transport(backend, kms):
    k = new_key(kms)
    p = new_principal(backend, allow("kms:Encrypt", key_arn(k), condition={"Bool": {"acs:SecureTransport": "true"}}))
    assert_roundtrip(kms, encrypt(p.tea(protocol="https", ca=backend.ca_path), k, "tls")["CiphertextBlob"], "tls", k)
    expect_denied(lambda: encrypt(p.tea(), k), "kms:Encrypt", key_arn(k))


def test_key_policy_with_condition(backend, kms):
    k = new_key(kms)
    p = new_principal(backend)
    policy = {"Version": "1", "Statement": [{
        "Effect": "Allow", "Principal": {"RAM": [p.arn]}, "Action": ["kms:Encrypt"], "Resource": ["*"],
        "Condition": {"StringEquals": {"kms:EncryptionContext/tenant": "t1"}},
    }]}
    set_key_policy(kms, k, json.dumps(policy))
    c = p.tea()
    blob = encrypt(c, k, "kp ctx", {"tenant": "t1"})["CiphertextBlob"]
    assert_roundtrip(kms, blob, "kp ctx", k, {"tenant": "t1"})
    expect_denied(lambda: encrypt(c, k, "x", {"tenant": "t2"}), "kms:Encrypt", key_arn(k))
    expect_denied(lambda: encrypt(c, k, "x"), "kms:Encrypt", key_arn(k))


def test_secret_policy_deny_beats_identity_allow(backend, kms):
    name = create_secret(kms, f"authz-spd-{uid()}", "guarded")
    p = new_principal(backend, allow("kms:*", "*"))
    c = p.tea()
    assert get_secret(c, name) == "guarded"
    policy = {"Version": "1", "Statement": [
        {"Effect": "Allow", "Principal": {"RAM": [ACCOUNT_PRINCIPAL]}, "Action": ["kms:*"], "Resource": ["*"]},
        {"Effect": "Deny", "Principal": {"RAM": [p.arn]}, "Action": ["kms:GetSecretValue"], "Resource": ["*"]},
    ]}
    kms.set_secret_policy(m.SetSecretPolicyRequest(secret_name=name, policy=json.dumps(policy)))
    expect_denied(lambda: get_secret(c, name), "kms:GetSecretValue", secret_arn(name), p.arn)
    assert c.describe_secret(m.DescribeSecretRequest(secret_name=name)).body.secret_name == name
    assert get_secret(kms, name) == "guarded"
