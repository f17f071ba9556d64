// Command jpegbench times lookalike's path from image files to N x N
// pixels (data.LoadFiles: read, decode, EXIF orientation, centre square,
// Catmull-Rom resize) on a folder, for comparison with Pillow's draft +
// resize (bench/jpeg/pil_decode.py; bench/jpeg/run.sh runs both). Prints
// one JSON line.
//
// Usage:
//
//	jpegbench -dir DIR [-size 128] [-workers 2]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"runtime"
	"syscall"
	"time"

	"github.com/lookalike/lookalike/data"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("jpegbench: ")
	dir := flag.String("dir", "", "folder of images")
	size := flag.Int("size", 128, "output width and height")
	workers := flag.Int("workers", 2, "decoding goroutines (and GOMAXPROCS)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	runtime.GOMAXPROCS(*workers)
	paths, err := data.ListImages(*dir)
	if err != nil {
		log.Fatal(err)
	}
	cpu0, start := cpuTime(), time.Now()
	ds, err := data.LoadFiles(context.Background(), paths, nil, nil, data.Options{Size: *size, Workers: *workers})
	if err != nil {
		log.Fatal(err)
	}
	sec, cpu := time.Since(start).Seconds(), cpuTime()-cpu0
	b, _ := json.Marshal(map[string]any{
		"engine": "lookalike", "images": ds.Len(), "size": *size, "procs": *workers,
		"seconds": round(sec), "images_per_sec": round(float64(ds.Len()) / sec), "cpu_seconds": round(cpu),
		"go": runtime.Version(),
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

func round(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
