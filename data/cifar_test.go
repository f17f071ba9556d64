package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkCIFAR checks that ds is split of the test CIFAR-10 set with n
// records per batch.
func checkCIFAR(t *testing.T, ds *Dataset, split string, n int) {
	t.Helper()
	batches := map[string][]int{"train": {1, 2, 3, 4, 5}, "test": {6}}[split]
	if ds.Len() != n*len(batches) || len(ds.Labels) != ds.Len() || len(ds.Paths) != ds.Len() {
		t.Fatalf("%d images, %d labels, %d paths, want %d", ds.Len(), len(ds.Labels), len(ds.Paths), n*len(batches))
	}
	if ds.Size != 32 {
		t.Fatalf("size %d, want 32", ds.Size)
	}
	if want := parseCIFARMeta([]byte(testCIFARClasses)); !slices.Equal(ds.Classes, want) {
		t.Errorf("classes %v, want %v", ds.Classes, want)
	}
	for k, b := range batches {
		name := "test_batch.bin"
		if b <= 5 {
			name = "data_batch_" + string(rune('0'+b)) + ".bin"
		}
		for i := range n {
			j := k*n + i
			if want := name + "#" + string(rune('0'+i)); ds.Paths[j] != want {
				t.Fatalf("path %d = %q, want %q", j, ds.Paths[j], want)
			}
			if want := (b + i) % 10; ds.Labels[j] != want {
				t.Fatalf("label %d = %d, want %d", j, ds.Labels[j], want)
			}
			img := ds.Image(j)
			for y := range 32 {
				for x := range 32 {
					for c := range 3 {
						if got, want := img[(y*32+x)*3+c], cifarRecordPixel(b, i, x, y, c); got != want {
							t.Fatalf("%s record %d pixel (%d,%d) channel %d = %d, want %d", name, i, x, y, c, got, want)
						}
					}
				}
			}
		}
	}
}

func TestLoadCIFAR10Dir(t *testing.T) {
	const n = 3
	flat := writeCIFARDir(t, t.TempDir(), n)
	nestedRoot := t.TempDir()
	writeCIFARDir(t, filepath.Join(nestedRoot, cifarSubdir), n)
	for _, dir := range []string{flat, nestedRoot} {
		for _, split := range []string{"train", "test"} {
			ds, err := LoadCIFAR10(dir, split)
			if err != nil {
				t.Fatalf("%s %s: %v", dir, split, err)
			}
			checkCIFAR(t, ds, split, n)
		}
	}
	if _, err := LoadCIFAR10(flat, "validation"); err == nil {
		t.Error("unknown split: no error")
	}
}

func TestLoadCIFAR10Archive(t *testing.T) {
	const n = 2
	path := writeFile(t, t.TempDir(), "cifar-10-binary.tar.gz", cifarArchive(t, n))
	for _, split := range []string{"train", "test"} {
		ds, err := LoadCIFAR10(path, split)
		if err != nil {
			t.Fatalf("%s: %v", split, err)
		}
		checkCIFAR(t, ds, split, n)
	}
}

func TestLoadCIFAR10MissingMeta(t *testing.T) {
	dir := writeCIFARDir(t, t.TempDir(), 1)
	if err := os.Remove(filepath.Join(dir, cifarMeta)); err != nil {
		t.Fatal(err)
	}
	ds, err := LoadCIFAR10(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, cifar10Classes()) {
		t.Errorf("classes %v, want the standard ones", ds.Classes)
	}
}

func TestLoadCIFAR10Errors(t *testing.T) {
	t.Run("truncated batch", func(t *testing.T) {
		dir := writeCIFARDir(t, t.TempDir(), 2)
		batch := cifarBatch(6, 2)
		writeFile(t, dir, "test_batch.bin", batch[:len(batch)-100])
		_, err := LoadCIFAR10(dir, "test")
		if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "test_batch.bin") {
			t.Errorf("error %v does not report the truncated test_batch.bin", err)
		}
	})
	t.Run("empty batch", func(t *testing.T) {
		dir := writeCIFARDir(t, t.TempDir(), 2)
		writeFile(t, dir, "data_batch_3.bin", nil)
		if _, err := LoadCIFAR10(dir, "train"); err == nil || !strings.Contains(err.Error(), "data_batch_3.bin") {
			t.Errorf("error %v does not name data_batch_3.bin", err)
		}
	})
	t.Run("missing batch", func(t *testing.T) {
		dir := writeCIFARDir(t, t.TempDir(), 1)
		os.Remove(filepath.Join(dir, "data_batch_5.bin"))
		if _, err := LoadCIFAR10(dir, "train"); err == nil || !strings.Contains(err.Error(), "data_batch_5.bin") {
			t.Errorf("error %v does not name data_batch_5.bin", err)
		}
	})
	t.Run("label out of range", func(t *testing.T) {
		dir := writeCIFARDir(t, t.TempDir(), 1)
		writeFile(t, dir, cifarMeta, []byte("only\nthree\nclasses\n"))
		if _, err := LoadCIFAR10(dir, "train"); err == nil || !strings.Contains(err.Error(), "label") {
			t.Errorf("error %v does not report the label", err)
		}
	})
	t.Run("truncated archive", func(t *testing.T) {
		data := cifarArchive(t, 2)
		path := writeFile(t, t.TempDir(), "c.tar.gz", data[:len(data)*2/3])
		if _, err := LoadCIFAR10(path, "train"); err == nil {
			t.Error("no error")
		}
	})
	t.Run("not gzip", func(t *testing.T) {
		path := writeFile(t, t.TempDir(), "c.tgz", []byte("plain text"))
		if _, err := LoadCIFAR10(path, "train"); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v does not name %s", err, path)
		}
	})
	t.Run("archive without a batch", func(t *testing.T) {
		files := cifarFiles(1)
		data := tarGz(t, cifarSubdir, []string{"data_batch_1.bin", cifarMeta}, files)
		path := writeFile(t, t.TempDir(), "c.tar.gz", data)
		if _, err := LoadCIFAR10(path, "test"); err == nil || !strings.Contains(err.Error(), "test_batch.bin not found") {
			t.Errorf("error %v does not report the missing test_batch.bin", err)
		}
	})
	t.Run("truncated batch in archive", func(t *testing.T) {
		files := cifarFiles(2)
		files["test_batch.bin"] = files["test_batch.bin"][:cifarRecord+5]
		data := tarGz(t, cifarSubdir, []string{"test_batch.bin", cifarMeta}, files)
		path := writeFile(t, t.TempDir(), "c.tar.gz", data)
		if _, err := LoadCIFAR10(path, "test"); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("error %v does not report the truncated batch", err)
		}
	})
	t.Run("missing archive", func(t *testing.T) {
		if _, err := LoadCIFAR10(filepath.Join(t.TempDir(), "missing.tar.gz"), "test"); err == nil {
			t.Error("no error")
		}
	})
}
