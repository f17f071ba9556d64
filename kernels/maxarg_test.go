package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxArg checks every path against the definition on lengths around
// the vector width, with ties, NaNs in x and in y, and the slices' ends
// left alone.
func TestMaxArg(t *testing.T) {
	nan := float32(math.NaN())
	r := rand.New(rand.NewPCG(3, 9))
	forEachPath(t, func(t *testing.T) {
		for n := 0; n <= 70; n++ {
			x, y := make([]float32, n+1), make([]float32, n+1)
			arg := make([]int32, n+1)
			for j := range x {
				x[j], y[j] = float32(r.IntN(5)), float32(r.IntN(5)) // many ties
				if r.IntN(10) == 0 {
					x[j] = nan
				}
				if r.IntN(10) == 0 {
					y[j] = nan
				}
				arg[j] = -1
			}
			wantY := append([]float32(nil), y...)
			wantArg := append([]int32(nil), arg...)
			for j := range n {
				if x[j] > wantY[j] {
					wantY[j], wantArg[j] = x[j], 1000+int32(j)
				}
			}
			MaxArg(y[:n], arg[:n], x[:n], 1000)
			for j := range y {
				if math.Float32bits(y[j]) != math.Float32bits(wantY[j]) || arg[j] != wantArg[j] {
					t.Fatalf("n=%d: lane %d: y %v arg %d, want %v %d (x %v)", n, j, y[j], arg[j], wantY[j], wantArg[j], x[j])
				}
			}
		}
	})
}
