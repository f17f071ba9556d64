package viz

import (
	"image"
	"image/color"
	"image/draw"

	xdraw "golang.org/x/image/draw"
)

// Collage lays tiles out row by row in a rows x cols grid, like the Keras
// example's 5x5 grid of CIFAR-10 images. Each tile is upscaled scale times
// by nearest neighbour and tiles are separated, and surrounded, by border
// pixels of bg, which also fills empty cells. A nil tile leaves its cell
// blank; tiles beyond rows*cols are ignored.
//
// Every cell is as large as the largest tile; a smaller tile sits in its
// cell's top-left corner. With cell size w x h after scaling, the result is
// cols*w + (cols+1)*border wide and rows*h + (rows+1)*border high, and tile
// i's top-left pixel is at (border + c*(w+border), border + r*(h+border))
// for r, c = i/cols, i%cols. A scale below 1 counts as 1 and a negative
// border as 0.
func Collage(tiles []image.Image, rows, cols, scale, border int, bg color.Color) *image.RGBA {
	rows, cols = max(rows, 0), max(cols, 0)
	scale, border = max(scale, 1), max(border, 0)
	tw, th := maxTileSize(tiles)
	w, h := tw*scale, th*scale
	dst := image.NewRGBA(image.Rect(0, 0, cols*w+(cols+1)*border, rows*h+(rows+1)*border))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	for i, t := range tiles {
		if i >= rows*cols {
			break
		}
		if t == nil {
			continue
		}
		r, c := i/cols, i%cols
		at := image.Pt(border+c*(w+border), border+r*(h+border))
		drawScaled(dst, at, t, scale)
	}
	return dst
}

// maxTileSize returns the largest width and height among the non-nil tiles.
func maxTileSize(tiles []image.Image) (w, h int) {
	for _, t := range tiles {
		if t != nil {
			w, h = max(w, t.Bounds().Dx()), max(h, t.Bounds().Dy())
		}
	}
	return w, h
}

// drawScaled draws src upscaled scale times by nearest neighbour with its
// top-left corner at at.
func drawScaled(dst draw.Image, at image.Point, src image.Image, scale int) {
	sb := src.Bounds()
	r := image.Rectangle{Min: at, Max: at.Add(image.Pt(sb.Dx()*scale, sb.Dy()*scale))}
	xdraw.NearestNeighbor.Scale(dst, r, src, sb, xdraw.Over, nil)
}
