package appi

import (
	"fmt"
	"slices"
)

// assessAPPI runs the APPI decision table (domain.md §2.1) top-down: the
// exits E1–E4, then the categories C1–C4, then OUT, EX and N. It returns
// whether EX released the company from its own report and notice.
func assessAPPI(fx *caseFacts, opts Options, contra []Reason) (APPIAssessment, bool) {
	var a APPIAssessment
	r := fx.r
	add := func(code, ja, en string) { a.Reasons = append(a.Reasons, Reason{code, ja, en}) }
	rv := func(x review) { addReview(&a.Reasons, &a.NeedsReview, x) }
	if fx.hasCount {
		n := fx.maxAffected
		a.MaxAffected = &n
	}
	if len(contra) > 0 {
		rv(review{"contradictory_facts",
			"相互に矛盾する事実がある（contradictions 参照）。解消するまで「報告対象外」とは判定しない",
			"some facts contradict each other (see contradictions); the case is not found not reportable until they are resolved"})
	}
	if fx.isPersonal == TriNo {
		rv(review{"is_personal_data_no",
			"個人データに当たらないと記録されている（規則7条1・2・4号の対象外、3号は取得中の情報のみ）。判断を要確認",
			"recorded as not personal data (outside Rule 7(i),(ii),(iv); (iii) only for data being acquired); confirm"})
	} else if fx.isPersonal == TriUnknown {
		rv(review{"is_personal_data_unknown",
			"個人データ該当性が不明のため該当するものとして扱った",
			"whether this is personal data is unknown; treated as personal data"})
	}

	incomplete := false
	exitStatus := func() (APPIAssessment, bool) {
		a.Status = StatusNotReportable
		if len(contra) > 0 {
			a.Status = StatusUndetermined
		}
		// Ruled out or not a leak leaves nothing to report, even voluntarily.
		a.VoluntaryReportPossible = a.Status == StatusNotReportable && fx.certainty != "ruled_out" &&
			!slices.Contains(a.Exemptions, ExNotALeak)
		return a, false
	}

	// E1
	switch fx.certainty {
	case "ruled_out":
		add("E1_ruled_out", "漏えい等のおそれが否定されたため報告対象外（GL 3-5-3-1 ※2）",
			"a leak has been ruled out, so nothing is reportable (GL 3-5-3-1 note 2)")
		return exitStatus()
	case "confirmed", "suspected":
	case "":
		incomplete = true
		rv(review{"certainty_not_recorded", "漏えい等の確実性（確定・おそれ・否定）が未記録",
			"certainty (confirmed / suspected / ruled out) not recorded"})
	default:
		r.invalid = append(r.invalid, "certainty")
		incomplete = true
	}

	// E2
	if fx.recoveredUnviewed {
		switch {
		case fx.hasEvents && onlyLeak(fx.events):
			a.Exemptions = append(a.Exemptions, ExNotALeak)
			add("E2_recovered_unviewed", "第三者に閲覧される前に全て回収されたため漏えいに当たらない（GL 3-5-1-2）",
				"all data was recovered before any third party viewed it, so it is not a leak (GL 3-5-1-2)")
			return exitStatus()
		case !fx.hasEvents:
			incomplete = true
			rv(review{"event_types_not_recorded", "閲覧前回収と記録されているが事象の種類（漏えい・滅失・毀損）が未記録",
				"recovered unviewed is recorded but the event types (leak / loss / damage) are not"})
		default:
			add("E2_not_only_leak", "閲覧前回収でも滅失・毀損を含むため除外されない（GL 3-5-1-2〜4）",
				"recovered unviewed, but the event includes loss or damage, so the exit does not apply (GL 3-5-1-2 to -4)")
		}
	}

	// E3
	if fx.pseudonymized {
		a.Exemptions = append(a.Exemptions, ExPseudonymized)
		add("E3_pseudonymized", "仮名加工情報には法26条が適用されない（法41条9項）",
			"Art. 26 does not apply to pseudonymized information (APPI Art. 41(9))")
		return exitStatus()
	}

	// E4
	a.Reasons = append(a.Reasons, fx.enc.reasons...)
	for _, x := range fx.enc.reviews {
		rv(x)
	}
	if fx.enc.ok {
		a.Exemptions = append(a.Exemptions, ExHighEncryption)
		return exitStatus()
	}
	if fx.enc.undecided {
		incomplete = true
	}

	personal := fx.isPersonal != TriNo

	// C1
	if !fx.hasItems {
		incomplete = true
		rv(review{"data_items_not_recorded", "漏えい等した個人データの項目が未記録（要配慮・財産的被害を判断できない）",
			"data items not recorded (sensitive / financial categories cannot be decided)"})
	}
	var sens, fin []string
	for _, it := range fx.items {
		if _, ok := sensitiveItems[it]; ok {
			sens = append(sens, it)
		}
		if _, ok := financialItems[it]; ok {
			fin = append(fin, it)
		}
	}
	var unknownItems []string
	for _, it := range fx.items {
		_, s := sensitiveItems[it]
		_, f := financialItems[it]
		if !s && !f && !slices.Contains(otherItems, it) {
			unknownItems = append(unknownItems, it)
		}
	}
	if len(unknownItems) > 0 {
		rv(review{"data_items_unrecognized",
			fmt.Sprintf("未定義の項目 %v が要配慮・財産的被害に当たるか要確認", unknownItems),
			fmt.Sprintf("unrecognized data items %v: check whether they are sensitive or financial", unknownItems)})
	}
	var cats []string
	if len(sens) > 0 && personal {
		cats = append(cats, CatSensitive)
		add(CatSensitive, fmt.Sprintf("要配慮個人情報（%s）を含む。人数にかかわらず報告対象（規則7条1号 / GL 3-5-3-1(1)）", joinNames(sens, sensitiveItems)),
			fmt.Sprintf("contains sensitive personal information (%v); reportable whatever the count (Rule 7(i); GL 3-5-3-1(1))", sens))
	}

	// C2
	fin2 := false
	switch j := r.tri("financial_harm_judgement"); j {
	case TriYes:
		fin2 = true
		add("F_judgement_yes", "担当者の判断により財産的被害のおそれありとした（GL 3-5-3-1(2)）",
			"a reviewer judged that financial harm is likely (GL 3-5-3-1(2))")
	case TriNo:
		add("F_judgement_no", "担当者の判断により財産的被害のおそれなしとした（項目による既定値より優先）（GL 3-5-3-1(2)）",
			"a reviewer judged that financial harm is not likely, overriding the item default (GL 3-5-3-1(2))")
	default:
		fin2 = len(fin) > 0
		if slices.Contains(fx.items, "bank_account_no") {
			rv(review{"bank_account_no_financial_harm",
				"銀行口座番号のみで財産的被害のおそれに当たるかは未確認。financial_harm_judgement で判断を記録すること",
				"whether a bank account number alone risks financial harm is unverified; record financial_harm_judgement"})
		}
		if !fin2 && slices.Contains(fx.items, "card_last4_plus_expiry") {
			add("F_card_last4_not_financial", "カード番号下4桁と有効期限のみでは財産的被害のおそれに当たらない（Q&A 6-12）",
				"the last 4 card digits plus expiry alone do not risk financial harm (QA6-12)")
		}
	}
	if fin2 && personal {
		cats = append(cats, CatFinancial)
		what := joinNames(fin, financialItems)
		if what == "" {
			what = "担当者判断"
		}
		add(CatFinancial, fmt.Sprintf("不正利用により財産的被害が生じるおそれがある（%s）。人数にかかわらず報告対象（規則7条2号 / GL 3-5-3-1(2) / Q&A 6-12）", what),
			fmt.Sprintf("misuse may cause financial harm (%v); reportable whatever the count (Rule 7(ii); GL 3-5-3-1(2); QA6-12)", fin))
	}

	// C3
	a.Reasons = append(a.Reasons, fx.wrongfulWhy)
	if fx.wrongfulOpen {
		incomplete = true
		rv(review{"wrongful_act_undetermined", "不正目的の行為の有無を判断できない（wrongful_act・経路が未記録）",
			"cannot tell whether a wrongful-purpose act is involved (wrongful_act and route not recorded)"})
	}
	if r.tri("wrongful_act") == TriNo && wrongfulRoutes[fx.route] {
		rv(review{"wrongful_act_no_vs_route",
			fmt.Sprintf("wrongful_act は「no」だが経路「%s」は通常不正目的の行為に当たる", fx.route),
			fmt.Sprintf("wrongful_act is \"no\" but route %q is normally a wrongful-purpose act", fx.route)})
	}
	if fx.wrongful && (personal || fx.acquiring) {
		cats = append(cats, CatWrongful)
		if !personal {
			add(CatWrongful, "取得中・取得予定の個人情報（個人データとして取り扱う予定）に対する不正目的の行為（規則7条3号・令和6年改正 / GL 3-5-3-1(3)）",
				"wrongful-purpose act against personal information being acquired for the database (Rule 7(iii) as amended 2024; GL 3-5-3-1(3))")
		} else {
			add(CatWrongful, "不正の目的をもって行われたおそれがある行為による漏えい等。人数にかかわらず報告対象（規則7条3号 / GL 3-5-3-1(3)）",
				"leak etc. caused by a (suspected) wrongful-purpose act; reportable whatever the count (Rule 7(iii); GL 3-5-3-1(3))")
		}
	}

	// C4
	switch {
	case !fx.hasCount:
		incomplete = true
		rv(review{"affected_count_not_recorded", "本人の数（確定数・上限・推定最大）が未記録",
			"number of affected people (count, upper bound or estimate) not recorded"})
	case fx.maxAffected > 1000 && personal:
		cats = append(cats, CatOver1000)
		add(CatOver1000, fmt.Sprintf("本人の数の最大値 %d 人が1,000人を超える（規則7条4号 / GL 3-5-3-1(4)）", fx.maxAffected),
			fmt.Sprintf("the maximum possible count, %d, exceeds 1,000 (Rule 7(iv); GL 3-5-3-1(4))", fx.maxAffected))
	case fx.maxAffected <= 1000:
		add("C4_not_over_1000", fmt.Sprintf("本人の数の最大値 %d 人は1,000人以下（1,000人ちょうどは該当しない）（規則7条4号）", fx.maxAffected),
			fmt.Sprintf("the maximum possible count, %d, is not over 1,000 (exactly 1,000 does not qualify) (Rule 7(iv))", fx.maxAffected))
	}

	// OUT
	if len(cats) == 0 {
		switch {
		case incomplete || len(contra) > 0:
			a.Status = StatusUndetermined
			add("undetermined", "報告対象事態に該当する区分はまだないが、事実が不足または矛盾しているため判定を保留する",
				"no category matched yet, but the facts are incomplete or contradictory, so the finding is held open")
		default:
			a.Status = StatusNotReportable
			a.VoluntaryReportPossible = true
			add("not_reportable", "規則7条各号のいずれにも該当しない。任意の報告は可能（GL 3-5-3-1 ※1）",
				"no Rule 7 category applies; a voluntary report is possible (GL 3-5-3-1 note 1)")
		}
		return a, false
	}
	a.Status = StatusReportable
	a.Categories = cats
	if slices.Contains(cats, CatWrongful) {
		a.FinalDays = intPtr(60)
		add("final_days_60", "3号（不正目的）に該当するため確報期限は60日（他の号と重なっても60日）（規則8条2項 / GL 3-5-3-4）",
			"category 3 applies, so the final report is due within 60 days, also when combined (Rule 8(2); GL 3-5-3-4)")
	} else {
		a.FinalDays = intPtr(30)
		add("final_days_30", "確報期限は30日（規則8条2項 / GL 3-5-3-4）",
			"the final report is due within 30 days (Rule 8(2); GL 3-5-3-4)")
	}
	if incomplete {
		rv(review{"facts_incomplete_reportable", "報告対象と判定済みだが未記録の事実がある。判明次第、区分と期限を再確認",
			"reportable already, but some facts are missing; recheck categories and deadlines when they are known"})
	}

	// EX
	ex := false
	if r.bool("is_entrustee") {
		at, notified := r.time("entrustor_notified_at")
		if !notified {
			notified = r.bool("entrustee_notified_entrustor")
		}
		if notified {
			ex = true
			a.Exemptions = append(a.Exemptions, ExEntrustee)
			add(ExEntrustee, "受託者として委託元に通知したため、自らの報告・本人通知義務は免除され委託元が報告する（法26条1項ただし書 / 規則9条 / GL 3-5-3-5）",
				"as an entrustee that notified its entrustor, the company is released from its own report and notice; the entrustor reports (Art. 26(1) proviso; Rule 9; GL 3-5-3-5)")
			if fx.hasRecognized && !at.IsZero() && DateOf(at).After(DateOf(fx.recognizedAt).AddDays(opts.EntrustorNoticeOffset)) {
				rv(review{"entrustor_notice_not_prompt",
					fmt.Sprintf("委託元への通知が%d日目より後。速やかな通知（概ね3〜5日）と言えるか要確認（GL 3-5-3-5）", opts.EntrustorNoticeOffset+1),
					fmt.Sprintf("the entrustor was notified after day %d; check that this was prompt (about 3-5 days, GL 3-5-3-5)", opts.EntrustorNoticeOffset+1)})
			}
		} else {
			add("EX_possible", "受託者である。委託元へ速やかに（概ね3〜5日以内）通知すれば自らの報告・通知義務は免除される（規則9条 / GL 3-5-3-5）",
				"the company is an entrustee: notifying the entrustor promptly (about 3-5 days) releases it from its own report and notice (Rule 9; GL 3-5-3-5)")
		}
	}

	// N
	a.NoticeRequired = !ex
	if a.NoticeRequired {
		add("N_notice_required", "報告対象のため本人への通知が義務（法26条2項 / 規則10条）",
			"reportable, so notifying individuals is mandatory (Art. 26(2); Rule 10)")
		noticeChecks(fx, opts, &a, rv, add)
	}
	return a, ex
}

// noticeChecks applies §3.5 and §4.2 to the recorded notice decision.
func noticeChecks(fx *caseFacts, opts Options, a *APPIAssessment, rv func(review), add func(code, ja, en string)) {
	r := fx.r
	decision := r.str("notice_decision")
	altReason := r.str("alternative_reason")
	undeliverable, _ := r.int("undeliverable_count")
	impossible := altReason == "no_contact_info" || altReason == "contact_outdated" || undeliverable > 0
	a.PublicationMaySubstitute = impossible
	if impossible {
		add("publication_may_substitute", "連絡先不明等で通知が困難な本人については、公表または問合せ窓口の公表で代替できる（GL 3-5-4-5）",
			"for individuals who cannot be reached (no or outdated contact data), publication or a published inquiry desk may replace the notice (GL 3-5-4-5)")
	} else {
		add("publication_only_if_impossible", "公表による代替は本人への通知が困難な場合に限られる（GL 3-5-4-5）。公表自体は望ましい（GL 3-5-2(5)）",
			"publication may replace the notice only where notice is impossible in practice (GL 3-5-4-5); publishing is still recommended (GL 3-5-2(5))")
	}
	switch decision {
	case "alternative_measure":
		if !impossible {
			rv(review{"alternative_measure_without_reason",
				"代替措置を選択しているが、通知が困難な理由（連絡先不明等）が記録されていない（GL 3-5-4-5）",
				"an alternative measure is chosen but no reason why notice is impossible is recorded (GL 3-5-4-5)"})
		}
	case "omit":
		rv(review{"notice_omit_while_required",
			"報告対象事態では本人通知を省略できない（代替措置または報告対象外の判断が必要）（法26条2項 / GL 3-5-4-3）",
			"notice cannot be omitted for a reportable case (only an alternative measure, or a not-reportable finding) (Art. 26(2); GL 3-5-4-3)"})
	case "defer":
		dr := r.str("defer_reason")
		if dr != "takedown_in_progress" && dr != "facts_too_thin" {
			rv(review{"defer_reason_not_allowed",
				"通知の延期はGL 3-5-4-2の理由（削除要請中・事実が乏しい）に限られる",
				"notice may be deferred only for the GL 3-5-4-2 reasons (takedown in progress, facts too thin)"})
		}
		reviewBy, hasReview := r.date("defer_review_by")
		decidedAt, hasDecided := r.time("notice_decision_at")
		switch {
		case !hasReview:
			rv(review{"defer_review_by_missing", "延期には見直し日（defer_review_by）が必要（§3.5）",
				"a deferral needs a review date (defer_review_by) (§3.5)"})
		case hasDecided && reviewBy.After(DateOf(decidedAt).AddDays(opts.NoticeDeferralMaxDays)):
			rv(review{"defer_review_too_late",
				fmt.Sprintf("見直し日 %s が延期決定から%d日を超えている（§3.5 社内ルール）", reviewBy, opts.NoticeDeferralMaxDays),
				fmt.Sprintf("review date %s is more than %d days after the deferral decision (§3.5 policy)", reviewBy, opts.NoticeDeferralMaxDays)})
		case !hasDecided && fx.hasRecognized && reviewBy.After(DateOf(fx.recognizedAt).AddDays(opts.NoticeDecisionOffset+opts.NoticeDeferralMaxDays)):
			rv(review{"defer_review_too_late",
				fmt.Sprintf("見直し日 %s が通知判断期限から%d日を超えている（§3.5 社内ルール）", reviewBy, opts.NoticeDeferralMaxDays),
				fmt.Sprintf("review date %s is more than %d days after the notice-decision deadline (§3.5 policy)", reviewBy, opts.NoticeDeferralMaxDays)})
		}
	}
}
