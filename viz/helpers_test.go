package viz

import (
	"gonum.org/v1/plot/plotter"
	"image"
	"image/color"
)

// syntheticTile returns a 32x32 tile whose colours depend on c and i.
func syntheticTile(c, i int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			img.Set(x, y, color.RGBA{uint8(c*25 + x*3), uint8(i*20 + y*3), uint8((x ^ y) * 8), 0xff})
		}
	}
	return img
}

// toXYs turns ys into points at x = 0, 1, 2, ...
func toXYs(ys []float64) plotter.XYs {
	xy := make(plotter.XYs, len(ys))
	for i, y := range ys {
		xy[i] = plotter.XY{X: float64(i), Y: y}
	}
	return xy
}
