package eval

import "fmt"

// Neighbours returns, for each item index in queries, the indices of its k
// most similar items in emb (n rows of dim values), most similar first,
// never including the query itself; ties rank the lower index first. Each
// list has min(k, n-1) entries.
//
// It panics if emb does not hold whole rows of dim values or a query is out
// of range, as those are programming errors.
func Neighbours(emb []float32, dim int, queries []int, k int) [][]int {
	n := mustRows("Neighbours", emb, dim)
	for _, q := range queries {
		if q < 0 || q >= n {
			panic(fmt.Sprintf("eval: Neighbours: query %d out of range [0, %d)", q, n))
		}
	}
	out := make([][]int, len(queries))
	kk := max(0, min(k, n-1))
	sels := make([]selector, workers())
	newScorer(emb, dim).each(queries, func(w, qi int, row []float32) {
		out[qi] = sels[w].topK(make([]int, 0, kk), row, kk, queries[qi])
	})
	return out
}

// mustRows returns the number of rows in emb, panicking on a bad shape.
func mustRows(fn string, emb []float32, dim int) int {
	if dim <= 0 || len(emb)%dim != 0 {
		panic(fmt.Sprintf("eval: %s: %d values do not divide into rows of %d", fn, len(emb), dim))
	}
	return len(emb) / dim
}
