"""Helpers for the keyward SDK compatibility suite.

Everything here is plain Python on top of the official Alibaba Cloud SDKs:
a process wrapper for the keyward server, client factories for the Tea SDK
(`alibabacloud_kms20160120`) and the classic SDK (`aliyunsdkcore` +
`aliyunsdkkms`), and an independent implementation of both request signature
schemes (shared/protocol/SIGNATURES.md) for raw wire-level tests such as
replays and stale timestamps.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import queue
import re
import signal
import ssl
import subprocess
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models
from Tea.exceptions import TeaException

from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.acs_exception.exceptions import ServerException

REGION = "cn-hangzhou"
ACCOUNT_ID = "1000000000000000"
API_VERSION = "2016-01-20"

BOOTSTRAP_AK = "LTAIsdkSuiteBootstrap01"
BOOTSTRAP_SECRET = "sdk-suite-bootstrap-secret-0123456789"

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
REQUEST_ID_RE = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
INSTANCE_ID_RE = re.compile(r"^kst-[0-9a-z]+$")

READY_TIMEOUT = 60.0

# Every HTTP status the SDK transports (and our raw sender) saw; an autouse
# fixture in conftest.py fails any test during which the server answered 5xx.
SEEN_RESPONSES: list[tuple[int, str]] = []


def record_response(status: int, what: str) -> None:
    SEEN_RESPONSES.append((int(status), what))


# --------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def parse_time(value: str) -> dt.datetime:
    assert TIME_RE.match(value), f"not a yyyy-MM-ddTHH:mm:ssZ time: {value!r}"
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def fmt_time(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_time_near(value: str, expected: dt.datetime, tolerance_s: float = 300) -> None:
    got = parse_time(value)
    delta = abs((got - expected).total_seconds())
    assert delta <= tolerance_s, f"{value} is {delta:.0f}s away from {fmt_time(expected)}"


# --------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------


class KeywardServer:
    """A `keyward server --dev` child process on ephemeral ports."""

    def __init__(self, binary: str, data_dir: Path, backend: str, database_url: str | None = None):
        self.binary = binary
        self.data_dir = Path(data_dir)
        self.backend = backend
        self.database_url = database_url
        self.access_key_id = BOOTSTRAP_AK
        self.access_key_secret = BOOTSTRAP_SECRET
        self.http_port: int | None = None
        self.https_port: int | None = None
        self.ca_path: str | None = None
        self.proc: subprocess.Popen | None = None
        self.stdout_lines: list[str] = []
        self.stderr_path = self.data_dir.parent / f"keyward-{backend}.stderr.log"
        self._lines: "queue.Queue[str | None]" = queue.Queue()

    # environment shared by the server and the admin CLI
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_") or k == "KEYWARD_LOG"}
        env["KEYWARD_BOOTSTRAP_ACCESS_KEY_ID"] = self.access_key_id
        env["KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET"] = self.access_key_secret
        if self.database_url:
            env["KEYWARD_DATABASE_URL"] = self.database_url
        return env

    def _pump_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.rstrip("\n")
            self.stdout_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def diagnostics(self) -> str:
        try:
            err = self.stderr_path.read_text(errors="replace")
        except OSError:
            err = "<no stderr captured>"
        return (
            "---- keyward stdout ----\n" + "\n".join(self.stdout_lines)
            + "\n---- keyward stderr (last 8000 chars) ----\n" + err[-8000:]
        )

    def start(self) -> "KeywardServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            self.binary, "server", "--dev",
            "--data-dir", str(self.data_dir),
            "--http-addr", "127.0.0.1:0",
            "--https-addr", "127.0.0.1:0",
        ]
        stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
            env=self.env(), text=True, bufsize=1,
        )
        stderr.close()
        threading.Thread(target=self._pump_stdout, daemon=True).start()

        deadline = time.monotonic() + READY_TIMEOUT
        ready = False
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            m = re.match(r"^keyward: listening (https?) 127\.0\.0\.1:(\d+)$", line)
            if m:
                if m.group(1) == "http":
                    self.http_port = int(m.group(2))
                else:
                    self.https_port = int(m.group(2))
                continue
            m = re.match(r"^keyward: HTTPS certificate issued by the local CA (\S+)", line)
            if m:
                self.ca_path = m.group(1)
                continue
            if line.strip() == "keyward: ready":
                ready = True
                break
        if not ready:
            rc = self.proc.poll()
            self.stop()
            raise RuntimeError(
                f"keyward ({self.backend}) did not print 'keyward: ready' within {READY_TIMEOUT:.0f}s"
                f" (exit code {rc})\n{self.diagnostics()}"
            )
        if self.http_port is None or self.https_port is None:
            self.stop()
            raise RuntimeError(f"keyward did not print both listening lines\n{self.diagnostics()}")
        if self.ca_path is None:
            self.ca_path = str(self.data_dir / "tls" / "ca.pem")
        assert Path(self.ca_path).is_file(), f"CA file {self.ca_path} missing"
        return self

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode

    @property
    def http_endpoint(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    @property
    def https_endpoint(self) -> str:
        return f"127.0.0.1:{self.https_port}"

    # ---- admin CLI -------------------------------------------------------

    def admin(self, *args: str, parse_json: bool = True) -> Any:
        cmd = [self.binary, "admin", "--data-dir", str(self.data_dir), *args]
        res = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=60)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
        return json.loads(res.stdout) if parse_json else res.stdout

    def create_access_key(self) -> tuple[str, str]:
        out = self.admin("access-key", "create", "--output", "json")
        assert out["Principal"] == "admin"
        return out["AccessKeyId"], out["AccessKeySecret"]

    def create_instance(self, key_quota: int = 3, spec: int = 1000) -> str:
        out = self.admin(
            "instance", "create", "--type", "software", "--spec", str(spec),
            "--key-quota", str(key_quota), "--output", "json",
        )
        inst = out["KmsInstanceId"]
        assert INSTANCE_ID_RE.match(inst), inst
        return inst


# --------------------------------------------------------------------------
# SDK clients
# --------------------------------------------------------------------------


def tea_client(
    server: KeywardServer,
    *,
    protocol: str = "http",
    signature_algorithm: str | None = None,
    signature_version: str | None = None,
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
    ca: str | None = None,
    host: str = "127.0.0.1",
) -> KmsClient:
    """The Tea client (alibabacloud_kms20160120) as a user configures it."""
    port = server.https_port if protocol == "https" else server.http_port
    config = open_api_models.Config(
        access_key_id=access_key_id or server.access_key_id,
        access_key_secret=access_key_secret or server.access_key_secret,
        endpoint=f"{host}:{port}",
        protocol=protocol,
        region_id=REGION,
    )
    if signature_algorithm:
        config.signature_algorithm = signature_algorithm
    if signature_version:
        config.signature_version = signature_version
    if ca:
        config.ca = ca
    return KmsClient(config)


def core_client(
    server: KeywardServer,
    *,
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
    verify: str | None = None,
) -> AcsClient:
    """The classic aliyunsdkcore AcsClient."""
    kwargs: dict[str, Any] = {}
    if verify:
        kwargs["verify"] = verify
    return AcsClient(
        access_key_id or server.access_key_id,
        access_key_secret or server.access_key_secret,
        REGION,
        **kwargs,
    )


def core_call(
    client: AcsClient,
    server: KeywardServer,
    request: Any,
    *,
    method: str = "POST",
    protocol: str = "http",
) -> dict:
    request.set_endpoint(server.https_endpoint if protocol == "https" else server.http_endpoint)
    request.set_protocol_type(protocol)
    request.set_method(method)
    raw = client.do_action_with_exception(request)
    body = json.loads(raw)
    assert REQUEST_ID_RE.match(body["RequestId"]), body
    return body


# --------------------------------------------------------------------------
# Error assertions
# --------------------------------------------------------------------------


def assert_error_body(data: dict, code: str, status: int) -> None:
    """The documented error envelope: RequestId, HostId, Code, Message, Recommend, HttpStatus."""
    assert isinstance(data, dict), data
    assert data.get("Code") == code, data
    assert REQUEST_ID_RE.match(str(data.get("RequestId"))), data
    assert isinstance(data.get("Message"), str) and data["Message"], data
    assert data.get("HttpStatus") == status, data
    assert isinstance(data.get("HostId"), str) and data["HostId"], data
    assert isinstance(data.get("Recommend"), str), data


def expect_tea_error(fn: Callable[[], Any], code: str, status: int) -> TeaException:
    """Run a Tea SDK call that must fail with `code` / HTTP `status`."""
    with pytest.raises(TeaException) as info:
        fn()
    err = info.value
    assert err.code == code, f"expected {code}/{status}, got {err.code}/{getattr(err, 'status_code', None)}: {err.message}"
    assert err.status_code == status, f"{code}: expected HTTP {status}, got {err.status_code}"
    assert err.statusCode == status
    assert_error_body(err.data, code, status)
    assert err.data.get("statusCode") == status
    return err


def expect_core_error(fn: Callable[[], Any], code: str, status: int) -> ServerException:
    """Run an aliyunsdkcore call that must fail with `code` / HTTP `status`."""
    with pytest.raises(ServerException) as info:
        fn()
    err = info.value
    assert err.get_error_code() == code, f"expected {code}, got {err.get_error_code()}: {err.get_error_msg()}"
    assert err.get_http_status() == status
    assert REQUEST_ID_RE.match(str(err.get_request_id())), err.get_request_id()
    assert err.get_error_msg()
    return err


# --------------------------------------------------------------------------
# Independent signers and a raw sender (SIGNATURES.md)
# --------------------------------------------------------------------------


def pct(value: str) -> str:
    """RFC 3986 percent-encoding used for signing: only A-Za-z0-9-_.~ stay."""
    return urllib.parse.quote(value, safe="-_.~")


def v1_string_to_sign(method: str, params: dict[str, str]) -> str:
    canon = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(params.items()) if k != "Signature")
    return f"{method}&{pct('/')}&{pct(canon)}"


def v1_sign(method: str, params: dict[str, str], secret: str) -> str:
    sts = v1_string_to_sign(method, params)
    mac = hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


class RawRequest:
    """A fully built, signed HTTP request that can be sent (and replayed) verbatim."""

    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes, string_to_sign: str):
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.string_to_sign = string_to_sign


def build_v1_request(
    server: KeywardServer,
    action: str,
    params: dict[str, str] | None = None,
    *,
    method: str = "POST",
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
    timestamp: str | None = None,
    nonce: str | None = None,
    in_body: bool = False,
) -> RawRequest:
    """A V1 (HMAC-SHA1, RPC) request with every parameter in the query string
    (or, with in_body, in an application/x-www-form-urlencoded body)."""
    p = {
        "Action": action,
        "Version": API_VERSION,
        "Format": "JSON",
        "AccessKeyId": access_key_id or server.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "Timestamp": timestamp or fmt_time(utcnow()),
    }
    p.update(params or {})
    sts = v1_string_to_sign(method, p)
    p["Signature"] = v1_sign(method, p, access_key_secret or server.access_key_secret)
    encoded = urllib.parse.urlencode(p, quote_via=urllib.parse.quote)
    headers = {"Host": server.http_endpoint, "Accept": "application/json"}
    if in_body:
        body = encoded.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Content-Length"] = str(len(body))
        return RawRequest(method, "/", headers, body, sts)
    headers["Content-Length"] = "0"
    return RawRequest(method, "/?" + encoded, headers, b"", sts)


def build_acs3_request(
    server: KeywardServer,
    action: str,
    params: dict[str, str] | None = None,
    *,
    method: str = "POST",
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
    date: str | None = None,
    nonce: str | None = None,
) -> RawRequest:
    """An ACS3-HMAC-SHA256 request with the API parameters in the query string."""
    params = dict(params or {})
    body = b""
    payload_hash = hashlib.sha256(body).hexdigest()
    headers = {
        "host": server.http_endpoint,
        "x-acs-action": action,
        "x-acs-version": API_VERSION,
        "x-acs-date": date or fmt_time(utcnow()),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": payload_hash,
        "accept": "application/json",
    }
    canon_query = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(params.items()))
    signed = sorted(headers)
    canon_headers = "".join(f"{h}:{headers[h].strip()}\n" for h in signed)
    signed_headers = ";".join(signed)
    canonical_request = "\n".join([method, "/", canon_query, canon_headers, signed_headers, payload_hash])
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
    signature = hmac.new((access_key_secret or server.access_key_secret).encode(), sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={access_key_id or server.access_key_id},"
        f"SignedHeaders={signed_headers},Signature={signature}"
    )
    headers["Content-Length"] = "0"
    target = "/" + ("?" + urllib.parse.urlencode(params) if params else "")
    return RawRequest(method, target, headers, body, sts)


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> dict:
        ctype = self.headers.get("content-type", "")
        assert ctype.startswith("application/json"), f"content-type {ctype!r}, body {self.body[:200]!r}"
        return json.loads(self.body)


def send_raw(
    server: KeywardServer,
    req_or_method: RawRequest | str,
    target: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    https: bool = False,
    chunked: bool = False,
) -> RawResponse:
    """Send bytes over a fresh connection; returns status, lower-cased headers, body."""
    if isinstance(req_or_method, RawRequest):
        method, target, headers, body = (
            req_or_method.method, req_or_method.target, req_or_method.headers, req_or_method.body,
        )
    else:
        method = req_or_method
    assert target is not None
    if https:
        ctx = ssl.create_default_context(cafile=server.ca_path)
        conn = http.client.HTTPSConnection("127.0.0.1", server.https_port, timeout=30, context=ctx)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if not any(k.lower() == "host" for k in hdrs):
            hdrs["Host"] = server.http_endpoint
        if chunked:
            hdrs = {k: v for k, v in hdrs.items() if k.lower() != "content-length"}
            hdrs["Transfer-Encoding"] = "chunked"
            half = len(body) // 2
            pieces = [p for p in (body[:half], body[half:]) if p]
            body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
        elif body and not any(k.lower() == "content-length" for k in hdrs):
            hdrs["Content-Length"] = str(len(body))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(body or None)
        resp = conn.getresponse()
        data = resp.read()
        out = RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()
    record_response(out.status, f"raw {method} {target[:80]}")
    return out


def assert_raw_error(resp: RawResponse, code: str | None, status: int | None = None) -> dict:
    """A raw error response: 4xx, JSON content-type, the documented envelope."""
    assert 400 <= resp.status < 500, f"expected a 4xx, got {resp.status}: {resp.body[:300]!r}"
    if status is not None:
        assert resp.status == status, f"expected {status}, got {resp.status}: {resp.body[:300]!r}"
    data = resp.json()
    assert REQUEST_ID_RE.match(str(data.get("RequestId"))), data
    assert isinstance(data.get("Code"), str) and data["Code"], data
    assert isinstance(data.get("Message"), str) and data["Message"], data
    assert data.get("HttpStatus") == resp.status, data
    if code is not None:
        assert data["Code"] == code, data
    return data


def key_arn(key_id: str) -> str:
    return f"acs:kms:{REGION}:{ACCOUNT_ID}:key/{key_id}"


def runtime(**kwargs: Any) -> util_models.RuntimeOptions:
    return util_models.RuntimeOptions(**kwargs)


# --------------------------------------------------------------------------
# Raw signed calls (exact wire JSON, every field the server sent)
# --------------------------------------------------------------------------


def raw_call(server: KeywardServer, action: str, params: dict[str, str] | None = None) -> RawResponse:
    """An ACS3-signed POST with `params` in the query, sent by the independent signer."""
    return send_raw(server, build_acs3_request(server, action, params))


def raw_ok(server: KeywardServer, action: str, params: dict[str, str] | None = None) -> dict:
    """A raw call that must succeed; returns the complete JSON body (no SDK model in between)."""
    resp = raw_call(server, action, params)
    assert resp.status == 200, f"{action}: {resp.status} {resp.body[:300]!r}"
    body = resp.json()
    assert REQUEST_ID_RE.match(str(body.get("RequestId"))), body
    return body


def secret_arn(name: str) -> str:
    return f"acs:kms:{REGION}:{ACCOUNT_ID}:secret/{name}"
