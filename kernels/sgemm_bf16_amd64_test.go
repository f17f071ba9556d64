//go:build amd64 && !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestPairBF16 checks the assembly pairing of float32 rows into bfloat16
// pairs, in place, bit for bit against RoundBF16, for every stride and
// odd and even row counts, with special values mixed in.
func TestPairBF16(t *testing.T) {
	if !cpu.X86.HasAVX512BF16 {
		t.Skip("the CPU has no AVX512-BF16")
	}
	r := rand.New(rand.NewPCG(7, 8))
	specials := []uint32{0x3f808000, 0x3f818000, 0x7f7fffff, 0x7f800000, 0xff800000,
		0x00000001, 0x807fffff, 0x80000000, 0x7fc00000, 0x7f800001}
	for stride := 1; stride <= 32; stride++ {
		for rows := 1; rows <= 9; rows++ {
			p := randSlice(r, rows*stride+8)
			for i := range p {
				if r.IntN(8) == 0 {
					p[i] = math.Float32frombits(specials[r.IntN(len(specials))])
				}
			}
			p0 := append([]float32(nil), p...)
			packColsBF16Pair(p[:rows*stride], rows, stride)
			for i := range p {
				q, j := i/stride, i%stride
				var want uint32
				switch {
				case q >= (rows+1)/2:
					want = math.Float32bits(p0[i]) // past the pairs: untouched
				default:
					lo := math.Float32bits(RoundBF16(p0[2*q*stride+j])) >> 16
					var hi uint32
					if 2*q+1 < rows {
						hi = math.Float32bits(RoundBF16(p0[(2*q+1)*stride+j])) >> 16
					}
					want = lo | hi<<16
				}
				got := math.Float32bits(p[i])
				if got != want && !bothNaNPairs(got, want) {
					t.Fatalf("stride %d, rows %d: word %d = %#08x, want %#08x", stride, rows, i, got, want)
				}
			}
		}
	}
}

// bothNaNPairs reports whether two pair words differ only in NaN payloads.
func bothNaNPairs(x, y uint32) bool {
	isNaN := func(h uint32) bool { return h&0x7f80 == 0x7f80 && h&0x7f != 0 }
	for _, sh := range []uint{0, 16} {
		a, b := x>>sh&0xffff, y>>sh&0xffff
		if a != b && !(isNaN(a) && isNaN(b)) {
			return false
		}
	}
	return true
}

// packColsBF16Pair pairs the rows of p in place, as packColsBF16 does.
func packColsBF16Pair(p []float32, rows, stride int) {
	pairBF16(&p[0], &p[0], rows, stride, stride, stride)
}

// TestTransposeBlocks checks transposeBlocks (16 x 16 blocks in assembly,
// edges in Go) against a loop, overwriting and adding.
func TestTransposeBlocks(t *testing.T) {
	if !cpu.X86.HasAVX512F {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range [][2]int{{1, 1}, {16, 16}, {17, 33}, {32, 16}, {5, 48}, {64, 100}} {
		for _, add := range []bool{false, true} {
			rows, cols := s[0], s[1]
			lds, ldd := cols+3, rows+5
			src := randSlice(r, rows*lds)
			dst := randSlice(r, cols*ldd)
			want := append([]float32(nil), dst...)
			const beta = -0.5
			for i := range rows {
				for j := range cols {
					v := src[i*lds+j]
					if add {
						v += beta * want[j*ldd+i]
					}
					want[j*ldd+i] = v
				}
			}
			transposeBlocks(dst, ldd, src, lds, rows, cols, beta, add)
			for i := range want {
				if dst[i] != want[i] {
					t.Fatalf("%dx%d add=%v: element %d = %g, want %g", rows, cols, add, i, dst[i], want[i])
				}
			}
		}
	}
}
