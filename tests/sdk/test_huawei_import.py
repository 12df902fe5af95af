"""Huawei key-material import (HUAWEI.md §1.4 and §3) through `huaweicloudsdkkms`: symmetric AES_256
and SM4 material, RSA_2048/RSA_3072/EC_P256/EC_P384 private keys wrapped with a temporary AES key
(RSA-OAEP-SHA256 + RFC 5649 key wrap with padding), the documentation's literal `openssl` recipe,
every import error code, and proof with the user's own material: server signatures verified
locally, ciphertexts opened locally."""

from __future__ import annotations

import json
import os
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from alibabacloud_kms20160120 import models as am
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkkms.v2 import (
    DecryptDataRequest,
    DecryptDataRequestBody,
    DeleteImportedKeyMaterialRequest,
    EncryptDataRequest,
    EncryptDataRequestBody,
    OperateKeyRequestBody,
    ShowPublicKeyRequest,
    SignRequest,
    SignRequestBody,
    ValidateSignatureRequest,
    VerifyRequestBody,
)

import huawei_support as h
from byok_support import Scratch, open_blob, wrap_symmetric
from huawei_support import b64, create_key, describe, expect_hw_error, unb64, wire
from kwhelpers import tea_client

OP = OperateKeyRequestBody


def delete_material(client, key_id: str):
    return client.delete_imported_key_material(DeleteImportedKeyMaterialRequest(body=OP(key_id=key_id)))


def encrypt(client, key_id: str, text: str) -> str:
    return wire(client.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(key_id=key_id,
                                                                                   plain_text=text))))["cipher_text"]


def decrypt(client, ct: str) -> str:
    return wire(client.decrypt_data(DecryptDataRequest(body=DecryptDataRequestBody(cipher_text=ct))))["plain_text"]


def sign(client, key_id: str, alg: str, digest: bytes) -> bytes:
    out = wire(client.sign(SignRequest(body=SignRequestBody(key_id=key_id, message=b64(digest),
                                                            signing_algorithm=alg, message_type="DIGEST"))))
    return unb64(out["signature"])


def verify(client, key_id: str, alg: str, digest: bytes, sig: bytes) -> str:
    body = VerifyRequestBody(key_id=key_id, message=b64(digest), signature=b64(sig), signing_algorithm=alg,
                             message_type="DIGEST")
    return wire(client.validate_signature(ValidateSignatureRequest(body=body)))["signature_valid"]


def server_public_key(client, key_id: str):
    pem = wire(client.show_public_key(ShowPublicKeyRequest(body=OP(key_id=key_id))))["public_key"]
    return h.public_from_pem(pem)


def spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def external_key(client, spec: str, usage: str | None = None) -> str:
    kid = create_key(client, spec, usage, origin="external")
    d = describe(client, kid)
    assert (d["key_state"], d["origin"], d["key_spec"]) == ("5", "external", spec), d
    return kid


def prove_signing(client, key_id: str, spec: str, private_key) -> None:
    """Signatures of the imported key verify with the user's public key and vice versa."""
    pub = private_key.public_key()
    assert spki(server_public_key(client, key_id)) == spki(pub), "get-publickey is not the user's key"
    for alg in h.sign_algorithms(spec)[:2]:
        d = h.digest(alg, b"imported " + os.urandom(6))
        h.verify_locally(pub, alg, d, sign(client, key_id, alg, d), prehashed=True)
        assert verify(client, key_id, alg, d, _local_sign(private_key, alg, d)) == "true"


def _local_sign(private_key, alg: str, digest: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

    hh = h.HASHES[alg[-3:]]()
    if alg.startswith("ECDSA"):
        return private_key.sign(digest, ec.ECDSA(utils.Prehashed(hh)))
    pad = padding.PSS(mgf=padding.MGF1(hh), salt_length=hh.digest_size) if "PSS" in alg else padding.PKCS1v15()
    return private_key.sign(digest, pad, utils.Prehashed(hh))


def corrupt_b64(text: str) -> str:
    i = len(text) // 2
    return text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1:]


# --------------------------------------------------------------------------
# get-parameters-for-import
# --------------------------------------------------------------------------


def test_parameters_for_import(hw):
    kid = external_key(hw, "AES_256")
    p = h.get_params(hw, kid)
    body = json.loads(p.raw_content)
    assert body["key_id"] == kid and isinstance(body["expiration_time"], int), body
    assert abs(body["expiration_time"] - (time.time() + 86400)) < 600, body
    pub = serialization.load_der_public_key(unb64(p.public_key))
    assert isinstance(pub, rsa.RSAPublicKey) and pub.key_size == 2048 and pub.public_numbers().e == 65537
    assert 200 <= len(p.import_token) <= 6144 and unb64(p.import_token), p.import_token
    for alg in ("RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"):
        assert serialization.load_der_public_key(unb64(h.get_params(hw, kid, alg).public_key))


# --------------------------------------------------------------------------
# symmetric material
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spec,size,ali_spec", [("AES_256", 32, "Aliyun_AES_256"), ("SM4", 16, "Aliyun_SM4")])
def test_import_symmetric_material(backend, hw_kms, spec, size, ali_spec):
    kid = external_key(hw_kms, spec)
    material = os.urandom(size)
    resp = h.import_symmetric(hw_kms, kid, material)
    assert resp.status_code == 200 and json.loads(resp.raw_content) == {}, resp.raw_content
    d = describe(hw_kms, kid)
    assert d["key_state"] == "2" and d.get("expiration_time", "") == "", d
    ct = encrypt(hw_kms, kid, "imported!")
    assert decrypt(hw_kms, ct) == "imported!"
    # the cipher_text is the Alibaba CiphertextBlob: the user's own material opens it
    assert open_blob(ali_spec, material, ct, None)[1] == b"imported!"
    # and what the server sealed through the Alibaba API, which decrypt-data accepts
    blob = tea_client(backend).encrypt(am.EncryptRequest(key_id=kid, plaintext="opened locally")).body.ciphertext_blob
    assert open_blob(ali_spec, material, blob, None)[1] == b"opened locally"
    assert decrypt(hw_kms, blob) == "opened locally"


@pytest.mark.parametrize("spec,size,algorithm,pipeline", [
    ("AES_256", 32, "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_1"),
    ("AES_256", 32, "RSAES_PKCS1_V1_5", "RSAES_PKCS1_V1_5"),
    ("SM4", 16, "SM2_ENCRYPT", "SM2PKE"),
])
def test_import_with_the_other_wrapping_algorithms(server, hw, spec, size, algorithm, pipeline):
    """Older clients' wrappings and SM2_ENCRYPT, each made with the openssl command line."""
    kid = external_key(hw, spec)
    p = h.get_params(hw, kid, algorithm)
    material = os.urandom(size)
    h.import_material(hw, kid, p.import_token, wrap_symmetric(p.public_key, pipeline, material))
    assert describe(hw, kid)["key_state"] == "2"
    blob = tea_client(server).encrypt(am.EncryptRequest(key_id=kid, plaintext="wrapped")).body.ciphertext_blob
    assert open_blob("Aliyun_SM4" if spec == "SM4" else "Aliyun_AES_256", material, blob, None)[1] == b"wrapped"


def test_expiration_delete_and_reimport(hw_kms):
    kid = external_key(hw_kms, "AES_256")
    material = os.urandom(32)
    expire = int(time.time()) + 3600
    h.import_symmetric(hw_kms, kid, material, expiration_time=expire)
    d = describe(hw_kms, kid)
    assert d["key_state"] == "2" and d["expiration_time"] == str(expire * 1000), d
    ct = encrypt(hw_kms, kid, "survives re-import")

    r = delete_material(hw_kms, kid)
    assert r.status_code == 200
    d = describe(hw_kms, kid)
    assert d["key_state"] == "5" and d.get("expiration_time", "") == "", d
    with pytest.raises(ClientRequestException) as info:
        decrypt(hw_kms, ct)
    assert info.value.status_code == 400, info.value
    expect_hw_error(lambda: delete_material(hw_kms, kid), "KMS.2701")
    expect_hw_error(lambda: h.import_symmetric(hw_kms, kid, os.urandom(32)), "KMS.2606")
    h.import_symmetric(hw_kms, kid, material)
    assert describe(hw_kms, kid)["key_state"] == "2"
    assert decrypt(hw_kms, ct) == "survives re-import"


def test_expiration_as_numeric_string(backend, hw_kms):
    kid = external_key(hw_kms, "AES_256")
    p = h.get_params(hw_kms, kid)
    expire = int(time.time()) + 7200
    r = h.hw_raw(backend, "POST", "/v1.0/{project_id}/kms/import-key-material",
                 {"key_id": kid, "import_token": p.import_token,
                  "encrypted_key_material": h.oaep_wrap(p.public_key, os.urandom(32)), "expiration_time": str(expire)})
    assert r.status == 200 and json.loads(r.body) == {}, r.body[:300]
    assert describe(hw_kms, kid)["expiration_time"] == str(expire * 1000)


def test_material_expires(hw):
    kid = external_key(hw, "AES_256")
    h.import_symmetric(hw, kid, os.urandom(32), expiration_time=int(time.time()) + 2)
    assert describe(hw, kid)["key_state"] == "2"
    time.sleep(3.2)
    d = describe(hw, kid)
    assert d["key_state"] == "5", d
    with pytest.raises(ClientRequestException) as info:
        encrypt(hw, kid, "too late")
    assert info.value.status_code == 400, info.value


# --------------------------------------------------------------------------
# asymmetric private keys
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072", "EC_P256", "EC_P384"])
def test_import_private_key(hw_kms, spec):
    kid = external_key(hw_kms, spec, "SIGN_VERIFY")
    private_key = h.new_private_key(spec)
    resp = h.import_private(hw_kms, kid, h.pkcs8_der(private_key), temp=os.urandom(16 if spec == "EC_P256" else 32))
    assert resp.status_code == 200
    d = describe(hw_kms, kid)
    assert d["key_state"] == "2" and d["origin"] == "external", d
    prove_signing(hw_kms, kid, spec, private_key)
    expect_hw_error(lambda: delete_material(hw_kms, kid), "KMS.2702")
    assert describe(hw_kms, kid)["key_state"] == "2"


def test_import_rsa_for_encryption(hw):
    kid = external_key(hw, "RSA_2048", "ENCRYPT_DECRYPT")
    private_key = h.new_private_key("RSA_2048")
    h.import_private(hw, kid, h.pkcs8_der(private_key))
    out = wire(hw.encrypt_data(EncryptDataRequest(body=EncryptDataRequestBody(
        key_id=kid, plain_text="for my eyes", encryption_algorithm="RSAES_OAEP_SHA_256"))))
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    plain = private_key.decrypt(unb64(out["cipher_text"]), padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                                        algorithm=hashes.SHA256(), label=None))
    assert plain == b"for my eyes"


# --------------------------------------------------------------------------
# the documentation's openssl recipe, literally (HUAWEI.md §3.5)
# --------------------------------------------------------------------------

RECIPE_SYMMETRIC = """
echo -n "$PUBLIC_KEY_B64" > PublicKey.b64
openssl enc -d -base64 -A -in PublicKey.b64 -out PublicKey.bin
openssl rand -out PlaintextKeyMaterial.bin 32
openssl pkeyutl -encrypt -pubin -keyform der -inkey PublicKey.bin \\
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \\
    -in PlaintextKeyMaterial.bin -out EncryptedKeyMaterial.bin
base64 -w0 EncryptedKeyMaterial.bin > encrypted_key_material.txt
"""

RECIPE_ASYMMETRIC = """
echo -n "$PUBLIC_KEY_B64" > PublicKey.b64
openssl enc -d -base64 -A -in PublicKey.b64 -out PublicKey.bin
openssl rand -out 0xPlaintextKeyMaterial.bin -hex 32
xxd -r -ps 0xPlaintextKeyMaterial.bin > PlaintextKeyMaterial.bin
openssl pkeyutl -encrypt -pubin -keyform der -inkey PublicKey.bin \\
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \\
    -in PlaintextKeyMaterial.bin -out EncryptedKeyMaterial.bin
{genkey}
openssl pkcs8 -topk8 -inform PEM -outform DER -in pkcs1_rsa_private_key.pem -out rsa_private_key.der -nocrypt
openssl enc -id-aes256-wrap-pad -K "$(cat 0xPlaintextKeyMaterial.bin)" -iv A65959A6 \\
    -in rsa_private_key.der -out out_rsa_private_key.der
base64 -w0 EncryptedKeyMaterial.bin > encrypted_key_material.txt
base64 -w0 out_rsa_private_key.der > encrypted_privatekey.txt
openssl enc -d -id-aes256-wrap-pad -K "$(cat 0xPlaintextKeyMaterial.bin)" -iv A65959A6 -in out_rsa_private_key.der \\
    | cmp - rsa_private_key.der
"""


def _recipe(script: str, public_key_b64: str, s: Scratch) -> None:
    from byok_support import sh

    s.write("run.sh", script.encode())
    env_script = f"export PUBLIC_KEY_B64='{public_key_b64}'\nsource ./run.sh\n"
    sh(env_script, s.dir)


def test_openssl_recipe_symmetric(server, hw):
    kid = external_key(hw, "AES_256")
    p = h.get_params(hw, kid)
    with Scratch() as s:
        _recipe(RECIPE_SYMMETRIC, p.public_key, s)
        material = s.read("PlaintextKeyMaterial.bin")
        ekm = s.read("encrypted_key_material.txt").decode()
    assert len(ekm) == 344
    h.import_material(hw, kid, p.import_token, ekm)
    assert describe(hw, kid)["key_state"] == "2"
    assert decrypt(hw, encrypt(hw, kid, "recipe")) == "recipe"
    blob = tea_client(server).encrypt(am.EncryptRequest(key_id=kid, plaintext="alibaba view")).body.ciphertext_blob
    assert open_blob("Aliyun_AES_256", material, blob, None)[1] == b"alibaba view"


@pytest.mark.parametrize("spec,genkey", [
    ("RSA_2048", "openssl genrsa -out pkcs1_rsa_private_key.pem 2048"),
    ("EC_P256", "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out pkcs1_rsa_private_key.pem"),
])
def test_openssl_recipe_asymmetric(hw, spec, genkey):
    kid = external_key(hw, spec, "SIGN_VERIFY")
    p = h.get_params(hw, kid)
    with Scratch() as s:
        _recipe(RECIPE_ASYMMETRIC.format(genkey=genkey), p.public_key, s)
        ekm = s.read("encrypted_key_material.txt").decode()
        epk = s.read("encrypted_privatekey.txt").decode()
        der = s.read("rsa_private_key.der")
        private_key = serialization.load_der_private_key(der, None)
        temp = s.read("PlaintextKeyMaterial.bin")
    assert len(temp) == 32 and len(ekm) == 344 and len(epk) >= 200, (len(temp), len(ekm), len(epk))
    # OpenSSL's `-iv A65959A6` output is plain RFC 5649, byte-identical to cryptography's
    assert unb64(epk) == aes_key_wrap_with_padding(temp, der)
    h.import_material(hw, kid, p.import_token, ekm, encrypted_privatekey=epk)
    assert describe(hw, kid)["key_state"] == "2"
    prove_signing(hw, kid, spec, private_key)


# --------------------------------------------------------------------------
# every import error code
# --------------------------------------------------------------------------


def test_import_error_codes_symmetric(hw):
    # KMS.0309: not an external key
    kms_key = create_key(hw)
    expect_hw_error(lambda: h.get_params(hw, kms_key), "KMS.0309")
    kid = external_key(hw, "AES_256")
    p = h.get_params(hw, kid)
    expect_hw_error(lambda: h.import_material(hw, kms_key, p.import_token, h.oaep_wrap(p.public_key, os.urandom(32))),
                    "KMS.0309")
    # KMS.2603: the token names another key
    other = external_key(hw, "AES_256")
    expect_hw_error(lambda: h.import_material(hw, other, p.import_token, h.oaep_wrap(p.public_key, os.urandom(32))),
                    "KMS.2603")
    # KMS.2605: a forged token
    expect_hw_error(lambda: h.import_material(hw, kid, corrupt_b64(p.import_token),
                                              h.oaep_wrap(p.public_key, os.urandom(32))), "KMS.2605")
    # KMS.0311: the RSA ciphertext does not decrypt
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, b64(os.urandom(256))), "KMS.0311")
    # KMS.2604: material of the wrong size
    for size in (16, 31, 33):
        expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, h.oaep_wrap(p.public_key, os.urandom(size))),
                        "KMS.2604")
    # KMS.2602: expiration not in the future
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, h.oaep_wrap(p.public_key, os.urandom(32)),
                                              expiration_time=int(time.time()) - 60), "KMS.2602")
    # KMS.0310: not pending import any more
    h.import_material(hw, kid, p.import_token, h.oaep_wrap(p.public_key, os.urandom(32)))
    expect_hw_error(lambda: h.get_params(hw, kid), "KMS.0310")
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, h.oaep_wrap(p.public_key, os.urandom(32))),
                    "KMS.0310")
    # KMS.2701: nothing to delete
    expect_hw_error(lambda: delete_material(hw, other), "KMS.2701")
    # KMS.2606 is in test_expiration_delete_and_reimport
    # KMS.0341: HMAC keys cannot be imported (refused at create-key)
    expect_hw_error(lambda: create_key(hw, "HMAC_256", origin="external"), "KMS.0341")


def test_import_error_codes_asymmetric(hw):
    kid = external_key(hw, "EC_P384", "SIGN_VERIFY")
    p = h.get_params(hw, kid)
    temp = os.urandom(32)
    ekm = h.oaep_wrap(p.public_key, temp)
    good = h.pkcs8_der(h.new_private_key("EC_P384"))
    # KMS.2608: no encrypted_privatekey
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, ekm), "KMS.2608")
    # KMS.2609: a key of another curve, garbage under a valid wrap, a wrap under another key
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, ekm, encrypted_privatekey=h.kwp_wrap(
        temp, h.pkcs8_der(h.new_private_key("EC_P256")))), "KMS.2609")
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, ekm,
                                              encrypted_privatekey=h.kwp_wrap(temp, os.urandom(180))), "KMS.2609")
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, ekm,
                                              encrypted_privatekey=h.kwp_wrap(os.urandom(32), good)), "KMS.2609")
    # KMS.2610: a temporary key that is neither 16 nor 32 bytes
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, h.oaep_wrap(p.public_key, os.urandom(24)),
                                              encrypted_privatekey=h.kwp_wrap(os.urandom(24), good)), "KMS.2610")
    # KMS.0325: asymmetric material has no expiry
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, ekm, encrypted_privatekey=h.kwp_wrap(temp, good),
                                              expiration_time=int(time.time()) + 3600), "KMS.0325")
    # KMS.0311 for the temporary key too
    expect_hw_error(lambda: h.import_material(hw, kid, p.import_token, b64(os.urandom(256)),
                                              encrypted_privatekey=h.kwp_wrap(temp, good)), "KMS.0311")
    assert describe(hw, kid)["key_state"] == "5"
    h.import_material(hw, kid, p.import_token, ekm, encrypted_privatekey=h.kwp_wrap(temp, good))
    # KMS.2702: asymmetric material cannot be deleted
    expect_hw_error(lambda: delete_material(hw, kid), "KMS.2702")


def test_pending_import_key_is_not_usable(hw):
    kid = external_key(hw, "AES_256")
    with pytest.raises(ClientRequestException) as info:
        encrypt(hw, kid, "nothing yet")
    assert info.value.status_code == 400, info.value
