package index

// vecFileName is the prefix of the scratch file an exact int8 index keeps
// its float vectors in (vecfile_linux.go). The file is unlinked as soon as
// it is made, so none is ever left behind; the name shows only in
// /proc/PID/maps while the index is open.
const vecFileName = "vectors.f32.scratch-"

// vecFileMinFloats is the smallest mapping a vecFile makes: 1 MiB.
const vecFileMinFloats = 1 << 18

// reserve makes room in e.data for n floats, moving the floats to the
// heap for good when the file cannot grow (a full disk): the vectors are
// never lost, only the memory saving. The caller holds e.mu for writing.
func (e *Exact) reserve(n int) {
	if e.vf == nil || n <= cap(e.data) {
		return
	}
	d, err := e.vf.grow(e.data, max(n, 2*cap(e.data), vecFileMinFloats))
	if err == nil {
		e.data = d
		return
	}
	e.vfErr = err
	e.data = append(make([]float32, 0, n), e.data...)
	e.vf.close()
	e.vf = nil
}

// floatsToFile moves the float vectors into a scratch file in dir, where
// the kernel pages them (vecFile), and keeps later ones there too. With
// loaded, floats already read into a file made by loadFloats, the index
// takes that file over (e must be empty; addPrepared then stores the rows
// in place). It does nothing for short vectors, which are scanned as
// floats, or when the floats are in a file already.
func (e *Exact) floatsToFile(dir string, loaded *vecFile, data []float32) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.vf != nil || e.blocked() {
		if loaded != nil {
			loaded.close()
		}
		return nil
	}
	if loaded != nil {
		e.vf, e.data = loaded, data[:0]
		return nil
	}
	vf, d, err := newVecFile(dir, e.data, len(e.data))
	if err != nil {
		return err
	}
	e.vf, e.data = vf, d
	return nil
}

// newVecFile makes a vector file in dir holding data, with room for at
// least n floats, and returns it with the slice of it holding data.
func newVecFile(dir string, data []float32, n int) (*vecFile, []float32, error) {
	vf, err := openVecFile(dir)
	if err != nil {
		return nil, nil, err
	}
	d, err := vf.grow(data, max(n, vecFileMinFloats))
	if err != nil {
		vf.close()
		return nil, nil, err
	}
	return vf, d, nil
}

// closeFloats unmaps the vector file, waiting for searches in flight; the
// index is empty afterwards (Index.Close).
func (e *Exact) closeFloats() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.vf == nil {
		return
	}
	e.vf.close()
	e.vf = nil
	e.data, e.ids, e.sqnorm = nil, nil, nil
	e.rows = make(map[uint64]int)
	e.q = quantState{on: e.q.on}
}

// floatsOnDisk reports whether the float vectors lie in a vector file, and
// why they moved back to the heap if they did.
func (e *Exact) floatsOnDisk() (bool, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.vf != nil, e.vfErr
}
