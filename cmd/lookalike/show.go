package main

import (
	"math/rand/v2"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/report"
	"github.com/lookalike/lookalike/viz"
)

func newShowCmd(a *app) *cobra.Command {
	var (
		d          dataFlags
		out, split string
		rows, cols int
		seed       uint64
	)
	cmd := &cobra.Command{
		Use:     "show --data DIR --out grid.png",
		Short:   "Write a collage of random images",
		Long:    "Write a collage of random images of a dataset, 2x upscaled with thin borders.",
		Example: "  lookalike show --data ../shared/datasets/cifar10 --out grid.png --rows 5 --cols 5",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := d.load(cmd.Context(), a, split, nil, 0)
			if err != nil {
				return err
			}
			img, err := report.SampleGrid(ds, rows, cols, rand.New(rand.NewPCG(seed, 0x5e0)))
			if err != nil {
				return err
			}
			return viz.WritePNG(out, img)
		},
	}
	d.register(cmd, "images: an image folder, a dataset root with train/ and test/, or the CIFAR-10 archive (required)")
	cmd.Flags().StringVar(&split, "split", "train", "split to read from a dataset root or the CIFAR-10 archive")
	cmd.Flags().StringVar(&out, "out", "grid.png", "PNG file to write")
	cmd.Flags().IntVar(&rows, "rows", 5, "rows")
	cmd.Flags().IntVar(&cols, "cols", 5, "columns")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	cmd.MarkFlagRequired("data")
	return cmd
}

func newPairsCmd(a *app) *cobra.Command {
	var (
		d          dataFlags
		out, split string
		seed       uint64
	)
	cmd := &cobra.Command{
		Use:   "pairs --data DIR --out pairs.png",
		Short: "Write one anchor/positive training batch as a collage",
		Long: `Write one training batch as a 2-row collage: a random anchor of every class
on top, and below each a different random image of the same class.`,
		Example: "  lookalike pairs --data ../shared/datasets/cifar10 --out pairs.png",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := d.load(cmd.Context(), a, split, nil, 0)
			if err != nil {
				return err
			}
			img, err := report.PairsGrid(ds, seed)
			if err != nil {
				return err
			}
			return viz.WritePNG(out, img)
		},
	}
	d.register(cmd, "images: an image folder, a dataset root with train/ and test/, or the CIFAR-10 archive (required)")
	cmd.Flags().StringVar(&split, "split", "train", "split to read from a dataset root or the CIFAR-10 archive")
	cmd.Flags().StringVar(&out, "out", "pairs.png", "PNG file to write")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	cmd.MarkFlagRequired("data")
	return cmd
}
