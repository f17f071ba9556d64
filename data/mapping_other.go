//go:build !unix

package data

import (
	"fmt"
	"os"
)

// mapping holds a file in memory where it cannot be mapped: the cache still
// saves decoding, not memory.
type mapping struct {
	b []byte
	f *os.File // written back by close, for writable mappings
}

func (m *mapping) bytes() []byte { return m.b }

func (m *mapping) close() error {
	if m.f == nil {
		return nil
	}
	_, err := m.f.WriteAt(m.b, 0)
	m.f = nil
	return err
}

func mapFile(path string) (*mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	return &mapping{b: b}, nil
}

func mapWritable(f *os.File, n int) (*mapping, error) {
	return &mapping{b: make([]byte, n), f: f}, nil
}

// release does nothing where files are not mapped.
func release([]byte) {}

// residentFile is not known here.
func residentFile() int64 { return -1 }
