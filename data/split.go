package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Split holds back about fraction of each class's images, chosen at random
// from seed, and returns the rest and the held-back images as two
// datasets (in their original order). Every class keeps at least two
// images for training; a class too small for that gives none.
func (d *Dataset) Split(fraction float64, seed uint64) (train, held *Dataset, err error) {
	if fraction <= 0 || fraction >= 1 {
		return nil, nil, fmt.Errorf("split: fraction %g must be in (0, 1)", fraction)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5b117))
	var keep, hold []int
	for _, idx := range d.ClassIndices() {
		idx = slices.Clone(idx)
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := min(int(float64(len(idx))*fraction+0.5), max(0, len(idx)-2))
		hold = append(hold, idx[:k]...)
		keep = append(keep, idx[k:]...)
	}
	if len(hold) == 0 {
		return nil, nil, fmt.Errorf("split: holding back %g of %d images leaves none", fraction, d.Len())
	}
	slices.Sort(keep)
	slices.Sort(hold)
	return d.Subset(keep), d.Subset(hold), nil
}
