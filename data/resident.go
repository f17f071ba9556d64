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
// and are read again when next needed) each time half the budget has been
// read or written since the last time. Shared by a dataset and its
// subsets, so the budget holds for all of them together.
type residency struct {
	budget  int64
	touched atomic.Int64
	mu      sync.Mutex
	regions [][]byte
}

// newResidency returns a residency of budget bytes.
func newResidency(budget int64) *residency {
	return &residency{budget: budget}
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

// touch counts n bytes read or written, releasing the regions' pages when
// half the budget has been.
func (r *residency) touch(n int) {
	if r == nil || r.touched.Add(int64(n)) < r.budget/2 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.touched.Load() < r.budget/2 {
		return // another goroutine just released
	}
	for _, b := range r.regions {
		release(b)
	}
	r.touched.Store(0)
}
