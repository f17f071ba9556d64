package export

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteNPY(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.npy")
	m := []float32{1, 2, 3, 4, 5, -6.5}
	if err := WriteNPY(path, m, 2, 3); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b[:8]) != "\x93NUMPY\x01\x00" {
		t.Fatalf("magic %q", b[:8])
	}
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	if (10+hl)%64 != 0 {
		t.Fatalf("data offset %d not 64-aligned", 10+hl)
	}
	h := string(b[10 : 10+hl])
	if !strings.Contains(h, "'descr': '<f4'") || !strings.Contains(h, "'shape': (2, 3)") || !strings.HasSuffix(h, "\n") {
		t.Fatalf("header %q", h)
	}
	for i, v := range m {
		got := math.Float32frombits(binary.LittleEndian.Uint32(b[10+hl+4*i:]))
		if got != v {
			t.Fatalf("value %d = %v, want %v", i, got, v)
		}
	}
	if err := WriteNPY(path, m, 4, 4); err == nil {
		t.Fatal("wrong size: want error")
	}
}

func TestWriteIndexCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.csv")
	if err := WriteIndexCSV(path, []string{"a/x.png", "b,y.png"}, []int{1, -1}, []string{"cat", "dog"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "row,path,label\n0,a/x.png,dog\n1,\"b,y.png\",\n"
	if string(b) != want {
		t.Fatalf("csv = %q, want %q", b, want)
	}
}
