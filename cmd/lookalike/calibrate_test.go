package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/eval"
	"github.com/lookalike/lookalike/nn"
)

// TestCalibrateCommand calibrates a tiny model on a generated folder: the
// thresholds are saved with the model and read back for it only, and the
// report has its table, plot and curve.
func TestCalibrateCommand(t *testing.T) {
	root, model := trainedModel(t)
	rep := filepath.Join(t.TempDir(), "cal")
	out, err := run(t, "calibrate", "--model", model, "--data", filepath.Join(root, "train"), "--out", rep, "-k", "3",
		"--precision", "0.5,0.9", "--recall", "0.8")
	if err != nil {
		t.Fatalf("calibrate: %v\n%s", err, out)
	}
	if !strings.Contains(out, "best-f1") || !strings.Contains(out, "thresholds saved") {
		t.Fatalf("calibrate printed %q", out)
	}
	_, info, err := nn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	th, err := eval.ReadThresholds(model, info.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if th.K != 3 || th.Images == 0 || th.Pairs != 3*th.Images || len(th.Holdout) == 0 {
		t.Fatalf("thresholds %+v", th)
	}
	if _, err := th.Point("best-f1"); err != nil {
		t.Fatal(err)
	}
	if _, err := th.Point("precision=0.42"); err == nil || !strings.Contains(err.Error(), "best-f1") {
		t.Fatalf("an unknown point: %v", err)
	}
	if _, err := eval.ReadThresholds(model, "another-model"); err == nil {
		t.Fatal("thresholds of another model accepted")
	}
	for _, f := range []string{"calibration.md", "calibration.csv", "calibration.png"} {
		if _, err := os.Stat(filepath.Join(rep, f)); err != nil {
			t.Fatal(err)
		}
	}
	checkPNG(t, filepath.Join(rep, "calibration.png"), 1280, 540)
	if _, err := run(t, "calibrate", "--model", model, "--data", root, "--precision", "1.5"); err == nil {
		t.Fatal("a precision target above 1 accepted")
	}
}
