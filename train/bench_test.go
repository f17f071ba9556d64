package train

import "testing"

// BenchmarkTrainStep times one step of the Keras example: keras-small, one
// pair of each of 10 classes.
func BenchmarkTrainStep(b *testing.B) {
	tr, err := New(DefaultConfig(), toyData(10, 20, 1))
	if err != nil {
		b.Fatal(err)
	}
	tr.TrainStep()
	b.ResetTimer()
	for b.Loop() {
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "pairs/s")
}
