"""KMS instances: ListKmsInstances, GetKmsInstance, GetKmsInstanceQuotaInfos,
and keys created in an instance (DKMSInstanceId, key quota) (ALIBABA.md §5.7)."""

from __future__ import annotations

import json

import pytest

from alibabacloud_kms20160120 import models as m
from aliyunsdkcore.request import CommonRequest

from kwhelpers import (
    ACCOUNT_ID,
    INSTANCE_ID_RE,
    REQUEST_ID_RE,
    TIME_RE,
    core_client,
    expect_tea_error,
    key_arn,
    utcnow,
    assert_time_near,
)


def instance_arn(instance_id: str) -> str:
    return f"acs:kms:cn-hangzhou:{ACCOUNT_ID}:keystore/{instance_id}"


def list_all_instances(kms, page_size=100) -> list[dict]:
    out, page = [], 1
    while True:
        body = kms.list_kms_instances(m.ListKmsInstancesRequest(page_number=page, page_size=page_size)).body.to_map()
        out += body["KmsInstances"]["KmsInstance"]
        if page * page_size >= body["TotalCount"]:
            return out
        page += 1


def quota(kms, instance_id: str, resource_type: str | None = None) -> dict[str, dict]:
    body = kms.get_kms_instance_quota_infos(
        m.GetKmsInstanceQuotaInfosRequest(kms_instance_id=instance_id, resource_type=resource_type)
    ).body.to_map()
    assert REQUEST_ID_RE.match(body["RequestId"])
    assert body["KmsInstanceId"] == instance_id
    infos = body["KmsInstanceQuotaInfos"]
    assert isinstance(infos, list)  # a flat array, not a POP wrapper
    out = {}
    for info in infos:
        assert set(info) == {"ResourceType", "ResourceQuota", "UsedQuantity"}, info
        assert isinstance(info["ResourceQuota"], int) and isinstance(info["UsedQuantity"], int)
        out[info["ResourceType"]] = info
    return out


def test_list_kms_instances(kms, backend):
    created = backend.create_instance(key_quota=3)
    body = kms.list_kms_instances(m.ListKmsInstancesRequest()).body.to_map()
    assert REQUEST_ID_RE.match(body["RequestId"])
    assert body["PageNumber"] == 1
    assert body["PageSize"] == 20  # documented default for ListKmsInstances
    assert isinstance(body["TotalCount"], int) and body["TotalCount"] >= 1
    for entry in body["KmsInstances"]["KmsInstance"]:
        assert set(entry) == {"KmsInstanceId", "KmsInstanceArn"}
        assert INSTANCE_ID_RE.match(entry["KmsInstanceId"])
        assert entry["KmsInstanceArn"] == instance_arn(entry["KmsInstanceId"])
    assert {"KmsInstanceId": created, "KmsInstanceArn": instance_arn(created)} in list_all_instances(kms)


def test_list_kms_instances_paging(kms, backend):
    backend.create_instance()
    backend.create_instance()
    total = kms.list_kms_instances(m.ListKmsInstancesRequest()).body.total_count
    assert total >= 2
    pages = []
    for page in range(1, total + 1):
        body = kms.list_kms_instances(m.ListKmsInstancesRequest(page_number=page, page_size=1)).body
        assert body.page_number == page and body.page_size == 1 and body.total_count == total
        assert len(body.kms_instances.kms_instance) == 1
        pages.append(body.kms_instances.kms_instance[0].kms_instance_id)
    assert len(set(pages)) == total
    assert set(pages) == {i["KmsInstanceId"] for i in list_all_instances(kms)}
    body = kms.list_kms_instances(m.ListKmsInstancesRequest(page_number=total + 1, page_size=1)).body
    assert body.kms_instances.kms_instance == [] and body.total_count == total


@pytest.mark.parametrize("kwargs", [{"page_size": 0}, {"page_size": 101}, {"page_number": 0}])
def test_list_kms_instances_bounds(kms, kwargs):
    expect_tea_error(lambda: kms.list_kms_instances(m.ListKmsInstancesRequest(**kwargs)), "InvalidParameter", 400)


def test_get_kms_instance(kms, backend):
    before = utcnow()
    inst = backend.create_instance(key_quota=7, spec=2000)
    resp = kms.get_kms_instance(m.GetKmsInstanceRequest(kms_instance_id=inst))
    body = resp.body.to_map()
    assert REQUEST_ID_RE.match(body["RequestId"])
    ki = body["KmsInstance"]
    assert ki["InstanceId"] == inst
    assert isinstance(ki["InstanceName"], str) and ki["InstanceName"]
    assert ki["Spec"] == 2000
    assert ki["KeyNum"] == 7
    assert ki["Status"] in {"Uninitialized", "Connecting", "Connected", "Disconnected", "Error"}
    for field in ("CreateTime", "StartDate"):
        assert TIME_RE.match(ki[field]), (field, ki[field])
    assert_time_near(ki["CreateTime"], before, 120)
    if ki.get("EndDate"):
        assert TIME_RE.match(ki["EndDate"])
    for field in ("VpcNum", "Log", "LogStorage"):
        assert isinstance(ki[field], int), field
    assert isinstance(ki["DeletionProtection"], bool)
    assert isinstance(ki["VswitchIds"], list) and isinstance(ki["ZoneIds"], list)
    assert isinstance(ki["BindVpcs"]["BindVpc"], list)
    assert isinstance(ki["CaCertificateChainPem"], str)
    # The typed model parses the same document.
    typed = resp.body.kms_instance
    assert typed.instance_id == inst and typed.spec == 2000 and typed.key_num == 7


def test_get_kms_instance_errors(kms):
    expect_tea_error(
        lambda: kms.get_kms_instance(m.GetKmsInstanceRequest(kms_instance_id="kst-doesnotexist000000000")),
        "Forbidden.DKMSInstanceNotFound", 403,
    )
    expect_tea_error(lambda: kms.get_kms_instance(m.GetKmsInstanceRequest()), "MissingParameter", 400)


def test_quota_infos_shape(kms, backend):
    inst = backend.create_instance(key_quota=3)
    q = quota(kms, inst)
    assert set(q) == {"key", "secret", "qps", "vpc"}
    assert q["key"]["ResourceQuota"] == 3 and q["key"]["UsedQuantity"] == 0
    assert q["qps"]["ResourceQuota"] == 1000
    for rt in ("key", "secret", "qps", "vpc"):
        only = quota(kms, inst, rt)
        assert list(only) == [rt]
        assert only[rt] == q[rt]


def test_quota_infos_errors(kms, backend):
    inst = backend.create_instance(key_quota=3)
    expect_tea_error(
        lambda: kms.get_kms_instance_quota_infos(m.GetKmsInstanceQuotaInfosRequest(kms_instance_id=inst, resource_type="bogus")),
        "InvalidParameter", 400,
    )
    expect_tea_error(
        lambda: kms.get_kms_instance_quota_infos(m.GetKmsInstanceQuotaInfosRequest(kms_instance_id="kst-doesnotexist000000000")),
        "Forbidden.DKMSInstanceNotFound", 403,
    )
    expect_tea_error(
        lambda: kms.get_kms_instance_quota_infos(m.GetKmsInstanceQuotaInfosRequest()),
        "MissingParameter", 400,
    )


def test_instance_keys_and_quota(kms, backend):
    inst = backend.create_instance(key_quota=3)
    created = []
    for i, (spec, usage) in enumerate([("Aliyun_AES_256", None), ("RSA_2048", "SIGN/VERIFY"), ("EC_P256", None)]):
        meta = kms.create_key(m.CreateKeyRequest(dkmsinstance_id=inst, key_spec=spec, key_usage=usage)).body.key_metadata
        assert meta.key_id.startswith("key-"), meta.key_id
        assert meta.arn == key_arn(meta.key_id)
        assert meta.dkmsinstance_id == inst
        assert meta.key_spec == spec and meta.key_state == "Enabled"
        desc = kms.describe_key(m.DescribeKeyRequest(key_id=meta.key_id)).body.key_metadata
        assert desc.dkmsinstance_id == inst
        created.append(meta.key_id)
        q = quota(kms, inst, "key")["key"]
        assert q == {"ResourceType": "key", "ResourceQuota": 3, "UsedQuantity": i + 1}
        assert kms.get_kms_instance(m.GetKmsInstanceRequest(kms_instance_id=inst)).body.kms_instance.key_num == 3

    err = expect_tea_error(
        lambda: kms.create_key(m.CreateKeyRequest(dkmsinstance_id=inst)),
        "Rejected.LimitExceeded", 400,
    )
    assert err.data["Message"]
    assert quota(kms, inst, "key")["key"]["UsedQuantity"] == 3
    # The rejected key was not created.
    listed = kms.list_keys(m.ListKeysRequest(
        page_size=100, filters=json.dumps([{"Key": "DKMSInstanceId", "Values": [inst]}]))).body
    assert listed.total_count == 3
    assert sorted(k.key_id for k in listed.keys.key) == sorted(created)
    # Default (non-instance) keys are not limited by the instance quota.
    assert kms.create_key(m.CreateKeyRequest()).body.key_metadata.key_state == "Enabled"


@pytest.mark.parametrize("spec,usage", [("RSA_2048", "SIGN/VERIFY"), ("EC_P256", None), ("EC_SM2", "ENCRYPT/DECRYPT"), ("Aliyun_AES_256", None)])
def test_external_key_in_instance(kms, backend, spec, usage):
    inst = backend.create_instance(key_quota=3)
    meta = kms.create_key(m.CreateKeyRequest(
        dkmsinstance_id=inst, origin="EXTERNAL", key_spec=spec, key_usage=usage)).body.key_metadata.to_map()
    assert meta["KeyId"].startswith("key-")
    assert meta["Origin"] == "EXTERNAL"
    assert meta["KeyState"] == "PendingImport"
    assert meta["KeySpec"] == spec
    assert meta["DKMSInstanceId"] == inst
    assert "MaterialExpireTime" in meta
    assert quota(kms, inst, "key")["key"]["UsedQuantity"] == 1


def test_unknown_instance_on_create_key(kms):
    expect_tea_error(
        lambda: kms.create_key(m.CreateKeyRequest(dkmsinstance_id="kst-doesnotexist000000000")),
        "Forbidden.DKMSInstanceNotFound", 403,
    )


def test_instances_through_classic_sdk(backend):
    """The V1 SDK has no typed request for these: use CommonRequest like a user would."""
    inst = backend.create_instance(key_quota=3)
    client = core_client(backend)

    def call(action, **params):
        req = CommonRequest(domain=backend.http_endpoint, version="2016-01-20", action_name=action)
        req.set_protocol_type("http")
        req.set_method("POST")
        for k, v in params.items():
            req.add_query_param(k, v)
        return json.loads(client.do_action_with_exception(req))

    assert call("GetKmsInstance", KmsInstanceId=inst)["KmsInstance"]["InstanceId"] == inst
    infos = call("GetKmsInstanceQuotaInfos", KmsInstanceId=inst, ResourceType="key")["KmsInstanceQuotaInfos"]
    assert infos == [{"ResourceType": "key", "ResourceQuota": 3, "UsedQuantity": 0}]
    ids = {i["KmsInstanceId"] for i in call("ListKmsInstances", PageSize="100")["KmsInstances"]["KmsInstance"]}
    assert inst in ids
