#!/usr/bin/env bash
# Benchmarks a release build on this machine: starts `keyward bench reference-server` (a minimal
# axum POST /encrypt doing the same AES-256-GCM work with no auth and no storage) and a dev KMS
# server (SQLite in a temp data dir), drives the reference and then the main KMS actions with
# `keyward bench`, and prints each action's throughput as a ratio to the reference measured in
# the same run (before and after the KMS actions; the ratio uses their mean), p50/p99 latency,
# errors, and the KMS server's idle and peak RSS (VmRSS/VmHWM from /proc). Last, it starts a
# `keyward agent` in front of the KMS server and drives its cache hits (GET /secretsmanager/get).
#
# Environment: BENCH_DURATION (per action, default 10s), BENCH_CONCURRENCY (default 32),
# BENCH_PAYLOAD_BYTES (default 32), BENCH_OUT (JSON reports, default target/bench).
# Needs Linux (/proc) and jq. Load generator and servers share the machine's cores, and anything
# else running skews req/s; the server CPU time per request (and its ratio to the reference's)
# is the steadier figure on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10s}
CONCURRENCY=${BENCH_CONCURRENCY:-32}
PAYLOAD=${BENCH_PAYLOAD_BYTES:-32}
OUT=${BENCH_OUT:-target/bench}
AK=LTAIkeywardBench000001
SK=keyward-bench-secret-0123456789abcdef

command -v jq >/dev/null || { echo "bench.sh needs jq" >&2; exit 1; }

echo "== cargo build --release -p keyward =="
cargo build --release -p keyward
BIN=target/release/keyward

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# start NAME PREFIX [READY_LINE] -- COMMAND…: runs COMMAND in the background, waits until its
# stdout has "PREFIX ADDR" (and READY_LINE), sets ADDR and PID.
start() {
    local name=$1 prefix=$2 ready=$3
    shift 4
    : >"$WORK/$name.out" # exists before the background job opens it
    "$@" >>"$WORK/$name.out" 2>"$WORK/$name.err" &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 600); do
        if ! kill -0 "$PID" 2>/dev/null; then
            echo "$name exited early:" >&2
            cat "$WORK/$name.out" "$WORK/$name.err" >&2
            exit 1
        fi
        ADDR=$(sed -n "s/^$prefix //p" "$WORK/$name.out" | head -n1)
        if [[ -n $ADDR && ( -z $ready || -n $(grep -x "$ready" "$WORK/$name.out" || true) ) ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "$name did not become ready" >&2
    exit 1
}

rss_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

start reference "listening http" "" -- "$BIN" bench reference-server --addr 127.0.0.1:0
REF_URL="http://$ADDR" REF_PID=$PID
KEYWARD_BOOTSTRAP_ACCESS_KEY_ID=$AK KEYWARD_BOOTSTRAP_ACCESS_KEY_SECRET=$SK KEYWARD_LOG=warn \
    start kms "keyward: listening http" "keyward: ready" -- \
    "$BIN" server --dev --data-dir "$WORK/data" --http-addr 127.0.0.1:0 --https-addr off
KMS_URL="http://$ADDR" KMS_PID=$PID
sleep 1
IDLE_RSS=$(rss_kb "$KMS_PID" VmRSS)
echo "reference server $REF_URL (pid $REF_PID), KMS server $KMS_URL (pid $KMS_PID, idle RSS ${IDLE_RSS} KiB)"
echo "duration $DURATION per action, concurrency $CONCURRENCY, payload $PAYLOAD bytes, $(nproc) CPUs," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$OUT"
rm -f "$OUT"/*.json
# run NAME ARGS…: one bench, report in $OUT/NAME.json, a one-line summary on stdout.
run() {
    local name=$1
    shift
    "$BIN" bench --duration "$DURATION" --concurrency "$CONCURRENCY" --payload-bytes "$PAYLOAD" \
        --output json "$@" >"$OUT/$name.json"
    jq -r --arg n "$name" \
        '"\($n): \(.requests_per_sec) req/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, errors \(.errors)"' \
        "$OUT/$name.json"
}
kms() {
    run "$@" --endpoint "$KMS_URL" --access-key-id "$AK" --access-key-secret "$SK" --server-pid "$KMS_PID"
}

echo "== runs =="
run reference-before --reference --endpoint "$REF_URL" --server-pid "$REF_PID"
kms Encrypt --action Encrypt
# The same Encrypt as a principal other than the account: its identity policy (allow kms:Encrypt
# on this one key, from loopback addresses) is evaluated on every request.
ADMIN=("$BIN" admin --data-dir "$WORK/data")
POLICY_KEY=$(ALIBABA_CLOUD_ACCESS_KEY_ID=$AK ALIBABA_CLOUD_ACCESS_KEY_SECRET=$SK \
    "$BIN" key create --endpoint "$KMS_URL" --output json | jq -r .KeyMetadata.KeyId)
"${ADMIN[@]}" principal create bench-app >/dev/null
"${ADMIN[@]}" policy create bench-encrypt --document "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",
  \"Action\":\"kms:Encrypt\",\"Resource\":\"acs:kms:*:*:key/$POLICY_KEY\",
  \"Condition\":{\"IpAddress\":{\"acs:SourceIp\":\"127.0.0.0/8\"}}}]}" >/dev/null
"${ADMIN[@]}" policy attach bench-encrypt --principal bench-app >/dev/null
APP_KEY=$("${ADMIN[@]}" access-key create --principal bench-app --output json)
run Encrypt-policy --action Encrypt --key-id "$POLICY_KEY" --endpoint "$KMS_URL" --server-pid "$KMS_PID" \
    --access-key-id "$(jq -r .AccessKeyId <<<"$APP_KEY")" --access-key-secret "$(jq -r .AccessKeySecret <<<"$APP_KEY")"
jq '.label = "Encrypt (policy-checked principal)"' "$OUT/Encrypt-policy.json" >"$OUT/tmp.json"
mv "$OUT/tmp.json" "$OUT/Encrypt-policy.json"
kms Decrypt --action Decrypt
kms GenerateDataKey --action GenerateDataKey
kms AsymmetricSign-RSA_2048 --action AsymmetricSign --key-spec RSA_2048
kms AsymmetricSign-EC_P256 --action AsymmetricSign --key-spec EC_P256
kms GetPublicKey --action GetPublicKey
kms DescribeKey --action DescribeKey
kms GetSecretValue --action GetSecretValue
kms GetParametersForImport --action GetParametersForImport
kms ImportKeyMaterial --action ImportKeyMaterial
# Last: it grows the key table, which would weigh on the runs after it.
kms CreateKey --action CreateKey
run reference-after --reference --endpoint "$REF_URL" --server-pid "$REF_PID"

# The secrets agent in front of the KMS server: cache hits (TTL 300 s, so every timed request hits).
TOKEN=keyward-bench-agent-token
cat >"$WORK/agent.toml" <<TOML
[Server]
HttpPort = 0
[Kms]
Endpoint = "$KMS_URL"
TOML
KMS_TOKEN=$TOKEN ALIBABA_CLOUD_ACCESS_KEY_ID=$AK ALIBABA_CLOUD_ACCESS_KEY_SECRET=$SK KEYWARD_LOG=warn \
    start agent "keyward-agent: listening http" "keyward-agent: ready" -- "$BIN" agent --config "$WORK/agent.toml"
AGENT_URL="http://$ADDR" AGENT_PID=$PID
run AgentGetSecretValue --action GetSecretValue --endpoint "$KMS_URL" --access-key-id "$AK" \
    --access-key-secret "$SK" --agent-url "$AGENT_URL" --agent-token "$TOKEN" --server-pid "$AGENT_PID"
AGENT_PEAK=$(rss_kb "$AGENT_PID" VmHWM)

PEAK_RSS=$(rss_kb "$KMS_PID" VmHWM)
END_RSS=$(rss_kb "$KMS_PID" VmRSS)
REF_PEAK=$(rss_kb "$REF_PID" VmHWM)
NAMES=(Encrypt Encrypt-policy Decrypt GenerateDataKey AsymmetricSign-RSA_2048 AsymmetricSign-EC_P256 GetPublicKey DescribeKey
    GetSecretValue GetParametersForImport ImportKeyMaterial CreateKey AgentGetSecretValue)
FILES=("$OUT/reference-before.json" "$OUT/reference-after.json")
for n in "${NAMES[@]}"; do FILES+=("$OUT/$n.json"); done

jq -s --argjson idle "$IDLE_RSS" --argjson peak "$PEAK_RSS" --argjson endrss "$END_RSS" --argjson refpeak "$REF_PEAK" \
    --argjson agentpeak "$AGENT_PEAK" \
    --arg duration "$DURATION" --argjson concurrency "$CONCURRENCY" --argjson cpus "$(nproc)" '
    (((.[0].requests_per_sec + .[1].requests_per_sec) / 2)) as $ref
    | (((.[0].cpu.server.us_per_request + .[1].cpu.server.us_per_request) / 2)) as $refcpu
    | {
        duration: $duration, concurrency: $concurrency, cpus: $cpus,
        reference: { before: .[0].requests_per_sec, after: .[1].requests_per_sec, mean: $ref,
                     p50_ms: .[0].latency_ms.p50, p99_ms: .[0].latency_ms.p99, peak_rss_kb: $refpeak,
                     server_cpu_us: $refcpu },
        actions: [ .[2:][] | { action: (.label // (.action + (if .key_spec then " " + .key_spec else "" end))),
                               requests_per_sec, ratio: (if $ref > 0 then (.requests_per_sec / $ref) else null end),
                               p50_ms: .latency_ms.p50, p99_ms: .latency_ms.p99, max_ms: .latency_ms.max,
                               server_cpu_us: .cpu.server.us_per_request,
                               cpu_ratio: (if (.cpu.server.us_per_request // 0) > 0
                                           then $refcpu / .cpu.server.us_per_request else null end),
                               errors, error_codes: [ .error_codes[].code ] } ],
        kms_server: { idle_rss_kb: $idle, rss_after_kb: $endrss, peak_rss_kb: $peak },
        agent: { peak_rss_kb: $agentpeak }
      }' "${FILES[@]}" >"$OUT/summary.json"

echo
echo "== summary =="
echo "ratio: req/s over the mean reference req/s. srv us/req: server CPU time per request;"
echo "cpu ratio: reference us/req over it (steadier than req/s when other work shares the CPUs)."
jq -r '
    def r1: (. * 10 | round) / 10;
    def r4: if . == null then "-" else (. * 10000 | round) / 10000 end;
    (["action", "req/s", "ratio", "p50 ms", "p99 ms", "srv us/req", "cpu ratio", "errors"] | @tsv),
    (["reference (axum AES-GCM)", (.reference.mean | r1), 1, .reference.p50_ms, .reference.p99_ms,
      (.reference.server_cpu_us | r1), 1, 0] | @tsv),
    (.actions[] | [.action, (.requests_per_sec | r1), (.ratio | r4), .p50_ms, .p99_ms, (.server_cpu_us // "-"),
                   (.cpu_ratio | r4), (if .errors > 0 then "\(.errors) \(.error_codes | join(","))" else 0 end)]
                | @tsv)
    ' "$OUT/summary.json" | column -t -s $'\t'
jq -r '"reference req/s before/after: \(.reference.before) / \(.reference.after)",
       "KMS server RSS: idle \(.kms_server.idle_rss_kb / 1024 | . * 10 | round / 10) MiB at start, \(.kms_server.rss_after_kb / 1024 | . * 10 | round / 10) MiB at the end, peak \(.kms_server.peak_rss_kb / 1024 | . * 10 | round / 10) MiB (VmHWM)",
       "reference server peak RSS: \(.reference.peak_rss_kb / 1024 | . * 10 | round / 10) MiB",
       "agent peak RSS: \(.agent.peak_rss_kb / 1024 | . * 10 | round / 10) MiB (the Agent row: CPU and RSS are the agent'"'"'s)"' "$OUT/summary.json"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews req/s)"
echo "reports: $OUT/*.json"
