package nn

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lookalike/lookalike/internal/atomicfile"
	"github.com/lookalike/lookalike/tensor"
)

// A model directory holds two files:
//
//	model.json          the architecture, class names and training settings
//	model.safetensors   the weights, F32, named "layers.<i>.<kernel|bias>"
//	                    (and, for BatchNorm and residual blocks, names such
//	                    as "layers.<i>.running_mean" and
//	                    "layers.<i>.inner.<j>.gamma")
//
// Any tool that reads JSON and safetensors can load it; the layer specs
// follow Keras's layer names and weight layouts (kernels [kh, kw, in, out]
// for convolutions, [in, out] for dense layers), on NHWC input with 0..255
// pixel values.
const (
	// JSONFile is the name of the architecture file in a model directory.
	JSONFile = "model.json"
	// WeightsFile is the name of the weights file in a model directory.
	WeightsFile = "model.safetensors"
	// FormatName identifies a model.json file.
	FormatName = "lookalike-model"
	// FormatVersion is the version of the model.json layout.
	FormatVersion = 1
)

// Info is the model.json record of a model directory.
type Info struct {
	Format   string   `json:"format"`
	Version  int      `json:"version"`
	Name     string   `json:"name"`
	Size     int      `json:"input_size"`
	Channels int      `json:"input_channels"`
	Dim      int      `json:"embedding_dim"`
	Layers   []Spec   `json:"layers"`
	Classes  []string `json:"classes,omitempty"`
	// FlipTTA is Model.FlipTTA: embeddings average the image and its
	// mirror image.
	FlipTTA bool `json:"flip_tta,omitempty"`
	// TranslateTTA is Model.TranslateTTA: embeddings also average the
	// image translated by this many pixels.
	TranslateTTA int `json:"translate_tta,omitempty"`
	// Precision is Model.Precision, the arithmetic of the matrix
	// products; empty means fp32.
	Precision Precision       `json:"precision,omitempty"`
	Training  json.RawMessage `json:"training,omitempty"`
	// Fingerprint is the SHA-256 of the weights file: indexes record it so
	// that embeddings of different models are never mixed.
	Fingerprint string `json:"fingerprint"`
}

// Save writes the model's weights and info to dir, creating it. Each file
// is replaced atomically; the weights go first so that model.json never
// names weights that are not there.
func Save(dir string, m *Model, classes []string, training any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	if err := WriteSafetensors(filepath.Join(dir, WeightsFile), m.StateDict(), map[string]string{"format": "pt", "model": m.Name}); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	fp, err := FileSHA256(filepath.Join(dir, WeightsFile))
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	info := Info{
		Format: FormatName, Version: FormatVersion, Name: m.Name, Size: m.Size, Channels: m.Channels,
		Dim: m.Dim(), Layers: m.Specs(), Classes: classes, FlipTTA: m.FlipTTA, TranslateTTA: m.TranslateTTA, Fingerprint: fp,
	}
	if p := m.Precision(); p != FP32 {
		info.Precision = p
	}
	if training != nil {
		if info.Training, err = json.Marshal(training); err != nil {
			return fmt.Errorf("save model: training settings: %w", err)
		}
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, JSONFile), append(b, '\n'))
}

// Load reads a model directory written by Save.
func Load(dir string) (*Model, *Info, error) {
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("load model: %s is not a model directory (no %s)", dir, JSONFile)
		}
		return nil, nil, fmt.Errorf("load model: %w", err)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, nil, fmt.Errorf("load model: %s: %w", filepath.Join(dir, JSONFile), err)
	}
	if info.Format != FormatName || info.Version != FormatVersion {
		return nil, nil, fmt.Errorf("load model: %s: format %q version %d, want %q version %d", filepath.Join(dir, JSONFile), info.Format, info.Version, FormatName, FormatVersion)
	}
	m, err := FromSpecs(info.Name, info.Size, info.Channels, info.Layers)
	if err != nil {
		return nil, nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	if info.TranslateTTA < 0 || 2*info.TranslateTTA >= info.Size {
		return nil, nil, fmt.Errorf("load model: %s: translate_tta %d must be in [0, %d)", filepath.Join(dir, JSONFile), info.TranslateTTA, (info.Size+1)/2)
	}
	m.FlipTTA, m.TranslateTTA = info.FlipTTA, info.TranslateTTA
	prec, err := ParsePrecision(string(info.Precision))
	if err != nil {
		return nil, nil, fmt.Errorf("load model: %s: %w", filepath.Join(dir, JSONFile), err)
	}
	m.SetPrecision(prec)
	weights := filepath.Join(dir, WeightsFile)
	ts, _, err := ReadSafetensors(weights)
	if err != nil {
		return nil, nil, fmt.Errorf("load model: %w", err)
	}
	if err := m.LoadStateDict(ts); err != nil {
		return nil, nil, fmt.Errorf("load model %s: %w", weights, err)
	}
	fp, err := FileSHA256(weights)
	if err != nil {
		return nil, nil, fmt.Errorf("load model: %w", err)
	}
	if info.Fingerprint != "" && fp != info.Fingerprint {
		return nil, nil, fmt.Errorf("load model %s: weights do not match %s (fingerprint %s, recorded %s)", dir, JSONFile, fp[:12], info.Fingerprint[:min(12, len(info.Fingerprint))])
	}
	info.Fingerprint = fp
	return m, &info, nil
}

// FromSpecs builds a model with zero weights from layer descriptions.
func FromSpecs(name string, size, channels int, specs []Spec) (*Model, error) {
	layers := make([]Layer, len(specs))
	for i, s := range specs {
		l, err := LayerFromSpec(s)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		layers[i] = l
	}
	return NewModel(name, size, channels, layers...)
}

// StateDict returns the parameters and the state tensors (see Model.State)
// by qualified name; the tensors share the model's memory.
func (m *Model) StateDict() map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	names, ps := m.namedTensors()
	for i, p := range ps {
		out[names[i]] = p.Value
	}
	return out
}

// namedTensors returns the parameters followed by the state tensors, with
// their qualified names.
func (m *Model) namedTensors() ([]string, []*Param) {
	names, ps := m.ParamNames(), m.Params()
	snames, state := m.State()
	return append(names, snames...), append(ps, state...)
}

// LoadStateDict copies named tensors into the parameters and state tensors.
// Every one must be present with its exact shape, and no extra tensor is
// allowed.
func (m *Model) LoadStateDict(ts map[string]*tensor.Tensor) error {
	names, ps := m.namedTensors()
	for i, p := range ps {
		t, ok := ts[names[i]]
		if !ok {
			return fmt.Errorf("missing tensor %s", names[i])
		}
		if !t.SameShape(p.Value) {
			return fmt.Errorf("tensor %s has shape %v, want %v", names[i], t.Shape, p.Value.Shape)
		}
		copy(p.Value.Data, t.Data)
	}
	if len(ts) != len(names) {
		return fmt.Errorf("%d tensors for %d parameters and state tensors", len(ts), len(names))
	}
	return nil
}

// FileSHA256 returns the hex SHA-256 of a file, the fingerprint that model
// files and indexes use to tell models apart.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
