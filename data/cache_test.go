package data

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestPixelCache loads a folder through a pixel cache and checks that the
// result is the plain load's, that unchanged files are copied from the
// cache (a file overwritten with garbage of the same size and time still
// gives its cached pixels), that changed, new and removed files are
// followed, that bad files are skipped, and that a damaged cache or one of
// another size is rebuilt.
func TestPixelCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i := range 6 {
		writeFile(t, dir, filepath.Join([]string{"a", "b"}[i%2], string(rune('p'+i))+".png"), encode(t, pattern(20, 20, i), "png"))
	}
	cache := filepath.Join(t.TempDir(), "pixels.cache")
	check := func(opt Options, what string) *Dataset {
		t.Helper()
		plain, err := LoadFolder(ctx, dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		opt.Cache = cache
		got, err := LoadFolder(ctx, dir, opt)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !bytes.Equal(got.Pixels, plain.Pixels) || len(got.Paths) != len(plain.Paths) {
			t.Fatalf("%s: cached load differs from the plain one", what)
		}
		return got
	}
	check(Options{Size: 8}, "first load")
	check(Options{Size: 8}, "second load")

	// Same size and time, other bytes: the cache is trusted.
	p := filepath.Join(dir, "a", "p.png")
	fi, _ := os.Stat(p)
	cached, err := LoadFolder(ctx, dir, Options{Size: 8, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(p)
	if err := os.WriteFile(p, bytes.Repeat([]byte{0x42}, len(orig)), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	again, err := LoadFolder(ctx, dir, Options{Size: 8, Cache: cache})
	if err != nil || !bytes.Equal(again.Pixels, cached.Pixels) {
		t.Fatalf("an unchanged fingerprint was decoded again: %v", err)
	}

	// Changed, new and removed files.
	os.WriteFile(p, encode(t, pattern(30, 20, 9), "png"), 0o644)
	os.Chtimes(p, time.Now().Add(time.Second), time.Now().Add(time.Second))
	writeFile(t, dir, filepath.Join("b", "z.png"), encode(t, pattern(16, 16, 7), "png"))
	os.Remove(filepath.Join(dir, "b", "q.png"))
	check(Options{Size: 8}, "after changes")

	// A bad file, skipped.
	writeFile(t, dir, filepath.Join("a", "bad.png"), []byte("not a png"))
	if ds := check(Options{Size: 8, SkipBad: true}, "with a bad file"); ds.Len() != 6 {
		t.Fatalf("%d images, want 6", ds.Len())
	}
	os.Remove(filepath.Join(dir, "a", "bad.png"))

	// Another size; then a damaged cache.
	check(Options{Size: 12}, "another size")
	b, _ := os.ReadFile(cache)
	os.WriteFile(cache, b[:len(b)-7], 0o644)
	check(Options{Size: 12}, "truncated cache")
	os.WriteFile(cache, []byte("garbage"), 0o644)
	check(Options{Size: 12}, "garbage cache")
	if m, _ := filepath.Glob(cache + ".tmp*"); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

// TestPixelCacheSplit checks that splitting a dataset loaded through a
// pixel cache gives the plain split's images, keeps the copies off the
// heap (in unlinked mapped files) and leaves no files behind.
func TestPixelCacheSplit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i := range 40 {
		writeFile(t, dir, filepath.Join([]string{"a", "b"}[i%2], fmt.Sprintf("%02d.png", i)), encode(t, pattern(20, 20, i), "png"))
	}
	cacheDir := t.TempDir()
	cache := filepath.Join(cacheDir, "pixels.cache")
	const size = 64 // 12 KiB an image, 480 KiB in all
	plain, err := LoadFolder(ctx, dir, Options{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := LoadFolder(ctx, dir, Options{Size: size, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	train, held, err := ds.Split(0.25, 3)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	wantTrain, wantHeld, _ := plain.Split(0.25, 3)
	if !bytes.Equal(train.Pixels, wantTrain.Pixels) || !bytes.Equal(held.Pixels, wantHeld.Pixels) {
		t.Fatal("the cached split's images differ from the plain split's")
	}
	if grown := int64(after.TotalAlloc - before.TotalAlloc); grown > int64(len(ds.Pixels))/4 {
		t.Errorf("the split allocated %d bytes on the heap for %d bytes of pixels", grown, len(ds.Pixels))
	}
	if ents, _ := os.ReadDir(cacheDir); len(ents) != 1 {
		t.Errorf("files beside the cache: %v", ents)
	}
}
