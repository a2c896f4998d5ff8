package incident

// Option sets shared by several fields. Values are API names; JA is shown to
// users. Lists of values come from domain.md §1.0 and the stage tables.

import "github.com/leakdesk/leakdesk/internal/rules"

// Option is one allowed value of an enum or set field.
type Option struct {
	Value string `json:"value"`
	JA    string `json:"ja"`
	EN    string `json:"en"`
}

func opts(triples ...string) []Option {
	out := make([]Option, 0, len(triples)/3)
	for i := 0; i+2 < len(triples); i += 3 {
		out = append(out, Option{Value: triples[i], JA: triples[i+1], EN: triples[i+2]})
	}
	return out
}

var (
	tristateOptions = opts(
		"yes", "はい", "Yes",
		"no", "いいえ", "No",
		"unknown", "不明", "Unknown")

	routeOptions = opts(
		"email_missend", "メール誤送信", "Email sent to the wrong recipient",
		"fax_missend", "FAX誤送信", "Fax sent to the wrong recipient",
		"post_missend", "郵便誤送付", "Post sent to the wrong recipient",
		"web_misposting", "Web誤掲載", "Mistaken posting on the web",
		"misconfig_public_exposure", "設定ミスによる公開状態", "Public exposure by misconfiguration",
		"media_lost", "媒体の紛失", "Lost medium or device",
		"media_stolen", "媒体の盗難", "Stolen medium or device",
		"unauthorized_access", "不正アクセス", "Unauthorized access",
		"malware_ransomware", "マルウェア・ランサムウェア", "Malware or ransomware",
		"web_form_tampering", "入力フォームの改ざん（スキミング）", "Web form tampering (skimming)",
		"insider_takeout", "内部者による持出し", "Insider takeout",
		"contractor_incident", "委託先での事故", "Incident at a contractor",
		"improper_disposal", "不適切な廃棄", "Improper disposal",
		"other", "その他", "Other")

	causeCategoryOptions = opts(
		"human_error", "人為的ミス", "Human error",
		"process_gap", "業務手順の不備", "Gap in the process",
		"technical_vulnerability", "技術的脆弱性", "Technical vulnerability",
		"external_malicious", "外部者の悪意", "Malicious outsider",
		"insider_malicious", "内部者の悪意", "Malicious insider",
		"contractor", "委託先", "Contractor",
		"unknown_pending", "不明（調査中）", "Unknown, still being investigated")

	dataItemOptions = opts(
		"name", "氏名", "Name",
		"address", "住所", "Address",
		"phone", "電話番号", "Phone number",
		"email", "メールアドレス", "Email address",
		"birthdate", "生年月日", "Date of birth",
		"gender", "性別", "Gender",
		"customer_id", "顧客番号", "Customer ID",
		"sns_account", "SNSアカウント", "SNS account",
		"purchase_history", "購買履歴", "Purchase history",
		"inquiry_content", "問い合わせ内容", "Inquiry content",
		"card_number_full", "クレジットカード番号（全桁）", "Full card number",
		"card_last4_plus_expiry", "カード番号下4桁と有効期限", "Card last 4 digits and expiry",
		"card_cvv", "セキュリティコード", "Card security code (CVV)",
		"bank_account_no", "銀行口座番号", "Bank account number",
		"login_id_password_payment_service", "決済可能なサービスのID・パスワード", "Login ID and password of a payment service",
		"my_number", "個人番号（マイナンバー）", "My Number",
		"health_check_result", "健康診断等の結果", "Health check results",
		"stress_check_result", "ストレスチェックの結果", "Stress check results",
		"medical_or_dispensing", "診療・調剤情報", "Medical treatment or dispensing",
		"medical_history", "病歴", "Medical history",
		"disability", "障害", "Disability",
		"criminal_record", "犯罪の経歴", "Criminal record",
		"crime_victim", "犯罪被害の事実", "Having been a crime victim",
		"criminal_procedure", "刑事事件の手続", "Criminal procedure",
		"juvenile_procedure", "少年保護事件の手続", "Juvenile procedure",
		"race", "人種", "Race",
		"creed", "信条", "Creed",
		"social_status", "社会的身分", "Social status",
		"salary", "給与", "Salary",
		"evaluation", "人事評価", "Evaluation",
		"other", "その他", "Other")

	subjectTypeOptions = opts(
		"customer", "顧客", "Customers",
		"employee", "従業員", "Employees",
		"applicant", "応募者", "Applicants",
		"shareholder", "株主", "Shareholders",
		"business_contact", "取引先担当者", "Business contacts",
		"other", "その他", "Other")

	mediumOptions = opts(
		"email", "メール", "Email",
		"file_server", "ファイルサーバ", "File server",
		"database", "データベース", "Database",
		"cloud", "クラウド", "Cloud service",
		"web_form", "Webフォーム", "Web form",
		"paper", "紙", "Paper",
		"usb", "USBメモリ等", "USB stick or similar",
		"laptop", "ノートPC", "Laptop",
		"smartphone", "スマートフォン", "Smartphone",
		"other", "その他", "Other")

	escalationStepOptions = opts(
		"pending", "未着手", "Not started",
		"in_progress", "対応中", "In progress",
		"done", "実施済み", "Done",
		"not_applicable", "不要（理由を記録）", "Not applicable (reason recorded)")

	// Culpability of an employee, shared by the stage fact and the per-employee record.
	culpabilityOptions = opts(
		"intentional", "故意", "Intentional",
		"gross_negligence", "重過失", "Gross negligence",
		"negligence", "過失", "Negligence",
		"none", "なし", "None")

	// The sanctions of the work rules, the inquiry-desk kinds and the
	// customer-notice skip and deferral reasons are the rule set's; the facts
	// that choose among them take version 1's lists (fact definitions are
	// one table for every case: an old value must always stay readable).
	sanctionOptions    = sanctionOpts(rules.V1().Sanctions)
	deskTypeOptions    = ruleOpts(rules.V1().InquiryDesk.Types)
	omitReasonOptions  = reasonOpts(rules.V1().Stages[string(StageCustomerNotice)].SkipReasons)
	deferReasonOptions = reasonOpts(rules.V1().Stages[string(StageCustomerNotice)].DeferReasons)
)

func sanctionOpts(list []rules.Sanction) []Option {
	out := make([]Option, len(list))
	for i, s := range list {
		out[i] = Option{Value: s.Code, JA: s.JA, EN: s.EN}
	}
	return out
}

func ruleOpts(list []rules.Option) []Option {
	out := make([]Option, len(list))
	for i, s := range list {
		out[i] = Option{Value: s.Code, JA: s.JA, EN: s.EN}
	}
	return out
}

func reasonOpts(list []rules.Reason) []Option {
	out := make([]Option, len(list))
	for i, s := range list {
		out[i] = Option{Value: s.Code, JA: s.JA, EN: s.EN}
	}
	return out
}
