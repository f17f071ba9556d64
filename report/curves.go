package report

import (
	"bufio"
	"fmt"
	"path/filepath"

	"github.com/lookalike/lookalike/internal/atomicfile"
	"github.com/lookalike/lookalike/train"
	"github.com/lookalike/lookalike/viz"
)

// TrainingCurves writes a training run's loss log to dir as loss.csv (step,
// epoch, loss) and its plot as loss.png; with validation records, also
// validation.csv (epoch, step, training seconds, precision@1), a second
// panel in loss.png and validation.png, precision@1 against training time.
func TrainingCurves(dir string, h []train.Record, stepsPerEpoch int, val []train.ValRecord) error {
	err := atomicfile.Write(filepath.Join(dir, "loss.csv"), func(w *bufio.Writer) error {
		fmt.Fprintln(w, "step,epoch,loss")
		for _, r := range h {
			fmt.Fprintf(w, "%d,%d,%.6f\n", r.Step, r.Epoch, r.Loss)
		}
		return nil
	})
	if err != nil {
		return err
	}
	steps, loss := make([]int, len(h)), make([]float64, len(h))
	for i, r := range h {
		steps[i], loss[i] = r.Step, float64(r.Loss)
	}
	var ends []int
	if stepsPerEpoch > 0 && len(h) > 0 {
		for e := stepsPerEpoch; e < h[len(h)-1].Step; e += stepsPerEpoch {
			ends = append(ends, e)
		}
	}
	opt := viz.LossCurveOptions{EpochEnds: ends, ValLabel: "validation precision@1"}
	var timed []viz.XY
	for _, v := range val {
		opt.Val = append(opt.Val, viz.Point{Step: v.Step, Value: v.PrecisionAt1})
		timed = append(timed, viz.XY{X: v.Seconds / 60, Y: v.PrecisionAt1})
	}
	if len(val) > 0 {
		err := atomicfile.Write(filepath.Join(dir, "validation.csv"), func(w *bufio.Writer) error {
			fmt.Fprintln(w, "epoch,step,seconds,precision_at_1")
			for _, v := range val {
				fmt.Fprintf(w, "%d,%d,%.1f,%.6f\n", v.Epoch, v.Step, v.Seconds, v.PrecisionAt1)
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = viz.MetricCurve(filepath.Join(dir, "validation.png"), timed,
			"Validation precision@1 against training time", "training time (minutes)", "precision@1")
		if err != nil {
			return err
		}
	}
	return viz.LossCurve(filepath.Join(dir, "loss.png"), steps, loss, "Training loss", opt)
}
