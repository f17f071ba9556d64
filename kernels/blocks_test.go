package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBlocks checks DotBlocks and L2SqBlocks against the plain loop on
// every path, for short and long vectors and a partial last block.
func TestBlocks(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(23, 23))
		for _, d := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 20, 31, 32, 33, 64, 100} {
			for _, n := range []int{1, 16, 37} {
				rows := randSlice(r, n*d)
				nb := (n + BlockRows - 1) / BlockRows
				blocks := make([]float32, nb*BlockRows*d)
				for i := range n {
					b, j := i/BlockRows, i%BlockRows
					for k := range d {
						blocks[(b*d+k)*BlockRows+j] = rows[i*d+k]
					}
				}
				q := randSlice(r, d)
				dot, l2 := make([]float32, nb*BlockRows+1), make([]float32, nb*BlockRows+1)
				dot[nb*BlockRows], l2[nb*BlockRows] = -1, -1
				DotBlocks(dot, q, blocks)
				L2SqBlocks(l2, q, blocks)
				for i := range n {
					var wd, wl, abs float64
					for k := range d {
						x, y := float64(q[k]), float64(rows[i*d+k])
						wd += x * y
						abs += math.Abs(x * y)
						wl += (x - y) * (x - y)
					}
					tol := 3 * float64(d+2) / (1 << 24)
					if math.Abs(float64(dot[i])-wd) > tol*abs || math.Abs(float64(l2[i])-wl) > tol*wl {
						t.Fatalf("d=%d n=%d row %d: DotBlocks %g (want %g), L2SqBlocks %g (want %g)", d, n, i, dot[i], wd, l2[i], wl)
					}
				}
				if dot[nb*BlockRows] != -1 || l2[nb*BlockRows] != -1 {
					t.Fatalf("d=%d n=%d: wrote past the blocks", d, n)
				}
			}
		}
	})
	for name, f := range map[string]func(){
		"partial block": func() { DotBlocks(make([]float32, 16), make([]float32, 4), make([]float32, 60)) },
		"short output":  func() { L2SqBlocks(make([]float32, 15), make([]float32, 4), make([]float32, 64)) },
		"empty query":   func() { DotBlocks(make([]float32, 16), nil, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
