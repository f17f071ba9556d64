package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// access is what a route needs of the caller.
type access int

const (
	// public routes need nothing: the page, /healthz and /metrics.
	public access = iota
	// reader routes read the collection (search, images, stats): open
	// unless Config.TokenForSearch.
	reader
	// writer routes change the collection (add, delete): they always need
	// the token, and are refused when none is configured.
	writer
)

// authorize checks the caller's bearer token for a route of the given
// access.
func (s *Server) authorize(r *http.Request, need access) error {
	switch {
	case need == public, need == reader && !s.cfg.TokenForSearch:
		return nil
	case need == writer && s.cfg.Token == "":
		return errorf(http.StatusForbidden, "adding and deleting images is disabled: start the server with --token TOKEN "+
			"(or the environment variable LOOKALIKE_TOKEN) and send the header \"Authorization: Bearer TOKEN\"")
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return errorf(http.StatusUnauthorized, "missing token: send the header \"Authorization: Bearer TOKEN\"")
	}
	// "Bearer " arrives as "Bearer": HTTP trims the value's spaces.
	scheme, token, _ := strings.Cut(strings.TrimSpace(auth), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return errorf(http.StatusUnauthorized, "unsupported Authorization scheme %q: send \"Authorization: Bearer TOKEN\"", truncate(scheme, 20))
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return errorf(http.StatusUnauthorized, "empty token: send \"Authorization: Bearer TOKEN\" with the server's token")
	}
	if !tokenEqual(token, s.cfg.Token) {
		return errorf(http.StatusUnauthorized, "wrong token")
	}
	return nil
}

// tokenEqual compares two tokens in constant time: their SHA-256 digests
// are compared, so that neither their content nor their length leaks
// through timing.
func tokenEqual(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1 && want != ""
}

// hostAllowed reports whether the request's Host header names this server:
// an IP address, or one of Config.AllowedHosts (any host when that is
// empty).
func (s *Server) hostAllowed(r *http.Request) bool {
	if len(s.cfg.AllowedHosts) == 0 {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return true
	}
	return slices.ContainsFunc(s.cfg.AllowedHosts, func(h string) bool { return strings.EqualFold(h, host) })
}
