package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumRows checks every path bit for bit against summing the rows in
// order, on widths around the vector width, and that dst is only added to.
func TestSumRows(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	forEachPath(t, func(t *testing.T) {
		for _, cols := range []int{1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 64, 100} {
			for _, rows := range []int{0, 1, 2, 7} {
				x := randSlice(r, rows*cols+3)
				dst := randSlice(r, cols+1)
				want := append([]float32(nil), dst...)
				for i := range rows {
					for j := range cols {
						want[j] += x[i*cols+j]
					}
				}
				SumRows(dst[:cols], x, rows)
				for j := range dst {
					if math.Float32bits(dst[j]) != math.Float32bits(want[j]) {
						t.Fatalf("%d rows of %d: dst[%d] = %v, want %v", rows, cols, j, dst[j], want[j])
					}
				}
			}
		}
	})
}
