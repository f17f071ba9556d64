package data

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// CIFAR-10 binary format constants: each record is one label byte followed by
// the 32x32 red, green and blue planes, each row-major.
const (
	cifarSide   = 32
	cifarPixels = cifarSide * cifarSide
	cifarRecord = 1 + 3*cifarPixels
	cifarSubdir = "cifar-10-batches-bin"
	cifarMeta   = "batches.meta.txt"
)

// cifar10Classes returns the CIFAR-10 class names in label order, used when
// batches.meta.txt is missing.
func cifar10Classes() []string {
	return []string{"airplane", "automobile", "bird", "cat", "deer",
		"dog", "frog", "horse", "ship", "truck"}
}

// cifarBatches returns the batch file names of split.
func cifarBatches(split string) ([]string, error) {
	switch split {
	case "train":
		return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
			"data_batch_4.bin", "data_batch_5.bin"}, nil
	case "test":
		return []string{"test_batch.bin"}, nil
	}
	return nil, fmt.Errorf("CIFAR-10: unknown split %q (want \"train\" or \"test\")", split)
}

// LoadCIFAR10 loads split ("train": data_batch_1.bin to data_batch_5.bin, in
// that order; "test": test_batch.bin) of CIFAR-10 in its binary format.
//
// path is either a directory holding the batch files and batches.meta.txt,
// directly or in a cifar-10-batches-bin sub-folder, or the official
// cifar-10-binary.tar.gz archive, which is read as a stream (nothing is
// extracted to disk). Class names come from batches.meta.txt, one per
// non-blank line; when it is missing, the standard CIFAR-10 names are used.
// Images are 32x32 and Paths are synthetic names such as
// "data_batch_1.bin#123" (record 123 of that batch, counting from 0).
// A batch whose size is not a whole number of 3073-byte records, a missing
// batch and a label outside the classes are errors.
func LoadCIFAR10(path, split string) (*Dataset, error) {
	return loadCIFAR10(context.Background(), path, split, slog.New(slog.DiscardHandler))
}

// loadCIFAR10 is LoadCIFAR10 with cancellation between batch files and a
// logger.
func loadCIFAR10(ctx context.Context, path, split string, log *slog.Logger) (*Dataset, error) {
	names, err := cifarBatches(split)
	if err != nil {
		return nil, err
	}
	var (
		classes []string
		batches map[string]*Dataset
	)
	if isArchiveName(path) {
		classes, batches, err = readCIFARArchive(ctx, path, names)
	} else {
		classes, batches, err = readCIFARDir(ctx, path, names)
	}
	if err != nil {
		return nil, err
	}
	if classes == nil {
		log.Debug("CIFAR-10 class names missing, using the standard ones", "path", path)
		classes = cifar10Classes()
	}
	total := 0
	for _, name := range names {
		b := batches[name]
		for i, l := range b.Labels {
			if l >= len(classes) {
				return nil, fmt.Errorf("CIFAR-10 %s: record %d of %s has label %d, outside the %d classes",
					path, i, name, l, len(classes))
			}
		}
		total += b.Len()
	}
	ds := &Dataset{Classes: classes, Size: cifarSide}
	if len(names) == 1 {
		b := batches[names[0]]
		ds.Labels, ds.Paths, ds.Pixels = b.Labels, b.Paths, b.Pixels
	} else {
		ds.Labels = make([]int, 0, total)
		ds.Paths = make([]string, 0, total)
		ds.Pixels = make([]uint8, 0, total*3*cifarPixels)
		for _, name := range names {
			b := batches[name]
			ds.Labels = append(ds.Labels, b.Labels...)
			ds.Paths = append(ds.Paths, b.Paths...)
			ds.Pixels = append(ds.Pixels, b.Pixels...)
			delete(batches, name)
		}
	}
	log.Debug("loaded CIFAR-10", "path", path, "split", split, "images", ds.Len())
	return ds, nil
}

// isArchiveName reports whether path names a gzipped tar archive.
func isArchiveName(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz")
}

// cifarDir returns the directory holding the CIFAR-10 batch files under dir
// (dir itself or its cifar-10-batches-bin sub-folder), or "" when neither
// has data_batch_1.bin or test_batch.bin.
func cifarDir(dir string) string {
	for _, d := range []string{filepath.Join(dir, cifarSubdir), dir} {
		for _, name := range []string{"data_batch_1.bin", "test_batch.bin"} {
			if fi, err := os.Stat(filepath.Join(d, name)); err == nil && fi.Mode().IsRegular() {
				return d
			}
		}
	}
	return ""
}

// readCIFARDir reads the batches names and the class names (nil when
// batches.meta.txt is missing) from a directory.
func readCIFARDir(ctx context.Context, root string, names []string) ([]string, map[string]*Dataset, error) {
	dir := cifarDir(root)
	if dir == "" {
		dir = root
		if _, err := os.Stat(filepath.Join(root, cifarSubdir)); err == nil {
			dir = filepath.Join(root, cifarSubdir)
		}
	}
	batches := make(map[string]*Dataset, len(names))
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("load CIFAR-10: %w", err)
		}
		file := filepath.Join(dir, name)
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("read CIFAR-10 batch: %w", err)
		}
		b, err := decodeCIFARBatch(name, raw)
		if err != nil {
			return nil, nil, fmt.Errorf("CIFAR-10 %s: %w", file, err)
		}
		batches[name] = b
	}
	meta, err := os.ReadFile(filepath.Join(dir, cifarMeta))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, batches, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read CIFAR-10 class names: %w", err)
	}
	return parseCIFARMeta(meta), batches, nil
}

// readCIFARArchive reads the batches names and the class names (nil when
// batches.meta.txt is missing) from a .tar.gz archive, as a stream.
func readCIFARArchive(ctx context.Context, archive string, names []string) ([]string, map[string]*Dataset, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, nil, fmt.Errorf("open CIFAR-10 archive: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("CIFAR-10 archive %s: %w", archive, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)

	wanted := make(map[string]bool, len(names))
	for _, name := range names {
		wanted[name] = true
	}
	batches := make(map[string]*Dataset, len(names))
	var classes []string
	for len(batches) < len(names) || classes == nil {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("load CIFAR-10: %w", err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("CIFAR-10 archive %s: %w", archive, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		base := path.Base(hdr.Name)
		if !wanted[base] && base != cifarMeta {
			continue
		}
		raw, err := io.ReadAll(tr)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, fmt.Errorf("CIFAR-10 archive %s: read %s: truncated archive: %w", archive, hdr.Name, err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("CIFAR-10 archive %s: read %s: %w", archive, hdr.Name, err)
		}
		if base == cifarMeta {
			classes = parseCIFARMeta(raw)
			continue
		}
		b, err := decodeCIFARBatch(base, raw)
		if err != nil {
			return nil, nil, fmt.Errorf("CIFAR-10 archive %s: %s: %w", archive, hdr.Name, err)
		}
		batches[base] = b
	}
	for _, name := range names {
		if batches[name] == nil {
			return nil, nil, fmt.Errorf("CIFAR-10 archive %s: %s not found", archive, name)
		}
	}
	return classes, batches, nil
}

// parseCIFARMeta returns the class names of batches.meta.txt: its non-blank
// lines, trimmed.
func parseCIFARMeta(meta []byte) []string {
	var classes []string
	for line := range strings.Lines(string(meta)) {
		if line = strings.TrimSpace(line); line != "" {
			classes = append(classes, line)
		}
	}
	return classes
}

// decodeCIFARBatch converts the records of the batch file name, planar CHW,
// to a Dataset with interleaved HWC pixels (its Classes left nil).
func decodeCIFARBatch(name string, raw []byte) (*Dataset, error) {
	if len(raw) == 0 {
		return nil, errors.New("empty batch file")
	}
	if len(raw)%cifarRecord != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of %d-byte records (truncated file?)",
			len(raw), cifarRecord)
	}
	n := len(raw) / cifarRecord
	b := &Dataset{
		Labels: make([]int, n),
		Paths:  make([]string, n),
		Size:   cifarSide,
		Pixels: make([]uint8, n*3*cifarPixels),
	}
	for i := range n {
		rec := raw[i*cifarRecord : (i+1)*cifarRecord]
		b.Labels[i] = int(rec[0])
		b.Paths[i] = name + "#" + strconv.Itoa(i)
		r := rec[1 : 1+cifarPixels]
		g := rec[1+cifarPixels : 1+2*cifarPixels]
		bl := rec[1+2*cifarPixels : 1+3*cifarPixels]
		out := b.Pixels[i*3*cifarPixels : (i+1)*3*cifarPixels]
		for p := range cifarPixels {
			out[3*p+0] = r[p]
			out[3*p+1] = g[p]
			out[3*p+2] = bl[p]
		}
	}
	return b, nil
}
