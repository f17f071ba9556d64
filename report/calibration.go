package report

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lookalike/lookalike/eval"
	"github.com/lookalike/lookalike/internal/atomicfile"
	"github.com/lookalike/lookalike/viz"
)

// curveRows is the most rows calibration.csv and the plot take from a
// calibration's curve: thresholds spread evenly over its points.
const curveRows = 1000

// Calibration writes a calibration's report to dir: calibration.csv (the
// rates at up to 1,000 thresholds, highest first), calibration.png (the
// precision-recall curve and the rates against the threshold, operating
// points marked) and calibration.md (the operating points, and with
// holdout how each threshold did on the other half of the data).
func Calibration(dir string, c *eval.Calibration, t *eval.Thresholds) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	rows := thin(c.Curve, curveRows)
	err := atomicfile.Write(filepath.Join(dir, "calibration.csv"), func(w *bufio.Writer) error {
		fmt.Fprintln(w, "threshold,tp,fp,fn,tn,precision,recall,f1,false_accept_rate,false_reject_rate")
		for _, r := range rows {
			fmt.Fprintf(w, "%.6f,%d,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f\n", r.Threshold, r.TP, r.FP, r.FN, r.TN,
				r.Precision, r.Recall, r.F1, r.FalseAccept, r.FalseReject)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var rc viz.RatesCurve
	for _, r := range rows {
		rc.Threshold = append(rc.Threshold, r.Threshold)
		rc.Precision = append(rc.Precision, r.Precision)
		rc.Recall = append(rc.Recall, r.Recall)
		rc.FalseAccept = append(rc.FalseAccept, r.FalseAccept)
		rc.FalseReject = append(rc.FalseReject, r.FalseReject)
	}
	for _, p := range c.Points {
		rc.Points = append(rc.Points, viz.MarkedPoint{Name: p.Name, Threshold: p.Threshold, Precision: p.Precision, Recall: p.Recall})
	}
	title := fmt.Sprintf("Match thresholds: %d neighbour pairs of %d images (k=%d)", c.Pairs, t.Images, t.K)
	if err := viz.CalibrationPlot(filepath.Join(dir, "calibration.png"), title, rc); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, "calibration.md"), func(w *bufio.Writer) error {
		fmt.Fprintf(w, "# Calibration\n\n")
		fmt.Fprintf(w, "Model `%s`, data `%s`: %d images of %d classes; each image's %d nearest others are its pairs, "+
			"%d in all, %d of them true matches (same class). A pair is accepted as a match when its similarity is at "+
			"least the threshold.\n\n", short(t.Model), t.Data, t.Images, t.Classes, t.K, t.Pairs, t.Matches)
		fmt.Fprintf(w, "| operating point | threshold | precision | recall | F1 | false accept rate | false reject rate |\n")
		fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|\n")
		for _, p := range c.Points {
			fmt.Fprintf(w, "| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", p.Name, p.Threshold, p.Precision, p.Recall, p.F1, p.FalseAccept, p.FalseReject)
		}
		if len(t.Holdout) > 0 {
			fmt.Fprintf(w, "\nDoes it generalise? Thresholds chosen on one half of the images (split by class, seeded), "+
				"rates measured on the other half's pairs:\n\n")
			fmt.Fprintf(w, "| operating point (chosen on half A) | threshold | precision on half B | recall on half B | false accept rate on B |\n")
			fmt.Fprintf(w, "|---|---:|---:|---:|---:|\n")
			for _, p := range t.Holdout {
				fmt.Fprintf(w, "| %s | %.4f | %.4f | %.4f | %.4f |\n", p.Name, p.Threshold, p.Precision, p.Recall, p.FalseAccept)
			}
		}
		fmt.Fprintf(w, "\n![precision-recall and rates](calibration.png)\n\nAll thresholds: `calibration.csv`.\n")
		return nil
	})
}

// thin returns at most n of rs, evenly spread, the first and last kept.
func thin(rs []eval.Rates, n int) []eval.Rates {
	if len(rs) <= n {
		return rs
	}
	out := make([]eval.Rates, 0, n)
	for i := range n {
		out = append(out, rs[i*(len(rs)-1)/(n-1)])
	}
	return out
}
