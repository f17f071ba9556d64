package viz

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
)

// solid returns a w x h tile of one colour.
func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

func rgba(c color.Color) color.RGBA {
	return color.RGBAModel.Convert(c).(color.RGBA)
}

func TestCollagePlacement(t *testing.T) {
	const tw, th, scale, border = 2, 3, 3, 2
	bg := color.RGBA{0xff, 0, 0, 0xff}
	colours := []color.RGBA{{0, 0, 10, 255}, {0, 0, 20, 255}, {0, 0, 30, 255}, {0, 0, 40, 255}, {0, 0, 50, 255}}
	tiles := make([]image.Image, 7)
	for i, c := range colours {
		tiles[i] = solid(tw, th, c)
	}
	tiles[4] = nil // blank cell
	// Mark tile 0's source pixel (1, 2) so its scaled block can be found.
	mark := color.RGBA{0, 255, 0, 255}
	tiles[0].(*image.RGBA).Set(1, 2, mark)
	// tiles[5] is beyond the grid and tiles[6] is nil.
	tiles[5] = solid(tw, th, color.White)

	got := Collage(tiles, 2, 2, scale, border, bg)
	w, h := tw*scale, th*scale
	if want := image.Rect(0, 0, 2*w+3*border, 2*h+3*border); got.Bounds() != want {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want)
	}
	for y := 0; y < got.Bounds().Dy(); y++ {
		for x := 0; x < got.Bounds().Dx(); x++ {
			cx, cy := (x-border)/(w+border), (y-border)/(h+border)
			inX := x >= border && (x-border)%(w+border) < w
			inY := y >= border && (y-border)%(h+border) < h
			want := bg
			if inX && inY {
				want = colours[cy*2+cx]
				sx, sy := (x-border)%(w+border)/scale, (y-border)%(h+border)/scale
				if cy == 0 && cx == 0 && sx == 1 && sy == 2 {
					want = mark
				}
			}
			if g := got.RGBAAt(x, y); g != want {
				t.Fatalf("pixel (%d, %d) = %v, want %v", x, y, g, want)
			}
		}
	}
}

func TestCollageDefaults(t *testing.T) {
	// Mixed tile sizes use the largest; scale 0 counts as 1; no tiles at all
	// still give a background-only grid.
	got := Collage([]image.Image{solid(4, 2, color.Black), solid(2, 5, color.Black)}, 1, 2, 0, 1, color.White)
	if want := image.Rect(0, 0, 2*4+3, 5+2); got.Bounds() != want {
		t.Errorf("bounds %v, want %v", got.Bounds(), want)
	}
	empty := Collage(nil, 2, 2, 2, 3, color.White)
	if want := image.Rect(0, 0, 9, 9); empty.Bounds() != want {
		t.Errorf("empty bounds %v, want %v", empty.Bounds(), want)
	}
}

func TestNeighbourCollageFrames(t *testing.T) {
	tile := func(c color.RGBA) image.Image { return solid(4, 4, c) }
	q := color.RGBA{1, 2, 3, 255}
	n1 := color.RGBA{4, 5, 6, 255}
	n2 := color.RGBA{7, 8, 9, 255}
	rows := [][]image.Image{{tile(q), tile(n1), tile(n2)}, {tile(q), nil, tile(n2)}}
	correct := [][]bool{{true, true, false}, {true, false, true}}
	img := NeighbourCollage(rows, 2, nil, correct)

	framed := 4*2 + 2*ncFrame
	colX := []int{ncMargin, ncMargin + framed + ncGap + ncSeparator, ncMargin + 2*(framed+ncGap) + ncSeparator}
	top := ncMargin + captionHeight + 6
	wantW := 2*ncMargin + 3*framed + 2*ncGap + ncSeparator
	wantH := top + 2*framed + ncGap + ncMargin
	if img.Bounds() != image.Rect(0, 0, wantW, wantH) {
		t.Fatalf("bounds %v, want %dx%d", img.Bounds(), wantW, wantH)
	}
	check := func(name string, x, y int, want color.RGBA) {
		t.Helper()
		if got := img.RGBAAt(x, y); got != want {
			t.Errorf("%s at (%d, %d) = %v, want %v", name, x, y, got, want)
		}
	}
	green := color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	red := color.RGBA{0xd6, 0x27, 0x28, 0xff}
	blue := color.RGBA{0x1f, 0x5f, 0xbf, 0xff}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	check("query frame", colX[0], top, blue)
	check("query tile", colX[0]+ncFrame, top+ncFrame, q)
	check("same-class frame", colX[1]+1, top+1, green)
	check("neighbour 1", colX[1]+ncFrame+7, top+ncFrame+7, n1)
	check("other-class frame", colX[2]+framed-1, top+framed-1, red)
	check("neighbour 2", colX[2]+ncFrame, top+ncFrame, n2)
	y2 := top + framed + ncGap
	check("nil tile", colX[1]+ncFrame, y2+ncFrame, white)
	check("second row frame", colX[2], y2, green)
	// The separator line runs between the query and the neighbours.
	sx := colX[1] - (ncSeparator+ncGap)/2
	check("separator", sx, top+framed/2, color.RGBA{0xb0, 0xb0, 0xb0, 0xff})

	// Captions add a line under each row.
	labels := [][]string{{"cat", "cat", "a very long class name"}, {"dog", "", "dog"}}
	withCaps := NeighbourCollage(rows, 2, labels, correct)
	if dh := withCaps.Bounds().Dy() - img.Bounds().Dy(); dh != 2*(ncCaptionGap+captionHeight) {
		t.Errorf("captions add %d pixels of height, want %d", dh, 2*(ncCaptionGap+captionHeight))
	}
	if withCaps.Bounds().Dx() <= img.Bounds().Dx() {
		t.Errorf("long captions should widen the columns")
	}
}

func TestFitCaption(t *testing.T) {
	if got := fitCaption("automobile", 70); got != "automobile" {
		t.Errorf("fitCaption fits %q, want it whole", got)
	}
	if got := fitCaption("automobile", 50); got != "autom.." || captionWidth(got) > 50 {
		t.Errorf("fitCaption(automobile, 50) = %q", got)
	}
}

// decode reads back a PNG file.
func decode(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// onlyFiles fails unless dir holds exactly the named files.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}

func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grid.png")
	img := Collage([]image.Image{solid(3, 3, color.Black)}, 2, 2, 2, 1, color.White)
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	back := decode(t, path)
	if back.Bounds() != img.Bounds() {
		t.Errorf("decoded bounds %v, want %v", back.Bounds(), img.Bounds())
	}
	if got := rgba(back.At(1, 1)); got != (color.RGBA{0, 0, 0, 255}) {
		t.Errorf("decoded pixel = %v, want black", got)
	}
	old, _ := os.ReadFile(path)

	// An image PNG cannot encode fails without touching the old file.
	if err := WritePNG(path, image.NewRGBA(image.Rect(0, 0, 0, 0))); err == nil {
		t.Error("WritePNG of an empty image succeeded")
	}
	if err := WritePNG(path, nil); err == nil {
		t.Error("WritePNG of nil succeeded")
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Error("a failed WritePNG changed the existing file")
	}
	onlyFiles(t, dir, "grid.png")

	if err := WritePNG(filepath.Join(dir, "missing", "x.png"), img); err == nil {
		t.Error("WritePNG into a missing directory succeeded")
	}
}

func TestConfusionMatrixPNG(t *testing.T) {
	classes := []string{"airplane (fixed wing)", "automobile", "bird", "cat", "deer",
		"dog", "frog", "horse", "container ship", "pickup truck"}
	m := make([][]int, 10)
	for i := range m {
		m[i] = make([]int, 10)
		m[i][i] = 91
		m[i][(i+1)%10] = 9
	}
	img := ConfusionMatrixPNG(m, classes, "Neighbour confusion matrix")
	b := img.Bounds()
	if b.Dx() < 600 || b.Dx() > 1000 || b.Dy() < 600 || b.Dy() > 1000 {
		t.Errorf("size %v, want roughly 800 pixels square", b.Size())
	}
	// Nothing may be cut off: the outer 4 pixels stay background.
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if x >= 4 && x < b.Max.X-4 && y >= 4 && y < b.Max.Y-4 {
				continue
			}
			if c := rgba(img.At(x, y)); c != (color.RGBA{255, 255, 255, 255}) {
				t.Fatalf("edge pixel (%d, %d) = %v, want white", x, y, c)
			}
		}
	}
	// Both ends of the colormap appear: the diagonal and the empty cells.
	var yellow, purple bool
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch rgba(img.At(x, y)) {
			case Viridis(1):
				yellow = true
			case Viridis(0):
				purple = true
			}
		}
	}
	if !yellow || !purple {
		t.Errorf("colormap ends present: yellow %v, purple %v", yellow, purple)
	}

	// Ragged input and missing names still render.
	if small := ConfusionMatrixPNG([][]int{{1}, {2, 3}}, nil, ""); small.Bounds().Empty() {
		t.Error("ragged matrix rendered empty")
	}
}

func TestLossCurve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "loss.png")
	steps := make([]int, 500)
	loss := make([]float64, 500)
	for i := range steps {
		steps[i] = 10 * i
		loss[i] = 2 * math.Exp(-float64(i)/100)
	}
	loss[7] = math.NaN()
	if err := LossCurve(path, steps, loss, "loss"); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, path).Bounds(); got != image.Rect(0, 0, 960, 540) {
		t.Errorf("default size %v, want 960x540", got)
	}
	opt := LossCurveOptions{EpochEnds: []int{1000, 2000, 3000}, Window: 9, Width: 640, Height: 400}
	if err := LossCurve(path, steps, loss, "", opt); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, path).Bounds(); got != image.Rect(0, 0, 640, 400) {
		t.Errorf("size %v, want 640x400", got)
	}
	onlyFiles(t, dir, "loss.png")

	if err := LossCurve(path, steps[:3], loss, "x"); err == nil {
		t.Error("mismatched lengths accepted")
	}
	if err := LossCurve(path, []int{1}, []float64{math.Inf(1)}, "x"); err == nil {
		t.Error("a curve with no finite loss accepted")
	}
}

// TestLossEnvelope checks the band a dense loss curve is drawn as, on a
// hand-made case, and that a long noisy curve (20,000 steps: minutes as a
// stroked line) is drawn.
func TestLossEnvelope(t *testing.T) {
	xy := toXYs([]float64{5, 1, 3, 2, 8, 4}) // X 0..5
	got := envelope(xy, 3)                   // buckets {0,1}, {2,3}, {4,5}
	want := plotter.XYs{{X: 0.5, Y: 5}, {X: 2.5, Y: 3}, {X: 4.5, Y: 8}, {X: 4.5, Y: 4}, {X: 2.5, Y: 2}, {X: 0.5, Y: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("envelope = %v, want %v", got, want)
	}
	if got, want := envelopeMean(xy, 3), (plotter.XYs{{X: 0.5, Y: 3}, {X: 2.5, Y: 2.5}, {X: 4.5, Y: 6}}); !slices.Equal(got, want) {
		t.Errorf("bucket means = %v, want %v", got, want)
	}
	steps := make([]int, 20000)
	loss := make([]float64, len(steps))
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range steps {
		steps[i], loss[i] = i+1, 2+rng.Float64()
	}
	path := filepath.Join(t.TempDir(), "loss.png")
	if err := LossCurve(path, steps, loss, "noisy", LossCurveOptions{EpochEnds: []int{10000}}); err != nil {
		t.Fatal(err)
	}
	// The band covers the middle of the plot: light blue across the
	// loss's range.
	img := decode(t, path)
	blue := 0
	for x := 100; x < 900; x += 10 {
		r, g, b, _ := img.At(x, 270).RGBA()
		if r>>8 == 0x9e && g>>8 == 0xc5 && b>>8 == 0xe8 {
			blue++
		}
	}
	if blue < 40 {
		t.Errorf("%d of 80 points across the middle are the band's colour", blue)
	}
}

func TestMetricCurve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "validation.png")
	pts := []XY{{0, 0.1}, {2.5, 0.4}, {5, math.NaN()}, {7.5, 0.5}}
	if err := MetricCurve(path, pts, "p@1", "minutes", "precision@1"); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, path).Bounds(); got != image.Rect(0, 0, 960, 540) {
		t.Errorf("size %v, want 960x540", got)
	}
	onlyFiles(t, dir, "validation.png")
	if err := MetricCurve(path, []XY{{1, math.Inf(1)}}, "", "x", "y"); err == nil {
		t.Error("a curve with no finite value accepted")
	}
	if err := MetricCurve(path, nil, "", "x", "y"); err == nil {
		t.Error("an empty curve accepted")
	}
}

func TestMovingAverage(t *testing.T) {
	in := []float64{1, 2, 3, 4, 5}
	var pts []float64
	for _, p := range movingAverage(toXYs(in), 3) {
		pts = append(pts, p.Y)
	}
	want := []float64{1.5, 2, 3, 4, 4.5}
	for i := range want {
		if pts[i] != want[i] {
			t.Fatalf("moving average = %v, want %v", pts, want)
		}
	}
}

func TestViridisAndTicks(t *testing.T) {
	if Viridis(0) != (color.RGBA{0x44, 0x01, 0x54, 0xff}) || Viridis(1) != (color.RGBA{0xfd, 0xe7, 0x25, 0xff}) ||
		Viridis(math.NaN()) != Viridis(-1) || Viridis(2) != Viridis(1) {
		t.Error("viridis ends wrong")
	}
	if !isDark(Viridis(0)) || isDark(Viridis(1)) {
		t.Error("text contrast: viridis should be dark at 0 and light at 1")
	}
	var labels []string
	for _, tk := range (niceTicks{n: 6}).Ticks(-0.1, 2.6) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0.0 0.5 1.0 1.5 2.0 2.5" {
		t.Errorf("tick labels %q", got)
	}
}
