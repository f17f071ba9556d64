package index

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// seedIndexFiles builds a small index and returns its log before any
// compaction and its snapshot after one.
func seedIndexFiles(f *testing.F, kind Kind) (wal, snap []byte) {
	dir := f.TempDir()
	rng := rand.New(rand.NewPCG(17, 17))
	ix, err := Open(dir, testOptions(kind))
	if err != nil {
		f.Fatal(err)
	}
	ix.AddBatch(testEntries(rng, 6, "a"))
	ix.Delete(2)
	ix.Add(testEntries(rng, 1, "b")...)
	wal, _ = os.ReadFile(filepath.Join(dir, walName))
	ix.Compact()
	snap, _ = os.ReadFile(filepath.Join(dir, snapName))
	ix.Close()
	return wal, snap
}

// openFuzzed opens dir, which must not panic; when it opens, the index
// must be usable and open again to the same size.
func openFuzzed(t *testing.T, dir string, opts Options) {
	ix, err := Open(dir, opts)
	if err != nil {
		if !corruptionErr(err) {
			t.Fatalf("unexpected kind of error: %v", err)
		}
		return
	}
	n := ix.Len()
	q := make([]float32, ix.Meta().Dim)
	q[0] = 1
	if _, err := ix.Search(q, 3); err != nil {
		t.Fatal(err)
	}
	for e := range ix.All() {
		if len(e.Vector) != ix.Meta().Dim {
			t.Fatalf("entry %d has %d values", e.ID, len(e.Vector))
		}
	}
	ix.Close()
	ix, err = Open(dir, opts)
	if err != nil {
		t.Fatalf("opened once, then: %v", err)
	}
	if ix.Len() != n {
		t.Fatalf("reopened with %d entries, first open had %d", ix.Len(), n)
	}
	ix.Close()
}

// FuzzOpenLog opens a directory whose log is the fuzz input, and one whose
// log is a valid header followed by the input framed as a record with good
// checksums, so that the record decoder is fuzzed too.
func FuzzOpenLog(f *testing.F) {
	wal, _ := seedIndexFiles(f, KindExact)
	hdrLen := len(encodeWALHeader(testOptions(KindExact).Meta))
	f.Add(wal)
	f.Add(wal[:len(wal)-3])
	f.Add(wal[:hdrLen])
	f.Add(wal[hdrLen+recHeaderLen:]) // a bare payload
	f.Add([]byte{})
	f.Add([]byte(walMagic))
	opts := Options{Kind: KindHNSW, HNSW: HNSWConfig{M: 4, EfConstruction: 8}}
	dir := f.TempDir() // inputs run one at a time per process
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, walName)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		openFuzzed(t, dir, opts)

		framed := wal[:hdrLen:hdrLen]
		framed = append(framed, make([]byte, recHeaderLen)...)
		framed = append(framed, data...)
		if len(data) <= maxRecordLen {
			framed, _ = frameRecord(framed, hdrLen)
			os.WriteFile(path, framed, 0o644)
			openFuzzed(t, dir, opts)
		}
	})
}

// FuzzOpenSnapshot opens a directory holding the fuzz input as snapshot,
// as is and with its trailing checksum fixed up so that the graph checks
// behind it are fuzzed too.
func FuzzOpenSnapshot(f *testing.F) {
	_, snapExact := seedIndexFiles(f, KindExact)
	_, snapHNSW := seedIndexFiles(f, KindHNSW)
	f.Add(snapExact)
	f.Add(snapHNSW)
	f.Add(snapHNSW[:len(snapHNSW)/2])
	f.Add([]byte(snapMagic))
	opts := Options{Kind: KindHNSW, HNSW: testOptions(KindHNSW).HNSW, ReadOnly: true}
	dir := f.TempDir() // inputs run one at a time per process
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, snapName)
		os.WriteFile(path, data, 0o644)
		openFuzzed(t, dir, opts)
		if len(data) > 4 {
			fixed := append([]byte(nil), data...)
			le.PutUint32(fixed[len(fixed)-4:], crc(fixed[:len(fixed)-4]))
			os.WriteFile(path, fixed, 0o644)
			openFuzzed(t, dir, opts)
		}
	})
}
