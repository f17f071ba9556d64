package data

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures LoadFolder, LoadFiles and Open. The zero value is ready
// to use.
type Options struct {
	// Size is the width and height images are resized to; 0 means
	// DefaultSize (32).
	Size int
	// Classes, when not empty, is the class list and order to label images with
	// (for example the one a trained model was built with): a class
	// sub-folder whose name is not in it is an error naming the folder,
	// and a class in it with no folder simply gets no images. When unset,
	// the classes are the sub-folder names sorted by name.
	Classes []string
	// Only, when not empty, keeps just these classes (class folder names,
	// or CIFAR-10 class names) and leaves the others out, for example to
	// train on some classes and evaluate on the others. A name with no
	// class is an error.
	Only []string
	// SkipBad makes unreadable images (corrupt, truncated, empty,
	// non-images, over MaxPixels) be logged as warnings naming the file and
	// left out, instead of failing the load.
	SkipBad bool
	// Workers is the number of images decoded in parallel; 0 means
	// runtime.NumCPU().
	Workers int
	// Logger receives warnings about skipped files and debug messages; nil
	// discards them.
	Logger *slog.Logger
	// Progress, when set, is called as images are decoded with the number
	// done so far and the total: periodically, never concurrently, with
	// done increasing, and finally with done == total.
	Progress func(done, total int)
	// MaxPixels is the largest image (width times height) that is
	// decoded; larger ones are refused before decoding. 0 means
	// DefaultMaxPixels (64 megapixels).
	MaxPixels int
	// MaxBytes is the largest image file read; larger ones are refused
	// before reading. 0 means DefaultMaxFileBytes (64 MiB).
	MaxBytes int64
	// Cache, when set, is the path of a pixel cache file for LoadFiles
	// (and LoadFolder): images are decoded straight into it, those whose
	// files are unchanged since the last load (size and modification
	// time) are copied from it instead of decoded, and the Dataset's
	// Pixels are the file, memory-mapped read-only, so that they take page
	// cache rather than heap (on systems without mmap they are read into
	// memory). A damaged or foreign cache is rebuilt.
	Cache string
	// MaxMemory, when positive, bounds the decoded pixels held in memory,
	// in bytes. Images that fit are decoded onto the heap as usual; a
	// collection whose decoded pixels exceed it needs Cache, and then at
	// most about MaxMemory bytes of the mapped cache (and of the files its
	// subsets spill to) stay resident, while loading and after: the rest
	// is in the file, read again when needed. Without Cache such a load
	// is an error saying how much space the cache needs.
	MaxMemory int64
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	o.Size = defaultSize(o.Size)
	o.MaxPixels = defaultMaxPixels(o.MaxPixels)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxFileBytes
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// imageExts are the file name extensions, lower case, of the image formats
// that can be decoded.
var imageExts = map[string]bool{
	".png":  true,
	".jpg":  true,
	".jpeg": true,
	".gif":  true,
	".bmp":  true,
	".webp": true,
	".tif":  true,
	".tiff": true,
}

// isImageName reports whether name has the extension of a supported image
// format, in any letter case.
func isImageName(name string) bool {
	return imageExts[strings.ToLower(filepath.Ext(name))]
}

// LoadFolder loads an image folder laid out as dir/<class>/<image>, where
// the class of an image is the name of the sub-folder of dir holding it
// (images in deeper folders belong to that sub-folder's class).
//
// Classes are the sub-folder names sorted by name, unless opt.Classes sets
// them. Images are ordered by class, then by path, so the result is
// deterministic. Hidden files and folders (names starting with ".") are
// ignored, and so are files without an image extension (.png, .jpg, .jpeg,
// .gif, .bmp, .webp, .tif, .tiff, in any case), with a debug log. It is an error for dir
// to have no class sub-folders or no images. See LoadFiles for how images
// are decoded.
func LoadFolder(ctx context.Context, dir string, opt Options) (*Dataset, error) {
	opt = opt.withDefaults()
	log := opt.Logger
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read image folder: %w", err)
	}
	var found []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(dir, name)
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(full); err == nil {
				isDir = fi.IsDir()
			}
		}
		switch {
		case isDir:
			found = append(found, name)
		case isImageName(name):
			log.Warn("image outside any class folder ignored", "path", full)
		default:
			log.Debug("non-image file ignored", "path", full)
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("image folder %s: no class sub-folders", dir)
	}
	if len(opt.Only) > 0 {
		for _, c := range opt.Only {
			if !slices.Contains(found, c) {
				return nil, fmt.Errorf("image folder %s: no class folder %q (have %v)", dir, c, found)
			}
		}
		found = slices.DeleteFunc(found, func(c string) bool { return !slices.Contains(opt.Only, c) })
	}

	classes := found
	if len(opt.Classes) > 0 {
		classes = opt.Classes
		index := make(map[string]int, len(classes))
		for i, c := range classes {
			if _, dup := index[c]; dup {
				return nil, fmt.Errorf("class list: class %q appears twice", c)
			}
			index[c] = i
		}
		for _, name := range found {
			if _, ok := index[name]; !ok {
				return nil, fmt.Errorf("image folder %s: class folder %q is not one of the %d known classes",
					dir, name, len(classes))
			}
		}
	}

	var paths []string
	var labels []int
	for label, class := range classes {
		if !slices.Contains(found, class) {
			log.Debug("class has no folder", "class", class, "dir", dir)
			continue
		}
		files, err := listImages(filepath.Join(dir, class), log)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			log.Warn("class folder has no images", "class", class, "dir", dir)
		}
		paths = append(paths, files...)
		for range files {
			labels = append(labels, label)
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("image folder %s: no images found", dir)
	}
	log.Debug("listed image folder", "dir", dir, "classes", len(classes), "images", len(paths))
	return LoadFiles(ctx, paths, labels, classes, opt)
}

// ListImages returns the image files under dir, recursively, sorted by path:
// for unlabelled collections. Hidden files and folders (names starting with
// ".") and files without an image extension are left out. dir may be a
// symbolic link to a folder; links below it are not followed.
func ListImages(dir string) ([]string, error) {
	return listImages(dir, slog.New(slog.DiscardHandler))
}

// listImages is ListImages with a logger for the skipped files.
func listImages(dir string, log *slog.Logger) ([]string, error) {
	root := dir
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// Walk what a symbolic link to a folder points to; links further
		// down are not followed.
		root = dir + string(filepath.Separator)
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !isImageName(d.Name()) {
			log.Debug("non-image file ignored", "path", path)
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list images in %s: %w", dir, err)
	}
	slices.Sort(files)
	return files, nil
}

// LoadFiles decodes the image files paths into a Dataset whose image i is
// paths[i] with label labels[i] (an index into classes, or -1 for
// unlabelled). labels may be nil, making every image unlabelled; otherwise
// it must have one entry per path.
//
// Files are decoded by opt.Workers goroutines, each result stored at its
// index, so the order is that of paths whatever the scheduling. Each image
// is resized to opt.Size x opt.Size and converted to RGB as DecodeImage
// does; images over opt.MaxPixels are refused before decoding.
//
// An unreadable file (missing, empty, corrupt, truncated, not an image, over
// the pixel limit) fails the load with an error naming it, unless
// opt.SkipBad is set: then it is logged as a warning naming it and left out
// of the result. The load stops early when ctx is cancelled, returning its
// error.
func LoadFiles(ctx context.Context, paths []string, labels []int, classes []string, opt Options) (*Dataset, error) {
	opt = opt.withDefaults()
	n := len(paths)
	if labels == nil {
		labels = make([]int, n)
		for i := range labels {
			labels[i] = -1
		}
	} else {
		labels = slices.Clone(labels)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("load images: %d labels for %d paths", len(labels), n)
	}
	for i, l := range labels {
		if l < -1 || l >= len(classes) {
			return nil, fmt.Errorf("load images: label %d of %s outside the %d classes", l, paths[i], len(classes))
		}
	}

	start := time.Now()
	per := opt.Size * opt.Size * 3
	var (
		pix   []uint8
		cache *cacheBuild
	)
	var res *residency
	if total := int64(n) * int64(per); opt.MaxMemory > 0 && total > opt.MaxMemory {
		if opt.Cache == "" {
			return nil, fmt.Errorf("load images: %d images at %dx%d take %.1f MiB decoded, over the memory bound of %.1f MiB: "+
				"give a pixel cache file on a disk with that much space free", n, opt.Size, opt.Size,
				float64(total)/(1<<20), float64(opt.MaxMemory)/(1<<20))
		}
		res = newResidency(opt.MaxMemory)
	}
	if opt.Cache != "" {
		var err error
		if cache, err = newCacheBuild(opt.Cache, paths, opt.Size, res); err != nil {
			return nil, fmt.Errorf("load images: %w", err)
		}
		pix = cache.pixels()
		opt.Logger.Debug("pixel cache", "path", opt.Cache, "reused", cache.reused, "to decode", n-cache.reused)
	} else {
		pix = make([]uint8, n*per)
	}
	errs := make([]error, n)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		done     atomic.Int64
		mu       sync.Mutex
		reported int64
		wg       sync.WaitGroup
	)
	step := int64(max(1, n/1000))
	report := func() {
		d := done.Add(1)
		if opt.Progress == nil || (d%step != 0 && d != int64(n)) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if d > reported {
			reported = d
			opt.Progress(int(d), n)
		}
	}
	for range min(opt.Workers, n) {
		wg.Go(func() {
			var (
				buf  []byte
				fast pngFast
			)
			for runCtx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if cache != nil && cache.have[i] {
					report()
					continue
				}
				var err error
				buf, err = readFile(paths[i], buf, opt.MaxBytes)
				if err == nil {
					err = decodeInto(pix[i*per:(i+1)*per], buf, opt.Size, opt.MaxPixels, &fast)
					res.touch(per)
				}
				if err != nil {
					errs[i] = fmt.Errorf("decode %s: %w", paths[i], err)
					if !opt.SkipBad {
						cancel()
					}
				}
				report()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		if cache != nil {
			cache.abort()
		}
		return nil, fmt.Errorf("load images: %w", err)
	}

	ds := &Dataset{Classes: slices.Clone(classes), Size: opt.Size}
	var fps []string // the kept files' fingerprints, for the cache
	if !opt.SkipBad {
		for _, err := range errs {
			if err != nil {
				if cache != nil {
					cache.abort()
				}
				return nil, err
			}
		}
		ds.Labels, ds.Paths, ds.Pixels = labels, slices.Clone(paths), pix
		if cache != nil {
			fps = cache.fps
		}
	} else {
		kept := 0
		for i, err := range errs {
			if err != nil {
				opt.Logger.Warn("skipping unreadable image", "path", paths[i], "err", err)
				continue
			}
			if kept != i {
				copy(pix[kept*per:(kept+1)*per], pix[i*per:(i+1)*per])
			}
			labels[kept] = labels[i]
			ds.Paths = append(ds.Paths, paths[i])
			if cache != nil {
				fps = append(fps, cache.fps[i])
			}
			kept++
		}
		ds.Labels, ds.Pixels = labels[:kept], pix[:kept*per]
		if kept < n {
			opt.Logger.Warn("skipped unreadable images", "skipped", n-kept, "total", n)
		}
	}
	if cache != nil {
		var err error
		if ds.Pixels, err = cache.finish(ds.Paths, fps, opt.Size); err != nil {
			return nil, fmt.Errorf("load images: %w", err)
		}
		ds.spill = filepath.Dir(opt.Cache)
		if res != nil {
			res = newResidency(opt.MaxMemory) // the build's mappings are gone
			res.add(ds.Pixels)
			ds.resident = res
		}
	}
	opt.Logger.Debug("loaded images", "images", ds.Len(), "size", opt.Size,
		"workers", opt.Workers, "elapsed", time.Since(start))
	return ds, nil
}

// LoadImages loads every image under dir for training without labels: a
// folder with class sub-folders loads as LoadFolder does (the labels can
// still score a validation split), any other as unlabelled images (label
// -1, no classes), which the log says.
func LoadImages(ctx context.Context, dir string, opt Options) (*Dataset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read image folder: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			return LoadFolder(ctx, dir, opt)
		}
	}
	opt = opt.withDefaults()
	paths, err := listImages(dir, opt.Logger)
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("read image folder %s: no images", dir)
	}
	opt.Logger.Info("the folder has no class sub-folders: its images are unlabelled", "dir", dir, "images", len(paths))
	return LoadFiles(ctx, paths, nil, nil, opt)
}
