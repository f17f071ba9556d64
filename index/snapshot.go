package index

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
)

const (
	snapName    = "index.snap"
	snapMagic   = "LKA-SNP\n"
	snapVersion = 1

	snapFlagGraph = 1 << 0
	// snapFlagQuant marks a snapshot that holds the int8 quantiser of an
	// index searched through codes (the codes are made again from it and
	// the vectors on load, the same bytes).
	snapFlagQuant = 1 << 1
)

// snapshot is a decoded snapshot file.
type snapshot struct {
	meta   Meta
	lsn    uint64 // last log record included
	nextID uint64
	ids    []uint64
	vecs   []float32
	info   []entryMeta
	graph  *snapGraph // nil when the snapshot holds no graph
	quant  *sq8       // nil when the snapshot holds no quantiser
	// quantFitAt is the number of rows quant was fitted at.
	quantFitAt int
}

// snapGraph is the HNSW graph of a snapshot, in entry order.
type snapGraph struct {
	m, efConstruction int
	seed              uint64
	entry             uint32
	top               int
	levels            []uint8
	links             [][]uint32
}

// crcWriter writes through to w and keeps a CRC-32C of what it wrote.
type crcWriter struct {
	w   io.Writer
	crc uint32
	err error
}

// Write implements io.Writer; the first error sticks.
func (c *crcWriter) Write(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.crc = crc32.Update(c.crc, castagnoli, b)
	n, err := c.w.Write(b)
	c.err = err
	return n, err
}

// writeSnapshot atomically replaces dir/index.snap with the state of vi and
// the entry metadata info.
func writeSnapshot(dir string, m Meta, lsn, nextID uint64, vi vectorIndex, info func(id uint64) entryMeta) error {
	// A quantiser is never changed once made (a refit makes a new one), so
	// it need not be read in the same view as the vectors.
	sq, fitAt := vi.quantizer()
	return writeFileAtomic(dir, snapName, func(w io.Writer) error {
		return vi.snapshotView(func(ids []uint64, vec func(int) []float32, g *hnswGraph) error {
			cw := &crcWriter{w: w}
			var flags uint32
			if g != nil {
				flags |= snapFlagGraph
			}
			if sq != nil {
				flags |= snapFlagQuant
			}
			b := []byte(snapMagic)
			b = le.AppendUint32(b, snapVersion)
			b = le.AppendUint32(b, flags)
			b = appendMeta(b, m)
			b = le.AppendUint64(b, lsn)
			b = le.AppendUint64(b, nextID)
			b = le.AppendUint64(b, uint64(len(ids)))
			cw.Write(b)
			for i, id := range ids {
				e := info(id)
				b = appendEntry(b[:0], id, e.path, e.label, e.fingerprint, vec(i))
				if _, err := cw.Write(b); err != nil {
					return err
				}
			}
			if g != nil {
				b = le.AppendUint32(b[:0], uint32(g.cfg.M))
				b = le.AppendUint32(b, uint32(g.cfg.EfConstruction))
				b = le.AppendUint64(b, g.cfg.Seed)
				b = le.AppendUint32(b, g.entry)
				b = append(b, byte(g.top))
				cw.Write(b)
				var nb []uint32
				for i, lv := range g.levels {
					b = append(b[:0], lv)
					for l := 0; l <= int(lv); l++ {
						nb = g.neighbours(uint32(i), l, nb)
						b = le.AppendUint16(b, uint16(len(nb)))
						for _, e := range nb {
							b = le.AppendUint32(b, e)
						}
					}
					if _, err := cw.Write(b); err != nil {
						return err
					}
				}
			}
			if sq != nil {
				b = le.AppendUint64(b[:0], uint64(fitAt))
				b = appendFloats(b, sq.lo)
				b = appendFloats(b, sq.step)
				cvar := sq.cvar
				if cvar == nil { // not known: the bound margin uses
					cvar = slices.Repeat([]float32{255 * 255 / 3}, len(sq.lo))
				}
				b = appendFloats(b, cvar)
				cw.Write(b)
			}
			if cw.err != nil {
				return cw.err
			}
			_, err := w.Write(le.AppendUint32(nil, cw.crc))
			return err
		})
	})
}

// readSnapshot reads and verifies a snapshot file. Nothing of a snapshot
// that fails verification is returned. alloc, if not nil, returns the
// slice the vectors are read into (n floats of vectors of dimension dim).
func readSnapshot(path string, alloc func(dim, n int) []float32) (*snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	d := newReader(bufio.NewReaderSize(f, 1<<20), fi.Size())
	s, err := decodeSnapshot(d, alloc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func decodeSnapshot(d *reader, alloc func(dim, n int) []float32) (*snapshot, error) {
	corrupt := func() error {
		return fmt.Errorf("at offset %d: %v: %w", d.off, d.err, ErrCorrupt)
	}
	if magic := d.next(len(snapMagic)); d.err != nil || string(magic) != snapMagic {
		return nil, fmt.Errorf("%w (bad magic)", ErrNotIndex)
	}
	if v := d.u32(); d.err == nil && v != snapVersion {
		return nil, fmt.Errorf("snapshot version %d: %w", v, ErrVersion)
	}
	flags := d.u32()
	if d.err == nil && flags&^(snapFlagGraph|snapFlagQuant) != 0 {
		d.failf("unknown flags %#x", flags)
	}
	s := &snapshot{meta: d.meta(), lsn: d.u64(), nextID: d.u64()}
	count := d.u64()
	if d.err != nil {
		return nil, corrupt()
	}
	dim := s.meta.Dim
	if count > uint64(d.left/minEntryLen(dim)) {
		d.failf("%d entries cannot fit in %d bytes", count, d.left)
		return nil, corrupt()
	}
	n := int(count)
	s.ids = make([]uint64, n)
	if alloc != nil {
		s.vecs = alloc(dim, n*dim)
	} else {
		s.vecs = make([]float32, n*dim)
	}
	s.info = make([]entryMeta, n)
	seen := make(map[uint64]struct{}, n)
	for i := range n {
		id := d.u64()
		s.info[i] = entryMeta{
			path:        d.str("path", maxStrLen),
			label:       d.str("label", maxStrLen),
			fingerprint: d.str("fingerprint", maxStrLen),
		}
		d.vec(s.vecs[i*dim : (i+1)*dim])
		if d.err != nil {
			return nil, corrupt()
		}
		if !finite(s.vecs[i*dim : (i+1)*dim]) {
			d.failf("entry %d: %v", i, ErrInvalidVector)
			return nil, corrupt()
		}
		if _, dup := seen[id]; dup || id == 0 || id >= s.nextID {
			d.failf("entry %d: bad or duplicate id %d (next id %d)", i, id, s.nextID)
			return nil, corrupt()
		}
		seen[id] = struct{}{}
		s.ids[i] = id
	}
	if flags&snapFlagGraph != 0 {
		s.graph = decodeGraph(d, n)
		if d.err != nil {
			return nil, corrupt()
		}
	}
	if flags&snapFlagQuant != 0 {
		s.quantFitAt = int(d.u64())
		q := &sq8{lo: make([]float32, dim), step: make([]float32, dim), cvar: make([]float32, dim)}
		d.vec(q.lo)
		d.vec(q.step)
		d.vec(q.cvar)
		notPositive := func(x float32) bool { return x <= 0 }
		if d.err == nil && (!finite(q.lo) || !finite(q.step) || !finite(q.cvar) || slices.ContainsFunc(q.step, notPositive) ||
			slices.ContainsFunc(q.cvar, func(x float32) bool { return x < 0 }) || s.quantFitAt <= 0) {
			d.failf("bad int8 quantiser (fitted at %d rows)", s.quantFitAt)
		}
		if d.err != nil {
			return nil, corrupt()
		}
		s.quant = q
	}
	sum := d.crc
	if got := d.u32(); d.err == nil && got != sum {
		d.failf("checksum mismatch")
	}
	if d.err == nil && d.left != 0 {
		d.failf("%d stray bytes after the checksum", d.left)
	}
	if d.err != nil {
		return nil, corrupt()
	}
	return s, nil
}

// decodeGraph reads the graph section of a snapshot of n entries. Links
// are checked to be in range here; restore checks the rest.
func decodeGraph(d *reader, n int) *snapGraph {
	g := &snapGraph{
		m:              int(d.u32()),
		efConstruction: int(d.u32()),
		seed:           d.u64(),
		entry:          d.u32(),
		top:            int(d.u8()),
	}
	if d.err != nil {
		return nil
	}
	if g.m < 2 || g.m > 1<<14 || g.efConstruction < 1 || g.top > hnswMaxLevel {
		d.failf("bad graph parameters m=%d efConstruction=%d top=%d", g.m, g.efConstruction, g.top)
		return nil
	}
	if int64(n) > d.left/3 {
		d.failf("graph of %d nodes cannot fit in %d bytes", n, d.left)
		return nil
	}
	g.levels = make([]uint8, n)
	var flat []uint32 // grows only as links are actually read
	var counts []int
	for i := range n {
		lv := d.u8()
		if d.err == nil && lv > hnswMaxLevel {
			d.failf("node %d: level %d", i, lv)
		}
		g.levels[i] = lv
		for l := 0; l <= int(lv) && d.err == nil; l++ {
			c := int(d.u16())
			capacity := g.m
			if l == 0 {
				capacity = 2 * g.m
			}
			if c > capacity {
				d.failf("node %d layer %d: %d neighbours, at most %d", i, l, c, capacity)
			}
			for j := 0; j < c && d.err == nil; j++ {
				e := d.u32()
				if d.err == nil && int(e) >= n {
					d.failf("node %d layer %d: neighbour %d of %d nodes", i, l, e, n)
				}
				flat = append(flat, e)
			}
			counts = append(counts, c)
		}
		if d.err != nil {
			return nil
		}
	}
	g.links = make([][]uint32, len(counts))
	o := 0
	for i, c := range counts {
		g.links[i] = flat[o : o+c : o+c]
		o += c
	}
	return g
}

// appendFloats appends the little-endian bits of xs to b.
func appendFloats(b []byte, xs []float32) []byte {
	for _, x := range xs {
		b = le.AppendUint32(b, math.Float32bits(x))
	}
	return b
}
