// Command serverload is a bounded load test of the lookalike search server:
// concurrent clients POST a real 32x32 PNG to /api/search for a fixed time,
// over loopback only, and it reports the throughput, the latency
// percentiles, the errors, and the server's memory (resident set and Go
// heap, from its /metrics) at the start, every few seconds and at the end.
//
// Usage:
//
//	serverload [-n 50000] [-clients 32] [-duration 30s] [-k 10]
//	           [-data ../shared/datasets/cifar10/train | -data random]
//	           [-model MODEL_DIR] [-hnsw] [-max-concurrent N]
//	serverload -addr 127.0.0.1:8080 [-query IMAGE] [-clients 32] [-duration 30s]
//
// Without -addr it builds an index of n entries in a temporary directory
// and serves it in-process on a free loopback port. The entries are the
// first n images of -data, embedded with the model, when that folder
// exists (the default is the shared CIFAR-10 training set; its images are
// then the collection); else (or with -data random) n random unit vectors
// with made-up paths. Without -model a keras-small model with random
// weights (8 dimensions) is used: search cost does not depend on the
// weights. With -addr it loads a server that runs already; the address
// must be a loopback one.
//
// The query is -query, else the first test image next to -data, else a
// generated PNG. The program stops by itself after -duration.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/server"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("serverload: ")
	var (
		n             = flag.Int("n", 50000, "entries in the index (in-process server)")
		clients       = flag.Int("clients", 32, "concurrent clients")
		duration      = flag.Duration("duration", 30*time.Second, "how long the clients send requests")
		k             = flag.Int("k", 10, "results per search")
		addr          = flag.String("addr", "", "load a running server at this loopback address instead of starting one")
		dataDir       = flag.String("data", "../shared/datasets/cifar10/train", `image folder (DIR/<class>/<image>) to index, or "random" for random vectors`)
		modelDir      = flag.String("model", "", "model directory (default: keras-small with random weights)")
		query         = flag.String("query", "", "query image (default: the first test image next to -data, or a generated PNG)")
		hnsw          = flag.Bool("hnsw", false, "use the HNSW index (in-process server)")
		maxConcurrent = flag.Int("max-concurrent", runtime.NumCPU(), "server embedding slots (in-process server)")
		sample        = flag.Duration("sample", 5*time.Second, "interval of the memory samples")
		verbose       = flag.Bool("v", false, "log every request of the in-process server")
	)
	flag.Parse()
	if *clients < 1 || *duration <= 0 || *k < 1 || *k > server.MaxK || *n < 0 {
		log.Fatal("bad flags: need -clients >= 1, -duration > 0, 1 <= -k <= 100, -n >= 0")
	}
	q, qname, err := queryImage(*query, *dataDir)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	base := ""
	setup := map[string]string{}
	if *addr != "" {
		if err := checkLoopback(*addr); err != nil {
			log.Fatal(err)
		}
		base = "http://" + *addr
		setup["server"] = base + " (external)"
	} else {
		url, stop, err := startServer(ctx, *n, *dataDir, *modelDir, *hnsw, *maxConcurrent, *verbose, setup)
		if err != nil {
			log.Fatal(err)
		}
		defer stop()
		base = url
	}
	setup["query"] = qname
	if err := run(base, q, *clients, *duration, *k, *sample, setup); err != nil {
		log.Fatal(err)
	}
}

// startServer builds the index and serves it in-process on a free loopback
// port. stop shuts the server down gracefully and removes its files.
func startServer(ctx context.Context, n int, dataDir, modelDir string, hnsw bool, maxConcurrent int, verbose bool, setup map[string]string) (string, func(), error) {
	tmp, err := os.MkdirTemp("", "serverload-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	if modelDir == "" {
		modelDir = filepath.Join(tmp, "model")
		m, err := nn.KerasSmall(8)
		if err != nil {
			return "", nil, err
		}
		m.Init(rand.New(rand.NewPCG(1, 2)))
		if err := nn.Save(modelDir, m, nil, nil); err != nil {
			cleanup()
			return "", nil, err
		}
		setup["model"] = "keras-small, 8-d, random weights"
	} else {
		setup["model"] = modelDir
	}
	m, info, err := nn.Load(modelDir)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	indexDir, imagesDir := filepath.Join(tmp, "index"), filepath.Join(tmp, "images")
	start := time.Now()
	from, err := buildIndex(ctx, indexDir, m, info, n, dataDir)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	if from != "" {
		imagesDir = from
	}
	// The decoded images are garbage now: give their memory back so that
	// the first sample shows the server's, not the index build's.
	runtime.GC()
	debug.FreeOSMemory()
	setup["index"] = fmt.Sprintf("%d entries (%s), built in %.1f s", n, orDefault(from, "random unit vectors"), time.Since(start).Seconds())

	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	s, err := server.Open(server.Config{
		ModelDir: modelDir, IndexDir: indexDir, ImagesDir: imagesDir, HNSW: hnsw,
		MaxConcurrent: maxConcurrent,
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		cleanup()
		return "", nil, err
	}
	kind := "exact"
	if hnsw {
		kind = "hnsw"
	}
	setup["server"] = fmt.Sprintf("in-process, %s index, --max-concurrent %d, GOMAXPROCS %d, request logs off", kind, maxConcurrent, runtime.GOMAXPROCS(0))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		cleanup()
		return "", nil, err
	}
	sctx, stopServing := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, ln) }()
	stop := func() {
		stopServing()
		if err := <-served; err != nil {
			log.Print(err)
		}
		if err := s.Close(); err != nil {
			log.Print(err)
		}
		cleanup()
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// buildIndex creates an index of n entries in dir: the first n images of
// the folder dataDir embedded with m when it exists (returning dataDir,
// the collection root of their paths), else n random unit vectors
// (returning "").
func buildIndex(ctx context.Context, dir string, m *nn.Model, info *nn.Info, n int, dataDir string) (string, error) {
	ix, err := index.Open(dir, index.Options{Meta: index.Meta{Model: info.Fingerprint, Dim: info.Dim, Metric: index.Cosine}})
	if err != nil {
		return "", err
	}
	defer ix.Close()
	var entries []index.Entry
	from := ""
	if fi, err := os.Stat(dataDir); dataDir != "random" && err == nil && fi.IsDir() {
		if entries, err = embedFolder(ctx, m, info, dataDir, n); err != nil {
			return "", err
		}
		from = dataDir
	} else {
		rng := rand.New(rand.NewPCG(3, 4))
		classes := []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
		for i := range n {
			v := make([]float32, info.Dim)
			for j := range v {
				v[j] = float32(rng.NormFloat64())
			}
			c := classes[i%len(classes)]
			entries = append(entries, index.Entry{Path: fmt.Sprintf("%s/%06d.png", c, i), Label: c, Vector: v})
		}
	}
	for len(entries) > 0 {
		chunk := entries[:min(len(entries), 5000)]
		entries = entries[len(chunk):]
		if _, err := ix.AddBatch(chunk); err != nil {
			return "", err
		}
	}
	return from, ix.Compact()
}

// embedFolder decodes the first n images of an image folder (in the
// folder's order: by class, then path) and embeds them, one goroutine per
// CPU with a clone of the model each.
func embedFolder(ctx context.Context, m *nn.Model, info *nn.Info, dir string, n int) ([]index.Entry, error) {
	ds, err := data.LoadFolder(ctx, dir, data.Options{Size: info.Size})
	if err != nil {
		return nil, err
	}
	if ds.Len() < n {
		return nil, fmt.Errorf("%s has %d images, fewer than -n %d", dir, ds.Len(), n)
	}
	per := ds.Size * ds.Size * 3
	vecs := make([]float32, n*info.Dim)
	workers := runtime.NumCPU()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() {
			c, err := m.Clone()
			if err != nil {
				mu.Lock()
				firstErr = errors.Join(firstErr, err)
				mu.Unlock()
				return
			}
			copy(vecs[lo*info.Dim:hi*info.Dim], c.Embed(ds.Pixels[lo*per:hi*per], hi-lo, 256))
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	entries := make([]index.Entry, n)
	for i := range n {
		rel, err := filepath.Rel(dir, ds.Paths[i])
		if err != nil {
			rel = ds.Paths[i]
		}
		label := ""
		if l := ds.Labels[i]; l >= 0 {
			label = ds.Classes[l]
		}
		entries[i] = index.Entry{Path: rel, Label: label, Vector: vecs[i*info.Dim : (i+1)*info.Dim]}
	}
	return entries, nil
}

// queryImage returns the PNG the clients send and a description of it.
func queryImage(path, dataDir string) ([]byte, string, error) {
	if path == "" && dataDir != "random" {
		test := filepath.Join(filepath.Dir(filepath.Clean(dataDir)), "test")
		if classes, err := os.ReadDir(test); err == nil {
			for _, c := range classes {
				files, _ := os.ReadDir(filepath.Join(test, c.Name()))
				for _, f := range files {
					if strings.HasSuffix(strings.ToLower(f.Name()), ".png") {
						path = filepath.Join(test, c.Name(), f.Name())
						break
					}
				}
				if path != "" {
					break
				}
			}
		}
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, "", err
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return nil, "", fmt.Errorf("query %s: %w", path, err)
		}
		return b, fmt.Sprintf("%s (%s %dx%d, %d bytes)", path, format, cfg.Width, cfg.Height, len(b)), nil
	}
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	rng := rand.New(rand.NewPCG(5, 6))
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 8), uint8(rng.IntN(256)), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), fmt.Sprintf("generated 32x32 PNG, %d bytes", buf.Len()), nil
}

// checkLoopback refuses addresses that are not on this machine's loopback.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("-addr %q is not a loopback address: this load test only runs against this machine", addr)
		}
	}
	return nil
}

// memSample is the server's memory at one moment.
type memSample struct {
	at       time.Duration
	rss      float64 // process_resident_memory_bytes
	heap     float64 // go_memstats_heap_alloc_bytes
	inuse    float64 // go_memstats_heap_inuse_bytes
	routines float64 // go_goroutines
}

// scrape reads the memory figures from the server's /metrics.
func scrape(c *http.Client, base string, at time.Duration) (memSample, error) {
	res, err := c.Get(base + "/metrics")
	if err != nil {
		return memSample{}, err
	}
	defer res.Body.Close()
	s := memSample{at: at}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			s.rss = v
		case "go_memstats_heap_alloc_bytes":
			s.heap = v
		case "go_memstats_heap_inuse_bytes":
			s.inuse = v
		case "go_goroutines":
			s.routines = v
		}
	}
	return s, sc.Err()
}

// run sends the load and prints the report.
func run(base string, q []byte, clients int, duration time.Duration, k int, every time.Duration, setup map[string]string) error {
	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, MaxConnsPerHost: clients * 2, IdleConnTimeout: time.Minute}
	c := &http.Client{Transport: tr, Timeout: time.Minute}
	url := fmt.Sprintf("%s/api/search?k=%d", base, k)

	// One checked request, then a short warm-up.
	if err := checkOnce(c, url, q, k, true); err != nil {
		return err
	}
	warm := time.Now().Add(2 * time.Second)
	for time.Now().Before(warm) {
		checkOnce(c, url, q, k, false)
	}
	first, err := scrape(c, base, 0)
	if err != nil {
		return err
	}
	samples := []memSample{first}

	type result struct {
		lat    []time.Duration
		status map[string]int
	}
	results := make([]result, clients)
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for i := range clients {
		results[i].status = map[string]int{}
		wg.Go(func() {
			r := &results[i]
			for time.Now().Before(deadline) {
				t0 := time.Now()
				req, _ := http.NewRequest("POST", url, bytes.NewReader(q))
				req.Header.Set("Content-Type", "image/png")
				res, err := c.Do(req)
				if err != nil {
					r.status["transport error"]++
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				r.lat = append(r.lat, time.Since(t0))
				r.status[strconv.Itoa(res.StatusCode)]++
			}
		})
	}
	tick := time.NewTicker(every)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
wait:
	for {
		select {
		case <-tick.C:
			if s, err := scrape(c, base, time.Since(start)); err == nil {
				samples = append(samples, s)
			}
		case <-done:
			break wait
		}
	}
	tick.Stop()
	elapsed := time.Since(start)
	last, err := scrape(c, base, elapsed)
	if err != nil {
		return err
	}
	samples = append(samples, last)

	var lat []time.Duration
	status := map[string]int{}
	for _, r := range results {
		lat = append(lat, r.lat...)
		for s, n := range r.status {
			status[s] += n
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	total := status["200"]
	var errs []string
	nerr := 0
	keys := make([]string, 0, len(status))
	for s := range status {
		keys = append(keys, s)
	}
	sort.Strings(keys)
	for _, s := range keys {
		if s != "200" {
			errs = append(errs, fmt.Sprintf("%d x %s", status[s], s))
			nerr += status[s]
		}
	}

	fmt.Printf("setup:\n")
	for _, key := range []string{"server", "model", "index", "query"} {
		if v, ok := setup[key]; ok {
			fmt.Printf("  %-7s %s\n", key+":", v)
		}
	}
	fmt.Printf("  load:   %d clients, POST /api/search?k=%d (raw image/png body), %s after a 2 s warm-up\n", clients, k, duration)
	fmt.Printf("  host:   %d CPUs, %s/%s, %s\n\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("| requests | QPS | p50 | p90 | p99 | max | errors |\n|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %d | %.0f | %s | %s | %s | %s | %s |\n\n", total+nerr, float64(total)/elapsed.Seconds(),
		ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(pct(1)), orDefault(strings.Join(errs, ", "), "0"))
	fmt.Printf("server memory (from /metrics):\n\n| at | RSS | Go heap alloc | heap in use | goroutines |\n|---|---|---|---|---|\n")
	for _, s := range samples {
		fmt.Printf("| %4.0f s | %.1f MiB | %.1f MiB | %.1f MiB | %.0f |\n", s.at.Seconds(), s.rss/(1<<20), s.heap/(1<<20), s.inuse/(1<<20), s.routines)
	}
	if nerr > 0 {
		return fmt.Errorf("%d of %d requests failed", nerr, total+nerr)
	}
	return nil
}

// checkOnce sends one search and, with verify, checks that it returns
// between 1 and k results.
func checkOnce(c *http.Client, url string, q []byte, k int, verify bool) error {
	res, err := c.Post(url, "image/png", bytes.NewReader(q))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("search: %s: %s", res.Status, b)
	}
	if !verify {
		return nil
	}
	var sr server.SearchResponse
	if err := json.Unmarshal(b, &sr); err != nil {
		return fmt.Errorf("search: %w: %.200s", err, b)
	}
	if len(sr.Results) < 1 || len(sr.Results) > k {
		return fmt.Errorf("search: %d results for k=%d", len(sr.Results), k)
	}
	return nil
}

// ms formats a latency in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
