package collection

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

func writePNG(t *testing.T, path string, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func setup(t *testing.T) (*nn.Model, *nn.Info, *index.Index, string) {
	t.Helper()
	m, _ := nn.KerasSmall(8)
	m.Init(rand.New(rand.NewPCG(1, 1)))
	mdir := t.TempDir()
	if err := nn.Save(mdir, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	m, info, err := nn.Load(mdir)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(t.TempDir(), index.Options{Meta: index.Meta{Model: info.Fingerprint, Dim: info.Dim, Metric: index.Cosine}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	root := t.TempDir()
	for i := range 5 {
		writePNG(t, filepath.Join(root, "cats", fmt.Sprintf("c%d.png", i)), uint64(i+1))
		writePNG(t, filepath.Join(root, "dogs", fmt.Sprintf("d%d.png", i)), uint64(i+100))
	}
	writePNG(t, filepath.Join(root, "loose.png"), 7)
	// An exact copy of cats/c0.png elsewhere: a duplicate.
	writePNG(t, filepath.Join(root, "dogs", "copy-of-c0.png"), 1)
	return m, info, ix, root
}

func TestUpdateSearchDupes(t *testing.T) {
	m, info, ix, root := setup(t)
	ctx := context.Background()
	var calls int
	s, err := Update(ctx, m, ix, root, UpdateOptions{EmbedOptions: EmbedOptions{Batch: 4}, Progress: func(done, total int) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if s.Found != 12 || s.Added != 12 || s.Unchanged != 0 || ix.Len() != 12 {
		t.Fatalf("first update %+v, len %d", s, ix.Len())
	}
	if calls != 3 {
		t.Fatalf("%d progress calls for 12 files in batches of 4, want 3", calls)
	}
	e, ok := ix.LookupPath("cats/c1.png")
	if !ok || e.Label != "cats" {
		t.Fatalf("cats/c1.png: %+v %v", e, ok)
	}
	if e, ok := ix.LookupPath("loose.png"); !ok || e.Label != "" {
		t.Fatalf("loose.png labelled %q", e.Label)
	}

	// Again: nothing to do. Then change one file, remove one, add a bad one.
	if s, _ = Update(ctx, m, ix, root, UpdateOptions{}); s.Unchanged != 12 || s.Added != 0 {
		t.Fatalf("second update %+v", s)
	}
	changed := filepath.Join(root, "dogs", "d1.png")
	writePNG(t, changed, 999)
	os.Chtimes(changed, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	os.Remove(filepath.Join(root, "dogs", "d2.png"))
	bad := filepath.Join(root, "dogs", "bad.png")
	os.WriteFile(bad, []byte("not an image"), 0o644)
	if _, err := Update(ctx, m, ix, root, UpdateOptions{}); err == nil || !strings.Contains(err.Error(), "bad.png") {
		t.Fatalf("bad file: %v", err)
	}
	s, err = Update(ctx, m, ix, root, UpdateOptions{EmbedOptions: EmbedOptions{SkipBad: true}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Added != 1 || s.Skipped != 1 || s.Removed != 0 {
		// The failed run above already removed d2; its batch with the bad
		// file, and so d1, was not added.
		t.Fatalf("update after a failed one %+v", s)
	}
	if ix.Len() != 11 || ix.Has("dogs/d2.png") {
		t.Fatalf("len %d after removing a file", ix.Len())
	}

	// Searching with an indexed image finds it first, with similarity 1.
	px, err := data.DecodeFile(filepath.Join(root, "cats", "c3.png"), 32, data.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	hits, err := Search(m, ix, px, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 || !strings.HasSuffix(hits[0].Path, "c3.png") || hits[0].Score < 0.999 {
		t.Fatalf("search hits %+v", hits)
	}
	sim, err := Similar(ix, hits[0].ID, 4, 0)
	if err != nil || len(sim) != 4 {
		t.Fatalf("similar: %v %+v", err, sim)
	}
	for _, h := range sim {
		if h.ID == hits[0].ID {
			t.Fatal("Similar returned the entry itself")
		}
	}
	if _, err := Similar(ix, 9999, 3, 0); err == nil {
		t.Fatal("unknown id: want error")
	}

	groups, err := Duplicates(ix, 1e-4, DupesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || len(groups[0]) != 2 {
		t.Fatalf("dupes %+v", groups)
	}
	names := filepath.Base(groups[0][0].Path) + " " + filepath.Base(groups[0][1].Path)
	if !strings.Contains(names, "c0.png") || !strings.Contains(names, "copy-of-c0.png") {
		t.Fatalf("dupes %s", names)
	}
	if _, err := Duplicates(ix, 0, DupesOptions{}); err == nil {
		t.Fatal("zero threshold: want error")
	}
	if err := CheckModel(ix, info); err != nil {
		t.Fatal(err)
	}
	other := *info
	other.Fingerprint = "other"
	if err := CheckModel(ix, &other); err == nil {
		t.Fatal("other model: want error")
	}
}

// TestEmbedFilesMatchesEmbed checks the streamed embeddings against the
// model applied to the decoded images directly, across batch edges.
func TestEmbedFilesMatchesEmbed(t *testing.T) {
	m, _, _, root := setup(t)
	files, _ := data.ListImages(root)
	ds, err := data.LoadFiles(context.Background(), files, nil, nil, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := m.Embed(ds.Pixels, ds.Len(), 64)
	got := make([]float32, len(want))
	dim := m.Dim()
	err = EmbedFiles(context.Background(), m, files, EmbedOptions{Batch: 5, Workers: 3}, func(b Batch) error {
		for j, i := range b.Index {
			copy(got[i*dim:(i+1)*dim], b.Vectors[j*dim:(j+1)*dim])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if d := want[i] - got[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("value %d: %v streamed, %v direct", i, got[i], want[i])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := EmbedFiles(ctx, m, files, EmbedOptions{}, func(Batch) error { return nil }); err == nil {
		t.Fatal("cancelled: want error")
	}
}

// TestInShard checks the shard split: every key in exactly one shard,
// stable, and about even.
func TestInShard(t *testing.T) {
	counts := make([]int, 4)
	for i := range 4000 {
		key := fmt.Sprintf("folder%d/img%05d.jpg", i%7, i)
		n := 0
		for s := range 4 {
			if InShard(key, s, 4) {
				counts[s]++
				n++
			}
		}
		if n != 1 || !InShard(key, 0, 1) {
			t.Fatalf("%s is in %d of 4 shards", key, n)
		}
	}
	for s, c := range counts {
		if c < 850 || c > 1150 {
			t.Errorf("shard %d holds %d of 4000 keys", s, c)
		}
	}
	if InShard("a.png", 1, 3) != InShard("a.png", 1, 3) {
		t.Fatal("unstable")
	}
}
