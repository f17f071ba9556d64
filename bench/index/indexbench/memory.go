package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lookalike/lookalike/index"
)

// MemoryResult is one index of the memory command: a persistent exact
// index written, closed and opened again, then searched.
type MemoryResult struct {
	Name    string  `json:"name"`
	N       int     `json:"n"`
	Dim     int     `json:"dim"`
	Metric  string  `json:"metric"`
	Mode    string  `json:"mode"` // float or int8
	OpenSec float64 `json:"open_seconds"`
	// Memory the open index adds to the process, after a collection: the
	// Go heap, anonymous resident memory, and file-backed resident memory
	// (page cache mapped by the process: an int8 index's vector file).
	HeapBytes int64   `json:"heap_bytes"`
	AnonBytes int64   `json:"anon_bytes"`
	FileBytes int64   `json:"file_bytes"`
	Single    Measure `json:"single"`
	Batch     Measure `json:"batch"`
	Date      string  `json:"date"`
}

// memoryCmd measures what a persistent exact index holds in memory once
// opened, with float vectors and searched through int8 codes (whose
// floats lie in a vector file), and how fast each searches.
func memoryCmd(args []string) {
	fs := flag.NewFlagSet("memory", flag.ExitOnError)
	data := fs.String("data", "", "directory with base.npy, queries.npy and gt.npy")
	name := fs.String("name", "", "name of the data set in the report")
	work := fs.String("dir", os.TempDir(), "directory to write the indexes in (removed afterwards)")
	out := fs.String("out", "", "JSON file to append the results to, one per line")
	minSeconds := fs.Float64("min-seconds", 2, "least time of each query measurement")
	fs.Parse(args)
	if *data == "" {
		log.Fatal("memory needs -data")
	}
	if *name == "" {
		*name = *data
	}
	const k = 10
	base, n, dim := readNPYFloat32(*data + "/base.npy")
	qs, nq, _ := readNPYFloat32(*data + "/queries.npy")
	gt, _, gtCols := readNPYInt(*data + "/gt.npy")
	truth := make([][]uint64, nq)
	for i := range truth {
		for _, r := range gt[i*gtCols : i*gtCols+k] {
			truth[i] = append(truth[i], uint64(r))
		}
	}
	metric := readMetric(*data)
	// Results carry IDs 1..n (0 is not an ID); the truth rows 0..n-1.
	rows := func(rs []index.Result) []index.Result {
		for i := range rs {
			rs[i].ID--
		}
		return rs
	}
	var all []MemoryResult
	for _, int8 := range []bool{false, true} {
		dir, err := os.MkdirTemp(*work, "indexbench-memory-")
		if err != nil {
			log.Fatal(err)
		}
		opts := index.Options{Meta: index.Meta{Model: "indexbench", Dim: dim, Metric: metric}, Kind: index.KindExact, Int8: int8}
		ix, err := index.Open(dir, opts)
		if err != nil {
			log.Fatal(err)
		}
		const chunk = 10_000
		for lo := 0; lo < n; lo += chunk {
			hi := min(n, lo+chunk)
			es := make([]index.Entry, 0, hi-lo)
			for i := lo; i < hi; i++ {
				es = append(es, index.Entry{ID: uint64(i + 1), Vector: base[i*dim : (i+1)*dim]})
			}
			if _, err := ix.AddBatch(es); err != nil {
				log.Fatal(err)
			}
		}
		if err := ix.Compact(); err != nil {
			log.Fatal(err)
		}
		ix.Close()

		heap0, anon0, file0 := memSplit()
		t0 := time.Now()
		if ix, err = index.Open(dir, opts); err != nil {
			log.Fatal(err)
		}
		r := MemoryResult{Name: *name, N: n, Dim: dim, Metric: metric.String(), Mode: map[bool]string{false: "float", true: "int8"}[int8],
			OpenSec: time.Since(t0).Seconds(), Date: time.Now().UTC().Format(time.RFC3339)}
		single := min(nq, max(100, int(1000*100_000/int64(n))))
		r.Single = timeQueries(*minSeconds, single, func(i int) []index.Result {
			rs, _ := ix.Search(qs[i*dim:(i+1)*dim], k)
			return rows(rs)
		}, truth)
		batch := min(1000, nq)
		r.Batch = timeBatches(*minSeconds, nq/batch*batch, batch, func(q0, b int) [][]index.Result {
			rs, _ := ix.SearchBatch(qs[q0*dim:(q0+b)*dim], b, k)
			for _, x := range rs {
				rows(x)
			}
			return rs
		}, truth)
		heap1, anon1, file1 := memSplit()
		r.HeapBytes, r.AnonBytes, r.FileBytes = heap1-heap0, anon1-anon0, file1-file0
		logf("memory %s %s: heap %s, anonymous %s, file-backed %s resident (%.0f / %.0f / %.0f B a vector); open %.2f s; single %.0f QPS (recall %.4f), batch %.0f QPS (recall %.4f)",
			*name, r.Mode, mib(r.HeapBytes), mib(r.AnonBytes), mib(r.FileBytes),
			float64(r.HeapBytes)/float64(n), float64(r.AnonBytes)/float64(n), float64(r.FileBytes)/float64(n),
			r.OpenSec, r.Single.QPS, r.Single.Recall, r.Batch.QPS, r.Batch.Recall)
		ix.Close()
		os.RemoveAll(dir)
		all = append(all, r)
	}
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range all {
			b, _ := json.Marshal(r)
			f.Write(append(b, '\n'))
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
	writeMemoryTable(os.Stdout, all)
}

// writeMemoryTable prints the memory command's results as Markdown.
func writeMemoryTable(w io.Writer, rs []MemoryResult) {
	fmt.Fprintf(w, "| data set | N x dim, metric | vectors | heap a vector | anonymous resident a vector | file-backed resident a vector | open | single: QPS (recall@10) | batch of 1,000: QPS (recall@10) |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|\n")
	per := func(b int64, n int) string { return fmt.Sprintf("%.0f B", float64(b)/float64(n)) }
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %d x %d, %s | %s | %s | %s | %s | %.2f s | %.0f (%.4f) | %.0f (%.4f) |\n", r.Name, r.N, r.Dim, r.Metric, r.Mode,
			per(r.HeapBytes, r.N), per(r.AnonBytes, r.N), per(r.FileBytes, r.N), r.OpenSec, r.Single.QPS, r.Single.Recall, r.Batch.QPS, r.Batch.Recall)
	}
}

// memSplit returns the live heap after a collection, and the anonymous and
// file-backed resident memory (RssAnon and RssFile of /proc/self/status,
// Linux; 0 elsewhere) after returning freed memory to the system.
func memSplit() (heap, anon, file int64) {
	heap, _ = memNow()
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		field := func(prefix string, dst *int64) {
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
				*dst = kb * 1024
			}
		}
		field("RssAnon:", &anon)
		field("RssFile:", &file)
	}
	return heap, anon, file
}
