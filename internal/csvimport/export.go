package csvimport

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// Export encodings.
const (
	ExportUTF8BOM = "utf8bom"
	ExportSJIS    = "sjis"
)

// GetaMark (〓) replaces characters that Shift_JIS cannot hold, when the user chose to replace.
const GetaMark = '〓'

// Neutralize prefixes a quote to a cell that a spreadsheet would run as a formula (= + - @, tab,
// carriage return), so that an exported file cannot carry a formula injection.
func Neutralize(s string) string {
	if Formula(s) {
		return "'" + s
	}
	return s
}

// sjisVariants maps Unicode characters that look the same as a CP932 character but have another
// code point (the classic JIS X 0208 vs. CP932 mapping differences), so they are not reported as
// missing: 〜 → ～, ‖ → ∥, − → －, ¢ → ￠, £ → ￡, ¬ → ￢, — → ―.
var sjisVariants = strings.NewReplacer("\u301C", "\uFF5E", "\u2016", "\u2225", "\u2212", "\uFF0D", "\u00A2", "\uFFE0", "\u00A3", "\uFFE1", "\u00AC", "\uFFE2", "\u2014", "\u2015")

// SJISPrepare maps look-alike characters to their CP932 form.
func SJISPrepare(s string) string { return sjisVariants.Replace(s) }

// SJISUnencodable returns the distinct characters of s that CP932 cannot represent (after
// SJISPrepare).
func SJISUnencodable(s string) []rune {
	s = SJISPrepare(s)
	var out []rune
	seen := map[rune]bool{}
	enc := japanese.ShiftJIS.NewEncoder()
	for _, r := range s {
		if r < utf8.RuneSelf || seen[r] {
			continue
		}
		if _, err := enc.String(string(r)); err != nil {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// WriteCSV writes records as CSV with CRLF line ends (what Excel expects): UTF-8 with a BOM, or
// Shift_JIS (CP932) with every unrepresentable character replaced by 〓. Every cell is
// neutralised against formula injection. It returns how many characters were replaced, which the
// caller must tell the user about.
func WriteCSV(w io.Writer, records [][]string, enc string) (replaced int, err error) {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	for _, rec := range records {
		out := make([]string, len(rec))
		for i, c := range rec {
			out[i] = Neutralize(c)
		}
		if err := cw.Write(out); err != nil {
			return 0, err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return 0, err
	}
	if enc != ExportSJIS {
		if _, err := w.Write(bomUTF8); err != nil {
			return 0, err
		}
		_, err := w.Write(buf.Bytes())
		return 0, err
	}
	text := SJISPrepare(buf.String())
	bad := map[rune]bool{}
	for _, r := range SJISUnencodable(text) {
		bad[r] = true
	}
	if len(bad) > 0 {
		text = strings.Map(func(r rune) rune {
			if bad[r] {
				replaced++
				return GetaMark
			}
			return r
		}, text)
	}
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(text))
	if err != nil {
		return replaced, err
	}
	_, err = w.Write(b)
	return replaced, err
}
