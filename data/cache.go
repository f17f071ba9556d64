package data

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/lookalike/lookalike/internal/atomicfile"
)

// A pixel cache file holds a folder's images decoded to one size, so that
// later loads copy only what changed and the pixels live in the operating
// system's page cache (a memory-mapped file) instead of the heap: a
// collection larger than memory still trains, with the kernel paging
// images in and out.
//
// Layout: a 4096-byte prefix (cacheMagic, then the offset and length of
// the header, little-endian uint64s), the images back to back at offset
// 4096 (size*size*3 bytes each, in the header's order), then the header,
// JSON. A cache is written to a temporary file, synced and renamed over
// the old one, so a killed load leaves the old cache or the new one, never
// a torn one.
const (
	cacheMagic   = "LKPIXEL1"
	cachePrefix  = 4096
	cacheVersion = 1
)

// cacheHeader describes a cache file's images.
type cacheHeader struct {
	Version int          `json:"version"`
	Size    int          `json:"size"`
	Entries []cacheEntry `json:"entries"`
}

// cacheEntry is one cached image: its file and the file's fingerprint
// (size and modification time) when it was decoded.
type cacheEntry struct {
	Path        string `json:"path"`
	Fingerprint string `json:"fingerprint"`
}

// Fingerprint is the fingerprint of a file as pixel caches and
// collections record it: its size and modification time in nanoseconds,
// "<size>-<mtime>". Cheap to compute for every file at each load; a file
// rewritten with the same size within the same nanosecond is not noticed.
func Fingerprint(fi fs.FileInfo) string {
	return strconv.FormatInt(fi.Size(), 10) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
}

// fingerprint returns the Fingerprint of the file at path, or "" when it
// cannot be read.
func fingerprint(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return Fingerprint(fi)
}

// openCache maps the cache file at path read-only and returns its header
// and images, or an error when it is missing, damaged or of another size.
func openCache(path string, size int) (*cacheHeader, *mapping, error) {
	m, err := mapFile(path)
	if err != nil {
		return nil, nil, err
	}
	b := m.bytes()
	bad := func(why string) (*cacheHeader, *mapping, error) {
		m.close()
		return nil, nil, fmt.Errorf("pixel cache %s: %s", path, why)
	}
	if len(b) < cachePrefix || string(b[:8]) != cacheMagic {
		return bad("not a pixel cache")
	}
	off, n := binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])
	if off < cachePrefix || off > uint64(len(b)) || n > uint64(len(b))-off {
		return bad("damaged header offsets")
	}
	var h cacheHeader
	if err := json.Unmarshal(b[off:off+n], &h); err != nil {
		return bad("damaged header: " + err.Error())
	}
	per := uint64(size * size * 3)
	switch {
	case h.Version != cacheVersion:
		return bad(fmt.Sprintf("version %d, want %d", h.Version, cacheVersion))
	case h.Size != size:
		return bad(fmt.Sprintf("images of %d pixels, want %d", h.Size, size))
	case uint64(len(h.Entries))*per != off-cachePrefix:
		return bad("header and pixels disagree")
	}
	return &h, m, nil
}

// cacheBuild is a cache file being written: its images are decoded (or
// copied from the old cache) straight into a writable mapping of the
// temporary file.
type cacheBuild struct {
	path   string
	tmp    *os.File
	m      *mapping
	per    int
	fps    []string // the files' fingerprints, in the load's order
	have   []bool   // images copied from the old cache
	reused int
}

// newCacheBuild starts the cache at path for the images paths at size x
// size, copying every image whose file is unchanged from the cache there,
// if any.
func newCacheBuild(path string, paths []string, size int, res *residency) (*cacheBuild, error) {
	per := size * size * 3
	c := &cacheBuild{path: path, per: per, fps: make([]string, len(paths)), have: make([]bool, len(paths))}
	for i, p := range paths {
		c.fps[i] = fingerprint(p)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("pixel cache: %w", err)
	}
	c.tmp = tmp
	fail := func(err error) (*cacheBuild, error) {
		c.abort()
		return nil, fmt.Errorf("pixel cache %s: %w", path, err)
	}
	if err := tmp.Truncate(int64(cachePrefix + len(paths)*per)); err != nil {
		return fail(err)
	}
	if c.m, err = mapWritable(tmp, cachePrefix+len(paths)*per); err != nil {
		return fail(err)
	}
	res.add(c.pixels())
	if old, om, err := openCache(path, size); err == nil {
		at := make(map[string]int, len(old.Entries))
		for j, e := range old.Entries {
			at[e.Path+"\x00"+e.Fingerprint] = j
		}
		src, dst := om.bytes()[cachePrefix:], c.pixels()
		res.add(src)
		for i, p := range paths {
			if j, ok := at[p+"\x00"+c.fps[i]]; ok && c.fps[i] != "" {
				copy(dst[i*per:(i+1)*per], src[j*per:(j+1)*per])
				c.have[i] = true
				c.reused++
				res.touch(2 * per)
			}
		}
		om.close()
	}
	return c, nil
}

// pixels returns the mapping's image area.
func (c *cacheBuild) pixels() []uint8 { return c.m.bytes()[cachePrefix:] }

// finish writes the header for the kept images (the first len(paths)
// images of the image area), syncs the file, renames it over the cache and
// returns the cache's images, mapped read-only.
func (c *cacheBuild) finish(paths, fps []string, size int) ([]uint8, error) {
	h := cacheHeader{Version: cacheVersion, Size: size, Entries: make([]cacheEntry, len(paths))}
	for i := range paths {
		h.Entries[i] = cacheEntry{Path: paths[i], Fingerprint: fps[i]}
	}
	js, err := json.Marshal(h)
	if err != nil {
		c.abort()
		return nil, err
	}
	end := cachePrefix + len(paths)*c.per
	prefix := c.m.bytes()[:cachePrefix]
	clear(prefix)
	copy(prefix, cacheMagic)
	binary.LittleEndian.PutUint64(prefix[8:], uint64(end))
	binary.LittleEndian.PutUint64(prefix[16:], uint64(len(js)))
	err = c.m.close() // flushes the mapping to the file
	c.m = nil
	if err == nil {
		err = c.tmp.Truncate(int64(end))
	}
	if err == nil {
		_, err = c.tmp.WriteAt(js, int64(end))
	}
	if err == nil {
		err = c.tmp.Sync()
	}
	if cerr := c.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(c.tmp.Name(), c.path)
	}
	if err == nil {
		err = atomicfile.SyncDir(filepath.Dir(c.path))
	}
	if err != nil {
		os.Remove(c.tmp.Name())
		return nil, fmt.Errorf("pixel cache %s: %w", c.path, err)
	}
	_, m, err := openCache(c.path, size)
	if err != nil {
		return nil, err
	}
	return m.bytes()[cachePrefix : cachePrefix+len(paths)*c.per], nil
}

// abort removes the temporary file.
func (c *cacheBuild) abort() {
	if c.m != nil {
		c.m.close()
	}
	c.tmp.Close()
	os.Remove(c.tmp.Name())
}

// spillPixels returns n writable bytes backed by an unlinked temporary file
// in dir, memory-mapped: page cache that the system can write back and
// reclaim, rather than heap. The mapping lives until the process ends.
func spillPixels(dir string, n int) ([]uint8, error) {
	if n == 0 {
		return []uint8{}, nil
	}
	f, err := os.CreateTemp(dir, ".lookalike-pixels-*")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	os.Remove(f.Name()) // the mapping keeps the file; nothing is left behind
	if err := f.Truncate(int64(n)); err != nil {
		return nil, err
	}
	m, err := mapWritable(f, n)
	if err != nil {
		return nil, err
	}
	return m.bytes(), nil
}
