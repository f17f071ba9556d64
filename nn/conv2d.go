package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// Padding is a convolution's padding mode, as in Keras.
type Padding int

const (
	// Valid uses no padding: the output shrinks by the kernel size.
	Valid Padding = iota
	// Same pads with zeros so that the output is ceil(input/stride); the
	// extra row or column, when the padding is odd, goes to the bottom and
	// right, as TensorFlow does.
	Same
	// Explicit pads every side with the convolution's P rows and columns
	// of zeros, as PyTorch's padding=P: the output is
	// (input+2P-K)/stride+1.
	Explicit
)

// String returns "valid", "same" or "explicit".
func (p Padding) String() string {
	switch p {
	case Same:
		return "same"
	case Explicit:
		return "explicit"
	}
	return "valid"
}

// ParsePadding parses "valid", "same" or "explicit".
func ParsePadding(s string) (Padding, error) {
	switch s {
	case "valid", "":
		return Valid, nil
	case "same":
		return Same, nil
	case "explicit":
		return Explicit, nil
	}
	return 0, fmt.Errorf("unknown padding %q (want valid, same or explicit)", s)
}

// Conv2D is a 2-D convolution over NHWC input with a square kernel, a bias
// and a stride. Its kernel has the Keras layout [k, k, in, out], which as a
// (k*k*in) x out matrix multiplies the im2col matrix of the input.
type Conv2D struct {
	InC, OutC, K, Stride int
	Pad                  Padding
	P                    int // the padding on every side when Pad is Explicit
	W, B                 *Param
	// FrozenKernel keeps W as set (by InitWhitening, say) instead of
	// training it: W is then state, not a parameter; B still trains.
	FrozenKernel bool

	// Set by Forward for Backward.
	x                  *tensor.Tensor // the input, for recomputing im2col
	in                 []int
	oh, ow, padT, padL int
	col, y, dx         *tensor.Tensor // col is reused for dcol in Backward
	wt                 *tensor.Tensor // the kernel transposed, [out, k*k*in], for Backward
	xb                 *tensor.Tensor // the input in bfloat16 pairs (paired)
	gb                 *tensor.Tensor // a slice of the output gradient in pairs
	colKept            bool           // col holds the whole batch's im2col
	colLimit           int            // overrides maxColFloats, for tests
	unpaired           bool           // turns paired off, for tests
	skipInputGrad      bool
	prec               Precision // of the products (Model.SetPrecision)
}

// NewConv2D returns a convolution with zero weights; Init draws them.
func NewConv2D(inC, outC, k, stride int, pad Padding) *Conv2D {
	return &Conv2D{
		InC: inC, OutC: outC, K: k, Stride: stride, Pad: pad,
		W: newParam("kernel", k, k, inC, outC),
		B: newParam("bias", outC),
	}
}

// NewConv2DPadded returns a convolution with p rows and columns of zero
// padding on every side (PyTorch's Conv2d(inC, outC, k, stride, p)).
func NewConv2DPadded(inC, outC, k, stride, p int) *Conv2D {
	c := NewConv2D(inC, outC, k, stride, Explicit)
	c.P = p
	return c
}

// Init draws the kernel from Glorot-uniform and zeroes the bias.
func (l *Conv2D) Init(rng *rand.Rand) {
	glorotUniform(rng, l.W.Value.Data, l.K*l.K*l.InC, l.K*l.K*l.OutC)
	l.B.Value.Zero()
}

// SkipInputGrad makes Backward skip the input gradient (and return nil): the
// first layer of a model does not need it.
func (l *Conv2D) SkipInputGrad(skip bool) { l.skipInputGrad = skip }

// geometry returns the output size and top/left padding for an input size.
func (l *Conv2D) geometry(h, w int) (oh, ow, padT, padL int) {
	if l.Pad == Same {
		oh = (h + l.Stride - 1) / l.Stride
		ow = (w + l.Stride - 1) / l.Stride
		padT = max((oh-1)*l.Stride+l.K-h, 0) / 2
		padL = max((ow-1)*l.Stride+l.K-w, 0) / 2
		return
	}
	if l.Pad == Explicit {
		return (h+2*l.P-l.K)/l.Stride + 1, (w+2*l.P-l.K)/l.Stride + 1, l.P, l.P
	}
	return (h-l.K)/l.Stride + 1, (w-l.K)/l.Stride + 1, 0, 0
}

// OutShape returns [n, oh, ow, out] for an input [n, h, w, in].
func (l *Conv2D) OutShape(in []int) ([]int, error) {
	if err := l.check(in); err != nil {
		return nil, err
	}
	oh, ow, _, _ := l.geometry(in[1], in[2])
	return []int{in[0], oh, ow, l.OutC}, nil
}

// check reports whether an input shape fits, without allocating.
func (l *Conv2D) check(in []int) error {
	if len(in) != 4 || in[3] != l.InC {
		return fmt.Errorf("conv2d: input shape %v, want [n h w %d]", in, l.InC)
	}
	oh, ow, _, _ := l.geometry(in[1], in[2])
	if oh <= 0 || ow <= 0 {
		return fmt.Errorf("conv2d: input %dx%d is smaller than the %dx%d kernel", in[1], in[2], l.K, l.K)
	}
	return nil
}

// maxColFloats bounds the im2col buffer of a convolution: a large batch is
// processed a slice of images at a time, so memory does not grow with it.
const maxColFloats = 1 << 22

// chunk returns how many images of a batch of n go through im2col at once.
func (l *Conv2D) chunk(n int) int {
	per := l.oh * l.ow * l.K * l.K * l.InC
	limit := maxColFloats
	if l.colLimit > 0 {
		limit = l.colLimit
	}
	return max(1, min(n, limit/max(per, 1)))
}

// pointwise reports whether the convolution is 1x1 with stride 1, whose
// im2col matrix is the input itself.
func (l *Conv2D) pointwise() bool { return l.K == 1 && l.Stride == 1 && l.padT == 0 && l.padL == 0 }

// cols returns the im2col matrix of images b0..b1 of x, whose pixels have
// c values (l.InC, or l.InC/2 bfloat16 pairs), in l.col unless the
// convolution is pointwise.
func (l *Conv2D) cols(x []float32, c, b0, b1 int) []float32 {
	h, w := l.in[1], l.in[2]
	if l.pointwise() {
		return x[b0*h*w*c : b1*h*w*c]
	}
	kk, per := l.K*l.K*c, l.oh*l.ow
	l.col = tensor.Ensure(l.col, (b1-b0)*per, kk)
	if s := splits(b1-b0, per*kk); s > 1 {
		parallelImages(b1-b0, s, func(i0, i1 int) {
			im2col(x[(b0+i0)*h*w*c:(b0+i1)*h*w*c], l.col.Data[i0*per*kk:i1*per*kk], i1-i0, h, w, c, l.K, l.Stride, l.oh, l.ow, l.padT, l.padL)
		})
	} else {
		im2col(x[b0*h*w*c:b1*h*w*c], l.col.Data, b1-b0, h, w, c, l.K, l.Stride, l.oh, l.ow, l.padT, l.padL)
	}
	return l.col.Data[:(b1-b0)*per*kk]
}

// Forward computes the convolution through im2col and SGEMM, a slice of
// the batch at a time.
func (l *Conv2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	if err := l.check(x.Shape); err != nil {
		panic(err)
	}
	n, h, w := x.Shape[0], x.Shape[1], x.Shape[2]
	l.x = x
	l.in = append(l.in[:0], x.Shape...)
	l.oh, l.ow, l.padT, l.padL = l.geometry(h, w)
	kk, per := l.K*l.K*l.InC, l.oh*l.ow
	l.y = tensor.Ensure(l.y, n, l.oh, l.ow, l.OutC)
	y := l.y.Data
	fillRows(y, l.B.Value.Data)
	chunk := l.chunk(n)
	paired := l.paired()
	if paired {
		l.packInput(x.Data, n, h*w*l.InC)
	}
	for b0 := 0; b0 < n; b0 += chunk {
		b1 := min(b0+chunk, n)
		rows := (b1 - b0) * per
		if paired {
			col := l.cols(l.xb.Data, l.InC/2, b0, b1)
			kernels.SgemmBF16Paired(false, rows, l.OutC, kk, 1, col, kk/2, l.W.Value.Data, l.OutC, 1, y[b0*per*l.OutC:], l.OutC)
			continue
		}
		col := l.cols(x.Data, l.InC, b0, b1)
		l.prec.gemm()(false, false, rows, l.OutC, kk, 1, col, kk, l.W.Value.Data, l.OutC, 1, y[b0*per*l.OutC:], l.OutC)
	}
	// With one slice, the im2col matrix is still there for Backward (not
	// when it was made of pairs: the kernel gradient needs float32).
	l.colKept = chunk >= n && !paired
	return l.y
}

// paired reports whether Forward multiplies by an im2col matrix made of
// bfloat16 pairs: in bfloat16 on a CPU that has it, and with an even number
// of input channels, so that the pairs of a pixel's values never straddle
// two pixels. The input is rounded and packed once (half the floats), so
// im2col copies half the bytes and the product reads it in place.
func (l *Conv2D) paired() bool {
	return l.prec == BF16 && l.InC%2 == 0 && kernels.HasBF16() && !l.unpaired
}

// packInput packs the n images of x, per floats each, into l.xb as
// bfloat16 pairs.
func (l *Conv2D) packInput(x []float32, n, per int) {
	l.xb = tensor.Ensure(l.xb, n*per/2)
	packPairs(l.xb.Data, x, n, per)
}

// packPairs packs n runs of per floats (per even) of x into dst as
// bfloat16 pairs, on several cores when there are many.
func packPairs(dst, x []float32, n, per int) {
	pack := func(i0, i1 int) { kernels.PackBF16(dst[i0*per/2:i1*per/2], x[i0*per:i1*per]) }
	if s := splits(n, per); s > 1 {
		parallelImages(n, s, pack)
	} else {
		pack(0, n)
	}
}

// inputGrad computes rows rows of the input gradient (or of its im2col
// matrix), dst = g * Wᵀ, from their output gradients g. In bfloat16 with
// an even number of output channels, g is packed into pairs once, where
// the product would convert it again for every block of dst's columns.
func (l *Conv2D) inputGrad(dst, g []float32, rows, kk int) {
	if l.prec == BF16 && l.OutC%2 == 0 && kernels.HasBF16() && !l.unpaired {
		l.gb = tensor.Ensure(l.gb, rows*l.OutC/2)
		packPairs(l.gb.Data, g, rows, l.OutC)
		kernels.SgemmBF16Paired(false, rows, kk, l.OutC, 1, l.gb.Data, l.OutC/2, l.wt.Data, kk, 0, dst, kk)
		return
	}
	l.prec.gemm()(false, false, rows, kk, l.OutC, 1, g, l.OutC, l.wt.Data, kk, 0, dst, kk)
}

// Backward accumulates the kernel and bias gradients and returns the input
// gradient through col2im, a slice of the batch at a time (recomputing the
// im2col matrix when Forward needed more than one slice).
func (l *Conv2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n := l.in[0]
	kk, per := l.K*l.K*l.InC, l.oh*l.ow
	db := l.B.Grad.Data
	kernels.SumRows(db, dy.Data, n*per)
	if !l.skipInputGrad {
		l.dx = tensor.Ensure(l.dx, l.in...)
		// The input gradient multiplies by the transposed kernel: made
		// once here, it saves every product (and every goroutine of one)
		// from gathering the transpose while packing.
		l.wt = tensor.Ensure(l.wt, l.OutC, kk)
		transpose(l.wt.Data, l.W.Value.Data, kk, l.OutC)
	}
	h, w, c := l.in[1], l.in[2], l.InC
	chunk := l.chunk(n)
	for b0 := 0; b0 < n; b0 += chunk {
		b1 := min(b0+chunk, n)
		rows := (b1 - b0) * per
		var col []float32
		if l.colKept || l.pointwise() {
			col = l.cols0(b0, b1)
		} else {
			col = l.cols(l.x.Data, l.InC, b0, b1)
		}
		g := dy.Data[b0*per*l.OutC : b1*per*l.OutC]
		if !l.FrozenKernel {
			l.prec.gemm()(true, false, kk, l.OutC, rows, 1, col, kk, g, l.OutC, 1, l.W.Grad.Data, l.OutC)
		}
		if l.skipInputGrad {
			continue
		}
		dx := l.dx.Data[b0*h*w*c : b1*h*w*c]
		if l.pointwise() {
			l.inputGrad(dx, g, rows, kk)
			continue
		}
		// The im2col matrix is no longer needed: its buffer takes dcol.
		dcol := l.col.Data[:rows*kk]
		l.inputGrad(dcol, g, rows, kk)
		if s := splits(b1-b0, per*kk); s > 1 {
			parallelImages(b1-b0, s, func(i0, i1 int) {
				col2im(dcol[i0*per*kk:i1*per*kk], dx[i0*h*w*c:i1*h*w*c], i1-i0, h, w, c, l.K, l.Stride, l.oh, l.ow, l.padT, l.padL)
			})
		} else {
			col2im(dcol, dx, b1-b0, h, w, c, l.K, l.Stride, l.oh, l.ow, l.padT, l.padL)
		}
	}
	if l.skipInputGrad {
		return nil
	}
	return l.dx
}

// cols0 returns the kept im2col matrix of images b0..b1 (the whole batch,
// or the input itself for a pointwise convolution).
func (l *Conv2D) cols0(b0, b1 int) []float32 {
	if l.pointwise() {
		h, w, c := l.in[1], l.in[2], l.InC
		return l.x.Data[b0*h*w*c : b1*h*w*c]
	}
	kk, per := l.K*l.K*l.InC, l.oh*l.ow
	return l.col.Data[b0*per*kk : b1*per*kk]
}

// Params returns the kernel and the bias (the bias alone when the kernel
// is frozen).
func (l *Conv2D) Params() []*Param {
	if l.FrozenKernel {
		return []*Param{l.B}
	}
	return []*Param{l.W, l.B}
}

// State returns the frozen kernel, or nothing.
func (l *Conv2D) State() []*Param {
	if l.FrozenKernel {
		return []*Param{l.W}
	}
	return nil
}

// Spec describes the layer.
func (l *Conv2D) Spec() Spec {
	return Spec{Type: "conv2d", InC: l.InC, Filters: l.OutC, Kernel: l.K, Stride: l.Stride, Padding: l.Pad.String(), Pad: l.P, FrozenKernel: l.FrozenKernel}
}

// fillRows sets every row of dst (len(row) values each) to row, doubling
// the copied part each time: a few long copies instead of one per row,
// which for narrow layers cost more than the rows.
func fillRows(dst, row []float32) {
	if len(dst) == 0 || len(row) == 0 {
		return
	}
	rows := len(dst) / len(row)
	if s := splits(rows, len(row)); s > 1 && len(dst) >= 1<<20 {
		// Large: the two halves on two cores, each by doublings.
		parallelImages(rows, s, func(r0, r1 int) { fillRows(dst[r0*len(row):r1*len(row)], row) })
		return
	}
	n := copy(dst, row)
	for n < len(dst) {
		n += copy(dst[n:], dst[:n])
	}
}

// transpose writes the rows x cols matrix src to dst as cols x rows, in
// tiles that keep both in cache.
func transpose(dst, src []float32, rows, cols int) {
	const tile = 32
	dst, src = dst[:rows*cols], src[:rows*cols]
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < cols; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				row := src[i*cols : (i+1)*cols]
				for j := j0; j < min(j0+tile, cols); j++ {
					dst[j*rows+i] = row[j]
				}
			}
		}
	}
}
