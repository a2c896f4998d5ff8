package appi

import (
	"fmt"
	"slices"
	"time"
)

// contradictions lists facts that cannot all be true. They never decide a
// case by themselves; they stop a table that has not matched a category
// from saying "not reportable" until someone resolves them.
func contradictions(fx *caseFacts, opts Options) []Reason {
	r := fx.r
	var out []Reason
	add := func(code, ja, en string) { out = append(out, Reason{code, ja, en}) }

	count, hasCount := r.int("affected_count")
	upper, hasUpper := r.int("affected_count_upper_bound")
	estMin, hasEstMin := r.int("estimated_count_min")
	estMax, hasEstMax := r.int("estimated_count_max")

	if hasCount && count == 0 && opts.RegisterCount > 0 {
		add("affected_count_zero_but_register",
			fmt.Sprintf("本人の数が0人だが、本人名簿には%d人が登録されている", opts.RegisterCount),
			fmt.Sprintf("the affected count is 0 but the affected-person register lists %d people", opts.RegisterCount))
	} else if opts.RegisterCount > 0 && (hasCount || hasUpper || hasEstMax) {
		recorded := max(count, upper, estMax)
		if int64(opts.RegisterCount) > recorded {
			add("register_exceeds_counts",
				fmt.Sprintf("本人名簿の%d人が、記録された本人の数の最大値%d人を超えている", opts.RegisterCount, recorded),
				fmt.Sprintf("the register lists %d people, more than the largest recorded count, %d", opts.RegisterCount, recorded))
		}
	}
	if hasCount && hasUpper && count > upper {
		add("count_exceeds_upper_bound",
			fmt.Sprintf("本人の数%d人が上限%d人を超えている", count, upper),
			fmt.Sprintf("the affected count %d exceeds its upper bound %d", count, upper))
	}
	if hasEstMin && hasEstMax && estMin > estMax {
		add("estimate_min_exceeds_max",
			fmt.Sprintf("推定人数の下限%d人が上限%d人を超えている", estMin, estMax),
			fmt.Sprintf("the estimated minimum %d exceeds the estimated maximum %d", estMin, estMax))
	}

	if fx.enc.claimedHL && fx.enc.compromise && claimsEncryptionExit(r) {
		add("high_encryption_claimed_key_compromised",
			"高度な暗号化による除外が主張されているが、復号鍵は漏えいしたと記録されている",
			"the high-level encryption exemption is claimed, but the key is recorded as compromised")
	}

	if fx.hasRecognized {
		if occ, ok := r.time("occurred_at"); ok && occurredAfter(occ, r.str("occurred_at_precision"), fx.recognizedAt) {
			add("recognized_before_occurred",
				"認識日時（recognized_at）が発生日時（occurred_at）より前になっている。発生前に知ることはできない",
				"recognized_at is before occurred_at: the company cannot know of an event before it happens")
		}
		if fx.recognizedAt.After(fx.now) {
			add("recognized_in_future", "認識日時（recognized_at）が現在より後になっている",
				"recognized_at is in the future")
		}
		for _, k := range []string{"reported_to_soumu_at", "prelim_submitted_at", "final_submitted_at", "entrustor_notified_at"} {
			if t, ok := r.time(k); ok && t.Before(fx.recognizedAt) {
				add(k+"_before_recognized",
					fmt.Sprintf("「%s」が認識日時（いずれかの部署が最初に知った時点）より前になっている", k),
					fmt.Sprintf("%s is before recognized_at, the first moment any department knew", k))
			}
		}
	}
	if occ, ok := r.time("occurred_at"); ok && occurredAfter(occ, r.str("occurred_at_precision"), fx.now) {
		add("occurred_at_in_future", "「occurred_at」が現在より後になっている", "occurred_at is in the future")
	}
	for _, k := range []string{"reported_to_soumu_at", "prelim_submitted_at", "final_submitted_at",
		"notice_decision_at", "notice_started_at", "notice_completed_at", "entrustor_notified_at"} {
		if t, ok := r.time(k); ok && t.After(fx.now) {
			add(k+"_in_future", fmt.Sprintf("「%s」が現在より後になっている", k), fmt.Sprintf("%s is in the future", k))
		}
	}
	if s, ok := r.time("notice_started_at"); ok {
		if c, ok := r.time("notice_completed_at"); ok && c.Before(s) {
			add("notice_completed_before_started", "通知完了日時が通知開始日時より前になっている",
				"notice_completed_at is before notice_started_at")
		}
	}

	if r.tri("involves_my_number") == TriNo && slices.Contains(fx.items, "my_number") {
		add("my_number_item_but_not_involved", "マイナンバーを含まないと記録されているが、項目に個人番号がある",
			"involves_my_number is \"no\" but the data items include my_number")
	}
	if fx.recoveredUnviewed && r.tri("viewed_by_third_party") == TriYes {
		add("recovered_unviewed_but_viewed", "閲覧前に回収と記録されているが、第三者による閲覧ありとも記録されている",
			"recorded as recovered unviewed, but also as viewed by a third party")
	}
	return out
}

// claimsEncryptionExit reports whether any recorded decision relies on the
// encryption exemption (a reviewer's flag, an omit reason, or a stored
// exemption list).
func claimsEncryptionExit(r *reader) bool {
	if ok, set := r.boolSet("high_encryption_ok"); set && ok {
		return true
	}
	if r.str("omit_reason") == "high_level_encryption" {
		return true
	}
	ex, _ := r.set("appi_exemptions")
	return slices.Contains(ex, ExHighEncryption)
}

// occurredAfter compares at the precision the occurrence is known to: a day
// or a month precision must not turn "same day, later hour" into a
// contradiction.
func occurredAfter(occ time.Time, precision string, recognized time.Time) bool {
	switch precision {
	case "unknown":
		return false
	case "day":
		return DateOf(occ).After(DateOf(recognized))
	case "month":
		o, k := DateOf(occ), DateOf(recognized)
		return o.Year > k.Year || (o.Year == k.Year && o.Month > k.Month)
	default:
		return occ.After(recognized)
	}
}
