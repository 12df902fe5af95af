#!/usr/bin/env bash
# Regenerates the BYOK known-answer vectors with the openssl CLI only (no keyward code), so they
# check our unwrapping against an independent implementation. Run from this directory; every run
# makes new random keys, so regenerate all files together. OpenSSL 3.0 or later.
set -euo pipefail
cd "$(dirname "$0")"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

p8() { openssl pkcs8 -topk8 -nocrypt -outform DER -in "$1" -out "$2"; }
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
pad64() { printf '%64s' "$1" | tr ' ' 0; }

# Wrapping keys (PKCS#8 DER) and their public keys.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$t/rsa.pem" 2>/dev/null
p8 "$t/rsa.pem" rsa_wrapping_key.p8.der
openssl pkey -in "$t/rsa.pem" -pubout -outform DER -out "$t/rsa_pub.der"
openssl genpkey -algorithm SM2 -out "$t/sm2.pem" 2>/dev/null
p8 "$t/sm2.pem" sm2_wrapping_key.p8.der
openssl pkey -in "$t/sm2.pem" -pubout -outform DER -out "$t/sm2_pub.der"

# Symmetric material: a 32-byte AES key, under RSAES_OAEP_SHA_1 and under SM2PKE (GM/T 0009 DER).
openssl rand -out aes256.key 32
openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$t/rsa_pub.der" -in aes256.key -out rsaes_oaep_sha_1_aes256.bin \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1
openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$t/sm2_pub.der" -in aes256.key -out sm2pke_der_aes256.bin

# RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD of an EC_P256 key:
# OAEP-SHA256(MGF1-SHA256)(ephemeral AES key) || AES-256-ECB-PKCS7(PKCS#8).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$t/p256.pem" 2>/dev/null
p8 "$t/p256.pem" p256_target.p8.der
openssl rand -out "$t/aes.key" 32
openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$t/rsa_pub.der" -in "$t/aes.key" -out "$t/c1" \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
openssl enc -aes-256-ecb -K "$(hex "$t/aes.key")" -in p256_target.p8.der -out "$t/c2"
cat "$t/c1" "$t/c2" > rsaes_oaep_sha_256_aes_256_ecb_pkcs7_pad_p256.bin

# SM2PKE_SM4_ECB of an EC_SM2 key, in the documented 145-byte layout:
# raw C1C3C2 SM2 ciphertext of the SM4 key (04 || x || y || C3 || C2, converted from OpenSSL's
# ASN.1 with asn1parse) || SM4-ECB-NoPadding(32-byte d).
openssl genpkey -algorithm SM2 -out "$t/sm2t.pem" 2>/dev/null
p8 "$t/sm2t.pem" sm2_target.p8.der
d=$(openssl pkey -in "$t/sm2t.pem" -text -noout | awk '/^priv:/{f=1;next} /^pub:/{f=0} f' | tr -d ' :\n')
pad64 "$d" > sm2_target.d.hex
openssl rand -out "$t/sm4.key" 16
openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$t/sm2_pub.der" -in "$t/sm4.key" -out "$t/sm2.asn1"
fields=$(openssl asn1parse -inform DER -in "$t/sm2.asn1" | awk -F: 'NR>1 {print $NF}')
x=$(pad64 "$(echo "$fields" | sed -n 1p)"); y=$(pad64 "$(echo "$fields" | sed -n 2p)")
c3=$(echo "$fields" | sed -n 3p); c2=$(echo "$fields" | sed -n 4p)
printf '04%s%s%s%s' "${x: -64}" "${y: -64}" "$c3" "$c2" | xxd -r -p > "$t/sm2.raw"
xxd -r -p sm2_target.d.hex > "$t/d.bin"
openssl enc -sm4-ecb -nopad -K "$(hex "$t/sm4.key")" -in "$t/d.bin" -out "$t/ecb"
cat "$t/sm2.raw" "$t/ecb" > sm2pke_sm4_ecb_sm2.bin
test "$(wc -c < sm2pke_sm4_ecb_sm2.bin)" -eq 145
echo ok
