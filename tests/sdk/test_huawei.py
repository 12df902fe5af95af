"""The Huawei Cloud KMS API (v1.0) through the official `huaweicloudsdkkms` 3.1.219, configured as a
user does (HUAWEI.md §2.4): lifecycle, list-keys, tags, data encryption, data keys, sign/verify
checked locally with `cryptography`, get-publickey, gen-random, MACs, authentication, the project
id, and one key used through both protocols. Import is in test_huawei_import.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import uuid

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from alibabacloud_kms20160120 import models as am
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkkms.v2 import (
    BatchCreateKmsTagsRequest,
    BatchCreateKmsTagsRequestBody,
    CancelKeyDeletionRequest,
    CreateDatakeyRequest,
    CreateDatakeyRequestBody,
    CreateDatakeyWithoutPlaintextRequest,
    CreateKeyRequest,
    CreateKeyRequestBody,
    CreateKmsTagRequest,
    CreateKmsTagRequestBody,
    CreateRandomRequest,
    DecryptDataRequest,
    DecryptDataRequestBody,
    DecryptDatakeyRequest,
    DecryptDatakeyRequestBody,
    DeleteKeyRequest,
    DeleteTagRequest,
    DisableKeyRequest,
    EnableKeyRequest,
    EncryptDataRequest,
    EncryptDataRequestBody,
    EncryptDatakeyRequest,
    EncryptDatakeyRequestBody,
    GenerateMacRequest,
    GenerateMacRequestBody,
    GenRandomRequestBody,
    ListKeyDetailRequest,
    ListKeysRequest,
    ListKeysRequestBody,
    ListKmsByTagsRequest,
    ListKmsByTagsRequestBody,
    ListKmsTagsRequest,
    OperateKeyRequestBody,
    ScheduleKeyDeletionRequestBody,
    ShowKmsTagsRequest,
    ShowPublicKeyRequest,
    ShowVersionRequest,
    ShowVersionsRequest,
    SignRequest,
    SignRequestBody,
    Tag,
    TagItem,
    UpdateKeyAliasRequest,
    UpdateKeyAliasRequestBody,
    UpdateKeyDescriptionRequest,
    UpdateKeyDescriptionRequestBody,
    ValidateSignatureRequest,
    VerifyMacRequest,
    VerifyMacRequestBody,
    VerifyRequestBody,
)

import crypto_support as cs
import huawei_support as h
from huawei_support import b64, create_key, describe, expect_hw_error, unb64, wire
from kwhelpers import KeywardServer, tea_client

OP = OperateKeyRequestBody
HEX = h.HEX_RE


# --------------------------------------------------------------------------
# small wrappers
# --------------------------------------------------------------------------


def encrypt(client, key_id: str, plaintext: str, **kw) -> dict:
    return wire(client.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(key_id=key_id, plain_text=plaintext,
                                                                                     **kw))))


def decrypt(client, cipher_text: str, **kw) -> dict:
    return wire(client.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(cipher_text=cipher_text, **kw))))


def sign(client, key_id: str, alg: str, message: bytes, message_type: str | None = None) -> bytes:
    body = SignRequestBody(key_id=key_id, message=b64(message), signing_algorithm=alg, message_type=message_type)
    out = wire(client.sign(SignRequest(body=body)))
    assert out["key_id"] == key_id
    return unb64(out["signature"])


def verify(client, key_id: str, alg: str, message: bytes, signature: bytes, message_type: str | None = None) -> str:
    body = VerifyRequestBody(key_id=key_id, message=b64(message), signature=b64(signature), signing_algorithm=alg,
                             message_type=message_type)
    out = wire(client.validate_signature(ValidateSignatureRequest(body=body)))
    assert out["key_id"] == key_id
    return out["signature_valid"]


def public_key(client, key_id: str):
    out = wire(client.show_public_key(ShowPublicKeyRequest(body=OP(key_id=key_id))))
    assert out["key_id"] == key_id
    pem = out["public_key"]
    assert pem.startswith("-----BEGIN PUBLIC KEY-----"), pem
    return h.public_from_pem(pem)


def schedule(client, key_id: str, days: str):
    return client.delete_key(DeleteKeyRequest(body=ScheduleKeyDeletionRequestBody(key_id=key_id, pending_days=days)))


def list_keys(client, **kw) -> dict:
    return wire(client.list_keys(ListKeysRequest(body=ListKeysRequestBody(**kw))))


def tags_of(client, key_id: str) -> dict:
    return wire(client.show_kms_tags(ShowKmsTagsRequest(key_id=key_id)))


# --------------------------------------------------------------------------
# signing, project id, versions, authentication
# --------------------------------------------------------------------------


def test_independent_signer_matches_the_documented_vector():
    """The raw signer used below reproduces HUAWEI.md §2.3 (so raw tests sign exactly like the SDK)."""
    headers = {
        "Content-Type": "application/json;charset=utf-8",
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "X-Sdk-Date": "20240101T000000Z",
        "Host": "127.0.0.1:8080",
    }
    auth = h.hw_sign("POST", "/v1.0/0123456789abcdef0123456789abcdef/kms/describe-key", [], headers,
                     b'{"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}',
                     "AKTESTEXAMPLE0000000", "SKTESTEXAMPLE0000000000000000000000000000")
    assert auth.endswith("Signature=2c989b5e4ae266ff895f79b672e7441f0949ee35bdd13c465e34a019c71e8ffc"), auth
    assert h.canonical_uri("/v1.0/p/kms/k/tags/a%20b%2Fc") == "/v1.0/p/kms/k/tags/a%20b/c/"


def test_project_id_and_version_discovery(server, hw):
    pid = h.project_id(server)
    assert h.PROJECT_ID_RE.match(pid)
    versions = wire(hw.show_versions(ShowVersionsRequest()))["versions"]
    v10 = [v for v in versions if v["id"] == "v1.0"]
    assert len(v10) == 1, versions
    assert v10[0]["status"] == "CURRENT"
    assert any(link["rel"] == "self" for link in v10[0]["links"]), v10
    one = wire(hw.show_version(ShowVersionRequest(version_id="v1.0")))
    got = one.get("version", one)
    got = got[0] if isinstance(got, list) else got
    assert got["id"] == "v1.0" and got["status"] == "CURRENT", one


def test_https_with_the_local_ca(server):
    client = h.hw_client(server, https=True)
    kid = create_key(client)
    assert describe(client, kid)["key_state"] == "2"


def test_wrong_secret_and_unknown_access_key_are_401(server):
    bad = h.hw_client(server, sk=server.access_key_secret + "x")
    err = expect_hw_error(lambda: bad.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias=h.unique_alias()))),
                          "APIGW.0301", 401)
    assert server.access_key_secret not in err.error_msg
    unknown = h.hw_client(server, ak="HDUNKNOWNACCESSKEY000")
    expect_hw_error(lambda: unknown.list_keys(ListKeysRequest(body=ListKeysRequestBody())), "APIGW.0301", 401)


def test_raw_auth_failures(server):
    ok = h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/list-keys", {"limit": "1"})
    assert ok.status == 200, ok.body[:300]
    # the body changed after signing
    tampered = h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/list-keys", {"limit": "1"},
                        tamper=lambda hd, b: (hd, b.replace(b'"1"', b'"2"')))
    h.raw_error(tampered, "APIGW.0301", 401)
    # X-Sdk-Date an hour old
    stale = h.sdk_date(dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
    h.raw_error(h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/list-keys", {}, date=stale), "APIGW.0301", 401)
    # no Authorization at all
    h.raw_error(h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/list-keys", {},
                         tamper=lambda hd, b: ({k: v for k, v in hd.items() if k != "Authorization"}, b)),
                "APIGW.0301", 401)


def test_project_id_mismatch_and_placeholder(server):
    other = "0" * 32 if h.project_id(server) != "0" * 32 else "1" * 32
    h.raw_error(h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/list-keys", {}, project=other), "KMS.0321", 403)
    client = h.hw_client(server, project=other)
    expect_hw_error(lambda: client.list_keys(ListKeysRequest(body=ListKeysRequestBody())), "KMS.0321", 403)
    # the SDK without a project id sends the literal placeholder
    h.raw_error(h.hw_raw(server, "POST", "/v1.0/%7Bproject_id%7D/kms/list-keys", {}, project="{project_id}"),
                "KMS.0201", 400)


class _ConfiguredServer(KeywardServer):
    """A server started with KEYWARD_HUAWEI_PROJECT_ID (or without, when `configured` is None)."""

    def __init__(self, *args, configured: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.configured = configured

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.configured:
            env["KEYWARD_HUAWEI_PROJECT_ID"] = self.configured
        return env


def test_project_id_setting_and_persistence(keyward_bin, tmp_path):
    data = tmp_path / "data"
    first = _ConfiguredServer(keyward_bin, data, "sqlite").start()
    try:
        generated = h.project_id(first)
        kid = create_key(h.hw_client(first))
    finally:
        assert first.stop() == 0
    again = _ConfiguredServer(keyward_bin, data, "sqlite").start()
    try:
        assert h.project_id(again) == generated, "the generated project id is kept across restarts"
        assert describe(h.hw_client(again), kid)["key_state"] == "2"
    finally:
        assert again.stop() == 0
    configured = "0123456789abcdef0123456789abcdef" if generated != "0123456789abcdef0123456789abcdef" else "f" * 32
    third = _ConfiguredServer(keyward_bin, data, "sqlite", configured=configured).start()
    try:
        assert h.project_id(third) == configured
        assert describe(h.hw_client(third), kid)["key_state"] == "2"
        stale = h.hw_client(third, project=generated)
        expect_hw_error(lambda: describe(stale, kid), "KMS.0321", 403)
    finally:
        assert third.stop() == 0


def test_invalid_json_and_key_ids(server, hw):
    h.raw_error(h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/describe-key", b"{not json"), "KMS.0202", 400)
    expect_hw_error(lambda: describe(hw, "not-a-key-id"), "KMS.0205", 400)
    expect_hw_error(lambda: describe(hw, "0d0466b0-e727-4d9c-b35d-f84bb474a37f"), "KMS.0207", 404)
    # `sequence`: an optional 36-character serial number, not echoed
    kid = create_key(hw)
    ok = wire(hw.list_key_detail(ListKeyDetailRequest(body=OP(key_id=kid, sequence=str(uuid.uuid4())))))
    assert ok["key_info"]["key_id"] == kid and "sequence" not in ok
    expect_hw_error(lambda: hw.list_key_detail(ListKeyDetailRequest(body=OP(key_id=kid, sequence="short"))),
                    "KMS.0206")


# --------------------------------------------------------------------------
# lifecycle
# --------------------------------------------------------------------------


def test_create_and_describe_shapes(hw_kms):
    alias = h.unique_alias("shape")
    before = int(time.time() * 1000)
    resp = hw_kms.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias=alias, key_description="d1")))
    info = wire(resp)["key_info"]
    kid = info["key_id"]
    assert h.KEY_ID_RE.match(kid) and h.PROJECT_ID_RE.match(info["domain_id"]), info
    d = describe(hw_kms, kid)
    for field, value in d.items():
        assert isinstance(value, str), f"{field} is {type(value).__name__} on the wire: {d}"
    assert d["key_id"] == kid and d["domain_id"] == info["domain_id"]
    assert d["key_alias"] == alias and d["key_description"] == "d1"
    assert d["key_spec"] == "AES_256" and d["key_usage"] == "ENCRYPT_DECRYPT"
    assert d["key_state"] == "2" and d["origin"] == "kms"
    assert d["default_key_flag"] == "0"
    assert h.MS_RE.match(d["creation_date"]), d
    assert before - 5000 <= int(d["creation_date"]) <= int(time.time() * 1000) + 5000
    assert d["scheduled_deletion_date"] == ""
    assert d.get("expiration_time", "") == ""
    assert d["realm"], d
    # the SDK model reads it too
    sdk = hw_kms.list_key_detail(ListKeyDetailRequest(body=OP(key_id=kid))).key_info
    assert sdk.key_state == "2" and sdk.key_alias == alias


SPECS = [
    ("AES_256", None, "ENCRYPT_DECRYPT"),
    ("SM4", None, "ENCRYPT_DECRYPT"),
    ("RSA_2048", None, "SIGN_VERIFY"),
    ("RSA_3072", "ENCRYPT_DECRYPT", "ENCRYPT_DECRYPT"),
    ("RSA_4096", "SIGN_VERIFY", "SIGN_VERIFY"),
    ("EC_P256", None, "SIGN_VERIFY"),
    ("EC_P384", None, "SIGN_VERIFY"),
    ("SECP256K1", None, "SIGN_VERIFY"),
    ("SM2", "SIGN_VERIFY", "SIGN_VERIFY"),
    ("HMAC_256", None, "GENERATE_VERIFY_MAC"),
    ("HMAC_384", None, "GENERATE_VERIFY_MAC"),
    ("HMAC_512", "GENERATE_VERIFY_MAC", "GENERATE_VERIFY_MAC"),
]


@pytest.mark.parametrize("spec,usage,want", SPECS, ids=[s[0] for s in SPECS])
def test_every_key_spec(hw, spec, usage, want):
    kid = create_key(hw, spec, usage)
    d = describe(hw, kid)
    assert (d["key_spec"], d["key_usage"], d["key_state"]) == (spec, want, "2"), d


def test_create_key_validation(hw):
    def mk(**kw):
        return lambda: hw.create_key(CreateKeyRequest(body=CreateKeyRequestBody(**kw)))

    expect_hw_error(mk(key_alias="bad alias!"), "KMS.1101")
    expect_hw_error(mk(key_alias="x" * 256), "KMS.1101")
    expect_hw_error(mk(key_alias="team/default"), "KMS.1101")
    alias = h.unique_alias("dup")
    create_key(hw, alias=alias)
    expect_hw_error(mk(key_alias=alias), "KMS.1104")
    expect_hw_error(mk(key_alias=h.unique_alias(), key_description="d" * 256), "KMS.1103")
    # unsupported combinations are refused with a 400
    for kw in ({"key_spec": "AES_512"}, {"key_spec": "AES_256", "key_usage": "SIGN_VERIFY"},
               {"key_spec": "EC_P256", "key_usage": "ENCRYPT_DECRYPT"}, {"origin": "cloud"}):
        with pytest.raises(ClientRequestException) as info:
            mk(key_alias=h.unique_alias(), **kw)()
        assert info.value.status_code == 400 and info.value.error_code.startswith("KMS."), (kw, info.value)
    # HMAC keys cannot be imported: refused at creation
    expect_hw_error(mk(key_alias=h.unique_alias(), key_spec="HMAC_256", origin="external"), "KMS.0341")


def test_state_machine(hw_kms):
    kid = create_key(hw_kms)
    r = wire(hw_kms.disable_key(DisableKeyRequest(body=OP(key_id=kid))))
    assert (r["key_info"]["key_id"], r["key_info"]["key_state"]) == (kid, "3"), r
    expect_hw_error(lambda: hw_kms.disable_key(DisableKeyRequest(body=OP(key_id=kid))), "KMS.1301")
    expect_hw_error(lambda: encrypt(hw_kms, kid, "x"), "KMS.0209")
    r = wire(hw_kms.enable_key(EnableKeyRequest(body=OP(key_id=kid))))
    assert r["key_info"]["key_state"] == "2", r
    expect_hw_error(lambda: hw_kms.enable_key(EnableKeyRequest(body=OP(key_id=kid))), "KMS.1201")

    expect_hw_error(lambda: schedule(hw_kms, kid, "6"), "KMS.1401")
    expect_hw_error(lambda: schedule(hw_kms, kid, "1097"), "KMS.1401")
    now_ms = int(time.time() * 1000)
    r = wire(schedule(hw_kms, kid, "7"))
    assert (r["key_id"], r["key_state"]) == (kid, "4") and "key_info" not in r, r
    d = describe(hw_kms, kid)
    assert d["key_state"] == "4"
    assert abs(int(d["scheduled_deletion_date"]) - (now_ms + 7 * 86400_000)) < 600_000, d
    expect_hw_error(lambda: schedule(hw_kms, kid, "30"), "KMS.1402")
    expect_hw_error(lambda: encrypt(hw_kms, kid, "x"), "KMS.0210")
    with pytest.raises(ClientRequestException) as info:
        hw_kms.update_key_alias(UpdateKeyAliasRequest(body=UpdateKeyAliasRequestBody(key_id=kid,
                                                                                     key_alias=h.unique_alias())))
    assert info.value.status_code == 400, info.value
    r = wire(hw_kms.cancel_key_deletion(CancelKeyDeletionRequest(body=OP(key_id=kid))))
    assert (r["key_id"], r["key_state"]) == (kid, "3"), r
    d = describe(hw_kms, kid)
    assert d["key_state"] == "3" and d["scheduled_deletion_date"] == "", d
    expect_hw_error(lambda: hw_kms.cancel_key_deletion(CancelKeyDeletionRequest(body=OP(key_id=kid))), "KMS.1501")
    # the longest window is accepted
    kid2 = create_key(hw_kms)
    assert wire(schedule(hw_kms, kid2, "1096"))["key_state"] == "4"
    hw_kms.cancel_key_deletion(CancelKeyDeletionRequest(body=OP(key_id=kid2)))


def test_update_alias_and_description(hw_kms):
    kid = create_key(hw_kms)
    alias = h.unique_alias("renamed")
    r = wire(hw_kms.update_key_alias(UpdateKeyAliasRequest(body=UpdateKeyAliasRequestBody(key_id=kid, key_alias=alias))))
    assert r["key_info"]["key_id"] == kid and r["key_info"]["key_alias"] == alias, r
    r = wire(hw_kms.update_key_description(UpdateKeyDescriptionRequest(
        body=UpdateKeyDescriptionRequestBody(key_id=kid, key_description="new words"))))
    assert r["key_info"]["key_description"] == "new words", r
    d = describe(hw_kms, kid)
    assert (d["key_alias"], d["key_description"]) == (alias, "new words")
    expect_hw_error(lambda: hw_kms.update_key_alias(UpdateKeyAliasRequest(
        body=UpdateKeyAliasRequestBody(key_id=kid, key_alias="no spaces allowed"))), "KMS.1101")
    expect_hw_error(lambda: hw_kms.update_key_description(UpdateKeyDescriptionRequest(
        body=UpdateKeyDescriptionRequestBody(key_id=kid, key_description="x" * 256))), "KMS.1103")


def test_list_keys_paging_and_filters(backend, hw_kms):
    mine = [create_key(hw_kms, "SM4") for _ in range(3)]
    hw_kms.disable_key(DisableKeyRequest(body=OP(key_id=mine[0])))
    aes = create_key(hw_kms)

    seen: list[str] = []
    marker = None
    total = None
    for n in range(10_000):
        # small pages first, then big ones (the shared server holds every other test's keys)
        page = list_keys(hw_kms, limit="2" if n < 4 else "500", marker=marker, key_spec="ALL")
        assert isinstance(page["total"], int) and page["truncated"] in ("true", "false"), page
        assert len(page["keys"]) <= (2 if n < 4 else 500), page
        assert page["keys"] == [d["key_id"] for d in page["key_details"]], page
        total = page["total"] if total is None else total
        seen += page["keys"]
        if page["truncated"] == "false":
            break
        assert page["next_marker"], page
        marker = page["next_marker"]
    assert len(seen) == len(set(seen)) == total
    assert set(mine + [aes]) <= set(seen)

    default = list_keys(hw_kms)
    assert aes in default["keys"] and not set(mine) & set(default["keys"]), "the default key_spec is AES_256"
    assert all(d["key_spec"] == "AES_256" for d in default["key_details"])
    sm4 = list_keys(hw_kms, key_spec="SM4")
    assert set(mine) <= set(sm4["keys"]) and aes not in sm4["keys"]
    disabled = list_keys(hw_kms, key_spec="ALL", key_state="3")
    assert mine[0] in disabled["keys"] and mine[1] not in disabled["keys"]
    assert all(d["key_state"] == "3" for d in disabled["key_details"])
    expect_hw_error(lambda: list_keys(hw_kms, limit="0"), "KMS.1601")
    expect_hw_error(lambda: list_keys(hw_kms, limit="2001"), "KMS.1601")
    expect_hw_error(lambda: list_keys(hw_kms, marker="-1"), "KMS.1602")
    # numbers are accepted as JSON numbers too
    raw = h.hw_raw(backend, "POST", "/v1.0/{project_id}/kms/list-keys", {"limit": 1, "key_spec": "ALL"})
    assert raw.status == 200 and len(json.loads(raw.body)["keys"]) == 1, raw.body[:300]


# --------------------------------------------------------------------------
# tags
# --------------------------------------------------------------------------


def test_tags(server, hw):
    kid = create_key(hw)
    r = hw.create_kms_tag(CreateKmsTagRequest(key_id=kid, body=CreateKmsTagRequestBody(
        tag=TagItem(key="env/a b", value="prod"))))
    assert r.status_code == 204
    r = hw.batch_create_kms_tags(BatchCreateKmsTagsRequest(key_id=kid, body=BatchCreateKmsTagsRequestBody(
        action="create", tags=[TagItem(key="team", value="blue"), TagItem(key="tier", value="1")])))
    assert r.status_code == 204
    t = tags_of(hw, kid)
    assert sorted((x["key"], x["value"]) for x in t["tags"]) == [("env/a b", "prod"), ("team", "blue"), ("tier", "1")]
    assert t["existTagsNum"] == 3 and isinstance(t["existTagsNum"], int), t

    r = hw.delete_tag(DeleteTagRequest(key_id=kid, key="env/a b"))
    assert r.status_code == 204
    r = hw.batch_create_kms_tags(BatchCreateKmsTagsRequest(key_id=kid, body=BatchCreateKmsTagsRequestBody(
        action="delete", tags=[TagItem(key="tier", value="1")])))
    assert r.status_code == 204
    assert [(x["key"], x["value"]) for x in tags_of(hw, kid)["tags"]] == [("team", "blue")]

    project = wire(hw.list_kms_tags(ListKmsTagsRequest()))["tags"]
    team = [t for t in project if t["key"] == "team"]
    assert team and "blue" in team[0]["values"], project

    # at most 20 tags per key
    many = [TagItem(key=f"k{i}", value="v") for i in range(19)]
    hw.batch_create_kms_tags(BatchCreateKmsTagsRequest(key_id=kid, body=BatchCreateKmsTagsRequestBody(
        action="create", tags=many)))
    assert len(tags_of(hw, kid)["tags"]) == 20
    expect_hw_error(lambda: hw.create_kms_tag(CreateKmsTagRequest(key_id=kid, body=CreateKmsTagRequestBody(
        tag=TagItem(key="one-too-many", value="v")))), "KMS.0409")
    # invalid tags (HUAWEI.md §1.9: key <= 36, value <= 43 characters, none of * < > \\ =)
    other = create_key(hw)
    for key, value in (("a*b", "v"), ("k=1", "v"), ("k" * 37, "v"), ("k", "v" * 44), ("", "v")):
        expect_hw_error(lambda: hw.create_kms_tag(CreateKmsTagRequest(key_id=other, body=CreateKmsTagRequestBody(
            tag=TagItem(key=key, value=value)))), "KMS.0401")
    assert tags_of(hw, other)["tags"] == []
    # the Alibaba API sees the same tags
    tea = tea_client(server)
    ali = tea.list_resource_tags(am.ListResourceTagsRequest(key_id=kid)).body.tags.tag
    assert ("team", "blue") in {(t.tag_key, t.tag_value) for t in ali}


def test_query_keys_by_tags(hw):
    kid, other = create_key(hw), create_key(hw)
    marker = h.unique_alias("mark")
    hw.create_kms_tag(CreateKmsTagRequest(key_id=kid, body=CreateKmsTagRequestBody(tag=TagItem(key=marker, value="v"))))
    hw.create_kms_tag(CreateKmsTagRequest(key_id=other, body=CreateKmsTagRequestBody(
        tag=TagItem(key=marker, value="w"))))

    def query(action: str, values: list[str]) -> dict:
        return wire(hw.list_kms_by_tags(ListKmsByTagsRequest(
            resource_instances="resource_instances",
            body=ListKmsByTagsRequestBody(action=action, limit="10", offset="0", tags=[Tag(key=marker, values=values)]))))

    found = query("filter", ["v"])
    assert [r["resource_id"] for r in found["resources"]] == [kid] and found["total_count"] == 1, found
    assert found["resources"][0]["resource_detail"]["key_id"] == kid
    assert {(t["key"], t["value"]) for t in found["resources"][0]["tags"]} == {(marker, "v")}
    assert query("count", ["v", "w"])["total_count"] == 2


# --------------------------------------------------------------------------
# encrypt-data / decrypt-data
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["AES_256", "SM4"])
def test_symmetric_encrypt_decrypt(hw, spec):
    kid = create_key(hw, spec)
    text = "héllo, Huawei ✓"
    enc = encrypt(hw, kid, text)
    assert enc["key_id"] == kid
    ct = enc["cipher_text"]
    assert unb64(ct), ct
    dec = decrypt(hw, ct)
    assert dec["key_id"] == kid and dec["plain_text"] == text
    assert unb64(dec["plain_text_base64"]) == text.encode()
    # additional_authenticated_data binds the ciphertext
    enc = encrypt(hw, kid, "bound", additional_authenticated_data="ctx-1")
    assert decrypt(hw, enc["cipher_text"], additional_authenticated_data="ctx-1")["plain_text"] == "bound"
    for wrong in ({}, {"additional_authenticated_data": "ctx-2"}):
        with pytest.raises(ClientRequestException) as info:
            decrypt(hw, enc["cipher_text"], **wrong)
        assert info.value.status_code == 400, info.value
    # a flipped byte is refused
    raw = bytearray(unb64(ct))
    raw[-20] ^= 1
    with pytest.raises(ClientRequestException) as info:
        decrypt(hw, b64(bytes(raw)))
    assert info.value.status_code in (400, 404), info.value


def test_encryption_context_object(server, hw):
    kid = create_key(hw)
    r = h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/encrypt-data",
                 {"key_id": kid, "plain_text": "ctx", "encryption_context": {"b": "2", "a": "1"}})
    assert r.status == 200, r.body[:300]
    ct = json.loads(r.body)["cipher_text"]
    r = h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/decrypt-data",
                 {"cipher_text": ct, "encryption_context": {"a": "1", "b": "2"}})
    assert r.status == 200 and json.loads(r.body)["plain_text"] == "ctx", r.body[:300]
    for ctx in (None, {"a": "1"}, {"a": "1", "b": "3"}):
        body = {"cipher_text": ct} if ctx is None else {"cipher_text": ct, "encryption_context": ctx}
        r = h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/decrypt-data", body)
        assert r.status == 400, (ctx, r.body[:300])
    r = h.hw_raw(server, "POST", "/v1.0/{project_id}/kms/encrypt-data",
                 {"key_id": kid, "plain_text": "ctx", "encryption_context": "not an object"})
    h.raw_error(r, "KMS.0208", 400)


def test_rsa_oaep_encrypt_decrypt(hw):
    kid = create_key(hw, "RSA_2048", "ENCRYPT_DECRYPT")
    pub = public_key(hw, kid)
    assert isinstance(pub, rsa.RSAPublicKey) and pub.key_size == 2048
    # encrypted here with the public key, decrypted by the server
    ct = pub.encrypt(b"local secret", padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                                    label=None))
    dec = decrypt(hw, b64(ct), key_id=kid, encryption_algorithm="RSAES_OAEP_SHA_256")
    assert dec["plain_text"] == "local secret" and dec["key_id"] == kid
    enc = encrypt(hw, kid, "server side", encryption_algorithm="RSAES_OAEP_SHA_256")
    assert len(unb64(enc["cipher_text"])) == 256
    assert decrypt(hw, enc["cipher_text"], key_id=kid, encryption_algorithm="RSAES_OAEP_SHA_256")["plain_text"] == \
        "server side"
    # usage mismatches
    signer = create_key(hw, "EC_P256")
    with pytest.raises(ClientRequestException) as info:
        encrypt(hw, signer, "x", encryption_algorithm="RSAES_OAEP_SHA_256")
    assert info.value.status_code == 400, info.value
    aes = create_key(hw)
    expect_hw_error(lambda: sign(hw, aes, "RSASSA_PSS_SHA_256", hashlib.sha256(b"x").digest()), "KMS.1115")


def test_sm2_encrypt_decrypt(hw):
    kid = create_key(hw, "SM2", "ENCRYPT_DECRYPT")
    enc = encrypt(hw, kid, "国密 SM2", encryption_algorithm="SM2_ENCRYPT")
    dec = decrypt(hw, enc["cipher_text"], key_id=kid, encryption_algorithm="SM2_ENCRYPT")
    assert dec["plain_text"] == "国密 SM2"


# --------------------------------------------------------------------------
# data keys
# --------------------------------------------------------------------------


def test_data_keys(hw):
    kid = create_key(hw)
    out = wire(hw.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(key_id=kid))))
    assert out["key_id"] == kid and HEX.match(out["plain_text"]) and HEX.match(out["cipher_text"]), out
    dek = bytes.fromhex(out["plain_text"])
    assert len(dek) == 32

    def dk_decrypt(cipher_hex: str, length: int, **kw) -> dict:
        return wire(hw.decrypt_datakey(DecryptDatakeyRequest(body=DecryptDatakeyRequestBody(
            key_id=kid, cipher_text=cipher_hex, datakey_cipher_length=str(length), **kw))))

    back = dk_decrypt(out["cipher_text"], 32)
    assert bytes.fromhex(back["data_key"]) == dek and back["datakey_length"] == "32", back
    assert back["datakey_dgst"].lower() == hashlib.sha256(dek).hexdigest()

    for kw, size in (({"datakey_length": "512"}, 64), ({"key_spec": "AES_128"}, 16), ({"key_spec": "AES_256"}, 32),
                     ({"key_spec": "AES_128", "datakey_length": "64"}, 8)):
        out = wire(hw.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(key_id=kid, **kw))))
        assert len(bytes.fromhex(out["plain_text"])) == size, (kw, out)
    for bad in ({"datakey_length": "7"}, {"datakey_length": "8200"}, {"key_spec": "AES_512"}):
        with pytest.raises(ClientRequestException) as info:
            hw.create_datakey(CreateDatakeyRequest(body=CreateDatakeyRequestBody(key_id=kid, **bad)))
        assert info.value.status_code == 400 and info.value.error_code in ("KMS.1901", "KMS.1902", "KMS.1903"), bad

    out = wire(hw.create_datakey_without_plaintext(CreateDatakeyWithoutPlaintextRequest(
        body=CreateDatakeyRequestBody(key_id=kid, datakey_length="128", additional_authenticated_data="aad"))))
    assert "plain_text" not in out and HEX.match(out["cipher_text"]), out
    back = dk_decrypt(out["cipher_text"], 16, additional_authenticated_data="aad")
    assert len(bytes.fromhex(back["data_key"])) == 16
    assert back["datakey_dgst"].lower() == hashlib.sha256(bytes.fromhex(back["data_key"])).hexdigest()

    # encrypt-datakey: plain_text = HEX(DEK || SHA256(DEK)), datakey_plain_length = DEK bytes
    mine = os.urandom(64)
    body = EncryptDatakeyRequestBody(key_id=kid, plain_text=(mine + hashlib.sha256(mine).digest()).hex(),
                                     datakey_plain_length="64")
    out = wire(hw.encrypt_datakey(EncryptDatakeyRequest(body=body)))
    assert out["key_id"] == kid and out["datakey_length"] == "64" and HEX.match(out["cipher_text"]), out
    back = dk_decrypt(out["cipher_text"], 64)
    assert bytes.fromhex(back["data_key"]) == mine and back["datakey_length"] == "64"

    wrong_hash = (mine + hashlib.sha256(mine[::-1]).digest()).hex()
    expect_hw_error(lambda: hw.encrypt_datakey(EncryptDatakeyRequest(body=EncryptDatakeyRequestBody(
        key_id=kid, plain_text=wrong_hash, datakey_plain_length="64"))), "KMS.2103")
    expect_hw_error(lambda: hw.encrypt_datakey(EncryptDatakeyRequest(body=EncryptDatakeyRequestBody(
        key_id=kid, plain_text=body.plain_text, datakey_plain_length="32"))), "KMS.2104")


# --------------------------------------------------------------------------
# sign / verify / get-publickey
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["RSA_2048", "EC_P256", "EC_P384", "SECP256K1"])
def test_sign_verify_checked_locally(hw, spec):
    kid = create_key(hw, spec, "SIGN_VERIFY")
    pub = public_key(hw, kid)
    message = b"the message " + os.urandom(8)
    for alg in h.sign_algorithms(spec):
        d = h.digest(alg, message)
        sig = sign(hw, kid, alg, d)  # message_type DIGEST is the default
        h.verify_locally(pub, alg, d, sig, prehashed=True)
        assert verify(hw, kid, alg, d, sig) == "true"
        sig_raw = sign(hw, kid, alg, message, "RAW")
        h.verify_locally(pub, alg, message, sig_raw, prehashed=False)
        assert verify(hw, kid, alg, message, sig_raw, "RAW") == "true"
        bad = bytearray(sig)
        bad[len(bad) // 2] ^= 0x40
        assert verify(hw, kid, alg, d, bytes(bad)) == "false"
        with pytest.raises(InvalidSignature):
            h.verify_locally(pub, alg, d, bytes(bad), prehashed=True)
    # a digest of the wrong length
    alg = h.sign_algorithms(spec)[0]
    expect_hw_error(lambda: sign(hw, kid, alg, b"\x00" * 20), "KMS.0329")


def test_sm2_sign_verify_checked_with_openssl(hw):
    kid = create_key(hw, "SM2", "SIGN_VERIFY")
    pem = wire(hw.show_public_key(ShowPublicKeyRequest(body=OP(key_id=kid))))["public_key"].replace("\r\n", "\n")
    message = b"SM2 over the Huawei API " + os.urandom(4)
    sig = sign(hw, kid, "SM2DSA_SM3", message, "RAW")
    assert cs.openssl_sm2_verify(pem, message, sig)
    assert verify(hw, kid, "SM2DSA_SM3", message, sig, "RAW") == "true"
    # DIGEST mode takes e = SM3(Z_A || M)
    e = cs.sm2_digest(cs.pem_to_der(pem), message)
    sig = sign(hw, kid, "SM2DSA_SM3", e)
    assert cs.openssl_sm2_verify(pem, message, sig)
    assert verify(hw, kid, "SM2DSA_SM3", e, sig) == "true"
    assert not cs.openssl_sm2_verify(pem, message + b"!", sig)


def test_get_publickey_pem_and_signing_checks(hw):
    kid = create_key(hw, "EC_P256")
    out = wire(hw.show_public_key(ShowPublicKeyRequest(body=OP(key_id=kid))))
    assert out["public_key"].startswith("-----BEGIN PUBLIC KEY-----"), out
    h.public_from_pem(out["public_key"].replace("\r\n", "\n"))
    with pytest.raises(ClientRequestException) as info:
        sign(hw, kid, "RSASSA_PSS_SHA_256", hashlib.sha256(b"x").digest())
    assert info.value.status_code == 400 and info.value.error_code in ("KMS.0332", "KMS.0308"), info.value
    aes = create_key(hw)
    with pytest.raises(ClientRequestException) as info:
        hw.show_public_key(ShowPublicKeyRequest(body=OP(key_id=aes)))
    assert info.value.status_code == 400, info.value


# --------------------------------------------------------------------------
# gen-random, generate-mac / verify-mac
# --------------------------------------------------------------------------


def test_gen_random(hw):
    seen = set()
    for bits in ("512", "8", "8192"):
        out = wire(hw.create_random(CreateRandomRequest(body=GenRandomRequestBody(random_data_length=bits))))
        data = out["random_data"]
        assert HEX.match(data) and len(data) == int(bits) // 4, out
        seen.add(data)
    assert len(seen) == 3
    for bad in ("7", "0", "8200"):
        with pytest.raises(ClientRequestException) as info:
            hw.create_random(CreateRandomRequest(body=GenRandomRequestBody(random_data_length=bad)))
        assert info.value.status_code == 400 and info.value.error_code in ("KMS.1801", "KMS.1802"), (bad, info.value)


@pytest.mark.parametrize("spec,alg", [("HMAC_256", "HMAC_SHA_256"), ("HMAC_384", "HMAC_SHA_384"),
                                      ("HMAC_512", "HMAC_SHA_512")])
def test_generate_and_verify_mac(hw, spec, alg):
    kid = create_key(hw, spec)
    msg = b64(b"mac me " + os.urandom(4))
    out = wire(hw.generate_mac(GenerateMacRequest(body=GenerateMacRequestBody(key_id=kid, mac_algorithm=alg,
                                                                             message=msg))))
    assert out["key_id"] == kid and out["mac_algorithm"] == alg, out
    mac = unb64(out["mac"])
    assert len(mac) == int(alg[-3:]) // 8
    again = wire(hw.generate_mac(GenerateMacRequest(body=GenerateMacRequestBody(key_id=kid, mac_algorithm=alg,
                                                                               message=msg))))
    assert again["mac"] == out["mac"], "HMAC is deterministic"

    def vm(mac_b64: str, message: str = msg) -> object:
        r = wire(hw.verify_mac(VerifyMacRequest(body=VerifyMacRequestBody(key_id=kid, mac_algorithm=alg,
                                                                          message=message, mac=mac_b64))))
        assert r["key_id"] == kid
        return r["mac_valid"]

    assert vm(out["mac"]) is True  # a JSON boolean
    assert vm(b64(mac[:-1] + bytes([mac[-1] ^ 1]))) is False
    assert vm(out["mac"], b64(b"another message")) is False
    other = create_key(hw, spec)
    theirs = wire(hw.generate_mac(GenerateMacRequest(body=GenerateMacRequestBody(key_id=other, mac_algorithm=alg,
                                                                                message=msg))))["mac"]
    assert theirs != out["mac"]
    # HMAC keys do not encrypt; other keys do not MAC
    with pytest.raises(ClientRequestException) as info:
        encrypt(hw, kid, "x")
    assert info.value.status_code == 400
    aes = create_key(hw)
    with pytest.raises(ClientRequestException) as info:
        hw.generate_mac(GenerateMacRequest(body=GenerateMacRequestBody(key_id=aes, mac_algorithm=alg, message=msg)))
    assert info.value.status_code == 400
    hw.disable_key(DisableKeyRequest(body=OP(key_id=kid)))
    expect_hw_error(lambda: hw.generate_mac(GenerateMacRequest(body=GenerateMacRequestBody(
        key_id=kid, mac_algorithm=alg, message=msg))), "KMS.0209")


# --------------------------------------------------------------------------
# one key, two protocols
# --------------------------------------------------------------------------


def test_huawei_key_used_through_the_alibaba_api(server, hw):
    kid = create_key(hw)
    tea = tea_client(server)
    ali = tea.encrypt(am.EncryptRequest(key_id=kid, plaintext="from alibaba")).body
    assert ali.key_id == kid
    assert decrypt(hw, ali.ciphertext_blob)["plain_text"] == "from alibaba"
    mine = encrypt(hw, kid, "from huawei")["cipher_text"]
    assert tea.decrypt(am.DecryptRequest(ciphertext_blob=mine)).body.plaintext == "from huawei"
    # state changes are seen by both
    hw.disable_key(DisableKeyRequest(body=OP(key_id=kid)))
    assert tea.describe_key(am.DescribeKeyRequest(key_id=kid)).body.key_metadata.key_state == "Disabled"
    tea.enable_key(am.EnableKeyRequest(key_id=kid))
    assert describe(hw, kid)["key_state"] == "2"


def test_alibaba_key_used_through_the_huawei_api(server, hw):
    tea = tea_client(server)
    kid = tea.create_key(am.CreateKeyRequest(key_spec="Aliyun_AES_256")).body.key_metadata.key_id
    d = describe(hw, kid)
    assert (d["key_spec"], d["key_state"], d["origin"]) == ("AES_256", "2", "kms"), d
    assert decrypt(hw, encrypt(hw, kid, "both ways")["cipher_text"])["plain_text"] == "both ways"
    ec_kid = tea.create_key(am.CreateKeyRequest(key_spec="EC_P256", key_usage="SIGN/VERIFY")).body.key_metadata.key_id
    pub = public_key(hw, ec_kid)
    d = hashlib.sha256(b"signed via huawei").digest()
    h.verify_locally(pub, "ECDSA_SHA_256", d, sign(hw, ec_kid, "ECDSA_SHA_256", d), prehashed=True)
