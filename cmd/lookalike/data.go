package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/internal/progress"
)

// dataFlags are the flags of every command that reads a dataset.
type dataFlags struct {
	path     string
	skipBad  bool
	workers  int
	maxBytes string
	only     []string
	cache    string
	maxMem   string
	// unlabelled loads a folder without class sub-folders too (train
	// --unlabelled).
	unlabelled bool
}

func (f *dataFlags) register(cmd *cobra.Command, usage string) {
	cmd.Flags().StringVar(&f.path, "data", "", usage)
	cmd.Flags().BoolVar(&f.skipBad, "skip-bad", false, "skip unreadable images with a warning instead of stopping")
	cmd.Flags().IntVar(&f.workers, "workers", 0, "images decoded in parallel (0: one per CPU)")
	cmd.Flags().StringVar(&f.maxBytes, "max-file-size", "64MiB", "largest image file read; larger ones are refused before reading")
	cmd.Flags().StringSliceVar(&f.only, "classes", nil, "use only these classes (comma-separated), e.g. to train on some and evaluate on others")
	cmd.Flags().StringVar(&f.cache, "pixel-cache", "", "pixel cache file for an image folder: decoded images are kept there, memory-mapped (page cache, not heap), and reused next time for unchanged files")
	cmd.Flags().StringVar(&f.maxMem, "max-memory", "", "bound on the decoded images held in memory, e.g. 512MiB: a folder whose images take more needs --pixel-cache, of which at most this much stays resident (the model, its activations and an index come on top)")
}

// load opens the dataset with a progress bar, its images decoded to size x
// size (0: data.DefaultSize); classes, when set, fixes the label order (a
// model's classes).
func (f *dataFlags) load(ctx context.Context, a *app, split string, classes []string, size int) (*data.Dataset, error) {
	maxBytes, err := parseBytes(f.maxBytes)
	if err != nil {
		return nil, fmt.Errorf("--max-file-size: %w", err)
	}
	var maxMem int64
	if f.maxMem != "" {
		if maxMem, err = parseBytes(f.maxMem); err != nil {
			return nil, fmt.Errorf("--max-memory: %w", err)
		}
	}
	var bar *progress.Bar
	opt := data.Options{
		Size: size, Cache: f.cache, Classes: classes, Only: f.only, SkipBad: f.skipBad, Workers: f.workers, Logger: a.log, MaxBytes: maxBytes,
		MaxMemory: maxMem,
		Progress: func(done, total int) {
			if bar == nil {
				bar = progress.New(os.Stderr, a.log, "load "+split, total, "img", 5*time.Second)
			}
			bar.Set(done, "")
			if done == total {
				bar.Finish()
			}
		},
	}
	start := time.Now()
	var ds *data.Dataset
	if fi, serr := os.Stat(f.path); f.unlabelled && serr == nil && fi.IsDir() {
		dir := f.path
		if sub, err := os.Stat(filepath.Join(f.path, split)); err == nil && sub.IsDir() {
			dir = filepath.Join(f.path, split)
		}
		ds, err = data.LoadImages(ctx, dir, opt)
	} else {
		ds, err = data.Open(ctx, f.path, split, opt)
	}
	if err != nil {
		return nil, err
	}
	a.log.Info("loaded images", "data", f.path, "split", split, "images", ds.Len(), "classes", len(ds.Classes), "took", time.Since(start).Round(time.Millisecond))
	return ds, nil
}
