package data

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// sharedCIFAR10 is the project's shared copy of CIFAR-10 as PNG folders,
// relative to this package; benchmarks that need it skip when it is absent.
var sharedCIFAR10 = filepath.Join("..", "..", "shared", "datasets", "cifar10")

// BenchmarkLoadFolderCIFAR10Train loads the 50,000 PNGs of the shared
// CIFAR-10 train folder: go test -run XXX -bench LoadFolder -benchtime 1x ./data/
func BenchmarkLoadFolderCIFAR10Train(b *testing.B) {
	dir := filepath.Join(sharedCIFAR10, "train")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("shared CIFAR-10 not found: %v", err)
	}
	for b.Loop() {
		ds, err := LoadFolder(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(ds.Len()), "images")
	}
}
