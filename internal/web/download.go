package web

import (
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// download is one file answered as an attachment: evidence, PDFs, case-file ZIPs and CSV exports
// all go through writeDownload, so every download says the same things about itself.
type download struct {
	Name        string // the file name offered to the user, any Unicode
	ContentType string // with its charset where it has one
	Body        []byte
	SHA256      []byte // the stored hash when there is one (evidence); computed from Body otherwise
}

// writeDownload answers d: Content-Disposition attachment with the name (contentDisposition),
// the content type with nosniff (a browser never renders the bytes as something else), the length
// and the body's SHA-256 as Repr-Digest (RFC 9530), so a recipient can check what arrived.
func writeDownload(w http.ResponseWriter, d download) {
	sum := d.SHA256
	if sum == nil {
		s := sha256.Sum256(d.Body)
		sum = s[:]
	}
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(d.Body)))
	h.Set("Content-Disposition", contentDisposition(d.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(d.Body)
}

// contentDisposition is "attachment" with name as RFC 6266 wants it: an ASCII name as filename
// (quoted where it must be); any other as filename* in RFC 5987's UTF-8 percent-encoding, after an
// ASCII filename for the clients that read only that (each other character becomes "_").
func contentDisposition(name string) string {
	if name == "" {
		name = "download"
	}
	fallback := asciiName(name)
	if fallback == name {
		return mime.FormatMediaType("attachment", map[string]string{"filename": name})
	}
	ext := mime.FormatMediaType("attachment", map[string]string{"filename": name}) // attachment; filename*=utf-8''…
	return mime.FormatMediaType("attachment", map[string]string{"filename": fallback}) + strings.TrimPrefix(ext, "attachment")
}

// asciiName is name with every character outside printable ASCII (and the quote and backslash,
// which some clients mishandle) replaced by "_".
func asciiName(name string) string {
	return strings.Map(func(r rune) rune {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
}
