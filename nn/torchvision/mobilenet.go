package torchvision

import (
	"fmt"
	"math"

	"github.com/lookalike/lookalike/nn"
)

// bneck is one inverted residual block of MobileNetV3 (torchvision's
// InvertedResidualConfig): kernel, expanded and output channels,
// squeeze-and-excitation, hardswish (else ReLU), stride.
type bneck struct {
	k, exp, out int
	se, hs      bool
	stride      int
}

// mobilenetV3Large is torchvision's inverted_residual_setting for
// mobilenet_v3_large (input 16 channels after the stem).
var mobilenetV3Large = []bneck{
	{3, 16, 16, false, false, 1},
	{3, 64, 24, false, false, 2},
	{3, 72, 24, false, false, 1},
	{5, 72, 40, true, false, 2},
	{5, 120, 40, true, false, 1},
	{5, 120, 40, true, false, 1},
	{3, 240, 80, false, true, 2},
	{3, 200, 80, false, true, 1},
	{3, 184, 80, false, true, 1},
	{3, 184, 80, false, true, 1},
	{3, 480, 112, true, true, 1},
	{3, 672, 112, true, true, 1},
	{5, 672, 160, true, true, 2},
	{5, 960, 160, true, true, 1},
	{5, 960, 160, true, true, 1},
}

// mobilenetBNEpsilon is MobileNetV3's BatchNorm epsilon in torchvision.
const mobilenetBNEpsilon = 1e-3

// mobilenetArch is torchvision's MobileNetV3 with the given blocks.
func mobilenetArch(summary string, blocks []bneck, last int) architecture {
	return architecture{
		summary: summary,
		ignored: []string{"classifier."},
		build: func(b *builder) ([]nn.Layer, int, error) {
			return b.mobilenetV3(blocks, last)
		},
	}
}

// makeDivisible is torchvision's _make_divisible(v, 8): v rounded to the
// nearest multiple of 8, never below 90% of v.
func makeDivisible(v float64) int {
	n := max(8, int(v+4)/8*8)
	if float64(n) < 0.9*v {
		n += 8
	}
	return n
}

// act returns hardswish or ReLU.
func act(hs bool) nn.Layer {
	if hs {
		return nn.NewHardswish()
	}
	return nn.NewReLU()
}

// mobilenetV3 builds the stem (3x3 stride-2 convolution to 16 channels,
// hardswish), the inverted residual blocks, the last 1x1 convolution to
// last channels with hardswish, and global average pooling: the features
// torchvision's classifier reads.
func (b *builder) mobilenetV3(blocks []bneck, last int) ([]nn.Layer, int, error) {
	b.eps = mobilenetBNEpsilon
	defer func() { b.eps = 0 }()
	stem, err := b.convBN("features.0.0", "features.0.1", 3, 16, 3, 2, 1)
	if err != nil {
		return nil, 0, err
	}
	layers := []nn.Layer{stem, nn.NewHardswish()}
	in := 16
	for i, c := range blocks {
		blk, err := b.invertedResidual(fmt.Sprintf("features.%d.block", i+1), in, c)
		if err != nil {
			return nil, 0, err
		}
		layers = append(layers, blk...)
		in = c.out
	}
	p := fmt.Sprintf("features.%d", len(blocks)+1)
	head, err := b.convBN(p+".0", p+".1", in, last, 1, 1, 0)
	if err != nil {
		return nil, 0, err
	}
	return append(layers, head, nn.NewHardswish(), nn.NewGlobalAvgPool()), last, nil
}

// invertedResidual is torchvision's InvertedResidual: an optional 1x1
// expansion, the depthwise convolution, optional squeeze-and-excitation,
// the 1x1 projection without activation, and the identity shortcut when
// the shape is kept (a linear residual block).
func (b *builder) invertedResidual(p string, in int, c bneck) ([]nn.Layer, error) {
	var inner []nn.Layer
	j := 0
	if c.exp != in {
		e, err := b.convBN(fmt.Sprintf("%s.%d.0", p, j), fmt.Sprintf("%s.%d.1", p, j), in, c.exp, 1, 1, 0)
		if err != nil {
			return nil, err
		}
		inner = append(inner, e, act(c.hs))
		j++
	}
	dw, err := b.depthwiseBN(fmt.Sprintf("%s.%d.0", p, j), fmt.Sprintf("%s.%d.1", p, j), c.exp, c.k, c.stride, (c.k-1)/2)
	if err != nil {
		return nil, err
	}
	inner = append(inner, dw, act(c.hs))
	j++
	if c.se {
		se, err := b.squeezeExcite(fmt.Sprintf("%s.%d", p, j), c.exp, makeDivisible(float64(c.exp)/4))
		if err != nil {
			return nil, err
		}
		inner = append(inner, se)
		j++
	}
	proj, err := b.convBN(fmt.Sprintf("%s.%d.0", p, j), fmt.Sprintf("%s.%d.1", p, j), c.exp, c.out, 1, 1, 0)
	if err != nil {
		return nil, err
	}
	inner = append(inner, proj)
	if c.stride != 1 || in != c.out {
		return inner, nil // no shortcut: the layers in sequence
	}
	r := nn.NewResidual(inner, nil)
	r.Linear = true
	return []nn.Layer{r}, nil
}

// depthwiseBN is convBN for a depthwise convolution (PyTorch weight
// [c, 1, k, k], groups c).
func (b *builder) depthwiseBN(conv, bn string, c, k, stride, pad int) (*nn.DepthwiseConv2D, error) {
	w, err := b.sd.take(b.used, conv+".weight", c, 1, k, k)
	if err != nil {
		return nil, err
	}
	scale, shift, err := b.bnAffine(bn, c)
	if err != nil {
		return nil, err
	}
	d := nn.NewDepthwiseConv2D(c, k, stride, pad)
	for ch := range c {
		for t := range k * k {
			d.W.Value.Data[t*c+ch] = float32(float64(w.Data[ch*k*k+t]) * scale[ch])
		}
		d.B.Value.Data[ch] = float32(shift[ch])
	}
	return d, nil
}

// squeezeExcite reads torchvision's SqueezeExcitation (fc1 and fc2, 1x1
// convolutions with biases).
func (b *builder) squeezeExcite(p string, c, s int) (*nn.SqueezeExcite, error) {
	se := nn.NewSqueezeExcite(c, s)
	for _, fc := range []struct {
		name    string
		d       *nn.Dense
		in, out int
	}{{"fc1", se.Fc1, c, s}, {"fc2", se.Fc2, s, c}} {
		w, err := b.sd.take(b.used, p+"."+fc.name+".weight", fc.out, fc.in, 1, 1)
		if err != nil {
			return nil, err
		}
		bias, err := b.sd.take(b.used, p+"."+fc.name+".bias", fc.out)
		if err != nil {
			return nil, err
		}
		for o := range fc.out {
			for i := range fc.in {
				fc.d.W.Value.Data[i*fc.out+o] = w.Data[o*fc.in+i] // ours [in, out]
			}
		}
		copy(fc.d.B.Value.Data, bias.Data)
	}
	return se, nil
}

// bnAffine returns the BatchNorm bn's inference transform per channel:
// y = x*scale + shift.
func (b *builder) bnAffine(bn string, c int) (scale, shift []float64, err error) {
	var p [4]Tensor
	for i, n := range []string{"weight", "bias", "running_mean", "running_var"} {
		if p[i], err = b.sd.take(b.used, bn+"."+n, c); err != nil {
			return nil, nil, err
		}
	}
	eps := b.eps
	if eps == 0 {
		eps = bnEpsilon
	}
	scale, shift = make([]float64, c), make([]float64, c)
	for o := range c {
		scale[o] = float64(p[0].Data[o]) / math.Sqrt(float64(p[3].Data[o])+eps)
		shift[o] = float64(p[1].Data[o]) - float64(p[2].Data[o])*scale[o]
	}
	return scale, shift, nil
}
