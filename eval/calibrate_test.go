package eval

import (
	"math"
	"testing"
)

// TestCalibrateByHand checks the rates and operating points on pairs
// worked out by hand.
func TestCalibrateByHand(t *testing.T) {
	// Scores high to low: match, match, non, match, non, non.
	pairs := []Pair{{0.6, true}, {0.9, true}, {0.5, false}, {0.7, false}, {0.8, true}, {0.4, false}}
	c, err := Calibrate(pairs, []float64{0.99, 0.7}, []float64{1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Pairs != 6 || c.Positives != 3 || len(c.Curve) != 6 {
		t.Fatalf("pairs %d, positives %d, curve %d", c.Pairs, c.Positives, len(c.Curve))
	}
	// At 0.7: accepted 0.9 0.8 (matches) and 0.7 (not); 0.6 rejected.
	r := c.Curve[2]
	want := Rates{Threshold: float64(float32(0.7)), TP: 2, FP: 1, FN: 1, TN: 2,
		Precision: 2.0 / 3, Recall: 2.0 / 3, F1: 2.0 / 3, FalseAccept: 1.0 / 3, FalseReject: 1.0 / 3}
	if !closeRates(r, want) {
		t.Fatalf("at 0.7: %+v, want %+v", r, want)
	}
	if got := RatesAt(pairs, float64(float32(0.7))); !closeRates(got, want) {
		t.Fatalf("RatesAt(0.7) = %+v", got)
	}
	// Nothing accepted above the top score: precision 1 by convention.
	if got := RatesAt(pairs, 0.95); got.TP != 0 || got.FP != 0 || got.Precision != 1 || got.Recall != 0 || got.FalseReject != 1 {
		t.Fatalf("RatesAt(0.95) = %+v", got)
	}
	points := map[string]float64{}
	for _, p := range c.Points {
		points[p.Name] = p.Threshold
	}
	// Precision 0.99: only 0.9 and 0.8 (both matches) qualify; the lower
	// is chosen. Precision 0.7: 0.8 (1.0) and then 0.6 (3/4) qualify, 0.7
	// (2/3) does not; the lowest qualifying is 0.6. Recall 1: 0.6, the
	// highest threshold accepting all three matches. Best F1: 0.6 (6/7).
	for name, th := range map[string]float32{"precision=0.99": 0.8, "precision=0.7": 0.6, "recall=1": 0.6, "best-f1": 0.6} {
		if got, ok := points[name]; !ok || got != float64(th) {
			t.Errorf("%s: threshold %v (present %v), want %v", name, got, ok, th)
		}
	}
	if p, _ := c.Point("best-f1"); math.Abs(p.F1-6.0/7) > 1e-12 {
		t.Errorf("best F1 %g, want 6/7", p.F1)
	}
	// A target no threshold reaches is left out.
	c, _ = Calibrate([]Pair{{0.9, false}, {0.8, true}}, []float64{0.99}, nil)
	if _, ok := c.Point("precision=0.99"); ok {
		t.Error("unreachable precision got an operating point")
	}
	if _, err := Calibrate(nil, nil, nil); err == nil {
		t.Error("no pairs accepted")
	}
}

func closeRates(a, b Rates) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.TP == b.TP && a.FP == b.FP && a.FN == b.FN && a.TN == b.TN && near(a.Threshold, b.Threshold) &&
		near(a.Precision, b.Precision) && near(a.Recall, b.Recall) && near(a.F1, b.F1) &&
		near(a.FalseAccept, b.FalseAccept) && near(a.FalseReject, b.FalseReject)
}

// TestNeighbourPairs checks the pairs of a tiny set against brute force:
// each item's nearest other items, matched by label.
func TestNeighbourPairs(t *testing.T) {
	// Four 2-d unit vectors: two near (1,0), two near (0,1).
	emb := []float32{1, 0, 0.99, 0.141, 0, 1, 0.141, 0.99}
	labels := []int{0, 0, 1, 0}
	pairs, err := NeighbourPairs(emb, 2, labels, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Nearest of 0 is 1 (same class), of 1 is 0, of 2 is 3 (0 vs 1: not
	// a match), of 3 is 2.
	want := []bool{true, true, false, false}
	for i, p := range pairs {
		if p.Match != want[i] {
			t.Errorf("pair %d: %+v, want match %v", i, p, want[i])
		}
	}
	if math.Abs(float64(pairs[0].Score)-0.99) > 1e-6 {
		t.Errorf("score of 0 and 1: %g", pairs[0].Score)
	}
	if _, err := NeighbourPairs(emb, 2, labels[:3], 1); err == nil {
		t.Error("label count mismatch accepted")
	}
}
