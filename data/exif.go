package data

import "encoding/binary"

// jpegOrientation returns the EXIF orientation (1..8) that the JPEG in buf
// records, or 1 (as stored) when it records none or the record is damaged.
// It reads only the markers before the image data and the TIFF header and
// first directory of an APP1 "Exif" segment, with every offset checked.
func jpegOrientation(buf []byte) int {
	if len(buf) < 4 || buf[0] != 0xff || buf[1] != 0xd8 {
		return 1
	}
	for p := 2; p+4 <= len(buf); {
		if buf[p] != 0xff {
			return 1
		}
		marker := buf[p+1]
		switch {
		case marker == 0xff: // fill byte
			p++
			continue
		case marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01:
			p += 2 // markers without a length
			continue
		case marker == 0xda || marker == 0xd9: // start of scan, end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(buf[p+2:]))
		if n < 2 || p+2+n > len(buf) {
			return 1
		}
		seg := buf[p+4 : p+2+n]
		if marker == 0xe1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		p += 2 + n
	}
	return 1
}

// tiffOrientation returns the Orientation tag (0x0112) of the first image
// directory of the TIFF structure t, or 0 when there is none or it is out
// of range.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0
	}
	if order.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := int(order.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 0
	}
	entries := int(order.Uint16(t[ifd:]))
	for i := range entries {
		e := ifd + 2 + 12*i
		if e+12 > len(t) {
			return 0
		}
		if order.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// SHORT, one value, held in the entry's value field.
		if order.Uint16(t[e+2:]) != 3 || order.Uint32(t[e+4:]) != 1 {
			return 0
		}
		if o := int(order.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}

// orientRGB writes the size x size RGB image src into dst as it is meant
// to be seen under EXIF orientation o: dst(x, y) = src(f(x, y)), where f
// undoes the camera's rotation or mirroring (2: mirrored left-right, 3:
// rotated 180°, 4: mirrored top-bottom, 5: transposed, 6: to be turned 90°
// clockwise, 7: transversed, 8: to be turned 90° anticlockwise). dst and
// src must not overlap.
func orientRGB(dst, src []uint8, size, o int) {
	last := size - 1
	for y := range size {
		for x := range size {
			sx, sy := x, y
			switch o {
			case 2:
				sx = last - x
			case 3:
				sx, sy = last-x, last-y
			case 4:
				sy = last - y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, last-x
			case 7:
				sx, sy = last-y, last-x
			case 8:
				sx, sy = last-y, x
			}
			copy(dst[(y*size+x)*3:(y*size+x+1)*3], src[(sy*size+sx)*3:(sy*size+sx+1)*3])
		}
	}
}
