package main

import (
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/internal/progress"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/viz"
)

// indexFlags choose and tune the vector index when opening one.
type indexFlags struct {
	dir  string
	hnsw bool
	cfg  index.HNSWConfig
}

func (f *indexFlags) register(cmd *cobra.Command, dirFlag, usage string, required bool) {
	cmd.Flags().StringVar(&f.dir, dirFlag, "", usage)
	cmd.Flags().BoolVar(&f.hnsw, "hnsw", false, "search with an approximate HNSW graph instead of exactly")
	cmd.Flags().IntVar(&f.cfg.M, "m", index.DefaultM, "HNSW links per node")
	cmd.Flags().IntVar(&f.cfg.EfConstruction, "ef-construction", index.DefaultEfConstruction, "HNSW candidate list size while building")
	cmd.Flags().IntVar(&f.cfg.EfSearch, "ef", index.DefaultEfSearch, "HNSW candidate list size while searching")
	if required {
		cmd.MarkFlagRequired(dirFlag)
	}
}

// load loads the model in modelDir and opens (or creates) the index for it.
func (f *indexFlags) load(a *app, modelDir string, readOnly bool) (*nn.Model, *index.Index, error) {
	m, info, err := nn.Load(modelDir)
	if err != nil {
		return nil, nil, err
	}
	ix, err := f.open(a, info, readOnly)
	if err != nil {
		return nil, nil, err
	}
	return m, ix, nil
}

// open opens (or creates) the index for the model described by info.
func (f *indexFlags) open(a *app, info *nn.Info, readOnly bool) (*index.Index, error) {
	kind := index.KindExact
	if f.hnsw {
		kind = index.KindHNSW
	}
	ix, err := index.Open(f.dir, index.Options{
		Meta: index.Meta{Model: info.Fingerprint, Dim: info.Dim, Metric: index.Cosine},
		Kind: kind, HNSW: f.cfg, ReadOnly: readOnly, Logger: a.log,
	})
	if err != nil {
		return nil, err
	}
	if err := collection.CheckModel(ix, info); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

func newIndexCmd(a *app) *cobra.Command {
	var (
		f      indexFlags
		model  string
		images string
		opt    collection.EmbedOptions
	)
	cmd := &cobra.Command{
		Use:   "index --model MODEL_DIR --images DIR --out INDEX_DIR",
		Short: "Embed a folder of images into a searchable index",
		Long: `Embed every image under DIR (recursively; an image in a sub-folder is
labelled with the sub-folder's name) and store the embeddings in the index
directory, which is created if needed.

Running it again embeds only new or changed files and drops entries whose
file is gone. Every batch is fsynced to the index's log before the next one
starts, so an interrupted run loses nothing it reported, and a rerun
continues. The index records the model's fingerprint and refuses another.`,
		Example: "  lookalike index --model model/ --images ~/Pictures --out pictures.idx",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, ix, err := f.load(a, model, false)
			if err != nil {
				return err
			}
			defer ix.Close()
			opt.Logger = a.log
			start := time.Now()
			var bar *progress.Bar
			s, err := collection.Update(cmd.Context(), m, ix, images, collection.UpdateOptions{
				EmbedOptions: opt,
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
			if err != nil {
				return fmt.Errorf("%w (the %d images added before this are saved; rerun to continue)", err, s.Added)
			}
			if err := ix.Compact(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d images found, %d added, %d unchanged, %d skipped, %d removed; %d in the index (%s)\n",
				f.dir, s.Found, s.Added, s.Unchanged, s.Skipped, s.Removed, ix.Len(), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f.register(cmd, "out", "index directory to create or update (required)", true)
	cmd.Flags().StringVar(&model, "model", "model", "model directory")
	cmd.Flags().StringVar(&images, "images", "", "folder of images to index, recursively (required)")
	cmd.Flags().BoolVar(&opt.SkipBad, "skip-bad", false, "skip unreadable images with a warning instead of stopping")
	cmd.Flags().IntVar(&opt.Batch, "batch", 256, "images embedded at once")
	cmd.Flags().IntVar(&opt.Workers, "workers", 0, "images decoded in parallel (0: one per CPU)")
	cmd.MarkFlagRequired("images")
	return cmd
}

func newSearchCmd(a *app) *cobra.Command {
	var (
		f       indexFlags
		model   string
		query   string
		k       int
		asJSON  bool
		collage string
	)
	cmd := &cobra.Command{
		Use:   "search --index INDEX_DIR --model MODEL_DIR --image QUERY",
		Short: "Find the images most similar to a query image",
		Long: `Embed the query image and print the k most similar images of the index with
their cosine similarity (1 is identical), and write a collage of the query
and its results (--collage, default search.png; "" for none).`,
		Example: `  lookalike search --index pictures.idx --model model/ --image cat.jpg -k 10
  lookalike search --index pictures.idx --model model/ --image cat.jpg --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, ix, err := f.load(a, model, true)
			if err != nil {
				return err
			}
			defer ix.Close()
			px, err := data.DecodeFile(query, m.Size, 0)
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
			if collage != "" {
				if err := writeSearchCollage(collage, query, hits); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"query": query, "results": hits})
			}
			for i, h := range hits {
				fmt.Fprintf(out, "%3d  %.4f  %-12s %s\n", i+1, h.Score, h.Label, h.Path)
			}
			if collage != "" {
				fmt.Fprintf(out, "collage: %s\n", collage)
			}
			return nil
		},
	}
	f.register(cmd, "index", "index directory (required)", true)
	cmd.Flags().StringVar(&model, "model", "model", "model directory (the one the index was built with)")
	cmd.Flags().StringVar(&query, "image", "", "query image file (required)")
	cmd.Flags().IntVarP(&k, "k", "k", 10, "number of results")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.Flags().StringVar(&collage, "collage", "search.png", "PNG collage of the query and its results (empty: none)")
	cmd.MarkFlagRequired("image")
	return cmd
}

// thumbSize is the side of the tiles of search collages.
const thumbSize = 96

// writeSearchCollage draws the query and its hits in one row, captioned
// with label and score; unreadable result files are left blank.
func writeSearchCollage(path, query string, hits []collection.Hit) error {
	tile := func(file string) image.Image {
		px, err := data.DecodeFile(file, thumbSize, 0)
		if err != nil {
			return nil
		}
		return data.RGBA(px, thumbSize)
	}
	row := []image.Image{tile(query)}
	labels := []string{filepath.Base(query)}
	for _, h := range hits {
		row = append(row, tile(h.Path))
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
		Use:   "dupes --index INDEX_DIR --model MODEL_DIR --threshold T",
		Short: "List groups of near-duplicate images",
		Long: `List the groups of images whose embeddings are closer than T (cosine
distance, 1 - similarity: 0 is identical), largest group first. Two images
belong together when they are closer than T, and groups are the chains of
such pairs. Useful to clean a photo collection.`,
		Example: "  lookalike dupes --index pictures.idx --model model/ --threshold 0.01",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, ix, err := f.load(a, model, true)
			if err != nil {
				return err
			}
			defer ix.Close()
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
					fmt.Fprintf(out, "  %.4f  %s\n", h.Score, h.Path)
				}
				n += len(g)
			}
			fmt.Fprintf(out, "%d groups, %d images of %d\n", len(groups), n, ix.Len())
			return nil
		},
	}
	f.register(cmd, "index", "index directory (required)", true)
	cmd.Flags().StringVar(&model, "model", "model", "model directory (the one the index was built with)")
	cmd.Flags().Float64Var(&threshold, "threshold", 0.01, "largest cosine distance (1 - similarity) between near-duplicates")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the groups as JSON")
	return cmd
}
