#!/usr/bin/env bash
# train_vs_torch.sh compares the training and inference speed of keras-small
# on the lookalike engine (bench/trainbench) with the same model in PyTorch
# (bench/torch_train.py), and prints Markdown tables of the medians.
#
# Usage, from anywhere in the repository:
#
#	bench/train_vs_torch.sh
#	PAIRS="10" RUNS=5 bench/train_vs_torch.sh
#
# Environment (defaults in brackets):
#
#	PAIRS          pairs per batch to measure, a step runs 2*P images ["10 64 256"]
#	RUNS           runs of each engine per setting; the table shows medians [3]
#	STEPS_<P>      timed steps per run at P pairs, e.g. STEPS_10=500
#	               [10: 1000, 64: 120, 256: 30, other P: 10000/P, at least 5],
#	               sized for runs of about 5-15 s on a 2-core Xeon
#	WARMUP         untimed steps before the timed ones [steps/20, at least 3]
#	THREADS        threads for both engines: GOMAXPROCS and torch.set_num_threads [2]
#	EMBED_BATCH    batch size of the inference benchmark; 0 skips it [256]
#	EMBED_IMAGES   images embedded per inference run [40960]
#	PYTHON         Python with torch [/usr/bin/python3, Debian's python3-torch]
#	TORCH_OMP_WAIT_POLICY
#	               OMP_WAIT_POLICY for the torch runs [PASSIVE]; set it empty to
#	               leave the variable alone. libgomp's default, spinning, makes
#	               torch with 2 threads several times slower whenever other
#	               processes share the cores.
#
# Each cell shows two rates: wall clock (what a user waits for) and per
# CPU-second of the process, all threads together (the work each engine
# does; on a machine shared with other jobs it varies far less than wall
# clock, but it does not credit an engine for using both cores at once).
#
# The two engines run alternately, and which goes first alternates from run
# to run, so that a change in the machine's load hits both alike. The raw
# JSON lines go to stderr as they come.
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, if set, are removed from the
# environment of the torch runs only (and reported).
set -euo pipefail

PAIRS=${PAIRS:-"10 64 256"}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
EMBED_BATCH=${EMBED_BATCH:-256}
EMBED_IMAGES=${EMBED_IMAGES:-40960}
PYTHON=${PYTHON:-/usr/bin/python3}
OMP_POLICY=${TORCH_OMP_WAIT_POLICY-PASSIVE}

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/train_vs_torch.XXXXXX")
trap 'rm -rf "$work"' EXIT

# steps_for P prints the number of timed steps for P pairs.
steps_for() {
	local var="STEPS_$1"
	if [[ -n "${!var:-}" ]]; then
		echo "${!var}"
		return
	fi
	case $1 in
	10) echo 1000 ;;
	64) echo 120 ;;
	256) echo 30 ;;
	*) echo $((10000 / $1 > 5 ? 10000 / $1 : 5)) ;;
	esac
}

warmup_for() {
	if [[ -n "${WARMUP:-}" ]]; then
		echo "$WARMUP"
		return
	fi
	local w=$(($1 / 20))
	echo $((w > 3 ? w : 3))
}

# The torch runs' environment: no OpenBLAS tuning variables, and the OpenMP
# wait policy.
torch_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
if [[ -n "$OMP_POLICY" ]]; then
	torch_env+=("OMP_WAIT_POLICY=$OMP_POLICY")
fi

lookalike() { "$work/trainbench" -threads "$THREADS" "$@"; }
pytorch() { "${torch_env[@]}" "$PYTHON" "$root/bench/torch_train.py" -threads "$THREADS" "$@"; }

echo "building trainbench" >&2
(cd "$root" && go build -o "$work/trainbench" ./bench/trainbench)

info=$(lookalike -info)
nparams=$("$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])["num_params"])' "$info")
tinfo=$(pytorch -info -expect-params "$nparams")

commit=$(git -C "$root" rev-parse --short HEAD)
if dirty=$(git -C "$root" status --porcelain -- kernels nn loss optim tensor) && [[ -n "$dirty" ]]; then
	commit+=" + uncommitted changes in $(echo "$dirty" | awk '{print $2}' | paste -sd' ' -)"
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
flags=$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|fma|avx512f|avx512bw|avx512vl|amx_tile' | paste -sd' ' - || true)
"$PYTHON" - "$info" "$tinfo" <<EOF
import json, sys
l, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("date:        $(date -u '+%Y-%m-%d %H:%M UTC')")
print("machine:     $cpu, $(nproc) CPUs ($flags), $(uname -sr)")
print("load avg:    $(cut -d' ' -f1-3 /proc/loadavg) (before the runs)")
print("commit:      $commit")
print(f"lookalike:   {l['go']}, kernels {l['kernels']}, GOMAXPROCS {l['gomaxprocs']}, {l['num_params']} parameters")
print(f"pytorch:     torch {t['torch']}, {t['threads']} threads ({t['interop_threads']} inter-op), "
      f"{t['num_params']} parameters, mkldnn {t['mkldnn']}")
print(f"             {t['blas'].split(',')[0].strip()} (torch's build configuration)")
print("torch env:   OMP_WAIT_POLICY=${OMP_POLICY:-<unchanged>}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-<unset>} (removed for torch)")
print("settings:    PAIRS=\"$PAIRS\" RUNS=$RUNS THREADS=$THREADS EMBED_BATCH=$EMBED_BATCH EMBED_IMAGES=$EMBED_IMAGES")
EOF
echo

results="$work/results.jsonl"
: >"$results"

# run ENGINE ARGS... runs one benchmark, echoes its JSON line to stderr and
# appends it to the results.
run() {
	local line
	line=$("$@")
	echo "$line" >&2
	echo "$line" >>"$results"
}

for p in $PAIRS; do
	steps=$(steps_for "$p")
	warm=$(warmup_for "$steps")
	for r in $(seq "$RUNS"); do
		if ((r % 2)); then
			run lookalike -pairs "$p" -steps "$steps" -warmup "$warm"
			run pytorch -pairs "$p" -steps "$steps" -warmup "$warm"
		else
			run pytorch -pairs "$p" -steps "$steps" -warmup "$warm"
			run lookalike -pairs "$p" -steps "$steps" -warmup "$warm"
		fi
	done
done
if ((EMBED_BATCH > 0)); then
	for r in $(seq "$RUNS"); do
		if ((r % 2)); then
			run lookalike -embed-batch "$EMBED_BATCH" -embed-images "$EMBED_IMAGES"
			run pytorch -embed-batch "$EMBED_BATCH" -embed-images "$EMBED_IMAGES"
		else
			run pytorch -embed-batch "$EMBED_BATCH" -embed-images "$EMBED_IMAGES"
			run lookalike -embed-batch "$EMBED_BATCH" -embed-images "$EMBED_IMAGES"
		fi
	done
fi
echo "load avg after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

"$PYTHON" - "$results" <<'EOF'
import collections, json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
train = collections.defaultdict(list)
embed = collections.defaultdict(list)
for r in rows:
    if r.get("mode") == "embed":
        embed[(r["batch"], r["engine"])].append((r["images_per_sec"], r["images_per_cpu_sec"]))
    else:
        train[(r["pairs"], r["steps"], r["engine"])].append((r["pairs_per_sec"], r["pairs_per_cpu_sec"]))

def med(xs, i):
    return statistics.median(x[i] for x in xs)

def cell(xs, i):
    v = [x[i] for x in xs]
    return f"{statistics.median(v):,.0f} ({min(v):,.0f}–{max(v):,.0f})"

def ratio(a, b, i):
    return f"{med(a, i) / med(b, i):.2f}"

def runs(d):
    return len(next(iter(d.values())))

if train:
    print(f"Training, pairs/s: median (min–max) of {runs(train)} runs; wall clock, and per CPU-second of the process")
    print()
    print("| pairs/batch | steps/run | lookalike pairs/s | pytorch pairs/s | lookalike / pytorch "
          "| lookalike pairs/CPU-s | pytorch pairs/CPU-s | lookalike / pytorch (CPU) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p, steps in sorted({(k[0], k[1]) for k in train}):
        l, t = train[(p, steps, "lookalike")], train[(p, steps, "pytorch")]
        print(f"| {p} | {steps} | {cell(l, 0)} | {cell(t, 0)} | {ratio(l, t, 0)} "
              f"| {cell(l, 1)} | {cell(t, 1)} | {ratio(l, t, 1)} |")
    print()
if embed:
    print(f"Inference (embedding), images/s: median (min–max) of {runs(embed)} runs; wall clock, and per CPU-second of the process")
    print()
    print("| batch | lookalike images/s | pytorch images/s | lookalike / pytorch "
          "| lookalike images/CPU-s | pytorch images/CPU-s | lookalike / pytorch (CPU) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for b in sorted({k[0] for k in embed}):
        l, t = embed[(b, "lookalike")], embed[(b, "pytorch")]
        print(f"| {b} | {cell(l, 0)} | {cell(t, 0)} | {ratio(l, t, 0)} "
              f"| {cell(l, 1)} | {cell(t, 1)} | {ratio(l, t, 1)} |")
EOF
