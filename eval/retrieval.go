package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// defaultKs returns the cut-offs Recall@k is reported at when Options.Ks
// is empty.
func defaultKs() []int { return []int{1, 5, 10} }

// Options configures Retrieval.
type Options struct {
	// Ks lists the cut-offs k for RecallAtK. Empty means 1, 5 and 10.
	Ks []int
}

// Metrics are leave-one-out retrieval scores, each the mean over the
// evaluated queries. It is written out as metrics.json.
type Metrics struct {
	// Items is the number of embeddings evaluated.
	Items int `json:"items"`
	// Classes is the number of distinct labels.
	Classes int `json:"classes"`
	// Queries is the number of items used as queries: all items except
	// those whose class has no other member.
	Queries int `json:"queries"`
	// SkippedSingletons counts items skipped as queries because no other
	// item shares their label (R = 0).
	SkippedSingletons int `json:"skipped_singletons"`
	// PrecisionAt1 is the fraction of queries whose nearest neighbour has
	// the query's label.
	PrecisionAt1 float64 `json:"precision_at_1"`
	// PrecisionAt10 is the mean fraction of the 10 nearest neighbours that
	// have the query's label (of all n-1 neighbours if there are fewer).
	PrecisionAt10 float64 `json:"precision_at_10"`
	// RPrecision is the mean fraction of the R nearest neighbours that are
	// relevant, where R is the number of other items with the query's label.
	RPrecision float64 `json:"r_precision"`
	// MAPAtR is the mean of (1/R) * sum_{i=1..R} P(i)*rel(i), where P(i)
	// is the precision of the top i neighbours and rel(i) is 1 if the i-th
	// neighbour is relevant and 0 otherwise.
	MAPAtR float64 `json:"map_at_r"`
	// RecallAtK maps each cut-off k to the fraction of queries with at
	// least one relevant item among their k nearest neighbours.
	RecallAtK map[int]float64 `json:"recall_at_k"`
}

// queryResult holds one query's scores until they are averaged in order.
type queryResult struct {
	p1, p10, rPrec, ap float64
	firstHit           int // rank of the first relevant neighbour, or -1
}

// Retrieval evaluates emb, n rows of dim values with labels[i] the class of
// row i, by leave-one-out retrieval: every item queries all the others,
// never itself, and the metrics of Musgrave et al. 2020 are averaged over
// the queries. Items whose class has no other member are not used as
// queries and are counted in SkippedSingletons; they still appear as
// (irrelevant) neighbours of other queries.
//
// Similarities are computed a block of queries at a time with
// kernels.Sgemm, on runtime.NumCPU goroutines, in memory independent of
// n*n. Each query keeps only its top max(R, max k, 10) neighbours, selected
// with TopK, so ties break towards the lower index.
func Retrieval(emb []float32, dim int, labels []int, opt Options) (Metrics, error) {
	n, err := checkEmbeddings(emb, dim)
	if err != nil {
		return Metrics{}, fmt.Errorf("eval: retrieval: %w", err)
	}
	if n != len(labels) {
		return Metrics{}, fmt.Errorf("eval: retrieval: %d embeddings but %d labels", n, len(labels))
	}
	ks := opt.Ks
	if len(ks) == 0 {
		ks = defaultKs()
	}
	kmax := 10
	for _, k := range ks {
		if k <= 0 {
			return Metrics{}, fmt.Errorf("eval: retrieval: recall cut-off k=%d must be positive", k)
		}
		kmax = max(kmax, k)
	}

	classSize := make(map[int]int)
	for _, l := range labels {
		classSize[l]++
	}
	m := Metrics{Items: n, Classes: len(classSize), RecallAtK: make(map[int]float64, len(ks))}

	results := make([]queryResult, n)
	queries := make([]int, 0, n)
	for i, l := range labels {
		r := classSize[l] - 1
		if r == 0 {
			m.SkippedSingletons++
			continue
		}
		queries = append(queries, i)
	}
	m.Queries = len(queries)
	if m.Queries == 0 {
		for _, k := range ks {
			m.RecallAtK[k] = 0
		}
		return m, nil
	}

	s := newScorer(emb, dim)
	type scratch struct {
		sel selector
		top []int
	}
	scratches := make([]scratch, workers())
	s.each(queries, func(w, qi int, row []float32) {
		q := queries[qi]
		r := classSize[labels[q]] - 1
		sc := &scratches[w]
		sc.top = sc.sel.topK(sc.top, row, min(n-1, max(r, kmax)), q)
		results[q] = scoreQuery(sc.top, labels, labels[q], r)
	})

	m.summarize(queries, results, ks)
	return m, nil
}

// summarize averages the per-query results into m, summing in query order
// so that the result does not depend on scheduling.
func (m *Metrics) summarize(queries []int, results []queryResult, ks []int) {
	hits := make([]int, len(ks))
	for _, q := range queries {
		res := results[q]
		m.PrecisionAt1 += res.p1
		m.PrecisionAt10 += res.p10
		m.RPrecision += res.rPrec
		m.MAPAtR += res.ap
		for j, k := range ks {
			if res.firstHit >= 0 && res.firstHit < k {
				hits[j]++
			}
		}
	}
	nq := float64(m.Queries)
	m.PrecisionAt1 /= nq
	m.PrecisionAt10 /= nq
	m.RPrecision /= nq
	m.MAPAtR /= nq
	for j, k := range ks {
		m.RecallAtK[k] = float64(hits[j]) / nq
	}
}

// scoreQuery scores one query's ranked neighbours top, which must hold at
// least min(r, 10) entries, given the query's label and its r > 0 relevant
// items.
func scoreQuery(top, labels []int, label, r int) queryResult {
	res := queryResult{firstHit: -1}
	n10 := min(10, len(top))
	hits := 0
	for i, idx := range top {
		if labels[idx] != label {
			continue
		}
		if res.firstHit < 0 {
			res.firstHit = i
		}
		if i < r {
			hits++
			res.ap += float64(hits) / float64(i+1)
		}
		if i < n10 {
			res.p10++
		}
	}
	if res.firstHit == 0 {
		res.p1 = 1
	}
	res.p10 /= float64(n10)
	res.rPrec = float64(hits) / float64(r)
	res.ap /= float64(r)
	return res
}

// checkEmbeddings validates a flat embedding matrix and returns its rows.
func checkEmbeddings(emb []float32, dim int) (int, error) {
	if dim <= 0 {
		return 0, fmt.Errorf("embedding dimension %d must be positive", dim)
	}
	if len(emb)%dim != 0 {
		return 0, fmt.Errorf("%d values do not divide into rows of %d", len(emb), dim)
	}
	if len(emb) == 0 {
		return 0, errors.New("no embeddings")
	}
	if i := slices.IndexFunc(emb, func(v float32) bool {
		return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)
	}); i >= 0 {
		return 0, fmt.Errorf("embedding %d has non-finite value %v", i/dim, emb[i])
	}
	return len(emb) / dim, nil
}
