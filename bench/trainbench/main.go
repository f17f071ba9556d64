// Command trainbench measures the training and inference speed of a
// built-in model (keras-small or resnet-small) on the lookalike engine, for
// comparison with the same model in PyTorch (bench/torch_train.py). Both
// print the same JSON lines.
//
// Usage:
//
//	trainbench [-model keras-small] [-pairs 10] [-steps 1000] [-warmup 20] [-seed 1]
//	trainbench -model resnet-small -pairs 128 -steps 5 -warmup 1
//	trainbench -embed-batch 256 [-embed-images 10240]
//	trainbench -info
//	trainbench -dump DIR [-pairs 10]
//	trainbench -pairs 10 -cpuprofile cpu.prof   # then go tool pprof -top
//
// A training step is the one train.Trainer.TrainStep performs: fill a
// batch of 2*pairs images (anchors, then positives) from a pool of random
// images, run the model forward once, split the embeddings, compute the pair
// softmax loss, run backward and take an Adam step. Only the steps after the
// warm-up are timed.
//
// With -dump, trainbench writes the initial weights, one batch, its
// embeddings, its loss, the gradient of every parameter and the output of
// every ReLU to DIR as raw little-endian float32 files with a
// manifest.json, for bench/torch_crosscheck.py. For models with BatchNorm
// it also writes the running statistics before and after the step, and the
// ReLU outputs include those inside residual blocks (the block's inner ReLU,
// then its output), in the order the forward pass computes them.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/loss"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/optim"
	"github.com/lookalike/lookalike/tensor"
)

const (
	size     = 32  // image height and width
	channels = 3   // image channels
	dim      = 8   // embedding dimension, as in the Keras example
	temp     = 0.2 // pair softmax temperature
	lr       = 1e-3
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("trainbench: ")
	var (
		model       = flag.String("model", "keras-small", fmt.Sprintf("model to run, one of %v", nn.ArchitectureNames()))
		pairs       = flag.Int("pairs", 10, "pairs per batch; a step runs 2*pairs images")
		steps       = flag.Int("steps", 1000, "timed training steps")
		warmup      = flag.Int("warmup", 20, "untimed training steps before the timed ones")
		pool        = flag.Int("pool", 2048, "random images to draw batches from")
		seed        = flag.Uint64("seed", 1, "random seed for weights, images and batches")
		threads     = flag.Int("threads", 0, "GOMAXPROCS to use (0: leave the default)")
		embedBatch  = flag.Int("embed-batch", 0, "time inference at this batch size instead of training")
		embedImages = flag.Int("embed-images", 10240, "images to embed with -embed-batch")
		info        = flag.Bool("info", false, "print the engine configuration as JSON and exit")
		dump        = flag.String("dump", "", "write weights, one batch and its gradients to this directory and exit")
		cpuprofile  = flag.String("cpuprofile", "", "write a CPU profile of the timed part to this file")
		precision   = flag.String("precision", "fp32", "matrix products: fp32 or bf16")
	)
	flag.Parse()
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	if *pairs <= 0 || *steps <= 0 || *warmup < 0 || *pool <= 0 {
		log.Fatal("-pairs, -steps and -pool must be positive and -warmup not negative")
	}

	m, err := nn.NewArchitecture(*model, dim, size)
	if err != nil {
		log.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(*seed, 0x1417)))
	prec, err := nn.ParsePrecision(*precision)
	if err != nil {
		log.Fatal(err)
	}
	m.SetPrecision(prec)
	rng := rand.New(rand.NewPCG(*seed, 0x5a3d))

	switch {
	case *info:
		printJSON(map[string]any{
			"engine":     "lookalike",
			"model":      m.Name,
			"go":         runtime.Version(),
			"kernels":    kernels.Path(),
			"precision":  m.Precision(),
			"bf16":       kernels.HasBF16(),
			"gomaxprocs": runtime.GOMAXPROCS(0),
			"num_cpu":    runtime.NumCPU(),
			"num_params": m.NumParams(),
		})
		return
	case *dump != "":
		if err := dumpStep(*dump, m, rng, *pairs); err != nil {
			log.Fatal(err)
		}
		return
	}

	if *embedBatch > 0 {
		benchEmbed(m, rng, *embedBatch, *embedImages, *cpuprofile)
		return
	}
	benchTrain(m, rng, *pairs, *steps, *warmup, *pool, *cpuprofile)
}

// engineName names the engine in the JSON lines: "lookalike", or
// "lookalike-bf16" for a model in bfloat16 on a CPU that runs it so.
func engineName(m *nn.Model) string {
	if m.Precision() == nn.BF16 && kernels.HasBF16() {
		return "lookalike-bf16"
	}
	return "lookalike"
}

// trainer holds the state of the benchmarked training loop, mirroring
// train.Trainer.
type trainer struct {
	m    *nn.Model
	opt  *optim.Adam
	loss *loss.PairSoftmax
	rng  *rand.Rand

	pool      []uint8 // poolN images, interleaved 0..255 pixels
	poolN     int
	x, dEmb   *tensor.Tensor // input batch and embedding gradient
	anchors   []int          // pool indices of this step's anchors
	positives []int          // and positives
	lastLoss  float32
}

// newTrainer returns the training loop state for m with a pool of poolN
// random images.
func newTrainer(m *nn.Model, rng *rand.Rand, pairs, poolN int) *trainer {
	return &trainer{
		m: m, opt: optim.NewAdam(m.Params(), lr), loss: loss.NewPairSoftmax(temp), rng: rng,
		pool: randomImages(rng, poolN), poolN: poolN,
		anchors: make([]int, pairs), positives: make([]int, pairs),
	}
}

// randomImages returns n random 32x32x3 images as interleaved pixels.
func randomImages(rng *rand.Rand, n int) []uint8 {
	px := make([]uint8, n*size*size*channels)
	for i := 0; i < len(px); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < len(px); j++ {
			px[i+j] = uint8(v >> (8 * j))
		}
	}
	return px
}

// fill draws random anchors and positives from the pool and writes the
// batch, anchors first, into t.x as float32 pixels.
func (t *trainer) fill() {
	n, per := len(t.anchors), size*size*channels
	for i := range t.anchors {
		t.anchors[i], t.positives[i] = t.rng.IntN(t.poolN), t.rng.IntN(t.poolN)
	}
	t.x = tensor.Ensure(t.x, 2*n, size, size, channels)
	for i := 0; i < 2*n; i++ {
		idx := t.anchors[i%n]
		if i >= n {
			idx = t.positives[i-n]
		}
		dst := t.x.Data[i*per : (i+1)*per]
		for j, p := range t.pool[idx*per : (idx+1)*per] {
			dst[j] = float32(p)
		}
	}
}

// gradients runs forward, the loss and backward on t.x, adding to the
// parameter gradients, and returns the embeddings.
func (t *trainer) gradients() (*tensor.Tensor, error) {
	n := len(t.anchors)
	emb := t.m.Forward(t.x, true)
	d := emb.Dim(1)
	l, err := t.loss.Forward(emb.Data[:n*d], emb.Data[n*d:], n, d)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
		return nil, fmt.Errorf("loss is %v at step %d", l, t.opt.Steps()+1)
	}
	t.lastLoss = l
	dA, dP := t.loss.Backward(emb.Data[:n*d], emb.Data[n*d:])
	t.dEmb = tensor.Ensure(t.dEmb, 2*n, d)
	copy(t.dEmb.Data, dA.Data)
	copy(t.dEmb.Data[n*d:], dP.Data)
	t.m.Backward(t.dEmb)
	return emb, nil
}

// step performs one full training step, as train.Trainer.TrainStep does.
func (t *trainer) step() error {
	t.fill()
	if _, err := t.gradients(); err != nil {
		return err
	}
	t.opt.Step()
	return nil
}

// benchTrain times steps training steps after warmup untimed ones and
// prints the result. The CPU profile, if any, covers the timed steps.
func benchTrain(m *nn.Model, rng *rand.Rand, pairs, steps, warmup, poolN int, cpuprofile string) {
	t := newTrainer(m, rng, pairs, poolN)
	for i := 0; i < warmup; i++ {
		if err := t.step(); err != nil {
			log.Fatalf("warm-up step %d: %v", i+1, err)
		}
	}
	stopProfile := startProfile(cpuprofile)
	cpu0, start := cpuTime(), time.Now()
	for i := 0; i < steps; i++ {
		if err := t.step(); err != nil {
			log.Fatalf("step %d: %v", i+1, err)
		}
	}
	sec, cpu := time.Since(start).Seconds(), cpuTime()-cpu0
	stopProfile()
	printJSON(map[string]any{
		"engine":            engineName(t.m),
		"model":             t.m.Name,
		"pairs":             pairs,
		"cpu_seconds":       round(cpu, 4),
		"pairs_per_cpu_sec": round(float64(pairs*steps)/cpu, 1),
		"steps":             steps,
		"seconds":           round(sec, 4),
		"pairs_per_sec":     round(float64(pairs*steps)/sec, 1),
		"images_per_sec":    round(float64(2*pairs*steps)/sec, 1),
		"final_loss":        round(float64(t.lastLoss), 4),
		"threads":           runtime.GOMAXPROCS(0),
		"kernels":           kernels.Path(),
	})
}

// benchEmbed times the embedding of n random images in batches of batch
// and prints the result. The CPU profile, if any, covers the timed part.
func benchEmbed(m *nn.Model, rng *rand.Rand, batch, n int, cpuprofile string) {
	if n <= 0 {
		log.Fatal("-embed-images must be positive")
	}
	px := randomImages(rng, n)
	// Warm up: one batch sizes the buffers.
	m.Embed(px[:min(batch, n)*size*size*channels], min(batch, n), batch)
	stopProfile := startProfile(cpuprofile)
	cpu0, start := cpuTime(), time.Now()
	out := m.Embed(px, n, batch)
	sec, cpu := time.Since(start).Seconds(), cpuTime()-cpu0
	stopProfile()
	if len(out) != n*dim {
		log.Fatalf("embed returned %d values, want %d", len(out), n*dim)
	}
	printJSON(map[string]any{
		"engine":             engineName(m),
		"model":              m.Name,
		"mode":               "embed",
		"batch":              batch,
		"images":             n,
		"cpu_seconds":        round(cpu, 4),
		"images_per_cpu_sec": round(float64(n)/cpu, 1),
		"seconds":            round(sec, 4),
		"images_per_sec":     round(float64(n)/sec, 1),
		"threads":            runtime.GOMAXPROCS(0),
		"kernels":            kernels.Path(),
	})
}

// startProfile starts a CPU profile written to path, if path is not
// empty, and returns the function that stops it and closes the file.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatalf("cpu profile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatalf("cpu profile: %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			log.Fatalf("cpu profile: %v", err)
		}
	}
}

// dumpEntry describes one raw float32 file of a dump.
type dumpEntry struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	File  string `json:"file"`
}

// dumpManifest is the manifest.json of a dump.
type dumpManifest struct {
	Model       string      `json:"model"`
	Pairs       int         `json:"pairs"`
	Dim         int         `json:"dim"`
	Temperature float64     `json:"temperature"`
	Loss        float32     `json:"loss"`
	NumParams   int         `json:"num_params"`
	Kernels     string      `json:"kernels"`
	Input       dumpEntry   `json:"input"`      // NHWC, 0..255
	Embeddings  dumpEntry   `json:"embeddings"` // [2*pairs, dim]
	Params      []dumpEntry `json:"params"`     // our layouts
	Grads       []dumpEntry `json:"grads"`      // same order and layouts
	// ReLUOutputs holds the output of every ReLU (NHWC), in the order of
	// the forward pass, so that a reference can take the same side of the
	// kink where a pre-activation is within rounding of zero. A residual
	// block contributes the ReLU of its inner branch, then its own output
	// relu(inner + shortcut).
	ReLUOutputs []dumpEntry `json:"relu_outputs"`
	// StateBefore and StateAfter hold the non-trained state (BatchNorm's
	// running statistics) before and after the step's forward pass, which
	// in training mode updates them; empty for models without any.
	StateBefore []dumpEntry `json:"state_before,omitempty"`
	StateAfter  []dumpEntry `json:"state_after,omitempty"`
}

// dumpStep runs forward and backward on one batch and writes the weights,
// batch, embeddings, loss and gradients to dir.
func dumpStep(dir string, m *nn.Model, rng *rand.Rand, pairs int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	t := newTrainer(m, rng, pairs, 4*pairs)
	// The weights are written before the step; gradients() leaves them
	// unchanged.
	man := dumpManifest{Model: m.Name, Pairs: pairs, Dim: dim, Temperature: temp, NumParams: m.NumParams(), Kernels: kernels.Path()}
	names := m.ParamNames()
	for i, p := range m.Params() {
		e, err := writeRaw(dir, names[i], "param", i, p.Value)
		if err != nil {
			return err
		}
		man.Params = append(man.Params, e)
	}
	t.fill()
	var err error
	if man.Input, err = writeRaw(dir, "input", "input", -1, t.x); err != nil {
		return err
	}
	// The state before the step; the forward passes below change it, and
	// it is put back before the one in gradients().
	stateNames, state := m.State()
	saved := make([][]float32, len(state))
	for i, p := range state {
		saved[i] = append([]float32(nil), p.Value.Data...)
		e, err := writeRaw(dir, stateNames[i], "state_before", i, p.Value)
		if err != nil {
			return err
		}
		man.StateBefore = append(man.StateBefore, e)
	}
	// Run the forward pass layer by layer once to record the ReLU outputs;
	// gradients() then repeats it, and must get the same embeddings.
	h := t.x
	relu := func(name string, y *tensor.Tensor) error {
		e, err := writeRaw(dir, name, "relu", len(man.ReLUOutputs), y)
		man.ReLUOutputs = append(man.ReLUOutputs, e)
		return err
	}
	for i, l := range m.Layers {
		if r, ok := l.(*nn.Residual); ok {
			// The inner branch once more, alone, for its ReLU outputs.
			a := h
			for j, il := range r.Inner {
				a = il.Forward(a, true)
				if _, ok := il.(*nn.ReLU); ok {
					if err := relu(fmt.Sprintf("layers.%d.inner.%d", i, j), a); err != nil {
						return err
					}
				}
			}
		}
		h = l.Forward(h, true)
		switch l.(type) {
		case *nn.ReLU, *nn.Residual:
			if err := relu(fmt.Sprintf("layers.%d", i), h); err != nil {
				return err
			}
		}
	}
	first := append([]float32(nil), h.Data...)
	for i, p := range state {
		copy(p.Value.Data, saved[i])
	}
	emb, err := t.gradients()
	if err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	for i, v := range emb.Data {
		if v != first[i] {
			return fmt.Errorf("dump: embedding %d is %v in one forward pass and %v in the next", i, first[i], v)
		}
	}
	man.Loss = t.lastLoss
	if man.Embeddings, err = writeRaw(dir, "embeddings", "embeddings", -1, emb); err != nil {
		return err
	}
	for i, p := range m.Params() {
		e, err := writeRaw(dir, names[i], "grad", i, p.Grad)
		if err != nil {
			return err
		}
		man.Grads = append(man.Grads, e)
	}
	for i, p := range state {
		e, err := writeRaw(dir, stateNames[i], "state_after", i, p.Value)
		if err != nil {
			return err
		}
		man.StateAfter = append(man.StateAfter, e)
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	fmt.Printf("dumped %s: %d parameters (%d values), %d state tensors, %d ReLU outputs, a batch of %d images and loss %.6f to %s\n",
		m.Name, len(man.Params), man.NumParams, len(state), len(man.ReLUOutputs), 2*pairs, man.Loss, dir)
	return nil
}

// writeRaw writes t's data as little-endian float32 to dir and returns its
// manifest entry. A negative i leaves the index out of the file name.
func writeRaw(dir, name, kind string, i int, t *tensor.Tensor) (dumpEntry, error) {
	file := kind + ".f32"
	if i >= 0 {
		file = fmt.Sprintf("%s.%d.f32", kind, i)
	}
	buf := make([]byte, 4*t.Len())
	for j, v := range t.Data {
		binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v))
	}
	if err := os.WriteFile(filepath.Join(dir, file), buf, 0o644); err != nil {
		return dumpEntry{}, fmt.Errorf("dump %s: %w", name, err)
	}
	return dumpEntry{Name: name, Shape: append([]int(nil), t.Shape...), File: file}, nil
}

// cpuTime returns the user and system CPU time of the process so far, in
// seconds, summed over its threads: with other processes on the machine it
// varies much less than the wall-clock time.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// printJSON prints v as one JSON line.
func printJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
}

// round rounds x to the given number of decimals, for readable JSON.
func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}
