package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/nn/torchvision"
)

func newImportCmd(a *app) *cobra.Command {
	var (
		arch, weights, out string
		opt                torchvision.Options
		flipTTA            bool
		precision          string
	)
	cmd := &cobra.Command{
		Use:   "import --arch NAME --weights FILE --out MODEL_DIR",
		Short: "Make a model of an ImageNet network from torchvision weights",
		Long: `Import a torchvision network's weights (a state dict saved with
torch.save(model.state_dict()), the .pth files torchvision downloads, or a
.safetensors file of float32 tensors) as a lookalike model directory, which
every command takes like a trained one: its embedding is the network's
pooled features before the classifier, L2-normalised (or, with --dim, a new
projection of them, for fine-tuning with train --init).

Images are prepared as torchvision evaluates them: the centred square
scaled to --size (256), the centre --crop (224) of that, ImageNet's mean
and standard deviation. BatchNorm is folded into the convolutions.

Architectures: ` + strings.Join(torchvision.Architectures(), ", ") + `.`,
		Example: `  # on a machine with internet, once:
  #   python3 -c "import torchvision; torchvision.models.resnet50(weights='IMAGENET1K_V2')"
  # copies ~/.cache/torch/hub/checkpoints/resnet50-11ad3fa6.pth
  lookalike import --arch resnet50 --weights resnet50-11ad3fa6.pth --out resnet50/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sd, err := torchvision.ReadWeights(weights)
			if err != nil {
				return err
			}
			m, err := torchvision.Import(arch, sd, opt)
			if err != nil {
				return err
			}
			m.FlipTTA = flipTTA
			p, err := nn.ParsePrecision(precision)
			if err != nil {
				return fmt.Errorf("--precision: %w", err)
			}
			m.SetPrecision(p)
			sum, err := nn.FileSHA256(weights)
			if err != nil {
				return err
			}
			prov := map[string]any{"imported": map[string]any{
				"from": "torchvision", "arch": arch, "weights": weights, "weights_sha256": sum,
				"size": m.Size, "crop": opt.Crop, "dim": opt.Dim,
			}}
			if err := nn.Save(out, m, nil, prov); err != nil {
				return err
			}
			a.log.Info("imported", "arch", arch, "weights", weights, "out", out, "params", m.NumParams(),
				"input", m.Size, "embedding", m.Dim())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&arch, "arch", "", "architecture: "+strings.Join(torchvision.Architectures(), ", "))
	f.StringVar(&weights, "weights", "", "the state dict: a .pth file of torch.save, or .safetensors")
	f.StringVar(&out, "out", "", "model directory to write")
	f.IntVar(&opt.Size, "size", 256, "input size: images' centred squares are scaled to it")
	f.IntVar(&opt.Crop, "crop", 224, "the centre crop of the input that the network sees")
	f.IntVar(&opt.Dim, "dim", 0, "a new Dense projection of the pooled features to this many units (0: none)")
	f.Uint64Var(&opt.Seed, "seed", 1, "seed of the projection's initialisation")
	f.BoolVar(&flipTTA, "flip-tta", false, "embed images as the mean of their and their mirror image's embeddings")
	f.StringVar(&precision, "precision", "fp32", "matrix products: fp32 or bf16")
	for _, n := range []string{"arch", "weights", "out"} {
		cmd.MarkFlagRequired(n)
	}
	return cmd
}
