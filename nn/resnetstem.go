package nn

// ResNetStem is a ResNet for photo-sized input (size x size x 3, 96 to 224
// pixels and up; at least 16): an early-downsampling stem, two 3x3
// stride-2 convolutions to 32 and 64 channels with BatchNorm and ReLU
// (size/4 on each side, as ResNet's 7x7 convolution and max pool), then
// four basic residual blocks (64→64, 64→128, 128→256, 256→256, the last
// three with stride 2; see NewResidualBlock), global average pooling, a
// Dense layer of dim units and L2 normalisation. At 128 pixels the blocks
// run on 32, 16, 8 and 4 pixels: 0.24 G multiply-adds per image forward
// (airbench's network takes 0.12 G at 32 pixels), so that larger inputs
// cost what their detail needs and no more.
func ResNetStem(dim, size int) (*Model, error) {
	return NewModel("resnet-stem", size, 3,
		NewRescaling(1.0/255),
		NewConv2D(3, 32, 3, 2, Same), NewBatchNorm(32), NewReLU(),
		NewConv2D(32, 64, 3, 2, Same), NewBatchNorm(64), NewReLU(),
		NewResidualBlock(64, 64, 1),
		NewResidualBlock(64, 128, 2),
		NewResidualBlock(128, 256, 2),
		NewResidualBlock(256, 256, 2),
		NewGlobalAvgPool(),
		NewDense(256, dim),
		NewL2Normalize(),
	)
}
