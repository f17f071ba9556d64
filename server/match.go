package server

import (
	"errors"

	"github.com/lookalike/lookalike/eval"
)

// Match is the threshold a server marks results with: a result whose
// similarity is at least Threshold is a match. It comes from an operating
// point of the model's calibration.
type Match struct {
	OperatingPoint string  `json:"operating_point"`
	Threshold      float64 `json:"threshold"`
	// Precision and Recall are the point's rates on the calibration data.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// defaultMatch is the operating point used when none is named.
const defaultMatch = "precision=0.99"

// matchPoint returns the threshold of the named operating point of the
// calibration saved in modelDir (see Config.Match), or nil for none.
func matchPoint(modelDir, fingerprint, name string) (*Match, error) {
	if name == "none" {
		return nil, nil
	}
	t, err := eval.ReadThresholds(modelDir, fingerprint)
	if errors.Is(err, eval.ErrNoCalibration) && name == "" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = defaultMatch
		if _, err := t.Point(name); err != nil {
			name = "best-f1"
		}
	}
	p, err := t.Point(name)
	if err != nil {
		return nil, err
	}
	return &Match{OperatingPoint: p.Name, Threshold: p.Threshold, Precision: p.Precision, Recall: p.Recall}, nil
}
