package data

import (
	"slices"
	"testing"
)

func TestPairBatches(t *testing.T) {
	// 3 classes of 2, 5 and 10 images, interleaved.
	var labels []int
	for i := range 17 {
		switch {
		case i < 2*3:
			labels = append(labels, i%3)
		case i < 11:
			labels = append(labels, 1+i%2)
		default:
			labels = append(labels, 2)
		}
	}
	counts := make([]int, 3)
	for _, l := range labels {
		counts[l]++
	}
	if !slices.Equal(counts, []int{2, 5, 10}) {
		t.Fatalf("test labels: class sizes %v", counts)
	}

	s, err := NewPairBatches(labels, 3, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if s.Size() != 6 {
		t.Fatalf("Size %d, want 6", s.Size())
	}
	anchorHits := make([]int, len(labels))
	positiveHits := make([]int, len(labels))
	const batches = 20000
	var b []int
	for step := range batches {
		b = s.Batch(step, b)
		anchors, positives := b[:3], b[3:]
		for c := range 3 {
			a, p := anchors[c], positives[c]
			if a == p {
				t.Fatalf("class %d: anchor and positive are both %d", c, a)
			}
			if labels[a] != c || labels[p] != c {
				t.Fatalf("slot %d: anchor %d (label %d), positive %d (label %d)", c, a, labels[a], p, labels[p])
			}
			anchorHits[a]++
			positiveHits[p]++
		}
	}
	// Every image of a class of size k is drawn about batches/k times.
	for i, l := range labels {
		want := float64(batches) / float64(counts[l])
		for _, hits := range []int{anchorHits[i], positiveHits[i]} {
			if r := float64(hits) / want; r < 0.9 || r > 1.1 {
				t.Errorf("image %d (class %d) drawn %d times, want about %.0f", i, l, hits, want)
			}
		}
	}

	// Same seed, same batches; another seed, other batches.
	run := func(seed uint64) []int {
		s, err := NewPairBatches(labels, 3, seed, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for step := range 50 {
			out = append(out, s.Batch(step, nil)...)
		}
		return out
	}
	if !slices.Equal(run(7), run(7)) {
		t.Error("same seed gave different batches")
	}
	if slices.Equal(run(7), run(8)) {
		t.Error("different seeds gave the same batches")
	}
}

func TestPairBatchesErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		labels     []int
		numClasses int
	}{
		"class with one image": {[]int{0, 0, 1, 2, 2}, 3},
		"empty class":          {[]int{0, 0, 2, 2}, 3},
		"label out of range":   {[]int{0, 0, 1, 1, 3}, 3},
		"negative label":       {[]int{0, 0, -1}, 1},
		"no classes":           {nil, 0},
	} {
		if _, err := NewPairBatches(tc.labels, tc.numClasses, 1, 10); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestViewBatches checks the self-supervised sampler: each batch holds n
// different images twice, first views then second views in the same
// order, so every anchor's positive is a view of the same image only.
func TestViewBatches(t *testing.T) {
	s, err := NewViewBatches(100, 16, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s.Size() != 32 || s.StepsPerEpoch() != 6 {
		t.Fatalf("size %d, steps %d", s.Size(), s.StepsPerEpoch())
	}
	seen := map[int]bool{}
	for step := range 6 {
		b := s.Batch(step, nil)
		in := map[int]bool{}
		for i := range 16 {
			if b[i] != b[i+16] {
				t.Fatalf("step %d: anchor %d is image %d, its positive %d", step, i, b[i], b[i+16])
			}
			if in[b[i]] || seen[b[i]] {
				t.Fatalf("step %d: image %d twice in an epoch", step, b[i])
			}
			in[b[i]] = true
			seen[b[i]] = true
		}
	}
	if a, b := s.Batch(7, nil), s.Batch(7, nil); !slices.Equal(a, b) {
		t.Fatal("the same step drew two batches")
	}
}
