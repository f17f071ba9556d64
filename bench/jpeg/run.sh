#!/usr/bin/env bash
# run.sh compares lookalike's decode-and-resize path (bench/jpegbench) with
# Pillow's draft + resize (bench/jpeg/pil_decode.py) on a folder of
# camera-sized JPEGs (bench/jpeg/gen.py makes one), both on PROCS cores,
# alternating, and prints the medians as a Markdown table.
#
# Usage, from anywhere in the repository:
#
#	bench/jpeg/run.sh                      # generates /tmp/lookalike-jpegs first
#	DIR=photos/ SIZE=128 RUNS=3 bench/jpeg/run.sh
#
# Environment (defaults in brackets): DIR the folder [/tmp/lookalike-jpegs,
# generated with N images if missing], N [1000], SIZE [128], PROCS [2],
# RUNS [3], PYTHON [/usr/bin/python3, with Debian's python3-pil], CIFAR
# (scenes for gen.py) [../shared/datasets/cifar10/train from the root].
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${DIR:-/tmp/lookalike-jpegs}
N=${N:-1000}
SIZE=${SIZE:-128}
PROCS=${PROCS:-2}
RUNS=${RUNS:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
export CIFAR=${CIFAR:-$root/../shared/datasets/cifar10/train}
work=$(mktemp -d "${TMPDIR:-/tmp}/jpeg.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [[ ! -d "$DIR" ]]; then
	echo "generating $N JPEGs in $DIR" >&2
	"$PYTHON" "$root/bench/jpeg/gen.py" "$DIR" "$N"
fi
(cd "$root" && go build -o "$work/jpegbench" ./bench/jpegbench)

echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine:  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs"
echo "commit:   $(git -C "$root" rev-parse --short HEAD)"
echo "folder:   $DIR: $(ls "$DIR" | wc -l) files, $(du -sh "$DIR" | cut -f1)"
echo "settings: SIZE=$SIZE PROCS=$PROCS RUNS=$RUNS"
echo

results="$work/results.jsonl"
for r in $(seq "$RUNS"); do
	# The page cache holds the folder after the first run of either.
	if ((r % 2)); then
		"$work/jpegbench" -dir "$DIR" -size "$SIZE" -workers "$PROCS" | tee -a "$results" >&2
		"$PYTHON" "$root/bench/jpeg/pil_decode.py" "$DIR" "$SIZE" "$PROCS" | tee -a "$results" >&2
	else
		"$PYTHON" "$root/bench/jpeg/pil_decode.py" "$DIR" "$SIZE" "$PROCS" | tee -a "$results" >&2
		"$work/jpegbench" -dir "$DIR" -size "$SIZE" -workers "$PROCS" | tee -a "$results" >&2
	fi
done

"$PYTHON" - "$results" <<'PY'
import collections, json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = collections.defaultdict(list)
for r in rows:
    by[r["engine"]].append(r)
med = lambda rs, k: statistics.median(r[k] for r in rs)
print(f"Decode to {rows[0]['size']}x{rows[0]['size']}, {rows[0]['procs']} processes: median of {len(by['lookalike'])} runs")
print()
print("| engine | images/s | images per CPU-second |")
print("|---|---:|---:|")
for e, rs in sorted(by.items()):
    print(f"| {e} | {med(rs, 'images_per_sec'):.1f} | {med(rs, 'images') / med(rs, 'cpu_seconds'):.1f} |")
l, p = by["lookalike"], by["pillow-draft"]
print()
print(f"lookalike / Pillow: {med(l, 'images_per_sec') / med(p, 'images_per_sec'):.2f} (wall), "
      f"{(med(l, 'images') / med(l, 'cpu_seconds')) / (med(p, 'images') / med(p, 'cpu_seconds')):.2f} (per CPU-second)")
PY
