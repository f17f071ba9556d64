package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/report"
)

// evalFlags are the flags of eval (and demo).
type evalFlags struct {
	data  dataFlags
	model string
	out   string
	split string
	seed  uint64
	index indexFlags
}

func newEvalCmd(a *app) *cobra.Command {
	f := &evalFlags{}
	cmd := &cobra.Command{
		Use:   "eval --model MODEL_DIR --data DIR --out REPORT_DIR",
		Short: "Measure retrieval quality on a labelled test set",
		Long: `Embed every image of a labelled test set and measure how well the nearest
neighbours of each image share its class, every image being a query against
all the others: precision@1, precision@10, R-precision, MAP@R and recall@k.

The classes may be ones the model was not trained on (train on some classes,
evaluate on the others, as metric-learning benchmarks do); the report says
which.

Writes REPORT_DIR/metrics.json, neighbours.png (queries and their nearest
neighbours), confusion.png (classes of the neighbours of 10 queries per
class) and report.md, which shows them.`,
		Example: "  lookalike eval --model model/ --data ../shared/datasets/cifar10/test --out report/",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := runEval(cmd, a, f)
			return err
		},
	}
	f.register(cmd)
	return cmd
}

func (f *evalFlags) register(cmd *cobra.Command) {
	f.data.register(cmd, "labelled test images: an image folder, a dataset root with test/, or the CIFAR-10 archive (required)")
	cmd.Flags().StringVar(&f.model, "model", "model", "model directory")
	cmd.Flags().StringVar(&f.out, "out", "report", "report directory to write")
	cmd.Flags().StringVar(&f.split, "split", "test", "split to read from a dataset root or the CIFAR-10 archive")
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, "random seed for the collage's queries")
	f.index.register(cmd, "index", "also measure through this index, built from the same images with lookalike index")
}

func runEval(cmd *cobra.Command, a *app, f *evalFlags) (*report.Evaluation, error) {
	m, info, err := nn.Load(f.model)
	if err != nil {
		return nil, err
	}
	// The data's own classes: they may be ones the model never saw (the
	// disjoint-class protocol); labels then only score the neighbours.
	ds, err := f.data.load(cmd.Context(), a, f.split, nil, m.Size)
	if err != nil {
		return nil, err
	}
	opt := report.EvalOptions{Seed: f.seed, Logger: a.log}
	if f.index.dir != "" || f.index.store != "" {
		ix, err := f.index.open(a, info, true)
		if err != nil {
			return nil, err
		}
		defer ix.Close()
		if opt.IndexRoot, err = f.index.root(); err != nil {
			return nil, err
		}
		if f.index.store != "" {
			// A class records no root: its keys are relative to the
			// folder indexed, which is the one evaluated.
			opt.IndexRoot = evaluatedFolder(f.data.path, f.split)
		}
		opt.Index, opt.IndexEf = ix, f.index.cfg.EfSearch
	}
	ev, err := report.Evaluate(m, info, ds, f.data.path, f.out, opt)
	if err != nil {
		return nil, err
	}
	mt := ev.Metrics
	if len(ev.UnseenClasses) > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "classes the model was not trained on: %s\n", strings.Join(ev.UnseenClasses, ", "))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "precision@1 %.4f  precision@10 %.4f  R-precision %.4f  MAP@R %.4f  (%d queries)\nreport: %s\n",
		mt.PrecisionAt1, mt.PrecisionAt10, mt.RPrecision, mt.MAPAtR, mt.Queries, f.out)
	if ie := ev.Index; ie != nil {
		im := ie.Metrics
		fmt.Fprintf(cmd.OutOrStdout(), "through the %s index: precision@1 %.4f  precision@10 %.4f  R-precision %.4f  MAP@R %.4f  neighbour recall@10 %.4f  (%.1f s)\n",
			ie.Kind, im.PrecisionAt1, im.PrecisionAt10, im.RPrecision, im.MAPAtR, ie.NeighbourRecall10, ie.Seconds)
	}
	return ev, nil
}

// evaluatedFolder returns the image folder eval reads for a dataset path
// and split, absolute: path/split when it is a folder, else path.
func evaluatedFolder(path, split string) string {
	dir := path
	if fi, err := os.Stat(filepath.Join(path, split)); err == nil && fi.IsDir() {
		dir = filepath.Join(path, split)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
