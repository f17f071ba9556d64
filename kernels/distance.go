package kernels

import "fmt"

// L2Sq returns the squared Euclidean distance between x and y, the sum of
// (x[i]-y[i])². It panics if their lengths differ. With Dot (the inner
// product, and the cosine of unit vectors) it is every metric the indexes
// offer.
func L2Sq(x, y []float32) float32 {
	if len(x) != len(y) {
		panic(lengthError("L2Sq", len(x), len(y)))
	}
	return active.l2sq(x, y)
}

func l2sqGeneric(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1, d2, d3 := x[i]-y[i], x[i+1]-y[i+1], x[i+2]-y[i+2], x[i+3]-y[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := x[i] - y[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// L2SqRows sets out[i] to the squared Euclidean distance between q and the
// row data[idx[i]*stride:][:len(q)], for every i: the distances of a query
// to rows of a table picked by number (a graph node's neighbours) in one
// call, which for short vectors costs a fraction of a call per row. It
// panics if out is shorter than idx, stride is shorter than q, or a row
// lies beyond data.
func L2SqRows(out, q, data []float32, stride int, idx []uint32) {
	checkRows("L2SqRows", out, q, data, stride, idx)
	active.l2sqRows(out, q, data, stride, idx)
}

// DotRows is L2SqRows for the inner product: out[i] is the dot product of
// q and row idx[i].
func DotRows(out, q, data []float32, stride int, idx []uint32) {
	checkRows("DotRows", out, q, data, stride, idx)
	active.dotRows(out, q, data, stride, idx)
}

func checkRows(fn string, out, q, data []float32, stride int, idx []uint32) {
	if len(out) < len(idx) {
		panic(fmt.Sprintf("kernels.%s: %d outputs for %d rows", fn, len(out), len(idx)))
	}
	if stride < len(q) {
		panic(fmt.Sprintf("kernels.%s: stride %d shorter than the query's %d values", fn, stride, len(q)))
	}
	var top uint32
	for _, i := range idx {
		top = max(top, i)
	}
	if len(idx) > 0 && int(top)*stride+len(q) > len(data) {
		panic(fmt.Sprintf("kernels.%s: row %d of stride %d lies beyond the %d values of data", fn, top, stride, len(data)))
	}
}

// rowsBy computes out[i] = f(q, row idx[i]): the portable form of the
// *Rows kernels, and theirs for long vectors, where a call a row costs
// nothing measurable.
func rowsBy(f func(x, y []float32) float32, out, q, data []float32, stride int, idx []uint32) {
	d := len(q)
	for i, r := range idx {
		o := int(r) * stride
		out[i] = f(q, data[o:o+d:o+d])
	}
}

func l2sqRowsGeneric(out, q, data []float32, stride int, idx []uint32) {
	rowsBy(l2sqGeneric, out, q, data, stride, idx)
}

func dotRowsGeneric(out, q, data []float32, stride int, idx []uint32) {
	rowsBy(dotGeneric, out, q, data, stride, idx)
}
