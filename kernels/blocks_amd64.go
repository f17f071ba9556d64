//go:build amd64 && !purego

package kernels

//go:noescape
func dotBlocksAVX512(out, q *float32, dim int, blocks *float32, nblocks int)

//go:noescape
func l2sqBlocksAVX512(out, q *float32, dim int, blocks *float32, nblocks int)

//go:noescape
func dotBlocksAVX2(out, q *float32, dim int, blocks *float32, nblocks int)

//go:noescape
func l2sqBlocksAVX2(out, q *float32, dim int, blocks *float32, nblocks int)

// blocksAsm calls an assembly *Blocks kernel on whole blocks.
func blocksAsm(f func(out, q *float32, dim int, blocks *float32, nblocks int), out, q, blocks []float32) {
	if nb := len(blocks) / (BlockRows * len(q)); nb > 0 {
		f(&out[0], &q[0], len(q), &blocks[0], nb)
	}
}

func dotBlocksAVX512Go(out, q, blocks []float32)  { blocksAsm(dotBlocksAVX512, out, q, blocks) }
func l2sqBlocksAVX512Go(out, q, blocks []float32) { blocksAsm(l2sqBlocksAVX512, out, q, blocks) }
func dotBlocksAVX2Go(out, q, blocks []float32)    { blocksAsm(dotBlocksAVX2, out, q, blocks) }
func l2sqBlocksAVX2Go(out, q, blocks []float32)   { blocksAsm(l2sqBlocksAVX2, out, q, blocks) }
