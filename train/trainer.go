package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/lookalike/lookalike/data"
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

// Status is what a Trainer reports after each step.
type Status struct {
	Step, Total int
	Epoch       int
	Loss        float32 // this step's loss
	MeanLoss    float32 // mean loss of the current epoch so far
	Elapsed     time.Duration
}

// Trainer trains a model on a dataset with the example's pair softmax loss.
// One batch holds, for every class, one anchor and one positive.
type Trainer struct {
	Config  Config
	Model   *nn.Model
	Classes []string
	History []Record

	ds      *data.Dataset
	pcg     *rand.PCG
	sampler *data.PairSampler
	opt     *optim.Adam
	loss    *loss.PairSoftmax

	anchors, positives []int
	x, dEmb            *tensor.Tensor
	elapsed            time.Duration // training time before this run (resume)
}

// ErrInterrupted is returned by Run when its context was cancelled; a
// checkpoint was saved first.
var ErrInterrupted = errors.New("training interrupted")

// New returns a trainer with freshly initialised weights for ds.
func New(cfg Config, ds *data.Dataset) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := nn.NewArchitecture(cfg.Model, cfg.Dim)
	if err != nil {
		return nil, err
	}
	m.Init(rand.New(rand.NewPCG(cfg.Seed, 0x1417)))
	return newTrainer(cfg, m, ds, rand.NewPCG(cfg.Seed, 0x5a3d))
}

func newTrainer(cfg Config, m *nn.Model, ds *data.Dataset, pcg *rand.PCG) (*Trainer, error) {
	if ds.Size != m.Size {
		return nil, fmt.Errorf("train: images are %dx%d but model %s takes %dx%d", ds.Size, ds.Size, m.Name, m.Size, m.Size)
	}
	for c, idx := range ds.ClassIndices() {
		if len(idx) < 2 {
			return nil, fmt.Errorf("train: class %q has %d images; each class needs at least 2 (an anchor and a positive)", ds.Classes[c], len(idx))
		}
	}
	sampler, err := data.NewPairSampler(ds.Labels, len(ds.Classes), rand.New(pcg))
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	n := len(ds.Classes)
	return &Trainer{
		Config: cfg, Model: m, Classes: ds.Classes, ds: ds, pcg: pcg, sampler: sampler,
		opt:     optim.NewAdam(m.Params(), cfg.LR),
		loss:    loss.NewPairSoftmax(float32(cfg.Temperature)),
		anchors: make([]int, n), positives: make([]int, n),
	}, nil
}

// Step returns the number of steps done so far.
func (t *Trainer) Step() int { return t.opt.Steps() }

// TrainStep draws one batch, updates the model and returns the batch's loss.
func (t *Trainer) TrainStep() (float32, error) {
	t.sampler.Next(t.anchors, t.positives)
	n, per := len(t.anchors), t.ds.Size*t.ds.Size*3
	t.x = tensor.Ensure(t.x, 2*n, t.ds.Size, t.ds.Size, 3)
	for i := 0; i < 2*n; i++ {
		idx := t.anchors[i%n]
		if i >= n {
			idx = t.positives[i-n]
		}
		dst := t.x.Data[i*per : (i+1)*per]
		for j, p := range t.ds.Image(idx) {
			dst[j] = float32(p)
		}
	}
	emb := t.Model.Forward(t.x, true)
	d := emb.Dim(1)
	l, err := t.loss.Forward(emb.Data[:n*d], emb.Data[n*d:], n, d)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
		return l, fmt.Errorf("train: loss is %v at step %d", l, t.Step()+1)
	}
	dA, dP := t.loss.Backward(emb.Data[:n*d], emb.Data[n*d:])
	t.dEmb = tensor.Ensure(t.dEmb, 2*n, d)
	copy(t.dEmb.Data, dA.Data)
	copy(t.dEmb.Data[n*d:], dP.Data)
	t.Model.Backward(t.dEmb)
	t.opt.Step()
	return l, nil
}

// Run trains until Config.TotalSteps, calling report after every step.
// Checkpoints go to ckptDir (none when empty) every Config.CheckpointEvery
// steps and at the end of each epoch. When ctx is cancelled, Run saves a
// checkpoint and returns ErrInterrupted.
func (t *Trainer) Run(ctx context.Context, ckptDir string, report func(Status)) error {
	total := t.Config.TotalSteps()
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
		epoch := (step-1)/t.Config.Steps + 1
		if (step-1)%t.Config.Steps == 0 {
			epochSum, epochN = 0, 0
		}
		epochSum += float64(l)
		epochN++
		t.History = append(t.History, Record{Step: step, Epoch: epoch, Loss: l})
		if report != nil {
			report(Status{Step: step, Total: total, Epoch: epoch, Loss: l, MeanLoss: float32(epochSum / float64(epochN)), Elapsed: t.elapsed + time.Since(start)})
		}
		endOfEpoch := step%t.Config.Steps == 0
		if endOfEpoch || (t.Config.CheckpointEvery > 0 && step%t.Config.CheckpointEvery == 0) {
			if err := save(); err != nil {
				return err
			}
		}
	}
	t.elapsed += time.Since(start)
	return nil
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
