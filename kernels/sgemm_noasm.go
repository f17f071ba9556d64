//go:build !amd64 || purego

package kernels

// archSets returns the kernel sets beyond the generic one that this machine
// can run: none without assembly.
func archSets() []*kernelSet { return nil }
