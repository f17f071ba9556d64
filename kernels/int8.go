package kernels

import "fmt"

// DotU8S8Rows sets out[i] to the integer dot product of the signed query q
// and the unsigned codes of row i, codes[i*stride : i*stride+len(q)], for
// each of the len(out) rows: the scores of int8 scalar-quantised vectors
// (codes 0..255 a dimension) against a quantised query (-127..127). The
// sums are exact in int32 for vectors of up to 66,000 dimensions. On
// AVX512-VNNI one instruction multiplies and adds 64 pairs. It panics if
// the rows lie beyond codes or the stride is shorter than q.
func DotU8S8Rows(out []int32, q []int8, codes []uint8, stride int) {
	n := len(out)
	if stride < len(q) {
		panic(fmt.Sprintf("kernels.DotU8S8Rows: stride %d shorter than the query's %d values", stride, len(q)))
	}
	if n > 0 && (n-1)*stride+len(q) > len(codes) {
		panic(fmt.Sprintf("kernels.DotU8S8Rows: %d rows of stride %d need %d codes, have %d", n, stride, (n-1)*stride+len(q), len(codes)))
	}
	if len(q) > 66000 {
		panic(fmt.Sprintf("kernels.DotU8S8Rows: %d dimensions could overflow int32", len(q)))
	}
	if n == 0 {
		return
	}
	if len(q) == 0 {
		clear(out)
		return
	}
	active.dotU8S8Rows(out, q, codes, stride)
}

func dotU8S8RowsGeneric(out []int32, q []int8, codes []uint8, stride int) {
	for i := range out {
		row := codes[i*stride : i*stride+len(q)]
		var s int32
		for j, c := range row {
			s += int32(c) * int32(q[j])
		}
		out[i] = s
	}
}
