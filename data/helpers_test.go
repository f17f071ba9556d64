package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
)

// pattern returns a w x h opaque image whose pixels all differ in a way that
// depends on seed, so misplaced pixels show.
func pattern(w, h, seed int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{
				R: uint8(x*7 + seed*31),
				G: uint8(y*5 + seed*17),
				B: uint8((x+y)*3 + seed*11),
				A: 0xff,
			})
		}
	}
	return img
}

// rgbOf returns img's pixels as interleaved RGB, as the package stores them,
// assuming img is opaque.
func rgbOf(img image.Image) []uint8 {
	b := img.Bounds()
	out := make([]uint8, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
	return out
}

// encode returns img encoded in format ("png", "jpeg", "gif" or "bmp").
func encode(t testing.TB, img image.Image, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	default:
		t.Fatalf("unknown format %q", format)
	}
	if err != nil {
		t.Fatalf("encode %s: %v", format, err)
	}
	return buf.Bytes()
}

// writeFile writes data to dir/name, creating folders as needed, and
// returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// bitWriter writes a bit stream least significant bit first, as VP8L reads
// it.
type bitWriter struct {
	buf   []byte
	nbits uint
}

// write appends the n low bits of v.
func (w *bitWriter) write(v uint32, n uint) {
	for i := range n {
		if w.nbits%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		if v>>i&1 != 0 {
			w.buf[len(w.buf)-1] |= 1 << (w.nbits % 8)
		}
		w.nbits++
	}
}

// webpTwoColour returns a lossless WebP (VP8L) image of w x h pixels, each
// colour a where first(x, y) and colour b elsewhere (a and b must differ in
// every channel). Go has no WebP encoder, so the bit stream is built by
// hand: no transforms, no colour cache, one prefix-code group whose five
// codes are "simple" codes of two 1-bit symbols, so each pixel is 4 bits
// (green, red, blue, alpha: 0 for a, 1 for b).
func webpTwoColour(w, h int, a, b color.NRGBA, first func(x, y int) bool) []byte {
	var bw bitWriter
	bw.write(0x2f, 8)               // VP8L signature
	bw.write(uint32(w-1), 14)       // width - 1
	bw.write(uint32(h-1), 14)       // height - 1
	bw.write(1, 1)                  // alpha is used
	bw.write(0, 3)                  // version
	bw.write(0, 1)                  // no transform
	bw.write(0, 1)                  // no colour cache
	bw.write(0, 1)                  // no meta prefix codes
	simple2 := func(s0, s1 uint8) { // simple code, two symbols
		bw.write(1, 1) // simple
		bw.write(1, 1) // two symbols
		bw.write(1, 1) // first symbol has 8 bits
		bw.write(uint32(s0), 8)
		bw.write(uint32(s1), 8)
	}
	simple2(a.G, b.G)
	simple2(a.R, b.R)
	simple2(a.B, b.B)
	simple2(a.A, b.A)
	// Distance code: one symbol, never used.
	bw.write(1, 1)
	bw.write(0, 1)
	bw.write(0, 1)
	bw.write(0, 1)
	for y := range h {
		for x := range w {
			bit := uint32(1)
			if first(x, y) {
				bit = 0
			}
			for range 4 {
				bw.write(bit, 1)
			}
		}
	}
	chunk := bw.buf
	var out bytes.Buffer
	pad := len(chunk) % 2
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(4+8+len(chunk)+pad))
	out.WriteString("WEBPVP8L")
	binary.Write(&out, binary.LittleEndian, uint32(len(chunk)))
	out.Write(chunk)
	if pad != 0 {
		out.WriteByte(0)
	}
	return out.Bytes()
}

// pngBomb returns the start of a PNG whose IHDR claims w x h 8-bit RGB
// pixels, with a correct CRC, followed by a tiny IDAT that holds far too
// little data: only a decoder that trusts the header before decoding would
// try to allocate w*h pixels.
func pngBomb(w, h uint32) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // bit depth
	ihdr[9] = 2 // colour type RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return out.Bytes()
}

// cifarRecordPixel returns the value the test batches hold for channel c of
// pixel (x, y) of record i of batch b.
func cifarRecordPixel(b, i, x, y, c int) uint8 {
	return uint8(b*37 + i*13 + x*5 + y*3 + c*71)
}

// cifarBatch returns a batch file of n records for batch number b, record i
// labelled (b+i)%10, in the CIFAR-10 planar format.
func cifarBatch(b, n int) []byte {
	out := make([]byte, 0, n*cifarRecord)
	for i := range n {
		out = append(out, byte((b+i)%10))
		for c := range 3 {
			for y := range 32 {
				for x := range 32 {
					out = append(out, cifarRecordPixel(b, i, x, y, c))
				}
			}
		}
	}
	return out
}

// testCIFARClasses is the batches.meta.txt the test data uses: made-up
// names, so that tests can tell them from the built-in defaults.
const testCIFARClasses = "c0\nc1\nc2\nc3\nc4\nc5\nc6\nc7\nc8\nc9\n\n"

// cifarFiles returns the files of a small CIFAR-10 binary set, n records
// per batch, keyed by file name; batch numbers are 1-5 for data_batch_1-5
// and 6 for test_batch.
func cifarFiles(n int) map[string][]byte {
	files := map[string][]byte{cifarMeta: []byte(testCIFARClasses)}
	for b := 1; b <= 5; b++ {
		files["data_batch_"+string(rune('0'+b))+".bin"] = cifarBatch(b, n)
	}
	files["test_batch.bin"] = cifarBatch(6, n)
	return files
}

// writeCIFARDir writes cifarFiles(n) into dir and returns dir.
func writeCIFARDir(t testing.TB, dir string, n int) string {
	t.Helper()
	for name, data := range cifarFiles(n) {
		writeFile(t, dir, name, data)
	}
	return dir
}

// cifarArchive returns a .tar.gz of cifarFiles(n) under
// cifar-10-batches-bin/, in a scrambled order, with a directory entry and an
// unrelated file as the official archive has.
func cifarArchive(t testing.TB, n int) []byte {
	t.Helper()
	files := cifarFiles(n)
	files["readme.html"] = []byte("<html></html>")
	order := []string{"test_batch.bin", "data_batch_4.bin", "readme.html", "data_batch_1.bin",
		"data_batch_2.bin", "data_batch_3.bin", "data_batch_5.bin", cifarMeta}
	return tarGz(t, cifarSubdir, order, files)
}

// tarGz returns a .tar.gz holding a directory entry dir/ and the files
// named in order, taken from files, under dir/.
func tarGz(t testing.TB, dir string, order []string, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	for _, name := range order {
		data := files[name]
		hdr := &tar.Header{Name: dir + "/" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
