"""Key lifecycle through the Tea SDK (ACS3) and the classic SDK (V1), on every
storage backend: CreateKey, DescribeKey, EnableKey, DisableKey,
ScheduleKeyDeletion, CancelKeyDeletion, UpdateKeyDescription,
SetDeletionProtection, DescribeRegions, DescribeAccountKmsStatus
(ALIBABA.md §4.2, §5.1, §5.6, §5.7)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from alibabacloud_kms20160120 import models as m
from aliyunsdkkms.request.v20160120 import (
    CancelKeyDeletionRequest,
    CreateKeyRequest,
    DescribeAccountKmsStatusRequest,
    DescribeKeyRequest,
    DescribeRegionsRequest,
    DisableKeyRequest,
    EnableKeyRequest,
    ScheduleKeyDeletionRequest,
    UpdateKeyDescriptionRequest,
)

from kwhelpers import (
    ACCOUNT_ID,
    REQUEST_ID_RE,
    TIME_RE,
    assert_time_near,
    core_call,
    core_client,
    expect_tea_error,
    key_arn,
    utcnow,
)

CREATE_FIELDS = {
    "Arn", "AutomaticRotation", "CreationDate", "Creator", "Description", "KeyId", "KeySpec",
    "KeyState", "KeyUsage", "LastRotationDate", "Origin", "PrimaryKeyVersion", "ProtectionLevel",
}
DESCRIBE_ONLY_FIELDS = {"DeletionProtection", "DeletionProtectionDescription"}

DESCRIPTIONS = [
    "plain",
    "two  spaces and a trailing space ",
    "a+b=c&d;e,f",
    "path/to/key %20 %2F literal",
    "tilde~star*quote'bang!(paren)",
    "ünïcødé 密钥 🔑 ключ",
    "line1\nline2\ttab",
    "",
]


def create(kms, **kwargs) -> m.CreateKeyResponseBodyKeyMetadata:
    resp = kms.create_key(m.CreateKeyRequest(**kwargs))
    assert resp.status_code == 200
    assert REQUEST_ID_RE.match(resp.body.request_id)
    return resp.body.key_metadata


def describe(kms, key_id: str) -> dict:
    resp = kms.describe_key(m.DescribeKeyRequest(key_id=key_id))
    assert resp.status_code == 200
    assert REQUEST_ID_RE.match(resp.body.request_id)
    return resp.body.to_map()["KeyMetadata"]


def state(kms, key_id: str) -> str:
    return describe(kms, key_id)["KeyState"]


def no_delete_date(meta: dict) -> bool:
    return meta.get("DeleteDate") in (None, "")


# ---------------------------------------------------------------------------
# CreateKey / DescribeKey shapes
# ---------------------------------------------------------------------------


def test_create_key_defaults_and_metadata_format(kms):
    before = utcnow()
    meta = create(kms).to_map()
    assert CREATE_FIELDS <= set(meta), f"missing {CREATE_FIELDS - set(meta)}"
    key_id = meta["KeyId"]
    assert key_id and "/" not in key_id
    assert meta["Arn"] == f"acs:kms:cn-hangzhou:{ACCOUNT_ID}:key/{key_id}"
    assert meta["KeySpec"] == "Aliyun_AES_256"
    assert meta["KeyUsage"] == "ENCRYPT/DECRYPT"
    assert meta["KeyState"] == "Enabled"
    assert meta["Origin"] == "Aliyun_KMS"
    assert meta["ProtectionLevel"] == "SOFTWARE"
    assert meta["Creator"] == ACCOUNT_ID
    assert meta["AutomaticRotation"] == "Disabled"
    assert meta["Description"] == ""
    assert meta["PrimaryKeyVersion"]
    assert no_delete_date(meta)
    assert "DKMSInstanceId" not in meta or meta["DKMSInstanceId"] == ""
    for field in ("CreationDate", "LastRotationDate"):
        assert TIME_RE.match(meta[field]), (field, meta[field])
        assert_time_near(meta[field], before, 120)

    desc = describe(kms, key_id)
    assert CREATE_FIELDS | DESCRIBE_ONLY_FIELDS <= set(desc)
    for field in CREATE_FIELDS:
        assert desc[field] == meta[field], field
    assert desc["DeletionProtection"] == "Disabled"
    assert desc["DeletionProtectionDescription"] == ""


def test_describe_key_by_arn_and_typed_model(kms):
    meta = create(kms, description="by arn")
    by_arn = kms.describe_key(m.DescribeKeyRequest(key_id=key_arn(meta.key_id))).body.key_metadata
    assert by_arn.key_id == meta.key_id
    assert by_arn.arn == meta.arn == key_arn(meta.key_id)
    assert by_arn.description == "by arn"
    assert by_arn.creation_date == meta.creation_date


def test_create_keys_get_distinct_ids(kms):
    ids = {create(kms).key_id for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize("text", DESCRIPTIONS, ids=range(len(DESCRIPTIONS)))
def test_description_round_trip_tea(kms, text):
    meta = create(kms, description=text)
    assert meta.description == text
    assert describe(kms, meta.key_id)["Description"] == text
    new = text[::-1] + " (updated)"
    kms.update_key_description(m.UpdateKeyDescriptionRequest(key_id=meta.key_id, description=new))
    assert describe(kms, meta.key_id)["Description"] == new
    # An empty description clears it.
    kms.update_key_description(m.UpdateKeyDescriptionRequest(key_id=meta.key_id, description=""))
    assert describe(kms, meta.key_id)["Description"] == ""


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_description_round_trip_classic_sdk(backend, method):
    """aliyunsdkcore encodes a space as %20 (Tea uses '+'): both must decode alike."""
    client = core_client(backend)
    text = "classic a+b c/d ~*' 密钥"
    req = CreateKeyRequest.CreateKeyRequest()
    req.set_Description(text)
    meta = core_call(client, backend, req, method=method)["KeyMetadata"]
    assert meta["Description"] == text

    req = UpdateKeyDescriptionRequest.UpdateKeyDescriptionRequest()
    req.set_KeyId(meta["KeyId"])
    req.set_Description(text + " 2")
    core_call(client, backend, req, method=method)

    req = DescribeKeyRequest.DescribeKeyRequest()
    req.set_KeyId(meta["KeyId"])
    assert core_call(client, backend, req, method=method)["KeyMetadata"]["Description"] == text + " 2"


def test_long_description(kms):
    text = "x" * 8192
    meta = create(kms, description=text)
    assert describe(kms, meta.key_id)["Description"] == text


# ---------------------------------------------------------------------------
# The state machine (§5.6)
# ---------------------------------------------------------------------------


def test_enable_disable_cycle(kms):
    key_id = create(kms).key_id
    kms.disable_key(m.DisableKeyRequest(key_id=key_id))
    assert state(kms, key_id) == "Disabled"
    kms.disable_key(m.DisableKeyRequest(key_id=key_id))  # Disabled -> DisableKey: OK
    assert state(kms, key_id) == "Disabled"
    kms.enable_key(m.EnableKeyRequest(key_id=key_id))
    assert state(kms, key_id) == "Enabled"
    kms.enable_key(m.EnableKeyRequest(key_id=key_id))  # Enabled -> EnableKey: OK
    assert state(kms, key_id) == "Enabled"
    # The ARN is accepted wherever KeyId is.
    kms.disable_key(m.DisableKeyRequest(key_id=key_arn(key_id)))
    assert state(kms, key_arn(key_id)) == "Disabled"
    kms.enable_key(m.EnableKeyRequest(key_id=key_arn(key_id)))
    assert state(kms, key_id) == "Enabled"


@pytest.mark.parametrize("start", ["Enabled", "Disabled"])
def test_schedule_and_cancel_deletion(kms, start):
    key_id = create(kms).key_id
    if start == "Disabled":
        kms.disable_key(m.DisableKeyRequest(key_id=key_id))
    before = utcnow()
    resp = kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    assert REQUEST_ID_RE.match(resp.body.request_id)
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "PendingDeletion"
    assert_time_near(meta["DeleteDate"], before + dt.timedelta(days=7), 300)

    # Rejected.StateModifiedFailed for every transition out of PendingDeletion but Cancel.
    expect_tea_error(lambda: kms.enable_key(m.EnableKeyRequest(key_id=key_id)), "Rejected.StateModifiedFailed", 409)
    expect_tea_error(lambda: kms.disable_key(m.DisableKeyRequest(key_id=key_id)), "Rejected.StateModifiedFailed", 409)
    expect_tea_error(
        lambda: kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=8)),
        "Rejected.StateModifiedFailed", 409,
    )
    # DescribeKey still works and nothing changed.
    again = describe(kms, key_id)
    assert again["KeyState"] == "PendingDeletion"
    assert again["DeleteDate"] == meta["DeleteDate"]

    kms.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=key_id))
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "Enabled"  # after CancelKeyDeletion the key is Enabled
    assert no_delete_date(meta)
    expect_tea_error(
        lambda: kms.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=key_id)),
        "Rejected.StateModifiedFailed", 409,
    )


def test_cancel_deletion_on_disabled_is_rejected(kms):
    key_id = create(kms).key_id
    kms.disable_key(m.DisableKeyRequest(key_id=key_id))
    expect_tea_error(
        lambda: kms.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=key_id)),
        "Rejected.StateModifiedFailed", 409,
    )
    assert state(kms, key_id) == "Disabled"


@pytest.mark.parametrize("days", [7, 30, 366])
def test_delete_date_is_now_plus_window(kms, days):
    key_id = create(kms).key_id
    before = utcnow()
    kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=days))
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "PendingDeletion"
    assert TIME_RE.match(meta["DeleteDate"])
    assert_time_near(meta["DeleteDate"], before + dt.timedelta(days=days), 300)


@pytest.mark.parametrize("days", [0, 6, 367, -1, 10000])
def test_pending_window_out_of_range(kms, days):
    key_id = create(kms).key_id
    expect_tea_error(
        lambda: kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=days)),
        "InvalidParameter", 400,
    )
    assert state(kms, key_id) == "Enabled"


def test_pending_window_missing(kms):
    key_id = create(kms).key_id
    expect_tea_error(
        lambda: kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id)),
        "MissingParameter", 400,
    )
    assert state(kms, key_id) == "Enabled"


def test_update_description_while_pending_deletion(kms):
    key_id = create(kms, description="old").key_id
    kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    kms.update_key_description(m.UpdateKeyDescriptionRequest(key_id=key_id, description="new"))
    meta = describe(kms, key_id)
    assert meta["Description"] == "new"
    assert meta["KeyState"] == "PendingDeletion"


def test_update_description_requires_description(kms):
    key_id = create(kms, description="keep").key_id
    expect_tea_error(
        lambda: kms.update_key_description(m.UpdateKeyDescriptionRequest(key_id=key_id)),
        "MissingParameter", 400,
    )
    assert describe(kms, key_id)["Description"] == "keep"


# ---------------------------------------------------------------------------
# Deletion protection
# ---------------------------------------------------------------------------


def test_deletion_protection(kms):
    key_id = create(kms).key_id
    arn = key_arn(key_id)
    kms.set_deletion_protection(m.SetDeletionProtectionRequest(
        protected_resource_arn=arn, enable_deletion_protection=True,
        deletion_protection_description="prod key: do not delete ü+/",
    ))
    meta = describe(kms, key_id)
    assert meta["DeletionProtection"] == "Enabled"
    assert meta["DeletionProtectionDescription"] == "prod key: do not delete ü+/"

    expect_tea_error(
        lambda: kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7)),
        "Rejected.UnsupportedOperation", 400,
    )
    assert state(kms, key_id) == "Enabled"
    # Protection does not block Disable/Enable.
    kms.disable_key(m.DisableKeyRequest(key_id=key_id))
    expect_tea_error(
        lambda: kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7)),
        "Rejected.UnsupportedOperation", 400,
    )
    kms.enable_key(m.EnableKeyRequest(key_id=key_id))

    # Turning it off (addressing the key by KeyId this time) allows deletion again.
    kms.set_deletion_protection(m.SetDeletionProtectionRequest(key_id=key_id, enable_deletion_protection=False))
    meta = describe(kms, key_id)
    assert meta["DeletionProtection"] == "Disabled"
    assert meta["DeletionProtectionDescription"] == ""
    kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    assert state(kms, key_id) == "PendingDeletion"

    # A key pending deletion cannot be protected.
    expect_tea_error(
        lambda: kms.set_deletion_protection(m.SetDeletionProtectionRequest(
            protected_resource_arn=arn, enable_deletion_protection=True)),
        "Rejected.PendingDeletion", 409,
    )
    assert describe(kms, key_id)["DeletionProtection"] == "Disabled"


def test_deletion_protection_missing_parameters(kms):
    key_id = create(kms).key_id
    expect_tea_error(
        lambda: kms.set_deletion_protection(m.SetDeletionProtectionRequest(enable_deletion_protection=True)),
        "MissingParameter", 400,
    )
    expect_tea_error(
        lambda: kms.set_deletion_protection(m.SetDeletionProtectionRequest(protected_resource_arn=key_arn(key_id))),
        "MissingParameter", 400,
    )
    assert describe(kms, key_id)["DeletionProtection"] == "Disabled"


# ---------------------------------------------------------------------------
# EXTERNAL keys
# ---------------------------------------------------------------------------


def test_external_key_starts_pending_import(kms):
    meta = create(kms, origin="EXTERNAL", description="byok").to_map()
    assert meta["Origin"] == "EXTERNAL"
    assert meta["KeyState"] == "PendingImport"
    assert meta["KeySpec"] == "Aliyun_AES_256"
    assert "MaterialExpireTime" in meta
    assert meta["MaterialExpireTime"] == "" or TIME_RE.match(meta["MaterialExpireTime"])
    key_id = meta["KeyId"]
    desc = describe(kms, key_id)
    assert desc["KeyState"] == "PendingImport"
    assert desc["Origin"] == "EXTERNAL"
    assert "MaterialExpireTime" in desc

    # PendingImport: EnableKey / DisableKey / CancelKeyDeletion are rejected.
    for call in (
        lambda: kms.enable_key(m.EnableKeyRequest(key_id=key_id)),
        lambda: kms.disable_key(m.DisableKeyRequest(key_id=key_id)),
        lambda: kms.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=key_id)),
    ):
        expect_tea_error(call, "Rejected.StateModifiedFailed", 409)
    assert state(kms, key_id) == "PendingImport"

    # ScheduleKeyDeletion is allowed; cancelling returns to PendingImport (no material yet).
    kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    assert state(kms, key_id) == "PendingDeletion"
    kms.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=key_id))
    assert state(kms, key_id) == "PendingImport"


def test_external_sm4_and_aes128(kms):
    for spec in ("Aliyun_SM4", "Aliyun_AES_128"):
        meta = create(kms, origin="EXTERNAL", key_spec=spec)
        assert meta.key_spec == spec
        assert meta.key_state == "PendingImport"


# ---------------------------------------------------------------------------
# The classic SDK drives the whole lifecycle too (V1 signature, POST and GET)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_lifecycle_classic_sdk(backend, method):
    client = core_client(backend)

    def call(req):
        return core_call(client, backend, req, method=method)

    req = CreateKeyRequest.CreateKeyRequest()
    req.set_KeySpec("Aliyun_SM4")
    req.set_Description("classic")
    meta = call(req)["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["KeySpec"] == "Aliyun_SM4" and meta["KeyState"] == "Enabled"

    def key_state():
        r = DescribeKeyRequest.DescribeKeyRequest()
        r.set_KeyId(key_id)
        return call(r)["KeyMetadata"]

    for cls, expected in ((DisableKeyRequest.DisableKeyRequest, "Disabled"), (EnableKeyRequest.EnableKeyRequest, "Enabled")):
        r = cls()
        r.set_KeyId(key_id)
        assert REQUEST_ID_RE.match(call(r)["RequestId"])
        assert key_state()["KeyState"] == expected

    r = ScheduleKeyDeletionRequest.ScheduleKeyDeletionRequest()
    r.set_KeyId(key_arn(key_id))
    r.set_PendingWindowInDays(10)
    before = utcnow()
    call(r)
    st = key_state()
    assert st["KeyState"] == "PendingDeletion"
    assert_time_near(st["DeleteDate"], before + dt.timedelta(days=10), 300)

    r = CancelKeyDeletionRequest.CancelKeyDeletionRequest()
    r.set_KeyId(key_id)
    call(r)
    assert key_state()["KeyState"] == "Enabled"


# ---------------------------------------------------------------------------
# Service actions
# ---------------------------------------------------------------------------


def test_describe_regions_and_account_status(kms, backend):
    regions = kms.describe_regions().body.to_map()
    assert REQUEST_ID_RE.match(regions["RequestId"])
    assert {"RegionId": "cn-hangzhou"} in regions["Regions"]["Region"]
    status = kms.describe_account_kms_status().body
    assert status.account_status == "Enabled"
    assert REQUEST_ID_RE.match(status.request_id)

    client = core_client(backend)
    body = core_call(client, backend, DescribeRegionsRequest.DescribeRegionsRequest())
    assert [r["RegionId"] for r in body["Regions"]["Region"]] == [r["RegionId"] for r in regions["Regions"]["Region"]]
    body = core_call(client, backend, DescribeAccountKmsStatusRequest.DescribeAccountKmsStatusRequest(), method="GET")
    assert body["AccountStatus"] == "Enabled"
