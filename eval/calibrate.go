package eval

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Pair is one search result of a labelled set: the similarity of a query
// and one of its nearest neighbours, and whether the two share a class
// (a true match).
type Pair struct {
	Score float32
	Match bool
}

// NeighbourPairs returns the results a search of every item among the
// others would show: for each item, its k most similar other items
// (leave-one-out, as Retrieval), one Pair each, in item order. These are
// the pairs a "match / no match" threshold decides on: a user sees a
// query's neighbours, never the far away pairs that would make any
// threshold look good.
func NeighbourPairs(emb []float32, dim int, labels []int, k int) ([]Pair, error) {
	n, err := checkEmbeddings(emb, dim)
	if err != nil {
		return nil, fmt.Errorf("eval: neighbour pairs: %w", err)
	}
	if n != len(labels) {
		return nil, fmt.Errorf("eval: neighbour pairs: %d embeddings but %d labels", n, len(labels))
	}
	if k <= 0 {
		return nil, fmt.Errorf("eval: neighbour pairs: k=%d must be positive", k)
	}
	if n < 2 {
		return nil, fmt.Errorf("eval: neighbour pairs: %d items, need at least 2", n)
	}
	k = min(k, n-1)
	queries := make([]int, n)
	for i := range queries {
		queries[i] = i
	}
	out := make([]Pair, n*k)
	type scratch struct {
		sel selector
		top []int
	}
	scratches := make([]scratch, workers())
	newScorer(emb, dim).each(queries, func(w, q int, row []float32) {
		sc := &scratches[w]
		sc.top = sc.sel.topK(sc.top, row, k, q)
		for j, nb := range sc.top {
			out[q*k+j] = Pair{Score: row[nb], Match: labels[nb] == labels[q]}
		}
	})
	return out, nil
}

// Rates are the counts and rates of a threshold over a set of pairs: a
// pair is accepted as a match when its score is at least Threshold.
type Rates struct {
	Threshold float64 `json:"threshold"`
	// TP: true matches accepted; FP: non-matches accepted; FN: true
	// matches rejected; TN: non-matches rejected.
	TP int `json:"tp"`
	FP int `json:"fp"`
	FN int `json:"fn"`
	TN int `json:"tn"`
	// Precision is TP/(TP+FP) (1 when nothing is accepted), Recall
	// TP/(TP+FN), F1 their harmonic mean; FalseAccept is FP/(FP+TN) and
	// FalseReject FN/(TP+FN), 0 where nothing is counted.
	Precision   float64 `json:"precision"`
	Recall      float64 `json:"recall"`
	F1          float64 `json:"f1"`
	FalseAccept float64 `json:"false_accept_rate"`
	FalseReject float64 `json:"false_reject_rate"`
}

func newRates(t float64, tp, fp, pos, neg int) Rates {
	r := Rates{Threshold: t, TP: tp, FP: fp, FN: pos - tp, TN: neg - fp, Precision: 1}
	if tp+fp > 0 {
		r.Precision = float64(tp) / float64(tp+fp)
	}
	if pos > 0 {
		r.Recall = float64(tp) / float64(pos)
		r.FalseReject = float64(pos-tp) / float64(pos)
	}
	if neg > 0 {
		r.FalseAccept = float64(fp) / float64(neg)
	}
	if tp > 0 {
		r.F1 = 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
	}
	return r
}

// RatesAt counts the pairs a threshold accepts and rejects: how a
// threshold chosen on one set does on another.
func RatesAt(pairs []Pair, threshold float64) Rates {
	var tp, fp, pos int
	for _, p := range pairs {
		if p.Match {
			pos++
		}
		if float64(p.Score) >= threshold {
			if p.Match {
				tp++
			} else {
				fp++
			}
		}
	}
	return newRates(threshold, tp, fp, pos, len(pairs)-pos)
}

// OperatingPoint is a threshold chosen for a purpose, with its rates on
// the calibration pairs.
type OperatingPoint struct {
	// Name says how it was chosen: "precision=0.99" (the lowest threshold,
	// so the highest recall, whose precision is at least 0.99),
	// "recall=0.9" (the highest threshold whose recall is at least 0.9) or
	// "best-f1".
	Name string `json:"name"`
	Rates
}

// Calibration is the precision, recall and error rates of every threshold
// over a set of pairs, and the operating points chosen from them.
type Calibration struct {
	Pairs     int `json:"pairs"`
	Positives int `json:"positives"` // pairs that are true matches
	// Curve holds the rates at each distinct score of the pairs, highest
	// first; a threshold between two of them accepts what the higher one
	// does.
	Curve  []Rates          `json:"-"`
	Points []OperatingPoint `json:"operating_points"`
}

// Calibrate computes the rates of every threshold over pairs and picks the
// operating points: for each precision target the lowest threshold whose
// precision reaches it, for each recall target the highest threshold whose
// recall reaches it, and the threshold of the best F1. A target no
// threshold reaches is left out (a precision above what the model can give).
func Calibrate(pairs []Pair, precisions, recalls []float64) (*Calibration, error) {
	if len(pairs) == 0 {
		return nil, fmt.Errorf("eval: calibrate: no pairs")
	}
	sorted := slices.Clone(pairs)
	for _, p := range sorted {
		if math.IsNaN(float64(p.Score)) {
			return nil, fmt.Errorf("eval: calibrate: a NaN score")
		}
	}
	slices.SortFunc(sorted, func(a, b Pair) int { return cmp.Compare(b.Score, a.Score) })
	pos := 0
	for _, p := range sorted {
		if p.Match {
			pos++
		}
	}
	neg := len(sorted) - pos
	c := &Calibration{Pairs: len(sorted), Positives: pos}
	tp, fp := 0, 0
	for i := 0; i < len(sorted); {
		t := sorted[i].Score
		for ; i < len(sorted) && sorted[i].Score == t; i++ {
			if sorted[i].Match {
				tp++
			} else {
				fp++
			}
		}
		c.Curve = append(c.Curve, newRates(float64(t), tp, fp, pos, neg))
	}
	for _, target := range precisions {
		best := -1
		for i, r := range c.Curve {
			if r.Precision >= target {
				best = i // lower thresholds come later
			}
		}
		if best >= 0 {
			c.Points = append(c.Points, OperatingPoint{Name: fmt.Sprintf("precision=%g", target), Rates: c.Curve[best]})
		}
	}
	for _, target := range recalls {
		for _, r := range c.Curve {
			if r.Recall >= target {
				c.Points = append(c.Points, OperatingPoint{Name: fmt.Sprintf("recall=%g", target), Rates: r})
				break
			}
		}
	}
	best := 0
	for i, r := range c.Curve {
		if r.F1 > c.Curve[best].F1 {
			best = i
		}
	}
	c.Points = append(c.Points, OperatingPoint{Name: "best-f1", Rates: c.Curve[best]})
	return c, nil
}

// Point returns the operating point of the given name.
func (c *Calibration) Point(name string) (OperatingPoint, bool) {
	for _, p := range c.Points {
		if p.Name == name {
			return p, true
		}
	}
	return OperatingPoint{}, false
}

// Holdout checks that thresholds generalise: it splits the items in two
// halves, each class's items shuffled with seed and halved, calibrates on
// the first half's neighbour pairs and returns each operating point with
// its threshold from the first half and its rates on the second half's
// pairs.
func Holdout(emb []float32, dim int, labels []int, k int, precisions, recalls []float64, seed uint64) ([]OperatingPoint, error) {
	n, err := checkEmbeddings(emb, dim)
	if err != nil {
		return nil, fmt.Errorf("eval: holdout: %w", err)
	}
	if n != len(labels) {
		return nil, fmt.Errorf("eval: holdout: %d embeddings but %d labels", n, len(labels))
	}
	byClass := map[int][]int{}
	var classes []int
	for i, l := range labels {
		if _, ok := byClass[l]; !ok {
			classes = append(classes, l)
		}
		byClass[l] = append(byClass[l], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x4a1f))
	var halves [2][]int
	for _, c := range classes {
		idx := byClass[c]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		halves[0] = append(halves[0], idx[:len(idx)/2]...)
		halves[1] = append(halves[1], idx[len(idx)/2:]...)
	}
	var pairs [2][]Pair
	for h, idx := range halves {
		sub := make([]float32, 0, len(idx)*dim)
		lab := make([]int, len(idx))
		for j, i := range idx {
			sub = append(sub, emb[i*dim:(i+1)*dim]...)
			lab[j] = labels[i]
		}
		if pairs[h], err = NeighbourPairs(sub, dim, lab, k); err != nil {
			return nil, fmt.Errorf("eval: holdout: half %d: %w", h+1, err)
		}
	}
	c, err := Calibrate(pairs[0], precisions, recalls)
	if err != nil {
		return nil, fmt.Errorf("eval: holdout: %w", err)
	}
	out := make([]OperatingPoint, len(c.Points))
	for i, p := range c.Points {
		out[i] = OperatingPoint{Name: p.Name, Rates: RatesAt(pairs[1], p.Threshold)}
	}
	return out, nil
}
