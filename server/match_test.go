package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/eval"
	"github.com/lookalike/lookalike/nn"
)

// TestSearchMatch serves a model with a calibration: results are marked
// match or not by the operating point's threshold, the response names it;
// without a calibration, or with "none", nothing is marked, and naming a
// point the calibration lacks is refused.
func TestSearchMatch(t *testing.T) {
	d := newDirs(t, 24)
	query, err := os.ReadFile(filepath.Join(d.images, "green", "004.png"))
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, d.config(t))
	plain := ts.searchResults(query, 5)
	ts.stop()
	if plain.Match != nil || plain.Results[0].Match != nil {
		t.Fatalf("marks without a calibration: %+v", plain)
	}
	// A threshold between the first two scores: only the first matches.
	th := (float64(plain.Results[0].Score) + float64(plain.Results[1].Score)) / 2
	_, info, err := nn.Load(d.model)
	if err != nil {
		t.Fatal(err)
	}
	cal := &eval.Thresholds{Model: info.Fingerprint, Points: []eval.OperatingPoint{
		{Name: "precision=0.99", Rates: eval.Rates{Threshold: th, Precision: 0.99, Recall: 0.3}},
		{Name: "best-f1", Rates: eval.Rates{Threshold: -1}},
	}}
	if err := eval.WriteThresholds(d.model, cal); err != nil {
		t.Fatal(err)
	}
	ts = start(t, d.config(t))
	sr := ts.searchResults(query, 5)
	ts.stop()
	if sr.Match == nil || sr.Match.OperatingPoint != "precision=0.99" || sr.Match.Threshold != th {
		t.Fatalf("match %+v, want precision=0.99 at %g", sr.Match, th)
	}
	for i, r := range sr.Results {
		if r.Match == nil || *r.Match != (i == 0) {
			t.Errorf("result %d (score %g): match %v", i, r.Score, r.Match)
		}
	}
	cfg := d.config(t)
	cfg.Match = "best-f1"
	ts = start(t, cfg)
	sr = ts.searchResults(query, 3)
	ts.stop()
	if sr.Match == nil || sr.Match.OperatingPoint != "best-f1" || !*sr.Results[2].Match {
		t.Fatalf("best-f1: %+v", sr)
	}
	cfg.Match = "none"
	ts = start(t, cfg)
	if sr = ts.searchResults(query, 3); sr.Match != nil || sr.Results[0].Match != nil {
		t.Fatalf("none: %+v", sr)
	}
	ts.stop()
	cfg.Match = "precision=0.5"
	if s, err := Open(cfg); err == nil {
		s.Close()
		t.Fatal("an operating point the calibration lacks was accepted")
	} else if !strings.Contains(err.Error(), "precision=0.99") {
		t.Fatalf("error does not list the points: %v", err)
	}
}
