package nn

import (
	"fmt"

	"github.com/lookalike/lookalike/kernels"
)

// Precision is the arithmetic of a model's matrix products (convolutions
// and dense layers); everything else is float32.
type Precision string

const (
	// FP32 multiplies in float32 (kernels.Sgemm). It is the default, also
	// written as "".
	FP32 Precision = "fp32"
	// BF16 multiplies with operands rounded to bfloat16 and float32 sums
	// (kernels.SgemmBF16), as PyTorch's bfloat16 autocast does, where the
	// CPU has bfloat16 instructions (kernels.HasBF16), and in float32
	// elsewhere. Weights, activations and gradients stay float32.
	BF16 Precision = "bf16"
)

// ParsePrecision parses "fp32" (or "") or "bf16".
func ParsePrecision(s string) (Precision, error) {
	switch Precision(s) {
	case FP32, "":
		return FP32, nil
	case BF16:
		return BF16, nil
	}
	return "", fmt.Errorf("unknown precision %q (want fp32 or bf16)", s)
}

// gemmFunc is the signature of kernels.Sgemm.
type gemmFunc = func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// gemm returns the matrix product of precision p.
func (p Precision) gemm() gemmFunc {
	if p == BF16 {
		return kernels.SgemmBF16
	}
	return kernels.Sgemm
}

// precisionSetter is a layer whose matrix products follow the model's
// precision.
type precisionSetter interface {
	setPrecision(Precision)
}

// SetPrecision sets the precision of the model's matrix products, for
// training and embedding alike.
func (m *Model) SetPrecision(p Precision) {
	if p == "" {
		p = FP32
	}
	m.prec = p
	for _, l := range m.Layers {
		if s, ok := l.(precisionSetter); ok {
			s.setPrecision(p)
		}
	}
}

// Precision returns the precision of the model's matrix products.
func (m *Model) Precision() Precision {
	if m.prec == "" {
		return FP32
	}
	return m.prec
}

func (l *Conv2D) setPrecision(p Precision) { l.prec = p }
func (l *Dense) setPrecision(p Precision)  { l.prec = p }

// setPrecision sets the precision of both branches' layers.
func (r *Residual) setPrecision(p Precision) {
	for _, l := range append(r.Inner[:len(r.Inner):len(r.Inner)], r.Shortcut...) {
		if s, ok := l.(precisionSetter); ok {
			s.setPrecision(p)
		}
	}
}

// setPrecision sets the precision of the two Dense layers.
func (l *SqueezeExcite) setPrecision(p Precision) {
	l.Fc1.setPrecision(p)
	l.Fc2.setPrecision(p)
}
