package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// vecLengths covers the empty slice, every tail length of the assembly
// loops (blocks of 8, 16, 32 and 64) and a few longer slices.
var vecLengths = func() []int {
	var ns []int
	for n := 0; n <= 130; n++ {
		ns = append(ns, n)
	}
	return append(ns, 255, 256, 1000, 4097)
}()

// withSpecials returns x with some NaNs, infinities, zeros of both signs
// and subnormals mixed in.
func withSpecials(r *rand.Rand, x []float32) []float32 {
	sp := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		0, float32(math.Copysign(0, -1)), 1e-40, -1e-40}
	for i := range x {
		if r.IntN(8) == 0 {
			x[i] = sp[r.IntN(len(sp))]
		}
	}
	return x
}

func same(a, b float32) bool {
	return a == b && math.Signbit(float64(a)) == math.Signbit(float64(b)) || a != a && b != b
}

func TestDot(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 1))
		for _, n := range vecLengths {
			x, y := randSlice(r, n), randSlice(r, n)
			var want, abs float64
			for i := range x {
				want += float64(x[i]) * float64(y[i])
				abs += math.Abs(float64(x[i]) * float64(y[i]))
			}
			got := Dot(x, y)
			if tol := 2 * float64(n+2) / (1 << 24) * abs; math.Abs(float64(got)-want) > tol {
				t.Errorf("n=%d: Dot = %g, want %g (tolerance %g)", n, got, want, tol)
			}
		}
	})
}

func TestAxpyScaleAdd(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(2, 2))
		for _, n := range vecLengths {
			x, y := randSlice(r, n+3), randSlice(r, n+3)
			y0 := append([]float32(nil), y...)
			const alpha = -0.7
			Axpy(alpha, x[:n], y[:n])
			for i := range y {
				want := y0[i]
				if i < n {
					want = float32(float64(y0[i]) + float64(alpha)*float64(x[i]))
				}
				if d := math.Abs(float64(y[i] - want)); d > 1e-6*math.Abs(float64(want))+1e-7 || (i >= n && y[i] != want) {
					t.Fatalf("n=%d: Axpy: y[%d] = %g, want %g", n, i, y[i], want)
				}
			}

			copy(y, y0)
			Scale(alpha, y[:n])
			for i := range y {
				want := y0[i]
				if i < n {
					want = alpha * y0[i]
				}
				if y[i] != want {
					t.Fatalf("n=%d: Scale: x[%d] = %g, want %g", n, i, y[i], want)
				}
			}

			copy(y, y0)
			Add(y[:n], x[:n])
			for i := range y {
				want := y0[i]
				if i < n {
					want = y0[i] + x[i]
				}
				if y[i] != want {
					t.Fatalf("n=%d: Add: dst[%d] = %g, want %g", n, i, y[i], want)
				}
			}
		}
	})
}

func TestReLU(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 3))
		for _, n := range vecLengths {
			x := withSpecials(r, randSlice(r, n+3))
			dst := randSlice(r, n+3)
			dst0 := append([]float32(nil), dst...)
			ReLU(dst[:n], x[:n])
			for i := range dst {
				want := dst0[i]
				if i < n {
					want = 0
					if x[i] > 0 {
						want = x[i]
					}
				}
				if !same(dst[i], want) {
					t.Fatalf("n=%d: ReLU(%g) = %g, want %g", n, x[i], dst[i], want)
				}
			}
			// In place.
			x0 := append([]float32(nil), x...)
			ReLU(x[:n], x[:n])
			for i := range n {
				if want := max(x0[i], 0); x0[i] == x0[i] && !same(x[i], want) || x0[i] != x0[i] && x[i] != 0 {
					t.Fatalf("n=%d: in-place ReLU(%g) = %g", n, x0[i], x[i])
				}
			}
		}
	})
}

func TestReLUBackward(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(4, 4))
		for _, n := range vecLengths {
			y := withSpecials(r, randSlice(r, n+3))
			dy := withSpecials(r, randSlice(r, n+3))
			dx := randSlice(r, n+3)
			dx0 := append([]float32(nil), dx...)
			ReLUBackward(dx[:n], dy[:n], y[:n])
			for i := range dx {
				want := dx0[i]
				if i < n {
					want = 0
					if y[i] > 0 {
						want = dy[i]
					}
				}
				if !same(dx[i], want) {
					t.Fatalf("n=%d: ReLUBackward: dx[%d] = %g, want %g (dy %g, y %g)", n, i, dx[i], want, dy[i], y[i])
				}
			}
			// In place, dx == dy.
			dy0 := append([]float32(nil), dy...)
			ReLUBackward(dy[:n], dy[:n], y[:n])
			for i := range n {
				want := float32(0)
				if y[i] > 0 {
					want = dy0[i]
				}
				if !same(dy[i], want) {
					t.Fatalf("n=%d: in-place ReLUBackward: dx[%d] = %g, want %g", n, i, dy[i], want)
				}
			}
		}
	})
}

func TestAdam(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 5))
		const lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7
		for _, n := range vecLengths {
			p, g := randSlice(r, n), randSlice(r, n)
			m, v := randSlice(r, n), randSlice(r, n)
			for i := range v {
				v[i] *= v[i] // v >= 0
				m[i] *= 0.1
			}
			if n > 0 {
				g[0], m[0], v[0] = 0, 0, 0 // update 0/(0+eps)
			}
			p0, m0, v0 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
			for step := 1; step <= 3; step++ {
				bc1 := float32(1 - math.Pow(b1, float64(step)))
				bc2 := float32(1 - math.Pow(b2, float64(step)))
				Adam(p, g, m, v, lr, b1, b2, eps, bc1, bc2)
				// The reference, in float64 from the float32 parameters.
				B1, B2 := float64(float32(b1)), float64(float32(b2))
				LR, EPS := float64(float32(lr)), float64(float32(eps))
				const u = 1.0 / (1 << 24)
				for i := range p {
					gi := float64(g[i])
					mw := B1*float64(m0[i]) + (1-B1)*gi
					vw := B2*float64(v0[i]) + (1-B2)*gi*gi
					upd := LR * (mw / float64(bc1)) / (math.Sqrt(vw/float64(bc2)) + EPS)
					pw := float64(p0[i]) - upd
					mtol := 4 * u * (math.Abs(B1*float64(m0[i])) + math.Abs((1-B1)*gi))
					vtol := 4 * u * (math.Abs(B2*float64(v0[i])) + math.Abs((1-B2)*gi*gi))
					if math.Abs(float64(m[i])-mw) > mtol || math.Abs(float64(v[i])-vw) > vtol ||
						math.Abs(float64(p[i])-pw) > 2*u*math.Abs(pw)+1e-4*math.Abs(upd) {
						t.Fatalf("n=%d, step %d, i=%d: p, m, v = %g, %g, %g; want %g, %g, %g", n, step, i, p[i], m[i], v[i], pw, mw, vw)
					}
					p0[i], m0[i], v0[i] = p[i], m[i], v[i]
				}
			}
		}
	})
}

func TestVecPanics(t *testing.T) {
	a, b := make([]float32, 3), make([]float32, 4)
	for name, f := range map[string]func(){
		"Dot":          func() { Dot(a, b) },
		"Axpy":         func() { Axpy(1, a, b) },
		"Add":          func() { Add(a, b) },
		"ReLU":         func() { ReLU(a, b) },
		"ReLUBackward": func() { ReLUBackward(a, a, b) },
		"Adam":         func() { Adam(a, a, a, b, 1, 0.9, 0.999, 1e-7, 0.1, 0.001) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on different lengths", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkVec reports the speed of the vector kernels on each path, for
// slices in L1 (1024), in L2 (the 4500 x 32 activations of a layer) and
// in memory.
func BenchmarkVec(b *testing.B) {
	saved := active
	defer func() { active = saved }()
	for _, s := range available {
		for _, n := range []int{1024, 144000, 1 << 22} {
			r := rand.New(rand.NewPCG(1, 1))
			x, y, z, w := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
			for i := range w {
				w[i] *= w[i]
			}
			for _, fn := range []struct {
				name   string
				arrays int // slices read or written, for the bytes per op
				f      func()
			}{
				{"Dot", 2, func() { Dot(x, y) }},
				{"Axpy", 3, func() { Axpy(0.5, x, y) }},
				{"Scale", 2, func() { Scale(1, x) }},
				{"Add", 3, func() { Add(y, x) }},
				{"ReLU", 2, func() { ReLU(z, x) }},
				{"ReLUBackward", 3, func() { ReLUBackward(z, y, x) }},
				{"Adam", 7, func() { Adam(x, y, z, w, 1e-9, 0.9, 0.999, 1e-7, 0.5, 0.5) }},
			} {
				b.Run(fmt.Sprintf("%s/%s/%d", s.name, fn.name, n), func(b *testing.B) {
					active = s
					b.SetBytes(int64(4 * n * fn.arrays))
					for b.Loop() {
						fn.f()
					}
				})
			}
		}
	}
}

// TestMulAdd checks dst += x*w on every path against a float64 fused
// multiply-add, exactly (one rounding, as FMA).
func TestMulAdd(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 9))
		for _, n := range vecLengths {
			dst, x, w := randSlice(r, n+3), randSlice(r, n+3), randSlice(r, n+3)
			want := append([]float32(nil), dst...)
			for i := range n {
				want[i] = float32(math.FMA(float64(x[i]), float64(w[i]), float64(want[i])))
			}
			MulAdd(dst[:n], x[:n], w[:n])
			for i := range dst {
				if !same(dst[i], want[i]) {
					t.Fatalf("n=%d: dst[%d] = %g, want %g (past n: untouched)", n, i, dst[i], want[i])
				}
			}
		}
	})
}
