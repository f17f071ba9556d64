package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/bits"
)

// pngFast decodes the commonest PNGs of image datasets (8-bit RGB or RGBA,
// not interlaced, already at the target size) straight into RGB bytes,
// reusing its inflater and buffers from one image to the next. It exists for
// speed only: for any other PNG, and for any PNG it finds malformed, it
// declines and the caller falls back to package image/png, which then gives
// the same result or the proper error. The zero value is ready to use; a
// pngFast must not be used by two goroutines at once.
type pngFast struct {
	zr   io.ReadCloser // zlib reader, reset for each image
	br   bytes.Reader
	idat []byte // concatenated IDAT data, when split over several chunks
	raw  []byte // inflated, filtered rows
}

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// decode writes the PNG buf, which must be size x size, into dst as RGB
// composited onto black, and reports whether it did. It returns false,
// leaving dst in an unspecified state, when buf is not a PNG it handles.
func (p *pngFast) decode(dst, buf []byte, size int) bool {
	if len(buf) < len(pngSignature) || string(buf[:len(pngSignature)]) != pngSignature {
		return false
	}
	rest := buf[len(pngSignature):]
	var (
		bpp      int
		idat     []byte
		nIDAT    int
		seenIHDR bool
		seenIEND bool
	)
	p.idat = p.idat[:0]
	for len(rest) >= 12 && !seenIEND {
		n := binary.BigEndian.Uint32(rest[:4])
		if n > uint32(len(rest)-12) {
			return false
		}
		typ, data := string(rest[4:8]), rest[8:8+n]
		if crc32.ChecksumIEEE(rest[4:8+n]) != binary.BigEndian.Uint32(rest[8+n:12+n]) {
			return false
		}
		rest = rest[12+n:]
		if !seenIHDR && typ != "IHDR" {
			return false
		}
		switch typ {
		case "IHDR":
			if seenIHDR || len(data) != 13 {
				return false
			}
			seenIHDR = true
			w := binary.BigEndian.Uint32(data[0:4])
			h := binary.BigEndian.Uint32(data[4:8])
			depth, colour := data[8], data[9]
			compression, filter, interlace := data[10], data[11], data[12]
			if int64(w) != int64(size) || int64(h) != int64(size) || depth != 8 ||
				compression != 0 || filter != 0 || interlace != 0 {
				return false
			}
			switch colour {
			case 2:
				bpp = 3
			case 6:
				bpp = 4
			default:
				return false
			}
		case "IDAT":
			nIDAT++
			if nIDAT == 1 {
				idat = data
			} else {
				if nIDAT == 2 {
					p.idat = append(p.idat, idat...)
				}
				p.idat = append(p.idat, data...)
				idat = p.idat
			}
		case "IEND":
			seenIEND = true
		case "tRNS":
			// Transparency for an RGB image: leave it to image/png.
			return false
		default:
			// Unknown critical chunks (upper-case first letter) are not
			// ours to ignore; ancillary ones, and PLTE hints for true
			// colour images, are.
			if typ[0]&0x20 == 0 && typ != "PLTE" {
				return false
			}
		}
	}
	if !seenIEND || nIDAT == 0 {
		return false
	}

	stride := size * bpp
	need := size * (1 + stride)
	if cap(p.raw) < need+1 {
		p.raw = make([]byte, need+1)
	}
	raw := p.raw[:need+1]
	p.br.Reset(idat)
	if p.zr == nil {
		zr, err := zlib.NewReader(&p.br)
		if err != nil {
			return false
		}
		p.zr = zr
	} else if err := p.zr.(zlib.Resetter).Reset(&p.br, nil); err != nil {
		return false
	}
	if _, err := io.ReadFull(p.zr, raw[:need]); err != nil {
		return false
	}
	// The stream must end here (which also checks its checksum).
	if n, err := p.zr.Read(raw[need:]); n != 0 || err != io.EOF {
		return false
	}

	var prev []byte
	for y := range size {
		row := raw[y*(1+stride) : (y+1)*(1+stride)]
		ft, cur := row[0], row[1:]
		if !unfilter(ft, cur, prev, bpp) {
			return false
		}
		prev = cur
		out := dst[y*size*3 : (y+1)*size*3]
		if bpp == 3 {
			copy(out, cur)
			continue
		}
		for x, q := 0, 0; q < len(out); x, q = x+4, q+3 {
			a := uint32(cur[x+3])
			if a == 0xff {
				out[q+0], out[q+1], out[q+2] = cur[x+0], cur[x+1], cur[x+2]
				continue
			}
			out[q+0] = premultiply(cur[x+0], a)
			out[q+1] = premultiply(cur[x+1], a)
			out[q+2] = premultiply(cur[x+2], a)
		}
	}
	return true
}

// unfilter reverses PNG filter type ft on row cur, given the previous
// unfiltered row prev (empty for the first row, meaning zeros), and reports
// whether ft is a valid filter type.
func unfilter(ft byte, cur, prev []byte, bpp int) bool {
	first := len(prev) == 0
	switch ft {
	case 0: // None
	case 1: // Sub
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2: // Up
		if !first {
			for i, b := range prev[:len(cur)] {
				cur[i] += b
			}
		}
	case 3: // Average
		if first {
			for i := bpp; i < len(cur); i++ {
				cur[i] += cur[i-bpp] / 2
			}
			break
		}
		for i := range bpp {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += uint8((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4: // Paeth
		if first {
			// With a zero previous row, Paeth predicts from the left.
			for i := bpp; i < len(cur); i++ {
				cur[i] += cur[i-bpp]
			}
			break
		}
		for i := range bpp {
			var a, c int
			for j := i; j < len(cur); j += bpp {
				b := int(prev[j])
				pa, pb := b-c, a-c
				pc := absInt(pa + pb)
				pa, pb = absInt(pa), absInt(pb)
				if pa <= pb && pa <= pc {
					// Predict a.
				} else if pb <= pc {
					a = b
				} else {
					a = c
				}
				a = (a + int(cur[j])) & 0xff
				cur[j] = uint8(a)
				c = b
			}
		}
	default:
		return false
	}
	return true
}

// absInt returns |x| without a branch.
func absInt(x int) int {
	m := x >> (bits.UintSize - 1)
	return (x ^ m) - m
}
