#!/usr/bin/env bash
# run.sh times the whole `lookalike train` process with the Keras example's
# settings (the default recipe, keras-example: keras-small, 8 dimensions, 20
# epochs x 1000 batches of one pair per class, Adam 1e-3, pair softmax at
# 0.2) against its PyTorch equivalent (torch_keras_train.py: the same
# model, sampler, loss and optimiser, images read with Pillow) on the same
# 5,000-image folder (500 per class of the CIFAR-10 training set), from
# start to saved model: reading the images, training, saving.
#
# Usage, from anywhere in the repository:
#
#	bench/keras_process/run.sh
#	RUNS=5 EPOCHS=5 bench/keras_process/run.sh
#
# Environment (defaults in brackets):
#
#	RUNS     runs of each engine, alternating, the first engine alternating [3]
#	EPOCHS   epochs of 1000 steps [20, the example's]
#	WORK     where the folder, binary and models go [/tmp/lookalike-keras-process]
#	PYTHON   Python with torch and Pillow [/usr/bin/python3]
#
# torch runs at its defaults (its own thread count, OMP_WAIT_POLICY unset)
# and with as many threads as CPUs (torch.set_num_threads($(nproc))), the
# ratio taken against the faster of the two; lookalike at its defaults
# (GOMAXPROCS = the CPUs). Wall clock comes first, CPU-seconds (user +
# system, from /usr/bin/time) second.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
RUNS=${RUNS:-3}
EPOCHS=${EPOCHS:-20}
WORK=${WORK:-/tmp/lookalike-keras-process}
PYTHON=${PYTHON:-/usr/bin/python3}
data=$(cd "$root/.." && pwd)/shared/datasets/cifar10/train
mkdir -p "$WORK"
folder=$WORK/cifar5k
if [ ! -f "$folder/.complete" ]; then
	rm -rf "$folder"
	for c in "$data"/*/; do
		name=$(basename "$c")
		mkdir -p "$folder/$name"
		mapfile -t files < <(ls "$c" | sort)
		for f in "${files[@]:0:500}"; do cp "$c/$f" "$folder/$name/"; done
	done
	touch "$folder/.complete"
fi
go build -o "$WORK/lookalike" ./cmd/lookalike
echo "commit $(git rev-parse --short HEAD), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
echo "torch $("$PYTHON" -c 'import torch; print(torch.__version__, torch.get_num_threads(), "threads")')" >&2
timeit() { /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$@" > "$WORK/out" 2> "$WORK/err" || { cat "$WORK/err" >&2; exit 1; }; read -r w u s < "$WORK/time"; echo "$w $(echo "$u + $s" | bc)"; }
declare -a lw lc tw tc t2w t2c
for r in $(seq 1 "$RUNS"); do
	order="lookalike torch torch2"
	[ $((r % 2)) -eq 0 ] && order="torch2 torch lookalike"
	for e in $order; do
		case $e in
		lookalike)
			read -r w c < <(timeit "$WORK/lookalike" train --data "$folder" --epochs "$EPOCHS" --out "$WORK/m-lookalike" --log-level warn)
			lw+=("$w"); lc+=("$c") ;;
		torch)
			read -r w c < <(timeit "$PYTHON" bench/keras_process/torch_keras_train.py --data "$folder" --epochs "$EPOCHS" --out "$WORK/m-torch.pt")
			tw+=("$w"); tc+=("$c"); cat "$WORK/out" >&2 ;;
		torch2)
			read -r w c < <(timeit "$PYTHON" bench/keras_process/torch_keras_train.py --data "$folder" --epochs "$EPOCHS" --out "$WORK/m-torch.pt" --threads "$(nproc)")
			t2w+=("$w"); t2c+=("$c"); cat "$WORK/out" >&2 ;;
		esac
		echo "run $r $e: wall $w s, CPU $c s" >&2
	done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mlw=$(median "${lw[@]}"); mtw=$(median "${tw[@]}"); mlc=$(median "${lc[@]}"); mtc=$(median "${tc[@]}")
m2w=$(median "${t2w[@]}"); m2c=$(median "${t2c[@]}")
best=$(printf '%s\n' "$mtw" "$m2w" | sort -g | head -1)
echo
echo "| whole process, $EPOCHS epochs x 1000 steps, 5,000 images, median of $RUNS | lookalike | PyTorch, its default threads | PyTorch, $(nproc) threads | PyTorch's faster / lookalike |"
echo "|---|---:|---:|---:|---:|"
echo "| wall clock (s) | $mlw | $mtw | $m2w | $(echo "scale=2; $best / $mlw" | bc)x |"
echo "| CPU-seconds | $mlc | $mtc | $m2c | |"
echo
echo "runs (wall s): lookalike ${lw[*]}; PyTorch default ${tw[*]}; PyTorch $(nproc) threads ${t2w[*]}"
