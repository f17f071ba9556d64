package data

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/tiff"
)

// maxAbsDiff returns the largest absolute difference between a and b, which
// must have the same length.
func maxAbsDiff(t *testing.T, a, b []uint8) int {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("lengths differ: %d and %d", len(a), len(b))
	}
	m := 0
	for i := range a {
		m = max(m, abs(int(a[i])-int(b[i])))
	}
	return m
}

// meanAbsDiff returns the mean absolute difference between a and b.
func meanAbsDiff(a, b []uint8) float64 {
	s := 0
	for i := range a {
		s += abs(int(a[i]) - int(b[i]))
	}
	return float64(s) / float64(len(a))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestDecodeImageFormatsAtSize(t *testing.T) {
	img := pattern(32, 32, 1)
	want := rgbOf(img)

	// A paletted image holding exactly the colours it uses, so GIF is exact.
	pal := image.NewPaletted(image.Rect(0, 0, 32, 32), color.Palette{
		color.RGBA{0, 0, 0, 255}, color.RGBA{200, 10, 30, 255}, color.RGBA{5, 250, 90, 255}})
	for y := range 32 {
		for x := range 32 {
			pal.SetColorIndex(x, y, uint8((x*3+y)%3))
		}
	}

	tests := []struct {
		name    string
		data    []byte
		want    []uint8
		maxDiff int
	}{
		{"png", encode(t, img, "png"), want, 0},
		{"bmp", encode(t, img, "bmp"), want, 0},
		{"gif", encode(t, pal, "gif"), rgbOf(pal), 0},
		{"jpeg", encode(t, img, "jpeg"), want, -1}, // lossy: checked on average
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeImage(bytes.NewReader(tt.data), 32, 0)
			if err != nil {
				t.Fatal(err)
			}
			if tt.maxDiff < 0 {
				if d := meanAbsDiff(got, tt.want); d > 4 {
					t.Errorf("mean difference %.2f, want <= 4", d)
				}
				return
			}
			if d := maxAbsDiff(t, got, tt.want); d > tt.maxDiff {
				t.Errorf("max difference %d, want <= %d", d, tt.maxDiff)
			}
		})
	}
}

func TestDecodeImageWebP(t *testing.T) {
	a := color.NRGBA{R: 250, G: 20, B: 100, A: 255}
	b := color.NRGBA{R: 10, G: 200, B: 60, A: 255}
	first := func(x, y int) bool { return (x+2*y)%3 == 0 }
	data := webpTwoColour(8, 8, a, b, first)
	got, err := DecodeImage(bytes.NewReader(data), 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	for y := range 8 {
		for x := range 8 {
			c := b
			if first(x, y) {
				c = a
			}
			p := got[(y*8+x)*3:]
			if p[0] != c.R || p[1] != c.G || p[2] != c.B {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, p[:3], c)
			}
		}
	}

	// An odd-sized solid WebP resizes to a solid image of the same colour.
	solid := webpTwoColour(5, 3, a, b, func(x, y int) bool { return true })
	got, err = DecodeImage(bytes.NewReader(solid), 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(got); i += 3 {
		if abs(int(got[i])-int(a.R)) > 1 || abs(int(got[i+1])-int(a.G)) > 1 || abs(int(got[i+2])-int(a.B)) > 1 {
			t.Fatalf("resized pixel %d = %v, want about %v", i/3, got[i:i+3], a)
		}
	}
}

func TestDecodeImageAlphaOnBlack(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := range 16 {
		img.Set(i%4, i/4, color.NRGBA{R: 200, G: 100, B: 50, A: uint8(i * 17)})
	}
	got, err := DecodeImage(bytes.NewReader(encode(t, img, "png")), 4, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 16 {
		a := i * 17
		want := []int{200 * a / 255, 100 * a / 255, 50 * a / 255}
		for c := range 3 {
			if d := abs(int(got[i*3+c]) - want[c]); d > 1 {
				t.Errorf("pixel %d channel %d = %d, want %d (composited on black)", i, c, got[i*3+c], want[c])
			}
		}
	}
	// Fully transparent is black, fully opaque keeps its colour.
	if got[0] != 0 || got[1] != 0 || got[2] != 0 {
		t.Errorf("transparent pixel = %v, want black", got[:3])
	}
	if got[45] != 200 || got[46] != 100 || got[47] != 50 {
		t.Errorf("opaque pixel = %v, want [200 100 50]", got[45:48])
	}
}

func TestDecodeImageGreyAndOddSizes(t *testing.T) {
	// Greyscale at size: channels replicated exactly.
	grey := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 4)
	}
	got, err := DecodeImage(bytes.NewReader(encode(t, grey, "png")), 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range grey.Pix {
		if got[3*i] != v || got[3*i+1] != v || got[3*i+2] != v {
			t.Fatalf("grey pixel %d = %v, want %d x3", i, got[3*i:3*i+3], v)
		}
	}

	// 16-bit greyscale, odd size, resized: a solid level stays that level.
	g16 := image.NewGray16(image.Rect(0, 0, 45, 17))
	for y := range 17 {
		for x := range 45 {
			g16.SetGray16(x, y, color.Gray16{Y: 0x8080})
		}
	}
	got, err = DecodeImage(bytes.NewReader(encode(t, g16, "png")), 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 32*32*3 {
		t.Fatalf("got %d bytes, want %d", len(got), 32*32*3)
	}
	for i, v := range got {
		if abs(int(v)-0x80) > 1 {
			t.Fatalf("byte %d = %d, want about 128", i, v)
		}
	}

	// Down- and up-scaling a smooth image stays close to the same image
	// drawn directly at the target size. A non-square image keeps its
	// aspect ratio: its centred square is what is scaled, and the red
	// margins around it are cut off.
	smooth := func(w, h int) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		side := min(w, h)
		x0, y0 := (w-side)/2, (h-side)/2
		for y := range h {
			for x := range w {
				u, v := x-x0, y-y0
				if u < 0 || v < 0 || u >= side || v >= side {
					img.SetRGBA(x, y, color.RGBA{255, 0, 0, 255})
					continue
				}
				img.SetRGBA(x, y, color.RGBA{uint8(255 * u / (side - 1)), uint8(255 * v / (side - 1)), 128, 255})
			}
		}
		return img
	}
	want := rgbOf(smooth(32, 32))
	for _, size := range [][2]int{{97, 64}, {16, 16}, {33, 31}, {40, 120}} {
		got, err := DecodeImage(bytes.NewReader(encode(t, smooth(size[0], size[1]), "png")), 32, 0)
		if err != nil {
			t.Fatal(err)
		}
		if d := meanAbsDiff(got, want); d > 6 {
			t.Errorf("%dx%d resized to 32x32: mean difference %.2f from the direct image, want <= 6", size[0], size[1], d)
		}
	}
}

func TestToRGBOtherModels(t *testing.T) {
	// CMYK and YCbCr take the generic path; compare with color conversion.
	cmyk := image.NewCMYK(image.Rect(0, 0, 4, 4))
	ycc := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio444)
	for i := range 16 {
		cmyk.Set(i%4, i/4, color.CMYK{C: uint8(i * 15), M: 40, Y: uint8(255 - i*15), K: 10})
		ycc.Y[i], ycc.Cb[i], ycc.Cr[i] = uint8(i*16), 100, 160
	}
	for _, img := range []image.Image{cmyk, ycc} {
		got := make([]uint8, 4*4*3)
		toRGB(got, img, 4)
		if d := maxAbsDiff(t, got, rgbOf(img)); d > 1 {
			t.Errorf("%T: max difference %d from color conversion", img, d)
		}
	}
	// A sub-image whose bounds do not start at the origin.
	sub := pattern(10, 10, 3).SubImage(image.Rect(3, 2, 7, 6))
	got := make([]uint8, 4*4*3)
	toRGB(got, sub, 4)
	if d := maxAbsDiff(t, got, rgbOf(sub)); d != 0 {
		t.Errorf("sub-image: max difference %d", d)
	}
}

func TestDecodeImagePixelBomb(t *testing.T) {
	bomb := pngBomb(100000, 100000)
	// The crafted header is valid: package png reads its dimensions.
	cfg, err := png.DecodeConfig(bytes.NewReader(bomb))
	if err != nil || cfg.Width != 100000 || cfg.Height != 100000 {
		t.Fatalf("crafted header: %+v, %v", cfg, err)
	}
	start := time.Now()
	_, err = DecodeImage(bytes.NewReader(bomb), 32, 0)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("got error %v, want ErrTooManyPixels", err)
	}
	if !strings.Contains(err.Error(), "100000x100000") {
		t.Errorf("error %q does not give the dimensions", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing the bomb took %v", d)
	}

	// The limit is configurable.
	small := encode(t, pattern(40, 40, 0), "png")
	if _, err := DecodeImage(bytes.NewReader(small), 32, 1000); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("40x40 with a 1000-pixel limit: got %v, want ErrTooManyPixels", err)
	}
	if _, err := DecodeImage(bytes.NewReader(small), 32, 1600); err != nil {
		t.Errorf("40x40 with a 1600-pixel limit: %v", err)
	}
}

func TestDecodeImageBadData(t *testing.T) {
	good := encode(t, pattern(32, 32, 0), "png")
	tests := map[string][]byte{
		"empty":       nil,
		"text":        []byte("this is not an image at all"),
		"truncated":   good[:len(good)/2],
		"header only": good[:40],
		"corrupt":     append(append([]byte{}, good[:60]...), bytes.Repeat([]byte{0xAB}, 200)...),
		"jpeg magic":  []byte("\xff\xd8\xff\xe0garbage"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeImage(bytes.NewReader(data), 32, 0); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestDecodeFile(t *testing.T) {
	dir := t.TempDir()
	img := pattern(20, 20, 5)
	path := writeFile(t, dir, "a.png", encode(t, img, "png"))
	got, err := DecodeFile(path, 20, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, got, rgbOf(img)); d != 0 {
		t.Errorf("max difference %d", d)
	}
	// Defaults: size 0 means 32.
	if got, err := DecodeFile(path, 0, Limits{}); err != nil || len(got) != DefaultSize*DefaultSize*3 {
		t.Errorf("default size: %d bytes, %v", len(got), err)
	}

	bad := writeFile(t, dir, "bad.png", []byte("nope"))
	_, err = DecodeFile(bad, 32, Limits{})
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("error %v does not name %s", err, bad)
	}
	missing := filepath.Join(dir, "missing.png")
	if _, err := DecodeFile(missing, 32, Limits{}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v does not name %s", err, missing)
	}
}

// TestDecodeImageCameraFormats decodes the encodings photos come in beyond
// 8-bit RGB: TIFF, 16-bit RGBA PNG, grey with alpha, paletted, each at the
// colours of the same picture in 8-bit RGB.
func TestDecodeImageCameraFormats(t *testing.T) {
	base := pattern(16, 16, 5)
	want := rgbOf(base)

	var tb bytes.Buffer
	if err := tiff.Encode(&tb, base, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	wide := image.NewRGBA64(base.Bounds())
	draw.Draw(wide, wide.Bounds(), base, image.Point{}, draw.Src)
	pal := image.NewPaletted(base.Bounds(), palette.Plan9)
	draw.Draw(pal, pal.Bounds(), base, image.Point{}, draw.Src)
	greyA := image.NewNRGBA(base.Bounds()) // PNG writes it as grey + alpha
	for i := range 16 * 16 {
		v := uint8(i)
		greyA.Pix[4*i], greyA.Pix[4*i+1], greyA.Pix[4*i+2], greyA.Pix[4*i+3] = v, v, v, 255
	}
	for _, c := range []struct {
		name string
		data []byte
		want []uint8
		tol  int
	}{
		{"tiff", tb.Bytes(), want, 0},
		{"png 16-bit", encode(t, wide, "png"), want, 0},
		{"png paletted", encode(t, pal, "png"), rgbOf(pal), 0},
		{"png grey+alpha", encode(t, greyA, "png"), rgbOf(greyA), 0},
	} {
		got, err := DecodeImage(bytes.NewReader(c.data), 16, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d := maxAbsDiff(t, got, c.want); d > c.tol {
			t.Errorf("%s: max difference %d", c.name, d)
		}
	}
}

// TestDecodeImageReducedJPEG checks that a large JPEG, decoded in the DCT
// domain at 1/8, 1/4 or 1/2 of its size, comes out as the full decode
// resized: the two differ only by their filters (an 8x8 box and a
// Catmull-Rom over 1.8 pixels, against a 7x7 box and one over 2 for 64
// pixels, say), a few levels on these strong sine waves (amplitude 100).
func TestDecodeImageReducedJPEG(t *testing.T) {
	w, h := 1200, 900
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := src.PixOffset(x, y)
			src.Pix[i+0] = uint8(128 + 100*math.Sin(float64(x)/50))
			src.Pix[i+1] = uint8(128 + 100*math.Cos(float64(y)/70))
			src.Pix[i+2] = uint8((x + y) / 9)
			src.Pix[i+3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	full, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{64, 100, 128, 224, 400} {
		cfg := image.Config{Width: w, Height: h}
		if m, _ := decodeReduced(buf.Bytes(), "jpeg", cfg, size); m == nil {
			t.Fatalf("size %d: no reduced decode", size)
		}
		got, err := DecodeImage(bytes.NewReader(buf.Bytes()), size, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]uint8, size*size*3)
		toRGB(want, full, size)
		var sum int
		for i := range got {
			sum += abs(int(got[i]) - int(want[i]))
		}
		if mean := float64(sum) / float64(len(got)); mean > 3.5 {
			t.Errorf("size %d: mean difference %.2f from the full decode", size, mean)
		}
	}
	if m, _ := decodeReduced(buf.Bytes(), "jpeg", image.Config{Width: w, Height: h}, 451); m != nil {
		t.Error("reduced decode where no reduction keeps 451 pixels")
	}
}
