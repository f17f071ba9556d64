//go:build amd64 && !purego

package kernels

import "unsafe"

// dotU8S8TileAMX is DotU8S8Tile on AMX tiles (TDPBUSD through amxKernel,
// 32 rows at a time) for dimensions that are a multiple of 4; the other
// dimensions, and the last rows of a block not a multiple of 32, in Go.
func dotU8S8TileAMX(out []int32, qt []int8, codes []uint8, dim int) {
	rows := len(out) / QueryTile
	if dim%4 != 0 {
		dotU8S8TileGeneric(out, qt, codes, dim)
		return
	}
	full := rows &^ 31
	groups := dim / 4
	b := (*float32)(unsafe.Pointer(&qt[0]))
	for r := 0; r < full; r += 32 {
		a := (*float32)(unsafe.Pointer(&codes[r*dim]))
		c := (*float32)(unsafe.Pointer(&out[r*QueryTile]))
		amxKernel(groups, a, groups, b, c, QueryTile, 32, 32, 1, 0, 1, 1)
	}
	if full < rows {
		dotU8S8TileGeneric(out[full*QueryTile:], qt, codes[full*dim:], dim)
	}
}

//go:noescape
func dotU8S8TileVNNI(out *int32, qt *int8, codes *uint8, dim, rows int)

//go:noescape
func dotU8S8TileAVX2(out *int32, qt *int8, codes *uint8, dim, rows int)

// tileBy4 returns DotU8S8Tile through asm, a kernel for dimensions that
// are a multiple of 4 (the others in Go).
func tileBy4(asm func(out *int32, qt *int8, codes *uint8, dim, rows int)) func(out []int32, qt []int8, codes []uint8, dim int) {
	return func(out []int32, qt []int8, codes []uint8, dim int) {
		rows := len(out) / QueryTile
		if dim%4 != 0 {
			dotU8S8TileGeneric(out, qt, codes, dim)
			return
		}
		_ = codes[rows*dim-1]
		asm(&out[0], &qt[0], &codes[0], dim, rows)
	}
}

// dotU8S8TileVNNIGo is DotU8S8Tile with AVX512-VNNI (VPDPBUSD).
var dotU8S8TileVNNIGo = tileBy4(dotU8S8TileVNNI)

// dotU8S8TileAVX2Go is DotU8S8Tile with AVX2 (VPMADDUBSW, its pairs of
// products summed in 16 bits: exact for query values within +-63).
var dotU8S8TileAVX2Go = tileBy4(dotU8S8TileAVX2)

//go:noescape
func atLeast32AVX512(masks *uint32, s *int32, t *int32, rows int)

//go:noescape
func atLeast32AVX2(masks *uint32, s *int32, t *int32, rows int)

// masksBy returns AtLeast32 through asm.
func masksBy(asm func(masks *uint32, s *int32, t *int32, rows int)) func(masks []uint32, s []int32, t []int32) {
	return func(masks []uint32, s []int32, t []int32) {
		_ = s[32*len(masks)-1]
		_ = t[31]
		asm(&masks[0], &s[0], &t[0], len(masks))
	}
}

var (
	atLeast32AVX512Go = masksBy(atLeast32AVX512)
	atLeast32AVX2Go   = masksBy(atLeast32AVX2)
)

//go:noescape
func dotU8S8RowsIdxVNNI(out *int32, q *int8, dim int, codes *uint8, stride int, idx *uint32, n int)

// dotU8S8RowsIdxAVX512Go is DotU8S8RowsIdx with AVX512-VNNI where the CPU
// has it, else a row at a time with AVX512-BW.
func dotU8S8RowsIdxAVX512Go(out []int32, q []int8, codes []uint8, stride int, idx []uint32) {
	if !hasVNNI {
		rowsIdx(dotU8S8RowsAVX512BWGo)(out, q, codes, stride, idx)
		return
	}
	dotU8S8RowsIdxVNNI(&out[0], &q[0], len(q), &codes[0], stride, &idx[0], len(idx))
}

//go:noescape
func prefetchRows(base *float32, stride int, idx *uint32, n int, off int)

// PrefetchRows asks the CPU to start loading the first two cache lines at
// element off of each row idx[i] of data (rows stride floats apart), for
// a graph search about to read them; it reads nothing itself (a prefetch
// never faults, so rows need not be checked against data).
func PrefetchRows(data []float32, stride int, idx []uint32, off int) {
	if len(idx) == 0 || len(data) == 0 {
		return
	}
	prefetchRows(&data[0], stride, &idx[0], len(idx), off)
}
