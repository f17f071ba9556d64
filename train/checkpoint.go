package train

import (
	"encoding/json"
	"fmt"
	"maps"
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

// A checkpoint directory holds the model weights, the loss's parameters,
// the optimiser's and the weight average's tensors in
// checkpoint.safetensors, and everything else needed to continue exactly
// where training stopped (settings, step, loss history) in
// checkpoint.json, which names the SHA-256 of the weights it belongs to.
// Batches and augmentations are functions of the seed and the step, so
// no random state needs saving.
const (
	ckptWeights = "checkpoint.safetensors"
	ckptState   = "checkpoint.json"
	ckptFormat  = "lookalike-checkpoint"
	ckptVersion = 2
)

type checkpointState struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	Config     Config      `json:"config"`
	Step       int         `json:"step"`
	EMAUpdates int         `json:"ema_updates,omitempty"`
	Classes    []string    `json:"classes"`
	Name       string      `json:"model_name"`
	Size       int         `json:"input_size"`
	Channels   int         `json:"input_channels"`
	Layers     []nn.Spec   `json:"layers"`
	Elapsed    float64     `json:"elapsed_seconds"`
	Weights    string      `json:"weights_sha256"`
	History    []Record    `json:"history"`
	Val        []ValRecord `json:"validation,omitempty"`
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
	for _, p := range t.loss.Params() {
		ts["loss."+p.Name] = p.Value
	}
	st, step := t.opt.State()
	maps.Copy(ts, st)
	var emaUpdates int
	if t.ema != nil {
		var es map[string]*tensor.Tensor
		es, emaUpdates = t.ema.State()
		maps.Copy(ts, es)
	}
	wpath := filepath.Join(dir, ckptWeights)
	if err := nn.WriteSafetensors(wpath, ts, map[string]string{"format": ckptFormat}); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	sum, err := nn.FileSHA256(wpath)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	state := checkpointState{
		Format: ckptFormat, Version: ckptVersion, Config: t.Config, Step: step, EMAUpdates: emaUpdates, Classes: t.Classes,
		Name: t.Model.Name, Size: t.Model.Size, Channels: t.Model.Channels, Layers: t.Model.Specs(),
		Elapsed: t.elapsed.Seconds(), Weights: sum, History: t.History, Val: t.Val,
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
	if st.Version != ckptVersion {
		return nil, fmt.Errorf("resume: %s is a checkpoint of version %d, this lookalike continues version %d only: train afresh", dir, st.Version, ckptVersion)
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
	weights, rest := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
	for name, v := range ts {
		if w, ok := strings.CutPrefix(name, "model."); ok {
			weights[w] = v
		} else {
			rest[name] = v
		}
	}
	if err := m.LoadStateDict(weights); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	cfg := st.Config
	if epochs > cfg.Epochs {
		cfg.Epochs = epochs
	}
	t, err := newTrainer(cfg, m, ds)
	if err != nil {
		return nil, err
	}
	for _, p := range t.loss.Params() {
		v, ok := rest["loss."+p.Name]
		if !ok || !v.SameShape(p.Value) {
			return nil, fmt.Errorf("resume: the loss's %s is missing or of the wrong shape", p.Name)
		}
		copy(p.Value.Data, v.Data)
	}
	if err := t.opt.SetState(rest, st.Step); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if t.ema != nil {
		if err := t.ema.SetState(rest, st.EMAUpdates); err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
	}
	t.History, t.Val = st.History, st.Val
	t.elapsed = time.Duration(st.Elapsed * float64(time.Second))
	return t, nil
}
