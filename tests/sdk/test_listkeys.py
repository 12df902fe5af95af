"""ListKeys: shape, paging and Filters (ALIBABA.md §5.1)."""

from __future__ import annotations

import json

import pytest

from alibabacloud_kms20160120 import models as m
from aliyunsdkkms.request.v20160120 import ListKeysRequest

from kwhelpers import REQUEST_ID_RE, core_call, core_client, expect_tea_error, key_arn, tea_client


def list_keys(kms, filters=None, page_number=None, page_size=None) -> dict:
    req = m.ListKeysRequest(page_number=page_number, page_size=page_size)
    if filters is not None:
        req.filters = json.dumps(filters)
    body = kms.list_keys(req).body.to_map()
    assert REQUEST_ID_RE.match(body["RequestId"])
    assert set(body) >= {"Keys", "TotalCount", "PageNumber", "PageSize", "RequestId"}
    assert isinstance(body["TotalCount"], int)
    assert isinstance(body["PageNumber"], int)
    assert isinstance(body["PageSize"], int)
    keys = body["Keys"]["Key"]
    assert isinstance(keys, list)
    for k in keys:
        assert set(k) == {"KeyId", "KeyArn"}, k
        assert k["KeyArn"] == key_arn(k["KeyId"])
    return body


def ids(body: dict) -> list[str]:
    return [k["KeyId"] for k in body["Keys"]["Key"]]


def all_ids(kms, filters=None, page_size=100) -> list[str]:
    out, page = [], 1
    while True:
        body = list_keys(kms, filters, page, page_size)
        out += ids(body)
        if page * page_size >= body["TotalCount"]:
            return out
        page += 1


@pytest.fixture
def instance(backend):
    """A fresh KMS instance: its DKMSInstanceId filter gives a deterministic key set."""
    return backend.create_instance(key_quota=100)


def by_instance(instance_id: str) -> list[dict]:
    return [{"Key": "DKMSInstanceId", "Values": [instance_id]}]


def test_list_keys_defaults(kms):
    created = kms.create_key(m.CreateKeyRequest()).body.key_metadata.key_id
    body = list_keys(kms)
    assert body["PageNumber"] == 1
    assert body["PageSize"] == 10
    assert body["TotalCount"] >= 1
    assert len(ids(body)) == min(10, body["TotalCount"])
    assert created in all_ids(kms)


def test_paging_over_instance_keys(kms, instance):
    created = {
        kms.create_key(m.CreateKeyRequest(dkmsinstance_id=instance)).body.key_metadata.key_id
        for _ in range(5)
    }
    assert len(created) == 5
    seen = []
    for page, expected_len in ((1, 2), (2, 2), (3, 1)):
        body = list_keys(kms, by_instance(instance), page, 2)
        assert body["TotalCount"] == 5
        assert body["PageNumber"] == page
        assert body["PageSize"] == 2
        assert len(ids(body)) == expected_len
        seen += ids(body)
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == created
    # Past the end: empty page, same total.
    body = list_keys(kms, by_instance(instance), 4, 2)
    assert ids(body) == [] and body["TotalCount"] == 5
    # One big page returns the same set, in a stable order.
    body = list_keys(kms, by_instance(instance), 1, 100)
    assert ids(body) == seen


def test_paging_is_consistent_across_whole_account(kms):
    for _ in range(3):
        kms.create_key(m.CreateKeyRequest())
    total = list_keys(kms)["TotalCount"]
    small = all_ids(kms, page_size=3)
    big = all_ids(kms, page_size=100)
    assert len(small) == len(set(small)) >= total
    assert set(small) == set(big)


@pytest.mark.parametrize("page_size", [1, 100])
def test_page_size_bounds_accepted(kms, page_size):
    body = list_keys(kms, page_size=page_size)
    assert body["PageSize"] == page_size
    assert len(ids(body)) <= page_size


@pytest.mark.parametrize("kwargs", [{"page_size": 0}, {"page_size": 101}, {"page_number": 0}, {"page_number": -1}])
def test_page_bounds_rejected(kms, kwargs):
    expect_tea_error(lambda: kms.list_keys(m.ListKeysRequest(**kwargs)), "InvalidParameter", 400)


def test_filter_key_state(kms, instance):
    enabled = kms.create_key(m.CreateKeyRequest(dkmsinstance_id=instance)).body.key_metadata.key_id
    disabled = kms.create_key(m.CreateKeyRequest(dkmsinstance_id=instance)).body.key_metadata.key_id
    pending = kms.create_key(m.CreateKeyRequest(dkmsinstance_id=instance)).body.key_metadata.key_id
    kms.disable_key(m.DisableKeyRequest(key_id=disabled))
    kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=pending, pending_window_in_days=7))

    def with_state(*states):
        return set(all_ids(kms, by_instance(instance) + [{"Key": "KeyState", "Values": list(states)}]))

    assert with_state("Enabled") == {enabled}
    assert with_state("Disabled") == {disabled}
    assert with_state("PendingDeletion") == {pending}
    assert with_state("Enabled", "Disabled") == {enabled, disabled}  # values are ORed
    assert with_state("PendingImport") == set()
    # Keys pending deletion are still listed without a filter.
    assert set(all_ids(kms, by_instance(instance))) == {enabled, disabled, pending}
    # Account-wide KeyState filter (other tests' keys may appear too).
    assert disabled in all_ids(kms, [{"Key": "KeyState", "Values": ["Disabled"]}])
    assert disabled not in all_ids(kms, [{"Key": "KeyState", "Values": ["Enabled"]}])


def test_filter_key_spec_and_usage(kms, instance):
    aes = kms.create_key(m.CreateKeyRequest(dkmsinstance_id=instance)).body.key_metadata.key_id
    rsa_enc = kms.create_key(m.CreateKeyRequest(
        dkmsinstance_id=instance, key_spec="RSA_2048", key_usage="ENCRYPT/DECRYPT")).body.key_metadata.key_id
    rsa_sign = kms.create_key(m.CreateKeyRequest(
        dkmsinstance_id=instance, key_spec="RSA_2048", key_usage="SIGN/VERIFY")).body.key_metadata.key_id
    ec = kms.create_key(m.CreateKeyRequest(dkmsinstance_id=instance, key_spec="EC_P256")).body.key_metadata.key_id

    def where(*filters):
        return set(all_ids(kms, by_instance(instance) + list(filters)))

    assert where({"Key": "KeySpec", "Values": ["RSA_2048"]}) == {rsa_enc, rsa_sign}
    assert where({"Key": "KeySpec", "Values": ["Aliyun_AES_256", "EC_P256"]}) == {aes, ec}
    assert where({"Key": "KeyUsage", "Values": ["SIGN/VERIFY"]}) == {rsa_sign, ec}
    assert where({"Key": "KeyUsage", "Values": ["ENCRYPT/DECRYPT"]}) == {aes, rsa_enc}
    # Different keys are ANDed.
    assert where({"Key": "KeySpec", "Values": ["RSA_2048"]}, {"Key": "KeyUsage", "Values": ["SIGN/VERIFY"]}) == {rsa_sign}
    assert where({"Key": "KeySpec", "Values": ["EC_P256"]}, {"Key": "KeyUsage", "Values": ["ENCRYPT/DECRYPT"]}) == set()
    assert where({"Key": "ProtectionLevel", "Values": ["SOFTWARE"]}) == {aes, rsa_enc, rsa_sign, ec}


def test_filter_dkms_instance_id(kms, backend, instance):
    other = backend.create_instance(key_quota=10)
    mine = {kms.create_key(m.CreateKeyRequest(dkmsinstance_id=instance)).body.key_metadata.key_id for _ in range(2)}
    theirs = {kms.create_key(m.CreateKeyRequest(dkmsinstance_id=other)).body.key_metadata.key_id}
    default_key = kms.create_key(m.CreateKeyRequest()).body.key_metadata.key_id
    assert set(all_ids(kms, by_instance(instance))) == mine
    assert set(all_ids(kms, by_instance(other))) == theirs
    both = set(all_ids(kms, [{"Key": "DKMSInstanceId", "Values": [instance, other]}]))
    assert both == mine | theirs
    assert default_key not in both
    assert list_keys(kms, by_instance(instance))["TotalCount"] == 2


@pytest.mark.parametrize("filters", [
    "not json",
    '{"Key":"KeyState"}',
    '[{"Key":"Bogus","Values":["x"]}]',
])
def test_bad_filters(kms, filters):
    expect_tea_error(lambda: kms.list_keys(m.ListKeysRequest(filters=filters)), "InvalidParameter", 400)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_list_keys_classic_sdk(backend, method, instance):
    kms_ids = set()
    tea = tea_client(backend)
    for _ in range(3):
        kms_ids.add(tea.create_key(m.CreateKeyRequest(dkmsinstance_id=instance)).body.key_metadata.key_id)
    client = core_client(backend)
    req = ListKeysRequest.ListKeysRequest()
    req.set_PageSize(2)
    req.set_PageNumber(2)
    req.set_Filters(json.dumps(by_instance(instance)))
    body = core_call(client, backend, req, method=method)
    assert body["TotalCount"] == 3
    assert body["PageNumber"] == 2 and body["PageSize"] == 2
    assert len(body["Keys"]["Key"]) == 1
    assert body["Keys"]["Key"][0]["KeyId"] in kms_ids
