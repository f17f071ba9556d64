package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lookalike/lookalike/internal/atomicfile"
)

// CalibrationFile is the name of the thresholds file in a model directory.
const CalibrationFile = "calibration.json"

// Thresholds are the operating points of a calibration as saved with a
// model, with the data they came from.
type Thresholds struct {
	// Model is the fingerprint of the model the scores came from: the
	// thresholds mean nothing for another.
	Model   string           `json:"model"`
	Data    string           `json:"data"`
	Images  int              `json:"images"`
	Classes int              `json:"classes"`
	K       int              `json:"k"` // neighbours per image the pairs came from
	Pairs   int              `json:"pairs"`
	Matches int              `json:"matches"`
	Created time.Time        `json:"created"`
	Points  []OperatingPoint `json:"operating_points"`
	// Holdout, when measured, is each point's threshold chosen on one half
	// of the data and its rates on the other half's pairs.
	Holdout []OperatingPoint `json:"holdout,omitempty"`
	// NearDuplicate, when calibrated, is the threshold lookalike dupes
	// uses by default.
	NearDuplicate *NearDuplicate `json:"near_duplicate,omitempty"`
}

// NearDuplicate is a near-duplicate threshold: the largest cosine
// distance (1 - similarity) at which the pairs of a set of originals, edited
// copies of them (package data/neardup) and distractors were still
// Precision precise, and the recall of copies there.
type NearDuplicate struct {
	Distance    float64   `json:"distance"`
	Precision   float64   `json:"precision"`
	Recall      float64   `json:"recall"`
	Data        string    `json:"data"`
	Originals   int       `json:"originals"`
	Distractors int       `json:"distractors"`
	Edits       []string  `json:"edits"`
	Created     time.Time `json:"created"`
}

// Point returns the operating point of the given name ("precision=0.99",
// "best-f1", ...).
func (t *Thresholds) Point(name string) (OperatingPoint, error) {
	var names []string
	for _, p := range t.Points {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return OperatingPoint{}, fmt.Errorf("no operating point %q in the calibration (have %s)", name, strings.Join(names, ", "))
}

// WriteThresholds saves t in the model directory dir, atomically.
func WriteThresholds(dir string, t *Thresholds) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, CalibrationFile), append(b, '\n')); err != nil {
		return fmt.Errorf("save calibration: %w", err)
	}
	return nil
}

// ErrNoCalibration is returned by ReadThresholds for a model directory
// without a calibration.
var ErrNoCalibration = errors.New("the model has no calibration (run lookalike calibrate)")

// ReadThresholdsOrNew is ReadThresholds, or an empty calibration for the
// model when it has none yet (one calibration adds to the other).
func ReadThresholdsOrNew(dir, fingerprint string) (*Thresholds, error) {
	t, err := ReadThresholds(dir, fingerprint)
	if errors.Is(err, ErrNoCalibration) {
		return &Thresholds{Model: fingerprint}, nil
	}
	return t, err
}

// ReadThresholds reads the calibration saved in the model directory dir
// and checks that it belongs to the model of the given fingerprint.
func ReadThresholds(dir, fingerprint string) (*Thresholds, error) {
	b, err := os.ReadFile(filepath.Join(dir, CalibrationFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoCalibration)
	}
	if err != nil {
		return nil, err
	}
	var t Thresholds
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, CalibrationFile), err)
	}
	if t.Model != fingerprint {
		return nil, fmt.Errorf("%s: calibrated for model %.12s, not this one (%.12s): calibrate again", filepath.Join(dir, CalibrationFile), t.Model, fingerprint)
	}
	return &t, nil
}
