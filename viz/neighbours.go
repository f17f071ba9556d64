package viz

import (
	"image"
	"image/color"
	"image/draw"
)

// Layout of the neighbour collage, in pixels.
const (
	ncMargin     = 8  // around everything
	ncFrame      = 3  // frame around each tile
	ncGap        = 4  // between cells
	ncSeparator  = 17 // between the query column and the neighbours
	ncCaptionGap = 2  // between a frame and its caption
	ncCaptionPad = 6  // least space between neighbouring captions
)

// NeighbourCollage draws one row per query, like the Keras example's grid
// of 5 queries by 1+10 columns: rows[i][0] is the query image and
// rows[i][1:] are its neighbours, nearest first. Tiles are upscaled scale
// times by nearest neighbour. The query column is framed in blue and set
// apart by a vertical line, under a header naming the columns.
//
// labels, if not nil, holds a caption for each tile (labels[i][j] for
// rows[i][j]), drawn under it and shortened with ".." if much wider than
// the tile. correct, if not nil, frames neighbour j of row i green when
// correct[i][j] is true (same class as the query) and red otherwise;
// correct[i][0] is ignored. Missing entries and nil tiles are left blank.
func NeighbourCollage(rows [][]image.Image, scale int, labels [][]string, correct [][]bool) *image.RGBA {
	var (
		sameClass  = color.RGBA{0x2c, 0xa0, 0x2c, 0xff} // green
		otherClass = color.RGBA{0xd6, 0x27, 0x28, 0xff} // red
		query      = color.RGBA{0x1f, 0x5f, 0xbf, 0xff} // blue
		separator  = color.RGBA{0xb0, 0xb0, 0xb0, 0xff}
		ink        = color.RGBA{0x20, 0x20, 0x20, 0xff}
	)
	scale = max(scale, 1)
	cols := 0
	var tw, th int
	for _, row := range rows {
		cols = max(cols, len(row))
		w, h := maxTileSize(row)
		tw, th = max(tw, w), max(th, h)
	}
	w, h := tw*scale, th*scale
	framed := w + 2*ncFrame

	// Columns widen for captions, up to twice the framed tile.
	colW := framed
	capH := 0
	if labels != nil {
		capH = ncCaptionGap + captionHeight
		for _, row := range labels {
			for _, s := range row {
				colW = max(colW, min(captionWidth(s)+ncCaptionPad, 2*framed))
			}
		}
	}
	headerH := captionHeight + 6
	cellH := h + 2*ncFrame + capH
	width := 2*ncMargin + cols*colW + max(cols-1, 0)*ncGap
	if cols > 1 {
		width += ncSeparator
	}
	height := 2*ncMargin + headerH + len(rows)*cellH + max(len(rows)-1, 0)*ncGap
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)

	colX := func(c int) int {
		x := ncMargin + c*(colW+ncGap)
		if c > 0 {
			x += ncSeparator
		}
		return x
	}
	top := ncMargin + headerH

	// Header and separator.
	if cols > 0 {
		drawCaption(dst, fitCaption("query", colW), colX(0)+colW/2, ncMargin, ink)
	}
	if cols > 1 {
		x0, x1 := colX(1), colX(cols-1)+colW
		title := "nearest neighbours"
		if correct != nil {
			title += " (green: same class, red: other class)"
		}
		drawCaption(dst, fitCaption(title, x1-x0), (x0+x1)/2, ncMargin, ink)
		sx := colX(1) - (ncSeparator+ncGap)/2
		fillRect(dst, image.Rect(sx, ncMargin, sx+1, height-ncMargin), separator)
	}

	for r, row := range rows {
		y := top + r*(cellH+ncGap)
		for c, tile := range row {
			if tile == nil {
				continue
			}
			x := colX(c) + (colW-framed)/2
			frame := image.Rect(x, y, x+framed, y+h+2*ncFrame)
			switch {
			case c == 0:
				fillRect(dst, frame, query)
			case correct != nil && r < len(correct) && c < len(correct[r]):
				if correct[r][c] {
					fillRect(dst, frame, sameClass)
				} else {
					fillRect(dst, frame, otherClass)
				}
			}
			drawScaled(dst, image.Pt(x+ncFrame, y+ncFrame), tile, scale)
			if labels != nil && r < len(labels) && c < len(labels[r]) {
				s := fitCaption(labels[r][c], colW-ncCaptionPad)
				drawCaption(dst, s, colX(c)+colW/2, frame.Max.Y+ncCaptionGap, ink)
			}
		}
	}
	return dst
}

// fillRect fills r in dst with c.
func fillRect(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}
