package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/eval"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/internal/progress"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/viz"
)

// indexFlags choose and tune the store when opening one: the embedded
// index in a directory (dirFlag), or a Weaviate class (--store).
type indexFlags struct {
	dir     string
	dirFlag string
	hnsw    bool
	cfg     index.HNSWConfig
	store   string
	wv      collection.WeaviateOptions
	quant   string

	// model is the directory and info of the model load found.
	model     string
	modelInfo *nn.Info
}

func (f *indexFlags) register(cmd *cobra.Command, dirFlag, usage string) {
	f.dirFlag = dirFlag
	cmd.Flags().StringVar(&f.dir, dirFlag, "", usage+"; or --store")
	cmd.Flags().BoolVar(&f.hnsw, "hnsw", false, "search with an approximate HNSW graph instead of exactly")
	cmd.Flags().StringVar(&f.quant, "quantize", "", "int8: search through int8 codes of the vectors (a quarter of their size), exact or --hnsw, re-ranking the best candidates with the float vectors")
	cmd.Flags().IntVar(&f.cfg.M, "m", index.DefaultM, "HNSW links per node")
	cmd.Flags().IntVar(&f.cfg.EfConstruction, "ef-construction", index.DefaultEfConstruction, "HNSW candidate list size while building")
	cmd.Flags().IntVar(&f.cfg.EfSearch, "ef", index.DefaultEfSearch, "HNSW candidate list size while searching")
	cmd.Flags().StringVar(&f.store, "store", "", "a Weaviate class instead of an index directory: weaviate://HOST:PORT/CLASS (created when missing; needs --model, and --images to index)")
	cmd.Flags().IntVar(&f.wv.Shards, "shards", 1, "with --store: shards of a class it creates")
	cmd.Flags().IntVar(&f.wv.Replicas, "replicas", 1, "with --store: replication factor of a class it creates")
	cmd.Flags().StringVar(&f.wv.Consistency, "consistency", "QUORUM", "with --store: consistency level of reads and writes (ONE, QUORUM, ALL)")
}

// check reports a missing or doubled choice of store.
func (f *indexFlags) check() error {
	switch {
	case f.dir == "" && f.store == "":
		return fmt.Errorf("--%s or --store is required", f.dirFlag)
	case f.dir != "" && f.store != "":
		return fmt.Errorf("--%s and --store: choose one", f.dirFlag)
	case f.quant != "" && f.quant != "int8":
		return fmt.Errorf("--quantize %q: the one quantisation is int8", f.quant)
	case f.quant != "" && f.store != "":
		return errors.New("--quantize int8 is for the embedded index, not --store")
	}
	return nil
}

// load loads the model (modelDir, or the one the index's manifest records
// when modelDir is empty) and opens (or creates) the index for it. A
// writable index records where the model is in its manifest, with the
// collection root when root is not empty.
func (f *indexFlags) load(a *app, modelDir string, readOnly bool, root string) (*nn.Model, collection.Store, error) {
	if err := f.check(); err != nil {
		return nil, nil, err
	}
	if f.store != "" && modelDir == "" {
		return nil, nil, errors.New("--store needs --model: a Weaviate class records no model directory")
	}
	m, info, dir, err := f.loadModel(modelDir)
	if err != nil {
		return nil, nil, err
	}
	f.model, f.modelInfo = dir, info
	ix, err := f.open(a, info, readOnly)
	if err != nil {
		return nil, nil, err
	}
	if !readOnly && root != "" && f.store == "" {
		if err := collection.WriteManifest(f.dir, root, dir, info.Fingerprint); err != nil {
			ix.Close()
			return nil, nil, err
		}
	}
	return m, ix, nil
}

// loadModel loads the model in modelDir or, when it is empty, the one the
// index's manifest records, saying which flag to use when there is none.
func (f *indexFlags) loadModel(modelDir string) (*nn.Model, *nn.Info, string, error) {
	m, info, dir, err := collection.LoadModel(f.dir, modelDir)
	var nf *collection.ModelNotFoundError
	if errors.As(err, &nf) {
		if nf.LastPath == "" {
			return nil, nil, "", fmt.Errorf("%w: pass --model DIR", err)
		}
		return nil, nil, "", fmt.Errorf("%w; pass --model DIR with that model (fingerprint %.12s), or re-index with another", err, nf.Fingerprint)
	}
	return m, info, dir, err
}

// root returns the collection root of the index: its manifest's, or ""
// for an index without one (whose entry paths are absolute).
func (f *indexFlags) root() (string, error) {
	if f.store != "" {
		return "", nil // keys are printed as they are
	}
	return collection.Root(f.dir, "", false)
}

// open opens (or creates) the index for the model described by info; an
// empty info opens an existing index whatever its model.
func (f *indexFlags) open(a *app, info *nn.Info, readOnly bool) (collection.Store, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return collection.OpenStore(context.Background(), collection.StoreConfig{
		Dir: f.dir, URL: f.store, HNSW: f.hnsw, HNSWConfig: f.cfg, Int8: f.quant == "int8", ReadOnly: readOnly, Weaviate: f.wv, Logger: a.log,
	}, info)
}

func newIndexCmd(a *app) *cobra.Command {
	var (
		f        indexFlags
		model    string
		images   string
		relocate bool
		maxBytes string
		shard    string
		opt      collection.EmbedOptions
	)
	cmd := &cobra.Command{
		Use:   "index --model MODEL_DIR --images DIR --out INDEX_DIR",
		Short: "Embed a folder of images into a searchable index",
		Long: `Embed every image under DIR (recursively; an image in a sub-folder is
labelled with the sub-folder's name) and store the embeddings in the index
directory, which is created if needed.

Running it again embeds only new or changed files and drops entries whose
file is gone; --images and --model may then be left out (the index records
both). Entries are keyed by their path relative to DIR, so images that
"lookalike serve" added (DIR/uploads) are recognised, and one file is one
entry. Only regular files are read (links are followed); anything else named
like an image is an error, or skipped with a warning under --skip-bad. Every batch is fsynced to the index's log before the next one
starts, so an interrupted run loses nothing it reported, and a rerun
continues. The index records the model's fingerprint and refuses another.`,
		Example: "  lookalike index --model model/ --images ~/Pictures --out pictures.idx",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if opt.Limits.MaxBytes, err = parseBytes(maxBytes); err != nil {
				return fmt.Errorf("--max-file-size: %w", err)
			}
			if err := f.check(); err != nil {
				return err
			}
			si, sn, err := parseShard(shard)
			if err != nil {
				return err
			}
			if sn > 1 {
				f.wv.IDBase, f.wv.IDLimit = uint64(si)<<40, uint64(si+1)<<40
			}
			root, err := images, error(nil)
			if f.store == "" {
				root, err = collection.Root(f.dir, images, relocate)
			} else if root != "" {
				root, err = filepath.Abs(root)
			}
			if errors.Is(err, collection.ErrRootMismatch) {
				return fmt.Errorf("%w: index another folder into another --out, or pass --relocate if the collection moved there", err)
			}
			if err != nil {
				return err
			}
			if root == "" {
				return errors.New("--images: no folder given, and the index records none")
			}
			m, ix, err := f.load(a, model, false, root)
			if err != nil {
				return err
			}
			defer ix.Close()
			opt.Logger = a.log
			start := time.Now()
			var bar *progress.Bar
			s, err := collection.Update(cmd.Context(), m, ix, root, collection.UpdateOptions{
				EmbedOptions: opt, Shard: si, Shards: sn,
				Progress: func(done, total int) {
					a.log.Debug("batch committed", "done", done, "total", total)
					if bar == nil {
						bar = progress.New(os.Stderr, a.log, "index", total, "img", 10*time.Second)
					}
					bar.Set(done, "")
				},
			})
			if bar != nil {
				bar.Finish()
			}
			switch {
			case err != nil && cmd.Context().Err() != nil:
				return fmt.Errorf("%w (the %d images added before stopping are saved; rerun to continue)", err, s.Added)
			case err != nil && !opt.SkipBad:
				return fmt.Errorf("%w (the %d images added before this are saved; fix or remove the file, or pass --skip-bad, and rerun)", err, s.Added)
			case err != nil:
				return fmt.Errorf("%w (the %d images added before this are saved)", err, s.Added)
			}
			if c, ok := ix.(interface{ Compact() error }); ok {
				if err := c.Compact(); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d images found, %d added, %d unchanged, %d skipped, %d removed; %d in the index (%s)\n",
				ix.Location(), s.Found, s.Added, s.Unchanged, s.Skipped, s.Removed, ix.Len(), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f.register(cmd, "out", "index directory to create or update")
	cmd.Flags().StringVar(&model, "model", "", "model directory (default: the one the index records)")
	cmd.Flags().StringVar(&images, "images", "", "folder of images to index, recursively (default: the one the index records)")
	cmd.Flags().BoolVar(&relocate, "relocate", false, "the collection moved: index --images although the index records another folder")
	cmd.Flags().BoolVar(&opt.SkipBad, "skip-bad", false, "skip unreadable images with a warning instead of stopping")
	cmd.Flags().StringVar(&maxBytes, "max-file-size", "64MiB", "largest image file read; larger ones are refused before reading")
	cmd.Flags().IntVar(&opt.Batch, "batch", 256, "images embedded at once")
	cmd.Flags().StringVar(&shard, "shard", "", "I/N: embed only shard I (0 to N-1) of the folder's files, a stable split by key, so that N machines fill one --store at once (each removes only its own shard's gone files)")
	cmd.Flags().IntVar(&opt.Workers, "workers", 0, "images decoded in parallel (0: one per CPU)")
	return cmd
}

func newSearchCmd(a *app) *cobra.Command {
	var (
		f        indexFlags
		model    string
		query    string
		k        int
		asJSON   bool
		collage  string
		minScore float64
		match    string
	)
	cmd := &cobra.Command{
		Use:   "search --index INDEX_DIR --image QUERY",
		Short: "Find the images most similar to a query image",
		Long: `Embed the query image and print the k most similar images of the index with
their cosine similarity (1 is identical) and their files; --collage FILE also
draws the query and its results into a PNG. The model is the one the index
was built with, found where the index last saw it (--model to say where it is
now).`,
		Example: `  lookalike search --index pictures.idx --image cat.jpg -k 10
  lookalike search --index pictures.idx --image cat.jpg --json --collage cat-results.png`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, ix, err := f.load(a, model, true, "")
			if err != nil {
				return err
			}
			defer ix.Close()
			root, err := f.root()
			if err != nil {
				return err
			}
			px, err := data.DecodeFile(query, m.Size, data.Limits{})
			if err != nil {
				return err
			}
			ef := 0
			if f.hnsw {
				ef = f.cfg.EfSearch
			}
			hits, err := collection.Search(m, ix, px, k, ef)
			if err != nil {
				return err
			}
			threshold, point, err := matchThreshold(f.model, f.modelInfo.Fingerprint, minScore, match, cmd.Flags().Changed("min-score"))
			if err != nil {
				return err
			}
			var best float32
			if len(hits) > 0 {
				best = hits[0].Score
			}
			hits = collection.AtLeast(hits, threshold)
			results := make([]fileHit, len(hits))
			for i, h := range hits {
				results[i] = fileHit{Hit: h, File: collection.File(root, h.Path)}
			}
			if collage != "" {
				if err := writeSearchCollage(collage, query, results); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				v := map[string]any{"query": query, "results": results}
				if point != "" {
					v["match"] = map[string]any{"operating_point": point, "threshold": threshold}
				} else if !math.IsInf(threshold, -1) {
					v["min_score"] = threshold
				}
				return enc.Encode(v)
			}
			switch {
			case point != "" && len(results) == 0:
				fmt.Fprintf(out, "no match at %s: the best result scores %.4f, below %.4f\n", point, best, threshold)
			case point != "":
				fmt.Fprintf(out, "%d match(es) at %s (similarity >= %.4f):\n", len(results), point, threshold)
			case len(results) == 0 && !math.IsInf(threshold, -1):
				fmt.Fprintf(out, "no result scores at least %.4f (the best: %.4f)\n", threshold, best)
			}
			for i, h := range results {
				fmt.Fprintf(out, "%3d  %.4f  %-12s %s\n", i+1, h.Score, h.Label, h.File)
			}
			if collage != "" {
				fmt.Fprintf(out, "collage: %s\n", collage)
			}
			return nil
		},
	}
	f.register(cmd, "index", "index directory")
	cmd.Flags().StringVar(&model, "model", "", "model directory (default: where the index last saw its model)")
	cmd.Flags().StringVar(&query, "image", "", "query image file (required)")
	cmd.Flags().IntVarP(&k, "k", "k", 10, "number of results")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.Flags().StringVar(&collage, "collage", "", "also write a PNG collage of the query and its results to this file")
	cmd.Flags().Float64Var(&minScore, "min-score", 0, "return only results with at least this similarity")
	cmd.Flags().StringVar(&match, "match", "", "return only matches: results reaching the threshold of this operating point of the model's calibration (lookalike calibrate), e.g. precision=0.99 or best-f1")
	cmd.MarkFlagRequired("image")
	return cmd
}

// matchThreshold returns the least score search keeps: --min-score when
// set, the threshold of the operating point --match names (and its name),
// or -Inf.
func matchThreshold(modelDir, fingerprint string, minScore float64, match string, minSet bool) (float64, string, error) {
	switch {
	case minSet && match != "":
		return 0, "", errors.New("--min-score and --match: give one of them")
	case minSet:
		return minScore, "", nil
	case match == "":
		return math.Inf(-1), "", nil
	}
	t, err := eval.ReadThresholds(modelDir, fingerprint)
	if err != nil {
		return 0, "", fmt.Errorf("--match: %w", err)
	}
	p, err := t.Point(match)
	if err != nil {
		return 0, "", fmt.Errorf("--match: %w", err)
	}
	return p.Threshold, p.Name, nil
}

// thumbSize is the side of the tiles of search collages.
const thumbSize = 96

// fileHit is a search result with the path of its file: the entry key
// joined to the collection root.
type fileHit struct {
	collection.Hit
	File string `json:"file"`
}

// writeSearchCollage draws the query and its hits in one row, captioned
// with label and score; unreadable result files are left blank.
func writeSearchCollage(path, query string, hits []fileHit) error {
	tile := func(file string) image.Image {
		px, err := data.DecodeFile(file, thumbSize, data.Limits{})
		if err != nil {
			return nil
		}
		return data.RGBA(px, thumbSize)
	}
	row := []image.Image{tile(query)}
	labels := []string{filepath.Base(query)}
	for _, h := range hits {
		row = append(row, tile(h.File))
		labels = append(labels, fmt.Sprintf("%s %.3f", h.Label, h.Score))
	}
	return viz.WritePNG(path, viz.NeighbourCollage([][]image.Image{row}, 1, [][]string{labels}, nil))
}

func newDupesCmd(a *app) *cobra.Command {
	var (
		f         indexFlags
		model     string
		threshold float64
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "dupes --index INDEX_DIR [--threshold T]",
		Short: "List groups of near-duplicate images",
		Long: `List the groups of images whose embeddings are closer than T (cosine
distance, 1 - similarity: 0 is identical), largest group first. Two images
belong together when they are closer than T, and groups are the chains of
such pairs. Useful to clean a photo collection.

Without --threshold, T is the model's near-duplicate threshold (lookalike
calibrate --near-duplicates: 99% of the pairs it accepts were copies), or
0.01 for a model without one.`,
		Example: "  lookalike dupes --index pictures.idx --threshold 0.01",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Only the stored vectors are compared: the model is needed
			// only to check, when given, that it is the index's.
			info := &nn.Info{}
			if model != "" || !cmd.Flags().Changed("threshold") {
				// One load: to check the index against a given model, and
				// for the default threshold from its calibration.
				_, i, dir, err := f.loadModel(model)
				if err != nil && model != "" {
					return err
				}
				if model != "" {
					info = i
				}
				if !cmd.Flags().Changed("threshold") {
					if err != nil {
						i = nil // no model found: the fallback threshold
					}
					threshold = dupesThreshold(a, dir, i, threshold)
				}
			}
			ix, err := f.open(a, info, true)
			if err != nil {
				return err
			}
			defer ix.Close()
			root, err := f.root()
			if err != nil {
				return err
			}
			groups, err := collection.Duplicates(ix, threshold, collection.DupesOptions{})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"threshold": threshold, "groups": groups})
			}
			n := 0
			for i, g := range groups {
				fmt.Fprintf(out, "group %d (%d images)\n", i+1, len(g))
				for _, h := range g {
					fmt.Fprintf(out, "  %.4f  %s\n", h.Score, collection.File(root, h.Path))
				}
				n += len(g)
			}
			fmt.Fprintf(out, "%d groups, %d images of %d\n", len(groups), n, ix.Len())
			return nil
		},
	}
	f.register(cmd, "index", "index directory")
	cmd.Flags().StringVar(&model, "model", "", "model directory to check the index against (not needed)")
	cmd.Flags().Float64Var(&threshold, "threshold", 0.01, "largest cosine distance (1 - similarity) between near-duplicates (default: the model's calibrated one, else 0.01)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the groups as JSON")
	return cmd
}

// dupesThreshold returns the near-duplicate threshold of the calibration
// of the model in dir (info nil: none was found), or fallback when it has
// none.
func dupesThreshold(a *app, dir string, info *nn.Info, fallback float64) float64 {
	if info != nil {
		if t, err := eval.ReadThresholds(dir, info.Fingerprint); err == nil && t.NearDuplicate != nil {
			a.log.Info("near-duplicate threshold from the model's calibration", "distance", fmt.Sprintf("%.4f", t.NearDuplicate.Distance),
				"precision", fmt.Sprintf("%.3f", t.NearDuplicate.Precision), "calibrated_on", t.NearDuplicate.Data)
			return t.NearDuplicate.Distance
		}
	}
	a.log.Info("no near-duplicate calibration for the model (lookalike calibrate --near-duplicates): default threshold", "distance", fallback)
	return fallback
}

// parseShard parses --shard I/N; empty means the whole folder (0, 1).
func parseShard(s string) (int, int, error) {
	if s == "" {
		return 0, 1, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n || n > 1<<20 {
		return 0, 0, fmt.Errorf("--shard %q: want I/N with 0 <= I < N", s)
	}
	return i, n, nil
}
