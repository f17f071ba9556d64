package nn

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/lookalike/lookalike/internal/atomicfile"
	"github.com/lookalike/lookalike/tensor"
)

// maxHeader bounds the safetensors JSON header we accept (100 MB, as the
// reference implementation does).
const maxHeader = 100 << 20

// safetensorsEntry is one tensor's header record.
type safetensorsEntry struct {
	Dtype   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors atomically writes named float32 tensors in the
// safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header, then the raw little-endian
// data. meta goes to the header's "__metadata__".
func WriteSafetensors(path string, tensors map[string]*tensor.Tensor, meta map[string]string) error {
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	var off int64
	for _, name := range names {
		t := tensors[name]
		size := int64(4 * t.Len())
		header[name] = safetensorsEntry{Dtype: "F32", Shape: t.Shape, Offsets: [2]int64{off, off + size}}
		off += size
	}
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors header: %w", err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	return atomicfile.Write(path, func(w *bufio.Writer) error {
		if err := binary.Write(w, binary.LittleEndian, uint64(len(h))); err != nil {
			return err
		}
		if _, err := w.Write(h); err != nil {
			return err
		}
		var buf [4]byte
		for _, name := range names {
			for _, v := range tensors[name].Data {
				binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
				if _, err := w.Write(buf[:]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ReadSafetensors reads every F32 tensor of a safetensors file, with the
// header's metadata. Malformed files give an error, never a panic.
func ReadSafetensors(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	ts, meta, err := decodeSafetensors(bufio.NewReader(f), st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ts, meta, nil
}

func decodeSafetensors(r io.Reader, size int64) (map[string]*tensor.Tensor, map[string]string, error) {
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, nil, fmt.Errorf("not a safetensors file: %w", err)
	}
	if n > maxHeader || int64(n) > size-8 {
		return nil, nil, fmt.Errorf("not a safetensors file: header length %d for a %d-byte file", n, size)
	}
	h := make([]byte, n)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, nil, fmt.Errorf("truncated header: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(h, &raw); err != nil {
		return nil, nil, fmt.Errorf("bad header: %w", err)
	}
	var meta map[string]string
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("bad metadata: %w", err)
		}
		delete(raw, "__metadata__")
	}
	type item struct {
		name string
		e    safetensorsEntry
	}
	items := make([]item, 0, len(raw))
	dataLen := size - 8 - int64(n)
	for name, m := range raw {
		var e safetensorsEntry
		if err := json.Unmarshal(m, &e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if e.Dtype != "F32" {
			return nil, nil, fmt.Errorf("tensor %q: dtype %s, only F32 is supported", name, e.Dtype)
		}
		numel := int64(1)
		for _, d := range e.Shape {
			if d < 0 || d > 1<<31 {
				return nil, nil, fmt.Errorf("tensor %q: bad shape %v", name, e.Shape)
			}
			numel *= int64(d)
			if numel > dataLen {
				return nil, nil, fmt.Errorf("tensor %q: shape %v exceeds the file", name, e.Shape)
			}
		}
		if e.Offsets[0] < 0 || e.Offsets[1] != e.Offsets[0]+4*numel || e.Offsets[1] > dataLen {
			return nil, nil, fmt.Errorf("tensor %q: offsets %v do not fit shape %v in %d data bytes", name, e.Offsets, e.Shape, dataLen)
		}
		items = append(items, item{name, e})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].e.Offsets[0] < items[j].e.Offsets[0] })
	out := make(map[string]*tensor.Tensor, len(items))
	var pos int64
	for _, it := range items {
		if it.e.Offsets[0] < pos {
			return nil, nil, fmt.Errorf("tensor %q overlaps another", it.name)
		}
		if _, err := io.CopyN(io.Discard, r, it.e.Offsets[0]-pos); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", it.name, err)
		}
		buf := make([]byte, it.e.Offsets[1]-it.e.Offsets[0])
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: truncated data: %w", it.name, err)
		}
		pos = it.e.Offsets[1]
		t := tensor.New(it.e.Shape...)
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		out[it.name] = t
	}
	return out, meta, nil
}
