package index

import (
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestFloatsInFile checks that a persistent exact int8 index keeps its
// float vectors in an unlinked scratch file (growing it past its first
// mapping), answers exactly as the same index in memory through adds,
// replacements, deletes, a snapshot and a reopen, leaves no file behind,
// and fails cleanly after Close.
func TestFloatsInFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("vector files are made on Linux only")
	}
	const dim, n = 64, 6000 // 384,000 floats: past the first 1 MiB mapping
	rng := rand.New(rand.NewPCG(5, 5))
	vecs := clusteredVecs(rng, n, dim, 30, 0.3)
	opts := Options{Meta: Meta{Model: "m", Dim: dim, Metric: Cosine}, Kind: KindExact, Int8: true}
	dir := t.TempDir()
	ix := mustOpen(t, dir, opts)
	ref, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	entries := func(lo, hi int) []Entry {
		es := make([]Entry, 0, hi-lo)
		for i := lo; i < hi; i++ {
			es = append(es, Entry{ID: uint64(i + 1), Vector: vecs[i*dim : (i+1)*dim]})
		}
		return es
	}
	add := func(es []Entry) {
		t.Helper()
		if _, err := ix.AddBatch(es); err != nil {
			t.Fatal(err)
		}
		if _, err := ref.AddBatch(es); err != nil {
			t.Fatal(err)
		}
	}
	qs := clusteredVecs(rng, 40, dim, 30, 0.3)
	same := func(stage string, ix *Index) {
		t.Helper()
		e := ix.vi.(*Exact)
		if on, err := e.floatsOnDisk(); !on {
			t.Fatalf("%s: floats not in a file (%v)", stage, err)
		}
		got, _ := ix.SearchBatch(qs, 40, 10)
		want, _ := ref.SearchBatch(qs, 40, 10)
		for i := range got {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("%s: query %d: %v, in memory %v", stage, i, got[i], want[i])
			}
			if g, _ := ix.Search(qs[i*dim:(i+1)*dim], 10); !slices.Equal(g, want[i]) {
				t.Fatalf("%s: single query %d: %v, in memory %v", stage, i, g, want[i])
			}
		}
		for _, id := range []uint64{1, 2500, 5999} {
			a, okA := ix.Get(id)
			b, okB := ref.Get(id)
			if okA != okB || !slices.Equal(a.Vector, b.Vector) {
				t.Fatalf("%s: entry %d differs", stage, id)
			}
		}
	}
	add(entries(0, 1000))
	same("first rows", ix)
	add(entries(1000, n)) // grows the file
	same("grown", ix)
	if !mapped(t, vecFileName) {
		t.Error("no vector file in /proc/self/maps")
	}
	if err := ix.Compact(); err != nil {
		t.Fatal(err)
	}
	// Replacements and deletes after the snapshot: replayed from the log.
	repl := entries(0, 50)
	for i := range repl {
		repl[i].Vector = vecs[(n-1-i)*dim : (n-i)*dim]
	}
	add(repl)
	del := []uint64{3, 77, 1500, 5998}
	if _, err := ix.DeleteBatch(del); err != nil {
		t.Fatal(err)
	}
	ref.DeleteBatch(del)
	same("replaced and deleted", ix)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Search(qs[:dim], 3); err == nil {
		t.Error("search after Close succeeded")
	}
	ix = mustOpen(t, dir, opts)
	same("reopened", ix)
	ix.Close()
	names, _ := os.ReadDir(dir)
	for _, f := range names {
		if strings.HasPrefix(f.Name(), vecFileName) {
			t.Errorf("scratch file %s left in the directory", f.Name())
		}
	}
	// Read-only opens keep their floats in a file too.
	ro := opts
	ro.ReadOnly = true
	r2 := mustOpen(t, dir, ro)
	same("read-only", r2)
	r2.Close()
}

// TestFloatsFileFull checks that when the vector file cannot grow (here its
// descriptor is closed, as a full disk would fail fallocate) the floats
// move to the heap whole and the index goes on.
func TestFloatsFileFull(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("vector files are made on Linux only")
	}
	const dim = 40
	rng := rand.New(rand.NewPCG(6, 6))
	vecs := randomVecs(rng, 9000, dim)
	e, _ := NewExact(dim, L2)
	e.SetQuantize(true)
	if err := e.floatsToFile(t.TempDir(), nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.AddBatch(seqIDs(4000), vecs[:4000*dim]); err != nil {
		t.Fatal(err)
	}
	e.vf.f.Close() // the next growth fails
	if err := e.AddBatch(seqIDs(9000)[4000:], vecs[4000*dim:]); err != nil {
		t.Fatal(err)
	}
	on, err := e.floatsOnDisk()
	if on || err == nil {
		t.Fatalf("floats on disk %v, error %v: want them moved to the heap with the reason", on, err)
	}
	for _, id := range []uint64{1, 3999, 4000, 8999} {
		v, ok := e.Vector(id)
		if !ok || !slices.Equal(v, vecs[(id-1)*dim:id*dim]) {
			t.Fatalf("vector %d lost or changed", id)
		}
	}
	got := e.Search(vecs[100*dim:101*dim], 1)
	if len(got) != 1 || got[0].ID != 101 {
		t.Errorf("search for row 101 found %v", got)
	}
}

// mapped reports whether a mapping of a file whose name holds name is in
// /proc/self/maps.
func mapped(t *testing.T, name string) bool {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip(err)
	}
	return strings.Contains(string(b), name)
}
