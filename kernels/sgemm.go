package kernels

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major matrices, where
// op(X) is X or its transpose. op(A) is m x k, op(B) is k x n and C is m x n.
// lda, ldb and ldc are the row strides of A, B and C as stored: A is m x k
// (lda >= k) when transA is false and k x m (lda >= m) when it is true;
// likewise for B. With beta == 0, C is overwritten and may hold garbage
// (even NaNs). With alpha == 0 or k == 0, A and B are not read and C is
// only scaled by beta.
//
// Sgemm panics if a dimension is negative, a stride is too small or a slice
// is too short for its matrix. Large products are split over the available
// cores; Sgemm returns when all of C is written.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(active.gemm, transA, transB, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemm is Sgemm computed with g; with pairedA (and not transA), A holds
// bfloat16 pairs, ceil(k/2) a row (see SgemmBF16Paired).
func sgemm(g *gemmImpl, transA, transB, pairedA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels.Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	switch {
	case pairedA:
		ac = (k + 1) / 2
	case transA:
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", a, ar, ac, lda)
	checkMatrix("B", b, br, bc, ldb)
	checkMatrix("C", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleMatrix(beta, c, m, n, ldc)
		return
	}
	if g.addTransposed != nil && transA && !transB && n < m {
		t := getFloats(n * m)
		sgemm(g, true, false, false, n, m, k, alpha, b, ldb, a, lda, 0, *t, m)
		g.addTransposed(c, ldc, *t, m, n, beta)
		floatsPool.Put(t)
		return
	}
	p := gemmArgs{
		transA: transA, transB: transB, pairedA: pairedA,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, lda: lda,
		b: b, ldb: ldb,
		c: c, ldc: ldc,
	}
	if parts, alongM := g.split(m, n, k); parts > 1 {
		g.runParallel(&p, parts, alongM)
		return
	}
	s := getScratch(g)
	g.run(s, &p, nil)
	scratchPool.Put(s)
}

// checkMatrix panics unless s can hold a rows x cols row-major matrix with
// row stride ld.
func checkMatrix(name string, s []float32, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels.Sgemm: ld%s = %d, want >= %d", name, ld, max(1, cols)))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels.Sgemm: len(%s) = %d, want >= %d for %d x %d with stride %d",
			name, len(s), (rows-1)*ld+cols, rows, cols, ld))
	}
}

// scaleMatrix sets C = beta*C, writing zeros (not reading C) when beta is 0.
func scaleMatrix(beta float32, c []float32, m, n, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// floatsPool recycles the scratch of swapped products.
var floatsPool sync.Pool

// getFloats returns a pooled slice of n floats (contents undefined); put
// it back in floatsPool when done.
func getFloats(n int) *[]float32 {
	p, _ := floatsPool.Get().(*[]float32)
	if p == nil {
		p = new([]float32)
	}
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// gemmArgs is one Sgemm problem, or a part of one.
type gemmArgs struct {
	transA, transB bool
	// pairedA marks A (not transposed) as already in bfloat16 pairs:
	// row i holds ceil(k/2) pairs, lda pairs apart (see SgemmBF16Paired).
	pairedA     bool
	m, n, k     int
	alpha, beta float32
	a           []float32
	lda         int
	b           []float32
	ldb         int
	c           []float32
	ldc         int
}

// microKernel computes one tile of C from a panel of A and a micro-panel
// of B:
//
//	C[i*ldc+j] = alpha * sum(A(i,p)*B(p,j) for p < k) + beta*C[i*ldc+j]
//
// for i < mr and j < nr, where A(i,p) = a[i*rsa+p*csa] and
// B(p,j) = b[p*rsb+j]. The kernel reads all MR rows of A and all NR columns
// of B, so both must be padded; it writes only the mr x nr corner of C and
// does not read C when beta is 0. k >= 1, 1 <= mr <= MR and 1 <= nr <= NR.
type microKernel func(k int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc, mr, nr int, alpha, beta float32)

// packFunc copies rows x cols floats from src, whose rows are srcStride
// apart (transposed: src[j*srcStride+i] for packCols), to dst with rows
// dstStride apart, and zeroes columns cols..dstStride-1 of dst.
// cols <= dstStride <= 32.
type packFunc func(dst, src []float32, rows, cols, srcStride, dstStride int)

// gemmImpl is a micro-kernel with the blocking that suits it.
type gemmImpl struct {
	mr, nr int // register tile: rows of A and columns of B per kernel call
	kc     int // depth of a block: an A panel (mr x kc) stays in L1
	nc     int // columns of a packed B block of depth kc, which stays in L2

	// kcSingle is the largest k done in one block, which saves passes
	// over C; larger k is cut in blocks of at most kc.
	kcSingle int

	// strided reports that the kernel reads A with any strides, so that
	// full panels of A can be used in place instead of packed.
	strided bool
	kernel  microKernel

	// maxPanelsA is the largest number of B micro-panels over which a
	// full A panel is used in place (when strided): beyond that, packing
	// A pays for itself. Likewise maxPanelsB is the largest number of A
	// panels over which a B micro-panel is used in place.
	maxPanelsA, maxPanelsB int

	// packRows and packCols copy blocks of A or B into panels, as they
	// are (packRows) or transposed (packCols).
	packRows, packCols packFunc

	// panelA, if set, replaces packA's packing of A panels (stored in a
	// with row stride lda, transposed or not, or paired), returning the
	// panel, dst or a part of a, and the strides the kernel is to read it
	// with; a panel in dst must fit in MR*kc floats, and every panel must
	// hold MR readable rows.
	panelA func(dst, a []float32, lda int, transA, pairedA bool, ir, mr, pc, kc int) (ap []float32, rsa, csa int)

	// even makes the cache blocks of k even, so that a block never splits
	// a bfloat16 pair of a paired A.
	even bool

	// addTransposed, if set, makes a product with A transposed (and B
	// not) and fewer columns than rows compute Cᵀ = Bᵀ·A into scratch T
	// (n x m, rows m apart), then set C = Tᵀ + beta*C with addTransposed:
	// for a kernel whose transposed packing of A costs more than its
	// packing of B, the smaller operand then takes it.
	addTransposed func(c []float32, ldc int, t []float32, m, n int, beta float32)
}

// Tuning constants for the driver.
const (
	// parallelMinWork is the number of multiply-adds each goroutine must
	// get for a product to be split: about 15 µs of work on one core,
	// where waking a helper takes a few µs.
	parallelMinWork = 2 << 20

	// maxParts bounds the number of goroutines one product is split over.
	maxParts = 16
)

// blocks returns the depth and width of the cache blocks for a k x n block
// of B: the fewest blocks of at most kc (or kcSingle, if that makes one
// block) and of at most kc*nc floats in all, of equal size, the width
// rounded up to whole micro-panels.
func (g *gemmImpl) blocks(k, n int) (kc, nc int) {
	kc = k
	if k > g.kcSingle {
		kb := (k + g.kc - 1) / g.kc
		kc = (k + kb - 1) / kb
		if g.even {
			kc += kc & 1
		}
	}
	ncMax := max(g.nr, g.kc*g.nc/kc/g.nr*g.nr)
	nb := (n + ncMax - 1) / ncMax
	nc = (n + nb - 1) / nb
	nc = (nc + g.nr - 1) / g.nr * g.nr
	return kc, nc
}

// scratchLen is the number of floats of scratch g needs at most: a block
// of B and a panel of A.
func (g *gemmImpl) scratchLen() int {
	kc := max(g.kc, g.kcSingle)
	return g.kc*g.nc + kc*g.nr + kc*g.mr
}

// run computes the whole problem p on the calling goroutine.
//
// With shared != nil, B is already packed there (see packedB) and run
// only reads it.
func (g *gemmImpl) run(s *gemmScratch, p *gemmArgs, shared []float32) {
	MR, NR := g.mr, g.nr
	m, n, k := p.m, p.n, p.k
	kc, nc := g.blocks(k, n)
	bbuf := s.buf[:kc*nc]
	abuf := s.buf[kc*nc : kc*nc+MR*kc]
	directA := g.useDirectA(p, kc, nc)
	directB := shared == nil && g.useDirectB(p, m)
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			beta := p.beta
			if pc > 0 {
				beta = 1
			}
			if shared != nil {
				bbuf = shared[g.packedBlock(k, n, jc, pc):]
			} else {
				for jr := 0; jr < ncb; jr += NR {
					if nr := min(NR, ncb-jr); !directB || nr < NR {
						g.packB(bbuf[jr*kcb:], p, pc, kcb, jc+jr, nr)
					}
				}
			}
			for ir := 0; ir < m; ir += MR {
				mr := min(MR, m-ir)
				ap, rsa, csa := abuf, 1, MR
				switch {
				case directA && mr == MR && !p.transA:
					ap, rsa, csa = p.a[ir*p.lda+pc:], p.lda, 1
				case directA && mr == MR:
					ap, rsa, csa = p.a[pc*p.lda+ir:], 1, p.lda
				default:
					ap, rsa, csa = g.packA(abuf, p, ir, mr, pc, kcb)
				}
				crow := p.c[ir*p.ldc+jc:]
				for jr := 0; jr < ncb; jr += NR {
					nr := min(NR, ncb-jr)
					bp, rsb := bbuf[jr*kcb:], NR
					if directB && nr == NR {
						bp, rsb = p.b[pc*p.ldb+jc+jr:], p.ldb
					}
					g.kernel(kcb, ap, rsa, csa, bp, rsb, crow[jr:], p.ldc, mr, nr, p.alpha, beta)
				}
			}
		}
	}
}

// useDirectB reports whether g should read full micro-panels of B in
// place for a product with m rows: when its rows are contiguous and few A
// panels use each B panel.
func (g *gemmImpl) useDirectB(p *gemmArgs, m int) bool {
	return g.strided && !p.transB && (m+g.mr-1)/g.mr <= g.maxPanelsB
}

// packedB is the layout of a whole packed B, which the goroutines of a
// product divided along M share: the cache blocks of run in its order, jc
// blocks of all k rows, each the pc blocks of kcb x ncb (ncb rounded up to
// whole micro-panels), each its micro-panels of kcb x NR. Its size is
// k * (n rounded up to NR).
func (g *gemmImpl) packedSize(k, n int) int {
	return k * ((n + g.nr - 1) / g.nr * g.nr)
}

// packedBlock returns the offset in a packed B of the cache block that
// starts at column jc and row pc. Every jc block but the last is nc wide,
// a multiple of NR, so the blocks before it take k*jc floats.
func (g *gemmImpl) packedBlock(k, n, jc, pc int) int {
	_, nc := g.blocks(k, n)
	ncb := min(nc, n-jc)
	return k*jc + pc*((ncb+g.nr-1)/g.nr*g.nr)
}

// panelsB returns the number of micro-panels in a packed k x n B.
func (g *gemmImpl) panelsB(k, n int) int {
	kc, nc := g.blocks(k, n)
	kb, panels := (k+kc-1)/kc, 0
	for jc := 0; jc < n; jc += nc {
		panels += kb * ((min(nc, n-jc) + g.nr - 1) / g.nr)
	}
	return panels
}

// packPanelB packs micro-panel i of the packed B of p into shared, with
// the panels numbered in layout order; it reports false when i is past the
// last panel.
func (g *gemmImpl) packPanelB(shared []float32, p *gemmArgs, i int) bool {
	k, n := p.k, p.n
	kc, nc := g.blocks(k, n)
	kb := (k + kc - 1) / kc
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		per := (ncb + g.nr - 1) / g.nr // micro-panels per pc block
		if i >= kb*per {
			i -= kb * per
			continue
		}
		pc, jr := i/per*kc, i%per*g.nr
		kcb := min(kc, k-pc)
		off := g.packedBlock(k, n, jc, pc) + jr*kcb
		g.packB(shared[off:], p, pc, kcb, jc+jr, min(g.nr, ncb-jr))
		return true
	}
	return false
}

// useDirectA reports whether g should read full panels of A in place.
// That saves packing when each panel is used for only a few micro-panels
// of B, provided the panel's cache lines spread over the sets of L1.
func (g *gemmImpl) useDirectA(p *gemmArgs, kc, nc int) bool {
	if !g.strided || p.m < g.mr || (min(nc, p.n)+g.nr-1)/g.nr > g.maxPanelsA {
		return false
	}
	base := uintptr(unsafe.Pointer(&p.a[0]))
	if p.transA {
		return linesSpread(base, kc, g.mr, p.lda)
	}
	return linesSpread(base, g.mr, kc, p.lda)
}

// linesSpread reports whether runs contiguous runs of n floats, stride
// floats apart from base, fall into the 64 sets of a typical L1 data cache
// (64-byte lines, 4 KiB per way) with no set holding more than six lines.
func linesSpread(base uintptr, runs, n, stride int) bool {
	var sets [64]uint16
	last := ^uintptr(0)
	for r := 0; r < runs; r++ {
		start := base + uintptr(r*stride*4)
		for line := start >> 6; line <= (start+uintptr(n*4)-1)>>6; line++ {
			if line == last {
				continue
			}
			last = line
			sets[line&63]++
			if sets[line&63] > 6 {
				return false
			}
		}
	}
	return true
}

// packA copies rows ir..ir+mr of op(A), columns pc..pc+kc, into dst as an
// MR-row panel, dst[q*MR+i] = op(A)(ir+i, pc+q), zero for i >= mr, and
// returns the panel with its strides for the kernel (dst, rsa = 1,
// csa = MR), unless g packs A its own way (panelA).
func (g *gemmImpl) packA(dst []float32, p *gemmArgs, ir, mr, pc, kc int) (ap []float32, rsa, csa int) {
	if g.panelA != nil {
		return g.panelA(dst, p.a, p.lda, p.transA, p.pairedA, ir, mr, pc, kc)
	}
	if p.transA {
		g.packRows(dst, p.a[pc*p.lda+ir:], kc, mr, p.lda, g.mr)
	} else {
		g.packCols(dst, p.a[ir*p.lda+pc:], kc, mr, p.lda, g.mr)
	}
	return dst, 1, g.mr
}

// packB copies rows pc..pc+kc of op(B), columns j0..j0+nr, into dst as an
// NR-column micro-panel: dst[q*NR+j] = op(B)(pc+q, j0+j), zero for j >= nr.
func (g *gemmImpl) packB(dst []float32, p *gemmArgs, pc, kc, j0, nr int) {
	if p.transB {
		g.packCols(dst, p.b[j0*p.ldb+pc:], kc, nr, p.ldb, g.nr)
	} else {
		g.packRows(dst, p.b[pc*p.ldb+j0:], kc, nr, p.ldb, g.nr)
	}
}

// packRowsGeneric is packFunc for blocks copied as they are.
func packRowsGeneric(dst, src []float32, rows, cols, srcStride, dstStride int) {
	dst = dst[:rows*dstStride]
	for i := 0; i < rows; i++ {
		d := dst[i*dstStride : i*dstStride+dstStride]
		copy(d, src[i*srcStride:i*srcStride+cols])
		clear(d[cols:])
	}
}

// packColsGeneric is packFunc for blocks copied transposed.
func packColsGeneric(dst, src []float32, rows, cols, srcStride, dstStride int) {
	dst = dst[:rows*dstStride]
	for j := 0; j < cols; j++ {
		col := src[j*srcStride : j*srcStride+rows]
		for i, v := range col {
			dst[i*dstStride+j] = v
		}
	}
	if cols < dstStride {
		for i := 0; i < rows; i++ {
			clear(dst[i*dstStride+cols : i*dstStride+dstStride])
		}
	}
}

// gemmScratch holds the packing buffers of one goroutine.
type gemmScratch struct {
	buf []float32 // 64-byte aligned
}

// scratchPool recycles packing buffers, so that steady-state calls do not
// allocate.
var scratchPool sync.Pool

// getScratch returns scratch big enough for g. Put it back in scratchPool
// when done.
func getScratch(g *gemmImpl) *gemmScratch {
	s, _ := scratchPool.Get().(*gemmScratch)
	if s == nil {
		s = new(gemmScratch)
	}
	if n := g.scratchLen(); len(s.buf) < n {
		s.buf = alignedFloats(max(n, genericGemm.scratchLen()))
	}
	return s
}

// alignedFloats returns a zeroed slice of n floats starting on a 64-byte
// boundary.
func alignedFloats(n int) []float32 {
	buf := make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&buf[0]))&63) / 4
	if off != 0 {
		off = 16 - off
	}
	return buf[off : off+n : off+n]
}

// split decides how many goroutines to spread an m x n x k product over,
// and whether to divide the rows (alongM) or the columns of C between them.
// Each chunk of the product packs the B panels it uses, so dividing rows
// repeats the packing of B, and dividing columns that of A.
func (g *gemmImpl) split(m, n, k int) (parts int, alongM bool) {
	work := m * n * k
	if work < 2*parallelMinWork || serial() {
		return 1, true
	}
	workers.once.Do(startWorkers)
	parts = min(runtime.GOMAXPROCS(0), workers.n+1, work/parallelMinWork)
	mp := (m + g.mr - 1) / g.mr
	np := (n + g.nr - 1) / g.nr
	switch {
	case mp >= 2*parts || (mp >= parts && m >= n):
		return parts, true
	case np >= parts:
		return parts, false
	case mp >= np:
		return mp, true
	default:
		return np, false
	}
}

// part returns the sub-problem of p for rows (alongM) or columns lo..hi of
// C; hi is clamped to the size of C.
func (p *gemmArgs) part(lo, hi int, alongM bool) gemmArgs {
	q := *p
	if alongM {
		hi = min(hi, p.m)
		q.m = hi - lo
		if p.transA {
			q.a = p.a[lo:]
		} else {
			q.a = p.a[lo*p.lda:]
		}
		q.c = p.c[lo*p.ldc:]
		return q
	}
	hi = min(hi, p.n)
	q.n = hi - lo
	if p.transB {
		q.b = p.b[lo*p.ldb:]
	} else {
		q.b = p.b[lo:]
	}
	q.c = p.c[lo:]
	return q
}

// chunkTiles is the smallest chunk of a parallel product, in register
// tiles along the divided dimension: enough that packing the other
// operand again for each chunk costs little.
const chunkTiles = 8

// gemmCall is one parallel Sgemm call. The product is cut into chunks of
// rows or columns of C, which the calling goroutine and its helpers take
// in turn from next, so that a helper that starts late, or is descheduled
// on a busy machine, holds up at most the chunk it is working on.
//
// A call divided along M that would pack B in every chunk packs it once
// instead, into shared: its goroutines first take micro-panels of B to
// pack from nextPanel until all are taken, wait until all are packed, then
// take chunks.
type gemmCall struct {
	impl   *gemmImpl
	args   gemmArgs
	alongM bool
	unit   int          // rows or columns per tile
	tiles  int          // tiles along the divided dimension
	chunks int          // chunks the tiles are cut into
	next   atomic.Int64 // chunks handed out so far
	wg     sync.WaitGroup
	jobs   [maxParts]gemmJob

	shared    []float32    // the packed B, or nil
	sharedBuf []float32    // shared's storage, kept with the call for reuse
	nextPanel atomic.Int64 // micro-panels of B handed out so far
	packed    atomic.Int64 // micro-panels of B packed
	panels    int          // micro-panels of B in all
}

// maxSharedB bounds the floats of a packed B that a call shares: beyond
// it, each chunk packs its own blocks (which then stay in cache).
const maxSharedB = 1 << 22

// gemmJob asks a worker to help with a call. It is claimed, by a worker
// or by the calling goroutine once it has run out of chunks, by moving
// state from 0 to 1; the claimer marks it done on call.wg.
type gemmJob struct {
	state atomic.Int32
	call  *gemmCall
}

var callPool = sync.Pool{New: func() any { return new(gemmCall) }}

// workers is the pool of goroutines that help with large products. It is
// started on first use and has one goroutine less than the machine has
// CPUs: the calling goroutine works too.
var workers struct {
	once sync.Once
	n    int
	jobs chan *gemmJob
}

func startWorkers() {
	workers.n = min(runtime.NumCPU(), maxParts) - 1
	workers.jobs = make(chan *gemmJob, 4*maxParts)
	for range workers.n {
		go gemmWorker(workers.jobs)
	}
}

func gemmWorker(jobs <-chan *gemmJob) {
	for j := range jobs {
		// A job whose caller got to it first is skipped. The pointer may
		// also be stale, from a finished call whose gemmCall was recycled:
		// then the job is either claimed already or a live job of the new
		// call, which is as good to run.
		if j.state.CompareAndSwap(0, 1) {
			c := j.call
			c.work()
			c.wg.Done()
		}
	}
}

// work packs panels of the shared B, if any, then runs chunks of c until
// there are none left.
func (c *gemmCall) work() {
	if c.shared != nil {
		for {
			i := int(c.nextPanel.Add(1)) - 1
			if i >= c.panels || !c.impl.packPanelB(c.shared, &c.args, i) {
				break
			}
			c.packed.Add(1)
		}
		for c.packed.Load() < int64(c.panels) {
			runtime.Gosched() // another goroutine is packing the last panels
		}
	}
	s := getScratch(c.impl)
	for {
		i := int(c.next.Add(1)) - 1
		if i >= c.chunks {
			break
		}
		lo := i * c.tiles / c.chunks * c.unit
		hi := (i + 1) * c.tiles / c.chunks * c.unit
		p := c.args.part(lo, hi, c.alongM)
		c.impl.run(s, &p, c.shared)
	}
	scratchPool.Put(s)
}

// runParallel computes p with up to parts goroutines, the calling one
// included, dividing the rows (alongM) or the columns of C.
func (g *gemmImpl) runParallel(p *gemmArgs, parts int, alongM bool) {
	c := callPool.Get().(*gemmCall)
	c.impl, c.args, c.alongM = g, *p, alongM
	size := p.n
	c.unit = g.nr
	if alongM {
		c.unit, size = g.mr, p.m
	}
	c.tiles = (size + c.unit - 1) / c.unit
	c.chunks = min(max(c.tiles/chunkTiles, parts), 4*parts, c.tiles)
	c.next.Store(0)
	c.shared, c.panels = nil, 0
	if size := g.packedSize(p.k, p.n); alongM && size <= maxSharedB && !g.useDirectB(p, p.m/c.chunks) {
		if len(c.sharedBuf) < size {
			c.sharedBuf = alignedFloats(size)
		}
		c.shared = c.sharedBuf[:size]
		c.panels = g.panelsB(p.k, p.n)
		c.nextPanel.Store(0)
		c.packed.Store(0)
	}
	c.wg.Add(parts - 1)
	for i := range parts - 1 {
		j := &c.jobs[i]
		j.call = c
		j.state.Store(0)
		select {
		case workers.jobs <- j:
		default: // queue full: claimed below
		}
	}
	c.work()
	for i := range parts - 1 {
		if j := &c.jobs[i]; j.state.CompareAndSwap(0, 1) {
			c.wg.Done() // no worker started it, and the chunks are gone
		}
	}
	c.wg.Wait()
	c.args, c.shared = gemmArgs{}, nil // drop references to the caller's data
	callPool.Put(c)
}

// genericGemm is the portable Go micro-kernel and its blocking.
var genericGemm = &gemmImpl{
	mr: 4, nr: 4, kc: 256, kcSingle: 256, nc: 512,
	kernel:   kernelGeneric,
	packRows: packRowsGeneric,
	packCols: packColsGeneric,
}

// kernelGeneric is a 4x4 micro-kernel in Go. It needs A and B packed
// (rsa == 1, csa == 4, rsb == 4).
func kernelGeneric(k int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc, mr, nr int, alpha, beta float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	a, b = a[:4*k], b[:4*k]
	for q := 0; q < len(a); q += 4 {
		ap := a[q : q+4 : q+4]
		bp := b[q : q+4 : q+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	t := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range mr {
		row := c[i*ldc : i*ldc+nr]
		if beta == 0 {
			for j := range row {
				row[j] = alpha * t[i][j]
			}
			continue
		}
		for j := range row {
			row[j] = alpha*t[i][j] + beta*row[j]
		}
	}
}
