// Package export writes embeddings in formats that other tools read: a
// NumPy .npy matrix and a CSV of the path and label of each row.
package export

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lookalike/lookalike/internal/atomicfile"
)

// WriteNPY atomically writes a rows x cols float32 matrix as a NumPy .npy
// file (format version 1.0, little-endian '<f4', C order).
func WriteNPY(path string, m []float32, rows, cols int) error {
	if len(m) != rows*cols {
		return fmt.Errorf("write %s: %d values for a %dx%d matrix", path, len(m), rows, cols)
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	// Magic (6) + version (2) + header length (2) + header + '\n', padded
	// with spaces to a multiple of 64 bytes.
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	return atomicfile.Write(path, func(w *bufio.Writer) error {
		w.WriteString("\x93NUMPY\x01\x00")
		binary.Write(w, binary.LittleEndian, uint16(len(header)))
		w.WriteString(header)
		var buf [4]byte
		for _, v := range m {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			if _, err := w.Write(buf[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteIndexCSV atomically writes one row per embedding: its row number,
// source path and class name (empty when unlabelled).
func WriteIndexCSV(path string, paths []string, labels []int, classes []string) error {
	return atomicfile.Write(path, func(bw *bufio.Writer) error {
		w := csv.NewWriter(bw)
		w.Write([]string{"row", "path", "label"})
		for i, p := range paths {
			label := ""
			if i < len(labels) && labels[i] >= 0 && labels[i] < len(classes) {
				label = classes[labels[i]]
			}
			w.Write([]string{strconv.Itoa(i), p, label})
		}
		w.Flush()
		return w.Error()
	})
}
