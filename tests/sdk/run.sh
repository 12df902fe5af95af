#!/usr/bin/env bash
# SDK compatibility suite: drives the official Alibaba Cloud Python SDKs against a
# real keyward server process.
#
#   bash tests/sdk/run.sh [extra pytest args]
#
# Environment:
#   KEYWARD_BIN                 use this keyward binary instead of `cargo build -p keyward`
#   KEYWARD_TEST_POSTGRES_URL   postgres://user:pass@host:port/db of a role that may
#                               CREATE DATABASE; the lifecycle tests then also run
#                               against a PostgreSQL-backed server (skipped otherwise)
#   KEYWARD_SDK_VENV            venv location (default: target/sdk-venv)
#   PYTHON                      interpreter used to create the venv (default: python3)
set -euo pipefail

repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo_root"

req="tests/sdk/requirements.txt"
venv="${KEYWARD_SDK_VENV:-$repo_root/target/sdk-venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [[ ! -x "$venv/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    echo "sdk-tests: preparing Python venv at $venv" >&2
    if [[ ! -x "$venv/bin/python" ]]; then
        "${PYTHON:-python3}" -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
fi

if [[ -z "${KEYWARD_BIN:-}" ]]; then
    echo "sdk-tests: cargo build -p keyward" >&2
    cargo build --quiet -p keyward
    KEYWARD_BIN="$repo_root/target/debug/keyward"
fi
export KEYWARD_BIN

# Keep the source tree clean: no .pyc files, no .pytest_cache.
export PYTHONDONTWRITEBYTECODE=1

set +e
"$venv/bin/python" -m pytest tests/sdk -q "$@"
status=$?
set -e
exit "$status"
