package incident

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Records are the repeatable entries a stage's regulation asks for beyond
// its single-valued facts: every monitoring search, every inquiry, every
// recurrence measure with its owner, every discipline decision. They are
// part of the case aggregate, so they share its hash-chained history,
// replay and optimistic concurrency: AddRecord / UpdateRecord /
// WithdrawRecord produce record_added / record_updated / record_withdrawn
// events. A record is never deleted; a withdrawn record stays in the
// history with its reason and no longer counts for exit criteria.
//
// The kinds are one declarative table (recordKinds), like the fact table:
// kind → stage, fields (reusing Field and its normalisation), required
// fields, visibility and the regulation articles it implements.

// RecordKind names one kind of record. Its string is the API name.
type RecordKind string

// Record kinds.
const (
	RecFirstMeasure      RecordKind = "first_measure"      // containment: network isolation and other first measures
	RecLeakDestination   RecordKind = "leak_destination"   // containment: who has the data, how identified
	RecMonitoring        RecordKind = "monitoring_entry"   // containment: one monitoring search
	RecReturnRequest     RecordKind = "return_request"     // containment: return or deletion request
	RecWarningLetter     RecordKind = "warning_letter"     // containment: warning by certified-content mail
	RecInjunction        RecordKind = "injunction"         // containment: injunction suit
	RecPoliceFiling      RecordKind = "police_filing"      // police: 被害届・紛失届 etc.
	RecPoliceCooperation RecordKind = "police_cooperation" // police: request and materials provided
	RecInquiryChannel    RecordKind = "inquiry_channel"    // customer notice: the dedicated contact channel
	RecInquiry           RecordKind = "inquiry"            // customer notice: one inquiry
	RecMoneyClaim        RecordKind = "money_claim"        // customer notice: a money claim and its decision
	RecMeasure           RecordKind = "recurrence_measure" // recurrence prevention: one measure
	RecDiscipline        RecordKind = "discipline_decision"
	RecCriminalComplaint RecordKind = "criminal_complaint"
)

// RecordKindDef is one row of the record-kind table.
type RecordKindDef struct {
	Kind    RecordKind `json:"kind"`
	Stage   Stage      `json:"stage"`
	LabelJA string     `json:"label_ja"`
	LabelEN string     `json:"label_en"`
	// Cite is the article reference shown with the list, as the checklist does.
	Cite   string  `json:"cite"`
	Fields []Field `json:"fields"`
	// Required fields must be present when the record is added and may not
	// be cleared later.
	Required []string `json:"required"`
	// Restricted kinds (discipline) are seen only by CanSeeRestricted actors
	// who are not involved in the case, like restricted facts.
	Restricted bool `json:"restricted,omitempty"`
	// Check is a cross-field rule on the normalised values, run on add and
	// on update (after the merge).
	Check func(v Facts) []FieldError `json:"-"`
}

// rf builds a record field: the same Field type as facts, so the same
// normalisation (kinds, options, max lengths, JST dates) applies.
func rf(name string, kind FieldKind, ja, en string) Field {
	return Field{Name: name, Kind: kind, LabelJA: ja, LabelEN: en}
}

var (
	searchedWhereOptions = opts(
		"web", "Web検索", "Web search",
		"dark_web_service", "ダークウェブ監視サービス", "Dark-web monitoring service",
		"marketplace", "オークション・フリマ等の市場", "Marketplace",
		"sns", "SNS・掲示板", "SNS or forums",
		"other", "その他", "Other")
	measureStatusOptions = opts(
		"planned", "計画", "Planned",
		"in_progress", "実施中", "In progress",
		"done", "完了", "Done",
		"verified", "効果確認済み", "Verified")
)

var recordKinds = []RecordKindDef{
	{
		Kind: RecFirstMeasure, Stage: StageContainment, LabelJA: "応急措置（ネットワーク遮断等）", LabelEN: "First measures (network isolation etc.)",
		Cite: "規程003 第5条",
		Fields: []Field{
			rf("measure", KindEnum, "措置", "Measure").opts(opts(
				"network_isolation", "ネットワークからの遮断（LANケーブルを抜く等）", "Network isolation",
				"credentials_reset", "パスワード・認証情報の変更", "Credentials reset",
				"account_suspended", "アカウントの停止", "Account suspended",
				"vulnerability_closed", "脆弱性の修正", "Vulnerability closed",
				"service_stopped", "サービス・機能の停止", "Service stopped",
				"content_removed", "公開状態の解消・掲載の削除", "Exposure removed",
				"other", "その他", "Other")),
			rf("executed_at", KindDateTime, "実施日時", "Executed at").past(),
			rf("executed_by", KindText, "実施者", "Executed by"),
			rf("description", KindLongText, "内容", "Description"),
		},
		Required: []string{"measure", "executed_at"},
	},
	{
		Kind: RecLeakDestination, Stage: StageContainment, LabelJA: "流出先", LabelEN: "Leak destination",
		Cite: "規程000 第5条",
		Fields: []Field{
			rf("who", KindText, "流出先（誰・どこ）", "Who or where"),
			rf("identified_how", KindEnum, "特定の方法", "How identified").opts(opts(
				"own_investigation", "社内調査", "Own investigation",
				"it_specialist", "IT専門家", "IT specialist",
				"outside_vendor", "外部業者", "Outside vendor",
				"police", "警察からの情報", "Police",
				"report_from_third_party", "第三者からの通報", "Report from a third party",
				"other", "その他", "Other")),
			rf("identified_at", KindDateTime, "特定日時", "Identified at"),
			rf("note", KindLongText, "経緯・備考", "Notes"),
		},
		Required: []string{"who", "identified_how"},
	},
	{
		Kind: RecMonitoring, Stage: StageContainment, LabelJA: "監視記録", LabelEN: "Monitoring log",
		Cite: "規程000 第6条",
		Fields: []Field{
			rf("date", KindDate, "実施日", "Date"),
			rf("searched_where", KindEnum, "監視した場所", "Where searched").opts(searchedWhereOptions),
			rf("query", KindText, "検索語・対象", "Search terms or target"),
			rf("result", KindEnum, "結果", "Result").opts(opts(
				"nothing_found", "発見なし", "Nothing found",
				"found", "掲載・売買等を発見", "Found")),
			rf("details", KindLongText, "詳細・対応", "Details and action"),
		},
		Required: []string{"date", "searched_where", "result"},
		Check: func(v Facts) []FieldError {
			if v.Str("result") == "found" && !v.has("details") {
				return []FieldError{{Field: "details", JA: "発見した場合は詳細と対応を入力してください。", EN: "describe what was found and what was done"}}
			}
			return nil
		},
	},
	{
		Kind: RecReturnRequest, Stage: StageContainment, LabelJA: "返還・削除請求", LabelEN: "Return or deletion request",
		Cite: "規程000 第7条",
		Fields: []Field{
			rf("sent_at", KindDate, "請求日", "Sent on"),
			rf("recipient", KindText, "相手方", "Recipient"),
			rf("request", KindEnum, "請求の内容", "Request").opts(opts(
				"return", "返還", "Return",
				"deletion", "削除", "Deletion",
				"return_and_deletion", "返還及び削除", "Return and deletion")),
			rf("outcome", KindEnum, "結果", "Outcome").opts(opts(
				"waiting", "回答待ち", "Waiting",
				"complied", "応じた（削除確認済み）", "Complied",
				"refused", "拒否", "Refused",
				"no_answer", "回答なし", "No answer")),
			rf("response", KindLongText, "回答の内容", "Response"),
		},
		Required: []string{"sent_at", "recipient", "request"},
	},
	{
		Kind: RecWarningLetter, Stage: StageContainment, LabelJA: "警告（内容証明郵便）", LabelEN: "Warning by certified-content mail",
		Cite: "規程000 第8条",
		Fields: []Field{
			rf("sent_at", KindDate, "発送日", "Sent on"),
			rf("recipient", KindText, "宛先", "Recipient"),
			rf("delivery_proof", KindText, "配達証明（番号・保管場所）", "Delivery proof (number or file)"),
			rf("delivered_at", KindDate, "到達日", "Delivered on"),
			rf("response", KindLongText, "回答", "Response"),
		},
		Required: []string{"sent_at", "recipient"},
	},
	{
		Kind: RecInjunction, Stage: StageContainment, LabelJA: "差止め訴訟", LabelEN: "Injunction suit",
		Cite: "規程000 第9条",
		Fields: []Field{
			rf("court", KindText, "裁判所", "Court"),
			rf("filed_at", KindDate, "提起日", "Filed on"),
			rf("case_no", KindText, "事件番号", "Case number"),
			rf("status", KindEnum, "状況", "Status").opts(opts(
				"preparing", "準備中", "Preparing",
				"pending", "係属中", "Pending",
				"granted", "認容", "Granted",
				"dismissed", "棄却・却下", "Dismissed",
				"settled", "和解", "Settled",
				"withdrawn", "取下げ", "Withdrawn")),
			rf("counsel", KindText, "代理人弁護士", "Counsel"),
		},
		Required: []string{"court", "status"},
		Check: func(v Facts) []FieldError {
			if v.Str("status") != "preparing" && !(v.has("filed_at") && v.has("case_no")) {
				return []FieldError{{Field: "case_no", JA: "提起後は提起日と事件番号を入力してください。", EN: "a filed suit needs its filing date and case number"}}
			}
			return nil
		},
	},
	{
		Kind: RecPoliceFiling, Stage: StagePoliceReport, LabelJA: "警察への届出", LabelEN: "Police filing",
		Cite: "規程000 第3条、規程003 第7条(4)",
		Fields: []Field{
			rf("action", KindEnum, "届出の種類", "Kind").opts(opts(
				"damage_report", "被害届", "Damage report",
				"lost_property_report", "遺失届・紛失届", "Lost-property report",
				"theft_report", "盗難届", "Theft report",
				"consultation", "相談", "Consultation")),
			rf("station", KindText, "警察署", "Police station"),
			rf("filed_at", KindDateTime, "届出日時", "Filed at").past(),
			rf("receipt_no", KindText, "受理番号", "Receipt number"),
			rf("officer", KindText, "担当警察官", "Officer"),
		},
		Required: []string{"action", "station", "filed_at"},
	},
	{
		Kind: RecPoliceCooperation, Stage: StagePoliceReport, LabelJA: "捜査協力（依頼と提供資料）", LabelEN: "Cooperation with the police",
		Cite: "規程000 第4条",
		Fields: []Field{
			rf("date", KindDate, "日付", "Date"),
			rf("request", KindLongText, "警察からの依頼", "Request"),
			rf("materials", KindLongText, "提供した資料・対応", "Materials provided"),
			rf("approved_by", KindText, "提供を承認した者", "Approved by"),
		},
		Required: []string{"date", "request"},
	},
	{
		Kind: RecInquiryChannel, Stage: StageCustomerNotice, LabelJA: "専用の問い合わせ窓口", LabelEN: "Dedicated contact channel",
		Cite: "規程000 第12条",
		Fields: []Field{
			rf("channel", KindEnum, "種類", "Channel").opts(opts(
				"dedicated_phone", "専用電話", "Dedicated phone line",
				"email", "専用メールアドレス", "Dedicated email",
				"web_form", "Webフォーム", "Web form",
				"counter", "窓口（総務課）", "Counter")),
			rf("contact", KindText, "連絡先（会社側）", "Contact (company side)"),
			rf("hours", KindText, "受付時間", "Hours"),
			rf("opened_on", KindDate, "開設日", "Opened on"),
			rf("closed_on", KindDate, "閉鎖日", "Closed on"),
		},
		Required: []string{"channel", "contact"},
	},
	{
		Kind: RecInquiry, Stage: StageCustomerNotice, LabelJA: "問い合わせ記録", LabelEN: "Inquiry log",
		Cite: "規程000 第12条",
		Fields: []Field{
			rf("received_at", KindDateTime, "受付日時", "Received at").past(),
			rf("channel", KindEnum, "受付方法", "Channel").opts(opts(
				"phone", "電話", "Phone",
				"email", "メール", "Email",
				"letter", "郵便", "Letter",
				"web_form", "Webフォーム", "Web form",
				"in_person", "来訪", "In person")),
			rf("category", KindEnum, "分類", "Category").opts(opts(
				"am_i_affected", "対象かどうかの確認", "Am I affected",
				"secondary_damage", "二次被害の申出", "Secondary damage",
				"complaint", "苦情", "Complaint",
				"disclosure_deletion", "開示・削除等の請求", "Disclosure or deletion request",
				"compensation", "補償について", "Compensation",
				"other", "その他", "Other")),
			rf("summary", KindLongText, "内容", "Summary"),
			rf("answer", KindLongText, "回答", "Answer"),
			rf("answered_by", KindText, "対応者", "Answered by"),
			rf("person_id", KindInt, "対象者台帳の番号（特定できた場合）", "Affected-person ID, if identified"),
		},
		Required: []string{"received_at", "channel", "category"},
	},
	{
		Kind: RecMoneyClaim, Stage: StageCustomerNotice, LabelJA: "金銭の請求", LabelEN: "Money claim",
		Cite: "規程000 第13条",
		Fields: []Field{
			rf("received_at", KindDateTime, "受付日時", "Received at").past(),
			rf("claimant", KindText, "請求者", "Claimant"),
			rf("amount", KindInt, "請求額（円）", "Amount (yen)"),
			rf("demand", KindLongText, "請求の内容", "Demand"),
			rf("decision", KindEnum, "判断", "Decision").opts(opts(
				"pending", "検討中", "Pending",
				"accepted", "正当な損害として応じる", "Accepted as legitimate damage",
				"refused", "不当な請求として拒否", "Refused as unjust")),
			rf("reason", KindLongText, "判断の理由", "Reason"),
			rf("decided_by", KindText, "判断した者", "Decided by"),
		},
		Required: []string{"received_at", "claimant", "decision"},
		Check: func(v Facts) []FieldError {
			if d := v.Str("decision"); d != "pending" && !v.has("reason") {
				return []FieldError{{Field: "reason", JA: "応じる・拒否する場合は理由を入力してください。", EN: "a decision needs its reason"}}
			}
			return nil
		},
	},
	{
		Kind: RecMeasure, Stage: StageRecurrencePrevention, LabelJA: "再発防止策", LabelEN: "Recurrence measure",
		Cite: "規程003 第9条、規程000 第14条",
		Fields: []Field{
			rf("description", KindLongText, "内容", "Description"),
			rf("safeguard", KindEnum, "安全管理措置の区分", "Safeguard").opts(opts(
				"organizational", "組織的", "Organizational",
				"human", "人的", "Human",
				"physical", "物理的", "Physical",
				"technical", "技術的", "Technical")),
			rf("scope", KindEnum, "範囲", "Scope").opts(opts(
				"company_wide", "全社", "Company-wide",
				"department", "部門", "Department")),
			rf("department", KindText, "対象部門", "Department"),
			rf("owner", KindText, "責任者", "Owner"),
			rf("due_date", KindDate, "期限", "Due date"),
			rf("status", KindEnum, "状況", "Status").opts(measureStatusOptions),
			rf("completed_on", KindDate, "完了日", "Completed on"),
			rf("evidence", KindText, "完了の証跡（文書・添付ファイル）", "Evidence of completion"),
		},
		Required: []string{"description", "safeguard", "scope", "owner", "due_date", "status"},
		Check: func(v Facts) []FieldError {
			var fes []FieldError
			if v.Str("scope") == "department" && !v.has("department") {
				fes = append(fes, FieldError{Field: "department", JA: "部門単位の策は対象部門を入力してください。", EN: "a department measure names the department"})
			}
			if s := v.Str("status"); (s == "done" || s == "verified") && !v.has("evidence") {
				fes = append(fes, FieldError{Field: "evidence", JA: "完了した策は完了の証跡を入力してください。", EN: "a done measure needs evidence of completion"})
			}
			return fes
		},
	},
	{
		Kind: RecDiscipline, Stage: StageDiscipline, LabelJA: "懲戒処分の決定（従業員ごと）", LabelEN: "Discipline decision (per employee)",
		Cite: "規程000 第15条、規程003 第10条(1)", Restricted: true,
		Fields: []Field{
			rf("employee", KindText, "従業員（社員番号・氏名）", "Employee"),
			rf("culpability", KindEnum, "故意・過失", "Intent or negligence").opts(culpabilityOptions),
			rf("self_reported", KindBool, "早期の自主申告", "Early self-report"),
			rf("mitigating", KindLongText, "酌量した事情", "Mitigating factors"),
			rf("sanction", KindEnum, "処分（就業規則）", "Sanction under the work rules").opts(sanctionOptions),
			rf("work_rule_article", KindText, "就業規則の条項", "Work-rule article"),
			rf("decided_on", KindDate, "決定日", "Decided on"),
		},
		Required: []string{"employee", "culpability", "sanction"},
	},
	{
		Kind: RecCriminalComplaint, Stage: StageDiscipline, LabelJA: "刑事告発・告訴", LabelEN: "Criminal complaint",
		Cite: "規程000 第16条、規程003 第10条(2)", Restricted: true,
		Fields: []Field{
			rf("kind", KindEnum, "種類", "Kind").opts(opts(
				"accusation", "告発", "Accusation",
				"complaint", "告訴", "Complaint")),
			rf("against", KindText, "対象者", "Against"),
			rf("station", KindText, "提出先（警察署・検察庁）", "Filed with"),
			rf("filed_on", KindDate, "提出日", "Filed on"),
			rf("receipt_no", KindText, "受理番号", "Receipt number"),
			rf("status", KindText, "状況", "Status"),
		},
		Required: []string{"kind", "against", "station", "filed_on"},
	},
}

var recordKindIndex = func() map[RecordKind]*RecordKindDef {
	m := make(map[RecordKind]*RecordKindDef, len(recordKinds))
	for i := range recordKinds {
		d := &recordKinds[i]
		if _, dup := m[d.Kind]; dup {
			panic("incident: duplicate record kind " + string(d.Kind))
		}
		names := map[string]bool{}
		for _, f := range d.Fields {
			names[f.Name] = true
		}
		for _, r := range d.Required {
			if !names[r] {
				panic("incident: record kind " + string(d.Kind) + " requires unknown field " + r)
			}
		}
		m[d.Kind] = d
	}
	return m
}()

// RecordKinds returns the record-kind table (a copy of the rows).
func RecordKinds() []RecordKindDef { return append([]RecordKindDef(nil), recordKinds...) }

// RecordKindsOf returns the kinds recorded in stage s, in table order.
func RecordKindsOf(s Stage) []RecordKindDef {
	var out []RecordKindDef
	for _, d := range recordKinds {
		if d.Stage == s {
			out = append(out, d)
		}
	}
	return out
}

// LookupRecordKind returns the table row of kind k.
func LookupRecordKind(k RecordKind) (RecordKindDef, bool) {
	d, ok := recordKindIndex[k]
	if !ok {
		return RecordKindDef{}, false
	}
	return *d, true
}

// Field returns the field named name of the kind.
func (d RecordKindDef) Field(name string) (Field, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// IsRequired reports whether the field must be present.
func (d RecordKindDef) IsRequired(name string) bool {
	for _, r := range d.Required {
		if r == name {
			return true
		}
	}
	return false
}

// OptionLabel returns the labels of an option of one of the kind's fields.
func (d RecordKindDef) OptionLabel(field, v string) (ja, en string) {
	if f, ok := d.Field(field); ok {
		for _, o := range f.Options {
			if o.Value == v {
				return o.JA, o.EN
			}
		}
	}
	return v, v
}

// Record is one entry of a stage's records.
type Record struct {
	ID     int64      `json:"id"` // 1, 2, … within the case, in order of addition
	Kind   RecordKind `json:"kind"`
	Stage  Stage      `json:"stage"`
	Values Facts      `json:"values"`
	// Version counts the record's own changes (1 after adding); UpdateRecord
	// may name it to refuse editing a record someone else changed meanwhile.
	Version        int64     `json:"version"`
	CreatedAt      time.Time `json:"created_at"`
	CreatedBy      int64     `json:"created_by"`
	UpdatedAt      time.Time `json:"updated_at"`
	UpdatedBy      int64     `json:"updated_by"`
	Withdrawn      bool      `json:"withdrawn,omitempty"`
	WithdrawReason string    `json:"withdraw_reason,omitempty"`
}

// Evidence is a file attached to a stage. The bytes live outside the
// history (store); the event carries what identifies them: name, size,
// content type and SHA-256.
type Evidence struct {
	ID          int64     `json:"id"` // allocated by the store
	Stage       Stage     `json:"stage"`
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"` // hex
	Note        string    `json:"note,omitempty"`
	At          time.Time `json:"at"`
	By          int64     `json:"by"`
}

// Record returns the record with the given ID, or nil.
func (c *Case) Record(id int64) *Record {
	if id < 1 || id > int64(len(c.Records)) {
		return nil
	}
	return c.Records[id-1]
}

// Overdue reports whether r is a recurrence measure whose due date (a JST
// date) lies before the JST day of now and which is not done.
func (r *Record) Overdue(now time.Time) bool {
	if r.Kind != RecMeasure || r.Withdrawn {
		return false
	}
	if s := r.Values.Str("status"); s == "done" || s == "verified" {
		return false
	}
	due := r.Values.Str("due_date")
	return due != "" && due < now.In(jst).Format(time.DateOnly)
}

// CanSeeRecordKind reports whether the actor may see records of kind d in c.
func CanSeeRecordKind(a Actor, c *Case, d RecordKindDef) bool {
	return !d.Restricted || (CanSeeRestricted(a) && !c.Involved[a.UserID])
}

// VisibleRecords returns the records (withdrawn ones included) the actor
// may see in c, optionally of one stage ("" = all).
func VisibleRecords(a Actor, c *Case, s Stage) []*Record {
	var out []*Record
	for _, r := range c.Records {
		d := recordKindIndex[r.Kind]
		if (s == "" || r.Stage == s) && d != nil && CanSeeRecordKind(a, c, *d) {
			out = append(out, r)
		}
	}
	return out
}

// active returns the records that count: not withdrawn.
func activeRecords(rs []*Record) []*Record {
	var out []*Record
	for _, r := range rs {
		if !r.Withdrawn {
			out = append(out, r)
		}
	}
	return out
}

func cloneRecords(rs []*Record) []*Record {
	if rs == nil {
		return nil
	}
	out := make([]*Record, len(rs))
	for i, r := range rs {
		cp := *r
		cp.Values = r.Values.clone()
		out[i] = &cp
	}
	return out
}

// --- commands ---

// AddRecord adds a record of Kind to its stage. Values are normalised like
// facts (same kinds, options and lengths); the kind's required fields must
// be present. Writers are the stage's writers (hr for discipline). Errors:
// invalid (fields), forbidden, conflict (case closed).
type AddRecord struct {
	Kind   RecordKind
	Values map[string]any
}

// UpdateRecord applies a merge patch to a record's values. Version, when
// non-zero, must equal the record's version. A patch that changes nothing
// produces no event. Errors: not_found, invalid, forbidden, conflict
// (stale record version, withdrawn record, case closed).
type UpdateRecord struct {
	RecordID int64
	Version  int64
	Values   map[string]any
}

// WithdrawRecord marks a record as withdrawn (entered by mistake, replaced)
// with a required reason; it stays in the history and on the page. Errors:
// not_found, invalid, forbidden, conflict.
type WithdrawRecord struct {
	RecordID int64
	Reason   string
}

// AttachEvidence records that a file was attached to Stage: the store keeps
// the bytes in the same transaction. EvidenceID is allocated by the store.
// Errors: invalid, forbidden, conflict.
type AttachEvidence struct {
	EvidenceID  int64
	Stage       Stage
	Name        string
	Size        int64
	ContentType string
	SHA256      string
	Note        string
}

var errNoRecord = NotFound("記録が見つかりません。", "record not found")

// normalizeRecord validates a patch against the kind's fields; with base
// (an update) the result is the merged values. Empty values delete.
func normalizeRecord(d *RecordKindDef, base Facts, patch map[string]any, now time.Time) (Facts, []FieldError) {
	out := base.clone()
	if out == nil {
		out = Facts{}
	}
	var fes []FieldError
	for name, raw := range patch {
		f, ok := d.Field(name)
		if !ok {
			fes = append(fes, FieldError{Field: name, JA: "この項目は登録されていません。", EN: "unknown field"})
			continue
		}
		v, fe := normalizeValue(&f, raw, now)
		if fe != nil {
			fes = append(fes, *fe)
			continue
		}
		if v == nil {
			delete(out, name)
		} else {
			out[name] = v
		}
	}
	if len(fes) == 0 {
		for _, name := range d.Required {
			if !out.has(name) {
				f, _ := d.Field(name)
				fes = append(fes, FieldError{Field: name, JA: "「" + f.LabelJA + "」を入力してください。", EN: f.LabelEN + " is required"})
			}
		}
	}
	if len(fes) == 0 && d.Check != nil {
		fes = append(fes, d.Check(out)...)
	}
	sort.Slice(fes, func(i, j int) bool { return fes[i].Field < fes[j].Field })
	return out, fes
}

func recordValuesPayload(v Facts) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

func (cmd AddRecord) decide(d *decider) error {
	if err := d.requireOpen(); err != nil {
		return err
	}
	// Read-only users are refused whatever they send, before the input is looked at.
	if err := d.notReadOnlyOrInvolved(); err != nil {
		return err
	}
	def, ok := recordKindIndex[cmd.Kind]
	if !ok {
		return Invalid("記録の種類が正しくありません。", "unknown record kind",
			FieldError{Field: "kind", JA: "記録の種類が正しくありません。", EN: "unknown record kind"})
	}
	if err := canWriteStage(d.actor, d.sim, def.Stage); err != nil {
		return err
	}
	values, fes := normalizeRecord(def, nil, cmd.Values, d.now)
	if len(fes) > 0 {
		return Invalid("入力内容を確認してください。", "check the input", fes...)
	}
	return d.emit(EventRecordAdded, map[string]any{
		"record_id": int64(len(d.sim.Records) + 1), "kind": string(def.Kind), "stage": string(def.Stage),
		"values": recordValuesPayload(values),
	})
}

func (d *decider) writableRecord(id int64) (*Record, *RecordKindDef, error) {
	if err := d.requireOpen(); err != nil {
		return nil, nil, err
	}
	r := d.sim.Record(id)
	if r == nil {
		return nil, nil, errNoRecord
	}
	def := recordKindIndex[r.Kind]
	if def == nil {
		return nil, nil, Internal("record %d: unknown kind %q", id, r.Kind)
	}
	if err := canWriteStage(d.actor, d.sim, def.Stage); err != nil {
		return nil, nil, err
	}
	if r.Withdrawn {
		return nil, nil, Conflict("この記録は取り下げられています。", "the record was withdrawn")
	}
	return r, def, nil
}

func (cmd UpdateRecord) decide(d *decider) error {
	r, def, err := d.writableRecord(cmd.RecordID)
	if err != nil {
		return err
	}
	if cmd.Version != 0 && cmd.Version != r.Version {
		return Conflict("他の人が先にこの記録を更新しました。最新の内容を確認してからやり直してください。",
			"someone else updated this record first; review it and try again")
	}
	merged, fes := normalizeRecord(def, r.Values, cmd.Values, d.now)
	if len(fes) > 0 {
		return Invalid("入力内容を確認してください。", "check the input", fes...)
	}
	names := make([]string, 0, len(def.Fields))
	for _, f := range def.Fields {
		names = append(names, f.Name)
	}
	var changes []any
	for _, n := range names {
		old, had := r.Values[n]
		nv, has := merged[n]
		if had == has && (!had || reflect.DeepEqual(old, nv)) {
			continue
		}
		changes = append(changes, map[string]any{"field": n, "old": old, "new": nv})
	}
	if len(changes) == 0 {
		return nil
	}
	return d.emit(EventRecordUpdated, map[string]any{
		"record_id": r.ID, "kind": string(r.Kind), "stage": string(r.Stage), "changes": changes,
	})
}

func (cmd WithdrawRecord) decide(d *decider) error {
	r, _, err := d.writableRecord(cmd.RecordID)
	if err != nil {
		return err
	}
	if err := noteField("reason", cmd.Reason, true); err != nil {
		return err
	}
	return d.emit(EventRecordWithdrawn, map[string]any{
		"record_id": r.ID, "kind": string(r.Kind), "stage": string(r.Stage), "reason": strings.TrimSpace(cmd.Reason),
	})
}

func (cmd AttachEvidence) decide(d *decider) error {
	if err := d.requireOpen(); err != nil {
		return err
	}
	if !cmd.Stage.Valid() {
		return Invalid("段階が正しくありません。", "unknown stage", FieldError{Field: "stage", JA: "段階が正しくありません。", EN: "unknown stage"})
	}
	if err := canWriteStage(d.actor, d.sim, cmd.Stage); err != nil {
		return err
	}
	if cmd.EvidenceID <= 0 {
		return Internal("attach evidence: id %d", cmd.EvidenceID)
	}
	name := strings.TrimSpace(cmd.Name)
	if name == "" || len([]rune(name)) > 255 {
		return Invalid("ファイル名を確認してください。", "check the file name",
			FieldError{Field: "file", JA: "ファイル名は1〜255文字です。", EN: "file name must be 1 to 255 characters"})
	}
	if len(cmd.SHA256) != 64 || cmd.Size <= 0 {
		return Internal("attach evidence: bad hash or size")
	}
	if err := noteField("note", cmd.Note, false); err != nil {
		return err
	}
	return d.emit(EventEvidenceAttached, map[string]any{
		"evidence_id": cmd.EvidenceID, "stage": string(cmd.Stage), "name": name, "size": cmd.Size,
		"content_type": cmd.ContentType, "sha256": cmd.SHA256, "note": cmd.Note,
	})
}

// applyRecordEvent folds the record and evidence events into c.
func (c *Case) applyRecordEvent(e Event) error {
	p := e.Payload
	at := e.At.UTC()
	switch e.Type {
	case EventRecordAdded:
		id := pInt(p, "record_id")
		if id != int64(len(c.Records)+1) {
			return Internal("apply event %d: record id %d after %d records", e.Seq, id, len(c.Records))
		}
		def, ok := recordKindIndex[RecordKind(pStr(p, "kind"))]
		if !ok {
			return Internal("apply event %d: unknown record kind %q", e.Seq, pStr(p, "kind"))
		}
		values := Facts{}
		for k, v := range pMap(p, "values") {
			values[k] = coerceRecordValue(def, k, v)
		}
		c.Records = append(c.Records, &Record{ID: id, Kind: def.Kind, Stage: def.Stage, Values: values, Version: 1,
			CreatedAt: at, CreatedBy: e.ActorID, UpdatedAt: at, UpdatedBy: e.ActorID})
		c.addEditor(def.Stage, e.ActorID)
	case EventRecordUpdated:
		r := c.Record(pInt(p, "record_id"))
		if r == nil {
			return Internal("apply event %d: no record %d", e.Seq, pInt(p, "record_id"))
		}
		def := recordKindIndex[r.Kind]
		for _, ch := range pList(p, "changes") {
			name := pStr(ch, "field")
			if _, ok := def.Field(name); !ok {
				return Internal("apply event %d: record field %q", e.Seq, name)
			}
			if v := coerceRecordValue(def, name, ch["new"]); v == nil {
				delete(r.Values, name)
			} else {
				r.Values[name] = v
			}
		}
		r.Version++
		r.UpdatedAt, r.UpdatedBy = at, e.ActorID
		c.addEditor(r.Stage, e.ActorID)
	case EventRecordWithdrawn:
		r := c.Record(pInt(p, "record_id"))
		if r == nil {
			return Internal("apply event %d: no record %d", e.Seq, pInt(p, "record_id"))
		}
		r.Withdrawn, r.WithdrawReason = true, pStr(p, "reason")
		r.Version++
		r.UpdatedAt, r.UpdatedBy = at, e.ActorID
		c.addEditor(r.Stage, e.ActorID)
	case EventEvidenceAttached:
		st := Stage(pStr(p, "stage"))
		if !st.Valid() {
			return Internal("apply event %d: unknown stage %q", e.Seq, st)
		}
		c.Evidence = append(c.Evidence, &Evidence{ID: pInt(p, "evidence_id"), Stage: st, Name: pStr(p, "name"),
			Size: pInt(p, "size"), ContentType: pStr(p, "content_type"), SHA256: pStr(p, "sha256"), Note: pStr(p, "note"),
			At: at, By: e.ActorID})
		c.addEditor(st, e.ActorID)
	}
	return nil
}

// coerceRecordValue brings a value read back from JSON to its contract
// encoding (ints as int64, sets as []string), as coerceStored does for facts.
func coerceRecordValue(d *RecordKindDef, name string, v any) any {
	f, ok := d.Field(name)
	if !ok || v == nil {
		return v
	}
	switch f.Kind {
	case KindInt:
		if n, ok := toInt64(v); ok {
			return n
		}
	case KindSet:
		if xs, ok := toStrings(v); ok {
			return xs
		}
	}
	return v
}

// EvidenceByID returns the attached file with the given id, or nil.
func (c *Case) EvidenceByID(id int64) *Evidence {
	for _, e := range c.Evidence {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// --- exit criteria fed by records ---

func recordsOf(in ExitInput, k RecordKind) []*Record {
	var out []*Record
	for _, r := range in.Records {
		if r.Kind == k && !r.Withdrawn {
			out = append(out, r)
		}
	}
	return out
}

func missingRecord(k RecordKind, ja, en string) Missing {
	return Missing{Item: "record:" + string(k), JA: ja, EN: en}
}

// exitContainmentRecords: monitoring was actually done (SEED000 Art. 6), and
// an escalation step marked done is backed by its record — a warning letter
// with its proof of delivery (Art. 8), a suit with its case number (Art. 9).
func exitContainmentRecords(in ExitInput) []Missing {
	var m []Missing
	if len(recordsOf(in, RecMonitoring)) == 0 {
		m = append(m, missingRecord(RecMonitoring, "監視記録（実施日・監視した場所・結果）が1件もありません。",
			"No monitoring log entry (date, where searched, result) is recorded."))
	}
	if in.Facts.Str("return_request_status") == "done" && len(recordsOf(in, RecReturnRequest)) == 0 {
		m = append(m, missingRecord(RecReturnRequest, "返還・削除請求を実施済みとするには請求の記録が必要です。",
			"A return request marked done needs its record."))
	}
	if in.Facts.Str("warning_letter_status") == "done" {
		ok := false
		for _, r := range recordsOf(in, RecWarningLetter) {
			ok = ok || r.Values.has("delivery_proof")
		}
		if !ok {
			m = append(m, missingRecord(RecWarningLetter, "警告を実施済みとするには配達証明のある内容証明郵便の記録が必要です。",
				"A warning marked done needs a certified-mail record with its delivery proof."))
		}
	}
	if in.Facts.Str("injunction_status") == "done" {
		ok := false
		for _, r := range recordsOf(in, RecInjunction) {
			ok = ok || r.Values.has("case_no")
		}
		if !ok {
			m = append(m, missingRecord(RecInjunction, "差止め訴訟を実施済みとするには事件番号のある訴訟の記録が必要です。",
				"An injunction marked done needs a suit record with its case number."))
		}
	}
	return m
}

// exitPoliceRecords: each filing (not a mere consultation) has its receipt
// number (domain.md Stage 3 exit).
func exitPoliceRecords(in ExitInput) []Missing {
	var m []Missing
	for _, r := range recordsOf(in, RecPoliceFiling) {
		if r.Values.Str("action") != "consultation" && !r.Values.has("receipt_no") {
			m = append(m, Missing{Item: "record:" + string(RecPoliceFiling) + ":" + itoa(r.ID),
				JA: "警察への届出（記録" + itoa(r.ID) + "）の受理番号が未入力です。", EN: "Police filing " + itoa(r.ID) + " has no receipt number."})
		}
	}
	return m
}

// exitNoticeRecords: every money claim is decided, accepted or refused with
// its reason (SEED000 Art. 13).
func exitNoticeRecords(in ExitInput) []Missing {
	var m []Missing
	for _, r := range recordsOf(in, RecMoneyClaim) {
		if r.Values.Str("decision") == "pending" {
			m = append(m, Missing{Item: "record:" + string(RecMoneyClaim) + ":" + itoa(r.ID),
				JA: "金銭の請求（記録" + itoa(r.ID) + "）の判断が未了です。", EN: "Money claim " + itoa(r.ID) + " is not decided."})
		}
	}
	return m
}

// exitRecurrenceRecords: at least one measure (skip is not allowed, a
// single reminder is the minimum), each done with evidence or planned with
// an owner and a due date (domain.md Stage 7 exit).
func exitRecurrenceRecords(in ExitInput) []Missing {
	ms := recordsOf(in, RecMeasure)
	if len(ms) == 0 {
		return []Missing{missingRecord(RecMeasure, "再発防止策が1件も登録されていません（区分・範囲・責任者・期限）。",
			"No recurrence measure is recorded (safeguard, scope, owner, due date).")}
	}
	var m []Missing
	for _, r := range ms {
		v := r.Values
		switch v.Str("status") {
		case "done", "verified":
			if !v.has("evidence") {
				m = append(m, Missing{Item: "record:" + string(RecMeasure) + ":" + itoa(r.ID),
					JA: "再発防止策（記録" + itoa(r.ID) + "）に完了の証跡がありません。", EN: "Measure " + itoa(r.ID) + " has no evidence of completion."})
			}
		default:
			if !v.has("owner") || !v.has("due_date") {
				m = append(m, Missing{Item: "record:" + string(RecMeasure) + ":" + itoa(r.ID),
					JA: "再発防止策（記録" + itoa(r.ID) + "）の責任者又は期限が未入力です。", EN: "Measure " + itoa(r.ID) + " has no owner or due date."})
			}
		}
	}
	return m
}

// exitDisciplineRecords: a decided accusation is backed by its filing
// record (SEED000 Art. 16).
func exitDisciplineRecords(in ExitInput) []Missing {
	var m []Missing
	if in.Facts.isTrue("accusation_filed") && len(recordsOf(in, RecCriminalComplaint)) == 0 {
		m = append(m, missingRecord(RecCriminalComplaint, "告発する場合は告発・告訴の記録（提出先・提出日）が必要です。",
			"A decided accusation needs its filing record."))
	}
	// The approval policy reads the stage's sanction fact (a dismissal needs the CEO, §5.3), so the
	// fact must be at least as heavy as the heaviest sanction decided for any one employee:
	// otherwise recording 懲戒解雇 per employee and a lighter fact would bypass the CEO.
	heaviest := -1
	for _, r := range recordsOf(in, RecDiscipline) {
		heaviest = max(heaviest, sanctionRank(r.Values.Str("sanction")))
	}
	if heaviest > sanctionRank(in.Facts.Str("sanction")) {
		o := sanctionOptions[heaviest]
		m = append(m, Missing{Item: "sanction",
			JA: "「処分」が従業員ごとの記録のうち最も重い処分（" + o.JA + "）より軽くなっています。最も重い処分を記録してください。",
			EN: "The sanction fact is lighter than the heaviest sanction recorded for an employee (" + o.EN + "); record the heaviest."})
	}
	return m
}

// sanctionRank orders sanctions from none to dismissal (the order of sanctionOptions); -1 when
// none is recorded.
func sanctionRank(v string) int {
	for i, o := range sanctionOptions {
		if o.Value == v {
			return i
		}
	}
	return -1
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// CanSeeStageContents reports whether the actor may see the records and
// files of stage s: everyone for the open stages; for discipline only
// CanSeeRestricted actors not involved in c. Others see that the stage
// exists and its state, not its contents.
func CanSeeStageContents(a Actor, c *Case, s Stage) bool {
	return s != StageDiscipline || (CanSeeRestricted(a) && !c.Involved[a.UserID])
}

// VisibleEvidence returns the files of stage s ("" = all) the actor may see.
func VisibleEvidence(a Actor, c *Case, s Stage) []*Evidence {
	var out []*Evidence
	for _, e := range c.Evidence {
		if (s == "" || e.Stage == s) && CanSeeStageContents(a, c, e.Stage) {
			out = append(out, e)
		}
	}
	return out
}

// RestrictedRecordEvent reports whether e carries restricted content: a
// record event of a restricted kind, or a file attached to the discipline
// stage. Timelines and the events API redact such payloads for viewers
// who may not see restricted data (the hash still covers them).
func RestrictedRecordEvent(e Event) bool {
	switch e.Type {
	case EventRecordAdded, EventRecordUpdated, EventRecordWithdrawn:
		d, ok := recordKindIndex[RecordKind(pStr(e.Payload, "kind"))]
		return ok && d.Restricted
	case EventEvidenceAttached:
		return Stage(pStr(e.Payload, "stage")) == StageDiscipline
	}
	return false
}

// EarliestOpenMeasureDue is the earliest due date (a JST date, "2006-01-02") of the case's
// recurrence measures that are neither withdrawn nor done, "" when there is none. The store keeps
// it in a column so that the dashboard finds overdue measures by index instead of reading every
// open case's records.
func (c *Case) EarliestOpenMeasureDue() string {
	min := ""
	for _, r := range c.Records {
		if r.Kind != RecMeasure || r.Withdrawn {
			continue
		}
		if s := r.Values.Str("status"); s == "done" || s == "verified" {
			continue
		}
		if due := r.Values.Str("due_date"); due != "" && (min == "" || due < min) {
			min = due
		}
	}
	return min
}
