package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// tileCase returns nq random queries of dim values within the path's
// TileQueryMax and rows random rows of codes.
func tileCase(r *rand.Rand, nq, rows, dim int) ([]int8, []uint8) {
	top := TileQueryMax()
	qs := make([]int8, nq*dim)
	for i := range qs {
		qs[i] = int8(r.IntN(2*top+1) - top)
	}
	codes := make([]uint8, rows*dim)
	for i := range codes {
		codes[i] = uint8(r.IntN(256))
	}
	return qs, codes
}

// TestDotU8S8Tile checks the tile of 32 queries' products against a plain
// loop on every path, for dimensions that are and are not multiples of 4
// or of a tile step (64), row counts around the tile's 32 rows, fewer
// queries than the tile holds, and extreme values (codes 255, queries at
// -TileQueryMax).
func TestDotU8S8Tile(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, dim := range []int{1, 4, 7, 8, 60, 64, 100, 128, 130, 960} {
			for _, rows := range []int{1, 31, 32, 33, 100} {
				nq := []int{1, 5, 32}[(dim+rows)%3]
				qs, codes := tileCase(r, nq, rows, dim)
				top := TileQueryMax()
				if dim == 960 {
					for i := range codes {
						codes[i] = 255
					}
					for i := range qs {
						qs[i] = int8(-top)
					}
				}
				qt := make([]int8, TileQueriesLen(dim))
				PackU8S8Queries(qt, qs, dim)
				out := make([]int32, rows*QueryTile)
				for i := range out {
					out[i] = -1
				}
				DotU8S8Tile(out, qt, codes, dim)
				for i := range rows {
					for j := range QueryTile {
						var want int32
						if j < nq {
							for p := range dim {
								want += int32(codes[i*dim+p]) * int32(qs[j*dim+p])
							}
						}
						if got := out[i*QueryTile+j]; got != want {
							t.Fatalf("dim %d rows %d: row %d query %d = %d, want %d", dim, rows, i, j, got, want)
						}
					}
				}
			}
		}
	})
}

// TestPackU8S8QueriesRange checks that a query value beyond the path's
// TileQueryMax is refused, and that the path's own extremes are taken.
func TestPackU8S8QueriesRange(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		top := TileQueryMax()
		if top != 127 && top != 63 {
			t.Fatalf("TileQueryMax() = %d", top)
		}
		qt := make([]int8, TileQueriesLen(4))
		PackU8S8Queries(qt, []int8{int8(top), int8(-top), 0, 1}, 4)
		if top == 127 {
			return
		}
		defer func() {
			if recover() == nil {
				t.Errorf("PackU8S8Queries took %d, beyond +-%d", top+1, top)
			}
		}()
		PackU8S8Queries(qt, []int8{int8(top + 1), 0, 0, 0}, 4)
	})
}

// TestAtLeast32 checks the threshold masks against a loop on every path,
// with ties, extreme values and negative thresholds.
func TestAtLeast32(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, rows := range []int{1, 2, 17} {
			s := make([]int32, rows*32)
			th := make([]int32, 32)
			for i := range th {
				th[i] = int32(r.IntN(21) - 10)
			}
			th[0], th[1] = -1<<31, 1<<31-1
			for i := range s {
				s[i] = int32(r.IntN(21) - 10)
			}
			s[1] = 1<<31 - 1
			masks := make([]uint32, rows)
			AtLeast32(masks, s, th)
			for i := range rows {
				var want uint32
				for j := range 32 {
					if s[i*32+j] >= th[j] {
						want |= 1 << j
					}
				}
				if masks[i] != want {
					t.Fatalf("rows %d: mask %d = %032b, want %032b", rows, i, masks[i], want)
				}
			}
		}
	})
}

// BenchmarkDotU8S8Tile reports products per second ("GMAC/s") of a tile
// of 32 queries against 256 rows, the block the exact index scores at a
// time, on every path; compare with BenchmarkSgemm, the float product it
// stands in for (2 flops a product).
func BenchmarkDotU8S8Tile(b *testing.B) {
	saved := active
	defer func() { active = saved }()
	for _, s := range available {
		for _, dim := range []int{128, 960} {
			b.Run(fmt.Sprintf("%s/%d", s.name, dim), func(b *testing.B) {
				active = s
				r := rand.New(rand.NewPCG(1, 1))
				const rows = 256
				qs, codes := tileCase(r, QueryTile, rows, dim)
				qt := make([]int8, TileQueriesLen(dim))
				PackU8S8Queries(qt, qs, dim)
				out := make([]int32, rows*QueryTile)
				for b.Loop() {
					DotU8S8Tile(out, qt, codes, dim)
				}
				b.ReportMetric(float64(b.N)*rows*QueryTile*float64(dim)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}
