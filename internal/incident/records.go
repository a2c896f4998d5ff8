package incident

import (
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
