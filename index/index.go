package index

import (
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Kind selects the vector index behind an [Index].
type Kind uint8

// The kinds of vector index.
const (
	// KindExact is the exact flat index, [Exact]. It is the zero Kind.
	KindExact Kind = iota
	// KindHNSW is the approximate graph index, [HNSW].
	KindHNSW
)

// String returns "exact" or "hnsw".
func (k Kind) String() string {
	switch k {
	case KindExact:
		return "exact"
	case KindHNSW:
		return "hnsw"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Options configure [Open] and [New].
type Options struct {
	// Meta describes the vectors. Creating an index needs all of it. When
	// opening an existing index, a non-zero Model, Dim or Metric must match
	// the stored one, else Open fails with ErrModelMismatch, ErrDimMismatch
	// or ErrMetricMismatch; zero fields accept what is stored.
	Meta Meta
	// Kind is the vector index to build in memory. It can differ between
	// opens of the same directory: the HNSW graph is rebuilt when the
	// snapshot holds none (or one of another M).
	Kind Kind
	// HNSW configures the graph when Kind is KindHNSW.
	HNSW HNSWConfig
	// Int8 searches through int8 codes of the vectors, re-ranking the best
	// candidates with the floats (Exact.SetQuantize, HNSW.SetQuantize).
	// The codes are derived from the stored vectors when first searched.
	Int8 bool
	// ReadOnly opens an existing index without writing to it: Add, Delete
	// and Compact fail with ErrReadOnly, and a torn log tail is skipped but
	// left on disk. Several read-only opens may share a directory.
	ReadOnly bool
	// Logger receives warnings (torn log tails) and information about
	// opening; nil discards them.
	Logger *slog.Logger
}

// entryMeta is what an Index keeps about an entry besides its vector.
type entryMeta struct {
	path, label, fingerprint string
}

// vectorIndex is what an Index needs of Exact and HNSW.
type vectorIndex interface {
	Len() int
	Delete(id uint64) bool
	Vector(id uint64) ([]float32, bool)
	addPrepared(ids []uint64, vecs []float32)
	search(q []float32, k, ef int) []Result
	searchBatch(qs []float32, nq, k, ef int) [][]Result
	snapshotView(fn func(ids []uint64, vec func(i int) []float32, g *hnswGraph) error) error
	// quantizer returns the int8 quantiser and the rows it was fitted at
	// (nil when none), and setQuantizer installs one read from a
	// snapshot, when int8 search is on.
	quantizer() (*sq8, int)
	setQuantizer(sq *sq8, fitAt int)
	compact() int
	tombstones() int
}

func (e *Exact) search(q []float32, k, _ int) []Result { return e.Search(q, k) }
func (e *Exact) searchBatch(qs []float32, nq, k, _ int) [][]Result {
	return e.SearchBatch(qs, nq, k)
}
func (e *Exact) snapshotView(fn func([]uint64, func(int) []float32, *hnswGraph) error) error {
	return e.view(func(ids []uint64, vecs []float32) error {
		return fn(ids, func(i int) []float32 { return vecs[i*e.dim : (i+1)*e.dim] }, nil)
	})
}
func (e *Exact) compact() int    { return 0 }
func (e *Exact) tombstones() int { return 0 }

func (h *HNSW) search(q []float32, k, ef int) []Result {
	if ef <= 0 {
		return h.Search(q, k)
	}
	return h.SearchEf(q, k, ef)
}
func (h *HNSW) searchBatch(qs []float32, nq, k, ef int) [][]Result {
	if ef <= 0 {
		return h.SearchBatch(qs, nq, k)
	}
	return h.SearchBatchEf(qs, nq, k, ef)
}
func (h *HNSW) snapshotView(fn func([]uint64, func(int) []float32, *hnswGraph) error) error {
	return h.view(fn)
}
func (h *HNSW) compact() int    { return h.Compact() }
func (h *HNSW) tombstones() int { return h.Deleted() }

// Index is a persistent collection of entries searchable by vector: a
// vector index ([Exact] or [HNSW]) plus entry metadata, stored crash-safely
// in a directory (see the package documentation for the format).
//
// Every Add, AddBatch, Delete and DeleteBatch is written to the log and
// fsynced before it returns; once it has returned, the change survives a
// crash. Compact writes a snapshot and empties the log; call it after big
// changes, since opening replays the log (and, for HNSW, re-inserts every
// logged vector into the graph).
//
// An Index is safe for concurrent use. Searches run in parallel with each
// other and with writes; writes are serialised.
type Index struct {
	dir  string // "" for an in-memory index
	meta Meta
	kind Kind
	opts Options
	log  *slog.Logger
	vi   vectorIndex

	wmu sync.Mutex // serialises writers: log, apply, Compact, Close
	wal *wal       // nil in memory or read-only without a log
	dl  *os.File   // directory lock

	mu      sync.RWMutex // guards the fields below; written under wmu too
	entries map[uint64]entryMeta
	byPath  map[string]uint64
	nextID  uint64
	lsn     uint64 // last logged record
	closed  bool
}

// New returns an empty in-memory index, which is not persisted. Options.Meta
// must be complete; ReadOnly is ignored.
func New(opts Options) (*Index, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, fmt.Errorf("new index: %w", err)
	}
	if err := checkNewMeta(opts.Meta); err != nil {
		return nil, fmt.Errorf("new index: %w", err)
	}
	opts.ReadOnly = false
	ix, err := newIndex("", opts.Meta, opts)
	if err != nil {
		return nil, fmt.Errorf("new index: %w", err)
	}
	return ix, nil
}

// Open opens the index stored in dir, creating dir and an empty index when
// there is none (unless opts.ReadOnly). It loads the snapshot, then replays
// the log after it. A log whose last record was torn by a crash mid-write
// is cut back to its last whole record, with a warning; any other damage,
// a foreign file or a format version this package does not know fails the
// open with ErrCorrupt, ErrNotIndex or ErrVersion. Open never returns a
// partially loaded index.
//
// Only one writer may have dir open at a time: the second gets ErrLocked.
func Open(dir string, opts Options) (*Index, error) {
	ix, err := open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	return ix, nil
}

func open(dir string, opts Options) (ix *Index, err error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	log := opts.Logger
	if !opts.ReadOnly {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	dl, err := lockDir(dir, opts.ReadOnly)
	if err != nil {
		return nil, err
	}
	var w *wal
	var vf *vecFile // the file the snapshot's floats were read into, if one
	defer func() {
		if err != nil {
			if w != nil {
				w.f.Close()
			}
			if vf != nil {
				vf.close()
			}
			if dl != nil {
				dl.Close()
			}
		}
	}()
	if !opts.ReadOnly {
		removeTemps(dir, log)
	}

	var snap *snapshot
	snapPath := filepath.Join(dir, snapName)
	if _, err := os.Stat(snapPath); err == nil {
		var alloc func(dim, n int) []float32
		if floatsInFile(opts, dir) {
			alloc = func(dim, n int) []float32 {
				if dim > smallDim {
					if f, d, ferr := newVecFile(dir, nil, n); ferr == nil {
						vf = f
						return d[:n]
					}
				}
				return make([]float32, n)
			}
		}
		if snap, err = readSnapshot(snapPath, alloc); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	walPath := filepath.Join(dir, walName)
	var walMeta Meta
	if _, err := os.Stat(walPath); err == nil {
		if w, walMeta, err = openWAL(walPath, opts.ReadOnly); err != nil {
			return nil, err
		}
		if snap != nil && walMeta != snap.meta {
			return nil, fmt.Errorf("%s (%v) and %s (%v) belong to different indexes: %w", walName, walMeta, snapName, snap.meta, ErrCorrupt)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}

	var m Meta
	switch {
	case snap != nil:
		m = snap.meta
	case w != nil:
		m = walMeta
	case opts.ReadOnly:
		return nil, fmt.Errorf("no index in %s: %w", dir, os.ErrNotExist)
	default:
		if err := checkNewMeta(opts.Meta); err != nil {
			return nil, fmt.Errorf("create: %w", err)
		}
		m = opts.Meta
	}
	if err := checkMeta(m, opts.Meta); err != nil {
		return nil, err
	}

	ix, err = newIndex(dir, m, opts)
	if err != nil {
		return nil, err
	}
	ix.dl = dl
	if e, ok := ix.vi.(*Exact); ok && floatsInFile(opts, dir) {
		var data []float32
		if snap != nil {
			data = snap.vecs
		}
		err := e.floatsToFile(dir, vf, data)
		vf = nil // e has it now
		if err != nil {
			log.Warn("keeping the float vectors in memory", "dir", dir, "err", err)
		}
	}
	if snap != nil {
		if err := ix.loadSnapshot(snap); err != nil {
			return nil, fmt.Errorf("%s: %w", snapPath, err)
		}
	}
	if w != nil {
		snapLSN, prev := ix.lsn, uint64(0)
		err := w.replay(m.Dim, opts.ReadOnly, log, func(r *walRecord) error {
			switch {
			case r.lsn <= prev:
				return fmt.Errorf("sequence number %d after %d", r.lsn, prev)
			case r.lsn <= snapLSN:
				prev = r.lsn // already in the snapshot
				return nil
			case r.lsn != ix.lsn+1:
				return fmt.Errorf("sequence number %d, want %d: records are missing", r.lsn, ix.lsn+1)
			}
			prev, ix.lsn = r.lsn, r.lsn
			if r.kind == recAdd {
				ix.applyAdd(r.entries)
			} else {
				ix.applyDelete(r.ids)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else if !opts.ReadOnly {
		if snap != nil {
			log.Warn("index log missing; starting a new one", "dir", dir)
		}
		if w, err = createWAL(dir, m); err != nil {
			return nil, err
		}
	}
	ix.wal = w
	log.Info("opened index", "dir", dir, "kind", ix.kind, "meta", m, "entries", len(ix.entries), "lsn", ix.lsn)
	return ix, nil
}

// floatsInFile reports whether an index opened with opts keeps the float
// vectors in a scratch file in dir rather than on the heap: an exact index
// searched through int8 codes, which reads the floats only to re-rank.
func floatsInFile(opts Options, dir string) bool {
	return opts.Int8 && opts.Kind == KindExact && dir != ""
}

// removeTemps deletes temporary files left by a crash mid-write.
func removeTemps(dir string, log *slog.Logger) {
	for _, pattern := range []string{snapName + ".tmp-*", walName + ".tmp-*", vecFileName + "*"} {
		tmps, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, t := range tmps {
			log.Warn("removing temporary file left by an interrupted write", "path", t)
			os.Remove(t)
		}
	}
}

func checkOptions(opts *Options) error {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Kind != KindExact && opts.Kind != KindHNSW {
		return fmt.Errorf("unknown index kind %v", opts.Kind)
	}
	if opts.Meta.Metric != 0 && !opts.Meta.Metric.valid() {
		return fmt.Errorf("invalid metric %v", opts.Meta.Metric)
	}
	if opts.Meta.Dim < 0 || opts.Meta.Dim > maxDim {
		return fmt.Errorf("dimension %d out of range [1, %d]: %w", opts.Meta.Dim, maxDim, ErrDimMismatch)
	}
	if len(opts.Meta.Model) > maxModelLen {
		return fmt.Errorf("model name of %d bytes, at most %d", len(opts.Meta.Model), maxModelLen)
	}
	opts.HNSW = opts.HNSW.withDefaults()
	return opts.HNSW.validate()
}

// checkNewMeta validates the metadata of an index being created.
func checkNewMeta(m Meta) error {
	switch {
	case m.Model == "":
		return errors.New("Options.Meta.Model must name the model (e.g. its weights' SHA-256)")
	case m.Dim <= 0:
		return fmt.Errorf("Options.Meta.Dim must be positive, got %d", m.Dim)
	case !m.Metric.valid():
		return fmt.Errorf("Options.Meta.Metric must be set, got %v", m.Metric)
	}
	return nil
}

// checkMeta compares the stored metadata with the non-zero wanted fields.
func checkMeta(stored, want Meta) error {
	switch {
	case want.Model != "" && want.Model != stored.Model:
		return fmt.Errorf("%w: index has model %q, want %q", ErrModelMismatch, stored.Model, want.Model)
	case want.Dim != 0 && want.Dim != stored.Dim:
		return fmt.Errorf("%w: index has dimension %d, want %d", ErrDimMismatch, stored.Dim, want.Dim)
	case want.Metric != 0 && want.Metric != stored.Metric:
		return fmt.Errorf("%w: index uses %v, want %v", ErrMetricMismatch, stored.Metric, want.Metric)
	}
	return nil
}

func newIndex(dir string, m Meta, opts Options) (*Index, error) {
	ix := &Index{
		dir:     dir,
		meta:    m,
		kind:    opts.Kind,
		opts:    opts,
		log:     opts.Logger,
		entries: make(map[uint64]entryMeta),
		byPath:  make(map[string]uint64),
		nextID:  1,
	}
	var err error
	switch {
	case opts.Kind == KindHNSW:
		var h *HNSW
		if h, err = NewHNSW(m.Dim, m.Metric, opts.HNSW); err == nil {
			h.SetQuantize(opts.Int8)
			ix.vi = h
		}
	default:
		var e *Exact
		if e, err = NewExact(m.Dim, m.Metric); err == nil {
			e.SetQuantize(opts.Int8)
			ix.vi = e
		}
	}
	return ix, err
}

// loadSnapshot fills a fresh index from a verified snapshot.
func (ix *Index) loadSnapshot(s *snapshot) error {
	ix.lsn = s.lsn
	ix.nextID = max(s.nextID, 1)
	for i, id := range s.ids {
		e := s.info[i]
		ix.entries[id] = e
		if e.path != "" {
			if other, dup := ix.byPath[e.path]; dup {
				return fmt.Errorf("entries %d and %d share path %q: %w", other, id, e.path, ErrCorrupt)
			}
			ix.byPath[e.path] = id
		}
	}
	if err := ix.loadVectors(s); err != nil {
		return err
	}
	if s.quant != nil {
		ix.vi.setQuantizer(s.quant, s.quantFitAt)
	}
	return nil
}

// loadVectors fills the fresh vector index from the snapshot's vectors,
// restoring its graph when it holds one that fits.
func (ix *Index) loadVectors(s *snapshot) error {
	if h, ok := ix.vi.(*HNSW); ok && s.graph != nil {
		if s.graph.m == h.cfg.M {
			if err := h.restore(s.ids, s.vecs, s.graph.levels, s.graph.links, s.graph.entry, s.graph.top); err != nil {
				return fmt.Errorf("graph: %v: %w", err, ErrCorrupt)
			}
			return nil
		}
		ix.log.Info("snapshot graph has another M; rebuilding it", "snapshot_m", s.graph.m, "m", h.cfg.M)
	} else if ok {
		ix.log.Info("snapshot holds no graph; building it", "entries", len(s.ids))
	}
	ix.vi.addPrepared(s.ids, s.vecs)
	return nil
}

// Meta returns the index's metadata.
func (ix *Index) Meta() Meta { return ix.meta }

// Kind returns the kind of the vector index in memory.
func (ix *Index) Kind() Kind { return ix.kind }

// Dir returns the directory the index is stored in, "" for New.
func (ix *Index) Dir() string { return ix.dir }

// Location returns the index's directory, for messages (collection.Store).
func (ix *Index) Location() string { return ix.dir }

// Len returns the number of entries.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.entries)
}

// Stats describe an index's state, for deciding when to Compact.
type Stats struct {
	// Entries is the number of entries.
	Entries int
	// Deleted is the number of deleted HNSW nodes still in the graph.
	Deleted int
	// LogBytes is the size of the write-ahead log.
	LogBytes int64
	// LSN is the sequence number of the last change.
	LSN uint64
}

// Stats returns the index's current statistics.
func (ix *Index) Stats() Stats {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	s := Stats{Entries: ix.Len(), Deleted: ix.vi.tombstones(), LSN: ix.lsn}
	if ix.wal != nil {
		s.LogBytes = ix.wal.size
	}
	return s
}

// writable reports why the index cannot be written, if it cannot.
// The caller holds wmu.
func (ix *Index) writable() error {
	switch {
	case ix.closed:
		return ErrClosed
	case ix.opts.ReadOnly:
		return ErrReadOnly
	}
	return nil
}

// Add adds entries as one atomic batch, like AddBatch.
func (ix *Index) Add(entries ...Entry) ([]uint64, error) {
	return ix.AddBatch(entries)
}

// AddBatch adds entries and returns their IDs, in order. An entry with ID 0
// gets the next free ID (IDs are never reused); one whose ID exists replaces
// that entry; one whose Path is indexed under another ID replaces that
// entry. The whole batch is logged as one record and fsynced once: after a
// crash it is either fully present or absent. Vectors must have Meta.Dim
// finite values; for Cosine they are stored at unit length.
func (ix *Index) AddBatch(entries []Entry) ([]uint64, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if err := ix.writable(); err != nil {
		return nil, fmt.Errorf("add: %w", err)
	}
	dim := ix.meta.Dim
	prepared := make([]Entry, len(entries))
	ids := make([]uint64, len(entries))
	vecs := make([]float32, len(entries)*dim)
	next := ix.nextID
	for i, e := range entries {
		if len(e.Vector) != dim {
			return nil, fmt.Errorf("add entry %d (%q): vector of length %d, index has dimension %d: %w", i, e.Path, len(e.Vector), dim, ErrDimMismatch)
		}
		if !finite(e.Vector) {
			return nil, fmt.Errorf("add entry %d (%q): %w", i, e.Path, ErrInvalidVector)
		}
		if err := checkEntryStrings(&e); err != nil {
			return nil, fmt.Errorf("add entry %d (%q): %w", i, e.Path, err)
		}
		switch {
		case e.ID == math.MaxUint64:
			return nil, fmt.Errorf("add entry %d (%q): id %d is reserved", i, e.Path, e.ID)
		case e.ID == 0:
			e.ID = next
			next++
		case e.ID >= next:
			next = e.ID + 1
		}
		if next == math.MaxUint64 {
			return nil, fmt.Errorf("add entry %d (%q): ids exhausted", i, e.Path)
		}
		v := vecs[i*dim : (i+1)*dim : (i+1)*dim]
		copy(v, e.Vector)
		if ix.meta.Metric == Cosine {
			normalize(v)
		}
		e.Vector = v
		prepared[i] = e
		ids[i] = e.ID
	}
	if ix.wal != nil {
		rec, err := encodeAdd(ix.lsn+1, prepared, dim)
		if err != nil {
			return nil, fmt.Errorf("add: %w", err)
		}
		if err := ix.wal.append(rec); err != nil {
			return nil, fmt.Errorf("add: %w", err)
		}
	}
	ix.lsn++
	ix.applyAdd(prepared)
	return ids, nil
}

// applyAdd applies logged or replayed additions. The caller holds wmu (or
// is Open).
func (ix *Index) applyAdd(entries []Entry) {
	last := make(map[uint64]int, len(entries)) // id -> its last position
	var touched []uint64
	ix.mu.Lock()
	for i, e := range entries {
		if old, ok := ix.entries[e.ID]; ok && old.path != e.Path && ix.byPath[old.path] == e.ID {
			delete(ix.byPath, old.path)
		}
		if e.Path != "" {
			if other, ok := ix.byPath[e.Path]; ok && other != e.ID {
				delete(ix.entries, other)
				touched = append(touched, other)
			}
			ix.byPath[e.Path] = e.ID
		}
		ix.entries[e.ID] = entryMeta{path: e.Path, label: e.Label, fingerprint: e.Fingerprint}
		last[e.ID] = i
		ix.nextID = max(ix.nextID, e.ID+1)
	}
	ix.mu.Unlock()
	for _, id := range touched {
		if _, ok := last[id]; !ok {
			ix.vi.Delete(id)
		}
	}
	ids := make([]uint64, 0, len(last))
	vecs := make([]float32, 0, len(last)*ix.meta.Dim)
	for i, e := range entries {
		if last[e.ID] != i {
			continue
		}
		ix.mu.RLock()
		_, live := ix.entries[e.ID]
		ix.mu.RUnlock()
		if !live {
			// Replaced by a later entry of the batch with the same path.
			ix.vi.Delete(e.ID)
			continue
		}
		ids = append(ids, e.ID)
		vecs = append(vecs, e.Vector...)
	}
	ix.vi.addPrepared(ids, vecs)
}

// Delete removes the entry with the given ID and reports whether there was
// one. The deletion is fsynced before Delete returns.
func (ix *Index) Delete(id uint64) (bool, error) {
	n, err := ix.DeleteBatch([]uint64{id})
	return n == 1, err
}

// DeleteBatch removes the entries with the given IDs, logged as one record
// and fsynced once, and returns how many there were.
func (ix *Index) DeleteBatch(ids []uint64) (int, error) {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if err := ix.writable(); err != nil {
		return 0, fmt.Errorf("delete: %w", err)
	}
	var present []uint64
	seen := make(map[uint64]bool, len(ids))
	ix.mu.RLock()
	for _, id := range ids {
		if _, ok := ix.entries[id]; ok && !seen[id] {
			seen[id] = true
			present = append(present, id)
		}
	}
	ix.mu.RUnlock()
	if len(present) == 0 {
		return 0, nil
	}
	if ix.wal != nil {
		rec, err := encodeDelete(ix.lsn+1, present)
		if err != nil {
			return 0, fmt.Errorf("delete: %w", err)
		}
		if err := ix.wal.append(rec); err != nil {
			return 0, fmt.Errorf("delete: %w", err)
		}
	}
	ix.lsn++
	ix.applyDelete(present)
	return len(present), nil
}

// applyDelete applies logged or replayed deletions; unknown IDs are skipped.
func (ix *Index) applyDelete(ids []uint64) {
	ix.mu.Lock()
	for _, id := range ids {
		if e, ok := ix.entries[id]; ok {
			if ix.byPath[e.path] == id {
				delete(ix.byPath, e.path)
			}
			delete(ix.entries, id)
		}
	}
	ix.mu.Unlock()
	for _, id := range ids {
		ix.vi.Delete(id)
	}
}

// Get returns the entry with the given ID, with a copy of its vector.
func (ix *Index) Get(id uint64) (Entry, bool) {
	ix.mu.RLock()
	m, ok := ix.entries[id]
	ix.mu.RUnlock()
	if !ok {
		return Entry{}, false
	}
	v, ok := ix.vi.Vector(id)
	if !ok {
		return Entry{}, false
	}
	return Entry{ID: id, Path: m.path, Label: m.label, Fingerprint: m.fingerprint, Vector: v}, true
}

// LookupPath returns the entry indexed from path.
func (ix *Index) LookupPath(path string) (Entry, bool) {
	ix.mu.RLock()
	id, ok := ix.byPath[path]
	ix.mu.RUnlock()
	if !ok || path == "" {
		return Entry{}, false
	}
	return ix.Get(id)
}

// Has reports whether an entry was indexed from path.
func (ix *Index) Has(path string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	_, ok := ix.byPath[path]
	return ok && path != ""
}

// NeedsUpdate reports whether the file at path must be (re-)indexed: it is
// not indexed, or was indexed with another content fingerprint.
func (ix *Index) NeedsUpdate(path, fingerprint string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	id, ok := ix.byPath[path]
	return !ok || ix.entries[id].fingerprint != fingerprint
}

// NextID returns the ID the next entry added without one will get: above
// every ID the index has ever given out, deleted ones included.
func (ix *Index) NextID() uint64 {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	return ix.nextID
}

// IDs returns the IDs of all entries in increasing order.
func (ix *Index) IDs() []uint64 {
	ix.mu.RLock()
	ids := make([]uint64, 0, len(ix.entries))
	for id := range ix.entries {
		ids = append(ids, id)
	}
	ix.mu.RUnlock()
	slices.Sort(ids)
	return ids
}

// All iterates over the entries in increasing ID order, as they are when
// each is reached; entries deleted meanwhile are skipped.
func (ix *Index) All() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for _, id := range ix.IDs() {
			if e, ok := ix.Get(id); ok && !yield(e) {
				return
			}
		}
	}
}

// checkQuery validates queries (n concatenated vectors) against the index.
func (ix *Index) checkQuery(qs []float32, n int) error {
	ix.mu.RLock()
	closed := ix.closed
	ix.mu.RUnlock()
	switch {
	case closed:
		return ErrClosed
	case n < 0 || len(qs) != n*ix.meta.Dim:
		return fmt.Errorf("%d values for %d queries of dimension %d: %w", len(qs), n, ix.meta.Dim, ErrDimMismatch)
	case !finite(qs):
		return ErrInvalidVector
	}
	return nil
}

// Search returns the k entries best matching q, best first; see the package
// documentation for scores. With HNSW it uses the configured EfSearch.
func (ix *Index) Search(q []float32, k int) ([]Result, error) {
	return ix.SearchEf(q, k, 0)
}

// SearchEf is Search with an HNSW candidate list of ef entries for this
// query (0: the configured EfSearch). The exact index ignores ef.
func (ix *Index) SearchEf(q []float32, k, ef int) ([]Result, error) {
	if err := ix.checkQuery(q, 1); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return ix.vi.search(q, k, ef), nil
}

// SearchBatch searches nq queries concatenated in qs, in parallel.
func (ix *Index) SearchBatch(qs []float32, nq, k int) ([][]Result, error) {
	return ix.SearchBatchEf(qs, nq, k, 0)
}

// SearchBatchEf is SearchBatch with an HNSW candidate list of ef entries.
func (ix *Index) SearchBatchEf(qs []float32, nq, k, ef int) ([][]Result, error) {
	if err := ix.checkQuery(qs, nq); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return ix.vi.searchBatch(qs, nq, k, ef), nil
}

// Compact removes deleted HNSW nodes from the graph, then (for a persistent
// index) writes a snapshot of the whole index, graph included, and empties
// the log. A crash at any point leaves the previous snapshot and log, or the
// new snapshot, which opens to the same entries.
func (ix *Index) Compact() error {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if err := ix.writable(); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if ix.wal == nil {
		ix.vi.compact()
		return nil
	}
	info := func(id uint64) entryMeta { return ix.entries[id] } // writers wait on wmu
	if err := writeSnapshot(ix.dir, ix.meta, ix.lsn, ix.nextID, ix.vi, info); err != nil {
		return fmt.Errorf("compact %s: %w", ix.dir, err)
	}
	if err := ix.wal.reset(); err != nil {
		return fmt.Errorf("compact %s: %w", ix.dir, err)
	}
	ix.log.Info("compacted index", "dir", ix.dir, "entries", ix.Len(), "lsn", ix.lsn)
	return nil
}

// Close flushes the log and releases the directory. Searches and writes
// after Close fail with ErrClosed. Close is idempotent.
func (ix *Index) Close() error {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	ix.mu.Lock()
	if ix.closed {
		ix.mu.Unlock()
		return nil
	}
	ix.closed = true
	ix.mu.Unlock()
	if e, ok := ix.vi.(*Exact); ok {
		e.closeFloats()
	}
	var err error
	if ix.wal != nil {
		err = ix.wal.close()
	}
	if ix.dl != nil {
		if cerr := ix.dl.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("close index %s: %w", ix.dir, err)
	}
	return nil
}
