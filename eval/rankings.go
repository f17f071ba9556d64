package eval

import "fmt"

// FromRankings computes the retrieval metrics of Retrieval from rankings
// made elsewhere, such as by an approximate index: ranked[q] lists the
// neighbours of item q, best first, without q itself. A ranking should hold
// at least min(R, 10, max k) entries, R being the number of other items of
// q's class; relevant items missing from a shorter ranking count as misses,
// which is how an approximate search's lost neighbours show. Items whose
// class has no other member are skipped, as in Retrieval.
func FromRankings(labels []int, ranked [][]int, opt Options) (Metrics, error) {
	n := len(labels)
	if len(ranked) != n {
		return Metrics{}, fmt.Errorf("eval: rankings: %d rankings for %d items", len(ranked), n)
	}
	ks := opt.Ks
	if len(ks) == 0 {
		ks = defaultKs()
	}
	for _, k := range ks {
		if k <= 0 {
			return Metrics{}, fmt.Errorf("eval: rankings: recall cut-off k=%d must be positive", k)
		}
	}
	classSize := make(map[int]int)
	for _, l := range labels {
		classSize[l]++
	}
	m := Metrics{Items: n, Classes: len(classSize), RecallAtK: make(map[int]float64, len(ks))}
	results := make([]queryResult, n)
	var queries []int
	for q, l := range labels {
		r := classSize[l] - 1
		if r == 0 {
			m.SkippedSingletons++
			continue
		}
		for _, j := range ranked[q] {
			if j < 0 || j >= n || j == q {
				return Metrics{}, fmt.Errorf("eval: rankings: item %d has neighbour %d", q, j)
			}
		}
		queries = append(queries, q)
		if len(ranked[q]) == 0 {
			results[q] = queryResult{firstHit: -1}
			continue
		}
		res := scoreQuery(ranked[q], labels, l, r)
		// scoreQuery divides by the entries present; a short ranking's
		// missing entries are misses.
		if want := min(10, n-1); len(ranked[q]) < want {
			res.p10 = res.p10 * float64(len(ranked[q])) / float64(want)
		}
		results[q] = res
	}
	m.Queries = len(queries)
	if m.Queries == 0 {
		for _, k := range ks {
			m.RecallAtK[k] = 0
		}
		return m, nil
	}
	m.summarize(queries, results, ks)
	return m, nil
}
