package index

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// vecFile holds an exact index's float vectors in a file of their own,
// mapped into memory, instead of on the Go heap. With int8 search the
// floats are read only to re-rank a few candidates a query, so they need
// not take memory: they are page cache, which the kernel writes to the
// file and evicts under memory pressure and reads back when a candidate
// needs it. The memory the index itself holds is then the codes'.
//
// The file is a scratch copy, unlinked as soon as it is made (it vanishes
// with the process); the log and the snapshot stay the durable copy. Its
// blocks are allocated before they are mapped (fallocate), so a full disk
// is an error from grow, never a SIGBUS on a store into the mapping.
type vecFile struct {
	f   *os.File
	mem []byte // the mapping, cap(floats)*4 bytes
}

// openVecFile makes an unlinked scratch file in dir.
func openVecFile(dir string) (*vecFile, error) {
	f, err := os.CreateTemp(dir, vecFileName+"*")
	if err != nil {
		return nil, fmt.Errorf("vector file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("vector file: %w", err)
	}
	return &vecFile{f: f}, nil
}

// grow returns a slice of the mapping holding the len(data) floats of data,
// which is the mapping's start already or (the first time) a heap slice,
// with room for n floats. The old slice must not be used afterwards.
func (v *vecFile) grow(data []float32, n int) ([]float32, error) {
	size := int64(n) * 4
	page := int64(os.Getpagesize())
	size = (size + page - 1) / page * page
	old := int64(len(v.mem))
	if size <= old {
		return data, nil
	}
	if err := unix.Fallocate(int(v.f.Fd()), 0, old, size-old); err != nil {
		return nil, fmt.Errorf("vector file: reserve %d bytes: %w", size-old, err)
	}
	mem, err := unix.Mmap(int(v.f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("vector file: map %d bytes: %w", size, err)
	}
	floats := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(mem))), int(size/4))
	if v.mem == nil {
		copy(floats, data) // from the heap
	} else {
		// The floats are in the file: the old mapping's stores reached the
		// page cache, which the new mapping shares.
		unix.Munmap(v.mem)
	}
	v.mem = mem
	return floats[:len(data)], nil
}

// close unmaps the file and closes it, which frees its blocks.
func (v *vecFile) close() {
	if v.mem != nil {
		unix.Munmap(v.mem)
		v.mem = nil
	}
	v.f.Close()
}
