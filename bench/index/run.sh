#!/usr/bin/env bash
# run.sh compares package index with FAISS (exact search) and hnswlib
# (HNSW) on two data sets and prints Markdown tables of the medians:
#
#   (a) the CIFAR-10 test-set embeddings of a trained model (the first 1,000
#       images are the queries, the other 9,000 the indexed vectors);
#   (b) SIZE random unit vectors of 128 dimensions drawn around 1,000 random
#       unit centres (gaussian, sigma 0.05 per coordinate, then normalised;
#       fixed seed), plus 1,000 held-out queries drawn the same way.
#
# Ground truth is exact search (FAISS, top 100 by inner product), computed
# once per data set and kept in WORK. Data sets are cached there too.
#
# Usage, from anywhere in the repository:
#
#	bench/index/run.sh
#	SIZE=100000 RUNS=1 bench/index/run.sh
#
# Environment (defaults in brackets):
#
#	SIZE        vectors of data set (b) [1000000]
#	MODEL       trained model directory for (a) [/tmp/demo1/model]; when it
#	            holds no model, a quick one is trained there first
#	            (lookalike train --epochs 2)
#	WORK        where data sets, results and binaries go [/tmp/lookalike-indexbench]
#	RUNS        runs of every query measurement per library [3]
#	BUILD_RUNS  HNSW builds per library for (b) [3, or 1 when SIZE > 200000];
#	            (a) always builds 3 times
#	EFS         ef values of the HNSW sweep [10,12,16,20,24,32,40,48,64,96,128,192,256,384,512]
#	MIN_SECONDS least duration of one measurement; queries repeat [0.5]
#	SETS        data sets to run, "cifar clustered" by default
#	PYTHON      Python with numpy, FAISS and hnswlib [/usr/bin/python3:
#	            Debian's python3-faiss 1.7.3 and python3-hnswlib 0.6.2]
#	PLOT        PNG of the recall/QPS curves of (b) [bench/index/recall_qps.png]
#
# Both libraries get 2 threads (GOMAXPROCS=2 for ours; omp_set_num_threads(2)
# for FAISS, num_threads=2 for hnswlib). The two run alternately, and which
# goes first alternates from run to run, so that a change in the machine's
# load hits both alike; only one works at a time. Progress and the raw
# numbers go to stderr; the tables are also written to WORK/report.md.
set -euo pipefail

SIZE=${SIZE:-1000000}
MODEL=${MODEL:-/tmp/demo1/model}
WORK=${WORK:-/tmp/lookalike-indexbench}
RUNS=${RUNS:-3}
if [ "$SIZE" -gt 200000 ]; then BUILD_RUNS=${BUILD_RUNS:-1}; else BUILD_RUNS=${BUILD_RUNS:-3}; fi
EFS=${EFS:-10,12,16,20,24,32,40,48,64,96,128,192,256,384,512}
MIN_SECONDS=${MIN_SECONDS:-0.5}
SETS=${SETS:-"cifar clustered"}
PYTHON=${PYTHON:-/usr/bin/python3}

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
PLOT=${PLOT:-$root/bench/index/recall_qps.png}
data=$(cd "$root/.." && pwd)/shared/datasets/cifar10
mkdir -p "$WORK"

export GOMAXPROCS=2
log() { echo "run.sh: $*" >&2; }
start=$(date +%s)

go build -o "$WORK/indexbench" ./bench/index/indexbench
ref="$PYTHON $root/bench/index/ref.py serve"
results=()

for set in $SETS; do
	case $set in
	cifar)
		if [ ! -f "$MODEL/model.json" ]; then
			log "no model in $MODEL: training a quick one (2 epochs)"
			go run ./cmd/lookalike train --data "$data/train" --epochs 2 --out "$MODEL"
		fi
		emb=$WORK/cifar10-test.npy
		if [ ! -f "$emb" ] || [ "$MODEL/model.safetensors" -nt "$emb" ]; then
			go run ./cmd/lookalike embed --model "$MODEL" --data "$data/test" --out "$emb"
			rm -rf "$WORK/cifar10-test"
		fi
		if [ ! -f "$WORK/cifar10-test/gt.npy" ]; then
			"$PYTHON" bench/index/ref.py gen-split --emb "$emb" --out "$WORK/cifar10-test"
		fi
		log "data set (a): CIFAR-10 test embeddings of $MODEL"
		"$WORK/indexbench" run -data "$WORK/cifar10-test" -name cifar10-test -out "$WORK/cifar10-test.json" \
			-runs "$RUNS" -build-runs 3 -efs "$EFS" -min-seconds "$MIN_SECONDS" -ref "$ref"
		results+=("$WORK/cifar10-test.json")
		;;
	clustered)
		dir=$WORK/clustered-$SIZE
		if [ ! -f "$dir/gt.npy" ]; then
			log "generating data set (b): $SIZE clustered unit vectors"
			"$PYTHON" bench/index/ref.py gen-clustered --n "$SIZE" --out "$dir"
		fi
		log "data set (b): $SIZE clustered unit vectors"
		"$WORK/indexbench" run -data "$dir" -name "clustered-$SIZE" -out "$dir.json" \
			-runs "$RUNS" -build-runs "$BUILD_RUNS" -efs "$EFS" -min-seconds "$MIN_SECONDS" -ref "$ref"
		results+=("$dir.json")
		;;
	*)
		log "unknown data set $set: want cifar or clustered"
		exit 2
		;;
	esac
done

plotArgs=()
case " $SETS " in *" clustered "*) plotArgs=(-plot "$PLOT" -plot-name "clustered-$SIZE") ;; esac
"$WORK/indexbench" report -md "$WORK/report.md" "${plotArgs[@]}" "${results[@]}"
cat "$WORK/report.md"
log "done in $(($(date +%s) - start)) s; tables in $WORK/report.md${plotArgs:+, plot in $PLOT}"
