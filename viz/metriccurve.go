package viz

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// XY is one measurement of a metric at x.
type XY struct{ X, Y float64 }

// MetricCurve plots a metric (yLabel) against x (xLabel), such as
// validation precision@1 against training minutes, as a line with a
// marker at each point, and writes it as a 960 x 540 PNG to path.
func MetricCurve(path string, points []XY, title, xLabel, yLabel string) error {
	xy := make(plotter.XYs, 0, len(points))
	for _, p := range points {
		if !math.IsNaN(p.Y) && !math.IsInf(p.Y, 0) {
			xy = append(xy, plotter.XY{X: p.X, Y: p.Y})
		}
	}
	if len(xy) == 0 {
		return fmt.Errorf("viz: metric curve %s: no finite values", path)
	}
	p, err := metricPlot(xy, xLabel, yLabel)
	if err != nil {
		return fmt.Errorf("viz: metric curve %s: %w", path, err)
	}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 15
	p.Title.Padding = 8
	// Sizes are in points; at 96 dots per inch a pixel is 0.75 points.
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(960)*0.75, vg.Length(540)*0.75), vgimg.UseDPI(96))
	p.Draw(draw.Crop(draw.New(c), 9, -9, 9, -9))
	if err := WritePNG(path, c.Image()); err != nil {
		return fmt.Errorf("viz: metric curve: %w", err)
	}
	return nil
}
