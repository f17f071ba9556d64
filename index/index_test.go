package index

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

const testDim = 8

func testOptions(kind Kind) Options {
	return Options{
		Meta: Meta{Model: "sha256:test", Dim: testDim, Metric: Cosine},
		Kind: kind,
		HNSW: HNSWConfig{M: 8, EfConstruction: 64, Seed: 7},
	}
}

// testEntries returns n entries with paths prefix/i and random vectors.
func testEntries(rng *rand.Rand, n int, prefix string) []Entry {
	es := make([]Entry, n)
	for i := range es {
		es[i] = Entry{
			Path:        fmt.Sprintf("%s/%d.jpg", prefix, i),
			Label:       []string{"", "cat", "dog"}[i%3],
			Fingerprint: fmt.Sprintf("size=%d", i),
			Vector:      randomVecs(rng, 1, testDim),
		}
	}
	return es
}

func mustOpen(t testing.TB, dir string, opts Options) *Index {
	t.Helper()
	ix, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// contents returns all entries of ix by ID.
func contents(ix *Index) map[uint64]Entry {
	m := make(map[uint64]Entry)
	for e := range ix.All() {
		m[e.ID] = e
	}
	return m
}

// sameContents fails unless ix holds exactly want.
func sameContents(t *testing.T, ix *Index, want map[uint64]Entry) {
	t.Helper()
	got := contents(ix)
	if ix.Len() != len(want) || len(got) != len(want) {
		t.Fatalf("index holds %d entries (Len %d), want %d", len(got), ix.Len(), len(want))
	}
	for id, w := range want {
		if g, ok := got[id]; !ok || !reflect.DeepEqual(g, w) {
			t.Fatalf("entry %d = %+v, want %+v", id, g, w)
		}
		if w.Path != "" {
			if g, ok := ix.LookupPath(w.Path); !ok || g.ID != id {
				t.Fatalf("LookupPath(%q) = %d, %v, want %d", w.Path, g.ID, ok, id)
			}
		}
	}
}

func TestIndexRoundTrip(t *testing.T) {
	for _, kind := range []Kind{KindExact, KindHNSW} {
		t.Run(kind.String(), func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions(kind)
			rng := rand.New(rand.NewPCG(4, 4))
			ix := mustOpen(t, dir, opts)
			for i := 0; i < 300; i += 50 {
				if _, err := ix.AddBatch(testEntries(rng, 50, fmt.Sprintf("b%d", i))); err != nil {
					t.Fatal(err)
				}
			}
			for id := uint64(1); id <= 300; id += 7 {
				if ok, err := ix.Delete(id); err != nil || !ok {
					t.Fatalf("Delete(%d) = %v, %v", id, ok, err)
				}
			}
			// Replace by path and by ID.
			ids, err := ix.Add(Entry{Path: "b0/3.jpg", Vector: randomVecs(rng, 1, testDim)},
				Entry{ID: 10, Path: "moved/10.jpg", Label: "cow", Vector: randomVecs(rng, 1, testDim)})
			if err != nil {
				t.Fatal(err)
			}
			if ids[0] != 301 || ids[1] != 10 {
				t.Fatalf("ids %v, want [301 10]", ids)
			}
			if _, ok := ix.Get(4); ok { // b0/3.jpg had ID 4
				t.Fatal("entry replaced by path still present")
			}
			want := contents(ix)
			qs := randomVecs(rng, 20, testDim)
			wantRes, err := ix.SearchBatch(qs, 20, 5)
			if err != nil {
				t.Fatal(err)
			}
			check := func(ix *Index) {
				t.Helper()
				sameContents(t, ix, want)
				res, err := ix.SearchBatch(qs, 20, 5)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(res, wantRes) {
					t.Fatalf("search results differ after reopen:\n%v\n%v", res, wantRes)
				}
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			// Log only.
			ix = mustOpen(t, dir, opts)
			check(ix)
			// Snapshot only.
			if err := ix.Compact(); err != nil {
				t.Fatal(err)
			}
			check(ix)
			if s := ix.Stats(); s.Deleted != 0 || s.LogBytes > 100 {
				t.Fatalf("after Compact: %+v", s)
			}
			ix.Close()
			ix = mustOpen(t, dir, opts)
			check(ix)
			// Snapshot and log.
			more := testEntries(rng, 10, "more")
			if _, err := ix.AddBatch(more); err != nil {
				t.Fatal(err)
			}
			if _, err := ix.Delete(301); err != nil {
				t.Fatal(err)
			}
			want = contents(ix)
			wantRes, _ = ix.SearchBatch(qs, 20, 5)
			ix.Close()
			ix = mustOpen(t, dir, opts)
			check(ix)
			ix.Close()
			// The other kind reads the same directory.
			other := testOptions(1 - kind)
			ix = mustOpen(t, dir, other)
			sameContents(t, ix, want)
			ix.Close()
		})
	}
}

func TestIndexIDsNotReused(t *testing.T) {
	dir := t.TempDir()
	ix := mustOpen(t, dir, testOptions(KindExact))
	rng := rand.New(rand.NewPCG(5, 5))
	ids, _ := ix.AddBatch(testEntries(rng, 3, "a"))
	ix.Delete(ids[2])
	ix.Compact()
	ix.Close()
	ix = mustOpen(t, dir, testOptions(KindExact))
	defer ix.Close()
	got, err := ix.Add(testEntries(rng, 1, "b")...)
	if err != nil || got[0] != 4 {
		t.Fatalf("new id %v, %v; want 4", got, err)
	}
}

func TestIndexMeta(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(KindExact)
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("created an index without metadata")
	}
	ix := mustOpen(t, dir, opts)
	if ix.Meta() != opts.Meta {
		t.Fatalf("Meta = %v", ix.Meta())
	}
	_, err := ix.Add(Entry{Path: "x", Vector: make([]float32, testDim+1)})
	if !errors.Is(err, ErrDimMismatch) {
		t.Fatalf("wrong-dim add: %v", err)
	}
	nan := make([]float32, testDim)
	nan[3] = float32(-1) / float32(len(nan)-len(nan)) // -Inf
	if _, err := ix.Add(Entry{Path: "x", Vector: nan}); !errors.Is(err, ErrInvalidVector) {
		t.Fatalf("Inf add: %v", err)
	}
	if _, err := ix.Search(make([]float32, 3), 1); !errors.Is(err, ErrDimMismatch) {
		t.Fatalf("wrong-dim search: %v", err)
	}
	if ix.Len() != 0 {
		t.Fatal("failed adds changed the index")
	}
	ix.Close()
	if _, err := ix.Search(make([]float32, testDim), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("search after close: %v", err)
	}
	if _, err := ix.Add(Entry{Vector: make([]float32, testDim)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("add after close: %v", err)
	}

	for _, c := range []struct {
		change func(*Meta)
		want   error
	}{
		{func(m *Meta) { m.Model = "sha256:other" }, ErrModelMismatch},
		{func(m *Meta) { m.Dim = 16 }, ErrDimMismatch},
		{func(m *Meta) { m.Metric = L2 }, ErrMetricMismatch},
	} {
		o := opts
		c.change(&o.Meta)
		if _, err := Open(dir, o); !errors.Is(err, c.want) {
			t.Errorf("open with %v: %v, want %v", o.Meta, err, c.want)
		} else {
			t.Log(err)
		}
	}
	// Zero fields accept the stored metadata.
	ix = mustOpen(t, dir, Options{})
	if ix.Meta() != opts.Meta {
		t.Fatalf("Meta = %v", ix.Meta())
	}
	ix.Close()
}

func TestIndexLockAndReadOnly(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only open of an empty directory succeeded")
	}
	ix := mustOpen(t, dir, testOptions(KindExact))
	if _, err := Open(dir, testOptions(KindExact)); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if _, err := Open(dir, Options{ReadOnly: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("read-only open beside a writer: %v, want ErrLocked", err)
	}
	rng := rand.New(rand.NewPCG(6, 6))
	ix.AddBatch(testEntries(rng, 5, "a"))
	ix.Close()
	r1 := mustOpen(t, dir, Options{ReadOnly: true})
	r2 := mustOpen(t, dir, Options{ReadOnly: true})
	if r1.Len() != 5 || r2.Len() != 5 {
		t.Fatalf("read-only Len %d, %d", r1.Len(), r2.Len())
	}
	if _, err := r1.Add(testEntries(rng, 1, "b")...); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only add: %v", err)
	}
	if err := r1.Compact(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only compact: %v", err)
	}
	r1.Close()
	r2.Close()
}

func TestIndexPaths(t *testing.T) {
	ix, err := New(testOptions(KindHNSW))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	ix.Add(Entry{Path: "a.jpg", Fingerprint: "1", Vector: randomVecs(rng, 1, testDim)})
	if !ix.Has("a.jpg") || ix.Has("b.jpg") || ix.Has("") {
		t.Fatal("Has")
	}
	if ix.NeedsUpdate("a.jpg", "1") || !ix.NeedsUpdate("a.jpg", "2") || !ix.NeedsUpdate("b.jpg", "1") {
		t.Fatal("NeedsUpdate")
	}
	// Re-indexing a changed file replaces its entry.
	v := randomVecs(rng, 1, testDim)
	ids, _ := ix.Add(Entry{Path: "a.jpg", Fingerprint: "2", Vector: v})
	if ix.Len() != 1 || ids[0] != 2 || ix.NeedsUpdate("a.jpg", "2") {
		t.Fatalf("after re-index: Len %d, ids %v", ix.Len(), ids)
	}
	if r, _ := ix.Search(v, 5); len(r) != 1 || r[0].ID != 2 || abs32(r[0].Score-1) > 1e-5 {
		t.Fatalf("search after re-index: %v", r)
	}
	// Within one batch, the last entry for a path wins.
	ix.Add(Entry{Path: "c.jpg", Vector: v}, Entry{Path: "c.jpg", Label: "x", Vector: v})
	if e, ok := ix.LookupPath("c.jpg"); !ok || e.Label != "x" || ix.Len() != 2 {
		t.Fatalf("batch path replace: %+v, Len %d", e, ix.Len())
	}
	if r, _ := ix.Search(v, 5); len(r) != 2 {
		t.Fatalf("search after batch replace: %v", r)
	}
	ix.Compact()
	if ix.Stats().Deleted != 0 {
		t.Fatal("Compact left deleted nodes")
	}
}

// walRecordOffsets returns the start offsets of the records of a log file,
// and its size.
func walRecordOffsets(t *testing.T, path string) []int64 {
	t.Helper()
	w, _, err := openWAL(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.f.Close()
	data, _ := os.ReadFile(path)
	var offs []int64
	for off := w.hdrLen; off < int64(len(data)); {
		offs = append(offs, off)
		off += recHeaderLen + int64(le.Uint32(data[off:]))
	}
	return offs
}

// writeIndexFiles makes dir hold exactly files.
func writeIndexFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for _, name := range []string{walName, snapName} {
		os.Remove(filepath.Join(dir, name))
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLogTornTail(t *testing.T) {
	for _, withSnap := range []bool{false, true} {
		t.Run(fmt.Sprintf("snapshot=%v", withSnap), func(t *testing.T) {
			src := t.TempDir()
			rng := rand.New(rand.NewPCG(8, 8))
			ix := mustOpen(t, src, testOptions(KindHNSW))
			if withSnap {
				ix.AddBatch(testEntries(rng, 20, "snap"))
				ix.Compact()
			}
			for i := range 5 {
				ix.Add(testEntries(rng, 1, fmt.Sprint("log", i))...)
			}
			before := contents(ix)
			ix.Add(testEntries(rng, 2, "last")...)
			ix.Close()
			wal, _ := os.ReadFile(filepath.Join(src, walName))
			snap, _ := os.ReadFile(filepath.Join(src, snapName))
			offs := walRecordOffsets(t, filepath.Join(src, walName))
			last := offs[len(offs)-1]

			dir := t.TempDir()
			for cut := last; cut < int64(len(wal)); cut++ {
				files := map[string][]byte{walName: wal[:cut]}
				if withSnap {
					files[snapName] = snap
				}
				writeIndexFiles(t, dir, files)
				ix, err := Open(dir, Options{Kind: KindHNSW, HNSW: testOptions(KindHNSW).HNSW})
				if err != nil {
					t.Fatalf("cut at %d of %d: %v", cut, len(wal), err)
				}
				sameContents(t, ix, before)
				ix.Close()
				if fi, _ := os.Stat(filepath.Join(dir, walName)); fi.Size() != last {
					t.Fatalf("cut at %d: log is %d bytes after open, want %d", cut, fi.Size(), last)
				}
			}
			// Tails a crash can leave when the file grew but not all of
			// the last write reached the disk: zeros, or a lost first page
			// (the header) with later pages present.
			zeroHead := slices.Clone(wal)
			clear(zeroHead[last : last+recHeaderLen])
			garbageHead := slices.Clone(wal)
			for i := last; i < last+5; i++ {
				garbageHead[i] ^= 0x5a
			}
			for name, tail := range map[string][]byte{
				"zeros":        append(wal[:last:last], make([]byte, 100)...),
				"zero header":  zeroHead,
				"garbled head": garbageHead,
			} {
				files := map[string][]byte{walName: tail}
				if withSnap {
					files[snapName] = snap
				}
				writeIndexFiles(t, dir, files)
				ix, err := Open(dir, Options{Kind: KindHNSW, HNSW: testOptions(KindHNSW).HNSW})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				sameContents(t, ix, before)
				ix.Close()
			}
		})
	}
}

// corruptionErr reports whether err is one of the errors damage must give.
func corruptionErr(err error) bool {
	return errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotIndex) || errors.Is(err, ErrVersion)
}

func TestLogCorruptMiddle(t *testing.T) {
	src := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 9))
	ix := mustOpen(t, src, testOptions(KindExact))
	for i := range 3 {
		ix.Add(testEntries(rng, 2, fmt.Sprint(i))...)
	}
	ix.Close()
	wal, _ := os.ReadFile(filepath.Join(src, walName))
	offs := walRecordOffsets(t, filepath.Join(src, walName))
	dir := t.TempDir()
	// Every byte of the header and of the first two records.
	for pos := 0; pos < int(offs[2]); pos++ {
		bad := slices.Clone(wal)
		bad[pos] ^= 0x20
		writeIndexFiles(t, dir, map[string][]byte{walName: bad})
		ix, err := Open(dir, Options{})
		if err == nil {
			ix.Close()
			t.Fatalf("flipped byte %d: open succeeded", pos)
		}
		if !corruptionErr(err) {
			t.Fatalf("flipped byte %d: %v", pos, err)
		}
		if pos == 20 || pos == int(offs[1])+20 {
			t.Log(err)
		}
	}
	// Records lost in the middle: a gap in sequence numbers.
	gap := append(slices.Clone(wal[:offs[1]]), wal[offs[2]:]...)
	writeIndexFiles(t, dir, map[string][]byte{walName: gap})
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("log with a gap: %v", err)
	} else {
		t.Log(err)
	}
}

func TestSnapshotCorrupt(t *testing.T) {
	src := t.TempDir()
	rng := rand.New(rand.NewPCG(10, 10))
	ix := mustOpen(t, src, testOptions(KindHNSW))
	ix.AddBatch(testEntries(rng, 10, "a"))
	ix.Compact()
	ix.Close()
	snap, _ := os.ReadFile(filepath.Join(src, snapName))
	wal, _ := os.ReadFile(filepath.Join(src, walName))
	dir := t.TempDir()
	for pos := range snap {
		bad := slices.Clone(snap)
		bad[pos] ^= 0x01
		writeIndexFiles(t, dir, map[string][]byte{snapName: bad, walName: wal})
		if ix, err := Open(dir, Options{Kind: KindHNSW, HNSW: testOptions(KindHNSW).HNSW}); err == nil {
			ix.Close()
			t.Fatalf("flipped byte %d: open succeeded", pos)
		} else if !corruptionErr(err) {
			t.Fatalf("flipped byte %d: %v", pos, err)
		}
	}
	for _, cut := range []int{0, 5, len(snap) / 2, len(snap) - 1} {
		writeIndexFiles(t, dir, map[string][]byte{snapName: snap[:cut], walName: wal})
		if _, err := Open(dir, Options{}); !corruptionErr(err) {
			t.Fatalf("snapshot cut at %d: %v", cut, err)
		}
	}
	// A snapshot paired with another index's log.
	other := t.TempDir()
	o := testOptions(KindExact)
	o.Meta.Model = "sha256:other"
	mustOpen(t, other, o).Close()
	otherWAL, _ := os.ReadFile(filepath.Join(other, walName))
	writeIndexFiles(t, dir, map[string][]byte{snapName: snap, walName: otherWAL})
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("foreign log: %v", err)
	} else {
		t.Log(err)
	}
}

func TestForeignFiles(t *testing.T) {
	dir := t.TempDir()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
	for _, name := range []string{walName, snapName} {
		for _, data := range [][]byte{png, []byte("hello, world\n"), nil} {
			writeIndexFiles(t, dir, map[string][]byte{name: data})
			_, err := Open(dir, testOptions(KindExact))
			if !errors.Is(err, ErrNotIndex) {
				t.Fatalf("%s holding %q: %v, want ErrNotIndex", name, data, err)
			}
		}
	}
	t.Log(func() error { _, err := Open(dir, Options{}); return err }())
	// A future format version.
	mustOpen(t, t.TempDir(), testOptions(KindExact))
	src := t.TempDir()
	mustOpen(t, src, testOptions(KindExact)).Close()
	wal, _ := os.ReadFile(filepath.Join(src, walName))
	le.PutUint32(wal[len(walMagic):], 99)
	writeIndexFiles(t, dir, map[string][]byte{walName: wal})
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrVersion) {
		t.Fatalf("version 99: %v", err)
	}
}

// A crash after the snapshot is renamed into place but before the log is
// emptied leaves a log whose records the snapshot already holds.
func TestCrashBetweenSnapshotAndTruncate(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 11))
	ix := mustOpen(t, dir, testOptions(KindHNSW))
	ix.AddBatch(testEntries(rng, 30, "a"))
	ix.Delete(3)
	ix.Add(Entry{Path: "a/5.jpg", Label: "new", Vector: randomVecs(rng, 1, testDim)})
	want := contents(ix)
	wal, _ := os.ReadFile(filepath.Join(dir, walName))
	ix.Compact()
	ix.Close()
	os.WriteFile(filepath.Join(dir, walName), wal, 0o644)
	os.WriteFile(filepath.Join(dir, snapName+".tmp-123"), []byte("partial"), 0o644)
	ix = mustOpen(t, dir, testOptions(KindHNSW))
	sameContents(t, ix, want)
	ids, _ := ix.Add(testEntries(rng, 1, "b")...)
	want[ids[0]], _ = ix.Get(ids[0])
	ix.Close()
	ix = mustOpen(t, dir, testOptions(KindHNSW))
	defer ix.Close()
	sameContents(t, ix, want)
	if _, err := os.Stat(filepath.Join(dir, snapName+".tmp-123")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("stale temporary file not removed")
	}
}

func TestParseMetric(t *testing.T) {
	for _, m := range allMetrics {
		if got, err := ParseMetric(m.String()); err != nil || got != m {
			t.Errorf("ParseMetric(%q) = %v, %v", m.String(), got, err)
		}
	}
	if got, err := ParseMetric("COSINE"); err != nil || got != Cosine {
		t.Errorf("ParseMetric(COSINE) = %v, %v", got, err)
	}
	if _, err := ParseMetric("hamming"); err == nil {
		t.Error("ParseMetric(hamming) succeeded")
	}
}

func TestIndexSearchEfInMemory(t *testing.T) {
	for _, metric := range allMetrics {
		opts := testOptions(KindHNSW)
		opts.Meta.Metric = metric
		ix, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(19, 19))
		ids, _ := ix.AddBatch(testEntries(rng, 500, "a"))
		for _, id := range ids[:100] {
			ix.Delete(id)
		}
		qs := randomVecs(rng, 8, testDim)
		for _, ef := range []int{1, 10, 200} {
			res, err := ix.SearchBatchEf(qs, 8, 10, ef)
			if err != nil {
				t.Fatal(err)
			}
			for i, rs := range res {
				one, _ := ix.SearchEf(qs[i*testDim:(i+1)*testDim], 10, ef)
				if !reflect.DeepEqual(one, rs) {
					t.Fatalf("SearchEf and SearchBatchEf differ: %v, %v", one, rs)
				}
				if len(rs) != 10 {
					t.Fatalf("ef %d: %d results", ef, len(rs))
				}
				for j := 1; j < len(rs); j++ {
					if (metric == L2) != (rs[j].Score >= rs[j-1].Score) && rs[j].Score != rs[j-1].Score {
						t.Fatalf("%v: results out of order: %v", metric, rs)
					}
				}
				for _, r := range rs {
					if r.ID <= 100 {
						t.Fatalf("deleted id %d returned", r.ID)
					}
				}
			}
		}
		if err := ix.Compact(); err != nil || ix.Stats().Deleted != 0 || ix.Len() != 400 {
			t.Fatalf("in-memory Compact: %v, %+v", err, ix.Stats())
		}
		h := ix.vi.(*HNSW)
		h.SetEfSearch(5)
		if h.Config().EfSearch != 5 {
			t.Fatal("SetEfSearch")
		}
	}
}
