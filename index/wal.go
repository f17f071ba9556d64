package index

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
)

const (
	walName    = "index.wal"
	walMagic   = "LKA-WAL\n"
	walVersion = 1

	recHeaderLen = 12      // length u32 | payload crc u32 | header crc u32
	maxRecordLen = 1 << 30 // payload bytes

	recAdd    = 1
	recDelete = 2
)

// walRecord is one logged change: entries added, or IDs deleted.
type walRecord struct {
	kind    uint8
	lsn     uint64
	entries []Entry  // recAdd
	ids     []uint64 // recDelete
}

// frameRecord frames the payload that starts at b[start:] (after room
// for the header was left there) and returns b.
func frameRecord(b []byte, start int) ([]byte, error) {
	n := len(b) - start - recHeaderLen
	if n > maxRecordLen {
		return nil, fmt.Errorf("log record of %d bytes exceeds %d: split the batch", n, maxRecordLen)
	}
	h := b[start : start+recHeaderLen]
	le.PutUint32(h[0:], uint32(n))
	le.PutUint32(h[4:], crc(b[start+recHeaderLen:]))
	le.PutUint32(h[8:], crc(h[:8]))
	return b, nil
}

// encodeAdd returns the framed record adding entries, whose vectors are
// already prepared.
func encodeAdd(lsn uint64, entries []Entry, dim int) ([]byte, error) {
	size := recHeaderLen + 1 + 8 + 10
	for i := range entries {
		e := &entries[i]
		size += 8 + 15 + len(e.Path) + len(e.Label) + len(e.Fingerprint) + 4*dim
	}
	b := make([]byte, recHeaderLen, size)
	b = append(b, recAdd)
	b = le.AppendUint64(b, lsn)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for i := range entries {
		e := &entries[i]
		b = appendEntry(b, e.ID, e.Path, e.Label, e.Fingerprint, e.Vector)
	}
	return frameRecord(b, 0)
}

// encodeDelete returns the framed record deleting ids.
func encodeDelete(lsn uint64, ids []uint64) ([]byte, error) {
	b := make([]byte, recHeaderLen, recHeaderLen+1+8+10+8*len(ids))
	b = append(b, recDelete)
	b = le.AppendUint64(b, lsn)
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = le.AppendUint64(b, id)
	}
	return frameRecord(b, 0)
}

// decodeRecord decodes a record payload whose checksum has been verified.
func decodeRecord(p []byte, dim int) (*walRecord, error) {
	d := newReader(bytes.NewReader(p), int64(len(p)))
	r := &walRecord{kind: d.u8(), lsn: d.u64()}
	count := d.uvarint()
	if d.err != nil {
		return nil, d.err
	}
	switch r.kind {
	case recAdd:
		if count > uint64(d.left/minEntryLen(dim)) {
			return nil, fmt.Errorf("add record claims %d entries in %d bytes", count, d.left)
		}
		r.entries = make([]Entry, count)
		vecs := make([]float32, int(count)*dim)
		for i := range r.entries {
			e := &r.entries[i]
			e.ID = d.u64()
			e.Path = d.str("path", maxStrLen)
			e.Label = d.str("label", maxStrLen)
			e.Fingerprint = d.str("fingerprint", maxStrLen)
			e.Vector = vecs[i*dim : (i+1)*dim : (i+1)*dim]
			d.vec(e.Vector)
			switch {
			case d.err != nil:
			case e.ID == 0 || e.ID == math.MaxUint64:
				d.failf("entry with reserved id %d", e.ID)
			case !finite(e.Vector):
				d.failf("entry %d: %v", e.ID, ErrInvalidVector)
			}
		}
	case recDelete:
		if count > uint64(d.left/8) {
			return nil, fmt.Errorf("delete record claims %d ids in %d bytes", count, d.left)
		}
		r.ids = make([]uint64, count)
		for i := range r.ids {
			r.ids[i] = d.u64()
		}
	default:
		return nil, fmt.Errorf("unknown record kind %d", r.kind)
	}
	if d.err != nil {
		return nil, d.err
	}
	if d.left != 0 {
		return nil, fmt.Errorf("%d stray bytes after record", d.left)
	}
	return r, nil
}

// wal is the open write-ahead log.
type wal struct {
	f      *os.File
	path   string
	hdrLen int64
	size   int64 // end of the last good record; writes go here
	broken error // set once the file state is unknown after a failed write
}

func encodeWALHeader(m Meta) []byte {
	b := []byte(walMagic)
	b = le.AppendUint32(b, walVersion)
	b = appendMeta(b, m)
	return le.AppendUint32(b, crc(b))
}

// createWAL atomically creates an empty log for an index described by m.
func createWAL(dir string, m Meta) (*wal, error) {
	path := filepath.Join(dir, walName)
	hdr := encodeWALHeader(m)
	if err := writeFileAtomic(dir, walName, func(w io.Writer) error {
		_, err := w.Write(hdr)
		return err
	}); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &wal{f: f, path: path, hdrLen: int64(len(hdr)), size: int64(len(hdr))}, nil
}

// openWAL opens an existing log and reads its header.
func openWAL(path string, readOnly bool) (*wal, Meta, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, Meta{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Meta{}, err
	}
	d := newReader(bufio.NewReader(f), fi.Size())
	magic := d.next(len(walMagic))
	if d.err != nil || string(magic) != walMagic {
		f.Close()
		return nil, Meta{}, fmt.Errorf("%s: %w (bad magic)", path, ErrNotIndex)
	}
	if v := d.u32(); d.err == nil && v != walVersion {
		f.Close()
		return nil, Meta{}, fmt.Errorf("%s: log version %d: %w", path, v, ErrVersion)
	}
	m := d.meta()
	sum := d.crc
	if got := d.u32(); d.err == nil && got != sum {
		d.failf("header checksum mismatch")
	}
	if d.err != nil {
		f.Close()
		return nil, Meta{}, fmt.Errorf("%s: header: %v: %w", path, d.err, ErrCorrupt)
	}
	return &wal{f: f, path: path, hdrLen: d.off, size: d.off}, m, nil
}

// replay reads every record after the header and calls fn with each. A
// damaged last record (cut short, or failing a checksum with no valid
// record after it) is a write torn by a crash: it is dropped (and, unless
// readOnly, truncated away) with a warning. Any other damage is an
// ErrCorrupt error.
func (w *wal) replay(dim int, readOnly bool, log *slog.Logger, fn func(*walRecord) error) error {
	fi, err := w.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if _, err := w.f.Seek(w.hdrLen, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(w.f, 1<<20)
	off := w.hdrLen
	var hdr [recHeaderLen]byte
	var payload []byte
	torn := ""
	for off < size && torn == "" {
		corrupt := func(format string, args ...any) error {
			return fmt.Errorf("%s: record at offset %d: %s: %w", w.path, off, fmt.Sprintf(format, args...), ErrCorrupt)
		}
		if size-off < recHeaderLen {
			torn = "partial record header"
			break
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return fmt.Errorf("%s: read record at offset %d: %w", w.path, off, err)
		}
		if crc(hdr[:8]) != le.Uint32(hdr[8:]) {
			// Damage in the middle, or a torn last record whose header
			// never reached the disk (zeros, or pages written back out of
			// order)? It is the middle if any valid record follows.
			found, err := validRecordAfter(w.f, off+1, size)
			if err != nil {
				return fmt.Errorf("%s: read after offset %d: %w", w.path, off, err)
			}
			if found >= 0 {
				return corrupt("header checksum mismatch (a valid record follows at offset %d)", found)
			}
			torn = "unreadable last record"
			break
		}
		n := int64(le.Uint32(hdr[0:]))
		end := off + recHeaderLen + n
		if end > size {
			torn = fmt.Sprintf("record of %d bytes cut short at %d", n, size-off-recHeaderLen)
			break
		}
		if int64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return fmt.Errorf("%s: read record at offset %d: %w", w.path, off, err)
		}
		if crc(payload) != le.Uint32(hdr[4:]) {
			if end == size {
				torn = "checksum mismatch in the last record"
				break
			}
			return corrupt("checksum mismatch")
		}
		rec, err := decodeRecord(payload, dim)
		if err != nil {
			return corrupt("%v", err)
		}
		if err := fn(rec); err != nil {
			return corrupt("%v", err)
		}
		off = end
	}
	w.size = off
	if torn == "" {
		return nil
	}
	log.Warn("index log ends with a torn write; dropping it",
		"path", w.path, "offset", off, "bytes", size-off, "reason", torn, "truncate", !readOnly)
	if readOnly {
		return nil
	}
	if err := w.f.Truncate(off); err != nil {
		return fmt.Errorf("truncate torn tail of %s: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", w.path, err)
	}
	return nil
}

// validRecordAfter returns the offset of the first record in f[from:size]
// whose header and payload checksums both hold, or -1 if there is none.
func validRecordAfter(f *os.File, from, size int64) (int64, error) {
	const window = 1 << 20
	buf := make([]byte, window+recHeaderLen)
	for base := from; base+recHeaderLen <= size; base += window {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-base)], base)
		if err != nil && !errors.Is(err, io.EOF) {
			return -1, err
		}
		for i := 0; i+recHeaderLen <= n && i < window; i++ {
			h := buf[i : i+recHeaderLen]
			if crc(h[:8]) != le.Uint32(h[8:]) {
				continue
			}
			start := base + int64(i)
			plen := int64(le.Uint32(h[0:]))
			if start+recHeaderLen+plen > size {
				continue
			}
			p := make([]byte, plen)
			if _, err := f.ReadAt(p, start+recHeaderLen); err != nil {
				return -1, err
			}
			if crc(p) == le.Uint32(h[4:]) {
				return start, nil
			}
		}
	}
	return -1, nil
}

// append writes framed records at the end of the log in one write and
// fsyncs. On failure the log is cut back to where it was; if that fails
// too, or the fsync failed (after which the page cache cannot be trusted),
// the log refuses further writes.
func (w *wal) append(recs []byte) error {
	if w.broken != nil {
		return w.broken
	}
	if _, err := w.f.WriteAt(recs, w.size); err != nil {
		if terr := w.f.Truncate(w.size); terr != nil {
			w.broken = fmt.Errorf("log %s unusable after failed write (%v) and truncate: %w", w.path, err, terr)
		}
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		w.broken = fmt.Errorf("log %s unusable after failed fsync, reopen the index: %w", w.path, err)
		return fmt.Errorf("sync %s: %w", w.path, err)
	}
	w.size += int64(len(recs))
	return nil
}

// reset empties the log after a snapshot made its records redundant.
func (w *wal) reset() error {
	if w.broken != nil {
		return w.broken
	}
	if err := w.f.Truncate(w.hdrLen); err != nil {
		w.broken = fmt.Errorf("log %s unusable after failed truncate: %w", w.path, err)
		return fmt.Errorf("truncate %s: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		w.broken = fmt.Errorf("log %s unusable after failed fsync, reopen the index: %w", w.path, err)
		return fmt.Errorf("sync %s: %w", w.path, err)
	}
	w.size = w.hdrLen
	return nil
}

func (w *wal) close() error {
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil && w.broken == nil {
		return fmt.Errorf("close %s: %w", w.path, err)
	}
	return nil
}

// writeFileAtomic writes dir/name through fill via a temporary file that
// is fsynced and renamed into place, then fsyncs dir.
func writeFileAtomic(dir, name string, fill func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(dir, name+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := fill(bw); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so that renames in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
