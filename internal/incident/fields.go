package incident

import "github.com/leakdesk/leakdesk/internal/rules"

// FieldKind says how a fact is entered and how its value is encoded (see
// docs/facts-contract.md).
type FieldKind string

// Field kinds.
const (
	KindText     FieldKind = "text"     // string, MaxLen default 2000
	KindLongText FieldKind = "longtext" // string, MaxLen default 20000
	KindEnum     FieldKind = "enum"     // string, one of Options
	KindSet      FieldKind = "set"      // []string, sorted, unique, each in Options
	KindInt      FieldKind = "int"      // int64 >= 0
	KindBool     FieldKind = "bool"     // bool
	KindTristate FieldKind = "tristate" // "yes" | "no" | "unknown"
	KindDateTime FieldKind = "datetime" // RFC 3339 in JST, seconds precision
	KindDate     FieldKind = "date"     // YYYY-MM-DD, a JST calendar date
)

// Field describes one fact a case can record. Every field belongs to exactly
// one stage: the stage whose editors become makers when it changes.
type Field struct {
	Name    string    `json:"name"`
	Stage   Stage     `json:"stage"`
	Kind    FieldKind `json:"kind"`
	LabelJA string    `json:"label_ja"`
	LabelEN string    `json:"label_en"`
	Options []Option  `json:"options,omitempty"`
	MaxLen  int       `json:"max_len,omitempty"` // runes; 0 = the kind's default
	// Restricted fields (discipline data) are shown only to hr, manager,
	// privacy_officer and auditor; see CanSeeRestricted.
	Restricted bool `json:"restricted,omitempty"`
	// NotFuture datetimes must not lie more than 5 minutes after "now".
	NotFuture bool   `json:"not_future,omitempty"`
	Help      string `json:"help,omitempty"`
	// company marks a fact the rule set added (extra_facts), not the engine.
	company bool
}

func fld(name string, kind FieldKind, ja, en string) Field {
	return Field{Name: name, Kind: kind, LabelJA: ja, LabelEN: en}
}

func (f Field) opts(o []Option) Field { f.Options = o; return f }
func (f Field) restricted() Field     { f.Restricted = true; return f }
func (f Field) past() Field           { f.NotFuture = true; return f }
func (f Field) help(h string) Field   { f.Help = h; return f }

func inStage(st Stage, fs ...Field) []Field {
	for i := range fs {
		fs[i].Stage = st
	}
	return fs
}

// Derived values (thirty_min_rule_applies, first_report_due_at,
// first_report_late, notice_required_by_law, appi_* / mn_* results, known
// and due dates) are computed by internal/appi and are deliberately not
// facts: a user must not be able to overwrite them.
var fieldList = concat(
	inStage(StageDiscovery,
		fld("recognized_at", KindDateTime, "認知日時（社内の誰かが最初に知った日時）", "Recognized at (first moment anyone in the company knew)").past().
			help("総務部が知った時点ではなく、いずれかの部署が最初に知った時点です（GL 3-5-3-3）。"),
		fld("reported_to_soumu_at", KindDateTime, "総務部への報告日時", "Reported to general affairs at").past(),
		fld("first_report_late_reason", KindLongText, "第一報が遅れた理由", "Why the first report was late"),
		fld("reporter_id", KindText, "報告者", "Reporter"),
		fld("reporter_dept", KindText, "報告者の所属", "Reporter's department"),
		fld("discovery_source", KindEnum, "発覚の経緯", "How it came to light").opts(opts(
			"internal_detection", "社内で発見", "Internal detection",
			"customer_complaint", "顧客からの苦情・指摘", "Customer complaint",
			"third_party_notice", "第三者からの通知（カード会社・セキュリティ会社・警察・委員会）", "Notice from a third party",
			"contractor_notice", "委託先からの通知", "Notice from a contractor",
			"media_or_sns", "報道・SNS", "Media or SNS")),
		fld("report_channel", KindEnum, "報告手段", "Report channel").opts(opts(
			"phone", "電話", "Phone",
			"in_person", "対面", "In person",
			"email", "メール", "Email",
			"system", "システム", "System")),
		fld("initial_description", KindLongText, "第一報の内容", "Initial description"),
		fld("suspected_route", KindEnum, "推定される経路", "Suspected route").opts(routeOptions),
		fld("suspected_data_items", KindSet, "推定される情報項目", "Suspected data items").opts(dataItemOptions),
		fld("estimated_count_min", KindInt, "推定人数（最小）", "Estimated count (minimum)"),
		fld("estimated_count_max", KindInt, "推定人数（最大）", "Estimated count (maximum)"),
		fld("insider_suspected", KindTristate, "内部者による不正の疑い", "Insider wrongdoing suspected").opts(tristateOptions),
		fld("unauthorized_access_suspected", KindTristate, "不正アクセスの疑い", "Unauthorized access suspected").opts(tristateOptions),
		fld("public_disclosure_possible", KindBool, "公表の可能性", "Public announcement may be needed"),
		fld("involves_my_number", KindTristate, "マイナンバーを含む可能性", "My Number involved").opts(tristateOptions).
			help("不明の場合、委員会の報告フォームでは「含む」として扱います。"),
		fld("mynumber_officer_notified_at", KindDateTime, "事務取扱責任者への連絡日時", "My Number officer informed at"),
		fld("containment_ordered_at", KindDateTime, "応急措置の指示日時", "Provisional containment ordered at"),
		fld("prelim_screen", KindEnum, "報告要否の一次判定", "Preliminary reportability screen").opts(opts(
			"reportable", "報告対象", "Reportable",
			"suspected", "報告対象のおそれ", "Possibly reportable",
			"not_reportable", "報告対象外", "Not reportable")),
		fld("exec_notification_decision", KindEnum, "代表取締役等への報告の判断", "Decision on reporting to executives").opts(opts(
			"notify_now", "直ちに報告する", "Report now",
			"not_needed", "報告不要", "Not needed")),
		fld("exec_notified_at", KindDateTime, "代表取締役等への報告日時", "Executives informed at"),
		fld("customer_interview_notes", KindLongText, "申告者（顧客）からの聴取内容", "Customer interview notes"),
		fld("evidence_preservation_note", KindLongText, "証拠保全の内容", "Evidence preserved"),
	),
	inStage(StageInvestigation,
		fld("occurred_at", KindDateTime, "発生日時", "Occurred at").past(),
		fld("occurred_at_precision", KindEnum, "発生日時の精度", "Precision of occurred at").opts(opts(
			"exact", "日時まで判明", "Exact",
			"day", "日まで判明", "Day",
			"month", "月まで判明", "Month",
			"unknown", "不明", "Unknown")),
		fld("event_types", KindSet, "事態の種類", "Event types").opts(opts(
			"leak", "漏えい", "Leak",
			"loss", "滅失", "Loss",
			"damage", "毀損", "Damage")),
		fld("certainty", KindEnum, "確度", "Certainty").opts(opts(
			"confirmed", "発生", "Confirmed",
			"suspected", "発生したおそれ", "Suspected",
			"ruled_out", "発生していない", "Ruled out")),
		fld("route", KindEnum, "経路", "Route").opts(routeOptions),
		fld("cause_category", KindEnum, "原因の分類", "Cause category").opts(causeCategoryOptions),
		fld("root_cause", KindLongText, "原因", "Root cause"),
		fld("cause_actor", KindEnum, "原因となった主体", "Who caused it").opts(opts(
			"own_employee", "自社従業者", "Own employee",
			"officer", "役員", "Officer",
			"contractor", "委託先", "Contractor",
			"subcontractor", "再委託先", "Subcontractor",
			"external_attacker", "外部の攻撃者", "External attacker",
			"unknown", "不明", "Unknown")),
		fld("responsible_dept", KindText, "取扱部署", "Department that handled the data").restricted(),
		fld("handling_staff_ids", KindText, "取扱担当者", "Staff who handled the data").restricted(),
		fld("data_items", KindSet, "情報の項目", "Data items").opts(dataItemOptions),
		fld("data_subject_types", KindSet, "本人の種別", "Kinds of data subjects").opts(subjectTypeOptions),
		fld("medium", KindEnum, "媒体", "Medium").opts(mediumOptions),
		fld("affected_count", KindInt, "本人の数", "Number of people affected"),
		fld("affected_count_upper_bound", KindInt, "本人の数（最大の可能性）", "Upper bound of people affected").
			help("人数が確定しない場合、最大の人数で1,000人超かを判断します（GL 3-5-3-1(4)）。"),
		fld("affected_count_confirmed", KindBool, "人数確定", "Count confirmed"),
		fld("affected_list_ref", KindText, "対象者リストの保管場所", "Where the list of affected people is kept").
			help("個人データそのものは入力しないでください。"),
		fld("leak_destination", KindText, "流出先", "Where the data went"),
		fld("viewed_by_third_party", KindTristate, "第三者による閲覧", "Viewed by a third party").opts(tristateOptions),
		fld("recovered_unviewed", KindBool, "閲覧前に回収", "Recovered before anyone viewed it"),
		fld("recovered_evidence_ref", KindText, "回収の証跡", "Evidence of recovery"),
		fld("encryption", KindEnum, "暗号化", "Encryption").opts(opts(
			"none", "なし", "None",
			"password_only", "パスワード設定のみ", "Password only",
			"high_level", "高度な暗号化", "High-level encryption")),
		fld("encryption_algorithm", KindText, "暗号方式", "Encryption algorithm"),
		fld("key_separated", KindBool, "鍵を分離して管理", "Key kept separate"),
		fld("key_compromised", KindTristate, "鍵の漏えい", "Key compromised").opts(tristateOptions),
		fld("remote_wipe_done", KindBool, "遠隔削除済み", "Remote wipe done"),
		fld("key_unusable_by_design", KindBool, "第三者が鍵を使えない設計", "Key unusable by a third party by design"),
		fld("pseudonymized", KindBool, "仮名加工情報", "Pseudonymized information"),
		fld("is_personal_data", KindTristate, "個人データに該当", "Is personal data").opts(tristateOptions),
		fld("being_acquired_for_db", KindBool, "取得しようとしている個人情報", "Being acquired for the database"),
		fld("wrongful_act", KindTristate, "不正の目的をもって行われたおそれ", "Wrongful-purpose act").opts(tristateOptions),
		fld("financial_harm_judgement", KindTristate, "財産的被害のおそれ（判断）", "Risk of financial harm (reviewer judgement)").opts(tristateOptions),
		fld("is_entrustee", KindBool, "受託者として取り扱うデータ", "Company is the entrustee"),
		fld("entrustor_name", KindText, "委託元", "Entrusting company"),
		fld("has_contractor", KindBool, "委託先あり", "Has a contractor"),
		fld("contractor_name", KindText, "委託先", "Contractor"),
		fld("mn_entity_role", KindEnum, "番号法上の立場", "My Number role").opts(opts(
			"number_use_operator", "個人番号利用事務実施者", "Number-use operator",
			"number_related_operator", "個人番号関係事務実施者", "Number-related operator",
			"gov_related_delegatee", "行政機関等の委託先", "Delegatee of a public body")),
		fld("mn_system_scope", KindEnum, "マイナンバーのシステム区分", "My Number system scope").opts(opts(
			"info_provision_network", "情報提供ネットワークシステム", "Information-provision network",
			"use_affairs_system", "個人番号利用事務系システム", "Use-affairs system",
			"gov_related_system", "行政機関等の関係事務システム", "Government related-affairs system",
			"other", "その他", "Other")),
		fld("mn_wrongful", KindTristate, "マイナンバーの不正目的", "My Number wrongful purpose").opts(tristateOptions),
		fld("mn_public_view", KindTristate, "不特定多数による閲覧", "Viewable by an unspecified number of people").opts(tristateOptions),
		fld("mn_leak_count", KindInt, "マイナンバー漏えい人数", "My Number: people leaked"),
		fld("mn_unlawful_use_count", KindInt, "マイナンバー不正利用人数", "My Number: unlawful use count"),
		fld("mn_unlawful_provision_count", KindInt, "マイナンバー不正提供人数", "My Number: unlawful provision count"),
		fld("secondary_damage_exists", KindTristate, "二次被害又はそのおそれ", "Secondary damage or its risk").opts(tristateOptions),
		fld("secondary_damage_description", KindLongText, "二次被害の内容", "Secondary damage"),
		fld("forensic_vendor_engaged", KindBool, "フォレンジック業者への依頼", "Forensic vendor engaged"),
		fld("forensic_vendor_name", KindText, "フォレンジック業者名", "Forensic vendor"),
		fld("forensic_report_ref", KindText, "調査報告書の保管場所", "Forensic report reference"),
		fld("consulted", KindSet, "相談先", "Consulted").opts(opts(
			"police", "警察", "Police",
			"lawyer", "弁護士", "Lawyer",
			"security_vendor", "セキュリティ会社", "Security vendor")),
		fld("cause_scope", KindEnum, "原因：全社的か部門的か", "Cause: company-wide or department").opts(opts(
			"company_wide", "全社的", "Company-wide",
			"department", "部門的", "Department")),
		fld("cause_rule_gap", KindBool, "原因：社内規程の不備", "Cause: gap in internal rules"),
		fld("cause_safeguard_gap", KindBool, "原因：安全管理措置の不備", "Cause: gap in safeguards"),
		fld("cause_level", KindEnum, "原因：組織的か個人的か", "Cause: organizational or individual").opts(opts(
			"organizational", "組織的", "Organizational",
			"individual", "個人的", "Individual")),
		fld("cause_analysis_notes", KindLongText, "原因分析のメモ", "Cause analysis notes"),
		fld("impact_scope", KindLongText, "影響範囲", "Impact scope"),
		fld("open_questions", KindLongText, "未解明の事項", "Open questions"),
		fld("followup_owner", KindText, "未解明事項の担当者", "Owner of the open questions"),
		fld("followup_due_date", KindDate, "未解明事項の期限", "Due date for the open questions"),
		fld("reportability_finding", KindEnum, "報告対象かどうかの判断", "Reportability finding").opts(opts(
			"reportable", "報告対象", "Reportable",
			"not_reportable", "報告対象外", "Not reportable")).
			help("「報告対象外」の判断は個人情報保護管理者の承認も必要です。"),
		fld("reportability_rationale", KindLongText, "判断の理由", "Reasons for the finding"),
	),
	inStage(StagePoliceReport,
		fld("police_actions", KindSet, "警察への届出等", "Police actions").opts(opts(
			"damage_report", "被害届", "Damage report",
			"lost_property_report", "遺失届・紛失届", "Lost-property report",
			"theft_report", "盗難届", "Theft report",
			"complaint", "告訴", "Criminal complaint",
			"accusation", "告発", "Criminal accusation",
			"consultation", "相談", "Consultation")),
		fld("police_station", KindText, "警察署", "Police station"),
		fld("police_filed_at", KindDateTime, "届出日時", "Filed at"),
		fld("police_receipt_no", KindText, "受理番号", "Receipt number"),
		fld("police_contact_officer", KindText, "担当警察官", "Contact officer"),
		fld("police_investigation_opened", KindBool, "捜査開始", "Investigation opened"),
	),
	inStage(StageContainment,
		fld("provisional_measures_summary", KindLongText, "応急措置の内容", "Provisional measures"),
		fld("network_isolated_at", KindDateTime, "ネットワーク遮断日時", "Network isolated at"),
		fld("credentials_reset_at", KindDateTime, "認証情報の変更日時", "Credentials reset at"),
		fld("vulnerability_closed_at", KindDateTime, "脆弱性の解消日時", "Vulnerability closed at"),
		fld("exposure_ended_at", KindDateTime, "流出・公開状態の終了日時", "Exposure ended at"),
		fld("recipient_contacted_at", KindDateTime, "受領者への連絡日時", "Recipient contacted at"),
		fld("deletion_requested_at", KindDateTime, "削除依頼日時", "Deletion requested at"),
		fld("deletion_confirmed_at", KindDateTime, "削除確認日時", "Deletion confirmed at"),
		fld("deletion_evidence_ref", KindText, "削除確認の証跡", "Deletion evidence"),
		fld("destination_status", KindEnum, "流出先の特定", "Destination").opts(opts(
			"unknown", "調査中", "Unknown yet",
			"identified", "特定済み", "Identified",
			"unidentifiable", "特定不能（経緯を記録）", "Unidentifiable (documented)")),
		fld("destination_who", KindText, "流出先（誰）", "Destination: who"),
		fld("destination_where", KindText, "流出先（どこ）", "Destination: where"),
		fld("monitoring_method", KindEnum, "監視の方法", "Monitoring method").opts(opts(
			"web_search", "定期的なWeb検索", "Regular web searches",
			"dark_web_service", "ダークウェブ監視サービス", "Dark-web monitoring service",
			"vendor", "外部業者", "Outside vendor")),
		fld("monitoring_start_date", KindDate, "監視開始日", "Monitoring start"),
		fld("monitoring_end_date", KindDate, "監視終了予定日", "Monitoring end date"),
		fld("monitoring_frequency", KindText, "監視の頻度", "Monitoring frequency"),
		fld("monitoring_findings", KindLongText, "監視の結果", "Monitoring findings"),
		fld("return_request_status", KindEnum, "返還・削除請求", "Return or deletion request").opts(escalationStepOptions),
		fld("return_request_sent_at", KindDateTime, "返還請求日時", "Return request sent at"),
		fld("return_request_response", KindLongText, "返還請求への回答", "Response to the return request"),
		fld("warning_letter_status", KindEnum, "警告（内容証明）", "Warning letter (certified mail)").opts(escalationStepOptions),
		fld("warning_letter_sent_at", KindDateTime, "警告書の発送日時", "Warning letter sent at"),
		fld("warning_letter_delivered_at", KindDateTime, "警告書の到達日時", "Warning letter delivered at"),
		fld("warning_letter_response", KindLongText, "警告への回答", "Response to the warning"),
		fld("injunction_status", KindEnum, "差止め訴訟", "Injunction suit").opts(escalationStepOptions),
		fld("injunction_filed_at", KindDateTime, "差止め訴訟の提起日時", "Injunction filed at"),
		fld("injunction_court", KindText, "裁判所", "Court"),
		fld("injunction_case_no", KindText, "事件番号", "Case number"),
		fld("escalation_na_reason", KindLongText, "法的措置を不要とした理由", "Why escalation steps are not applicable"),
		fld("takedown_summary", KindLongText, "削除要請（サイト等）の状況", "Takedown requests"),
	),
	inStage(StageCustomerNotice,
		fld("notice_required_by_policy", KindBool, "社内方針による通知", "Notice required by company policy"),
		fld("notice_decision", KindEnum, "本人通知の方針", "Notice decision").opts(opts(
			"notify_individually", "個別に通知", "Notify individually",
			"alternative_measure", "代替措置", "Alternative measure",
			"omit", "通知しない", "Omit",
			"defer", "延期", "Defer")),
		fld("notice_decision_at", KindDateTime, "通知方針の決定日時", "Notice decision made at"),
		fld("omit_reason", KindEnum, "通知しない理由", "Reason to omit notice").opts(omitReasonOptions),
		fld("defer_reason", KindEnum, "延期の理由", "Reason to defer").opts(deferReasonOptions),
		fld("defer_review_by", KindDate, "延期の見直し期限", "Deferral review date"),
		fld("alternative_reason", KindEnum, "代替措置の理由", "Reason for an alternative measure").opts(opts(
			"no_contact_info", "連絡先が不明", "No contact information",
			"contact_outdated", "連絡先が古い", "Contact information outdated")),
		fld("alternative_measure", KindSet, "代替措置", "Alternative measure").opts(opts(
			"publication", "事案の公表", "Publication",
			"inquiry_desk_published", "問い合わせ窓口の公表", "Published inquiry desk")),
		fld("notice_method", KindSet, "通知の方法", "Notice method").opts(opts(
			"letter", "郵送", "Letter",
			"email", "メール", "Email",
			"phone", "電話", "Phone",
			"in_person", "対面", "In person")),
		fld("notice_content_summary", KindLongText, "通知内容（報告事項1・2・4・5・9、謝罪、窓口）", "Notice content"),
		fld("notified_count", KindInt, "通知済み人数", "People notified"),
		fld("undeliverable_count", KindInt, "不達人数", "Undeliverable"),
		fld("notice_started_at", KindDateTime, "通知開始日時", "Notice started at"),
		fld("notice_completed_at", KindDateTime, "通知完了日時", "Notice completed at"),
		fld("publication_required_by_policy", KindBool, "社内方針による公表", "Publication required by policy"),
		fld("publication_done", KindBool, "公表の実施", "Published").help("公表する場合は代表取締役の承認も必要です。"),
		fld("published_at", KindDateTime, "公表日時", "Published at"),
		fld("publication_channels", KindSet, "公表の方法", "Publication channels").opts(opts(
			"website", "自社Webサイト", "Website",
			"press_release", "報道発表", "Press release",
			"newspaper_ad", "新聞広告", "Newspaper ad")),
		fld("publication_content_ref", KindText, "公表文の保管場所", "Published text reference"),
		fld("publication_omission_reason", KindLongText, "公表しない理由", "Why not published"),
		fld("inquiry_desk_type", KindEnum, "問い合わせ窓口の種類", "Inquiry desk type").opts(deskTypeOptions),
		fld("inquiry_desk_owner_dept", KindText, "窓口の担当部署", "Desk owner department"),
		fld("inquiry_desk_opened_at", KindDateTime, "窓口の開設日時", "Desk opened at"),
		fld("inquiry_desk_close_date", KindDate, "窓口の閉鎖予定日", "Planned desk closing date"),
		fld("inquiry_desk_closed_at", KindDateTime, "窓口の閉鎖日時", "Desk closed at"),
		fld("compensation_form", KindEnum, "補償の方法", "Compensation").opts(opts(
			"none", "なし", "None",
			"cash", "金銭", "Cash",
			"gift_card", "金券", "Gift card",
			"points", "ポイント", "Points",
			"other", "その他", "Other")),
		fld("compensation_decided_at", KindDateTime, "補償の決定日時", "Compensation decided at"),
		fld("compensation_amount_per_person", KindInt, "1人あたりの金額（円）", "Amount per person (yen)"),
		fld("compensation_basis", KindLongText, "補償の判断根拠", "Basis of the compensation decision"),
		fld("unjust_claims_procedure", KindLongText, "不当な金銭請求への対応方針", "Procedure for unjust claims"),
	),
	inStage(StageRegulatorReport,
		fld("report_destination", KindEnum, "報告先", "Report destination").opts(opts(
			"PPC", "個人情報保護委員会", "Personal Information Protection Commission",
			"delegated_ministry", "権限委任先の省庁", "Ministry with delegated authority")),
		fld("ministry_name", KindText, "省庁名", "Ministry"),
		fld("prelim_submitted_at", KindDateTime, "速報の提出日時", "Preliminary report submitted at"),
		fld("prelim_method", KindText, "速報の提出方法", "Preliminary report method"),
		fld("prelim_receipt_no", KindText, "速報の受付番号", "Preliminary report receipt number"),
		fld("final_submitted_at", KindDateTime, "確報の提出日時", "Final report submitted at"),
		fld("final_receipt_no", KindText, "確報の受付番号", "Final report receipt number"),
		fld("single_combined_report", KindBool, "速報と確報を一括して報告", "One combined report"),
		fld("supplement_status", KindEnum, "追完の状況", "Supplements").opts(opts(
			"none_needed", "追完不要", "None needed",
			"tracked", "追完予定を管理中", "Tracked",
			"closed", "追完済み", "Closed")),
		fld("supplement_note", KindLongText, "追完の内容", "Supplement notes"),
		fld("voluntary_report", KindBool, "任意の報告を行う", "Voluntary report"),
		fld("entrustor_notified_at", KindDateTime, "委託元への通知日時", "Entrusting company notified at"),
		fld("entrustee_notice_received_at", KindDateTime, "委託先からの通知受領日時", "Contractor's notice received at"),
		fld("report_other_info", KindLongText, "その他参考となる事項", "Other useful information (item 9)"),
	),
	inStage(StageRecurrencePrevention,
		fld("recurrence_plan_summary", KindLongText, "再発防止策（実施済み・予定を区別）", "Recurrence prevention plan (done vs planned)"),
		fld("measures_scope", KindEnum, "再発防止策の範囲", "Scope of the measures").opts(opts(
			"company_wide", "全社", "Company-wide",
			"department", "部門", "Department")),
		fld("rule_change_needed", KindBool, "規程の改正", "Rule change needed"),
		fld("safeguard_change_summary", KindLongText, "安全管理措置の見直し", "Safeguard changes"),
		fld("managers_briefed_at", KindDateTime, "管理職への説明日時", "Managers briefed at"),
		fld("staff_training_summary", KindLongText, "従業者教育の実施状況", "Staff training"),
		fld("effectiveness_review_at", KindDate, "有効性の確認日", "Effectiveness review date"),
	),
	inStage(StageDiscipline,
		fld("hr_case_id", KindText, "人事案件番号", "HR case ID").restricted(),
		fld("culpability", KindEnum, "帰責の程度", "Culpability").opts(culpabilityOptions).restricted(),
		fld("self_reported", KindBool, "自主申告", "Self-reported").restricted(),
		fld("self_reported_at", KindDateTime, "自主申告の日時", "Self-reported at").restricted(),
		fld("sanction", KindEnum, "懲戒処分", "Sanction").opts(sanctionOptions).restricted().
			help("諭旨解雇・懲戒解雇は代表取締役の承認も必要です。"),
		fld("discipline_factors", KindLongText, "考慮した事情", "Factors considered").restricted(),
		fld("discipline_decided_at", KindDateTime, "処分の決定日時", "Decided at").restricted(),
		fld("accusation_filed", KindBool, "刑事告発する", "Criminal accusation filed").restricted(),
		fld("accusation_filed_at", KindDateTime, "告発日時", "Accusation filed at").restricted(),
		fld("accusation_station", KindText, "告発先", "Accusation filed with").restricted(),
		fld("contractor_claim_clause", KindText, "委託先への請求根拠（契約条項）", "Contract clause for a claim against the contractor").restricted(),
		fld("contractor_claim_status", KindEnum, "委託先への請求", "Claim against the contractor").opts(opts(
			"not_applicable", "該当なし", "Not applicable",
			"considering", "検討中", "Considering",
			"claimed", "請求済み", "Claimed",
			"settled", "解決済み", "Settled")).restricted(),
	),
	companyFields(rules.V1()),
)

// companyFields are the extra facts a rule set adds to its stages. Fact
// definitions are one table for every case, so they come from version 1;
// a later version's extra facts join the table when i16b's versions land.
func companyFields(rs *rules.RuleSet) []Field {
	var out []Field
	for _, s := range Stages {
		for _, f := range rs.Stages[string(s)].ExtraFacts {
			fd := Field{Name: f.Name, Stage: s, Kind: FieldKind(f.Kind), LabelJA: f.LabelJA, LabelEN: f.LabelEN,
				Options: ruleOpts(f.Options), Restricted: f.Restricted, company: true}
			out = append(out, fd)
		}
	}
	return out
}

func concat(groups ...[]Field) []Field {
	var out []Field
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

var fieldIndex = func() map[string]*Field {
	m := make(map[string]*Field, len(fieldList))
	for i := range fieldList {
		if _, dup := m[fieldList[i].Name]; dup {
			panic("incident: duplicate field " + fieldList[i].Name)
		}
		m[fieldList[i].Name] = &fieldList[i]
	}
	return m
}()

// Fields returns the field registry in display order (a copy).
func Fields() []Field { return append([]Field(nil), fieldList...) }

// FieldsOf returns the fields of one stage in display order.
func FieldsOf(s Stage) []Field {
	var out []Field
	for _, f := range fieldList {
		if f.Stage == s {
			out = append(out, f)
		}
	}
	return out
}

// LookupField returns the field named name.
func LookupField(name string) (Field, bool) {
	f, ok := fieldIndex[name]
	if !ok {
		return Field{}, false
	}
	return *f, true
}

func (f Field) maxLen() int {
	switch {
	case f.MaxLen > 0:
		return f.MaxLen
	case f.Kind == KindLongText:
		return 20000
	default:
		return 2000
	}
}

func (f Field) hasOption(v string) bool {
	for _, o := range f.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

// OptionLabel returns the Japanese and English labels of value v of field
// name, or v itself when unknown.
func OptionLabel(name, v string) (ja, en string) {
	if f, ok := fieldIndex[name]; ok {
		for _, o := range f.Options {
			if o.Value == v {
				return o.JA, o.EN
			}
		}
	}
	return v, v
}
