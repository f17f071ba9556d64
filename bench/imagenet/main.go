// Command imagenet times the inference of a network imported from
// torchvision weights (nn/torchvision, as lookalike import does) on
// batches of 224x224 images, for bench/imagenet/run.sh. Prints one JSON
// line.
//
// Usage:
//
//	imagenet -arch resnet50 -weights resnet50.pth [-precision fp32] [-batch 32] [-batches 4]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"runtime"
	"syscall"
	"time"

	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/nn/torchvision"
	"github.com/lookalike/lookalike/tensor"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("imagenet: ")
	arch := flag.String("arch", "resnet50", "torchvision architecture")
	weights := flag.String("weights", "", "state dict (.pth)")
	precision := flag.String("precision", "fp32", "fp32 or bf16")
	batch := flag.Int("batch", 32, "images per batch")
	batches := flag.Int("batches", 4, "timed batches")
	threads := flag.Int("threads", 2, "GOMAXPROCS")
	flag.Parse()
	runtime.GOMAXPROCS(*threads)
	sd, err := torchvision.ReadWeights(*weights)
	if err != nil {
		log.Fatal(err)
	}
	m, err := torchvision.Import(*arch, sd, torchvision.Options{Size: 224})
	if err != nil {
		log.Fatal(err)
	}
	p, err := nn.ParsePrecision(*precision)
	if err != nil {
		log.Fatal(err)
	}
	m.SetPrecision(p)
	x := tensor.New(*batch, 224, 224, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range x.Data {
		x.Data[i] = float32(rng.IntN(256))
	}
	m.Forward(x, false) // untimed
	cpu0, start := cpuTime(), time.Now()
	for range *batches {
		m.Forward(x, false)
	}
	sec, cpu := time.Since(start).Seconds(), cpuTime()-cpu0
	n := *batch * *batches
	b, _ := json.Marshal(map[string]any{
		"engine": "lookalike", "mode": *precision, "arch": *arch, "images": n, "seconds": round(sec),
		"images_per_sec": round(float64(n) / sec), "images_per_cpu_sec": round(float64(n) / cpu),
		"threads": *threads, "go": runtime.Version(),
	})
	fmt.Println(string(b))
}

func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func round(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
