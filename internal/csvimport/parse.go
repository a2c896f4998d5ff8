package csvimport

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leakdesk/leakdesk/internal/pii"
)

// Default limits. The upload route allows a little more than DefaultMaxBytes of body.
const (
	DefaultMaxBytes  = 32 << 20
	DefaultMaxRows   = 200_000
	DefaultMaxErrors = 500
)

// Options bound the work Parse does. Zero values take the defaults.
type Options struct {
	MaxBytes  int64 // file size limit
	MaxRows   int   // data rows (not counting the header)
	MaxErrors int   // errors kept in Result.Errors; ErrorCount still counts all
}

// Row is one valid person as typed (trimmed), except the e-mail (NFKC) and the postal code
// (123-4567); compare rows with DedupeKey, which normalises.
type Row struct {
	Line       int // 1-based line of the row in the file
	Name       string
	Kana       string
	Postal     string
	Address    string
	Phone      string
	Email      string
	CustomerID string
	DataItems  []string
}

// RowError is one problem, by line (0 for the whole file) and field ("" for the whole row).
type RowError struct {
	Line  int
	Field Field
	JA    string
	EN    string
}

// Column is a header cell and the field it was mapped to.
type Column struct {
	Index  int
	Header string
	Field  Field
}

// Result is the parsed file. Rows holds only valid rows; when ErrorCount > 0 the file must not be
// imported at all (the import is all-or-nothing).
type Result struct {
	Encoding   string
	SHA256     [32]byte
	Columns    []Column
	Ignored    []string // header cells that map to no field
	Rows       []Row
	Errors     []RowError
	ErrorCount int
	DataLines  int // non-empty data records read
}

// OK reports whether the file may be imported.
func (r *Result) OK() bool { return r.ErrorCount == 0 }

func (r *Result) addError(max int, e RowError) {
	r.ErrorCount++
	if len(r.Errors) < max {
		r.Errors = append(r.Errors, e)
	}
}

func fileError(ja, en string) *RowError { return &RowError{JA: ja, EN: en} }

// Parse reads a whole CSV file. The error return is only for a failing reader; everything wrong
// with the content is in Result.Errors.
func Parse(rd io.Reader, opt Options) (*Result, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.MaxRows <= 0 {
		opt.MaxRows = DefaultMaxRows
	}
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = DefaultMaxErrors
	}
	b, err := io.ReadAll(io.LimitReader(rd, opt.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("csvimport: read: %w", err)
	}
	res := &Result{SHA256: sha256.Sum256(b)}
	if int64(len(b)) > opt.MaxBytes {
		res.addError(opt.MaxErrors, *fileError(
			fmt.Sprintf("ファイルが大きすぎます（上限 %d MB）。ファイルを分割して取り込んでください。", opt.MaxBytes>>20),
			fmt.Sprintf("The file is too large (limit %d MB); split it.", opt.MaxBytes>>20)))
		return res, nil
	}
	if len(bytes.TrimSpace(b)) == 0 {
		res.addError(opt.MaxErrors, *fileError("ファイルが空です。", "The file is empty."))
		return res, nil
	}
	text, enc, ferr := decode(b)
	if ferr != nil {
		res.addError(opt.MaxErrors, *ferr)
		return res, nil
	}
	res.Encoding = enc
	p := parser{res: res, opt: opt, seen: map[string]int{}}
	p.run(text)
	return res, nil
}

type parser struct {
	res     *Result
	opt     Options
	cols    []Column
	seen    map[string]int // dedupe key → first line
	pending []pendingRow   // data rows read and not yet checked (parse_parallel.go)
}

func (p *parser) errorf(line int, f Field, ja, en string) {
	p.res.addError(p.opt.MaxErrors, RowError{Line: line, Field: f, JA: ja, EN: en})
}

func (p *parser) run(text string) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	header := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// What follows reads the error count: the rows before count first, as in a single pass.
			p.flush()
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.errorf(pe.StartLine, "", fmt.Sprintf("CSV の形式が正しくありません（%d行目: 引用符「\"」の対応が取れていない可能性があります）。", pe.Line),
					fmt.Sprintf("Malformed CSV at line %d (probably an unbalanced quote).", pe.Line))
				if header || p.res.ErrorCount >= p.opt.MaxErrors*4 {
					return
				}
				continue
			}
			p.errorf(0, "", "CSV を読み込めませんでした。", "The CSV could not be read.")
			return
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		if header {
			header = false
			if !p.mapHeader(line, rec) {
				return
			}
			continue
		}
		p.res.DataLines++
		if p.res.DataLines > p.opt.MaxRows {
			p.flush()
			p.res.Rows = nil
			p.errorf(0, "", fmt.Sprintf("行数が上限（%d行）を超えています。ファイルを分割して取り込んでください。", p.opt.MaxRows),
				fmt.Sprintf("More than %d rows; split the file.", p.opt.MaxRows))
			return
		}
		p.pending = append(p.pending, pendingRow{line: line, rec: rec})
		if len(p.pending) == parseBatch {
			p.flush()
		}
	}
	p.flush()
	if header {
		p.errorf(0, "", "ヘッダー行がありません。1行目に「氏名」「メールアドレス」などの列名を入れてください。", "No header row: the first line must name the columns (氏名, メールアドレス, …).")
		return
	}
	if p.res.DataLines == 0 {
		p.errorf(0, "", "データ行がありません（ヘッダー行だけです）。", "No data rows, only the header.")
	}
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (p *parser) mapHeader(line int, rec []string) bool {
	have := map[Field]int{}
	for i, h := range rec {
		f, ok := lookupHeader(h)
		if !ok {
			if strings.TrimSpace(h) != "" {
				p.res.Ignored = append(p.res.Ignored, clip(strings.TrimSpace(h), 40))
			}
			continue
		}
		if prev, dup := have[f]; dup {
			ja, en := f.Label()
			p.errorf(line, f, fmt.Sprintf("ヘッダー行に「%s」に当たる列が2つあります（%d列目と%d列目）。どちらか一方にしてください。", ja, prev+1, i+1),
				fmt.Sprintf("Two header columns map to %s (columns %d and %d).", en, prev+1, i+1))
			continue
		}
		have[f] = i
		p.cols = append(p.cols, Column{Index: i, Header: clip(strings.TrimSpace(h), 40), Field: f})
	}
	p.res.Columns = p.cols
	if len(p.cols) == 0 {
		hintJA, hintEN := "", ""
		if p.res.Encoding == EncSJIS {
			hintJA, hintEN = "（Shift_JIS として読みました。文字コードが違う場合は UTF-8 で保存し直してください。）", " (Read as Shift_JIS; if that is wrong, save as UTF-8.)"
		}
		p.errorf(line, "", "ヘッダー行がありません。1行目に「氏名」「フリガナ」「郵便番号」「住所」「電話番号」「メールアドレス」「顧客番号」「漏えい項目」などの列名を入れてください。"+hintJA,
			"No recognised header row: the first line must name the columns (name, kana, postal code, address, phone, e-mail, customer ID, data items)."+hintEN)
		return false
	}
	_, n := have[FieldName]
	_, e := have[FieldEmail]
	_, ph := have[FieldPhone]
	_, c := have[FieldCustomerID]
	if !n && !e && !ph && !c {
		p.errorf(line, "", "本人を特定する列（氏名・メールアドレス・電話番号・顧客番号のいずれか）がありません。", "No identifying column (name, e-mail, phone or customer ID).")
		return false
	}
	return p.res.ErrorCount == 0
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

var (
	emailRe  = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
	postalRe = regexp.MustCompile(`^([0-9]{3})-?([0-9]{4})$`)
	phoneRe  = regexp.MustCompile(`^\+?[0-9][0-9 ()-]*[0-9]$`)
)

func (p *parser) row(line int, rec []string) {
	p.merge(checkRow(p.cols, line, rec))
}

// checkedRow is one data row checked on its own: everything about it that does not depend on the
// rows before it. The duplicate check and the error count do, and are merge's.
type checkedRow struct {
	row       Row
	errs      []RowError
	kind, key string            // DedupeKey
	keys      map[string]string // allKeys
}

// rowErrors collects one row's errors in the order a single pass records them.
type rowErrors struct {
	line int
	errs []RowError
}

func (e *rowErrors) errorf(f Field, ja, en string) {
	e.errs = append(e.errs, RowError{Line: e.line, Field: f, JA: ja, EN: en})
}

// checkRow validates one row's cells. It reads nothing shared, so rows are checked on every core
// (parse_parallel.go) and merged in file order.
func checkRow(cols []Column, line int, rec []string) checkedRow {
	var r Row
	r.Line = line
	e := rowErrors{line: line}
	for _, c := range cols {
		if c.Index >= len(rec) {
			continue // a short row: the missing cells are empty
		}
		v, ok := e.cell(c.Field, rec[c.Index])
		if !ok {
			continue
		}
		switch c.Field {
		case FieldName:
			r.Name = v
		case FieldKana:
			r.Kana = v
		case FieldPostal:
			r.Postal = v
		case FieldAddress:
			r.Address = v
		case FieldPhone:
			r.Phone = v
		case FieldEmail:
			r.Email = v
		case FieldCustomerID:
			r.CustomerID = v
		case FieldDataItems:
			items, ok := SplitItems(v)
			if !ok {
				e.errorf(FieldDataItems, "漏えい項目が多すぎるか長すぎます（30項目まで、各50文字まで）。または数式として実行されうる項目（=・+・-・@で始まるもの）があります。",
					"Too many or too long data items (30 items of 50 characters at most), or an item that starts with = + - @.")
			}
			r.DataItems = items
		}
	}
	if r.Name == "" && r.Email == "" && r.Phone == "" && r.CustomerID == "" && len(e.errs) == 0 {
		e.errorf("", "本人を特定する項目（氏名・メールアドレス・電話番号・顧客番号）がすべて空です。", "The row has no name, e-mail, phone or customer ID.")
	}
	out := checkedRow{row: r, errs: e.errs}
	if out.kind, out.key = DedupeKey(r); out.key != "" {
		out.keys = allKeys(r)
	}
	return out
}

// merge records a checked row in file order: its errors, then whether it repeats an earlier row.
func (p *parser) merge(c checkedRow) {
	for _, e := range c.errs {
		p.res.addError(p.opt.MaxErrors, e)
	}
	bad := len(c.errs) > 0
	// Duplicates are looked for even on rows with other errors (by their valid fields), so that
	// one round of corrections fixes the file.
	if c.key != "" {
		line := c.row.Line
		if first, dup := p.seen[c.kind+"\x00"+c.key]; dup {
			ja, en := dedupeLabel(c.kind)
			p.errorf(line, "", fmt.Sprintf("%d行目と同じ人物です（%sが同じ）。重複行を削除してください。", first, ja),
				fmt.Sprintf("Duplicate of line %d (same %s); remove one of them.", first, en))
			bad = true
		}
		for k, v := range c.keys {
			if _, ok := p.seen[k+"\x00"+v]; !ok {
				p.seen[k+"\x00"+v] = line
			}
		}
	}
	if bad {
		return
	}
	p.res.Rows = append(p.res.Rows, c.row)
}

// Dedupe kinds, in order of precedence.
const (
	KeyCustomerID  = pii.IndexCustomerID
	KeyEmail       = pii.IndexEmail
	KeyPhone       = pii.IndexPhone
	KeyNameAddress = pii.IndexNameAddress
)

// DedupeKey is how a person is recognised again: by customer ID, else e-mail, else phone, else
// name and address, normalised as the blind index is.
func DedupeKey(r Row) (kind, normalized string) {
	switch {
	case r.CustomerID != "":
		return KeyCustomerID, pii.NormalizeCustomerID(r.CustomerID)
	case r.Email != "":
		return KeyEmail, pii.NormalizeEmail(r.Email)
	case r.Phone != "":
		return KeyPhone, pii.NormalizePhone(r.Phone)
	}
	return KeyNameAddress, pii.NormalizeNameAddress(r.Name, r.Address)
}

func allKeys(r Row) map[string]string {
	m := map[string]string{}
	if v := pii.NormalizeCustomerID(r.CustomerID); v != "" {
		m[KeyCustomerID] = v
	}
	if v := pii.NormalizeEmail(r.Email); v != "" {
		m[KeyEmail] = v
	}
	if v := pii.NormalizePhone(r.Phone); v != "" {
		m[KeyPhone] = v
	}
	if v := pii.NormalizeNameAddress(r.Name, r.Address); v != "" {
		m[KeyNameAddress] = v
	}
	return m
}

func dedupeLabel(kind string) (ja, en string) {
	switch kind {
	case KeyCustomerID:
		return "顧客番号", "customer ID"
	case KeyEmail:
		return "メールアドレス", "e-mail"
	case KeyPhone:
		return "電話番号", "phone"
	}
	return "氏名と住所", "name and address"
}

// Formula reports whether a cell would be run as a formula by a spreadsheet (= + - @, or a
// leading tab or carriage return).
func Formula(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// cell validates one cell and returns it as typed (trimmed); ok is false when an error was
// recorded or it is empty. The rules are checked on the normalised form (NFKC: full-width digits,
// ①, ㈱ …), so "０３－１２３４－５６７８" is a valid phone number and stays written as it was: a
// notice letter must carry the name and address exactly as the person gave them. Only the e-mail
// address and the postal code are stored in their normal form (taro@example.jp, 100-0001): they
// are machine addresses, and a full-width e-mail address cannot be delivered.
func (p *rowErrors) cell(f Field, raw string) (string, bool) {
	ja, en := f.Label()
	n := pii.Normalize(raw)
	// Checked on the normalised value too: NFKC turns a full-width "－0" into "-0" (found by FuzzPersonForm).
	if Formula(strings.TrimLeft(raw, " ")) || Formula(raw) || Formula(n) {
		legit := (f == FieldPhone && strings.HasPrefix(n, "+") && phoneRe.MatchString(n)) || n == "-"
		if !legit {
			p.errorf(f, fmt.Sprintf("「%s」が「=」「+」「-」「@」で始まっています。表計算ソフトで数式として実行されるおそれがあるため取り込めません（数式の埋め込み攻撃の防止）。", ja),
				fmt.Sprintf("The %s starts with = + - or @ and would run as a spreadsheet formula (formula injection); it is refused.", en))
			return "", false
		}
	}
	if n == "-" {
		return "", false // a common "none" placeholder
	}
	v := strings.TrimFunc(raw, unicode.IsSpace)
	switch f {
	case FieldAddress: // a quoted address may span lines in the sheet; one line on the letter
		v = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(v)
	case FieldDataItems: // one item per line is a common way to list them
		v = strings.TrimFunc(strings.ReplaceAll(raw, "\r\n", "\n"), unicode.IsSpace)
	}
	for _, r := range v + n {
		if (unicode.IsControl(r) && !(f == FieldDataItems && r == '\n')) || r == utf8.RuneError {
			p.errorf(f, fmt.Sprintf("「%s」に制御文字（改行・タブなど）が含まれています。", ja), fmt.Sprintf("The %s contains control characters (line breaks, tabs).", en))
			return "", false
		}
	}
	if v == "" || n == "" {
		return "", false
	}
	limit := map[Field]int{FieldName: 100, FieldKana: 100, FieldPostal: 10, FieldAddress: 300, FieldPhone: 30, FieldEmail: 254, FieldCustomerID: 64, FieldDataItems: 2000}[f]
	if utf8.RuneCountInString(v) > limit || utf8.RuneCountInString(n) > limit {
		p.errorf(f, fmt.Sprintf("「%s」が長すぎます（%d文字まで）。", ja, limit), fmt.Sprintf("The %s is too long (%d characters at most).", en, limit))
		return "", false
	}
	switch f {
	case FieldEmail:
		if !emailRe.MatchString(n) {
			p.errorf(f, "メールアドレスの形式が正しくありません（例: taro@example.co.jp）。", "Malformed e-mail address (e.g. taro@example.co.jp).")
			return "", false
		}
		v = n
	case FieldPostal:
		n = strings.TrimPrefix(n, "〒")
		n = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, n)
		m := postalRe.FindStringSubmatch(n)
		if m == nil {
			p.errorf(f, "郵便番号は7桁の数字で入力してください（例: 100-0001 または 1000001）。", "The postal code must be 7 digits (e.g. 100-0001 or 1000001).")
			return "", false
		}
		v = m[1] + "-" + m[2]
	case FieldPhone:
		d := pii.NormalizePhone(n)
		if !phoneRe.MatchString(n) || (strings.HasPrefix(n, "+") && (len(d) < 8 || len(d) > 15)) || (!strings.HasPrefix(n, "+") && (len(d) < 10 || len(d) > 11 || d[0] != '0')) {
			p.errorf(f, "電話番号の形式が正しくありません（例: 03-1234-5678、090-1234-5678）。", "Malformed phone number (e.g. 03-1234-5678).")
			return "", false
		}
	case FieldKana:
		for _, r := range n {
			if !(unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hiragana, r) || r == 'ー' || r == '・' || r == ' ' || r == '　') {
				p.errorf(f, "フリガナにカナ以外の文字が含まれています。", "The kana contains characters other than kana.")
				return "", false
			}
		}
	}
	return v, true
}

var itemSep = func(r rune) bool {
	switch r {
	case '、', ',', ';', '/', '|', '\n', '・', '，', '；', '／', '｜':
		return true
	}
	return false
}

// SplitItems splits a data-items cell ("氏名、住所、電話番号") into items: trimmed, as typed,
// without duplicates (compared normalised). ok is false when there are more than 30 items or one
// is over 50 characters.
func SplitItems(s string) (items []string, ok bool) {
	seen := map[string]bool{}
	for _, it := range strings.FieldsFunc(s, itemSep) {
		it = strings.TrimFunc(it, unicode.IsSpace)
		n := pii.Normalize(it)
		if n == "" || seen[n] {
			continue
		}
		if utf8.RuneCountInString(it) > 50 || utf8.RuneCountInString(n) > 50 || Formula(it) || Formula(n) {
			return nil, false
		}
		seen[n] = true
		items = append(items, it)
	}
	return items, len(items) <= 30
}

// AllFields lists the fields in display order.
var AllFields = []Field{FieldName, FieldKana, FieldPostal, FieldAddress, FieldPhone, FieldEmail, FieldCustomerID, FieldDataItems}

// ValidateFields checks values typed into a form by the same rules as a CSV row (formula cells,
// e-mail, postal code, phone, kana, lengths, at least one identifier). Errors have Line 0.
func ValidateFields(values map[Field]string) (Row, []RowError) {
	p := parser{res: &Result{}, opt: Options{MaxErrors: 100}, seen: map[string]int{}}
	rec := make([]string, len(AllFields))
	for i, f := range AllFields {
		p.cols = append(p.cols, Column{Index: i, Field: f})
		rec[i] = values[f]
	}
	p.row(0, rec)
	if len(p.res.Rows) == 1 && p.res.OK() {
		return p.res.Rows[0], nil
	}
	return Row{}, p.res.Errors
}
