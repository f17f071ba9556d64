package viz

import (
	"image"
	"image/color"
	"math"
	"strconv"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ConfusionMatrixPNG draws a neighbour confusion matrix the way sklearn's
// ConfusionMatrixDisplay does: m[i][j] counts neighbours of class j found
// for queries of class i, shown as a cell coloured by the viridis colormap
// (0 to the largest count) with the count written in it, white on dark
// cells and black on light ones. Query classes run down the left, labelled
// "Query class"; neighbour classes run along the bottom with names slanted
// at 45 degrees, labelled "Neighbour class"; a colour bar sits on the right
// and title, if not empty, on top. For 10 classes the image is about 800
// pixels square; the grid shrinks its cells for more classes.
//
// The matrix has len(m) classes; missing cells count as 0, and a class
// without a name in classes is labelled with its number.
func ConfusionMatrixPNG(m [][]int, classes []string, title string) image.Image {
	n := max(len(m), 1)
	names := make([]string, n)
	for i := range names {
		if i < len(classes) {
			names[i] = classes[i]
		} else {
			names[i] = strconv.Itoa(i)
		}
	}
	count := func(i, j int) int {
		if i < len(m) && j < len(m[i]) {
			return m[i][j]
		}
		return 0
	}
	vmax := 1
	for i := range n {
		for j := range n {
			vmax = max(vmax, count(i, j))
		}
	}

	sans := func(size float64, bold bool) text.Style {
		f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Length(size)}
		if bold {
			f.Weight = xfont.WeightBold
		}
		return text.Style{Color: color.Black, Font: f, Handler: plot.DefaultTextHandler}
	}
	tick := sans(13, false)
	axisTitle := sans(14, false)
	titleStyle := sans(16, true)

	// Cells: about 520 pixels of grid, with counts sized to fit.
	cell := math.Round(min(64, max(22, 520/float64(n))))
	countStyle := sans(min(14, cell*0.34), false)
	for countStyle.Font.Size > 6 && float64(countStyle.Width(strconv.Itoa(vmax))) > cell-6 {
		countStyle.Font.Size--
	}

	maxName := 0.0
	for _, s := range names {
		maxName = max(maxName, float64(tick.Width(s)))
	}
	tickH := float64(tick.FontExtents().Height)
	axisH := float64(axisTitle.FontExtents().Height)
	const (
		pad     = 14.0 // canvas edge
		tickLen = 4.0  // tick marks
		tickGap = 4.0  // tick mark to label
		barGap  = 24.0 // grid to colour bar
		barW    = 18.0 // colour bar width
	)
	cos45 := math.Sqrt2 / 2

	// Colour bar ticks at a round step.
	step := max(1, niceStep(float64(vmax)/5))
	var barTicks []int
	for v := 0.0; v <= float64(vmax)+1e-9; v += step {
		barTicks = append(barTicks, int(math.Round(v)))
	}
	maxTickW := 0.0
	for _, v := range barTicks {
		maxTickW = max(maxTickW, float64(tick.Width(strconv.Itoa(v))))
	}

	grid := cell * float64(n)
	x0 := pad + axisH + 10 + maxName + tickGap + tickLen
	// The first slanted x label must not run off the left edge.
	x0 = math.Ceil(max(x0, pad+maxName*cos45+tickH-cell/2))
	y0 := pad
	if title != "" {
		y0 += float64(titleStyle.FontExtents().Height) + 12
	}
	y0 = math.Ceil(y0)
	x1, y1 := x0+grid, y0+grid
	bx := x1 + barGap
	width := math.Ceil(bx + barW + tickLen + tickGap + maxTickW + pad)
	xLabelsH := maxName*cos45 + tickH*cos45
	height := math.Ceil(y1 + tickLen + tickGap + xLabelsH + 10 + axisH + pad)

	c := vgimg.NewWith(vgimg.UseWH(vg.Length(width), vg.Length(height)), vgimg.UseDPI(72))
	dc := draw.New(c)
	// pt converts top-left pixel coordinates to the canvas's bottom-left.
	pt := func(x, y float64) vg.Point { return vg.Point{X: vg.Length(x), Y: vg.Length(height - y)} }
	rect := func(col color.Color, xa, ya, xb, yb float64) {
		dc.FillPolygon(col, []vg.Point{pt(xa, ya), pt(xb, ya), pt(xb, yb), pt(xa, yb)})
	}
	dark := color.Gray{0x30}
	line := draw.LineStyle{Color: dark, Width: 1}
	stroke := func(xa, ya, xb, yb float64) {
		dc.StrokeLine2(line, vg.Length(xa), vg.Length(height-ya), vg.Length(xb), vg.Length(height-yb))
	}
	at := func(sty text.Style, xa text.XAlignment, ya text.YAlignment, rot float64) text.Style {
		sty.XAlign, sty.YAlign, sty.Rotation = xa, ya, rot
		return sty
	}

	// Cells and counts.
	for i := range n {
		for j := range n {
			v := count(i, j)
			col := Viridis(float64(v) / float64(vmax))
			cx, cy := x0+float64(j)*cell, y0+float64(i)*cell
			rect(col, cx, cy, cx+cell, cy+cell)
			sty := at(countStyle, draw.XCenter, draw.YCenter, 0)
			if isDark(col) {
				sty.Color = color.White
			}
			dc.FillText(sty, pt(cx+cell/2, cy+cell/2), strconv.Itoa(v))
		}
	}
	// Grid frame, ticks and class names.
	stroke(x0-0.5, y0-0.5, x1+0.5, y0-0.5)
	stroke(x0-0.5, y1+0.5, x1+0.5, y1+0.5)
	stroke(x0-0.5, y0-0.5, x0-0.5, y1+0.5)
	stroke(x1+0.5, y0-0.5, x1+0.5, y1+0.5)
	for i, s := range names {
		mid := math.Round(y0+(float64(i)+0.5)*cell) + 0.5
		stroke(x0-tickLen, mid, x0, mid)
		dc.FillText(at(tick, draw.XRight, draw.YCenter, 0), pt(x0-tickLen-tickGap, mid), s)
	}
	for j, s := range names {
		mid := math.Round(x0+(float64(j)+0.5)*cell) + 0.5
		stroke(mid, y1, mid, y1+tickLen)
		dc.FillText(at(tick, draw.XRight, draw.YCenter, math.Pi/4), pt(mid+tickH*cos45/2, y1+tickLen+tickGap), s)
	}
	// Axis titles and title.
	dc.FillText(at(axisTitle, draw.XCenter, draw.YBottom, 0), pt((x0+x1)/2, height-pad), "Neighbour class")
	dc.FillText(at(axisTitle, draw.XCenter, draw.YTop, math.Pi/2), pt(pad, (y0+y1)/2), "Query class")
	if title != "" {
		dc.FillText(at(titleStyle, draw.XCenter, draw.YTop, 0), pt((x0+x1)/2, pad), title)
	}

	// Colour bar: one-pixel strips from 0 at the bottom to vmax at the top.
	for y := y0; y < y1; y++ {
		rect(Viridis((y1-y-0.5)/grid), bx, y, bx+barW, y+1)
	}
	stroke(bx-0.5, y0-0.5, bx+barW+0.5, y0-0.5)
	stroke(bx-0.5, y1+0.5, bx+barW+0.5, y1+0.5)
	stroke(bx-0.5, y0-0.5, bx-0.5, y1+0.5)
	stroke(bx+barW+0.5, y0-0.5, bx+barW+0.5, y1+0.5)
	for _, v := range barTicks {
		y := math.Round(y1-float64(v)/float64(vmax)*grid) + 0.5
		stroke(bx+barW, y, bx+barW+tickLen, y)
		dc.FillText(at(tick, draw.XLeft, draw.YCenter, 0), pt(bx+barW+tickLen+tickGap, y), strconv.Itoa(v))
	}
	return c.Image()
}
