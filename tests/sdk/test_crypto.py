"""Symmetric cryptography through the official SDKs (ALIBABA.md §5.3, §5.6): Encrypt, Decrypt,
GenerateDataKey(WithoutPlaintext), ExportDataKey, GenerateAndExportDataKey, ReEncrypt, with
encryption contexts, corrupt blobs, key states and DryRun.

Independent checks: the CiphertextBlob layout is parsed here; exported data keys are decrypted
locally (RSA-OAEP with `cryptography`, SM2 with `openssl pkeyutl`) with key pairs made by the
test, and compared with GenerateDataKey's plaintext."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from alibabacloud_kms20160120 import models as m
from aliyunsdkkms.request.v20160120 import (
    DecryptRequest,
    EncryptRequest,
    ExportDataKeyRequest,
    GenerateDataKeyRequest,
    ReEncryptRequest,
)

import crypto_support as cs
from crypto_support import OAEP1, OAEP256, SM2PKE, b64, unb64
from kwhelpers import REQUEST_ID_RE, core_call, core_client, expect_core_error, expect_tea_error, key_arn, tea_client

SYM_SPECS = ("Aliyun_AES_256", "Aliyun_AES_128", "Aliyun_SM4")

PLAINTEXTS = [
    "hello world",
    "SGVsbG8gd29ybGQ=",  # looks like base64, and is still an opaque string
    "你好，世界 ✓ — ünïcödé",
    "  spaces, tabs\tand\nnewlines  ",
    "x",
    "A" * 6144,  # the documented maximum (6 KB)
]


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(server):
    """A Tea client (ACS3) shared by the module."""
    return tea_client(server)


@pytest.fixture(scope="module")
def keys(client) -> dict[str, str]:
    """One Enabled key per symmetric spec, created once for the module."""
    return {spec: cs.create_key(client, spec)["KeyId"] for spec in SYM_SPECS}


@pytest.fixture(scope="module")
def aes(keys) -> str:
    return keys["Aliyun_AES_256"]


def message_names(err, name: str) -> None:
    assert name in err.data["Message"], f"the message should name {name}: {err.data['Message']!r}"


def bad_blob(client, blob: str, context: dict | None = None) -> None:
    """Decrypt of `blob` must fail with 400 InvalidParameter naming CiphertextBlob."""
    err = expect_tea_error(lambda: cs.decrypt(client, blob, context), "InvalidParameter", 400)
    message_names(err, "CiphertextBlob")


# ---------------------------------------------------------------------------
# Encrypt / Decrypt
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SYM_SPECS)
@pytest.mark.parametrize("plaintext", PLAINTEXTS, ids=["ascii", "base64ish", "unicode", "whitespace", "one", "6KB"])
def test_encrypt_decrypt_roundtrip(client, keys, spec, plaintext):
    key_id = keys[spec]
    version = cs.primary_version(client, key_id)
    enc = cs.encrypt(client, key_id, plaintext)
    assert set(enc) == {"RequestId", "CiphertextBlob", "KeyId", "KeyVersionId"}, enc
    assert REQUEST_ID_RE.match(enc["RequestId"])
    assert enc["KeyId"] == key_id and enc["KeyVersionId"] == version, enc

    # The documented layout: KeyVersionId(36) ‖ IV(12) ‖ ciphertext ‖ tag(16).
    blob_version, iv, ct, tag = cs.split_blob(enc["CiphertextBlob"])
    assert blob_version == version
    assert len(iv) == 12 and len(tag) == 16
    assert len(ct) == len(plaintext.encode("utf-8"))
    if len(plaintext) >= 8:
        assert plaintext.encode("utf-8") not in unb64(enc["CiphertextBlob"])

    dec = cs.decrypt(client, enc["CiphertextBlob"])
    assert set(dec) == {"RequestId", "Plaintext", "KeyId", "KeyVersionId"}, dec
    assert dec["Plaintext"] == plaintext
    assert (dec["KeyId"], dec["KeyVersionId"]) == (key_id, version)


def test_encryption_is_randomised(client, aes):
    a = cs.encrypt(client, aes, "same text")["CiphertextBlob"]
    b = cs.encrypt(client, aes, "same text")["CiphertextBlob"]
    assert a != b
    assert cs.split_blob(a)[1] != cs.split_blob(b)[1], "a fresh IV per encryption"
    assert cs.decrypt(client, a)["Plaintext"] == cs.decrypt(client, b)["Plaintext"] == "same text"


def test_plaintext_too_long(client, aes):
    err = expect_tea_error(lambda: cs.encrypt(client, aes, "A" * 6145), "InvalidParameter", 400)
    message_names(err, "Plaintext")
    # 6 KB counts bytes: 2049 three-byte characters are 6147 bytes.
    expect_tea_error(lambda: cs.encrypt(client, aes, "你" * 2049), "InvalidParameter", 400)
    assert cs.decrypt(client, cs.encrypt(client, aes, "你" * 2048)["CiphertextBlob"])["Plaintext"] == "你" * 2048


def test_key_reference_forms(client, aes):
    for ref in (aes, key_arn(aes)):
        enc = cs.encrypt(client, ref, "by " + ref)
        assert enc["KeyId"] == aes
        assert cs.decrypt(client, enc["CiphertextBlob"])["Plaintext"] == "by " + ref


def test_unknown_and_unsuitable_keys(client):
    expect_tea_error(lambda: cs.encrypt(client, str(uuid.uuid4()), "x"), "Forbidden.KeyNotFound", 404)
    expect_tea_error(lambda: cs.encrypt(client, "alias/kw-crypto-none", "x"), "Forbidden.AliasNotFound", 404)
    for spec, usage in (("RSA_2048", cs.ENC), ("RSA_2048", cs.SIGN), ("EC_SM2", cs.ENC), ("EC_P256", cs.SIGN)):
        key_id = cs.create_key(client, spec, usage)["KeyId"]
        expect_tea_error(lambda: cs.encrypt(client, key_id, "x"), "Rejected.UnsupportedOperation", 400)
        expect_tea_error(
            lambda: client.generate_data_key(m.GenerateDataKeyRequest(key_id=key_id)),
            "Rejected.UnsupportedOperation", 400,
        )


def test_missing_parameters(client, aes):
    err = expect_tea_error(lambda: client.encrypt(m.EncryptRequest(key_id=aes)), "MissingParameter", 400)
    message_names(err, "Plaintext")
    err = expect_tea_error(lambda: client.encrypt(m.EncryptRequest(plaintext="x")), "MissingParameter", 400)
    message_names(err, "KeyId")


def test_missing_ciphertext_blob(client, aes):
    """An absent CiphertextBlob is a MissingParameter, as for every other required parameter."""
    public_blob, _ = _export_target("RSA_2048", OAEP256)
    _expect_all({
        "Decrypt": lambda: client.decrypt(m.DecryptRequest()),
        "ExportDataKey": lambda: client.export_data_key(m.ExportDataKeyRequest(
            public_key_blob=public_blob, wrapping_key_spec="RSA_2048", wrapping_algorithm=OAEP256)),
        "ReEncrypt": lambda: client.re_encrypt(m.ReEncryptRequest(destination_key_id=aes)),
    }, "MissingParameter", 400, names="CiphertextBlob")


# ---------------------------------------------------------------------------
# EncryptionContext
# ---------------------------------------------------------------------------


def test_encryption_context(client, keys):
    for spec in SYM_SPECS:
        key_id = keys[spec]
        ctx = {"purpose": "test", "tenant": "ü-42", "empty": ""}
        blob = cs.encrypt(client, key_id, "secret", ctx)["CiphertextBlob"]
        # The same pairs in any order decrypt.
        for same in (ctx, dict(reversed(list(ctx.items()))), {"tenant": "ü-42", "empty": "", "purpose": "test"}):
            assert cs.decrypt(client, blob, same)["Plaintext"] == "secret"
        # A missing, smaller, larger or different context does not.
        for other in (None, {}, {"purpose": "test"}, {**ctx, "x": "y"}, {**ctx, "tenant": "u-42"},
                      {"Purpose": "test", "tenant": "ü-42", "empty": ""}):
            bad_blob(client, blob, other)
        # A blob sealed without a context does not open with one.
        plain = cs.encrypt(client, key_id, "no context")["CiphertextBlob"]
        bad_blob(client, plain, {"a": "b"})
        assert cs.decrypt(client, plain)["Plaintext"] == "no context"


def test_encryption_context_sent_as_json_text(server, client, aes):
    """The classic SDK sends the context as the caller's own JSON text; spacing and order do
    not matter."""
    core = core_client(server)
    req = EncryptRequest.EncryptRequest()
    req.set_KeyId(aes)
    req.set_Plaintext("v1 text")
    req.set_EncryptionContext('{ "b" : "2",\n "a" : "1" }')
    blob = core_call(core, server, req)["CiphertextBlob"]
    assert cs.decrypt(client, blob, {"a": "1", "b": "2"})["Plaintext"] == "v1 text"
    req = DecryptRequest.DecryptRequest()
    req.set_CiphertextBlob(blob)
    req.set_EncryptionContext('{"a":"1","b":"2"}')
    assert core_call(core, server, req)["Plaintext"] == "v1 text"


@pytest.mark.parametrize("raw", [
    '["a","b"]', '"text"', "42", "null", "true", "{not json", '{"a":1}', '{"a":null}', '{"a":true}',
    '{"a":{"b":"c"}}', '{"a":["b"]}',
], ids=["array", "string", "number", "null", "bool", "malformed", "int-value", "null-value", "bool-value",
        "object-value", "array-value"])
def test_encryption_context_must_be_string_map(server, aes, raw):
    core = core_client(server)
    req = EncryptRequest.EncryptRequest()
    req.set_KeyId(aes)
    req.set_Plaintext("x")
    req.set_EncryptionContext(raw)
    err = expect_core_error(lambda: core_call(core, server, req), "InvalidParameter", 400)
    assert "EncryptionContext" in err.get_error_msg(), err.get_error_msg()


def test_encryption_context_non_string_values_from_tea(client, aes):
    """The Tea SDK json-dumps a dict as given, so a user can send numbers: rejected."""
    for ctx in ({"n": 1}, {"b": False}, {"x": None}, {"nested": {"a": "b"}}):
        err = expect_tea_error(lambda: cs.encrypt(client, aes, "x", ctx), "InvalidParameter", 400)
        message_names(err, "EncryptionContext")


def test_encryption_context_size_limit(client, aes):
    big = {"k": "v" * 4000, "k2": "w" * 3000}  # 7000+ characters: allowed
    blob = cs.encrypt(client, aes, "big context", big)["CiphertextBlob"]
    assert cs.decrypt(client, blob, big)["Plaintext"] == "big context"
    too_big = {"k": "v" * 9000}
    err = expect_tea_error(lambda: cs.encrypt(client, aes, "x", too_big), "InvalidParameter", 400)
    message_names(err, "EncryptionContext")


# ---------------------------------------------------------------------------
# Corrupt, truncated and forged blobs
# ---------------------------------------------------------------------------


def test_corrupt_blobs(client, keys, aes):
    blob = cs.encrypt(client, aes, "integrity matters")["CiphertextBlob"]
    raw = unb64(blob)
    n = len(raw)
    assert n == 36 + 12 + len("integrity matters") + 16
    cases = {
        "iv": cs.flip(blob, 36),
        "ciphertext": cs.flip(blob, 36 + 12),
        "tag": cs.flip(blob, -1),
        "truncated-tag": b64(raw[:-1]),
        "no-tag": b64(raw[:-16]),
        "version-only": b64(raw[:36]),
        "short": b64(raw[:10]),
        "extended": b64(raw + b"\x00"),
        "unknown-version": b64(str(uuid.uuid4()).encode() + raw[36:]),
        "garbage-version": b64(b"#" * 36 + raw[36:]),
        "random": b64(os.urandom(n)),
    }
    for name, bad in cases.items():
        try:
            bad_blob(client, bad)
        except AssertionError as exc:  # pragma: no cover - re-raised with the case name
            raise AssertionError(f"case {name}: {exc}") from exc
    # Another key's version id in front of this key's ciphertext.
    other = cs.encrypt(client, keys["Aliyun_SM4"], "other")["CiphertextBlob"]
    bad_blob(client, b64(unb64(other)[:36] + raw[36:]))
    # The original still decrypts.
    assert cs.decrypt(client, blob)["Plaintext"] == "integrity matters"


def test_blob_not_base64(client):
    err = expect_tea_error(lambda: cs.decrypt(client, "not base64 !!"), "InvalidParameter", 400)
    message_names(err, "CiphertextBlob")


def test_asymmetric_ciphertext_is_not_a_blob(client):
    """A raw RSA ciphertext (no KMS header) handed to Decrypt."""
    rsa_key = cs.AsymKey(client, "RSA_2048", cs.ENC)
    ct = rsa_key.public_key().encrypt(b"hello", cs.oaep(OAEP256))
    bad_blob(client, b64(ct))


# ---------------------------------------------------------------------------
# GenerateDataKey / GenerateDataKeyWithoutPlaintext
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("key_spec,nbytes,expected", [
    (None, None, 32),
    ("AES_256", None, 32),
    ("AES_128", None, 16),
    (None, 1, 1),
    ("AES_128", 64, 64),  # NumberOfBytes wins over KeySpec
    ("AES_256", 24, 24),
    (None, 1024, 1024),
])
def test_generate_data_key(client, keys, key_spec, nbytes, expected):
    for spec in SYM_SPECS:
        key_id = keys[spec]
        version = cs.primary_version(client, key_id)
        body = client.generate_data_key(
            m.GenerateDataKeyRequest(key_id=key_id, key_spec=key_spec, number_of_bytes=nbytes)
        ).body.to_map()
        assert set(body) == {"RequestId", "Plaintext", "CiphertextBlob", "KeyId", "KeyVersionId"}, body
        assert (body["KeyId"], body["KeyVersionId"]) == (key_id, version)
        dk = unb64(body["Plaintext"])
        assert len(dk) == expected
        assert cs.split_blob(body["CiphertextBlob"])[0] == version
        # Decrypt returns the base64 text of the data key.
        dec = cs.decrypt(client, body["CiphertextBlob"])
        assert dec["Plaintext"] == body["Plaintext"]
        assert (dec["KeyId"], dec["KeyVersionId"]) == (key_id, version)


def test_data_keys_are_random(client, aes):
    seen = {client.generate_data_key(m.GenerateDataKeyRequest(key_id=aes)).body.plaintext for _ in range(5)}
    assert len(seen) == 5


def test_generate_data_key_with_context(client, aes):
    ctx = {"file": "a.txt"}
    body = client.generate_data_key(m.GenerateDataKeyRequest(key_id=aes, encryption_context=ctx)).body
    assert cs.decrypt(client, body.ciphertext_blob, ctx)["Plaintext"] == body.plaintext
    bad_blob(client, body.ciphertext_blob)
    bad_blob(client, body.ciphertext_blob, {"file": "b.txt"})


def test_generate_data_key_without_plaintext(client, keys):
    for spec in SYM_SPECS:
        key_id = keys[spec]
        for key_spec, nbytes, expected in ((None, None, 32), ("AES_128", None, 16), (None, 100, 100)):
            body = client.generate_data_key_without_plaintext(m.GenerateDataKeyWithoutPlaintextRequest(
                key_id=key_id, key_spec=key_spec, number_of_bytes=nbytes, encryption_context={"k": "v"},
            )).body.to_map()
            assert set(body) == {"RequestId", "CiphertextBlob", "KeyId", "KeyVersionId"}, body
            assert body["KeyId"] == key_id
            dec = cs.decrypt(client, body["CiphertextBlob"], {"k": "v"})
            assert len(unb64(dec["Plaintext"])) == expected


@pytest.mark.parametrize("kwargs,name", [
    ({"number_of_bytes": 0}, "NumberOfBytes"),
    ({"number_of_bytes": 1025}, "NumberOfBytes"),
    ({"number_of_bytes": -1}, "NumberOfBytes"),
    ({"key_spec": "AES_512"}, "KeySpec"),
    ({"key_spec": "aes_256"}, "KeySpec"),
    ({"key_spec": "Aliyun_AES_256"}, "KeySpec"),
])
def test_generate_data_key_invalid(client, aes, kwargs, name):
    for call, req in ((client.generate_data_key, m.GenerateDataKeyRequest),
                      (client.generate_data_key_without_plaintext, m.GenerateDataKeyWithoutPlaintextRequest)):
        err = expect_tea_error(lambda: call(req(key_id=aes, **kwargs)), "InvalidParameter", 400)
        message_names(err, name)


def test_generate_data_key_classic_sdk(server, client, aes):
    core = core_client(server)
    req = GenerateDataKeyRequest.GenerateDataKeyRequest()
    req.set_KeyId(aes)
    req.set_KeySpec("AES_128")
    req.set_EncryptionContext(json.dumps({"app": "v1"}))
    body = core_call(core, server, req)
    assert set(body) == {"RequestId", "Plaintext", "CiphertextBlob", "KeyId", "KeyVersionId"}, body
    assert len(unb64(body["Plaintext"])) == 16
    dreq = DecryptRequest.DecryptRequest()
    dreq.set_CiphertextBlob(body["CiphertextBlob"])
    dreq.set_EncryptionContext(json.dumps({"app": "v1"}))
    assert core_call(core, server, dreq)["Plaintext"] == body["Plaintext"]
    # Encrypt/Decrypt with the classic SDK, GET as well as POST.
    for method in ("POST", "GET"):
        ereq = EncryptRequest.EncryptRequest()
        ereq.set_KeyId(aes)
        ereq.set_Plaintext("classic " + method + " ✓")
        enc = core_call(core, server, ereq, method=method)
        assert enc["KeyId"] == aes
        dreq = DecryptRequest.DecryptRequest()
        dreq.set_CiphertextBlob(enc["CiphertextBlob"])
        assert core_call(core, server, dreq, method=method)["Plaintext"] == "classic " + method + " ✓"
    # Errors through the classic SDK.
    dreq = DecryptRequest.DecryptRequest()
    dreq.set_CiphertextBlob(cs.flip(body["CiphertextBlob"], -1))
    dreq.set_EncryptionContext(json.dumps({"app": "v1"}))
    expect_core_error(lambda: core_call(core, server, dreq), "InvalidParameter", 400)


# ---------------------------------------------------------------------------
# ExportDataKey / GenerateAndExportDataKey
# ---------------------------------------------------------------------------


def _export_target(wspec: str, alg: str):
    """(PublicKeyBlob, local decrypt function) for a key pair made by the test."""
    if wspec == "EC_SM2":
        pair = cs.sm2_keypair()
        return b64(pair.public_der), pair.decrypt
    priv = cs.rsa_private_key(2048)
    return cs.spki_b64(priv.public_key()), lambda ct: priv.decrypt(ct, cs.oaep(alg))


EXPORT_ROWS = [("RSA_2048", OAEP256), ("RSA_2048", OAEP1), ("EC_SM2", SM2PKE)]


@pytest.mark.parametrize("wspec,alg", EXPORT_ROWS, ids=[a for _, a in EXPORT_ROWS])
def test_export_data_key(client, keys, wspec, alg):
    public_blob, local_decrypt = _export_target(wspec, alg)
    for spec in SYM_SPECS:
        key_id = keys[spec]
        ctx = {"export": spec}
        gdk = client.generate_data_key(
            m.GenerateDataKeyRequest(key_id=key_id, number_of_bytes=32, encryption_context=ctx)
        ).body
        body = client.export_data_key(m.ExportDataKeyRequest(
            ciphertext_blob=gdk.ciphertext_blob, public_key_blob=public_blob,
            wrapping_key_spec=wspec, wrapping_algorithm=alg, encryption_context=ctx,
        )).body.to_map()
        assert set(body) == {"RequestId", "ExportedDataKey", "KeyId", "KeyVersionId"}, body
        assert (body["KeyId"], body["KeyVersionId"]) == (key_id, gdk.key_version_id)
        exported = unb64(body["ExportedDataKey"])
        if wspec == "RSA_2048":
            assert len(exported) == 256
        else:
            x, y, c3, c2 = cs.sm2_ciphertext_parts(exported)  # GM/T 0009 DER
            assert len(c2) == 32
        # The raw data key bytes, not their base64 text.
        assert local_decrypt(exported) == unb64(gdk.plaintext)


def test_export_data_key_without_plaintext_key(client, aes):
    """GenerateDataKeyWithoutPlaintext + ExportDataKey: the exported key equals what Decrypt says."""
    public_blob, local_decrypt = _export_target("RSA_2048", OAEP256)
    blob = client.generate_data_key_without_plaintext(
        m.GenerateDataKeyWithoutPlaintextRequest(key_id=aes, key_spec="AES_128")
    ).body.ciphertext_blob
    body = client.export_data_key(m.ExportDataKeyRequest(
        ciphertext_blob=blob, public_key_blob=public_blob, wrapping_key_spec="RSA_2048", wrapping_algorithm=OAEP256,
    )).body
    dk = local_decrypt(unb64(body.exported_data_key))
    assert len(dk) == 16
    assert b64(dk) == cs.decrypt(client, blob)["Plaintext"]


@pytest.mark.parametrize("wspec,alg", EXPORT_ROWS, ids=[a for _, a in EXPORT_ROWS])
def test_generate_and_export_data_key(client, keys, wspec, alg):
    public_blob, local_decrypt = _export_target(wspec, alg)
    for spec in SYM_SPECS:
        key_id = keys[spec]
        for key_spec, nbytes, expected in ((None, None, 32), ("AES_128", None, 16), (None, 48, 48)):
            body = client.generate_and_export_data_key(m.GenerateAndExportDataKeyRequest(
                key_id=key_id, key_spec=key_spec, number_of_bytes=nbytes, encryption_context={"g": "e"},
                public_key_blob=public_blob, wrapping_key_spec=wspec, wrapping_algorithm=alg,
            )).body.to_map()
            assert set(body) == {"RequestId", "CiphertextBlob", "ExportedDataKey", "KeyId", "KeyVersionId"}, body
            assert body["KeyId"] == key_id
            assert body["KeyVersionId"] == cs.split_blob(body["CiphertextBlob"])[0]
            dk = local_decrypt(unb64(body["ExportedDataKey"]))
            assert len(dk) == expected
            assert cs.decrypt(client, body["CiphertextBlob"], {"g": "e"})["Plaintext"] == b64(dk)


def test_export_data_key_classic_sdk(server, client, aes):
    public_blob, local_decrypt = _export_target("RSA_2048", OAEP1)
    gdk = client.generate_data_key(m.GenerateDataKeyRequest(key_id=aes)).body
    req = ExportDataKeyRequest.ExportDataKeyRequest()
    req.set_CiphertextBlob(gdk.ciphertext_blob)
    req.set_PublicKeyBlob(public_blob)
    req.set_WrappingKeySpec("RSA_2048")
    req.set_WrappingAlgorithm(OAEP1)
    body = core_call(core_client(server), server, req)
    assert local_decrypt(unb64(body["ExportedDataKey"])) == unb64(gdk.plaintext)


def test_export_data_key_invalid(client, aes):
    gdk = client.generate_data_key(m.GenerateDataKeyRequest(key_id=aes, encryption_context={"a": "b"})).body
    rsa_blob, _ = _export_target("RSA_2048", OAEP256)
    sm2_blob, _ = _export_target("EC_SM2", SM2PKE)
    rsa3072 = cs.spki_b64(cs.rsa_private_key(3072).public_key())
    from cryptography.hazmat.primitives.asymmetric import ec

    p256 = cs.spki_b64(ec.generate_private_key(ec.SECP256R1()).public_key())

    def export(**kw):
        args = dict(ciphertext_blob=gdk.ciphertext_blob, public_key_blob=rsa_blob, wrapping_key_spec="RSA_2048",
                    wrapping_algorithm=OAEP256, encryption_context={"a": "b"})
        args.update(kw)
        return client.export_data_key(m.ExportDataKeyRequest(**args))

    assert export().body.exported_data_key  # the baseline works
    cases = [
        ({"wrapping_algorithm": SM2PKE}, None),
        ({"wrapping_key_spec": "EC_SM2", "public_key_blob": sm2_blob, "wrapping_algorithm": OAEP256}, None),
        ({"wrapping_key_spec": "EC_SM2"}, None),  # RSA key under an SM2 spec
        ({"public_key_blob": sm2_blob}, "PublicKeyBlob"),  # SM2 key under an RSA spec
        ({"public_key_blob": rsa3072}, "PublicKeyBlob"),
        ({"public_key_blob": p256}, "PublicKeyBlob"),
        ({"public_key_blob": b64(b"not a key")}, "PublicKeyBlob"),
        ({"public_key_blob": "%%%"}, "PublicKeyBlob"),
        ({"wrapping_key_spec": "RSA_4096"}, "WrappingKeySpec"),
        ({"wrapping_algorithm": "RSAES_PKCS1_V1_5"}, "WrappingAlgorithm"),
        ({"encryption_context": {"a": "c"}}, "CiphertextBlob"),
        ({"encryption_context": None}, "CiphertextBlob"),
        ({"ciphertext_blob": cs.flip(gdk.ciphertext_blob, -3)}, "CiphertextBlob"),
    ]
    for kw, name in cases:
        err = expect_tea_error(lambda: export(**kw), "InvalidParameter", 400)
        if name:
            message_names(err, name)
    # A blob of Encrypt whose plaintext is not a data key.
    blob = cs.encrypt(client, aes, "not a data key!")["CiphertextBlob"]
    expect_tea_error(lambda: export(ciphertext_blob=blob, encryption_context=None), "InvalidParameter", 400)
    for missing in ("public_key_blob", "wrapping_key_spec", "wrapping_algorithm"):
        err = expect_tea_error(lambda: export(**{missing: None}), "MissingParameter", 400)
    # GenerateAndExportDataKey validates the same way.
    expect_tea_error(lambda: client.generate_and_export_data_key(m.GenerateAndExportDataKeyRequest(
        key_id=aes, public_key_blob=sm2_blob, wrapping_key_spec="RSA_2048", wrapping_algorithm=OAEP256,
    )), "InvalidParameter", 400)
    expect_tea_error(lambda: client.generate_and_export_data_key(m.GenerateAndExportDataKeyRequest(
        key_id=aes, public_key_blob=rsa_blob, wrapping_key_spec="RSA_2048", wrapping_algorithm=OAEP256,
        number_of_bytes=1025,
    )), "InvalidParameter", 400)


# ---------------------------------------------------------------------------
# ReEncrypt
# ---------------------------------------------------------------------------


def test_re_encrypt_symmetric(client, keys):
    src, dst = keys["Aliyun_AES_256"], keys["Aliyun_SM4"]
    src_version = cs.primary_version(client, src)
    dst_version = cs.primary_version(client, dst)
    blob = cs.encrypt(client, src, "move me ✓", {"from": "a"})["CiphertextBlob"]
    body = client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=blob, destination_key_id=dst,
        source_encryption_context={"from": "a"}, destination_encryption_context={"to": "b"},
    )).body.to_map()
    assert set(body) == {"RequestId", "CiphertextBlob", "KeyId", "KeyVersionId"}, body
    # KeyId / KeyVersionId name the SOURCE.
    assert (body["KeyId"], body["KeyVersionId"]) == (src, src_version)
    assert cs.split_blob(body["CiphertextBlob"])[0] == dst_version
    dec = cs.decrypt(client, body["CiphertextBlob"], {"to": "b"})
    assert (dec["Plaintext"], dec["KeyId"], dec["KeyVersionId"]) == ("move me ✓", dst, dst_version)
    bad_blob(client, body["CiphertextBlob"], {"from": "a"})
    bad_blob(client, body["CiphertextBlob"])

    # To the same key, dropping the context; the destination by ARN.
    body = client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=blob, destination_key_id=key_arn(src), source_encryption_context={"from": "a"},
    )).body
    assert body.ciphertext_blob != blob
    assert cs.decrypt(client, body.ciphertext_blob)["Plaintext"] == "move me ✓"

    # A wrong or missing source context, a corrupt blob.
    for sctx in (None, {"from": "b"}):
        err = expect_tea_error(lambda: client.re_encrypt(m.ReEncryptRequest(
            ciphertext_blob=blob, destination_key_id=dst, source_encryption_context=sctx,
        )), "InvalidParameter", 400)
        message_names(err, "CiphertextBlob")
    expect_tea_error(lambda: client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=cs.flip(blob, -1), destination_key_id=dst, source_encryption_context={"from": "a"},
    )), "InvalidParameter", 400)
    # Unknown or unsuitable destination.
    expect_tea_error(lambda: client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=blob, destination_key_id=str(uuid.uuid4()), source_encryption_context={"from": "a"},
    )), "Forbidden.KeyNotFound", 404)
    signer = cs.create_key(client, "EC_P256", cs.SIGN)["KeyId"]
    expect_tea_error(lambda: client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=blob, destination_key_id=signer, source_encryption_context={"from": "a"},
    )), "Rejected.UnsupportedOperation", 400)
    err = expect_tea_error(lambda: client.re_encrypt(m.ReEncryptRequest(ciphertext_blob=blob)), "MissingParameter", 400)
    message_names(err, "DestinationKeyId")


def test_re_encrypt_data_key(client, keys):
    gdk = client.generate_data_key(m.GenerateDataKeyRequest(key_id=keys["Aliyun_AES_128"])).body
    body = client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=gdk.ciphertext_blob, destination_key_id=keys["Aliyun_AES_256"],
    )).body
    assert cs.decrypt(client, body.ciphertext_blob)["Plaintext"] == gdk.plaintext


@pytest.mark.parametrize("spec,alg", [("RSA_2048", OAEP256), ("RSA_2048", OAEP1), ("EC_SM2", SM2PKE)])
def test_re_encrypt_from_asymmetric(client, aes, spec, alg):
    """An asymmetric ciphertext made locally with the public key, re-encrypted under a
    symmetric key without the plaintext leaving the server."""
    src = cs.AsymKey(client, spec, cs.ENC)
    secret = b"envelope-key-0123456789"
    if spec == "EC_SM2":
        ct = cs.openssl_sm2_encrypt(src.pem, secret)
    else:
        ct = src.public_key().encrypt(secret, cs.oaep(alg))
    body = client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=b64(ct), destination_key_id=aes, destination_encryption_context={"d": "1"},
        source_key_id=src.key_id, source_key_version_id=src.version_id, source_encryption_algorithm=alg,
    )).body.to_map()
    assert (body["KeyId"], body["KeyVersionId"]) == (src.key_id, src.version_id), body
    dec = cs.decrypt(client, body["CiphertextBlob"], {"d": "1"})
    assert dec["Plaintext"] == secret.decode()
    assert dec["KeyId"] == aes
    # A wrong algorithm or version.
    wrong_alg = OAEP1 if alg == OAEP256 else OAEP256
    expected = ("InvalidParameter", 400) if spec.startswith("RSA") else ("Rejected.UnsupportedOperation", 400)
    expect_tea_error(lambda: client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=b64(ct), destination_key_id=aes,
        source_key_id=src.key_id, source_key_version_id=src.version_id, source_encryption_algorithm=wrong_alg,
    )), *expected)
    expect_tea_error(lambda: client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=b64(ct), destination_key_id=aes,
        source_key_id=src.key_id, source_key_version_id=str(uuid.uuid4()), source_encryption_algorithm=alg,
    )), "Forbidden.KeyVersionNotFound", 404)


def test_re_encrypt_classic_sdk(server, client, keys):
    blob = cs.encrypt(client, keys["Aliyun_SM4"], "classic re-encrypt", {"s": "1"})["CiphertextBlob"]
    req = ReEncryptRequest.ReEncryptRequest()
    req.set_CiphertextBlob(blob)
    req.set_DestinationKeyId(keys["Aliyun_AES_128"])
    req.set_SourceEncryptionContext('{"s":"1"}')
    req.set_DestinationEncryptionContext('{"d":"2"}')
    body = core_call(core_client(server), server, req)
    assert body["KeyId"] == keys["Aliyun_SM4"]
    assert cs.decrypt(client, body["CiphertextBlob"], {"d": "2"})["Plaintext"] == "classic re-encrypt"


# ---------------------------------------------------------------------------
# Key states and DryRun
# ---------------------------------------------------------------------------


def _symmetric_ops(client, key_id: str, blob: str, dk_blob: str, other: str):
    """Every symmetric crypto op touching `key_id` (as the key, the source or the destination)."""
    public_blob, _ = _export_target("RSA_2048", OAEP256)
    return {
        "Encrypt": lambda **kw: client.encrypt(m.EncryptRequest(key_id=key_id, plaintext="x", **kw)),
        "Decrypt": lambda **kw: client.decrypt(m.DecryptRequest(ciphertext_blob=blob, **kw)),
        "GenerateDataKey": lambda **kw: client.generate_data_key(m.GenerateDataKeyRequest(key_id=key_id, **kw)),
        "GenerateDataKeyWithoutPlaintext": lambda **kw: client.generate_data_key_without_plaintext(
            m.GenerateDataKeyWithoutPlaintextRequest(key_id=key_id, **kw)),
        "ExportDataKey": lambda **kw: client.export_data_key(m.ExportDataKeyRequest(
            ciphertext_blob=dk_blob, public_key_blob=public_blob, wrapping_key_spec="RSA_2048",
            wrapping_algorithm=OAEP256, **kw)),
        "GenerateAndExportDataKey": lambda **kw: client.generate_and_export_data_key(
            m.GenerateAndExportDataKeyRequest(key_id=key_id, public_key_blob=public_blob,
                                              wrapping_key_spec="RSA_2048", wrapping_algorithm=OAEP256, **kw)),
        "ReEncrypt-source": lambda **kw: client.re_encrypt(m.ReEncryptRequest(
            ciphertext_blob=blob, destination_key_id=other, **kw)),
        "ReEncrypt-destination": lambda **kw: client.re_encrypt(m.ReEncryptRequest(
            ciphertext_blob=cs.encrypt(client, other, "y")["CiphertextBlob"], destination_key_id=key_id, **kw)),
    }


def _expect_all(ops: dict, code: str, status: int, names: str | None = None, **kw) -> None:
    """Every op fails with code/status (all are tried; the failures are reported together)."""
    failures = []
    for name, op in ops.items():
        try:
            err = expect_tea_error(lambda: op(**kw), code, status)
            if names is not None:
                message_names(err, names)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_disabled_and_pending_deletion(client, keys):
    key_id = cs.create_key(client, "Aliyun_AES_256")["KeyId"]
    other = keys["Aliyun_AES_128"]
    blob = cs.encrypt(client, key_id, "state test")["CiphertextBlob"]
    dk_blob = client.generate_data_key(m.GenerateDataKeyRequest(key_id=key_id)).body.ciphertext_blob
    ops = _symmetric_ops(client, key_id, blob, dk_blob, other)

    client.disable_key(m.DisableKeyRequest(key_id=key_id))
    _expect_all(ops, "Rejected.Disabled", 409)
    client.enable_key(m.EnableKeyRequest(key_id=key_id))
    assert cs.decrypt(client, blob)["Plaintext"] == "state test"
    for name, op in ops.items():
        op()  # every op works again

    client.schedule_key_deletion(m.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    _expect_all(ops, "Rejected.PendingDeletion", 409)
    client.cancel_key_deletion(m.CancelKeyDeletionRequest(key_id=key_id))
    assert cs.decrypt(client, blob)["Plaintext"] == "state test"


def test_pending_import(server, client, aes):
    # An EXTERNAL key that never had material.
    key_id = cs.create_key(client, "Aliyun_AES_256", origin="EXTERNAL")["KeyId"]
    assert cs.describe(client, key_id)["KeyState"] == "PendingImport"
    for op in (
        lambda: cs.encrypt(client, key_id, "x"),
        lambda: client.generate_data_key(m.GenerateDataKeyRequest(key_id=key_id)),
        lambda: client.generate_data_key_without_plaintext(m.GenerateDataKeyWithoutPlaintextRequest(key_id=key_id)),
        lambda: client.re_encrypt(m.ReEncryptRequest(
            ciphertext_blob=cs.encrypt(client, aes, "y")["CiphertextBlob"], destination_key_id=key_id)),
    ):
        expect_tea_error(op, "Rejected.PendingImport", 409)

    # Material imported (wrapped locally with RSAES_OAEP_SHA_256), used, then deleted.
    material = bytes(range(32))
    cs.import_symmetric(server, key_id, material)
    assert cs.describe(client, key_id)["KeyState"] == "Enabled"
    blob = cs.encrypt(client, key_id, "byok text")["CiphertextBlob"]
    dk_blob = client.generate_data_key(m.GenerateDataKeyRequest(key_id=key_id)).body.ciphertext_blob
    assert cs.decrypt(client, blob)["Plaintext"] == "byok text"
    client.delete_key_material(m.DeleteKeyMaterialRequest(key_id=key_id))
    assert cs.describe(client, key_id)["KeyState"] == "PendingImport"
    _expect_all(_symmetric_ops(client, key_id, blob, dk_blob, aes), "Rejected.PendingImport", 409)
    # The same material again: the old ciphertexts decrypt.
    cs.import_symmetric(server, key_id, material)
    assert cs.decrypt(client, blob)["Plaintext"] == "byok text"


def test_dry_run(client, keys):
    key_id = cs.create_key(client, "Aliyun_AES_256")["KeyId"]
    other = keys["Aliyun_SM4"]
    blob = cs.encrypt(client, key_id, "dry")["CiphertextBlob"]
    dk_blob = client.generate_data_key(m.GenerateDataKeyRequest(key_id=key_id)).body.ciphertext_blob
    ops = _symmetric_ops(client, key_id, blob, dk_blob, other)
    _expect_all(ops, "DryRunOperationError", 400, dry_run="true")
    # DryRun=false is an ordinary call.
    for name, op in ops.items():
        op(dry_run="false")
    # The key is checked first: unknown and unusable keys answer as without DryRun.
    expect_tea_error(lambda: client.encrypt(m.EncryptRequest(key_id=str(uuid.uuid4()), plaintext="x", dry_run="true")),
                     "Forbidden.KeyNotFound", 404)
    client.disable_key(m.DisableKeyRequest(key_id=key_id))
    _expect_all({k: v for k, v in ops.items() if k != "ReEncrypt-destination"}, "Rejected.Disabled", 409,
                dry_run="true")


def test_dry_run_re_encrypt_checks_destination(client, keys):
    """DryRun ReEncrypt checks that the destination key exists and is usable, as the source."""
    src = keys["Aliyun_AES_128"]
    blob = cs.encrypt(client, src, "dry re-encrypt")["CiphertextBlob"]
    dest = cs.create_key(client)["KeyId"]
    client.disable_key(m.DisableKeyRequest(key_id=dest))
    signer = cs.create_key(client, "EC_P256", cs.SIGN)["KeyId"]
    _expect_all({"disabled": lambda **kw: client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=blob, destination_key_id=dest, **kw))}, "Rejected.Disabled", 409, dry_run="true")
    _expect_all({"unknown": lambda **kw: client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=blob, destination_key_id=str(uuid.uuid4()), **kw))}, "Forbidden.KeyNotFound", 404,
        dry_run="true")
    _expect_all({"sign-key": lambda **kw: client.re_encrypt(m.ReEncryptRequest(
        ciphertext_blob=blob, destination_key_id=signer, **kw))}, "Rejected.UnsupportedOperation", 400,
        dry_run="true")


def test_dry_run_checks_key_usage(client, aes):
    """DryRun on a key that cannot do the operation answers as the real call would."""
    rsa_enc = cs.create_key(client, "RSA_2048", cs.ENC)["KeyId"]
    _expect_all({
        "Encrypt": lambda **kw: client.encrypt(m.EncryptRequest(key_id=rsa_enc, plaintext="x", **kw)),
        "GenerateDataKey": lambda **kw: client.generate_data_key(m.GenerateDataKeyRequest(key_id=rsa_enc, **kw)),
    }, "Rejected.UnsupportedOperation", 400, dry_run="true")
