package web

import (
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestDownload_FilenameAndHeaders(t *testing.T) {
	cases := []struct {
		name, file   string
		wantFallback string // the ASCII filename parameter
		wantHeader   string // the whole Content-Disposition, when it is fixed
	}{
		{"ascii token", "leakdesk-case-2026-0001.zip", "leakdesk-case-2026-0001.zip", "attachment; filename=leakdesk-case-2026-0001.zip"},
		{"ascii with a space", "review 2026.csv", "review 2026.csv", `attachment; filename="review 2026.csv"`},
		{"japanese", "削除依頼の回答.pdf", "_______.pdf", `attachment; filename=_______.pdf; filename*=utf-8''%E5%89%8A%E9%99%A4%E4%BE%9D%E9%A0%BC%E3%81%AE%E5%9B%9E%E7%AD%94.pdf`},
		{"japanese with a space and a quote", `報告 "速報".pdf`, `__ ____.pdf`, ""},
		{"no name", "", "download", "attachment; filename=download"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte("%PDF-1.4\n本文\n%%EOF\n")
			rec := httptest.NewRecorder()
			writeDownload(rec, download{Name: tc.file, ContentType: "application/pdf", Body: body})
			h := rec.Result().Header
			cd := h.Get("Content-Disposition")
			if tc.wantHeader != "" && cd != tc.wantHeader {
				t.Errorf("Content-Disposition %q, want %q", cd, tc.wantHeader)
			}
			// A client reading the header back gets the exact name (Go's parser prefers filename*).
			disp, params, err := mime.ParseMediaType(cd)
			if err != nil || disp != "attachment" {
				t.Fatalf("ParseMediaType(%q) = %q, %v", cd, disp, err)
			}
			want := tc.file
			if want == "" {
				want = "download"
			}
			if params["filename"] != want {
				t.Errorf("name read back %q, want %q", params["filename"], want)
			}
			if i := strings.Index(cd, "filename="); i < 0 || !strings.Contains(cd[i:], tc.wantFallback) {
				t.Errorf("ASCII fallback %q missing from %q", tc.wantFallback, cd)
			}
			for _, r := range cd {
				if r > 127 {
					t.Fatalf("non-ASCII byte in the header: %q", cd)
				}
			}
			sum := sha256.Sum256(body)
			for k, v := range map[string]string{
				"Content-Type": "application/pdf", "X-Content-Type-Options": "nosniff", "Content-Length": strconv.Itoa(len(body)),
				"Repr-Digest": "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":",
			} {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if rec.Code != http.StatusOK || rec.Body.String() != string(body) {
				t.Errorf("status %d, body %q", rec.Code, rec.Body.String())
			}
		})
	}
}

func TestDownload_StoredHashIsSent(t *testing.T) {
	rec := httptest.NewRecorder()
	stored := sha256.Sum256([]byte("what was uploaded"))
	writeDownload(rec, download{Name: "a.bin", ContentType: "application/octet-stream", Body: []byte("what was uploaded"), SHA256: stored[:]})
	if got := rec.Header().Get("Repr-Digest"); got != "sha-256=:"+base64.StdEncoding.EncodeToString(stored[:])+":" {
		t.Fatalf("Repr-Digest %q", got)
	}
}
