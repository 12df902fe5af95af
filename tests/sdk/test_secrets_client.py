"""The official secrets client, `alibabacloud-secretsmanager-client-v2` (2.0.0), against keyward
over real HTTPS.

How the client is pointed at keyward (read from its source): `RegionInfo(endpoint=...,
ca_file_path=...)` applies the CA file only to endpoints ending in
`cryptoservice.kms.aliyuncs.com` and otherwise builds `https://kms.<region>.aliyuncs.com`, so it
cannot name a self-hosted server. The builder's own knob for that is
`DefaultSecretManagerClientBuilder.add_config(Config)`: the Tea `Config` it receives is used as
is for that region (endpoint `127.0.0.1:PORT`, `protocol="https"`, `ca=<keyward's CA file>`,
AccessKey). `Config.ca` becomes the per-request TLS trust anchor of the Tea runtime, so no
process-wide variable (SSL_CERT_FILE, REQUESTS_CA_BUNDLE) is needed.

The cache client (`SecretManagerCacheClientBuilder`) keeps a value for the secret's TTL: a value
rotated with PutSecretValue (Tea SDK) is seen only once the TTL has passed. A client given a CA
that did not issue keyward's certificate (or none) fails the TLS handshake."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alibabacloud_kms20160120 import models as m
from alibabacloud_kms20160120.models import GetSecretValueRequest
from alibabacloud_secretsmanager_client_v2.secret_manager_cache_client_builder import SecretManagerCacheClientBuilder
from alibabacloud_secretsmanager_client_v2.service.default_secret_manager_client_builder import (
    DefaultSecretManagerClientBuilder,
)
from alibabacloud_secretsmanager_client_v2.service.full_jitter_back_off_strategy import FullJitterBackoffStrategy
from alibabacloud_tea_openapi import models as open_api_models
from darabonba.core import DaraCore
from Tea.exceptions import TeaException

from kwhelpers import REGION, KeywardServer

TTL_MS = 3000

# Variables the secrets client reads at init() (utils/variable_const.py); none may leak in.
CLIENT_ENV = (
    "cache_client_region_id", "credentials_type", "credentials_access_key_id", "credentials_access_secret",
    "credentials_role_name", "credentials_role_arn", "credentials_oidc_provider_arn",
    "credentials_oidc_token_file_path",
)


def keyward_config(server: KeywardServer, ca: str | None) -> open_api_models.Config:
    """The Tea Config the secrets client needs for keyward's HTTPS listener."""
    return open_api_models.Config(
        access_key_id=server.access_key_id,
        access_key_secret=server.access_key_secret,
        endpoint=f"127.0.0.1:{server.https_port}",
        region_id=REGION,
        protocol="https",
        ca=ca,
    )


def secrets_client(server: KeywardServer, ca: str | None, *, init: bool = True):
    """The plain secrets client; the cache client builder calls init() itself."""
    client = (
        DefaultSecretManagerClientBuilder.standard()
        .add_config(keyward_config(server, ca))
        # No retries: a failure must surface at once (the default retries with back-off).
        .with_back_off_strategy(FullJitterBackoffStrategy(retry_max_attempts=0, retry_initial_interval_mills=10))
        .build()
    )
    if init:
        client.init()
    return client


@pytest.fixture(autouse=True)
def isolated_client(monkeypatch, tmp_path):
    """A clean environment for the client, and fresh TLS connections: darabonba caches one
    requests.Session per host:port for the whole process, so a connection verified with one CA
    must not be reused by a client configured with another."""
    for var in CLIENT_ENV:
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    # init() reads ./secretsmanager.properties: run where there is none.
    monkeypatch.chdir(tmp_path)
    DaraCore._sessions.clear()
    yield
    DaraCore._sessions.clear()


def create_secret(tea, data: str) -> str:
    name = f"kw-sdk-smc-{uuid.uuid4().hex[:12]}"
    tea.create_secret(m.CreateSecretRequest(secret_name=name, version_id="v1", secret_data=data))
    return name


def https_gets(captured, server: KeywardServer) -> int:
    prefix = f"https://127.0.0.1:{server.https_port}/"
    return sum(1 for _, url, _ in captured if url.startswith(prefix))


def test_cache_client_sees_rotation_after_ttl(server, tea, captured_http):
    name = create_secret(tea, "first value")
    loaded = time.monotonic()  # before the first read, so the cached copy is no older than this
    cache = (
        SecretManagerCacheClientBuilder.new_cache_client_builder(secrets_client(server, server.ca_path, init=False))
        .with_secret_ttl(name, TTL_MS)
        .build()
    )
    try:
        info = cache.get_secret_info(name)
        assert (info.secret_name, info.version_id, info.secret_value) == (name, "v1", "first value")
        assert (info.secret_data_type, info.secret_type) == ("text", "Generic")
        assert cache.get_secret_value(name) == "first value"
        fetched = https_gets(captured_http, server)
        assert fetched >= 1, "the client read the secret over HTTPS"

        tea.put_secret_value(m.PutSecretValueRequest(secret_name=name, version_id="v2", secret_data="second value"))
        assert tea.get_secret_value(m.GetSecretValueRequest(secret_name=name)).body.secret_data == "second value"
        # Within the TTL the cache answers without asking the server.
        assert cache.get_secret_value(name) == "first value"
        assert time.monotonic() - loaded < TTL_MS / 1000 - 1, "the machine is too slow for this TTL"
        assert https_gets(captured_http, server) == fetched

        deadline = loaded + TTL_MS / 1000 + 10
        while cache.get_secret_value(name) != "second value":
            assert time.monotonic() < deadline, "the rotated value never reached the cache"
            time.sleep(0.2)
        # The background refresh is scheduled with whole-second precision (APScheduler run_date
        # "%Y-%m-%d %H:%M:%S" in secret_manager_cache_client.py), so it may fire up to 1 s early.
        assert time.monotonic() - loaded >= TTL_MS / 1000 - 1
        assert cache.get_secret_info(name).version_id == "v2"
        assert https_gets(captured_http, server) > fetched

        # refresh_now reads through at once.
        tea.put_secret_value(m.PutSecretValueRequest(secret_name=name, version_id="v3", secret_data="third value"))
        assert cache.refresh_now(name) is True
        assert cache.get_secret_value(name) == "third value"
    finally:
        cache.close()


def test_secrets_client_reads_through_https(server, tea):
    name = create_secret(tea, "direct ✓")
    client = secrets_client(server, server.ca_path)
    try:
        body = client.get_secret_value(GetSecretValueRequest(secret_name=name)).body
        assert (body.secret_name, body.secret_data, body.version_id) == (name, "direct ✓", "v1")
        assert body.version_stages.version_stage == ["ACSCurrent"]
        with pytest.raises(TeaException) as info:
            client.get_secret_value(GetSecretValueRequest(secret_name=name + "-missing"))
        assert (info.value.code, info.value.status_code) == ("Forbidden.ResourceNotFound", 404)
    finally:
        client.close()


def write_foreign_ca(path) -> str:
    """A self-signed CA that did not issue keyward's certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the keyward CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


@pytest.mark.parametrize("which", ["foreign CA", "system trust store"])
def test_untrusted_certificate_is_refused(server, tmp_path, which):
    # The handshake fails before any request is sent, so the secret need not exist.
    name = f"kw-sdk-smc-tls-{uuid.uuid4().hex[:12]}"
    ca = write_foreign_ca(tmp_path / "foreign-ca.pem") if which == "foreign CA" else None
    client = secrets_client(server, ca)
    try:
        with pytest.raises(TeaException) as info:
            client.get_secret_value(GetSecretValueRequest(secret_name=name))
        text = f"{info.value.message} {getattr(info.value, 'inner_exception', '')}"
        assert "CERTIFICATE_VERIFY_FAILED" in text, text
        assert info.value.code is None, "no HTTP response was ever produced"
    finally:
        client.close()
    # The cache client surfaces the same failure.
    DaraCore._sessions.clear()
    cache = SecretManagerCacheClientBuilder.new_cache_client_builder(secrets_client(server, ca, init=False)).build()
    try:
        with pytest.raises(TeaException) as info:
            cache.get_secret_value(name)
        assert "CERTIFICATE_VERIFY_FAILED" in f"{info.value.message} {getattr(info.value, 'inner_exception', '')}"
    finally:
        cache.close()
