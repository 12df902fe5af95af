"""Secrets (ALIBABA.md §5.5) through the official SDKs: every secret action with the Tea SDK
(`alibabacloud_kms20160120`, which sends SecretData in the form body) and the main ones with the
classic V1 SDK (`aliyunsdkkms` request classes, which send SecretData in the URL query).

CreateSecret / GetSecretValue / BatchGetSecretValue / PutSecretValue / UpdateSecretVersionStage /
UpdateSecret / DescribeSecret / ListSecrets / ListSecretVersionIds / DeleteSecret / RestoreSecret /
GetRandomPassword / GetSecretPolicy / SetSecretPolicy / RotateSecret / UpdateSecretRotationPolicy,
and tags on secrets (TagResource / UntagResource with SecretName, TagResources /
ListTagResources / UntagResources with ResourceType=secret).

Response shapes are checked twice: through the SDK models, and as raw wire JSON from the
independent signer (kwhelpers.raw_ok), whose key sets must stay within the fields the Tea SDK
parses (shared/protocol/response-shapes.json). Storage-sensitive tests run once per backend
(SQLite, and PostgreSQL when KEYWARD_TEST_POSTGRES_URL is set). Every test uses its own names."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import string
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from alibabacloud_kms20160120 import models as m
from Tea.exceptions import TeaException
from aliyunsdkkms.request.v20160120 import (
    CreateSecretRequest,
    DeleteSecretRequest,
    DescribeSecretRequest,
    GetSecretValueRequest,
    ListSecretsRequest,
    PutSecretValueRequest,
    UpdateSecretRequest,
    UpdateSecretVersionStageRequest,
)

import crypto_support as cs
from kwhelpers import (
    REGION,
    REQUEST_ID_RE,
    assert_time_near,
    core_call,
    core_client,
    expect_core_error,
    expect_tea_error,
    parse_time,
    raw_ok,
    secret_arn,
    utcnow,
)

CURRENT, PREVIOUS = "ACSCurrent", "ACSPrevious"
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
MAX_DATA = 30720

# Response fields per action, as the Tea SDK models parse them (response-shapes.json); the
# first set must be present for a Generic secret, the second is everything allowed.
SHAPES: dict[str, tuple[set[str], set[str]]] = {
    "CreateSecret": (
        {"RequestId", "Arn", "SecretName", "SecretType", "VersionId"},
        {"RequestId", "Arn", "SecretName", "SecretType", "VersionId", "DKMSInstanceId", "AutomaticRotation",
         "ExtendedConfig", "NextRotationDate", "RotationInterval"},
    ),
    "GetSecretValue": (
        {"RequestId", "SecretName", "VersionId", "SecretData", "SecretDataType", "SecretType", "CreateTime",
         "VersionStages"},
        {"RequestId", "SecretName", "VersionId", "SecretData", "SecretDataType", "SecretType", "CreateTime",
         "VersionStages", "AutomaticRotation", "ExtendedConfig", "LastRotationDate", "NextRotationDate",
         "RotationInterval"},
    ),
    "PutSecretValue": (
        {"RequestId", "SecretName", "VersionId", "VersionStages"},
        {"RequestId", "SecretName", "VersionId", "VersionStages"},
    ),
    "DescribeSecret": (
        {"RequestId", "Arn", "SecretName", "SecretType", "EncryptionKeyId", "CreateTime", "UpdateTime"},
        {"RequestId", "Arn", "AutomaticRotation", "CreateTime", "DKMSInstanceId", "Description", "EncryptionKeyId",
         "ExtendedConfig", "LastRotationDate", "NextRotationDate", "OwingService", "PlannedDeleteTime",
         "RotationInterval", "SecretName", "SecretType", "Tags", "UpdateTime"},
    ),
    "ListSecrets": (
        {"RequestId", "SecretList", "TotalCount", "PageNumber", "PageSize"},
        {"RequestId", "SecretList", "TotalCount", "PageNumber", "PageSize"},
    ),
    "ListSecrets.Secret": (
        {"SecretName", "SecretType", "CreateTime", "UpdateTime"},
        {"SecretName", "SecretType", "CreateTime", "UpdateTime", "PlannedDeleteTime", "OwingService", "Tags"},
    ),
    "ListSecretVersionIds": (
        {"RequestId", "SecretName", "VersionIds", "TotalCount", "PageNumber", "PageSize"},
        {"RequestId", "SecretName", "VersionIds", "TotalCount", "PageNumber", "PageSize"},
    ),
    "DeleteSecret": ({"RequestId", "SecretName", "PlannedDeleteTime"}, {"RequestId", "SecretName", "PlannedDeleteTime"}),
    "RestoreSecret": ({"RequestId", "SecretName"}, {"RequestId", "SecretName"}),
    "UpdateSecret": ({"RequestId", "SecretName"}, {"RequestId", "SecretName"}),
    "UpdateSecretVersionStage": ({"RequestId", "SecretName"}, {"RequestId", "SecretName"}),
    "GetRandomPassword": ({"RequestId", "RandomPassword"}, {"RequestId", "RandomPassword"}),
    "GetSecretPolicy": ({"RequestId", "Policy"}, {"RequestId", "Policy"}),
    "SetSecretPolicy": ({"RequestId"}, {"RequestId"}),
    "BatchGetSecretValue": ({"RequestId", "SecretValues", "Errors"}, {"RequestId", "SecretValues", "Errors"}),
}


def shape(action: str, body: dict) -> dict:
    required, allowed = SHAPES[action]
    keys = set(body)
    assert required <= keys, f"{action}: missing {sorted(required - keys)} in {body}"
    assert keys <= allowed, f"{action}: unexpected {sorted(keys - allowed)} in {body}"
    if "RequestId" in body:
        assert REQUEST_ID_RE.match(body["RequestId"]), body
    return body


def stages_of(body: dict) -> list[str]:
    """VersionStages.VersionStage[] (the POP list wrapper), checked and returned sorted."""
    vs = body["VersionStages"]
    assert set(vs) == {"VersionStage"} and isinstance(vs["VersionStage"], list), vs
    assert all(isinstance(s, str) for s in vs["VersionStage"]), vs
    return sorted(vs["VersionStage"])


def sname(tag: str = "") -> str:
    return f"kw-sdk-{tag}{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------------------
# Tea SDK wrappers
# ---------------------------------------------------------------------------


def create(kms, name: str | None = None, data: str = "s3cr3t value", version: str = "v1", **kw) -> dict:
    name = name or sname()
    body = kms.create_secret(m.CreateSecretRequest(
        secret_name=name, version_id=version, secret_data=data, **kw,
    )).body.to_map()
    shape("CreateSecret", body)
    assert body["SecretName"] == name and body["VersionId"] == version, body
    assert body["SecretType"] == "Generic" and body["Arn"] == secret_arn(name), body
    return body


def get(kms, name: str, **kw) -> dict:
    body = kms.get_secret_value(m.GetSecretValueRequest(secret_name=name, **kw)).body.to_map()
    shape("GetSecretValue", body)
    parse_time(body["CreateTime"])
    stages_of(body)
    return body


def plain(name: str) -> str:
    """The secret name of a SecretName input (a name or its ARN): responses use the name."""
    return name.rsplit(":secret/", 1)[-1] if name.startswith("acs:kms:") else name


def put(kms, name: str, version: str, data: str, stages: list[str] | None = None, **kw) -> dict:
    body = kms.put_secret_value(m.PutSecretValueRequest(
        secret_name=name, version_id=version, secret_data=data,
        version_stages=json.dumps(stages) if stages is not None else None, **kw,
    )).body.to_map()
    shape("PutSecretValue", body)
    assert (body["SecretName"], body["VersionId"]) == (plain(name), version), body
    stages_of(body)
    return body


def describe(kms, name: str, fetch_tags: str | None = None) -> dict:
    body = kms.describe_secret(m.DescribeSecretRequest(secret_name=name, fetch_tags=fetch_tags)).body.to_map()
    shape("DescribeSecret", body)
    for f in ("CreateTime", "UpdateTime"):
        parse_time(body[f])
    return body


def versions(kms, name: str, include_deprecated: str | None = None, page_size: int | None = None) -> dict[str, list[str]]:
    """VersionId -> sorted stages, over every page of ListSecretVersionIds."""
    out: dict[str, list[str]] = {}
    page = 1
    while True:
        body = kms.list_secret_version_ids(m.ListSecretVersionIdsRequest(
            secret_name=name, include_deprecated=include_deprecated, page_number=page, page_size=page_size,
        )).body.to_map()
        shape("ListSecretVersionIds", body)
        assert body["SecretName"] == name and body["PageNumber"] == page, body
        assert body["PageSize"] == (page_size or 20), body
        items = body["VersionIds"]["VersionId"]
        for v in items:
            assert set(v) == {"VersionId", "CreateTime", "VersionStages"}, v
            parse_time(v["CreateTime"])
            assert v["VersionId"] not in out, f"{v['VersionId']} listed twice"
            out[v["VersionId"]] = stages_of(v)
        if not items or len(out) >= body["TotalCount"]:
            assert len(out) == body["TotalCount"], body
            return out
        page += 1


def delete(kms, name: str, **kw) -> dict:
    body = kms.delete_secret(m.DeleteSecretRequest(secret_name=name, **kw)).body.to_map()
    shape("DeleteSecret", body)
    assert body["SecretName"] == plain(name)
    return body


def list_secrets(kms, filters: list[dict] | None = None, **kw) -> dict:
    body = kms.list_secrets(m.ListSecretsRequest(
        filters=json.dumps(filters) if filters is not None else None, **kw,
    )).body.to_map()
    shape("ListSecrets", body)
    assert set(body["SecretList"]) == {"Secret"}, body
    for s in body["SecretList"]["Secret"]:
        shape("ListSecrets.Secret", s)
        assert s["SecretType"] == "Generic"
        parse_time(s["CreateTime"])
        parse_time(s["UpdateTime"])
    return body


def listed_names(kms, filters: list[dict], **kw) -> list[str]:
    body = list_secrets(kms, filters, page_size=100, **kw)
    names = [s["SecretName"] for s in body["SecretList"]["Secret"]]
    assert body["TotalCount"] == len(names), body
    return sorted(names)


def tags_of(body: dict) -> dict[str, str]:
    rows = body["Tags"]["Tag"]
    for r in rows:
        assert set(r) == {"TagKey", "TagValue"}, r
    return {r["TagKey"]: r["TagValue"] for r in rows}


def expect_400(fn, codes: tuple[str, ...]) -> TeaException:
    """A 400 whose code is one of `codes`."""
    with pytest.raises(TeaException) as info:
        fn()
    err = info.value
    assert err.status_code == 400 and err.code in codes, f"expected 400 {codes}, got {err.status_code} {err.code}: {err.message}"
    return err


def not_found(fn) -> TeaException:
    return expect_tea_error(fn, "Forbidden.ResourceNotFound", 404)


def no_secret_in(err: TeaException, *values: str) -> None:
    text = json.dumps(err.data)
    for v in values:
        assert v not in text, "an error message must never contain secret data"


# ===========================================================================
# CreateSecret
# ===========================================================================


def test_create_secret_defaults(kms, backend):
    name = sname("def-")
    create(kms, name, data="hunter2 ✓ with ünïcode")
    got = get(kms, name)
    assert (got["SecretName"], got["VersionId"], got["SecretData"]) == (name, "v1", "hunter2 ✓ with ünïcode")
    assert (got["SecretDataType"], got["SecretType"]) == ("text", "Generic"), got
    assert stages_of(got) == [CURRENT]
    assert_time_near(got["CreateTime"], utcnow(), 120)

    d = describe(kms, name)
    assert (d["SecretName"], d["Arn"], d["SecretType"]) == (name, secret_arn(name), "Generic"), d
    assert d.get("Description", "") == "", d
    assert not d.get("PlannedDeleteTime"), d
    assert "Tags" not in d, "Tags only with FetchTags=true"
    assert_time_near(d["CreateTime"], utcnow(), 120)
    assert parse_time(d["UpdateTime"]) >= parse_time(d["CreateTime"])
    # Without EncryptionKeyId the secret is sealed under a service-managed default key, a real
    # enabled symmetric key shared by every such secret.
    default_key = d["EncryptionKeyId"]
    key = cs.describe(kms, default_key)
    assert (key["KeyState"], key["KeySpec"], key["KeyUsage"]) == ("Enabled", "Aliyun_AES_256", "ENCRYPT/DECRYPT"), key
    other = sname("def-")
    create(kms, other)
    assert describe(kms, other)["EncryptionKeyId"] == default_key

    # The raw wire JSON carries nothing beyond the documented fields.
    shape("GetSecretValue", raw_ok(backend, "GetSecretValue", {"SecretName": name}))
    raw = shape("DescribeSecret", raw_ok(backend, "DescribeSecret", {"SecretName": name}))
    assert raw["EncryptionKeyId"] == default_key


def test_create_secret_with_key_by_id_alias_and_arn(kms):
    key_id = cs.create_key(kms)["KeyId"]
    alias = f"alias/kw-sdk-sec-{uuid.uuid4().hex[:12]}"
    kms.create_alias(m.CreateAliasRequest(alias_name=alias, key_id=key_id))
    try:
        for ref in (key_id, alias, f"acs:kms:{REGION}:1000000000000000:key/{key_id}"):
            name = sname("key-")
            create(kms, name, data=f"under {ref}", encryption_key_id=ref)
            assert describe(kms, name)["EncryptionKeyId"] == key_id, "stored resolved to the key id"
            assert get(kms, name)["SecretData"] == f"under {ref}"
    finally:
        kms.delete_alias(m.DeleteAliasRequest(alias_name=alias))


def test_create_secret_encryption_key_must_be_usable(kms):
    not_found_key = str(uuid.uuid4())
    with pytest.raises(TeaException) as info:
        create(kms, encryption_key_id=not_found_key)
    assert info.value.status_code == 404 and info.value.code == "Forbidden.KeyNotFound", info.value
    sign_key = cs.create_key(kms, "EC_P256", cs.SIGN)["KeyId"]
    expect_400(lambda: create(kms, encryption_key_id=sign_key), ("InvalidParameter",))
    disabled = cs.create_key(kms)["KeyId"]
    kms.disable_key(m.DisableKeyRequest(key_id=disabled))
    name = sname("dis-")
    expect_tea_error(lambda: create(kms, name, encryption_key_id=disabled), "Rejected.Disabled", 409)
    not_found(lambda: describe(kms, name))


def test_create_secret_with_tags(kms):
    name = sname("tag-")
    tags = {"env": "prod", "team": "kms ✓", "empty": ""}
    create(kms, name, tags=json.dumps([{"TagKey": k, "TagValue": v} for k, v in tags.items()]))
    assert tags_of(describe(kms, name, fetch_tags="true")) == tags
    assert "Tags" not in describe(kms, name, fetch_tags="false")
    untagged = sname("tag-")
    create(kms, untagged)
    d = describe(kms, untagged, fetch_tags="true")
    assert tags_of(d) == {} if "Tags" in d else d.get("Tags") is None
    expect_tea_error(lambda: create(kms, tags="not json"), "InvalidParameter", 400)
    expect_400(lambda: create(kms, tags=json.dumps([{"TagKey": f"k{i}", "TagValue": "v"} for i in range(21)])),
               ("InvalidParameter",))


def test_binary_secret(kms):
    name = sname("bin-")
    raw = os.urandom(300) + b"\x00\xff"
    data = base64.b64encode(raw).decode()
    create(kms, name, data=data, secret_data_type="binary")
    got = get(kms, name)
    assert got["SecretDataType"] == "binary" and got["SecretData"] == data
    assert base64.b64decode(got["SecretData"]) == raw
    # A binary version after a text one, and back: each version keeps its own type.
    put(kms, name, "v2", "plain text now", secret_data_type="text")
    assert get(kms, name)["SecretDataType"] == "text"
    assert get(kms, name, version_id="v1")["SecretDataType"] == "binary"
    for bad in ("not base64 !!", "a"):
        err = expect_tea_error(lambda: create(kms, data=bad, secret_data_type="binary"), "InvalidParameter", 400)
    no_secret_in(err, "not base64 !!")
    expect_tea_error(lambda: create(kms, secret_data_type="blob"), "InvalidParameter", 400)


@pytest.mark.parametrize("bad", ["a b", "acs/generic", "bad#name", "naïve", "x" * 193, "tab\tname", "semi;colon"])
def test_create_secret_invalid_names(kms, bad):
    err = expect_tea_error(lambda: create(kms, bad), "InvalidParameter", 400)
    assert "SecretName" in err.data["Message"], err.data


def test_create_secret_name_and_version_rules(kms):
    for good in ("x" * 192, "a/b+c=d.e@f-g_h" + uuid.uuid4().hex[:6], "密钥-" + uuid.uuid4().hex[:8]):
        create(kms, good)
        assert get(kms, good)["SecretName"] == good
    create(kms, version="v" * 64)
    err = expect_tea_error(lambda: create(kms, version="v" * 65), "InvalidParameter", 400)
    assert "VersionId" in err.data["Message"]
    expect_400(lambda: create(kms, version=""), ("MissingParameter", "InvalidParameter"))
    expect_400(lambda: kms.create_secret(m.CreateSecretRequest(secret_name="", version_id="v1", secret_data="x")),
               ("MissingParameter", "InvalidParameter"))
    err = expect_tea_error(lambda: kms.create_secret(m.CreateSecretRequest(secret_name=sname(), secret_data="x")),
                           "MissingParameter", 400)
    assert "VersionId" in err.data["Message"]
    err = expect_tea_error(lambda: kms.create_secret(m.CreateSecretRequest(secret_name=sname(), version_id="v1")),
                           "MissingParameter", 400)
    assert "SecretData" in err.data["Message"]
    expect_tea_error(lambda: create(kms, description="d" * 1025), "InvalidParameter", 400)
    create(kms, description="d" * 1024)


def test_create_secret_duplicate(kms):
    name = sname("dup-")
    create(kms, name, data="first")
    err = expect_tea_error(lambda: create(kms, name, data="second", version="v2"), "Rejected.ResourceExist", 409)
    no_secret_in(err, "second")
    assert get(kms, name)["SecretData"] == "first"
    # By ARN, the same name.
    assert get(kms, secret_arn(name))["SecretData"] == "first"


@pytest.mark.parametrize("secret_type", ["Rds", "Redis", "RAMCredentials", "ECS", "PolarDB"])
def test_create_managed_secret_refused(kms, secret_type):
    name = sname("mgd-")
    err = expect_tea_error(lambda: create(kms, name, secret_type=secret_type), "Rejected.UnsupportedOperation", 400)
    assert "Generic" in err.data["Message"], err.data
    not_found(lambda: describe(kms, name))


def test_create_secret_type_and_rotation_rules(kms):
    name = sname("gen-")
    create(kms, name, secret_type="Generic")
    assert describe(kms, name)["SecretType"] == "Generic"
    expect_tea_error(lambda: create(kms, secret_type="Unknown"), "InvalidParameter", 400)
    expect_tea_error(lambda: create(kms, enable_automatic_rotation=True, rotation_interval="24h"),
                     "Rejected.UnsupportedOperation", 400)


def test_secret_data_size_limit(kms):
    name = sname("big-")
    data = ("0123456789abcdef" * (MAX_DATA // 16 + 1))[:MAX_DATA]
    create(kms, name, data=data)
    assert get(kms, name)["SecretData"] == data
    err = expect_tea_error(lambda: create(kms, data=data + "x"), "InvalidParameter", 400)
    assert "SecretData" in err.data["Message"]
    no_secret_in(err, data[:64])
    # The limit is in bytes: 10240 three-byte characters are exactly 30720 bytes.
    wide = "密" * (MAX_DATA // 3)
    create(kms, data=wide)
    expect_tea_error(lambda: create(kms, data=wide + "a"), "InvalidParameter", 400)
    expect_tea_error(lambda: put(kms, name, "v2", data + "x"), "InvalidParameter", 400)
    put(kms, name, "v2", data[::-1])
    assert get(kms, name)["SecretData"] == data[::-1]


def test_secret_values_never_at_rest_or_in_logs_in_plaintext(server, tea):
    """From the outside: after writing two versions, neither value appears in any file of the
    SQLite data directory (database, WAL) nor in the server's stdout/stderr."""
    markers = [f"kw-plain-{uuid.uuid4().hex}{uuid.uuid4().hex}" for _ in range(2)]
    name = sname("rest-")
    create(tea, name, data=markers[0])
    put(tea, name, "v2", markers[1])
    assert get(tea, name, version_id="v1")["SecretData"] == markers[0]
    assert get(tea, name)["SecretData"] == markers[1]
    expect_tea_error(lambda: put(tea, name, "v2", markers[0]), "Rejected.ResourceExist", 409)
    files = [p for p in server.data_dir.rglob("*") if p.is_file()]
    # Control: the secret's name (metadata, not sealed) is found, so the scan sees the rows.
    assert any(name.encode() in p.read_bytes() for p in files), f"the scan does not see the store: {files}"
    for marker in markers:
        needle = marker.encode()
        for p in files:
            assert needle not in p.read_bytes(), f"a secret value is stored in plaintext in {p}"
        assert marker not in "\n".join(server.stdout_lines)
        assert marker not in server.stderr_path.read_text(errors="replace"), "a secret value reached the log"


# ===========================================================================
# GetSecretValue
# ===========================================================================


def test_get_secret_value_selectors(kms):
    name = sname("get-")
    create(kms, name, data="one")
    put(kms, name, "v2", "two")
    cur = get(kms, name)
    assert (cur["VersionId"], cur["SecretData"], stages_of(cur)) == ("v2", "two", [CURRENT])
    assert get(kms, name, version_stage=CURRENT)["VersionId"] == "v2"
    prev = get(kms, name, version_stage=PREVIOUS)
    assert (prev["VersionId"], prev["SecretData"], stages_of(prev)) == ("v1", "one", [PREVIOUS])
    by_id = get(kms, name, version_id="v1")
    assert (by_id["SecretData"], stages_of(by_id)) == ("one", [PREVIOUS])
    both = get(kms, name, version_id="v1", version_stage=PREVIOUS)
    assert both["SecretData"] == "one"
    expect_tea_error(lambda: get(kms, name, version_id="v1", version_stage=CURRENT), "Rejected.InvalidRequest", 400)
    not_found(lambda: get(kms, name, version_id="v9"))
    not_found(lambda: get(kms, name, version_stage="NoSuchStage"))
    not_found(lambda: get(kms, sname("missing-")))
    not_found(lambda: get(kms, secret_arn(sname("missing-"))))
    got = get(kms, name, fetch_extended_config=True)
    assert got["SecretData"] == "two"
    expect_tea_error(lambda: kms.get_secret_value(m.GetSecretValueRequest()), "MissingParameter", 400)


def test_get_secret_value_dry_run(kms):
    name = sname("dry-")
    create(kms, name, data="dry data")
    err = expect_tea_error(lambda: get(kms, name, dry_run="true"), "DryRunOperationError", 400)
    no_secret_in(err, "dry data")
    assert get(kms, name, dry_run="false")["SecretData"] == "dry data"
    # DryRun runs the real checks first.
    not_found(lambda: get(kms, sname("missing-"), dry_run="true"))


def test_encryption_key_state_controls_reads(kms):
    key_id = cs.create_key(kms)["KeyId"]
    name = sname("kstate-")
    create(kms, name, data="guarded", encryption_key_id=key_id)
    kms.disable_key(m.DisableKeyRequest(key_id=key_id))
    err = expect_tea_error(lambda: get(kms, name), "Rejected.Disabled", 409)
    assert key_id in err.data["Message"], err.data
    no_secret_in(err, "guarded")
    expect_tea_error(lambda: put(kms, name, "v2", "new"), "Rejected.Disabled", 409)
    # Metadata stays readable.
    assert describe(kms, name)["EncryptionKeyId"] == key_id
    assert set(versions(kms, name)) == {"v1"}
    body = kms.batch_get_secret_value(m.BatchGetSecretValueRequest(secrets_list=[
        m.BatchGetSecretValueRequestSecretsList(secret_name=name)])).body.to_map()
    assert [(e["SecretName"], e["Code"], e["HttpStatus"]) for e in body["Errors"]] == [(name, "Rejected.Disabled", 409)]

    kms.enable_key(m.EnableKeyRequest(key_id=key_id))
    assert get(kms, name)["SecretData"] == "guarded"
    put(kms, name, "v2", "new")
    assert get(kms, name)["SecretData"] == "new"

    kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    expect_tea_error(lambda: get(kms, name), "Rejected.PendingDeletion", 409)
    kms.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=key_id))
    assert get(kms, name)["SecretData"] == "new"


# ===========================================================================
# BatchGetSecretValue
# ===========================================================================


def test_batch_get_secret_value(kms, backend):
    a, b, missing = sname("ba-"), sname("bb-"), sname("bmiss-")
    create(kms, a, data="alpha")
    create(kms, b, data="beta-1")
    put(kms, b, "v2", "beta-2")
    items = [
        m.BatchGetSecretValueRequestSecretsList(secret_name=a),
        m.BatchGetSecretValueRequestSecretsList(secret_name=b, version_stage=PREVIOUS),
        m.BatchGetSecretValueRequestSecretsList(secret_name=missing),
    ]
    body = kms.batch_get_secret_value(m.BatchGetSecretValueRequest(secrets_list=items)).body.to_map()
    shape("BatchGetSecretValue", body)
    values = {v["SecretName"]: v for v in body["SecretValues"]}
    assert set(values) == {a, b}, body
    for v in values.values():
        assert REQUEST_ID_RE.match(v["RequestId"]), v
        assert v["SecretType"] == "Generic" and v["SecretDataType"] == "text"
        parse_time(v["CreateTime"])
    assert (values[a]["SecretData"], values[a]["VersionId"], stages_of(values[a])) == ("alpha", "v1", [CURRENT])
    assert (values[b]["SecretData"], values[b]["VersionId"], stages_of(values[b])) == ("beta-1", "v1", [PREVIOUS])
    assert len(body["Errors"]) == 1, body
    e = body["Errors"][0]
    assert set(e) == {"SecretName", "Code", "HttpStatus", "Message"}, e
    assert (e["SecretName"], e["Code"], e["HttpStatus"]) == (missing, "Forbidden.ResourceNotFound", 404)
    assert isinstance(e["Message"], str) and e["Message"]

    # The raw wire form: flat arrays, nothing else.
    raw = raw_ok(backend, "BatchGetSecretValue", {"SecretsList": json.dumps([{"SecretName": a}, {"SecretName": b}])})
    shape("BatchGetSecretValue", raw)
    assert sorted(v["SecretData"] for v in raw["SecretValues"]) == ["alpha", "beta-2"] and raw["Errors"] == []
    for v in raw["SecretValues"]:
        shape("GetSecretValue", v)
    # At most 20 names.
    too_many = [m.BatchGetSecretValueRequestSecretsList(secret_name=f"{a}-{i}") for i in range(21)]
    expect_400(lambda: kms.batch_get_secret_value(m.BatchGetSecretValueRequest(secrets_list=too_many)),
               ("InvalidParameter",))


# ===========================================================================
# PutSecretValue, versions and stages
# ===========================================================================


def test_put_secret_value_moves_current_and_previous(kms):
    name = sname("put-")
    create(kms, name, data="d1")
    assert stages_of(put(kms, name, "v2", "d2")) == [CURRENT]
    assert versions(kms, name) == {"v1": [PREVIOUS], "v2": [CURRENT]}
    put(kms, name, "v3", "d3")
    assert versions(kms, name) == {"v2": [PREVIOUS], "v3": [CURRENT]}
    assert versions(kms, name, "true") == {"v1": [], "v2": [PREVIOUS], "v3": [CURRENT]}
    assert versions(kms, name, "false") == {"v2": [PREVIOUS], "v3": [CURRENT]}
    # A version without stages is still readable by id.
    old = get(kms, name, version_id="v1")
    assert (old["SecretData"], stages_of(old)) == ("d1", [])

    # Custom stages: the new version takes only the named stages.
    assert stages_of(put(kms, name, "v4", "d4", ["Blue"])) == ["Blue"]
    assert versions(kms, name) == {"v2": [PREVIOUS], "v3": [CURRENT], "v4": ["Blue"]}
    assert get(kms, name)["VersionId"] == "v3"
    assert get(kms, name, version_stage="Blue")["SecretData"] == "d4"
    # A stage is unique per secret: Blue moves, ACSCurrent moves and v3 becomes ACSPrevious.
    assert stages_of(put(kms, name, "v5", "d5", ["Blue", CURRENT])) == sorted(["Blue", CURRENT])
    assert versions(kms, name, "true") == {"v1": [], "v2": [], "v3": [PREVIOUS], "v4": [], "v5": sorted(["Blue", CURRENT])}
    # By ARN.
    put(kms, secret_arn(name), "v6", "d6")
    assert get(kms, name)["SecretData"] == "d6"
    assert describe(kms, name)["UpdateTime"] >= describe(kms, name)["CreateTime"]


def test_put_secret_value_idempotency(kms):
    name = sname("idem-")
    create(kms, name, data="first")
    put(kms, name, "v2", "second")
    before = versions(kms, name, "true")
    # Same VersionId and same data: success, nothing moves.
    again = put(kms, name, "v2", "second")
    assert stages_of(again) == [CURRENT]
    repeat_v1 = put(kms, name, "v1", "first")
    assert stages_of(repeat_v1) == [PREVIOUS]
    assert versions(kms, name, "true") == before
    # Same VersionId, different data: refused, and the error does not echo either value.
    err = expect_tea_error(lambda: put(kms, name, "v2", "other-QZX7"), "Rejected.ResourceExist", 409)
    no_secret_in(err, "QZX7", "second")
    assert get(kms, name, version_id="v2")["SecretData"] == "second"
    not_found(lambda: put(kms, sname("missing-"), "v1", "x"))
    err = expect_tea_error(lambda: kms.put_secret_value(m.PutSecretValueRequest(secret_name=name, version_id="v3")),
                           "MissingParameter", 400)
    assert "SecretData" in err.data["Message"]
    expect_tea_error(lambda: put(kms, name, "v" * 65, "x"), "InvalidParameter", 400)
    expect_tea_error(lambda: kms.put_secret_value(m.PutSecretValueRequest(
        secret_name=name, version_id="v4", secret_data="x", version_stages="not json")), "InvalidParameter", 400)


def test_ten_versions_rolling(kms):
    name = sname("roll-")
    create(kms, name, version="v00", data="d00")
    for i in range(1, 12):
        put(kms, name, f"v{i:02d}", f"d{i:02d}")
    everything = versions(kms, name, "true")
    # At most 10 versions: the two oldest (without stages) were dropped.
    assert sorted(everything) == [f"v{i:02d}" for i in range(2, 12)], everything
    assert everything["v11"] == [CURRENT] and everything["v10"] == [PREVIOUS]
    assert all(everything[f"v{i:02d}"] == [] for i in range(2, 10))
    assert versions(kms, name) == {"v10": [PREVIOUS], "v11": [CURRENT]}
    not_found(lambda: get(kms, name, version_id="v00"))
    not_found(lambda: get(kms, name, version_id="v01"))
    assert get(kms, name, version_id="v02")["SecretData"] == "d02"
    # Paging over the 10 versions.
    for size in (1, 3, 4, 10, 100):
        assert versions(kms, name, "true", page_size=size) == everything
    body = kms.list_secret_version_ids(m.ListSecretVersionIdsRequest(
        secret_name=name, include_deprecated="true", page_number=4, page_size=3)).body.to_map()
    assert (body["TotalCount"], len(body["VersionIds"]["VersionId"])) == (10, 1), body
    beyond = kms.list_secret_version_ids(m.ListSecretVersionIdsRequest(
        secret_name=name, include_deprecated="true", page_number=5, page_size=3)).body.to_map()
    assert beyond["VersionIds"]["VersionId"] == [] and beyond["TotalCount"] == 10, beyond
    not_found(lambda: versions(kms, sname("missing-")))


def test_rolling_keeps_versions_with_stages(kms):
    """Only versions without stages roll off: custom stages pin their versions."""
    name = sname("pin-")
    create(kms, name, version="v00", data="d")
    for i in range(1, 9):
        put(kms, name, f"v{i:02d}", f"d{i}", [f"S{i}"])
    # 9 versions: v00 ACSCurrent, v01..v08 custom stages. Two more ACSCurrent puts.
    put(kms, name, "v09", "d9")
    put(kms, name, "v10", "d10")
    listed = versions(kms, name, "true")
    assert len(listed) == 10 and "v00" not in listed, listed
    assert listed["v09"] == [PREVIOUS] and listed["v10"] == [CURRENT]
    # Every version now holds a stage: an 11th version cannot roll anything off.
    expect_400(lambda: put(kms, name, "v11", "d11", ["S11"]), ("Rejected.LimitExceeded",))
    assert len(versions(kms, name, "true")) == 10


def test_update_secret_version_stage(kms, backend):
    name = sname("stage-")
    create(kms, name, data="d1")
    put(kms, name, "v2", "d2")
    put(kms, name, "v3", "d3", ["Blue"])

    def usvs(**kw):
        body = kms.update_secret_version_stage(m.UpdateSecretVersionStageRequest(secret_name=name, **kw)).body.to_map()
        shape("UpdateSecretVersionStage", body)
        assert body["SecretName"] == name
        return body

    # Add a stage to a version.
    usvs(version_stage="Green", move_to_version="v1")
    assert versions(kms, name) == {"v1": sorted([PREVIOUS, "Green"]), "v2": [CURRENT], "v3": ["Blue"]}
    # Move a stage between versions.
    usvs(version_stage="Blue", remove_from_version="v3", move_to_version="v2")
    assert versions(kms, name, "true") == {"v1": sorted([PREVIOUS, "Green"]), "v2": sorted([CURRENT, "Blue"]), "v3": []}
    # A stage held by another version moves only when RemoveFromVersion names that holder (as in
    # AWS Secrets Manager); MoveToVersion alone is a param mismatch and changes nothing.
    err = expect_tea_error(lambda: usvs(version_stage="Green", move_to_version="v3"), "Rejected.InvalidRequest", 400)
    assert "RemoveFromVersion" in err.data["Message"], err.data
    assert versions(kms, name, "true") == {"v1": sorted([PREVIOUS, "Green"]), "v2": sorted([CURRENT, "Blue"]), "v3": []}
    usvs(version_stage="Green", remove_from_version="v1", move_to_version="v3")
    assert versions(kms, name, "true") == {"v1": [PREVIOUS], "v2": sorted([CURRENT, "Blue"]), "v3": ["Green"]}
    # Remove a custom stage.
    usvs(version_stage="Green", remove_from_version="v3")
    assert versions(kms, name, "true")["v3"] == []
    # ACSCurrent / ACSPrevious can be moved but never just removed.
    for stage, holder in ((CURRENT, "v2"), (PREVIOUS, "v1")):
        expect_400(lambda: usvs(version_stage=stage, remove_from_version=holder), ("InvalidParameter",))
    assert versions(kms, name)["v2"] == sorted([CURRENT, "Blue"])
    # Moving ACSCurrent puts ACSPrevious on its former holder.
    usvs(version_stage=CURRENT, remove_from_version="v2", move_to_version="v3")
    assert versions(kms, name, "true") == {"v1": [], "v2": sorted([PREVIOUS, "Blue"]), "v3": [CURRENT]}
    assert get(kms, name)["SecretData"] == "d3"
    # RemoveFromVersion must name the real holder.
    expect_tea_error(lambda: usvs(version_stage=CURRENT, remove_from_version="v1", move_to_version="v2"),
                     "Rejected.InvalidRequest", 400)
    expect_tea_error(lambda: usvs(version_stage="Blue", remove_from_version="v3"), "Rejected.InvalidRequest", 400)
    expect_400(lambda: usvs(version_stage="Blue"), ("MissingParameter",))
    not_found(lambda: usvs(version_stage="Blue", remove_from_version="v2", move_to_version="v42"))
    expect_tea_error(lambda: kms.update_secret_version_stage(m.UpdateSecretVersionStageRequest(
        secret_name=name, move_to_version="v1")), "MissingParameter", 400)
    not_found(lambda: kms.update_secret_version_stage(m.UpdateSecretVersionStageRequest(
        secret_name=sname("missing-"), version_stage="X", move_to_version="v1")))
    # Nothing above changed the stages.
    assert versions(kms, name, "true") == {"v1": [], "v2": sorted([PREVIOUS, "Blue"]), "v3": [CURRENT]}
    shape("UpdateSecretVersionStage", raw_ok(backend, "UpdateSecretVersionStage", {
        "SecretName": name, "VersionStage": "Blue", "RemoveFromVersion": "v2", "MoveToVersion": "v1"}))
    assert versions(kms, name, "true")["v1"] == ["Blue"]


# ===========================================================================
# UpdateSecret, DescribeSecret, ListSecrets
# ===========================================================================


def test_update_secret_description(kms, backend):
    name = sname("upd-")
    create(kms, name, description="before")
    d0 = describe(kms, name)
    assert d0["Description"] == "before"
    body = kms.update_secret(m.UpdateSecretRequest(secret_name=name, description="after ✓")).body.to_map()
    shape("UpdateSecret", body)
    assert body["SecretName"] == name
    d1 = describe(kms, name)
    assert d1["Description"] == "after ✓"
    assert d1["CreateTime"] == d0["CreateTime"] and parse_time(d1["UpdateTime"]) >= parse_time(d0["UpdateTime"])
    kms.update_secret(m.UpdateSecretRequest(secret_name=secret_arn(name), description=""))
    assert describe(kms, name).get("Description", "") == ""
    expect_tea_error(lambda: kms.update_secret(m.UpdateSecretRequest(secret_name=name, description="d" * 1025)),
                     "InvalidParameter", 400)
    # ExtendedConfig.CustomData is for managed secrets only (the Tea SDK sends it flattened).
    expect_tea_error(lambda: kms.update_secret(m.UpdateSecretRequest(
        secret_name=name, extended_config=m.UpdateSecretRequestExtendedConfig(custom_data={"k": "v"}))),
        "Rejected.UnsupportedOperation", 400)
    not_found(lambda: kms.update_secret(m.UpdateSecretRequest(secret_name=sname("missing-"), description="x")))
    shape("UpdateSecret", raw_ok(backend, "UpdateSecret", {"SecretName": name, "Description": "raw"}))
    assert describe(kms, name)["Description"] == "raw"


def test_describe_secret_by_arn_and_tags(kms):
    name = sname("desc-")
    create(kms, name, description="described", tags=json.dumps([{"TagKey": "a", "TagValue": "1"}]))
    by_name, by_arn = describe(kms, name, "true"), describe(kms, secret_arn(name), "true")
    for d in (by_name, by_arn):
        assert (d["SecretName"], d["Arn"], d["Description"]) == (name, secret_arn(name), "described"), d
        assert tags_of(d) == {"a": "1"}
    assert {k: v for k, v in by_name.items() if k != "RequestId"} == {k: v for k, v in by_arn.items() if k != "RequestId"}
    not_found(lambda: describe(kms, sname("missing-")))
    not_found(lambda: describe(kms, f"acs:kms:{REGION}:1000000000000000:secret/{sname('missing-')}"))


def test_list_secrets_filters_and_paging(kms, backend):
    prefix = f"kw-sdk-ls-{uuid.uuid4().hex[:10]}-"
    tag_key = f"lst-{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}{i}" for i in range(3)]
    create(kms, names[0], description=f"desc {prefix} zero", tags=json.dumps([{"TagKey": tag_key, "TagValue": "red"}]))
    create(kms, names[1], tags=json.dumps([{"TagKey": tag_key, "TagValue": "blue"}]))
    create(kms, names[2])

    assert listed_names(kms, [{"Key": "SecretName", "Values": [names[0], names[2]]}]) == [names[0], names[2]]
    # SecretName matches by substring: the shared prefix selects all three.
    assert listed_names(kms, [{"Key": "SecretName", "Values": [prefix]}]) == names
    assert listed_names(kms, [{"Key": "TagKey", "Values": [tag_key]}]) == names[:2]
    assert listed_names(kms, [{"Key": "TagValue", "Values": ["blue", f"no-{tag_key}"]},
                              {"Key": "SecretName", "Values": [prefix]}]) == [names[1]]
    # Filters are ANDed, values ORed.
    assert listed_names(kms, [{"Key": "TagKey", "Values": [tag_key]}, {"Key": "TagValue", "Values": ["red", "green"]}]) \
        == [names[0]]
    assert listed_names(kms, [{"Key": "Description", "Values": [prefix]}]) == [names[0]]
    assert listed_names(kms, [{"Key": "SecretName", "Values": [prefix]}, {"Key": "SecretType", "Values": ["Generic"]}]) \
        == names
    assert listed_names(kms, [{"Key": "SecretName", "Values": [f"{prefix}nothing"]}]) == []

    # FetchTags.
    body = list_secrets(kms, [{"Key": "SecretName", "Values": [prefix]}], fetch_tags="true")
    got = {s["SecretName"]: tags_of(s) if "Tags" in s else {} for s in body["SecretList"]["Secret"]}
    assert got == {names[0]: {tag_key: "red"}, names[1]: {tag_key: "blue"}, names[2]: {}}
    body = list_secrets(kms, [{"Key": "SecretName", "Values": [prefix]}])
    assert all("Tags" not in s for s in body["SecretList"]["Secret"]), body

    # Paging: one per page over the filter.
    seen = []
    for page in (1, 2, 3):
        body = list_secrets(kms, [{"Key": "SecretName", "Values": [prefix]}], page_number=page, page_size=1)
        assert (body["TotalCount"], body["PageNumber"], body["PageSize"]) == (3, page, 1), body
        assert len(body["SecretList"]["Secret"]) == 1
        seen += [s["SecretName"] for s in body["SecretList"]["Secret"]]
    assert sorted(seen) == names
    body = list_secrets(kms, [{"Key": "SecretName", "Values": [prefix]}], page_number=4, page_size=1)
    assert body["SecretList"]["Secret"] == [] and body["TotalCount"] == 3
    # Defaults: page 1 of 10, TotalCount over every secret.
    body = list_secrets(kms)
    assert (body["PageNumber"], body["PageSize"]) == (1, 10) and body["TotalCount"] >= 3, body
    assert len(body["SecretList"]["Secret"]) == min(10, body["TotalCount"])
    for bad in ({"page_size": 101}, {"page_size": 0}, {"page_number": 0}):
        expect_tea_error(lambda: list_secrets(kms, **bad), "InvalidParameter", 400)
    for bad in ("not json", '{"Key":"SecretName"}', '[{"Key":"Nope","Values":["x"]}]'):
        expect_tea_error(lambda: kms.list_secrets(m.ListSecretsRequest(filters=bad)), "InvalidParameter", 400)

    raw = raw_ok(backend, "ListSecrets", {"Filters": json.dumps([{"Key": "SecretName", "Values": [prefix]}]),
                                          "FetchTags": "true"})
    shape("ListSecrets", raw)
    assert raw["TotalCount"] == 3 and set(raw["SecretList"]) == {"Secret"}
    for s in raw["SecretList"]["Secret"]:
        shape("ListSecrets.Secret", s)


# ===========================================================================
# DeleteSecret, RestoreSecret
# ===========================================================================


def test_delete_window_and_restore(kms, backend):
    name = sname("del-")
    create(kms, name, data="doomed")
    body = delete(kms, name, recovery_window_in_days="7")
    planned = body["PlannedDeleteTime"]
    assert_time_near(planned, utcnow() + dt.timedelta(days=7), 120)
    d = describe(kms, name)
    assert d["PlannedDeleteTime"] == planned, d
    listed = list_secrets(kms, [{"Key": "SecretName", "Values": [name]}])["SecretList"]["Secret"]
    assert [s.get("PlannedDeleteTime") for s in listed] == [planned]

    for fn in (lambda: get(kms, name), lambda: put(kms, name, "v2", "x"),
               lambda: delete(kms, name), lambda: delete(kms, name, recovery_window_in_days="10"),
               lambda: create(kms, name, data="again"),
               lambda: kms.update_secret(m.UpdateSecretRequest(secret_name=name, description="x")),
               lambda: kms.update_secret_version_stage(m.UpdateSecretVersionStageRequest(
                   secret_name=name, version_stage="S", move_to_version="v1"))):
        err = expect_tea_error(fn, "Rejected.ResourceInDeleteWindow", 409)
        no_secret_in(err, "doomed")
    body = kms.batch_get_secret_value(m.BatchGetSecretValueRequest(secrets_list=[
        m.BatchGetSecretValueRequestSecretsList(secret_name=name)])).body.to_map()
    assert [(e["Code"], e["HttpStatus"]) for e in body["Errors"]] == [("Rejected.ResourceInDeleteWindow", 409)]

    body = kms.restore_secret(m.RestoreSecretRequest(secret_name=name)).body.to_map()
    shape("RestoreSecret", body)
    assert body["SecretName"] == name
    assert get(kms, name)["SecretData"] == "doomed"
    assert not describe(kms, name).get("PlannedDeleteTime")
    expect_tea_error(lambda: kms.restore_secret(m.RestoreSecretRequest(secret_name=name)), "Rejected.ResourceInUse", 409)
    not_found(lambda: kms.restore_secret(m.RestoreSecretRequest(secret_name=sname("missing-"))))

    # Default window: 30 days; raw shape.
    raw = shape("DeleteSecret", raw_ok(backend, "DeleteSecret", {"SecretName": name}))
    assert_time_near(raw["PlannedDeleteTime"], utcnow() + dt.timedelta(days=30), 120)
    shape("RestoreSecret", raw_ok(backend, "RestoreSecret", {"SecretName": name}))
    delete(kms, secret_arn(name), recovery_window_in_days="30")
    kms.restore_secret(m.RestoreSecretRequest(secret_name=secret_arn(name)))


@pytest.mark.parametrize("window", ["6", "31", "0", "-7", "abc", "7.5"])
def test_delete_window_out_of_range(kms, window):
    name = sname("delbad-")
    create(kms, name)
    err = expect_tea_error(lambda: delete(kms, name, recovery_window_in_days=window), "InvalidParameter", 400)
    assert "RecoveryWindowInDays" in err.data["Message"]
    assert get(kms, name)["SecretName"] == name


def test_force_delete(kms):
    name = sname("force-")
    create(kms, name, data="gone")
    err = expect_tea_error(lambda: delete(kms, name, force_delete_without_recovery="true", recovery_window_in_days="7"),
                           "InvalidParameter", 400)
    assert "RecoveryWindowInDays" in err.data["Message"] or "ForceDeleteWithoutRecovery" in err.data["Message"]
    assert get(kms, name)["SecretData"] == "gone"
    # Explicit false is an ordinary scheduled deletion.
    assert_time_near(delete(kms, name, force_delete_without_recovery="false")["PlannedDeleteTime"],
                     utcnow() + dt.timedelta(days=30), 120)
    kms.restore_secret(m.RestoreSecretRequest(secret_name=name))

    body = delete(kms, name, force_delete_without_recovery="true")
    assert_time_near(body["PlannedDeleteTime"], utcnow(), 120)
    not_found(lambda: describe(kms, name))
    not_found(lambda: get(kms, name))
    not_found(lambda: versions(kms, name))
    not_found(lambda: kms.restore_secret(m.RestoreSecretRequest(secret_name=name)))
    assert listed_names(kms, [{"Key": "SecretName", "Values": [name]}]) == []
    # The name is free again, with no trace of the old versions.
    create(kms, name, data="reborn", version="v1")
    assert get(kms, name)["SecretData"] == "reborn"
    assert versions(kms, name, "true") == {"v1": [CURRENT]}

    # A secret already in its window can still be force-deleted.
    delete(kms, name, recovery_window_in_days="7")
    delete(kms, name, force_delete_without_recovery="true")
    not_found(lambda: describe(kms, name))
    not_found(lambda: delete(kms, name))


# ===========================================================================
# GetRandomPassword (stateless)
# ===========================================================================


def password(tea, **kw) -> str:
    body = tea.get_random_password(m.GetRandomPasswordRequest(**kw)).body.to_map()
    shape("GetRandomPassword", body)
    return body["RandomPassword"]


def test_get_random_password(tea, server):
    pw = password(tea)
    assert len(pw) == 32 and all(c in string.ascii_letters + string.digits + PUNCTUATION for c in pw), pw
    assert len({password(tea) for _ in range(5)}) == 5
    for n in (8, 64, 128):
        assert len(password(tea, password_length=str(n))) == n
    classes = {
        "exclude_lowercase": string.ascii_lowercase, "exclude_uppercase": string.ascii_uppercase,
        "exclude_numbers": string.digits, "exclude_punctuation": PUNCTUATION,
    }
    for flag, chars in classes.items():
        got = "".join(password(tea, password_length="128", **{flag: "true"}) for _ in range(4))
        assert not set(got) & set(chars), f"{flag}: {got}"
        assert len(password(tea, **{flag: "false"})) == 32
    only_digits = password(tea, password_length="64", exclude_lowercase="true", exclude_uppercase="true",
                           exclude_punctuation="true")
    assert only_digits.isdigit(), only_digits
    excluded = "aeiouAEIOU0123!@#"
    got = "".join(password(tea, password_length="128", exclude_characters=excluded) for _ in range(4))
    assert not set(got) & set(excluded), got
    # RequireEachIncludedType (default true): every included class appears, even in 8 characters.
    for _ in range(25):
        pw = password(tea, password_length="8")
        for chars in classes.values():
            assert set(pw) & set(chars), f"{pw} lacks one of {chars}"
        pw = password(tea, password_length="8", exclude_punctuation="true", require_each_included_type="true")
        assert set(pw) & set(string.ascii_lowercase) and set(pw) & set(string.ascii_uppercase) \
            and set(pw) & set(string.digits) and not set(pw) & set(PUNCTUATION), pw
    assert len(password(tea, password_length="8", require_each_included_type="false")) == 8

    for n in ("7", "129", "0", "-1", "abc"):
        err = expect_tea_error(lambda: password(tea, password_length=n), "InvalidParameter", 400)
        assert "PasswordLength" in err.data["Message"]
    expect_tea_error(lambda: password(tea, exclude_lowercase="true", exclude_uppercase="true", exclude_numbers="true",
                                      exclude_punctuation="true"), "InvalidParameter", 400)
    shape("GetRandomPassword", raw_ok(server, "GetRandomPassword", {"PasswordLength": "10"}))


# ===========================================================================
# Secret policy
# ===========================================================================


def test_secret_policy_round_trip(kms, backend):
    name = sname("pol-")
    create(kms, name)
    body = kms.get_secret_policy(m.GetSecretPolicyRequest(secret_name=name)).body.to_map()
    shape("GetSecretPolicy", body)
    default = json.loads(body["Policy"])
    assert isinstance(default, dict) and "Version" in default and isinstance(default["Statement"], list), default

    policy = {"Version": "1", "Statement": [{"Effect": "Allow", "Principal": {"RAM": ["acs:ram::1000000000000000:*"]},
                                             "Action": ["kms:GetSecretValue"], "Resource": ["*"], "Sid": "read ✓"}]}
    body = kms.set_secret_policy(m.SetSecretPolicyRequest(secret_name=name, policy=json.dumps(policy))).body.to_map()
    shape("SetSecretPolicy", body)
    for pn in (None, "default"):
        got = kms.get_secret_policy(m.GetSecretPolicyRequest(secret_name=name, policy_name=pn)).body.policy
        assert json.loads(got) == policy
    kms.set_secret_policy(m.SetSecretPolicyRequest(secret_name=secret_arn(name), policy_name="default",
                                                   policy=json.dumps(default)))
    assert json.loads(raw_ok(backend, "GetSecretPolicy", {"SecretName": name})["Policy"]) == default

    for bad in ("{", "not json", "[]", '"text"', '{"Version":"1"}'):
        err = expect_tea_error(lambda: kms.set_secret_policy(m.SetSecretPolicyRequest(secret_name=name, policy=bad)),
                               "InvalidParameter", 400)
        assert "Policy" in err.data["Message"]
    expect_tea_error(lambda: kms.set_secret_policy(m.SetSecretPolicyRequest(
        secret_name=name, policy=json.dumps(policy), policy_name="custom")), "InvalidParameter", 400)
    expect_tea_error(lambda: kms.get_secret_policy(m.GetSecretPolicyRequest(secret_name=name, policy_name="custom")),
                     "InvalidParameter", 400)
    assert json.loads(kms.get_secret_policy(m.GetSecretPolicyRequest(secret_name=name)).body.policy) == default
    not_found(lambda: kms.get_secret_policy(m.GetSecretPolicyRequest(secret_name=sname("missing-"))))
    not_found(lambda: kms.set_secret_policy(m.SetSecretPolicyRequest(secret_name=sname("missing-"),
                                                                     policy=json.dumps(policy))))
    # CreateSecret's Policy goes through the same checks.
    with_policy = sname("pol-")
    create(kms, with_policy, policy=json.dumps(policy))
    assert json.loads(kms.get_secret_policy(m.GetSecretPolicyRequest(secret_name=with_policy)).body.policy) == policy
    expect_tea_error(lambda: create(kms, policy="{"), "InvalidParameter", 400)


# ===========================================================================
# Rotation of managed secrets: not for Generic
# ===========================================================================


def test_rotation_actions_refused_for_generic(kms):
    name = sname("rot-")
    create(kms, name)
    err = expect_tea_error(lambda: kms.rotate_secret(m.RotateSecretRequest(secret_name=name, version_id="r1")),
                           "Rejected.UnsupportedOperation", 400)
    assert err.data["Message"]
    expect_tea_error(lambda: kms.update_secret_rotation_policy(m.UpdateSecretRotationPolicyRequest(
        secret_name=name, enable_automatic_rotation=True, rotation_interval="7d")), "Rejected.UnsupportedOperation", 400)
    expect_tea_error(lambda: kms.update_secret_rotation_policy(m.UpdateSecretRotationPolicyRequest(
        secret_name=name, enable_automatic_rotation=False)), "Rejected.UnsupportedOperation", 400)
    assert versions(kms, name, "true") == {"v1": [CURRENT]}
    not_found(lambda: kms.rotate_secret(m.RotateSecretRequest(secret_name=sname("missing-"), version_id="r1")))
    not_found(lambda: kms.update_secret_rotation_policy(m.UpdateSecretRotationPolicyRequest(
        secret_name=sname("missing-"), enable_automatic_rotation=True, rotation_interval="7d")))


# ===========================================================================
# Tags on secrets
# ===========================================================================


def test_tag_resource_on_secret(kms):
    name = sname("tr-")
    create(kms, name)
    body = kms.tag_resource(m.TagResourceRequest(
        secret_name=name, tags=json.dumps([{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "a"}]),
    )).body.to_map()
    assert set(body) == {"RequestId"}, body
    assert tags_of(describe(kms, name, "true")) == {"env": "prod", "team": "a"}
    kms.tag_resource(m.TagResourceRequest(secret_name=secret_arn(name),
                                          tags=json.dumps([{"TagKey": "env", "TagValue": "dev"}])))
    assert tags_of(describe(kms, name, "true")) == {"env": "dev", "team": "a"}
    body = kms.untag_resource(m.UntagResourceRequest(secret_name=name, tag_keys='["team"]')).body.to_map()
    assert set(body) == {"RequestId"}, body
    assert tags_of(describe(kms, name, "true")) == {"env": "dev"}
    assert listed_names(kms, [{"Key": "TagValue", "Values": ["dev"]}, {"Key": "SecretName", "Values": [name]}]) == [name]
    not_found(lambda: kms.tag_resource(m.TagResourceRequest(
        secret_name=sname("missing-"), tags=json.dumps([{"TagKey": "a", "TagValue": "b"}]))))


def test_tag_resources_on_secrets(kms):
    a, b = sname("trs-"), sname("trs-")
    create(kms, a)
    create(kms, b)
    uniq = f"batch-{uuid.uuid4().hex[:8]}"
    body = kms.tag_resources(m.TagResourcesRequest(
        region_id=REGION, resource_type="secret", resource_id=[a, b],
        tag=[m.TagResourcesRequestTag(key=uniq, value="1"), m.TagResourcesRequestTag(key="color", value="red")],
    )).body.to_map()
    assert set(body) == {"RequestId"}, body
    for n in (a, b):
        assert tags_of(describe(kms, n, "true")) == {uniq: "1", "color": "red"}

    listed = kms.list_tag_resources(m.ListTagResourcesRequest(
        region_id=REGION, resource_type="secret", resource_id=[a, b])).body.to_map()
    rows = sorted((r["ResourceId"], r["ResourceType"], r["TagKey"], r["TagValue"]) for r in listed["TagResources"]["TagResource"])
    assert rows == sorted((n, "secret", k, v) for n in (a, b) for k, v in ((uniq, "1"), ("color", "red"))), listed
    by_tag = kms.list_tag_resources(m.ListTagResourcesRequest(
        region_id=REGION, resource_type="secret", tag=[m.ListTagResourcesRequestTag(key=uniq)])).body.to_map()
    assert {r["ResourceId"] for r in by_tag["TagResources"]["TagResource"]} == {a, b}

    kms.untag_resources(m.UntagResourcesRequest(region_id=REGION, resource_type="secret", resource_id=[a],
                                                tag_key=["color"]))
    assert tags_of(describe(kms, a, "true")) == {uniq: "1"}
    assert tags_of(describe(kms, b, "true")) == {uniq: "1", "color": "red"}


# ===========================================================================
# The classic V1 SDK: SecretData in the URL query
# ===========================================================================


def test_v1_sdk_secret_lifecycle(backend, kms, captured_http):
    core = core_client(backend)
    name = sname("v1-")
    data = "p@ss w+rd&=/%密 ✓"
    req = CreateSecretRequest.CreateSecretRequest()
    req.set_SecretName(name)
    req.set_VersionId("v1")
    req.set_SecretData(data)
    req.set_Description("from the V1 SDK")
    req.set_Tags(json.dumps([{"TagKey": "sdk", "TagValue": "v1"}]))
    body = core_call(core, backend, req)
    assert (body["SecretName"], body["VersionId"], body["Arn"]) == (name, "v1", secret_arn(name)), body
    # The V1 SDK put SecretData in the query and sent no body.
    method, url, sent = captured_http[-1]
    assert parse_qs(urlsplit(url).query)["SecretData"] == [data] and sent == b"", (url, sent)

    for http_method in ("POST", "GET"):
        req = GetSecretValueRequest.GetSecretValueRequest()
        req.set_SecretName(name)
        got = core_call(core, backend, req, method=http_method)
        assert (got["SecretData"], got["VersionStages"]["VersionStage"]) == (data, [CURRENT]), got

    req = PutSecretValueRequest.PutSecretValueRequest()
    req.set_SecretName(name)
    req.set_VersionId("v2")
    req.set_SecretData(data + " 2")
    req.set_VersionStages(json.dumps([CURRENT, "Extra"]))
    body = core_call(core, backend, req)
    assert sorted(body["VersionStages"]["VersionStage"]) == sorted([CURRENT, "Extra"]), body
    assert get(kms, name)["SecretData"] == data + " 2"
    assert get(kms, name, version_stage=PREVIOUS)["SecretData"] == data

    req = UpdateSecretVersionStageRequest.UpdateSecretVersionStageRequest()
    req.set_SecretName(name)
    req.set_VersionStage("Extra")
    req.set_RemoveFromVersion("v2")
    req.set_MoveToVersion("v1")
    core_call(core, backend, req)
    assert versions(kms, name) == {"v1": sorted([PREVIOUS, "Extra"]), "v2": [CURRENT]}

    req = DescribeSecretRequest.DescribeSecretRequest()
    req.set_SecretName(name)
    req.set_FetchTags("true")
    d = core_call(core, backend, req)
    assert d["Description"] == "from the V1 SDK" and d["Tags"]["Tag"] == [{"TagKey": "sdk", "TagValue": "v1"}], d

    req = UpdateSecretRequest.UpdateSecretRequest()
    req.set_SecretName(name)
    req.set_ExtendedConfigCustomData(json.dumps({"k": "v"}))
    expect_core_error(lambda: core_call(core, backend, req), "Rejected.UnsupportedOperation", 400)

    req = ListSecretsRequest.ListSecretsRequest()
    req.set_Filters(json.dumps([{"Key": "SecretName", "Values": [name]}]))
    req.set_FetchTags("true")
    listed = core_call(core, backend, req)
    assert [s["SecretName"] for s in listed["SecretList"]["Secret"]] == [name] and listed["TotalCount"] == 1

    req = GetSecretValueRequest.GetSecretValueRequest()
    req.set_SecretName(sname("missing-"))
    expect_core_error(lambda: core_call(core, backend, req), "Forbidden.ResourceNotFound", 404)

    req = DeleteSecretRequest.DeleteSecretRequest()
    req.set_SecretName(name)
    req.set_ForceDeleteWithoutRecovery("true")
    core_call(core, backend, req)
    not_found(lambda: describe(kms, name))


def test_tea_sends_secret_data_in_the_body(kms, captured_http):
    name = sname("body-")
    data = "body & soul = 100% ✓"
    create(kms, name, data=data)
    method, url, sent = captured_http[-1]
    query = parse_qs(urlsplit(url).query)
    assert "SecretData" not in query and query["SecretName"] == [name], url
    assert parse_qs(sent.decode())["SecretData"] == [data], sent
    put(kms, name, "v2", data + "!")
    method, url, sent = captured_http[-1]
    assert "SecretData" not in parse_qs(urlsplit(url).query)
    assert parse_qs(sent.decode())["SecretData"] == [data + "!"]
    assert get(kms, name)["SecretData"] == data + "!"


def test_v1_sdk_max_secret_data_in_query(backend, kms):
    """30720 bytes of SecretData in the URL query (the V1 SDK's only transport) fit."""
    core = core_client(backend)
    name = sname("v1big-")
    data = ("ABCDEFGHIJKLMNOP" * (MAX_DATA // 16))[:MAX_DATA]
    req = CreateSecretRequest.CreateSecretRequest()
    req.set_SecretName(name)
    req.set_VersionId("v1")
    req.set_SecretData(data)
    core_call(core, backend, req)
    assert get(kms, name)["SecretData"] == data
    req = PutSecretValueRequest.PutSecretValueRequest()
    req.set_SecretName(name)
    req.set_VersionId("v2")
    req.set_SecretData(data + "Q")
    expect_core_error(lambda: core_call(core, backend, req), "InvalidParameter", 400)
