// Package documents generates the case's outgoing documents from its facts and the law engine's
// assessment — the Commission report (速報・確報, 施行規則8条1項 items 1–9), the notice to
// individuals (施行規則10条), the public announcement and the warning letter laid out for
// 内容証明郵便 — keeps drafts editable, and freezes finalised versions with their SHA-256.
//
// Personal data of affected people never enters a document: structured facts (dates, categories,
// counts, labels) are filled in; free-text parts start from the facts written for reporting
// (root_cause, secondary_damage_description, recurrence_plan_summary, report_other_info) and are
// edited by staff; the notice carries placeholders (《氏名》) for the register's per-person merge.
package documents

import (
	"fmt"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// Kind names a document type (the {kind} of the URL).
type Kind string

// Document kinds.
const (
	ReportPrelim  Kind = "report_prelim"  // 個人情報保護委員会への報告（速報）
	ReportFinal   Kind = "report_final"   // 同（確報）
	Notice        Kind = "notice"         // 本人への通知
	Announcement  Kind = "announcement"   // 公表文
	WarningLetter Kind = "warning_letter" // 警告書（内容証明郵便）
)

// Kinds lists the kinds in display order.
var Kinds = []Kind{ReportPrelim, ReportFinal, Notice, Announcement, WarningLetter}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Label returns the Japanese and English names.
func (k Kind) Label() (string, string) {
	switch k {
	case ReportPrelim:
		return "個人情報保護委員会への報告（速報）", "Report to the PPC (preliminary)"
	case ReportFinal:
		return "個人情報保護委員会への報告（確報）", "Report to the PPC (final)"
	case Notice:
		return "本人への通知", "Notice to individuals"
	case Announcement:
		return "公表文", "Public announcement"
	case WarningLetter:
		return "警告書（内容証明郵便）", "Warning letter (certified-content mail)"
	}
	return string(k), string(k)
}

// Unknown is written where a report item is not known yet (GL 3-5-3-4: file what is known, add the
// rest later).
const Unknown = "未確定（判明次第追完）"

// Field is one labelled value of a section.
type Field struct {
	Label   string `json:"label"`
	Value   string `json:"value"`
	Unknown bool   `json:"unknown,omitempty"`
}

// Section is one heading of a document. Editable sections take their Text from the draft's edits
// when present, otherwise from the default generated here.
type Section struct {
	Key      string  `json:"key"`
	Heading  string  `json:"heading"`
	Fields   []Field `json:"fields,omitempty"`
	Text     string  `json:"text,omitempty"`
	Editable bool    `json:"editable,omitempty"`
	Hint     string  `json:"hint,omitempty"`
}

// Letter is the 内容証明 layout: at most LetterCols characters per line and LetterRows lines per
// page (郵便法施行規則 / 日本郵便: 縦書き・横書きとも1行26字以内・1枚20行以内).
type Letter struct {
	Recipient []string   `json:"recipient"`
	Sender    []string   `json:"sender"`
	Pages     [][]string `json:"pages"`
}

// Letter limits of 内容証明郵便.
const (
	LetterCols = 26
	LetterRows = 20
)

// Doc is a generated document, as shown and as frozen when finalised.
type Doc struct {
	Kind     Kind      `json:"kind"`
	Title    string    `json:"title"`
	CaseID   int64     `json:"case_id"`
	Number   string    `json:"case_number"`
	Date     string    `json:"date"` // 令和8年11月23日 (2026年11月23日)
	Sections []Section `json:"sections"`
	Letter   *Letter   `json:"letter,omitempty"`
	Drill    bool      `json:"drill,omitempty"`
}

// Editables returns the editable sections' keys with their current text.
func (d Doc) Editables() []Section {
	var out []Section
	for _, s := range d.Sections {
		if s.Editable {
			out = append(out, s)
		}
	}
	return out
}

// Wareki formats a JST date as 和暦 then 西暦: "令和8年11月23日 (2026年11月23日)".
func Wareki(t time.Time) string {
	t = t.In(appi.JST)
	y, m, d := t.Date()
	era, ey := "", 0
	switch {
	case !t.Before(time.Date(2019, 5, 1, 0, 0, 0, 0, appi.JST)):
		era, ey = "令和", y-2018
	case !t.Before(time.Date(1989, 1, 8, 0, 0, 0, 0, appi.JST)):
		era, ey = "平成", y-1988
	default:
		return fmt.Sprintf("%d年%d月%d日", y, int(m), d)
	}
	ys := fmt.Sprintf("%d", ey)
	if ey == 1 {
		ys = "元"
	}
	return fmt.Sprintf("%s%s年%d月%d日 (%d年%d月%d日)", era, ys, int(m), d, y, int(m), d)
}

// Input is what a document is generated from.
type Input struct {
	Case  *incident.Case
	Law   appi.Assessment
	Edits map[string]string
	Now   time.Time
	// Company is the reporting company's block (name, address, representative, contact), one item
	// per line, from LEAKDESK_COMPANY. It pre-fills the reporter of a Commission report and the
	// sender of a warning letter, which the Commission and 内容証明 want as the company, not a person.
	Company string
}

// Generate builds the document of kind k. It never fails: missing facts become Unknown.
func Generate(k Kind, in Input) Doc {
	f := facts{in.Case.Facts}
	d := Doc{Kind: k, CaseID: in.Case.ID, Number: in.Case.Number, Date: Wareki(in.Now), Drill: in.Case.Drill}
	d.Title, _ = k.Label()
	switch k {
	case ReportPrelim, ReportFinal:
		d.Sections = reportSections(k, f, in.Law)
	case Notice:
		d.Title = "個人情報の漏えい等に関するお知らせとお詫び"
		d.Sections = noticeSections(f)
	case Announcement:
		d.Title = "個人情報の漏えい等に関するお詫びとお知らせ"
		d.Sections = announcementSections(f)
	case WarningLetter:
		d.Title = "通知書（警告）"
		d.Sections = letterSections(f)
	}
	for i := range d.Sections {
		s := &d.Sections[i]
		if !s.Editable {
			continue
		}
		if (s.Key == "reporter" || s.Key == "sender") && s.Text == "" {
			s.Text = strings.TrimSpace(in.Company)
		}
		// The case's incident-type template gives the starting text of a section the facts leave empty.
		if strings.TrimSpace(s.Text) == "" {
			s.Text = in.Case.TemplateText(string(k), s.Key)
		}
		if v, ok := in.Edits[s.Key]; ok {
			s.Text = v
		}
		if strings.TrimSpace(s.Text) == "" && k != WarningLetter {
			s.Text = Unknown
		}
	}
	if k == WarningLetter {
		d.Letter = layoutLetter(d.Sections, d.Date)
	}
	return d
}

// facts reads case facts for display.
type facts struct{ m incident.Facts }

func (f facts) str(k string) string { s, _ := f.m[k].(string); return strings.TrimSpace(s) }

func (f facts) label(k string) string {
	v := f.str(k)
	if v == "" {
		return ""
	}
	ja, _ := incident.OptionLabel(k, v)
	return ja
}

func (f facts) labels(k string) string {
	var out []string
	switch xs := f.m[k].(type) {
	case []string:
		for _, x := range xs {
			ja, _ := incident.OptionLabel(k, x)
			out = append(out, ja)
		}
	case []any:
		for _, x := range xs {
			s, _ := x.(string)
			ja, _ := incident.OptionLabel(k, s)
			out = append(out, ja)
		}
	}
	return strings.Join(out, "、")
}

func (f facts) num(k string) (int64, bool) {
	switch v := f.m[k].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		return int64(v), true
	case interface{ Int64() (int64, error) }:
		n, err := v.Int64()
		return n, err == nil
	}
	return 0, false
}

func (f facts) boolean(k string) (bool, bool) { b, ok := f.m[k].(bool); return b, ok }

func (f facts) when(k string) string {
	s := f.str(k)
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.In(appi.JST).Format("2006年1月2日 15時04分")
}

func (f facts) day(k string) string {
	s := f.str(k)
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.In(appi.JST).Format("2006年1月2日")
}

func fld(label, value string) Field {
	if strings.TrimSpace(value) == "" {
		return Field{Label: label, Value: Unknown, Unknown: true}
	}
	return Field{Label: label, Value: value}
}

var categoryJA = map[string]string{
	appi.CatSensitive:  "要配慮個人情報（規則7条1号）",
	appi.CatFinancial:  "財産的被害が生じるおそれ（規則7条2号）",
	appi.CatWrongful:   "不正の目的をもって行われたおそれ（規則7条3号）",
	appi.CatOver1000:   "1,000人を超える（規則7条4号）",
	appi.CatMNSystem:   "情報システムで管理される特定個人情報（番号法報告規則2条1号）",
	appi.CatMNWrongful: "不正の目的（番号法報告規則2条2号）",
	appi.CatMNPublic:   "不特定多数の者に閲覧（番号法報告規則2条3号）",
	appi.CatMNOver100:  "100人を超える（番号法報告規則2条4号）",
}

// CategoryLabel returns the Japanese label of a category code.
func CategoryLabel(code string) string {
	if s, ok := categoryJA[code]; ok {
		return s
	}
	return code
}

func (f facts) count() string {
	n, ok := f.num("affected_count")
	up, okU := f.num("affected_count_upper_bound")
	if !ok && !okU {
		if m, ok := f.num("estimated_count_max"); ok {
			return fmt.Sprintf("最大%d人（推定。確定次第追完）", m)
		}
		return ""
	}
	s := ""
	if ok {
		s = fmt.Sprintf("%d人", n)
	}
	if okU && (!ok || up > n) {
		if s != "" {
			s += "（"
		}
		s += fmt.Sprintf("最大%d人の可能性", up)
		if ok {
			s += "）"
		}
	}
	if c, ok := f.boolean("affected_count_confirmed"); ok && !c {
		s += "（未確定）"
	}
	return s
}

func (f facts) chronology() string {
	var lines []string
	for _, e := range []struct{ key, what string }{
		{"occurred_at", "事案の発生"},
		{"recognized_at", "社内で認知"},
		{"reported_to_soumu_at", "総務部へ報告"},
		{"containment_ordered_at", "応急措置を指示"},
		{"network_isolated_at", "ネットワークから遮断"},
		{"vulnerability_closed_at", "脆弱性を解消"},
		{"exposure_ended_at", "流出・公開状態が終了"},
		{"police_filed_at", "警察へ届出"},
		{"prelim_submitted_at", "個人情報保護委員会へ速報"},
		{"notice_started_at", "本人への通知を開始"},
		{"published_at", "公表"},
	} {
		if w := f.when(e.key); w != "" {
			lines = append(lines, w+"　"+e.what)
		}
	}
	return strings.Join(lines, "\n")
}

func reportSections(k Kind, f facts, a appi.Assessment) []Section {
	kindLabel := "速報（施行規則8条1項）"
	if k == ReportFinal {
		kindLabel = "確報（施行規則8条2項）"
	}
	var cats []string
	for _, c := range a.APPI.Categories {
		cats = append(cats, CategoryLabel(c))
	}
	for _, c := range a.MyNumber.Categories {
		cats = append(cats, CategoryLabel(c))
	}
	mn := f.str("involves_my_number")
	mnJA := map[string]string{"yes": "含む", "no": "含まない", "unknown": "不明（含むものとして報告: 委員会の案内による）"}[mn]
	dest := f.label("report_destination")
	if m := f.str("ministry_name"); m != "" {
		dest += "（" + m + "）"
	}
	entrust := ""
	if b, _ := f.boolean("is_entrustee"); b {
		entrust = "委託元: " + or(f.str("entrustor_name"), "あり（名称未記録）")
	}
	if b, _ := f.boolean("has_contractor"); b {
		if entrust != "" {
			entrust += "／"
		}
		entrust += "委託先: " + or(f.str("contractor_name"), "あり（名称未記録）")
	}
	if entrust == "" {
		if _, ok := f.boolean("is_entrustee"); ok {
			entrust = "なし"
		}
	}
	overview := strings.Trim(strings.Join([]string{f.label("route"), f.labels("event_types")}, "／"), "／")
	if overview == "" {
		overview = f.label("suspected_route")
	}
	secondary := f.label("secondary_damage_exists")
	if secondary == "" {
		secondary = map[string]string{"yes": "あり", "no": "なし", "unknown": "不明"}[f.str("secondary_damage_exists")]
	}
	notice := []Field{
		fld("通知の方針", f.label("notice_decision")),
		fld("通知の方法", f.labels("notice_method")),
		fld("通知開始", f.when("notice_started_at")),
		fld("通知完了", f.when("notice_completed_at")),
	}
	if n, ok := f.num("notified_count"); ok {
		notice = append(notice, fld("通知済み人数", fmt.Sprintf("%d人", n)))
	}
	pub := "未実施"
	if b, ok := f.boolean("publication_done"); ok && b {
		pub = "実施済み"
	} else if !ok {
		pub = ""
	}
	return []Section{
		{Key: "header", Heading: "報告の区分・報告者", Fields: []Field{
			fld("報告の区分", kindLabel),
			fld("報告先", dest),
			fld("特定個人情報（マイナンバー）", mnJA),
			fld("速報の受付番号", f.str("prelim_receipt_no")),
		}},
		{Key: "reporter", Heading: "報告者（法人名・所在地・代表者・連絡先）", Editable: true,
			Hint: "報告者欄は担当者個人ではなく会社名を記載します（委員会の報告フォームの案内）。"},
		{Key: "item1", Heading: "1. 概要", Fields: []Field{
			fld("発生日", f.day("occurred_at")),
			fld("発覚日", f.day("recognized_at")),
			fld("発生事案", overview),
			fld("発見者（発覚の経緯）", f.label("discovery_source")),
			fld("規則7条各号の該当性", strings.Join(cats, "、")),
			fld("委託元及び委託先の有無", entrust),
		}},
		{Key: "item1_description", Heading: "1. 概要（発生事案の内容・事実経過）", Editable: true, Text: f.chronology(),
			Hint: "事案の内容と事実経過。影響を受けた本人の氏名等は記載しないでください。"},
		{Key: "item2", Heading: "2. 漏えい等が発生し、又は発生したおそれがある個人データの項目", Fields: []Field{
			fld("個人データの項目", f.labels("data_items")),
			fld("媒体", f.label("medium")),
			fld("本人の種別", f.labels("data_subject_types")),
		}},
		{Key: "item3", Heading: "3. 漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数", Fields: []Field{
			fld("本人の数", f.count()),
		}},
		{Key: "item4", Heading: "4. 原因", Fields: []Field{
			fld("原因の分類", f.label("cause_category")),
			fld("原因となった主体", f.label("cause_actor")),
		}},
		{Key: "item4_text", Heading: "4. 原因（詳細）", Editable: true, Text: f.str("root_cause")},
		{Key: "item5", Heading: "5. 二次被害又はそのおそれの有無及びその内容", Fields: []Field{
			fld("二次被害又はそのおそれ", secondary),
		}},
		{Key: "item5_text", Heading: "5. 二次被害の内容", Editable: true, Text: f.str("secondary_damage_description")},
		{Key: "item6", Heading: "6. 本人への対応の実施状況", Fields: notice},
		{Key: "item7", Heading: "7. 公表の実施状況", Fields: []Field{
			fld("公表", pub),
			fld("公表日時", f.when("published_at")),
			fld("公表の方法", f.labels("publication_channels")),
		}},
		{Key: "item8", Heading: "8. 再発防止のための措置", Editable: true, Text: f.str("recurrence_plan_summary"),
			Hint: "実施済みの措置と今後実施予定の措置を分けて記載します。"},
		{Key: "item9", Heading: "9. その他参考となる事項", Editable: true, Text: f.str("report_other_info")},
	}
}

const defaultApology = "このたび、当社が管理する個人情報の漏えい等が発生し、お客様に多大なご迷惑とご心配をおかけしておりますことを、深くお詫び申し上げます。"

const defaultAdvice = "身に覚えのない電話・メール・郵便物にはご注意ください。当社から暗証番号やパスワードをお尋ねすることはありません。クレジットカード番号が含まれる場合は、ご利用明細をご確認ください。"

func noticeSections(f facts) []Section {
	return []Section{
		{Key: "addressee", Heading: "宛名", Fields: []Field{{Label: "宛名", Value: "《氏名》様"}, {Label: "ご住所", Value: "《住所》"}}},
		{Key: "apology", Heading: "お詫び", Editable: true, Text: defaultApology},
		{Key: "overview", Heading: "1. 概要", Editable: true,
			Text: strings.TrimSpace(strings.Join([]string{f.day("occurred_at") + "頃", f.label("route")}, " ")),
			Hint: "本人に分かる言葉で、簡潔に記載します（施行規則10条・GL 3-5-4-3）。"},
		{Key: "items", Heading: "2. 漏えい等が発生し、又は発生したおそれがあるお客様の情報の項目", Fields: []Field{
			{Label: "お客様の情報", Value: "《本人ごとの項目》"},
		}, Text: "（本人ごとに、その方の情報の項目のみを記載します。）"},
		{Key: "facts", Heading: "判明している事実", Editable: true,
			Hint: "確認できた事実だけを書きます（可能性は次の欄に分けて記載します）。"},
		{Key: "possibilities", Heading: "現時点で考えられる可能性", Editable: true,
			Hint: "調査中の事項や、起きた可能性があることは、事実と分けてここに記載します。"},
		{Key: "cause", Heading: "4. 原因", Editable: true, Text: f.str("root_cause")},
		{Key: "secondary", Heading: "5. 二次被害又はそのおそれの有無及びその内容", Editable: true, Text: f.str("secondary_damage_description")},
		{Key: "advice", Heading: "9. その他（お客様にお願いしたいこと）", Editable: true, Text: defaultAdvice},
		{Key: "prevention", Heading: "再発防止策", Editable: true, Text: f.str("recurrence_plan_summary")},
		{Key: "compensation", Heading: "補償について", Editable: true},
		{Key: "desk", Heading: "お問い合わせ窓口", Editable: true, Text: or(f.str("inquiry_desk_owner_dept"), "")},
	}
}

func announcementSections(f facts) []Section {
	return []Section{
		{Key: "apology", Heading: "お詫び", Editable: true, Text: defaultApology},
		{Key: "overview", Heading: "1. 概要", Editable: true, Text: f.chronology()},
		{Key: "items", Heading: "2. 漏えい等が発生し、又は発生したおそれがある個人情報の項目", Fields: []Field{
			fld("情報の項目", f.labels("data_items")),
			fld("対象となる方", f.labels("data_subject_types")),
			fld("人数", f.count()),
		}},
		{Key: "facts", Heading: "判明している事実", Editable: true},
		{Key: "possibilities", Heading: "現時点で考えられる可能性", Editable: true},
		{Key: "cause", Heading: "3. 原因", Editable: true, Text: f.str("root_cause")},
		{Key: "secondary", Heading: "4. 二次被害又はそのおそれ", Editable: true, Text: f.str("secondary_damage_description")},
		{Key: "response", Heading: "5. 当社の対応", Editable: true},
		{Key: "prevention", Heading: "6. 再発防止策", Editable: true, Text: f.str("recurrence_plan_summary")},
		{Key: "desk", Heading: "お問い合わせ窓口", Editable: true, Text: f.str("inquiry_desk_owner_dept")},
	}
}

const defaultWarning = "当社が保有する個人データが、当社の許諾なく貴殿（貴社）の管理下にあることが判明しました。当該データの利用を直ちに停止し、本書到達後七日以内に、複製を含む全てのデータを当社に返還又は消去し、その旨を書面で回答するよう求めます。期限内に誠意ある対応がない場合は、差止請求その他の法的措置をとります。"

func letterSections(f facts) []Section {
	return []Section{
		{Key: "recipient", Heading: "受取人（住所・氏名又は名称）", Editable: true,
			Text: strings.TrimSpace(f.str("destination_where") + "\n" + f.str("destination_who")),
			Hint: "流出先の住所と氏名（名称）。影響を受けた本人の情報は記載しません。"},
		{Key: "sender", Heading: "差出人（住所・会社名・代表者）", Editable: true},
		{Key: "body", Heading: "本文", Editable: true, Text: defaultWarning,
			Hint: "内容証明郵便: 1行26字以内・1枚20行以内で自動的に改行・改ページします。"},
	}
}

// layoutLetter wraps the body into lines of at most LetterCols characters (every character,
// punctuation included, counts as one, as 日本郵便 counts them) and pages of LetterRows lines; the
// date and sender close the last page.
func layoutLetter(secs []Section, date string) *Letter {
	var recipient, sender, body string
	for _, s := range secs {
		switch s.Key {
		case "recipient":
			recipient = s.Text
		case "sender":
			sender = s.Text
		case "body":
			body = s.Text
		}
	}
	lines := []string{"通知書"}
	lines = append(lines, "")
	lines = append(lines, wrap(body, LetterCols)...)
	lines = append(lines, "")
	lines = append(lines, wrap(date, LetterCols)...)
	lines = append(lines, wrap(sender, LetterCols)...)
	var pages [][]string
	for len(lines) > 0 {
		n := min(LetterRows, len(lines))
		pages = append(pages, lines[:n])
		lines = lines[n:]
	}
	return &Letter{Recipient: nonEmptyLines(recipient), Sender: nonEmptyLines(sender), Pages: pages}
}

func wrap(text string, cols int) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		r := []rune(strings.TrimRight(para, " 　"))
		if len(r) == 0 {
			continue
		}
		for len(r) > cols {
			out = append(out, string(r[:cols]))
			r = r[cols:]
		}
		out = append(out, string(r))
	}
	return out
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// SectionKeys returns, per document kind, the keys of the sections a user edits: the ones an
// incident-type template may give starting text (rules.Vocabulary.Sections).
func SectionKeys() map[string][]string {
	out := map[string][]string{}
	for _, k := range Kinds {
		for _, s := range Generate(k, Input{Case: &incident.Case{}}).Sections {
			if s.Editable {
				out[string(k)] = append(out[string(k)], s.Key)
			}
		}
	}
	return out
}
