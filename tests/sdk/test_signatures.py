"""The same lifecycle must work under every way the official SDKs talk to KMS:
Tea ACS3-HMAC-SHA256 (default), Tea V1 (`signature_algorithm='v2'`), Tea ACS4,
HTTPS trusting the server's local CA, the classic aliyunsdkcore V1 SDK with
POST and GET, parameters in a form body, and an independent re-implementation
of both schemes (shared/protocol/SIGNATURES.md)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import uuid

import pytest

from alibabacloud_kms20160120 import models as m
from alibabacloud_tea_openapi import models as open_api_models
from aliyunsdkcore.request import CommonRequest
from aliyunsdkkms.request.v20160120 import (
    CreateKeyRequest,
    DescribeKeyRequest,
    DescribeRegionsRequest,
    ListKeysRequest,
)
from darabonba.core import DaraCore
from Tea.exceptions import TeaException

from kwhelpers import (
    REQUEST_ID_RE,
    assert_time_near,
    build_acs3_request,
    build_v1_request,
    core_call,
    core_client,
    key_arn,
    runtime,
    send_raw,
    tea_client,
    utcnow,
)

DESCRIPTION = "sig test: a+b c/d ~*'() 密钥 %2F"


def lifecycle(kms, rt=None) -> str:
    """Every implemented key action once, through a Tea client; returns the key id."""
    rt = rt or runtime()
    meta = kms.create_key_with_options(m.CreateKeyRequest(description=DESCRIPTION, key_spec="Aliyun_SM4"), rt).body.key_metadata
    key_id = meta.key_id
    assert meta.description == DESCRIPTION and meta.key_spec == "Aliyun_SM4"

    def describe():
        return kms.describe_key_with_options(m.DescribeKeyRequest(key_id=key_id), rt).body.key_metadata

    kms.disable_key_with_options(m.DisableKeyRequest(key_id=key_id), rt)
    assert describe().key_state == "Disabled"
    kms.enable_key_with_options(m.EnableKeyRequest(key_id=key_arn(key_id)), rt)
    assert describe().key_state == "Enabled"
    kms.update_key_description_with_options(m.UpdateKeyDescriptionRequest(key_id=key_id, description=DESCRIPTION + "!"), rt)
    assert describe().description == DESCRIPTION + "!"
    kms.set_deletion_protection_with_options(m.SetDeletionProtectionRequest(
        protected_resource_arn=key_arn(key_id), enable_deletion_protection=True,
        deletion_protection_description="p q+r"), rt)
    d = describe()
    assert d.deletion_protection == "Enabled" and d.deletion_protection_description == "p q+r"
    kms.set_deletion_protection_with_options(m.SetDeletionProtectionRequest(
        protected_resource_arn=key_arn(key_id), enable_deletion_protection=False), rt)
    before = utcnow()
    kms.schedule_key_deletion_with_options(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=9), rt)
    d = describe()
    assert d.key_state == "PendingDeletion"
    assert_time_near(d.delete_date, before + dt.timedelta(days=9), 300)
    kms.cancel_key_deletion_with_options(m.CancelKeyDeletionRequest(key_id=key_id), rt)
    assert describe().key_state == "Enabled"

    listed = kms.list_keys_with_options(m.ListKeysRequest(
        page_size=100, filters=json.dumps([{"Key": "KeySpec", "Values": ["Aliyun_SM4"]}])), rt).body
    assert listed.total_count >= 1
    regions = kms.describe_regions_with_options(rt).body
    assert [r.region_id for r in regions.regions.region] == ["cn-hangzhou"]
    assert kms.describe_account_kms_status_with_options(rt).body.account_status == "Enabled"
    instances = kms.list_kms_instances_with_options(m.ListKmsInstancesRequest(), rt).body
    assert isinstance(instances.total_count, int)
    return key_id


# ---------------------------------------------------------------------------
# Tea SDK
# ---------------------------------------------------------------------------


def test_tea_acs3_http(server):
    lifecycle(tea_client(server))


def test_tea_v2_signature_http(server):
    lifecycle(tea_client(server, signature_algorithm="v2"))


def test_tea_acs4_http(server):
    lifecycle(tea_client(server, signature_version="v4"))


def test_tea_https_config_ca(server):
    lifecycle(tea_client(server, protocol="https", ca=server.ca_path))


def test_tea_https_runtime_ca(server):
    lifecycle(tea_client(server, protocol="https"), runtime(ca=server.ca_path))


def test_tea_https_v2_signature(server):
    lifecycle(tea_client(server, protocol="https", signature_algorithm="v2", ca=server.ca_path))


def test_tea_https_localhost_name(server):
    """The certificate also names localhost (hostname verification by DNS SAN)."""
    lifecycle(tea_client(server, protocol="https", ca=server.ca_path, host="localhost"))


@pytest.fixture
def fresh_tea_connections():
    """darabonba caches one requests.Session per host:port for the whole process,
    and a kept-alive TLS connection verified with a CA would be reused by a client
    that has none; start and end with an empty cache so the TLS handshake is real."""
    DaraCore._sessions.clear()
    yield
    DaraCore._sessions.clear()


def test_tea_https_without_ca_fails_tls_verification(server, fresh_tea_connections):
    """Without the CA the system trust store rejects the certificate: real TLS."""
    client = tea_client(server, protocol="https")
    with pytest.raises(TeaException) as info:
        client.describe_regions()
    text = f"{info.value.message} {getattr(info.value, 'inner_exception', '')}"
    assert "CERTIFICATE_VERIFY_FAILED" in text, text
    assert info.value.code is None  # no HTTP response was ever produced
    # The same client succeeds once it is given the CA for this call.
    assert client.describe_regions_with_options(runtime(ca=server.ca_path)).body.regions.region


def test_https_certificate_chains_to_local_ca(server):
    """The certificate verifies against ca.pem for the address the SDKs dial."""
    ctx = ssl.create_default_context(cafile=server.ca_path)
    with socket.create_connection(("127.0.0.1", server.https_port), timeout=10) as sock:
        with ctx.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            assert tls.getpeercert()
    # Without the CA, the default trust store refuses it.
    with socket.create_connection(("127.0.0.1", server.https_port), timeout=10) as sock:
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(sock, server_hostname="127.0.0.1")
    # A raw signed request over TLS works too.
    resp = send_raw(server, build_v1_request(server, "DescribeRegions"), https=True)
    assert resp.status == 200, resp.body


def test_plain_http_to_https_port_is_not_served(server):
    with socket.create_connection(("127.0.0.1", server.https_port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        sock.settimeout(10)
        try:
            data = sock.recv(4096)
        except (ConnectionResetError, socket.timeout):
            data = b""
    assert not data.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("algorithm", [None, "v2"], ids=["acs3", "v2"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_tea_generic_call_api(server, algorithm, method):
    """Tea's generic call_api: POST with a form body, GET with a query string."""
    client = tea_client(server, signature_algorithm=algorithm)
    key_id = client.create_key(m.CreateKeyRequest(description="generic")).body.key_metadata.key_id
    params = open_api_models.Params(
        action="DescribeKey", version="2016-01-20", protocol="HTTP", pathname="/",
        method=method, auth_type="AK", style="RPC", req_body_type="formData", body_type="json",
    )
    if method == "POST":
        request = open_api_models.OpenApiRequest(body={"KeyId": key_arn(key_id)})
    else:
        request = open_api_models.OpenApiRequest(query={"KeyId": key_arn(key_id)})
    resp = client.call_api(params, request, runtime())
    assert resp["statusCode"] == 200
    meta = resp["body"]["KeyMetadata"]
    assert meta["KeyId"] == key_id and meta["Description"] == "generic"
    assert REQUEST_ID_RE.match(resp["body"]["RequestId"])


def test_admin_created_access_key(server):
    ak, secret = server.create_access_key()
    assert ak != server.access_key_id and len(secret) >= 8
    for algorithm in (None, "v2"):
        client = tea_client(server, access_key_id=ak, access_key_secret=secret, signature_algorithm=algorithm)
        meta = client.create_key(m.CreateKeyRequest(description="by a second key")).body.key_metadata
        assert meta.key_state == "Enabled"
    client = core_client(server, access_key_id=ak, access_key_secret=secret)
    assert core_call(client, server, DescribeRegionsRequest.DescribeRegionsRequest(), method="GET")["Regions"]


# ---------------------------------------------------------------------------
# aliyunsdkcore (V1 SDK)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_core_sdk_v1(server, method):
    client = core_client(server)
    req = CreateKeyRequest.CreateKeyRequest()
    req.set_Description(DESCRIPTION)
    req.set_KeySpec("EC_P256K")
    meta = core_call(client, server, req, method=method)["KeyMetadata"]
    assert meta["KeySpec"] == "EC_P256K" and meta["KeyUsage"] == "SIGN/VERIFY"
    assert meta["Description"] == DESCRIPTION
    req = DescribeKeyRequest.DescribeKeyRequest()
    req.set_KeyId(key_arn(meta["KeyId"]))
    assert core_call(client, server, req, method=method)["KeyMetadata"]["KeyId"] == meta["KeyId"]
    req = ListKeysRequest.ListKeysRequest()
    req.set_Filters(json.dumps([{"Key": "KeySpec", "Values": ["EC_P256K"]}]))
    req.set_PageSize(100)
    body = core_call(client, server, req, method=method)
    assert meta["KeyId"] in [k["KeyId"] for k in body["Keys"]["Key"]]


def test_core_sdk_https(server):
    client = core_client(server, verify=server.ca_path)
    body = core_call(client, server, DescribeRegionsRequest.DescribeRegionsRequest(), protocol="https")
    assert body["Regions"]["Region"] == [{"RegionId": "cn-hangzhou"}]


def test_core_common_request_body_params(server):
    """CommonRequest.add_body_params: common params in the query, API params in a form body."""
    tea = tea_client(server)
    key_id = tea.create_key(m.CreateKeyRequest()).body.key_metadata.key_id
    client = core_client(server)
    req = CommonRequest(domain=server.http_endpoint, version="2016-01-20", action_name="UpdateKeyDescription")
    req.set_protocol_type("http")
    req.set_method("POST")
    req.add_body_params("KeyId", key_id)
    req.add_body_params("Description", "from a body: a+b c&d=e")
    json.loads(client.do_action_with_exception(req))
    assert tea.describe_key(m.DescribeKeyRequest(key_id=key_id)).body.key_metadata.description == "from a body: a+b c&d=e"


# ---------------------------------------------------------------------------
# Independent implementation of the schemes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_raw_v1(server, method):
    resp = send_raw(server, build_v1_request(server, "ListKeys", {"PageSize": "1"}, method=method))
    assert resp.status == 200, resp.body
    body = resp.json()
    assert body["PageSize"] == 1 and REQUEST_ID_RE.match(body["RequestId"])


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_raw_v1_form_body(server, chunked):
    key_id = tea_client(server).create_key(m.CreateKeyRequest()).body.key_metadata.key_id
    req = build_v1_request(server, "UpdateKeyDescription",
                           {"KeyId": key_id, "Description": "body ~*!'() \u00e9"}, in_body=True)
    resp = send_raw(server, req, chunked=chunked)
    assert resp.status == 200, resp.body
    assert REQUEST_ID_RE.match(resp.json()["RequestId"])
    desc = tea_client(server).describe_key(m.DescribeKeyRequest(key_id=key_id)).body.key_metadata.description
    assert desc == "body ~*!'() \u00e9"


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_raw_acs3(server, method):
    resp = send_raw(server, build_acs3_request(server, "CreateKey", {
        "Description": "raw acs3 ~*!'() 密钥", "KeySpec": "Aliyun_AES_128"}, method=method))
    assert resp.status == 200, resp.body
    meta = resp.json()["KeyMetadata"]
    assert meta["KeySpec"] == "Aliyun_AES_128"
    assert meta["Description"] == "raw acs3 ~*!'() 密钥"
    assert resp.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("skew_minutes", [-10, 10])
def test_timestamp_within_window_accepted(server, skew_minutes):
    when = (utcnow() + dt.timedelta(minutes=skew_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert send_raw(server, build_v1_request(server, "DescribeRegions", timestamp=when)).status == 200
    assert send_raw(server, build_acs3_request(server, "DescribeRegions", date=when)).status == 200


def test_distinct_nonces_are_independent(server):
    """Two otherwise identical requests with different nonces both succeed."""
    ts = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    for _ in range(2):
        assert send_raw(server, build_v1_request(server, "DescribeRegions", timestamp=ts, nonce=uuid.uuid4().hex)).status == 200
