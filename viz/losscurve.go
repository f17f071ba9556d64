package viz

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// LossCurveOptions adjusts LossCurve. The zero value is ready to use.
type LossCurveOptions struct {
	// EpochEnds lists the steps at which epochs end; each inside the
	// plotted steps is marked with a dashed vertical line.
	EpochEnds []int
	// Window is the number of points in the centred moving average; 0
	// picks about 1/50 of the points.
	Window int
	// Width and Height are the image size in pixels; 0 means 960 x 540
	// (960 x 760 with Val).
	Width, Height int
	// Val, when not empty, is plotted in a second panel under the loss:
	// a validation metric (ValLabel, such as "validation precision@1")
	// against step.
	Val      []Point
	ValLabel string
}

// Point is one measurement at a training step.
type Point struct {
	Step  int
	Value float64
}

// LossCurve plots training loss against step and writes it as a PNG to
// path with WritePNG: the raw loss as a thin light line, a centred moving
// average of it as a bold line, and dashed lines at opt.EpochEnds. At most
// one options value may be given. Non-finite losses (a diverged run) are
// left out of the plot.
func LossCurve(path string, steps []int, loss []float64, title string, opt ...LossCurveOptions) error {
	if len(steps) != len(loss) {
		return fmt.Errorf("viz: loss curve %s: %d steps but %d losses", path, len(steps), len(loss))
	}
	if len(opt) > 1 {
		return fmt.Errorf("viz: loss curve %s: %d option values, want at most 1", path, len(opt))
	}
	var o LossCurveOptions
	if len(opt) == 1 {
		o = opt[0]
	}
	raw := make(plotter.XYs, 0, len(loss))
	for i, l := range loss {
		if !math.IsNaN(l) && !math.IsInf(l, 0) {
			raw = append(raw, plotter.XY{X: float64(steps[i]), Y: l})
		}
	}
	if len(raw) == 0 {
		return fmt.Errorf("viz: loss curve %s: %w", path, errors.New("no finite loss values"))
	}
	window := o.Window
	if window <= 0 {
		window = max(1, len(raw)/50)
	}
	wpx, hpx := o.Width, o.Height
	if wpx <= 0 || hpx <= 0 {
		wpx, hpx = 960, 540
		if len(o.Val) > 0 {
			hpx = 760
		}
	}

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "step"
	p.Y.Label.Text = "loss"
	for _, s := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		s.Font.Variant = "Sans"
	}
	p.Title.TextStyle.Font.Size = 15
	p.Title.Padding = 8
	p.X.Tick.Marker = niceTicks{n: 8}
	p.Y.Tick.Marker = niceTicks{n: 6}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.XOffs = -12
	p.Legend.YOffs = -6

	rawColor := color.RGBA{0x9e, 0xc5, 0xe8, 0xff}
	smooth := movingAverage(raw, window)
	if buckets := wpx / 2; len(raw) > 2*buckets {
		// More points than pixels: the raw loss as the band between its
		// lowest and highest value in each of about two buckets a pixel
		// column. It looks as the dense line does, and filling it costs a
		// fraction of stroking a zigzag of tens of thousands of segments
		// (minutes for 20,000 noisy steps).
		band, err := plotter.NewPolygon(envelope(raw, buckets))
		if err != nil {
			return fmt.Errorf("viz: loss curve %s: %w", path, err)
		}
		band.Color = rawColor
		band.LineStyle.Width = 0
		p.Add(band)
		p.Legend.Add("loss (range)", band)
		smooth = envelopeMean(smooth, buckets)
	} else {
		rawLine, err := plotter.NewLine(raw)
		if err != nil {
			return fmt.Errorf("viz: loss curve %s: %w", path, err)
		}
		rawLine.Color = rawColor
		rawLine.Width = 1
		p.Add(rawLine)
		p.Legend.Add("loss", rawLine)
	}
	smoothLine, err := plotter.NewLine(smooth)
	if err != nil {
		return fmt.Errorf("viz: loss curve %s: %w", path, err)
	}
	smoothLine.Color = color.RGBA{0x1f, 0x4e, 0x9a, 0xff}
	smoothLine.Width = 2.5
	p.Add(smoothLine)
	p.Legend.Add(fmt.Sprintf("moving average (%d)", window), smoothLine)
	if len(o.EpochEnds) > 0 {
		ends := epochLines{steps: o.EpochEnds, style: draw.LineStyle{
			Color: color.RGBA{0x80, 0x80, 0x80, 0xff}, Width: 1, Dashes: []vg.Length{4, 3}}}
		p.Add(ends)
		p.Legend.Add("epoch end", ends)
	}

	// Sizes are in points; at 96 dots per inch a pixel is 0.75 points.
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(wpx)*0.75, vg.Length(hpx)*0.75), vgimg.UseDPI(96))
	// Leave a margin of 12 pixels (9 points) around the plot.
	canvas := draw.Crop(draw.New(c), 9, -9, 9, -9)
	if len(o.Val) == 0 {
		p.Draw(canvas)
	} else {
		xy := make(plotter.XYs, len(o.Val))
		for i, v := range o.Val {
			xy[i] = plotter.XY{X: float64(v.Step), Y: v.Value}
		}
		vp, err := metricPlot(xy, "step", o.ValLabel)
		if err != nil {
			return fmt.Errorf("viz: loss curve %s: %w", path, err)
		}
		vp.X.Min, vp.X.Max = p.X.Min, p.X.Max
		// The loss above, the validation metric in the lower 35%.
		split := canvas.Min.Y + (canvas.Max.Y-canvas.Min.Y)*0.35
		p.Draw(draw.Canvas{Canvas: canvas.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: canvas.Min.X, Y: split}, Max: canvas.Max}})
		vp.Draw(draw.Canvas{Canvas: canvas.Canvas, Rectangle: vg.Rectangle{Min: canvas.Min, Max: vg.Point{X: canvas.Max.X, Y: split - 6}}})
	}
	if err := WritePNG(path, c.Image()); err != nil {
		return fmt.Errorf("viz: loss curve: %w", err)
	}
	return nil
}

// metricPlot plots a metric (yLabel, "validation" when empty) against x
// as a line with a marker at each measurement, labelled with the last
// value.
func metricPlot(xy plotter.XYs, xLabel, yLabel string) (*plot.Plot, error) {
	if yLabel == "" {
		yLabel = "validation"
	}
	vp := plot.New()
	vp.X.Label.Text = xLabel
	vp.Y.Label.Text = yLabel
	for _, s := range []*text.Style{&vp.Title.TextStyle, &vp.X.Label.TextStyle, &vp.Y.Label.TextStyle, &vp.X.Tick.Label, &vp.Y.Tick.Label, &vp.Legend.TextStyle} {
		s.Font.Variant = "Sans"
	}
	vp.X.Tick.Marker = niceTicks{n: 8}
	vp.Y.Tick.Marker = niceTicks{n: 4}
	vp.Add(plotter.NewGrid())
	line, points, err := plotter.NewLinePoints(xy)
	if err != nil {
		return nil, err
	}
	line.Color = color.RGBA{0xc0, 0x39, 0x2b, 0xff}
	line.Width = 2
	points.Color = line.Color
	points.Shape = draw.CircleGlyph{}
	vp.Add(line, points)
	vp.Legend.Top = true
	vp.Legend.Left = true
	vp.Legend.Add(fmt.Sprintf("%s (last %.4f)", yLabel, xy[len(xy)-1].Y), line)
	return vp, nil
}

// bucketOf returns the bucket, of n over xy's X range, that x falls in.
func bucketOf(xy plotter.XYs, n int, x float64) int {
	lo, hi := xy[0].X, xy[len(xy)-1].X
	if hi <= lo {
		return 0
	}
	return min(n-1, int(float64(n)*(x-lo)/(hi-lo)))
}

// envelope returns the polygon around xy (sorted by X): the highest Y of
// each of n buckets of the X range from left to right, then the lowest
// from right to left, each at its bucket's mean X.
func envelope(xy plotter.XYs, n int) plotter.XYs {
	type bucket struct {
		x, lo, hi float64
		count     int
	}
	bs := make([]bucket, n)
	for _, p := range xy {
		b := &bs[bucketOf(xy, n, p.X)]
		if b.count == 0 || p.Y < b.lo {
			b.lo = p.Y
		}
		if b.count == 0 || p.Y > b.hi {
			b.hi = p.Y
		}
		b.x += p.X
		b.count++
	}
	out := make(plotter.XYs, 0, 2*n)
	for _, b := range bs {
		if b.count > 0 {
			out = append(out, plotter.XY{X: b.x / float64(b.count), Y: b.hi})
		}
	}
	for i := n - 1; i >= 0; i-- {
		if b := bs[i]; b.count > 0 {
			out = append(out, plotter.XY{X: b.x / float64(b.count), Y: b.lo})
		}
	}
	return out
}

// envelopeMean returns xy (sorted by X) thinned to the mean point of each
// of n buckets of the X range: a smooth line drawn as densely as the
// pixels show it.
func envelopeMean(xy plotter.XYs, n int) plotter.XYs {
	sums := make([]plotter.XY, n)
	counts := make([]int, n)
	for _, p := range xy {
		i := bucketOf(xy, n, p.X)
		sums[i].X += p.X
		sums[i].Y += p.Y
		counts[i]++
	}
	out := make(plotter.XYs, 0, n)
	for i, c := range counts {
		if c > 0 {
			out = append(out, plotter.XY{X: sums[i].X / float64(c), Y: sums[i].Y / float64(c)})
		}
	}
	return out
}

// movingAverage returns the centred moving average of xy's Y over window
// points, narrowing the window at the ends.
func movingAverage(xy plotter.XYs, window int) plotter.XYs {
	out := make(plotter.XYs, len(xy))
	half := window / 2
	prefix := make([]float64, len(xy)+1)
	for i, p := range xy {
		prefix[i+1] = prefix[i] + p.Y
	}
	for i, p := range xy {
		lo, hi := max(0, i-half), min(len(xy), i-half+window)
		out[i] = plotter.XY{X: p.X, Y: (prefix[hi] - prefix[lo]) / float64(hi-lo)}
	}
	return out
}

// epochLines draws full-height vertical lines at the given steps that lie
// strictly inside the x range, without affecting the plot's data range.
type epochLines struct {
	steps []int
	style draw.LineStyle
}

// Plot implements plot.Plotter.
func (e epochLines) Plot(c draw.Canvas, plt *plot.Plot) {
	for _, s := range e.steps {
		// A line on the plot's edges would only hide the axis or the data.
		if float64(s) <= plt.X.Min || float64(s) >= plt.X.Max {
			continue
		}
		x := c.X(plt.X.Norm(float64(s)))
		c.StrokeLine2(e.style, x, c.Min.Y, x, c.Max.Y)
	}
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (e epochLines) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(e.style, x, c.Min.Y, x, c.Max.Y)
}
