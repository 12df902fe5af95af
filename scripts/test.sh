#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, router, store conformance, full-process CLI tests)
# and the compatibility suite that drives the official Alibaba Python SDKs against a real server.
# PostgreSQL tests run too when KEYWARD_TEST_POSTGRES_URL is set (.ci/run sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (workspace) =="
cargo test --workspace --locked

echo "== official SDK compatibility suite =="
bash tests/sdk/run.sh
