package appi

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// sensitiveItems are the data_items flagged S in domain.md §1.0 (要配慮個人情報,
// 法2条3項, GL 2-3).
var sensitiveItems = map[string]string{
	"health_check_result":   "健康診断等の結果",
	"stress_check_result":   "ストレスチェックの結果",
	"medical_or_dispensing": "診療・調剤情報",
	"medical_history":       "病歴",
	"disability":            "障害",
	"criminal_record":       "犯罪の経歴",
	"crime_victim":          "犯罪被害の事実",
	"criminal_procedure":    "刑事事件に関する手続",
	"juvenile_procedure":    "少年の保護事件に関する手続",
	"race":                  "人種",
	"creed":                 "信条",
	"social_status":         "社会的身分",
}

// financialItems are the data_items flagged F (GL 3-5-3-1(2), QA6-12).
var financialItems = map[string]string{
	"card_number_full":                  "クレジットカード番号",
	"card_cvv":                          "セキュリティコード",
	"login_id_password_payment_service": "送金・決済機能のあるサービスのID・パスワード",
}

var otherItems = []string{
	"name", "address", "phone", "email", "birthdate", "gender", "customer_id", "sns_account",
	"purchase_history", "inquiry_content", "card_last4_plus_expiry", "bank_account_no", "my_number",
	"salary", "evaluation", "other",
}

// wrongfulRoutes are the routes that are wrongful-purpose acts by nature
// (GL 3-5-3-1(3) examples: unauthorized access, ransomware, skimming forms,
// insider take-out, theft of media).
var wrongfulRoutes = map[string]bool{
	"unauthorized_access": true,
	"malware_ransomware":  true,
	"web_form_tampering":  true,
	"insider_takeout":     true,
	"media_stolen":        true,
}

// attackRoutes count as "unauthorized access to a server was found" for the
// 30-minute rule: ransomware and tampered web forms are reached that way.
var attackRoutes = map[string]bool{
	"unauthorized_access": true,
	"malware_ransomware":  true,
	"web_form_tampering":  true,
}

// publicViewRoutes make a My Number file viewable by unspecified people
// (番号法報告規則2条3号: 不特定多数の者に閲覧された、又はそのおそれ).
var publicViewRoutes = map[string]bool{
	"web_misposting":            true,
	"misconfig_public_exposure": true,
}

// caseFacts holds the values the rules need, read once and already derived, so
// that both tables and the deadlines see the same interpretation.
type caseFacts struct {
	r   *reader
	now time.Time

	recognizedAt  time.Time
	hasRecognized bool

	certainty    string
	events       []string
	hasEvents    bool
	items        []string
	hasItems     bool
	route        string
	isPersonal   Tri
	acquiring    bool
	wrongful     bool
	wrongfulWhy  Reason
	wrongfulOpen bool // neither an explicit answer nor a route to derive one from

	maxAffected int64
	hasCount    bool

	enc encryptionResult

	recoveredUnviewed bool
	pseudonymized     bool
}

// encryptionResult is the §2.2 test, shared by both tables.
type encryptionResult struct {
	ok         bool
	undecided  bool // high_level claimed but key status or algorithm unknown
	reasons    []Reason
	reviews    []review
	claimedHL  bool
	compromise bool
}

type review struct {
	code string
	ja   string
	en   string
}

// Assess applies domain.md §2 (both decision tables, side by side) and §3
// (deadlines) to the facts f, with states computed against now. Zero fields
// of opts take their DefaultOptions value. Assess never panics on malformed
// facts: an unreadable value is treated as not recorded and listed in
// appi.needs_review as "invalid_fact:<name>".
func Assess(f map[string]any, opts Options, now time.Time) Assessment {
	opts = opts.normalize()
	r := &reader{f: f}
	fx := readFacts(r, opts, now)

	contra := contradictions(fx, opts)
	appiRes, ex := assessAPPI(fx, opts, contra)
	mnRes := assessMyNumber(fx, contra)

	a := Assessment{
		APPI:           appiRes,
		MyNumber:       mnRes,
		Contradictions: contra,
		AssessedAt:     now,
	}
	a.Deadlines, a.ThirtyMinuteRule = deadlines(fx, opts, &a, ex)
	if fx.hasRecognized {
		kd := DateOf(fx.recognizedAt)
		a.KnownDate = &kd
	}
	if len(r.invalid) > 0 {
		slices.Sort(r.invalid)
		for _, k := range slices.Compact(r.invalid) {
			addReview(&a.APPI.Reasons, &a.APPI.NeedsReview, review{
				"invalid_fact:" + k,
				fmt.Sprintf("事実「%s」の値を読み取れないため未記録として扱った", k),
				fmt.Sprintf("fact %q has an unreadable value and was treated as not recorded", k),
			})
		}
	}
	finish(&a)
	return a
}

// finish replaces nil slices so that JSON carries [] rather than null, as
// the API contract's lists are never null.
func finish(a *Assessment) {
	nonNil := func(s *[]string) {
		if *s == nil {
			*s = []string{}
		}
	}
	nonNilR := func(s *[]Reason) {
		if *s == nil {
			*s = []Reason{}
		}
	}
	nonNil(&a.APPI.Categories)
	nonNil(&a.APPI.Exemptions)
	nonNil(&a.APPI.NeedsReview)
	nonNilR(&a.APPI.Reasons)
	nonNil(&a.MyNumber.Categories)
	nonNil(&a.MyNumber.NeedsReview)
	nonNilR(&a.MyNumber.Reasons)
	nonNilR(&a.Contradictions)
	if a.Deadlines == nil {
		a.Deadlines = []Deadline{}
	}
}

func addReview(reasons *[]Reason, list *[]string, rv review) {
	if slices.Contains(*list, rv.code) {
		return
	}
	*list = append(*list, rv.code)
	*reasons = append(*reasons, Reason{Code: rv.code, JA: rv.ja, EN: rv.en})
}

func readFacts(r *reader, opts Options, now time.Time) *caseFacts {
	fx := &caseFacts{r: r, now: now}
	fx.recognizedAt, fx.hasRecognized = r.time("recognized_at")
	fx.certainty = r.str("certainty")
	fx.events, fx.hasEvents = r.set("event_types")
	fx.items, fx.hasItems = r.set("data_items")
	if !fx.hasItems {
		// Stage 1 records what is suspected before Investigation confirms it.
		fx.items, fx.hasItems = r.set("suspected_data_items")
	}
	fx.route = r.str("route")
	if fx.route == "" {
		fx.route = r.str("suspected_route")
	}
	fx.isPersonal = r.tri("is_personal_data")
	fx.acquiring = r.bool("being_acquired_for_db")
	fx.recoveredUnviewed = r.bool("recovered_unviewed")
	fx.pseudonymized = r.bool("pseudonymized")

	// GL 3-5-3-1(4): an uncertain count is judged by its maximum.
	for _, k := range []string{"affected_count", "affected_count_upper_bound", "estimated_count_max"} {
		if n, ok := r.int(k); ok {
			fx.hasCount = true
			fx.maxAffected = max(fx.maxAffected, n)
		}
	}
	if opts.RegisterCount > 0 {
		fx.hasCount = true
		fx.maxAffected = max(fx.maxAffected, int64(opts.RegisterCount))
	}

	fx.deriveWrongful()
	fx.enc = evalEncryption(r, opts)
	return fx
}

// deriveWrongful applies "explicit fact wins; otherwise derive from the
// route or the suspicion flags" (GL 3-5-3-1(3)).
func (fx *caseFacts) deriveWrongful() {
	r := fx.r
	switch w := r.tri("wrongful_act"); w {
	case TriYes:
		fx.wrongful = true
		fx.wrongfulWhy = Reason{"wrongful_explicit", "不正の目的をもって行われたおそれのある行為と記録されている（規則7条3号 / GL 3-5-3-1(3)）",
			"recorded as an act with a (suspected) wrongful purpose (Rule 7(iii); GL 3-5-3-1(3))"}
		return
	case TriNo:
		fx.wrongfulWhy = Reason{"wrongful_explicit_no", "不正目的の行為ではないと記録されている（規則7条3号）",
			"recorded as not a wrongful-purpose act (Rule 7(iii))"}
		return
	}
	insider := r.tri("insider_suspected")
	unauth := r.tri("unauthorized_access_suspected")
	switch {
	case wrongfulRoutes[fx.route]:
		fx.wrongful = true
		fx.wrongfulWhy = Reason{"wrongful_derived_route",
			fmt.Sprintf("経路「%s」は不正の目的をもって行われたおそれのある行為に当たる（規則7条3号 / GL 3-5-3-1(3)）", fx.route),
			fmt.Sprintf("route %q is a wrongful-purpose act by nature (Rule 7(iii); GL 3-5-3-1(3))", fx.route)}
	case insider == TriYes:
		fx.wrongful = true
		fx.wrongfulWhy = Reason{"wrongful_derived_insider", "従業者による不正な持ち出し等の疑いがある（規則7条3号 / GL 3-5-3-1(3) ※5）",
			"insider misuse is suspected (Rule 7(iii); GL 3-5-3-1(3) note 5)"}
	case unauth == TriYes:
		fx.wrongful = true
		fx.wrongfulWhy = Reason{"wrongful_derived_unauthorized_access", "不正アクセスの疑いがある（規則7条3号 / GL 3-5-3-1(3) ※4）",
			"unauthorized access is suspected (Rule 7(iii); GL 3-5-3-1(3) note 4)"}
	case fx.route != "":
		fx.wrongfulWhy = Reason{"wrongful_derived_none",
			fmt.Sprintf("経路「%s」と疑いの記録からは不正目的の行為は導かれない（規則7条3号）", fx.route),
			fmt.Sprintf("route %q and the suspicion flags do not indicate a wrongful-purpose act (Rule 7(iii))", fx.route)}
	default:
		fx.wrongfulOpen = insider != TriNo || unauth != TriNo
		fx.wrongfulWhy = Reason{"wrongful_not_derivable", "経路が未記録のため不正目的の有無を判断できない（規則7条3号）",
			"route not recorded, so a wrongful-purpose act cannot be ruled in or out (Rule 7(iii))"}
	}
}

// evalEncryption applies domain.md §2.2: approved cipher, key not
// compromised, and the key managed (separated, remotely wiped, or unusable by
// design). An unknown key status is never an exemption.
func evalEncryption(r *reader, opts Options) encryptionResult {
	var e encryptionResult
	kc := r.tri("key_compromised")
	e.compromise = kc == TriYes
	switch enc := r.str("encryption"); enc {
	case "", "none":
		return e
	case "password_only":
		e.reasons = append(e.reasons, Reason{"E4_password_only",
			"パスワード保護のみで高度な暗号化等に当たらない（GL 3-5-3-1 柱書 / Q&A 17-14）",
			"password protection only; not high-level encryption (GL 3-5-3-1; QA17-14)"})
		return e
	case "high_level":
		e.claimedHL = true
	default:
		r.invalid = append(r.invalid, "encryption")
		return e
	}

	alg := r.str("encryption_algorithm")
	algOK := opts.algorithmApproved(alg)
	switch {
	case alg == "":
		e.undecided = true
		e.reviews = append(e.reviews, review{"encryption_algorithm_not_recorded",
			"暗号アルゴリズムが未記録のため高度な暗号化等か判断できない（Q&A 17-14）",
			"encryption algorithm not recorded; high-level encryption cannot be confirmed (QA17-14)"})
	case !algOK:
		e.reasons = append(e.reasons, Reason{"E4_algorithm_not_approved",
			fmt.Sprintf("暗号方式「%s」は承認済みリスト（電子政府推奨暗号リスト等）にない（Q&A 17-14）", alg),
			fmt.Sprintf("cipher %q is not on the approved list (CRYPTREC e-Government list etc.; QA17-14)", alg)})
		e.reviews = append(e.reviews, review{"encryption_algorithm_not_approved",
			fmt.Sprintf("暗号方式「%s」が高度な暗号化に当たるか要確認", alg),
			fmt.Sprintf("check whether cipher %q counts as high-level encryption", alg)})
	}

	sep, sepSet := r.boolSet("key_separated")
	wipe, wipeSet := r.boolSet("remote_wipe_done")
	design, designSet := r.boolSet("key_unusable_by_design")
	managed := sep || wipe || design
	switch kc {
	case TriYes:
		e.reasons = append(e.reasons, Reason{"E4_key_compromised",
			"復号鍵が漏えいしているため高度な暗号化等の除外は適用できない（Q&A 17-14）",
			"the decryption key is compromised, so the encryption exemption cannot apply (QA17-14)"})
		return e
	case TriNo:
	default:
		e.undecided = true
		e.reviews = append(e.reviews, review{"key_status_unknown",
			"復号鍵の漏えいの有無が不明のため除外を適用しない（§2.2）",
			"whether the key was compromised is unknown; the exemption is not applied (§2.2)"})
	}
	if !managed {
		if !sepSet && !wipeSet && !designSet {
			e.undecided = true
			e.reviews = append(e.reviews, review{"key_management_not_recorded",
				"鍵の分別管理・遠隔削除等の状況が未記録（Q&A 17-14）",
				"key management (separate storage, remote wipe, unusable by design) not recorded (QA17-14)"})
		} else {
			e.reasons = append(e.reasons, Reason{"E4_key_not_managed",
				"鍵が分別管理されておらず遠隔削除等もないため除外は適用できない（Q&A 17-14）",
				"the key is neither kept separately nor remotely wiped nor unusable by design (QA17-14)"})
		}
	}
	if algOK && kc == TriNo && managed {
		e.ok = true
		e.reasons = append(e.reasons, Reason{"E4_high_encryption",
			fmt.Sprintf("高度な暗号化等（%s、鍵は適切に管理され漏えいなし）が施されているため規則7条の対象外（GL 3-5-3-1 柱書括弧書 / Q&A 17-14）", alg),
			fmt.Sprintf("protected by high-level encryption (%s, key managed and not compromised): excluded from Rule 7 (GL 3-5-3-1; QA17-14)", alg)})
	}
	return e
}

func onlyLeak(events []string) bool {
	return len(events) == 1 && events[0] == "leak"
}

func joinNames(keys []string, names map[string]string) string {
	var out []string
	for _, k := range keys {
		if n, ok := names[k]; ok {
			out = append(out, n)
		} else {
			out = append(out, k)
		}
	}
	return strings.Join(out, "、")
}

func intPtr(n int) *int { return &n }
