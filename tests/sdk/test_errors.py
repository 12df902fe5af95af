"""Documented errors, as the SDKs surface them (ALIBABA.md §3, SIGNATURES.md):
authentication failures, replays, stale timestamps, unknown actions, unknown
keys and aliases, missing parameters. Every error body is the JSON envelope,
and the server never answers 5xx (checked for every test by conftest)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid

import pytest

from alibabacloud_kms20160120 import models as m
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.utils import Utils as TeaUtils
from aliyunsdkcore.request import CommonRequest
from aliyunsdkcore.utils import parameter_helper
from aliyunsdkkms.request.v20160120 import DescribeKeyRequest, DescribeRegionsRequest, ListKeysRequest

from kwhelpers import (
    assert_raw_error,
    build_acs3_request,
    build_v1_request,
    core_call,
    core_client,
    expect_core_error,
    expect_tea_error,
    fmt_time,
    key_arn,
    runtime,
    send_raw,
    tea_client,
    utcnow,
)

SCHEMES = [None, "v2"]
SCHEME_IDS = ["acs3", "v2"]


def rpc_params(action: str, method: str = "POST") -> open_api_models.Params:
    return open_api_models.Params(
        action=action, version="2016-01-20", protocol="HTTP", pathname="/", method=method,
        auth_type="AK", style="RPC", req_body_type="formData", body_type="json",
    )


# ---------------------------------------------------------------------------
# Wrong secret / unknown AccessKey / disabled AccessKey
# ---------------------------------------------------------------------------


def test_wrong_secret_tea_acs3(server):
    client = tea_client(server, access_key_secret="definitely-wrong-secret")
    err = expect_tea_error(lambda: client.describe_regions(), "SignatureDoesNotMatch", 400)
    msg = err.data["Message"]
    assert ":" in msg
    server_sts = msg.split("server string to sign is:", 1)[1]
    assert re.fullmatch(r"ACS3-HMAC-SHA256\n[0-9a-f]{64}", server_sts), msg


def test_wrong_secret_tea_v2(server):
    client = tea_client(server, access_key_secret="definitely-wrong-secret", signature_algorithm="v2")
    err = expect_tea_error(lambda: client.describe_regions(), "SignatureDoesNotMatch", 400)
    server_sts = err.data["Message"].split("server string to sign is:", 1)[1]
    assert server_sts.startswith("POST&%2F&AccessKeyId%3D")
    assert "Action%3DDescribeRegions" in server_sts


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_wrong_secret_raw_string_to_sign_matches_ours(server, method):
    """The server's string-to-sign (after the colon) equals the client's: the
    canonicalisation agrees, only the key differs."""
    params = {"KeyId": "no such key ~*'()+", "Description": "a b+c/d 密钥"}
    req = build_v1_request(server, "UpdateKeyDescription", params, method=method, access_key_secret="wrong-secret")
    data = assert_raw_error(send_raw(server, req), "SignatureDoesNotMatch", 400)
    assert data["Message"].split(":", 1)[1] == req.string_to_sign

    req = build_acs3_request(server, "UpdateKeyDescription", params, method=method, access_key_secret="wrong-secret")
    data = assert_raw_error(send_raw(server, req), "SignatureDoesNotMatch", 400)
    assert data["Message"].split(":", 1)[1] == req.string_to_sign


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_wrong_secret_core_sdk(server, method):
    """aliyunsdkcore compares the server's string-to-sign with its own and, when
    they match, reports InvalidAccessKeySecret."""
    client = core_client(server, access_key_secret="definitely-wrong-secret")
    req = ListKeysRequest.ListKeysRequest()
    req.set_PageSize(5)
    err = expect_core_error(lambda: core_call(client, server, req, method=method), "InvalidAccessKeySecret", 400)
    assert "AccessKeySecret" in err.get_error_msg()


@pytest.mark.parametrize("algorithm", SCHEMES, ids=SCHEME_IDS)
def test_unknown_access_key_tea(server, algorithm):
    client = tea_client(server, access_key_id="LTAInoSuchKey" + uuid.uuid4().hex[:8], signature_algorithm=algorithm)
    expect_tea_error(lambda: client.list_keys(m.ListKeysRequest()), "InvalidAccessKeyId.NotFound", 404)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_unknown_access_key_core(server, method):
    client = core_client(server, access_key_id="LTAInoSuchKey" + uuid.uuid4().hex[:8])
    expect_core_error(
        lambda: core_call(client, server, DescribeRegionsRequest.DescribeRegionsRequest(), method=method),
        "InvalidAccessKeyId.NotFound", 404,
    )


def test_disabled_access_key(server):
    ak, secret = server.create_access_key()
    server.admin("access-key", "disable", ak, parse_json=False)  # before its first use
    for algorithm in SCHEMES:
        client = tea_client(server, access_key_id=ak, access_key_secret=secret, signature_algorithm=algorithm)
        expect_tea_error(lambda: client.create_key(m.CreateKeyRequest()), "Forbidden.AccessKey", 403)
    client = core_client(server, access_key_id=ak, access_key_secret=secret)
    for method in ("POST", "GET"):
        expect_core_error(
            lambda: core_call(client, server, DescribeRegionsRequest.DescribeRegionsRequest(), method=method),
            "Forbidden.AccessKey", 403,
        )
    data = assert_raw_error(send_raw(server, build_v1_request(
        server, "DescribeRegions", access_key_id=ak, access_key_secret=secret)), "Forbidden.AccessKey", 403)
    assert data["HttpStatus"] == 403


def test_deleted_access_key(server):
    ak, secret = server.create_access_key()
    server.admin("access-key", "delete", ak, parse_json=False)
    client = tea_client(server, access_key_id=ak, access_key_secret=secret)
    expect_tea_error(lambda: client.describe_regions(), "InvalidAccessKeyId.NotFound", 404)


# ---------------------------------------------------------------------------
# Replays and timestamps
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("builder", [build_v1_request, build_acs3_request], ids=["v1", "acs3"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_replayed_request_rejected(server, builder, method):
    """The exact same signed bytes sent twice: the second is a replay."""
    req = builder(server, "DescribeRegions", method=method)
    first = send_raw(server, req)
    assert first.status == 200, first.body
    assert_raw_error(send_raw(server, req), "SignatureNonceUsed", 400)
    # A fresh nonce is fine again.
    assert send_raw(server, builder(server, "DescribeRegions", method=method)).status == 200


@pytest.mark.parametrize("algorithm", SCHEMES, ids=SCHEME_IDS)
def test_replayed_nonce_tea(server, monkeypatch, algorithm):
    nonce = uuid.uuid4().hex
    monkeypatch.setattr(TeaUtils, "get_nonce", staticmethod(lambda: nonce))
    client = tea_client(server, signature_algorithm=algorithm)
    client.describe_regions()
    expect_tea_error(lambda: client.describe_regions(), "SignatureNonceUsed", 400)
    # Another action, same nonce: still a replay.
    expect_tea_error(lambda: client.list_keys(m.ListKeysRequest()), "SignatureNonceUsed", 400)


def test_replayed_nonce_core(server, monkeypatch):
    nonce = uuid.uuid4().hex
    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: nonce)
    client = core_client(server)
    core_call(client, server, DescribeRegionsRequest.DescribeRegionsRequest())
    expect_core_error(
        lambda: core_call(client, server, DescribeRegionsRequest.DescribeRegionsRequest(), method="GET"),
        "SignatureNonceUsed", 400,
    )


@pytest.mark.parametrize("skew_minutes", [-20, 20, -24 * 60])
@pytest.mark.parametrize("builder", [build_v1_request, build_acs3_request], ids=["v1", "acs3"])
def test_stale_timestamp_raw(server, builder, skew_minutes):
    when = fmt_time(utcnow() + dt.timedelta(minutes=skew_minutes))
    kwargs = {"timestamp": when} if builder is build_v1_request else {"date": when}
    assert_raw_error(send_raw(server, builder(server, "DescribeRegions", **kwargs)), "IllegalTimestamp", 400)


@pytest.mark.parametrize("bad", ["garbage", "2026-01-01 00:00:00", "2026-01-01T00:00:00.123Z"])
def test_malformed_timestamp_raw(server, bad):
    assert_raw_error(send_raw(server, build_v1_request(server, "DescribeRegions", timestamp=bad)), "IllegalTimestamp", 400)
    assert_raw_error(send_raw(server, build_acs3_request(server, "DescribeRegions", date=bad)), "IllegalTimestamp", 400)


@pytest.mark.parametrize("algorithm", SCHEMES, ids=SCHEME_IDS)
def test_stale_timestamp_tea(server, monkeypatch, algorithm):
    old = fmt_time(utcnow() - dt.timedelta(hours=1))
    monkeypatch.setattr(TeaUtils, "get_timestamp", staticmethod(lambda: old))
    client = tea_client(server, signature_algorithm=algorithm)
    expect_tea_error(lambda: client.describe_regions(), "IllegalTimestamp", 400)


def test_stale_timestamp_core(server, monkeypatch):
    old = fmt_time(utcnow() - dt.timedelta(hours=1))
    monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: old)
    client = core_client(server)
    expect_core_error(
        lambda: core_call(client, server, DescribeRegionsRequest.DescribeRegionsRequest()),
        "IllegalTimestamp", 400,
    )


# ---------------------------------------------------------------------------
# Unknown action
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_unknown_action_tea(server, algorithm, method):
    client = tea_client(server, signature_algorithm=algorithm)
    err = expect_tea_error(
        lambda: client.call_api(rpc_params("NoSuchAction", method), open_api_models.OpenApiRequest(query={}), runtime()),
        "InvalidAction.NotFound", 404,
    )
    assert "NoSuchAction" in err.data["Message"]


def test_unknown_action_core(server):
    client = core_client(server)
    req = CommonRequest(domain=server.http_endpoint, version="2016-01-20", action_name="NoSuchAction")
    req.set_protocol_type("http")
    req.set_method("POST")
    expect_core_error(lambda: client.do_action_with_exception(req), "InvalidAction.NotFound", 404)


def test_unknown_action_raw(server):
    assert_raw_error(send_raw(server, build_v1_request(server, "NoSuchAction")), "InvalidAction.NotFound", 404)
    assert_raw_error(send_raw(server, build_acs3_request(server, "NoSuchAction")), "InvalidAction.NotFound", 404)


# ---------------------------------------------------------------------------
# Keys that do not exist; missing parameters
# ---------------------------------------------------------------------------

KEY_ACTIONS = {
    "DescribeKey": lambda c, k: c.describe_key(m.DescribeKeyRequest(key_id=k)),
    "EnableKey": lambda c, k: c.enable_key(m.EnableKeyRequest(key_id=k)),
    "DisableKey": lambda c, k: c.disable_key(m.DisableKeyRequest(key_id=k)),
    "ScheduleKeyDeletion": lambda c, k: c.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=k, pending_window_in_days=7)),
    "CancelKeyDeletion": lambda c, k: c.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=k)),
    "UpdateKeyDescription": lambda c, k: c.update_key_description(m.UpdateKeyDescriptionRequest(key_id=k, description="x")),
    "SetDeletionProtection(KeyId)": lambda c, k: c.set_deletion_protection(m.SetDeletionProtectionRequest(key_id=k, enable_deletion_protection=True)),
}

MISSING_KEY_ID = {
    "DescribeKey": lambda c: c.describe_key(m.DescribeKeyRequest()),
    "EnableKey": lambda c: c.enable_key(m.EnableKeyRequest()),
    "DisableKey": lambda c: c.disable_key(m.DisableKeyRequest()),
    "ScheduleKeyDeletion": lambda c: c.schedule_key_deletion(m.ScheduleKeyDeletionRequest(pending_window_in_days=7)),
    "CancelKeyDeletion": lambda c: c.cancel_key_deletion(m.CancelKeyDeletionRequest()),
    "UpdateKeyDescription": lambda c: c.update_key_description(m.UpdateKeyDescriptionRequest(description="x")),
}


@pytest.mark.parametrize("action", sorted(KEY_ACTIONS))
@pytest.mark.parametrize("key_id,code", [
    ("00000000-0000-4000-8000-000000000000", "Forbidden.KeyNotFound"),
    ("key-doesnotexist0000000000", "Forbidden.KeyNotFound"),
    (key_arn("00000000-0000-4000-8000-000000000000"), "Forbidden.KeyNotFound"),
    ("alias/does-not-exist", "Forbidden.AliasNotFound"),
], ids=["uuid", "key-id", "arn", "alias"])
def test_unknown_key(tea, action, key_id, code):
    expect_tea_error(lambda: KEY_ACTIONS[action](tea, key_id), code, 404)


def test_unknown_key_set_deletion_protection_by_arn(tea):
    expect_tea_error(
        lambda: tea.set_deletion_protection(m.SetDeletionProtectionRequest(
            protected_resource_arn=key_arn("00000000-0000-4000-8000-000000000000"), enable_deletion_protection=True)),
        "Forbidden.KeyNotFound", 404,
    )


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_unknown_key_core(server, method):
    client = core_client(server)
    for key_id, code in (("00000000-0000-4000-8000-000000000000", "Forbidden.KeyNotFound"),
                         ("alias/does-not-exist", "Forbidden.AliasNotFound")):
        req = DescribeKeyRequest.DescribeKeyRequest()
        req.set_KeyId(key_id)
        expect_core_error(lambda: core_call(client, server, req, method=method), code, 404)


@pytest.mark.parametrize("action", sorted(MISSING_KEY_ID))
def test_missing_key_id(tea, action):
    err = expect_tea_error(lambda: MISSING_KEY_ID[action](tea), "MissingParameter", 400)
    assert "KeyId" in err.data["Message"]


def test_create_key_errors(tea):
    expect_tea_error(lambda: tea.create_key(m.CreateKeyRequest(key_spec="EC_P256", key_usage="ENCRYPT/DECRYPT")),
                     "InvalidParameter", 400)
    expect_tea_error(lambda: tea.create_key(m.CreateKeyRequest(protection_level="HSM")),
                     "Unsupported.ProtectionLevel", 400)
    expect_tea_error(lambda: tea.create_key(m.CreateKeyRequest(dkmsinstance_id="kst-doesnotexist000000000")),
                     "Forbidden.DKMSInstanceNotFound", 403)
    expect_tea_error(lambda: tea.create_key(m.CreateKeyRequest(origin="EXTERNAL", key_spec="RSA_2048", key_usage="SIGN/VERIFY")),
                     "Rejected.UnsupportedOperation", 400)


def test_state_errors(tea):
    key_id = tea.create_key(m.CreateKeyRequest()).body.key_metadata.key_id
    expect_tea_error(lambda: tea.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=key_id)),
                     "Rejected.StateModifiedFailed", 409)
    tea.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    expect_tea_error(lambda: tea.enable_key(m.EnableKeyRequest(key_id=key_id)), "Rejected.StateModifiedFailed", 409)


# ---------------------------------------------------------------------------
# Malformed requests: always a JSON 4xx, never a 5xx
# ---------------------------------------------------------------------------


def test_invalid_version(server):
    data = assert_raw_error(send_raw(server, build_v1_request(server, "DescribeRegions", {"Version": "2099-01-01"})), None, 400)
    assert data["Code"] != "SignatureDoesNotMatch"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_unsupported_http_method(server, method):
    assert_raw_error(send_raw(server, method, "/?Action=ListKeys", {}), "UnsupportedHTTPMethod", 403)


@pytest.mark.parametrize("name,method,target,headers,body", [
    ("unsigned GET", "GET", "/", {}, b""),
    ("unsigned POST", "POST", "/?Action=ListKeys&Version=2016-01-20", {}, b""),
    ("garbage Authorization", "POST", "/", {"Authorization": "garbage"}, b""),
    ("truncated ACS3", "POST", "/", {"Authorization": "ACS3-HMAC-SHA256", "x-acs-action": "ListKeys"}, b""),
    ("bad base64 Signature", "GET", "/?Action=ListKeys&Version=2016-01-20&AccessKeyId=x&Signature=%25%25&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureNonce=1&Timestamp=2020-01-01T00%3A00%3A00Z", {}, b""),
    ("bad percent-encoding", "GET", "/?Action=%ZZ&Signature=%FF%FE", {}, b""),
    ("non-UTF-8 body", "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"}, b"Action=\xff\xfe&Signature=abc"),
    ("other path", "GET", "/v1/keys", {}, b""),
    ("json body", "POST", "/", {"Content-Type": "application/json"}, b'{"Action":"ListKeys"}'),
], ids=lambda v: v if isinstance(v, str) and " " in v else None)
def test_malformed_requests_get_json_4xx(server, name, method, target, headers, body):
    assert_raw_error(send_raw(server, method, target, headers, body), None)


def test_oversized_body(server):
    resp = send_raw(server, "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"}, os.urandom(2_000_000))
    assert_raw_error(resp, None)


def test_acs3_payload_hash_mismatch(server):
    req = build_acs3_request(server, "DescribeRegions")
    req.headers["x-acs-content-sha256"] = "0" * 64
    assert_raw_error(send_raw(server, req), None, 400)


@pytest.mark.parametrize("override", [{"SignatureMethod": "HMAC-SHA256"}, {"SignatureVersion": "2.0"}])
def test_v1_unsupported_signature_method(server, override):
    assert_raw_error(send_raw(server, build_v1_request(server, "DescribeRegions", override)), None, 400)


def test_error_envelope_from_every_client(server):
    """The same error, seen by the three clients, carries the same envelope."""
    missing = "00000000-0000-4000-8000-00000000abcd"
    err = expect_tea_error(lambda: tea_client(server).describe_key(m.DescribeKeyRequest(key_id=missing)),
                           "Forbidden.KeyNotFound", 404)
    assert err.request_id == err.data["RequestId"]
    assert err.data["Recommend"].endswith("Forbidden.KeyNotFound")
    core_err = expect_core_error(
        lambda: core_call(core_client(server), server, _describe(missing)), "Forbidden.KeyNotFound", 404)
    assert core_err.get_request_id() != err.request_id
    data = assert_raw_error(send_raw(server, build_v1_request(server, "DescribeKey", {"KeyId": missing})),
                            "Forbidden.KeyNotFound", 404)
    assert set(data) >= {"RequestId", "HostId", "Code", "Message", "Recommend", "HttpStatus"}
    assert data["Message"] == err.data["Message"] == core_err.get_error_msg()


def _describe(key_id: str):
    req = DescribeKeyRequest.DescribeKeyRequest()
    req.set_KeyId(key_id)
    return req


# ---------------------------------------------------------------------------
# Parameter validation seen on the wire (raw V1 requests)
# ---------------------------------------------------------------------------


@pytest.fixture
def raw_key(server) -> str:
    return tea_client(server).create_key(m.CreateKeyRequest()).body.key_metadata.key_id


@pytest.mark.parametrize("action,params,code", [
    ("ListKeys", {"PageSize": "abc"}, "InvalidParameter"),
    ("ListKeys", {"PageSize": "5.0"}, "InvalidParameter"),
    ("ListKeys", {"PageNumber": "99999999999999999999"}, "InvalidParameter"),
    ("ListKeys", {"Filters": json.dumps([{"Key": "KeyState", "Values": ["Enabled"]}] * 11)}, "InvalidParameter"),
    ("ListKeys", {"Filters": json.dumps([{"Key": "KeyState", "Values": []}])}, "InvalidParameter"),
    ("ListKeys", {"Filters": json.dumps([{"Key": "KeyState", "Values": ["Bogus"]}])}, "InvalidParameter"),
    ("ListKeys", {"Filters": json.dumps([{"Key": "KeyState", "Values": "Enabled"}])}, "InvalidParameter"),
    ("ScheduleKeyDeletion", {"KeyId": "{key}", "PendingWindowInDays": "abc"}, "InvalidParameter"),
    ("ScheduleKeyDeletion", {"KeyId": "{key}", "PendingWindowInDays": "7.5"}, "InvalidParameter"),
    ("ScheduleKeyDeletion", {"KeyId": "{key}", "PendingWindowInDays": "4294967303"}, "InvalidParameter"),
    ("SetDeletionProtection", {"KeyId": "{key}", "EnableDeletionProtection": "maybe"}, "InvalidParameter"),
    ("UpdateKeyDescription", {"KeyId": "{key}", "Description": "x" * 8193}, "InvalidParameter"),
    ("CreateKey", {"Description": "x" * 8193}, "InvalidParameter"),
    ("CreateKey", {"Tags": "not json"}, "InvalidParameter"),
    ("DescribeKey", {"KeyId": "x" * 10000}, "Forbidden.KeyNotFound"),
    ("DescribeKey", {"KeyId": "密钥"}, "Forbidden.KeyNotFound"),
    ("EnableKey", {"KeyId": ""}, "MissingParameter"),
    ("GetKmsInstance", {"KmsInstanceId": "x" * 5000}, "Forbidden.DKMSInstanceNotFound"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 and not v.startswith("{") else None)
def test_parameter_validation(server, raw_key, action, params, code):
    params = {k: v.replace("{key}", raw_key) for k, v in params.items()}
    assert_raw_error(send_raw(server, build_v1_request(server, action, params)), code)


@pytest.mark.parametrize("value,expected", [("TRUE", "Enabled"), ("true", "Enabled"), ("True", "Enabled"), ("FALSE", "Disabled")])
def test_booleans_are_case_insensitive(server, raw_key, value, expected):
    if expected == "Disabled":  # start from the opposite state
        tea_client(server).set_deletion_protection(m.SetDeletionProtectionRequest(
            key_id=raw_key, enable_deletion_protection=True))
    resp = send_raw(server, build_v1_request(server, "SetDeletionProtection",
                                             {"KeyId": raw_key, "EnableDeletionProtection": value}))
    assert resp.status == 200, resp.body
    desc = tea_client(server).describe_key(m.DescribeKeyRequest(key_id=raw_key)).body.key_metadata
    assert desc.deletion_protection == expected


@pytest.mark.parametrize("page_number", ["2147483648", "4294967296", "4294967297"])
def test_huge_page_numbers_never_wrap(server, page_number):
    """Either an empty page echoing the number, or InvalidParameter; never page 1 again."""
    resp = send_raw(server, build_v1_request(server, "ListKeys", {"PageNumber": page_number, "PageSize": "1"}))
    if resp.status == 200:
        body = resp.json()
        assert body["Keys"]["Key"] == [] and str(body["PageNumber"]) == page_number
    else:
        assert_raw_error(resp, "InvalidParameter", 400)
