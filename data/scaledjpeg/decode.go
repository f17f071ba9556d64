// Package scaledjpeg decodes baseline JPEGs straight to 1/2, 1/4 or 1/8 of
// their size in the DCT domain, as libjpeg does for Pillow's Image.draft:
// at 1/8 each 8x8 block becomes one pixel, its DC coefficient; at 1/4 and
// 1/2 a 2- or 4-point inverse DCT of the block's lowest frequencies gives
// 2x2 or 4x4 pixels. The coefficients it does not need are skipped in the
// entropy-coded data, never dequantised or transformed, so a 12-megapixel
// photo reduced to 1/8 costs little more than reading its Huffman codes.
//
// It decodes what cameras and most software write: baseline and extended
// sequential Huffman-coded JPEGs of 8-bit precision, greyscale or YCbCr with
// any of the usual chroma subsamplings, interleaved or not, with restart
// markers. Anything else (progressive, arithmetic-coded, lossless, 12-bit,
// CMYK, YCCK, RGB) is an error wrapping ErrUnsupported, for the caller to
// decode it another way (image/jpeg decodes all of these but arithmetic
// coding). Colour conversion, resampling and EXIF orientation are the
// caller's: Decode returns the planes as image/jpeg would, only smaller.
package scaledjpeg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// ErrUnsupported is wrapped by the error Decode returns for a JPEG it does
// not decode (see the package documentation).
var ErrUnsupported = errors.New("scaledjpeg: unsupported JPEG")

// Scale returns the largest of 8, 4, 2 and 1 by which an image of w x h
// pixels can be reduced with its shorter side still at least side pixels.
func Scale(w, h, side int) int {
	short := min(w, h)
	for _, s := range []int{8, 4, 2} {
		if (short+s-1)/s >= side {
			return s
		}
	}
	return 1
}

// Size returns the dimensions of an image of w x h pixels decoded at
// 1/scale: each side rounded up, as libjpeg does.
func Size(w, h, scale int) (int, int) {
	return (w + scale - 1) / scale, (h + scale - 1) / scale
}

// Decode decodes the JPEG buf at 1/scale of its size (scale 2, 4 or 8):
// an *image.YCbCr for a colour image, an *image.Gray for a greyscale one,
// of the dimensions Size gives. The caller checks the dimensions in the
// header (image.DecodeConfig) before, if it must bound memory: the
// planes take about w*h*1.5/scale² bytes.
func Decode(buf []byte, scale int) (image.Image, error) {
	if scale != 2 && scale != 4 && scale != 8 {
		return nil, fmt.Errorf("scaledjpeg: scale %d is not 2, 4 or 8", scale)
	}
	d := &decoder{buf: buf, scale: scale, bs: 8 / scale}
	if err := d.decode(); err != nil {
		return nil, err
	}
	return d.image(), nil
}

// Marker codes (ITU T.81 table B.1).
const (
	markSOF0 = 0xc0 // baseline
	markSOF1 = 0xc1 // extended sequential, Huffman
	markDHT  = 0xc4
	markRST0 = 0xd0
	markRST7 = 0xd7
	markSOI  = 0xd8
	markEOI  = 0xd9
	markSOS  = 0xda
	markDQT  = 0xdb
	markDRI  = 0xdd
	markAPP0 = 0xe0
	markAP14 = 0xee
)

// component is one colour component of the frame and its decoded plane.
type component struct {
	id     byte
	h, v   int // sampling factors
	tq     int // quantisation table
	stride int // plane width in pixels: blocks across times bs
	pix    []byte
	pred   int32 // DC predictor of the current scan
}

// decoder holds the state of one Decode.
type decoder struct {
	buf   []byte
	pos   int
	scale int // 2, 4 or 8
	bs    int // block side in output pixels: 8/scale

	width, height int
	comps         []component
	hmax, vmax    int
	mcux, mcuy    int // MCUs across and down in an interleaved scan

	quant   [4][64]int32 // zigzag order
	haveQ   [4]bool
	dc, ac  [4]huffman
	restart int // restart interval in MCUs, 0 for none

	jfif           bool
	adobe          bool
	adobeTransform byte
	frame, scanned bool
}

// corrupt returns an error about malformed data.
func corrupt(format string, a ...any) error {
	return fmt.Errorf("scaledjpeg: corrupt JPEG: "+format, a...)
}

// unsupported returns an error wrapping ErrUnsupported.
func unsupported(what string) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, what)
}

// decode reads the markers and segments of the file to its EOI.
func (d *decoder) decode() error {
	if len(d.buf) < 4 || d.buf[0] != 0xff || d.buf[1] != markSOI {
		return corrupt("missing SOI marker")
	}
	d.pos = 2
	for {
		m, err := d.nextMarker()
		if err != nil {
			return err
		}
		switch {
		case m == markEOI:
			if !d.scanned {
				return corrupt("no image data")
			}
			return nil
		case m >= markRST0 && m <= markRST7 || m == 0x01:
			continue // no segment
		}
		seg, err := d.segment()
		if err != nil {
			return err
		}
		switch {
		case m == markSOF0 || m == markSOF1:
			err = d.parseFrame(seg)
		case m >= 0xc0 && m <= 0xcf && m != markDHT && m != 0xc8 && m != 0xcc:
			return unsupported(fmt.Sprintf("frame type SOF%d (progressive, lossless, arithmetic-coded or hierarchical)", m-0xc0))
		case m == 0xcc:
			return unsupported("arithmetic coding")
		case m == markDHT:
			err = d.parseDHT(seg)
		case m == markDQT:
			err = d.parseDQT(seg)
		case m == markDRI:
			if len(seg) != 2 {
				return corrupt("DRI segment of %d bytes", len(seg))
			}
			d.restart = int(binary.BigEndian.Uint16(seg))
		case m == markAPP0:
			d.jfif = d.jfif || len(seg) >= 5 && string(seg[:5]) == "JFIF\x00"
		case m == markAP14:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeTransform = true, seg[11]
			}
		case m == markSOS:
			err = d.scan(seg)
		}
		if err != nil {
			return err
		}
	}
}

// nextMarker skips to the next marker and returns its code, after any
// fill bytes.
func (d *decoder) nextMarker() (byte, error) {
	for d.pos+1 < len(d.buf) {
		if d.buf[d.pos] != 0xff {
			d.pos++ // garbage between segments, as libjpeg tolerates
			continue
		}
		m := d.buf[d.pos+1]
		if m == 0xff {
			d.pos++
			continue
		}
		d.pos += 2
		if m == 0 {
			continue
		}
		return m, nil
	}
	return 0, corrupt("missing EOI marker")
}

// segment returns the payload of the segment at d.pos and moves past it.
func (d *decoder) segment() ([]byte, error) {
	if d.pos+2 > len(d.buf) {
		return nil, corrupt("truncated segment length")
	}
	n := int(binary.BigEndian.Uint16(d.buf[d.pos:]))
	if n < 2 || d.pos+n > len(d.buf) {
		return nil, corrupt("segment length %d past the end of the file", n)
	}
	seg := d.buf[d.pos+2 : d.pos+n]
	d.pos += n
	return seg, nil
}

// parseFrame reads a SOF0 or SOF1 segment.
func (d *decoder) parseFrame(seg []byte) error {
	if d.frame {
		return corrupt("second frame header")
	}
	d.frame = true
	if len(seg) < 6 {
		return corrupt("short frame header")
	}
	if seg[0] != 8 {
		return unsupported(fmt.Sprintf("%d-bit precision", seg[0]))
	}
	d.height = int(binary.BigEndian.Uint16(seg[1:]))
	d.width = int(binary.BigEndian.Uint16(seg[3:]))
	n := int(seg[5])
	if d.width == 0 || d.height == 0 {
		return unsupported("image height defined by a DNL marker, or zero width")
	}
	if n != 1 && n != 3 {
		return unsupported(fmt.Sprintf("%d colour components (CMYK or YCCK)", n))
	}
	if len(seg) != 6+3*n {
		return corrupt("frame header of %d bytes for %d components", len(seg), n)
	}
	d.comps = make([]component, n)
	for i := range d.comps {
		c := &d.comps[i]
		p := seg[6+3*i:]
		c.id, c.h, c.v, c.tq = p[0], int(p[1]>>4), int(p[1]&15), int(p[2])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return corrupt("component %d: sampling %dx%d, quantisation table %d", i, c.h, c.v, c.tq)
		}
		for j := range i {
			if d.comps[j].id == c.id {
				return corrupt("repeated component id %d", c.id)
			}
		}
	}
	if n == 1 {
		// A lone component is never interleaved: its factors mean nothing.
		d.comps[0].h, d.comps[0].v = 1, 1
	} else if _, ok := d.ratio(); !ok {
		return unsupported(fmt.Sprintf("chroma sampling %dx%d, %dx%d, %dx%d",
			d.comps[0].h, d.comps[0].v, d.comps[1].h, d.comps[1].v, d.comps[2].h, d.comps[2].v))
	}
	if n == 3 && d.isRGB() {
		return unsupported("RGB colour")
	}
	for _, c := range d.comps {
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.mcux = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcuy = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := range d.comps {
		c := &d.comps[i]
		c.stride = d.mcux * c.h * d.bs
		c.pix = make([]byte, c.stride*d.mcuy*c.v*d.bs)
	}
	return nil
}

// ratio returns the image.YCbCr subsample ratio of a 3-component frame:
// luma at factors h x v, both chroma components at 1x1.
func (d *decoder) ratio() (image.YCbCrSubsampleRatio, bool) {
	y, cb, cr := d.comps[0], d.comps[1], d.comps[2]
	if cb.h != 1 || cb.v != 1 || cr.h != 1 || cr.v != 1 {
		return 0, false
	}
	switch [2]int{y.h, y.v} {
	case [2]int{1, 1}:
		return image.YCbCrSubsampleRatio444, true
	case [2]int{2, 1}:
		return image.YCbCrSubsampleRatio422, true
	case [2]int{2, 2}:
		return image.YCbCrSubsampleRatio420, true
	case [2]int{1, 2}:
		return image.YCbCrSubsampleRatio440, true
	case [2]int{4, 1}:
		return image.YCbCrSubsampleRatio411, true
	case [2]int{4, 2}:
		return image.YCbCrSubsampleRatio410, true
	}
	return 0, false
}

// isRGB reports whether a 3-component frame holds RGB rather than YCbCr:
// an Adobe marker says so, or, without JFIF and Adobe markers, the
// components are named R, G and B (as image/jpeg and libjpeg decide).
func (d *decoder) isRGB() bool {
	if d.adobe {
		return d.adobeTransform == 0
	}
	return !d.jfif && d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B'
}

// parseDQT reads the quantisation tables of a DQT segment.
func (d *decoder) parseDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return corrupt("quantisation table %d of precision %d", tq, pq)
		}
		n := 1 + 64*(1+int(pq))
		if len(seg) < n {
			return corrupt("short quantisation table")
		}
		for k := range 64 {
			if pq == 0 {
				d.quant[tq][k] = int32(seg[1+k])
			} else {
				d.quant[tq][k] = int32(binary.BigEndian.Uint16(seg[1+2*k:]))
			}
		}
		d.haveQ[tq] = true
		seg = seg[n:]
	}
	return nil
}

// parseDHT reads the Huffman tables of a DHT segment.
func (d *decoder) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return corrupt("short Huffman table")
		}
		tc, th := seg[0]>>4, int(seg[0]&15)
		if tc > 1 || th > 3 {
			return corrupt("Huffman table class %d id %d", tc, th)
		}
		var counts [16]int
		total := 0
		for i := range counts {
			counts[i] = int(seg[1+i])
			total += counts[i]
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return corrupt("Huffman table of %d codes", total)
		}
		t := &d.dc[th]
		if tc == 1 {
			t = &d.ac[th]
		}
		if err := t.build(counts, seg[17:17+total]); err != nil {
			return err
		}
		if tc == 1 && d.scale == 8 {
			t.buildSkip()
		}
		seg = seg[17+total:]
	}
	return nil
}

// image returns the decoded planes as an image of the reduced size.
func (d *decoder) image() image.Image {
	w, h := Size(d.width, d.height, d.scale)
	r := image.Rect(0, 0, w, h)
	if len(d.comps) == 1 {
		return &image.Gray{Pix: d.comps[0].pix, Stride: d.comps[0].stride, Rect: r}
	}
	ratio, _ := d.ratio()
	return &image.YCbCr{
		Y: d.comps[0].pix, Cb: d.comps[1].pix, Cr: d.comps[2].pix,
		YStride: d.comps[0].stride, CStride: d.comps[1].stride,
		SubsampleRatio: ratio, Rect: r,
	}
}
