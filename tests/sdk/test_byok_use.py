"""Using BYOK keys (ALIBABA.md §5.2-5.4): what test_byok.py's proofs rely on, and what they do
not cover.

- The local references themselves: SM4-GCM from `cryptography` against the RFC 8998 vector, and
  a proof run with the wrong material must fail (the proofs are not vacuous).
- Ciphertexts are bound to the key version and the EncryptionContext, also for imported keys.
- Signatures made before DeleteKeyMaterial still verify after the re-import (server and local),
  and the public key is unchanged.

The material is generated and wrapped with openssl (byok_support.py); every check of the
server's output is made locally with the user's own material."""

from __future__ import annotations

import base64
import hashlib

import pytest

pytest.register_assert_rewrite("byok_support")

from cryptography.exceptions import InvalidTag  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

from alibabacloud_kms20160120 import models as m  # noqa: E402

import byok_support as bs  # noqa: E402
from byok_support import DRIVERS, ENC, SIGN, SYMMETRIC_SIZES, make_driver, prove  # noqa: E402

OAEP256, SM2PKE = "RSAES_OAEP_SHA_256", "SM2PKE"
COMPOSITE, SM2SM4 = "RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD", "SM2PKE_SM4_ECB"

_KEYS: dict[tuple[str, int], bytes] = {}


def private_key(spec: str, n: int = 0) -> bytes:
    if (spec, n) not in _KEYS:
        _KEYS[(spec, n)] = bs.openssl_pkcs8(spec)
    return _KEYS[(spec, n)]


@pytest.fixture(scope="module")
def instance(backend) -> str:
    return backend.create_instance(key_quota=40)


def imported_key(kms, drv, spec: str, material: bytes, instance: str | None = None, usage: str | None = None) -> str:
    """A new EXTERNAL key of `spec` holding `material` (raw symmetric key or PKCS#8 DER)."""
    meta = kms.create_key(m.CreateKeyRequest(origin="EXTERNAL", key_spec=spec, dkmsinstance_id=instance,
                                             key_usage=usage)).body.key_metadata
    assert meta.key_state == "PendingImport", meta.to_map()
    key_id = meta.key_id
    if spec in SYMMETRIC_SIZES:
        wspec, alg = ("EC_SM2", SM2PKE) if spec == "Aliyun_SM4" else ("RSA_2048", OAEP256)
        p = drv.gpfi(key_id, wspec, alg)
        enc = bs.wrap_symmetric(p["PublicKey"], alg, material)
    else:
        wspec, alg = ("EC_SM2", SM2SM4) if spec == "EC_SM2" else ("RSA_2048", COMPOSITE)
        p = drv.gpfi(key_id, wspec, alg)
        enc = bs.wrap_asymmetric(p["PublicKey"], spec, material)
    drv.import_material(key_id, enc, p["ImportToken"])
    assert drv.describe(key_id)["KeyState"] == "Enabled"
    return key_id


# ---------------------------------------------------------------------------
# The local references
# ---------------------------------------------------------------------------


def test_local_sm4_gcm_is_rfc8998():
    """`cryptography` does SM4-GCM (the proofs open SM4 blobs with it): RFC 8998 A.1."""
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    iv = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    pt = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
                       "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
    ct = bytes.fromhex("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
                       "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D")
    tag = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")
    assert bs.gcm_seal("Aliyun_SM4", key, iv, pt, aad) == ct + tag
    assert bs.gcm_open("Aliyun_SM4", key, iv, ct + tag, aad) == pt
    with pytest.raises(InvalidTag):
        bs.gcm_open("Aliyun_SM4", key, iv, ct + tag, aad + b"!")
    # And it is not AES-GCM under another name.
    enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    assert enc.update(pt) + enc.finalize() != ct


def test_canonical_context_form():
    ctx = {"b": "2", "a": "1", "ключ": "значение ✓"}
    assert bs.canonical_context(ctx) == '{"a":"1","b":"2","ключ":"значение ✓"}'.encode()
    assert bs.canonical_context(None) == b""


@pytest.mark.parametrize("spec", ["Aliyun_AES_256", "Aliyun_SM4", "RSA_2048", "EC_P256", "EC_SM2"])
def test_proof_fails_with_other_material(kms, instance, spec):
    """A proof run with material other than the key's fails: the local checks bite."""
    drv = bs.TeaDriver(None, client=kms)
    inst = None if spec in SYMMETRIC_SIZES else instance
    usage = SIGN if spec == "EC_SM2" else None
    if spec in SYMMETRIC_SIZES:
        mine, other = bs.openssl_rand(SYMMETRIC_SIZES[spec]), bs.openssl_rand(SYMMETRIC_SIZES[spec])
    else:
        mine, other = private_key(spec, 0), private_key(spec, 1)
    key_id = imported_key(kms, drv, spec, mine, inst, usage)
    prove(drv, key_id, spec, mine, usage)
    if spec in SYMMETRIC_SIZES:
        with pytest.raises(InvalidTag):
            prove(drv, key_id, spec, other)
        # A blob sealed with other material does not open in the server.
        version = drv.describe(key_id)["PrimaryKeyVersion"]
        forged = bs.seal_blob(spec, other, version, b"not mine", None)
        drv.expect(lambda: drv.decrypt(forged), "InvalidParameter", 400)
    else:
        with pytest.raises(AssertionError, match="GetPublicKey is not the user's public key"):
            prove(drv, key_id, spec, other, usage)


# ---------------------------------------------------------------------------
# Ciphertexts of imported keys are bound to the version and the context
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("driver_name", DRIVERS)
@pytest.mark.parametrize("spec", ["Aliyun_AES_256", "Aliyun_AES_128", "Aliyun_SM4"])
def test_blob_binding(backend, kms, driver_name, spec):
    drv = make_driver(backend, driver_name)
    material = bs.openssl_rand(SYMMETRIC_SIZES[spec])
    key_id = imported_key(kms, drv, spec, material)
    with_ctx, without_ctx = prove(drv, key_id, spec, material)
    assert with_ctx.context is not None and without_ctx.context is None
    # The context: any other (or none) is refused; the same pairs in another order are not other.
    reordered = dict(reversed(list(bs.PROOF_CONTEXT.items())))
    assert list(reordered) != list(bs.PROOF_CONTEXT)
    dec = drv.decrypt(with_ctx.blob, reordered)
    assert dec["Plaintext"] == with_ctx.plaintext, dec
    changed = dict(bs.PROOF_CONTEXT, tenant="other")
    for bad in (None, changed, {"tenant": "acme"}):
        msg = drv.expect(lambda: drv.decrypt(with_ctx.blob, bad), "InvalidParameter", 400)
        assert "CiphertextBlob" in msg or "EncryptionContext" in msg, msg
    drv.expect(lambda: drv.decrypt(without_ctx.blob, bs.PROOF_CONTEXT), "InvalidParameter", 400)
    # The user's material, with the wrong AAD, does not open it locally either.
    with pytest.raises(InvalidTag):
        bs.open_blob(spec, material, with_ctx.blob, changed)
    # A blob naming an unknown version: not a valid CiphertextBlob (as test_crypto.py expects).
    unknown = bs.with_version(with_ctx.blob, "00000000-0000-4000-8000-000000000000")
    msg = drv.expect(lambda: drv.decrypt(unknown, with_ctx.context), "InvalidParameter", 400)
    assert "CiphertextBlob" in msg, msg


def test_same_material_blob_swap_every_sdk(backend, kms):
    """Two keys, the same material: each SDK flavour refuses key A's blob relabelled as key B's,
    although a blob the user seals for B's version with the same material opens as B."""
    material = bs.openssl_rand(32)
    tea = bs.TeaDriver(None, client=kms)
    a, b = (imported_key(kms, tea, "Aliyun_AES_256", material) for _ in range(2))
    sealed_a = prove(tea, a, "Aliyun_AES_256", material)
    b_version = tea.describe(b)["PrimaryKeyVersion"]
    for name in DRIVERS:
        drv = make_driver(backend, name)
        for s in sealed_a:
            swapped = bs.with_version(s.blob, b_version)
            msg = drv.expect(lambda: drv.decrypt(swapped, s.context), "InvalidParameter", 400)
            assert "CiphertextBlob" in msg, msg
            s.decrypts(drv)
        text = f"sealed for {b}"
        mine = bs.seal_blob("Aliyun_AES_256", material, b_version, text.encode(), bs.PROOF_CONTEXT)
        bs.Sealed(b, b_version, mine, bs.PROOF_CONTEXT, text).decrypts(drv)


# ---------------------------------------------------------------------------
# Asymmetric: delete + re-import keeps signatures and ciphertexts valid
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("driver_name", DRIVERS)
@pytest.mark.parametrize("spec,usage", [("RSA_2048", SIGN), ("EC_P256K", SIGN), ("EC_SM2", SIGN),
                                        ("RSA_3072", ENC), ("EC_SM2", ENC)],
                         ids=["RSA_2048-sign", "EC_P256K-sign", "EC_SM2-sign", "RSA_3072-enc", "EC_SM2-enc"])
def test_asymmetric_delete_and_reimport(backend, kms, instance, driver_name, spec, usage):
    drv = make_driver(backend, driver_name)
    pkcs8 = private_key(spec)
    key_id = imported_key(kms, drv, spec, pkcs8, instance, usage)
    prove(drv, key_id, spec, pkcs8, usage)
    version = drv.describe(key_id)["PrimaryKeyVersion"]
    pem = drv.get_public_key(key_id, version)["PublicKey"]
    spki = bs.user_spki(spec, pkcs8)
    msg = b"signed before DeleteKeyMaterial"
    if usage == SIGN:
        alg = bs.sign_algorithms(spec)[0]
        digest = bs.digest_for(spec, alg, spki, msg)
        before = base64.b64decode(drv.sign(key_id, version, alg, digest)["Value"])
    else:
        alg = bs.encrypt_algorithm(spec)
        plaintext = hashlib.sha256(msg).digest()
        before = bs.encrypt_locally(spec, pkcs8, plaintext)

    drv.delete_material(key_id)
    assert drv.describe(key_id)["KeyState"] == "PendingImport"
    bs.assert_unusable(drv, key_id, spec)
    if usage == SIGN:
        drv.expect(lambda: drv.verify(key_id, version, alg, digest, before), "Rejected.PendingImport", 409)
    else:
        drv.expect(lambda: drv.asym_decrypt(key_id, version, alg, before), "Rejected.PendingImport", 409)

    # Re-import (a fresh token): same version, same public key, the old output is valid again.
    wspec, walg = ("EC_SM2", SM2SM4) if spec == "EC_SM2" else ("RSA_2048", COMPOSITE)
    p = drv.gpfi(key_id, wspec, walg)
    drv.import_material(key_id, bs.wrap_asymmetric(p["PublicKey"], spec, pkcs8), p["ImportToken"])
    meta = drv.describe(key_id)
    assert meta["KeyState"] == "Enabled" and meta["PrimaryKeyVersion"] == version, meta
    assert drv.get_public_key(key_id, version)["PublicKey"] == pem
    if usage == SIGN:
        assert drv.verify(key_id, version, alg, digest, before)["Value"] is True
        bs.verify_locally(spec, pkcs8, alg, msg, before)
    else:
        assert base64.b64decode(drv.asym_decrypt(key_id, version, alg, before)["Plaintext"]) == plaintext
    prove(drv, key_id, spec, pkcs8, usage)
