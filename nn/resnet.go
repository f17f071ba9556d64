package nn

// ResNetSmall is a small ResNet for size x size x 3 input (32 in the
// benchmarks; its global pooling takes any size): scaling by 1/255, a 3x3
// convolution to 64 channels with BatchNorm and ReLU, three basic residual
// blocks (64→64, 64→128 with stride 2, 128→256 with stride 2; see
// NewResidualBlock), global average pooling, a Dense layer of dim units and
// L2 normalisation.
//
// The convolutions keep their bias although BatchNorm follows them, and the
// stride-2 3x3 "same" convolutions pad as TensorFlow does (the extra row
// and column at the bottom and right); a PyTorch twin pads with
// F.pad(x, (0, 1, 0, 1)) and padding=0 for those.
func ResNetSmall(dim, size int) (*Model, error) {
	return NewModel("resnet-small", size, 3,
		NewRescaling(1.0/255),
		NewConv2D(3, 64, 3, 1, Same), NewBatchNorm(64), NewReLU(),
		NewResidualBlock(64, 64, 1),
		NewResidualBlock(64, 128, 2),
		NewResidualBlock(128, 256, 2),
		NewGlobalAvgPool(),
		NewDense(256, dim),
		NewL2Normalize(),
	)
}
