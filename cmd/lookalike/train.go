package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/internal/progress"
	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/report"
	"github.com/lookalike/lookalike/train"
)

// trainFlags are the flags of train (and demo).
type trainFlags struct {
	data   dataFlags
	cfg    train.Config
	out    string
	resume bool
}

func (f *trainFlags) register(cmd *cobra.Command) {
	f.cfg = train.DefaultConfig()
	fl := cmd.Flags()
	fl.StringVar(&f.cfg.Model, "model", f.cfg.Model, fmt.Sprintf("architecture: %v", nn.ArchitectureNames()))
	fl.IntVar(&f.cfg.Dim, "dim", f.cfg.Dim, "embedding dimension")
	fl.IntVar(&f.cfg.Epochs, "epochs", f.cfg.Epochs, "epochs")
	fl.IntVar(&f.cfg.Steps, "steps", f.cfg.Steps, "batches per epoch (one anchor/positive pair per class each)")
	fl.Float64Var(&f.cfg.LR, "lr", f.cfg.LR, "Adam learning rate")
	fl.Float64Var(&f.cfg.Temperature, "temperature", f.cfg.Temperature, "softmax temperature of the similarities")
	fl.Uint64Var(&f.cfg.Seed, "seed", f.cfg.Seed, "random seed: the same seed gives the same model")
	fl.IntVar(&f.cfg.CheckpointEvery, "checkpoint-every", 0, "steps between checkpoints (0: every epoch)")
	fl.BoolVar(&f.resume, "resume", false, "continue from the checkpoint in --out if there is one")
}

func newTrainCmd(a *app) *cobra.Command {
	f := &trainFlags{}
	cmd := &cobra.Command{
		Use:   "train --data DIR --out MODEL_DIR",
		Short: "Train an embedding model",
		Long: `Train an embedding model with the pair softmax loss of the Keras example:
each batch holds one anchor and one positive of every class.

Writes MODEL_DIR/model.json and model.safetensors (the model), loss.csv and
loss.png. A checkpoint is kept in MODEL_DIR/checkpoint after every epoch and
on Ctrl-C; --resume continues from it.`,
		Example: `  lookalike train --data ../shared/datasets/cifar10/train --out model/
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

// trainingInfo is what model.json records about how the model was trained.
type trainingInfo struct {
	train.Config
	Data      string  `json:"data"`
	Images    int     `json:"images"`
	StepsDone int     `json:"steps_done"`
	FinalLoss float64 `json:"final_epoch_loss"`
	Seconds   float64 `json:"training_seconds"`
	Kernels   string  `json:"kernels"`
}

// runTrain trains (or resumes) and writes the model and its loss curve.
func runTrain(cmd *cobra.Command, a *app, f *trainFlags) (*train.Trainer, error) {
	ctx := cmd.Context()
	if err := f.cfg.Validate(); err != nil {
		return nil, err
	}
	ds, err := f.data.load(ctx, a, "train", nil)
	if err != nil {
		return nil, err
	}
	ckpt := filepath.Join(f.out, "checkpoint")
	var t *train.Trainer
	if f.resume && train.HasCheckpoint(ckpt) {
		epochs := 0
		if cmd.Flags().Changed("epochs") {
			epochs = f.cfg.Epochs
		}
		if t, err = train.Resume(ckpt, ds, epochs); err != nil {
			return nil, err
		}
		a.log.Info("resuming", "checkpoint", ckpt, "step", t.Step(), "of", t.Config.TotalSteps())
	} else {
		if !f.resume && train.HasCheckpoint(ckpt) {
			a.log.Warn("starting afresh; an older checkpoint will be overwritten (use --resume to continue it)", "checkpoint", ckpt)
		}
		if t, err = train.New(f.cfg, ds); err != nil {
			return nil, err
		}
	}
	a.log.Info("training", "model", t.Config.Model, "params", t.Model.NumParams(), "classes", len(ds.Classes),
		"batch_pairs", len(ds.Classes), "epochs", t.Config.Epochs, "steps_per_epoch", t.Config.Steps, "seed", t.Config.Seed, "kernels", kernels.Path())
	bar := progress.New(os.Stderr, a.log, "train", t.Config.TotalSteps(), "step", 10*time.Second)
	bar.Set(t.Step(), "")
	err = t.Run(ctx, ckpt, func(s train.Status) {
		bar.Set(s.Step, fmt.Sprintf("epoch %d/%d loss %.4f", s.Epoch, t.Config.Epochs, s.MeanLoss))
	})
	if errors.Is(err, train.ErrInterrupted) {
		return nil, fmt.Errorf("%w at step %d; checkpoint saved in %s: rerun with --resume to continue", err, t.Step(), ckpt)
	}
	if err != nil {
		return nil, err
	}
	bar.Finish()
	info := trainingInfo{
		Config: t.Config, Data: f.data.path, Images: ds.Len(), StepsDone: t.Step(),
		FinalLoss: train.EpochMeans(t.History, t.Config.Steps)[t.Config.Epochs-1],
		Seconds:   t.Elapsed().Seconds(), Kernels: kernels.Path(),
	}
	if err := nn.Save(f.out, t.Model, t.Classes, info); err != nil {
		return nil, err
	}
	if err := report.TrainingCurves(f.out, t.History, t.Config.Steps); err != nil {
		return nil, err
	}
	a.log.Info("model written", "dir", f.out, "final_epoch_loss", fmt.Sprintf("%.4f", info.FinalLoss),
		"took", t.Elapsed().Round(time.Second), "pairs_per_second", fmt.Sprintf("%.0f", float64(t.Step()*len(ds.Classes))/t.Elapsed().Seconds()))
	return t, nil
}
