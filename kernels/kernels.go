// Package kernels holds the numeric kernels the engine is built on: SGEMM
// and vector math.
//
// On amd64 the kernels use AVX-512 or AVX2+FMA assembly, chosen once at
// start-up from the CPU's features (and the operating system's support for
// the wider register state). Every other platform, the purego build tag and
// the environment variable LOOKALIKE_KERNELS=generic use a portable Go path.
// LOOKALIKE_KERNELS may also name "avx2" to keep an AVX-512 machine on the
// AVX2 path; a path the machine cannot run is ignored. Path reports the
// choice.
//
// All functions are safe for concurrent use.
package kernels

import (
	"os"
	"strings"
)

// kernelSet is one complete implementation of the package's kernels.
type kernelSet struct {
	name string
	gemm *gemmImpl

	// gemmBF16 is SgemmBF16's implementation, nil where the CPU has no
	// bfloat16 instructions (SgemmBF16 is then Sgemm).
	gemmBF16 *gemmImpl

	dot          func(x, y []float32) float32
	l2sq         func(x, y []float32) float32
	l2sqRows     func(out, q, data []float32, stride int, idx []uint32)
	dotRows      func(out, q, data []float32, stride int, idx []uint32)
	dotBlocks    func(out, q, blocks []float32)
	l2sqBlocks   func(out, q, blocks []float32)
	dotU8S8Rows  func(out []int32, q []int8, codes []uint8, stride int)
	dotU8S8Rows4 func(out []int32, qs []int8, codes []uint8, stride int)
	// dotU8S8Tile is DotU8S8Tile's fast kernel, nil where the CPU has
	// none (DotU8S8Tile is then a loop).
	dotU8S8Tile func(out []int32, qt []int8, codes []uint8, dim int)
	// tileQueryMax is TileQueryMax where it is not 127 (0).
	tileQueryMax   int
	atLeast32      func(masks []uint32, s []int32, t []int32)
	dotU8S8RowsIdx func(out []int32, q []int8, codes []uint8, stride int, idx []uint32)
	axpy           func(alpha float32, x, y []float32)
	scale          func(alpha float32, x []float32)
	add            func(dst, x []float32)
	mulAdd         func(dst, x, w []float32)
	relu           func(dst, x []float32)
	reluBackward   func(dx, dy, y []float32)
	adam           func(p, g, m, v []float32, lr, beta1, beta2, eps, bc1, bc2 float32)
	gelu           func(y, cdf, x []float32)
	geluBackward   func(dx, dy, x, cdf []float32)
	maxArg         func(y []float32, arg []int32, x []float32, base int32)
	sumRows        func(dst, x []float32, rows int)
	packBF16       func(dst, src []float32)
}

// genericSet is the portable implementation, available everywhere.
var genericSet = &kernelSet{
	name:           "generic",
	gemm:           genericGemm,
	dot:            dotGeneric,
	l2sq:           l2sqGeneric,
	l2sqRows:       l2sqRowsGeneric,
	dotRows:        dotRowsGeneric,
	dotBlocks:      dotBlocksGeneric,
	l2sqBlocks:     l2sqBlocksGeneric,
	dotU8S8Rows:    dotU8S8RowsGeneric,
	dotU8S8Rows4:   dotU8S8Rows4Generic,
	atLeast32:      atLeast32Generic,
	dotU8S8RowsIdx: rowsIdx(dotU8S8RowsGeneric),
	axpy:           axpyGeneric,
	scale:          scaleGeneric,
	add:            addGeneric,
	mulAdd:         mulAddGeneric,
	relu:           reluGeneric,
	reluBackward:   reluBackwardGeneric,
	adam:           adamGeneric,
	gelu:           geluGeneric,
	geluBackward:   geluBackwardGeneric,
	maxArg:         maxArgGeneric,
	sumRows:        sumRowsGeneric,
	packBF16:       packBF16Generic,
}

// available lists the kernel sets this machine can run, best first; the
// last one is always genericSet. It is fixed at init.
var available = append(archSets(), genericSet)

// active is the kernel set in use. It is chosen once at init from
// available and LOOKALIKE_KERNELS; only tests change it afterwards.
var active = choose(os.Getenv("LOOKALIKE_KERNELS"))

// choose returns the best available kernel set, or the one named by want
// if the machine can run it.
func choose(want string) *kernelSet {
	want = strings.ToLower(strings.TrimSpace(want))
	for _, s := range available {
		if s.name == want {
			return s
		}
	}
	return available[0]
}

// Path returns the name of the kernel path in use: "avx512", "avx2" or
// "generic".
func Path() string {
	return active.name
}
