package nn

import (
	"runtime"
	"sync"
)

// minParallelWork is the number of floats of work below which splitting a
// loop over goroutines costs more than it saves.
const minParallelWork = 1 << 16

// splits returns how many goroutines a loop over n images of perImage
// floats of work each is worth: 1 for small work, at most GOMAXPROCS.
// Callers run small loops inline, without building a closure, so that they
// do not allocate.
func splits(n, perImage int) int {
	return min(runtime.GOMAXPROCS(0), n, max(1, n*perImage/minParallelWork))
}

// parallelImages calls fn on workers ranges [i0, i1) covering 0..n, each on
// its own goroutine, and waits for them.
func parallelImages(n, workers int, fn func(i0, i1 int)) {
	var wg sync.WaitGroup
	for w := range workers {
		i0, i1 := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i0, i1)
		}()
	}
	wg.Wait()
}
