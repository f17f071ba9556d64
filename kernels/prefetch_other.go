//go:build !amd64 || purego

package kernels

// PrefetchRows is a hint that does nothing on this platform (see the
// amd64 version).
func PrefetchRows(data []float32, stride int, idx []uint32, off int) {}
