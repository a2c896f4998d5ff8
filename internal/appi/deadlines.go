package appi

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

const (
	basisFirst30   = "SEED003 4条2項（社内規程: 30分以内の直接報告）/ GL 3-5-2(1)"
	basisFirstDay  = "SEED003 4条1項（社内規程: 直ちに報告。既定は当日中）/ GL 3-5-2(1)"
	basisPrelim    = "個人情報保護法施行規則8条1項 / GL 3-5-3-3（速やかに: 概ね3〜5日以内）"
	basisPrelimEX  = "個人情報保護法施行規則9条 / GL 3-5-3-5（委託元への通知: 概ね3〜5日以内）"
	basisPrelimMN  = "特定個人情報GL（事業者編）別添2 3E"
	basisFinal     = "個人情報保護法施行規則8条2項 / GL 3-5-3-4（期限が行政機関の休日に当たるときは翌日: GL 3-5-3-4 ※2・行政機関の休日に関する法律2条）"
	basisFinalMN   = "特定個人情報GL（事業者編）別添2 3E"
	basisNotice    = "個人情報保護法26条2項・施行規則10条 / GL 3-5-4-2（社内ルール: 5日目までに通知方針を決定）"
	basisNoticeMN  = "番号法報告規則5条 / 特定個人情報GL（事業者編）別添2 4C"
	regimeAPPI     = "appi"
	regimeMyNumber = "mynumber"
)

// regimePlan is one table's view of the final report: the date the clock
// starts (day 1), the day count, and, when category 3 arrived late, the
// earlier internal target kept under §3.4.
type regimePlan struct {
	regime     string
	anchor     Date
	days       int
	targetDays int // == days unless a late category 3 keeps a 30-day target
}

// deadlines computes domain.md §3 for the assessed case. It also returns
// whether the 30-minute rule applies, which is known even without a
// recognized_at.
func deadlines(fx *caseFacts, opts Options, a *Assessment, ex bool) ([]Deadline, bool) {
	thirty, trigJA, trigEN := thirtyMinuteRule(fx, opts)
	appiRV := func(x review) { addReview(&a.APPI.Reasons, &a.APPI.NeedsReview, x) }
	if !fx.hasRecognized {
		appiRV(review{"recognized_at_not_recorded", "認識日時（いずれかの部署が最初に知った時点）が未記録のため期限を計算できない（GL 3-5-3-3）",
			"recognized_at (the first moment any department knew) is not recorded, so no deadline can be computed (GL 3-5-3-3)"})
		return nil, thirty
	}
	r := fx.r
	now := fx.now
	kd := DateOf(fx.recognizedAt)
	var out []Deadline

	// first_internal_report
	first := Deadline{Kind: KindFirstInternalReport, LabelJA: opts.FirstReportToJA + "への第一報", LabelEN: "First internal report to " + opts.FirstReportToEN}
	mins := int(opts.ThirtyMinuteWindow / time.Minute)
	if thirty {
		first.DueAt = fx.recognizedAt.Add(opts.ThirtyMinuteWindow).In(JST)
		first.Due = first.DueAt.Format(time.RFC3339)
		first.Basis = basisFirst30
		first.NoteJA = fmt.Sprintf("%d分ルール適用（%s）。電話または対面で直接報告", mins, strings.Join(trigJA, "・"))
		first.NoteEN = fmt.Sprintf("%d-minute rule applies (%s); report directly by phone or in person", mins, strings.Join(trigEN, ", "))
	} else {
		day := NextOpenDay(opts.Calendar, kd)
		if opts.InternalReport == NextBusinessDay {
			day = NextOpenDay(opts.Calendar, kd.AddDays(1))
		}
		first.DueAt = day.End()
		first.Due = day.String()
		first.Basis = basisFirstDay
		first.NoteJA = "30分ルールの対象外。社内ルールにより当日（閉庁日なら次の開庁日）中に報告"
		first.NoteEN = "30-minute rule does not apply; company policy: report by the end of the same business day"
		if opts.InternalReport == NextBusinessDay {
			first.NoteJA = "30分ルールの対象外。社内ルールにより翌営業日中に報告"
			first.NoteEN = "30-minute rule does not apply; company policy: report by the end of the next business day"
		}
	}
	done, ok := r.time("reported_to_soumu_at")
	first.settle(done, ok, now)
	out = append(out, first)

	// Which regimes need a report from this company, and from when.
	var plans []regimePlan
	if a.APPI.Status == StatusReportable && !ex {
		plans = append(plans, planFor(regimeAPPI, a.APPI.Categories, CatWrongful, CatOver1000, kd, opts, appiRV))
	}
	if a.MyNumber.Status == StatusReportable {
		mnRV := func(x review) { addReview(&a.MyNumber.Reasons, &a.MyNumber.NeedsReview, x) }
		plans = append(plans, planFor(regimeMyNumber, a.MyNumber.Categories, CatMNWrongful, CatMNOver100, kd, opts, mnRV))
	}
	exOnly := ex && len(plans) == 0 && a.APPI.Status == StatusReportable

	if len(plans) > 0 || exOnly {
		anchor := kd
		if len(plans) > 0 {
			anchor = plans[0].anchor
			for _, p := range plans[1:] {
				if p.anchor.Before(anchor) {
					anchor = p.anchor
				}
			}
		}
		regimes := regimesOf(plans)
		basis := basisPrelim
		if exOnly {
			basis = basisPrelimEX
			regimes = []string{regimeAPPI}
		} else if slices.Contains(regimes, regimeMyNumber) {
			basis += " / " + basisPrelimMN
		}
		doneAt, isDone := r.time("prelim_submitted_at")
		if exOnly {
			doneAt, isDone = r.time("entrustor_notified_at")
			if !isDone {
				doneAt, isDone = r.time("prelim_submitted_at")
			}
		}
		for _, k := range []struct {
			kind   string
			offset int
			ja, en string
		}{
			{KindPrelimTarget, opts.PrelimTargetOffset, "速報（目標）", "Preliminary report (target)"},
			{KindPrelimOuter, opts.PrelimOuterOffset, "速報（超過ライン）", "Preliminary report (overdue after)"},
		} {
			due := anchor.AddDays(k.offset)
			d := Deadline{Kind: k.kind, Due: due.String(), DueAt: due.End(), Basis: basis,
				LabelJA: k.ja, LabelEN: k.en, Day: k.offset + 1, Regimes: regimes,
				NoteJA: fmt.Sprintf("%d日目（認識日を1日目とし、休日による延長なし。ガイダンス上の目安）", k.offset+1),
				NoteEN: fmt.Sprintf("day %d (the known date is day 1; no shift for holidays; guidance, not statute)", k.offset+1)}
			if exOnly {
				d.LabelJA = "委託元への通知" + strings.TrimPrefix(k.ja, "速報")
				d.LabelEN = "Notice to the entrustor" + strings.TrimPrefix(k.en, "Preliminary report")
			}
			d.settle(doneAt, isDone, now)
			out = append(out, d)
		}
	}

	if len(plans) > 0 {
		out = append(out, finalReport(plans, opts, r, now, appiRV))
	}

	if a.APPI.NoticeRequired || a.MyNumber.Status == StatusReportable {
		anchor := kd
		if len(plans) > 0 {
			anchor = plans[0].anchor
		}
		due := anchor.AddDays(opts.NoticeDecisionOffset)
		basis := basisNotice
		if a.MyNumber.Status == StatusReportable {
			basis += " / " + basisNoticeMN
		}
		d := Deadline{Kind: KindNoticeDecision, Due: due.String(), DueAt: due.End(), Basis: basis,
			LabelJA: "本人通知の方針決定", LabelEN: "Decision on notifying individuals", Day: opts.NoticeDecisionOffset + 1,
			Regimes: regimesOf(plans),
			NoteJA:  "通知・代替措置・延期（理由と見直し日が必要）のいずれかを決定し、予定日を記録",
			NoteEN:  "decide on notice, an alternative measure or a deferral (with reason and review date) and record the planned date"}
		doneAt, isDone := r.time("notice_decision_at")
		if started, ok := r.time("notice_started_at"); ok && (!isDone || started.Before(doneAt)) {
			doneAt, isDone = started, true
		}
		d.settle(doneAt, isDone, now)
		out = append(out, d)
	}
	return out, thirty
}

// planFor applies §3.4's conventions for categories that appear after the
// known date, using Options.CategorySince. Without that history every
// category counts from the known date.
func planFor(regime string, cats []string, wrongfulCat, countCat string, kd Date, opts Options, rv func(review)) regimePlan {
	since := func(c string) Date {
		if d, ok := opts.CategorySince[c]; ok && d.After(kd) {
			return d
		}
		return kd
	}
	p := regimePlan{regime: regime, anchor: since(cats[0]), days: 30}
	for _, c := range cats[1:] {
		if s := since(c); s.Before(p.anchor) {
			p.anchor = s
		}
	}
	if slices.Contains(cats, wrongfulCat) {
		p.days = 60
	}
	p.targetDays = p.days
	if p.anchor.After(kd) {
		first := countCat
		for _, c := range cats {
			if since(c) == p.anchor {
				first = c
				break
			}
		}
		rv(review{"late_trigger_anchor_" + regime,
			fmt.Sprintf("報告対象となったのは認識日 %s より後の %s（%s）。期限はその日を1日目として計算した（§3.4 規約、要法務確認）", kd, p.anchor, first),
			fmt.Sprintf("the case became reportable on %s (%s), after the known date %s; deadlines count from that day (§3.4 convention, legal review needed)", p.anchor, first, kd)})
	}
	if p.days == 60 && since(wrongfulCat).After(p.anchor) {
		p.targetDays = 30
		rv(review{"late_category_3_" + regime,
			"不正目的の区分が後から加わった。60日の起算点は明示されていないため、当初の30日期限を社内目標として維持（§3.4、要法務確認）",
			"the wrongful-purpose category was added later; the start of the 60-day limit is not stated, so the original 30-day date is kept as an internal target (§3.4, legal review needed)"})
	}
	return p
}

// finalReport picks the earliest due date among the regimes that need a
// final report: one filing through the PPC form serves both when My Number
// is involved, so the stricter date governs.
func finalReport(plans []regimePlan, opts Options, r *reader, now time.Time, rv func(review)) Deadline {
	type cand struct {
		p                   regimePlan
		due, nominal, outer Date
		skipped             []ClosedDay
		hasOuter, uncovered bool
	}
	var best *cand
	var all []cand
	for _, p := range plans {
		c := cand{p: p}
		c.due, c.nominal, c.skipped, c.uncovered = shiftDue(opts.Calendar, p.anchor, p.targetDays)
		if p.targetDays != p.days {
			c.outer, _, _, _ = shiftDue(opts.Calendar, p.anchor, p.days)
			c.hasOuter = true
		}
		all = append(all, c)
	}
	for i := range all {
		if best == nil || all[i].due.Before(best.due) {
			best = &all[i]
		}
	}
	basis := ""
	var regimes []string
	for _, c := range all {
		regimes = append(regimes, c.p.regime)
		if c.p.regime == regimeAPPI {
			basis = joinBasis(basis, basisFinal)
		} else {
			basis = joinBasis(basis, basisFinalMN)
		}
		if c.uncovered {
			rv(review{"calendar_not_covered", fmt.Sprintf("確報期限 %s の年は祝日表の対象外（規則で算出）。内閣府の祝日一覧で確認", c.due),
				fmt.Sprintf("the final due date %s lies outside the holiday table (computed by rule); confirm with the Cabinet Office list", c.due)})
		}
	}
	if len(all) == 2 && all[0].due != all[1].due {
		rv(review{"final_days_differ", fmt.Sprintf("個人情報保護法と番号法で確報期限が異なる（%s / %s）。早い方を表示", all[0].due, all[1].due),
			fmt.Sprintf("the APPI and My Number final due dates differ (%s / %s); the earlier is shown", all[0].due, all[1].due)})
	}
	d := Deadline{Kind: KindFinalReport, Due: best.due.String(), DueAt: best.due.End(), Basis: basis,
		LabelJA: "確報", LabelEN: "Final report", Statutory: true, Day: best.p.targetDays, Regimes: regimes,
		NoteJA: fmt.Sprintf("%d日目（%sを1日目として土日祝日も算入）。期限日が土日・祝日・年末年始のときは次の開庁日へ", best.p.targetDays, best.p.anchor),
		NoteEN: fmt.Sprintf("day %d (counting %s as day 1, weekends and holidays included); a due date on a closed day moves to the next open day", best.p.targetDays, best.p.anchor)}
	if best.due != best.nominal {
		n := best.nominal
		d.ShiftedFrom = &n
		d.SkippedDays = best.skipped
	}
	if best.hasOuter {
		o := best.outer
		d.OuterDue = &o
		d.NoteJA += fmt.Sprintf("。法定の60日期限は %s（社内目標として30日を維持）", o)
		d.NoteEN += fmt.Sprintf("; the 60-day legal limit is %s (30 days kept as internal target)", o)
	}
	done, ok := r.time("final_submitted_at")
	d.settle(done, ok, now)
	return d
}

// shiftDue counts n days with day1 as day 1 and moves a closed due date to
// the next open day (GL 3-5-3-4 ※2; 行政機関の休日に関する法律2条).
func shiftDue(cal Calendar, day1 Date, n int) (due, nominal Date, skipped []ClosedDay, uncovered bool) {
	nominal = day1.AddDays(n - 1)
	due = nominal
	cov, hasCov := cal.(Coverage)
	reasoner, hasReason := cal.(ClosedReasoner)
	for i := 0; i < 366 && cal.IsClosed(due); i++ {
		why := "休日"
		if hasReason {
			why, _ = reasoner.ClosedReason(due)
		}
		skipped = append(skipped, ClosedDay{Date: due, Reason: why})
		due = due.AddDays(1)
	}
	if hasCov && (!cov.Covers(nominal.Year) || !cov.Covers(due.Year)) {
		uncovered = true
	}
	return due, nominal, skipped, uncovered
}

// thirtyMinuteRule is SEED003 4条2項: insider wrongful act, unauthorized
// access, 10 or more people, or a possible public announcement. With no
// count recorded at all the rule is assumed to apply, because the reporter
// cannot know the data is below the threshold.
func thirtyMinuteRule(fx *caseFacts, opts Options) (bool, []string, []string) {
	r := fx.r
	var ja, en []string
	insider := fx.wrongful && (fx.route == "insider_takeout" || r.tri("insider_suspected") == TriYes ||
		r.str("cause_category") == "insider_malicious")
	if insider {
		ja, en = append(ja, "従業者等による不正目的の持ち出し・利用"), append(en, "insider wrongful act")
	}
	if attackRoutes[fx.route] || r.tri("unauthorized_access_suspected") == TriYes {
		ja, en = append(ja, "不正アクセス"), append(en, "unauthorized access")
	}
	switch {
	case fx.hasCount && fx.maxAffected >= opts.ThirtyMinuteHeadcount:
		ja = append(ja, fmt.Sprintf("%d人以上（最大%d人）", opts.ThirtyMinuteHeadcount, fx.maxAffected))
		en = append(en, fmt.Sprintf("%d or more people (up to %d)", opts.ThirtyMinuteHeadcount, fx.maxAffected))
	case !fx.hasCount:
		ja = append(ja, "人数未確認のため10人以上とみなす")
		en = append(en, "count unknown, assumed 10 or more")
	}
	if r.bool("public_disclosure_possible") {
		ja, en = append(ja, "公表の可能性"), append(en, "publication may be needed")
	}
	return len(ja) > 0, ja, en
}

// settle sets the state of d from the completion time (if any) and now.
func (d *Deadline) settle(doneAt time.Time, done bool, now time.Time) {
	if done {
		t := doneAt
		d.CompletedAt = &t
		if t.After(d.DueAt) {
			d.State = StateMissed
			s := int64(t.Sub(d.DueAt) / time.Second)
			d.MissedBySeconds = &s
			return
		}
		d.State = StateMet
		return
	}
	if now.After(d.DueAt) {
		d.State = StateMissed
		s := int64(now.Sub(d.DueAt) / time.Second)
		d.MissedBySeconds = &s
		return
	}
	d.State = StateOpen
	s := int64(d.DueAt.Sub(now) / time.Second)
	d.RemainingSeconds = &s
}

func regimesOf(plans []regimePlan) []string {
	var out []string
	for _, p := range plans {
		out = append(out, p.regime)
	}
	return out
}

func joinBasis(a, b string) string {
	if a == "" {
		return b
	}
	return a + " / " + b
}
