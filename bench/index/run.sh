#!/usr/bin/env bash
# run.sh compares package index with FAISS (exact search) and hnswlib
# (HNSW), ann-benchmarks style, on several data sets of different
# dimensions, metrics, sizes and kinds, and prints Markdown tables of the
# medians and draws each set's recall/QPS curves:
#
#   cifar-keras-8     CIFAR-10 (train + test, 60,000 images) embedded by the
#                     Keras example's model (MODEL): 8 dimensions, cosine
#   cifar-ssl-128     the same images embedded by a self-supervised model
#                     (MODEL128): 128 dimensions, cosine
#   cifar-pixels-784  the same images' raw pixels, greyscale 28x28 (as
#                     MNIST): 784 dimensions, L2
#   clustered-960-l2  100,000 vectors around 1,000 random unit centres
#                     (sigma 0.02 a coordinate; GIST's dimension): L2
#   uniform-20-l2     200,000 vectors uniform in the unit cube (as
#                     ann-benchmarks' random-xs-20-euclidean): L2
#   clustered         SIZE unit vectors of 128 dimensions around 1,000 unit
#                     centres (sigma 0.05): cosine
#
# Each set has 1,000 queries held out (spread over the file for the CIFAR
# sets). Ground truth is exact search (FAISS, top 100), computed once per
# data set and kept in WORK with the data.
#
# Usage, from anywhere in the repository:
#
#	bench/index/run.sh
#	SIZE=100000 RUNS=1 SETS="cifar-keras-8 uniform-20-l2" bench/index/run.sh
#
# Environment (defaults in brackets):
#
#	SIZE        vectors of the clustered set [1000000]
#	MODEL       Keras-example model for cifar-keras-8 [/tmp/demo1/model]; when
#	            it holds no model, a quick one is trained there (2 epochs)
#	MODEL128    128-d model for cifar-ssl-128 [/tmp/lookalike-ssl1]; when it
#	            holds no model, one is trained there (train --unlabelled
#	            --epochs 1)
#	WORK        where data sets, results and binaries go [/tmp/lookalike-indexbench]
#	RUNS        runs of every query measurement per library [3]
#	BUILD_RUNS  HNSW builds per library [3, or 1 for sets over 200,000]
#	EFS         ef values of the HNSW sweep [10,12,16,20,24,32,40,48,64,96,128,192,256,384,512]
#	MIN_SECONDS least duration of one measurement; queries repeat [0.5]
#	SETS        data sets to run [all six, in the order above]
#	PYTHON      Python with numpy, Pillow, FAISS and hnswlib [/usr/bin/python3:
#	            Debian's python3-faiss 1.7.3 and python3-hnswlib 0.6.2]
#	PLOTS       directory of the recall/QPS curves [bench/index]
#	INT8        1: also time our exact search through int8 codes [1]
#
# Both libraries get 2 threads for builds and exact search (GOMAXPROCS=2
# for ours; omp_set_num_threads(2) for FAISS, num_threads=2 for hnswlib);
# HNSW queries run with 2 threads and with 1. The two run alternately, and
# which goes first alternates from run to run, so that a change in the
# machine's load hits both alike; only one works at a time. Progress and
# the raw numbers go to stderr; the tables are also written to
# WORK/report.md.
set -euo pipefail

SIZE=${SIZE:-1000000}
MODEL=${MODEL:-/tmp/demo1/model}
MODEL128=${MODEL128:-/tmp/lookalike-ssl1}
WORK=${WORK:-/tmp/lookalike-indexbench}
RUNS=${RUNS:-3}
EFS=${EFS:-10,12,16,20,24,32,40,48,64,96,128,192,256,384,512}
MIN_SECONDS=${MIN_SECONDS:-0.5}
SETS=${SETS:-"cifar-keras-8 cifar-ssl-128 cifar-pixels-784 clustered-960-l2 uniform-20-l2 clustered"}
PYTHON=${PYTHON:-/usr/bin/python3}

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
PLOTS=${PLOTS:-$root/bench/index}
data=$(cd "$root/.." && pwd)/shared/datasets/cifar10
mkdir -p "$WORK"

export GOMAXPROCS=2
log() { echo "run.sh: $*" >&2; }
start=$(date +%s)

go build -o "$WORK/indexbench" ./bench/index/indexbench
ref="$PYTHON $root/bench/index/ref.py serve"
results=()

lookalike=$WORK/lookalike
go build -o "$lookalike" ./cmd/lookalike

# embedSet DIR MODEL: the CIFAR-10 train and test embeddings of MODEL, split.
embedSet() {
	local dir=$1 model=$2
	if [ ! -f "$dir/gt.npy" ] || [ "$model/model.safetensors" -nt "$dir/gt.npy" ]; then
		"$lookalike" embed --model "$model" --data "$data/train" --out "$dir-train.npy" >&2
		"$lookalike" embed --model "$model" --data "$data/test" --out "$dir-test.npy" >&2
		"$PYTHON" bench/index/ref.py gen-split --emb "$dir-train.npy" "$dir-test.npy" --out "$dir"
	fi
}

for set in $SETS; do
	dir=$WORK/$set
	case $set in
	cifar-keras-8)
		if [ ! -f "$MODEL/model.json" ]; then
			log "no model in $MODEL: training a quick one (2 epochs)"
			"$lookalike" train --data "$data/train" --epochs 2 --out "$MODEL"
		fi
		embedSet "$dir" "$MODEL"
		;;
	cifar-ssl-128)
		if [ ! -f "$MODEL128/model.json" ]; then
			log "no model in $MODEL128: training one without labels (1 epoch)"
			"$lookalike" train --data "$data/train" --unlabelled --epochs 1 --out "$MODEL128"
		fi
		embedSet "$dir" "$MODEL128"
		;;
	cifar-pixels-784)
		if [ ! -f "$dir/gt.npy" ]; then
			"$PYTHON" bench/index/ref.py gen-pixels --data "$data/train" --out "$dir-train.npy"
			"$PYTHON" bench/index/ref.py gen-pixels --data "$data/test" --out "$dir-test.npy"
			"$PYTHON" bench/index/ref.py gen-split --metric l2 --emb "$dir-train.npy" "$dir-test.npy" --out "$dir"
		fi
		;;
	clustered-960-l2)
		[ -f "$dir/gt.npy" ] || "$PYTHON" bench/index/ref.py gen-clustered --n 100000 --dim 960 --sigma 0.02 --metric l2 --out "$dir"
		;;
	uniform-20-l2)
		[ -f "$dir/gt.npy" ] || "$PYTHON" bench/index/ref.py gen-uniform --n 200000 --dim 20 --metric l2 --out "$dir"
		;;
	clustered)
		set=clustered-$SIZE
		dir=$WORK/$set
		[ -f "$dir/gt.npy" ] || "$PYTHON" bench/index/ref.py gen-clustered --n "$SIZE" --out "$dir"
		;;
	*)
		log "unknown data set $set"
		exit 2
		;;
	esac
	n=$("$PYTHON" -c "import numpy; print(numpy.load('$dir/base.npy', mmap_mode='r').shape[0])")
	builds=${BUILD_RUNS:-$([ "$n" -gt 200000 ] && echo 1 || echo 3)}
	log "data set $set ($n vectors)"
	"$WORK/indexbench" run -data "$dir" -name "$set" -out "$dir.json" \
		-runs "$RUNS" -build-runs "$builds" -efs "$EFS" -min-seconds "$MIN_SECONDS" -ref "$ref" \
		$([ "${INT8:-1}" = 1 ] && echo -int8)
	results+=("$dir.json")
done

"$WORK/indexbench" report -md "$WORK/report.md" -plot-dir "$PLOTS" "${results[@]}"
cat "$WORK/report.md"
log "done in $(($(date +%s) - start)) s; tables in $WORK/report.md, plots in $PLOTS/recall_qps-*.png"
