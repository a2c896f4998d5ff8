package csvimport

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func parseFile(t *testing.T, name string) *Result {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Parse(bytes.NewReader(b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestParse_EachEncodingGivesTheSameRows(t *testing.T) {
	want := map[string]string{"utf8.csv": EncUTF8, "bom.csv": EncUTF8BOM, "sjis.csv": EncSJIS}
	var first []Row
	for name, enc := range want {
		t.Run(name, func(t *testing.T) {
			res := parseFile(t, name)
			if !res.OK() {
				t.Fatalf("errors: %+v", res.Errors)
			}
			if res.Encoding != enc {
				t.Errorf("encoding %q, want %q", res.Encoding, enc)
			}
			if len(res.Rows) != 3 {
				t.Fatalf("%d rows", len(res.Rows))
			}
			r := res.Rows[2]
			// Kept as typed: half-width kana and full-width digits are not rewritten (only compared
			// normalised); 髙 (CP932 only) survives; the postal code takes its normal form.
			if r.Name != "髙橋 一郎" || r.Kana != "ﾀｶﾊｼ ｲﾁﾛｳ" || r.Phone != "０１１－２２２－３３３３" || r.Postal != "060-0001" || r.Line != 4 {
				t.Errorf("row 3 = %+v", r)
			}
			if got := strings.Join(res.Rows[0].DataItems, "|"); got != "氏名|住所|電話番号" {
				t.Errorf("items %q", got)
			}
			if res.Rows[1].Postal != "530-0001" {
				t.Errorf("postal %q", res.Rows[1].Postal)
			}
			if first == nil {
				first = res.Rows
			} else if fmt.Sprint(first) != fmt.Sprint(res.Rows) {
				t.Errorf("rows differ between encodings")
			}
		})
	}
}

func TestParse_RowErrorsHaveLineNumbers(t *testing.T) {
	res := parseFile(t, "errors.csv")
	if res.OK() {
		t.Fatal("a file with errors passed")
	}
	got := map[int]Field{}
	for _, e := range res.Errors {
		got[e.Line] = e.Field
		if e.JA == "" || e.EN == "" {
			t.Errorf("message missing: %+v", e)
		}
	}
	want := map[int]Field{2: FieldEmail, 3: FieldPostal, 4: FieldName, 5: ""}
	for line, f := range want {
		if g, ok := got[line]; !ok || g != f {
			t.Errorf("line %d: got field %q (present %v), want %q; all: %+v", line, g, ok, f, res.Errors)
		}
	}
	// Line 5 repeats customer ID C0001 of line 2: reported although line 2 has an error of its own.
	for _, e := range res.Errors {
		if e.Line == 4 && !strings.Contains(e.JA, "数式") {
			t.Errorf("formula error not explained: %s", e.JA)
		}
	}
}

func TestParse_DuplicateRowsAreReported(t *testing.T) {
	in := "氏名,メールアドレス,電話番号\n山田 太郎,taro@example.jp,\n別人,TARO@example.jp,\n鈴木,,03-1111-2222\n鈴木2,,+81 3 1111 2222\n"
	res, _ := Parse(strings.NewReader(in), Options{})
	if res.ErrorCount != 2 || res.Errors[0].Line != 3 || res.Errors[1].Line != 5 || !strings.Contains(res.Errors[0].JA, "2行目と同じ") {
		t.Fatalf("errors %+v", res.Errors)
	}
}

func TestParse_FileLevelProblems(t *testing.T) {
	cases := map[string]struct {
		in   []byte
		opt  Options
		want string
	}{
		"wrong encoding":   {[]byte("\x8e\x81\x96\xbc,\xa0\x80\x80\n"), Options{}, "文字コード"},
		"utf-16":           {[]byte("\xff\xfeA\x00"), Options{}, "UTF-16"},
		"binary":           {[]byte("PK\x03\x04\x00\x00\x80"), Options{}, "CSV ファイルではない"},
		"empty":            {[]byte(" \n"), Options{}, "空"},
		"no header":        {[]byte("山田 太郎,taro@example.jp\n"), Options{}, "ヘッダー行がありません"},
		"no identifier":    {[]byte("住所,郵便番号\n東京都,100-0001\n"), Options{}, "本人を特定する列"},
		"header only":      {[]byte("氏名,メール\n"), Options{}, "データ行がありません"},
		"too many rows":    {[]byte("氏名\nA\nB\nC\n"), Options{MaxRows: 2}, "行数が上限"},
		"too many bytes":   {[]byte("氏名\nA\nB\nC\n"), Options{MaxBytes: 5}, "大きすぎます"},
		"duplicate header": {[]byte("氏名,名前\nA,B\n"), Options{}, "2つあります"},
		"bad quote":        {[]byte("氏名,メール\n\"A,a@b.jp\n"), Options{}, "CSV の形式"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := Parse(bytes.NewReader(c.in), c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK() || len(res.Rows) != 0 && name == "too many rows" {
				t.Fatalf("accepted: %+v", res)
			}
			if !strings.Contains(res.Errors[0].JA, c.want) {
				t.Errorf("message %q does not contain %q", res.Errors[0].JA, c.want)
			}
		})
	}
}

func TestParse_EnglishHeadersAndShortRows(t *testing.T) {
	in := "Full Name,E-Mail Address,ZIP,Customer No,Unknown Column\r\nJohn Smith,john@example.com\r\n,,,,\r\nJane,jane@example.com,1000001,X1,whatever\r\n"
	res, _ := Parse(strings.NewReader(in), Options{})
	if !res.OK() {
		t.Fatalf("%+v", res.Errors)
	}
	if len(res.Rows) != 2 || res.Rows[1].Line != 4 || res.Rows[1].CustomerID != "X1" || res.Rows[1].Postal != "100-0001" {
		t.Fatalf("%+v", res.Rows)
	}
	if len(res.Ignored) != 1 || res.Ignored[0] != "Unknown Column" {
		t.Errorf("ignored %v", res.Ignored)
	}
}

func TestParse_PhoneAndEmailRules(t *testing.T) {
	for _, c := range []struct {
		phone, email string
		ok           bool
	}{
		{"03-1234-5678", "a@b.jp", true},
		{"+81-90-1234-5678", "a.b+c@example.co.jp", true},
		{"1234", "", false},
		{"", "a@@b.jp", false},
		{"", "a@b", false},
		{"", "@a.jp", false},
		{"090-1234-5678-9", "", false},
	} {
		in := "氏名,電話番号,メールアドレス\nX," + c.phone + "," + c.email + "\n"
		res, _ := Parse(strings.NewReader(in), Options{})
		if res.OK() != c.ok {
			t.Errorf("%q %q: ok=%v errors=%+v", c.phone, c.email, res.OK(), res.Errors)
		}
	}
}

func TestParse_100kRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,顧客番号,漏えい項目\n")
	for i := range 100_000 {
		fmt.Fprintf(&b, "山田 太郎%d,ヤマダ タロウ,100-0001,東京都千代田区千代田1-%d,03-%04d-%04d,user%d@example.jp,C%07d,氏名、住所\n", i, i, i/10000, i%10000, i, i)
	}
	start := time.Now()
	res, err := Parse(strings.NewReader(b.String()), Options{})
	if err != nil || !res.OK() || len(res.Rows) != 100_000 {
		t.Fatalf("err %v, %d errors %+v, %d rows", err, res.ErrorCount, res.Errors[:min(3, len(res.Errors))], len(res.Rows))
	}
	t.Logf("parsed 100k rows (%d MB) in %v", b.Len()>>20, time.Since(start))
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("氏名,メールアドレス\n山田,a@b.jp\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		res, err := Parse(bytes.NewReader(in), Options{MaxRows: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if res.ErrorCount < len(res.Errors) {
			t.Fatal("ErrorCount below the list")
		}
		if !res.OK() {
			return
		}
		for _, r := range res.Rows {
			if r.Line < 2 {
				t.Fatalf("row line %d", r.Line)
			}
			for _, v := range []string{r.Name, r.Kana, r.Postal, r.Address, r.Phone, r.Email, r.CustomerID} {
				if Formula(v) && !strings.HasPrefix(v, "+") {
					t.Fatalf("formula cell accepted: %q", v)
				}
			}
			if r.Postal != "" && !postalRe.MatchString(r.Postal) {
				t.Fatalf("postal %q", r.Postal)
			}
			if r.Email != "" && !emailRe.MatchString(r.Email) {
				t.Fatalf("email %q", r.Email)
			}
		}
	})
}

// What was typed is what is kept (issue 12): ① and ㈱ and full-width digits stay, while the
// duplicate check still compares the normalised forms.
func TestParse_KeepsWhatWasTyped(t *testing.T) {
	csv := "氏名,住所,漏えい項目\n森 ①子,みなとみらい2-2-1 ㈱ビル３階,氏名、ＩＤ番号\n森 1子,みなとみらい2-2-1 (株)ビル3階,氏名\n"
	res, err := Parse(strings.NewReader(csv), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.ErrorCount != 1 {
		t.Fatalf("rows %+v errors %+v: want the second row reported as a duplicate of the first", res.Rows, res.Errors)
	}
	r := res.Rows[0]
	if r.Name != "森 ①子" || r.Address != "みなとみらい2-2-1 ㈱ビル３階" || strings.Join(r.DataItems, "|") != "氏名|ＩＤ番号" {
		t.Errorf("row %+v: the typed text was rewritten", r)
	}
	row, errs := ValidateFields(map[Field]string{FieldName: "  森 ①子　", FieldEmail: "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", FieldPostal: "１０００００１"})
	if len(errs) != 0 || row.Name != "森 ①子" || row.Email != "taro@example.jp" || row.Postal != "100-0001" {
		t.Errorf("form %+v %+v", row, errs)
	}
}
