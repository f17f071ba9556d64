//go:build unix

package data

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
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

// release hands the resident pages of the mapped region b back to the
// system (the part of b on whole pages): a file-backed shared mapping
// keeps its data in the file and the page cache.
func release(b []byte) {
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	skip := int((page - start%page) % page)
	if skip >= len(b) {
		return
	}
	b = b[skip:]
	b = b[:len(b)/int(page)*int(page)]
	if len(b) > 0 {
		syscall.Madvise(b, syscall.MADV_DONTNEED)
	}
}

// residentFile returns the process's file-backed resident memory in bytes
// (the third field of /proc/self/statm, Linux), or -1 where that is not
// known.
func residentFile() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return -1
	}
	pages, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}
