package index

import (
	"math"
	"slices"
)

// topK keeps the k highest-keyed candidates seen so far in a bounded
// min-heap: the root is the worst kept candidate, so a candidate that does
// not beat it costs one comparison and nothing is ever fully sorted.
// Ties are broken towards the smaller ID.
type topK struct {
	k     int
	items []Result // Score holds the key: higher is better
}

func newTopK(k int) *topK { return &topK{k: k, items: make([]Result, 0, k)} }

// worse reports whether a ranks below b.
func worse(a, b Result) bool {
	return a.Score < b.Score || (a.Score == b.Score && a.ID > b.ID)
}

// threshold returns the key a candidate must reach to be considered:
// -Inf until the heap is full, then the worst kept key.
func (t *topK) threshold() float32 {
	if len(t.items) < t.k {
		return float32(math.Inf(-1))
	}
	return t.items[0].Score
}

// push offers a candidate.
func (t *topK) push(id uint64, key float32) {
	r := Result{ID: id, Score: key}
	h := t.items
	if len(h) < t.k {
		h = append(h, r)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(h[i], h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		t.items = h
		return
	}
	if t.k == 0 || !worse(h[0], r) {
		return
	}
	h[0] = r
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && worse(h[r], h[l]) {
			m = r
		}
		if !worse(h[m], h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// merge offers every candidate of o.
func (t *topK) merge(o *topK) {
	for _, r := range o.items {
		t.push(r.ID, r.Score)
	}
}

// sorted returns the kept candidates best first. The heap is consumed.
func (t *topK) sorted() []Result {
	out := t.items
	t.items = nil
	sortResults(out)
	return out
}

// sortResults sorts keyed results best first.
func sortResults(rs []Result) {
	slices.SortFunc(rs, func(a, b Result) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
}
