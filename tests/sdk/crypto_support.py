"""Helpers for the cryptographic SDK tests (test_crypto.py, test_asymmetric.py,
test_versions_aliases_tags.py).

Every independent check here uses the `cryptography` package (RSA, ECDSA, AES-GCM) or the
`openssl` command line (SM2 encryption and SM2DSA verification), never keyward code:

- CiphertextBlob layout (ALIBABA.md §5.3): base64(KeyVersionId(36) ‖ IV(12) ‖ ct ‖ tag(16));
- SM2DSA digests: Digest = SM3(Z ‖ M), Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ Px ‖ Py)
  (GB/T 32918.2), with the default distinguishing id 1234567812345678; `openssl dgst -sm3
  -verify -sigopt distid:…` checks a server signature over M independently;
- SM2 ciphertexts: GM/T 0009 DER `SEQUENCE { x INTEGER, y INTEGER, C3 OCTET STRING(32),
  C2 OCTET STRING }` (what `openssl pkeyutl -encrypt` writes), or raw C1C3C2;
- BYOK: symmetric material wrapped with RSAES_OAEP_SHA_256 by `cryptography`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from alibabacloud_kms20160120 import models as m
from aliyunsdkkms.request.v20160120 import GetParametersForImportRequest, ImportKeyMaterialRequest

from kwhelpers import KeywardServer, core_call, core_client

ENC = "ENCRYPT/DECRYPT"
SIGN = "SIGN/VERIFY"

OAEP256 = "RSAES_OAEP_SHA_256"
OAEP1 = "RSAES_OAEP_SHA_1"
SM2PKE = "SM2PKE"
PSS = "RSA_PSS_SHA_256"
PKCS1 = "RSA_PKCS1_SHA_256"
ECDSA = "ECDSA_SHA_256"
SM2DSA = "SM2DSA"

SM2_DEFAULT_ID = b"1234567812345678"

# GB/T 32918.5 recommended curve parameters.
SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
SM2_A = SM2_P - 3
SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

BLOB_VERSION_LEN, BLOB_IV_LEN, BLOB_TAG_LEN = 36, 12, 16
BLOB_OVERHEAD = BLOB_VERSION_LEN + BLOB_IV_LEN + BLOB_TAG_LEN


# --------------------------------------------------------------------------
# base64, blobs
# --------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def split_blob(blob_b64: str) -> tuple[str, bytes, bytes, bytes]:
    """(KeyVersionId, IV, ciphertext, tag) of a symmetric CiphertextBlob."""
    raw = unb64(blob_b64)
    assert len(raw) >= BLOB_OVERHEAD, f"blob of {len(raw)} bytes is shorter than the fixed overhead"
    version = raw[:BLOB_VERSION_LEN].decode("ascii")
    iv = raw[BLOB_VERSION_LEN:BLOB_VERSION_LEN + BLOB_IV_LEN]
    body = raw[BLOB_VERSION_LEN + BLOB_IV_LEN:]
    return version, iv, body[:-BLOB_TAG_LEN], body[-BLOB_TAG_LEN:]


def flip(blob_b64: str, index: int) -> str:
    """The blob with one bit of byte `index` (negative = from the end) flipped."""
    raw = bytearray(unb64(blob_b64))
    raw[index] ^= 0x01
    return b64(bytes(raw))


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower() and len(value) == 36
    except ValueError:
        return False


# --------------------------------------------------------------------------
# Keys through the Tea client
# --------------------------------------------------------------------------


def create_key(kms, spec: str = "Aliyun_AES_256", usage: str | None = None, **kwargs: Any) -> dict:
    meta = kms.create_key(m.CreateKeyRequest(key_spec=spec, key_usage=usage, **kwargs)).body.key_metadata.to_map()
    return meta


def describe(kms, key_id: str) -> dict:
    return kms.describe_key(m.DescribeKeyRequest(key_id=key_id)).body.key_metadata.to_map()


def primary_version(kms, key_id: str) -> str:
    return describe(kms, key_id)["PrimaryKeyVersion"]


def encrypt(kms, key_id: str, plaintext: str, context: dict | None = None, **kw: Any) -> dict:
    return kms.encrypt(m.EncryptRequest(key_id=key_id, plaintext=plaintext, encryption_context=context, **kw)).body.to_map()


def decrypt(kms, blob: str, context: dict | None = None, **kw: Any) -> dict:
    return kms.decrypt(m.DecryptRequest(ciphertext_blob=blob, encryption_context=context, **kw)).body.to_map()


def get_public_key(kms, key_id: str, version_id: str) -> dict:
    return kms.get_public_key(m.GetPublicKeyRequest(key_id=key_id, key_version_id=version_id)).body.to_map()


class AsymKey:
    """A server-side asymmetric key: id, primary version, spec, usage and public key PEM."""

    def __init__(self, kms, spec: str, usage: str, **kwargs: Any) -> None:
        meta = create_key(kms, spec, usage, **kwargs)
        self.key_id: str = meta["KeyId"]
        self.version_id: str = meta["PrimaryKeyVersion"]
        self.spec = spec
        self.usage = usage
        assert meta["KeySpec"] == spec and meta["KeyUsage"] == usage, meta
        self.pem: str = get_public_key(kms, self.key_id, self.version_id)["PublicKey"]

    def __repr__(self) -> str:
        return f"AsymKey({self.spec}, {self.usage}, {self.key_id})"

    def public_key(self):
        assert self.spec != "EC_SM2", "cryptography does not load SM2 keys; use openssl"
        return serialization.load_pem_public_key(self.pem.encode())

    def spki_der(self) -> bytes:
        return pem_to_der(self.pem)


def pem_to_der(pem: str) -> bytes:
    lines = [ln for ln in pem.strip().splitlines() if not ln.startswith("-----")]
    return base64.b64decode("".join(lines), validate=True)


# --------------------------------------------------------------------------
# RSA / EC with `cryptography`
# --------------------------------------------------------------------------

OAEP_HASH = {OAEP256: hashes.SHA256, OAEP1: hashes.SHA1}
OAEP_MAX = {("RSA_2048", OAEP256): 190, ("RSA_2048", OAEP1): 214, ("RSA_3072", OAEP256): 318,
            ("RSA_3072", OAEP1): 342, ("RSA_4096", OAEP256): 446, ("RSA_4096", OAEP1): 470}
RSA_BYTES = {"RSA_2048": 256, "RSA_3072": 384, "RSA_4096": 512}


def oaep(alg: str) -> padding.OAEP:
    h = OAEP_HASH[alg]
    return padding.OAEP(mgf=padding.MGF1(h()), algorithm=h(), label=None)


@functools.lru_cache(maxsize=None)
def rsa_private_key(bits: int = 2048, n: int = 0) -> rsa.RSAPrivateKey:
    """A local RSA key pair (cached per (bits, n)); the private half never leaves the test."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def spki_b64(public_key) -> str:
    """base64 DER SubjectPublicKeyInfo (the PublicKeyBlob format)."""
    return b64(public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def verify_rsa(public_key, alg: str, digest: bytes, signature: bytes) -> None:
    """Raises InvalidSignature unless `signature` is valid over the SHA-256 `digest`."""
    if alg == PSS:
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    else:
        assert alg == PKCS1
        pad = padding.PKCS1v15()
    public_key.verify(signature, digest, pad, utils.Prehashed(hashes.SHA256()))


def verify_ecdsa(public_key, digest: bytes, signature: bytes) -> None:
    public_key.verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


# --------------------------------------------------------------------------
# DER
# --------------------------------------------------------------------------


def der_read(buf: bytes, pos: int) -> tuple[int, bytes, int]:
    """(tag, value, next position) of the TLV at `pos` (definite lengths only)."""
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        assert 1 <= n <= 3, f"bad DER length of {n} bytes"
        length = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    assert pos + length <= len(buf), "DER value runs past the end"
    return tag, buf[pos:pos + length], pos + length


def der_sequence(der: bytes) -> list[tuple[int, bytes]]:
    """The items of the single top-level SEQUENCE `der` (which must span the whole input)."""
    tag, body, end = der_read(der, 0)
    assert tag == 0x30 and end == len(der), f"not exactly one DER SEQUENCE: {der[:8].hex()}… ({len(der)} bytes)"
    items, pos = [], 0
    while pos < len(body):
        t, v, pos = der_read(body, pos)
        items.append((t, v))
    return items


def der_positive_int(value: bytes) -> int:
    """A minimal, positive DER INTEGER body."""
    assert value, "empty INTEGER"
    assert value[0] & 0x80 == 0, "negative INTEGER"
    assert not (len(value) > 1 and value[0] == 0 and value[1] & 0x80 == 0), "non-minimal INTEGER"
    return int.from_bytes(value, "big")


def dss_signature(der: bytes) -> tuple[int, int]:
    """(r, s) of a DER ECDSA/SM2 signature SEQUENCE { r INTEGER, s INTEGER }."""
    items = der_sequence(der)
    assert [t for t, _ in items] == [0x02, 0x02], items
    return der_positive_int(items[0][1]), der_positive_int(items[1][1])


def sm2_ciphertext_parts(der: bytes) -> tuple[int, int, bytes, bytes]:
    """(x, y, C3, C2) of a GM/T 0009 DER SM2 ciphertext."""
    items = der_sequence(der)
    assert [t for t, _ in items] == [0x02, 0x02, 0x04, 0x04], [t for t, _ in items]
    x, y = der_positive_int(items[0][1]), der_positive_int(items[1][1])
    c3, c2 = items[2][1], items[3][1]
    assert len(c3) == 32, len(c3)
    return x, y, c3, c2


def sm2_der_to_c1c3c2(der: bytes) -> bytes:
    x, y, c3, c2 = sm2_ciphertext_parts(der)
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big") + c3 + c2


# --------------------------------------------------------------------------
# openssl (SM2 / SM3)
# --------------------------------------------------------------------------


class Scratch:
    """A temporary directory for openssl's files."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="kw-crypto-")
        self.dir = Path(self._tmp.name)

    def __enter__(self) -> "Scratch":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._tmp.cleanup()

    def write(self, name: str, data: bytes | str) -> str:
        p = self.dir / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return str(p)

    def read(self, name: str) -> bytes:
        return (self.dir / name).read_bytes()

    def openssl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        res = subprocess.run(["openssl", *args], cwd=self.dir, capture_output=True, timeout=60)
        if check and res.returncode != 0:
            raise RuntimeError(
                f"openssl {' '.join(args)} failed ({res.returncode}): {res.stderr.decode(errors='replace')}"
            )
        return res


def sm3(data: bytes) -> bytes:
    """SM3 from hashlib when OpenSSL exposes it, else from `openssl dgst -sm3`."""
    if "sm3" in hashlib.algorithms_available:
        return hashlib.new("sm3", data).digest()
    with Scratch() as s:
        s.write("in.bin", data)
        out = s.openssl("dgst", "-sm3", "-binary", "in.bin").stdout
    assert len(out) == 32
    return out


def sm2_public_xy(spki_der: bytes) -> tuple[bytes, bytes]:
    """The uncompressed point of an SM2 SubjectPublicKeyInfo: BIT STRING 00 04 X Y at the end."""
    assert len(spki_der) >= 67 and spki_der[-65] == 0x04 and spki_der[-66] == 0x00, spki_der.hex()
    return spki_der[-64:-32], spki_der[-32:]


def sm2_z(spki_der: bytes, uid: bytes = SM2_DEFAULT_ID) -> bytes:
    x, y = sm2_public_xy(spki_der)
    entl = (len(uid) * 8).to_bytes(2, "big")
    parts = [entl, uid] + [v.to_bytes(32, "big") for v in (SM2_A, SM2_B, SM2_GX, SM2_GY)] + [x, y]
    return sm3(b"".join(parts))


def sm2_digest(spki_der: bytes, message: bytes, uid: bytes = SM2_DEFAULT_ID) -> bytes:
    """SM3(Z ‖ M): the Digest AsymmetricSign expects for SM2DSA."""
    return sm3(sm2_z(spki_der, uid) + message)


def openssl_sm2_verify(pem: str, message: bytes, signature_der: bytes, uid: bytes = SM2_DEFAULT_ID) -> bool:
    with Scratch() as s:
        s.write("pub.pem", pem)
        s.write("msg.bin", message)
        s.write("sig.der", signature_der)
        res = s.openssl(
            "dgst", "-sm3", "-verify", "pub.pem", "-sigopt", f"distid:{uid.decode()}",
            "-signature", "sig.der", "msg.bin", check=False,
        )
    out = res.stdout.decode(errors="replace")
    if res.returncode == 0:
        assert "Verified OK" in out, out
        return True
    assert "Verification failure" in out or res.stderr, (out, res.stderr)
    return False


def openssl_sm2_encrypt(pem_or_der: str | bytes, plaintext: bytes) -> bytes:
    """SM2 encryption by `openssl pkeyutl`: a GM/T 0009 DER ciphertext."""
    with Scratch() as s:
        if isinstance(pem_or_der, str):
            s.write("pub.pem", pem_or_der)
            key_args = ["-inkey", "pub.pem"]
        else:
            s.write("pub.der", pem_or_der)
            key_args = ["-inkey", "pub.der", "-keyform", "DER"]
        s.write("in.bin", plaintext)
        s.openssl("pkeyutl", "-encrypt", "-pubin", *key_args, "-in", "in.bin", "-out", "ct.der")
        return s.read("ct.der")


class Sm2KeyPair:
    """A local SM2 key pair made by `openssl genpkey`; decrypts with `openssl pkeyutl`."""

    def __init__(self) -> None:
        with Scratch() as s:
            s.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", "priv.pem")
            s.openssl("pkey", "-in", "priv.pem", "-pubout", "-outform", "DER", "-out", "pub.der")
            self.private_pem = s.read("priv.pem")
            self.public_der = s.read("pub.der")

    def decrypt(self, ciphertext_der: bytes) -> bytes:
        with Scratch() as s:
            s.write("priv.pem", self.private_pem)
            s.write("ct.der", ciphertext_der)
            s.openssl("pkeyutl", "-decrypt", "-inkey", "priv.pem", "-in", "ct.der", "-out", "pt.bin")
            return s.read("pt.bin")


@functools.lru_cache(maxsize=None)
def sm2_keypair(n: int = 0) -> Sm2KeyPair:
    return Sm2KeyPair()


def openssl_describe_public_key(pem: str) -> str:
    with Scratch() as s:
        s.write("pub.pem", pem)
        return s.openssl("pkey", "-pubin", "-in", "pub.pem", "-noout", "-text").stdout.decode()


# --------------------------------------------------------------------------
# BYOK for symmetric keys (RSA_2048 + RSAES_OAEP_SHA_256, wrapped by `cryptography`)
# --------------------------------------------------------------------------


def gpfi(server: KeywardServer, key_id: str, version_id: str | None = None) -> dict:
    """GetParametersForImport through the classic SDK (its request class has no KeyVersionId,
    so that one rides as an extra query parameter)."""
    req = GetParametersForImportRequest.GetParametersForImportRequest()
    req.set_KeyId(key_id)
    req.set_WrappingKeySpec("RSA_2048")
    req.set_WrappingAlgorithm(OAEP256)
    if version_id is not None:
        req.add_query_param("KeyVersionId", version_id)
    return core_call(core_client(server), server, req)


def wrap_oaep256(public_key_b64: str, material: bytes) -> str:
    pub = serialization.load_der_public_key(unb64(public_key_b64))
    return b64(pub.encrypt(material, oaep(OAEP256)))


def import_symmetric(server: KeywardServer, key_id: str, material: bytes, version_id: str | None = None) -> dict:
    """GetParametersForImport (optionally for `version_id`) + ImportKeyMaterial."""
    params = gpfi(server, key_id, version_id)
    req = ImportKeyMaterialRequest.ImportKeyMaterialRequest()
    req.set_KeyId(key_id)
    req.set_EncryptedKeyMaterial(wrap_oaep256(params["PublicKey"], material))
    req.set_ImportToken(params["ImportToken"])
    return core_call(core_client(server), server, req)


def context_json(ctx: dict) -> str:
    return json.dumps(ctx, separators=(",", ":"), ensure_ascii=False)
