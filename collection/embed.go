package collection

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/nn"
)

// EmbedOptions configures EmbedFiles.
type EmbedOptions struct {
	Batch   int         // images embedded at once (default 256)
	Workers int         // decoding goroutines (default runtime.NumCPU())
	Limits  data.Limits // bounds on each file's bytes and pixels (zero: data's defaults)
	SkipBad bool        // skip unreadable files with a warning instead of failing
	Logger  *slog.Logger
}

// Batch is one batch of embedded files.
type Batch struct {
	Index   []int     // positions in the paths given to EmbedFiles, ascending
	Vectors []float32 // len(Index) rows of the model's dimension
	End     int       // paths[:End] are done (embedded or skipped)
}

// decoded is a batch of decoded pixels on its way to the model.
type decoded struct {
	end    int
	index  []int
	pixels []uint8
	err    error
}

// EmbedFiles embeds the image files paths with m, in order, and calls fn
// with each batch. The next batch is decoded by opt.Workers goroutines
// while the model embeds the current one. An unreadable file fails the
// call with an error naming it, unless opt.SkipBad is set: then it is
// logged and left out. fn's error, or ctx's, stops the work. The Batch's
// slices are reused after fn returns.
func EmbedFiles(ctx context.Context, m *nn.Model, paths []string, opt EmbedOptions, fn func(Batch) error) error {
	if opt.Batch <= 0 {
		opt.Batch = 256
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.NumCPU()
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	per := m.Size * m.Size * m.Channels
	// Two pixel buffers circulate: one being decoded, one being embedded.
	free := make(chan []uint8, 2)
	free <- make([]uint8, opt.Batch*per)
	free <- make([]uint8, opt.Batch*per)
	ready := make(chan decoded, 1)
	go func() {
		defer close(ready)
		for start := 0; start < len(paths); start += opt.Batch {
			var buf []uint8
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			d := decodeBatch(ctx, paths, start, min(start+opt.Batch, len(paths)), buf, m.Size, opt)
			select {
			case ready <- d:
			case <-ctx.Done():
				return
			}
			if d.err != nil {
				return
			}
		}
	}()
	dim := m.Dim()
	for d := range ready {
		if d.err != nil {
			return d.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var vecs []float32
		if n := len(d.index); n > 0 {
			vecs = m.Embed(d.pixels[:n*per], n, n)
		}
		err := fn(Batch{Index: d.index, Vectors: vecs[:len(d.index)*dim], End: d.end})
		free <- d.pixels
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// decodeBatch decodes paths[start:end] into buf with opt.Workers goroutines
// and packs the good ones to the front, in order.
func decodeBatch(ctx context.Context, paths []string, start, end int, buf []uint8, size int, opt EmbedOptions) decoded {
	per := size * size * 3
	n := end - start
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(opt.Workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				px, err := data.DecodeFile(paths[start+i], size, opt.Limits)
				if err == nil {
					copy(buf[i*per:(i+1)*per], px)
				}
				errs[i] = err
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return decoded{err: err}
	}
	d := decoded{pixels: buf, end: end}
	for i, err := range errs {
		if err != nil {
			if !opt.SkipBad {
				return decoded{err: err}
			}
			opt.Logger.Warn("skipping unreadable image", "path", paths[start+i], "err", err)
			continue
		}
		if k := len(d.index); k != i {
			copy(buf[k*per:(k+1)*per], buf[i*per:(i+1)*per])
		}
		d.index = append(d.index, start+i)
	}
	return d
}

// EmbedImage embeds one image given as pixels already decoded to the
// model's size (by data.DecodeImage or data.DecodeFile).
func EmbedImage(m *nn.Model, pixels []uint8) ([]float32, error) {
	if len(pixels) != m.Size*m.Size*m.Channels {
		return nil, fmt.Errorf("embed: %d pixel values, the model takes %dx%dx%d", len(pixels), m.Size, m.Size, m.Channels)
	}
	return m.Embed(pixels, 1, 1), nil
}
