package csvimport

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func TestWriteCSV_NeutralisesFormulasAndEncodes(t *testing.T) {
	recs := [][]string{{"氏名", "メモ"}, {"=HYPERLINK(\"http://evil\",\"x\")", "+1"}, {"髙橋〜𠮷野", "@SUM(A1)"}, {"\tx", "-2"}}
	var u bytes.Buffer
	if n, err := WriteCSV(&u, recs, ExportUTF8BOM); err != nil || n != 0 {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(u.Bytes(), bomUTF8) {
		t.Fatal("no BOM")
	}
	s := u.String()
	for _, want := range []string{`"'=HYPERLINK(""http://evil"",""x"")"`, "'+1", "'@SUM(A1)", "'\tx", "'-2", "\r\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in %q", want, s)
		}
	}
	var sj bytes.Buffer
	n, err := WriteCSV(&sj, recs, ExportSJIS)
	if err != nil || n != 1 {
		t.Fatalf("replaced %d, %v", n, err)
	}
	back, _ := japanese.ShiftJIS.NewDecoder().String(sj.String())
	if !strings.Contains(back, "髙橋～〓野") {
		t.Errorf("sjis round trip: %q", back)
	}
	if got := SJISUnencodable("山田〜𠮷①髙"); len(got) != 1 || got[0] != '𠮷' {
		t.Errorf("unencodable %q", string(got))
	}
}
