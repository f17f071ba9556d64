//go:build !linux

package index

import "errors"

// vecFile is not made on this system (it needs fallocate, so that a full
// disk is an error and not a fault): the float vectors stay on the heap.
type vecFile struct{}

func openVecFile(string) (*vecFile, error) {
	return nil, errors.New("vector file: not supported on this system")
}

func (v *vecFile) grow([]float32, int) ([]float32, error) {
	return nil, errors.New("vector file: not supported on this system")
}

func (v *vecFile) close() {}
