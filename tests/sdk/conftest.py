"""Fixtures: a real keyward server (SQLite, and PostgreSQL when
KEYWARD_TEST_POSTGRES_URL is set) driven through the official SDKs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.parse
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kwhelpers  # noqa: E402
from kwhelpers import KeywardServer, tea_client  # noqa: E402

# The SDK transports honour proxy variables; the server is on loopback.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
# Never let ambient Alibaba credentials leak into a client.
for _var in list(os.environ):
    if _var.startswith("ALIBABA_CLOUD_") or _var.startswith("ALICLOUD_"):
        os.environ.pop(_var, None)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _keyward_bin() -> str:
    env = os.environ.get("KEYWARD_BIN")
    if env:
        return env
    default = REPO_ROOT / "target" / "debug" / "keyward"
    if not default.exists():
        subprocess.run(["cargo", "build", "-p", "keyward"], cwd=REPO_ROOT, check=True)
    return str(default)


@pytest.fixture(scope="session")
def keyward_bin() -> str:
    path = _keyward_bin()
    assert os.access(path, os.X_OK), f"keyward binary {path} is not executable"
    return path


def _start(keyward_bin: str, tmp_path_factory, backend: str, database_url: str | None = None):
    base = tmp_path_factory.mktemp(f"keyward-{backend}")
    server = KeywardServer(keyward_bin, base / "data", backend, database_url).start()
    return server


def _finish(server: KeywardServer) -> None:
    rc = server.stop()
    assert rc == 0, f"keyward ({server.backend}) exited with {rc} on SIGTERM\n{server.diagnostics()}"
    assert any(line.strip() == "keyward: shutting down" for line in server.stdout_lines), server.diagnostics()


@pytest.fixture(scope="session")
def server(keyward_bin, tmp_path_factory):
    """The main SQLite-backed server shared by the whole session."""
    srv = _start(keyward_bin, tmp_path_factory, "sqlite")
    try:
        yield srv
    finally:
        _finish(srv)


# ---- PostgreSQL --------------------------------------------------------------


def _psql(url: str, sql: str) -> None:
    psql = shutil.which("psql")
    if psql is None:
        pytest.fail("KEYWARD_TEST_POSTGRES_URL is set but `psql` is not on PATH")
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    res = subprocess.run(
        [psql, url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        env=env, capture_output=True, text=True, timeout=60,
    )
    if res.returncode != 0:
        raise RuntimeError(f"psql {sql!r} failed: {res.stderr.strip()}")


@pytest.fixture(scope="session")
def postgres_database():
    """A fresh database per session on the server of KEYWARD_TEST_POSTGRES_URL."""
    admin_url = os.environ.get("KEYWARD_TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("KEYWARD_TEST_POSTGRES_URL is not set: PostgreSQL backend not tested")
    name = f"kw_sdk_{uuid.uuid4().hex[:12]}"
    _psql(admin_url, f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(admin_url)
    db_url = urllib.parse.urlunsplit(parts._replace(path="/" + name))
    try:
        yield db_url
    finally:
        try:
            _psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except RuntimeError as exc:  # pragma: no cover - best effort cleanup
            print(f"warning: could not drop {name}: {exc}", file=sys.stderr)


@pytest.fixture(scope="session")
def pg_server(keyward_bin, tmp_path_factory, postgres_database):
    srv = _start(keyward_bin, tmp_path_factory, "postgres", postgres_database)
    try:
        yield srv
    finally:
        _finish(srv)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request):
    """The server for storage-sensitive (lifecycle) tests, once per backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("server")
    return request.getfixturevalue("pg_server")


# ---- clients -------------------------------------------------------------------


@pytest.fixture
def kms(backend):
    """Tea client (default ACS3-HMAC-SHA256 over HTTP) against `backend`."""
    return tea_client(backend)


@pytest.fixture
def tea(server):
    """Tea client (default ACS3-HMAC-SHA256 over HTTP) against the SQLite server."""
    return tea_client(server)


@pytest.fixture
def hw(server):
    """huaweicloudsdkkms client (SDK-HMAC-SHA256 over HTTP, explicit project id) against the SQLite server."""
    import huawei_support

    return huawei_support.hw_client(server)


@pytest.fixture
def hw_kms(backend):
    """huaweicloudsdkkms client against `backend` (SQLite, and PostgreSQL when configured)."""
    import huawei_support

    return huawei_support.hw_client(backend)


# ---- "the server never answers 5xx" ---------------------------------------------


def _wrap_send(cls, label):
    original = cls.send

    def send(self, request, *args, **kwargs):
        resp = original(self, request, *args, **kwargs)
        kwargs_url = getattr(request, "url", "?")
        kwhelpers.record_response(resp.status_code, f"{label} {request.method} {str(kwargs_url)[:100]}")
        return resp

    send._kw_wrapped = True  # type: ignore[attr-defined]
    if not getattr(original, "_kw_wrapped", False):
        cls.send = send


def pytest_configure(config):
    import requests
    from aliyunsdkcore.vendored import requests as vendored_requests

    _wrap_send(requests.Session, "tea")
    _wrap_send(vendored_requests.Session, "aliyunsdkcore")


@pytest.fixture(autouse=True)
def no_server_errors():
    """Fail any test during which the server answered an HTTP 5xx."""
    start = len(kwhelpers.SEEN_RESPONSES)
    yield
    bad = [r for r in kwhelpers.SEEN_RESPONSES[start:] if r[0] >= 500]
    assert not bad, f"the server answered 5xx: {bad}"


# ---- what the SDKs put on the wire ------------------------------------------------


@pytest.fixture
def captured_http(monkeypatch):
    """Records (method, url, body) of every request the Tea SDK (requests) and the classic SDK
    (aliyunsdkcore's vendored requests) send during the test, to check where parameters travel."""
    import requests
    from aliyunsdkcore.vendored import requests as vendored_requests

    seen: list[tuple[str, str, bytes]] = []
    for cls in (requests.Session, vendored_requests.Session):
        original = cls.send

        def send(self, request, *args, _original=original, **kwargs):
            body = request.body or b""
            seen.append((request.method, str(request.url), body.encode() if isinstance(body, str) else bytes(body)))
            return _original(self, request, *args, **kwargs)

        monkeypatch.setattr(cls, "send", send)
    return seen
