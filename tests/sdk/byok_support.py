"""Helpers for the BYOK tests (test_byok.py): the documented `openssl` wrapping pipelines,
run literally through a shell in a scratch directory, an SM2 ciphertext converter
(OpenSSL's GM/T 0009 ASN.1 -> raw C1C3C2, written here by hand so the test does not depend
on keyward's own wrapping code), and one small driver per official SDK flavour.

Nothing here imports keyward code: the material is generated and wrapped with the OpenSSL
command line only (ALIBABA.md §5.2, CRYPTO.md §1 BYOK rows and §7 pitfalls 1 and 5).

The second half proves that an imported key really works with the user's own material
(ALIBABA.md §5.3-5.4), every check made on the user's side with the material the user kept:
CiphertextBlobs are opened (and forged) locally with AES-GCM / SM4-GCM from `cryptography`,
server signatures are verified locally (RSA/ECDSA with `cryptography`, SM2DSA with
`openssl dgst -sm3 -verify`), the user's own signatures and ciphertexts are accepted by the
server, and GetPublicKey must return the user's public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from alibabacloud_kms20160120 import models as m
from aliyunsdkkms.request.v20160120 import (
    AsymmetricDecryptRequest,
    AsymmetricEncryptRequest,
    AsymmetricSignRequest,
    AsymmetricVerifyRequest,
    DecryptRequest,
    DeleteKeyMaterialRequest,
    DescribeKeyRequest,
    EncryptRequest,
    GetParametersForImportRequest,
    GetPublicKeyRequest,
    ImportKeyMaterialRequest,
)

from kwhelpers import KeywardServer, core_call, core_client, expect_core_error, expect_tea_error, tea_client

SYMMETRIC_SIZES = {"Aliyun_AES_256": 32, "Aliyun_AES_128": 16, "Aliyun_SM4": 16}

# The documented pipelines (Alibaba's BYOK guide), with the file names of the guide.
OPENSSL_SYMMETRIC = {
    "RSAES_OAEP_SHA_256": (
        "openssl pkeyutl -encrypt -in KeyMaterial.bin -inkey PublicKey.bin -keyform DER -pubin "
        "-out EncryptedKeyMaterial.bin -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 "
        "-pkeyopt rsa_mgf1_md:sha256"
    ),
    "RSAES_OAEP_SHA_1": (
        "openssl rsautl -encrypt -oaep -inkey PublicKey.bin -keyform DER -pubin "
        "-in KeyMaterial.bin -out EncryptedKeyMaterial.bin"
    ),
    "RSAES_PKCS1_V1_5": (
        "openssl pkeyutl -encrypt -in KeyMaterial.bin -inkey PublicKey.bin -keyform DER -pubin "
        "-out EncryptedKeyMaterial.bin -pkeyopt rsa_padding_mode:pkcs1"
    ),
    "SM2PKE": (
        "openssl pkeyutl -encrypt -pubin -inkey sm2pub.der -keyform DER "
        "-in KeyMaterial.bin -out EncryptedKeyMaterial.bin"
    ),
}

# `openssl genpkey` arguments per asymmetric key spec.
GENPKEY = {
    "RSA_2048": "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
    "RSA_3072": "-algorithm RSA -pkeyopt rsa_keygen_bits:3072",
    "RSA_4096": "-algorithm RSA -pkeyopt rsa_keygen_bits:4096",
    "EC_P256": "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
    "EC_P256K": "-algorithm EC -pkeyopt ec_paramgen_curve:secp256k1",
    "EC_SM2": "-algorithm EC -pkeyopt ec_paramgen_curve:SM2",
}

SM2_N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)


# --------------------------------------------------------------------------
# Shell
# --------------------------------------------------------------------------


def sh(script: str, cwd: Path, *, check: bool = True) -> subprocess.CompletedProcess:
    """Runs `script` with bash (errexit, pipefail) in `cwd`."""
    res = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=cwd, capture_output=True, timeout=120,
    )
    if check and res.returncode != 0:
        raise RuntimeError(
            f"shell step failed ({res.returncode}):\n{script}\n--- stderr ---\n{res.stderr.decode(errors='replace')}"
        )
    return res


class Scratch:
    """A temporary working directory for one pipeline (the guide's fixed file names)."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="kw-byok-")
        self.dir = Path(self._tmp.name)

    def __enter__(self) -> "Scratch":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._tmp.cleanup()

    def write(self, name: str, data: bytes) -> Path:
        p = self.dir / name
        p.write_bytes(data)
        return p

    def read(self, name: str) -> bytes:
        return (self.dir / name).read_bytes()

    def run(self, script: str) -> str:
        return sh(script, self.dir).stdout.decode()


# --------------------------------------------------------------------------
# Material
# --------------------------------------------------------------------------


def openssl_rand(n: int) -> bytes:
    with Scratch() as s:
        s.run(f"openssl rand -out KeyMaterial.bin {n}")
        data = s.read("KeyMaterial.bin")
    assert len(data) == n
    return data


def openssl_pkcs8(spec: str) -> bytes:
    """A fresh private key of `spec` as PKCS#8 DER (genpkey | pkcs8 -topk8, CRYPTO.md pitfall 1)."""
    with Scratch() as s:
        s.run(f"openssl genpkey {GENPKEY[spec]} | openssl pkcs8 -topk8 -nocrypt -outform DER -out key.p8")
        return s.read("key.p8")


def openssl_traditional_der(pkcs8: bytes) -> bytes:
    """The same private key as traditional (RSAPrivateKey / SEC1 ECPrivateKey) DER: OpenSSL 3.0
    `pkey -outform DER` writes the traditional form (CRYPTO.md §7 pitfall 1)."""
    with Scratch() as s:
        s.write("key.p8", pkcs8)
        s.run("openssl pkey -inform DER -in key.p8 -outform DER -out key.der")
        out = s.read("key.der")
    # PKCS#8: SEQUENCE { INTEGER 0, SEQUENCE AlgorithmIdentifier, OCTET STRING }; the traditional
    # forms have an INTEGER (RSA modulus) or an OCTET STRING (EC scalar) after the version.
    hdr = 4 if out[1] == 0x82 else (3 if out[1] == 0x81 else 2)
    assert out[hdr] == 0x02 and out[hdr + 3] in (0x02, 0x04), out[:16].hex()
    return out


def sm2_scalar(pkcs8: bytes) -> bytes:
    """The 32-byte private scalar d of an SM2 PKCS#8 key, read from `openssl pkey -text`."""
    with Scratch() as s:
        s.write("key.p8", pkcs8)
        text = s.run("openssl pkey -inform DER -in key.p8 -noout -text")
    m_ = re.search(r"priv:\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
    assert m_, text
    d = int(re.sub(r"[\s:]", "", m_.group(1)), 16)
    assert 0 < d < SM2_N - 1
    return d.to_bytes(32, "big")


# --------------------------------------------------------------------------
# Wrapping with openssl
# --------------------------------------------------------------------------


def wrap_symmetric(public_key_b64: str, algorithm: str, material: bytes) -> str:
    """The guide's pipeline for symmetric material; returns `openssl enc -e -base64 -A` output."""
    with Scratch() as s:
        s.write("sm2pub.der" if algorithm == "SM2PKE" else "PublicKey.bin", base64.b64decode(public_key_b64))
        s.write("KeyMaterial.bin", material)
        s.run(OPENSSL_SYMMETRIC[algorithm])
        out = s.run("openssl enc -e -base64 -A -in EncryptedKeyMaterial.bin").strip()
    assert base64.b64decode(out), out
    return out


def wrap_composite_rsa(public_key_b64: str, pkcs8: bytes) -> str:
    """RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD built with openssl: OAEP-SHA256(aes.key) ‖
    AES-256-ECB-PKCS7(PKCS#8)."""
    with Scratch() as s:
        s.write("PublicKey.bin", base64.b64decode(public_key_b64))
        s.write("key.p8", pkcs8)
        s.run(
            "openssl rand -out aes.key 32\n"
            "openssl pkeyutl -encrypt -in aes.key -inkey PublicKey.bin -keyform DER -pubin -out wrapped_aes.bin"
            " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256\n"
            "openssl enc -aes-256-ecb -K $(xxd -p -c 64 aes.key) -in key.p8 -out body.bin\n"
            "cat wrapped_aes.bin body.bin > EncryptedKeyMaterial.bin\n"
        )
        assert len(s.read("wrapped_aes.bin")) == 256
        assert len(s.read("body.bin")) == (len(pkcs8) // 16 + 1) * 16
        return s.run("openssl enc -e -base64 -A -in EncryptedKeyMaterial.bin").strip()


# ---- SM2: GM/T 0009 ASN.1 -> raw C1C3C2 ----------------------------------------


def _der_read(buf: bytes, pos: int) -> tuple[int, bytes, int]:
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    return tag, buf[pos:pos + length], pos + length


def sm2_der_to_c1c3c2(der: bytes) -> bytes:
    """SEQUENCE { INTEGER x, INTEGER y, OCTET STRING hash(32), OCTET STRING ciphertext } ->
    0x04 ‖ x(32) ‖ y(32) ‖ hash(32) ‖ ciphertext (CRYPTO.md pitfall 5: 1+64+32+n bytes)."""
    tag, body, end = _der_read(der, 0)
    assert tag == 0x30 and end == len(der), der.hex()
    parts, pos = [], 0
    while pos < len(body):
        tag, value, pos = _der_read(body, pos)
        parts.append((tag, value))
    assert [t for t, _ in parts] == [0x02, 0x02, 0x04, 0x04], parts
    x, y = (int.from_bytes(v, "big").to_bytes(32, "big") for _, v in parts[:2])
    hash_, ct = parts[2][1], parts[3][1]
    assert len(hash_) == 32
    return b"\x04" + x + y + hash_ + ct


def sm2_encrypt_raw(public_key_b64: str, plaintext: bytes) -> bytes:
    """SM2 encryption with `openssl pkeyutl` (ASN.1 output) converted to raw C1C3C2."""
    with Scratch() as s:
        s.write("sm2pub.der", base64.b64decode(public_key_b64))
        s.write("in.bin", plaintext)
        s.run("openssl pkeyutl -encrypt -pubin -inkey sm2pub.der -keyform DER -in in.bin -out c.der")
        raw = sm2_der_to_c1c3c2(s.read("c.der"))
    assert len(raw) == 1 + 64 + 32 + len(plaintext)
    return raw


def wrap_sm2_sm4(public_key_b64: str, scalar: bytes) -> str:
    """SM2PKE_SM4_ECB: raw C1C3C2(SM4 key, 113 B) ‖ SM4-ECB-NoPadding(d, 32 B)."""
    with Scratch() as s:
        s.run("openssl rand -out sm4.key 16")
        s.write("d.bin", scalar)
        s.run("openssl enc -sm4-ecb -nopad -K $(xxd -p -c 32 sm4.key) -in d.bin -out body.bin")
        wrapped_key = sm2_encrypt_raw(public_key_b64, s.read("sm4.key"))
        body = s.read("body.bin")
    assert len(wrapped_key) == 113 and len(body) == len(scalar)
    return base64.b64encode(wrapped_key + body).decode()


def wrap_asymmetric(public_key_b64: str, spec: str, pkcs8: bytes) -> str:
    if spec == "EC_SM2":
        return wrap_sm2_sm4(public_key_b64, sm2_scalar(pkcs8))
    return wrap_composite_rsa(public_key_b64, pkcs8)


# --------------------------------------------------------------------------
# SDK drivers: the BYOK actions, and the cryptographic actions that use an imported key,
# through one official SDK flavour each
# --------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Driver:
    name = "?"

    def gpfi(self, key_id: str, wspec: str, walg: str) -> dict:
        raise NotImplementedError

    def import_material(self, key_id: str, material_b64: str, token: str, expire: int | None = None) -> dict:
        raise NotImplementedError

    def delete_material(self, key_id: str) -> dict:
        raise NotImplementedError

    def describe(self, key_id: str) -> dict:
        """DescribeKey's KeyMetadata."""
        raise NotImplementedError

    def encrypt(self, key_id: str, plaintext: str, context: dict | None = None) -> dict:
        raise NotImplementedError

    def decrypt(self, blob: str, context: dict | None = None) -> dict:
        raise NotImplementedError

    def get_public_key(self, key_id: str, version_id: str) -> dict:
        raise NotImplementedError

    def sign(self, key_id: str, version_id: str, alg: str, digest: bytes) -> dict:
        raise NotImplementedError

    def verify(self, key_id: str, version_id: str, alg: str, digest: bytes, signature: bytes) -> dict:
        raise NotImplementedError

    def asym_encrypt(self, key_id: str, version_id: str, alg: str, plaintext: bytes) -> dict:
        raise NotImplementedError

    def asym_decrypt(self, key_id: str, version_id: str, alg: str, ciphertext: bytes) -> dict:
        raise NotImplementedError

    def expect(self, fn: Callable[[], Any], code: str, status: int) -> str:
        """Runs `fn`, which must fail with `code`/`status`; returns the error Message."""
        raise NotImplementedError


class TeaDriver(Driver):
    def __init__(self, server: KeywardServer | None, name: str = "tea-acs3", *, client: Any = None, **kwargs: Any):
        """A new Tea client for `server` (kwargs as for kwhelpers.tea_client), or `client`."""
        self.name = name
        self.client = client if client is not None else tea_client(server, **kwargs)

    def gpfi(self, key_id: str, wspec: str, walg: str) -> dict:
        req = m.GetParametersForImportRequest(key_id=key_id, wrapping_key_spec=wspec, wrapping_algorithm=walg)
        return self.client.get_parameters_for_import(req).body.to_map()

    def import_material(self, key_id: str, material_b64: str, token: str, expire: int | None = None) -> dict:
        req = m.ImportKeyMaterialRequest(
            key_id=key_id, encrypted_key_material=material_b64, import_token=token, key_material_expire_unix=expire,
        )
        return self.client.import_key_material(req).body.to_map()

    def delete_material(self, key_id: str) -> dict:
        return self.client.delete_key_material(m.DeleteKeyMaterialRequest(key_id=key_id)).body.to_map()

    def describe(self, key_id: str) -> dict:
        return self.client.describe_key(m.DescribeKeyRequest(key_id=key_id)).body.key_metadata.to_map()

    def encrypt(self, key_id: str, plaintext: str, context: dict | None = None) -> dict:
        req = m.EncryptRequest(key_id=key_id, plaintext=plaintext, encryption_context=context)
        return self.client.encrypt(req).body.to_map()

    def decrypt(self, blob: str, context: dict | None = None) -> dict:
        return self.client.decrypt(m.DecryptRequest(ciphertext_blob=blob, encryption_context=context)).body.to_map()

    def get_public_key(self, key_id: str, version_id: str) -> dict:
        req = m.GetPublicKeyRequest(key_id=key_id, key_version_id=version_id)
        return self.client.get_public_key(req).body.to_map()

    def sign(self, key_id: str, version_id: str, alg: str, digest: bytes) -> dict:
        req = m.AsymmetricSignRequest(key_id=key_id, key_version_id=version_id, algorithm=alg, digest=_b64(digest))
        return self.client.asymmetric_sign(req).body.to_map()

    def verify(self, key_id: str, version_id: str, alg: str, digest: bytes, signature: bytes) -> dict:
        req = m.AsymmetricVerifyRequest(key_id=key_id, key_version_id=version_id, algorithm=alg,
                                        digest=_b64(digest), value=_b64(signature))
        return self.client.asymmetric_verify(req).body.to_map()

    def asym_encrypt(self, key_id: str, version_id: str, alg: str, plaintext: bytes) -> dict:
        req = m.AsymmetricEncryptRequest(key_id=key_id, key_version_id=version_id, algorithm=alg,
                                         plaintext=_b64(plaintext))
        return self.client.asymmetric_encrypt(req).body.to_map()

    def asym_decrypt(self, key_id: str, version_id: str, alg: str, ciphertext: bytes) -> dict:
        req = m.AsymmetricDecryptRequest(key_id=key_id, key_version_id=version_id, algorithm=alg,
                                         ciphertext_blob=_b64(ciphertext))
        return self.client.asymmetric_decrypt(req).body.to_map()

    def expect(self, fn: Callable[[], Any], code: str, status: int) -> str:
        err = expect_tea_error(fn, code, status)
        return err.data["Message"]


class CoreDriver(Driver):
    """aliyunsdkcore + aliyunsdkkms V1 request classes (HMAC-SHA1, POST)."""

    name = "core-v1"

    def __init__(self, server: KeywardServer):
        self.server = server
        self.client = core_client(server)

    def _call(self, req: Any) -> dict:
        return core_call(self.client, self.server, req)

    def gpfi(self, key_id: str, wspec: str, walg: str) -> dict:
        req = GetParametersForImportRequest.GetParametersForImportRequest()
        req.set_KeyId(key_id)
        req.set_WrappingKeySpec(wspec)
        req.set_WrappingAlgorithm(walg)
        return self._call(req)

    def import_material(self, key_id: str, material_b64: str, token: str, expire: int | None = None) -> dict:
        req = ImportKeyMaterialRequest.ImportKeyMaterialRequest()
        req.set_KeyId(key_id)
        req.set_EncryptedKeyMaterial(material_b64)
        req.set_ImportToken(token)
        if expire is not None:
            req.set_KeyMaterialExpireUnix(expire)
        return self._call(req)

    def delete_material(self, key_id: str) -> dict:
        req = DeleteKeyMaterialRequest.DeleteKeyMaterialRequest()
        req.set_KeyId(key_id)
        return self._call(req)

    def describe(self, key_id: str) -> dict:
        req = DescribeKeyRequest.DescribeKeyRequest()
        req.set_KeyId(key_id)
        return self._call(req)["KeyMetadata"]

    @staticmethod
    def _context(context: dict | None) -> str | None:
        # The classic SDK takes the context as a string: a user's own json.dumps, with spaces,
        # unsorted, non-ASCII unescaped. The server must canonicalise it.
        return None if context is None else json.dumps(context, ensure_ascii=False)

    def encrypt(self, key_id: str, plaintext: str, context: dict | None = None) -> dict:
        req = EncryptRequest.EncryptRequest()
        req.set_KeyId(key_id)
        req.set_Plaintext(plaintext)
        if context is not None:
            req.set_EncryptionContext(self._context(context))
        return self._call(req)

    def decrypt(self, blob: str, context: dict | None = None) -> dict:
        req = DecryptRequest.DecryptRequest()
        req.set_CiphertextBlob(blob)
        if context is not None:
            req.set_EncryptionContext(self._context(context))
        return self._call(req)

    def _versioned(self, cls: Any, key_id: str, version_id: str, alg: str | None = None) -> Any:
        req = cls()
        req.set_KeyId(key_id)
        req.set_KeyVersionId(version_id)
        if alg is not None:
            req.set_Algorithm(alg)
        return req

    def get_public_key(self, key_id: str, version_id: str) -> dict:
        return self._call(self._versioned(GetPublicKeyRequest.GetPublicKeyRequest, key_id, version_id))

    def sign(self, key_id: str, version_id: str, alg: str, digest: bytes) -> dict:
        req = self._versioned(AsymmetricSignRequest.AsymmetricSignRequest, key_id, version_id, alg)
        req.set_Digest(_b64(digest))
        return self._call(req)

    def verify(self, key_id: str, version_id: str, alg: str, digest: bytes, signature: bytes) -> dict:
        req = self._versioned(AsymmetricVerifyRequest.AsymmetricVerifyRequest, key_id, version_id, alg)
        req.set_Digest(_b64(digest))
        req.set_Value(_b64(signature))
        return self._call(req)

    def asym_encrypt(self, key_id: str, version_id: str, alg: str, plaintext: bytes) -> dict:
        req = self._versioned(AsymmetricEncryptRequest.AsymmetricEncryptRequest, key_id, version_id, alg)
        req.set_Plaintext(_b64(plaintext))
        return self._call(req)

    def asym_decrypt(self, key_id: str, version_id: str, alg: str, ciphertext: bytes) -> dict:
        req = self._versioned(AsymmetricDecryptRequest.AsymmetricDecryptRequest, key_id, version_id, alg)
        req.set_CiphertextBlob(_b64(ciphertext))
        return self._call(req)

    def expect(self, fn: Callable[[], Any], code: str, status: int) -> str:
        err = expect_core_error(fn, code, status)
        return err.get_error_msg()


DRIVERS = ("tea-acs3", "tea-v2", "core-v1")


def make_driver(server: KeywardServer, name: str) -> Driver:
    if name == "tea-acs3":
        return TeaDriver(server, name)
    if name == "tea-v2":
        return TeaDriver(server, name, signature_algorithm="v2")
    if name == "core-v1":
        return CoreDriver(server)
    raise ValueError(name)


# --------------------------------------------------------------------------
# Independent checks, symmetric: the CiphertextBlob opened and forged with the user's material
# --------------------------------------------------------------------------

ENC, SIGN = "ENCRYPT/DECRYPT", "SIGN/VERIFY"
VERSION_LEN, IV_LEN, TAG_LEN = 36, 12, 16


def canonical_context(context: dict | None) -> bytes:
    """The documented AAD form of an EncryptionContext: compact JSON, keys sorted, UTF-8
    (not \\u-escaped); empty when there is no context."""
    if context is None:
        return b""
    return json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def split_blob(blob_b64: str) -> tuple[bytes, bytes, bytes]:
    """(KeyVersionId bytes, IV, ciphertext ‖ tag) of a CiphertextBlob."""
    raw = base64.b64decode(blob_b64, validate=True)
    assert len(raw) >= VERSION_LEN + IV_LEN + TAG_LEN, f"a CiphertextBlob of {len(raw)} bytes: {raw[:40]!r}"
    return raw[:VERSION_LEN], raw[VERSION_LEN:VERSION_LEN + IV_LEN], raw[VERSION_LEN + IV_LEN:]


def with_version(blob_b64: str, version_id: str) -> str:
    """The blob with its first 36 bytes (the KeyVersionId) replaced."""
    raw = base64.b64decode(blob_b64, validate=True)
    vid = version_id.encode("ascii")
    assert len(vid) == VERSION_LEN, version_id
    return _b64(vid + raw[VERSION_LEN:])


def gcm_open(spec: str, key: bytes, iv: bytes, ct_tag: bytes, aad: bytes) -> bytes:
    """AES-GCM (AESGCM) or SM4-GCM (Cipher(SM4, GCM)) decryption; raises InvalidTag."""
    if spec == "Aliyun_SM4":
        dec = Cipher(algorithms.SM4(key), modes.GCM(iv, ct_tag[-TAG_LEN:])).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(ct_tag[:-TAG_LEN]) + dec.finalize()
    return AESGCM(key).decrypt(iv, ct_tag, aad)


def gcm_seal(spec: str, key: bytes, iv: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """ciphertext ‖ tag."""
    if spec == "Aliyun_SM4":
        enc = Cipher(algorithms.SM4(key), modes.GCM(iv)).encryptor()
        enc.authenticate_additional_data(aad)
        return enc.update(plaintext) + enc.finalize() + enc.tag
    return AESGCM(key).encrypt(iv, plaintext, aad)


def open_blob(spec: str, material: bytes, blob_b64: str, context: dict | None) -> tuple[str, bytes]:
    """(KeyVersionId, plaintext) of a server CiphertextBlob, decrypted here with the user's
    material: AAD = KeyVersionId (36 bytes) ‖ canonical EncryptionContext."""
    vid, iv, ct_tag = split_blob(blob_b64)
    return vid.decode("ascii"), gcm_open(spec, material, iv, ct_tag, vid + canonical_context(context))


def seal_blob(spec: str, material: bytes, version_id: str, plaintext: bytes, context: dict | None) -> str:
    """A CiphertextBlob made here, with the user's material, for `version_id`."""
    vid = version_id.encode("ascii")
    assert len(vid) == VERSION_LEN
    iv = os.urandom(IV_LEN)
    return _b64(vid + iv + gcm_seal(spec, material, iv, plaintext, vid + canonical_context(context)))


# --------------------------------------------------------------------------
# Independent checks, asymmetric: the user's key pair (the PKCS#8 the test generated)
# --------------------------------------------------------------------------

SM2_DEFAULT_ID = b"1234567812345678"
# GB/T 32918.5 curve parameters.
SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
SM2_A = SM2_P - 3
SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

PSS, PKCS1_SIG, ECDSA, SM2DSA = "RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256", "ECDSA_SHA_256", "SM2DSA"
OAEP_SHA_256, SM2PKE_ALG = "RSAES_OAEP_SHA_256", "SM2PKE"


def sign_algorithms(spec: str) -> tuple[str, ...]:
    if spec.startswith("RSA_"):
        return (PSS, PKCS1_SIG)
    return (SM2DSA,) if spec == "EC_SM2" else (ECDSA,)


def encrypt_algorithm(spec: str) -> str:
    return SM2PKE_ALG if spec == "EC_SM2" else OAEP_SHA_256


def _private(pkcs8: bytes):
    return serialization.load_der_private_key(pkcs8, password=None)


def user_spki(spec: str, pkcs8: bytes) -> bytes:
    """The user's public key (DER SubjectPublicKeyInfo) derived from their private key:
    `cryptography` for RSA/EC, `openssl pkey -pubout` for SM2 (which `cryptography` lacks)."""
    if spec == "EC_SM2":
        with Scratch() as s:
            s.write("key.p8", pkcs8)
            s.run("openssl pkey -inform DER -in key.p8 -pubout -outform DER -out pub.der")
            return s.read("pub.der")
    return _private(pkcs8).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def pem_to_der(pem: str) -> bytes:
    lines = pem.strip().splitlines()
    assert lines[0] == "-----BEGIN PUBLIC KEY-----" and lines[-1] == "-----END PUBLIC KEY-----", pem
    return base64.b64decode("".join(lines[1:-1]), validate=True)


def sm3(data: bytes) -> bytes:
    if "sm3" in hashlib.algorithms_available:
        return hashlib.new("sm3", data).digest()
    with Scratch() as s:
        s.write("in.bin", data)
        s.run("openssl dgst -sm3 -binary -out out.bin in.bin")
        return s.read("out.bin")


def sm2_digest(spki: bytes, message: bytes, uid: bytes = SM2_DEFAULT_ID) -> bytes:
    """SM3(Z ‖ M), Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ Px ‖ Py) (GB/T 32918.2)."""
    assert spki[-66:-64] == b"\x00\x04", spki.hex()  # BIT STRING: uncompressed point
    px, py = spki[-64:-32], spki[-32:]
    z = sm3((len(uid) * 8).to_bytes(2, "big") + uid
            + b"".join(v.to_bytes(32, "big") for v in (SM2_A, SM2_B, SM2_GX, SM2_GY)) + px + py)
    return sm3(z + message)


def digest_for(spec: str, alg: str, spki: bytes, message: bytes) -> bytes:
    """The Digest AsymmetricSign takes: SM3(Z ‖ M) for SM2DSA, SHA-256(M) otherwise."""
    return sm2_digest(spki, message) if alg == SM2DSA else hashlib.sha256(message).digest()


def _rsa_padding(alg: str):
    if alg == PSS:
        return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    assert alg == PKCS1_SIG, alg
    return padding.PKCS1v15()


def verify_locally(spec: str, pkcs8: bytes, alg: str, message: bytes, signature: bytes) -> None:
    """Raises unless `signature` is the user's key's valid signature over `message`:
    `cryptography` for RSA (PSS salt 32 / PKCS#1 v1.5) and ECDSA (DER, prehashed SHA-256);
    `openssl dgst -sm3 -verify -sigopt distid:1234567812345678` over M for SM2DSA."""
    if alg == SM2DSA:
        with Scratch() as s:
            s.write("key.p8", pkcs8)
            s.write("msg.bin", message)
            s.write("sig.der", signature)
            s.run("openssl pkey -inform DER -in key.p8 -pubout -out pub.pem")
            res = sh("openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature sig.der msg.bin",
                     s.dir, check=False)
        out = res.stdout.decode(errors="replace")
        assert res.returncode == 0 and "Verified OK" in out, (
            f"openssl does not accept the SM2DSA signature {signature.hex()}: {out} {res.stderr!r}")
        return
    pub = _private(pkcs8).public_key()
    digest = hashlib.sha256(message).digest()
    if spec.startswith("RSA_"):
        pub.verify(signature, digest, _rsa_padding(alg), utils.Prehashed(hashes.SHA256()))
    else:
        assert alg == ECDSA, alg
        pub.verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def sign_locally(spec: str, pkcs8: bytes, alg: str, message: bytes) -> bytes:
    """The user's own signature over `message` (SM2DSA by `openssl dgst -sm3 -sign`)."""
    if alg == SM2DSA:
        with Scratch() as s:
            s.write("key.p8", pkcs8)
            s.write("msg.bin", message)
            s.run("openssl dgst -sm3 -sign key.p8 -keyform DER -sigopt distid:1234567812345678"
                  " -out sig.der msg.bin")
            return s.read("sig.der")
    key = _private(pkcs8)
    digest = hashlib.sha256(message).digest()
    if spec.startswith("RSA_"):
        return key.sign(digest, _rsa_padding(alg), utils.Prehashed(hashes.SHA256()))
    return key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def encrypt_locally(spec: str, pkcs8: bytes, plaintext: bytes) -> bytes:
    """Encryption with the user's public key: RSA-OAEP-SHA-256 (`cryptography`) or SM2
    (`openssl pkeyutl`, GM/T 0009 DER)."""
    if spec == "EC_SM2":
        with Scratch() as s:
            s.write("pub.der", user_spki(spec, pkcs8))
            s.write("in.bin", plaintext)
            s.run("openssl pkeyutl -encrypt -pubin -inkey pub.der -keyform DER -in in.bin -out ct.der")
            return s.read("ct.der")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    return _private(pkcs8).public_key().encrypt(plaintext, oaep)


def decrypt_locally(spec: str, pkcs8: bytes, ciphertext: bytes) -> bytes:
    if spec == "EC_SM2":
        with Scratch() as s:
            s.write("key.p8", pkcs8)
            s.write("ct.bin", ciphertext)
            s.run("openssl pkeyutl -decrypt -inkey key.p8 -keyform DER -in ct.bin -out pt.bin")
            return s.read("pt.bin")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    return _private(pkcs8).decrypt(ciphertext, oaep)


# --------------------------------------------------------------------------
# Proof that an imported key works with the user's material
# --------------------------------------------------------------------------

# Plaintext and context with non-ASCII text; the context's keys are deliberately unsorted.
PROOF_TEXT = "BYOK ✓ 自带密钥 — bring your own key"
PROOF_CONTEXT = {"tenant": "acme", "Purpose": "byok-proof", "ключ": "значение ✓", "a": "1"}
PROOF_MESSAGE = b"keyward BYOK: signed with the user's own private key"


class Sealed:
    """A ciphertext the server made with an imported symmetric key, to be decrypted later."""

    def __init__(self, key_id: str, version_id: str, blob: str, context: dict | None, plaintext: str):
        self.key_id, self.version_id, self.blob, self.context, self.plaintext = (
            key_id, version_id, blob, context, plaintext)

    def decrypts(self, drv: Driver) -> None:
        """Decrypt through the SDK gives back the plaintext, key and version."""
        dec = drv.decrypt(self.blob, self.context)
        assert (dec.get("Plaintext"), dec.get("KeyId"), dec.get("KeyVersionId")) == (
            self.plaintext, self.key_id, self.version_id), dec


def prove_symmetric(drv: Driver, key_id: str, spec: str, material: bytes) -> list[Sealed]:
    """Encrypt/Decrypt through the SDK, with and without an EncryptionContext; every blob is
    opened here with the user's material (AES-GCM / SM4-GCM, AAD = KeyVersionId ‖ canonical
    context); and a blob forged here with the user's material opens in the server."""
    assert len(material) == SYMMETRIC_SIZES[spec]
    meta = drv.describe(key_id)
    assert meta["KeyState"] == "Enabled" and meta["KeySpec"] == spec, meta
    version = meta["PrimaryKeyVersion"]
    sealed = []
    for context in (PROOF_CONTEXT, None):
        text = f"{PROOF_TEXT} [{drv.name} {key_id} {'with' if context else 'no'} context]"
        enc = drv.encrypt(key_id, text, context)
        assert (enc.get("KeyId"), enc.get("KeyVersionId")) == (key_id, version), enc
        blob = enc["CiphertextBlob"]
        vid, plain = open_blob(spec, material, blob, context)  # InvalidTag: not the user's material
        assert vid == version, (vid, version)
        assert plain == text.encode(), plain
        s = Sealed(key_id, version, blob, context, text)
        s.decrypts(drv)
        sealed.append(s)
    forged_text = f"sealed by the user for {key_id}"
    forged = seal_blob(spec, material, version, forged_text.encode(), PROOF_CONTEXT)
    Sealed(key_id, version, forged, PROOF_CONTEXT, forged_text).decrypts(drv)
    return sealed


def prove_asymmetric(drv: Driver, key_id: str, spec: str, pkcs8: bytes, usage: str | None = None,
                     quick: bool = False) -> None:
    """GetPublicKey returns the user's public key; SIGN/VERIFY keys: every algorithm's
    AsymmetricSign verifies locally, and the user's own signature verifies in the server;
    ENCRYPT/DECRYPT keys: a ciphertext made with the user's public key opens in the server, and
    the server's AsymmetricEncrypt opens with the user's private key. `quick`: the first
    algorithm only, and only the server's private-key operation (sign / decrypt)."""
    meta = drv.describe(key_id)
    assert meta["KeyState"] == "Enabled" and meta["KeySpec"] == spec, meta
    if usage is not None:
        assert meta["KeyUsage"] == usage, meta
    usage = meta["KeyUsage"]
    version = meta["PrimaryKeyVersion"]
    spki = user_spki(spec, pkcs8)
    pk = drv.get_public_key(key_id, version)
    assert (pk.get("KeyId"), pk.get("KeyVersionId")) == (key_id, version), pk
    assert pem_to_der(pk["PublicKey"]) == spki, (
        f"GetPublicKey is not the user's public key:\n{pk['PublicKey']}\nexpected {_b64(spki)}")
    if usage == SIGN:
        for alg in sign_algorithms(spec)[:1 if quick else None]:
            digest = digest_for(spec, alg, spki, PROOF_MESSAGE)
            body = drv.sign(key_id, version, alg, digest)
            assert (body.get("KeyId"), body.get("KeyVersionId")) == (key_id, version), body
            verify_locally(spec, pkcs8, alg, PROOF_MESSAGE, base64.b64decode(body["Value"]))
            if quick:
                continue
            mine = sign_locally(spec, pkcs8, alg, PROOF_MESSAGE)
            assert drv.verify(key_id, version, alg, digest, mine)["Value"] is True, (alg, mine.hex())
    else:
        assert usage == ENC, meta
        alg = encrypt_algorithm(spec)
        plaintext = os.urandom(48)
        dec = drv.asym_decrypt(key_id, version, alg, encrypt_locally(spec, pkcs8, plaintext))
        assert (dec.get("KeyId"), dec.get("KeyVersionId")) == (key_id, version), dec
        assert base64.b64decode(dec["Plaintext"]) == plaintext, dec
        if quick:
            return
        enc = drv.asym_encrypt(key_id, version, alg, plaintext)
        assert decrypt_locally(spec, pkcs8, base64.b64decode(enc["CiphertextBlob"])) == plaintext


def prove(drv: Driver, key_id: str, spec: str, material: bytes, usage: str | None = None,
          quick: bool = False) -> list[Sealed]:
    """The imported key works with the user's material (symmetric: raw key; asymmetric:
    PKCS#8 DER). Returns the ciphertexts made (symmetric keys), for later checks. `quick`
    (asymmetric keys): the public key and one private-key operation only."""
    if spec in SYMMETRIC_SIZES:
        assert usage in (None, ENC), usage
        return prove_symmetric(drv, key_id, spec, material)
    prove_asymmetric(drv, key_id, spec, material, usage, quick)
    return []


def assert_unusable(drv: Driver, key_id: str, spec: str, sealed: list[Sealed] = (),
                    code: str = "Rejected.PendingImport", status: int = 409) -> None:
    """Every cryptographic use of the key fails with `code`/`status` (e.g. while its material
    is deleted or expired), also the Decrypt of ciphertexts made earlier."""
    if spec in SYMMETRIC_SIZES:
        drv.expect(lambda: drv.encrypt(key_id, PROOF_TEXT, PROOF_CONTEXT), code, status)
        for s in sealed:
            drv.expect(lambda: drv.decrypt(s.blob, s.context), code, status)
        return
    meta = drv.describe(key_id)
    version = meta["PrimaryKeyVersion"]
    drv.expect(lambda: drv.get_public_key(key_id, version), code, status)
    if meta["KeyUsage"] == SIGN:
        alg = sign_algorithms(spec)[0]
        drv.expect(lambda: drv.sign(key_id, version, alg, hashlib.sha256(b"x").digest()), code, status)
    else:
        alg = encrypt_algorithm(spec)
        drv.expect(lambda: drv.asym_decrypt(key_id, version, alg, os.urandom(256)), code, status)
