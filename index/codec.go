package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// Format limits, checked when writing and when reading.
const (
	maxDim      = 1 << 16 // vector length
	maxModelLen = 1 << 12 // Meta.Model bytes
	maxStrLen   = 1 << 16 // Entry.Path, Label and Fingerprint bytes
)

// castagnoli is the CRC-32C table; read-only after initialisation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

var le = binary.LittleEndian

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendVec(b []byte, v []float32) []byte {
	for _, x := range v {
		b = le.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func appendMeta(b []byte, m Meta) []byte {
	b = appendStr(b, m.Model)
	b = le.AppendUint32(b, uint32(m.Dim))
	return append(b, byte(m.Metric))
}

func appendEntry(b []byte, id uint64, path, label, fp string, v []float32) []byte {
	b = le.AppendUint64(b, id)
	b = appendStr(b, path)
	b = appendStr(b, label)
	b = appendStr(b, fp)
	return appendVec(b, v)
}

// minEntryLen is the smallest encoding of an entry of dimension dim.
func minEntryLen(dim int) int64 { return 8 + 3 + 4*int64(dim) }

// errShort reports input that ends before the value being decoded.
var errShort = errors.New("unexpected end of data")

// reader decodes little-endian values from r, keeping a running CRC-32C of
// the bytes read and refusing to read past left bytes, which bounds every
// allocation a damaged length can cause. The first error sticks.
type reader struct {
	r    io.Reader
	left int64
	crc  uint32
	off  int64 // bytes read so far
	err  error
	buf  []byte
}

func newReader(r io.Reader, size int64) *reader { return &reader{r: r, left: size} }

// failf records a decoding error unless one is already recorded.
func (d *reader) failf(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

// next returns the next n bytes, valid until the following call.
func (d *reader) next(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || int64(n) > d.left {
		d.err = errShort
		return nil
	}
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	b := d.buf[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errShort
		}
		d.err = err
		return nil
	}
	d.left -= int64(n)
	d.off += int64(n)
	d.crc = crc32.Update(d.crc, castagnoli, b)
	return b
}

func (d *reader) u8() uint8 {
	if b := d.next(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *reader) u16() uint16 {
	if b := d.next(2); b != nil {
		return le.Uint16(b)
	}
	return 0
}

func (d *reader) u32() uint32 {
	if b := d.next(4); b != nil {
		return le.Uint32(b)
	}
	return 0
}

func (d *reader) u64() uint64 {
	if b := d.next(8); b != nil {
		return le.Uint64(b)
	}
	return 0
}

func (d *reader) uvarint() uint64 {
	var x uint64
	for i, s := 0, uint(0); i < binary.MaxVarintLen64; i, s = i+1, s+7 {
		b := d.u8()
		if d.err != nil {
			return 0
		}
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break
			}
			return x | uint64(b)<<s
		}
		x |= uint64(b&0x7f) << s
	}
	d.failf("bad uvarint")
	return 0
}

// str reads a length-prefixed string of at most maxLen bytes.
func (d *reader) str(what string, maxLen int) string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(maxLen) {
		d.failf("%s of %d bytes, at most %d", what, n, maxLen)
		return ""
	}
	return string(d.next(int(n)))
}

// vec fills dst.
func (d *reader) vec(dst []float32) {
	b := d.next(4 * len(dst))
	if b == nil {
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(le.Uint32(b[4*i:]))
	}
}

// meta reads and validates index metadata.
func (d *reader) meta() Meta {
	var m Meta
	m.Model = d.str("model name", maxModelLen)
	dim := d.u32()
	m.Metric = Metric(d.u8())
	if d.err != nil {
		return m
	}
	if dim == 0 || dim > maxDim {
		d.failf("dimension %d out of range [1, %d]", dim, maxDim)
	}
	if !m.Metric.valid() {
		d.failf("unknown metric %d", m.Metric)
	}
	m.Dim = int(dim)
	return m
}

// checkEntryStrings validates the strings of an entry to be written.
func checkEntryStrings(e *Entry) error {
	for _, s := range [...]struct{ what, v string }{{"path", e.Path}, {"label", e.Label}, {"fingerprint", e.Fingerprint}} {
		if len(s.v) > maxStrLen {
			return fmt.Errorf("%s of %d bytes, at most %d", s.what, len(s.v), maxStrLen)
		}
	}
	return nil
}
