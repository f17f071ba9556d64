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

// DotU8S8Rows4 is DotU8S8Rows for four queries at once, qs holding them
// back to back (4*dim values): out[4*i+j] is query j's product with row i,
// for the len(out)/4 rows. Each row's codes are read once for the four,
// which is what makes a batch of queries faster than one at a time.
func DotU8S8Rows4(out []int32, qs []int8, codes []uint8, stride int) {
	if len(out)%4 != 0 || len(qs)%4 != 0 {
		panic(fmt.Sprintf("kernels.DotU8S8Rows4: %d outputs and %d query values are not four queries' worth", len(out), len(qs)))
	}
	n, d := len(out)/4, len(qs)/4
	if stride < d {
		panic(fmt.Sprintf("kernels.DotU8S8Rows4: stride %d shorter than the queries' %d values", stride, d))
	}
	if n > 0 && (n-1)*stride+d > len(codes) {
		panic(fmt.Sprintf("kernels.DotU8S8Rows4: %d rows of stride %d need %d codes, have %d", n, stride, (n-1)*stride+d, len(codes)))
	}
	if d > 66000 {
		panic(fmt.Sprintf("kernels.DotU8S8Rows4: %d dimensions could overflow int32", d))
	}
	if n == 0 {
		return
	}
	if d == 0 {
		clear(out)
		return
	}
	active.dotU8S8Rows4(out, qs, codes, stride)
}

// dotU8S8Rows4By runs a one-query kernel four times, for the paths
// without a four-query kernel.
func dotU8S8Rows4By(f func(out []int32, q []int8, codes []uint8, stride int), out []int32, qs []int8, codes []uint8, stride int) {
	n, d := len(out)/4, len(qs)/4
	tmp := make([]int32, n)
	for j := range 4 {
		f(tmp, qs[j*d:(j+1)*d], codes, stride)
		for i, s := range tmp {
			out[4*i+j] = s
		}
	}
}

func dotU8S8Rows4Generic(out []int32, qs []int8, codes []uint8, stride int) {
	dotU8S8Rows4By(dotU8S8RowsGeneric, out, qs, codes, stride)
}

// DotU8S8RowsIdx is DotU8S8Rows for the rows idx[i] of codes: out[i] is
// q's product with codes[idx[i]*stride : idx[i]*stride+len(q)], for the
// len(idx) rows (len(out) >= len(idx)): the scores of a graph search's
// neighbours. It panics if a row lies beyond codes.
func DotU8S8RowsIdx(out []int32, q []int8, codes []uint8, stride int, idx []uint32) {
	if len(out) < len(idx) || stride < len(q) {
		panic(fmt.Sprintf("kernels.DotU8S8RowsIdx: %d scores for %d rows, stride %d for %d values", len(out), len(idx), stride, len(q)))
	}
	for _, r := range idx {
		if int(r)*stride+len(q) > len(codes) {
			panic(fmt.Sprintf("kernels.DotU8S8RowsIdx: row %d beyond %d codes of stride %d", r, len(codes), stride))
		}
	}
	if len(idx) == 0 {
		return
	}
	if len(q) == 0 {
		clear(out[:len(idx)])
		return
	}
	active.dotU8S8RowsIdx(out, q, codes, stride, idx)
}

// rowsIdx returns DotU8S8RowsIdx done a row at a time through rows, a
// path's DotU8S8Rows.
func rowsIdx(rows func(out []int32, q []int8, codes []uint8, stride int)) func(out []int32, q []int8, codes []uint8, stride int, idx []uint32) {
	return func(out []int32, q []int8, codes []uint8, stride int, idx []uint32) {
		for i, r := range idx {
			o := int(r) * stride
			rows(out[i:i+1], q, codes[o:o+len(q)], stride)
		}
	}
}
