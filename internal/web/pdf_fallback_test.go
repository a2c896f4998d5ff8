package web_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// The Commission report draft (not only a final version) prints to a PDF whose text holds the nine
// item headings of 施行規則第8条第1項, through the server's shared printer.
func TestDocuments_DraftReportPDFHasTheNineHeadings(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatalf("pdftotext (Debian poppler-utils) is needed: %v", err)
	}
	h := newLawHarness(t)
	c := h.openCase("USBメモリ紛失（顧客3,000名）", 26*time.Hour, false)
	r := h.client().loginAs("staff").get(fmt.Sprintf("/cases/%d/documents/report_prelim/pdf", c.ID))
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "%PDF") {
		t.Fatalf("draft PDF: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if !strings.Contains(r.Header.Get("Content-Disposition"), "-draft.pdf") {
		t.Errorf("not the draft: %s", r.Header.Get("Content-Disposition"))
	}
	in := filepath.Join(t.TempDir(), "draft.pdf")
	if err := os.WriteFile(in, []byte(r.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := squeeze(string(out))
	if len(reportHeadings) != 9 {
		t.Fatalf("%d headings listed, the rule has nine", len(reportHeadings))
	}
	for _, hd := range reportHeadings {
		if !strings.Contains(text, squeeze(hd)) {
			t.Errorf("PDF text lacks %q", hd)
		}
	}
}

// Without a usable Chromium (none at the configured path, or one that does not start), a document
// PDF and the auditor's case file answer a Japanese page offering the HTML version — never a 500 —
// and the HTML version offered works. Before the fix both answered 500.
func TestPDF_WithoutChromiumTheHTMLVersionIsOffered(t *testing.T) {
	for name, browser := range map[string]string{"missing": "/nonexistent/chromium", "broken": "/bin/false"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("LEAKDESK_CHROMIUM", browser)
			h := newLawHarness(t)
			c := h.openCase("USBメモリ紛失", 26*time.Hour, false)
			id := strconv.FormatInt(c.ID, 10)

			r := h.client().loginAs("staff").get("/cases/" + id + "/documents/report_prelim/pdf")
			if r.Status != http.StatusServiceUnavailable || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("document PDF: %d %s", r.Status, r.Header.Get("Content-Type"))
			}
			msg := text(t, r.Body, `[data-testid="pdf-unavailable-message"]`)
			if !strings.Contains(msg, "PDF を作成できませんでした") || !strings.Contains(msg, "HTML 版") {
				t.Errorf("message %q", msg)
			}
			doc, _ := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
			href, _ := doc.Find(`a[data-testid="pdf-html-version"]`).Attr("href")
			if href != "/cases/"+id+"/documents/report_prelim" {
				t.Fatalf("HTML version link %q", href)
			}
			if page := h.client().loginAs("staff").get(href); page.Status != http.StatusOK || !strings.Contains(page.Body, reportHeadings[0]) {
				t.Errorf("HTML version: %d", page.Status)
			}

			auditor := h.client().loginAs("auditor")
			r = auditor.get("/audit/cases/" + id + "/export")
			if r.Status != http.StatusServiceUnavailable || !strings.Contains(text(t, r.Body, `[data-testid="pdf-unavailable-message"]`), "案件ファイル") {
				t.Fatalf("case file: %d", r.Status)
			}
			doc, _ = goquery.NewDocumentFromReader(strings.NewReader(r.Body))
			href, _ = doc.Find(`a[data-testid="pdf-html-version"]`).Attr("href")
			z := auditor.get(href)
			if z.Status != http.StatusOK || z.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("case file with the HTML report (%s): %d", href, z.Status)
			}
			zr, err := zip.NewReader(bytes.NewReader([]byte(z.Body)), int64(len(z.Body)))
			if err != nil {
				t.Fatal(err)
			}
			hasHTML := false
			for _, f := range zr.File {
				hasHTML = hasHTML || strings.HasSuffix(f.Name, "/report.html")
			}
			if !hasHTML {
				t.Error("no report.html in the case file")
			}

			// A selection (POST) gets a form that repeats it with the HTML report.
			r = auditor.postForm("/audit", "/audit/export", url.Values{"ids": {id}})
			if r.Status != http.StatusServiceUnavailable {
				t.Fatalf("selection: %d", r.Status)
			}
			doc, _ = goquery.NewDocumentFromReader(strings.NewReader(r.Body))
			if v, _ := doc.Find(`form input[name="ids"]`).Attr("value"); v != id {
				t.Errorf("the form does not repeat the selection: %q", v)
			}
			if z := auditor.postForm("/audit", "/audit/export", url.Values{"ids": {id}, "report": {"html"}}); z.Status != http.StatusOK {
				t.Errorf("selection with the HTML report: %d", z.Status)
			}
		})
	}
}
