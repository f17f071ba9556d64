package train

import "testing"

// TestTrainStepAllocations checks that a training step reuses its buffers:
// once the shapes are known, a step allocates (almost) nothing.
func TestTrainStepAllocations(t *testing.T) {
	tr, err := New(testConfig(), toyData(4, 4, 3))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Fatalf("%.1f allocations per training step, want at most 2", allocs)
	}
	t.Logf("%.1f allocations per step", allocs)
}
