package main

import (
	"encoding/json"
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

	// search --match and --min-score keep the results at the threshold.
	test := filepath.Join(root, "test")
	idx := filepath.Join(t.TempDir(), "idx")
	if _, err := run(t, "index", "--model", model, "--images", test, "--out", idx); err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(test, "green", "2.png")
	p, _ := th.Point("precision=0.9")
	out, err = run(t, "search", "--index", idx, "--image", q, "--match", "precision=0.9", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results []struct{ Score float64 }
		Match   struct {
			OperatingPoint string  `json:"operating_point"`
			Threshold      float64 `json:"threshold"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.Match.OperatingPoint != "precision=0.9" || res.Match.Threshold != p.Threshold || len(res.Results) == 0 {
		t.Fatalf("search --match: %s", out)
	}
	for _, r := range res.Results {
		if r.Score < p.Threshold {
			t.Fatalf("a result below the threshold %g: %s", p.Threshold, out)
		}
	}
	if out, err = run(t, "search", "--index", idx, "--image", q, "--min-score", "1.01"); err != nil || !strings.Contains(out, "no result scores at least 1.0100") {
		t.Fatalf("search --min-score above every score: %v %s", err, out)
	}
	if _, err = run(t, "search", "--index", idx, "--image", q, "--min-score", "0.5", "--match", "best-f1"); err == nil {
		t.Fatal("--min-score with --match accepted")
	}
	// The near-duplicate threshold: saved beside the class calibration,
	// used by dupes when no --threshold is given.
	out, err = run(t, "calibrate", "--near-duplicates", "--model", model, "--data", filepath.Join(root, "train"), "--side", "48", "--seed", "3")
	if err != nil || !strings.Contains(out, "near-duplicate threshold: cosine distance") {
		t.Fatalf("calibrate --near-duplicates: %v\n%s", err, out)
	}
	th, err = eval.ReadThresholds(model, info.Fingerprint)
	if err != nil || th.NearDuplicate == nil || len(th.Points) == 0 || th.NearDuplicate.Precision < 0.99 || len(th.NearDuplicate.Edits) != 7 {
		t.Fatalf("after --near-duplicates: %+v, %v", th, err)
	}
	var dupes struct{ Threshold float64 }
	out, err = run(t, "dupes", "--index", idx, "--json")
	if err := json.Unmarshal([]byte(out), &dupes); err != nil || dupes.Threshold != th.NearDuplicate.Distance {
		t.Fatalf("dupes without --threshold: %v %s (want %g)", err, out, th.NearDuplicate.Distance)
	}
	if out, _ = run(t, "dupes", "--index", idx, "--json", "--threshold", "0.02"); !strings.Contains(out, `"threshold": 0.02`) {
		t.Fatalf("dupes --threshold: %s", out)
	}
	os.Remove(filepath.Join(model, eval.CalibrationFile))
	if _, err = run(t, "search", "--index", idx, "--image", q, "--match", "best-f1"); err == nil || !strings.Contains(err.Error(), "lookalike calibrate") {
		t.Fatalf("--match without a calibration: %v", err)
	}
}
