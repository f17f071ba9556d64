package nn

// fastNetWidths are the channel widths of FastNet's three conv groups.
var fastNetWidths = [3]int{64, 256, 256}

// FastNet is the network of Keller Jordan's airbench94 (CIFAR-10 to 94% in
// a few epochs) as an embedding model for size x size x 3 input (32 for
// CIFAR-10; at least 25, and every size works: the pools take what is left
// and the global pooling averages it): scaling by 1/255,
// a frozen 2x2 patch-whitening convolution to 24 channels (InitWhitening
// sets it from the training images) with GELU, three conv groups of widths
// 64, 256 and 256, each a 3x3 convolution, 2x2 max pooling, BatchNorm and
// GELU, then a 3x3 convolution, BatchNorm and GELU, a 3x3 max pool over
// what is left, and the 256 features, L2-normalised (with a Dense layer to
// dim first when dim is not 256). Its BatchNorms follow airbench: momentum
// 0.6, epsilon 1e-12, a frozen scale of 1.
func FastNet(dim, size int) (*Model, error) {
	bn := func(c int) *BatchNorm {
		l := NewBatchNormWith(c, 0.6, 1e-12)
		l.FrozenScale = true
		return l
	}
	whiten := NewConv2D(3, 24, 2, 1, Valid)
	whiten.FrozenKernel = true
	layers := []Layer{NewRescaling(1.0 / 255), whiten, NewGELU()}
	in := 24
	for _, out := range fastNetWidths {
		layers = append(layers,
			NewConv2D(in, out, 3, 1, Same), NewMaxPool2D(2, 2), bn(out), NewGELU(),
			NewConv2D(out, out, 3, 1, Same), bn(out), NewGELU(),
		)
		in = out
	}
	layers = append(layers, NewMaxPool2D(3, 3), NewGlobalAvgPool())
	if dim != in {
		layers = append(layers, NewDense(in, dim))
	}
	layers = append(layers, NewL2Normalize())
	return NewModel("fast", size, 3, layers...)
}

// Whitening returns the model's first convolution when its kernel is
// frozen, to be fitted to the training images (see InitWhitening), with
// the layers before it, which turn pixels into its input; nil otherwise.
func (m *Model) Whitening() (*Conv2D, []Layer) {
	for i, l := range m.Layers {
		if c, ok := l.(*Conv2D); ok {
			if c.FrozenKernel {
				return c, m.Layers[:i]
			}
			return nil, nil
		}
	}
	return nil, nil
}
