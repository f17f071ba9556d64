package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/index"
	"github.com/lookalike/lookalike/nn"
)

// Result is one search hit as the API returns it.
type Result struct {
	ID       uint64  `json:"id"`
	Path     string  `json:"path"`
	Label    string  `json:"label"`
	Score    float32 `json:"score"`
	ImageURL string  `json:"image_url"`
	ThumbURL string  `json:"thumb_url"`
}

// SearchResponse is the body of a successful search: the hits, best first
// (highest cosine similarity), and the time the server took.
type SearchResponse struct {
	Results []Result `json:"results"`
	TookMS  float64  `json:"took_ms"`
	// Query is the indexed image searched with, for by-id searches.
	Query *Image `json:"query,omitempty"`
}

// imageURL and thumbURL are the API addresses of an image and its
// thumbnail.
func imageURL(id uint64) string { return "/api/images/" + strconv.FormatUint(id, 10) }
func thumbURL(id uint64) string { return imageURL(id) + "/thumb" }

// search handles POST /api/search: the k entries most similar to an
// uploaded image.
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	if _, err := parseK(r.URL.Query().Get("k")); err != nil {
		return err
	}
	done, err := s.enterPending()
	if err != nil {
		return err
	}
	defer done()
	u, err := s.readUpload(w, r)
	if err != nil {
		return err
	}
	k, err := parseK(u.field(r, "k"))
	if err != nil {
		return err
	}
	var hits []index.Result
	err = s.withSlot(r.Context(), func(m *nn.Model) error {
		vec, err := s.embed(m, u)
		if err != nil {
			return err
		}
		if err := r.Context().Err(); err != nil {
			return err
		}
		hits, err = s.ix.Search(vec, k)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SearchResponse{Results: s.results(hits, k, 0), TookMS: millis(time.Since(start))})
	return nil
}

// searchByID handles POST /api/search/by-id/{id}: the k entries most
// similar to an indexed image, the image itself left out.
func (s *Server) searchByID(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	k, err := parseK(r.URL.Query().Get("k"))
	if err != nil {
		return err
	}
	if r.URL.Query().Get("k") == "" {
		// k may come as a form field of a url-encoded body.
		r.Body = http.MaxBytesReader(rawWriter(r.Context(), w), r.Body, maxFieldBytes)
		if err := r.ParseForm(); err == nil && r.PostForm.Get("k") != "" {
			if k, err = parseK(r.PostForm.Get("k")); err != nil {
				return err
			}
		}
	}
	e, ok := s.ix.Get(id)
	if !ok {
		return errorf(http.StatusNotFound, "no image with id %d", id)
	}
	var hits []index.Result
	err = s.withSlot(r.Context(), func(*nn.Model) error {
		hits, err = s.ix.Search(e.Vector, k+1)
		return err
	})
	if err != nil {
		return err
	}
	q := s.imageOf(e)
	writeJSON(w, http.StatusOK, SearchResponse{Results: s.results(hits, k, id), TookMS: millis(time.Since(start)), Query: &q})
	return nil
}

// embed decodes the upload to the model's input size and embeds it.
func (s *Server) embed(m *nn.Model, u *upload) ([]float32, error) {
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()
	pixels, err := data.DecodeImage(bytes.NewReader(u.data), s.decodeSize(), s.cfg.MaxPixels)
	if errors.Is(err, data.ErrTooManyPixels) {
		return nil, wrapError(http.StatusRequestEntityTooLarge, err, "image too large: "+err.Error())
	}
	if err != nil {
		return nil, wrapError(http.StatusBadRequest, err, fmt.Sprintf("truncated or corrupt %s image: %v", u.format, err))
	}
	return m.Embed(pixels, 1, 1), nil
}

// results turns index hits into at most k API results, leaving out the
// entry skip (0: none) and entries deleted since the search.
func (s *Server) results(hits []index.Result, k int, skip uint64) []Result {
	out := make([]Result, 0, min(k, len(hits)))
	for _, h := range hits {
		if h.ID == skip || len(out) == k {
			continue
		}
		e, ok := s.ix.Get(h.ID)
		if !ok {
			continue
		}
		out = append(out, Result{
			ID: h.ID, Path: s.publicPath(e.Path), Label: e.Label, Score: h.Score,
			ImageURL: imageURL(h.ID), ThumbURL: thumbURL(h.ID),
		})
	}
	return out
}

// millis returns d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
