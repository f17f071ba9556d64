package nn

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/tensor"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m, err := KerasSmall(8)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 1)))
	classes := []string{"a", "b"}
	if err := Save(dir, m, classes, map[string]int{"epochs": 3}); err != nil {
		t.Fatal(err)
	}
	got, info, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "keras-small" || info.Dim != 8 || strings.Join(info.Classes, ",") != "a,b" || strings.Join(strings.Fields(string(info.Training)), "") != `{"epochs":3}` {
		t.Fatalf("info = %+v", info)
	}
	if len(info.Fingerprint) != 64 {
		t.Fatalf("fingerprint %q", info.Fingerprint)
	}
	x := tensor.New(3, 32, 32, 3)
	for i := range x.Data {
		x.Data[i] = float32(i % 256)
	}
	a := m.Forward(x, false).Clone()
	b := got.Forward(x, false)
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatalf("loaded model differs at %d: %v vs %v", i, a.Data[i], b.Data[i])
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a model directory") {
		t.Fatalf("empty dir: %v", err)
	}
	m, _ := KerasSmall(8)
	if err := Save(dir, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	w := filepath.Join(dir, WeightsFile)
	b, _ := os.ReadFile(w)
	// Truncated weights.
	os.WriteFile(w, b[:len(b)/2], 0o644)
	if _, _, err := Load(dir); err == nil {
		t.Fatal("truncated weights: want error")
	}
	// Same size, other content: the fingerprint catches it.
	c := append([]byte(nil), b...)
	c[len(c)-1] ^= 0xff
	os.WriteFile(w, c, 0o644)
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Fatalf("tampered weights: %v", err)
	}
	// Garbage.
	os.WriteFile(w, []byte("hello"), 0o644)
	if _, _, err := Load(dir); err == nil {
		t.Fatal("garbage weights: want error")
	}
}

func FuzzSafetensors(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	if err := WriteSafetensors(path, map[string]*tensor.Tensor{"a": tensor.From([]float32{1, 2, 3}, 3)}, map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeSafetensors(strings.NewReader(string(b)), int64(len(b)))
	})
}

func TestClone(t *testing.T) {
	m, _ := KerasSmall(8)
	m.Init(rand.New(rand.NewPCG(2, 2)))
	c, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	px := make([]uint8, 2*32*32*3)
	for i := range px {
		px[i] = uint8(i * 7)
	}
	a, b := m.Embed(px, 2, 2), c.Embed(px, 2, 2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("clone differs at %d", i)
		}
	}
	c.Params()[0].Value.Data[0] += 1
	if m.Params()[0].Value.Data[0] == c.Params()[0].Value.Data[0] {
		t.Fatal("clone shares weights with the original")
	}
}
