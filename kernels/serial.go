package kernels

import "sync/atomic"

// serialCallers counts the Serial calls in progress.
var serialCallers atomic.Int32

// Serial runs fn with every matrix product computed on the goroutine that
// calls Sgemm alone, without the helper goroutines, for as long as fn runs
// (on every goroutine: products in other goroutines are serial too). It is
// for callers that keep every CPU busy with goroutines of their own, such
// as data-parallel training with a model copy per CPU: handing a small
// product's halves to a helper that is busy with another copy's work only
// costs. Calls may nest and overlap.
func Serial(fn func()) {
	serialCallers.Add(1)
	defer serialCallers.Add(-1)
	fn()
}

// serial reports whether products run on their calling goroutine only.
func serial() bool { return serialCallers.Load() > 0 }
