package web_test

import (
	"bytes"
	"io"
	"net/http"
	"time"
)

// apiRaw sends a body of any content type with a bearer token.
func (h *harness) apiRaw(method, path, token, ctype string, body []byte, hdr ...string) resp {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.ts.URL+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", ctype)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if h.exchange != nil {
		h.exchange(req, body, r, b)
	}
	return resp{Status: r.StatusCode, Header: r.Header, Body: string(b)}
}
