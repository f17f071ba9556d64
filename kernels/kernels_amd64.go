//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// archSets returns the assembly kernel sets this CPU and operating system
// support, best first. cpu.X86.HasAVX512F and HasAVX2 already include the
// check (XGETBV) that the OS saves the wider register state.
func archSets() []*kernelSet {
	var sets []*kernelSet
	hasAVX2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	if hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL {
		s := avx512Set
		if cpu.X86.HasAVX512BF16 {
			s = avx512BF16Set
			if hasAMX() {
				sets = append(sets, amxSet)
			}
		}
		sets = append(sets, s)
	}
	if hasAVX2 {
		sets = append(sets, avx2Set)
	}
	return sets
}

// avx512Set is the AVX-512 path.
var avx512Set = &kernelSet{
	name:           "avx512",
	gemm:           avx512Gemm,
	dot:            dotAVX512Go,
	l2sq:           l2sqAVX512Go,
	l2sqRows:       l2sqRowsAVX512Go,
	dotRows:        dotRowsAVX512Go,
	dotBlocks:      dotBlocksAVX512Go,
	l2sqBlocks:     l2sqBlocksAVX512Go,
	dotU8S8Rows:    dotU8S8RowsAVX512Go,
	dotU8S8Rows4:   dotU8S8Rows4AVX512Go,
	atLeast32:      atLeast32AVX512Go,
	dotU8S8RowsIdx: dotU8S8RowsIdxAVX512Go,
	dotU8S8Tile:    ifVNNI(dotU8S8TileVNNIGo, dotU8S8TileAVX2Go),
	tileQueryMax:   ifVNNI(0, 63),
	axpy:           axpyAVX512Go,
	scale:          scaleAVX512Go,
	add:            addAVX512Go,
	mulAdd:         mulAddAVX512Go,
	relu:           reluAVX512Go,
	reluBackward:   reluBackwardAVX512Go,
	adam:           adamAVX512Go,
	gelu:           geluAVX512Go,
	geluBackward:   geluBackwardAVX512Go,
	maxArg:         maxArgAVX512Go,
	sumRows:        sumRowsAVX512Go,
	packBF16:       packBF16Generic,
}

// avx512BF16Set is the AVX-512 path of a CPU with AVX512-BF16: the same
// kernels, and SgemmBF16 with bfloat16 dot products.
var avx512BF16Set = func() *kernelSet {
	s := *avx512Set
	s.gemmBF16 = bf16Gemm
	s.packBF16 = packBF16AVX512
	return &s
}()

// amxSet is the AVX-512 path of a CPU with AMX tiles: SgemmBF16 and
// DotU8S8Tile on the tiles, everything else as avx512BF16Set.
var amxSet = func() *kernelSet {
	s := *avx512BF16Set
	s.name = "amx"
	s.gemmBF16 = amxGemm
	s.dotU8S8Tile = dotU8S8TileAMX
	s.tileQueryMax = 0
	return &s
}()

// avx2Set is the AVX2+FMA path.
var avx2Set = &kernelSet{
	name:           "avx2",
	gemm:           avx2Gemm,
	dot:            dotAVX2Go,
	l2sq:           l2sqAVX2Go,
	l2sqRows:       l2sqRowsAVX2Go,
	dotRows:        dotRowsAVX2Go,
	dotBlocks:      dotBlocksAVX2Go,
	l2sqBlocks:     l2sqBlocksAVX2Go,
	dotU8S8Rows:    dotU8S8RowsAVX2Go,
	dotU8S8Rows4:   dotU8S8Rows4AVX2Go,
	atLeast32:      atLeast32AVX2Go,
	dotU8S8RowsIdx: dotU8S8RowsIdxAVX2Go,
	dotU8S8Tile:    dotU8S8TileAVX2Go,
	tileQueryMax:   63,
	axpy:           axpyAVX2Go,
	scale:          scaleAVX2Go,
	add:            addAVX2Go,
	mulAdd:         mulAddAVX2Go,
	relu:           reluAVX2Go,
	reluBackward:   reluBackwardAVX2Go,
	adam:           adamAVX2Go,
	gelu:           geluGeneric,
	geluBackward:   geluBackwardGeneric,
	maxArg:         maxArgGeneric,
	sumRows:        sumRowsAVX2Go,
	packBF16:       packBF16Generic,
}

// ifVNNI returns vnni where the CPU has AVX512-VNNI, else other: the
// AVX-512 path's tile kernel is VNNI's, or AVX2's on CPUs without it.
func ifVNNI[T any](vnni, other T) T {
	if hasVNNI {
		return vnni
	}
	return other
}
