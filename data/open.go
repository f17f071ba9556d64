package data

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Open loads the dataset at path, choosing the reader from what path is:
//
//   - a file whose name ends in .tar.gz or .tgz: the CIFAR-10 binary archive,
//     read with LoadCIFAR10;
//   - a directory holding data_batch_1.bin or test_batch.bin, directly or in
//     a cifar-10-batches-bin sub-folder: the CIFAR-10 binary batches, read
//     with LoadCIFAR10;
//   - a directory with a sub-folder named split (such as "train" or "test"):
//     the image folder path/split, read with LoadFolder;
//   - any other directory: the image folder path itself, read with
//     LoadFolder.
//
// An empty split means "train". So a command line can take either the root
// of a dataset with train/ and test/ image folders, such as
// ../shared/datasets/cifar10, or one split's folder, such as DIR/train.
//
// opt applies to every reader: CIFAR-10 images are resized when opt.Size is
// not 32, and relabelled to opt.Classes when it is set (a CIFAR-10 class
// missing from it is an error). opt.Progress is called once when a CIFAR-10
// split is loaded.
func Open(ctx context.Context, path, split string, opt Options) (*Dataset, error) {
	if split == "" {
		split = "train"
	}
	if isArchiveName(path) {
		return openCIFAR(ctx, path, split, opt)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("open dataset %s: neither a directory nor a .tar.gz archive", path)
	}
	if cifarDir(path) != "" {
		return openCIFAR(ctx, path, split, opt)
	}
	if fi, err := os.Stat(filepath.Join(path, split)); err == nil && fi.IsDir() {
		return LoadFolder(ctx, filepath.Join(path, split), opt)
	}
	return LoadFolder(ctx, path, opt)
}

// openCIFAR loads a CIFAR-10 split and adapts it to opt's size and classes.
func openCIFAR(ctx context.Context, path, split string, opt Options) (*Dataset, error) {
	opt = opt.withDefaults()
	ds, err := loadCIFAR10(ctx, path, split, opt.Logger)
	if err != nil {
		return nil, err
	}
	if len(opt.Only) > 0 {
		if ds, err = onlyClasses(ds, opt.Only); err != nil {
			return nil, fmt.Errorf("CIFAR-10 %s: %w", path, err)
		}
	}
	if len(opt.Classes) > 0 {
		index := make(map[string]int, len(opt.Classes))
		for i, c := range opt.Classes {
			index[c] = i
		}
		remap := make([]int, len(ds.Classes))
		for i, c := range ds.Classes {
			j, ok := index[c]
			if !ok {
				return nil, fmt.Errorf("CIFAR-10 %s: class %q is not one of the %d known classes",
					path, c, len(opt.Classes))
			}
			remap[i] = j
		}
		for i, l := range ds.Labels {
			ds.Labels[i] = remap[l]
		}
		ds.Classes = append([]string(nil), opt.Classes...)
	}
	if opt.Size != ds.Size {
		ds = resizeDataset(ds, opt.Size, opt.Workers)
	}
	if opt.Progress != nil {
		opt.Progress(ds.Len(), ds.Len())
	}
	return ds, nil
}

// resizeDataset returns ds with every image resized to size x size, using
// workers goroutines. Labels, Paths and Classes are shared with ds.
func resizeDataset(ds *Dataset, size, workers int) *Dataset {
	n := ds.Len()
	out := &Dataset{Classes: ds.Classes, Labels: ds.Labels, Paths: ds.Paths, Size: size,
		Pixels: make([]uint8, n*size*size*3)}
	per := size * size * 3
	chunk := max(1, (n+workers-1)/max(workers, 1))
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				resizeRGB(out.Pixels[i*per:(i+1)*per], ds.Image(i), ds.Size, size)
			}
		})
	}
	wg.Wait()
	return out
}

// onlyClasses returns the images of ds in the classes only, relabelled in
// ds's class order.
func onlyClasses(ds *Dataset, only []string) (*Dataset, error) {
	keep := make(map[int]int)
	var classes []string
	for i, c := range ds.Classes {
		if slices.Contains(only, c) {
			keep[i] = len(classes)
			classes = append(classes, c)
		}
	}
	for _, c := range only {
		if !slices.Contains(ds.Classes, c) {
			return nil, fmt.Errorf("no class %q (have %v)", c, ds.Classes)
		}
	}
	var idx []int
	for i, l := range ds.Labels {
		if _, ok := keep[l]; ok {
			idx = append(idx, i)
		}
	}
	out := ds.Subset(idx)
	out.Classes = classes
	for i, l := range out.Labels {
		out.Labels[i] = keep[l]
	}
	return out, nil
}
