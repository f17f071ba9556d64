package data

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/lookalike/lookalike/nn"
)

// withOrientation returns the JPEG jpg with an APP1 Exif segment holding
// orientation o (and a dummy tag before it) inserted after SOI, in the
// given byte order.
func withOrientation(jpg []byte, o int, order binary.ByteOrder) []byte {
	tiff := make([]byte, 8+2+2*12+4)
	if order == binary.LittleEndian {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	order.PutUint16(tiff[2:], 42)
	order.PutUint32(tiff[4:], 8)
	order.PutUint16(tiff[8:], 2)
	e := tiff[10:]
	order.PutUint16(e[0:], 0x010f) // Make, ASCII: skipped
	order.PutUint16(e[2:], 2)
	order.PutUint32(e[4:], 4)
	e = tiff[22:]
	order.PutUint16(e[0:], 0x0112)
	order.PutUint16(e[2:], 3)
	order.PutUint32(e[4:], 1)
	order.PutUint16(e[8:], uint16(o))
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{0xff, 0xd8, 0xff, 0xe1, 0, 0}, seg...)
	binary.BigEndian.PutUint16(out[4:], uint16(len(seg)+2))
	return append(out, jpg[2:]...)
}

// TestJPEGOrientation reads the tag in both byte orders, after other
// segments, and falls back to 1 on damaged or absent records.
func TestJPEGOrientation(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	plain := b.Bytes()
	if o := jpegOrientation(plain); o != 1 {
		t.Errorf("no Exif: orientation %d, want 1", o)
	}
	for o := 1; o <= 8; o++ {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			if got := jpegOrientation(withOrientation(plain, o, order)); got != o {
				t.Errorf("orientation %d (%v): read %d", o, order, got)
			}
		}
	}
	// After a JFIF APP0 segment.
	app0 := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	tagged := withOrientation(plain, 6, binary.BigEndian)
	if got := jpegOrientation(append(app0, tagged[2:]...)); got != 6 {
		t.Errorf("after APP0: %d, want 6", got)
	}
	// Damaged records: out of range, wrong type, truncated anywhere.
	if got := jpegOrientation(withOrientation(plain, 9, binary.BigEndian)); got != 1 {
		t.Errorf("orientation 9: %d, want 1", got)
	}
	wrongType := withOrientation(plain, 6, binary.BigEndian)
	binary.BigEndian.PutUint16(wrongType[6+6+22+2:], 4)
	if got := jpegOrientation(wrongType); got != 1 {
		t.Errorf("orientation as LONG: %d, want 1", got)
	}
	for n := range len(tagged) {
		if got := jpegOrientation(tagged[:n]); got != 1 && got != 6 {
			t.Fatalf("truncated to %d bytes: %d", n, got)
		}
	}
}

// stored returns the pixels a camera would store for the upright image
// under orientation o: the image that orientation o turns into upright.
func stored(upright *image.RGBA, o int) *image.RGBA {
	b := upright.Bounds()
	w, h := b.Dx(), b.Dy()
	ws, hs := w, h
	if o >= 5 {
		ws, hs = h, w
	}
	s := image.NewRGBA(image.Rect(0, 0, ws, hs))
	for y := range h {
		for x := range w {
			sx, sy := x, y
			switch o {
			case 2:
				sx = ws - 1 - x
			case 3:
				sx, sy = ws-1-x, hs-1-y
			case 4:
				sy = hs - 1 - y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, hs-1-x
			case 7:
				sx, sy = ws-1-y, hs-1-x
			case 8:
				sx, sy = ws-1-y, x
			}
			s.Set(sx, sy, upright.At(x, y))
		}
	}
	return s
}

// TestDecodeEXIFOrientation decodes a photo stored in each of the eight
// orientations with its tag and checks that it comes out as the upright
// photo does, and far from its stored pixels without the tag.
func TestDecodeEXIFOrientation(t *testing.T) {
	// An asymmetric 96x64 picture: a gradient and an off-centre block.
	up := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			c := color.RGBA{uint8(x * 2), uint8(y * 3), 90, 255}
			if x > 20 && x < 45 && y > 8 && y < 24 {
				c = color.RGBA{250, 250, 20, 255}
			}
			up.SetRGBA(x, y, c)
		}
	}
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	want, err := DecodeImage(bytes.NewReader(enc(up)), 32, 0)
	if err != nil {
		t.Fatal(err)
	}
	for o := 2; o <= 8; o++ {
		raw := enc(stored(up, o))
		got, err := DecodeImage(bytes.NewReader(withOrientation(raw, o, binary.LittleEndian)), 32, 0)
		if err != nil {
			t.Fatal(err)
		}
		untagged, err := DecodeImage(bytes.NewReader(raw), 32, 0)
		if err != nil {
			t.Fatal(err)
		}
		d, dRaw := meanAbsDiff(got, want), meanAbsDiff(untagged, want)
		if d > 2 || dRaw < 10 {
			t.Errorf("orientation %d: mean difference from upright %.2f (want <= 2), without the tag %.2f (want >= 10)", o, d, dRaw)
		}
	}
}

// TestEXIFEmbedding checks the acceptance of issue 10 at the level users
// see: a photo stored sideways with its orientation tag embeds like its
// upright twin (cosine >= 0.999), clearly closer than the same stored
// pixels without the tag.
func TestEXIFEmbedding(t *testing.T) {
	up := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := range 80 {
		for x := range 120 {
			c := color.RGBA{uint8(x * 2), uint8(40 + y*2), uint8((x * y) % 200), 255}
			if x > 30 && x < 60 && y > 10 && y < 35 {
				c = color.RGBA{240, 230, 30, 255}
			}
			up.SetRGBA(x, y, c)
		}
	}
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	m, err := nn.FastNet(64, 32)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 2)))
	embed := func(jpg []byte) []float32 {
		px, err := DecodeImage(bytes.NewReader(jpg), 32, 0)
		if err != nil {
			t.Fatal(err)
		}
		return m.Embed(px, 1, 1)
	}
	cos := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s // embeddings are unit vectors
	}
	upright := embed(enc(up))
	for _, o := range []int{6, 8, 3} {
		raw := enc(stored(up, o))
		tagged := cos(upright, embed(withOrientation(raw, o, binary.BigEndian)))
		untagged := cos(upright, embed(raw))
		t.Logf("orientation %d: cosine %.5f with the tag, %.5f without", o, tagged, untagged)
		if tagged < 0.999 || untagged > tagged-0.02 {
			t.Errorf("orientation %d: cosine %.5f with the tag (want >= 0.999), %.5f without", o, tagged, untagged)
		}
	}
}
