package torchvision

import (
	"fmt"

	"github.com/lookalike/lookalike/nn"
)

// block is a ResNet block kind.
type block int

const (
	basic      block = iota // two 3x3 convolutions (ResNet-18, -34)
	bottleneck              // 1x1, 3x3, 1x1 with 4x expansion (ResNet-50 and up)
)

// resnetArch is torchvision's ResNet with the given blocks per stage.
func resnetArch(summary string, kind block, stages ...int) architecture {
	return resnextArch(summary, kind, 1, 64, stages...)
}

// resnextArch is a ResNet whose bottlenecks' 3x3 convolutions have groups
// groups of widthPerGroup channels per 64 planes (torchvision's
// ResNeXt and wide ResNets; 1 and 64 for the plain ResNet).
func resnextArch(summary string, kind block, groups, widthPerGroup int, stages ...int) architecture {
	return architecture{
		summary: summary,
		ignored: []string{"fc."},
		build: func(b *builder) ([]nn.Layer, int, error) {
			b.groups, b.widthPerGroup = groups, widthPerGroup
			return b.resnet(kind, stages)
		},
	}
}

// resnet builds the stem (7x7 stride-2 convolution, BatchNorm, ReLU, 3x3
// stride-2 max pool), the four stages of blocks (64, 128, 256 and 512
// channels, the last three starting with stride 2; torchvision's v1.5
// puts a bottleneck's stride on its 3x3) and global average pooling.
func (b *builder) resnet(kind block, stages []int) ([]nn.Layer, int, error) {
	stem, err := b.convBN("conv1", "bn1", 3, 64, 7, 2, 3)
	if err != nil {
		return nil, 0, err
	}
	layers := []nn.Layer{stem, nn.NewReLU(), nn.NewMaxPool2DPadded(3, 2, 1)}
	expansion := 1
	if kind == bottleneck {
		expansion = 4
	}
	in := 64
	for s, n := range stages {
		planes := 64 << s
		for j := range n {
			stride := 1
			if j == 0 && s > 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d", s+1, j)
			var blk *nn.Residual
			if kind == basic {
				blk, err = b.basicBlock(p, in, planes, stride)
			} else {
				blk, err = b.bottleneckBlock(p, in, planes, stride)
			}
			if err != nil {
				return nil, 0, err
			}
			layers = append(layers, blk)
			in = planes * expansion
		}
	}
	return append(layers, nn.NewGlobalAvgPool()), in, nil
}

// shortcut returns the block's downsample branch (1x1 convolution with
// the stride and BatchNorm) when the shape changes, nil otherwise.
func (b *builder) shortcut(p string, in, out, stride int) ([]nn.Layer, error) {
	if stride == 1 && in == out {
		return nil, nil
	}
	c, err := b.convBN(p+".downsample.0", p+".downsample.1", in, out, 1, stride, 0)
	if err != nil {
		return nil, err
	}
	return []nn.Layer{c}, nil
}

// basicBlock is torchvision's BasicBlock.
func (b *builder) basicBlock(p string, in, planes, stride int) (*nn.Residual, error) {
	c1, err := b.convBN(p+".conv1", p+".bn1", in, planes, 3, stride, 1)
	if err != nil {
		return nil, err
	}
	c2, err := b.convBN(p+".conv2", p+".bn2", planes, planes, 3, 1, 1)
	if err != nil {
		return nil, err
	}
	sc, err := b.shortcut(p, in, planes, stride)
	if err != nil {
		return nil, err
	}
	return nn.NewResidual([]nn.Layer{c1, nn.NewReLU(), c2}, sc), nil
}

// bottleneckBlock is torchvision's Bottleneck (expansion 4), its 3x3
// convolution of planes*widthPerGroup/64*groups channels in groups.
func (b *builder) bottleneckBlock(p string, in, planes, stride int) (*nn.Residual, error) {
	width := planes * b.widthPerGroup / 64 * b.groups
	c1, err := b.convBN(p+".conv1", p+".bn1", in, width, 1, 1, 0)
	if err != nil {
		return nil, err
	}
	var c2 nn.Layer
	if b.groups == 1 {
		c2, err = b.convBN(p+".conv2", p+".bn2", width, width, 3, stride, 1)
	} else {
		c2, err = b.groupedBN(p+".conv2", p+".bn2", width, width, 3, stride, 1, b.groups)
	}
	if err != nil {
		return nil, err
	}
	c3, err := b.convBN(p+".conv3", p+".bn3", width, planes*4, 1, 1, 0)
	if err != nil {
		return nil, err
	}
	sc, err := b.shortcut(p, in, planes*4, stride)
	if err != nil {
		return nil, err
	}
	return nn.NewResidual([]nn.Layer{c1, nn.NewReLU(), c2, nn.NewReLU(), c3}, sc), nil
}
