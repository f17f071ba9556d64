package data

import (
	"sync"
	"sync/atomic"
)

// residency bounds how much of a dataset's memory-mapped pixels (a pixel
// cache, or the files its subsets spill to) stays in the process's resident
// memory. Mapped pages that were read stay resident until the system needs
// the memory; with a budget, the dataset hands them back itself
// (madvise MADV_DONTNEED: the pixels stay in the file and the page cache,
// and are read again when next needed). Shared by a dataset and its
// subsets, so the budget holds for all of them together.
//
// How much is resident is not the bytes read: the page cache maps large
// folios (up to megabytes) on one fault, so a scattered read of 48 KiB
// can map forty times that. Where the system says (Linux: the file-backed
// resident pages in /proc/self/statm), the regions are released when the
// process's file-backed resident memory grew by three quarters of the
// budget since the residency began, checked every checkEvery of the bytes
// read or written; elsewhere each time half the budget has been read.
type residency struct {
	budget  int64
	base    int64 // file-backed resident bytes when the residency began, -1 if unknown
	check   int64 // bytes between checks
	touched atomic.Int64
	mu      sync.Mutex
	regions [][]byte
}

// newResidency returns a residency of budget bytes.
func newResidency(budget int64) *residency {
	r := &residency{budget: budget, base: residentFile(), check: budget / 2}
	if r.base >= 0 {
		r.check = max(min(budget/64, 1<<20), 64<<10)
	}
	return r
}

// add puts a mapped region under the budget.
func (r *residency) add(b []byte) {
	if r == nil || len(b) == 0 {
		return
	}
	r.mu.Lock()
	r.regions = append(r.regions, b)
	r.mu.Unlock()
}

// touch counts n bytes read or written and releases the regions' pages
// when the budget requires.
func (r *residency) touch(n int) {
	if r == nil || r.touched.Add(int64(n)) < r.check {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.touched.Load() < r.check {
		return // another goroutine just checked
	}
	r.touched.Store(0)
	if r.base >= 0 {
		if now := residentFile(); now >= 0 && now-r.base < r.budget*3/4 {
			return
		}
	}
	for _, b := range r.regions {
		release(b)
	}
}
