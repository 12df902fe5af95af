"""Helpers for the authorization tests (test_authz.py).

- Principals, identity policies and AccessKeys are made with the admin CLI, exactly as an
  operator does: `keyward admin principal create NAME --output json`, `keyward admin policy
  create NAME --document JSON --output json`, `keyward admin policy attach|detach NAME
  --principal P`, `keyward admin access-key create --principal P --output json`.
- Policy documents are built here as plain RAM JSON (`{"Version":"1","Statement":[...]}`).
- ARNs: principal `acs:ram::<account>:user/<name>`; key, alias and secret
  `acs:kms:<region>:<account>:key/<id>|alias/<name>|secret/<name>`; collections
  `acs:kms:<region>:<account>:key|secret|alias`; the account's KMS `acs:kms:<region>:<account>:*`.
- Denials are `403 Forbidden.NoPermission` whose message names the action and the resource ARN.
- Changes made with `keyward admin` reach a running server within its policy cache TTL (5 s):
  `until_denied` / `until_allowed` poll for up to `PROPAGATION_S` instead of sleeping blindly.

Nothing here imports keyward code.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from Tea.exceptions import TeaException

from kwhelpers import ACCOUNT_ID, REGION, KeywardServer, core_client, expect_tea_error, tea_client

DENIED = "Forbidden.NoPermission"
# The server's principal-policy cache lives 5 s; allow some slack for a slow machine.
PROPAGATION_S = 8.0
POLL_S = 0.25

# Variables the secrets client reads at init() (as in test_secrets_client.py); none may leak in.
SECRETS_CLIENT_ENV = (
    "cache_client_region_id", "credentials_type", "credentials_access_key_id", "credentials_access_secret",
    "credentials_role_name", "credentials_role_arn", "credentials_oidc_provider_arn",
    "credentials_oidc_token_file_path",
)


def uid() -> str:
    return uuid.uuid4().hex[:12]


# --------------------------------------------------------------------------
# ARNs
# --------------------------------------------------------------------------


def user_arn(name: str) -> str:
    return f"acs:ram::{ACCOUNT_ID}:user/{name}"


ACCOUNT_PRINCIPAL = f"acs:ram::{ACCOUNT_ID}:*"


def kms_arn(resource: str) -> str:
    """`acs:kms:<region>:<account>:<resource>` (`key/<id>`, `alias/<name>`, `secret/<name>`, `key`, `*`)."""
    return f"acs:kms:{REGION}:{ACCOUNT_ID}:{resource}"


def alias_arn(alias_name: str) -> str:
    assert alias_name.startswith("alias/"), alias_name
    return kms_arn(alias_name)


KEYS_ARN = kms_arn("key")
SECRETS_ARN = kms_arn("secret")
ALIASES_ARN = kms_arn("alias")
ACCOUNT_KMS_ARN = kms_arn("*")


# --------------------------------------------------------------------------
# Policy documents
# --------------------------------------------------------------------------


def _list(v: str | list[str]) -> list[str]:
    return [v] if isinstance(v, str) else list(v)


def statement(effect: str, actions: str | list[str], resources: str | list[str], *,
              condition: dict | None = None, principals: list[str] | None = None) -> dict:
    st: dict[str, Any] = {"Effect": effect, "Action": _list(actions), "Resource": _list(resources)}
    if condition is not None:
        st["Condition"] = condition
    if principals is not None:
        st["Principal"] = {"RAM": principals}
    return st


def allow(actions: str | list[str], resources: str | list[str], **kw: Any) -> dict:
    return statement("Allow", actions, resources, **kw)


def deny(actions: str | list[str], resources: str | list[str], **kw: Any) -> dict:
    return statement("Deny", actions, resources, **kw)


def document(*statements: dict) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


# --------------------------------------------------------------------------
# Principals through `keyward admin`
# --------------------------------------------------------------------------


def create_policy(server: KeywardServer, *statements: dict) -> str:
    name = f"authz-pol-{uid()}"
    out = server.admin("policy", "create", name, "--document", document(*statements), "--output", "json")
    assert out["PolicyName"] == name, out
    return name


def attach_policy(server: KeywardServer, policy: str, principal: str) -> None:
    server.admin("policy", "attach", policy, "--principal", principal, parse_json=False)


def detach_policy(server: KeywardServer, policy: str, principal: str) -> None:
    server.admin("policy", "detach", policy, "--principal", principal, parse_json=False)


@dataclass
class Principal:
    """A principal made by the admin CLI, with one AccessKey of its own."""

    server: KeywardServer
    name: str
    access_key_id: str
    access_key_secret: str

    @property
    def arn(self) -> str:
        return user_arn(self.name)

    def tea(self, **kw: Any):
        """A Tea client signing with this principal's AccessKey."""
        return tea_client(self.server, access_key_id=self.access_key_id, access_key_secret=self.access_key_secret, **kw)

    def core(self):
        """A classic aliyunsdkcore client signing with this principal's AccessKey."""
        return core_client(self.server, access_key_id=self.access_key_id, access_key_secret=self.access_key_secret)

    def attach(self, *statements: dict) -> str:
        """Creates an identity policy of `statements` and attaches it; returns its name."""
        policy = create_policy(self.server, *statements)
        attach_policy(self.server, policy, self.name)
        return policy

    def detach(self, policy: str) -> None:
        detach_policy(self.server, policy, self.name)


def new_principal(server: KeywardServer, *statements: dict) -> Principal:
    """A fresh principal (unique name) with, when `statements` are given, one attached identity
    policy holding them, and an AccessKey. Policies are attached before the first request, so no
    cache on the server can hold a stale view of this principal."""
    name = f"authz-{uid()}"
    out = server.admin("principal", "create", name, "--output", "json")
    assert out["Principal"] == name and out["Arn"] == user_arn(name), out
    principal = Principal(server, name, "", "")
    if statements:
        principal.attach(*statements)
    ak = server.admin("access-key", "create", "--principal", name, "--output", "json")
    assert ak["Principal"] == name, ak
    principal.access_key_id, principal.access_key_secret = ak["AccessKeyId"], ak["AccessKeySecret"]
    return principal


# --------------------------------------------------------------------------
# Denials
# --------------------------------------------------------------------------


def names(message: str, token: str) -> bool:
    """Whether `message` names `token` as a whole word (`kms:Encrypt` is not in `kms:ReEncryptTo`,
    `.../key/k1` is not in `.../key/k1/keyversion/v`)."""
    return re.search(rf"(?<![\w:/-]){re.escape(token)}(?![\w/-])", message) is not None


def check_denial_message(message: str, action: str, resource: str | tuple[str, ...],
                         principal_arn: str | None = None) -> None:
    assert names(message, action), f"the message should name {action}: {message!r}"
    choices = (resource,) if isinstance(resource, str) else resource
    assert any(names(message, r) for r in choices), f"the message should name {' or '.join(choices)}: {message!r}"
    if principal_arn is not None:
        assert names(message, principal_arn), f"the message should name {principal_arn}: {message!r}"


def expect_denied(fn: Callable[[], Any], action: str, resource: str | tuple[str, ...],
                  principal_arn: str | None = None) -> TeaException:
    """A Tea SDK call that must fail with 403 Forbidden.NoPermission naming `action` and
    `resource` (or one of several acceptable resource ARNs)."""
    err = expect_tea_error(fn, DENIED, 403)
    check_denial_message(err.data["Message"], action, resource, principal_arn)
    return err


def until_denied(fn: Callable[[], Any], action: str, resource: str, *, timeout: float = PROPAGATION_S) -> TeaException:
    """Polls `fn` until it is denied (a change made with `keyward admin` reaching the server)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fn()
        except TeaException as e:
            if e.code != DENIED:
                raise
            return expect_denied(_reraise(e), action, resource)
        assert time.monotonic() < deadline, f"{action} on {resource} was still allowed after {timeout:.0f}s"
        time.sleep(POLL_S)


def _reraise(err: TeaException) -> Callable[[], Any]:
    def fn() -> Any:
        raise err

    return fn


def until_allowed(fn: Callable[[], Any], *, timeout: float = PROPAGATION_S) -> Any:
    """Polls `fn` until it is allowed; returns its result."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except TeaException as e:
            if e.code != DENIED:
                raise
            assert time.monotonic() < deadline, f"still denied after {timeout:.0f}s: {e.message}"
        time.sleep(POLL_S)


# --------------------------------------------------------------------------
# The audit log
# --------------------------------------------------------------------------


def audit_events(server: KeywardServer) -> list[dict]:
    path = Path(server.data_dir) / "audit" / "audit.log"
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out


def audit_event(server: KeywardServer, request_id: str, *, timeout: float = 10.0) -> dict:
    """The audit event of `request_id` (the writer flushes in small batches: poll for it)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in audit_events(server) if e.get("request_id") == request_id]
        if found:
            assert len(found) == 1, f"{len(found)} audit events for one request: {found}"
            return found[0]
        assert time.monotonic() < deadline, f"no audit event for request {request_id} within {timeout:.0f}s"
        time.sleep(0.1)
