package data

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the image decoder: it must never
// panic, and whenever the fast PNG path accepts an image, the standard
// decoder must give the same pixels.
func FuzzDecode(f *testing.F) {
	for _, c := range []image.Image{
		image.NewRGBA(image.Rect(0, 0, 4, 4)),
		image.NewNRGBA(image.Rect(0, 0, 4, 4)),
		image.NewGray(image.Rect(0, 0, 3, 5)),
	} {
		if m, ok := c.(interface{ Set(int, int, color.Color) }); ok {
			m.Set(1, 2, color.RGBA{200, 10, 30, 128})
		}
		var buf bytes.Buffer
		png.Encode(&buf, c)
		f.Add(buf.Bytes())
	}
	f.Add([]byte("GIF89a"))
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		const size = 4
		var fast pngFast
		got := make([]byte, size*size*3)
		errFast := decodeInto(got, b, size, 1<<20, &fast)
		want := make([]byte, size*size*3)
		errStd := decodeInto(want, b, size, 1<<20, nil)
		if (errFast == nil) != (errStd == nil) {
			t.Fatalf("fast path error %v, standard error %v", errFast, errStd)
		}
		if errFast == nil && !bytes.Equal(got, want) {
			t.Fatalf("fast path pixels differ from the standard decoder's")
		}
	})
}
