package report

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/viz"
)

// borderColor is the colour of the thin lines between collage tiles.
var borderColor = color.RGBA{255, 255, 255, 255}

// SampleGrid returns a rows x cols collage of random images of ds, each
// upscaled 2x with a thin border, like the Keras example's first figure.
func SampleGrid(ds *data.Dataset, rows, cols int, rng *rand.Rand) (*image.RGBA, error) {
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("grid of %dx%d: rows and columns must be positive", rows, cols)
	}
	if ds.Len() == 0 {
		return nil, fmt.Errorf("no images to show")
	}
	tiles := make([]image.Image, rows*cols)
	for i := range tiles {
		tiles[i] = ds.RGBA(rng.IntN(ds.Len()))
	}
	return viz.Collage(tiles, rows, cols, 2, 1, borderColor), nil
}

// PairsGrid returns one anchor/positive batch as a 2-row collage: anchors on
// top, each positive below its anchor, one column per class.
func PairsGrid(ds *data.Dataset, seed uint64) (*image.RGBA, error) {
	s, err := data.NewPairBatches(ds.Labels, len(ds.Classes), seed, 1)
	if err != nil {
		return nil, err
	}
	n := len(ds.Classes)
	b := s.Batch(0, nil)
	anchors, positives := b[:n], b[n:]
	tiles := make([]image.Image, 2*n)
	for i := range n {
		tiles[i], tiles[n+i] = ds.RGBA(anchors[i]), ds.RGBA(positives[i])
	}
	return viz.Collage(tiles, 2, n, 2, 1, borderColor), nil
}
