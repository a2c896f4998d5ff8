package incident

import "time"

// ChecklistItem is one bullet of a stage's checklist in domain.md §1, with
// its source. Citation marks [P] company policy (seed regulations) and [V]
// law or PPC guidance checked against the primary text.
type ChecklistItem struct {
	ID       string `json:"id"` // "<stage>.<slug>"
	Stage    Stage  `json:"stage"`
	JA       string `json:"ja"`
	EN       string `json:"en"`
	Citation string `json:"citation"`
	// RequiredForExit items must be ticked before the stage can be
	// completed. Items whose outcome is captured by a fact (a date, a
	// decision) are checked through that fact instead, and conditional items
	// (e.g. the customer interview) are enforced by the stage's exit rule.
	RequiredForExit bool `json:"required_for_exit"`
}

// Tick is the recorded state of one checklist item of a case.
type Tick struct {
	Checked bool      `json:"checked"`
	By      int64     `json:"by"`
	At      time.Time `json:"at"`
	Note    string    `json:"note,omitempty"`
}

func item(st Stage, slug, ja, en, cite string, required bool) ChecklistItem {
	return ChecklistItem{ID: string(st) + "." + slug, Stage: st, JA: ja, EN: en, Citation: cite, RequiredForExit: required}
}

var checklist = []ChecklistItem{
	item(StageDiscovery, "report_to_soumu", "役職員は総務部に報告する", "Any officer or employee reports to general affairs", "SEED003 4条1項 [P]", false),
	item(StageDiscovery, "direct_report_30min", "4つの場合（不正目的の持出し・利用、サーバへの不正アクセス、10人以上、公表の可能性）は上長不在でも30分以内に電話又は対面で直接報告する",
		"In the four cases (wrongful takeout or use, unauthorized server access, 10 or more people, possible announcement) report directly by phone or in person within 30 minutes, even if the supervisor is absent", "SEED003 4条2項 [P]", false),
	item(StageDiscovery, "responsible_person_informed", "責任ある立場の者に直ちに報告し、被害の拡大を防止する", "Report at once to someone responsible and stop the damage from growing", "GL 3-5-2(1) [V]", false),
	item(StageDiscovery, "provisional_containment", "総務部は遅滞なく応急措置を指示する（被害拡大防止の段階へ引継ぎ）", "General affairs orders provisional containment without delay (handed to Containment)", "SEED003 5条 [P]", false),
	item(StageDiscovery, "customer_interview", "顧客からの指摘が端緒の場合、漏えいと考える理由・証拠（DM等）・送付者・情報項目を聴取する",
		"If a customer complaint triggered the case, ask why they think data leaked, for evidence (e.g. a direct mail), the sender and the data items", "SEED001 Q10 [P]", false),
	item(StageDiscovery, "exec_report_decision", "総務部長は代表取締役及び関係取締役への報告の要否を判断する", "The head of general affairs decides whether to report to the CEO and directors concerned", "SEED003 6条 [P]", false),
	item(StageDiscovery, "mynumber_officer", "マイナンバーが含まれる可能性があれば事務取扱責任者に連絡する", "If My Number may be involved, inform the person responsible for handling it", "SEED003 3条3項 [P]", false),
	item(StageDiscovery, "evidence_preserved", "ログ・メール・端末などの証拠を保全する", "Preserve evidence: logs, emails, devices", "SEED001 表紙（初動対応と証拠収集は早めに） [P]", true),
	item(StageDiscovery, "prelim_screen", "報告要否の一次判定を行い、報告対象又はそのおそれがあれば委員会報告の段階を直ちに開始する",
		"Do the preliminary reportability screen; if reportable or suspected, start the regulator report at once", "domain §2; GL 3-5-3-1 [V]", false),

	item(StageInvestigation, "basic_facts", "基本事実（対象顧客と人数、情報項目、漏えい日時、経緯、原因）を確定する", "Establish the basic facts: who and how many, data items, when, how, cause", "SEED000 2条 [P]", true),
	item(StageInvestigation, "four_points", "4点を調査する（取扱部署・担当者、経路、漏えいの有無と流出先、本人・項目・件数）",
		"Investigate four points: department and staff, route, whether it leaked and where, people, items and count", "SEED003 7条1項 [P]", true),
	item(StageInvestigation, "cause_four_angles", "原因を4つの観点で分析する（全社的か部門的か、規程の不備、安全管理措置の不備、組織的か個人的か）",
		"Analyse the cause from four angles: company-wide or department, rule gaps, safeguard gaps, organizational or individual", "SEED003 7条2項 [P]", true),
	item(StageInvestigation, "forensic_vendor", "不正アクセスが判明した場合は外部のフォレンジック業者に依頼する", "If unauthorized access is found, hire an outside forensic vendor", "SEED003 7条3項 [P]", false),
	item(StageInvestigation, "consult_police_lawyer", "必要に応じて警察・弁護士に相談する", "Consult the police or lawyers as needed", "SEED003 7条4項 [P]", false),
	item(StageInvestigation, "impact_scope", "人数・内容・手段・原因から影響範囲を特定する", "Determine the scope of impact from the number, content, means and cause", "SEED003 8条 [P]; GL 3-5-2(3) [V]", false),
	item(StageInvestigation, "staff_interviews", "早期に関係者から聴取し、初回調査で判明しないことを理由に調査を打ち切らない", "Interview staff early; do not stop or close as \"cause unknown\" because the first pass found nothing", "SEED001 Q9, Q10 [P]", true),
	item(StageInvestigation, "legal_definitions", "漏えい・滅失・毀損の定義に当てはめる（閲覧前に回収したものは漏えいに当たらない）",
		"Apply the legal definitions of leak, loss and damage (recovered before anyone viewed it is not a leak)", "GL 3-5-1 [V]", true),
	item(StageInvestigation, "rescreen", "事実が変わるたびに報告要否を再判定する（1,000人を超えた時点で類型4）", "Re-run the reportability screen whenever the facts change (category 4 from the moment the count passes 1,000)", "GL 3-5-3-1(4) [V]", false),

	item(StagePoliceReport, "file_report", "被害届を提出する。従業者の不注意による紛失は紛失届を提出する（例: 電車内でのUSBメモリ紛失）",
		"File a damage report; for items lost through staff carelessness file a lost-property report (e.g. a USB stick left on a train)", "SEED000 3条 [P]", false),
	item(StagePoliceReport, "cooperation", "捜査に協力する（資料提供、事情聴取への対応）", "Cooperate with any investigation: hand over materials, arrange interviews", "SEED000 4条 [P]", false),
	item(StagePoliceReport, "accusation", "故意に漏えいさせた従業者を刑事告発する", "Bring a criminal accusation against employees who leaked data on purpose", "SEED000 16条; SEED003 10条2項 [P]", false),
	item(StagePoliceReport, "legal_background", "個人情報保護法は警察への届出を義務付けていない。個人情報データベース等不正提供罪（1年以下の拘禁刑又は50万円以下の罰金、法人は1億円以下）",
		"The APPI does not require a police report; unlawful provision of a personal-information database is a crime (up to 1 year or ¥500,000; ¥100 million for the corporation)", "LAW 179条, 184条 [V]", false),

	item(StageContainment, "provisional_measures", "応急措置を講じる。不正アクセス・マルウェアの疑いがあればLANケーブルを抜くなどネットワークから切り離し、まず脆弱性を塞ぐ",
		"Take provisional measures; if unauthorized access or malware is suspected, cut the device off the network and close the hole first", "SEED003 5条1項・2項; SEED001 Q10, Q12 [P]", true),
	item(StageContainment, "identify_destination", "IT専門家や外部業者を使い流出先の特定に努める", "Make reasonable efforts to identify where the data went", "SEED000 5条 [P]", true),
	item(StageContainment, "monitoring", "定期的なWeb検索や監視サービスで不正利用を監視する", "Monitor for misuse with regular web searches or a monitoring service", "SEED000 6条 [P]", false),
	item(StageContainment, "escalation", "前段が奏功しない場合に限り順に：返還・削除請求、内容証明による警告、差止め訴訟", "Escalate in order, each only if the previous failed: return or deletion request, warning by certified mail, injunction suit", "SEED000 7条〜9条 [P]", false),
	item(StageContainment, "recover_data", "流出した情報を回収し拡散を防ぐ", "Recover the leaked data and stop it spreading", "SEED001 Q12 [P]", false),
	item(StageContainment, "prevent_further_damage", "被害の拡大を防止する", "Prevent further damage", "GL 3-5-2(1) [V]", true),

	item(StageCustomerNotice, "legal_notice", "報告対象なら本人に通知する（報告事項1・2・4・5・9、本人に必要な範囲、書面・メール等で直接。困難なら公表又は窓口の公表）",
		"If reportable, notify each person (report items 1, 2, 4, 5, 9, as needed by that person, directly by letter or email; if impossible, publish or publish an inquiry desk)", "LAW 26条2項; 規則10条; GL 3-5-4-2〜3-5-4-5 [V]", false),
	item(StageCustomerNotice, "apology", "顧客ごとに原則書面で説明・謝罪する（範囲、経緯、再発防止策。金品の提供を含む）", "Explain and apologise to each customer, in writing as a rule (scope, how, prevention; money or goods may be offered)", "SEED000 10条 [P]", false),
	item(StageCustomerNotice, "publication", "Webサイト又は新聞で公表する（法律上は望ましい措置）", "Publish on the website or in newspapers (under the law only recommended)", "SEED000 11条; SEED003 13条; SEED004 17条2項 [P]; GL 3-5-2(5) [V]", false),
	item(StageCustomerNotice, "inquiry_desk", "問い合わせ窓口を一本化して設置する（総務課／専用回線／人事側窓口の別は会社設定）", "Set up a single inquiry desk (general affairs, a dedicated line or the HR-side desk: company setting)", "SEED000 12条; SEED001 Q11; SEED004 13条 [P]", false),
	item(StageCustomerNotice, "unjust_claims", "不当な金銭要求には毅然と対応する", "Refuse unjust monetary demands firmly", "SEED000 13条; SEED001 Q12 [P]", false),
	item(StageCustomerNotice, "compensation", "情報の内容、漏えいの態様、原因、類似事案の金額から補償を決める", "Decide compensation from the data, the manner, the cause and similar cases", "SEED003 12条 [P]", false),
	item(StageCustomerNotice, "notify_possibly_affected", "影響の可能性がある全員に通知し、確定した事実と可能性を区別する", "Notify everyone possibly affected, keeping facts separate from possibilities", "SEED001 Q11 [P]", false),
	item(StageCustomerNotice, "disclosure_deletion_requests", "開示・削除の請求に遅滞なく対応する", "Handle disclosure and deletion requests without delay", "SEED001 Q11 [P]", false),
	item(StageCustomerNotice, "cyber_consult", "公表で被害が拡大するおそれのあるサイバー攻撃は、先に専門機関に相談する", "For cyber attacks where publishing could make things worse, consult specialist bodies first", "SEED003 11条2項, 13条2項 [P]", false),

	item(StageRegulatorReport, "prelim", "把握している事実で速やかに速報を提出する", "File the preliminary report promptly with the facts known so far", "規則8条1項; GL 3-5-3-3 [V]", false),
	item(StageRegulatorReport, "final", "30日（不正目的は60日）以内に9項目の確報を提出し、判明しない事項は追完する", "File the final report with all 9 items within 30 (wrongful purpose: 60) days; fill gaps later", "規則8条2項; GL 3-5-3-4 [V]", false),
	item(StageRegulatorReport, "combined", "速報時にすべて判明していれば一括して報告できる", "If everything is known at the preliminary report, one filing can serve as both", "GL 3-5-3-4 ※1 [V]", false),
	item(StageRegulatorReport, "web_form", "委員会のWebフォームで報告する（報告者は会社名、マイナンバーの可能性があれば番号法の様式、権限委任業種は所管省庁）",
		"Report through the PPC web form (reporter = company name; My Number form if possibly involved; delegated ministry where applicable)", "LEAK; GL 3-5-3-3 [V]", true),
	item(StageRegulatorReport, "entrustment", "委託元・委託先の双方が報告義務を負う。委託先が委託元に速やかに通知すれば委託先の義務は免除される",
		"Both entrusting company and contractor must report; a contractor that promptly notifies its entrusting company is released", "GL 3-5-3-2, 3-5-3-5; 規則9条 [V]", false),
	item(StageRegulatorReport, "voluntary", "報告対象外でも任意に報告できる。マイナンバーは報告対象外でも報告の努力義務がある", "Non-reportable cases may be reported voluntarily; for My Number there is a duty to try to report", "GL 3-5-3-1 ※1; MNG 別添2 3B [V]", false),
	item(StageRegulatorReport, "immediate_reports", "関係機関に直ちに報告する", "Report immediately to the relevant bodies", "SEED004 17条2項3号 [P]", false),

	item(StageRecurrencePrevention, "measures_four_points", "原因と影響範囲に基づき再発防止策を速やかに実施する（全社か部門か、規程の変更、安全管理措置、運用変更・監視で足りるか）",
		"Base measures on cause and scope and implement them promptly (company-wide or department, rule changes, safeguards, whether operations or monitoring suffice)", "SEED003 9条1項・2項 [P]", true),
	item(StageRecurrencePrevention, "systems_operations_education", "システム・運用・教育の各面で対策する", "Cover systems, operations and education", "SEED000 14条 [P]", false),
	item(StageRecurrencePrevention, "brief_and_train", "管理職に原因と対策を説明し、従業者を教育する", "Brief managers on the cause and measures; train staff", "SEED001 Q9 [P]", false),
	item(StageRecurrencePrevention, "strengthen_channels", "報告・相談体制、内部監査、情報管理規程を強化する", "Strengthen reporting channels, internal audit and the information-management rules", "SEED001 Q12 [P]", false),
	item(StageRecurrencePrevention, "corrective_action_cycle", "是正処置：不適合の確認、原因、期限付きの計画、結果の記録、有効性の確認（各対策は完了又は担当者・期限付きの予定）",
		"Corrective action: confirm, find the cause, plan with a deadline, record, review effectiveness (each measure done, or planned with owner and date)", "SEED004 45条 [P]", true),
	item(StageRecurrencePrevention, "management_review", "代表者による見直しに結果を反映する", "Feed the results into the CEO's annual review", "SEED004 46条 [P]", false),
	item(StageRecurrencePrevention, "law_baseline", "再発防止策を講じ、報告事項8では実施済みと予定を区別する", "Take prevention measures; report item 8 separates done from planned", "GL 3-5-2(4), 3-5-3-3(8) [V]", false),

	item(StageDiscipline, "work_rules", "人事部が就業規則に基づき懲戒する（故意と過失を考慮、故意又は重過失に限る）", "HR disciplines under the work rules, weighing intent against negligence (intentional acts or gross negligence only)", "SEED003 10条1項; SEED000 15条; SEED004 47条3項 [P]", true),
	item(StageDiscipline, "self_report_mitigation", "早期の自主申告は処分を軽減する", "Mitigate for early self-reporting", "SEED001 Q9 [P]", false),
	item(StageDiscipline, "accusation", "必要に応じ総務部が刑事告発する（警察の段階と連携）", "General affairs brings a criminal accusation where needed (linked to the police stage)", "SEED003 10条2項; SEED000 16条 [P]", false),
	item(StageDiscipline, "contractor_liability", "義務に違反した委託先の契約責任を追及する", "Pursue contractual liability against a contractor in breach", "SEED004 47条4項 [P]", false),
}

var checklistIndex = func() map[string]*ChecklistItem {
	m := make(map[string]*ChecklistItem, len(checklist))
	for i := range checklist {
		m[checklist[i].ID] = &checklist[i]
	}
	return m
}()

// Checklist returns the checklist items of stage s in order.
func Checklist(s Stage) []ChecklistItem {
	var out []ChecklistItem
	for _, it := range checklist {
		if it.Stage == s {
			out = append(out, it)
		}
	}
	return out
}

// LookupChecklistItem returns the item with the given ID.
func LookupChecklistItem(id string) (ChecklistItem, bool) {
	it, ok := checklistIndex[id]
	if !ok {
		return ChecklistItem{}, false
	}
	return *it, true
}
