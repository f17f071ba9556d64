#!/usr/bin/env bash
# train_vs_torch.sh compares the training and inference speed of the
# built-in models (keras-small, resnet-small) on the lookalike engine
# (bench/trainbench) with the same models in PyTorch (bench/torch_train.py),
# and prints Markdown tables of the medians.
#
# Usage, from anywhere in the repository:
#
#	bench/train_vs_torch.sh
#	MODELS=keras-small PAIRS="10" RUNS=5 bench/train_vs_torch.sh
#	MODELS=resnet-small RUNS=5 bench/train_vs_torch.sh
#
# Environment (defaults in brackets). <M> is a model's name in capitals with
# "_" for "-", as in PAIRS_RESNET_SMALL; a per-model variable wins over the
# plain one, which applies to every model:
#
#	MODELS         models to measure ["keras-small resnet-small"]
#	PAIRS_<M>, PAIRS
#	               pairs per batch to measure, a step runs 2*P images
#	               [keras-small: "10 64 256", resnet-small: "128"]
#	RUNS           runs of each engine per setting; the table shows medians [3]
#	STEPS_<M>_<P>, STEPS_<P>
#	               timed steps per run at P pairs, e.g. STEPS_10=500
#	               [keras-small 10: 1000, 64: 120, 256: 30, other P: 10000/P;
#	               resnet-small: 640/P; at least 5], sized for runs of about
#	               5-15 s on a 2-core Xeon (resnet-small takes 2-3 s a step
#	               at 128 pairs)
#	WARMUP_<M>, WARMUP
#	               untimed steps before the timed ones [keras-small:
#	               steps/20, at least 3; resnet-small: 1]
#	THREADS        threads for both engines: GOMAXPROCS and torch.set_num_threads [2]
#	EMBED_BATCH    batch size of the inference benchmark; 0 skips it [256]
#	EMBED_IMAGES_<M>, EMBED_IMAGES
#	               images embedded per inference run [keras-small: 40960,
#	               resnet-small: 2048]
#	PYTHON         Python with torch [/usr/bin/python3, Debian's python3-torch]
#	TORCH_MODES_<M>, TORCH_MODES
#	               torch settings to measure, each against lookalike: fp32,
#	               channels-last, bf16 (autocast) [fast: "fp32 channels-last
#	               bf16", others: fp32]
#	LOOKALIKE_MODES_<M>, LOOKALIKE_MODES
#	               lookalike precisions to measure, each against every torch
#	               setting: fp32, bf16 (bfloat16 products where the CPU has
#	               AVX512-BF16) [fast: "fp32 bf16", others: fp32]
#	TORCH_OMP_WAIT_POLICY
#	               OMP_WAIT_POLICY for the torch runs [unset: torch's default,
#	               spinning, its fastest on a quiet machine]. PASSIVE makes
#	               torch with 2 threads several times slower on small batches;
#	               it only helps when other processes share the cores, so it is
#	               not for headline figures.
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

MODELS=${MODELS:-"keras-small resnet-small"}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
EMBED_BATCH=${EMBED_BATCH:-256}
PYTHON=${PYTHON:-/usr/bin/python3}
OMP_POLICY=${TORCH_OMP_WAIT_POLICY-}

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/train_vs_torch.XXXXXX")
trap 'rm -rf "$work"' EXIT

# setting NAME MODEL DEFAULT prints the value of a per-model setting: the
# variable NAME_<M>, else NAME, else DEFAULT.
setting() {
	local m=${2^^}
	local var="$1_${m//-/_}"
	if [[ -n "${!var:-}" ]]; then
		echo "${!var}"
	elif [[ -n "${!1:-}" ]]; then
		echo "${!1}"
	else
		echo "$3"
	fi
}

# pairs_for MODEL prints the pair counts to measure.
pairs_for() {
	case $1 in
	resnet-small | fast) setting PAIRS "$1" 128 ;;
	*) setting PAIRS "$1" "10 64 256" ;;
	esac
}

# torch_modes_for MODEL prints the torch settings to measure.
torch_modes_for() {
	case $1 in
	fast) setting TORCH_MODES "$1" "fp32 channels-last bf16" ;;
	*) setting TORCH_MODES "$1" fp32 ;;
	esac
}

# lookalike_modes_for MODEL prints the lookalike precisions to measure.
lookalike_modes_for() {
	case $1 in
	fast) setting LOOKALIKE_MODES "$1" "fp32 bf16" ;;
	*) setting LOOKALIKE_MODES "$1" fp32 ;;
	esac
}

# steps_for MODEL P prints the number of timed steps for P pairs.
steps_for() {
	local m=${1^^} d
	local var="STEPS_${m//-/_}_$2"
	if [[ -n "${!var:-}" ]]; then
		echo "${!var}"
		return
	fi
	var="STEPS_$2"
	if [[ -n "${!var:-}" ]]; then
		echo "${!var}"
		return
	fi
	case $1:$2 in
	resnet-small:* | fast:*) d=$((640 / $2)) ;;
	*:10) d=1000 ;;
	*:64) d=120 ;;
	*:256) d=30 ;;
	*) d=$((10000 / $2)) ;;
	esac
	echo $((d > 5 ? d : 5))
}

# warmup_for MODEL STEPS prints the number of untimed steps.
warmup_for() {
	local w=$(($2 / 20))
	case $1 in
	resnet-small | fast) setting WARMUP "$1" 1 ;;
	*) setting WARMUP "$1" $((w > 3 ? w : 3)) ;;
	esac
}

# embed_images_for MODEL prints the number of images per inference run.
embed_images_for() {
	case $1 in
	resnet-small | fast) setting EMBED_IMAGES "$1" 2048 ;;
	*) setting EMBED_IMAGES "$1" 40960 ;;
	esac
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

# Each model's parameter count, which the torch twin must match.
tinfos=()
for model in $MODELS; do
	info=$(lookalike -model "$model" -info)
	nparams=$("$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])["num_params"])' "$info")
	tinfos+=("$(pytorch -model "$model" -info -expect-params "$nparams")")
done

commit=$(git -C "$root" rev-parse --short HEAD)
if dirty=$(git -C "$root" status --porcelain -- kernels nn loss optim tensor) && [[ -n "$dirty" ]]; then
	commit+=" + uncommitted changes in $(echo "$dirty" | awk '{print $2}' | paste -sd' ' -)"
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
flags=$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16|amx_tile' | paste -sd' ' - || true)
settings=""
for model in $MODELS; do
	settings+="$model: PAIRS=\"$(pairs_for "$model")\" EMBED_IMAGES=$(embed_images_for "$model"); "
done
"$PYTHON" - "$info" "${tinfos[@]}" <<EOF
import json, sys
l, ts = json.loads(sys.argv[1]), [json.loads(a) for a in sys.argv[2:]]
t = ts[0]
print("date:        $(date -u '+%Y-%m-%d %H:%M UTC')")
print("machine:     $cpu, $(nproc) CPUs ($flags), $(uname -sr)")
print("load avg:    $(cut -d' ' -f1-3 /proc/loadavg) (before the runs)")
print("commit:      $commit")
print(f"lookalike:   {l['go']}, kernels {l['kernels']}, bfloat16 products {l['bf16']}, GOMAXPROCS {l['gomaxprocs']}")
print(f"pytorch:     torch {t['torch']}, {t['threads']} threads ({t['interop_threads']} inter-op), mkldnn {t['mkldnn']}")
print(f"             {t['blas'].split(',')[0].strip()} (torch's build configuration)")
for t in ts:
    print(f"parameters:  {t['model']}: lookalike {t['expect_params']}, pytorch {t['num_params']}")
print("torch env:   OMP_WAIT_POLICY=${OMP_POLICY:-<unchanged>}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-<unset>} (removed for torch)")
EOF
echo "settings:    MODELS=\"$MODELS\" RUNS=$RUNS THREADS=$THREADS EMBED_BATCH=$EMBED_BATCH"
echo "             $settings"
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

# alternate ARGS... runs lookalike in each of $lmodes and torch in each of
# $modes RUNS times with ARGS, alternating which engine goes first.
alternate() {
	for r in $(seq "$RUNS"); do
		if ((r % 2)); then
			for mode in $lmodes; do run lookalike -precision "$mode" "$@"; done
			for mode in $modes; do run pytorch -mode "$mode" "$@"; done
		else
			for mode in $modes; do run pytorch -mode "$mode" "$@"; done
			for mode in $lmodes; do run lookalike -precision "$mode" "$@"; done
		fi
	done
}

for model in $MODELS; do
	modes=$(torch_modes_for "$model")
	lmodes=$(lookalike_modes_for "$model")
	for p in $(pairs_for "$model"); do
		steps=$(steps_for "$model" "$p")
		alternate -model "$model" -pairs "$p" -steps "$steps" -warmup "$(warmup_for "$model" "$steps")"
	done
	if ((EMBED_BATCH > 0)); then
		alternate -model "$model" -embed-batch "$EMBED_BATCH" -embed-images "$(embed_images_for "$model")"
	fi
done
echo "load avg after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

"$PYTHON" - "$results" <<'EOF'
import collections, json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
train = collections.defaultdict(list)
embed = collections.defaultdict(list)
order = {"keras-small": 0, "resnet-small": 1, "fast": 2}
for r in rows:
    m = r.get("model", "keras-small")
    if r.get("mode") == "embed":
        embed[(m, r["batch"], r["engine"])].append((r["images_per_sec"], r["images_per_cpu_sec"]))
    else:
        train[(m, r["pairs"], r["steps"], r["engine"])].append((r["pairs_per_sec"], r["pairs_per_cpu_sec"]))
engines = {k[-1] for k in list(train) + list(embed)}
ours = sorted(e for e in engines if e.startswith("lookalike"))
torches = sorted(e for e in engines if not e.startswith("lookalike"))

def key(k):
    return (order.get(k[0], 9), k)

def med(xs, i):
    return statistics.median(x[i] for x in xs)

def num(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"

def cell(xs, i):
    v = [x[i] for x in xs]
    return f"{num(statistics.median(v))} ({num(min(v))}–{num(max(v))})"

def ratio(a, b, i):
    return f"{med(a, i) / med(b, i):.2f}"

def runs(d):
    return len(next(iter(d.values())))

if train:
    print(f"Training, pairs/s: median (min–max) of {runs(train)} runs; wall clock, and per CPU-second of the process")
    print()
    print("| model | pairs/batch | steps/run | lookalike | torch setting | lookalike pairs/s | pytorch pairs/s | lookalike / pytorch "
          "| lookalike pairs/CPU-s | pytorch pairs/CPU-s | lookalike / pytorch (CPU) |")
    print("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for m, p, steps in sorted({k[:3] for k in train}, key=key):
        for o in ours:
            l = train.get((m, p, steps, o))
            for e in torches:
                t = train.get((m, p, steps, e))
                if l and t:
                    print(f"| {m} | {p} | {steps} | {o} | {e} | {cell(l, 0)} | {cell(t, 0)} | {ratio(l, t, 0)} "
                          f"| {cell(l, 1)} | {cell(t, 1)} | {ratio(l, t, 1)} |")
    print()
if embed:
    print(f"Inference (embedding), images/s: median (min–max) of {runs(embed)} runs; wall clock, and per CPU-second of the process")
    print()
    print("| model | batch | lookalike | torch setting | lookalike images/s | pytorch images/s | lookalike / pytorch "
          "| lookalike images/CPU-s | pytorch images/CPU-s | lookalike / pytorch (CPU) |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for m, b in sorted({k[:2] for k in embed}, key=key):
        for o in ours:
            l = embed.get((m, b, o))
            for e in torches:
                t = embed.get((m, b, e))
                if l and t:
                    print(f"| {m} | {b} | {o} | {e} | {cell(l, 0)} | {cell(t, 0)} | {ratio(l, t, 0)} "
                          f"| {cell(l, 1)} | {cell(t, 1)} | {ratio(l, t, 1)} |")
EOF
