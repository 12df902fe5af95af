"""Asymmetric cryptography through the official SDKs (ALIBABA.md §4.3, §5.4, §5.6):
GetPublicKey, AsymmetricEncrypt/Decrypt, AsymmetricSign/Verify for RSA, ECDSA (P-256,
secp256k1) and SM2, with usage/spec mismatches, bad inputs, key states and DryRun.

Independent checks: every RSA/ECDSA signature is verified locally with `cryptography` against
the PEM of GetPublicKey; ciphertexts made locally with the public key (RSA-OAEP by
`cryptography`, SM2 by `openssl pkeyutl`) are decrypted by the server; SM2DSA digests are
computed here (SM3(Z ‖ M)) and the server's signatures are verified over M by
`openssl dgst -sm3 -verify -sigopt distid:1234567812345678`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from alibabacloud_kms20160120 import models as m
from aliyunsdkkms.request.v20160120 import AsymmetricSignRequest, AsymmetricVerifyRequest, GetPublicKeyRequest

import crypto_support as cs
from crypto_support import ECDSA, ENC, OAEP1, OAEP256, PKCS1, PSS, SIGN, SM2DSA, SM2PKE, AsymKey, b64, unb64
from kwhelpers import REQUEST_ID_RE, core_call, core_client, expect_core_error, expect_tea_error, key_arn, tea_client

MESSAGE = b"The quick brown fox jumps over the lazy dog"
SHA256 = hashlib.sha256(MESSAGE).digest()


# ---------------------------------------------------------------------------
# Fixtures: keys are created on first use and shared by the module
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(server):
    return tea_client(server)


@pytest.fixture(scope="module")
def akey(client):
    cache: dict[tuple[str, str], AsymKey] = {}

    def get(spec: str, usage: str) -> AsymKey:
        if (spec, usage) not in cache:
            cache[(spec, usage)] = AsymKey(client, spec, usage)
        return cache[(spec, usage)]

    return get


def sign(client, key: AsymKey, alg: str, digest: bytes, **kw) -> dict:
    return client.asymmetric_sign(m.AsymmetricSignRequest(
        key_id=kw.pop("key_id", key.key_id), key_version_id=kw.pop("key_version_id", key.version_id),
        algorithm=alg, digest=b64(digest), **kw,
    )).body.to_map()


def verify(client, key: AsymKey, alg: str, digest: bytes, signature: bytes, **kw) -> dict:
    return client.asymmetric_verify(m.AsymmetricVerifyRequest(
        key_id=kw.pop("key_id", key.key_id), key_version_id=kw.pop("key_version_id", key.version_id),
        algorithm=alg, digest=b64(digest), value=b64(signature), **kw,
    )).body.to_map()


def aencrypt(client, key: AsymKey, alg: str, plaintext: bytes, **kw) -> dict:
    return client.asymmetric_encrypt(m.AsymmetricEncryptRequest(
        key_id=kw.pop("key_id", key.key_id), key_version_id=kw.pop("key_version_id", key.version_id),
        algorithm=alg, plaintext=b64(plaintext), **kw,
    )).body.to_map()


def adecrypt(client, key: AsymKey, alg: str, ciphertext: bytes, **kw) -> dict:
    return client.asymmetric_decrypt(m.AsymmetricDecryptRequest(
        key_id=kw.pop("key_id", key.key_id), key_version_id=kw.pop("key_version_id", key.version_id),
        algorithm=alg, ciphertext_blob=b64(ciphertext), **kw,
    )).body.to_map()


def message_names(err, name: str) -> None:
    assert name in err.data["Message"], f"the message should name {name}: {err.data['Message']!r}"


def tamper(data: bytes, index: int = -1) -> bytes:
    b = bytearray(data)
    b[index] ^= 0x01
    return bytes(b)


# ---------------------------------------------------------------------------
# GetPublicKey
# ---------------------------------------------------------------------------

PEM_RE = re.compile(r"^-----BEGIN PUBLIC KEY-----\n((?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n)-----END PUBLIC KEY-----\n?$")

ALL_ASYM = [
    ("RSA_2048", ENC), ("RSA_2048", SIGN), ("RSA_3072", ENC), ("RSA_4096", SIGN),
    ("EC_P256", SIGN), ("EC_P256K", SIGN), ("EC_SM2", ENC), ("EC_SM2", SIGN),
]


@pytest.mark.parametrize("spec,usage", ALL_ASYM, ids=[f"{s}-{u[:4]}" for s, u in ALL_ASYM])
def test_get_public_key(client, akey, spec, usage):
    key = akey(spec, usage)
    body = cs.get_public_key(client, key.key_id, key.version_id)
    assert set(body) == {"RequestId", "KeyId", "KeyVersionId", "PublicKey"}, body
    assert REQUEST_ID_RE.match(body["RequestId"])
    assert (body["KeyId"], body["KeyVersionId"]) == (key.key_id, key.version_id)
    pem = body["PublicKey"]
    assert PEM_RE.match(pem), pem
    assert cs.is_uuid(key.version_id), key.version_id
    text = cs.openssl_describe_public_key(pem)
    if spec.startswith("RSA"):
        pub = key.public_key()
        assert isinstance(pub, rsa.RSAPublicKey)
        assert pub.key_size == int(spec.split("_")[1])
        assert pub.public_numbers().e == 65537
    elif spec == "EC_SM2":
        assert "SM2" in text, text
        x, y = cs.sm2_public_xy(key.spki_der())
        assert len(x) == len(y) == 32
    else:
        pub = key.public_key()
        assert isinstance(pub, ec.EllipticCurvePublicKey)
        assert isinstance(pub.curve, ec.SECP256R1 if spec == "EC_P256" else ec.SECP256K1)
    # The same key through its ARN; the same answer every time.
    again = cs.get_public_key(client, key_arn(key.key_id), key.version_id)
    assert again["PublicKey"] == pem and again["KeyId"] == key.key_id


def test_get_public_key_errors(client, akey):
    key = akey("RSA_2048", SIGN)
    other = akey("EC_P256", SIGN)
    err = expect_tea_error(lambda: client.get_public_key(m.GetPublicKeyRequest(key_id=key.key_id)),
                           "MissingParameter", 400)
    message_names(err, "KeyVersionId")
    expect_tea_error(lambda: cs.get_public_key(client, key.key_id, str(uuid.uuid4())),
                     "Forbidden.KeyVersionNotFound", 404)
    expect_tea_error(lambda: cs.get_public_key(client, key.key_id, other.version_id),
                     "Forbidden.KeyVersionNotFound", 404)
    expect_tea_error(lambda: cs.get_public_key(client, str(uuid.uuid4()), key.version_id), "Forbidden.KeyNotFound", 404)
    sym = cs.create_key(client, "Aliyun_AES_256")
    expect_tea_error(lambda: cs.get_public_key(client, sym["KeyId"], sym["PrimaryKeyVersion"]),
                     "Rejected.UnsupportedOperation", 400)


def test_get_public_key_classic_sdk(server, akey):
    key = akey("EC_P256", SIGN)
    req = GetPublicKeyRequest.GetPublicKeyRequest()
    req.set_KeyId(key.key_id)
    req.set_KeyVersionId(key.version_id)
    body = core_call(core_client(server), server, req)
    assert body["PublicKey"] == key.pem


# ---------------------------------------------------------------------------
# Sign / Verify
# ---------------------------------------------------------------------------

SIGN_ROWS = [
    ("RSA_2048", PSS), ("RSA_2048", PKCS1), ("RSA_4096", PSS), ("RSA_4096", PKCS1),
    ("EC_P256", ECDSA), ("EC_P256K", ECDSA),
]


@pytest.mark.parametrize("spec,alg", SIGN_ROWS, ids=[f"{s}-{a}" for s, a in SIGN_ROWS])
def test_sign_verify_checked_locally(client, akey, spec, alg):
    key = akey(spec, SIGN)
    pub = key.public_key()
    body = sign(client, key, alg, SHA256)
    assert set(body) == {"RequestId", "KeyId", "KeyVersionId", "Value"}, body
    assert (body["KeyId"], body["KeyVersionId"]) == (key.key_id, key.version_id)
    sig = unb64(body["Value"])
    if spec.startswith("RSA"):
        assert len(sig) == cs.RSA_BYTES[spec]
        cs.verify_rsa(pub, alg, SHA256, sig)
        with pytest.raises(InvalidSignature):
            cs.verify_rsa(pub, alg, hashlib.sha256(b"other").digest(), sig)
    else:
        r, s = cs.dss_signature(sig)  # DER SEQUENCE { r, s }
        assert 0 < r and 0 < s
        cs.verify_ecdsa(pub, SHA256, sig)
        with pytest.raises(InvalidSignature):
            cs.verify_ecdsa(pub, hashlib.sha256(b"other").digest(), sig)

    # The server agrees with itself, and refuses tampered signatures and other digests.
    v = verify(client, key, alg, SHA256, sig)
    assert set(v) == {"RequestId", "KeyId", "KeyVersionId", "Value"}, v
    assert v["Value"] is True
    assert (v["KeyId"], v["KeyVersionId"]) == (key.key_id, key.version_id)
    assert verify(client, key, alg, hashlib.sha256(b"other").digest(), sig)["Value"] is False
    assert verify(client, key, alg, SHA256, tamper(sig, len(sig) // 2))["Value"] is False
    # Deterministic for PKCS#1 v1.5, randomised for PSS (ECDSA may be either: RFC 6979).
    again = unb64(sign(client, key, alg, SHA256)["Value"])
    if alg == PKCS1:
        assert again == sig
    elif alg == PSS:
        assert again != sig


def test_rsa_pss_uses_salt_32(client, akey):
    key = akey("RSA_2048", SIGN)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    sig = unb64(sign(client, key, PSS, SHA256)["Value"])
    pub = key.public_key()
    pub.verify(sig, SHA256, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
               utils.Prehashed(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        pub.verify(sig, SHA256, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=20),
                   utils.Prehashed(hashes.SHA256()))


def test_verify_signatures_made_for_other_algorithm(client, akey):
    key = akey("RSA_2048", SIGN)
    pss = unb64(sign(client, key, PSS, SHA256)["Value"])
    pkcs1 = unb64(sign(client, key, PKCS1, SHA256)["Value"])
    assert verify(client, key, PKCS1, SHA256, pss)["Value"] is False
    assert verify(client, key, PSS, SHA256, pkcs1)["Value"] is False
    # Another key's signature.
    other = akey("RSA_4096", SIGN)
    sig = unb64(sign(client, other, PSS, SHA256)["Value"])
    assert verify(client, key, PSS, SHA256, sig)["Value"] is False
    # Garbage signatures are "not valid", not errors.
    for junk in (b"\x00", os.urandom(256), os.urandom(300)):
        assert verify(client, key, PSS, SHA256, junk)["Value"] is False
    ec_key = akey("EC_P256", SIGN)
    for junk in (b"\x30\x00", os.urandom(70)):
        assert verify(client, ec_key, ECDSA, SHA256, junk)["Value"] is False


@pytest.mark.parametrize("uid", [cs.SM2_DEFAULT_ID])
def test_sm2dsa(client, akey, uid):
    key = akey("EC_SM2", SIGN)
    digest = cs.sm2_digest(key.spki_der(), MESSAGE, uid)
    body = sign(client, key, SM2DSA, digest)
    assert (body["KeyId"], body["KeyVersionId"]) == (key.key_id, key.version_id)
    sig = unb64(body["Value"])
    r, s = cs.dss_signature(sig)
    assert 0 < r < cs.SM2_P and 0 < s < cs.SM2_P
    # openssl checks the signature over the MESSAGE, computing Z itself with the same id.
    assert cs.openssl_sm2_verify(key.pem, MESSAGE, sig, uid)
    assert not cs.openssl_sm2_verify(key.pem, MESSAGE + b"!", sig, uid)
    assert not cs.openssl_sm2_verify(key.pem, MESSAGE, sig, b"1234567812345679")
    assert verify(client, key, SM2DSA, digest, sig)["Value"] is True
    assert verify(client, key, SM2DSA, cs.sm3(MESSAGE), sig)["Value"] is False
    assert verify(client, key, SM2DSA, digest, tamper(sig, 10))["Value"] is False
    # The server signs the digest as given (DIGEST mode): a signature over SM3(M) without Z
    # does not verify over M.
    no_z = unb64(sign(client, key, SM2DSA, cs.sm3(MESSAGE))["Value"])
    assert not cs.openssl_sm2_verify(key.pem, MESSAGE, no_z, uid)
    assert verify(client, key, SM2DSA, cs.sm3(MESSAGE), no_z)["Value"] is True


def test_sign_classic_sdk(server, client, akey):
    key = akey("EC_P256K", SIGN)
    core = core_client(server)
    req = AsymmetricSignRequest.AsymmetricSignRequest()
    req.set_KeyId(key.key_id)
    req.set_KeyVersionId(key.version_id)
    req.set_Algorithm(ECDSA)
    req.set_Digest(b64(SHA256))
    body = core_call(core, server, req)
    sig = unb64(body["Value"])
    cs.verify_ecdsa(key.public_key(), SHA256, sig)
    vreq = AsymmetricVerifyRequest.AsymmetricVerifyRequest()
    vreq.set_KeyId(key.key_id)
    vreq.set_KeyVersionId(key.version_id)
    vreq.set_Algorithm(ECDSA)
    vreq.set_Digest(b64(SHA256))
    vreq.set_Value(b64(sig))
    raw = core.do_action_with_exception(_prepare(vreq, server))
    data = json.loads(raw)
    assert data["Value"] is True, "AsymmetricVerify.Value is a JSON boolean"
    assert re.search(rb'"Value"\s*:\s*true', raw), raw
    # An error through the classic SDK.
    req.set_Algorithm(PSS)
    expect_core_error(lambda: core_call(core, server, req), "Rejected.UnsupportedOperation", 400)


def _prepare(req, server):
    req.set_endpoint(server.http_endpoint)
    req.set_protocol_type("http")
    req.set_method("POST")
    return req


@pytest.mark.parametrize("digest,name", [
    (b"", "Digest"), (b"\x01" * 31, "Digest"), (b"\x01" * 33, "Digest"), (b"\x01" * 64, "Digest"),
])
def test_sign_digest_length(client, akey, digest, name):
    for spec, alg in (("RSA_2048", PSS), ("EC_P256", ECDSA), ("EC_SM2", SM2DSA)):
        key = akey(spec, SIGN)
        code = "MissingParameter" if not digest else "InvalidParameter"
        err = expect_tea_error(lambda: sign(client, key, alg, digest), code, 400)
        message_names(err, name)


def test_sign_bad_parameters(client, akey):
    key = akey("RSA_2048", SIGN)

    def raw_sign(**kw):
        args = dict(key_id=key.key_id, key_version_id=key.version_id, algorithm=PSS, digest=b64(SHA256))
        args.update(kw)
        return client.asymmetric_sign(m.AsymmetricSignRequest(**args))

    err = expect_tea_error(lambda: raw_sign(digest="not base64!"), "InvalidParameter", 400)
    message_names(err, "Digest")
    err = expect_tea_error(lambda: raw_sign(algorithm="RSA_PSS_SHA_512"), "InvalidParameter", 400)
    message_names(err, "Algorithm")
    for missing in ("key_version_id", "algorithm", "digest", "key_id"):
        err = expect_tea_error(lambda: raw_sign(**{missing: None}), "MissingParameter", 400)
    expect_tea_error(lambda: raw_sign(key_version_id=str(uuid.uuid4())), "Forbidden.KeyVersionNotFound", 404)
    expect_tea_error(lambda: raw_sign(key_id=str(uuid.uuid4())), "Forbidden.KeyNotFound", 404)
    err = expect_tea_error(lambda: client.asymmetric_verify(m.AsymmetricVerifyRequest(
        key_id=key.key_id, key_version_id=key.version_id, algorithm=PSS, digest=b64(SHA256))),
        "MissingParameter", 400)
    message_names(err, "Value")


# ---------------------------------------------------------------------------
# Encrypt / Decrypt
# ---------------------------------------------------------------------------

ENC_ROWS = [("RSA_2048", OAEP256), ("RSA_2048", OAEP1), ("RSA_3072", OAEP256), ("RSA_3072", OAEP1),
            ("RSA_4096", OAEP1)]


@pytest.mark.parametrize("spec,alg", ENC_ROWS, ids=[f"{s}-{a}" for s, a in ENC_ROWS])
def test_rsa_encrypt_decrypt(client, akey, spec, alg):
    key = akey(spec, ENC)
    limit = cs.OAEP_MAX[(spec, alg)]
    for plaintext in (b"Hello world", b"\x00\xff" * 8, os.urandom(limit), b"x"):
        body = aencrypt(client, key, alg, plaintext)
        assert set(body) == {"RequestId", "KeyId", "KeyVersionId", "CiphertextBlob"}, body
        assert (body["KeyId"], body["KeyVersionId"]) == (key.key_id, key.version_id)
        ct = unb64(body["CiphertextBlob"])
        assert len(ct) == cs.RSA_BYTES[spec], "a raw RSA ciphertext, no KMS header"
        dec = adecrypt(client, key, alg, ct)
        assert set(dec) == {"RequestId", "KeyId", "KeyVersionId", "Plaintext"}, dec
        assert unb64(dec["Plaintext"]) == plaintext
        assert (dec["KeyId"], dec["KeyVersionId"]) == (key.key_id, key.version_id)
        # Made locally with the public key, opened by the server.
        local = key.public_key().encrypt(plaintext, cs.oaep(alg))
        assert unb64(adecrypt(client, key, alg, local)["Plaintext"]) == plaintext
    # The documented maximum plaintext size.
    err = expect_tea_error(lambda: aencrypt(client, key, alg, os.urandom(limit + 1)), "InvalidParameter", 400)
    message_names(err, "Plaintext")


def test_rsa_decrypt_failures(client, akey):
    key = akey("RSA_2048", ENC)
    ct = key.public_key().encrypt(b"secret", cs.oaep(OAEP256))
    for bad, name in ((tamper(ct, 100), "CiphertextBlob"), (ct[:-1], "CiphertextBlob"), (ct + b"\x00", "CiphertextBlob"),
                      (os.urandom(256), "CiphertextBlob")):
        err = expect_tea_error(lambda: adecrypt(client, key, OAEP256, bad), "InvalidParameter", 400)
        message_names(err, name)
    # The wrong OAEP hash does not open it either.
    expect_tea_error(lambda: adecrypt(client, key, OAEP1, ct), "InvalidParameter", 400)
    err = expect_tea_error(lambda: client.asymmetric_decrypt(m.AsymmetricDecryptRequest(
        key_id=key.key_id, key_version_id=key.version_id, algorithm=OAEP256, ciphertext_blob="***")),
        "InvalidParameter", 400)
    message_names(err, "CiphertextBlob")
    err = expect_tea_error(lambda: client.asymmetric_encrypt(m.AsymmetricEncryptRequest(
        key_id=key.key_id, key_version_id=key.version_id, algorithm=OAEP256, plaintext="***")),
        "InvalidParameter", 400)
    message_names(err, "Plaintext")


def test_sm2_encrypt_decrypt(client, akey):
    key = akey("EC_SM2", ENC)
    for plaintext in (b"Hello SM2", os.urandom(32), b"\x00" * 5, os.urandom(1000)):
        body = aencrypt(client, key, SM2PKE, plaintext)
        assert (body["KeyId"], body["KeyVersionId"]) == (key.key_id, key.version_id)
        ct = unb64(body["CiphertextBlob"])
        x, y, c3, c2 = cs.sm2_ciphertext_parts(ct)  # GM/T 0009 DER
        assert len(c2) == len(plaintext)
        assert unb64(adecrypt(client, key, SM2PKE, ct)["Plaintext"]) == plaintext
        # openssl's DER ciphertext and its raw C1C3C2 form both open in the server.
        local = cs.openssl_sm2_encrypt(key.pem, plaintext)
        assert unb64(adecrypt(client, key, SM2PKE, local)["Plaintext"]) == plaintext
        raw = cs.sm2_der_to_c1c3c2(local)
        assert unb64(adecrypt(client, key, SM2PKE, raw)["Plaintext"]) == plaintext
    # Two encryptions differ (random k).
    assert aencrypt(client, key, SM2PKE, b"same")["CiphertextBlob"] != aencrypt(client, key, SM2PKE, b"same")["CiphertextBlob"]
    # Tampered ciphertexts fail the C3 check.
    local = cs.openssl_sm2_encrypt(key.pem, b"tamper me")
    raw = cs.sm2_der_to_c1c3c2(local)
    for bad in (tamper(local), tamper(raw), tamper(raw, 70), raw[:-1]):
        expect_tea_error(lambda: adecrypt(client, key, SM2PKE, bad), "InvalidParameter", 400)


# ---------------------------------------------------------------------------
# Usage / spec / algorithm mismatches
# ---------------------------------------------------------------------------

# (spec, usage, operation, algorithm) that must be refused with Rejected.UnsupportedOperation.
MISMATCHES = [
    ("RSA_2048", ENC, "sign", PSS),
    ("RSA_2048", ENC, "sign", PKCS1),
    ("RSA_2048", SIGN, "encrypt", OAEP256),
    ("RSA_2048", SIGN, "decrypt", OAEP256),
    ("RSA_2048", SIGN, "sign", ECDSA),
    ("RSA_2048", SIGN, "sign", SM2DSA),
    ("RSA_2048", ENC, "encrypt", SM2PKE),
    ("EC_P256", SIGN, "sign", PSS),
    ("EC_P256", SIGN, "sign", SM2DSA),
    ("EC_P256", SIGN, "encrypt", OAEP256),
    ("EC_P256K", SIGN, "verify", PKCS1),
    ("EC_SM2", ENC, "sign", SM2DSA),
    ("EC_SM2", ENC, "encrypt", OAEP256),
    ("EC_SM2", SIGN, "encrypt", SM2PKE),
    ("EC_SM2", SIGN, "decrypt", SM2PKE),
    ("EC_SM2", SIGN, "sign", ECDSA),
    ("EC_SM2", SIGN, "verify", ECDSA),
]


def _call(client, key: AsymKey, op: str, alg: str):
    if op == "sign":
        return sign(client, key, alg, SHA256)
    if op == "verify":
        return verify(client, key, alg, SHA256, b"\x30\x06\x02\x01\x01\x02\x01\x01")
    if op == "encrypt":
        return aencrypt(client, key, alg, b"hello")
    return adecrypt(client, key, alg, os.urandom(128))


@pytest.mark.parametrize("spec,usage,op,alg", MISMATCHES, ids=[f"{s}-{u[:4]}-{o}-{a}" for s, u, o, a in MISMATCHES])
def test_usage_and_algorithm_mismatch(client, akey, spec, usage, op, alg):
    key = akey(spec, usage)
    expect_tea_error(lambda: _call(client, key, op, alg), "Rejected.UnsupportedOperation", 400)


def test_asymmetric_ops_on_symmetric_key(client):
    meta = cs.create_key(client, "Aliyun_AES_256")
    fake = AsymKey.__new__(AsymKey)
    fake.key_id, fake.version_id = meta["KeyId"], meta["PrimaryKeyVersion"]
    for op, alg in (("sign", PSS), ("verify", ECDSA), ("encrypt", OAEP256), ("decrypt", SM2PKE)):
        expect_tea_error(lambda: _call(client, fake, op, alg), "Rejected.UnsupportedOperation", 400)


# ---------------------------------------------------------------------------
# Key states and DryRun
# ---------------------------------------------------------------------------


def _asym_ops(client, signer: AsymKey, decrypter: AsymKey):
    sig = unb64(sign(client, signer, PKCS1, SHA256)["Value"])
    ct = decrypter.public_key().encrypt(b"hello", cs.oaep(OAEP256))
    return {
        "AsymmetricSign": lambda **kw: sign(client, signer, PKCS1, SHA256, **kw),
        "AsymmetricVerify": lambda **kw: verify(client, signer, PKCS1, SHA256, sig, **kw),
        "AsymmetricEncrypt": lambda **kw: aencrypt(client, decrypter, OAEP256, b"hello", **kw),
        "AsymmetricDecrypt": lambda **kw: adecrypt(client, decrypter, OAEP256, ct, **kw),
        "GetPublicKey(sign)": lambda **kw: client.get_public_key(m.GetPublicKeyRequest(
            key_id=signer.key_id, key_version_id=signer.version_id, **kw)).body.to_map(),
        "GetPublicKey(enc)": lambda **kw: client.get_public_key(m.GetPublicKeyRequest(
            key_id=decrypter.key_id, key_version_id=decrypter.version_id, **kw)).body.to_map(),
    }


def _expect_all(ops: dict, code: str, status: int, **kw) -> None:
    failures = []
    for name, op in ops.items():
        try:
            expect_tea_error(lambda: op(**kw), code, status)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_disabled_and_pending_deletion(client):
    signer = AsymKey(client, "RSA_2048", SIGN)
    decrypter = AsymKey(client, "RSA_2048", ENC)
    ops = _asym_ops(client, signer, decrypter)
    for k in (signer, decrypter):
        client.disable_key(m.DisableKeyRequest(key_id=k.key_id))
    _expect_all(ops, "Rejected.Disabled", 409)
    for k in (signer, decrypter):
        client.enable_key(m.EnableKeyRequest(key_id=k.key_id))
    for op in ops.values():
        op()
    for k in (signer, decrypter):
        client.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=k.key_id, pending_window_in_days=7))
    _expect_all(ops, "Rejected.PendingDeletion", 409)
    for k in (signer, decrypter):
        client.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=k.key_id))
    assert ops["AsymmetricVerify"]()["Value"] is True


def test_pending_import(server, client):
    """EXTERNAL asymmetric keys (in a software instance) without material."""
    instance = server.create_instance(key_quota=10)
    for spec, usage, op, alg in (("RSA_2048", SIGN, "sign", PSS), ("RSA_2048", ENC, "encrypt", OAEP256),
                                 ("EC_P256", SIGN, "verify", ECDSA), ("EC_SM2", ENC, "decrypt", SM2PKE)):
        meta = cs.create_key(client, spec, usage, origin="EXTERNAL", dkmsinstance_id=instance)
        assert meta["KeyState"] == "PendingImport", meta
        fake = AsymKey.__new__(AsymKey)
        fake.key_id, fake.version_id = meta["KeyId"], meta["PrimaryKeyVersion"]
        expect_tea_error(lambda: _call(client, fake, op, alg), "Rejected.PendingImport", 409)
        expect_tea_error(lambda: cs.get_public_key(client, fake.key_id, fake.version_id), "Rejected.PendingImport", 409)


def test_dry_run(client):
    signer = AsymKey(client, "RSA_2048", SIGN)
    decrypter = AsymKey(client, "RSA_2048", ENC)
    ops = _asym_ops(client, signer, decrypter)
    _expect_all(ops, "DryRunOperationError", 400, dry_run="true")
    for op in ops.values():
        op(dry_run="false")
    expect_tea_error(lambda: sign(client, signer, PKCS1, SHA256, key_id=str(uuid.uuid4()), dry_run="true"),
                     "Forbidden.KeyNotFound", 404)
    # Usability before DryRun: disabled keys.
    client.disable_key(m.DisableKeyRequest(key_id=signer.key_id))
    client.disable_key(m.DisableKeyRequest(key_id=decrypter.key_id))
    _expect_all(ops, "Rejected.Disabled", 409, dry_run="true")


def test_dry_run_checks_usage_and_algorithm(client, akey):
    """DryRun with a key that cannot do the operation answers as the real call would."""
    signer, decrypter = akey("RSA_2048", SIGN), akey("RSA_2048", ENC)
    _expect_all({
        "sign-with-encryption-key": lambda **kw: sign(client, decrypter, PSS, SHA256, **kw),
        "encrypt-with-signing-key": lambda **kw: aencrypt(client, signer, OAEP256, b"x", **kw),
        "ecdsa-on-rsa": lambda **kw: sign(client, signer, ECDSA, SHA256, **kw),
        "sm2pke-on-rsa": lambda **kw: adecrypt(client, decrypter, SM2PKE, os.urandom(256), **kw),
    }, "Rejected.UnsupportedOperation", 400, dry_run="true")


def test_dry_run_checks_key_version(client, akey):
    """DryRun with a KeyVersionId the key does not have answers as the real call would."""
    signer, decrypter = akey("RSA_2048", SIGN), akey("RSA_2048", ENC)
    ghost = str(uuid.uuid4())
    _expect_all({
        "AsymmetricSign": lambda **kw: sign(client, signer, PKCS1, SHA256, key_version_id=ghost, **kw),
        "AsymmetricEncrypt": lambda **kw: aencrypt(client, decrypter, OAEP256, b"x", key_version_id=ghost, **kw),
        "GetPublicKey": lambda **kw: client.get_public_key(
            m.GetPublicKeyRequest(key_id=signer.key_id, key_version_id=ghost, **kw)),
        "other-key-version": lambda **kw: sign(client, signer, PKCS1, SHA256, key_version_id=decrypter.version_id, **kw),
    }, "Forbidden.KeyVersionNotFound", 404, dry_run="true")
