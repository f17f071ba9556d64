//go:build amd64 && !purego

package kernels

//go:noescape
func maxArgAVX512(y *float32, arg *int32, x *float32, n int, base int32)

func maxArgAVX512Go(y []float32, arg []int32, x []float32, base int32) {
	if len(x) == 0 {
		return
	}
	y, arg = y[:len(x)], arg[:len(x)]
	maxArgAVX512(&y[0], &arg[0], &x[0], len(x), base)
}
