package data

import (
	"fmt"
	"runtime"
	"sync"
)

// Loader turns a Sampler's batches into model input: the chosen images,
// augmented, as float pixels (NHWC, 0..255) with their labels. While the
// caller trains on one batch, a goroutine prepares the next. Every image's
// augmentation is drawn from a key of its own, derived from the seed, the
// step and its place in the batch, so batches are the same whatever the
// scheduling, and a resumed run sees the same images.
type Loader struct {
	ds      *Dataset
	sampler Sampler
	aug     Augment
	seed    uint64
	workers int

	buf     []float32 // the batch prepared ahead, and its labels
	labels  []int
	idx     []int
	req     chan int      // steps for the preparing goroutine
	done    chan struct{} // a prepared batch is ready
	pending int           // the step being prepared ahead, or -1
}

// NewLoader returns a loader of ds's images as sampler draws them,
// augmented by aug. workers goroutines (0: one per CPU) augment a large
// batch.
func NewLoader(ds *Dataset, sampler Sampler, aug Augment, seed uint64, workers int) (*Loader, error) {
	if err := aug.Validate(ds.Size); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	n := sampler.Size()
	return &Loader{
		ds: ds, sampler: sampler, aug: aug, seed: seed, workers: workers,
		buf: make([]float32, n*ds.Size*ds.Size*3), labels: make([]int, n), pending: -1,
	}, nil
}

// BatchSize returns the number of images in a batch.
func (l *Loader) BatchSize() int { return l.sampler.Size() }

// Load writes batch step into x (BatchSize() images of Size x Size x 3
// floats) and labels, and starts preparing batch step+1.
func (l *Loader) Load(step int, x []float32, labels []int) error {
	if len(x) != len(l.buf) || len(labels) != len(l.labels) {
		return fmt.Errorf("loader: room for %d values and %d labels, a batch is %d values and %d labels", len(x), len(labels), len(l.buf), len(l.labels))
	}
	if l.pending >= 0 {
		<-l.done
	}
	if l.pending != step {
		l.fill(step)
	}
	copy(x, l.buf)
	copy(labels, l.labels)
	if l.req == nil {
		l.req, l.done = make(chan int), make(chan struct{})
		go func() {
			for s := range l.req {
				l.fill(s)
				l.done <- struct{}{}
			}
		}()
	}
	l.pending = step + 1
	l.req <- step + 1
	return nil
}

// Close waits for the batch being prepared, if any, and stops the
// preparing goroutine.
func (l *Loader) Close() {
	if l.pending >= 0 {
		<-l.done
		l.pending = -1
	}
	if l.req != nil {
		close(l.req)
		l.req = nil
	}
}

// fill prepares batch step in l.buf and l.labels.
func (l *Loader) fill(step int) {
	n := l.sampler.Size()
	l.idx = l.sampler.Batch(step, l.idx)
	epoch := l.sampler.Epoch(step)
	if w := min(l.workers, n); w > 1 && len(l.buf) >= 1<<18 {
		var wg sync.WaitGroup
		for k := range w {
			wg.Go(func() { l.images(step, epoch, k*n/w, (k+1)*n/w) })
		}
		wg.Wait()
		return
	}
	l.images(step, epoch, 0, n)
}

// images prepares images i0..i1 of batch step.
func (l *Loader) images(step, epoch, i0, i1 int) {
	size := l.ds.Size
	per := size * size * 3
	for i := i0; i < i1; i++ {
		img := l.idx[i]
		l.labels[i] = l.ds.Labels[img]
		dst := l.buf[i*per : (i+1)*per]
		if !l.aug.Active() {
			for j, v := range l.ds.Image(img) {
				dst[j] = float32(v)
			}
			continue
		}
		base := mixKey(l.seed, 0xf11b, uint64(img))&1 == 1
		d := l.aug.Draw(mixKey(l.seed, 0xa06, uint64(step), uint64(i)), size, base, epoch)
		d.Apply(dst, l.ds.Image(img), size, l.aug.Cutout)
	}
}
