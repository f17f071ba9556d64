package kernels

import (
	"math/rand/v2"
	"testing"
)

// int8Case returns a random query, codes of n rows of the given stride
// (extremes included), and the plain loop's products.
func int8Case(r *rand.Rand, d, stride, n int) ([]int8, []uint8, []int32) {
	q := make([]int8, d)
	for i := range q {
		q[i] = int8(r.IntN(255) - 127)
	}
	if d > 0 {
		q[0], q[d-1] = -127, 127
	}
	codes := make([]uint8, (n-1)*stride+d)
	for i := range codes {
		codes[i] = uint8(r.IntN(256))
	}
	want := make([]int32, n)
	for i := range n {
		for j := range d {
			want[i] += int32(codes[i*stride+j]) * int32(q[j])
		}
	}
	return q, codes, want
}

// checkInt8 compares f with the plain loop over dimensions 0..200 and a
// long vector, packed and padded rows.
func checkInt8(t *testing.T, f func(out []int32, q []int8, codes []uint8, stride int)) {
	t.Helper()
	r := rand.New(rand.NewPCG(31, 31))
	for _, d := range append(vecLengths[:131:131], 200, 255, 256, 1000, 4097) {
		for _, pad := range []int{0, 5, 64} {
			n := 1 + r.IntN(9)
			q, codes, want := int8Case(r, d, d+pad, n)
			out := make([]int32, n+1)
			out[n] = -7
			f(out[:n], q, codes, d+pad)
			for i := range n {
				if out[i] != want[i] {
					t.Fatalf("d=%d stride %d row %d: %d, want %d", d, d+pad, i, out[i], want[i])
				}
			}
			if out[n] != -7 {
				t.Fatalf("d=%d: wrote past the rows", d)
			}
		}
	}
	// All extremes: 255 * 127 in every dimension.
	q := make([]int8, 4096)
	codes := make([]uint8, 4096)
	for i := range q {
		q[i], codes[i] = 127, 255
	}
	out := make([]int32, 1)
	f(out, q, codes, 4096)
	if out[0] != 255*127*4096 {
		t.Fatalf("extremes: %d", out[0])
	}
}

func TestDotU8S8Rows(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		checkInt8(t, func(out []int32, q []int8, codes []uint8, stride int) {
			DotU8S8Rows(out, q, codes, stride)
		})
	})
	for name, f := range map[string]func(){
		"codes short":  func() { DotU8S8Rows(make([]int32, 3), make([]int8, 8), make([]uint8, 23), 8) },
		"stride short": func() { DotU8S8Rows(make([]int32, 1), make([]int8, 8), make([]uint8, 8), 7) },
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

// BenchmarkDotU8S8Rows scores 10,000 rows of 128 codes; compare with
// BenchmarkDotRows128, the float rows it stands in for.
func BenchmarkDotU8S8Rows(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	q, codes, _ := int8Case(r, 128, 128, 10000)
	out := make([]int32, 10000)
	b.SetBytes(int64(len(codes)))
	for b.Loop() {
		DotU8S8Rows(out, q, codes, 128)
	}
}

func BenchmarkDotRows128(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	data, q := randSlice(r, 10000*128), randSlice(r, 128)
	idx := make([]uint32, 10000)
	for i := range idx {
		idx[i] = uint32(i)
	}
	out := make([]float32, 10000)
	b.SetBytes(int64(4 * len(data)))
	for b.Loop() {
		DotRows(out, q, data, 128, idx)
	}
}

// checkInt8x4 compares a four-query kernel with the plain loop.
func checkInt8x4(t *testing.T, f func(out []int32, qs []int8, codes []uint8, stride int)) {
	t.Helper()
	r := rand.New(rand.NewPCG(32, 32))
	for _, d := range append(vecLengths[:131:131], 200, 256, 1000) {
		for _, pad := range []int{0, 3, 64} {
			n := 1 + r.IntN(6)
			qs := make([]int8, 0, 4*d)
			var wants [4][]int32
			var codes []uint8
			q0, c, w0 := int8Case(r, d, d+pad, n)
			codes = c
			qs = append(qs, q0...)
			wants[0] = w0
			for j := 1; j < 4; j++ {
				q := make([]int8, d)
				for i := range q {
					q[i] = int8(r.IntN(255) - 127)
				}
				qs = append(qs, q...)
				wants[j] = make([]int32, n)
				for i := range n {
					for k := range d {
						wants[j][i] += int32(codes[i*(d+pad)+k]) * int32(q[k])
					}
				}
			}
			out := make([]int32, 4*n)
			f(out, qs, codes, d+pad)
			for i := range n {
				for j := range 4 {
					if out[4*i+j] != wants[j][i] {
						t.Fatalf("d=%d stride %d row %d query %d: %d, want %d", d, d+pad, i, j, out[4*i+j], wants[j][i])
					}
				}
			}
		}
	}
}

func TestDotU8S8Rows4(t *testing.T) {
	forEachPath(t, func(t *testing.T) { checkInt8x4(t, DotU8S8Rows4) })
	defer func() {
		if recover() == nil {
			t.Error("three outputs accepted")
		}
	}()
	DotU8S8Rows4(make([]int32, 3), make([]int8, 8), make([]uint8, 8), 2)
}

// TestDotU8S8RowsIdx checks the scores of rows picked by index (a graph
// search's neighbours: out of order, repeated, the last row of codes)
// against a plain loop on every path, for dimensions around the kernels'
// steps (16, 64) and extreme values.
func TestDotU8S8RowsIdx(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, d := range []int{1, 15, 16, 20, 32, 48, 64, 100, 128, 784, 960} {
			for _, extra := range []int{0, 3} {
				const n = 40
				stride := d + extra
				q, codes, want := int8Case(r, d, stride, n)
				if d == 960 {
					for i := range codes {
						codes[i] = 255
					}
					for i := range q {
						q[i] = -127
					}
					for i := range want {
						want[i] = -127 * 255 * int32(d)
					}
				}
				idx := []uint32{n - 1, 0, 7, 7, 31, 2, n - 1, 13}
				out := make([]int32, len(idx)+2)
				for i := range out {
					out[i] = -9
				}
				DotU8S8RowsIdx(out, q, codes, stride, idx)
				for i, row := range idx {
					if out[i] != want[row] {
						t.Fatalf("d %d stride %d: row %d (index %d) = %d, want %d", d, stride, row, i, out[i], want[row])
					}
				}
				if out[len(idx)] != -9 {
					t.Fatalf("d %d: wrote past the rows asked for", d)
				}
			}
		}
	})
}
