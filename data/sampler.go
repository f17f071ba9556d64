package data

import (
	"fmt"
	"math/rand/v2"
)

// PairSampler draws anchor/positive pairs for metric learning, one pair per
// class per batch, as the AnchorPositivePairs generator of the Keras metric
// learning example does: slot c of a batch holds two different images of
// class c.
type PairSampler struct {
	byClass [][]int
	rng     *rand.Rand
}

// NewPairSampler returns a sampler over the images labelled labels (label
// i of image i, each in [0, numClasses)). Every class needs at least two
// images. The sampler draws from rng, so a seeded rng gives a reproducible
// sequence of batches; a nil rng means a randomly seeded one.
func NewPairSampler(labels []int, numClasses int, rng *rand.Rand) (*PairSampler, error) {
	if numClasses <= 0 {
		return nil, fmt.Errorf("pair sampler: %d classes", numClasses)
	}
	byClass := make([][]int, numClasses)
	for i, l := range labels {
		if l < 0 || l >= numClasses {
			return nil, fmt.Errorf("pair sampler: image %d has label %d, outside [0,%d)", i, l, numClasses)
		}
		byClass[l] = append(byClass[l], i)
	}
	for c, idx := range byClass {
		if len(idx) < 2 {
			return nil, fmt.Errorf("pair sampler: class %d has %d images, need at least 2", c, len(idx))
		}
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return &PairSampler{byClass: byClass, rng: rng}, nil
}

// NumClasses returns the number of classes, the length of a batch.
func (s *PairSampler) NumClasses() int {
	return len(s.byClass)
}

// Next fills one batch: for each class c, anchors[c] gets a uniformly random
// image of class c and positives[c] a uniformly random different image of
// the same class. Both slices must have NumClasses() elements; Next panics
// otherwise.
func (s *PairSampler) Next(anchors, positives []int) {
	if len(anchors) != len(s.byClass) || len(positives) != len(s.byClass) {
		panic(fmt.Sprintf("data: PairSampler.Next: batch of %d anchors and %d positives, want %d each",
			len(anchors), len(positives), len(s.byClass)))
	}
	for c, idx := range s.byClass {
		a := s.rng.IntN(len(idx))
		p := s.rng.IntN(len(idx) - 1)
		if p >= a {
			p++
		}
		anchors[c], positives[c] = idx[a], idx[p]
	}
}
