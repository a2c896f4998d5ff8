package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/store"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyUser
	keyLang
	keyInfo
	keySession
)

// withSession marks the context as carrying scs session data (set right after LoadAndSave), so
// helpers used on every path (language, flash, CSRF) know whether they may touch the session.
func withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keySession, true)))
	})
}

func hasSession(ctx context.Context) bool {
	v, _ := ctx.Value(keySession).(bool)
	return v
}

func requestID(ctx context.Context) string {
	v, _ := ctx.Value(keyRequestID).(string)
	return v
}

// currentUser returns the authenticated user or nil.
func currentUser(ctx context.Context) *store.User {
	u, _ := ctx.Value(keyUser).(*store.User)
	return u
}

// isAPI reports whether the request is for the JSON API (problem+json errors) or a page.
func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/")
}

// statusWriter remembers the status for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe assigns a request ID, then logs and measures each request by route pattern. Only the
// pattern is logged — never the raw path, query or body, which may carry personal data.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		info := &reqInfo{}
		ctx := context.WithValue(context.WithValue(r.Context(), keyRequestID, id), keyInfo, info)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		pattern := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			pattern = rc.RoutePattern()
		}
		d := time.Since(start)
		s.metrics.observe(r.Method, pattern, sw.status, d)
		level := s.log.Info
		if sw.status >= 500 {
			level = s.log.Error
		}
		attrs := []any{"request_id", id, "method", r.Method, "route", pattern, "status", sw.status, "duration_ms", float64(d.Microseconds()) / 1000}
		if info.userID != 0 {
			attrs = append(attrs, "user_id", info.userID)
		}
		if pattern != "/healthz" && pattern != "/readyz" && pattern != "/metrics" {
			level("http request", attrs...)
		}
	})
}

// reqInfo carries facts learnt deeper in the chain (the user) back to the access log line.
type reqInfo struct{ userID int64 }

// recoverer turns a panic into the plain error page; the stack goes to the log, never to the user.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", requestID(r.Context()), "panic", v)
				s.serverError(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the strict baseline on every response. No inline script or style is allowed
// anywhere: the pages use only /static files.
// formAction lists the other origins a form may end up at: the identity provider's, where logout
// redirects to its end-session endpoint (browsers apply form-action to a form's redirects too).
func securityHeaders(secure bool, formAction func() []string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			fa := "'self'"
			for _, o := range formAction() {
				fa += " " + o
			}
			h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action "+fa+"; frame-ancestors 'none'; base-uri 'none'")
			h.Set("X-Frame-Options", "DENY")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Cross-Origin-Resource-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			if secure {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			if !strings.HasPrefix(r.URL.Path, "/static/") {
				// Pages hold personal data: never let a shared cache or the back button keep them.
				h.Set("Cache-Control", "no-store")
			}
			next.ServeHTTP(w, r)
		})
	}
}

// maxBody is the body limit of r: MaxBodyBytes, or the larger limit of the CSV upload route
// (personUploadLimit). checkCSRF parses multipart forms with the same figure as its in-memory
// limit, so an uploaded file of personal data is never spilled to a temporary file on disk.
func (s *Server) maxBody(r *http.Request) int64 {
	if n := personUploadLimit(r); n > s.cfg.MaxBodyBytes {
		return n
	}
	if n := s.evidenceUploadLimit(r); n > s.cfg.MaxBodyBytes {
		return n
	}
	return s.cfg.MaxBodyBytes
}

// limitBody caps request bodies; handlers see *http.MaxBytesError and answer 413.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.maxBody(r)
		if r.ContentLength > n {
			s.fail(w, r, http.StatusRequestEntityTooLarge, errTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// requireReady answers 503 for application routes until the database is reachable and migrated,
// so the app never serves from a half-migrated schema.
func (s *Server) requireReady(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, _ := s.ready.State(); !ok {
			w.Header().Set("Retry-After", "5")
			s.fail(w, r, http.StatusServiceUnavailable, errNotReady)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loadUser puts the session's user into the context; disabled users lose their session.
func (s *Server) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.sessions.GetInt64(r.Context(), sessUserID)
		if id == 0 {
			next.ServeHTTP(w, r)
			return
		}
		u, gate, err := s.store.UserForSession(r.Context(), id)
		// A session from before the user's last endSessions (password change or reset, disabling,
		// deprovisioning) is over.
		if errors.Is(err, store.ErrNotFound) || (err == nil && (u.Disabled || !s.sessionGate(r, gate))) {
			_ = s.sessions.Destroy(r.Context())
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if info, ok := r.Context().Value(keyInfo).(*reqInfo); ok {
			info.userID = u.ID
		}
		ctx := context.WithValue(r.Context(), keyUser, &u)
		ctx = context.WithValue(ctx, keyMustChange, gate.MustChange)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireLogin sends anonymous visitors to the login page, remembering where they wanted to go.
func (s *Server) requireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if currentUser(r.Context()) == nil {
			if r.Method == http.MethodGet {
				s.sessions.Put(r.Context(), sessNext, r.URL.RequestURI())
			}
			s.flash(r, flashInfo, "ログインしてください。", "Please log in.")
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireRole refuses users holding none of roles.
func (s *Server) requireRole(roles ...auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u := currentUser(r.Context())
			if u == nil {
				s.fail(w, r, http.StatusUnauthorized, errUnauthenticated)
				return
			}
			if !auth.Has(u.Roles, roles...) {
				s.fail(w, r, http.StatusForbidden, errForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// csrfToken returns the session's synchronizer token, creating it on first use.
func (s *Server) csrfToken(r *http.Request) string {
	t := s.sessions.GetString(r.Context(), sessCSRF)
	if t == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		t = base64.RawURLEncoding.EncodeToString(b)
		s.sessions.Put(r.Context(), sessCSRF, t)
	}
	return t
}

// checkCSRF requires the session's token on every state-changing form post. It stands behind
// http.CrossOriginProtection (which refuses cross-site browser requests by Fetch metadata) so that
// a browser that sends no Sec-Fetch-Site header is still covered.
func (s *Server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		// The session is checked before any body is read: a stranger's POST (except signing in, its
		// second step and choosing a language, small forms) is sent to the login page unread, so
		// nobody can push megabytes into memory without an account.
		if currentUser(r.Context()) == nil { // loadUser ran first: ended or disabled sessions count as none
			if !anonPost[r.URL.Path] {
				s.flash(r, flashInfo, "ログインしてください。", "Please log in.")
				w.Header().Set("Connection", "close")
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, anonBodyLimit)
		}
		want := s.sessions.GetString(r.Context(), sessCSRF)
		got := r.Header.Get("X-CSRF-Token")
		if got == "" {
			// File parts beyond uploadMemory go to a temporary file (removed by net/http after the
			// request), so an upload is not held in memory twice.
			if err := r.ParseMultipartForm(uploadMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					s.fail(w, r, http.StatusRequestEntityTooLarge, errTooLarge)
					return
				}
				s.fail(w, r, http.StatusBadRequest, errMalformed)
				return
			}
			got = r.PostFormValue("_csrf")
		}
		if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			s.log.Warn("csrf rejected", "request_id", requestID(r.Context()), "route", r.URL.Path)
			s.fail(w, r, http.StatusForbidden, errCSRF)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// anonPost are the POST routes open before signing in: the password form, the second step after it
// (a code, or a passkey's assertion: login_mfa.go, passkeys.go; each refuses without a pending
// password login) and the language. Their bodies are capped at anonBodyLimit.
var anonPost = map[string]bool{
	"/login": true, "/lang": true,
	"/login/mfa": true, "/login/mfa/passkey/begin": true, "/login/mfa/passkey/finish": true,
}

const (
	// anonBodyLimit caps what a caller without a session may send (anonPost: small forms, an assertion).
	anonBodyLimit = 64 << 10
	// uploadMemory is how much of a multipart body is kept in memory; the rest is spooled to disk.
	uploadMemory = 1 << 20
)

// readUpload reads an uploaded file part (spooled to disk past uploadMemory) into one buffer sized
// from the part's length (the multipart parser measured it), at most limit+1 bytes: enough to tell
// a file too large without holding more of it, and without the doubling copies of io.ReadAll.
func readUpload(f io.Reader, size, limit int64) ([]byte, error) {
	buf := make([]byte, min(max(size, 0), limit)+1)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

// clientIP is the client's address: the peer, or what a trusted proxy says (clientip.go).
func (s *Server) clientIP(r *http.Request) string { return s.clientIPs.of(r) }
