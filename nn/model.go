package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/tensor"
)

// Model is a sequential stack of layers that maps a batch of images
// [n, size, size, channels], with pixel values 0..255, to L2-normalised
// embeddings [n, dim].
type Model struct {
	Name     string  // architecture name, such as "keras-small"
	Size     int     // input height and width
	Channels int     // input channels
	Layers   []Layer // applied in order
	// FlipTTA makes Embed return, for each image, the L2-normalised mean
	// of its embedding and its left-right mirror image's (test-time
	// augmentation). Forward is not affected.
	FlipTTA bool
	// TranslateTTA, when positive, also embeds each image translated by
	// TranslateTTA pixels up-left and down-right (reflect padding), as
	// airbench's test-time augmentation does: the embedding is the
	// normalised 1/2, 1/4, 1/4 weighted mean of the image's and the two
	// translations' (each with its mirror image under FlipTTA).
	TranslateTTA int
	// Frozen is the number of leading layers that are not trained: in
	// training they run as in inference (BatchNorm on its running
	// statistics, which stay), Backward stops before them, and
	// TrainableParams leaves their parameters out, so they stay bit for
	// bit (fine-tuning a pretrained network's first layers).
	Frozen int

	prec      Precision      // of the matrix products (SetPrecision)
	x, xf, xt *tensor.Tensor // input buffers for Embed
}

// NewModel checks that the layers fit together on the input and returns the
// model. The first layer skips its input gradient, which no one needs.
func NewModel(name string, size, channels int, layers ...Layer) (*Model, error) {
	m := &Model{Name: name, Size: size, Channels: channels, Layers: layers}
	if _, err := m.OutShape(1); err != nil {
		return nil, err
	}
	for _, l := range layers {
		if c, ok := l.(*Conv2D); ok {
			c.SkipInputGrad(true)
			break
		}
		if len(l.Params()) > 0 {
			break
		}
	}
	return m, nil
}

// OutShape returns the model's output shape for a batch of n.
func (m *Model) OutShape(n int) ([]int, error) {
	shape := []int{n, m.Size, m.Size, m.Channels}
	for i, l := range m.Layers {
		out, err := l.OutShape(shape)
		if err != nil {
			return nil, fmt.Errorf("model %s layer %d: %w", m.Name, i, err)
		}
		shape = out
	}
	return shape, nil
}

// Dim returns the embedding dimension.
func (m *Model) Dim() int {
	s, err := m.OutShape(1)
	if err != nil {
		return 0
	}
	return s[len(s)-1]
}

// Init draws every layer's initial weights from rng.
func (m *Model) Init(rng *rand.Rand) {
	for _, l := range m.Layers {
		if in, ok := l.(Initializer); ok {
			in.Init(rng)
		}
	}
}

// Forward runs the layers on x (the Frozen ones as in inference).
func (m *Model) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	for i, l := range m.Layers {
		x = l.Forward(x, train && i >= m.Frozen)
	}
	return x
}

// Backward propagates the gradient of the loss with respect to the output
// through every layer but the Frozen ones, adding to the parameter
// gradients.
func (m *Model) Backward(dy *tensor.Tensor) {
	for i := len(m.Layers) - 1; i >= m.Frozen && dy != nil; i-- {
		dy = m.Layers[i].Backward(dy)
	}
}

// FreezeBatchNorm makes every BatchNorm layer of the model, inside residual
// blocks too, normalise with its running statistics in training and keep
// them (BatchNorm.FrozenStats).
func (m *Model) FreezeBatchNorm() {
	walkLayers(m.Layers, func(l Layer) {
		if bn, ok := l.(*BatchNorm); ok {
			bn.FrozenStats = true
		}
	})
}

// walkLayers calls fn on every layer of ls and, for residual blocks, on the
// layers inside them.
func walkLayers(ls []Layer, fn func(Layer)) {
	for _, l := range ls {
		fn(l)
		if r, ok := l.(*Residual); ok {
			walkLayers(r.Inner, fn)
			walkLayers(r.Shortcut, fn)
		}
	}
}

// TrainableParams returns the parameters of the layers after the Frozen
// ones, in the order of Params.
func (m *Model) TrainableParams() []*Param {
	var ps []*Param
	for _, l := range m.Layers[min(m.Frozen, len(m.Layers)):] {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// TrainableState returns the state tensors of the layers after the Frozen
// ones (the BatchNorm statistics that training updates).
func (m *Model) TrainableState() []*Param {
	var ps []*Param
	for _, l := range m.Layers[min(m.Frozen, len(m.Layers)):] {
		if s, ok := l.(Stateful); ok {
			ps = append(ps, s.State()...)
		}
	}
	return ps
}

// Params returns the trainable parameters with their names qualified by
// layer, such as "layers.1.kernel".
func (m *Model) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// ParamNames returns the qualified names of Params, in the same order.
func (m *Model) ParamNames() []string {
	var names []string
	for i, l := range m.Layers {
		for _, p := range l.Params() {
			names = append(names, fmt.Sprintf("layers.%d.%s", i, p.Name))
		}
	}
	return names
}

// State returns the non-trainable tensors of the Stateful layers, such as
// BatchNorm's running statistics, with their qualified names such as
// "layers.2.running_mean". Model files save them with the parameters.
func (m *Model) State() (names []string, state []*Param) {
	for i, l := range m.Layers {
		if s, ok := l.(Stateful); ok {
			for _, p := range s.State() {
				names = append(names, fmt.Sprintf("layers.%d.%s", i, p.Name))
				state = append(state, p)
			}
		}
	}
	return names, state
}

// ZeroGrad zeroes every parameter gradient.
func (m *Model) ZeroGrad() {
	for _, p := range m.Params() {
		p.Grad.Zero()
	}
}

// NumParams returns the number of trainable scalars.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		n += p.Value.Len()
	}
	return n
}

// Embed returns the embeddings of n images given as interleaved 0..255
// pixels, computed in batches of at most batch images. The result holds n
// rows of Dim values.
func (m *Model) Embed(pixels []uint8, n, batch int) []float32 {
	dim, per := m.Dim(), m.Size*m.Size*m.Channels
	out := make([]float32, n*dim)
	for start := 0; start < n; start += batch {
		b := min(batch, n-start)
		m.x = tensor.Ensure(m.x, b, m.Size, m.Size, m.Channels)
		for i, p := range pixels[start*per : (start+b)*per] {
			m.x.Data[i] = float32(p)
		}
		rows := out[start*dim : (start+b)*dim]
		if m.TranslateTTA <= 0 {
			m.embedViews(rows, m.x, 1)
		} else {
			clear(rows)
			m.embedViews(rows, m.x, 0.5)
			m.xt = tensor.Ensure(m.xt, b, m.Size, m.Size, m.Channels)
			for _, d := range []int{-m.TranslateTTA, m.TranslateTTA} {
				translate(m.xt.Data, m.x.Data, b, m.Size, m.Channels, d)
				m.embedViews(rows, m.xt, 0.25)
			}
		}
		if m.FlipTTA || m.TranslateTTA > 0 {
			for r := 0; r < b; r++ {
				normalizeRow(rows[r*dim:(r+1)*dim], rows[r*dim:(r+1)*dim])
			}
		}
	}
	return out
}

// embedViews adds w times the embeddings of the images x (the mean of the
// image's and its mirror image's under FlipTTA) to rows; with w = 1 and no
// FlipTTA it sets rows to them.
func (m *Model) embedViews(rows []float32, x *tensor.Tensor, w float32) {
	y := m.Forward(x, false)
	if w == 1 && !m.FlipTTA {
		copy(rows, y.Data)
		return
	}
	if !m.FlipTTA {
		for i, v := range y.Data {
			rows[i] += w * v
		}
		return
	}
	for i, v := range y.Data {
		rows[i] += w / 2 * v
	}
	b := x.Shape[0]
	m.xf = tensor.Ensure(m.xf, b, m.Size, m.Size, m.Channels)
	mirror(m.xf.Data, x.Data, b, m.Size, m.Channels)
	for i, v := range m.Forward(m.xf, false).Data {
		rows[i] += w / 2 * v
	}
}

// translate writes the n size x size images with c channels of src into
// dst shifted by d pixels along both axes, reflecting at the borders:
// dst(y, x) = src(y+d, x+d), an index -1 read as 1 and size as size-2 (as
// PyTorch's reflect padding by |d| and a crop).
func translate(dst, src []float32, n, size, c, d int) {
	refl := func(i int) int {
		if i < 0 {
			return -i
		}
		if i >= size {
			return 2*(size-1) - i
		}
		return i
	}
	for b := range n {
		img, out := src[b*size*size*c:(b+1)*size*size*c], dst[b*size*size*c:(b+1)*size*size*c]
		for y := range size {
			sy := refl(y + d)
			for x := range size {
				sx := refl(x + d)
				copy(out[(y*size+x)*c:(y*size+x+1)*c], img[(sy*size+sx)*c:(sy*size+sx+1)*c])
			}
		}
	}
}

// mirror writes the left-right mirror images of the n size x size images
// with c channels of src into dst.
func mirror(dst, src []float32, n, size, c int) {
	for r := 0; r < n*size; r++ {
		row, out := src[r*size*c:(r+1)*size*c], dst[r*size*c:(r+1)*size*c]
		for x := range size {
			copy(out[(size-1-x)*c:(size-x)*c], row[x*c:(x+1)*c])
		}
	}
}

// Specs returns the description of every layer.
func (m *Model) Specs() []Spec {
	specs := make([]Spec, len(m.Layers))
	for i, l := range m.Layers {
		specs[i] = l.Spec()
	}
	return specs
}

// Clone returns an independent copy of the model: the same architecture
// and weights, with buffers of its own, so that clones can run in parallel
// goroutines (a model is not safe for concurrent use).
func (m *Model) Clone() (*Model, error) {
	c, err := FromSpecs(m.Name, m.Size, m.Channels, m.Specs())
	if err != nil {
		return nil, err
	}
	if err := c.LoadStateDict(m.StateDict()); err != nil {
		return nil, err
	}
	c.FlipTTA, c.TranslateTTA = m.FlipTTA, m.TranslateTTA
	c.SetPrecision(m.prec)
	return c, nil
}
