package index

import "github.com/lookalike/lookalike/kernels"

// An Exact index of short vectors (up to smallDim values) also keeps its
// rows in the block layout of kernels.DotBlocks: BlockRows rows at a time,
// column by column, so that a single query scores 16 rows per vector
// instruction. The copy doubles the memory of such vectors (64 bytes a
// vector at 8 dimensions) and is kept in step with data by the writers:
// blocks always holds ceil(n/BlockRows) blocks, unused rows zero.

// blocked reports whether the index keeps the block copy.
func (e *Exact) blocked() bool { return e.dim <= smallDim }

// setBlockRow writes v as row r of the block copy, adding a block when r
// starts one.
func (e *Exact) setBlockRow(r int, v []float32) {
	const br = kernels.BlockRows
	d := e.dim
	if need := (r/br + 1) * br * d; len(e.blocks) < need {
		e.blocks = append(e.blocks, make([]float32, need-len(e.blocks))...)
	}
	base := (r / br) * br * d
	for k, x := range v {
		e.blocks[base+k*br+r%br] = x
	}
}

// dropBlockRow clears row n, the old last row after a deletion left n
// rows, and drops its block if it is now empty.
func (e *Exact) dropBlockRow(n int) {
	const br = kernels.BlockRows
	if n%br == 0 {
		e.blocks = e.blocks[:n*e.dim]
		return
	}
	base := (n / br) * br * e.dim
	for k := range e.dim {
		e.blocks[base+k*br+n%br] = 0
	}
}

// scanBlocks is scanRows for short vectors: rows [lo, hi) scored a chunk
// of blocks per kernel call.
func (e *Exact) scanBlocks(q []float32, lo, hi int, t *topK) {
	const br = kernels.BlockRows
	d := e.dim
	thr := t.threshold()
	scores := make([]float32, scanBlock)
	for b0 := lo &^ (br - 1); b0 < hi; b0 += scanBlock {
		end := min(b0+scanBlock, hi)
		blk := e.blocks[b0*d : (b0+(end-b0+br-1)/br*br)*d]
		if e.metric == L2 {
			kernels.L2SqBlocks(scores, q, blk)
		} else {
			kernels.DotBlocks(scores, q, blk)
		}
		for i := max(lo, b0); i < end; i++ {
			key := scores[i-b0]
			if e.metric == L2 {
				key = -key
			}
			if key >= thr {
				t.push(e.ids[i], key)
				thr = t.threshold()
			}
		}
	}
}
