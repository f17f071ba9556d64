package data

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// makeFolder writes an image folder with classes bird, cat and dog in every
// supported format plus files that must be ignored, and returns its root
// and the expected paths (in load order) with the images' exact RGB.
func makeFolder(t *testing.T) (dir string, paths []string, want [][]uint8) {
	t.Helper()
	dir = t.TempDir()
	add := func(name string, data []byte, rgb []uint8) {
		paths = append(paths, writeFile(t, dir, name, data))
		want = append(want, rgb)
	}
	img := func(seed int) []uint8 { return rgbOf(pattern(32, 32, seed)) }
	// Classes are created out of order; files too.
	add("dog/b.png", encode(t, pattern(32, 32, 1), "png"), img(1))
	add("dog/sub/a.bmp", encode(t, pattern(32, 32, 2), "bmp"), img(2))
	add("bird/x.PNG", encode(t, pattern(32, 32, 3), "png"), img(3))
	a := color.NRGBA{R: 1, G: 2, B: 3, A: 255}
	b := color.NRGBA{R: 200, G: 201, B: 202, A: 255}
	web := webpTwoColour(32, 32, a, b, func(x, y int) bool { return x < 16 })
	webRGB := make([]uint8, 0, 32*32*3)
	for range 32 {
		for x := range 32 {
			if x < 16 {
				webRGB = append(webRGB, a.R, a.G, a.B)
			} else {
				webRGB = append(webRGB, b.R, b.G, b.B)
			}
		}
	}
	add("cat/w.webp", web, webRGB)
	add("cat/a.png", encode(t, pattern(32, 32, 4), "png"), img(4))
	add("cat/g.gif", encode(t, pattern(32, 32, 5), "gif"), nil) // quantised: not compared
	add("cat/j.jpg", encode(t, pattern(32, 32, 6), "jpeg"), nil)

	// Ignored: hidden files and folders, other extensions, top-level files.
	writeFile(t, dir, "cat/.hidden.png", []byte("junk"))
	writeFile(t, dir, "cat/.thumbs/t.png", []byte("junk"))
	writeFile(t, dir, "cat/notes.txt", []byte("notes"))
	writeFile(t, dir, ".git/objects/x.png", []byte("junk"))
	writeFile(t, dir, "README.md", []byte("readme"))
	writeFile(t, dir, "stray.png", encode(t, pattern(32, 32, 9), "png"))

	// Load order: classes by name, then paths sorted.
	order := []int{2, 4, 5, 6, 3, 0, 1} // bird/x, cat/a, cat/g, cat/j, cat/w, dog/b, dog/sub/a
	var p []string
	var w [][]uint8
	for _, i := range order {
		p = append(p, paths[i])
		w = append(w, want[i])
	}
	return dir, p, w
}

func TestLoadFolder(t *testing.T) {
	dir, paths, want := makeFolder(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ds, err := LoadFolder(context.Background(), dir, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bird", "cat", "dog"}; !slices.Equal(ds.Classes, want) {
		t.Errorf("classes %v, want %v", ds.Classes, want)
	}
	if !slices.Equal(ds.Paths, paths) {
		t.Errorf("paths\n%v, want\n%v", ds.Paths, paths)
	}
	if want := []int{0, 1, 1, 1, 1, 2, 2}; !slices.Equal(ds.Labels, want) {
		t.Errorf("labels %v, want %v", ds.Labels, want)
	}
	if ds.Len() != 7 || ds.Size != 32 || len(ds.Pixels) != 7*32*32*3 {
		t.Fatalf("len %d size %d pixels %d", ds.Len(), ds.Size, len(ds.Pixels))
	}
	for i, w := range want {
		if w != nil && !bytes.Equal(ds.Image(i), w) {
			t.Errorf("image %d (%s) differs from its source", i, paths[i])
		}
	}
	if !strings.Contains(logs.String(), "notes.txt") {
		t.Errorf("no debug log for the skipped non-image file:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "stray.png") {
		t.Errorf("no log for the image outside any class folder:\n%s", logs.String())
	}

	// Same result with one worker and with many, and with a resize.
	for _, workers := range []int{1, 5} {
		other, err := LoadFolder(context.Background(), dir, Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(other.Pixels, ds.Pixels) || !slices.Equal(other.Paths, ds.Paths) {
			t.Errorf("%d workers: different result", workers)
		}
	}
	small, err := LoadFolder(context.Background(), dir, Options{Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	if small.Size != 8 || len(small.Pixels) != 7*8*8*3 {
		t.Errorf("size 8: size %d, %d bytes", small.Size, len(small.Pixels))
	}
}

func TestLoadFolderClasses(t *testing.T) {
	dir, _, _ := makeFolder(t)
	ctx := context.Background()
	ds, err := LoadFolder(ctx, dir, Options{Classes: []string{"dog", "fish", "cat", "bird"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 0, 2, 2, 2, 2, 3}; !slices.Equal(ds.Labels, want) {
		t.Errorf("labels %v, want %v", ds.Labels, want)
	}
	if !strings.HasSuffix(ds.Paths[0], filepath.Join("dog", "b.png")) {
		t.Errorf("first path %s, want dog/b.png", ds.Paths[0])
	}
	if got := ds.ClassIndices(); len(got) != 4 || len(got[1]) != 0 || len(got[2]) != 4 {
		t.Errorf("class indices %v", got)
	}

	_, err = LoadFolder(ctx, dir, Options{Classes: []string{"bird", "cat"}})
	if err == nil || !strings.Contains(err.Error(), `"dog"`) {
		t.Errorf("unknown class folder: error %v does not name dog", err)
	}
	if _, err := LoadFolder(ctx, dir, Options{Classes: []string{"bird", "cat", "dog", "cat"}}); err == nil {
		t.Error("duplicate class: no error")
	}
}

func TestLoadFolderBadFiles(t *testing.T) {
	good := encode(t, pattern(32, 32, 0), "png")
	bads := map[string][]byte{
		"corrupt.png":   append(append([]byte{}, good[:50]...), bytes.Repeat([]byte{7}, 100)...),
		"truncated.png": good[:len(good)-30],
		"empty.jpg":     nil,
		"text.gif":      []byte("GIF? no, just text"),
		"bomb.png":      pngBomb(100000, 100000),
	}
	for name, data := range bads {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a/1.png", encode(t, pattern(32, 32, 1), "png"))
			bad := writeFile(t, dir, "a/2"+name, data)
			writeFile(t, dir, "b/3.png", encode(t, pattern(32, 32, 3), "png"))

			_, err := LoadFolder(context.Background(), dir, Options{})
			if err == nil || !strings.Contains(err.Error(), bad) {
				t.Fatalf("without SkipBad: error %v does not name %s", err, bad)
			}
			if name == "bomb.png" && !errors.Is(err, ErrTooManyPixels) {
				t.Errorf("bomb: error %v is not ErrTooManyPixels", err)
			}

			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			ds, err := LoadFolder(context.Background(), dir, Options{SkipBad: true, Logger: log, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			if ds.Len() != 2 || len(ds.Paths) != 2 || len(ds.Labels) != 2 {
				t.Fatalf("with SkipBad: %d images, %d paths, %d labels, want 2", ds.Len(), len(ds.Paths), len(ds.Labels))
			}
			if !slices.Equal(ds.Labels, []int{0, 1}) {
				t.Errorf("labels %v, want [0 1]", ds.Labels)
			}
			if !bytes.Equal(ds.Image(1), rgbOf(pattern(32, 32, 3))) {
				t.Error("image after the skipped one is not b/3.png")
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), bad) {
				t.Errorf("no warning naming %s:\n%s", bad, logs.String())
			}
		})
	}
}

func TestLoadFolderErrors(t *testing.T) {
	ctx := context.Background()
	empty := t.TempDir()
	if _, err := LoadFolder(ctx, empty, Options{}); err == nil {
		t.Error("no class folders: no error")
	}
	noImages := t.TempDir()
	writeFile(t, noImages, "cat/readme.txt", []byte("x"))
	if _, err := LoadFolder(ctx, noImages, Options{}); err == nil {
		t.Error("no images: no error")
	}
	if _, err := LoadFolder(ctx, filepath.Join(empty, "missing"), Options{}); err == nil {
		t.Error("missing folder: no error")
	}
}

func TestLoadFolderProgressAndCancel(t *testing.T) {
	dir := t.TempDir()
	const n = 40
	for i := range n {
		writeFile(t, dir, filepath.Join("c", string(rune('a'+i%26))+string(rune('a'+i/26))+".png"),
			encode(t, pattern(32, 32, i), "png"))
	}
	var calls []int
	ds, err := LoadFolder(context.Background(), dir, Options{Workers: 4, Progress: func(done, total int) {
		if total != n {
			t.Errorf("total %d, want %d", total, n)
		}
		calls = append(calls, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != n {
		t.Fatalf("%d images, want %d", ds.Len(), n)
	}
	if len(calls) == 0 || calls[len(calls)-1] != n || !slices.IsSorted(calls) {
		t.Errorf("progress calls %v: want increasing, ending at %d", calls, n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LoadFolder(ctx, dir, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
}

func TestListImages(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"z.png", "a/b.JPG", "a/c.jpeg", "b/d/e.webp", "f.gif", "g.bmp",
		"notes.txt", ".hidden.png", ".cache/x.png", "a/.y.png", "noext"} {
		writeFile(t, dir, name, []byte("x"))
	}
	got, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, name := range []string{"a/b.JPG", "a/c.jpeg", "b/d/e.webp", "f.gif", "g.bmp", "z.png"} {
		want = append(want, filepath.Join(dir, name))
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
	if _, err := ListImages(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing folder: no error")
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 3 {
		paths = append(paths, writeFile(t, dir, string(rune('a'+i))+".png", encode(t, pattern(32, 32, i), "png")))
	}
	ctx := context.Background()
	ds, err := LoadFiles(ctx, paths, nil, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Labels, []int{-1, -1, -1}) || !slices.Equal(ds.Paths, paths) {
		t.Errorf("unlabelled: labels %v paths %v", ds.Labels, ds.Paths)
	}
	for i := range 3 {
		if !bytes.Equal(ds.Image(i), rgbOf(pattern(32, 32, i))) {
			t.Errorf("image %d differs", i)
		}
	}
	ds, err = LoadFiles(ctx, paths, []int{1, 0, 1}, []string{"x", "y"}, Options{})
	if err != nil || !slices.Equal(ds.Labels, []int{1, 0, 1}) || !slices.Equal(ds.Classes, []string{"x", "y"}) {
		t.Errorf("labelled: %v, %v", ds, err)
	}
	if _, err := LoadFiles(ctx, paths, []int{0}, []string{"x"}, Options{}); err == nil {
		t.Error("label count mismatch: no error")
	}
	if _, err := LoadFiles(ctx, paths, []int{0, 2, 0}, []string{"x"}, Options{}); err == nil {
		t.Error("label out of range: no error")
	}
	missing := filepath.Join(dir, "missing.png")
	if _, err := LoadFiles(ctx, []string{missing}, nil, nil, Options{}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %v does not name it", err)
	}
	if ds, err := LoadFiles(ctx, nil, nil, nil, Options{}); err != nil || ds.Len() != 0 {
		t.Errorf("no files: %d images, %v", ds.Len(), err)
	}
}

func TestLoadFolderSymlinkedClass(t *testing.T) {
	elsewhere := t.TempDir()
	writeFile(t, elsewhere, "x.png", encode(t, pattern(32, 32, 1), "png"))
	dir := t.TempDir()
	writeFile(t, dir, "bird/y.png", encode(t, pattern(32, 32, 2), "png"))
	if err := os.Symlink(elsewhere, filepath.Join(dir, "cat")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	ds, err := LoadFolder(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "bird", "y.png"), filepath.Join(dir, "cat", "x.png")}
	if !slices.Equal(ds.Paths, want) || !slices.Equal(ds.Labels, []int{0, 1}) {
		t.Errorf("paths %v labels %v, want %v [0 1]", ds.Paths, ds.Labels, want)
	}
	if !bytes.Equal(ds.Image(1), rgbOf(pattern(32, 32, 1))) {
		t.Error("image from the linked folder differs")
	}
}
