//go:build unix

package data

import (
	"fmt"
	"os"
	"syscall"
)

// mapping is a memory-mapped file.
type mapping struct{ b []byte }

func (m *mapping) bytes() []byte { return m.b }

// close unmaps the file (a shared writable mapping's changes are in the
// page cache, and reach the file).
func (m *mapping) close() error {
	if m.b == nil {
		return nil
	}
	err := syscall.Munmap(m.b)
	m.b = nil
	return err
}

// mapFile maps the file at path read-only. The mapping is never unmapped
// while a Dataset uses it: it lives until the process ends.
func mapFile(path string) (*mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil, fmt.Errorf("%s: not a regular non-empty file", path)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	return &mapping{b}, nil
}

// mapWritable maps the first n bytes of f for reading and writing.
func mapWritable(f *os.File, n int) (*mapping, error) {
	b, err := syscall.Mmap(int(f.Fd()), 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	return &mapping{b}, nil
}
