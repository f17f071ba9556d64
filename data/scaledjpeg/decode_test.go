package scaledjpeg

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// plane is one colour plane of a decoded image.
type plane struct {
	pix    []byte
	stride int
	w, h   int // the pixels that belong to the picture
}

// planesOf returns the planes of m, an *image.YCbCr or *image.Gray, each
// with the extent the picture covers in it.
func planesOf(t *testing.T, m image.Image) []plane {
	t.Helper()
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	switch m := m.(type) {
	case *image.Gray:
		return []plane{{m.Pix, m.Stride, w, h}}
	case *image.YCbCr:
		dx, dy := 1, 1
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			dx = 2
		case image.YCbCrSubsampleRatio420:
			dx, dy = 2, 2
		case image.YCbCrSubsampleRatio440:
			dy = 2
		case image.YCbCrSubsampleRatio411:
			dx = 4
		case image.YCbCrSubsampleRatio410:
			dx, dy = 4, 2
		}
		cw, ch := (w+dx-1)/dx, (h+dy-1)/dy
		return []plane{{m.Y, m.YStride, w, h}, {m.Cb, m.CStride, cw, ch}, {m.Cr, m.CStride, cw, ch}}
	}
	t.Fatalf("decoded a %T", m)
	return nil
}

// fullPlanes decodes buf with image/jpeg and returns its padded planes.
func fullPlanes(t *testing.T, buf []byte) (image.Image, []plane) {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	// image/jpeg's planes are sub-images of buffers of whole MCUs, so a
	// partial block's area below and right of the picture can be read.
	return m, planesOf(t, m)
}

// compare checks each pixel of the reduced planes against the mean of its
// scale x scale area in image/jpeg's full-size planes: the worst and the
// mean absolute difference.
func compare(t *testing.T, name string, buf []byte, scale int, worst, mean float64) {
	t.Helper()
	full, fp := fullPlanes(t, buf)
	m, err := Decode(buf, scale)
	if err != nil {
		t.Fatalf("%s at 1/%d: %v", name, scale, err)
	}
	w, h := Size(full.Bounds().Dx(), full.Bounds().Dy(), scale)
	if got := m.Bounds(); got != image.Rect(0, 0, w, h) {
		t.Fatalf("%s at 1/%d: bounds %v, want %dx%d", name, scale, got, w, h)
	}
	if f, ok := full.(*image.YCbCr); ok && m.(*image.YCbCr).SubsampleRatio != f.SubsampleRatio {
		t.Fatalf("%s: ratio %v, want %v", name, m.(*image.YCbCr).SubsampleRatio, f.SubsampleRatio)
	}
	rp := planesOf(t, m)
	if len(rp) != len(fp) {
		t.Fatalf("%s: %d planes, want %d", name, len(rp), len(fp))
	}
	for i := range rp {
		r, f := rp[i], fp[i]
		if r.w != (f.w+scale-1)/scale || r.h != (f.h+scale-1)/scale {
			t.Fatalf("%s plane %d: %dx%d at 1/%d of a full plane of %dx%d", name, i, r.w, r.h, scale, f.w, f.h)
		}
		var sum, bad float64
		for y := range r.h {
			for x := range r.w {
				var s float64
				for dy := range scale {
					for dx := range scale {
						s += float64(f.pix[(y*scale+dy)*f.stride+x*scale+dx])
					}
				}
				d := math.Abs(float64(r.pix[y*r.stride+x]) - s/float64(scale*scale))
				sum += d
				bad = max(bad, d)
			}
		}
		if avg := sum / float64(r.w*r.h); bad > worst || avg > mean {
			t.Errorf("%s plane %d at 1/%d: worst difference %.2f (limit %.1f), mean %.3f (limit %.2f)",
				name, i, scale, bad, worst, avg, mean)
		}
	}
}

// TestDecodeAgainstFullDecode compares every fixture (see testdata/gen.sh:
// each subsampling, greyscale, restart intervals, optimised Huffman tables
// with long codes, one scan per component, 16-bit quantisation tables) at
// each scale with the block means of image/jpeg's full decode. At 1/8 a
// pixel is its block's mean exactly, less image/jpeg's per-pixel rounding;
// at 1/4 and 1/2 the reduced transform differs from a box filter by the
// frequencies it leaves out, small on this smooth picture.
func TestDecodeAgainstFullDecode(t *testing.T) {
	for _, name := range []string{"420", "422", "440", "444", "411", "grey", "restart", "optimised", "scans", "q16"} {
		buf, err := os.ReadFile(filepath.Join("testdata", name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		compare(t, name, buf, 8, 1.5, 0.5)
		compare(t, name, buf, 4, 8, 2)
		compare(t, name, buf, 2, 12, 2)
	}
}

// TestDecodeGoEncoder checks pictures written by image/jpeg's encoder, of
// many sizes, greyscale and colour (4:2:0), with noisy content.
func TestDecodeGoEncoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range [][2]int{{1, 1}, {8, 8}, {9, 17}, {16, 16}, {33, 7}, {130, 67}} {
		w, h := size[0], size[1]
		rgba := image.NewRGBA(image.Rect(0, 0, w, h))
		grey := image.NewGray(rgba.Rect)
		for y := range h {
			for x := range w {
				i := rgba.PixOffset(x, y)
				rgba.Pix[i+0] = uint8(60 + x + rng.IntN(20))
				rgba.Pix[i+1] = uint8(100 + y + rng.IntN(20))
				rgba.Pix[i+2] = uint8(90 + rng.IntN(40))
				rgba.Pix[i+3] = 255
				grey.Pix[grey.PixOffset(x, y)] = uint8(80 + x + y/2 + rng.IntN(30))
			}
		}
		for _, m := range []image.Image{rgba, grey} {
			var b bytes.Buffer
			if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 85}); err != nil {
				t.Fatal(err)
			}
			compare(t, "go-encoded", b.Bytes(), 8, 2, 0.5)
			compare(t, "go-encoded", b.Bytes(), 4, 48, 3)
			compare(t, "go-encoded", b.Bytes(), 2, 64, 3)
		}
	}
}

// TestIDCTBasis checks the reduced transforms on single frequencies against
// the mean of the full 8x8 inverse DCT over each output pixel's area,
// computed in float64.
func TestIDCTBasis(t *testing.T) {
	full := func(x, y, u, v int) float64 {
		cu, cv := 1.0, 1.0
		if u == 0 {
			cu = 1 / math.Sqrt2
		}
		if v == 0 {
			cv = 1 / math.Sqrt2
		}
		return cu * cv / 4 * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) * math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
	}
	for _, n := range []int{2, 4} {
		idct := idct4
		if n == 2 {
			idct = idct2
		}
		g := 8 / n
		for k := 1; k < 64; k++ {
			u, v := k%8, k/8
			var coef [64]int32
			coef[0], coef[k] = 8*50, 160 // mean 50 above the 128 level shift
			dst := make([]byte, n*n)
			idct(dst, n, &coef)
			for y := range n {
				for x := range n {
					want := 128 + 50.0
					for i := range g {
						for j := range g {
							want += 160 * full(x*g+j, y*g+i, u, v) / float64(g*g)
						}
					}
					if got := float64(dst[y*n+x]); math.Abs(got-want) > 0.51 {
						t.Errorf("n=%d (u,v)=(%d,%d) pixel (%d,%d) = %v, want %.2f", n, u, v, x, y, got, want)
					}
				}
			}
		}
	}
}

// TestScale checks the choice of the reduction for a wanted shorter side.
func TestScale(t *testing.T) {
	for _, c := range []struct{ w, h, side, want int }{
		{4000, 3000, 128, 8}, {4000, 3000, 375, 8}, {4000, 3000, 376, 4},
		{3000, 4000, 224, 8}, {1536, 2048, 224, 4}, {1000, 800, 300, 2},
		{1000, 800, 401, 1}, {32, 32, 32, 1}, {33, 33, 5, 8}, {33, 33, 6, 4},
	} {
		if got := Scale(c.w, c.h, c.side); got != c.want {
			t.Errorf("Scale(%d, %d, %d) = %d, want %d", c.w, c.h, c.side, got, c.want)
		}
	}
	if w, h := Size(77, 53, 8); w != 10 || h != 7 {
		t.Errorf("Size(77, 53, 8) = %d, %d", w, h)
	}
}

// TestUnsupported checks that what the package does not decode says so
// with ErrUnsupported, for the caller to fall back.
func TestUnsupported(t *testing.T) {
	for _, name := range []string{"progressive", "arithmetic", "rgb"} {
		buf, err := os.ReadFile(filepath.Join("testdata", name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(buf, 8); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", name, err)
		}
	}
	if _, err := Decode([]byte{0xff, 0xd8}, 3); err == nil {
		t.Error("scale 3 accepted")
	}
}

// TestCorrupt checks that truncated and damaged files are errors, never a
// panic or a hang, and that a truncated scan is not passed off as whole.
func TestCorrupt(t *testing.T) {
	buf, err := os.ReadFile(filepath.Join("testdata", "restart.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 2, 3, 20, len(buf) / 2, len(buf) - 40} {
		if _, err := Decode(buf[:n], 8); err == nil {
			t.Errorf("file truncated to %d bytes decoded", n)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := append([]byte(nil), buf...)
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		for _, s := range []int{2, 4, 8} {
			Decode(b, s) // must return
		}
	}
}

// FuzzDecode checks that no input makes Decode panic or hang.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"420", "grey", "restart", "scans"} {
		buf, err := os.ReadFile(filepath.Join("testdata", name+".jpg"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(buf, uint8(8))
	}
	f.Fuzz(func(t *testing.T, buf []byte, s uint8) {
		if len(buf) > 1<<16 {
			return
		}
		scale := []int{2, 4, 8}[int(s)%3]
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(buf)); err != nil || cfg.Width*cfg.Height > 1<<22 {
			return
		}
		Decode(buf, scale)
	})
}

// pnmName is the name of djpeg's decode of fixture name at 1/scale.
func pnmName(name string, scale int) string {
	if name != "444" {
		return fmt.Sprintf("%s_%d.pgm", name, scale)
	}
	return fmt.Sprintf("%s_%d.ppm", name, scale)
}

// readPNM reads a binary PGM or PPM as written by djpeg.
func readPNM(t *testing.T, path string) (pix []byte, w, h, ch int) {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var magic string
	var maxv int
	n, err := fmt.Sscan(string(buf), &magic, &w, &h, &maxv)
	if err != nil || n != 4 || maxv != 255 {
		t.Fatalf("%s: not an 8-bit PNM: %v", path, err)
	}
	ch = 1
	if magic == "P6" {
		ch = 3
	}
	return buf[len(buf)-w*h*ch:], w, h, ch
}

// TestDecodeAgainstLibjpeg compares the reduced decodes with libjpeg's own
// (djpeg -scale 1/N, see testdata/gen.sh): a greyscale file and the luma
// of a 4:2:0 file with optimised Huffman tables and a restart marker after
// every MCU, to the rounding of the fixed-point transforms; 4:4:4 colour,
// converted to RGB as image/color does, to that of the colour conversions
// too.
func TestDecodeAgainstLibjpeg(t *testing.T) {
	for _, c := range []struct {
		name        string
		worst, mean float64
	}{{"grey", 1, 0.3}, {"444", 3, 0.6}, {"optimised", 1, 0.3}} {
		buf, err := os.ReadFile(filepath.Join("testdata", c.name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []int{2, 4, 8} {
			ref, w, h, ch := readPNM(t, filepath.Join("testdata", pnmName(c.name, s)))
			m, err := Decode(buf, s)
			if err != nil {
				t.Fatal(err)
			}
			if m.Bounds() != image.Rect(0, 0, w, h) {
				t.Fatalf("%s at 1/%d: %v, libjpeg %dx%d", c.name, s, m.Bounds(), w, h)
			}
			var worst, sum float64
			for y := range h {
				for x := range w {
					r, g, b, _ := m.At(x, y).RGBA()
					got := []uint32{r >> 8, g >> 8, b >> 8}
					if ch == 1 {
						got[0] = uint32(planesOf(t, m)[0].pix[y*planesOf(t, m)[0].stride+x])
					}
					for k := range ch {
						d := math.Abs(float64(got[k]) - float64(ref[(y*w+x)*ch+k]))
						worst, sum = max(worst, d), sum+d
					}
				}
			}
			if mean := sum / float64(w*h*ch); worst > c.worst || mean > c.mean {
				t.Errorf("%s at 1/%d: worst difference from libjpeg %.0f (limit %.0f), mean %.3f (limit %.2f)",
					c.name, s, worst, c.worst, mean, c.mean)
			}
		}
	}
}

// idctRef is the plain reduced transform, the sum over all 64 frequencies
// of F(v, u) A(y, v) A(x, u), in float64.
func idctRef(dst []byte, stride int, coef *[64]int32, n int) {
	a := basis(n)
	for y := range n {
		for x := range n {
			s := 128.5
			for v := range 8 {
				for u := range 8 {
					s += float64(coef[v*8+u]) * float64(a[y*8+v]) * float64(a[x*8+u])
				}
			}
			dst[y*stride+x] = uint8(min(max(s, 0), 255))
		}
	}
}

// TestIDCTRandom checks the fast transforms on random blocks against the
// plain sum: the same pixels but where float32 rounding moves one across
// an integer (by one level).
func TestIDCTRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{2, 4} {
		fast := idct4
		if n == 2 {
			fast = idct2
		}
		off := 0
		for range 2000 {
			var coef [64]int32
			coef[0] = int32(rng.IntN(2048) - 1024)
			for i := 1; i < 64; i++ {
				if rng.IntN(3) == 0 {
					coef[i] = int32(rng.IntN(401) - 200)
				}
			}
			got, want := make([]byte, n*n), make([]byte, n*n)
			fast(got, n, &coef)
			idctRef(want, n, &coef, n)
			for i := range got {
				if d := int(got[i]) - int(want[i]); d != 0 {
					if d < -1 || d > 1 {
						t.Fatalf("n=%d: pixel %d = %d, want %d", n, i, got[i], want[i])
					}
					off++
				}
			}
		}
		if off > 20 {
			t.Errorf("n=%d: %d pixels one level off of %d", n, off, 2000*n*n)
		}
	}
}
