package collection

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lookalike/lookalike/index"
)

// vector returns a unit-ish vector for tests of dimension dim.
func vector(dim int, seed float32) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = seed + float32(i)
	}
	return v
}

func TestUploadAddedIsNotIndexedAgain(t *testing.T) {
	m, _, ix, root := setup(t)
	ctx := context.Background()
	if _, err := Update(ctx, m, ix, root, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	n := ix.Len()
	png, _ := os.ReadFile(filepath.Join(root, "cats", "c1.png"))
	e, err := AddUpload(ix, root, index.Entry{ID: 500, Path: UploadKey(500, "png"), Label: "tabby", Vector: vector(m.Dim(), 1)}, png)
	if err != nil {
		t.Fatal(err)
	}
	if e.Path != "uploads/500.png" || e.Fingerprint == "" {
		t.Fatalf("added %+v", e)
	}
	if _, err := os.Stat(filepath.Join(root, "uploads", "500.png")); err != nil {
		t.Fatal(err)
	}
	s, err := Update(ctx, m, ix, root, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Added != 0 || s.Unchanged != n+1 || ix.Len() != n+1 {
		t.Fatalf("update after an upload: %+v, %d entries (want %d)", s, ix.Len(), n+1)
	}
	if got, _ := ix.LookupPath("uploads/500.png"); got.ID != 500 || got.Label != "tabby" {
		t.Fatalf("the upload's entry changed: %+v", got)
	}

	// Deleting it removes the file too, and the next update does not bring
	// it back.
	if _, ok, err := Delete(ix, root, 500); err != nil || !ok {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if _, err := os.Stat(filepath.Join(root, "uploads", "500.png")); !os.IsNotExist(err) {
		t.Fatalf("the deleted upload's file: %v", err)
	}
	// A collection file is deleted from the index only.
	c1, _ := ix.LookupPath("cats/c1.png")
	if _, ok, err := Delete(ix, root, c1.ID); err != nil || !ok {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if _, err := os.Stat(filepath.Join(root, "cats", "c1.png")); err != nil {
		t.Fatalf("a collection original was removed: %v", err)
	}
	if _, ok, _ := Delete(ix, root, 9999); ok {
		t.Fatal("deleted an unknown id")
	}
}

// TestRecover puts the uploads folder in each state a crash can leave it
// in and checks that Recover settles it by the index.
func TestRecover(t *testing.T) {
	_, _, ix, root := setup(t)
	dir := filepath.Join(root, UploadsDir)
	os.MkdirAll(dir, 0o755)
	write := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dim := ix.Meta().Dim
	// 1: written, never indexed (crash before the entry was logged).
	write(".1.png.pending")
	// 2: indexed, not yet renamed (crash after the entry was logged).
	write(".2.png.pending")
	ix.Add(index.Entry{ID: 2, Path: "uploads/2.png", Vector: vector(dim, 2)})
	// 3: a delete that renamed the file but was not logged.
	write(".3.png.pending")
	ix.Add(index.Entry{ID: 3, Path: "uploads/3.png", Vector: vector(dim, 3)})
	// 4: a temporary file of an interrupted write.
	write("..4.png.pending.tmp-123")
	// 5: an ordinary file nobody indexed: not the crash's, left alone.
	write("5.png")

	if err := Recover(ix, root, nil); err != nil {
		t.Fatal(err)
	}
	des, _ := os.ReadDir(dir)
	var got []string
	for _, de := range des {
		got = append(got, de.Name())
	}
	want := []string{"2.png", "3.png", "5.png"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("after Recover the uploads folder holds %v, want %v", got, want)
	}
}

func TestUpdateConvertsAbsolutePaths(t *testing.T) {
	m, _, ix, root := setup(t)
	ctx := context.Background()
	root, _ = filepath.Abs(root)
	// An older index: absolute paths, and the same file twice (once
	// absolute from the CLI, once relative from the server).
	fi, _ := os.Stat(filepath.Join(root, "cats", "c1.png"))
	fi2, _ := os.Stat(filepath.Join(root, "cats", "c2.png"))
	ix.Add(
		index.Entry{ID: 1, Path: filepath.Join(root, "cats", "c1.png"), Label: "cats", Fingerprint: Fingerprint(fi), Vector: vector(m.Dim(), 1)},
		index.Entry{ID: 2, Path: filepath.Join(root, "cats", "c2.png"), Label: "cats", Fingerprint: Fingerprint(fi2), Vector: vector(m.Dim(), 2)},
		index.Entry{ID: 3, Path: "cats/c2.png", Label: "cats", Fingerprint: Fingerprint(fi2), Vector: vector(m.Dim(), 2)},
		index.Entry{ID: 4, Path: "/elsewhere/x.png", Label: "x", Vector: vector(m.Dim(), 3)},
	)
	s, err := Update(ctx, m, ix, root, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Converted != 2 || s.Added != 10 || s.Unchanged != 2 {
		t.Fatalf("update of an older index: %+v", s)
	}
	if e, ok := ix.LookupPath("cats/c1.png"); !ok || e.ID != 1 {
		t.Fatalf("cats/c1.png not converted in place: %+v", e)
	}
	if _, ok := ix.Get(2); ok {
		t.Fatal("the absolute duplicate of cats/c2.png is still there")
	}
	if _, ok := ix.Get(4); !ok {
		t.Fatal("an entry outside the collection was dropped")
	}
	if ix.Len() != 12+1 {
		t.Fatalf("%d entries, want the 12 files and the one outside", ix.Len())
	}
}

func TestKey(t *testing.T) {
	for _, c := range []struct {
		p, want string
		ok      bool
	}{
		{"/photos/cats/a.png", "cats/a.png", true},
		{"cats/a.png", "cats/a.png", true},
		{"./cats//a.png", "cats/a.png", true},
		{"/photos/../etc/passwd", "", false},
		{"/other/a.png", "", false},
		{"../a.png", "", false},
	} {
		got, ok := Key("/photos", c.p)
		if got != c.want || ok != c.ok {
			t.Errorf("Key(/photos, %q) = %q, %v; want %q, %v", c.p, got, ok, c.want, c.ok)
		}
	}
	if File("/photos", "cats/a.png") != filepath.Join("/photos", "cats", "a.png") || File("/photos", "/x/a.png") != "/x/a.png" {
		t.Error("File")
	}
	if labelOf("cats/a.png") != "cats" || labelOf("a.png") != "" || labelOf("uploads/3.png") != "uploads" {
		t.Error("labelOf")
	}
	if !IsUpload("uploads/7.png", 7) || IsUpload("uploads/7.png", 8) || IsUpload("cats/7.png", 7) {
		t.Error("IsUpload")
	}
}

// TestChangedUploadKeepsID re-embeds an upload whose file changed (an older
// server's fingerprint, a touch): it keeps its ID and label, so deleting it
// by that ID still removes its file and it does not come back.
func TestChangedUploadKeepsID(t *testing.T) {
	m, _, ix, root := setup(t)
	ctx := context.Background()
	png, _ := os.ReadFile(filepath.Join(root, "cats", "c1.png"))
	if _, err := AddUpload(ix, root, index.Entry{ID: 300, Path: UploadKey(300, "png"), Label: "tabby", Vector: vector(m.Dim(), 1)}, png); err != nil {
		t.Fatal(err)
	}
	e, _ := ix.Get(300)
	e.Fingerprint = "sha256:0123" // as an older server recorded it
	if _, err := ix.Add(e); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(ctx, m, ix, root, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, ok := ix.LookupPath("uploads/300.png")
	if !ok || got.ID != 300 || got.Label != "tabby" || got.Fingerprint == "sha256:0123" {
		t.Fatalf("re-embedded upload %+v, want id 300, label tabby, a new fingerprint", got)
	}
	if _, ok, err := Delete(ix, root, 300); err != nil || !ok {
		t.Fatalf("delete: %v %v", ok, err)
	}
	s, err := Update(ctx, m, ix, root, UpdateOptions{})
	if err != nil || s.Added != 0 {
		t.Fatalf("the deleted upload came back: %+v %v", s, err)
	}
}
