package eval

import (
	"math"
	"math/bits"
	"slices"
)

// TopK appends to dst[:0] the indices of the k highest scores, best first,
// and returns the extended slice. Equal scores rank by ascending index, -0
// equals +0 and NaN ranks below every number. The index exclude (pass -1
// for none) is never selected, which is how a query is kept out of its own
// neighbours. If fewer than k indices are eligible, all of them are
// returned. len(scores) must be below 2^32.
//
// TopK runs in expected O(n + k log k) time: it selects the best k with
// quickselect and sorts only those. It allocates a scratch slice of
// len(scores) keys per call; Retrieval and Neighbours reuse one per worker.
func TopK(dst []int, scores []float32, k, exclude int) []int {
	var s selector
	return s.topK(dst, scores, k, exclude)
}

// selector is TopK with scratch buffers that are reused between calls.
type selector struct {
	keys   []uint64
	sample []uint64
}

// Sampling parameters of selector.topK: above sampleMinN scores, when k is
// at most a quarter of them, about sampleSize keys estimate a threshold
// that lets through some sampleSlack more keys than needed.
const (
	sampleMinN  = 4096
	sampleSize  = 512
	sampleSlack = 1.25
)

// topK is TopK using and growing s's scratch space. Large inputs are first
// cut down to the keys under a threshold estimated from a sample, in one
// pass; when the estimate keeps too few, all keys are used.
func (s *selector) topK(dst []int, scores []float32, k, exclude int) []int {
	dst = dst[:0]
	n := len(scores)
	eligible := n
	if exclude >= 0 && exclude < n {
		eligible--
	}
	k = min(k, eligible)
	if k <= 0 {
		return dst
	}
	s.keys = slices.Grow(s.keys[:0], n)[:n]
	keys := s.keys[:0]
	if n >= sampleMinN && 4*k <= n {
		if t, ok := s.threshold(scores, k, exclude); ok {
			keys = s.keys[:n]
			j := 0
			for i, v := range scores {
				key := rankKey(v, i)
				keys[j] = key
				if key <= t && i != exclude {
					j++
				}
			}
			keys = keys[:j]
			if j < k {
				keys = keys[:0] // the estimate was too tight
			}
		}
	}
	if len(keys) == 0 {
		for i, v := range scores {
			if i != exclude {
				keys = append(keys, rankKey(v, i))
			}
		}
	}
	selectSmallest(keys, k)
	top := keys[:k]
	slices.Sort(top)
	for _, key := range top {
		dst = append(dst, int(uint32(key)))
	}
	return dst
}

// threshold estimates from an evenly strided sample of scores a key that
// about sampleSlack*k of the n keys are at or below.
func (s *selector) threshold(scores []float32, k, exclude int) (uint64, bool) {
	n := len(scores)
	stride := max(1, n/sampleSize)
	sample := s.sample[:0]
	for i := 0; i < n; i += stride {
		if i != exclude {
			sample = append(sample, rankKey(scores[i], i))
		}
	}
	s.sample = sample
	r := int(float64(k)/float64(n)*float64(len(sample))*sampleSlack) + 8
	if r >= len(sample) {
		return 0, false
	}
	selectSmallest(sample, r)
	return slices.Max(sample[:r]), true
}

// rankKey packs a score and its index into one integer that orders items
// from best to worst: a higher score first, then a lower index. The upper
// 32 bits are the score's bits, mapped so that unsigned order is descending
// score order; the lower 32 bits are the index.
func rankKey(v float32, i int) uint64 {
	var ordered uint32 // ascending with v; 0 for NaN, below -Inf
	if v == v {
		v += 0 // turns -0 into +0
		b := math.Float32bits(v)
		// Negative floats: flip every bit; others: set the sign bit.
		ordered = b ^ (uint32(int32(b)>>31) | 1<<31)
	}
	return uint64(^ordered)<<32 | uint64(uint32(i))
}

// selectSmallest reorders a so that a[:k] holds its k smallest values, in
// no particular order. The values must be distinct. It is quickselect with
// a median-of-three pivot, falling back to sorting when partitioning makes
// too little progress, so the worst case is O(n log n).
func selectSmallest(a []uint64, k int) {
	lo, hi := 0, len(a)
	budget := 2 * bits.Len(uint(len(a)))
	for k > lo && k < hi {
		if hi-lo <= 16 || budget == 0 {
			slices.Sort(a[lo:hi])
			return
		}
		budget--
		j := partition(a[lo:hi]) + lo
		if k <= j {
			hi = j + 1
		} else {
			lo = j + 1
		}
	}
}

// partition is Hoare's partition around the median of the first, middle
// and last of len(a) >= 3 distinct values. It returns j such that every
// value in a[:j+1] is below every value in a[j+1:], with both non-empty.
func partition(a []uint64) int {
	x, y, z := a[0], a[len(a)/2], a[len(a)-1]
	if x > y {
		x, y = y, x
	}
	if y > z {
		y = z
	}
	p := max(x, y) // the median; never the maximum of a
	i, j := -1, len(a)
	for {
		for i++; a[i] < p; i++ {
		}
		for j--; a[j] > p; j-- {
		}
		if i >= j {
			return j
		}
		a[i], a[j] = a[j], a[i]
	}
}
