package web

import (
	"net/http"

	"github.com/leakdesk/leakdesk/internal/web/view"
)

// pdfUnavailable answers a request whose PDF could not be made (no Chromium on this server, or
// it failed): a Japanese page saying so, offering the same content as HTML, never a bare 500.
// 503: the server cannot do it now; the operator can fix it (docs/operations.md).
func (s *Server) pdfUnavailable(w http.ResponseWriter, r *http.Request, err error, v view.PDFUnavailable) {
	s.log.Warn("PDF unavailable, HTML offered", "err", err, "request_id", requestID(r.Context()))
	if isAPI(r) {
		s.fail(w, r, http.StatusServiceUnavailable, errPDFUnavailable)
		return
	}
	p := s.page(r, "PDF を作成できませんでした", "The PDF could not be made")
	s.render(w, r, http.StatusServiceUnavailable, p, view.PDFUnavailablePage(p, v))
}

var errPDFUnavailable = &uiError{Code: "pdf_unavailable", JA: "PDF を作成できませんでした（このサーバーでは Chromium が使えません）。HTML 版を使ってください。",
	EN: "The PDF could not be made (Chromium is not available on this server); use the HTML version."}
