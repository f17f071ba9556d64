package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/eval"
	"github.com/lookalike/lookalike/loss"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/optim"
	"github.com/lookalike/lookalike/tensor"
)

// Record is the loss of one training step.
type Record struct {
	Step  int     `json:"step"` // 1-based
	Epoch int     `json:"epoch"`
	Loss  float32 `json:"loss"`
}

// ValRecord is the precision@1 of the validation images after an epoch
// (epoch 0: before training).
type ValRecord struct {
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
	// Seconds is the training time when the epoch ended, across resumes;
	// validation passes are not counted.
	Seconds      float64 `json:"seconds"`
	PrecisionAt1 float64 `json:"precision_at_1"`
}

// Status is what a Trainer reports after each step.
type Status struct {
	Step, Total int
	Epoch       int
	Loss        float32 // this step's loss
	MeanLoss    float32 // mean loss of the current epoch so far
	Elapsed     time.Duration
}

// Trainer trains a model on a dataset as its Config says. One step: the
// sampler picks a batch, the loader augments it, the model embeds it, the
// loss scores the embeddings, and the optimiser updates the model's (and
// the loss's) parameters at the schedule's rate; the weight average
// follows.
type Trainer struct {
	Config  Config
	Model   *nn.Model
	Classes []string
	History []Record
	// Val is the validation precision@1 after each epoch, when measured.
	Val []ValRecord
	// ValFraction is the share of the data held back for validation, as
	// the caller split it; it is recorded in checkpoints.
	ValFraction float64

	ds            *data.Dataset
	sampler       data.Sampler
	loader        *data.Loader
	loss          loss.Loss
	opt           optim.Optimizer
	sched         optim.Schedule
	ema           *optim.EMA
	stepsPerEpoch int

	x      *tensor.Tensor
	labels []int
	dEmb   *tensor.Tensor
	saved  *nn.Model // Saved's model, with a projection head
	// par runs the passes on replicas of the model (dataparallel.go), made
	// at the first step; nil: the batch runs as one.
	par     *dataParallel
	parMade bool
	// elapsed is the training time before this run (resume).
	elapsed time.Duration
}

// ErrInterrupted is returned by Run when its context was cancelled; a
// checkpoint was saved first.
var ErrInterrupted = errors.New("training interrupted")

// New returns a trainer with freshly initialised weights for ds.
func New(cfg Config, ds *data.Dataset) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var m *nn.Model
	var err error
	if cfg.Init != "" {
		if m, err = initModel(cfg); err != nil {
			return nil, err
		}
	} else {
		if m, err = nn.NewArchitecture(cfg.Model, cfg.Dim, cfg.Size); err != nil {
			return nil, err
		}
		m.Init(rand.New(rand.NewPCG(cfg.Seed, 0x1417)))
		if cfg.Whiten {
			if err := whiten(m, ds); err != nil {
				return nil, err
			}
		}
	}
	if cfg.Projection > 0 {
		dim := cfg.Dim
		if dim == 0 {
			dim = m.Dim()
		}
		if m, err = withProjection(m, cfg.Projection, dim, cfg.Seed); err != nil {
			return nil, err
		}
	}
	return newTrainer(cfg, m, ds)
}

// whiten fits the model's whitening layer to up to 5,000 of the training
// images, spread evenly over the dataset.
func whiten(m *nn.Model, ds *data.Dataset) error {
	conv, before := m.Whitening()
	if conv == nil {
		return fmt.Errorf("train: model %s has no whitening layer", m.Name)
	}
	// Every k-th image: folders are ordered by class, so the first
	// images would all be of one class.
	n := min(ds.Len(), 5000)
	k := ds.Len() / n
	x := tensor.New(n, ds.Size, ds.Size, 3)
	per := ds.Size * ds.Size * 3
	for i := range n {
		for j, p := range ds.Image(i * k) {
			x.Data[i*per+j] = float32(p)
		}
	}
	for _, l := range before {
		x = l.Forward(x, false)
	}
	return conv.InitWhitening(x.Data, n, x.Shape[1], x.Shape[2], 5e-4)
}

func newTrainer(cfg Config, m *nn.Model, ds *data.Dataset) (*Trainer, error) {
	if ds.Size != m.Size {
		return nil, fmt.Errorf("train: images are %dx%d but model %s takes %dx%d", ds.Size, ds.Size, m.Name, m.Size, m.Size)
	}
	if cfg.Freeze >= len(m.Layers) {
		return nil, fmt.Errorf("train: freezing %d layers of a model of %d leaves nothing to train", cfg.Freeze, len(m.Layers))
	}
	m.Frozen = cfg.Freeze
	if cfg.FreezeBN {
		m.FreezeBatchNorm()
	}
	m.FlipTTA, m.TranslateTTA = cfg.FlipTTA, cfg.TranslateTTA
	prec, err := nn.ParsePrecision(cfg.Precision)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	m.SetPrecision(prec)
	t := &Trainer{Config: cfg, Model: m, Classes: ds.Classes, ds: ds}
	if err := t.build(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return t, nil
}

// build makes the sampler, loader, loss, optimiser, schedule and average.
func (t *Trainer) build() error {
	cfg, ds := t.Config, t.ds
	for c, idx := range ds.ClassIndices() {
		if len(idx) < 2 && cfg.Loss != "norm-softmax" && cfg.Sampler != "views" {
			return fmt.Errorf("class %q has %d images; each class needs at least 2 (an anchor and a positive)", ds.Classes[c], len(idx))
		}
	}
	var err error
	switch cfg.Sampler {
	case "pairs":
		t.sampler, err = data.NewPairBatches(ds.Labels, len(ds.Classes), cfg.Seed, cfg.Steps)
	case "classes":
		t.sampler, err = data.NewClassBatches(ds.Labels, len(ds.Classes), cfg.BatchSize/cfg.ImagesPerClass, cfg.ImagesPerClass, cfg.Seed, cfg.Steps)
	case "views":
		var vb *data.ViewBatches
		if vb, err = data.NewViewBatches(ds.Len(), cfg.BatchSize, cfg.Seed); err == nil {
			t.sampler = vb
			if t.Config.Steps == 0 {
				t.Config.Steps = vb.StepsPerEpoch()
			}
		}
	case "epochs":
		var eb *data.EpochBatches
		if eb, err = data.NewEpochBatches(ds.Len(), cfg.BatchSize, cfg.Seed); err == nil {
			t.sampler = eb
			if t.Config.Steps == 0 {
				t.Config.Steps = eb.StepsPerEpoch()
			}
		}
	}
	if err != nil {
		return err
	}
	t.stepsPerEpoch = t.Config.Steps
	if t.loader, err = data.NewLoader(ds, t.sampler, cfg.Augment, cfg.Seed, 0); err != nil {
		return err
	}
	t.loss, err = loss.New(loss.Spec{
		Name: cfg.Loss, Temperature: cfg.Temperature, LabelSmoothing: cfg.LabelSmoothing,
		Classes: len(ds.Classes), Dim: t.Model.Dim(),
	}, rand.New(rand.NewPCG(cfg.Seed, 0x1055)))
	if err != nil {
		return err
	}
	params := append(t.Model.TrainableParams(), t.loss.Params()...)
	switch cfg.Optimizer {
	case "adam":
		t.opt = optim.NewAdam(params, cfg.LR)
	case "sgd":
		normLR, normWD := cfg.NormLR, cfg.NormWeightDecay
		if normLR == 0 {
			normLR, normWD = cfg.LR, 0
		}
		groups := optim.SplitDecay(params, cfg.LR, cfg.WeightDecay, normLR, normWD)
		if t.opt, err = optim.NewSGD(groups, cfg.Momentum, cfg.Nesterov); err != nil {
			return err
		}
	}
	if t.sched, err = optim.ParseSchedule(cfg.Schedule, cfg.Warmup); err != nil {
		return err
	}
	if cfg.EMA > 0 {
		t.ema = optim.NewEMA(t.averaged(), cfg.EMA)
	}
	n := t.sampler.Size()
	t.x = tensor.New(n, ds.Size, ds.Size, 3)
	t.labels = make([]int, n)
	return nil
}

// averaged returns the tensors the weight average follows: the model's
// trainable parameters and state (BatchNorm statistics), not the frozen
// layers', which stay bit for bit.
func (t *Trainer) averaged() []*tensor.Tensor {
	var ts []*tensor.Tensor
	for _, p := range t.Model.TrainableParams() {
		ts = append(ts, p.Value)
	}
	if t.Config.FreezeBN {
		return ts // the statistics stay as they are, bit for bit
	}
	for _, p := range t.Model.TrainableState() {
		ts = append(ts, p.Value)
	}
	return ts
}

// TotalSteps returns the number of steps of the whole run.
func (t *Trainer) TotalSteps() int { return t.Config.Epochs * t.stepsPerEpoch }

// BatchSize returns the number of images in a batch.
func (t *Trainer) BatchSize() int { return t.sampler.Size() }

// StepsPerEpoch returns the number of steps of an epoch.
func (t *Trainer) StepsPerEpoch() int { return t.stepsPerEpoch }

// Step returns the number of steps done so far.
func (t *Trainer) Step() int { return t.opt.Steps() }

// TrainStep trains on one batch and returns its loss.
func (t *Trainer) TrainStep() (float32, error) {
	step := t.Step()
	if err := t.loader.Load(step, t.x.Data, t.labels); err != nil {
		return 0, err
	}
	if !t.parMade {
		var err error
		if t.par, err = newDataParallel(t.Model, t.x.Dim(0), runtime.GOMAXPROCS(0)); err != nil {
			return 0, err
		}
		t.parMade = true
	}
	var emb *tensor.Tensor
	if t.par != nil {
		emb = t.par.forward(t.x)
	} else {
		emb = t.Model.Forward(t.x, true)
	}
	n, d := emb.Dim(0), emb.Dim(1)
	labels := t.labels
	if t.Config.Sampler == "views" {
		labels = nil // self-supervised: each image's two views are its pair
	}
	l, err := t.loss.Forward(emb.Data, labels, n, d)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
		return l, fmt.Errorf("train: loss is %v at step %d", l, step+1)
	}
	t.dEmb = tensor.Ensure(t.dEmb, n, d)
	copy(t.dEmb.Data, t.loss.Backward())
	if t.par != nil {
		t.par.backward(t.dEmb)
	} else {
		t.Model.Backward(t.dEmb)
	}
	t.opt.Update(t.sched.Factor(step, t.TotalSteps()))
	if t.ema != nil && (step+1)%max(1, t.Config.EMAEvery) == 0 {
		frac := float64(step+1) / float64(t.TotalSteps())
		t.ema.UpdateWith(t.Config.EMA * frac * frac * frac)
		if t.Config.Lookahead {
			t.ema.CopyTo(t.averaged())
		}
	}
	return l, nil
}

// Run trains until the end of the run, calling report after every step
// and epochEnd (when not nil) after every epoch, with the training clock
// (Elapsed) stopped while it runs. Checkpoints go to ckptDir
// (none when empty) every Config.CheckpointEvery steps and at the end of
// each epoch. When ctx is cancelled, Run saves a checkpoint and returns
// ErrInterrupted. At the end, the model holds the averaged weights, if
// the run keeps an average.
func (t *Trainer) Run(ctx context.Context, ckptDir string, report func(Status), epochEnd func(epoch int) error) error {
	defer t.loader.Close()
	total := t.TotalSteps()
	start := time.Now()
	var epochSum float64
	var epochN int
	save := func() error {
		if ckptDir == "" {
			return nil
		}
		t.elapsed += time.Since(start)
		start = time.Now()
		return t.SaveCheckpoint(ckptDir)
	}
	for t.Step() < total {
		if ctx.Err() != nil {
			if err := save(); err != nil {
				return fmt.Errorf("%w; saving the checkpoint failed: %v", ErrInterrupted, err)
			}
			return ErrInterrupted
		}
		l, err := t.TrainStep()
		if err != nil {
			return err
		}
		step := t.Step()
		epoch := (step-1)/t.stepsPerEpoch + 1
		if (step-1)%t.stepsPerEpoch == 0 {
			epochSum, epochN = 0, 0
		}
		epochSum += float64(l)
		epochN++
		t.History = append(t.History, Record{Step: step, Epoch: epoch, Loss: l})
		if report != nil {
			report(Status{Step: step, Total: total, Epoch: epoch, Loss: l, MeanLoss: float32(epochSum / float64(epochN)), Elapsed: t.elapsed + time.Since(start)})
		}
		endOfEpoch := step%t.stepsPerEpoch == 0
		if endOfEpoch && epochEnd != nil && ctx.Err() == nil {
			// The clock stops while epochEnd validates.
			t.elapsed += time.Since(start)
			err := epochEnd(epoch)
			start = time.Now()
			if err != nil {
				return err
			}
		}
		if endOfEpoch || (t.Config.CheckpointEvery > 0 && step%t.Config.CheckpointEvery == 0) {
			if err := save(); err != nil {
				return err
			}
		}
	}
	t.elapsed += time.Since(start)
	if t.ema != nil {
		t.ema.CopyTo(t.averaged())
	}
	return nil
}

// WithAverage runs fn with the model holding the averaged weights (the
// model as it will be saved), then restores the trained ones. Without an
// average it just runs fn.
func (t *Trainer) WithAverage(fn func() error) error {
	if t.ema == nil {
		return fn()
	}
	t.ema.Swap()
	defer t.ema.Swap()
	return fn()
}

// Validate measures the leave-one-out precision@1 of the images val with
// the model as it would be saved (the weight average, flip TTA), records
// it for the epoch just finished (epoch 0 before the first step) with the
// training time so far, and returns it. Call it before Run or from Run's
// epochEnd.
func (t *Trainer) Validate(val *data.Dataset) (float64, error) {
	var p1 float64
	err := t.WithAverage(func() error {
		saved := t.Saved()
		emb := val.Map(func(px []uint8, n int) []float32 { return saved.Embed(px, n, 256) })
		m, err := eval.Retrieval(emb, saved.Dim(), val.Labels, eval.Options{})
		p1 = m.PrecisionAt1
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("validate: %w", err)
	}
	step := t.Step()
	t.Val = append(t.Val, ValRecord{Epoch: (step + t.stepsPerEpoch - 1) / t.stepsPerEpoch, Step: step,
		Seconds: t.elapsed.Seconds(), PrecisionAt1: p1})
	return p1, nil
}

// Close stops the goroutine that prepares the next batch. Run closes it
// when it returns; call Close after TrainStep without Run.
func (t *Trainer) Close() {
	t.loader.Close()
	if t.par != nil {
		t.par.close()
	}
}

// Elapsed returns the total training time, across resumes.
func (t *Trainer) Elapsed() time.Duration { return t.elapsed }

// EpochMeans returns the mean loss of each epoch of a history.
func EpochMeans(h []Record, stepsPerEpoch int) []float64 {
	var sums []float64
	var counts []int
	for _, r := range h {
		e := (r.Step - 1) / stepsPerEpoch
		for len(sums) <= e {
			sums, counts = append(sums, 0), append(counts, 0)
		}
		sums[e] += float64(r.Loss)
		counts[e]++
	}
	for i := range sums {
		if counts[i] > 0 {
			sums[i] /= float64(counts[i])
		}
	}
	return sums
}
