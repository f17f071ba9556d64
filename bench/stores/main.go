// Command stores measures a collection store (collection.Store: the
// embedded index, or a Weaviate class) on the same vectors and queries:
// the insert rate in batches, and the latency of single searches (p50,
// p99). bench/stores/run.sh runs it against the embedded index and 1- and
// 3-node Weaviate clusters. Prints one JSON line.
//
// Usage:
//
//	stores -store DIR|weaviate://HOST:PORT/CLASS [-n 100000] [-dim 128] [-queries 1000] [-replicas 1]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/index"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("stores: ")
	store := flag.String("store", "", "an index directory (HNSW, M 16) or weaviate://HOST:PORT/CLASS")
	n := flag.Int("n", 100000, "vectors")
	dim := flag.Int("dim", 128, "dimensions")
	queries := flag.Int("queries", 1000, "searches timed")
	k := flag.Int("k", 10, "results per search")
	batch := flag.Int("batch", 500, "vectors per insert batch")
	replicas := flag.Int("replicas", 1, "replication factor of a Weaviate class")
	shards := flag.Int("shards", 1, "shards of a Weaviate class")
	flag.Parse()
	meta := index.Meta{Model: "bench", Dim: *dim, Metric: index.Cosine}
	var st collection.Store
	var err error
	kind := "embedded-hnsw"
	if strings.HasPrefix(*store, "weaviate://") {
		kind = "weaviate"
		st, err = collection.OpenWeaviate(context.Background(), *store, meta,
			collection.WeaviateOptions{Replicas: *replicas, Shards: *shards})
	} else {
		st, err = index.Open(*store, index.Options{Meta: meta, Kind: index.KindHNSW})
	}
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	// Clustered unit vectors, as embeddings are: 100 centres, spread 0.5.
	rng := rand.New(rand.NewPCG(1, 2))
	centres := make([][]float32, 100)
	for i := range centres {
		centres[i] = randVec(rng, *dim, nil, 1)
	}
	vec := func() []float32 { return randVec(rng, *dim, centres[rng.IntN(len(centres))], 0.5) }
	start := time.Now()
	entries := make([]index.Entry, 0, *batch)
	for i := 0; i < *n; {
		entries = entries[:0]
		for ; len(entries) < *batch && i < *n; i++ {
			entries = append(entries, index.Entry{Path: fmt.Sprintf("v/%07d", i), Label: "x", Fingerprint: "f", Vector: vec()})
		}
		if _, err := st.AddBatch(entries); err != nil {
			log.Fatal(err)
		}
	}
	insertSec := time.Since(start).Seconds()
	lat := make([]float64, 0, *queries)
	searchStart := time.Now()
	for range *queries {
		q := vec()
		t := time.Now()
		if _, err := st.SearchEf(q, *k, 0); err != nil {
			log.Fatal(err)
		}
		lat = append(lat, time.Since(t).Seconds()*1000)
	}
	searchSec := time.Since(searchStart).Seconds()
	slices.Sort(lat)
	pct := func(p float64) float64 { return math.Round(lat[int(p*float64(len(lat)-1))]*1000) / 1000 }
	b, _ := json.Marshal(map[string]any{
		"store": kind, "location": st.Location(), "replicas": *replicas, "shards": *shards,
		"vectors": *n, "dim": *dim, "batch": *batch,
		"insert_per_sec": math.Round(float64(*n) / insertSec), "insert_sec": math.Round(insertSec*100) / 100,
		"queries": *queries, "search_qps": math.Round(float64(*queries)/searchSec*10) / 10,
		"p50_ms": pct(0.5), "p99_ms": pct(0.99), "entries": st.Len(),
	})
	fmt.Println(string(b))
}

// randVec returns a unit vector: centre plus spread times noise.
func randVec(rng *rand.Rand, dim int, centre []float32, spread float64) []float32 {
	v := make([]float32, dim)
	var s float64
	for i := range v {
		x := spread * rng.NormFloat64() / math.Sqrt(float64(dim))
		if centre != nil {
			x += float64(centre[i])
		}
		v[i] = float32(x)
		s += x * x
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(s))
	}
	return v
}
