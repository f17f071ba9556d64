package eval

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// circle returns unit vectors at the given angles in degrees, as rows of 2.
func circle(deg ...float64) []float32 {
	emb := make([]float32, 0, 2*len(deg))
	for _, d := range deg {
		r := d * math.Pi / 180
		emb = append(emb, float32(math.Cos(r)), float32(math.Sin(r)))
	}
	return emb
}

// TestRetrievalHandComputed checks every metric against values worked out
// by hand. Six unit vectors lie on a circle:
//
//	item   0   1   2   3   4   5
//	angle  0  10  25  45  70  180 degrees
//	label  A   B   A   A   B   C
//
// Neighbours rank by angular distance, so for each query (R = other items
// of its class; C is a singleton and is skipped):
//
//	q0 A R=2: p1(B) p2(A) p3(A) p4 p5  P@1=0 RP=1/2 AP=(0/1*0 + 1/2*1)/2 = 1/4
//	q1 B R=1: p0 p2 p3 p4(B) p5        P@1=0 RP=0   AP=0
//	q2 A R=2: p1(B) p3(A) p0(A) p4 p5  P@1=0 RP=1/2 AP=(0 + 1/2)/2       = 1/4
//	q3 A R=2: p2(A) p4(B) p1 p0(A) p5  P@1=1 RP=1/2 AP=(1/1*1 + 0)/2     = 1/2
//	q4 B R=1: p3 p2 p1(B) p0 p5        P@1=0 RP=0   AP=0
//
// Means over the 5 queries: P@1 = 1/5, R-precision = 1.5/5 = 0.3 and
// MAP@R = 1/5. P@10 uses all 5 neighbours: (2+1+2+2+1)/5/5 = 0.32. The first
// relevant neighbour sits at rank 2, 4, 2, 1, 3, so Recall@1 = 1/5,
// Recall@2 = 3/5, Recall@3 = 4/5 and Recall@4 = 1.
func TestRetrievalHandComputed(t *testing.T) {
	emb := circle(0, 10, 25, 45, 70, 180)
	labels := []int{0, 1, 0, 0, 1, 2}
	m, err := Retrieval(emb, 2, labels, Options{Ks: []int{1, 2, 3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Items != 6 || m.Classes != 3 || m.Queries != 5 || m.SkippedSingletons != 1 {
		t.Errorf("counts = items %d classes %d queries %d skipped %d, want 6 3 5 1",
			m.Items, m.Classes, m.Queries, m.SkippedSingletons)
	}
	exact := []struct {
		name      string
		got, want float64
	}{
		{"P@1", m.PrecisionAt1, 0.2},
		{"R-precision", m.RPrecision, 0.3},
		{"MAP@R", m.MAPAtR, 0.2},
		{"Recall@1", m.RecallAtK[1], 0.2},
		{"Recall@2", m.RecallAtK[2], 0.6},
		{"Recall@3", m.RecallAtK[3], 0.8},
		{"Recall@4", m.RecallAtK[4], 1},
	}
	for _, c := range exact {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// 0.4+0.2+0.4+0.4+0.2 is not exact in binary, so allow rounding.
	if math.Abs(m.PrecisionAt10-0.32) > 1e-15 {
		t.Errorf("P@10 = %v, want 0.32", m.PrecisionAt10)
	}
}

func TestRetrievalPerfect(t *testing.T) {
	// One-hot class vectors: every item's class mates score 1, others 0.
	const classes, per = 4, 12
	emb := make([]float32, 0, classes*per*classes)
	var labels []int
	for i := 0; i < classes*per; i++ {
		c := i % classes
		v := make([]float32, classes)
		v[c] = 1
		emb = append(emb, v...)
		labels = append(labels, c)
	}
	m, err := Retrieval(emb, classes, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{
		"P@1": m.PrecisionAt1, "P@10": m.PrecisionAt10, "R-precision": m.RPrecision,
		"MAP@R": m.MAPAtR, "Recall@1": m.RecallAtK[1], "Recall@5": m.RecallAtK[5],
		"Recall@10": m.RecallAtK[10],
	} {
		if v != 1 {
			t.Errorf("%s = %v, want 1", name, v)
		}
	}
	if len(m.RecallAtK) != 3 {
		t.Errorf("RecallAtK has %d cut-offs, want the default 3", len(m.RecallAtK))
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"items":48,"classes":4,"queries":48,"skipped_singletons":0,"precision_at_1":1,` +
		`"precision_at_10":1,"r_precision":1,"map_at_r":1,"recall_at_k":{"1":1,"10":1,"5":1}}`
	if string(b) != want {
		t.Errorf("metrics.json = %s, want %s", b, want)
	}
}

// TestRetrievalTies uses four identical vectors, so every neighbour list is
// the other items in index order:
//
//	q0 A: p1(B) p2(A) p3   R=1  P@1=0 AP=0
//	q1 B: p0 p2 p3(B)      R=1  P@1=0 AP=0
//	q2 A: p0(A) p1 p3      R=1  P@1=1 AP=1
//	q3 B: p0 p1(B) p2      R=1  P@1=0 AP=0
func TestRetrievalTies(t *testing.T) {
	emb := []float32{1, 0, 1, 0, 1, 0, 1, 0}
	labels := []int{7, 9, 7, 9}
	m, err := Retrieval(emb, 2, labels, Options{Ks: []int{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if m.PrecisionAt1 != 0.25 || m.RPrecision != 0.25 || m.MAPAtR != 0.25 {
		t.Errorf("P@1, RP, MAP@R = %v, %v, %v, want 0.25 each", m.PrecisionAt1, m.RPrecision, m.MAPAtR)
	}
	if m.RecallAtK[2] != 0.75 || m.RecallAtK[3] != 1 {
		t.Errorf("Recall@2, @3 = %v, %v, want 0.75, 1", m.RecallAtK[2], m.RecallAtK[3])
	}
}

func TestRetrievalAllSingletons(t *testing.T) {
	m, err := Retrieval([]float32{1, 0, 0, 1}, 2, []int{0, 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Queries != 0 || m.SkippedSingletons != 2 || m.MAPAtR != 0 {
		t.Errorf("got %+v, want no queries, two skipped, zero metrics", m)
	}
}

func TestRetrievalErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		emb    []float32
		dim    int
		labels []int
		ks     []int
		want   string
	}{
		{"labels", []float32{1, 0, 0, 1}, 2, []int{0}, nil, "2 embeddings but 1 labels"},
		{"ragged", []float32{1, 0, 0}, 2, []int{0, 0}, nil, "do not divide"},
		{"dim", []float32{1}, 0, []int{0}, nil, "must be positive"},
		{"empty", nil, 2, nil, nil, "no embeddings"},
		{"nan", []float32{1, 0, float32(math.NaN()), 1}, 2, []int{0, 0}, nil, "embedding 1 has non-finite"},
		{"k", []float32{1, 0, 0, 1}, 2, []int{0, 0}, []int{1, 0}, "k=0"},
	} {
		_, err := Retrieval(c.emb, c.dim, c.labels, Options{Ks: c.ks})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// randomEmbeddings returns n rows of dim small multiples of 1/4, so every
// dot product is exact whatever the summation order and ties are common.
func randomEmbeddings(rng *rand.Rand, n, dim int) []float32 {
	emb := make([]float32, n*dim)
	for i := range emb {
		emb[i] = float32(rng.IntN(9)-4) / 4
	}
	return emb
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// bruteRanking fully sorts every other item by descending score, then
// ascending index.
func bruteRanking(emb []float32, dim, q int) []int {
	n := len(emb) / dim
	scores := make([]float32, n)
	var idx []int
	for j := 0; j < n; j++ {
		scores[j] = dot(emb[q*dim:(q+1)*dim], emb[j*dim:(j+1)*dim])
		if j != q {
			idx = append(idx, j)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx
}

// bruteMetrics computes the metrics straight from their definitions.
func bruteMetrics(emb []float32, dim int, labels, ks []int) Metrics {
	n := len(labels)
	m := Metrics{Items: n, RecallAtK: map[int]float64{}}
	for _, k := range ks {
		m.RecallAtK[k] = 0
	}
	for q := 0; q < n; q++ {
		rank := bruteRanking(emb, dim, q)
		rel := make([]bool, len(rank))
		r := 0
		for i, j := range rank {
			rel[i] = labels[j] == labels[q]
			if rel[i] {
				r++
			}
		}
		if r == 0 {
			m.SkippedSingletons++
			continue
		}
		m.Queries++
		precision := func(i int) float64 { // precision of the top i
			c := 0
			for _, x := range rel[:i] {
				if x {
					c++
				}
			}
			return float64(c) / float64(i)
		}
		if rel[0] {
			m.PrecisionAt1++
		}
		m.PrecisionAt10 += precision(min(10, len(rank)))
		m.RPrecision += precision(r)
		ap := 0.0
		for i := 1; i <= r; i++ {
			if rel[i-1] {
				ap += precision(i)
			}
		}
		m.MAPAtR += ap / float64(r)
		for _, k := range ks {
			if slices.Contains(rel[:min(k, len(rel))], true) {
				m.RecallAtK[k]++
			}
		}
	}
	q := float64(m.Queries)
	m.PrecisionAt1 /= q
	m.PrecisionAt10 /= q
	m.RPrecision /= q
	m.MAPAtR /= q
	for k := range m.RecallAtK {
		m.RecallAtK[k] /= q
	}
	return m
}

func TestRetrievalMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ n, dim, classes int }{
		{2, 3, 1}, {7, 2, 3}, {60, 3, 4}, {601, 5, 9},
	} {
		emb := randomEmbeddings(rng, c.n, c.dim)
		labels := make([]int, c.n)
		for i := range labels {
			labels[i] = rng.IntN(c.classes)
		}
		labels[c.n-1] = 99 // a singleton class
		ks := []int{1, 3, 10, 50}
		got, err := Retrieval(emb, c.dim, labels, Options{Ks: ks})
		if err != nil {
			t.Fatal(err)
		}
		want := bruteMetrics(emb, c.dim, labels, ks)
		if got.Queries != want.Queries || got.SkippedSingletons != want.SkippedSingletons {
			t.Errorf("n=%d: queries/skipped %d/%d, want %d/%d", c.n,
				got.Queries, got.SkippedSingletons, want.Queries, want.SkippedSingletons)
		}
		near := func(name string, g, w float64) {
			if math.Abs(g-w) > 1e-12 {
				t.Errorf("n=%d: %s = %v, want %v", c.n, name, g, w)
			}
		}
		near("P@1", got.PrecisionAt1, want.PrecisionAt1)
		near("P@10", got.PrecisionAt10, want.PrecisionAt10)
		near("R-precision", got.RPrecision, want.RPrecision)
		near("MAP@R", got.MAPAtR, want.MAPAtR)
		for _, k := range ks {
			near("Recall@k", got.RecallAtK[k], want.RecallAtK[k])
		}
	}
}

// TestRetrievalLarge runs several query blocks on every worker and checks
// the result is identical from run to run.
func TestRetrievalLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, dim = 3000, 8
	emb := randomEmbeddings(rng, n, dim)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	a, err := Retrieval(emb, dim, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Retrieval(emb, dim, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.MAPAtR != b.MAPAtR || a.RPrecision != b.RPrecision || a.PrecisionAt10 != b.PrecisionAt10 {
		t.Errorf("runs differ: %+v vs %+v", a, b)
	}
	if a.Queries != n {
		t.Errorf("queries = %d, want %d", a.Queries, n)
	}
}

func BenchmarkRetrievalCIFAR(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, dim = 10000, 8
	emb := make([]float32, n*dim)
	for i := 0; i < n; i++ {
		row := emb[i*dim : (i+1)*dim]
		var s float64
		for d := range row {
			row[d] = float32(rng.NormFloat64())
			s += float64(row[d]) * float64(row[d])
		}
		for d := range row {
			row[d] /= float32(math.Sqrt(s))
		}
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % 10
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Retrieval(emb, dim, labels, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
