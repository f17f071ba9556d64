package data

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	const n = 2

	archive := writeFile(t, t.TempDir(), "cifar-10-binary.tar.gz", cifarArchive(t, n))
	flat := writeCIFARDir(t, t.TempDir(), n)
	nested := t.TempDir()
	writeCIFARDir(t, filepath.Join(nested, cifarSubdir), n)
	for _, path := range []string{archive, flat, nested} {
		for _, split := range []string{"train", "test"} {
			ds, err := Open(ctx, path, split, Options{})
			if err != nil {
				t.Fatalf("%s %s: %v", path, split, err)
			}
			checkCIFAR(t, ds, split, n)
		}
		ds, err := Open(ctx, path, "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkCIFAR(t, ds, "train", n) // empty split means train
	}

	// Image folders: a root with train/ and test/, or a split folder.
	root := t.TempDir()
	writeFile(t, root, "train/cat/a.png", encode(t, pattern(32, 32, 1), "png"))
	writeFile(t, root, "train/dog/b.png", encode(t, pattern(32, 32, 2), "png"))
	writeFile(t, root, "test/cat/c.png", encode(t, pattern(32, 32, 3), "png"))
	for _, tc := range []struct {
		path, split string
		want        []string
	}{
		{root, "train", []string{"train/cat/a.png", "train/dog/b.png"}},
		{root, "", []string{"train/cat/a.png", "train/dog/b.png"}},
		{root, "test", []string{"test/cat/c.png"}},
		{filepath.Join(root, "train"), "test", []string{"train/cat/a.png", "train/dog/b.png"}},
	} {
		ds, err := Open(ctx, tc.path, tc.split, Options{})
		if err != nil {
			t.Fatalf("%s %q: %v", tc.path, tc.split, err)
		}
		var want []string
		for _, p := range tc.want {
			want = append(want, filepath.Join(root, p))
		}
		if !slices.Equal(ds.Paths, want) {
			t.Errorf("%s %q: paths %v, want %v", tc.path, tc.split, ds.Paths, want)
		}
	}

	if _, err := Open(ctx, filepath.Join(root, "missing"), "train", Options{}); err == nil {
		t.Error("missing path: no error")
	}
	if _, err := Open(ctx, writeFile(t, root, "file.png", nil), "train", Options{}); err == nil {
		t.Error("plain file: no error")
	}
}

func TestOpenCIFAROptions(t *testing.T) {
	ctx := context.Background()
	dir := writeCIFARDir(t, t.TempDir(), 2)
	base, err := LoadCIFAR10(dir, "test")
	if err != nil {
		t.Fatal(err)
	}

	// Relabelled to a model's class order.
	classes := slices.Clone(base.Classes)
	slices.Reverse(classes)
	classes = append(classes, "extra")
	var progress []int
	ds, err := Open(ctx, dir, "test", Options{Classes: classes, Progress: func(done, total int) {
		progress = append(progress, done, total)
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range ds.Labels {
		if ds.Classes[l] != base.Classes[base.Labels[i]] {
			t.Errorf("image %d: class %s, want %s", i, ds.Classes[l], base.Classes[base.Labels[i]])
		}
	}
	if !slices.Equal(progress, []int{2, 2}) {
		t.Errorf("progress calls %v, want [2 2]", progress)
	}
	if _, err := Open(ctx, dir, "test", Options{Classes: []string{"c0"}}); err == nil {
		t.Error("CIFAR class missing from Options.Classes: no error")
	}

	// Resized: a 2x upscale of a record, compared with resizing by hand.
	big, err := Open(ctx, dir, "test", Options{Size: 64, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if big.Size != 64 || big.Len() != 2 || len(big.Pixels) != 2*64*64*3 {
		t.Fatalf("resized: size %d, %d images, %d bytes", big.Size, big.Len(), len(big.Pixels))
	}
	want := make([]uint8, 64*64*3)
	resizeRGB(want, base.Image(1), 32, 64)
	if !bytes.Equal(big.Image(1), want) {
		t.Error("resized image differs from resizeRGB")
	}
}
