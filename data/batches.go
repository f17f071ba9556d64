package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Sampler chooses the images of each training batch. Batches are
// addressed by step, and the same step always gives the same batch, so a
// resumed run draws exactly what an uninterrupted one would.
type Sampler interface {
	// Batch returns the dataset indices of batch step (0-based), in
	// dst's memory when it is large enough.
	Batch(step int, dst []int) []int
	// Size returns the number of images in a batch.
	Size() int
	// Epoch returns the 0-based epoch that batch step belongs to (for
	// samplers without epochs, step / StepsPerEpoch of the run).
	Epoch(step int) int
}

// byClass groups image indices by label, checking that each class has at
// least min images.
func byClass(labels []int, classes, min int) ([][]int, error) {
	if classes <= 0 {
		return nil, fmt.Errorf("sampler: %d classes", classes)
	}
	out := make([][]int, classes)
	for i, l := range labels {
		if l < 0 || l >= classes {
			return nil, fmt.Errorf("sampler: image %d has label %d, outside [0,%d)", i, l, classes)
		}
		out[l] = append(out[l], i)
	}
	for c, idx := range out {
		if len(idx) < min {
			return nil, fmt.Errorf("sampler: class %d has %d images, need at least %d", c, len(idx), min)
		}
	}
	return out, nil
}

// stepRNG returns the random source of one step of a sampler.
func stepRNG(seed uint64, stream, step int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^uint64(stream)<<32, uint64(step)))
}

// PairBatches is the Keras example's sampling: every batch holds one
// anchor of each class followed by one positive (another image of the same
// class) of each class, in class order.
type PairBatches struct {
	classes       [][]int
	seed          uint64
	stepsPerEpoch int
}

// NewPairBatches returns the pair sampler for images labelled labels.
func NewPairBatches(labels []int, classes int, seed uint64, stepsPerEpoch int) (*PairBatches, error) {
	bc, err := byClass(labels, classes, 2)
	if err != nil {
		return nil, err
	}
	return &PairBatches{classes: bc, seed: seed, stepsPerEpoch: max(1, stepsPerEpoch)}, nil
}

// Size returns twice the number of classes.
func (s *PairBatches) Size() int { return 2 * len(s.classes) }

// Epoch returns step / stepsPerEpoch.
func (s *PairBatches) Epoch(step int) int { return step / s.stepsPerEpoch }

// Batch returns the anchors then the positives of batch step.
func (s *PairBatches) Batch(step int, dst []int) []int {
	rng := stepRNG(s.seed, 1, step)
	n := len(s.classes)
	dst = slices.Grow(dst[:0], 2*n)[:2*n]
	for c, idx := range s.classes {
		a := rng.IntN(len(idx))
		p := rng.IntN(len(idx) - 1)
		if p >= a {
			p++
		}
		dst[c], dst[n+c] = idx[a], idx[p]
	}
	return dst
}

// ClassBatches draws balanced batches: M different images of each of K
// classes (all classes when there are at most K), class by class.
type ClassBatches struct {
	classes       [][]int
	k, m          int
	seed          uint64
	stepsPerEpoch int
}

// NewClassBatches returns a sampler of k classes times m images per batch.
func NewClassBatches(labels []int, classes, k, m int, seed uint64, stepsPerEpoch int) (*ClassBatches, error) {
	if m < 2 || k < 1 {
		return nil, fmt.Errorf("class sampler: %d classes of %d images per batch: want at least 1 class of 2", k, m)
	}
	bc, err := byClass(labels, classes, m)
	if err != nil {
		return nil, err
	}
	return &ClassBatches{classes: bc, k: min(k, classes), m: m, seed: seed, stepsPerEpoch: max(1, stepsPerEpoch)}, nil
}

// Size returns K*M.
func (s *ClassBatches) Size() int { return s.k * s.m }

// Epoch returns step / stepsPerEpoch.
func (s *ClassBatches) Epoch(step int) int { return step / s.stepsPerEpoch }

// Batch returns M images of each of K random classes.
func (s *ClassBatches) Batch(step int, dst []int) []int {
	rng := stepRNG(s.seed, 2, step)
	dst = dst[:0]
	for _, c := range rng.Perm(len(s.classes))[:s.k] {
		idx := s.classes[c]
		// M distinct images, by rejection (M is small beside the class).
		picked := make(map[int]bool, s.m)
		for len(picked) < s.m {
			i := idx[rng.IntN(len(idx))]
			if !picked[i] {
				picked[i] = true
				dst = append(dst, i)
			}
		}
	}
	return dst
}

// EpochBatches goes through the images in a new random order every epoch,
// in batches of a fixed size; the last images of an epoch that do not fill
// a batch are left for that epoch (each epoch is a fresh permutation).
type EpochBatches struct {
	n, size int
	seed    uint64
	perm    []int // the permutation of epoch permEpoch
	permEp  int
}

// NewEpochBatches returns a shuffling sampler over n images.
func NewEpochBatches(n, size int, seed uint64) (*EpochBatches, error) {
	if size <= 0 || n < size {
		return nil, fmt.Errorf("epoch sampler: batches of %d from %d images", size, n)
	}
	return &EpochBatches{n: n, size: size, seed: seed, permEp: -1}, nil
}

// StepsPerEpoch returns the number of full batches in an epoch.
func (s *EpochBatches) StepsPerEpoch() int { return s.n / s.size }

// Size returns the batch size.
func (s *EpochBatches) Size() int { return s.size }

// Epoch returns the epoch of batch step.
func (s *EpochBatches) Epoch(step int) int { return step / s.StepsPerEpoch() }

// Batch returns batch step: a slice of its epoch's permutation.
func (s *EpochBatches) Batch(step int, dst []int) []int {
	ep, b := step/s.StepsPerEpoch(), step%s.StepsPerEpoch()
	if ep != s.permEp {
		s.perm = stepRNG(s.seed, 3, ep).Perm(s.n)
		s.permEp = ep
	}
	return append(dst[:0], s.perm[b*s.size:(b+1)*s.size]...)
}

// ViewBatches is the self-supervised sampling (SimCLR's): every batch
// holds n different images, in a new random order every epoch, each twice,
// the first views then the second views in the same order, the layout of
// the pair softmax's anchors and positives. The loader augments every slot
// with its own draw, so the two copies of an image are two views of it,
// and the other images' views are the negatives.
type ViewBatches struct {
	images *EpochBatches
	idx    []int
}

// NewViewBatches returns the sampler of views of n images per batch from a
// dataset of total images.
func NewViewBatches(total, n int, seed uint64) (*ViewBatches, error) {
	eb, err := NewEpochBatches(total, n, seed)
	if err != nil {
		return nil, fmt.Errorf("view sampler: %w", err)
	}
	return &ViewBatches{images: eb}, nil
}

// StepsPerEpoch returns the number of batches in an epoch.
func (s *ViewBatches) StepsPerEpoch() int { return s.images.StepsPerEpoch() }

// Size returns twice the images per batch.
func (s *ViewBatches) Size() int { return 2 * s.images.Size() }

// Epoch returns the epoch of batch step.
func (s *ViewBatches) Epoch(step int) int { return s.images.Epoch(step) }

// Batch returns the images of batch step, then the same images again.
func (s *ViewBatches) Batch(step int, dst []int) []int {
	s.idx = s.images.Batch(step, s.idx)
	return append(append(dst[:0], s.idx...), s.idx...)
}
