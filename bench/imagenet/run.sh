#!/usr/bin/env bash
# run.sh compares the inference of torchvision networks imported into
# lookalike (bench/imagenet) with torchvision itself (torch_infer.py) on
# batches of 224x224 images, both with THREADS threads, alternating, and
# prints the medians as a Markdown table. The weights are torchvision's
# random initialisation (seed 1): speed does not depend on their values.
#
# Usage, from anywhere in the repository:
#
#	bench/imagenet/run.sh
#	ARCHS=resnet50 RUNS=5 bench/imagenet/run.sh
#
# Environment (defaults in brackets): ARCHS [resnet50 mobilenet_v3_large],
# BATCH [32], BATCHES_<arch> timed batches per run [resnet50 3,
# mobilenet_v3_large 12], RUNS [3], THREADS [2], TORCH_MODES [fp32
# channels-last bf16] (torch at its defaults otherwise: spinning OpenMP
# threads), LOOKALIKE_MODES [fp32 bf16], PYTHON [/usr/bin/python3 with
# Debian's python3-torchvision].
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ARCHS=${ARCHS:-resnet50 mobilenet_v3_large}
BATCH=${BATCH:-32}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
TORCH_MODES=${TORCH_MODES:-fp32 channels-last bf16}
LOOKALIKE_MODES=${LOOKALIKE_MODES:-fp32 bf16}
PYTHON=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/imagenet.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/imagenet" ./bench/imagenet)

echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine:  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs"
echo "commit:   $(git -C "$root" rev-parse --short HEAD)"
echo "settings: BATCH=$BATCH RUNS=$RUNS THREADS=$THREADS"
echo

results="$work/results.jsonl"
for arch in $ARCHS; do
	var="BATCHES_${arch}"
	def=3
	[[ $arch == mobilenet* ]] && def=12
	batches=${!var:-$def}
	"$PYTHON" "$root/bench/imagenet/torch_infer.py" "$arch" fp32 1 1 "$THREADS" "$work/$arch.pth"
	for r in $(seq "$RUNS"); do
		lk() { for m in $LOOKALIKE_MODES; do "$work/imagenet" -arch "$arch" -weights "$work/$arch.pth" -precision "$m" -batch "$BATCH" -batches "$batches" -threads "$THREADS" | tee -a "$results" >&2; done; }
		tc() { for m in $TORCH_MODES; do "$PYTHON" "$root/bench/imagenet/torch_infer.py" "$arch" "$m" "$BATCH" "$batches" "$THREADS" | tee -a "$results" >&2; done; }
		if ((r % 2)); then lk; tc; else tc; lk; fi
	done
done

"$PYTHON" - "$results" <<'PY'
import collections, json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = collections.defaultdict(list)
for r in rows:
    by[(r["arch"], r["engine"], r["mode"])].append(r)
med = lambda rs, k: statistics.median(r[k] for r in rs)
print("| network | engine | setting | images/s | images per CPU-second |")
print("|---|---|---|---:|---:|")
for (arch, eng, mode), rs in sorted(by.items()):
    print(f"| {arch} | {eng} | {mode} | {med(rs, 'images_per_sec'):.1f} | {med(rs, 'images_per_cpu_sec'):.1f} |")
print()
for arch in sorted({a for a, _, _ in by}):
    best_t = max((med(rs, "images_per_sec"), m) for (a, e, m), rs in by.items() if a == arch and e == "torch")
    for (a, e, m), rs in sorted(by.items()):
        if a == arch and e == "lookalike":
            print(f"{arch}: lookalike {m} / torch's fastest ({best_t[1]}): {med(rs, 'images_per_sec') / best_t[0]:.2f}x;"
                  + "".join(f" / torch {tm}: {med(rs, 'images_per_sec') / med(trs, 'images_per_sec'):.2f}x"
                            for (ta, te, tm), trs in sorted(by.items()) if ta == arch and te == "torch"))
PY
