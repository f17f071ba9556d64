package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/internal/progress"
	"github.com/lookalike/lookalike/report"
	"github.com/lookalike/lookalike/viz"
)

func newDemoCmd(a *app) *cobra.Command {
	tf := &trainFlags{}
	var (
		out, cache, url, checksum string
	)
	cmd := &cobra.Command{
		Use:   "demo [--data DIR] --out DIR",
		Short: "Run the whole Keras example: show, pairs, train, eval",
		Long: `Run the Keras example "Metric learning for image similarity search" end to
end: a collage of training images (grid.png), one anchor/positive batch
(pairs.png), training (model/), and the evaluation on the test split
(report/, with report.md).

--data is a dataset root with train/ and test/ image folders or the CIFAR-10
binary archive. Without it, the official CIFAR-10 binary archive is
downloaded once into the cache directory and its checksum verified.`,
		Example: `  lookalike demo --data ../shared/datasets/cifar10 --out demo/
  lookalike demo --out demo/            # downloads CIFAR-10
  lookalike demo --data ../shared/datasets/cifar10 --epochs 2 --out quick/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			start := time.Now()
			if tf.data.path == "" {
				path, err := fetchCIFAR(cmd, a, cache, url, checksum)
				if err != nil {
					return err
				}
				tf.data.path = path
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			ds, err := tf.data.load(ctx, a, "train", nil, 0)
			if err != nil {
				return err
			}
			grid, err := report.SampleGrid(ds, 5, 5, rand.New(rand.NewPCG(tf.cfg.Seed, 0x5e0)))
			if err != nil {
				return err
			}
			if err := viz.WritePNG(filepath.Join(out, "grid.png"), grid); err != nil {
				return err
			}
			pairs, err := report.PairsGrid(ds, tf.cfg.Seed)
			if err != nil {
				return err
			}
			if err := viz.WritePNG(filepath.Join(out, "pairs.png"), pairs); err != nil {
				return err
			}
			a.log.Info("wrote collages", "grid", filepath.Join(out, "grid.png"), "pairs", filepath.Join(out, "pairs.png"))

			tf.out = filepath.Join(out, "model")
			if _, err := runTrain(cmd, a, tf); err != nil {
				return err
			}
			ef := &evalFlags{data: tf.data, model: tf.out, out: filepath.Join(out, "report"), split: "test", seed: tf.cfg.Seed}
			if _, err := runEval(cmd, a, ef); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "demo finished in %s: open %s\n", time.Since(start).Round(time.Second), filepath.Join(ef.out, report.ReportFile))
			return nil
		},
	}
	tf.data.register(cmd, "dataset root with train/ and test/, or the CIFAR-10 archive (default: download CIFAR-10)")
	cmd.Flags().StringVar(&out, "out", "demo", "directory for everything the demo writes")
	cmd.Flags().StringVar(&cache, "cache", "", "download cache directory (default: the user cache directory/lookalike)")
	cmd.Flags().StringVar(&url, "cifar-url", data.CIFAR10URL, "where to download CIFAR-10 from")
	cmd.Flags().StringVar(&checksum, "cifar-checksum", data.CIFAR10MD5, "expected MD5 or SHA-256 of the download")
	tf.register(cmd)
	return cmd
}

// fetchCIFAR downloads the CIFAR-10 archive into the cache, with progress.
func fetchCIFAR(cmd *cobra.Command, a *app, cache, url, checksum string) (string, error) {
	if cache == "" {
		var err error
		if cache, err = data.DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	var bar *progress.Bar
	a.log.Info("fetching CIFAR-10", "url", url, "cache", cache)
	path, err := data.FetchCIFAR10(cmd.Context(), cache, url, checksum, func(done, total int64) {
		if bar == nil {
			bar = progress.New(os.Stderr, a.log, "download", int(max(total, 1)), "B", 5*time.Second)
		}
		bar.Set(int(done), "")
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return "", fmt.Errorf("download CIFAR-10 (or pass --data): %w", err)
	}
	return path, nil
}
