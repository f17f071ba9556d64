package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/data/neardup"
	"github.com/lookalike/lookalike/eval"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/report"
)

// calibrateFlags are the flags of calibrate.
type calibrateFlags struct {
	data       dataFlags
	model      string
	out        string
	split      string
	k          int
	precisions []float64
	recalls    []float64
	seed       uint64
	near       nearDupFlags
}

func newCalibrateCmd(a *app) *cobra.Command {
	f := &calibrateFlags{}
	cmd := &cobra.Command{
		Use:   "calibrate --model MODEL_DIR --data DIR",
		Short: "Choose match thresholds on labelled images not used for training",
		Long: `Embed a labelled folder, search every image among the others, and measure
for every similarity threshold how the results it would accept as matches
(same class) fare: precision, recall, F1, false accept and false reject
rates. Thresholds for the operating points (--precision, --recall, and the
best F1) are saved with the model (MODEL_DIR/calibration.json, with the
data they came from), where search --match and the server use them.

To show whether the thresholds generalise, the images are also split in
two halves (by class, with --seed): thresholds chosen on one half are
measured on the other, and both are reported.

Writes OUT/calibration.md (the operating points), calibration.png (the
precision-recall curve and the rates against the threshold) and
calibration.csv (every threshold).

With --near-duplicates it calibrates the threshold of lookalike dupes
instead: it makes edited copies of some of the folder's images (JPEG
quality 30-90, half size, 5-15% crops, 3-10 degree rotations, brightness
and contrast, a mirror image, a caption), mixes them with other images of
the folder, and saves the largest cosine distance whose neighbour pairs
are still 99% true duplicates.`,
		Example: "  lookalike calibrate --model model/ --data ../shared/datasets/cifar10/test",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.near.on {
				return runNearDuplicates(cmd, a, f)
			}
			_, err := runCalibrate(cmd, a, f)
			return err
		},
	}
	f.data.register(cmd, "labelled images not used for training: an image folder, a dataset root with test/, or the CIFAR-10 archive (required)")
	cmd.Flags().StringVar(&f.model, "model", "model", "model directory; the thresholds are saved in it")
	cmd.Flags().StringVar(&f.out, "out", "", "report directory (default MODEL_DIR/calibration)")
	cmd.Flags().StringVar(&f.split, "split", "test", "split to read from a dataset root or the CIFAR-10 archive")
	cmd.Flags().IntVarP(&f.k, "k", "k", 10, "results per image searched: the pairs a threshold decides on")
	cmd.Flags().Float64SliceVar(&f.precisions, "precision", defaultPrecisions, "precision targets: for each, the lowest threshold reaching it")
	cmd.Flags().Float64SliceVar(&f.recalls, "recall", defaultRecalls, "recall targets: for each, the highest threshold reaching it")
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, "random seed of the two halves of the generalisation check, and of the near-duplicate set")
	cmd.Flags().BoolVar(&f.near.on, "near-duplicates", false, "calibrate the threshold of dupes instead: edited copies of --data's images (labels not needed) among the others")
	cmd.Flags().IntVar(&f.near.originals, "originals", 300, "with --near-duplicates: images that get edited copies")
	cmd.Flags().IntVar(&f.near.distractors, "distractors", 2000, "with --near-duplicates: other images mixed in")
	cmd.Flags().IntVar(&f.near.side, "side", 256, "with --near-duplicates: images are scaled to this side before the edits")
	return cmd
}

func runCalibrate(cmd *cobra.Command, a *app, f *calibrateFlags) (*eval.Thresholds, error) {
	for _, p := range append(append([]float64(nil), f.precisions...), f.recalls...) {
		if p <= 0 || p > 1 {
			return nil, fmt.Errorf("--precision and --recall targets must be in (0, 1], not %g", p)
		}
	}
	if f.k <= 0 {
		return nil, fmt.Errorf("-k %d must be positive", f.k)
	}
	m, info, err := nn.Load(f.model)
	if err != nil {
		return nil, err
	}
	ds, err := f.data.load(cmd.Context(), a, f.split, nil, m.Size)
	if err != nil {
		return nil, err
	}
	if len(ds.Classes) < 2 {
		return nil, fmt.Errorf("calibrate: %s has %d classes; calibration needs labelled images of at least 2 classes", f.data.path, len(ds.Classes))
	}
	start := time.Now()
	emb := ds.Map(func(px []uint8, n int) []float32 { return m.Embed(px, n, 256) })
	a.log.Info("embedded", "images", ds.Len(), "took", time.Since(start).Round(time.Millisecond))
	out := f.out
	if out == "" {
		out = filepath.Join(f.model, "calibration")
	}
	c, t, err := calibrateAndSave(f.model, info.Fingerprint, out, emb, m.Dim(), ds.Labels, len(ds.Classes), f.data.path, f.k, f.precisions, f.recalls, f.seed)
	if err != nil {
		return nil, err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%d images, %d neighbour pairs (k=%d), %d true matches\n", t.Images, t.Pairs, t.K, t.Matches)
	fmt.Fprintf(w, "%-16s %9s %9s %9s %9s %9s   %s\n", "operating point", "threshold", "precision", "recall", "FAR", "FRR", "half A's threshold on half B: precision, recall")
	for _, p := range c.Points {
		var ho string
		for _, h := range t.Holdout {
			if h.Name == p.Name {
				ho = fmt.Sprintf("%.4f: %.4f, %.4f", h.Threshold, h.Precision, h.Recall)
			}
		}
		fmt.Fprintf(w, "%-16s %9.4f %9.4f %9.4f %9.4f %9.4f   %s\n", p.Name, p.Threshold, p.Precision, p.Recall, p.FalseAccept, p.FalseReject, ho)
	}
	fmt.Fprintf(w, "thresholds saved in %s; report: %s\n", filepath.Join(f.model, eval.CalibrationFile), strings.TrimSuffix(out, "/"))
	return t, nil
}

// calibrateAndSave calibrates match thresholds on the embeddings of a
// labelled set, with the half/half check, writes the report to out and
// saves the thresholds in modelDir.
func calibrateAndSave(modelDir, fingerprint, out string, emb []float32, dim int, labels []int, classes int, data string,
	k int, precisions, recalls []float64, seed uint64) (*eval.Calibration, *eval.Thresholds, error) {
	pairs, err := eval.NeighbourPairs(emb, dim, labels, k)
	if err != nil {
		return nil, nil, err
	}
	c, err := eval.Calibrate(pairs, precisions, recalls)
	if err != nil {
		return nil, nil, err
	}
	t := &eval.Thresholds{
		Model: fingerprint, Data: data, Images: len(labels), Classes: classes, K: min(k, len(labels)-1),
		Pairs: c.Pairs, Matches: c.Positives, Created: time.Now().UTC().Truncate(time.Second), Points: c.Points,
	}
	if t.Holdout, err = eval.Holdout(emb, dim, labels, k, precisions, recalls, seed); err != nil {
		return nil, nil, err
	}
	if err := report.Calibration(out, c, t); err != nil {
		return nil, nil, err
	}
	if old, err := eval.ReadThresholds(modelDir, fingerprint); err == nil {
		t.NearDuplicate = old.NearDuplicate // a calibration of dupes stays
	}
	if err := eval.WriteThresholds(modelDir, t); err != nil {
		return nil, nil, err
	}
	return c, t, nil
}

// Default calibration targets of calibrate and of train's validation.
var (
	defaultPrecisions = []float64{0.9, 0.95, 0.99}
	defaultRecalls    = []float64{0.5, 0.9}
)

// nearDupFlags are calibrate's --near-duplicates settings.
type nearDupFlags struct {
	on                     bool
	originals, distractors int
	side                   int
}

// runNearDuplicates calibrates the threshold dupes uses: it makes edited
// copies (package data/neardup) of some images of the folder, mixes them
// with others, and finds the largest cosine distance at which the pairs
// of neighbours are still 99% true duplicates.
func runNearDuplicates(cmd *cobra.Command, a *app, f *calibrateFlags) error {
	nd := f.near
	m, info, err := nn.Load(f.model)
	if err != nil {
		return err
	}
	paths, err := data.ListImages(f.data.path)
	if err != nil {
		return err
	}
	if len(paths) < nd.originals+nd.distractors {
		if len(paths) < 4 {
			return fmt.Errorf("calibrate --near-duplicates: %s has %d images, need at least 4", f.data.path, len(paths))
		}
		// A small folder: a quarter originals, the rest distractors.
		nd.originals, nd.distractors = max(1, len(paths)/4), len(paths)-max(1, len(paths)/4)
	}
	rng := rand.New(rand.NewPCG(f.seed, 0xd0b5))
	rng.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	lim := data.Limits{}
	items, err := neardup.Set(paths[:nd.originals], paths[nd.originals:nd.originals+nd.distractors], nd.side, f.seed,
		func(path string) (image.Image, error) {
			px, err := data.DecodeFile(path, nd.side, lim)
			if err != nil {
				return nil, err
			}
			return data.RGBA(px, nd.side), nil
		})
	if err != nil {
		return err
	}
	a.log.Info("near-duplicate set", "originals", nd.originals, "copies", nd.originals*len(neardup.Transforms()), "distractors", nd.distractors)
	px := make([]uint8, 0, len(items)*m.Size*m.Size*3)
	for _, it := range items {
		b, err := it.PNG()
		if err != nil {
			return err
		}
		p, err := data.DecodeImage(bytes.NewReader(b), m.Size, 0)
		if err != nil {
			return err
		}
		px = append(px, p...)
	}
	emb := m.Embed(px, len(items), 256)
	pairs, err := eval.NeighbourPairs(emb, m.Dim(), neardup.Labels(items), f.k)
	if err != nil {
		return err
	}
	c, err := eval.Calibrate(pairs, []float64{0.99}, nil)
	if err != nil {
		return err
	}
	p, ok := c.Point("precision=0.99")
	if !ok {
		return errors.New("calibrate --near-duplicates: no threshold reaches precision 0.99 on this set")
	}
	var edits []string
	for _, tr := range neardup.Transforms() {
		edits = append(edits, tr.Name)
	}
	t, err := eval.ReadThresholdsOrNew(f.model, info.Fingerprint)
	if err != nil {
		return err
	}
	t.NearDuplicate = &eval.NearDuplicate{Distance: 1 - p.Threshold, Precision: p.Precision, Recall: p.Recall, Data: f.data.path,
		Originals: nd.originals, Distractors: nd.distractors, Edits: edits, Created: time.Now().UTC().Truncate(time.Second)}
	if err := eval.WriteThresholds(f.model, t); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "near-duplicate threshold: cosine distance %.4f (similarity %.4f): precision %.4f, recall %.4f of %d neighbour pairs (k=%d) of %d originals, their copies (%s) and %d distractors\nsaved in %s; lookalike dupes uses it by default\n",
		1-p.Threshold, p.Threshold, p.Precision, p.Recall, len(pairs), f.k, nd.originals, strings.Join(edits, ", "), nd.distractors, filepath.Join(f.model, eval.CalibrationFile))
	return nil
}
