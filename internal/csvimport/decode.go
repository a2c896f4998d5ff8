// Package csvimport reads the affected-person lists that Japanese offices export: it detects the
// encoding (UTF-8, UTF-8 with BOM, Shift_JIS/CP932), maps header variants to fields, validates
// every row and reports problems by line number in Japanese and English. It is pure: no SQL, no
// HTTP. Parse never panics (FuzzParse) and never returns half a file as valid: a Result with
// errors must be imported as nothing.
package csvimport

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// Encodings reported in Result.Encoding.
const (
	EncUTF8    = "UTF-8"
	EncUTF8BOM = "UTF-8 (BOM)"
	EncSJIS    = "Shift_JIS (CP932)"
)

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

// decode turns the file into UTF-8 text. ok is false (with a file-level error) when the bytes are
// neither valid UTF-8 nor valid CP932.
func decode(b []byte) (text string, enc string, rerr *RowError) {
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		b = b[len(bomUTF8):]
		if !utf8.Valid(b) {
			return "", "", fileError("文字コードが正しくありません。BOM付きUTF-8のファイルに、UTF-8として読めない部分があります。", "The file starts with a UTF-8 BOM but is not valid UTF-8.")
		}
		return string(b), EncUTF8BOM, nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "", "", fileError("UTF-16 のファイルには対応していません。Excel では「CSV UTF-8（コンマ区切り）」で保存し直してください。", "UTF-16 files are not supported; save as \"CSV UTF-8 (comma delimited)\".")
	case utf8.Valid(b):
		return string(b), EncUTF8, nil
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return "", "", fileError("CSV ファイルではないようです（バイナリデータが含まれています）。Excel ファイル（.xlsx）の場合は CSV 形式で保存し直してください。", "This does not look like a CSV file (binary data); save an Excel workbook as CSV first.")
	}
	out, _, err := transform.Bytes(japanese.ShiftJIS.NewDecoder(), b)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return "", "", fileError("文字コードを判別できません。UTF-8 でも Shift_JIS（CP932）でもありません。UTF-8 か Shift_JIS で保存し直してください。", "Unknown encoding: the file is neither UTF-8 nor Shift_JIS (CP932). Save it as UTF-8 or Shift_JIS.")
	}
	return string(out), EncSJIS, nil
}
