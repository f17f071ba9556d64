package index

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a transparent huge page on the platforms this
// file serves.
const hugePage = 2 << 20

// adviseHugePages asks the kernel to back the whole 2 MiB pages inside s
// with transparent huge pages, collapsing those already populated, and
// reports whether it agreed. Random accesses to a big array (the HNSW
// graph's node records) then miss the TLB far less often: 2 MiB pages
// cover a gigabyte with 512 entries where 4 KiB pages need 262,144. It is
// a hint: with transparent huge pages disabled, or on old kernels, it
// does nothing.
func adviseHugePages[T any](s []T) bool {
	if cap(s) == 0 {
		return false
	}
	s = s[:cap(s)]
	all := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), uintptr(len(s))*unsafe.Sizeof(s[0]))
	start := uintptr(unsafe.Pointer(unsafe.SliceData(all)))
	lo := (start+hugePage-1)&^(hugePage-1) - start
	hi := (start+uintptr(len(all)))&^(hugePage-1) - start
	if hi <= lo || lo >= uintptr(len(all)) {
		return false
	}
	b := all[lo:hi]
	if unix.Madvise(b, unix.MADV_HUGEPAGE) != nil {
		return false
	}
	unix.Madvise(b, unix.MADV_COLLAPSE) // Linux 6.1 and later; best effort
	return true
}
