#!/usr/bin/env bash
# run.sh measures lookalike's near-duplicate detection against perceptual
# hashing (pHash and dHash, github.com/corona10/goimagehash) on the same
# images: originals from the CIFAR-10 test set scaled to SIZE pixels, one
# edited copy of each per edit of package data/neardup, among distractors
# (see bench/neardup/main.go). Prints Markdown tables.
#
# Usage, from anywhere in the repository:
#
#	MODEL=model/ bench/neardup/run.sh
#	MODEL=model/ ORIGINALS=200 DISTRACTORS=2000 bench/neardup/run.sh
#
# Environment (defaults in brackets):
#
#	MODEL        lookalike model directory (required)
#	DATA         labelled folder to draw from [../shared/datasets/cifar10/test]
#	ORIGINALS    images that get copies [500]
#	DISTRACTORS  other images [4500]
#	SIZE         side the images are scaled to before editing [128]
#	SEED         random seed of the choice and the edits [1]
#	OUT          Markdown file to write as well [/tmp/lookalike-neardup.md]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
: "${MODEL:?set MODEL to a lookalike model directory}"
DATA=${DATA:-$(cd "$root/.." && pwd)/shared/datasets/cifar10/test}
go run ./bench/neardup -data "$DATA" -model "$MODEL" -originals "${ORIGINALS:-500}" -distractors "${DISTRACTORS:-4500}" \
	-size "${SIZE:-128}" -seed "${SEED:-1}" -md "${OUT:-/tmp/lookalike-neardup.md}"
