package train

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/internal/atomicfile"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// A checkpoint directory holds the model weights and optimiser moments in
// checkpoint.safetensors and everything else needed to continue exactly
// where training stopped (settings, step, sampler state, loss history) in
// checkpoint.json, which names the SHA-256 of the weights it belongs to.
const (
	ckptWeights = "checkpoint.safetensors"
	ckptState   = "checkpoint.json"
	ckptFormat  = "lookalike-checkpoint"
)

type checkpointState struct {
	Format   string    `json:"format"`
	Config   Config    `json:"config"`
	Step     int       `json:"step"`
	Classes  []string  `json:"classes"`
	Name     string    `json:"model_name"`
	Size     int       `json:"input_size"`
	Channels int       `json:"input_channels"`
	Layers   []nn.Spec `json:"layers"`
	RNG      []byte    `json:"sampler_rng"`
	Elapsed  float64   `json:"elapsed_seconds"`
	Weights  string    `json:"weights_sha256"`
	History  []Record  `json:"history"`
}

// SaveCheckpoint writes the trainer's full state to dir. Both files are
// replaced atomically, the weights first; a crash between the two leaves a
// state file whose checksum no longer matches, which Resume reports.
func (t *Trainer) SaveCheckpoint(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	ts := map[string]*tensor.Tensor{}
	for name, v := range t.Model.StateDict() {
		ts["model."+name] = v
	}
	st, step := t.opt.State()
	for name, v := range st {
		ts[name] = v
	}
	wpath := filepath.Join(dir, ckptWeights)
	if err := nn.WriteSafetensors(wpath, ts, map[string]string{"format": ckptFormat}); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	sum, err := nn.FileSHA256(wpath)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	state := checkpointState{
		Format: ckptFormat, Config: t.Config, Step: step, Classes: t.Classes,
		Name: t.Model.Name, Size: t.Model.Size, Channels: t.Model.Channels, Layers: t.Model.Specs(),
		RNG: rng, Elapsed: t.elapsed.Seconds(), Weights: sum, History: t.History,
	}
	b, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, ckptState), b)
}

// HasCheckpoint reports whether dir holds a checkpoint.
func HasCheckpoint(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ckptState))
	return err == nil
}

// Resume restores a trainer from a checkpoint directory, for the same
// classes. epochs, when larger than the checkpoint's, extends the run.
func Resume(dir string, ds *data.Dataset, epochs int) (*Trainer, error) {
	b, err := os.ReadFile(filepath.Join(dir, ckptState))
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	var st checkpointState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("resume: %s: %w", filepath.Join(dir, ckptState), err)
	}
	if st.Format != ckptFormat {
		return nil, fmt.Errorf("resume: %s is not a lookalike checkpoint", dir)
	}
	if !slices.Equal(st.Classes, ds.Classes) {
		return nil, fmt.Errorf("resume: the checkpoint was trained on classes %v, the data has %v", st.Classes, ds.Classes)
	}
	wpath := filepath.Join(dir, ckptWeights)
	sum, err := nn.FileSHA256(wpath)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if sum != st.Weights {
		return nil, fmt.Errorf("resume: %s does not match %s (interrupted while saving?)", wpath, ckptState)
	}
	ts, _, err := nn.ReadSafetensors(wpath)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	m, err := nn.FromSpecs(st.Name, st.Size, st.Channels, st.Layers)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	weights, moments := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
	for name, v := range ts {
		if rest, ok := strings.CutPrefix(name, "model."); ok {
			weights[rest] = v
		} else {
			moments[name] = v
		}
	}
	if err := m.LoadStateDict(weights); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(st.RNG); err != nil {
		return nil, fmt.Errorf("resume: sampler state: %w", err)
	}
	cfg := st.Config
	if epochs > cfg.Epochs {
		cfg.Epochs = epochs
	}
	t, err := newTrainer(cfg, m, ds, pcg)
	if err != nil {
		return nil, err
	}
	if err := t.opt.SetState(moments, st.Step); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	t.History = st.History
	t.elapsed = time.Duration(st.Elapsed * float64(time.Second))
	return t, nil
}
