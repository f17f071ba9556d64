package index

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// Benchmark data: benchN random unit vectors of dimension benchDim.
const (
	benchN   = 100_000
	benchDim = 128
)

// benchData returns benchN random unit vectors and 1000 query vectors.
func benchData() (vecs, qs []float32) {
	rng := rand.New(rand.NewPCG(42, 42))
	vecs = randomVecs(rng, benchN, benchDim)
	qs = randomVecs(rng, 1000, benchDim)
	for i := 0; i < len(vecs); i += benchDim {
		normalize(vecs[i : i+benchDim])
	}
	return vecs, qs
}

// fixture is shared by the benchmarks, so that the data and indexes are
// built once per run.
var fixture benchFixture

// benchFixture holds indexes built once per benchmark binary run.
type benchFixture struct {
	once  sync.Once
	vecs  []float32
	qs    []float32
	exact *Exact
	hnsw  *HNSW
	build time.Duration
}

func (f *benchFixture) get(b *testing.B, withHNSW bool) *benchFixture {
	f.once.Do(func() {
		f.vecs, f.qs = benchData()
		f.exact, _ = NewExact(benchDim, Cosine)
		f.exact.AddBatch(seqIDs(benchN), f.vecs)
	})
	if withHNSW && f.hnsw == nil {
		f.hnsw, _ = NewHNSW(benchDim, Cosine, HNSWConfig{Seed: 1, BuildWorkers: 2})
		start := time.Now()
		f.hnsw.AddBatch(seqIDs(benchN), f.vecs)
		f.build = time.Since(start)
		b.Logf("HNSW build of %d x %d (M 16, efConstruction 200, 2 workers): %v", benchN, benchDim, f.build)
	}
	return f
}

func BenchmarkExactSearch(b *testing.B) {
	f := fixture.get(b, false)
	i := 0
	for b.Loop() {
		f.exact.Search(f.qs[i*benchDim:(i+1)*benchDim], 10)
		i = (i + 1) % 1000
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

func BenchmarkExactSearchBatch1000(b *testing.B) {
	f := fixture.get(b, false)
	for b.Loop() {
		f.exact.SearchBatch(f.qs, 1000, 10)
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkExactInt8SearchBatch1000 is BenchmarkExactSearchBatch1000 with
// int8 codes and re-ranking (on matrix tiles where the CPU has them).
func BenchmarkExactInt8SearchBatch1000(b *testing.B) {
	f := fixture.get(b, false)
	e, _ := NewExact(benchDim, Cosine)
	e.SetQuantize(true)
	e.AddBatch(seqIDs(benchN), f.vecs)
	e.SearchBatch(f.qs[:benchDim], 1, 10)
	for b.Loop() {
		e.SearchBatch(f.qs, 1000, 10)
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkHNSWBuild builds the graph b.N times; run with -benchtime=1x.
func BenchmarkHNSWBuild(b *testing.B) {
	vecs := fixture.get(b, false).vecs
	ids := seqIDs(benchN)
	var h *HNSW
	for b.Loop() {
		h, _ = NewHNSW(benchDim, Cosine, HNSWConfig{Seed: 1, BuildWorkers: 2})
		h.AddBatch(ids, vecs)
	}
	b.ReportMetric(float64(benchN*b.N)/b.Elapsed().Seconds(), "inserts/s")
	if fixture.hnsw == nil { // spare BenchmarkHNSWSearch a build
		fixture.get(b, false)
		fixture.hnsw = h
	}
}

func BenchmarkHNSWSearch(b *testing.B) {
	f := fixture.get(b, true)
	const k = 10
	want := f.exact.SearchBatch(f.qs, 1000, k)
	for _, ef := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("ef%d", ef), func(b *testing.B) {
			var sum float64
			n := 0
			for b.Loop() {
				i := n % 1000
				r := f.hnsw.SearchEf(f.qs[i*benchDim:(i+1)*benchDim], k, ef)
				sum += recall(r, want[i])
				n++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			b.ReportMetric(sum/float64(n), "recall@10")
		})
	}
}

func BenchmarkHNSWSearchBatch1000(b *testing.B) {
	f := fixture.get(b, true)
	for b.Loop() {
		f.hnsw.SearchBatch(f.qs, 1000, 10)
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "queries/s")
}
