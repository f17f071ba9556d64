package nn

import (
	"fmt"
	"math"
)

// Spec is the serialisable description of one layer: its type and
// configuration, without weights. Unused fields are omitted from JSON.
type Spec struct {
	Type    string `json:"type"`
	Filters int    `json:"filters,omitempty"`
	Kernel  int    `json:"kernel,omitempty"`
	Stride  int    `json:"stride,omitempty"`
	Padding string `json:"padding,omitempty"`
	// Groups is a grouped_conv2d's number of channel groups.
	Groups int `json:"groups,omitempty"`
	// Pad is the padding on every side of an "explicit" conv2d or of a
	// max_pool.
	Pad     int     `json:"pad,omitempty"`
	Units   int     `json:"units,omitempty"`
	Scale   float64 `json:"scale,omitempty"`
	InC     int     `json:"in_channels,omitempty"`
	InUnits int     `json:"in_units,omitempty"`
	// Mean and Std configure standardize, per channel.
	Mean []float64 `json:"mean,omitempty"`
	Std  []float64 `json:"std,omitempty"`
	// Momentum and Epsilon configure batch_norm, in PyTorch's convention;
	// zero means the default (0.1 and 1e-5).
	Momentum float64 `json:"momentum,omitempty"`
	Epsilon  float64 `json:"epsilon,omitempty"`
	// FrozenScale makes batch_norm's scale a fixed 1 instead of trained.
	FrozenScale bool `json:"frozen_scale,omitempty"`
	// FrozenKernel makes conv2d's kernel fixed (a whitening layer).
	FrozenKernel bool `json:"frozen_kernel,omitempty"`
	// Layers and Shortcut are the two branches of a residual block; an
	// empty Shortcut is the identity.
	Layers   []Spec `json:"layers,omitempty"`
	Shortcut []Spec `json:"shortcut,omitempty"`
	// Linear makes a residual block's sum the output, without ReLU.
	Linear bool `json:"linear,omitempty"`
}

// LayerFromSpec builds a layer from its description, with zero weights.
func LayerFromSpec(s Spec) (Layer, error) {
	switch s.Type {
	case "depthwise_conv2d":
		if s.InC <= 0 || s.Kernel <= 0 || s.Stride <= 0 || s.Pad < 0 || s.Pad >= s.Kernel {
			return nil, fmt.Errorf("depthwise_conv2d: bad configuration %+v", s)
		}
		return NewDepthwiseConv2D(s.InC, s.Kernel, s.Stride, s.Pad), nil
	case "grouped_conv2d":
		if s.InC <= 0 || s.Filters <= 0 || s.Kernel <= 0 || s.Stride <= 0 || s.Pad < 0 || s.Pad >= s.Kernel ||
			s.Groups <= 0 || s.InC%s.Groups != 0 || s.Filters%s.Groups != 0 {
			return nil, fmt.Errorf("grouped_conv2d: bad configuration %+v", s)
		}
		return NewGroupedConv2D(s.InC, s.Filters, s.Kernel, s.Stride, s.Pad, s.Groups), nil
	case "hardswish":
		return NewHardswish(), nil
	case "squeeze_excite":
		if s.InC <= 0 || s.Units <= 0 {
			return nil, fmt.Errorf("squeeze_excite: bad configuration %+v", s)
		}
		return NewSqueezeExcite(s.InC, s.Units), nil
	case "standardize":
		if len(s.Mean) == 0 || len(s.Mean) != len(s.Std) {
			return nil, fmt.Errorf("standardize: %d means and %d standard deviations", len(s.Mean), len(s.Std))
		}
		for _, v := range s.Std {
			if !(v > 0) {
				return nil, fmt.Errorf("standardize: standard deviation %v", v)
			}
		}
		return NewStandardize(s.Mean, s.Std), nil
	case "center_crop":
		if s.Units <= 0 {
			return nil, fmt.Errorf("center_crop: side %d", s.Units)
		}
		return NewCenterCrop(s.Units), nil
	case "rescaling":
		return NewRescaling(float32(s.Scale)), nil
	case "conv2d":
		if s.InC <= 0 || s.Filters <= 0 || s.Kernel <= 0 || s.Stride <= 0 {
			return nil, fmt.Errorf("conv2d: bad configuration %+v", s)
		}
		pad, err := ParsePadding(s.Padding)
		if err != nil {
			return nil, err
		}
		if s.Pad < 0 || s.Pad >= s.Kernel || s.Pad > 0 && pad != Explicit {
			return nil, fmt.Errorf("conv2d: padding %d with mode %s and kernel %d", s.Pad, pad, s.Kernel)
		}
		c := NewConv2D(s.InC, s.Filters, s.Kernel, s.Stride, pad)
		c.P = s.Pad
		c.FrozenKernel = s.FrozenKernel
		return c, nil
	case "relu":
		return NewReLU(), nil
	case "gelu":
		return NewGELU(), nil
	case "max_pool":
		if s.Kernel <= 0 || s.Stride <= 0 {
			return nil, fmt.Errorf("max_pool: bad configuration %+v", s)
		}
		return NewMaxPool2DPadded(s.Kernel, s.Stride, s.Pad), nil
	case "global_avg_pool":
		return NewGlobalAvgPool(), nil
	case "dense":
		if s.InUnits <= 0 || s.Units <= 0 {
			return nil, fmt.Errorf("dense: bad configuration %+v", s)
		}
		return NewDense(s.InUnits, s.Units), nil
	case "l2_normalize":
		return NewL2Normalize(), nil
	case "batch_norm":
		if s.InC <= 0 || s.Momentum < 0 || s.Momentum > 1 || s.Epsilon < 0 {
			return nil, fmt.Errorf("batch_norm: bad configuration %+v", s)
		}
		mom, eps := s.Momentum, s.Epsilon
		if mom == 0 {
			mom = DefaultBNMomentum
		}
		if eps == 0 {
			eps = DefaultBNEpsilon
		}
		bn := NewBatchNormWith(s.InC, mom, eps)
		bn.FrozenScale = s.FrozenScale
		return bn, nil
	case "residual":
		if len(s.Layers) == 0 {
			return nil, fmt.Errorf("residual: no layers")
		}
		inner, err := layersFromSpecs(s.Layers)
		if err != nil {
			return nil, fmt.Errorf("residual: %w", err)
		}
		shortcut, err := layersFromSpecs(s.Shortcut)
		if err != nil {
			return nil, fmt.Errorf("residual shortcut: %w", err)
		}
		r := NewResidual(inner, shortcut)
		r.Linear = s.Linear
		return r, nil
	}
	return nil, fmt.Errorf("unknown layer type %q", s.Type)
}

// layersFromSpecs builds a layer for each description.
func layersFromSpecs(specs []Spec) ([]Layer, error) {
	var layers []Layer
	for i, s := range specs {
		l, err := LayerFromSpec(s)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		layers = append(layers, l)
	}
	return layers, nil
}

func sqrt64(x float64) float64 { return math.Sqrt(x) }
