package kernels

import "fmt"

// SumRows adds the rows of the rows x len(dst) row-major matrix x to dst:
// dst[j] += sum over r of x[r*len(dst)+j], summing the rows in order. It
// panics if x is too short.
func SumRows(dst, x []float32, rows int) {
	cols := len(dst)
	if rows < 0 || len(x) < rows*cols {
		panic(fmt.Sprintf("kernels.SumRows: %d floats for %d rows of %d", len(x), rows, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	active.sumRows(dst, x[:rows*cols], rows)
}

func sumRowsGeneric(dst, x []float32, rows int) {
	cols := len(dst)
	for r := range rows {
		for j, v := range x[r*cols : (r+1)*cols] {
			dst[j] += v
		}
	}
}
