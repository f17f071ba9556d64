package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/internal/progress"
	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/loss"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/optim"
	"github.com/lookalike/lookalike/report"
	"github.com/lookalike/lookalike/train"
)

// trainFlags are the flags of train (and demo).
type trainFlags struct {
	data        dataFlags
	recipe      string
	cfg         train.Config // the flags' values; only those set override the recipe
	valFraction float64
	valData     string
	out         string
	resume      bool
	unlabelled  bool
	flags       *pflag.FlagSet
}

func (f *trainFlags) register(cmd *cobra.Command) {
	f.cfg = train.DefaultConfig()
	fl := cmd.Flags()
	f.flags = fl
	c := &f.cfg
	fl.StringVar(&f.recipe, "recipe", "keras-example", fmt.Sprintf("training recipe, one of %v (see above); the flags below override it", train.RecipeNames()))
	fl.StringVar(&c.Model, "model", c.Model, fmt.Sprintf("architecture: %v", nn.ArchitectureNames()))
	fl.IntVar(&c.Dim, "dim", c.Dim, "embedding dimension (with --init: a new projection head of this many units; left out, the model's head is kept)")
	fl.StringVar(&c.Init, "init", "", "fine-tune: start from this model directory (imported or trained) instead of random weights; its architecture and input size are used, the schedule starts afresh")
	fl.Float64Var(&c.Augment.ColorJitter, "color-jitter", 0, "SimCLR's colour jitter of this strength (brightness, contrast, saturation) with probability 0.8 (0: none)")
	fl.Float64Var(&c.Augment.Grey, "grey", 0, "probability of turning an image to greyscale")
	fl.Float64Var(&c.Augment.Caption, "caption", 0, "probability of writing a line of random text across an image (white with a shadow, 10-18% of its height): teaches the model to see through captions, for near-duplicate search")
	fl.BoolVar(&f.unlabelled, "unlabelled", false, "train without labels (self-supervised, the simclr recipe unless --recipe says otherwise): a folder without class sub-folders is fine; labels, if any, only score --val-fraction")
	fl.BoolVar(&c.FreezeBN, "freeze-batchnorm", false, "normalise with every BatchNorm's running statistics in training too, and keep them (fine-tuning; imported networks have theirs folded into the convolutions)")
	fl.IntVar(&c.Projection, "projection", c.Projection, "train through a projection head of this many hidden units (Dense, ReLU, Dense to --dim; SimCLR's) and save the model without it: it embeds the features before the head (0: none)")
	fl.IntVar(&c.Freeze, "freeze", 0, "with --init: keep the first N layers as they are (run as in inference, not trained; model.json lists the layers in order)")
	fl.IntVar(&c.Size, "size", c.Size, "input size in pixels (images are scaled to it; fast, resnet-small and resnet-stem take any size >= 25, keras-small 32 only; 0: 32)")
	fl.IntVar(&c.Epochs, "epochs", c.Epochs, "epochs")
	fl.IntVar(&c.Steps, "steps", c.Steps, "batches per epoch (0 with --sampler epochs: one pass)")
	fl.StringVar(&c.Loss, "loss", c.Loss, fmt.Sprintf("loss: %v", loss.Names()))
	fl.Float64Var(&c.Temperature, "temperature", c.Temperature, "softmax temperature of the similarities")
	fl.Float64Var(&c.LabelSmoothing, "label-smoothing", c.LabelSmoothing, "label smoothing of the norm-softmax loss")
	fl.StringVar(&c.Sampler, "sampler", c.Sampler, "batches: pairs (one pair per class), classes (--images-per-class of each class), epochs (shuffled passes)")
	fl.IntVar(&c.BatchSize, "batch", c.BatchSize, "images per batch (classes and epochs samplers)")
	fl.IntVar(&c.ImagesPerClass, "images-per-class", c.ImagesPerClass, "images of each class in a batch (classes sampler)")
	fl.StringVar(&c.Optimizer, "optimizer", c.Optimizer, "optimizer: adam or sgd")
	fl.Float64Var(&c.LR, "lr", c.LR, "learning rate")
	fl.Float64Var(&c.Momentum, "momentum", c.Momentum, "SGD momentum")
	fl.BoolVar(&c.Nesterov, "nesterov", c.Nesterov, "SGD with Nesterov momentum")
	fl.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "decoupled weight decay of kernels and weight matrices (SGD)")
	fl.StringVar(&c.Schedule, "schedule", c.Schedule, fmt.Sprintf("learning-rate schedule: %v", optim.ScheduleNames()))
	fl.IntVar(&c.Warmup, "warmup", c.Warmup, "warm-up steps of the warmup-* schedules")
	fl.Float64Var(&c.EMA, "ema", c.EMA, "final decay of the weight average (0: none)")
	fl.IntVar(&c.Augment.Translate, "translate", c.Augment.Translate, "random translation in pixels (reflect padding)")
	fl.BoolVar(&c.Augment.Flip, "flip", c.Augment.Flip, "random horizontal flips")
	fl.IntVar(&c.Augment.Cutout, "cutout", c.Augment.Cutout, "side of a random square cut out of each image (0: none)")
	fl.Float64Var(&c.Augment.CropScale, "crop-scale", c.Augment.CropScale, "random resized crops of at least this fraction of the image's area, aspect 3/4 to 4/3, as torchvision's RandomResizedCrop (0: none)")
	fl.BoolVar(&c.FlipTTA, "flip-tta", c.FlipTTA, "embed images as the mean of their and their mirror image's embeddings")
	fl.IntVar(&c.TranslateTTA, "translate-tta", c.TranslateTTA, "also embed images translated by this many pixels up-left and down-right (0: off)")
	fl.StringVar(&c.Precision, "precision", c.Precision, "matrix products: fp32, or bf16 (bfloat16 operands, float32 sums; float32 where the CPU has no bfloat16 instructions)")
	fl.Uint64Var(&c.Seed, "seed", c.Seed, "random seed: the same seed gives the same model")
	fl.IntVar(&c.CheckpointEvery, "checkpoint-every", 0, "steps between checkpoints (0: every epoch)")
	fl.Float64Var(&f.valFraction, "val-fraction", 0, "hold back this fraction of the training images and report their precision@1 before training and after every epoch")
	fl.StringVar(&f.valData, "val-data", "", "a labelled folder (or archive) whose precision@1 is reported before training and after every epoch, instead of --val-fraction: images only scored, never trained on")
	fl.BoolVar(&f.resume, "resume", false, "continue from the checkpoint in --out if there is one")
}

// config returns the recipe's settings with the flags that were set
// applied over them.
func (f *trainFlags) config() (train.Config, error) {
	recipe := f.recipe
	if f.unlabelled && !f.flags.Changed("recipe") {
		recipe = "simclr"
	}
	cfg, err := train.LookupRecipe(recipe)
	if err != nil {
		return cfg, err
	}
	set := f.cfg
	over := map[string]func(){
		"model": func() { cfg.Model = set.Model }, "dim": func() { cfg.Dim = set.Dim },
		"size":   func() { cfg.Size = set.Size },
		"epochs": func() { cfg.Epochs = set.Epochs }, "steps": func() { cfg.Steps = set.Steps },
		"loss": func() { cfg.Loss = set.Loss }, "temperature": func() { cfg.Temperature = set.Temperature },
		"label-smoothing": func() { cfg.LabelSmoothing = set.LabelSmoothing },
		"sampler":         func() { cfg.Sampler = set.Sampler }, "batch": func() { cfg.BatchSize = set.BatchSize },
		"images-per-class": func() { cfg.ImagesPerClass = set.ImagesPerClass },
		"optimizer":        func() { cfg.Optimizer = set.Optimizer }, "lr": func() { cfg.LR = set.LR },
		"momentum": func() { cfg.Momentum = set.Momentum }, "nesterov": func() { cfg.Nesterov = set.Nesterov },
		"weight-decay": func() { cfg.WeightDecay = set.WeightDecay },
		"schedule":     func() { cfg.Schedule = set.Schedule }, "warmup": func() { cfg.Warmup = set.Warmup },
		"ema": func() { cfg.EMA = set.EMA }, "translate": func() { cfg.Augment.Translate = set.Augment.Translate },
		"flip": func() { cfg.Augment.Flip = set.Augment.Flip }, "cutout": func() { cfg.Augment.Cutout = set.Augment.Cutout },
		"crop-scale":   func() { cfg.Augment.CropScale = set.Augment.CropScale },
		"color-jitter": func() { cfg.Augment.ColorJitter = set.Augment.ColorJitter },
		"grey":         func() { cfg.Augment.Grey = set.Augment.Grey },
		"caption":      func() { cfg.Augment.Caption = set.Augment.Caption },
		"flip-tta":     func() { cfg.FlipTTA = set.FlipTTA }, "seed": func() { cfg.Seed = set.Seed },
		"checkpoint-every": func() { cfg.CheckpointEvery = set.CheckpointEvery },
		"precision":        func() { cfg.Precision = set.Precision },
		"translate-tta":    func() { cfg.TranslateTTA = set.TranslateTTA },
		"init":             func() { cfg.Init = set.Init }, "freeze": func() { cfg.Freeze = set.Freeze },
		"freeze-batchnorm": func() { cfg.FreezeBN = set.FreezeBN },
		"projection":       func() { cfg.Projection = set.Projection },
	}
	for name, apply := range over {
		if f.flags.Changed(name) {
			apply()
		}
	}
	if f.valFraction < 0 || f.valFraction >= 1 {
		return cfg, fmt.Errorf("--val-fraction %g must be in [0, 1)", f.valFraction)
	}
	if f.valFraction > 0 && f.valData != "" {
		return cfg, fmt.Errorf("--val-fraction and --val-data: give one of them")
	}
	if f.unlabelled && cfg.Sampler != "views" {
		return cfg, fmt.Errorf("--unlabelled trains on views of images (--sampler views), not --sampler %s", cfg.Sampler)
	}
	if cfg.Init != "" {
		// The model decides the network and the input size.
		_, info, err := nn.Load(cfg.Init)
		if err != nil {
			return cfg, fmt.Errorf("--init: %w", err)
		}
		if f.flags.Changed("model") && cfg.Model != info.Name {
			return cfg, fmt.Errorf("--init %s is a %s model, not --model %s", cfg.Init, info.Name, cfg.Model)
		}
		if f.flags.Changed("size") && cfg.Size != info.Size {
			return cfg, fmt.Errorf("--init %s takes %dx%d images, not --size %d", cfg.Init, info.Size, info.Size, cfg.Size)
		}
		cfg.Model, cfg.Size = info.Name, info.Size
		if !f.flags.Changed("dim") {
			cfg.Dim = 0
		}
	}
	return cfg, cfg.Validate()
}

func newTrainCmd(a *app) *cobra.Command {
	f := &trainFlags{}
	cmd := &cobra.Command{
		Use:   "train --data DIR --out MODEL_DIR [--recipe NAME]",
		Short: "Train an embedding model",
		Long: `Train an embedding model with a recipe: a network and all its training
settings. The recipes:

` + train.RecipeHelp() + `
The default is keras-example (what demo runs). Flags override the recipe's
settings one by one; the defaults listed below are keras-example's.

Writes MODEL_DIR/model.json and model.safetensors (the model), loss.csv and
loss.png; with --val-fraction or --val-data also validation.csv and
validation.png (the validation precision@1 before training and after each
epoch, against training time) and a panel of it in loss.png, and match
thresholds calibrated on those images (calibration.json and the report in
MODEL_DIR/calibration; see calibrate). A checkpoint is kept in
MODEL_DIR/checkpoint after every epoch and on Ctrl-C; --resume continues from
it.`,
		Example: `  lookalike train --data ../shared/datasets/cifar10/train --out model/
  lookalike train --data ../shared/datasets/cifar10/train --recipe fast --val-fraction 0.05 --out fast/
  lookalike train --data cifar-10-binary.tar.gz --epochs 5 --out model/ --resume`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := runTrain(cmd, a, f)
			return err
		},
	}
	f.data.register(cmd, "training images: an image folder, a dataset root with train/, or the CIFAR-10 archive (required)")
	cmd.Flags().StringVar(&f.out, "out", "model", "model directory to write")
	f.register(cmd)
	cmd.MarkFlagRequired("data")
	return cmd
}

// trainStopGrace is how long training may take to stop after a signal:
// the step under way and the checkpoint.
const trainStopGrace = time.Minute

// trainingInfo is what model.json records about how the model was trained.
type trainingInfo struct {
	train.Config
	Data       string            `json:"data"`
	Images     int               `json:"images"`
	Held       int               `json:"held_back_images,omitempty"`
	ValData    string            `json:"validation_data,omitempty"`
	StepsDone  int               `json:"steps_done"`
	FinalLoss  float64           `json:"final_epoch_loss"`
	Validation []train.ValRecord `json:"validation,omitempty"`
	Seconds    float64           `json:"training_seconds"`
	Kernels    string            `json:"kernels"`
}

// calibrateVal calibrates the saved model's match thresholds on the
// validation images (see calibrate).
func calibrateVal(a *app, f *trainFlags, m *nn.Model, val *data.Dataset) error {
	// The saved model's fingerprint: the SHA-256 of its weights file.
	fp, err := nn.FileSHA256(filepath.Join(f.out, nn.WeightsFile))
	if err != nil {
		return err
	}
	emb := val.Map(func(px []uint8, n int) []float32 { return m.Embed(px, n, 256) })
	name := fmt.Sprintf("%s (validation)", f.data.path)
	if f.valData != "" {
		name = f.valData
	}
	_, th, err := calibrateAndSave(f.out, fp, filepath.Join(f.out, "calibration"), emb, m.Dim(), val.Labels, len(val.Classes),
		name, 10, defaultPrecisions, defaultRecalls, f.cfg.Seed)
	if err != nil {
		return fmt.Errorf("calibrate on the validation images: %w", err)
	}
	for _, p := range th.Points {
		a.log.Info("match threshold", "operating_point", p.Name, "threshold", fmt.Sprintf("%.4f", p.Threshold),
			"precision", fmt.Sprintf("%.4f", p.Precision), "recall", fmt.Sprintf("%.4f", p.Recall))
	}
	return nil
}

// runTrain trains (or resumes) and writes the model and its loss curve.
func runTrain(cmd *cobra.Command, a *app, f *trainFlags) (*train.Trainer, error) {
	ctx := cmd.Context()
	// A signal stops training after the step under way, and saves a
	// checkpoint: a step of a large network can take seconds.
	a.stopGrace.Store(int64(trainStopGrace))
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	f.data.unlabelled = f.unlabelled
	ds, err := f.data.load(ctx, a, "train", nil, cfg.Size)
	if err != nil {
		return nil, err
	}
	ckpt := filepath.Join(f.out, "checkpoint")
	resuming := f.resume && train.HasCheckpoint(ckpt)
	fraction, splitSeed := f.valFraction, cfg.Seed
	if resuming {
		// Hold back the same images as the interrupted run.
		if fraction, splitSeed, err = train.CheckpointValFraction(ckpt); err != nil {
			return nil, err
		}
		if cmd.Flags().Changed("val-fraction") && f.valFraction != fraction {
			return nil, fmt.Errorf("--val-fraction %g: the checkpoint's run holds back %g; resume with that, or train afresh", f.valFraction, fraction)
		}
	}
	var val *data.Dataset
	if fraction > 0 && len(ds.Classes) == 0 {
		return nil, fmt.Errorf("--val-fraction %g: the images are unlabelled, so precision@1 cannot be scored (a folder with class sub-folders can, even with --unlabelled)", fraction)
	}
	if fraction > 0 {
		if ds, val, err = ds.Split(fraction, splitSeed); err != nil {
			return nil, err
		}
		a.log.Info("holding back images for validation", "held", val.Len(), "training", ds.Len())
	}
	if f.valData != "" {
		vf := f.data
		vf.path, vf.cache, vf.unlabelled = f.valData, "", false
		if val, err = vf.load(ctx, a, "validation", nil, cfg.Size); err != nil {
			return nil, fmt.Errorf("--val-data: %w", err)
		}
		if len(val.Classes) == 0 {
			return nil, fmt.Errorf("--val-data %s: no class sub-folders, so precision@1 cannot be scored", f.valData)
		}
	}
	var t *train.Trainer
	if resuming {
		epochs := 0
		if cmd.Flags().Changed("epochs") {
			epochs = cfg.Epochs
		}
		if t, err = train.Resume(ckpt, ds, epochs); err != nil {
			return nil, err
		}
		a.log.Info("resuming", "checkpoint", ckpt, "step", t.Step(), "of", t.TotalSteps())
	} else {
		if !f.resume && train.HasCheckpoint(ckpt) {
			a.log.Warn("starting afresh; an older checkpoint will be overwritten (use --resume to continue it)", "checkpoint", ckpt)
		}
		if t, err = train.New(cfg, ds); err != nil {
			return nil, err
		}
		t.ValFraction = fraction
	}
	c := t.Config
	a.log.Info("training", "recipe", c.Recipe, "model", c.Model, "params", t.Model.NumParams(), "classes", len(ds.Classes),
		"loss", c.Loss, "sampler", c.Sampler, "optimizer", c.Optimizer, "epochs", c.Epochs, "steps_per_epoch", t.StepsPerEpoch(),
		"seed", c.Seed, "kernels", kernels.Path(), "precision", t.Model.Precision())
	if t.Model.Precision() == nn.BF16 && !kernels.HasBF16() {
		a.log.Warn("this CPU has no bfloat16 instructions: the products run in float32 (the model still records bf16)")
	}
	bar := progress.New(os.Stderr, a.log, "train", t.TotalSteps(), "step", 10*time.Second)
	bar.Set(t.Step(), "")
	valNote := ""
	var epochEnd func(int) error
	if val != nil {
		epochEnd = func(epoch int) error {
			p1, err := t.Validate(val)
			if err != nil {
				return err
			}
			valNote = fmt.Sprintf(" val p@1 %.4f", p1)
			a.log.Info("validation", "epoch", epoch, "precision_at_1", fmt.Sprintf("%.4f", p1), "images", val.Len(),
				"training_time", t.Elapsed().Round(time.Second))
			return nil
		}
		if t.Step() == 0 {
			// Where the curve starts: the untrained (or --init) model.
			if err := epochEnd(0); err != nil {
				return nil, err
			}
		}
	}
	err = t.Run(ctx, ckpt, func(s train.Status) {
		bar.Set(s.Step, fmt.Sprintf("epoch %d/%d loss %.4f%s", s.Epoch, c.Epochs, s.MeanLoss, valNote))
	}, epochEnd)
	if errors.Is(err, train.ErrInterrupted) {
		return nil, fmt.Errorf("%w at step %d; checkpoint saved in %s: rerun with --resume to continue", err, t.Step(), ckpt)
	}
	if err != nil {
		return nil, err
	}
	bar.Finish()
	info := trainingInfo{
		Config: t.Config, Data: f.data.path, Images: ds.Len(), StepsDone: t.Step(),
		FinalLoss:  train.EpochMeans(t.History, t.StepsPerEpoch())[t.Config.Epochs-1],
		Validation: t.Val, Seconds: t.Elapsed().Seconds(), Kernels: kernels.Path(),
	}
	if val != nil && f.valData == "" {
		info.Held = val.Len()
	}
	info.ValData = f.valData
	if err := nn.Save(f.out, t.Saved(), t.Classes, info); err != nil {
		return nil, err
	}
	if err := report.TrainingCurves(f.out, t.History, t.StepsPerEpoch(), t.Val); err != nil {
		return nil, err
	}
	if val != nil && len(val.Classes) >= 2 {
		// Match thresholds from the validation images, saved with the model.
		if err := calibrateVal(a, f, t.Saved(), val); err != nil {
			return nil, err
		}
	}
	a.log.Info("model written", "dir", f.out, "final_epoch_loss", fmt.Sprintf("%.4f", info.FinalLoss),
		"took", t.Elapsed().Round(time.Second), "images_per_second", fmt.Sprintf("%.0f", float64(t.Step()*t.BatchSize())/t.Elapsed().Seconds()))
	return t, nil
}
