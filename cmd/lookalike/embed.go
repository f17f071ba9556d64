package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/export"
	"github.com/lookalike/lookalike/nn"
)

func newEmbedCmd(a *app) *cobra.Command {
	var (
		d          dataFlags
		model, out string
		split      string
		batch      int
	)
	cmd := &cobra.Command{
		Use:   "embed --model MODEL_DIR --data DIR --out FILE.npy",
		Short: "Write the embeddings of a folder for other tools",
		Long: `Embed every image of a folder and write the embeddings as a NumPy .npy
float32 matrix (one row per image, in file order) and, beside it, a CSV with
the row number, path and class of each image (FILE.csv).

In Python: emb = numpy.load("FILE.npy"); rows = pandas.read_csv("FILE.csv").`,
		Example: "  lookalike embed --model model/ --data ../shared/datasets/cifar10/test --out test.npy",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, _, err := nn.Load(model)
			if err != nil {
				return err
			}
			ds, err := d.load(cmd.Context(), a, split, nil, m.Size)
			if err != nil {
				return err
			}
			emb := ds.Map(func(px []uint8, n int) []float32 { return m.Embed(px, n, batch) })
			if err := export.WriteNPY(out, emb, ds.Len(), m.Dim()); err != nil {
				return err
			}
			csvPath := strings.TrimSuffix(out, ".npy") + ".csv"
			if err := export.WriteIndexCSV(csvPath, ds.Paths, ds.Labels, ds.Classes); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d embeddings of %d dimensions to %s and %s\n", ds.Len(), m.Dim(), out, csvPath)
			return nil
		},
	}
	d.register(cmd, "images: an image folder (labelled or with one folder per class), a dataset root, or the CIFAR-10 archive (required)")
	cmd.Flags().StringVar(&model, "model", "model", "model directory")
	cmd.Flags().StringVar(&out, "out", "embeddings.npy", ".npy file to write (the CSV goes beside it)")
	cmd.Flags().StringVar(&split, "split", "test", "split to read from a dataset root or the CIFAR-10 archive")
	cmd.Flags().IntVar(&batch, "batch", 256, "images embedded at once")
	cmd.MarkFlagRequired("data")
	return cmd
}
