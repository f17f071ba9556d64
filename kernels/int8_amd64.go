//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

//go:noescape
func dotU8S8RowsVNNI(out *int32, q *int8, dim int, codes *uint8, stride, n int)

//go:noescape
func dotU8S8RowsAVX512BW(out *int32, q *int8, dim int, codes *uint8, stride, n int)

//go:noescape
func dotU8S8RowsAVX2(out *int32, q *int8, dim int, codes *uint8, stride, n int)

// hasVNNI reports AVX512-VNNI (VPDPBUSD), which the AVX-512 path uses for
// int8 products when present.
var hasVNNI = cpu.X86.HasAVX512VNNI

func dotU8S8RowsVNNIGo(out []int32, q []int8, codes []uint8, stride int) {
	if len(q) == 0 || len(out) == 0 {
		clear(out)
		return
	}
	dotU8S8RowsVNNI(&out[0], &q[0], len(q), &codes[0], stride, len(out))
}

func dotU8S8RowsAVX512BWGo(out []int32, q []int8, codes []uint8, stride int) {
	if len(q) == 0 || len(out) == 0 {
		clear(out)
		return
	}
	dotU8S8RowsAVX512BW(&out[0], &q[0], len(q), &codes[0], stride, len(out))
}

// dotU8S8RowsAVX512Go is the AVX-512 path: VNNI where the CPU has it.
func dotU8S8RowsAVX512Go(out []int32, q []int8, codes []uint8, stride int) {
	if hasVNNI {
		dotU8S8RowsVNNIGo(out, q, codes, stride)
		return
	}
	dotU8S8RowsAVX512BWGo(out, q, codes, stride)
}

// dotU8S8RowsAVX2Go runs the assembly on the whole 16-byte blocks of each
// row and adds the rest in Go.
func dotU8S8RowsAVX2Go(out []int32, q []int8, codes []uint8, stride int) {
	d := len(q) &^ 15
	if d > 0 {
		dotU8S8RowsAVX2(&out[0], &q[0], d, &codes[0], stride, len(out))
	} else {
		clear(out)
	}
	if d == len(q) {
		return
	}
	for i := range out {
		row := codes[i*stride+d : i*stride+len(q)]
		var s int32
		for j, c := range row {
			s += int32(c) * int32(q[d+j])
		}
		out[i] += s
	}
}

//go:noescape
func dotU8S8RowsIdxAVX2(out *int32, q *int8, dim int, codes *uint8, stride int, idx *uint32, n int)

// dotU8S8RowsIdxAVX2Go is DotU8S8RowsIdx on AVX2: the rows in one
// assembly call when the dimension is a multiple of 16, else a row at a
// time.
func dotU8S8RowsIdxAVX2Go(out []int32, q []int8, codes []uint8, stride int, idx []uint32) {
	if len(q)%16 != 0 {
		rowsIdx(dotU8S8RowsAVX2Go)(out, q, codes, stride, idx)
		return
	}
	dotU8S8RowsIdxAVX2(&out[0], &q[0], len(q), &codes[0], stride, &idx[0], len(idx))
}

//go:noescape
func dotU8S8Rows4VNNI(out *int32, qs *int8, dim int, codes *uint8, stride, n int)

func dotU8S8Rows4VNNIGo(out []int32, qs []int8, codes []uint8, stride int) {
	dotU8S8Rows4VNNI(&out[0], &qs[0], len(qs)/4, &codes[0], stride, len(out)/4)
}

func dotU8S8Rows4AVX512Go(out []int32, qs []int8, codes []uint8, stride int) {
	if hasVNNI {
		dotU8S8Rows4VNNIGo(out, qs, codes, stride)
		return
	}
	dotU8S8Rows4By(dotU8S8RowsAVX512BWGo, out, qs, codes, stride)
}

func dotU8S8Rows4AVX2Go(out []int32, qs []int8, codes []uint8, stride int) {
	dotU8S8Rows4By(dotU8S8RowsAVX2Go, out, qs, codes, stride)
}
