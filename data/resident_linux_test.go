package data

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// mappedRSS returns the resident bytes of the mapping holding b, from
// /proc/self/smaps.
func mappedRSS(t *testing.T, b []byte) int64 {
	t.Helper()
	addr := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := strings.Cut(strings.Fields(line)[0], "-"); ok && !strings.HasSuffix(line, ":") && strings.Count(line, ":") < 3 {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			z, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && a <= addr && addr < z
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no mapping at %#x in /proc/self/smaps", addr)
	return 0
}

// TestMaxMemory checks the memory bound: a folder whose decoded images
// exceed it is refused without a pixel cache; with one, the images load
// the same, and after reading them all (twice, as epochs do, and through
// a subset and Map) the cache's resident pages stay under the bound, where
// without a bound they are all resident.
func TestMaxMemory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const images, size = 240, 64 // 12 KiB each, 2.8 MiB in all
	for i := range images {
		writeFile(t, dir, filepath.Join([]string{"a", "b"}[i%2], fmt.Sprintf("%03d.png", i)), encode(t, pattern(size, size, i), "png"))
	}
	const bound = 512 << 10
	if _, err := LoadFolder(ctx, dir, Options{Size: size, MaxMemory: bound}); err == nil ||
		!strings.Contains(err.Error(), "pixel cache") {
		t.Fatalf("over the bound without a cache: %v", err)
	}
	plain, err := LoadFolder(ctx, dir, Options{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	read := func(ds *Dataset) {
		for range 2 {
			for i := range ds.Len() {
				_ = ds.Image(i)[0]
			}
		}
		ds.Map(func(px []uint8, n int) []float32 {
			var s float32
			for i := 0; i < len(px); i += 4096 {
				s += float32(px[i])
			}
			return []float32{s}
		})
	}
	for _, c := range []struct {
		name  string
		bound int64
	}{{"unbounded", 0}, {"bounded", bound}} {
		cache := filepath.Join(t.TempDir(), "pixels.cache")
		ds, err := LoadFolder(ctx, dir, Options{Size: size, Cache: cache, MaxMemory: c.bound})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ds.Pixels, plain.Pixels) {
			t.Fatalf("%s: pixels differ from the plain load", c.name)
		}
		read(ds)
		sub := ds.Subset([]int{5, 6, 7, 100, 200})
		read(sub)
		rss := mappedRSS(t, ds.Pixels)
		t.Logf("%s: %d KiB of the %d KiB cache resident", c.name, rss>>10, len(ds.Pixels)>>10)
		switch {
		case c.bound == 0 && rss < int64(len(ds.Pixels))/2:
			t.Errorf("unbounded: only %d of %d bytes resident: the check measures nothing", rss, len(ds.Pixels))
		case c.bound > 0 && rss > c.bound:
			t.Errorf("bounded: %d bytes resident, over the bound of %d", rss, c.bound)
		}
	}
}
