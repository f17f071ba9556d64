#!/usr/bin/env bash
# run.sh measures the insert rate and search latency of the embedded index
# (HNSW) and of Weaviate classes on a 1-node and a 3-node cluster
# (scripts/weaviate-cluster.sh; replication factor 3 on 3 nodes, QUORUM),
# on the same N clustered unit vectors of DIM dimensions and the same
# queries, one run each, and prints a Markdown table. Stops any running
# cluster of scripts/weaviate-cluster.sh.
#
# Usage, from anywhere in the repository:
#
#	bench/stores/run.sh
#	N=20000 DIM=64 bench/stores/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-100000}
DIM=${DIM:-128}
QUERIES=${QUERIES:-1000}
work=$(mktemp -d "${TMPDIR:-/tmp}/stores.XXXXXX")
trap '"$root/scripts/weaviate-cluster.sh" stop; rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/stores" ./bench/stores)
echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine:  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs"
echo "commit:   $(git -C "$root" rev-parse --short HEAD)"
echo "settings: N=$N DIM=$DIM QUERIES=$QUERIES, batches of 500, k 10, one client"
echo
results="$work/results.jsonl"
"$work/stores" -store "$work/idx" -n "$N" -dim "$DIM" -queries "$QUERIES" | tee -a "$results" >&2
"$root/scripts/weaviate-cluster.sh" start 1 >&2
"$work/stores" -store "weaviate://127.0.0.1:8081/Bench1" -n "$N" -dim "$DIM" -queries "$QUERIES" | tee -a "$results" >&2
"$root/scripts/weaviate-cluster.sh" start 3 >&2
"$work/stores" -store "weaviate://127.0.0.1:8081/Bench3" -replicas 3 -shards 3 -n "$N" -dim "$DIM" -queries "$QUERIES" | tee -a "$results" >&2
python3 - "$results" <<'PY'
import json, sys
print("| store | inserts/s | search p50 ms | p99 ms | searches/s |")
print("|---|---:|---:|---:|---:|")
for l in open(sys.argv[1]):
    r = json.loads(l)
    name = "embedded HNSW (M 16)" if r["store"] == "embedded-hnsw" else f"Weaviate, {r['replicas']} replica(s), {r['shards']} shard(s)"
    print(f"| {name} | {r['insert_per_sec']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['search_qps']:.0f} |")
PY
