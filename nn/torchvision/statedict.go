// Package torchvision imports ImageNet networks from torchvision weight
// files (a state dict saved with torch.save, read in Go) as lookalike
// models: the network as nn layers with BatchNorm folded into the
// convolutions, torchvision's preprocessing (resize to 256, centre crop to
// 224, ImageNet mean and std) as the model's first layers, and the pooled
// features before the classifier, L2-normalised, as the embedding,
// optionally projected by a new Dense layer.
package torchvision

import (
	"container/list"
	"fmt"
	"slices"
	"strings"

	"github.com/lookalike/lookalike/nn"

	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// Tensor is one tensor of a state dict, contiguous in PyTorch's row-major
// order.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Len returns the number of values the shape holds.
func (t Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// StateDict maps parameter and buffer names to tensors.
type StateDict map[string]Tensor

// ReadPTH reads a state dict saved with torch.save(model.state_dict(),
// path): the zip format of PyTorch 1.6 and later, or the legacy one.
// Float32 tensors are kept; integer buffers (BatchNorm's
// num_batches_tracked) are dropped; other types are an error.
func ReadPTH(path string) (StateDict, error) {
	v, err := pytorch.Load(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	d, ok := v.(*types.OrderedDict)
	if !ok {
		if m, isMap := v.(*types.Dict); isMap {
			return nil, fmt.Errorf("read %s: a dict of %d entries, not a state dict (an OrderedDict of tensors; save model.state_dict())", path, len(*m))
		}
		return nil, fmt.Errorf("read %s: a %T, not a state dict (save model.state_dict(), not the model)", path, v)
	}
	sd := StateDict{}
	for e := d.List.Front(); e != nil; e = e.Next() {
		if err := sd.add(e); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	return sd, nil
}

// add converts one entry of the pickled dictionary.
func (sd StateDict) add(e *list.Element) error {
	entry := e.Value.(*types.OrderedDictEntry)
	name, ok := entry.Key.(string)
	if !ok {
		return fmt.Errorf("a key of type %T", entry.Key)
	}
	t, ok := entry.Value.(*pytorch.Tensor)
	if !ok {
		return fmt.Errorf("%s: a %T, not a tensor", name, entry.Value)
	}
	var src []float32
	switch s := t.Source.(type) {
	case *pytorch.FloatStorage:
		src = s.Data
	case *pytorch.LongStorage, *pytorch.IntStorage:
		return nil // counters such as num_batches_tracked
	default:
		return fmt.Errorf("%s: %T tensors are not supported (convert the model to float32 first)", name, t.Source)
	}
	out := Tensor{Shape: slices.Clone(t.Size)}
	n := out.Len()
	out.Data = make([]float32, n)
	// Gather through the strides: state dicts are usually contiguous,
	// but a view need not be.
	idx := make([]int, len(t.Size))
	for i := range n {
		off := t.StorageOffset
		for d, j := range idx {
			off += j * t.Stride[d]
		}
		if off < 0 || off >= len(src) {
			return fmt.Errorf("%s: element %d at storage offset %d of %d", name, i, off, len(src))
		}
		out.Data[i] = src[off]
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < t.Size[d] {
				break
			}
			idx[d] = 0
		}
	}
	sd[name] = out
	return nil
}

// take returns the tensor name of the given shape and marks it used.
func (sd StateDict) take(used map[string]bool, name string, shape ...int) (Tensor, error) {
	t, ok := sd[name]
	if !ok {
		return Tensor{}, fmt.Errorf("weights: %s is missing", name)
	}
	if !slices.Equal(t.Shape, shape) {
		return Tensor{}, fmt.Errorf("weights: %s has shape %v, the architecture needs %v", name, t.Shape, shape)
	}
	used[name] = true
	return t, nil
}

// ReadWeights reads a state dict from a .safetensors file (float32
// tensors, as torchvision's weights converted with safetensors.torch's
// save_file) or, for any other name, a torch.save file (ReadPTH).
func ReadWeights(path string) (StateDict, error) {
	if !strings.HasSuffix(strings.ToLower(path), ".safetensors") {
		return ReadPTH(path)
	}
	ts, _, err := nn.ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	sd := StateDict{}
	for name, t := range ts {
		sd[name] = Tensor{Shape: slices.Clone(t.Shape), Data: t.Data}
	}
	return sd, nil
}
