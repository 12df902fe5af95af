"""Every KeySpec with each of its allowed KeyUsages, and the rejected
combinations (ALIBABA.md §4.3, §5.1)."""

from __future__ import annotations

import pytest

from alibabacloud_kms20160120 import models as m

from kwhelpers import expect_tea_error

ENC = "ENCRYPT/DECRYPT"
SIGN = "SIGN/VERIFY"

ALLOWED = {
    "Aliyun_AES_256": [ENC],
    "Aliyun_AES_128": [ENC],
    "Aliyun_SM4": [ENC],
    "RSA_2048": [ENC, SIGN],
    "RSA_3072": [ENC, SIGN],
    "RSA_4096": [ENC, SIGN],
    "EC_P256": [SIGN],
    "EC_P256K": [SIGN],
    "EC_SM2": [ENC, SIGN],
}
DEFAULT_USAGE = {spec: usages[0] for spec, usages in ALLOWED.items()}

VALID = [(spec, usage) for spec, usages in ALLOWED.items() for usage in usages]
INVALID = [(spec, usage) for spec, usages in ALLOWED.items() for usage in (ENC, SIGN) if usage not in usages]


@pytest.mark.parametrize("spec,usage", VALID, ids=[f"{s}-{u.split('/')[0]}" for s, u in VALID])
def test_create_every_spec_and_usage(kms, spec, usage):
    meta = kms.create_key(m.CreateKeyRequest(key_spec=spec, key_usage=usage)).body.key_metadata
    assert meta.key_spec == spec
    assert meta.key_usage == usage
    assert meta.key_state == "Enabled"
    assert meta.origin == "Aliyun_KMS"
    assert meta.protection_level == "SOFTWARE"
    assert meta.primary_key_version
    desc = kms.describe_key(m.DescribeKeyRequest(key_id=meta.key_id)).body.key_metadata
    assert (desc.key_spec, desc.key_usage, desc.key_state) == (spec, usage, "Enabled")


@pytest.mark.parametrize("spec", sorted(ALLOWED))
def test_default_usage_per_spec(kms, spec):
    meta = kms.create_key(m.CreateKeyRequest(key_spec=spec)).body.key_metadata
    assert meta.key_spec == spec
    assert meta.key_usage == DEFAULT_USAGE[spec]


@pytest.mark.parametrize("spec,usage", INVALID, ids=[f"{s}-{u.split('/')[0]}" for s, u in INVALID])
def test_usage_not_allowed_for_spec(kms, spec, usage):
    err = expect_tea_error(
        lambda: kms.create_key(m.CreateKeyRequest(key_spec=spec, key_usage=usage)),
        "InvalidParameter", 400,
    )
    assert "KeyUsage" in err.data["Message"]


@pytest.mark.parametrize("field,value", [
    ("key_spec", "AES_999"),
    ("key_spec", "aliyun_aes_256"),
    ("key_usage", "ENCRYPT"),
    ("key_usage", "encrypt/decrypt"),
    ("origin", "AWS"),
    ("protection_level", "QUANTUM"),
])
def test_invalid_create_parameters(kms, field, value):
    expect_tea_error(lambda: kms.create_key(m.CreateKeyRequest(**{field: value})), "InvalidParameter", 400)


def test_protection_level(kms):
    meta = kms.create_key(m.CreateKeyRequest(protection_level="SOFTWARE")).body.key_metadata
    assert meta.protection_level == "SOFTWARE"
    expect_tea_error(
        lambda: kms.create_key(m.CreateKeyRequest(protection_level="HSM")),
        "Unsupported.ProtectionLevel", 400,
    )


@pytest.mark.parametrize("spec,usage", [("RSA_2048", SIGN), ("EC_P256", SIGN), ("EC_SM2", ENC)])
def test_external_asymmetric_needs_instance(kms, spec, usage):
    expect_tea_error(
        lambda: kms.create_key(m.CreateKeyRequest(key_spec=spec, key_usage=usage, origin="EXTERNAL")),
        "Rejected.UnsupportedOperation", 400,
    )
