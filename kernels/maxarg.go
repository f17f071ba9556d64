package kernels

import "fmt"

// MaxArg folds x into a running maximum: wherever x[j] > y[j], it sets
// y[j] = x[j] and arg[j] = base + j. A NaN in x is never taken (as in
// the comparison), so a window's first maximum wins. It panics if the
// lengths differ.
func MaxArg(y []float32, arg []int32, x []float32, base int32) {
	if len(y) != len(x) || len(arg) != len(x) {
		panic(fmt.Sprintf("kernels.MaxArg: lengths %d, %d and %d differ", len(y), len(arg), len(x)))
	}
	active.maxArg(y, arg, x, base)
}

func maxArgGeneric(y []float32, arg []int32, x []float32, base int32) {
	y, arg = y[:len(x)], arg[:len(x)]
	for j, v := range x {
		if v > y[j] {
			y[j], arg[j] = v, base+int32(j)
		}
	}
}
