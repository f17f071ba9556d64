package kernels

import "fmt"

// BlockRows is the number of rows of a block of the *Blocks kernels.
const BlockRows = 16

// DotBlocks scores q against rows stored BlockRows at a time in column
// order: element d of row j of block b is blocks[(b*len(q)+d)*BlockRows+j].
// It sets out[b*BlockRows+j] to the dot product of q and that row, for
// every row of the len(blocks)/(BlockRows*len(q)) blocks. In this layout one
// vector multiply-add scores 16 rows, where a row at a time a short
// vector's sum is mostly horizontal adds (exact search of 8 to 32
// dimensions). It panics if blocks is not whole blocks or out is short.
func DotBlocks(out, q, blocks []float32) {
	active.dotBlocks(out, q, blocks[:checkBlocks("DotBlocks", out, q, blocks)*BlockRows*len(q)])
}

// L2SqBlocks is DotBlocks for the squared Euclidean distance.
func L2SqBlocks(out, q, blocks []float32) {
	active.l2sqBlocks(out, q, blocks[:checkBlocks("L2SqBlocks", out, q, blocks)*BlockRows*len(q)])
}

// checkBlocks returns the number of blocks.
func checkBlocks(fn string, out, q, blocks []float32) int {
	if len(q) == 0 {
		panic(fmt.Sprintf("kernels.%s: empty query", fn))
	}
	size := BlockRows * len(q)
	if len(blocks)%size != 0 {
		panic(fmt.Sprintf("kernels.%s: %d values are not whole blocks of %d rows of %d", fn, len(blocks), BlockRows, len(q)))
	}
	nb := len(blocks) / size
	if len(out) < nb*BlockRows {
		panic(fmt.Sprintf("kernels.%s: %d outputs for %d rows", fn, len(out), nb*BlockRows))
	}
	return nb
}

func dotBlocksGeneric(out, q, blocks []float32) {
	d := len(q)
	for b := 0; b*BlockRows*d < len(blocks); b++ {
		var acc [BlockRows]float32
		blk := blocks[b*BlockRows*d : (b+1)*BlockRows*d]
		for k, qk := range q {
			col := blk[k*BlockRows : (k+1)*BlockRows : (k+1)*BlockRows]
			for j := range acc {
				acc[j] += qk * col[j]
			}
		}
		copy(out[b*BlockRows:], acc[:])
	}
}

func l2sqBlocksGeneric(out, q, blocks []float32) {
	d := len(q)
	for b := 0; b*BlockRows*d < len(blocks); b++ {
		var acc [BlockRows]float32
		blk := blocks[b*BlockRows*d : (b+1)*BlockRows*d]
		for k, qk := range q {
			col := blk[k*BlockRows : (k+1)*BlockRows : (k+1)*BlockRows]
			for j := range acc {
				e := qk - col[j]
				acc[j] += e * e
			}
		}
		copy(out[b*BlockRows:], acc[:])
	}
}
