// Command indexbench compares package index with FAISS (exact search) and
// hnswlib (HNSW) on one data set, for bench/index/run.sh.
//
// Usage:
//
//	indexbench run -data DIR -name NAME -out FILE.json [-runs 3] [-build-runs 1]
//	    [-ref "/usr/bin/python3 bench/index/ref.py serve"] [-efs 10,16,...]
//	indexbench report -md FILE.md [-plot-dir DIR] FILE.json...
//
// run reads DIR/base.npy, DIR/queries.npy and DIR/gt.npy (see ref.py), starts
// the reference side as a child process that answers JSON commands, and
// measures both sides in turns: which goes first alternates from run to run,
// so that a change in the machine's load hits both alike, and only one side
// works at a time. It measures
//
//   - exact search: single queries (one per call) and batches of 1000, ours
//     (index.Exact) against FAISS IndexFlatIP;
//   - HNSW: build time and memory, then recall@10 and queries per second over
//     a sweep of ef, the query set as one batch on 2 threads and on 1
//     (GOMAXPROCS 1 for ours, num_threads=1 for hnswlib's knn_query),
//     ours (index.HNSW) against hnswlib, both with M=16, ef_construction=200.
//
// DIR/meta.json names the metric: "l2" (ours index.L2, FAISS IndexFlatL2,
// hnswlib space "l2") or "cosine", the default (unit vectors; ours uses
// index.Cosine, which normalises queries at no measurable cost, the
// references inner product).
// Each measurement repeats the query set until it has run at least
// -min-seconds. Every result goes to the JSON file; report turns medians into
// Markdown tables and draws the recall/QPS curves of each data set
// (DIR/recall_qps-NAME.png).
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"log"
	"math"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/kernels"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("indexbench: ")
	if len(os.Args) < 2 {
		log.Fatal("usage: indexbench run|report|memory ...")
	}
	switch os.Args[1] {
	case "run":
		runCmd(os.Args[2:])
	case "report":
		reportCmd(os.Args[2:])
	case "memory":
		memoryCmd(os.Args[2:])
	default:
		log.Fatalf("unknown command %q: want run, report or memory", os.Args[1])
	}
}

// Results is what run writes.
type Results struct {
	Name       string    `json:"name"`
	Date       string    `json:"date"`
	N          int       `json:"n"`
	Dim        int       `json:"dim"`
	Metric     string    `json:"metric,omitempty"` // "cosine" when empty
	NQ         int       `json:"nq"`
	K          int       `json:"k"`
	Kernels    string    `json:"kernels"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	RefInfo    any       `json:"ref_info"`
	Exact      []Measure `json:"exact"` // kind: single or batch, single-int8 or batch-int8
	// Int8CodeBytes is the memory of the int8 codes (and their norms).
	Int8CodeBytes int `json:"int8_code_bytes,omitempty"`
	// HNSWInt8CodeBytes is that of the graph's codes (sweeps of side
	// "ours-int8").
	HNSWInt8CodeBytes int     `json:"hnsw_int8_code_bytes,omitempty"`
	Builds            []Build `json:"builds"`
	Sweeps            []Sweep `json:"sweeps"`
}

// Measure is one timed query run.
type Measure struct {
	Side       string  `json:"side"` // ours or ref
	Run        int     `json:"run"`
	Kind       string  `json:"kind"`
	Queries    int     `json:"queries"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	QPS        float64 `json:"qps"`
	Recall     float64 `json:"recall"`
}

// Build is one HNSW build.
type Build struct {
	Side         string  `json:"side"`
	Run          int     `json:"run"`
	Seconds      float64 `json:"seconds"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	InsertsPerS  float64 `json:"inserts_per_s"`
	RSSDelta     int64   `json:"rss_delta_bytes"`
	HeapDelta    int64   `json:"heap_delta_bytes,omitempty"`
	GraphSeconds float64 `json:"-"`
}

// Sweep is one pass over the ef values.
type Sweep struct {
	Side    string  `json:"side"`
	Run     int     `json:"run"`
	Threads int     `json:"threads"`
	Points  []Point `json:"points"`
}

// Point is one ef of a sweep.
type Point struct {
	Ef         int     `json:"ef"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	QPS        float64 `json:"qps"`
	Recall     float64 `json:"recall"`
}

// ref is the reference side: a child process answering JSON commands.
type ref struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startRef(command string) *ref {
	if command == "" {
		return &ref{}
	}
	args := strings.Fields(command)
	c := exec.Command(args[0], args[1:]...)
	c.Stderr = os.Stderr
	in, err := c.StdinPipe()
	if err != nil {
		log.Fatal(err)
	}
	out, err := c.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Start(); err != nil {
		log.Fatalf("start reference %q: %v", command, err)
	}
	s := bufio.NewScanner(out)
	s.Buffer(make([]byte, 1<<20), 64<<20)
	return &ref{cmd: c, in: in, out: s}
}

// call sends one command and decodes the answer into v.
func (r *ref) call(cmd map[string]any, v any) {
	if r.cmd == nil {
		json.Unmarshal([]byte(`{"points":[]}`), v)
		return
	}
	b, _ := json.Marshal(cmd)
	if _, err := r.in.Write(append(b, '\n')); err != nil {
		log.Fatalf("reference: %v", err)
	}
	if !r.out.Scan() {
		log.Fatalf("reference exited during %s: %v", cmd["cmd"], r.out.Err())
	}
	line := r.out.Bytes()
	var e struct{ Error string }
	if json.Unmarshal(line, &e) == nil && e.Error != "" {
		log.Fatalf("reference %s: %s", cmd["cmd"], e.Error)
	}
	if err := json.Unmarshal(line, v); err != nil {
		log.Fatalf("reference %s: %v in %s", cmd["cmd"], err, line)
	}
}

func (r *ref) close() {
	if r.cmd == nil {
		return
	}
	r.in.Write([]byte(`{"cmd":"quit"}` + "\n"))
	r.in.Close()
	r.cmd.Wait()
}

type runFlags struct {
	data, name, out, refCmd string
	runs, buildRuns, k      int
	efs                     []int
	minSeconds              float64
	singleQueries           int
	skipExact, skipHNSW     bool
	int8                    bool
	oursExact               bool
	graph                   string
	metric                  index.Metric
}

// readMetric returns the metric dir/meta.json names, Cosine without one.
func readMetric(dir string) index.Metric {
	b, err := os.ReadFile(dir + "/meta.json")
	if errors.Is(err, os.ErrNotExist) {
		return index.Cosine
	}
	var m struct{ Metric string }
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		log.Fatalf("%s/meta.json: %v", dir, err)
	}
	switch m.Metric {
	case "l2":
		return index.L2
	case "cosine", "":
		return index.Cosine
	}
	log.Fatalf("%s/meta.json: unknown metric %q", dir, m.Metric)
	return 0
}

func runCmd(args []string) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	var f runFlags
	var efs string
	fs.StringVar(&f.data, "data", "", "directory with base.npy, queries.npy and gt.npy")
	fs.StringVar(&f.name, "name", "", "name of the data set in the report")
	fs.StringVar(&f.out, "out", "", "JSON file to write")
	fs.StringVar(&f.refCmd, "ref", "/usr/bin/python3 bench/index/ref.py serve", `reference command; "" measures ours only (for development)`)
	fs.IntVar(&f.runs, "runs", 3, "runs of each query measurement per side")
	fs.IntVar(&f.buildRuns, "build-runs", 1, "HNSW builds per side (the last one is searched)")
	fs.IntVar(&f.k, "k", 10, "neighbours per query")
	fs.StringVar(&efs, "efs", "10,16,24,32,48,64,96,128,192,256,384,512", "ef values of the HNSW sweep")
	fs.Float64Var(&f.minSeconds, "min-seconds", 0.5, "least time of one measurement; the queries are repeated")
	fs.IntVar(&f.singleQueries, "single-queries", 0, "queries of the exact single-query test (0: 1000*100k/N, within [100, 1000])")
	fs.BoolVar(&f.skipExact, "skip-exact", false, "skip the exact search tests")
	fs.BoolVar(&f.skipHNSW, "skip-hnsw", false, "skip the HNSW tests")
	fs.BoolVar(&f.int8, "int8", false, "also measure our exact search through int8 codes (index.Exact.SetQuantize)")
	fs.BoolVar(&f.oursExact, "ours-exact-only", false, "measure our exact search only, not FAISS's (to rerun ours after a change)")
	fs.StringVar(&f.graph, "graph", "", "development: keep our HNSW index in this directory and reuse it (no build measured)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (ours only) to this file")
	fs.Parse(args)
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	if f.data == "" || f.out == "" {
		log.Fatal("run needs -data and -out")
	}
	for _, s := range strings.Split(efs, ",") {
		ef, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || ef < 1 {
			log.Fatalf("bad -efs value %q", s)
		}
		f.efs = append(f.efs, ef)
	}
	if f.name == "" {
		f.name = f.data
	}

	base, n, dim := readNPYFloat32(f.data + "/base.npy")
	qs, nq, qdim := readNPYFloat32(f.data + "/queries.npy")
	gt, gtRows, gtCols := readNPYInt(f.data + "/gt.npy")
	if qdim != dim || gtRows != nq || gtCols < f.k {
		log.Fatalf("%s: base %dx%d, queries %dx%d, ground truth %dx%d do not fit k=%d", f.data, n, dim, nq, qdim, gtRows, gtCols, f.k)
	}
	f.metric = readMetric(f.data)
	res := &Results{Name: f.name, Date: time.Now().UTC().Format(time.RFC3339), N: n, Dim: dim, NQ: nq, K: f.k,
		Metric: f.metric.String(), Kernels: kernels.Path(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	truth := make([][]uint64, nq)
	for i := range truth {
		for _, r := range gt[i*gtCols : i*gtCols+f.k] {
			truth[i] = append(truth[i], uint64(r))
		}
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i)
	}

	noRef = f.refCmd == ""
	r := startRef(f.refCmd)
	defer r.close()
	var info map[string]any
	r.call(map[string]any{"cmd": "load", "base": f.data + "/base.npy", "queries": f.data + "/queries.npy", "gt": f.data + "/gt.npy"}, &info)
	res.RefInfo = info
	logf("%s: %d x %d, %d queries, kernels %s, GOMAXPROCS %d", f.name, n, dim, nq, res.Kernels, res.GOMAXPROCS)

	save := func() {
		b, _ := json.MarshalIndent(res, "", " ")
		if err := os.WriteFile(f.out, append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}

	if !f.skipExact {
		runExact(&f, r, res, base, n, dim, qs, nq, ids, truth)
		save()
	}
	if !f.skipHNSW {
		runHNSW(&f, r, res, base, n, dim, qs, nq, ids, truth)
		save()
	}
	save()
}

func runExact(f *runFlags, r *ref, res *Results, base []float32, n, dim int, qs []float32, nq int, ids []uint64, truth [][]uint64) {
	ex, err := index.NewExact(dim, f.metric)
	if err != nil {
		log.Fatal(err)
	}
	if err := ex.AddBatch(ids, base); err != nil {
		log.Fatal(err)
	}
	var built struct{ Seconds float64 }
	if !f.oursExact {
		r.call(map[string]any{"cmd": "exact_build", "threads": 2}, &built)
	}
	single := f.singleQueries
	if single <= 0 {
		single = min(1000, max(100, int(1000*100_000/int64(n))))
	}
	single = min(single, nq)
	batch := min(1000, nq)
	// ours times our single queries and batches, recorded as kinds
	// "single"+suffix and "batch"+suffix.
	ours := func(run int, suffix string) {
		m := timeQueries(f.minSeconds, single, func(i int) []index.Result {
			return ex.Search(qs[i*dim:(i+1)*dim], f.k)
		}, truth)
		m.Side, m.Run, m.Kind = "ours", run, "single"+suffix
		res.Exact = append(res.Exact, m)
		logMeasure(m)
		nb := nq / batch * batch
		m = timeBatches(f.minSeconds, nb, batch, func(q0, b int) [][]index.Result {
			return ex.SearchBatch(qs[q0*dim:(q0+b)*dim], b, f.k)
		}, truth)
		m.Side, m.Run, m.Kind = "ours", run, "batch"+suffix
		res.Exact = append(res.Exact, m)
		logMeasure(m)
	}
	for run := range f.runs {
		for _, side := range order(run) {
			if side == "ref" && f.oursExact {
				continue
			}
			if side == "ours" {
				ours(run, "")
				continue
			}
			var m Measure
			r.call(map[string]any{"cmd": "exact_single", "n": single, "k": f.k, "threads": 2, "min_seconds": f.minSeconds}, &m)
			m.Side, m.Run, m.Kind = "ref", run, "single"
			res.Exact = append(res.Exact, m)
			logMeasure(m)
			m = Measure{}
			r.call(map[string]any{"cmd": "exact_batch", "batch": batch, "k": f.k, "threads": 2, "min_seconds": f.minSeconds}, &m)
			m.Side, m.Run, m.Kind = "ref", run, "batch"
			res.Exact = append(res.Exact, m)
			logMeasure(m)
		}
	}
	var freed struct{}
	if !f.oursExact {
		r.call(map[string]any{"cmd": "exact_free"}, &freed)
	}
	if !f.int8 {
		return
	}
	// int8: the same index with its codes, ours only.
	ex.SetQuantize(true)
	ex.Search(qs[:dim], f.k) // fits the quantiser and codes the rows
	res.Int8CodeBytes = index.ExactCodeBytes(ex)
	for run := range f.runs {
		ours(run, "-int8")
	}
	ex.SetQuantize(false)
}

func runHNSW(f *runFlags, r *ref, res *Results, base []float32, n, dim int, qs []float32, nq int, ids []uint64, truth [][]uint64) {
	cfg := index.HNSWConfig{M: 16, EfConstruction: 200, Seed: 1, BuildWorkers: 2}
	var h searcher
	if f.graph != "" {
		h = devGraph(f.graph, cfg, f.metric, base, n, dim)
		f.buildRuns = 0
	}
	for run := range f.buildRuns {
		for _, side := range order(run) {
			if side == "ours" {
				h = nil
				heap0, rss0 := memNow()
				c0, t0 := cpuSeconds(), time.Now()
				g, err := index.NewHNSW(dim, f.metric, cfg)
				if err != nil {
					log.Fatal(err)
				}
				if err := g.AddBatch(ids, base); err != nil {
					log.Fatal(err)
				}
				wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-c0
				heap1, rss1 := memNow()
				h = g
				b := Build{Side: "ours", Run: run, Seconds: wall, CPUSeconds: cpu, InsertsPerS: float64(n) / wall,
					RSSDelta: rss1 - rss0, HeapDelta: heap1 - heap0}
				res.Builds = append(res.Builds, b)
				logf("build ours run %d: %.1f s (%.0f inserts/s, cpu %.1f s), heap +%s, RSS +%s", run, wall, b.InsertsPerS, cpu, mib(b.HeapDelta), mib(b.RSSDelta))
				continue
			}
			var b Build
			r.call(map[string]any{"cmd": "hnsw_build", "m": cfg.M, "ef_construction": cfg.EfConstruction, "threads": 2}, &b)
			b.Side, b.Run = "ref", run
			res.Builds = append(res.Builds, b)
			logf("build ref  run %d: %.1f s (%.0f inserts/s, cpu %.1f s), RSS +%s", run, b.Seconds, b.InsertsPerS, b.CPUSeconds, mib(b.RSSDelta))
		}
	}
	for run := range f.runs {
		for _, threads := range []int{2, 1} {
			for _, side := range order(run) {
				s := Sweep{Side: side, Run: run, Threads: threads}
				if side == "ours" {
					s.Points = sweepOurs(f, h, qs, nq, dim, truth, threads)
				} else {
					var out struct{ Points []Point }
					r.call(map[string]any{"cmd": "hnsw_sweep", "efs": f.efs, "k": f.k, "threads": threads, "min_seconds": f.minSeconds}, &out)
					s.Points = out.Points
				}
				res.Sweeps = append(res.Sweeps, s)
				logSweep(s)
			}
		}
	}
	if g, ok := h.(*index.HNSW); ok && f.int8 {
		// int8: the same graph searched through its codes, ours only.
		g.SetQuantize(true)
		g.Search(qs[:dim], f.k) // codes the nodes
		res.HNSWInt8CodeBytes = index.HNSWCodeBytes(g)
		for run := range f.runs {
			for _, threads := range []int{2, 1} {
				s := Sweep{Side: "ours-int8", Run: run, Threads: threads}
				s.Points = sweepOurs(f, h, qs, nq, dim, truth, threads)
				res.Sweeps = append(res.Sweeps, s)
				logSweep(s)
			}
		}
		g.SetQuantize(false)
	}
	runtime.KeepAlive(h)
}

// sweepOurs times our graph at each ef of the sweep: the query set as one
// batch, as hnswlib's knn_query gets it; with one thread, on one thread
// (GOMAXPROCS 1, the collector included), as knn_query(num_threads=1)
// runs.
func sweepOurs(f *runFlags, h searcher, qs []float32, nq, dim int, truth [][]uint64, threads int) []Point {
	var points []Point
	for _, ef := range f.efs {
		prev := runtime.GOMAXPROCS(threads)
		m := timeBatches(f.minSeconds, nq, nq, func(q0, b int) [][]index.Result {
			return h.SearchBatchEf(qs[q0*dim:(q0+b)*dim], b, f.k, ef)
		}, truth)
		runtime.GOMAXPROCS(prev)
		points = append(points, Point{Ef: ef, Seconds: m.Seconds, CPUSeconds: m.CPUSeconds, QPS: m.QPS, Recall: m.Recall})
	}
	return points
}

// logSweep logs a sweep's points.
func logSweep(s Sweep) {
	var b strings.Builder
	for _, p := range s.Points {
		fmt.Fprintf(&b, " ef%d %.3f/%.0f/%.0f", p.Ef, p.Recall, p.QPS, p.QPS*p.Seconds/p.CPUSeconds)
	}
	logf("sweep %-4s run %d, %d threads (recall/QPS/queries per CPU-second):%s", s.Side, s.Run, s.Threads, b.String())
}

// noRef is set when run measures ours only.
var noRef bool

// searcher is what the sweeps need of an HNSW.
type searcher interface {
	SearchEf(q []float32, k, ef int) []index.Result
	SearchBatchEf(qs []float32, nq, k, ef int) [][]index.Result
}

// indexSearcher adapts an index.Index.
type indexSearcher struct{ ix *index.Index }

func (s indexSearcher) SearchEf(q []float32, k, ef int) []index.Result {
	r, err := s.ix.SearchEf(q, k, ef)
	if err != nil {
		log.Fatal(err)
	}
	for i := range r {
		r[i].ID--
	}
	return r
}

func (s indexSearcher) SearchBatchEf(qs []float32, nq, k, ef int) [][]index.Result {
	rs, err := s.ix.SearchBatchEf(qs, nq, k, ef)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rs {
		for i := range r {
			r[i].ID--
		}
	}
	return rs
}

// devGraph opens the index kept in dir, building and compacting it first
// if there is none. IDs are row numbers plus one.
func devGraph(dir string, cfg index.HNSWConfig, metric index.Metric, base []float32, n, dim int) searcher {
	opts := index.Options{Meta: index.Meta{Model: "indexbench", Dim: dim, Metric: metric}, Kind: index.KindHNSW, HNSW: cfg}
	if _, err := os.Stat(dir + "/index.snap"); err != nil {
		ix, err := index.Open(dir, opts)
		if err != nil {
			log.Fatal(err)
		}
		es := make([]index.Entry, n)
		for i := range es {
			es[i] = index.Entry{ID: uint64(i + 1), Vector: base[i*dim : (i+1)*dim]}
		}
		t0 := time.Now()
		if _, err := ix.AddBatch(es); err != nil {
			log.Fatal(err)
		}
		logf("dev graph built in %.1f s", time.Since(t0).Seconds())
		if err := ix.Compact(); err != nil {
			log.Fatal(err)
		}
		ix.Close()
	}
	opts.ReadOnly = true
	ix, err := index.Open(dir, opts)
	if err != nil {
		log.Fatal(err)
	}
	return indexSearcher{ix}
}

// order returns the sides in the order of the given run.
func order(run int) []string {
	if noRef {
		return []string{"ours"}
	}
	if run%2 == 0 {
		return []string{"ours", "ref"}
	}
	return []string{"ref", "ours"}
}

// timeQueries runs single queries 0..n-1 over and over until minSeconds
// have passed, and scores the first pass.
func timeQueries(minSeconds float64, n int, search func(i int) []index.Result, truth [][]uint64) Measure {
	var rec float64
	done := 0
	c0, t0 := cpuSeconds(), time.Now()
	for pass := 0; ; pass++ {
		for i := range n {
			rs := search(i)
			if pass == 0 {
				rec += recall(rs, truth[i])
			}
		}
		done += n
		if time.Since(t0).Seconds() >= minSeconds {
			break
		}
	}
	wall := time.Since(t0).Seconds()
	return Measure{Queries: done, Seconds: wall, CPUSeconds: cpuSeconds() - c0, QPS: float64(done) / wall, Recall: rec / float64(n)}
}

// timeBatches is timeQueries for batches of b queries.
func timeBatches(minSeconds float64, n, b int, search func(q0, b int) [][]index.Result, truth [][]uint64) Measure {
	var rec float64
	done := 0
	c0, t0 := cpuSeconds(), time.Now()
	for pass := 0; ; pass++ {
		for q0 := 0; q0+b <= n; q0 += b {
			rs := search(q0, b)
			if pass == 0 {
				for j, r := range rs {
					rec += recall(r, truth[q0+j])
				}
			}
			done += b
		}
		if time.Since(t0).Seconds() >= minSeconds {
			break
		}
	}
	wall := time.Since(t0).Seconds()
	return Measure{Queries: done, Seconds: wall, CPUSeconds: cpuSeconds() - c0, QPS: float64(done) / wall, Recall: rec / float64(n/b*b)}
}

func recall(rs []index.Result, want []uint64) float64 {
	hits := 0
	for _, r := range rs {
		if slices.Contains(want, r.ID) {
			hits++
		}
	}
	return float64(hits) / float64(len(want))
}

func logMeasure(m Measure) {
	logf("exact %-6s %-4s run %d: %8.1f QPS (%d queries in %.2f s, cpu %.2f s), recall %.4f", m.Kind, m.Side, m.Run, m.QPS, m.Queries, m.Seconds, m.CPUSeconds, m.Recall)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// memNow returns the live heap after a collection and the resident set
// size after returning freed memory to the system.
func memNow() (heap, rss int64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
				rss = kb * 1024
			}
		}
	}
	return int64(ms.HeapAlloc), rss
}

// readNPY reads a 2-D little-endian C-order .npy file.
func readNPY(path string) (descr string, rows, cols int, data []byte) {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		log.Fatalf("%s: not a .npy file", path)
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	default:
		hlen, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	}
	header := string(b[off : off+hlen])
	if strings.Contains(header, "'fortran_order': True") {
		log.Fatalf("%s: Fortran order", path)
	}
	m := regexp.MustCompile(`'descr':\s*'([^']+)'`).FindStringSubmatch(header)
	s := regexp.MustCompile(`'shape':\s*\((\d+),\s*(\d+)\)`).FindStringSubmatch(header)
	if m == nil || s == nil {
		log.Fatalf("%s: want a 2-D array, header %s", path, header)
	}
	rows, _ = strconv.Atoi(s[1])
	cols, _ = strconv.Atoi(s[2])
	return m[1], rows, cols, b[off+hlen:]
}

func readNPYFloat32(path string) ([]float32, int, int) {
	descr, rows, cols, b := readNPY(path)
	if descr != "<f4" {
		log.Fatalf("%s: dtype %s, want <f4", path, descr)
	}
	out := make([]float32, rows*cols)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, rows, cols
}

func readNPYInt(path string) ([]int64, int, int) {
	descr, rows, cols, b := readNPY(path)
	out := make([]int64, rows*cols)
	for i := range out {
		switch descr {
		case "<i4":
			out[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		case "<i8":
			out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		default:
			log.Fatalf("%s: dtype %s, want <i4 or <i8", path, descr)
		}
	}
	return out, rows, cols
}

// ---- report ----

func reportCmd(args []string) {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	md := fs.String("md", "", "Markdown file to write (default stdout)")
	plotDir := fs.String("plot-dir", "", "directory to write each data set's recall/QPS curves to, as recall_qps-NAME.png")
	target := fs.Float64("recall", 0.95, "recall@k the HNSW comparison is made at")
	fs.Parse(args)
	var all []*Results
	for _, p := range fs.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			log.Fatal(err)
		}
		var r Results
		if err := json.Unmarshal(b, &r); err != nil {
			log.Fatalf("%s: %v", p, err)
		}
		all = append(all, &r)
	}
	if len(all) == 0 {
		log.Fatal("report needs result files")
	}
	var w strings.Builder
	writeTables(&w, all, *target)
	if *md == "" {
		fmt.Print(w.String())
	} else if err := os.WriteFile(*md, []byte(w.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	if *plotDir != "" {
		for _, r := range all {
			if len(r.Sweeps) == 0 {
				continue
			}
			if err := plotCurves(fmt.Sprintf("%s/recall_qps-%s.png", *plotDir, r.Name), r, *target); err != nil {
				log.Fatal(err)
			}
		}
	}
}

// metric returns the data set's metric, "cosine" for results without one.
func (r *Results) metric() string {
	if r.Metric == "" {
		return "cosine"
	}
	return r.Metric
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func exactMedian(r *Results, side, kind string, f func(Measure) float64) (float64, int) {
	var xs []float64
	for _, m := range r.Exact {
		if m.Side == side && m.Kind == kind {
			xs = append(xs, f(m))
		}
	}
	return median(xs), len(xs)
}

// curve returns the median QPS (and CPU-seconds per query) and the recall
// of each ef over the runs of one side and thread count.
func curve(r *Results, side string, threads int) []Point {
	byEf := map[int][]Point{}
	var efs []int
	for _, s := range r.Sweeps {
		if s.Side != side || s.Threads != threads {
			continue
		}
		for _, p := range s.Points {
			if _, ok := byEf[p.Ef]; !ok {
				efs = append(efs, p.Ef)
			}
			byEf[p.Ef] = append(byEf[p.Ef], p)
		}
	}
	slices.Sort(efs)
	var out []Point
	for _, ef := range efs {
		ps := byEf[ef]
		var q, c, rc []float64
		for _, p := range ps {
			q = append(q, p.QPS)
			c = append(c, p.CPUSeconds/p.Seconds*1) // CPU cores busy
			rc = append(rc, p.Recall)
		}
		out = append(out, Point{Ef: ef, QPS: median(q), CPUSeconds: median(c), Recall: median(rc)})
	}
	return out
}

// atRecall returns the point of the smallest ef whose recall reaches target.
func atRecall(c []Point, target float64) (Point, bool) {
	for _, p := range c {
		if p.Recall >= target {
			return p, true
		}
	}
	return Point{}, false
}

func ratio(a, b float64) string {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func writeTables(w io.Writer, all []*Results, target float64) {
	runs := func(n int) string { return strconv.Itoa(n) }
	fmt.Fprintf(w, "Exact search, k=10, 2 threads (queries per second, median of the runs; recall@10 against the ground truth in brackets):\n\n")
	fmt.Fprintf(w, "| data set | N x dim, metric | mode | ours (index.Exact) | FAISS IndexFlat (IP or L2) | ours / FAISS | runs |\n")
	fmt.Fprintf(w, "|---|---|---|---:|---:|---:|---:|\n")
	for _, r := range all {
		if len(r.Exact) == 0 {
			continue
		}
		for _, kind := range []string{"single", "batch"} {
			qo, n := exactMedian(r, "ours", kind, func(m Measure) float64 { return m.QPS })
			qr, _ := exactMedian(r, "ref", kind, func(m Measure) float64 { return m.QPS })
			ro, _ := exactMedian(r, "ours", kind, func(m Measure) float64 { return m.Recall })
			rr, _ := exactMedian(r, "ref", kind, func(m Measure) float64 { return m.Recall })
			mode := "single query per call"
			if kind == "batch" {
				mode = "batches of 1000"
			}
			fmt.Fprintf(w, "| %s | %d x %d, %s | %s | %.1f (%.3f) | %.1f (%.3f) | %s | %s |\n", r.Name, r.N, r.Dim, r.metric(), mode, qo, ro, qr, rr, ratio(qo, qr), runs(n))
		}
	}
	int8 := false
	for _, r := range all {
		int8 = int8 || r.Int8CodeBytes > 0
	}
	if int8 {
		fmt.Fprintf(w, "\nExact search through int8 codes (re-ranking the best max(4k, 40) with the float vectors), ours, 2 threads, k=10: queries per second (recall@10):\n\n")
		fmt.Fprintf(w, "| data set | N x dim, metric | memory a vector: float32 / int8 codes | single: float | single: int8 | int8 / float | batch: float | batch: int8 | int8 / float |\n")
		fmt.Fprintf(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range all {
			if r.Int8CodeBytes == 0 {
				continue
			}
			cell := func(kind string) (float64, string) {
				q, _ := exactMedian(r, "ours", kind, func(m Measure) float64 { return m.QPS })
				rc, _ := exactMedian(r, "ours", kind, func(m Measure) float64 { return m.Recall })
				return q, fmt.Sprintf("%.1f (%.3f)", q, rc)
			}
			fs, fsc := cell("single")
			is, isc := cell("single-int8")
			fb, fbc := cell("batch")
			ib, ibc := cell("batch-int8")
			fmt.Fprintf(w, "| %s | %d x %d, %s | %d B / %d B | %s | %s | %s | %s | %s | %s |\n", r.Name, r.N, r.Dim, r.metric(),
				4*r.Dim, r.Int8CodeBytes/r.N, fsc, isc, ratio(is, fs), fbc, ibc, ratio(ib, fb))
		}
	}
	fmt.Fprintf(w, "\nHNSW build, M=16, ef_construction=200, 2 threads (median of the builds):\n\n")
	fmt.Fprintf(w, "| data set | N x dim, metric | ours build | hnswlib build | ours / hnswlib speed | ours memory: live heap / RSS delta | hnswlib RSS delta | builds |\n")
	fmt.Fprintf(w, "|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range all {
		var os_, rs, oh, orss, rrss []float64
		for _, b := range r.Builds {
			if b.Side == "ours" {
				os_ = append(os_, b.Seconds)
				oh = append(oh, float64(b.HeapDelta))
				orss = append(orss, float64(b.RSSDelta))
			} else {
				rs = append(rs, b.Seconds)
				rrss = append(rrss, float64(b.RSSDelta))
			}
		}
		if len(os_) == 0 {
			continue
		}
		to, tr := median(os_), median(rs)
		fmt.Fprintf(w, "| %s | %d x %d, %s | %.1f s (%.0f/s) | %.1f s (%.0f/s) | %s | %s / %s | %s | %d |\n", r.Name, r.N, r.Dim, r.metric(),
			to, float64(r.N)/to, tr, float64(r.N)/tr, ratio(tr, to), mib(int64(median(oh))), mib(int64(median(orss))), mib(int64(median(rrss))), len(os_))
	}
	fmt.Fprintf(w, "\nHNSW search, k=10, at recall@10 >= %.2f: the smallest ef of the sweep that reaches it, per library (QPS median of the runs):\n\n", target)
	fmt.Fprintf(w, "| data set | threads | ours: ef, recall, QPS | hnswlib: ef, recall, QPS | ours / hnswlib | runs |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|\n")
	for _, r := range all {
		for _, th := range []int{2, 1} {
			co, cr := curve(r, "ours", th), curve(r, "ref", th)
			if len(co) == 0 {
				continue
			}
			po, oko := atRecall(co, target)
			pr, okr := atRecall(cr, target)
			cell := func(p Point, ok bool) string {
				if !ok {
					return "not reached"
				}
				return fmt.Sprintf("%d, %.3f, %.0f", p.Ef, p.Recall, p.QPS)
			}
			rt := "n/a"
			if oko && okr {
				rt = ratio(po.QPS, pr.QPS)
			}
			nr := 0
			for _, s := range r.Sweeps {
				if s.Side == "ours" && s.Threads == th {
					nr++
				}
			}
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %d |\n", r.Name, th, cell(po, oko), cell(pr, okr), rt, nr)
		}
	}
	int8 = false
	for _, r := range all {
		int8 = int8 || r.HNSWInt8CodeBytes > 0
	}
	if int8 {
		fmt.Fprintf(w, "\nHNSW search through int8 codes (walking the graph with the codes, re-ranking the ef found with the floats), ours, k=10, at recall@10 >= %.2f:\n\n", target)
		fmt.Fprintf(w, "| data set | threads | float: ef, recall, QPS | int8: ef, recall, QPS | int8 / float | hnswlib: ef, recall, QPS | int8 / hnswlib |\n")
		fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range all {
			if r.HNSWInt8CodeBytes == 0 {
				continue
			}
			for _, th := range []int{2, 1} {
				cells, qps := make([]string, 3), make([]float64, 3)
				for i, side := range []string{"ours", "ours-int8", "ref"} {
					p, ok := atRecall(curve(r, side, th), target)
					cells[i] = "not reached"
					if ok {
						cells[i], qps[i] = fmt.Sprintf("%d, %.3f, %.0f", p.Ef, p.Recall, p.QPS), p.QPS
					}
				}
				rat := func(a, b float64) string {
					if a == 0 || b == 0 {
						return "n/a"
					}
					return ratio(a, b)
				}
				fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s |\n", r.Name, th, cells[0], cells[1], rat(qps[1], qps[0]), cells[2], rat(qps[1], qps[2]))
			}
		}
	}
	for _, r := range all {
		for _, th := range []int{2, 1} {
			co, cr := curve(r, "ours", th), curve(r, "ref", th)
			if len(co) == 0 {
				continue
			}
			fmt.Fprintf(w, "\nFull sweep, %s, %d thread(s) (recall@10 / QPS, medians):\n\n", r.Name, th)
			fmt.Fprintf(w, "| ef | ours recall | ours QPS | hnswlib recall | hnswlib QPS | ours / hnswlib |\n|---:|---:|---:|---:|---:|---:|\n")
			for i, p := range co {
				if i < len(cr) && cr[i].Ef == p.Ef {
					fmt.Fprintf(w, "| %d | %.4f | %.0f | %.4f | %.0f | %s |\n", p.Ef, p.Recall, p.QPS, cr[i].Recall, cr[i].QPS, ratio(p.QPS, cr[i].QPS))
				}
			}
		}
	}
}

func plotCurves(path string, r *Results, target float64) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("HNSW recall@%d vs queries/s: %s, %d x %d, %s (M=16, efC=200)", r.K, r.Name, r.N, r.Dim, r.metric())
	p.X.Label.Text = fmt.Sprintf("recall@%d", r.K)
	p.Y.Label.Text = "queries per second (log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = ticks125{}
	p.X.Tick.Marker = linearTicks{}
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = true
	colours := map[string]color.Color{"ours": color.RGBA{0xd6, 0x27, 0x28, 0xff}, "ref": color.RGBA{0x1f, 0x77, 0xb4, 0xff}}
	names := map[string]string{"ours": "lookalike index.HNSW", "ref": "hnswlib " + fmt.Sprint(refVersion(r))}
	any := false
	for _, th := range []int{2, 1} {
		for _, side := range []string{"ours", "ref"} {
			c := curve(r, side, th)
			if len(c) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(c))
			for i, pt := range c {
				xy[i] = plotter.XY{X: pt.Recall, Y: pt.QPS}
			}
			l, s, err := plotter.NewLinePoints(xy)
			if err != nil {
				return err
			}
			l.Color, s.Color = colours[side], colours[side]
			l.Width = 2
			s.Shape = draw.CircleGlyph{}
			if th == 1 {
				l.Dashes = []vg.Length{6, 3}
				s.Shape = draw.TriangleGlyph{}
			}
			p.Add(l, s)
			p.Legend.Add(fmt.Sprintf("%s, %d thread(s)", names[side], th), l, s)
			any = true
		}
	}
	if !any {
		return errors.New("no sweeps to plot")
	}
	p.X.Max = 1
	// The target recall, as a dashed vertical line.
	tl, err := plotter.NewLine(plotter.XYs{{X: target, Y: p.Y.Min}, {X: target, Y: p.Y.Max}})
	if err != nil {
		return err
	}
	tl.Color = color.Gray{0x80}
	tl.Dashes = []vg.Length{3, 3}
	p.Add(tl)
	p.Legend.Add(fmt.Sprintf("recall@%d = %.2f", r.K, target), tl)
	return p.Save(24*vg.Centimeter, 15*vg.Centimeter, path)
}

// ticks125 puts labelled ticks at 1, 2 and 5 times the powers of ten.
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)) - 1; e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo && v <= hi {
				ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
			}
		}
	}
	return ts
}

// linearTicks labels about ten round values.
type linearTicks struct{}

func (linearTicks) Ticks(lo, hi float64) []plot.Tick {
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/5)))
	for (hi-lo)/step > 12 {
		step *= 2
	}
	prec := max(0, int(-math.Floor(math.Log10(step))))
	var ts []plot.Tick
	for i := math.Ceil(lo / step); i*step <= hi+step/1e6; i++ {
		ts = append(ts, plot.Tick{Value: i * step, Label: strconv.FormatFloat(i*step, 'f', prec, 64)})
	}
	return ts
}

func refVersion(r *Results) any {
	if m, ok := r.RefInfo.(map[string]any); ok {
		return m["hnswlib"]
	}
	return ""
}
