package torchvision

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/lookalike/lookalike/nn"
)

// ImageNet's per-channel mean and standard deviation, in torchvision's
// preprocessing.
var (
	ImageNetMean = []float64{0.485, 0.456, 0.406}
	ImageNetStd  = []float64{0.229, 0.224, 0.225}
)

// Options configures Import.
type Options struct {
	// Size is the model's input: images are scaled to it (their centred
	// square, as every lookalike model). 0 means 256, torchvision's resize.
	Size int
	// Crop is the centre crop the network sees, at most Size; 0 means
	// 224 (torchvision's evaluation transform), Size means none.
	Crop int
	// Dim, when positive, adds a Dense projection of the pooled features
	// to Dim units (randomly initialised from Seed, for fine-tuning).
	Dim  int
	Seed uint64
}

// An architecture builds the network's layers from a state dict; the
// returned layers end with the pooled features.
type architecture struct {
	summary string
	build   func(b *builder) ([]nn.Layer, int, error)
	// ignored names the classifier's tensors, which the embedding drops.
	ignored []string
}

// architectures are the networks Import knows, by torchvision's names.
var architectures = map[string]architecture{
	"resnet18":           resnetArch("ResNet-18", basic, 2, 2, 2, 2),
	"resnet34":           resnetArch("ResNet-34", basic, 3, 4, 6, 3),
	"resnet50":           resnetArch("ResNet-50", bottleneck, 3, 4, 6, 3),
	"resnet101":          resnetArch("ResNet-101", bottleneck, 3, 4, 23, 3),
	"resnet152":          resnetArch("ResNet-152", bottleneck, 3, 8, 36, 3),
	"mobilenet_v3_large": mobilenetArch("MobileNetV3-Large", mobilenetV3Large, 960),
	"resnext50_32x4d":    resnextArch("ResNeXt-50 32x4d", bottleneck, 32, 4, 3, 4, 6, 3),
	"resnext101_32x8d":   resnextArch("ResNeXt-101 32x8d", bottleneck, 32, 8, 3, 4, 23, 3),
	"wide_resnet50_2":    resnextArch("Wide ResNet-50-2", bottleneck, 1, 128, 3, 4, 6, 3),
}

// Architectures returns the names Import accepts, sorted.
func Architectures() []string {
	var names []string
	for n := range architectures {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Import builds the named torchvision architecture with the weights of sd
// as a lookalike model: Standardize (ImageNet mean and std), CenterCrop to
// opt.Crop, the network with each BatchNorm folded into its convolution
// (inference statistics: a fine-tune keeps them), global average pooling,
// an optional Dense projection, L2 normalisation. A tensor missing or of
// the wrong shape, or one the architecture does not use, is an error.
func Import(arch string, sd StateDict, opt Options) (*nn.Model, error) {
	a, ok := architectures[arch]
	if !ok {
		return nil, fmt.Errorf("import: unknown architecture %q (have %s)", arch, strings.Join(Architectures(), ", "))
	}
	if opt.Size == 0 {
		opt.Size = 256
	}
	if opt.Crop == 0 {
		opt.Crop = min(224, opt.Size)
	}
	if opt.Crop > opt.Size || opt.Crop < 32 {
		return nil, fmt.Errorf("import: crop %d of a %d-pixel input (want 32 to the input size)", opt.Crop, opt.Size)
	}
	b := &builder{sd: sd, used: map[string]bool{}}
	layers := []nn.Layer{nn.NewStandardize(ImageNetMean, ImageNetStd)}
	if opt.Crop < opt.Size {
		layers = append(layers, nn.NewCenterCrop(opt.Crop))
	}
	net, features, err := a.build(b)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", arch, err)
	}
	layers = append(layers, net...)
	if opt.Dim > 0 {
		d := nn.NewDense(features, opt.Dim)
		d.Init(rand.New(rand.NewPCG(opt.Seed, 0x696d706f7274)))
		layers = append(layers, d)
	}
	layers = append(layers, nn.NewL2Normalize())
	for name := range sd {
		if !b.used[name] && !slices.ContainsFunc(a.ignored, func(p string) bool { return strings.HasPrefix(name, p) }) {
			return nil, fmt.Errorf("import %s: the weights hold %s, which %s has not: another architecture's weights?", arch, name, a.summary)
		}
	}
	return nn.NewModel(arch, opt.Size, 3, layers...)
}

// builder reads a state dict's tensors into layers.
type builder struct {
	sd   StateDict
	used map[string]bool
	eps  float64 // BatchNorm epsilon, 0 for bnEpsilon
	// groups and widthPerGroup shape ResNet bottlenecks (1 and 64 for
	// the plain ResNet).
	groups, widthPerGroup int
}

// groupedBN is convBN for a grouped convolution (PyTorch weight [out,
// in/groups, k, k]).
func (b *builder) groupedBN(conv, bn string, in, out, k, stride, pad, groups int) (*nn.GroupedConv2D, error) {
	inG, outG := in/groups, out/groups
	w, err := b.sd.take(b.used, conv+".weight", out, inG, k, k)
	if err != nil {
		return nil, err
	}
	scale, shift, err := b.bnAffine(bn, out)
	if err != nil {
		return nil, err
	}
	gc := nn.NewGroupedConv2D(in, out, k, stride, pad, groups)
	for g, c := range gc.Convs {
		kw := c.W.Value.Data // [k, k, inG, outG]
		for j := range outG {
			o := g*outG + j
			for i := range inG {
				for y := range k {
					for x := range k {
						kw[((y*k+x)*inG+i)*outG+j] = float32(float64(w.Data[((o*inG+i)*k+y)*k+x]) * scale[o])
					}
				}
			}
			c.B.Value.Data[j] = float32(shift[o])
		}
	}
	return gc, nil
}

// bnEpsilon is torchvision's BatchNorm2d epsilon.
const bnEpsilon = 1e-5

// convBN returns the convolution conv (PyTorch weight [out, in, k, k], no
// bias) followed by the BatchNorm bn in inference, as one convolution with
// a bias: W' = W γ/√(σ²+ε), b' = β - μ γ/√(σ²+ε) per output channel.
func (b *builder) convBN(conv, bn string, in, out, k, stride, pad int) (*nn.Conv2D, error) {
	w, err := b.sd.take(b.used, conv+".weight", out, in, k, k)
	if err != nil {
		return nil, err
	}
	scale, shift, err := b.bnAffine(bn, out)
	if err != nil {
		return nil, err
	}
	c := nn.NewConv2DPadded(in, out, k, stride, pad)
	// Ours is [k, k, in, out]; PyTorch's [out, in, k, k].
	kw := c.W.Value.Data
	for o := range out {
		for i := range in {
			for y := range k {
				for x := range k {
					kw[((y*k+x)*in+i)*out+o] = float32(float64(w.Data[((o*in+i)*k+y)*k+x]) * scale[o])
				}
			}
		}
		c.B.Value.Data[o] = float32(shift[o])
	}
	return c, nil
}
