"""Key versions, rotation policy, aliases and tags through the official SDKs (ALIBABA.md §5.1,
§5.6): CreateKeyVersion / DescribeKeyVersion / ListKeyVersions / UpdateRotationPolicy (and
BYOK rotation of an EXTERNAL key in a software instance), CreateAlias / UpdateAlias /
DeleteAlias / ListAliases / ListAliasesByKeyId with aliases used wherever a KeyId goes, and
TagResource / UntagResource / ListResourceTags / TagResources / UntagResources /
ListTagResources / ListKeys tag filters.

These are storage-sensitive, so they run once per backend (SQLite, and PostgreSQL when
KEYWARD_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import pytest

from alibabacloud_kms20160120 import models as m
from Tea.exceptions import TeaException
from aliyunsdkkms.request.v20160120 import (
    CreateAliasRequest,
    DeleteAliasRequest,
    ListAliasesByKeyIdRequest,
    ListTagResourcesRequest,
    TagResourcesRequest,
    UntagResourcesRequest,
)

import crypto_support as cs
from crypto_support import ENC, SIGN, b64, unb64
from kwhelpers import (
    ACCOUNT_ID,
    REGION,
    REQUEST_ID_RE,
    assert_time_near,
    core_call,
    core_client,
    expect_core_error,
    expect_tea_error,
    key_arn,
    tea_client,
    utcnow,
)


@pytest.fixture(scope="module")
def client(backend):
    return tea_client(backend)


def alias_arn(name: str) -> str:
    return f"acs:kms:{REGION}:{ACCOUNT_ID}:{name}"


def unique_alias(tag: str = "") -> str:
    return f"alias/kw-sdk-{tag}{uuid.uuid4().hex[:12]}"


@pytest.fixture
def aliases(client):
    """Records the aliases a test creates and deletes them afterwards (quota: 300 per server)."""
    made: list[str] = []

    def create(key_id: str, name: str | None = None) -> str:
        name = name or unique_alias()
        body = client.create_alias(m.CreateAliasRequest(alias_name=name, key_id=key_id)).body.to_map()
        assert set(body) == {"RequestId"} and REQUEST_ID_RE.match(body["RequestId"]), body
        made.append(name)
        return name

    create.made = made  # type: ignore[attr-defined]
    yield create
    for name in made:
        try:
            client.delete_alias(m.DeleteAliasRequest(alias_name=name))
        except TeaException as exc:
            assert exc.code == "Forbidden.AliasNotFound", exc


def expect_400(fn, codes: tuple[str, ...]) -> TeaException:
    """A 400 whose code is one of `codes` (where the documentation allows either)."""
    with pytest.raises(TeaException) as info:
        fn()
    err = info.value
    assert err.status_code == 400 and err.code in codes, f"expected 400 {codes}, got {err.status_code} {err.code}: {err.message}"
    return err


def message_names(err, name: str) -> None:
    assert name in err.data["Message"], f"the message should name {name}: {err.data['Message']!r}"


# ===========================================================================
# Key versions
# ===========================================================================


def describe_version(client, key_id: str, version_id: str) -> dict:
    body = client.describe_key_version(m.DescribeKeyVersionRequest(key_id=key_id, key_version_id=version_id)).body.to_map()
    assert set(body) == {"RequestId", "KeyVersion"}, body
    return body["KeyVersion"]


def list_versions(client, key_id: str, page_size: int | None = None) -> list[dict]:
    out, page = [], 1
    while True:
        body = client.list_key_versions(
            m.ListKeyVersionsRequest(key_id=key_id, page_number=page, page_size=page_size)
        ).body.to_map()
        assert set(body) == {"RequestId", "KeyVersions", "TotalCount", "PageNumber", "PageSize"}, body
        assert body["PageNumber"] == page
        items = body["KeyVersions"]["KeyVersion"]
        out += items
        if not items or len(out) >= body["TotalCount"]:
            assert len(out) == body["TotalCount"], body
            return out
        page += 1


def create_version(client, key_ref: str) -> dict:
    body = client.create_key_version(m.CreateKeyVersionRequest(key_id=key_ref)).body.to_map()
    assert set(body) == {"RequestId", "KeyVersion"}, body
    v = body["KeyVersion"]
    assert set(v) == {"KeyId", "KeyVersionId", "CreationDate"}, v
    assert_time_near(v["CreationDate"], utcnow(), 120)
    return v


@pytest.mark.parametrize("spec", ["Aliyun_AES_256", "Aliyun_AES_128", "Aliyun_SM4"])
def test_create_key_version_rotates_primary(client, spec):
    meta = cs.create_key(client, spec)
    key_id, v1 = meta["KeyId"], meta["PrimaryKeyVersion"]
    assert cs.is_uuid(v1), v1
    c1 = cs.encrypt(client, key_id, "under v1", {"c": "1"})
    assert c1["KeyVersionId"] == v1
    d1 = client.generate_data_key(m.GenerateDataKeyRequest(key_id=key_id)).body

    v = create_version(client, key_id)
    v2 = v["KeyVersionId"]
    assert v["KeyId"] == key_id and v2 != v1 and cs.is_uuid(v2), v
    assert cs.describe(client, key_id)["PrimaryKeyVersion"] == v2
    c2 = cs.encrypt(client, key_id, "under v2")
    assert c2["KeyVersionId"] == v2
    assert cs.split_blob(c2["CiphertextBlob"])[0] == v2

    # Old ciphertexts keep decrypting under their own version.
    dec = cs.decrypt(client, c1["CiphertextBlob"], {"c": "1"})
    assert (dec["Plaintext"], dec["KeyId"], dec["KeyVersionId"]) == ("under v1", key_id, v1)
    assert cs.decrypt(client, d1.ciphertext_blob)["Plaintext"] == d1.plaintext
    dec = cs.decrypt(client, c2["CiphertextBlob"])
    assert (dec["Plaintext"], dec["KeyVersionId"]) == ("under v2", v2)
    # ReEncrypt moves an old ciphertext to the new primary.
    re = client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=c1["CiphertextBlob"], destination_key_id=key_id, source_encryption_context={"c": "1"},
    )).body
    assert re.key_version_id == v1
    assert cs.split_blob(re.ciphertext_blob)[0] == v2
    assert cs.decrypt(client, re.ciphertext_blob)["KeyVersionId"] == v2

    # DescribeKeyVersion / ListKeyVersions.
    for vid in (v1, v2):
        kv = describe_version(client, key_id, vid)
        assert set(kv) == {"KeyId", "KeyVersionId", "CreationDate"}, kv
        assert (kv["KeyId"], kv["KeyVersionId"]) == (key_id, vid)
    assert describe_version(client, key_id, v2)["CreationDate"] == v["CreationDate"]
    listed = list_versions(client, key_id)
    assert {x["KeyVersionId"] for x in listed} == {v1, v2}
    assert all(x["KeyId"] == key_id for x in listed)


def test_key_versions_paging_and_refs(client):
    meta = cs.create_key(client)
    key_id = meta["KeyId"]
    versions = [meta["PrimaryKeyVersion"]]
    blobs = [cs.encrypt(client, key_id, "v0")["CiphertextBlob"]]
    for i, ref in enumerate((key_id, key_arn(key_id), key_id, key_id), start=1):
        versions.append(create_version(client, ref)["KeyVersionId"])
        blobs.append(cs.encrypt(client, key_id, f"v{i}")["CiphertextBlob"])
    assert len(set(versions)) == 5
    assert cs.describe(client, key_id)["PrimaryKeyVersion"] == versions[-1]
    for i, blob in enumerate(blobs):
        dec = cs.decrypt(client, blob)
        assert (dec["Plaintext"], dec["KeyVersionId"]) == (f"v{i}", versions[i])

    body = client.list_key_versions(m.ListKeyVersionsRequest(key_id=key_id)).body.to_map()
    assert body["TotalCount"] == 5 and body["PageNumber"] == 1 and body["PageSize"] == 10
    assert len(body["KeyVersions"]["KeyVersion"]) == 5
    for size in (1, 2, 3, 5, 100):
        got = list_versions(client, key_id, size)
        assert [x["KeyVersionId"] for x in got] == [x["KeyVersionId"] for x in body["KeyVersions"]["KeyVersion"]]
    page3 = client.list_key_versions(m.ListKeyVersionsRequest(key_id=key_id, page_number=3, page_size=2)).body
    assert len(page3.key_versions.key_version) == 1 and page3.total_count == 5
    beyond = client.list_key_versions(m.ListKeyVersionsRequest(key_id=key_id, page_number=9, page_size=2)).body
    assert beyond.key_versions.key_version == [] and beyond.total_count == 5
    assert set(versions) == {x["KeyVersionId"] for x in body["KeyVersions"]["KeyVersion"]}


def test_key_version_errors(client):
    key_id = cs.create_key(client)["KeyId"]
    other = cs.create_key(client)
    expect_tea_error(lambda: describe_version(client, key_id, str(uuid.uuid4())), "Forbidden.KeyVersionNotFound", 404)
    expect_tea_error(lambda: describe_version(client, key_id, other["PrimaryKeyVersion"]),
                     "Forbidden.KeyVersionNotFound", 404)
    expect_tea_error(lambda: describe_version(client, str(uuid.uuid4()), other["PrimaryKeyVersion"]),
                     "Forbidden.KeyNotFound", 404)
    expect_tea_error(lambda: create_version(client, str(uuid.uuid4())), "Forbidden.KeyNotFound", 404)
    expect_tea_error(lambda: client.list_key_versions(m.ListKeyVersionsRequest(key_id=str(uuid.uuid4()))),
                     "Forbidden.KeyNotFound", 404)
    err = expect_tea_error(lambda: client.describe_key_version(m.DescribeKeyVersionRequest(key_id=key_id)),
                           "MissingParameter", 400)
    message_names(err, "KeyVersionId")

    # Asymmetric keys and default (non-instance) EXTERNAL keys do not rotate.
    for spec, usage in (("RSA_2048", SIGN), ("EC_P256", SIGN), ("EC_SM2", ENC)):
        k = cs.create_key(client, spec, usage)["KeyId"]
        expect_tea_error(lambda: create_version(client, k), "Rejected.UnsupportedOperation", 400)
    ext = cs.create_key(client, origin="EXTERNAL")["KeyId"]
    expect_tea_error(lambda: create_version(client, ext), "Rejected.UnsupportedOperation", 400)

    # State: Disabled, PendingDeletion.
    client.disable_key(m.DisableKeyRequest(key_id=key_id))
    expect_tea_error(lambda: create_version(client, key_id), "Rejected.Disabled", 409)
    client.enable_key(m.EnableKeyRequest(key_id=key_id))
    client.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    expect_tea_error(lambda: create_version(client, key_id), "Rejected.PendingDeletion", 409)
    # Versions stay readable in any state.
    assert len(list_versions(client, key_id)) == 1


def test_asymmetric_key_versions_listed(client):
    meta = cs.create_key(client, "EC_P256", SIGN)
    listed = list_versions(client, meta["KeyId"])
    assert [x["KeyVersionId"] for x in listed] == [meta["PrimaryKeyVersion"]]
    kv = describe_version(client, meta["KeyId"], meta["PrimaryKeyVersion"])
    assert kv["CreationDate"] == meta["CreationDate"]


# ---------------------------------------------------------------------------
# Rotation policy
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("interval,seconds", [
    ("30d", 2592000), ("7d", 604800), ("604800s", 604800), ("168h", 604800), ("10080m", 604800),
    ("365d", 31536000), ("730d", 63072000),
])
def test_update_rotation_policy(client, interval, seconds):
    key_id = cs.create_key(client)["KeyId"]
    before = cs.describe(client, key_id)
    assert before["AutomaticRotation"] == "Disabled", before
    body = client.update_rotation_policy(m.UpdateRotationPolicyRequest(
        key_id=key_id, enable_automatic_rotation=True, rotation_interval=interval,
    )).body.to_map()
    assert set(body) == {"RequestId"}, body
    d = cs.describe(client, key_id)
    assert d["AutomaticRotation"] == "Enabled", d
    assert d["RotationInterval"] == f"{seconds}s", d
    # The next rotation is one interval after the last one (the key's creation).
    last = d["LastRotationDate"]
    assert_time_near(d["NextRotationDate"], utcnow() + dt.timedelta(seconds=seconds), 300)
    assert_time_near(d["NextRotationDate"], dt.datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc) + dt.timedelta(seconds=seconds), 5)

    # Disabling keeps the key as it was.
    client.update_rotation_policy(m.UpdateRotationPolicyRequest(key_id=key_id, enable_automatic_rotation=False))
    d = cs.describe(client, key_id)
    assert d["AutomaticRotation"] == "Disabled", d
    assert d["PrimaryKeyVersion"] == before["PrimaryKeyVersion"]


def test_rotation_policy_via_create_key_and_alias(client, aliases):
    meta = cs.create_key(client, enable_automatic_rotation=True, rotation_interval="90d")
    d = cs.describe(client, meta["KeyId"])
    assert (d["AutomaticRotation"], d["RotationInterval"]) == ("Enabled", "7776000s"), d
    name = aliases(meta["KeyId"])
    client.update_rotation_policy(m.UpdateRotationPolicyRequest(
        key_id=name, enable_automatic_rotation=True, rotation_interval="14d"))
    d = cs.describe(client, meta["KeyId"])
    assert (d["AutomaticRotation"], d["RotationInterval"]) == ("Enabled", "1209600s"), d


@pytest.mark.parametrize("interval", ["6d", "604799s", "1h", "0d", "-7d", "731d", "abc", "7x", "d", "7 d"])
def test_rotation_interval_invalid(client, interval):
    key_id = cs.create_key(client)["KeyId"]
    err = expect_tea_error(lambda: client.update_rotation_policy(m.UpdateRotationPolicyRequest(
        key_id=key_id, enable_automatic_rotation=True, rotation_interval=interval,
    )), "InvalidParameter", 400)
    message_names(err, "RotationInterval")
    assert cs.describe(client, key_id)["AutomaticRotation"] == "Disabled"


def test_rotation_policy_rejected(client):
    # Enabling needs an interval.
    key_id = cs.create_key(client)["KeyId"]
    with pytest.raises(TeaException) as info:
        client.update_rotation_policy(m.UpdateRotationPolicyRequest(key_id=key_id, enable_automatic_rotation=True))
    assert info.value.status_code == 400 and info.value.code in ("MissingParameter", "InvalidParameter"), info.value
    assert "RotationInterval" in info.value.data["Message"]
    # BYOK and asymmetric keys do not rotate automatically.
    ext = cs.create_key(client, origin="EXTERNAL")["KeyId"]
    for k in (ext, cs.create_key(client, "RSA_2048", SIGN)["KeyId"], cs.create_key(client, "EC_SM2", ENC)["KeyId"]):
        expect_tea_error(lambda: client.update_rotation_policy(m.UpdateRotationPolicyRequest(
            key_id=k, enable_automatic_rotation=True, rotation_interval="30d")), "Rejected.UnsupportedOperation", 400)
    expect_tea_error(lambda: client.update_rotation_policy(m.UpdateRotationPolicyRequest(
        key_id=str(uuid.uuid4()), enable_automatic_rotation=True, rotation_interval="30d")), "Forbidden.KeyNotFound", 404)


# ---------------------------------------------------------------------------
# BYOK rotation: an EXTERNAL symmetric key in a software instance
# ---------------------------------------------------------------------------


def test_byok_rotation_in_instance(client, backend):
    instance = backend.create_instance(key_quota=10)
    meta = cs.create_key(client, "Aliyun_AES_256", origin="EXTERNAL", dkmsinstance_id=instance)
    key_id, v1 = meta["KeyId"], meta["PrimaryKeyVersion"]
    assert meta["KeyState"] == "PendingImport"
    m1, m2 = hashlib.sha256(b"material-1").digest(), hashlib.sha256(b"material-2").digest()
    cs.import_symmetric(backend, key_id, m1)
    assert cs.describe(client, key_id)["KeyState"] == "Enabled"
    c1 = cs.encrypt(client, key_id, "before rotation")
    assert c1["KeyVersionId"] == v1

    # The new version waits for its material; the old one stays primary meanwhile.
    v2 = create_version(client, key_id)["KeyVersionId"]
    assert v2 != v1
    d = cs.describe(client, key_id)
    assert (d["KeyState"], d["PrimaryKeyVersion"]) == ("Enabled", v1), d
    assert cs.encrypt(client, key_id, "still v1")["KeyVersionId"] == v1
    assert {x["KeyVersionId"] for x in list_versions(client, key_id)} == {v1, v2}
    assert describe_version(client, key_id, v2)["KeyVersionId"] == v2

    # GetParametersForImport with KeyVersionId targets the new version.
    params = cs.gpfi(backend, key_id, v2)
    assert params["KeyId"] == key_id
    expect_core_error(lambda: cs.gpfi(backend, key_id, str(uuid.uuid4())), "Forbidden.KeyVersionNotFound", 404)
    cs.import_symmetric(backend, key_id, m2, v2)
    d = cs.describe(client, key_id)
    assert (d["KeyState"], d["PrimaryKeyVersion"]) == ("Enabled", v2), d
    c2 = cs.encrypt(client, key_id, "after rotation")
    assert c2["KeyVersionId"] == v2
    dec1, dec2 = cs.decrypt(client, c1["CiphertextBlob"]), cs.decrypt(client, c2["CiphertextBlob"])
    assert (dec1["Plaintext"], dec1["KeyVersionId"]) == ("before rotation", v1)
    assert (dec2["Plaintext"], dec2["KeyVersionId"]) == ("after rotation", v2)
    # Re-importing v1's material into v1 (no KeyVersionId = the primary, now v2) is refused:
    # the primary is bound to m2.
    from aliyunsdkcore.acs_exception.exceptions import ServerException

    with pytest.raises(ServerException) as info:
        cs.import_symmetric(backend, key_id, m1)
    assert info.value.get_error_code() == "InvalidKeyMaterial"
    # Automatic rotation stays unavailable for BYOK keys.
    expect_tea_error(lambda: client.update_rotation_policy(m.UpdateRotationPolicyRequest(
        key_id=key_id, enable_automatic_rotation=True, rotation_interval="30d")), "Rejected.UnsupportedOperation", 400)


# ===========================================================================
# Aliases
# ===========================================================================


def list_aliases_by_key(client, key_id: str, page_size: int | None = None) -> list[dict]:
    out, page = [], 1
    while True:
        body = client.list_aliases_by_key_id(
            m.ListAliasesByKeyIdRequest(key_id=key_id, page_number=page, page_size=page_size)
        ).body.to_map()
        assert set(body) == {"RequestId", "Aliases", "TotalCount", "PageNumber", "PageSize"}, body
        items = body["Aliases"]["Alias"]
        out += items
        if not items or len(out) >= body["TotalCount"]:
            assert len(out) == body["TotalCount"], body
            return out
        page += 1


def list_all_aliases(client, page_size: int = 50) -> list[dict]:
    out, page = [], 1
    while True:
        body = client.list_aliases(m.ListAliasesRequest(page_number=page, page_size=page_size)).body.to_map()
        assert set(body) == {"RequestId", "Aliases", "TotalCount", "PageNumber", "PageSize"}, body
        assert (body["PageNumber"], body["PageSize"]) == (page, page_size)
        items = body["Aliases"]["Alias"]
        out += items
        if not items or len(out) >= body["TotalCount"]:
            return out
        page += 1


def entry(name: str, key_id: str) -> dict:
    return {"AliasName": name, "AliasArn": alias_arn(name), "KeyId": key_id}


def test_alias_lifecycle(client, aliases):
    k1 = cs.create_key(client)["KeyId"]
    k2 = cs.create_key(client, "Aliyun_SM4")["KeyId"]
    name = aliases(k1)

    assert list_aliases_by_key(client, k1) == [entry(name, k1)]
    assert entry(name, k1) in list_all_aliases(client)
    for ref in (name, alias_arn(name)):
        assert cs.describe(client, ref)["KeyId"] == k1
        enc = cs.encrypt(client, ref, "via alias")
        assert enc["KeyId"] == k1
        assert cs.decrypt(client, enc["CiphertextBlob"])["Plaintext"] == "via alias"

    # UpdateAlias rebinds it.
    body = client.update_alias(m.UpdateAliasRequest(alias_name=name, key_id=k2)).body.to_map()
    assert set(body) == {"RequestId"}, body
    assert list_aliases_by_key(client, k1) == []
    assert list_aliases_by_key(client, k2) == [entry(name, k2)]
    assert cs.encrypt(client, name, "now k2")["KeyId"] == k2
    assert cs.describe(client, alias_arn(name))["KeyId"] == k2

    # DeleteAlias; afterwards the name is unknown and free again.
    body = client.delete_alias(m.DeleteAliasRequest(alias_name=name)).body.to_map()
    assert set(body) == {"RequestId"}, body
    assert list_aliases_by_key(client, k2) == []
    assert all(a["AliasName"] != name for a in list_all_aliases(client))
    expect_tea_error(lambda: cs.describe(client, name), "Forbidden.AliasNotFound", 404)
    expect_tea_error(lambda: cs.encrypt(client, name, "x"), "Forbidden.AliasNotFound", 404)
    expect_tea_error(lambda: client.delete_alias(m.DeleteAliasRequest(alias_name=name)), "Forbidden.AliasNotFound", 404)
    expect_tea_error(lambda: client.update_alias(m.UpdateAliasRequest(alias_name=name, key_id=k1)),
                     "Forbidden.AliasNotFound", 404)
    aliases(k1, name)
    assert cs.describe(client, name)["KeyId"] == k1


def test_alias_duplicates_and_references(client, aliases):
    k1 = cs.create_key(client)["KeyId"]
    k2 = cs.create_key(client)["KeyId"]
    name = aliases(k1)
    for k in (k1, k2):
        expect_tea_error(lambda: client.create_alias(m.CreateAliasRequest(alias_name=name, key_id=k)),
                         "AliasAlreadyExists", 400)
    # Several aliases per key; a key may be named by ARN when creating one.
    n2 = aliases(key_arn(k1))
    n3 = aliases(k1)
    assert sorted(a["AliasName"] for a in list_aliases_by_key(client, k1)) == sorted([name, n2, n3])
    # Unknown keys and aliases.
    expect_tea_error(lambda: client.create_alias(m.CreateAliasRequest(alias_name=unique_alias(), key_id=str(uuid.uuid4()))),
                     "Forbidden.KeyNotFound", 404)
    expect_tea_error(lambda: client.update_alias(m.UpdateAliasRequest(alias_name=name, key_id=str(uuid.uuid4()))),
                     "Forbidden.KeyNotFound", 404)
    expect_tea_error(lambda: client.delete_alias(m.DeleteAliasRequest(alias_name=unique_alias())),
                     "Forbidden.AliasNotFound", 404)
    expect_tea_error(lambda: client.list_aliases_by_key_id(m.ListAliasesByKeyIdRequest(key_id=str(uuid.uuid4()))),
                     "Forbidden.KeyNotFound", 404)
    for missing in ({"key_id": k1}, {"alias_name": unique_alias()}):
        expect_tea_error(lambda: client.create_alias(m.CreateAliasRequest(**missing)), "MissingParameter", 400)


VALID_NAMES = ["alias/a", "alias/Ab_0-9:x/y", "alias/" + "n" * 249]
INVALID_NAMES = [
    "kw-no-prefix", "Alias/upper", "alias", "alias/", "alias/acs", "alias/acs/ecs", "alias/acsfoo",
    "alias/has space", "alias/bad*char", "alias/ümlaut", "alias/dot.name", "alias/" + "n" * 250,
]


def test_alias_names(client, aliases):
    key_id = cs.create_key(client)["KeyId"]
    for name in VALID_NAMES:
        aliases(key_id, name.replace("alias/", f"alias/{uuid.uuid4().hex[:4]}", 1)[:255])
    for name in INVALID_NAMES:
        err = expect_tea_error(lambda: client.create_alias(m.CreateAliasRequest(alias_name=name, key_id=key_id)),
                               "InvalidParameter", 400)
        message_names(err, "AliasName")
    assert len(list_aliases_by_key(client, key_id)) == len(VALID_NAMES)


def test_alias_and_key_states(client, aliases):
    k1 = cs.create_key(client)["KeyId"]
    doomed = cs.create_key(client)["KeyId"]
    disabled = cs.create_key(client)["KeyId"]
    client.disable_key(m.DisableKeyRequest(key_id=disabled))
    name = aliases(k1)
    aliases(disabled)  # a Disabled key may get an alias
    client.update_alias(m.UpdateAliasRequest(alias_name=name, key_id=disabled))
    expect_tea_error(lambda: cs.encrypt(client, name, "x"), "Rejected.Disabled", 409)
    client.update_alias(m.UpdateAliasRequest(alias_name=name, key_id=k1))
    client.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=doomed, pending_window_in_days=7))
    expect_tea_error(lambda: client.update_alias(m.UpdateAliasRequest(alias_name=name, key_id=doomed)),
                     "Rejected.PendingDeletion", 409)
    expect_tea_error(lambda: client.create_alias(m.CreateAliasRequest(alias_name=unique_alias(), key_id=doomed)),
                     "Rejected.StateModifiedFailed", 409)
    assert cs.describe(client, name)["KeyId"] == k1
    # An alias of a key pending deletion answers like the key.
    k3 = cs.create_key(client)["KeyId"]
    n3 = aliases(k3)
    client.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=k3, pending_window_in_days=7))
    assert cs.describe(client, n3)["KeyState"] == "PendingDeletion"
    expect_tea_error(lambda: cs.encrypt(client, n3, "x"), "Rejected.PendingDeletion", 409)


def test_alias_everywhere_a_key_id_goes(client, aliases):
    aes = cs.create_key(client)["KeyId"]
    signer = cs.AsymKey(client, "EC_P256", SIGN)
    decrypter = cs.AsymKey(client, "RSA_2048", ENC)
    a_aes, a_sign, a_dec = aliases(aes), aliases(signer.key_id), aliases(decrypter.key_id)

    gdk = client.generate_data_key(m.GenerateDataKeyRequest(key_id=a_aes)).body
    assert gdk.key_id == aes
    assert client.generate_data_key_without_plaintext(
        m.GenerateDataKeyWithoutPlaintextRequest(key_id=alias_arn(a_aes))).body.key_id == aes
    blob = cs.encrypt(client, a_aes, "x")["CiphertextBlob"]
    re = client.re_encrypt(m.ReEncryptRequest(ciphertext_blob=blob, destination_key_id=alias_arn(a_aes))).body
    assert cs.decrypt(client, re.ciphertext_blob)["KeyId"] == aes
    assert create_version(client, a_aes)["KeyId"] == aes
    assert {x["KeyId"] for x in list_versions(client, a_aes)} == {aes}

    digest = hashlib.sha256(b"alias signing").digest()
    for ref in (a_sign, alias_arn(a_sign)):
        body = client.asymmetric_sign(m.AsymmetricSignRequest(
            key_id=ref, key_version_id=signer.version_id, algorithm=cs.ECDSA, digest=b64(digest))).body
        assert body.key_id == signer.key_id
        cs.verify_ecdsa(signer.public_key(), digest, unb64(body.value))
        assert cs.get_public_key(client, ref, signer.version_id)["PublicKey"] == signer.pem
    body = client.asymmetric_encrypt(m.AsymmetricEncryptRequest(
        key_id=a_dec, key_version_id=decrypter.version_id, algorithm=cs.OAEP256, plaintext=b64(b"hi"))).body
    assert body.key_id == decrypter.key_id
    assert unb64(client.asymmetric_decrypt(m.AsymmetricDecryptRequest(
        key_id=alias_arn(a_dec), key_version_id=decrypter.version_id, algorithm=cs.OAEP256,
        ciphertext_blob=body.ciphertext_blob)).body.plaintext) == b"hi"
    # Tags and aliases of a key named by alias.
    client.tag_resource(m.TagResourceRequest(key_id=a_aes, tags=json.dumps([{"TagKey": "via", "TagValue": "alias"}])))
    tags = client.list_resource_tags(m.ListResourceTagsRequest(key_id=aes)).body.to_map()["Tags"]["Tag"]
    assert tags == [{"KeyId": aes, "TagKey": "via", "TagValue": "alias"}]
    assert [a["AliasName"] for a in list_aliases_by_key(client, a_aes)] == [a_aes]


def test_alias_paging(client, aliases):
    key_id = cs.create_key(client)["KeyId"]
    names = sorted(aliases(key_id) for _ in range(5))
    body = client.list_aliases_by_key_id(m.ListAliasesByKeyIdRequest(key_id=key_id)).body.to_map()
    assert body["TotalCount"] == 5 and body["PageNumber"] == 1 and body["PageSize"] == 10
    for size in (1, 2, 5, 100):
        got = list_aliases_by_key(client, key_id, size)
        assert sorted(a["AliasName"] for a in got) == names
        assert len(got) == 5
    page = client.list_aliases_by_key_id(m.ListAliasesByKeyIdRequest(key_id=key_id, page_number=3, page_size=2)).body
    assert len(page.aliases.alias) == 1 and page.total_count == 5
    everything = list_all_aliases(client, 2)
    everything_names = [a["AliasName"] for a in everything]
    assert len(everything_names) == len(set(everything_names)), "no alias twice across pages"
    for n in names:
        assert entry(n, key_id) in everything
    total = client.list_aliases(m.ListAliasesRequest()).body
    assert total.total_count == len(everything) and total.page_size == 10


def test_aliases_classic_sdk(backend, client):
    core = core_client(backend)
    key_id = cs.create_key(client)["KeyId"]
    name = unique_alias("v1-")
    req = CreateAliasRequest.CreateAliasRequest()
    req.set_AliasName(name)
    req.set_KeyId(key_id)
    assert set(core_call(core, backend, req)) == {"RequestId"}
    try:
        expect_core_error(lambda: core_call(core, backend, req), "AliasAlreadyExists", 400)
        lreq = ListAliasesByKeyIdRequest.ListAliasesByKeyIdRequest()
        lreq.set_KeyId(key_id)
        body = core_call(core, backend, lreq, method="GET")
        assert body["Aliases"]["Alias"] == [entry(name, key_id)]
        assert cs.encrypt(client, name, "classic alias")["KeyId"] == key_id
    finally:
        dreq = DeleteAliasRequest.DeleteAliasRequest()
        dreq.set_AliasName(name)
        core_call(core, backend, dreq)
    expect_core_error(lambda: core_call(core, backend, dreq), "Forbidden.AliasNotFound", 404)


# ===========================================================================
# Tags
# ===========================================================================


def resource_tags(client, key_ref: str) -> dict[str, str]:
    body = client.list_resource_tags(m.ListResourceTagsRequest(key_id=key_ref)).body.to_map()
    assert set(body) == {"RequestId", "Tags"}, body
    rows = body["Tags"]["Tag"]
    key_id = key_ref.rsplit("/", 1)[-1] if key_ref.startswith("acs:") else key_ref
    for row in rows:
        assert set(row) == {"KeyId", "TagKey", "TagValue"}, row
        assert row["KeyId"] == key_id, "rows name the key by its id"
    out = {r["TagKey"]: r["TagValue"] for r in rows}
    assert len(out) == len(rows), "a tag key appears once"
    return out


def tag(client, key_id: str, tags: dict[str, str]) -> dict:
    body = client.tag_resource(m.TagResourceRequest(
        key_id=key_id, tags=json.dumps([{"TagKey": k, "TagValue": v} for k, v in tags.items()]),
    )).body.to_map()
    assert set(body) == {"RequestId"}, body
    return body


def test_tag_resource(client):
    key_id = cs.create_key(client)["KeyId"]
    assert resource_tags(client, key_id) == {}
    tag(client, key_id, {"env": "prod", "team": "kms", "empty": ""})
    assert resource_tags(client, key_id) == {"env": "prod", "team": "kms", "empty": ""}
    # Same key again: the value is replaced, not duplicated.
    tag(client, key_id, {"env": "dev", "ünïcode": "värde ✓"})
    assert resource_tags(client, key_id) == {"env": "dev", "team": "kms", "empty": "", "ünïcode": "värde ✓"}
    # The key by ARN.
    tag(client, key_arn(key_id), {"arn": "yes"})
    assert resource_tags(client, key_arn(key_id))["arn"] == "yes"

    # UntagResource: a JSON array, and a comma-separated list.
    body = client.untag_resource(m.UntagResourceRequest(key_id=key_id, tag_keys='["env"]')).body.to_map()
    assert set(body) == {"RequestId"}, body
    assert "env" not in resource_tags(client, key_id)
    client.untag_resource(m.UntagResourceRequest(key_id=key_id, tag_keys="team,empty"))
    assert resource_tags(client, key_id) == {"ünïcode": "värde ✓", "arn": "yes"}
    client.untag_resource(m.UntagResourceRequest(key_id=key_id, tag_keys=json.dumps(["ünïcode", "arn"])))
    assert resource_tags(client, key_id) == {}


def test_create_key_with_tags(client):
    tags = [{"TagKey": "created", "TagValue": "with-key"}, {"TagKey": "k2", "TagValue": "v2"}]
    key_id = cs.create_key(client, tags=json.dumps(tags))["KeyId"]
    assert resource_tags(client, key_id) == {"created": "with-key", "k2": "v2"}


def test_tag_limits_and_validation(client):
    key_id = cs.create_key(client)["KeyId"]
    tag(client, key_id, {f"k{i:02d}": f"v{i}" for i in range(20)})
    assert len(resource_tags(client, key_id)) == 20
    err = expect_tea_error(lambda: tag(client, key_id, {"k20": "one too many"}), "Rejected.LimitExceeded", 400)
    # Replacing values of existing keys is still fine at the limit.
    tag(client, key_id, {"k00": "new"})
    assert resource_tags(client, key_id)["k00"] == "new"
    # 21 tags in one request: refused as a quota or as an invalid parameter, and nothing is stored.
    fresh = cs.create_key(client)["KeyId"]
    expect_400(lambda: tag(client, fresh, {f"k{i}": "v" for i in range(21)}), ("Rejected.LimitExceeded", "InvalidParameter"))
    assert resource_tags(client, fresh) == {}

    for bad in ({"aliyun": "x"}, {"aliyunfoo": "x"}, {"acs:tag": "x"}, {"": "x"}, {"k" * 129: "x"}, {"k": "v" * 129}):
        expect_tea_error(lambda: tag(client, fresh, bad), "InvalidParameter", 400)
    tag(client, fresh, {"k" * 128: "v" * 128})
    for raw in ("not json", '{"TagKey":"a","TagValue":"b"}', '[{"TagValue":"b"}]', '[{"TagKey":1,"TagValue":"b"}]'):
        err = expect_tea_error(lambda: client.tag_resource(m.TagResourceRequest(key_id=fresh, tags=raw)),
                               "InvalidParameter", 400)
        message_names(err, "Tags")
    expect_tea_error(lambda: tag(client, str(uuid.uuid4()), {"a": "b"}), "Forbidden.KeyNotFound", 404)
    expect_tea_error(lambda: resource_tags(client, str(uuid.uuid4())), "Forbidden.KeyNotFound", 404)
    expect_tea_error(lambda: client.untag_resource(m.UntagResourceRequest(key_id=str(uuid.uuid4()), tag_keys='["a"]')),
                     "Forbidden.KeyNotFound", 404)


def list_tag_resources(client, resource_ids: list[str] | None = None, tags: list[tuple[str, str | None]] | None = None,
                       next_token: str | None = None) -> dict:
    req = m.ListTagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=resource_ids, next_token=next_token,
        tag=[m.ListTagResourcesRequestTag(key=k, value=v) for k, v in tags] if tags else None,
    )
    body = client.list_tag_resources(req).body.to_map()
    assert {"RequestId", "TagResources"} <= set(body) <= {"RequestId", "TagResources", "NextToken"}, body
    for row in body["TagResources"]["TagResource"]:
        assert set(row) == {"ResourceId", "ResourceType", "TagKey", "TagValue"}, row
        assert row["ResourceType"] == "key"
    return body


def all_tag_rows(client, resource_ids=None, tags=None) -> list[tuple[str, str, str]]:
    rows, token, pages = [], None, 0
    while True:
        body = list_tag_resources(client, resource_ids, tags, token)
        pages += 1
        rows += [(r["ResourceId"], r["TagKey"], r["TagValue"]) for r in body["TagResources"]["TagResource"]]
        token = body.get("NextToken")
        if not token:
            return rows
        assert pages < 100


def test_tag_resources_batch(client):
    k1, k2, k3 = (cs.create_key(client)["KeyId"] for _ in range(3))
    uniq = uuid.uuid4().hex[:8]
    body = client.tag_resources(m.TagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=[k1, k2],
        tag=[m.TagResourcesRequestTag(key=f"batch-{uniq}", value="1"), m.TagResourcesRequestTag(key="color", value="red")],
    )).body.to_map()
    assert set(body) == {"RequestId"}, body
    assert resource_tags(client, k1) == resource_tags(client, k2) == {f"batch-{uniq}": "1", "color": "red"}
    assert resource_tags(client, k3) == {}

    rows = all_tag_rows(client, [k1, k2, k3])
    assert sorted(rows) == sorted([(k, t, v) for k in (k1, k2) for t, v in ((f"batch-{uniq}", "1"), ("color", "red"))])
    # Filter by tag only: exactly the keys with that tag.
    rows = all_tag_rows(client, tags=[(f"batch-{uniq}", None)])
    assert {r[0] for r in rows} == {k1, k2}
    rows = all_tag_rows(client, tags=[(f"batch-{uniq}", "2")])
    assert rows == []

    # UntagResources: named keys, then All.
    client.untag_resources(m.UntagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=[k1], tag_key=["color"]))
    assert resource_tags(client, k1) == {f"batch-{uniq}": "1"}
    assert resource_tags(client, k2) == {f"batch-{uniq}": "1", "color": "red"}
    client.untag_resources(m.UntagResourcesRequest(region_id=REGION, resource_type="key", resource_id=[k1, k2], all=True))
    assert resource_tags(client, k1) == resource_tags(client, k2) == {}

    # Errors.
    expect_tea_error(lambda: client.tag_resources(m.TagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=[str(uuid.uuid4())],
        tag=[m.TagResourcesRequestTag(key="a", value="b")])), "Forbidden.KeyNotFound", 404)
    expect_tea_error(lambda: client.tag_resources(m.TagResourcesRequest(
        region_id=REGION, resource_type="bucket", resource_id=[k1],
        tag=[m.TagResourcesRequestTag(key="a", value="b")])), "InvalidParameter", 400)
    expect_400(lambda: client.tag_resources(m.TagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=[k3],
        tag=[m.TagResourcesRequestTag(key=f"t{i}", value="v") for i in range(21)])),
        ("Rejected.LimitExceeded", "InvalidParameter"))
    # A key that already has 20 tags: one more is over the quota.
    client.tag_resources(m.TagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=[k3],
        tag=[m.TagResourcesRequestTag(key=f"t{i}", value="v") for i in range(20)]))
    expect_tea_error(lambda: client.tag_resources(m.TagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=[k1, k3],
        tag=[m.TagResourcesRequestTag(key="t-extra", value="v")])), "Rejected.LimitExceeded", 400)
    assert len(resource_tags(client, k3)) == 20


def test_list_tag_resources_paging(client):
    """11 keys × 20 tags = 220 rows: two pages of at most 200 rows, NextToken between them."""
    keys = [cs.create_key(client)["KeyId"] for _ in range(11)]
    uniq = uuid.uuid4().hex[:6]
    for k in keys:
        client.tag_resources(m.TagResourcesRequest(
            region_id=REGION, resource_type="key", resource_id=[k],
            tag=[m.TagResourcesRequestTag(key=f"p{uniq}-{i:02d}", value=k[-6:]) for i in range(20)]))
    first = list_tag_resources(client, keys)
    assert len(first["TagResources"]["TagResource"]) == 200
    assert first.get("NextToken"), first.get("NextToken")
    second = list_tag_resources(client, keys, next_token=first["NextToken"])
    assert len(second["TagResources"]["TagResource"]) == 20
    assert not second.get("NextToken")
    rows = {(r["ResourceId"], r["TagKey"], r["TagValue"])
            for r in first["TagResources"]["TagResource"] + second["TagResources"]["TagResource"]}
    assert rows == {(k, f"p{uniq}-{i:02d}", k[-6:]) for k in keys for i in range(20)}
    expect_tea_error(lambda: list_tag_resources(client, keys, next_token="bogus-token"), "InvalidParameter", 400)


def test_tag_resources_classic_sdk(backend, client):
    """The classic request classes send repeat lists: ResourceId.N, Tag.N.Key/Value, TagKey.N."""
    core = core_client(backend)
    k1, k2 = cs.create_key(client)["KeyId"], cs.create_key(client)["KeyId"]
    req = TagResourcesRequest.TagResourcesRequest()
    req.add_query_param("RegionId", REGION)
    req.set_ResourceType("key")
    req.set_ResourceIds([k1, k2])
    req.set_Tags([{"Key": "v1a", "Value": "A"}, {"Key": "v1b", "Value": "B"}, {"Key": "v1c", "Value": ""}])
    assert set(core_call(core, backend, req)) == {"RequestId"}
    for k in (k1, k2):
        assert resource_tags(client, k) == {"v1a": "A", "v1b": "B", "v1c": ""}

    lreq = ListTagResourcesRequest.ListTagResourcesRequest()
    lreq.add_query_param("RegionId", REGION)
    lreq.set_ResourceType("key")
    lreq.set_ResourceIds([k1, k2])
    body = core_call(core, backend, lreq)
    rows = {(r["ResourceId"], r["TagKey"], r["TagValue"]) for r in body["TagResources"]["TagResource"]}
    assert rows == {(k, t, v) for k in (k1, k2) for t, v in (("v1a", "A"), ("v1b", "B"), ("v1c", ""))}

    ureq = UntagResourcesRequest.UntagResourcesRequest()
    ureq.add_query_param("RegionId", REGION)
    ureq.set_ResourceType("key")
    ureq.set_ResourceIds([k1, k2])
    ureq.set_TagKeys(["v1a", "v1c"])
    core_call(core, backend, ureq)
    assert resource_tags(client, k1) == resource_tags(client, k2) == {"v1b": "B"}
    ureq = UntagResourcesRequest.UntagResourcesRequest()
    ureq.add_query_param("RegionId", REGION)
    ureq.set_ResourceType("key")
    ureq.set_ResourceIds([k2])
    ureq.set_All(True)
    core_call(core, backend, ureq)
    assert resource_tags(client, k2) == {}
    assert resource_tags(client, k1) == {"v1b": "B"}


def list_key_ids(client, filters: list[dict]) -> list[str]:
    out, page = [], 1
    while True:
        body = client.list_keys(m.ListKeysRequest(filters=json.dumps(filters), page_number=page, page_size=100)).body
        out += [k.key_id for k in body.keys.key]
        if page * 100 >= body.total_count:
            assert len(out) == body.total_count
            return out
        page += 1


def test_list_keys_tag_filters(client):
    uniq = uuid.uuid4().hex[:8]
    a, b, c = (cs.create_key(client)["KeyId"] for _ in range(3))
    tag(client, a, {f"env-{uniq}": "prod", "owner": f"alice-{uniq}"})
    tag(client, b, {f"env-{uniq}": "dev"})
    tag(client, c, {"owner": f"alice-{uniq}"})
    assert sorted(list_key_ids(client, [{"Key": "TagKey", "Values": [f"env-{uniq}"]}])) == sorted([a, b])
    assert sorted(list_key_ids(client, [{"Key": "TagValue", "Values": [f"alice-{uniq}"]}])) == sorted([a, c])
    # Values OR, keys AND.
    assert sorted(list_key_ids(client, [{"Key": "TagKey", "Values": [f"env-{uniq}", "nothing-" + uniq]}])) == sorted([a, b])
    assert list_key_ids(client, [{"Key": "TagKey", "Values": [f"env-{uniq}"]},
                                 {"Key": "TagValue", "Values": [f"alice-{uniq}"]}]) == [a]
    client.disable_key(m.DisableKeyRequest(key_id=b))
    assert list_key_ids(client, [{"Key": "TagKey", "Values": [f"env-{uniq}"]},
                                 {"Key": "KeyState", "Values": ["Disabled"]}]) == [b]
    assert list_key_ids(client, [{"Key": "TagKey", "Values": [f"none-{uniq}"]}]) == []
    # Untagging removes the key from the filter.
    client.untag_resource(m.UntagResourceRequest(key_id=a, tag_keys=f'["env-{uniq}"]'))
    assert list_key_ids(client, [{"Key": "TagKey", "Values": [f"env-{uniq}"]}]) == [b]
