package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// transport is shared by every simulated client: keep-alive connections on loopback, as a browser
// or an API client would hold them.
var transport = &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}

var apiClient = &http.Client{Transport: transport, Timeout: 60 * time.Second}

// session is a logged-in browser: a cookie jar and the session's CSRF token.
type session struct {
	base string
	c    *http.Client
	csrf string
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// login signs in through the login form the way a browser does: fetch the form for its token,
// post it same-origin, keep the session cookie. The session's CSRF token changes at login, so it
// is read again from a page afterwards.
func login(ctx context.Context, base, email, password, tokenPage string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	s := &session{base: base, c: &http.Client{Transport: transport, Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if err := s.readToken(ctx, "/login"); err != nil {
		return nil, err
	}
	status, body, err := s.postForm(ctx, "/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		return nil, err
	}
	if status != http.StatusSeeOther {
		return nil, fmt.Errorf("login %s: status %d: %.200s", email, status, body)
	}
	if err := s.readToken(ctx, tokenPage); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *session) readToken(ctx context.Context, path string) error {
	status, body, err := s.get(ctx, path)
	if err != nil {
		return err
	}
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		return fmt.Errorf("no CSRF token on %s (status %d)", path, status)
	}
	s.csrf = m[1]
	return nil
}

func (s *session) get(ctx context.Context, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	return do(s.c, req)
}

// getDiscard fetches a page and reads its whole body without keeping it.
func (s *session) getDiscard(ctx context.Context, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, err
	}
	return doDiscard(s.c, req)
}

// postForm posts a form same-origin with the session's CSRF token.
func (s *session) postForm(ctx context.Context, path string, form url.Values) (int, string, error) {
	form.Set("_csrf", s.csrf)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return do(s.c, req)
}

func do(c *http.Client, req *http.Request) (int, string, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func doDiscard(c *http.Client, req *http.Request) (int, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// api calls the JSON API with a bearer token and the header pairs hdr, expects status want and
// decodes the body into out (when out is not nil).
func api(ctx context.Context, base, method, path, token, body string, want int, out any, hdr ...string) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	status, b, err := do(apiClient, req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.300s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}
