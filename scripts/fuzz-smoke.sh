#!/usr/bin/env bash
# Runs every cargo-fuzz target briefly (FUZZ_SECONDS each, default 20): the ciphertext-blob
# decoder, the EncryptionContext canonicaliser, the request/signature parser and the RAM policy
# parser and evaluator. Installs cargo-fuzz when missing. libFuzzer's instrumentation flags need
# nightly features; the stable toolchain gets them through RUSTC_BOOTSTRAP=1 (for this fuzz build
# only).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${FUZZ_SECONDS:-20}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
for target in $(cargo fuzz list); do
  echo "== fuzz $target (${seconds}s) =="
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" 2>&1 | tail -n 2
done
