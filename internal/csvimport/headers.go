package csvimport

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Field is a column the register knows.
type Field string

// The fields of an affected person that a CSV can carry.
const (
	FieldName       Field = "name"
	FieldKana       Field = "kana"
	FieldPostal     Field = "postal_code"
	FieldAddress    Field = "address"
	FieldPhone      Field = "phone"
	FieldEmail      Field = "email"
	FieldCustomerID Field = "customer_id"
	FieldDataItems  Field = "data_items"
)

// Label returns the field's name in Japanese and English, for messages.
func (f Field) Label() (ja, en string) {
	switch f {
	case FieldName:
		return "氏名", "name"
	case FieldKana:
		return "フリガナ", "kana"
	case FieldPostal:
		return "郵便番号", "postal code"
	case FieldAddress:
		return "住所", "address"
	case FieldPhone:
		return "電話番号", "phone"
	case FieldEmail:
		return "メールアドレス", "e-mail"
	case FieldCustomerID:
		return "顧客番号", "customer ID"
	case FieldDataItems:
		return "漏えい項目", "data items"
	}
	return string(f), string(f)
}

// headerAliases maps a normalised header (see headerKey) to its field. Variants seen in exports
// from Japanese office software and spreadsheets, in Japanese and English.
var headerAliases = map[string]Field{}

func init() {
	add := func(f Field, names ...string) {
		for _, n := range names {
			headerAliases[headerKey(n)] = f
		}
	}
	add(FieldName, "氏名", "名前", "お名前", "氏名(漢字)", "漢字氏名", "氏名漢字", "顧客名", "会員名", "お客様名", "宛名", "name", "full name", "fullname", "customer name")
	add(FieldKana, "フリガナ", "ふりがな", "カナ", "かな", "氏名カナ", "カナ氏名", "氏名(カナ)", "氏名(フリガナ)", "フリガナ氏名", "氏名フリガナ", "よみがな", "kana", "furigana", "name kana", "name (kana)")
	add(FieldPostal, "郵便番号", "〒", "郵便", "zip", "zip code", "zipcode", "postal code", "postcode", "post code", "postal")
	add(FieldAddress, "住所", "ご住所", "所在地", "住所1", "住所(全体)", "送付先住所", "address", "address1", "postal address")
	add(FieldPhone, "電話番号", "電話", "tel", "telephone", "phone", "phone number", "携帯電話", "携帯電話番号", "携帯番号", "連絡先", "連絡先電話番号", "電話番号1")
	add(FieldEmail, "メールアドレス", "メール", "eメール", "eメールアドレス", "mail", "email", "e-mail", "mail address", "email address", "e-mail address", "アドレス")
	add(FieldCustomerID, "顧客番号", "会員番号", "顧客id", "会員id", "顧客コード", "会員コード", "お客様番号", "customer id", "customer no", "customer number", "member id", "member no", "member number", "id")
	add(FieldDataItems, "漏えい項目", "漏洩項目", "漏えいした項目", "漏洩した項目", "流出項目", "漏えい情報", "漏えいデータ項目", "data items", "leaked items", "leaked data", "exposed items", "items")
}

// headerKey normalises a header for lookup: NFKC (full-width → ASCII, half-width kana → full),
// lower case, without spaces, underscores, hyphens, dots, 「※」, 「*」 (a "required" mark) or
// a trailing "(必須)".
func headerKey(h string) string {
	s := strings.ToLower(norm.NFKC.String(h))
	s = strings.TrimSuffix(strings.TrimSpace(s), "(必須)")
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '.' || r == '※' || r == '*' || r == '\ufeff' || r == '・' {
			return -1
		}
		return r
	}, s)
}

// lookupHeader returns the field for a header cell.
func lookupHeader(h string) (Field, bool) {
	f, ok := headerAliases[headerKey(h)]
	return f, ok
}
