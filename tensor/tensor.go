// Package tensor holds dense float32 tensors in row-major order.
//
// Image batches use the NHWC layout (batch, height, width, channels), the
// layout Keras uses, so a batch of images is one contiguous slice.
package tensor

import (
	"fmt"
	"strings"
)

// Tensor is a dense row-major float32 array with a shape.
// Data always has exactly Shape's product elements.
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zero tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, Numel(shape))}
}

// From wraps data in a tensor of the given shape. It panics if the sizes differ.
func From(data []float32, shape ...int) *Tensor {
	if len(data) != Numel(shape) {
		panic(fmt.Sprintf("tensor.From: %d values for shape %v", len(data), shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Numel returns the number of elements of a shape.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// SameShape reports whether t and u have identical shapes.
func (t *Tensor) SameShape(u *Tensor) bool { return ShapeEqual(t.Shape, u.Shape) }

// ShapeEqual reports whether two shapes are identical.
func ShapeEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Reshape returns a tensor sharing t's data with a new shape of the same size.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	if Numel(shape) != len(t.Data) {
		panic(fmt.Sprintf("tensor.Reshape: %v to %v", t.Shape, shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: t.Data}
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// Ensure returns t if it already has the given shape, and otherwise a new
// zero tensor of that shape. It lets layers keep their buffers between steps.
func Ensure(t *Tensor, shape ...int) *Tensor {
	if t != nil && ShapeEqual(t.Shape, shape) {
		return t
	}
	if t != nil && cap(t.Data) >= Numel(shape) {
		t.Data = t.Data[:Numel(shape)]
		t.Shape = append(t.Shape[:0], shape...)
		return t
	}
	return New(shape...)
}

// String formats the shape, for errors and logs.
func (t *Tensor) String() string {
	parts := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		parts[i] = fmt.Sprint(d)
	}
	return "tensor[" + strings.Join(parts, "x") + "]"
}
