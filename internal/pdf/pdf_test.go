package pdf_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/pdf"
)

// TestFromHTML_JapaneseTextSurvives prints a Japanese page and reads the text back with pdftotext,
// proving the CJK font is embedded and not replaced by boxes.
func TestFromHTML_JapaneseTextSurvives(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	p, err := pdf.New()
	if err != nil {
		if os.Getenv("LEAKDESK_TEST_REQUIRE_DB") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer p.Close()
	html := `<!doctype html><html lang="ja"><head><meta charset="utf-8"><style>@page{size:A4;margin:20mm} body{font-family:"IPAexGothic",sans-serif}</style></head>
<body><h1>個人情報保護委員会への報告（速報）</h1><p>漏えい等が発生し、又は発生したおそれがある個人データの項目</p></body></html>`
	out, err := p.FromHTML(context.Background(), []byte(html))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", out[:min(20, len(out))])
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, out, 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	norm := strings.Join(strings.Fields(string(text)), "")
	for _, want := range []string{"個人情報保護委員会への報告（速報）", "個人データの項目"} {
		if !strings.Contains(norm, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
}
