"""Helpers for the BYOK tests (test_byok.py): the documented `openssl` wrapping pipelines,
run literally through a shell in a scratch directory, an SM2 ciphertext converter
(OpenSSL's GM/T 0009 ASN.1 -> raw C1C3C2, written here by hand so the test does not depend
on keyward's own wrapping code), and one small driver per official SDK flavour.

Nothing here imports keyward code: the material is generated and wrapped with the OpenSSL
command line only (ALIBABA.md §5.2, CRYPTO.md §1 BYOK rows and §7 pitfalls 1 and 5).
"""

from __future__ import annotations

import base64
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable

from alibabacloud_kms20160120 import models as m
from aliyunsdkkms.request.v20160120 import (
    DeleteKeyMaterialRequest,
    GetParametersForImportRequest,
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
# SDK drivers: the three BYOK actions through one official SDK flavour each
# --------------------------------------------------------------------------


class Driver:
    name = "?"

    def gpfi(self, key_id: str, wspec: str, walg: str) -> dict:
        raise NotImplementedError

    def import_material(self, key_id: str, material_b64: str, token: str, expire: int | None = None) -> dict:
        raise NotImplementedError

    def delete_material(self, key_id: str) -> dict:
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

