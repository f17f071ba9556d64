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
// checkpoint-<hash>.safetensors, and everything else needed to continue
// exactly where training stopped (settings, step, loss history) in
// checkpoint.json, which names that file and its SHA-256. A new checkpoint
// writes its tensors to a new file before checkpoint.json points at it,
// and only then removes the old one, so a process killed at any moment
// leaves a complete checkpoint.
// Batches and augmentations are functions of the seed and the step, so
// no random state needs saving.
const (
	ckptState   = "checkpoint.json"
	ckptFormat  = "lookalike-checkpoint"
	ckptVersion = 2
)

type checkpointState struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Config     Config    `json:"config"`
	Step       int       `json:"step"`
	EMAUpdates int       `json:"ema_updates,omitempty"`
	Classes    []string  `json:"classes"`
	Name       string    `json:"model_name"`
	Size       int       `json:"input_size"`
	Channels   int       `json:"input_channels"`
	Layers     []nn.Spec `json:"layers"`
	Elapsed    float64   `json:"elapsed_seconds"`
	Weights    string    `json:"weights_sha256"`
	File       string    `json:"weights_file"`
	History    []Record  `json:"history"`
	// Images is the number of training images, ValFraction the share of
	// the data held back from them (see CheckpointValFraction).
	Images      int         `json:"images"`
	ValFraction float64     `json:"val_fraction,omitempty"`
	Val         []ValRecord `json:"validation,omitempty"`
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
	tmp := filepath.Join(dir, fmt.Sprintf("checkpoint-step%d.safetensors", step))
	if err := nn.WriteSafetensors(tmp, ts, map[string]string{"format": ckptFormat}); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	sum, err := nn.FileSHA256(tmp)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	name := "checkpoint-" + sum[:16] + ".safetensors"
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "checkpoint*.safetensors"))
	state := checkpointState{
		Format: ckptFormat, Version: ckptVersion, Config: t.Config, Step: step, EMAUpdates: emaUpdates, Classes: t.Classes,
		Name: t.Model.Name, Size: t.Model.Size, Channels: t.Model.Channels, Layers: t.Model.Specs(),
		Elapsed: t.elapsed.Seconds(), Weights: sum, File: name, History: t.History, Val: t.Val,
		Images: t.ds.Len(), ValFraction: t.ValFraction,
	}
	b, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, ckptState), b); err != nil {
		return err
	}
	for _, o := range old {
		if filepath.Base(o) != name {
			os.Remove(o)
		}
	}
	return nil
}

// HasCheckpoint reports whether dir holds a checkpoint.
func HasCheckpoint(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ckptState))
	return err == nil
}

// CheckpointValFraction returns the share of the data the run in the
// checkpoint directory dir held back for validation (with its seed), so
// that a resumed run splits its data the same way.
func CheckpointValFraction(dir string) (fraction float64, seed uint64, err error) {
	b, err := os.ReadFile(filepath.Join(dir, ckptState))
	if err != nil {
		return 0, 0, fmt.Errorf("resume: %w", err)
	}
	var st checkpointState
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, 0, fmt.Errorf("resume: %s: %w", filepath.Join(dir, ckptState), err)
	}
	return st.ValFraction, st.Config.Seed, nil
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
	if st.File == "" || filepath.Base(st.File) != st.File {
		return nil, fmt.Errorf("resume: %s names no weights file", filepath.Join(dir, ckptState))
	}
	if st.Images != ds.Len() {
		return nil, fmt.Errorf("resume: the checkpoint was trained on %d images, the data has %d (another folder, or another --val-fraction?)", st.Images, ds.Len())
	}
	wpath := filepath.Join(dir, st.File)
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
	t.History, t.Val, t.ValFraction = st.History, st.Val, st.ValFraction
	t.elapsed = time.Duration(st.Elapsed * float64(time.Second))
	return t, nil
}
