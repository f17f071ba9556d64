package scaledjpeg

import "encoding/binary"

// lutBits is the number of bits the Huffman lookup tables resolve at once;
// longer codes, rare in practice, take the canonical-code walk.
const lutBits = 12

// Fields of huffman.skip entries.
const (
	skipBits  = 0x3f    // bits to consume: codes and magnitudes, at most skipMax
	skipShift = 6       // the coefficient index advance above, at most 63
	skipEOB   = 1 << 15 // the last code is an end of block
)

// skipMax bounds the bits one skip entry consumes: acc holds at least 32
// when it is looked up.
const skipMax = 26

// huffman is one Huffman table (ITU T.81 annex C) with its lookup tables.
type huffman struct {
	// lut maps the next lutBits bits to length<<8 | symbol for codes of
	// at most lutBits bits, 0 otherwise.
	lut [1 << lutBits]uint16
	// skip maps the next lutBits bits of AC data to what skipping the
	// coefficients whose codes lie in them takes (the skip* fields), 0
	// when the first code is longer.
	skip    [1 << lutBits]uint16
	maxcode [17]int32 // the largest code of each length, -1 if none
	valptr  [17]int32 // the index in vals of length l's codes, less the first code
	vals    [256]byte
	ok      bool
}

// build makes the table from the code counts per length (1 to 16 bits)
// and the symbols in code order.
func (t *huffman) build(counts [16]int, vals []byte) error {
	*t = huffman{}
	copy(t.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		t.valptr[l] = k - code
		if code+int32(counts[l-1]) > 1<<l {
			return corrupt("Huffman table with more codes than fit in %d bits", l)
		}
		for range counts[l-1] {
			if l <= lutBits {
				entry := uint16(l)<<8 | uint16(t.vals[k])
				lo := int(code) << (lutBits - l)
				for i := lo; i < lo+1<<(lutBits-l); i++ {
					t.lut[i] = entry
				}
			}
			code++
			k++
		}
		t.maxcode[l] = code - 1
		if counts[l-1] == 0 {
			t.maxcode[l] = -1
		}
		code <<= 1
	}
	t.ok = true
	return nil
}

// buildSkip fills t.skip, for an AC table: each entry takes the run of
// codes that start within its lutBits bits, up to an end of block and at
// most skipMax bits with their magnitudes, which need not be seen.
func (t *huffman) buildSkip() {
	for p := range t.skip {
		var bits, adv int
		var eob bool
		for bits < lutBits {
			e := t.lut[p<<bits&(1<<lutBits-1)]
			l := int(e >> 8)
			if e == 0 || bits+l > lutBits {
				break // the code runs past the bits known
			}
			run, size := int(e>>4&15), int(e&15)
			if size == 0 && run != 15 {
				bits, eob = bits+l, true
				break
			}
			a := run + 1 // 16 for ZRL
			if bits+l+size > skipMax || adv+a > 63 {
				break
			}
			bits, adv = bits+l+size, adv+a
		}
		if bits > 0 {
			e := uint16(bits) | uint16(adv)<<skipShift
			if eob {
				e |= skipEOB
			}
			t.skip[p] = e
		}
	}
}

// bitReader reads the entropy-coded data of a scan, most significant bit
// first, removing the zero bytes stuffed after each 0xff. It stops at a
// marker and feeds zero bits from then on, counting them.
type bitReader struct {
	data []byte
	pos  int
	acc  uint64 // the next n bits, left-aligned
	n    uint
	past int // bytes of zeros fed at a marker or the end of the data
}

// fill tops acc up to at least 57 bits.
func (b *bitReader) fill() {
	if b.pos+8 <= len(b.data) {
		v := binary.BigEndian.Uint64(b.data[b.pos:])
		// No 0xff byte among the next eight: take as many whole bytes
		// as fit in one go.
		if x := ^v; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			k := (64 - b.n) >> 3
			n := b.n + 8*k
			b.acc = (b.acc | v>>b.n) & (^uint64(0) << (64 - n))
			b.n = n
			b.pos += int(k)
			return
		}
	}
	for b.n <= 56 {
		var c uint64
		switch {
		case b.pos >= len(b.data):
			b.past++
		case b.data[b.pos] != 0xff:
			c = uint64(b.data[b.pos])
			b.pos++
		case b.pos+1 < len(b.data) && b.data[b.pos+1] == 0:
			c = 0xff
			b.pos += 2
		default:
			b.past++ // a marker: the scan's data ends here
		}
		b.acc |= c << (56 - b.n)
		b.n += 8
	}
}

// refill is fill's fast path on the reader's state held in locals: acc
// topped up from the next eight bytes when none of them is 0xff, else ok
// is false and nothing changes. Small enough to be inlined.
func refill(data []byte, pos int, acc uint64, n uint) (int, uint64, uint, bool) {
	if pos+8 > len(data) {
		return pos, acc, n, false
	}
	v := binary.BigEndian.Uint64(data[pos:])
	if x := ^v; (x-0x0101010101010101)&^x&0x8080808080808080 != 0 {
		return pos, acc, n, false
	}
	k := (64 - n) >> 3
	m := n + 8*k
	return pos + int(k), (acc | v>>n) & (^uint64(0) << (64 - m)), m, true
}

// overrun reports whether more bits were consumed than the data held.
func (b *bitReader) overrun() bool {
	return uint(b.past)*8 > b.n
}

// decode returns the next symbol coded with t. acc holds at least 16 bits.
func (b *bitReader) decode(t *huffman) (byte, error) {
	if e := t.lut[b.acc>>(64-lutBits)]; e != 0 {
		l := uint(e >> 8)
		b.acc <<= l
		b.n -= l
		return byte(e), nil
	}
	for l := uint(lutBits + 1); l <= 16; l++ {
		code := int32(b.acc >> (64 - l))
		if code <= t.maxcode[l] {
			b.acc <<= l
			b.n -= l
			return t.vals[code+t.valptr[l]], nil
		}
	}
	return 0, corrupt("bad Huffman code")
}

// receive returns the next s-bit magnitude, sign-extended (T.81 F.2.2.1).
// acc holds at least s bits.
func (b *bitReader) receive(s uint) int32 {
	if s == 0 {
		return 0
	}
	v := int32(b.acc >> (64 - s))
	b.acc <<= s
	b.n -= s
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// dcOnly reads a block's DC difference, coded with dc, and skips its AC
// coefficients, coded with ac, without computing them. This loop is most
// of the work of a decode at 1/8: it keeps the reader's state in locals
// and takes several codes and their magnitude bits in one lookup, except
// where they could reach the end of the block (which needs no end-of-block
// code).
func (b *bitReader) dcOnly(dc, ac *huffman) (int32, error) {
	pos, acc, n := b.pos, b.acc, b.n
	var ok bool
	if n < 32 {
		if pos, acc, n, ok = refill(b.data, pos, acc, n); !ok {
			b.pos, b.acc, b.n = pos, acc, n
			b.fill()
			pos, acc, n = b.pos, b.acc, b.n
		}
	}
	var s uint
	if e := dc.lut[acc>>(64-lutBits)]; e != 0 {
		l := uint(e >> 8)
		acc <<= l
		n -= l
		s = uint(e & 0xff)
	} else {
		b.pos, b.acc, b.n = pos, acc, n
		sym, err := b.decode(dc)
		if err != nil {
			return 0, err
		}
		pos, acc, n, s = b.pos, b.acc, b.n, uint(sym)
	}
	if s > 11 {
		return 0, corrupt("DC magnitude of %d bits", s)
	}
	var diff int32
	if s > 0 {
		diff = int32(acc >> (64 - s))
		acc <<= s
		n -= s
		if diff < 1<<(s-1) {
			diff += -1<<s + 1
		}
	}
	k := 1
	for k < 64 {
		if n < 32 {
			if pos, acc, n, ok = refill(b.data, pos, acc, n); !ok {
				b.pos, b.acc, b.n = pos, acc, n
				b.fill()
				pos, acc, n = b.pos, b.acc, b.n
			}
		}
		e := ac.skip[acc>>(64-lutBits)]
		if adv := int(e >> skipShift & 63); e != 0 && k+adv < 64 {
			l := uint(e & skipBits)
			acc <<= l
			n -= l
			if e&skipEOB != 0 {
				k = 64
				break
			}
			k += adv
			continue
		}
		// One code at a time.
		b.pos, b.acc, b.n = pos, acc, n
		sym, err := b.decode(ac)
		if err != nil {
			return 0, err
		}
		pos, acc, n = b.pos, b.acc, b.n
		run, size := int(sym>>4), uint(sym&15)
		if size == 0 && run != 15 {
			k = 64
			break
		}
		acc <<= size
		n -= size
		k += run + 1 // ZRL: 15 + 1
	}
	b.pos, b.acc, b.n = pos, acc, n
	if k > 64 {
		return 0, corrupt("coefficient run past the end of a block")
	}
	return diff, nil
}

// readAC reads the AC coefficients of a block into coef, dequantised with
// q and in natural order, keeping the bits in locals as dcOnly does.
func (b *bitReader) readAC(t *huffman, q *[64]int32, coef *[64]int32) error {
	pos, acc, n := b.pos, b.acc, b.n
	var ok bool
	for k := 1; k < 64; {
		if n < 32 {
			if pos, acc, n, ok = refill(b.data, pos, acc, n); !ok {
				b.pos, b.acc, b.n = pos, acc, n
				b.fill()
				pos, acc, n = b.pos, b.acc, b.n
			}
		}
		var sym byte
		if e := t.lut[acc>>(64-lutBits)]; e != 0 {
			l := uint(e >> 8)
			acc <<= l
			n -= l
			sym = byte(e)
		} else {
			b.pos, b.acc, b.n = pos, acc, n
			var err error
			if sym, err = b.decode(t); err != nil {
				return err
			}
			pos, acc, n = b.pos, b.acc, b.n
		}
		run, size := int(sym>>4), uint(sym&15)
		if size == 0 {
			if run != 15 {
				break
			}
			k += 16
			continue
		}
		if k += run; k > 63 {
			return corrupt("coefficient run past the end of a block")
		}
		v := int32(acc >> (64 - size))
		acc <<= size
		n -= size
		if v < 1<<(size-1) {
			v += -1<<size + 1
		}
		coef[unzig[k]] = v * q[k]
		k++
	}
	b.pos, b.acc, b.n = pos, acc, n
	return nil
}
