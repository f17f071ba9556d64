package tensor

import "testing"

func TestTensorBasics(t *testing.T) {
	x := New(2, 3, 4)
	if x.Len() != 24 || x.Dim(0) != 2 || x.Dim(-1) != 4 || x.String() != "tensor[2x3x4]" {
		t.Fatalf("shape basics wrong: %v %d", x, x.Len())
	}
	y := x.Reshape(6, 4)
	y.Data[5] = 7
	if x.Data[5] != 7 {
		t.Fatal("Reshape must share data")
	}
	c := x.Clone()
	c.Data[5] = 1
	if x.Data[5] != 7 || !c.SameShape(x) {
		t.Fatal("Clone must copy data and keep the shape")
	}
	x.Zero()
	if x.Data[5] != 0 {
		t.Fatal("Zero")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Reshape to another size must panic")
		}
	}()
	x.Reshape(5, 5)
}

func TestEnsureReuses(t *testing.T) {
	a := Ensure(nil, 2, 3)
	if a.Len() != 6 {
		t.Fatal("Ensure(nil) must allocate")
	}
	if b := Ensure(a, 2, 3); b != a {
		t.Fatal("same shape: must return the same tensor")
	}
	b := Ensure(a, 3, 2)
	if b != a || !ShapeEqual(b.Shape, []int{3, 2}) {
		t.Fatal("same size: must reuse the buffer with the new shape")
	}
	if c := Ensure(a, 4, 4); c == a || c.Len() != 16 {
		t.Fatal("larger: must allocate")
	}
	if d := Ensure(a, 1, 2); &d.Data[0] != &a.Data[0] || d.Len() != 2 {
		t.Fatal("smaller: must reuse the buffer")
	}
	if got := From([]float32{1, 2}, 2, 1); got.Dim(0) != 2 {
		t.Fatal("From")
	}
}
