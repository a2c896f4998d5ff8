package appi

import (
	"fmt"
	"slices"
)

// assessMyNumber runs the My Number table (domain.md §2.3) next to the APPI
// table. An unrecorded or "unknown" involvement is treated as possibly yes,
// as the PPC form requires (LEAK), and flagged for review.
func assessMyNumber(fx *caseFacts, contra []Reason) MyNumberAssessment {
	var m MyNumberAssessment
	r := fx.r
	add := func(code, ja, en string) { m.Reasons = append(m.Reasons, Reason{code, ja, en}) }
	rv := func(x review) { addReview(&m.Reasons, &m.NeedsReview, x) }

	inv := r.tri("involves_my_number")
	hasItem := slices.Contains(fx.items, "my_number")
	switch {
	case inv == TriYes || (hasItem && inv != TriNo):
		m.Applicable = true
		add("MN_involved", "特定個人情報（マイナンバー）を含む（番号法29条の4）",
			"specific personal information (My Number) is involved (My Number Act Art. 29-4)")
	case inv == TriNo:
		m.Status = StatusNotReportable
		if hasItem {
			// The contradiction is listed; do not call it "not involved".
			m.Status = StatusUndetermined
		}
		add("MN_not_involved", "マイナンバーを含まないため番号法の報告は不要",
			"My Number is not involved, so the My Number Act report does not apply")
		return m
	case inv == TriUnset:
		// Not asked yet is different from "investigated, still unknown": the
		// table is not run on a question nobody has answered.
		m.Applicable = true
		m.Status = StatusUndetermined
		rv(review{"involves_my_number_not_recorded", "マイナンバーを含むかが未記録（不明なら「unknown」を記録すると含むものとして判定する）",
			"whether My Number is involved is not recorded (record \"unknown\" to have it assessed as involved)"})
		return m
	default:
		m.Applicable = true
		rv(review{"involves_my_number_unknown", "マイナンバーを含むか不明のため、含むものとして判定した（PPC報告フォームは「含む」で回答）",
			"whether My Number is involved is unknown, so it was assumed to be (the PPC form is answered \"yes\")"})
	}

	incomplete := false
	exit := func() MyNumberAssessment {
		m.Status = StatusNotReportable
		if len(contra) > 0 {
			m.Status = StatusUndetermined
		}
		return m
	}
	// E1 and E2 carry over: a ruled-out event or data recovered unviewed is
	// no 漏えい等 at all (QA17-1 gives the My Number form of E2).
	switch fx.certainty {
	case "ruled_out":
		add("E1_ruled_out", "漏えい等のおそれが否定された", "a leak has been ruled out")
		return exit()
	case "":
		incomplete = true
	}
	if fx.recoveredUnviewed && fx.hasEvents && onlyLeak(fx.events) {
		add("E2_recovered_unviewed", "第三者の閲覧前に回収されたため漏えいに当たらない（Q&A 17-1）",
			"recovered before any third party viewed it, so not a leak (QA17-1)")
		return exit()
	}

	// M-E
	if fx.enc.ok {
		add("ME_high_encryption", "高度な暗号化等の措置により報告対象外（特定個人情報GL 別添2 3A / Q&A 17-14）",
			"excluded by high-level encryption (MNG Annex 2 3A; QA17-14)")
		m = exit()
		m.VoluntaryReportRecommended = m.Status == StatusNotReportable
		if m.VoluntaryReportRecommended {
			addNR(add)
		}
		return m
	}
	if fx.enc.undecided {
		incomplete = true
		rv(review{"mn_encryption_undecided", "高度な暗号化等に当たるか判断できない（鍵・方式を確認）",
			"cannot tell whether high-level encryption applies (check key and cipher)"})
	}

	var cats []string
	// M1
	switch scope := r.str("mn_system_scope"); scope {
	case "info_provision_network", "use_affairs_system", "gov_related_system":
		cats = append(cats, CatMNSystem)
		add(CatMNSystem, fmt.Sprintf("情報提供ネットワーク等のシステム（%s）の特定個人情報の漏えい等（番号法報告規則2条1号）", scope),
			fmt.Sprintf("leak etc. of data in a designated system (%s) (My Number Rule Art. 2(i))", scope))
	case "other":
	case "":
		if r.str("mn_entity_role") != "number_related_operator" {
			rv(review{"mn_system_scope_not_recorded", "特定個人情報を取り扱うシステムの範囲（報告規則2条1号）が未記録",
				"the system scope for My Number Rule Art. 2(i) is not recorded"})
		}
	default:
		r.invalid = append(r.invalid, "mn_system_scope")
	}

	// M2: an explicit answer wins; otherwise the APPI derivation carries over,
	// because a wrongful act that leaks My Number data is a wrongful-purpose
	// leak of it.
	switch r.tri("mn_wrongful") {
	case TriYes:
		cats = append(cats, CatMNWrongful)
		add(CatMNWrongful, "不正の目的をもって行われたおそれのある特定個人情報の漏えい・利用・提供（番号法報告規則2条2号）",
			"(suspected) wrongful-purpose leak, use or provision of My Number data (My Number Rule Art. 2(ii))")
	case TriNo:
	default:
		if fx.wrongful {
			cats = append(cats, CatMNWrongful)
			add(CatMNWrongful, "個人情報保護法の判定で不正目的の行為ありとされた（"+fx.wrongfulWhy.Code+"）ため、不正の目的をもって行われたおそれのある特定個人情報の漏えい等に当たる（番号法報告規則2条2号）",
				"the APPI assessment found a wrongful-purpose act ("+fx.wrongfulWhy.Code+"), so this is a wrongful-purpose leak of My Number data (My Number Rule Art. 2(ii))")
		} else if fx.wrongfulOpen {
			incomplete = true
		}
	}

	// M3
	switch pv := r.tri("mn_public_view"); {
	case pv == TriYes:
		cats = append(cats, CatMNPublic)
		add(CatMNPublic, "特定個人情報ファイルが電磁的方法により不特定多数に閲覧された、又はそのおそれ（番号法報告規則2条3号）",
			"a My Number file was, or may have been, viewable by unspecified people (My Number Rule Art. 2(iii))")
	case pv != TriNo && publicViewRoutes[fx.route]:
		cats = append(cats, CatMNPublic)
		add(CatMNPublic, fmt.Sprintf("経路「%s」により不特定多数に閲覧されたおそれがある（番号法報告規則2条3号）", fx.route),
			fmt.Sprintf("route %q may have exposed the data to unspecified people (My Number Rule Art. 2(iii))", fx.route))
	case pv == TriUnknown:
		rv(review{"mn_public_view_unknown", "不特定多数による閲覧の有無が不明", "whether the data was publicly viewable is unknown"})
	}

	// M4: uncertain counts use their maximum. Without a My Number count the
	// APPI maximum is the only safe upper bound.
	nLeak, hasLeak := r.int("mn_leak_count")
	if !hasLeak && fx.hasCount {
		nLeak, hasLeak = fx.maxAffected, true
		rv(review{"mn_leak_count_assumed", fmt.Sprintf("特定個人情報の漏えい人数が未記録のため、本人の数の最大値%d人を用いた", nLeak),
			fmt.Sprintf("My Number leak count not recorded; the overall maximum count %d was used", nLeak)})
	}
	nUse, hasUse := r.int("mn_unlawful_use_count")
	nProv, hasProv := r.int("mn_unlawful_provision_count")
	switch {
	case nLeak > 100 || nUse > 100 || nProv > 100:
		cats = append(cats, CatMNOver100)
		add(CatMNOver100, fmt.Sprintf("漏えい%d人・不正利用%d人・不正提供%d人のいずれかが100人を超える（番号法報告規則2条4号）", nLeak, nUse, nProv),
			fmt.Sprintf("leak %d / unlawful use %d / unlawful provision %d: one exceeds 100 (My Number Rule Art. 2(iv))", nLeak, nUse, nProv))
	case !hasLeak && !hasUse && !hasProv:
		incomplete = true
		rv(review{"mn_count_not_recorded", "特定個人情報に係る本人の数が未記録", "the number of people for the My Number data is not recorded"})
	default:
		add("M4_not_over_100", "いずれの人数も100人以下（100人ちょうどは該当しない）（番号法報告規則2条4号）",
			"no count exceeds 100 (exactly 100 does not qualify) (My Number Rule Art. 2(iv))")
	}

	if len(cats) > 0 {
		m.Status = StatusReportable
		m.Categories = cats
		if slices.Contains(cats, CatMNWrongful) {
			m.FinalDays = intPtr(60)
			add("final_days_60", "2号（不正目的）に該当するため確報期限は60日（特定個人情報GL 別添2 3E）",
				"category MN2_2 applies, so the final report is due within 60 days (MNG Annex 2 3E)")
		} else {
			m.FinalDays = intPtr(30)
			add("final_days_30", "確報期限は30日（特定個人情報GL 別添2 3E）", "the final report is due within 30 days (MNG Annex 2 3E)")
		}
		return m
	}
	if incomplete || len(contra) > 0 {
		m.Status = StatusUndetermined
		add("undetermined", "重大事態に該当する区分はまだないが、事実が不足または矛盾しているため判定を保留する",
			"no category matched yet, but the facts are incomplete or contradictory, so the finding is held open")
		return m
	}
	m.Status = StatusNotReportable
	m.VoluntaryReportRecommended = true
	addNR(add)
	return m
}

func addNR(add func(code, ja, en string)) {
	add("NR_effort_duty", "重大事態に当たらない漏えい等も個人情報保護委員会への報告に努める（努力義務、特定個人情報GL 別添2 3B）",
		"leaks that are not serious incidents should still be reported to the PPC (duty to try, MNG Annex 2 3B)")
}
