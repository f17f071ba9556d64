package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/internal/torchtest"
	"github.com/lookalike/lookalike/nn"
)

// TestImportCommand imports a torchvision ResNet-18 (seeded random
// weights) and runs the commands that embed with it at its own input size:
// eval, index, search.
func TestImportCommand(t *testing.T) {
	ref := torchtest.Reference(t, "resnet18", 3)
	root := imageFolder(t, 3)
	model := filepath.Join(t.TempDir(), "r18")
	if _, err := run(t, "import", "--arch", "resnet18", "--weights", filepath.Join(ref, "resnet18.pth"),
		"--out", model, "--size", "72", "--crop", "64"); err != nil {
		t.Fatal(err)
	}
	m, info, err := nn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.Size != 72 || m.Dim() != 512 || !strings.Contains(string(info.Training), "weights_sha256") {
		t.Fatalf("imported model: size %d, dim %d, provenance %s", m.Size, m.Dim(), info.Training)
	}
	out, err := run(t, "eval", "--model", model, "--data", root)
	if err != nil || !strings.Contains(out, "precision@1") {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	idx := filepath.Join(t.TempDir(), "idx")
	if _, err := run(t, "index", "--model", model, "--images", filepath.Join(root, "test"), "--out", idx); err != nil {
		t.Fatal(err)
	}
	query := filepath.Join(root, "test", "red", "0.png")
	out, err = run(t, "search", "--index", idx, "--image", query, "-k", "3")
	if err != nil || !strings.Contains(out, "red") {
		t.Fatalf("search: %v\n%s", err, out)
	}
	if _, err := run(t, "import", "--arch", "resnet50", "--weights", filepath.Join(ref, "resnet18.pth"), "--out", t.TempDir()); err == nil ||
		!strings.Contains(err.Error(), "shape") {
		t.Fatalf("resnet18 weights as resnet50: %v", err)
	}
}
