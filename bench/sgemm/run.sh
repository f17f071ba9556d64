#!/usr/bin/env bash
# run.sh compares lookalike's SGEMM (kernels.Sgemm, bench/sgemm/main.go)
# with OpenBLAS's cblas_sgemm (bench/sgemm/openblas/openblas.c) on a square
# float32 product, and, on CPUs with AVX512-BF16, lookalike's bfloat16
# product (kernels.SgemmBF16) with PyTorch's bfloat16 matmul
# (bench/sgemm/torch_matmul.py), with 1 and 2 threads, and prints a
# Markdown table of the medians against the machine's measured peaks
# (bench/sgemm/peak/peak.c).
#
# Usage, from anywhere in the repository:
#
#	bench/sgemm/run.sh
#	RUNS=3 SIZE=512 bench/sgemm/run.sh
#
# Environment (defaults in brackets):
#
#	SIZE         m = n = k of C = A*B [1024]
#	RUNS         runs of each engine and thread count; medians shown [5]
#	THREADS      thread counts to measure [1 2]
#	MIN_SECONDS  each run repeats the product for at least this long [2]
#	CORETYPES    OpenBLAS kernels to measure: "default" is what OpenBLAS
#	             picks by itself (OPENBLAS_CORETYPE unset), any other word is
#	             passed as OPENBLAS_CORETYPE; empty: no OpenBLAS ["default SkylakeX"]
#	OPENBLAS_DIR the OpenBLAS build to link [/usr/lib/x86_64-linux-gnu/openblas-pthread]
#	BF16         1 to measure the bfloat16 products, 0 not to [1 where the
#	             CPU has avx512_bf16]
#	PYTHON       Python with torch, for the bfloat16 reference
#	             [/usr/bin/python3, Debian's python3-torch]
#
# Needs gcc and Debian's libopenblas-dev (apt-get install -y libopenblas-dev).
# Installing it switches the libblas.so.3 alternative to OpenBLAS for every
# program (numpy, torch); openblas.c does not need that, it links OpenBLAS
# by path (rpath), so the alternative may be set back with
#	update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/blas/libblas.so.3
#
# Threads: lookalike runs with GOMAXPROCS=T, OpenBLAS with
# OPENBLAS_NUM_THREADS=T. Each result has two rates: GFLOP per second of
# wall time, and GFLOP per CPU-second of the process (all threads
# together), which on a machine shared with other jobs varies much less.
# The engines run alternately, the order rotating from run to run. The raw
# JSON lines go to stderr.
set -euo pipefail

SIZE=${SIZE:-1024}
RUNS=${RUNS:-5}
THREADS=${THREADS:-"1 2"}
MIN_SECONDS=${MIN_SECONDS:-2}
CORETYPES=${CORETYPES-"default SkylakeX"}
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-pthread}
OPENBLAS_INC=${OPENBLAS_INC:-/usr/include/x86_64-linux-gnu/$(basename "$OPENBLAS_DIR")}
PYTHON=${PYTHON:-/usr/bin/python3}
if [[ -z "${BF16:-}" ]]; then
	BF16=0
	if grep -q -w avx512_bf16 /proc/cpuinfo; then BF16=1; fi
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sgemm.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [[ -n "$CORETYPES" && ( ! -e "$OPENBLAS_DIR/libopenblas.so" || ! -e "$OPENBLAS_INC/cblas.h" ) ]]; then
	echo "run.sh: no OpenBLAS in $OPENBLAS_DIR (or no cblas.h in $OPENBLAS_INC):" >&2
	echo "        apt-get install -y libopenblas-dev" >&2
	exit 1
fi

echo "building" >&2
(cd "$root" && go build -o "$work/ours" ./bench/sgemm)
if [[ -n "$CORETYPES" ]]; then
	gcc -O2 -o "$work/openblas" "$root/bench/sgemm/openblas/openblas.c" -I"$OPENBLAS_INC" \
		-L"$OPENBLAS_DIR" -Wl,-rpath,"$OPENBLAS_DIR" -lopenblas
fi
gcc -O2 -o "$work/peak" "$root/bench/sgemm/peak/peak.c"

results="$work/results.jsonl"
: >"$results"
run() {
	local line
	line=$("$@")
	echo "$line" >&2
	echo "$line" >>"$results"
}

# The engines: ours, then one OpenBLAS per core type, then the bfloat16
# products.
engines=(ours)
for ct in $CORETYPES; do engines+=("openblas:$ct"); done
if ((BF16)); then engines+=(ours:bf16 torch:bf16); fi

# run_engine ENGINE THREADS
run_engine() {
	local e=$1 t=$2
	case $e in
	ours) run env GOMAXPROCS="$t" "$work/ours" -m "$SIZE" -n "$SIZE" -k "$SIZE" -min-seconds "$MIN_SECONDS" ;;
	ours:bf16)
		run env GOMAXPROCS="$t" "$work/ours" -precision bf16 -m "$SIZE" -n "$SIZE" -k "$SIZE" -min-seconds "$MIN_SECONDS" ;;
	torch:bf16)
		run "$PYTHON" "$root/bench/sgemm/torch_matmul.py" "$SIZE" "$SIZE" "$SIZE" "$MIN_SECONDS" "$t" bf16 ;;
	openblas:default)
		run env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS="$t" \
			"$work/openblas" "$SIZE" "$SIZE" "$SIZE" "$MIN_SECONDS" ;;
	openblas:*)
		run env OPENBLAS_CORETYPE="${e#openblas:}" OPENBLAS_NUM_THREADS="$t" \
			"$work/openblas" "$SIZE" "$SIZE" "$SIZE" "$MIN_SECONDS" ;;
	esac
}

commit=$(git -C "$root" rev-parse --short HEAD)
if dirty=$(git -C "$root" status --porcelain -- kernels) && [[ -n "$dirty" ]]; then
	commit+=" + uncommitted changes in $(echo "$dirty" | awk '{print $2}' | paste -sd' ' -)"
fi
echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs," \
	"cpuinfo MHz $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -sr)"
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) (before the runs)"
echo "commit:    $commit"
echo "lookalike: $("$work/ours" -info)"
[[ -z "$CORETYPES" ]] || echo "openblas:  $(dpkg-query -W -f '${Package} ${Version}' libopenblas0-pthread 2>/dev/null || echo "$OPENBLAS_DIR")," \
	"default core: $(env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 "$work/openblas" 64 64 64 0 |
		sed -n 's/.*"core":"\([^"]*\)".*/\1/p')"
if ((BF16)); then
	echo "pytorch:   $("$PYTHON" -c 'import torch; print("torch", torch.__version__, "mkldnn", torch.backends.mkldnn.is_available())')"
fi
echo "settings:  SIZE=$SIZE RUNS=$RUNS THREADS=\"$THREADS\" MIN_SECONDS=$MIN_SECONDS CORETYPES=\"$CORETYPES\" BF16=$BF16"
echo

run "$work/peak"
for r in $(seq "$RUNS"); do
	for t in $THREADS; do
		# Rotate the order of the engines from run to run.
		n=${#engines[@]}
		for i in $(seq 0 $((n - 1))); do
			run_engine "${engines[$(((i + r) % n))]}" "$t"
		done
	done
done
run "$work/peak"
echo "load avg after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

/usr/bin/python3 - "$results" "$(nproc)" <<'PY'
import collections, json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
ncpu = int(sys.argv[2])
peaks = [r for r in rows if r["engine"] == "peak"]
ghz = max(p["clock_ghz"] for p in peaks)
fma = max(p["fma_gflops_per_core"] for p in peaks)
bf16 = max(p.get("bf16_gflops_per_core", 0) for p in peaks)
# The peaks are measured, not assumed: cores differ in FMA units (two
# 512-bit on Xeons; Zen 4 runs one 512-bit FMA per cycle on 256-bit units).
print(f"Peak per core, measured: clock {ghz:.2f} GHz (dependent adds); AVX-512 FMA {fma:.0f} GFLOP/s "
      f"({fma / ghz:.0f} flops/cycle)" + (f"; VDPBF16PS {bf16:.0f} GFLOP/s ({bf16 / ghz:.0f} flops/cycle)" if bf16 else "") +
      f" (clocks {', '.join('%.2f' % p['clock_ghz'] for p in peaks)} GHz before/after). "
      f"Machine ({ncpu} cores): {ncpu * fma:.0f} GFLOP/s float32" + (f", {ncpu * bf16:.0f} bfloat16." if bf16 else "."))
print()

res = collections.defaultdict(list)
for r in rows:
    if r["engine"] == "peak":
        continue
    name = r["engine"]
    if name == "openblas":
        name = f"OpenBLAS ({r['core']})"
    elif name == "lookalike":
        name = f"lookalike ({r['kernels']})"
    elif name == "lookalike-bf16":
        name = f"lookalike bf16 ({r['kernels']})"
    else:
        name = f"PyTorch {r['torch']} bf16"
    res[(r["m"], r["threads"], name)].append(r)

def med(rs, key):
    return statistics.median(x[key] for x in rs)

def cell(rs, key):
    v = [x[key] for x in rs]
    return f"{statistics.median(v):.1f} ({min(v):.1f}–{max(v):.1f})"

sums = {r["checksum"] for r in rows if "checksum" in r}
print(f"SGEMM C = A*B, float32, row-major: median (min–max) of {len(next(iter(res.values())))} runs; "
      f"checksums {'all equal' if len(sums) == 1 else 'DIFFER: ' + str(sorted(sums))}")
print()
print("| size | threads | engine | GFLOP/s | GFLOP/CPU-s | % of peak (wall, threads x core peak) "
      "| % of peak (per CPU-s) | lookalike / this (wall) | lookalike / this (CPU) |")
print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
for (m, t) in sorted({(k[0], k[1]) for k in res}):
    for bf in (False, True):
        # float32 engines against lookalike's float32, bfloat16 ones against its bfloat16.
        names = sorted({k[2] for k in res if k[:2] == (m, t) and ("bf16" in k[2]) == bf},
                       key=lambda s: (not s.startswith("lookalike"), s))
        if not names:
            continue
        peak = bf16 if bf else fma
        ours = res[(m, t, names[0])]
        for name in names:
            rs = res[(m, t, name)]
            ratio_w = ratio_c = "—"
            if rs is not ours:
                ratio_w = f"{med(ours, 'gflops') / med(rs, 'gflops'):.2f}"
                ratio_c = f"{med(ours, 'gflops_per_cpu_sec') / med(rs, 'gflops_per_cpu_sec'):.2f}"
            print(f"| {m} | {t} | {name} | {cell(rs, 'gflops')} | {cell(rs, 'gflops_per_cpu_sec')} "
                  f"| {100 * med(rs, 'gflops') / (t * peak):.0f}% | {100 * med(rs, 'gflops_per_cpu_sec') / peak:.0f}% "
                  f"| {ratio_w} | {ratio_c} |")
PY
