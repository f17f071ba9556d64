// Command sgemm times lookalike's kernels.Sgemm on C = A*B with row-major
// float32 matrices, for comparison with OpenBLAS's cblas_sgemm
// (bench/sgemm/openblas/openblas.c, same inputs and JSON output; bench/sgemm/run.sh
// runs both).
//
// Usage:
//
//	GOMAXPROCS=2 go run ./bench/sgemm [-m 1024 -n 1024 -k 1024] [-min-seconds 3]
//	go run ./bench/sgemm -info
//	go run ./bench/sgemm -precision bf16   # kernels.SgemmBF16
//
// It runs one untimed product, then repeats the product until -min-seconds
// have passed (and at least 3 times), and prints one JSON line with GFLOP
// per second of wall time and per second of the process's CPU time (all
// threads), which other processes on a shared machine disturb much less.
//
// The matrices hold small multiples of 1/16, so every product and partial
// sum is exact in float32 whatever the order of summation, and rounding
// them to bfloat16 changes nothing: the checksum (the sum of C) must equal
// openblas.c's and torch_matmul.py's exactly, in either precision.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"runtime"
	"syscall"
	"time"

	"github.com/lookalike/lookalike/kernels"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("sgemm: ")
	var (
		m       = flag.Int("m", 1024, "rows of A and C")
		n       = flag.Int("n", 1024, "columns of B and C")
		k       = flag.Int("k", 1024, "columns of A, rows of B")
		minSec  = flag.Float64("min-seconds", 3, "time the product repeatedly for at least this long")
		threads = flag.Int("threads", 0, "GOMAXPROCS to use (0: leave the default, which honours $GOMAXPROCS)")
		info    = flag.Bool("info", false, "print the configuration as JSON and exit")
		prec    = flag.String("precision", "fp32", "fp32 (kernels.Sgemm) or bf16 (kernels.SgemmBF16)")
	)
	flag.Parse()
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	if *info {
		printJSON(map[string]any{
			"engine": "lookalike", "go": runtime.Version(), "kernels": kernels.Path(), "bf16": kernels.HasBF16(),
			"gomaxprocs": runtime.GOMAXPROCS(0), "num_cpu": runtime.NumCPU(),
		})
		return
	}
	if *m <= 0 || *n <= 0 || *k <= 0 || *minSec < 0 {
		log.Fatal("-m, -n and -k must be positive and -min-seconds not negative")
	}
	a, b, c := make([]float32, *m**k), make([]float32, *k**n), make([]float32, *m**n)
	fill(a, b, *m, *n, *k)
	sgemm, engine := kernels.Sgemm, "lookalike"
	switch *prec {
	case "fp32":
	case "bf16":
		if !kernels.HasBF16() {
			log.Fatal("-precision bf16: this CPU has no bfloat16 instructions")
		}
		sgemm, engine = kernels.SgemmBF16, "lookalike-bf16"
	default:
		log.Fatalf("-precision %q: want fp32 or bf16", *prec)
	}
	gemm := func() { sgemm(false, false, *m, *n, *k, 1, a, *k, b, *n, 0, c, *n) }
	gemm() // warm-up: packing buffers, page faults
	reps := 0
	cpu0, start := cpuTime(), time.Now()
	var sec float64
	for {
		gemm()
		reps++
		if sec = time.Since(start).Seconds(); sec >= *minSec && reps >= 3 {
			break
		}
	}
	cpu := cpuTime() - cpu0
	sum := 0.0
	for _, v := range c {
		sum += float64(v)
	}
	gflop := 2 * float64(*m) * float64(*n) * float64(*k) * float64(reps) / 1e9
	printJSON(map[string]any{
		"engine": engine, "m": *m, "n": *n, "k": *k, "reps": reps,
		"seconds": round(sec, 4), "cpu_seconds": round(cpu, 4),
		"gflops": round(gflop/sec, 1), "gflops_per_cpu_sec": round(gflop/cpu, 1),
		"threads": runtime.GOMAXPROCS(0), "kernels": kernels.Path(), "checksum": round(sum, 1),
	})
}

// fill sets A (m x k) and B (k x n) to the same values as fill in
// openblas.c: multiples of 1/16 between -9/16 and 9/16.
func fill(a, b []float32, m, n, k int) {
	for i := range m {
		for p := range k {
			a[i*k+p] = float32((i*3+p*5)%17-8) / 16
		}
	}
	for p := range k {
		for j := range n {
			b[p*n+j] = float32((p*7+j*11)%19-9) / 16
		}
	}
}

// cpuTime returns the user and system CPU time of the process, all threads.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func printJSON(v any) {
	s, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(s))
}

func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}
