package scaledjpeg

import "fmt"

// unzig maps a zigzag index to its natural (row-major) index in a block.
var unzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// scanComp is a component of the current scan with its tables.
type scanComp struct {
	c      *component
	dc, ac *huffman
	q      *[64]int32
}

// scan reads an SOS header and decodes the entropy-coded data after it.
func (d *decoder) scan(seg []byte) error {
	if !d.frame {
		return corrupt("scan before the frame header")
	}
	if len(seg) < 1 || len(seg) != 4+2*int(seg[0]) {
		return corrupt("scan header of %d bytes", len(seg))
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) {
		return corrupt("scan of %d components", ns)
	}
	comps := make([]scanComp, ns)
	for i := range comps {
		id, tables := seg[1+2*i], seg[2+2*i]
		var c *component
		for j := range d.comps {
			if d.comps[j].id == id {
				c = &d.comps[j]
			}
		}
		td, ta := tables>>4, tables&15
		switch {
		case c == nil:
			return corrupt("scan of unknown component %d", id)
		case td > 3 || ta > 3 || !d.dc[td].ok || !d.ac[ta].ok:
			return corrupt("scan of component %d uses a missing Huffman table", id)
		case !d.haveQ[c.tq]:
			return corrupt("component %d uses a missing quantisation table", id)
		}
		c.pred = 0
		comps[i] = scanComp{c: c, dc: &d.dc[td], ac: &d.ac[ta], q: &d.quant[c.tq]}
	}
	if p := seg[1+2*ns:]; p[0] != 0 || p[1] != 63 || p[2] != 0 {
		return corrupt("sequential scan with spectral selection %d-%d, approximation %#x", p[0], p[1], p[2])
	}
	br := &bitReader{data: d.buf, pos: d.pos}
	var err error
	if ns == 1 {
		err = d.scanOne(br, comps[0])
	} else {
		err = d.scanInterleaved(br, comps)
	}
	if err != nil {
		return err
	}
	if br.overrun() {
		return corrupt("truncated scan data")
	}
	d.pos = br.pos
	d.scanned = true
	return nil
}

// scanInterleaved decodes a scan of several components, MCU by MCU.
func (d *decoder) scanInterleaved(br *bitReader, comps []scanComp) error {
	mcus, n := d.mcux*d.mcuy, 0
	for my := range d.mcuy {
		for mx := range d.mcux {
			for _, sc := range comps {
				c := sc.c
				for by := range c.v {
					for bx := range c.h {
						if err := d.block(br, sc, (my*c.v+by)*d.bs, (mx*c.h+bx)*d.bs); err != nil {
							return err
						}
					}
				}
			}
			if n++; d.restart > 0 && n%d.restart == 0 && n < mcus {
				if err := d.nextInterval(br, n/d.restart-1, comps); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// scanOne decodes a scan of one component, block by block over the
// component's own extent (T.81 A.2.2).
func (d *decoder) scanOne(br *bitReader, sc scanComp) error {
	c := sc.c
	w := (d.width*c.h + d.hmax - 1) / d.hmax
	h := (d.height*c.v + d.vmax - 1) / d.vmax
	bw, bh := (w+7)/8, (h+7)/8
	blocks, n := bw*bh, 0
	for by := range bh {
		for bx := range bw {
			if err := d.block(br, sc, by*d.bs, bx*d.bs); err != nil {
				return err
			}
			if n++; d.restart > 0 && n%d.restart == 0 && n < blocks {
				if err := d.nextInterval(br, n/d.restart-1, []scanComp{sc}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// nextInterval moves past the i-th restart marker (i from 0) and resets
// the bit reader and the DC predictors.
func (d *decoder) nextInterval(br *bitReader, i int, comps []scanComp) error {
	if br.overrun() {
		return corrupt("truncated restart interval")
	}
	br.acc, br.n, br.past = 0, 0, 0
	want := byte(markRST0 + i%8)
	if br.pos+1 >= len(br.data) || br.data[br.pos] != 0xff || br.data[br.pos+1] != want {
		return corrupt("missing restart marker RST%d", i%8)
	}
	br.pos += 2
	for _, sc := range comps {
		sc.c.pred = 0
	}
	return nil
}

// block decodes one 8x8 block and writes its reduced pixels at (y, x) of
// the component's plane: at 1/8 from the DC coefficient alone, skipping
// the others; at 1/4 and 1/2 from all of them (see idct.go).
func (d *decoder) block(br *bitReader, sc scanComp, y, x int) error {
	c := sc.c
	if d.bs == 1 {
		diff, err := br.dcOnly(sc.dc, sc.ac)
		if err != nil {
			return err
		}
		c.pred += diff
		c.pix[y*c.stride+x] = clamp((c.pred*sc.q[0]+4)>>3 + 128)
		return nil
	}
	if br.n < 32 {
		br.fill()
	}
	s, err := br.decode(sc.dc)
	if err != nil {
		return err
	}
	if s > 11 {
		return corrupt("DC magnitude of %d bits", s)
	}
	c.pred += br.receive(uint(s))
	var coef [64]int32
	coef[0] = c.pred * sc.q[0]
	if err := br.readAC(sc.ac, sc.q, &coef); err != nil {
		return err
	}
	switch d.bs {
	case 2:
		idct2(c.pix[y*c.stride+x:], c.stride, &coef)
	case 4:
		idct4(c.pix[y*c.stride+x:], c.stride, &coef)
	default:
		return fmt.Errorf("scaledjpeg: block side %d", d.bs)
	}
	return nil
}

// clamp returns v limited to 0..255.
func clamp(v int32) uint8 {
	return uint8(min(max(v, 0), 255))
}
