//go:build amd64 && !purego

package kernels

import "testing"

// TestDotU8S8RowsVariants runs both AVX-512 int8 kernels the CPU has: the
// AVX-512 path uses only one of them.
func TestDotU8S8RowsVariants(t *testing.T) {
	if len(available) < 2 || available[0].name != "avx512" {
		t.Skip("no AVX-512")
	}
	t.Run("avx512bw", func(t *testing.T) { checkInt8(t, dotU8S8RowsAVX512BWGo) })
	if !hasVNNI {
		t.Skip("no AVX512-VNNI")
	}
	t.Run("vnni", func(t *testing.T) { checkInt8(t, dotU8S8RowsVNNIGo) })
	t.Run("vnni-4", func(t *testing.T) {
		checkInt8x4(t, func(out []int32, qs []int8, codes []uint8, stride int) {
			if len(qs) == 0 {
				return // the exported function's case
			}
			dotU8S8Rows4VNNIGo(out, qs, codes, stride)
		})
	})
}
