package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// rawPNG encodes size x size 8-bit pixels pix (bpp bytes each: 3 for RGB,
// 4 for RGBA) as a PNG whose row y uses filter type filters[y%len], with
// the compressed data split over idatChunks IDAT chunks and the extra
// chunks written before the first IDAT.
func rawPNG(t *testing.T, pix []byte, size, bpp int, filters []byte, idatChunks int, extra map[string][]byte) []byte {
	t.Helper()
	stride := size * bpp
	var filtered []byte
	prev := make([]byte, stride)
	for y := range size {
		cur := pix[y*stride : (y+1)*stride]
		ft := filters[y%len(filters)]
		filtered = append(filtered, ft)
		for i := range cur {
			var left, up, upLeft int
			if i >= bpp {
				left, upLeft = int(cur[i-bpp]), int(prev[i-bpp])
			}
			up = int(prev[i])
			var pred int
			switch ft {
			case 1:
				pred = left
			case 2:
				pred = up
			case 3:
				pred = (left + up) / 2
			case 4:
				p := left + up - upLeft
				pa, pb, pc := abs(p-left), abs(p-up), abs(p-upLeft)
				switch {
				case pa <= pb && pa <= pc:
					pred = left
				case pb <= pc:
					pred = up
				default:
					pred = upLeft
				}
			}
			filtered = append(filtered, cur[i]-uint8(pred))
		}
		prev = cur
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(filtered)
	zw.Close()

	var out bytes.Buffer
	out.WriteString(pngSignature)
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
	binary.BigEndian.PutUint32(ihdr[0:], uint32(size))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(size))
	ihdr[8] = 8
	ihdr[9] = map[int]byte{3: 2, 4: 6}[bpp]
	chunk("IHDR", ihdr)
	for typ, data := range extra {
		chunk(typ, data)
	}
	data := z.Bytes()
	step := (len(data) + idatChunks - 1) / idatChunks
	for len(data) > 0 {
		n := min(step, len(data))
		chunk("IDAT", data[:n])
		data = data[n:]
	}
	chunk("IEND", nil)
	return out.Bytes()
}

func TestPNGFastMatchesImagePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var fast pngFast
	for _, bpp := range []int{3, 4} {
		for _, filters := range [][]byte{{0}, {1}, {2}, {3}, {4}, {4, 3, 2, 1, 0}} {
			for _, chunks := range []int{1, 3} {
				const size = 13
				pix := make([]byte, size*size*bpp)
				for i := range pix {
					pix[i] = uint8(rng.IntN(256))
				}
				if bpp == 4 {
					for i := 3; i < len(pix); i += 8 {
						pix[i] = 255 // some opaque pixels
					}
				}
				extra := map[string][]byte{"tEXt": []byte("Comment\x00hi")}
				data := rawPNG(t, pix, size, bpp, filters, chunks, extra)
				want := make([]byte, size*size*3)
				if err := decodeInto(want, data, size, DefaultMaxPixels, nil); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, size*size*3)
				if !fast.decode(got, data, size) {
					t.Fatalf("bpp %d filters %v chunks %d: fast path declined", bpp, filters, chunks)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("bpp %d filters %v chunks %d: fast path differs from image/png", bpp, filters, chunks)
				}
			}
		}
	}
}

func TestPNGFastDeclines(t *testing.T) {
	pix := make([]byte, 8*8*3)
	for i := range pix {
		pix[i] = uint8(i)
	}
	good := rawPNG(t, pix, 8, 3, []byte{4}, 1, nil)
	var fast pngFast
	dst := make([]byte, 8*8*3)
	if !fast.decode(dst, good, 8) {
		t.Fatal("fast path declined a plain RGB PNG")
	}
	badCRC := bytes.Clone(good)
	badCRC[len(pngSignature)+8+13] ^= 1 // IHDR's CRC
	badFilter := rawPNG(t, pix, 8, 3, []byte{5}, 1, nil)

	grey := image.NewGray(image.Rect(0, 0, 8, 8))
	pal := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White})
	rgba16 := image.NewRGBA64(image.Rect(0, 0, 8, 8))
	for name, data := range map[string][]byte{
		"other size":       good,
		"not png":          encode(t, pattern(8, 8, 0), "bmp"),
		"grey":             encode(t, grey, "png"),
		"paletted":         encode(t, pal, "png"),
		"16-bit":           encode(t, rgba16, "png"),
		"tRNS":             rawPNG(t, pix, 8, 3, []byte{0}, 1, map[string][]byte{"tRNS": {0, 1, 0, 2, 0, 3}}),
		"unknown critical": rawPNG(t, pix, 8, 3, []byte{0}, 1, map[string][]byte{"ABCD": {1}}),
		"bad CRC":          badCRC,
		"bad filter":       badFilter,
		"truncated":        good[:len(good)-20],
		"no IEND":          good[:len(good)-12],
	} {
		size := 8
		if name == "other size" {
			size = 16
		}
		if fast.decode(make([]byte, size*size*3), data, size) {
			t.Errorf("%s: fast path did not decline", name)
		}
	}
	// Still usable after declining.
	if !fast.decode(dst, good, 8) {
		t.Error("fast path declined a good PNG after bad ones")
	}
}
