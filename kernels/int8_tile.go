package kernels

import "fmt"

// QueryTile is the number of queries DotU8S8Tile scores at once.
const QueryTile = 32

// HasDotU8S8Tile reports whether DotU8S8Tile has a fast kernel on this
// machine (AMX int8 tiles, AVX512-VNNI, or AVX2's 16-bit multiply-adds),
// where scoring 32 queries together beats four at a time with
// DotU8S8Rows4; elsewhere (the portable path) it is a loop.
func HasDotU8S8Tile() bool { return active.dotU8S8Tile != nil }

// TileQueryMax returns the largest magnitude of a query value that
// DotU8S8Tile multiplies exactly on this machine: 127, or 63 on the AVX2
// path, which adds pairs of products in 16 bits (VPMADDUBSW: 255*63*2
// fits, 255*127*2 does not). PackU8S8Queries refuses larger values.
func TileQueryMax() int {
	if active.tileQueryMax != 0 {
		return active.tileQueryMax
	}
	return 127
}

// TileQueriesLen is the length of the packed tile of queries of dim values
// that PackU8S8Queries writes.
func TileQueriesLen(dim int) int { return (dim + 3) / 4 * QueryTile * 4 }

// PackU8S8Queries lays out up to QueryTile int8 queries of dim values
// (back to back in qs) for DotU8S8Tile: each four consecutive values of a
// query in one 32-bit group, the 32 queries' groups side by side, so
// dst[(p*QueryTile+j)*4+b] = query j's value 4p+b, zero past dim and for
// queries past len(qs)/dim. It panics unless len(dst) ==
// TileQueriesLen(dim), len(qs) is a multiple of dim of at most QueryTile
// queries and every value is within +-TileQueryMax().
func PackU8S8Queries(dst []int8, qs []int8, dim int) {
	if dim <= 0 || len(qs)%dim != 0 || len(qs)/dim > QueryTile {
		panic(fmt.Sprintf("kernels.PackU8S8Queries: %d values are not up to %d queries of %d", len(qs), QueryTile, dim))
	}
	if len(dst) != TileQueriesLen(dim) {
		panic(fmt.Sprintf("kernels.PackU8S8Queries: len(dst) = %d, want %d", len(dst), TileQueriesLen(dim)))
	}
	top := int8(TileQueryMax())
	for i, v := range qs {
		if v > top || v < -top {
			panic(fmt.Sprintf("kernels.PackU8S8Queries: value %d of query %d is %d, beyond +-%d", i%dim, i/dim, v, top))
		}
	}
	clear(dst)
	for j := range len(qs) / dim {
		for i, v := range qs[j*dim : (j+1)*dim] {
			dst[(i/4*QueryTile+j)*4+i%4] = v
		}
	}
}

// DotU8S8Tile sets out[i*QueryTile+j] to the integer dot product of row
// i's unsigned codes, codes[i*dim : (i+1)*dim], with query j of the tile qt
// (PackU8S8Queries), for the len(out)/QueryTile rows. It panics if the
// rows lie beyond codes or qt is not a tile of dim values.
func DotU8S8Tile(out []int32, qt []int8, codes []uint8, dim int) {
	rows := len(out) / QueryTile
	if len(out)%QueryTile != 0 || len(qt) != TileQueriesLen(dim) || rows*dim > len(codes) {
		panic(fmt.Sprintf("kernels.DotU8S8Tile: %d scores, tile of %d, %d codes of %d dimensions", len(out), len(qt), len(codes), dim))
	}
	if dim > 66000 {
		panic(fmt.Sprintf("kernels.DotU8S8Tile: %d dimensions could overflow int32", dim))
	}
	if rows == 0 {
		return
	}
	if active.dotU8S8Tile != nil {
		active.dotU8S8Tile(out, qt, codes, dim)
		return
	}
	dotU8S8TileGeneric(out, qt, codes, dim)
}

func dotU8S8TileGeneric(out []int32, qt []int8, codes []uint8, dim int) {
	for i := range len(out) / QueryTile {
		row := codes[i*dim : (i+1)*dim]
		s := out[i*QueryTile : (i+1)*QueryTile]
		clear(s)
		for p, c := range row {
			g := qt[(p/4*QueryTile)*4+p%4:]
			for j := range s {
				s[j] += int32(c) * int32(g[j*4])
			}
		}
	}
}

// AtLeast32 sets bit j of masks[i] when s[i*32+j] >= t[j], for the
// len(masks) rows of 32 scores in s: which of a tile's scores pass their
// query's threshold.
func AtLeast32(masks []uint32, s []int32, t []int32) {
	if len(s) < 32*len(masks) || len(t) < 32 {
		panic(fmt.Sprintf("kernels.AtLeast32: %d masks, %d scores, %d thresholds", len(masks), len(s), len(t)))
	}
	if len(masks) == 0 {
		return
	}
	active.atLeast32(masks, s, t)
}

func atLeast32Generic(masks []uint32, s []int32, t []int32) {
	t = t[:32]
	for i := range masks {
		row := s[i*32 : i*32+32]
		var m uint32
		for j, v := range row {
			if v >= t[j] {
				m |= 1 << j
			}
		}
		masks[i] = m
	}
}
