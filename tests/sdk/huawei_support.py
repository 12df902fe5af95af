"""Helpers for the Huawei Cloud KMS API tests (test_huawei.py, test_huawei_import.py).

The client is the official `huaweicloudsdkkms` (v2 `KmsClient`) configured the way HUAWEI.md §2.4
tells a user to: `BasicCredentials(ak, sk, project_id)` plus `with_endpoint("http://127.0.0.1:PORT")`,
with the project id the server printed at start (`keyward: huawei project id <id>`).

Beside it there is an independent SDK-HMAC-SHA256 signer (HUAWEI.md §2.2, written from the
document, not from the SDK) for the few requests the SDK cannot express (an `encryption_context`
object, a forged project id, a tampered body), and the client side of the Huawei import flow
(RSA-OAEP-SHA256 with `cryptography`, RFC 5649 key wrap with padding with `cryptography`'s
`aes_key_wrap_with_padding`, or the documentation's literal `openssl` recipe).
Nothing here imports keyward code.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import urllib.parse
import uuid
from typing import Any, Callable

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkkms.v2 import (
    CreateKeyRequest,
    CreateKeyRequestBody,
    CreateParametersForImportRequest,
    GetParametersForImportRequestBody,
    ImportKeyMaterialRequest,
    ImportKeyMaterialRequestBody,
    KmsClient,
    ListKeyDetailRequest,
    OperateKeyRequestBody,
)

from kwhelpers import KeywardServer, RawResponse, send_raw

PROJECT_ID_RE = re.compile(r"^[0-9a-f]{32}$")
KEY_ID_RE = re.compile(r"^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$")
HEX_RE = re.compile(r"^[0-9a-fA-F]*$")
MS_RE = re.compile(r"^\d{13}$")

WRAP = "RSAES_OAEP_SHA_256"

# HUAWEI.md §1.7: signing algorithm -> hash.
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


# --------------------------------------------------------------------------
# Server, project id and the SDK client
# --------------------------------------------------------------------------


def project_id(server: KeywardServer) -> str:
    """The project id the server printed at start (`keyward: huawei project id <32 hex>`)."""
    for line in server.stdout_lines:
        m = re.match(r"^keyward: huawei project id (\S+)\s*$", line)
        if m:
            pid = m.group(1)
            assert PROJECT_ID_RE.match(pid), f"project id {pid!r} is not 32 lower-case hex characters"
            return pid
    raise AssertionError("the server did not print `keyward: huawei project id <id>`\n" + server.diagnostics())


def hw_client(
    server: KeywardServer,
    *,
    ak: str | None = None,
    sk: str | None = None,
    project: str | None = None,
    https: bool = False,
) -> KmsClient:
    """`huaweicloudsdkkms` as HUAWEI.md §2.4 configures it (explicit project id, custom endpoint)."""
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (10, 30)
    if https:
        cfg.ssl_ca_cert = server.ca_path
        endpoint = f"https://127.0.0.1:{server.https_port}"
    else:
        endpoint = f"http://127.0.0.1:{server.http_port}"
    creds = BasicCredentials(ak or server.access_key_id, sk or server.access_key_secret, project or project_id(server))
    return KmsClient.new_builder().with_http_config(cfg).with_credentials(creds).with_endpoint(endpoint).build()


def wire(resp: Any) -> dict:
    """The exact JSON the server sent for an SDK response (types as on the wire)."""
    raw = resp.raw_content
    assert raw, f"empty body (status {resp.status_code})"
    return json.loads(raw)


def expect_hw_error(fn: Callable[[], Any], code: str, status: int = 400) -> ClientRequestException:
    """Run an SDK call that must fail with HTTP `status` and `error_code` == `code`."""
    with pytest.raises(ClientRequestException) as info:
        fn()
    err = info.value
    assert err.error_code == code and err.status_code == status, (
        f"expected {status} {code}, got {err.status_code} {err.error_code}: {err.error_msg}"
    )
    assert err.error_msg, err
    assert err.request_id, f"{code}: no X-Request-Id"
    return err


def unique_alias(prefix: str = "hd") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create_key(client: KmsClient, spec: str = "AES_256", usage: str | None = None, *, origin: str | None = None,
               alias: str | None = None, description: str | None = None) -> str:
    body = CreateKeyRequestBody(key_alias=alias or unique_alias(), key_spec=spec, key_usage=usage, origin=origin,
                                key_description=description)
    resp = client.create_key(CreateKeyRequest(body=body))
    kid = resp.key_info.key_id
    assert KEY_ID_RE.match(kid), kid
    return kid


def describe(client: KmsClient, key_id: str) -> dict:
    """describe-key's `key_info` exactly as sent."""
    return wire(client.list_key_detail(ListKeyDetailRequest(body=OperateKeyRequestBody(key_id=key_id))))["key_info"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


# --------------------------------------------------------------------------
# Independent SDK-HMAC-SHA256 signer (HUAWEI.md §2.2) and a raw sender
# --------------------------------------------------------------------------


def _enc(segment: str) -> str:
    return urllib.parse.quote(segment, safe="-_.~")


def canonical_uri(path: str) -> str:
    decoded = urllib.parse.unquote(path)
    out = "/".join(_enc(s) for s in decoded.split("/"))
    return out if out.endswith("/") else out + "/"


def hw_sign(method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str], body: bytes,
            ak: str, sk: str) -> str:
    """The Authorization header value for a request (headers must include host and x-sdk-date)."""
    lower = {k.lower(): v for k, v in headers.items()}
    signed = sorted(k for k in lower if "_" not in k)
    canon_headers = "".join(f"{k}:{lower[k].strip()}\n" for k in signed)
    canon_query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(query))
    payload = hashlib.sha256(body).hexdigest()
    creq = "\n".join([method, canonical_uri(path), canon_query, canon_headers, ";".join(signed), payload])
    sts = "SDK-HMAC-SHA256\n" + lower["x-sdk-date"] + "\n" + hashlib.sha256(creq.encode()).hexdigest()
    sig = hmac.new(sk.encode(), sts.encode(), hashlib.sha256).hexdigest()
    return f"SDK-HMAC-SHA256 Access={ak}, SignedHeaders={';'.join(signed)}, Signature={sig}"


def sdk_date(when: dt.datetime | None = None) -> str:
    return (when or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def hw_raw(
    server: KeywardServer,
    method: str,
    path: str,
    body: dict | bytes | None = None,
    *,
    ak: str | None = None,
    sk: str | None = None,
    project: str | None = None,
    date: str | None = None,
    tamper: Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]] | None = None,
) -> RawResponse:
    """A request signed by the independent signer. `path` may contain `{project_id}`."""
    path = path.replace("{project_id}", project or project_id(server))
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    headers = {
        "Host": server.http_endpoint,
        "Content-Type": "application/json;charset=utf-8" if data else "application/json",
        "X-Sdk-Date": date or sdk_date(),
    }
    pid = project or project_id(server)
    headers["X-Project-Id"] = pid
    headers["Authorization"] = hw_sign(method, path, [], headers, data, ak or server.access_key_id,
                                       sk or server.access_key_secret)
    if tamper is not None:
        headers, data = tamper(headers, data)
    return send_raw(server, method, path, headers, data)


def raw_error(resp: RawResponse, code: str, status: int) -> dict:
    """The KMS error body `{"error":{"error_code","error_msg"}}` (or APIGW's flat form)."""
    assert resp.status == status, f"expected {status} {code}, got {resp.status}: {resp.body[:300]!r}"
    data = json.loads(resp.body)
    err = data.get("error", data)
    assert err.get("error_code") == code, data
    assert isinstance(err.get("error_msg"), str) and err["error_msg"], data
    assert resp.headers.get("x-request-id"), resp.headers
    return data


# --------------------------------------------------------------------------
# Import, client side (HUAWEI.md §3)
# --------------------------------------------------------------------------


def get_params(client: KmsClient, key_id: str, algorithm: str = WRAP) -> Any:
    body = GetParametersForImportRequestBody(key_id=key_id, wrapping_algorithm=algorithm)
    return client.create_parameters_for_import(CreateParametersForImportRequest(body=body))


def oaep_wrap(public_key_b64: str, data: bytes) -> str:
    """RSAES-OAEP, SHA-256 and MGF1-SHA-256 (HUAWEI.md §3.2)."""
    pub = serialization.load_der_public_key(unb64(public_key_b64))
    assert isinstance(pub, rsa.RSAPublicKey) and pub.key_size == 2048
    ct = pub.encrypt(data, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    return b64(ct)


def kwp_wrap(kek: bytes, pkcs8: bytes) -> str:
    """RFC 5649 AES key wrap with padding, base64."""
    return b64(aes_key_wrap_with_padding(kek, pkcs8))


def import_material(client: KmsClient, key_id: str, token: str, encrypted_key_material: str, *,
                    encrypted_privatekey: str | None = None, expiration_time: int | None = None) -> Any:
    body = ImportKeyMaterialRequestBody(key_id=key_id, import_token=token,
                                        encrypted_key_material=encrypted_key_material,
                                        encrypted_privatekey=encrypted_privatekey, expiration_time=expiration_time)
    return client.import_key_material(ImportKeyMaterialRequest(body=body))


def import_symmetric(client: KmsClient, key_id: str, material: bytes, *, expiration_time: int | None = None) -> Any:
    p = get_params(client, key_id)
    return import_material(client, key_id, p.import_token, oaep_wrap(p.public_key, material),
                           expiration_time=expiration_time)


def import_private(client: KmsClient, key_id: str, pkcs8: bytes, *, temp: bytes | None = None) -> Any:
    p = get_params(client, key_id)
    temp = temp if temp is not None else os.urandom(32)
    return import_material(client, key_id, p.import_token, oaep_wrap(p.public_key, temp),
                           encrypted_privatekey=kwp_wrap(temp, pkcs8))


def new_private_key(spec: str):
    if spec.startswith("RSA_"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(spec[4:]))
    curve = {"EC_P256": ec.SECP256R1(), "EC_P384": ec.SECP384R1()}[spec]
    return ec.generate_private_key(curve)


def pkcs8_der(private_key) -> bytes:
    return private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


# --------------------------------------------------------------------------
# Local signature checks
# --------------------------------------------------------------------------


def sign_algorithms(spec: str) -> list[str]:
    if spec.startswith("RSA_"):
        return [f"RSASSA_{p}_SHA_{h}" for p in ("PSS", "PKCS1_V1_5") for h in ("256", "384", "512")]
    return {"EC_P256": ["ECDSA_SHA_256"], "EC_P384": ["ECDSA_SHA_384"], "SECP256K1": ["ECDSA_SHA_256"]}[spec]


def digest(alg: str, message: bytes) -> bytes:
    h = hashes.Hash(HASHES[alg[-3:]]())
    h.update(message)
    return h.finalize()


def verify_locally(public_key, alg: str, message: bytes, signature: bytes, *, prehashed: bool) -> None:
    """Raises InvalidSignature unless `signature` is `alg` over `message` (a digest if prehashed)."""
    h = HASHES[alg[-3:]]()
    algo = utils.Prehashed(h) if prehashed else h
    if alg.startswith("ECDSA"):
        public_key.verify(signature, message, ec.ECDSA(algo))
    elif alg.startswith("RSASSA_PSS"):
        public_key.verify(signature, message, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), algo)
    else:
        public_key.verify(signature, message, padding.PKCS1v15(), algo)


def public_from_pem(pem: str):
    return serialization.load_pem_public_key(pem.encode())
