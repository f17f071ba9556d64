package viz

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// RatesCurve is what CalibrationPlot draws: for each threshold (highest
// first), the precision, recall, false accept and false reject rates of
// accepting the pairs scoring at least it, and the operating points to
// mark.
type RatesCurve struct {
	Threshold, Precision, Recall, FalseAccept, FalseReject []float64
	Points                                                 []MarkedPoint
}

// MarkedPoint is an operating point: its name and where it lies.
type MarkedPoint struct {
	Name                         string
	Threshold, Precision, Recall float64
}

// CalibrationPlot writes a 1280 x 540 PNG to path: on the left the
// precision-recall curve, on the right the four rates against the
// threshold, the operating points marked on both.
func CalibrationPlot(path, title string, c RatesCurve) error {
	n := len(c.Threshold)
	if n == 0 || len(c.Precision) != n || len(c.Recall) != n || len(c.FalseAccept) != n || len(c.FalseReject) != n {
		return fmt.Errorf("viz: calibration plot %s: %d thresholds and rates of other lengths", path, n)
	}
	style := func(p *plot.Plot) {
		for _, s := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
			&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
			s.Font.Variant = "Sans"
		}
		p.X.Tick.Marker = niceTicks{n: 8}
		p.Y.Tick.Marker = niceTicks{n: 6}
		p.Add(plotter.NewGrid())
	}
	line := func(p *plot.Plot, x, y []float64, col color.Color, label string) error {
		xy := make(plotter.XYs, len(x))
		for i := range x {
			xy[i] = plotter.XY{X: x[i], Y: y[i]}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color, l.Width = col, 2
		p.Add(l)
		p.Legend.Add(label, l)
		return nil
	}
	mark := func(p *plot.Plot, xy plotter.XYs) error {
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		s.Shape, s.Color, s.Radius = draw.CircleGlyph{}, color.Black, 4
		p.Add(s)
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: pointNames(c.Points)})
		if err != nil {
			return err
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].Font.Variant = "Sans"
			labels.TextStyle[i].XAlign = draw.XRight
		}
		labels.Offset = vg.Point{X: -6, Y: 4}
		p.Add(labels)
		return nil
	}
	pr := plot.New()
	style(pr)
	pr.Title.Text = title
	pr.X.Label.Text, pr.Y.Label.Text = "recall", "precision"
	pr.Legend.Left, pr.Legend.Top = true, false
	if err := line(pr, c.Recall, c.Precision, color.RGBA{0x1f, 0x4e, 0x9a, 0xff}, "precision against recall"); err != nil {
		return err
	}
	rt := plot.New()
	style(rt)
	rt.Title.Text = "Rates against the match threshold"
	rt.X.Label.Text, rt.Y.Label.Text = "threshold (similarity)", "rate"
	rt.Legend.Left, rt.Legend.Top = true, false
	for _, s := range []struct {
		y     []float64
		col   color.RGBA
		label string
	}{
		{c.Precision, color.RGBA{0x1f, 0x4e, 0x9a, 0xff}, "precision"},
		{c.Recall, color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, "recall"},
		{c.FalseAccept, color.RGBA{0xd6, 0x27, 0x28, 0xff}, "false accept rate"},
		{c.FalseReject, color.RGBA{0xff, 0x7f, 0x0e, 0xff}, "false reject rate"},
	} {
		if err := line(rt, c.Threshold, s.y, s.col, s.label); err != nil {
			return err
		}
	}
	if len(c.Points) > 0 {
		var onPR, onRT plotter.XYs
		for _, p := range c.Points {
			onPR = append(onPR, plotter.XY{X: p.Recall, Y: p.Precision})
			onRT = append(onRT, plotter.XY{X: p.Threshold, Y: p.Precision})
		}
		if err := mark(pr, onPR); err != nil {
			return err
		}
		if err := mark(rt, onRT); err != nil {
			return err
		}
	}
	// Sizes are in points; at 96 dots per inch a pixel is 0.75 points.
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(1280)*0.75, vg.Length(540)*0.75), vgimg.UseDPI(96))
	dc := draw.Crop(draw.New(img), 9, -9, 9, -9)
	mid := (dc.Min.X + dc.Max.X) / 2
	pr.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: dc.Min, Max: vg.Point{X: mid - 9, Y: dc.Max.Y}}})
	rt.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: mid + 9, Y: dc.Min.Y}, Max: dc.Max}})
	if err := WritePNG(path, img.Image()); err != nil {
		return fmt.Errorf("viz: calibration plot: %w", err)
	}
	return nil
}

func pointNames(ps []MarkedPoint) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}
