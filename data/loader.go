package data

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Loader turns a Sampler's batches into model input: the chosen images,
// augmented, as float pixels (NHWC, 0..255) with their labels. While the
// caller trains on one batch, a goroutine prepares the next. Every image's
// augmentation is drawn from a random source of its own, derived from the
// seed, the step and its place in the batch, so batches are the same
// whatever the scheduling, and a resumed run sees the same images.
type Loader struct {
	ds      *Dataset
	sampler Sampler
	aug     Augment
	seed    uint64
	workers int

	next     chan prepared // the batch being prepared, if any
	nextStep int
	pool     sync.Pool
}

// prepared is a batch made ahead.
type prepared struct {
	step   int
	x      []float32
	labels []int
}

// NewLoader returns a loader of ds's images as sampler draws them,
// augmented by aug. workers goroutines (0: one per CPU) augment a batch.
func NewLoader(ds *Dataset, sampler Sampler, aug Augment, seed uint64, workers int) (*Loader, error) {
	if err := aug.Validate(ds.Size); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	return &Loader{ds: ds, sampler: sampler, aug: aug, seed: seed, workers: workers, nextStep: -1}, nil
}

// BatchSize returns the number of images in a batch.
func (l *Loader) BatchSize() int { return l.sampler.Size() }

// Load writes batch step into x (BatchSize() images of Size x Size x 3
// floats) and labels, and starts preparing batch step+1.
func (l *Loader) Load(step int, x []float32, labels []int) error {
	n, per := l.sampler.Size(), l.ds.Size*l.ds.Size*3
	if len(x) != n*per || len(labels) != n {
		return fmt.Errorf("loader: room for %d values and %d labels, a batch is %d images of %d", len(x), len(labels), n, per)
	}
	var p prepared
	if l.next != nil && l.nextStep == step {
		p = <-l.next
	} else {
		if l.next != nil {
			l.recycle(<-l.next)
		}
		p = l.prepare(step)
	}
	l.next = nil
	copy(x, p.x)
	copy(labels, p.labels)
	l.recycle(p)
	ch := make(chan prepared, 1)
	l.next, l.nextStep = ch, step+1
	go func() { ch <- l.prepare(step + 1) }()
	return nil
}

// Close waits for the batch being prepared, if any.
func (l *Loader) Close() {
	if l.next != nil {
		<-l.next
		l.next = nil
	}
}

func (l *Loader) recycle(p prepared) { l.pool.Put(&p) }

// prepare makes batch step.
func (l *Loader) prepare(step int) prepared {
	n, size := l.sampler.Size(), l.ds.Size
	per := size * size * 3
	p := prepared{step: step}
	if q, ok := l.pool.Get().(*prepared); ok && len(q.x) == n*per {
		p.x, p.labels = q.x, q.labels
	} else {
		p.x, p.labels = make([]float32, n*per), make([]int, n)
	}
	idx := l.sampler.Batch(step, nil)
	epoch := l.sampler.Epoch(step)
	var wg sync.WaitGroup
	workers := min(l.workers, n)
	for w := range workers {
		wg.Go(func() {
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				img := idx[i]
				p.labels[i] = l.ds.Labels[img]
				dst := p.x[i*per : (i+1)*per]
				if !l.aug.Active() {
					for j, v := range l.ds.Image(img) {
						dst[j] = float32(v)
					}
					continue
				}
				rng := rand.New(rand.NewPCG(l.seed^0x5eed_a06<<20, uint64(step)<<24|uint64(i)))
				base := rand.New(rand.NewPCG(l.seed^0xf11b<<20, uint64(img))).IntN(2) == 1
				l.aug.Draw(rng, size, base, epoch).Apply(dst, l.ds.Image(img), size, l.aug.Cutout)
			}
		})
	}
	wg.Wait()
	return p
}
