"""Bring Your Own Key (ALIBABA.md §5.2) through the official SDKs: GetParametersForImport,
ImportKeyMaterial and DeleteKeyMaterial with the Tea client (ACS3 and V1 signing) and the
classic aliyunsdkkms request classes. The key material is generated and wrapped with the
documented `openssl` pipelines, run literally (byok_support.py), never with keyward code.

Every key that receives material is then proven to work with the user's own material
(byok_support.prove): symmetric keys Encrypt/Decrypt through the same SDK flavour, and every
CiphertextBlob is opened locally with the material (AES-GCM / SM4-GCM, AAD = KeyVersionId ‖
canonical EncryptionContext) while a blob sealed locally opens in the server; asymmetric keys
return the user's public key from GetPublicKey, their signatures verify locally (and the
user's own signatures verify in the server), and ciphertexts made with the user's public key
open in AsymmetricDecrypt. Besides that, DescribeKey (state, MaterialExpireTime) and the
binding rule: the same material is accepted again, any other material is refused."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import threading
import time

import pytest

pytest.register_assert_rewrite("byok_support")

from alibabacloud_kms20160120 import models as m  # noqa: E402
from Tea.exceptions import TeaException  # noqa: E402

import byok_support as bs  # noqa: E402
from byok_support import DRIVERS, ENC, SIGN, SYMMETRIC_SIZES, make_driver, prove  # noqa: E402
from kwhelpers import (  # noqa: E402
    REQUEST_ID_RE,
    TIME_RE,
    KeywardServer,
    assert_time_near,
    expect_tea_error,
    fmt_time,
    key_arn,
    parse_time,
    tea_client,
    utcnow,
)

OAEP256, OAEP1, PKCS1 = "RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"
COMPOSITE, SM2PKE, SM2SM4 = "RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD", "SM2PKE", "SM2PKE_SM4_ECB"
SYM_SPECS = ("Aliyun_AES_256", "Aliyun_AES_128", "Aliyun_SM4")

# Every allowed row of the BYOK table.
DEFAULT_SYM_ROWS = [("RSA_2048", OAEP256), ("RSA_2048", OAEP1), ("RSA_2048", PKCS1), ("EC_SM2", SM2PKE)]
INSTANCE_SYM_ROWS = [("RSA_2048", OAEP256), ("RSA_2048", PKCS1)]


def asym_row(spec: str) -> tuple[str, str]:
    return ("EC_SM2", SM2SM4) if spec == "EC_SM2" else ("RSA_2048", COMPOSITE)


# ---------------------------------------------------------------------------
# Fixtures and small helpers
# ---------------------------------------------------------------------------

_PRIVATE_KEYS: dict[tuple[str, int], bytes] = {}


def private_key(spec: str, n: int = 0) -> bytes:
    """PKCS#8 DER private key number `n` of `spec`, generated once per session by openssl
    (the same material may go into several keys; RSA-4096 generation is slow)."""
    if (spec, n) not in _PRIVATE_KEYS:
        _PRIVATE_KEYS[(spec, n)] = bs.openssl_pkcs8(spec)
    return _PRIVATE_KEYS[(spec, n)]


@pytest.fixture(scope="module")
def instance(backend) -> str:
    """One software KMS instance for the instance keys of this module."""
    return backend.create_instance(key_quota=400)


@pytest.fixture(params=DRIVERS)
def driver(request, backend):
    return make_driver(backend, request.param)


def make_driver_from_kms(kms):
    """A Tea ACS3 driver around an existing client (the `kms` fixture)."""
    return bs.TeaDriver(None, client=kms)


def create_external(kms, spec: str = "Aliyun_AES_256", instance: str | None = None, usage: str | None = None) -> str:
    meta = kms.create_key(m.CreateKeyRequest(origin="EXTERNAL", key_spec=spec, dkmsinstance_id=instance,
                                             key_usage=usage)).body.key_metadata
    assert meta.key_state == "PendingImport" and meta.origin == "EXTERNAL"
    if usage is not None:
        assert meta.key_usage == usage, meta.to_map()
    return meta.key_id


def describe(kms, key_id: str) -> dict:
    return kms.describe_key(m.DescribeKeyRequest(key_id=key_id)).body.key_metadata.to_map()


def state(kms, key_id: str) -> str:
    return describe(kms, key_id)["KeyState"]


def check_parameters(resp: dict, key_id: str, wspec: str) -> None:
    """GetParametersForImport's response: KeyId, ImportToken, PublicKey (base64 DER SPKI of an
    RSA-2048 or SM2 key, parsed by openssl), TokenExpireTime = now + 24 h."""
    assert REQUEST_ID_RE.match(resp["RequestId"]), resp
    assert set(resp) == {"RequestId", "KeyId", "ImportToken", "PublicKey", "TokenExpireTime"}, resp
    assert resp["KeyId"] == key_id, resp
    assert isinstance(resp["ImportToken"], str) and resp["ImportToken"], resp
    assert TIME_RE.match(resp["TokenExpireTime"]), resp
    assert_time_near(resp["TokenExpireTime"], utcnow() + dt.timedelta(hours=24), 120)
    der = base64.b64decode(resp["PublicKey"], validate=True)
    with bs.Scratch() as s:
        s.write("pub.der", der)
        text = s.run("openssl pkey -pubin -inform DER -in pub.der -noout -text")
        # DER SPKI round-trips byte for byte through openssl.
        s.run("openssl pkey -pubin -inform DER -in pub.der -pubout -outform DER -out again.der")
        assert s.read("again.der") == der
    if wspec == "RSA_2048":
        assert resp["PublicKey"].startswith("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"), resp["PublicKey"]
        assert "Public-Key: (2048 bit)" in text, text
    else:
        assert re.search(r"ASN1 OID: SM2", text), text


def wrap(params: dict, alg: str, spec: str, material: bytes) -> str:
    """EncryptedKeyMaterial for `material` (raw symmetric key or PKCS#8 DER) with openssl."""
    if spec in SYMMETRIC_SIZES:
        return bs.wrap_symmetric(params["PublicKey"], alg, material)
    return bs.wrap_asymmetric(params["PublicKey"], spec, material)


def fresh_material(spec: str, n: int = 0) -> bytes:
    if spec in SYMMETRIC_SIZES:
        return bs.openssl_rand(SYMMETRIC_SIZES[spec])
    return private_key(spec, n)


def other_material(spec: str, material: bytes) -> bytes:
    other = fresh_material(spec, 1)
    assert other != material
    return other


def assert_imported(kms, key_id: str, spec: str, expire: int | None = None, key_state: str = "Enabled") -> dict:
    d = describe(kms, key_id)
    assert d["KeyState"] == key_state, d
    assert d["Origin"] == "EXTERNAL", d
    assert d["KeySpec"] == spec, d
    assert d["MaterialExpireTime"] == (fmt_time(dt.datetime.fromtimestamp(expire, dt.timezone.utc)) if expire else ""), d
    return d


def import_ok(drv, key_id: str, material_b64: str, token: str, expire: int | None = None) -> None:
    resp = drv.import_material(key_id, material_b64, token, expire)
    assert set(resp) == {"RequestId"} and REQUEST_ID_RE.match(resp["RequestId"]), resp


def expect(drv, fn, code: str, status: int = 400, names: str | None = None) -> str:
    msg = drv.expect(fn, code, status)
    if names is not None:
        assert names in msg, f"the message of {code} should name {names}: {msg!r}"
    return msg


# ---------------------------------------------------------------------------
# Every allowed row of the table, with every SDK flavour
# ---------------------------------------------------------------------------


def _import_row(kms, drv, spec: str, wspec: str, alg: str, instance: str | None, usage: str | None = None) -> None:
    key_id = create_external(kms, spec, instance, usage)
    params = drv.gpfi(key_id, wspec, alg)
    check_parameters(params, key_id, wspec)
    material = fresh_material(spec)
    import_ok(drv, key_id, wrap(params, alg, spec, material), params["ImportToken"])
    d = assert_imported(kms, key_id, spec)
    assert d.get("DKMSInstanceId") == instance
    # The key works, with the user's material, through this SDK flavour.
    sealed = prove(drv, key_id, spec, material, usage)

    # The key is bound to this material: the same material again (same token, new wrapping,
    # now with an expiry) is accepted; other material is refused.
    later = int(time.time()) + 30 * 86400
    import_ok(drv, key_id, wrap(params, alg, spec, material), params["ImportToken"], later)
    assert_imported(kms, key_id, spec, later)
    other = wrap(params, alg, spec, other_material(spec, material))
    expect(drv, lambda: drv.import_material(key_id, other, params["ImportToken"]), "InvalidKeyMaterial")
    assert_imported(kms, key_id, spec, later)
    # Still the user's material: the earlier ciphertexts open (symmetric), the public key and
    # the private-key operation are still the user's (asymmetric).
    for s in sealed:
        s.decrypts(drv)
    if spec not in SYMMETRIC_SIZES:
        prove(drv, key_id, spec, material, usage, quick=True)


@pytest.mark.parametrize("wspec,alg", DEFAULT_SYM_ROWS, ids=[a for _, a in DEFAULT_SYM_ROWS])
@pytest.mark.parametrize("spec", SYM_SPECS)
def test_import_default_symmetric(kms, driver, spec, wspec, alg):
    _import_row(kms, driver, spec, wspec, alg, None)


@pytest.mark.parametrize("wspec,alg", INSTANCE_SYM_ROWS, ids=[a for _, a in INSTANCE_SYM_ROWS])
@pytest.mark.parametrize("spec", SYM_SPECS)
def test_import_instance_symmetric(kms, driver, instance, spec, wspec, alg):
    _import_row(kms, driver, spec, wspec, alg, instance)


# Every asymmetric spec with every usage it may have (RSA and SM2: both).
ASYM_USES = [
    ("RSA_2048", SIGN), ("RSA_2048", ENC), ("RSA_3072", SIGN), ("RSA_3072", ENC), ("RSA_4096", SIGN),
    ("RSA_4096", ENC), ("EC_P256", SIGN), ("EC_P256K", SIGN), ("EC_SM2", SIGN), ("EC_SM2", ENC),
]


@pytest.mark.parametrize("spec,usage", ASYM_USES, ids=[f"{s}-{'sign' if u == SIGN else 'enc'}" for s, u in ASYM_USES])
def test_import_instance_asymmetric(kms, driver, instance, spec, usage):
    wspec, alg = asym_row(spec)
    _import_row(kms, driver, spec, wspec, alg, instance, usage)


def test_sm2pke_accepts_raw_c1c3c2_too(kms):
    """SM2PKE: OpenSSL's ASN.1 form is covered above; the raw C1C3C2 form (what Alibaba's
    BouncyCastle samples emit) is accepted as well."""
    key_id = create_external(kms, "Aliyun_SM4")
    params = kms.get_parameters_for_import(m.GetParametersForImportRequest(
        key_id=key_id, wrapping_key_spec="EC_SM2", wrapping_algorithm=SM2PKE)).body.to_map()
    material = bs.openssl_rand(16)
    raw = bs.sm2_encrypt_raw(params["PublicKey"], material)
    kms.import_key_material(m.ImportKeyMaterialRequest(
        key_id=key_id, encrypted_key_material=base64.b64encode(raw).decode(), import_token=params["ImportToken"]))
    assert_imported(kms, key_id, "Aliyun_SM4")
    prove(make_driver_from_kms(kms), key_id, "Aliyun_SM4", material)


# ---------------------------------------------------------------------------
# GetParametersForImport
# ---------------------------------------------------------------------------


def test_parameters_are_fresh_per_call_and_key_ref_forms(kms, driver):
    key_id = create_external(kms)
    seen_keys, seen_tokens = set(), set()
    for ref in (key_id, key_arn(key_id), key_id):
        p = driver.gpfi(ref, "RSA_2048", OAEP256)
        check_parameters(p, key_id, "RSA_2048")
        seen_keys.add(p["PublicKey"])
        seen_tokens.add(p["ImportToken"])
    assert len(seen_keys) == 3 and len(seen_tokens) == 3, "each call returns a new key pair and token"
    sm2 = [driver.gpfi(key_id, "EC_SM2", SM2PKE) for _ in range(2)]
    for p in sm2:
        check_parameters(p, key_id, "EC_SM2")
    assert sm2[0]["PublicKey"] != sm2[1]["PublicKey"] and sm2[0]["ImportToken"] != sm2[1]["ImportToken"]
    # Issuing parameters does not change the key.
    assert state(kms, key_id) == "PendingImport"


def test_parameters_in_every_key_state(kms, driver):
    key_id = create_external(kms)
    material = bs.openssl_rand(32)

    def gpfi() -> dict:
        p = driver.gpfi(key_id, "RSA_2048", OAEP256)
        check_parameters(p, key_id, "RSA_2048")
        return p

    p = gpfi()  # PendingImport
    import_ok(driver, key_id, bs.wrap_symmetric(p["PublicKey"], OAEP256, material), p["ImportToken"])
    assert state(kms, key_id) == "Enabled"
    sealed = prove(driver, key_id, "Aliyun_AES_256", material)
    p = gpfi()  # Enabled
    kms.disable_key(m.DisableKeyRequest(key_id=key_id))
    assert state(kms, key_id) == "Disabled"
    p = gpfi()  # Disabled
    # ImportKeyMaterial is allowed while Disabled (a re-import) and keeps the key Disabled.
    later = int(time.time()) + 86400
    import_ok(driver, key_id, bs.wrap_symmetric(p["PublicKey"], OAEP256, material), p["ImportToken"], later)
    assert_imported(kms, key_id, "Aliyun_AES_256", later, key_state="Disabled")
    bs.assert_unusable(driver, key_id, "Aliyun_AES_256", sealed, "Rejected.Disabled", 409)
    kms.enable_key(m.EnableKeyRequest(key_id=key_id))
    for s in sealed:
        s.decrypts(driver)
    kms.disable_key(m.DisableKeyRequest(key_id=key_id))
    kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    assert state(kms, key_id) == "PendingDeletion"
    p = gpfi()  # PendingDeletion
    assert state(kms, key_id) == "PendingDeletion"
    bs.assert_unusable(driver, key_id, "Aliyun_AES_256", sealed, "Rejected.PendingDeletion", 409)


# ---------------------------------------------------------------------------
# The binding rule, token reuse, DeleteKeyMaterial
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["Aliyun_AES_256", "Aliyun_AES_128", "Aliyun_SM4", "RSA_2048", "EC_P256", "EC_SM2"])
def test_binding_rule_and_delete_material(kms, driver, instance, spec):
    inst = None if spec in SYMMETRIC_SIZES else instance
    wspec, alg = ("EC_SM2", SM2PKE) if spec == "Aliyun_SM4" else (
        ("RSA_2048", OAEP256) if spec in SYMMETRIC_SIZES else asym_row(spec))
    key_id = create_external(kms, spec, inst)
    a = fresh_material(spec, 0)
    b = other_material(spec, a)
    p1 = driver.gpfi(key_id, wspec, alg)

    import_ok(driver, key_id, wrap(p1, alg, spec, a), p1["ImportToken"])
    assert_imported(kms, key_id, spec)
    # Ciphertexts made now (symmetric keys) must open again after delete + re-import.
    sealed = prove(driver, key_id, spec, a)
    # The token is reusable (until it expires): the same material again, twice.
    for _ in range(2):
        import_ok(driver, key_id, wrap(p1, alg, spec, a), p1["ImportToken"])
    assert_imported(kms, key_id, spec)
    # Different material, with the old token or a fresh one: refused, the key is unchanged.
    p2 = driver.gpfi(key_id, wspec, alg)
    for p in (p1, p2):
        enc = wrap(p, alg, spec, b)
        expect(driver, lambda: driver.import_material(key_id, enc, p["ImportToken"]), "InvalidKeyMaterial")
    assert_imported(kms, key_id, spec)

    # DeleteKeyMaterial: PendingImport, the key cannot be used; the binding survives it.
    resp = driver.delete_material(key_id)
    assert set(resp) == {"RequestId"} and REQUEST_ID_RE.match(resp["RequestId"]), resp
    assert_imported(kms, key_id, spec, key_state="PendingImport")
    bs.assert_unusable(driver, key_id, spec, sealed)
    # Deleting again (nothing left) is harmless.
    driver.delete_material(key_id)
    assert_imported(kms, key_id, spec, key_state="PendingImport")
    enc = wrap(p2, alg, spec, b)
    expect(driver, lambda: driver.import_material(key_id, enc, p2["ImportToken"]), "InvalidKeyMaterial")
    assert state(kms, key_id) == "PendingImport"
    # Re-import of the same material after deletion, with the first token, with an expiry:
    # the ciphertexts made before the deletion decrypt again, and the key still proves.
    later = int(time.time()) + 7 * 86400
    import_ok(driver, key_id, wrap(p1, alg, spec, a), p1["ImportToken"], later)
    assert_imported(kms, key_id, spec, later)
    for s in sealed:
        s.decrypts(driver)
    sealed += prove(driver, key_id, spec, a, quick=True)
    # A re-import may change the expiry, also back to "never" (0).
    even_later = later + 86400
    import_ok(driver, key_id, wrap(p2, alg, spec, a), p2["ImportToken"], even_later)
    assert_imported(kms, key_id, spec, even_later)
    import_ok(driver, key_id, wrap(p2, alg, spec, a), p2["ImportToken"], 0)
    assert_imported(kms, key_id, spec)
    for s in sealed:
        s.decrypts(driver)


def test_same_material_into_two_keys(kms, instance):
    """The same material may go into several keys; each stays bound to it, each works with it,
    and their ciphertexts are not interchangeable: a blob of key A whose KeyVersionId is
    replaced by key B's primary version does not decrypt (the version id is in the AAD)."""
    cases = [
        ("Aliyun_AES_256", None, "RSA_2048", OAEP256),
        ("Aliyun_AES_128", instance, "RSA_2048", PKCS1),
        ("Aliyun_SM4", None, "EC_SM2", SM2PKE),
        ("EC_P256K", instance, "RSA_2048", COMPOSITE),
        ("EC_SM2", instance, "EC_SM2", SM2SM4),
    ]
    drv = make_driver_from_kms(kms)
    for spec, inst, wspec, alg in cases:
        material = fresh_material(spec, 0)
        keys = [create_external(kms, spec, inst) for _ in range(2)]
        for key_id in keys:
            p = drv.gpfi(key_id, wspec, alg)
            import_ok(drv, key_id, wrap(p, alg, spec, material), p["ImportToken"])
        sealed = {}
        for key_id in keys:
            assert_imported(kms, key_id, spec)
            sealed[key_id] = prove(drv, key_id, spec, material)
            p = drv.gpfi(key_id, wspec, alg)
            enc = wrap(p, alg, spec, other_material(spec, material))
            expect(drv, lambda: drv.import_material(key_id, enc, p["ImportToken"]), "InvalidKeyMaterial")
        if spec not in SYMMETRIC_SIZES:
            continue
        for a, b in (keys, keys[::-1]):
            b_version = describe(kms, b)["PrimaryKeyVersion"]
            for s in sealed[a]:
                assert s.version_id != b_version
                swapped = bs.with_version(s.blob, b_version)
                msg = expect(drv, lambda: drv.decrypt(swapped, s.context), "InvalidParameter")
                assert "CiphertextBlob" in msg, msg
                s.decrypts(drv)  # the original still opens, as key A


# ---------------------------------------------------------------------------
# Token errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,wspec,alg",
    [
        ("Aliyun_AES_256", "RSA_2048", OAEP256),
        ("Aliyun_AES_128", "RSA_2048", OAEP1),
        ("Aliyun_SM4", "EC_SM2", SM2PKE),
        ("RSA_2048", "RSA_2048", COMPOSITE),
        ("EC_SM2", "EC_SM2", SM2SM4),
    ],
    ids=["oaep256", "oaep1", "sm2pke", "composite", "sm2-sm4"],
)
def test_token_and_public_key_of_different_calls(kms, driver, instance, spec, wspec, alg):
    """Material wrapped with the public key of call 2 but sent with the token of call 1 of the
    same key is a token mismatch (InvalidImportToken); nothing is imported."""
    inst = None if spec in SYMMETRIC_SIZES else instance
    key_id = create_external(kms, spec, inst)
    material = fresh_material(spec)
    p1 = driver.gpfi(key_id, wspec, alg)
    p2 = driver.gpfi(key_id, wspec, alg)
    enc2 = wrap(p2, alg, spec, material)
    expect(driver, lambda: driver.import_material(key_id, enc2, p1["ImportToken"]), "InvalidImportToken")
    assert_imported(kms, key_id, spec, key_state="PendingImport")
    # The matching pairs both work.
    import_ok(driver, key_id, enc2, p2["ImportToken"])
    import_ok(driver, key_id, wrap(p1, alg, spec, material), p1["ImportToken"])
    assert_imported(kms, key_id, spec)
    prove(driver, key_id, spec, material)


def test_token_of_another_key(kms, driver):
    x, y = create_external(kms), create_external(kms)
    px = driver.gpfi(x, "RSA_2048", OAEP256)
    py = driver.gpfi(y, "RSA_2048", OAEP256)
    material = bs.openssl_rand(32)
    enc_x = bs.wrap_symmetric(px["PublicKey"], OAEP256, material)
    # X's token (with material wrapped for X) sent for key Y.
    expect(driver, lambda: driver.import_material(y, enc_x, px["ImportToken"]), "InvalidImportToken")
    # Y's own token with material wrapped with X's public key: undecryptable for Y.
    expect(driver, lambda: driver.import_material(y, enc_x, py["ImportToken"]), "InvalidKeyMaterial")
    assert state(kms, y) == "PendingImport"
    # Nothing was consumed or bound: both keys still import normally.
    import_ok(driver, x, enc_x, px["ImportToken"])
    import_ok(driver, y, bs.wrap_symmetric(py["PublicKey"], OAEP256, material), py["ImportToken"])
    assert state(kms, x) == state(kms, y) == "Enabled"
    for key_id in (x, y):
        prove(driver, key_id, "Aliyun_AES_256", material)


def test_forged_tokens(kms, driver):
    key_id = create_external(kms)
    p = driver.gpfi(key_id, "RSA_2048", OAEP256)
    material = bs.openssl_rand(32)
    enc = bs.wrap_symmetric(p["PublicKey"], OAEP256, material)
    raw = base64.b64decode(p["ImportToken"])
    flipped = [bytearray(raw) for _ in range(3)]
    for i, pos in enumerate((0, len(raw) // 2, len(raw) - 1)):
        flipped[i][pos] ^= 0x01
    forged = [
        "not-a-token",
        "Base64String",
        base64.b64encode(os.urandom(len(raw))).decode(),
        base64.b64encode(raw[:-1]).decode(),
        base64.b64encode(raw + b"\x00").decode(),
        p["ImportToken"][:-4],
        *(base64.b64encode(bytes(f)).decode() for f in flipped),
    ]
    for token in forged:
        expect(driver, lambda: driver.import_material(key_id, enc, token), "InvalidImportToken")
    assert state(kms, key_id) == "PendingImport"
    import_ok(driver, key_id, enc, p["ImportToken"])
    assert state(kms, key_id) == "Enabled"
    prove(driver, key_id, "Aliyun_AES_256", material)


# ---------------------------------------------------------------------------
# Material errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,wspec,alg,size",
    [
        ("Aliyun_AES_256", "RSA_2048", OAEP256, 16),
        ("Aliyun_AES_256", "RSA_2048", OAEP1, 31),
        ("Aliyun_AES_256", "RSA_2048", PKCS1, 33),
        ("Aliyun_AES_256", "EC_SM2", SM2PKE, 24),
        ("Aliyun_AES_128", "RSA_2048", OAEP256, 32),
        ("Aliyun_AES_128", "RSA_2048", PKCS1, 24),
        ("Aliyun_SM4", "RSA_2048", OAEP256, 32),
        ("Aliyun_SM4", "EC_SM2", SM2PKE, 15),
        ("Aliyun_SM4", "EC_SM2", SM2PKE, 1),
    ],
)
def test_wrong_material_size(kms, spec, wspec, alg, size):
    drv = make_driver_from_kms(kms)
    key_id = create_external(kms, spec)
    p = drv.gpfi(key_id, wspec, alg)
    enc = bs.wrap_symmetric(p["PublicKey"], alg, bs.openssl_rand(size))
    expect(drv, lambda: drv.import_material(key_id, enc, p["ImportToken"]), "InvalidKeyMaterial")
    assert state(kms, key_id) == "PendingImport"
    # Nothing was bound: the right size imports.
    material = bs.openssl_rand(SYMMETRIC_SIZES[spec])
    import_ok(drv, key_id, bs.wrap_symmetric(p["PublicKey"], alg, material), p["ImportToken"])
    assert state(kms, key_id) == "Enabled"
    prove(drv, key_id, spec, material)


def test_undecryptable_and_malformed_material(kms, driver):
    key_id = create_external(kms)
    p = driver.gpfi(key_id, "RSA_2048", OAEP256)
    material = bs.openssl_rand(32)
    garbage = [
        base64.b64encode(os.urandom(256)).decode(),  # right length, not an OAEP block
        base64.b64encode(os.urandom(100)).decode(),  # wrong length
        base64.b64encode(b"\x00" * 256).decode(),
        # The right key but another padding than the token's algorithm.
        bs.wrap_symmetric(p["PublicKey"], OAEP1, material),
        bs.wrap_symmetric(p["PublicKey"], PKCS1, material),
    ]
    for enc in garbage:
        expect(driver, lambda: driver.import_material(key_id, enc, p["ImportToken"]), "InvalidKeyMaterial")
    # Not base64 at all: a parameter error.
    expect(driver, lambda: driver.import_material(key_id, "%%% not base64 %%%", p["ImportToken"]),
           "InvalidParameter", names="EncryptedKeyMaterial")
    assert state(kms, key_id) == "PendingImport"
    import_ok(driver, key_id, bs.wrap_symmetric(p["PublicKey"], OAEP256, material), p["ImportToken"])
    assert state(kms, key_id) == "Enabled"
    prove(driver, key_id, "Aliyun_AES_256", material)


def _composite_with_raw_body(public_b64: str, body: bytes, pad: bool = True) -> str:
    """OAEP-256(aes key) ‖ AES-256-ECB(body) with openssl; `pad=False` uses -nopad."""
    with bs.Scratch() as s:
        s.write("PublicKey.bin", base64.b64decode(public_b64))
        s.write("key.p8", body)
        s.run(
            "openssl rand -out aes.key 32\n"
            "openssl pkeyutl -encrypt -in aes.key -inkey PublicKey.bin -keyform DER -pubin -out wrapped_aes.bin"
            " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256\n"
            f"openssl enc -aes-256-ecb {'' if pad else '-nopad'} -K $(xxd -p -c 64 aes.key) -in key.p8 -out body.bin\n"
            "cat wrapped_aes.bin body.bin > EncryptedKeyMaterial.bin\n"
        )
        return base64.b64encode(s.read("EncryptedKeyMaterial.bin")).decode()


@pytest.mark.parametrize(
    "target,bad",
    [
        ("RSA_2048", "RSA_3072"),
        ("RSA_3072", "RSA_2048"),
        ("RSA_4096", "RSA_2048"),
        ("RSA_2048", "EC_P256"),
        ("EC_P256", "RSA_2048"),
        ("EC_P256K", "EC_P256"),
        ("EC_P256", "EC_P256K"),
        ("EC_P256", "EC_SM2"),
        ("RSA_2048", "traditional"),
        ("EC_P256", "traditional"),
        ("EC_P256K", "traditional"),
        ("RSA_2048", "not-der"),
        ("RSA_2048", "bad-padding"),
        ("RSA_2048", "truncated"),
    ],
)
def test_wrong_asymmetric_material(kms, instance, target, bad):
    drv = make_driver_from_kms(kms)
    key_id = create_external(kms, target, instance)
    p = drv.gpfi(key_id, "RSA_2048", COMPOSITE)
    good = private_key(target)
    if bad == "traditional":
        enc = bs.wrap_composite_rsa(p["PublicKey"], bs.openssl_traditional_der(good))
    elif bad == "not-der":
        enc = _composite_with_raw_body(p["PublicKey"], b"this is not a PKCS#8 private key")
    elif bad == "bad-padding":
        # 16-byte aligned body encrypted without padding: the last block is not PKCS#7.
        body = good + b"\x00" * (-len(good) % 16)
        body = body if body[-1] == 0 else body + b"\x00" * 16
        enc = _composite_with_raw_body(p["PublicKey"], body, pad=False)
    elif bad == "truncated":
        enc = base64.b64encode(base64.b64decode(bs.wrap_composite_rsa(p["PublicKey"], good))[:256 + 32]).decode()
    else:
        enc = bs.wrap_asymmetric(p["PublicKey"], target, private_key(bad))
    expect(drv, lambda: drv.import_material(key_id, enc, p["ImportToken"]), "InvalidKeyMaterial")
    assert state(kms, key_id) == "PendingImport"
    # Nothing was bound by the failures.
    import_ok(drv, key_id, bs.wrap_asymmetric(p["PublicKey"], target, good), p["ImportToken"])
    assert state(kms, key_id) == "Enabled"
    prove(drv, key_id, target, good)


def _sm2_sm4_raw(public_b64: str, body_plain: bytes, wrapped_len: int | None = None) -> str:
    """raw C1C3C2(SM4 key) ‖ SM4-ECB-NoPadding(body_plain) (body must be block aligned)."""
    with bs.Scratch() as s:
        s.run("openssl rand -out sm4.key 16")
        s.write("d.bin", body_plain)
        s.run("openssl enc -sm4-ecb -nopad -K $(xxd -p -c 32 sm4.key) -in d.bin -out body.bin")
        wrapped = bs.sm2_encrypt_raw(public_b64, s.read("sm4.key"))
        return base64.b64encode(wrapped + s.read("body.bin")).decode()


@pytest.mark.parametrize("bad", ["zero", "order", "above-order", "16-bytes", "48-bytes", "garbage-sm2-part"])
def test_wrong_sm2_material(kms, instance, bad):
    drv = make_driver_from_kms(kms)
    key_id = create_external(kms, "EC_SM2", instance)
    p = drv.gpfi(key_id, "EC_SM2", SM2SM4)
    d = bs.sm2_scalar(private_key("EC_SM2"))
    if bad == "zero":
        enc = _sm2_sm4_raw(p["PublicKey"], b"\x00" * 32)
    elif bad == "order":
        enc = _sm2_sm4_raw(p["PublicKey"], bs.SM2_N.to_bytes(32, "big"))
    elif bad == "above-order":
        enc = _sm2_sm4_raw(p["PublicKey"], b"\xff" * 32)
    elif bad == "16-bytes":
        enc = _sm2_sm4_raw(p["PublicKey"], d[:16])
    elif bad == "48-bytes":
        enc = _sm2_sm4_raw(p["PublicKey"], d + d[:16])
    else:
        good = bytearray(base64.b64decode(bs.wrap_sm2_sm4(p["PublicKey"], d)))
        good[1 + 64 + 5] ^= 0x80  # inside C3: the SM2 hash check fails
        enc = base64.b64encode(bytes(good)).decode()
    expect(drv, lambda: drv.import_material(key_id, enc, p["ImportToken"]), "InvalidKeyMaterial")
    assert state(kms, key_id) == "PendingImport"
    import_ok(drv, key_id, bs.wrap_sm2_sm4(p["PublicKey"], d), p["ImportToken"])
    assert state(kms, key_id) == "Enabled"
    prove(drv, key_id, "EC_SM2", private_key("EC_SM2"))


def test_sm2_sm4_with_openssl_asn1_sm2_part(kms, instance):
    """SM2PKE_SM4_ECB built by openssl alone: the SM2 part in OpenSSL's ASN.1 form instead of
    the documented raw C1C3C2 (the server takes the last 32 bytes as the SM4-ECB part and accepts
    both SM2 encodings). Bound to the same key as the raw form."""
    drv = make_driver_from_kms(kms)
    key_id = create_external(kms, "EC_SM2", instance)
    p = drv.gpfi(key_id, "EC_SM2", SM2SM4)
    d = bs.sm2_scalar(private_key("EC_SM2"))
    with bs.Scratch() as s:
        s.write("sm2pub.der", base64.b64decode(p["PublicKey"]))
        s.write("d.bin", d)
        s.run(
            "openssl rand -out sm4.key 16\n"
            "openssl pkeyutl -encrypt -pubin -inkey sm2pub.der -keyform DER -in sm4.key -out c.der\n"
            "openssl enc -sm4-ecb -nopad -K $(xxd -p -c 32 sm4.key) -in d.bin -out body.bin\n"
            "cat c.der body.bin > EncryptedKeyMaterial.bin\n"
        )
        enc = s.run("openssl enc -e -base64 -A -in EncryptedKeyMaterial.bin").strip()
        assert s.read("c.der")[0] == 0x30
    import_ok(drv, key_id, enc, p["ImportToken"])
    assert_imported(kms, key_id, "EC_SM2")
    prove(drv, key_id, "EC_SM2", private_key("EC_SM2"))
    import_ok(drv, key_id, bs.wrap_sm2_sm4(p["PublicKey"], d), p["ImportToken"])
    other = bs.wrap_sm2_sm4(p["PublicKey"], bs.sm2_scalar(private_key("EC_SM2", 1)))
    expect(drv, lambda: drv.import_material(key_id, other, p["ImportToken"]), "InvalidKeyMaterial")


# ---------------------------------------------------------------------------
# Expiry parameter, key states, origin, combinations
# ---------------------------------------------------------------------------


def test_expiry_parameter(kms, driver):
    key_id = create_external(kms)
    p = driver.gpfi(key_id, "RSA_2048", OAEP256)
    material = bs.openssl_rand(32)
    enc = bs.wrap_symmetric(p["PublicKey"], OAEP256, material)
    now = int(time.time())
    for past in (now - 60, now - 86400 * 365, 1):
        expect(driver, lambda: driver.import_material(key_id, enc, p["ImportToken"], past), "InvalidParameter",
               names="KeyMaterialExpireUnix")
    expect(driver, lambda: driver.import_material(key_id, enc, p["ImportToken"], -5), "InvalidParameter",
           names="KeyMaterialExpireUnix")
    assert state(kms, key_id) == "PendingImport"
    future = now + 3600
    import_ok(driver, key_id, enc, p["ImportToken"], future)
    d = assert_imported(kms, key_id, "Aliyun_AES_256", future)
    assert TIME_RE.match(d["MaterialExpireTime"])
    prove(driver, key_id, "Aliyun_AES_256", material)


def test_import_into_pending_deletion(kms, driver, instance):
    # A key with material, then scheduled for deletion.
    key_id = create_external(kms)
    material = bs.openssl_rand(32)
    p = driver.gpfi(key_id, "RSA_2048", OAEP256)
    later = int(time.time()) + 86400
    import_ok(driver, key_id, bs.wrap_symmetric(p["PublicKey"], OAEP256, material), p["ImportToken"], later)
    sealed = prove(driver, key_id, "Aliyun_AES_256", material)
    kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    bs.assert_unusable(driver, key_id, "Aliyun_AES_256", sealed, "Rejected.PendingDeletion", 409)
    before = describe(kms, key_id)
    assert before["KeyState"] == "PendingDeletion" and before["DeleteDate"]
    p2 = driver.gpfi(key_id, "RSA_2048", OAEP256)
    for pp in (p, p2):
        enc = bs.wrap_symmetric(pp["PublicKey"], OAEP256, material)
        expect(driver, lambda: driver.import_material(key_id, enc, pp["ImportToken"]),
               "Rejected.StateModifiedFailed", 409)
    # DeleteKeyMaterial keeps PendingDeletion and the DeleteDate.
    driver.delete_material(key_id)
    after = describe(kms, key_id)
    assert after["KeyState"] == "PendingDeletion", after
    assert after["DeleteDate"] == before["DeleteDate"], after
    assert after["MaterialExpireTime"] == "", after
    # Cancelling: no material any more -> PendingImport; the same material comes back.
    kms.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=key_id))
    assert state(kms, key_id) == "PendingImport"
    bs.assert_unusable(driver, key_id, "Aliyun_AES_256", sealed)
    import_ok(driver, key_id, bs.wrap_symmetric(p2["PublicKey"], OAEP256, material), p2["ImportToken"])
    assert state(kms, key_id) == "Enabled"
    for s in sealed:
        s.decrypts(driver)

    # An instance key that never had material, scheduled for deletion.
    k2 = create_external(kms, "EC_P256", instance)
    kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=k2, pending_window_in_days=7))
    p3 = driver.gpfi(k2, "RSA_2048", COMPOSITE)
    enc = bs.wrap_composite_rsa(p3["PublicKey"], private_key("EC_P256"))
    expect(driver, lambda: driver.import_material(k2, enc, p3["ImportToken"]), "Rejected.StateModifiedFailed", 409)
    assert state(kms, k2) == "PendingDeletion"


def test_non_external_keys(kms, driver, instance):
    for spec, inst in (("Aliyun_AES_256", None), ("Aliyun_AES_256", instance), ("RSA_2048", instance)):
        key_id = kms.create_key(m.CreateKeyRequest(key_spec=spec, dkmsinstance_id=inst)).body.key_metadata.key_id
        wspec, alg = ("RSA_2048", OAEP256) if spec in SYMMETRIC_SIZES else asym_row(spec)
        expect(driver, lambda: driver.gpfi(key_id, wspec, alg), "Unsupported.Origin")
        # A token and a public key of some EXTERNAL key, sent for this key.
        ext = create_external(kms)
        p = driver.gpfi(ext, "RSA_2048", OAEP256)
        enc = bs.wrap_symmetric(p["PublicKey"], OAEP256, bs.openssl_rand(32))
        expect(driver, lambda: driver.import_material(key_id, enc, p["ImportToken"]), "Unsupported.Origin")
        expect(driver, lambda: driver.delete_material(key_id), "Unsupported.Origin")
        assert state(kms, key_id) == "Enabled"


# (key spec, in an instance?) -> refused (WrappingKeySpec, WrappingAlgorithm, parameter named)
REFUSED = [
    ("Aliyun_AES_256", False, "EC_SM2", OAEP256, "WrappingAlgorithm"),
    ("Aliyun_AES_256", False, "RSA_2048", SM2PKE, "WrappingAlgorithm"),
    ("Aliyun_AES_256", False, "RSA_2048", COMPOSITE, "WrappingAlgorithm"),
    ("Aliyun_AES_128", False, "EC_SM2", SM2SM4, "WrappingAlgorithm"),
    ("Aliyun_SM4", False, "RSA_2048", SM2SM4, "WrappingAlgorithm"),
    ("Aliyun_AES_256", False, "RSA_3072", OAEP256, "WrappingKeySpec"),
    ("Aliyun_AES_256", False, "RSA_2048", "RSAES_OAEP_SHA_512", "WrappingAlgorithm"),
    ("Aliyun_AES_256", False, "EC_P256", OAEP256, "WrappingKeySpec"),
    ("Aliyun_AES_256", False, "rsa_2048", OAEP256, "WrappingKeySpec"),
    ("Aliyun_AES_256", True, "RSA_2048", OAEP1, "WrappingAlgorithm"),
    ("Aliyun_AES_256", True, "EC_SM2", SM2PKE, "WrappingKeySpec"),
    ("Aliyun_SM4", True, "RSA_2048", COMPOSITE, "WrappingAlgorithm"),
    ("Aliyun_AES_128", True, "EC_SM2", SM2SM4, "WrappingKeySpec"),
    ("RSA_2048", True, "RSA_2048", OAEP256, "WrappingAlgorithm"),
    ("RSA_3072", True, "RSA_2048", PKCS1, "WrappingAlgorithm"),
    ("EC_P256", True, "EC_SM2", SM2SM4, "WrappingKeySpec"),
    ("EC_P256K", True, "RSA_2048", OAEP1, "WrappingAlgorithm"),
    ("EC_SM2", True, "RSA_2048", COMPOSITE, "WrappingKeySpec"),
    ("EC_SM2", True, "EC_SM2", SM2PKE, "WrappingAlgorithm"),
]


@pytest.mark.parametrize("spec,in_instance,wspec,alg,names", REFUSED)
def test_refused_wrapping_combinations(kms, instance, spec, in_instance, wspec, alg, names):
    drv = make_driver_from_kms(kms)
    key_id = create_external(kms, spec, instance if in_instance else None)
    expect(drv, lambda: drv.gpfi(key_id, wspec, alg), "InvalidParameter", names=names)
    assert state(kms, key_id) == "PendingImport"


def test_refused_combinations_every_sdk(kms, driver, instance):
    key_id = create_external(kms, "EC_P256", instance)
    expect(driver, lambda: driver.gpfi(key_id, "RSA_2048", OAEP256), "InvalidParameter", names="WrappingAlgorithm")
    expect(driver, lambda: driver.gpfi(key_id, "EC_SM2", SM2SM4), "InvalidParameter", names="WrappingKeySpec")
    expect(driver, lambda: driver.gpfi(key_id, "RSA_2048", "NOPE"), "InvalidParameter", names="WrappingAlgorithm")


def test_external_asymmetric_default_key_refused(kms):
    for spec in ("RSA_2048", "EC_P256", "EC_SM2"):
        err = expect_tea_error(lambda: kms.create_key(m.CreateKeyRequest(origin="EXTERNAL", key_spec=spec)),
                               "Rejected.UnsupportedOperation", 400)
        assert err.data["Message"]


def test_missing_parameters(kms):
    drv = make_driver_from_kms(kms)
    key_id = create_external(kms)
    p = drv.gpfi(key_id, "RSA_2048", OAEP256)
    enc = bs.wrap_symmetric(p["PublicKey"], OAEP256, bs.openssl_rand(32))
    expect(drv, lambda: drv.gpfi(key_id, None, OAEP256), "MissingParameter", names="WrappingKeySpec")
    expect(drv, lambda: drv.gpfi(key_id, "RSA_2048", None), "MissingParameter", names="WrappingAlgorithm")
    expect(drv, lambda: drv.import_material(key_id, enc, None), "MissingParameter", names="ImportToken")
    expect(drv, lambda: drv.import_material(key_id, None, p["ImportToken"]), "MissingParameter",
           names="EncryptedKeyMaterial")
    expect(drv, lambda: drv.gpfi("key-doesnotexist00000000000", "RSA_2048", OAEP256), "Forbidden.KeyNotFound", 404)
    expect(drv, lambda: drv.import_material("key-doesnotexist00000000000", enc, p["ImportToken"]),
           "Forbidden.KeyNotFound", 404)
    expect(drv, lambda: drv.delete_material("key-doesnotexist00000000000"), "Forbidden.KeyNotFound", 404)


# ---------------------------------------------------------------------------
# Material expiry: PendingImport from the second of expiry, then the sweeper
# ---------------------------------------------------------------------------


class SweepServer(KeywardServer):
    """A private server with its own KEYWARD_DELETION_SWEEP_SECS."""

    def __init__(self, binary, data_dir, sweep_secs: int):
        super().__init__(binary, data_dir, f"sqlite-sweep{sweep_secs}")
        self.sweep_secs = sweep_secs

    def env(self) -> dict[str, str]:
        env = super().env()
        env["KEYWARD_DELETION_SWEEP_SECS"] = str(self.sweep_secs)
        return env


@pytest.fixture(scope="module")
def sweep_servers(keyward_bin, tmp_path_factory):
    """(fast, slow): sweeper every second, and (practically) never."""
    base = tmp_path_factory.mktemp("keyward-byok-sweep")
    servers = []
    try:
        for secs in (1, 3600):
            servers.append(SweepServer(keyward_bin, base / f"data{secs}", secs).start())
        yield tuple(servers)
    finally:
        for srv in servers:
            rc = srv.stop()
            assert rc == 0, f"keyward exited with {rc}\n{srv.diagnostics()}"


def _pending_import_keys(kms) -> set[str]:
    listed = kms.list_keys(m.ListKeysRequest(page_size=100, filters='[{"Key":"KeyState","Values":["PendingImport"]}]'))
    return {k.key_id for k in listed.body.keys.key}


def _enabled_keys(kms) -> set[str]:
    listed = kms.list_keys(m.ListKeysRequest(page_size=100, filters='[{"Key":"KeyState","Values":["Enabled"]}]'))
    return {k.key_id for k in listed.body.keys.key}


def test_material_expiry_then_sweeper(sweep_servers):
    fast, slow = sweep_servers
    setups = []
    expire = int(time.time()) + 4
    expire_text = fmt_time(dt.datetime.fromtimestamp(expire, dt.timezone.utc))
    for srv in (fast, slow):
        kms = tea_client(srv)
        drv = make_driver_from_kms(kms)
        material = bs.openssl_rand(32)
        keys = []
        # key 0 stays as imported; key 1 (same material) is scheduled for deletion.
        for _ in range(2):
            key_id = create_external(kms)
            p = drv.gpfi(key_id, "RSA_2048", OAEP256)
            import_ok(drv, key_id, bs.wrap_symmetric(p["PublicKey"], OAEP256, material), p["ImportToken"], expire)
            keys.append((key_id, p))
        kms.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=keys[1][0], pending_window_in_days=7))
        setups.append((kms, drv, keys, material))
    assert time.time() < expire - 0.5, "setup too slow for a 4 s expiry"
    delete_dates = {}
    # Ciphertexts the user seals locally with the material for each key's version: refused
    # while the material is expired, accepted again after the re-import.
    sealed: dict[str, bs.Sealed] = {}
    for kms, _, keys, material in setups:
        d0 = assert_imported(kms, keys[0][0], "Aliyun_AES_256", expire)
        d = assert_imported(kms, keys[1][0], "Aliyun_AES_256", expire, key_state="PendingDeletion")
        delete_dates[keys[1][0]] = d["DeleteDate"]
        for meta in (d0, d):
            text = f"sealed by the user for {meta['KeyId']}"
            blob = bs.seal_blob("Aliyun_AES_256", material, meta["PrimaryKeyVersion"], text.encode(), bs.PROOF_CONTEXT)
            sealed[meta["KeyId"]] = bs.Sealed(meta["KeyId"], meta["PrimaryKeyVersion"], blob, bs.PROOF_CONTEXT, text)

    # Watch the slow server's key across the expiry second (no background job runs there).
    kms_s, drv_s, keys_s, mat_s = setups[1]
    key_s = keys_s[0][0]
    while True:
        before = time.time()
        d = describe(kms_s, key_s)
        after = time.time()
        if after < expire - 0.05:
            assert d["KeyState"] == "Enabled", d
        elif before >= expire + 0.05:
            break
        time.sleep(0.1)
    d = describe(kms_s, key_s)
    assert d["KeyState"] == "PendingImport", d
    # Not swept yet: the expiry is still shown.
    assert d["MaterialExpireTime"] == expire_text, d
    assert key_s in _pending_import_keys(kms_s)
    assert key_s not in _enabled_keys(kms_s)
    # The key acts as PendingImport: EnableKey / DisableKey are state errors.
    expect_tea_error(lambda: kms_s.disable_key(m.DisableKeyRequest(key_id=key_s)), "Rejected.StateModifiedFailed", 409)
    expect_tea_error(lambda: kms_s.enable_key(m.EnableKeyRequest(key_id=key_s)), "Rejected.StateModifiedFailed", 409)
    assert state(kms_s, key_s) == "PendingImport"
    # ... and cannot be used: Encrypt and Decrypt are refused as PendingImport.
    bs.assert_unusable(drv_s, key_s, "Aliyun_AES_256", [sealed[key_s]])
    bs.assert_unusable(drv_s, keys_s[1][0], "Aliyun_AES_256", [sealed[keys_s[1][0]]], "Rejected.PendingDeletion", 409)
    # A key pending deletion stays PendingDeletion.
    d = describe(kms_s, keys_s[1][0])
    assert d["KeyState"] == "PendingDeletion" and d["DeleteDate"] == delete_dates[keys_s[1][0]], d

    # The fast server's sweeper deletes the material within a few seconds.
    kms_f, drv_f, keys_f, mat_f = setups[0]
    deadline = time.time() + 10
    while True:
        d = describe(kms_f, keys_f[0][0])
        assert d["KeyState"] == "PendingImport", d
        d1 = describe(kms_f, keys_f[1][0])
        assert d1["KeyState"] == "PendingDeletion", d1
        if d["MaterialExpireTime"] == "" and d1["MaterialExpireTime"] == "":
            break
        assert time.time() < deadline, f"the sweeper did not delete the expired material: {d} {d1}"
        time.sleep(0.2)
    assert d1["DeleteDate"] == delete_dates[keys_f[1][0]], d1
    assert keys_f[0][0] in _pending_import_keys(kms_f)
    bs.assert_unusable(drv_f, keys_f[0][0], "Aliyun_AES_256", [sealed[keys_f[0][0]]])

    # Either way the binding stays: other material is refused, the same material comes back.
    for kms, drv, keys, material in setups:
        (key_id, p), (pending_id, _) = keys
        other = bs.wrap_symmetric(p["PublicKey"], OAEP256, bs.openssl_rand(32))
        expect(drv, lambda: drv.import_material(key_id, other, p["ImportToken"]), "InvalidKeyMaterial")
        assert state(kms, key_id) == "PendingImport"
        import_ok(drv, key_id, bs.wrap_symmetric(p["PublicKey"], OAEP256, material), p["ImportToken"])
        assert_imported(kms, key_id, "Aliyun_AES_256")
        assert key_id in _enabled_keys(kms)
        sealed[key_id].decrypts(drv)
        prove(drv, key_id, "Aliyun_AES_256", material)
        # Cancelling the deletion of an expired key: PendingImport (its material is gone).
        kms.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=pending_id))
        assert state(kms, pending_id) == "PendingImport"


# ---------------------------------------------------------------------------
# Concurrent first imports; other parameter forms
# ---------------------------------------------------------------------------


def test_concurrent_first_imports_bind_exactly_one(backend, kms):
    """Several clients race to import different material into one fresh key: exactly one wins,
    the others get InvalidKeyMaterial, and the key is bound to the winner's material."""
    key_id = create_external(kms)
    n = 6
    drivers = [make_driver(backend, "tea-acs3") for _ in range(n)]
    jobs = []
    for drv in drivers:
        p = drv.gpfi(key_id, "RSA_2048", OAEP256)
        material = bs.openssl_rand(32)
        jobs.append((drv, p, material, bs.wrap_symmetric(p["PublicKey"], OAEP256, material)))
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        drv, p, _, enc = jobs[i]
        barrier.wait()
        try:
            drv.import_material(key_id, enc, p["ImportToken"])
            results[i] = "ok"
        except TeaException as e:  # noqa: PERF203
            results[i] = (e.code, e.status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count("ok") == 1, results
    assert all(r == "ok" or r == ("InvalidKeyMaterial", 400) for r in results), results
    assert state(kms, key_id) == "Enabled"
    winner = results.index("ok")
    # The key works with the winner's material (and only with it: prove opens the blobs locally).
    prove(jobs[winner][0], key_id, "Aliyun_AES_256", jobs[winner][2])
    for i, (drv, p, material, _) in enumerate(jobs):
        enc = bs.wrap_symmetric(p["PublicKey"], OAEP256, material)
        if i == winner:
            import_ok(drv, key_id, enc, p["ImportToken"])
        else:
            expect(drv, lambda: drv.import_material(key_id, enc, p["ImportToken"]), "InvalidKeyMaterial")


def test_expiry_parameter_not_a_number(backend, kms):
    """The classic SDK sends whatever string it is given; the server names the parameter."""
    drv = make_driver(backend, "core-v1")
    key_id = create_external(kms)
    p = drv.gpfi(key_id, "RSA_2048", OAEP256)
    enc = bs.wrap_symmetric(p["PublicKey"], OAEP256, bs.openssl_rand(32))
    for bad in ("soon", "1.5", "0x10"):
        expect(drv, lambda: drv.import_material(key_id, enc, p["ImportToken"], bad), "InvalidParameter",
               names="KeyMaterialExpireUnix")
    assert state(kms, key_id) == "PendingImport"
    # KeyId as an ARN works for all three actions.
    p2 = drv.gpfi(key_arn(key_id), "RSA_2048", OAEP256)
    assert p2["KeyId"] == key_id
    material = bs.openssl_rand(32)
    import_ok(drv, key_arn(key_id), bs.wrap_symmetric(p2["PublicKey"], OAEP256, material), p2["ImportToken"])
    assert state(kms, key_id) == "Enabled"
    sealed = prove(drv, key_id, "Aliyun_AES_256", material)
    drv.delete_material(key_arn(key_id))
    assert state(kms, key_id) == "PendingImport"
    bs.assert_unusable(drv, key_id, "Aliyun_AES_256", sealed)


# ---------------------------------------------------------------------------
# PKCS#8 variants, out-of-range expiry, persistence
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["EC_P256", "EC_P256K"])
def test_ec_pkcs8_without_public_key(kms, instance, spec):
    """RFC 5915 makes the public key in ECPrivateKey optional, and Java's SunEC (what Alibaba's
    Java sample wraps: `privateKey.getEncoded()`) omits it: PKCS#8 { ecPublicKey, curve,
    ECPrivateKey { 1, d } }. openssl writes the same with `ec -no_public | pkcs8 -topk8`."""
    drv = make_driver_from_kms(kms)
    with bs.Scratch() as s:
        s.write("key.p8", private_key(spec))
        s.run("openssl ec -inform DER -in key.p8 -no_public 2>/dev/null"
              " | openssl pkcs8 -topk8 -nocrypt -outform DER -out nopub.p8")
        nopub = s.read("nopub.p8")
        text = s.run("openssl asn1parse -inform DER -in nopub.p8")
    assert len(nopub) < len(private_key(spec)) and "id-ecPublicKey" in text, text
    key_id = create_external(kms, spec, instance)
    p = drv.gpfi(key_id, "RSA_2048", COMPOSITE)
    import_ok(drv, key_id, bs.wrap_composite_rsa(p["PublicKey"], nopub), p["ImportToken"])
    assert_imported(kms, key_id, spec)
    # The server derived the public key: GetPublicKey is the user's, signatures verify.
    prove(drv, key_id, spec, private_key(spec), SIGN)
    # It is the same key as the full encoding: bound equally.
    import_ok(drv, key_id, bs.wrap_composite_rsa(p["PublicKey"], private_key(spec)), p["ImportToken"])


@pytest.mark.parametrize("spec", ["RSA_2048", "EC_P256", "EC_P256K"])
def test_inconsistent_pkcs8_cannot_pass_the_binding(kms, instance, spec):
    """The binding fingerprint covers the public key: a PKCS#8 that carries the bound key's
    public part (RSA modulus / EC point) with another private part must be refused, or the
    private key behind an EXTERNAL key could be swapped."""
    drv = make_driver_from_kms(kms)
    a, b = private_key(spec, 0), private_key(spec, 1)
    if spec == "RSA_2048":
        tag = b"\x02\x82\x01\x01\x00"  # INTEGER (257 bytes) modulus n
        ia, ib = a.index(tag) + len(tag), b.index(tag) + len(tag)
        mixed = b[:ib] + a[ia:ia + 256] + b[ib + 256:]
    else:
        assert a[-66:-64] == b"\x00\x04" and b[-66:-64] == b"\x00\x04"  # BIT STRING, uncompressed point
        mixed = b[:-65] + a[-65:]
    assert len(mixed) == len(b) and mixed not in (a, b)
    key_id = create_external(kms, spec, instance)
    p = drv.gpfi(key_id, "RSA_2048", COMPOSITE)
    import_ok(drv, key_id, bs.wrap_composite_rsa(p["PublicKey"], a), p["ImportToken"])
    expect(drv, lambda: drv.import_material(key_id, bs.wrap_composite_rsa(p["PublicKey"], mixed), p["ImportToken"]),
           "InvalidKeyMaterial")
    # The key is still exactly `a` (public and private part).
    prove(drv, key_id, spec, a)
    fresh = create_external(kms, spec, instance)
    p2 = drv.gpfi(fresh, "RSA_2048", COMPOSITE)
    expect(drv, lambda: drv.import_material(fresh, bs.wrap_composite_rsa(p2["PublicKey"], mixed), p2["ImportToken"]),
           "InvalidKeyMaterial")
    assert state(kms, fresh) == "PendingImport"


@pytest.mark.parametrize("expire", [253402300800, 1_900_000_000_000, 2**62, 2**63 - 1],
                         ids=["year-10000", "milliseconds", "2^62", "i64-max"])
def test_expiry_beyond_year_9999(kms, expire):
    """A KeyMaterialExpireUnix that yyyy-MM-ddTHH:mm:ssZ cannot show (a common slip: a time in
    milliseconds) must be refused as InvalidParameter, or else be shown as a time after now;
    never as a time in the past while the key stays Enabled."""
    drv = make_driver_from_kms(kms)
    key_id = create_external(kms)
    p = drv.gpfi(key_id, "RSA_2048", OAEP256)
    material = bs.openssl_rand(32)
    enc = bs.wrap_symmetric(p["PublicKey"], OAEP256, material)
    try:
        drv.import_material(key_id, enc, p["ImportToken"], expire)
    except TeaException as e:
        assert (e.code, e.status_code) == ("InvalidParameter", 400), (e.code, e.message)
        assert "KeyMaterialExpireUnix" in e.data["Message"], e.data
        assert state(kms, key_id) == "PendingImport"
        return
    d = describe(kms, key_id)
    assert d["KeyState"] == "Enabled", d
    assert TIME_RE.match(d["MaterialExpireTime"]), d
    assert parse_time(d["MaterialExpireTime"]) > utcnow(), (
        f"KeyMaterialExpireUnix={expire} accepted, the key is Enabled, but DescribeKey shows "
        f"MaterialExpireTime={d['MaterialExpireTime']!r}"
    )
    prove(drv, key_id, "Aliyun_AES_256", material)


def test_tokens_material_and_binding_survive_a_restart(keyward_bin, tmp_path):
    """Import tokens (with their wrapping keys), the material, its expiry and the binding are
    stored: a new server process on the same data dir honours all of them."""
    data = tmp_path / "data"
    srv = KeywardServer(keyward_bin, data, "sqlite-restart").start()
    try:
        kms = tea_client(srv)
        drv = make_driver_from_kms(kms)
        inst = srv.create_instance(key_quota=5)
        sym = create_external(kms)
        asym = create_external(kms, "EC_SM2", inst)
        a = bs.openssl_rand(32)
        later = int(time.time()) + 86400
        p1 = drv.gpfi(sym, "RSA_2048", OAEP256)
        import_ok(drv, sym, bs.wrap_symmetric(p1["PublicKey"], OAEP256, a), p1["ImportToken"], later)
        p2 = drv.gpfi(sym, "EC_SM2", SM2PKE)  # issued, used only after the restart
        q1 = drv.gpfi(asym, "EC_SM2", SM2SM4)
        d_sm2 = bs.sm2_scalar(private_key("EC_SM2"))
        import_ok(drv, asym, bs.wrap_sm2_sm4(q1["PublicKey"], d_sm2), q1["ImportToken"])
        q2 = drv.gpfi(asym, "EC_SM2", SM2SM4)
        sealed = prove(drv, sym, "Aliyun_AES_256", a)
        prove(drv, asym, "EC_SM2", private_key("EC_SM2"))
    finally:
        assert srv.stop() == 0, srv.diagnostics()

    srv = KeywardServer(keyward_bin, data, "sqlite-restart2").start()
    try:
        kms = tea_client(srv)
        drv = make_driver_from_kms(kms)
        assert_imported(kms, sym, "Aliyun_AES_256", later)
        assert_imported(kms, asym, "EC_SM2")
        # The material is stored: ciphertexts from before the restart open, the keys prove.
        for s in sealed:
            s.decrypts(drv)
        prove(drv, sym, "Aliyun_AES_256", a)
        prove(drv, asym, "EC_SM2", private_key("EC_SM2"))
        # Tokens from before the restart: other material refused, the same accepted.
        other = bs.wrap_symmetric(p2["PublicKey"], SM2PKE, bs.openssl_rand(32))
        expect(drv, lambda: drv.import_material(sym, other, p2["ImportToken"]), "InvalidKeyMaterial")
        import_ok(drv, sym, bs.wrap_symmetric(p2["PublicKey"], SM2PKE, a), p2["ImportToken"])
        assert_imported(kms, sym, "Aliyun_AES_256")
        other = bs.wrap_sm2_sm4(q2["PublicKey"], bs.sm2_scalar(private_key("EC_SM2", 1)))
        expect(drv, lambda: drv.import_material(asym, other, q2["ImportToken"]), "InvalidKeyMaterial")
        drv.delete_material(asym)
        import_ok(drv, asym, bs.wrap_sm2_sm4(q2["PublicKey"], d_sm2), q2["ImportToken"])
        assert_imported(kms, asym, "EC_SM2")
        prove(drv, asym, "EC_SM2", private_key("EC_SM2"))
        # The mismatch check still knows the pre-restart tokens.
        p3 = drv.gpfi(sym, "RSA_2048", OAEP256)
        enc3 = bs.wrap_symmetric(p3["PublicKey"], OAEP256, a)
        expect(drv, lambda: drv.import_material(sym, enc3, p1["ImportToken"]), "InvalidImportToken")
    finally:
        assert srv.stop() == 0, srv.diagnostics()
