package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestL2Sq(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 21))
		for _, n := range vecLengths {
			x, y := randSlice(r, n+5), randSlice(r, n+5)
			x, y = x[3:n+3], y[1:n+1] // unaligned starts
			var want float64
			for i := range x {
				d := float64(x[i]) - float64(y[i])
				want += d * d
			}
			got := L2Sq(x, y)
			if tol := 3 * float64(n+2) / (1 << 24) * want; math.Abs(float64(got)-want) > tol {
				t.Errorf("n=%d: L2Sq = %g, want %g (tolerance %g)", n, got, want, tol)
			}
			if n > 0 {
				if s := L2Sq(x, x); s != 0 {
					t.Errorf("n=%d: L2Sq(x, x) = %g", n, s)
				}
				// A NaN or an infinity anywhere shows in the sum.
				i := r.IntN(n)
				xi := x[i]
				x[i] = float32(math.NaN())
				if s := L2Sq(x, y); !math.IsNaN(float64(s)) {
					t.Errorf("n=%d: NaN at %d gave %g", n, i, s)
				}
				x[i] = float32(math.Inf(-1))
				if s := L2Sq(x, y); !math.IsInf(float64(s), 1) {
					t.Errorf("n=%d: -Inf at %d gave %g", n, i, s)
				}
				x[i] = xi
			}
		}
	})
	defer func() {
		if recover() == nil {
			t.Error("L2Sq of different lengths did not panic")
		}
	}()
	L2Sq(make([]float32, 3), make([]float32, 4))
}

// TestRows checks L2SqRows and DotRows against the plain loop on every
// path, for every vector length up to past the AVX-512 kernels' limit,
// strides with and without padding, repeated and unordered rows.
func TestRows(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(22, 22))
		for _, d := range append(vecLengths[:100:100], 128, 960) {
			for _, pad := range []int{0, 3, 16} {
				stride := d + pad
				rows := 40
				data := randSlice(r, rows*stride)
				q := randSlice(r, d)
				idx := []uint32{7, 0, 39, 7, 12, 3, 38, 21, 21, 1}
				l2, dot := make([]float32, len(idx)+1), make([]float32, len(idx)+1)
				l2[len(idx)], dot[len(idx)] = -1, -1 // not written
				L2SqRows(l2, q, data, stride, idx)
				DotRows(dot, q, data, stride, idx)
				for i, row := range idx {
					y := data[int(row)*stride : int(row)*stride+d]
					var wl, wd, abs float64
					for j := range q {
						e := float64(q[j]) - float64(y[j])
						wl += e * e
						wd += float64(q[j]) * float64(y[j])
						abs += math.Abs(float64(q[j]) * float64(y[j]))
					}
					tol := 3 * float64(d+2) / (1 << 24)
					if math.Abs(float64(l2[i])-wl) > tol*wl || math.Abs(float64(dot[i])-wd) > tol*abs {
						t.Fatalf("d=%d stride %d row %d: L2SqRows %g (want %g), DotRows %g (want %g)", d, stride, row, l2[i], wl, dot[i], wd)
					}
				}
				if l2[len(idx)] != -1 || dot[len(idx)] != -1 {
					t.Fatalf("d=%d: wrote past the rows", d)
				}
				L2SqRows(l2, q, data, stride, nil) // no rows: nothing to do
			}
		}
	})
}

func TestRowsPanics(t *testing.T) {
	q, data := make([]float32, 8), make([]float32, 80)
	for name, f := range map[string]func(){
		"row beyond data":  func() { L2SqRows(make([]float32, 1), q, data, 8, []uint32{10}) },
		"last row partial": func() { DotRows(make([]float32, 1), q, data[:79], 8, []uint32{9}) },
		"short output":     func() { DotRows(make([]float32, 1), q, data, 8, []uint32{1, 2}) },
		"short stride":     func() { L2SqRows(make([]float32, 1), q, data, 7, []uint32{1}) },
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
