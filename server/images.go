package server

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"golang.org/x/image/draw"

	"github.com/lookalike/lookalike/collection"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/internal/atomicfile"
	"github.com/lookalike/lookalike/nn"
)

// Image is an indexed image as the API returns it.
type Image struct {
	ID       uint64 `json:"id"`
	Path     string `json:"path"`
	Label    string `json:"label"`
	ImageURL string `json:"image_url"`
	ThumbURL string `json:"thumb_url"`
}

func (s *Server) imageOf(e index.Entry) Image {
	return Image{ID: e.ID, Path: s.publicPath(e.Path), Label: e.Label, ImageURL: imageURL(e.ID), ThumbURL: thumbURL(e.ID)}
}

// publicPath returns the path of an entry as clients see it: relative to
// the collection root, with forward slashes. An absolute path (an index
// written before keys were relative) is made relative; one outside the
// collection shows as "" (where the server's files are is not the
// client's business).
func (s *Server) publicPath(p string) string {
	if collection.IsKey(p) {
		return p
	}
	rel, err := s.images.rel(p)
	if err != nil {
		return ""
	}
	return filepath.ToSlash(rel)
}

// addImage handles POST /api/images: it embeds the uploaded image, saves
// it to the collection's uploads folder and indexes it. Both the file and
// the index entry are fsynced before the 201 response.
func (s *Server) addImage(w http.ResponseWriter, r *http.Request) error {
	done, err := s.enterPending()
	if err != nil {
		return err
	}
	defer done()
	u, err := s.readUpload(w, r)
	if err != nil {
		return err
	}
	label, err := parseLabel(u.field(r, "label"))
	if err != nil {
		return err
	}
	var vec []float32
	err = s.withSlot(r.Context(), func(m *nn.Model) error {
		vec, err = s.embed(m, u)
		return err
	})
	if err != nil {
		return err
	}
	if err := r.Context().Err(); err != nil {
		return err
	}
	e, err := s.store(u, label, vec)
	if err != nil {
		return err
	}
	s.log.Info("image added", "id", e.ID, "path", e.Path, "label", e.Label, "bytes", len(u.data))
	w.Header().Set("Location", imageURL(e.ID))
	writeJSON(w, http.StatusCreated, s.imageOf(e))
	return nil
}

// store saves an uploaded image as uploads/<id>.<ext> and indexes it,
// crash-safely (see collection.AddUpload): after a crash the file is in the
// collection if and only if its entry is in the index.
func (s *Server) store(u *upload, label string, vec []float32) (index.Entry, error) {
	s.addMu.Lock()
	defer s.addMu.Unlock()
	for range 100 {
		id := s.nextID
		e, err := collection.AddUpload(s.ix, s.images.real, index.Entry{
			ID: id, Path: collection.UploadKey(id, u.format), Label: label, Vector: vec,
		}, u.data)
		if errors.Is(err, collection.ErrUploadExists) {
			// A file someone put in uploads/ takes this id: skip it.
			s.log.Warn("an upload's file name is taken; skipping the id", "id", id, "err", err)
			s.nextID = id + 1
			continue
		}
		if e.ID != 0 {
			s.nextID = id + 1 // logged, even if the file kept its pending name
		}
		if err != nil {
			return index.Entry{}, err
		}
		return e, nil
	}
	return index.Entry{}, errors.New("save image: 100 upload file names in a row are taken")
}

// nextIDFile, in the uploads folder, records an id above every id ever
// given out, so that the ids of deleted images are not given out again
// after a restart (the index does not expose its own counter).
const nextIDFile = ".next-id"

// reserveIDs records, before an image is deleted, that ids up to id are
// taken for good.
func (s *Server) reserveIDs(id uint64) error {
	s.addMu.Lock()
	defer s.addMu.Unlock()
	s.nextID = max(s.nextID, id+1)
	dir := filepath.Join(s.images.real, UploadsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("image collection: %w", err)
	}
	p := filepath.Join(dir, nextIDFile)
	if err := atomicfile.WriteBytes(p, fmt.Appendf(nil, "%d\n", s.nextID)); err != nil {
		return fmt.Errorf("record the next image id: %w", err)
	}
	return nil
}

// deleteImage handles DELETE /api/images/{id}: the entry is removed from
// the index (fsynced), then its file if the server saved it (uploads/);
// files of the original collection are left alone.
func (s *Server) deleteImage(w http.ResponseWriter, r *http.Request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, ok := s.ix.Get(id); !ok {
		return errorf(http.StatusNotFound, "no image with id %d", id)
	}
	if err := s.reserveIDs(id); err != nil {
		return err
	}
	e, deleted, err := collection.Delete(s.ix, s.images.real, id)
	if deleted {
		s.thumbs.remove(id)
	}
	if err != nil && deleted {
		s.log.Warn("removing the file of a deleted image failed", "id", id, "path", e.Path, "err", err)
	} else if err != nil {
		return err
	}
	if !deleted {
		return errorf(http.StatusNotFound, "no image with id %d", id)
	}
	s.log.Info("image deleted", "id", id, "path", e.Path)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// openImage opens the file of the image id, refusing files outside the
// collection and files that are not images of a supported type. It
// returns the file, its information and its sniffed media type.
func (s *Server) openImage(id uint64) (*os.File, fs.FileInfo, string, error) {
	e, ok := s.ix.Get(id)
	if !ok {
		return nil, nil, "", errorf(http.StatusNotFound, "no image with id %d", id)
	}
	f, info, err := s.images.open(e.Path)
	switch {
	case errors.Is(err, errOutside):
		return nil, nil, "", wrapError(http.StatusForbidden, err,
			fmt.Sprintf("the file of image %d lies outside the image collection; it is not served", id))
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, "", wrapError(http.StatusNotFound, err, fmt.Sprintf("the file of image %d is missing", id))
	case err != nil:
		return nil, nil, "", wrapError(http.StatusForbidden, err, fmt.Sprintf("the file of image %d cannot be served", id))
	}
	head := make([]byte, sniffLen)
	n, _ := io.ReadFull(f, head)
	ct := sniffType(head[:n])
	if _, ok := supportedTypes[ct]; !ok {
		f.Close()
		return nil, nil, "", errorf(http.StatusNotFound, "the file of image %d is not an image (%s)", id, ct)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, "", err
	}
	return f, info, ct, nil
}

// getImage handles GET /api/images/{id}: the original file, with its
// sniffed Content-Type (conditional and range requests are honoured).
func (s *Server) getImage(w http.ResponseWriter, r *http.Request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	f, info, ct, err := s.openImage(id)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", info.ModTime(), f)
	return nil
}

// getThumb handles GET /api/images/{id}/thumb: a PNG of the image scaled
// down to Config.ThumbSize pixels on its longer side (smaller images keep
// their size), from the in-memory cache when there.
func (s *Server) getThumb(w http.ResponseWriter, r *http.Request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	f, info, _, err := s.openImage(id)
	if err != nil {
		return err
	}
	defer f.Close()
	key := thumbKey{id: id, mod: info.ModTime().UnixNano(), size: info.Size()}
	b, ok := s.thumbs.get(key)
	if ok {
		s.metrics.thumbHits.WithLabelValues("hit").Inc()
	} else {
		s.metrics.thumbHits.WithLabelValues("miss").Inc()
		err := s.withSlot(r.Context(), func(*nn.Model) error {
			b, err = makeThumb(f, s.cfg.ThumbSize, s.cfg.MaxPixels)
			return err
		})
		if err != nil {
			return err
		}
		s.thumbs.put(key, b)
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", fmt.Sprintf(`"t%d-%x-%x"`, id, key.mod, key.size))
	http.ServeContent(w, r, "", info.ModTime(), bytes.NewReader(b))
	return nil
}

// makeThumb decodes the image in r and encodes it as a PNG whose longer
// side is at most size, keeping the aspect ratio. Images over maxPixels
// are refused from their header, before decoding.
func makeThumb(r io.ReadSeeker, size, maxPixels int) ([]byte, error) {
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return nil, wrapError(http.StatusUnprocessableEntity, err, "the stored image cannot be decoded: "+err.Error())
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
		return nil, errorf(http.StatusUnprocessableEntity, "the stored %s image of %dx%d pixels is too large for a thumbnail (limit %d pixels)", format, cfg.Width, cfg.Height, maxPixels)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, wrapError(http.StatusUnprocessableEntity, err, "the stored image cannot be decoded: "+err.Error())
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if long := max(w, h); long > size {
		w, h = max(1, w*size/long), max(1, h*size/long)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, dst); err != nil {
		return nil, fmt.Errorf("encode thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}
