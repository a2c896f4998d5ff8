package incident

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizePatch_Values(t *testing.T) {
	tests := []struct {
		name  string
		field string
		in    any
		want  any
	}{
		{"datetime-local read as JST", "recognized_at", "2026-04-30T22:40", "2026-04-30T22:40:00+09:00"},
		{"datetime-local with seconds", "recognized_at", "2026-04-30T22:40:15", "2026-04-30T22:40:15+09:00"},
		{"RFC 3339 UTC to JST", "recognized_at", "2026-04-30T13:40:00Z", "2026-04-30T22:40:00+09:00"},
		{"RFC 3339 fraction truncated", "exposure_ended_at", "2026-04-30T13:40:00.987+00:00", "2026-04-30T22:40:00+09:00"},
		{"JST midnight crossing", "occurred_at", "2026-04-30T15:30:00Z", "2026-05-01T00:30:00+09:00"},
		{"future planned datetime allowed", "notice_started_at", "2027-01-01T10:00", "2027-01-01T10:00:00+09:00"},
		{"date", "monitoring_end_date", "2026-08-01", "2026-08-01"},
		{"set sorted unique from []any", "data_items", []any{"phone", "name", "phone"}, []string{"name", "phone"}},
		{"set from []string", "event_types", []string{"loss", "leak"}, []string{"leak", "loss"}},
		{"empty set deletes", "event_types", []any{}, nil},
		{"int from float64", "affected_count", float64(3000), int64(3000)},
		{"int from json.Number", "affected_count", json.Number("1001"), int64(1001)},
		{"int from form string", "affected_count", "12", int64(12)},
		{"int zero", "affected_count", 0, int64(0)},
		{"bool", "public_disclosure_possible", true, true},
		{"bool from form", "public_disclosure_possible", "false", false},
		{"tristate", "involves_my_number", "unknown", "unknown"},
		{"tristate from bool", "involves_my_number", true, "yes"},
		{"enum", "certainty", "suspected", "suspected"},
		{"text", "root_cause", "持出し", "持出し"},
		{"null deletes", "root_cause", nil, nil},
		{"empty string deletes", "root_cause", "  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := NormalizePatch(map[string]any{tt.field: tt.in}, t0)
			if len(errs) > 0 {
				t.Fatalf("errors %v", errs)
			}
			v, present := got[tt.field]
			if !present || !reflect.DeepEqual(v, tt.want) {
				t.Fatalf("got %#v (present %v), want %#v", v, present, tt.want)
			}
		})
	}
}

func TestNormalizePatch_Errors(t *testing.T) {
	tests := []struct {
		name  string
		field string
		in    any
		inJA  string
	}{
		{"unknown field", "favourite_colour", "blue", "登録されていません"},
		{"text wrong type", "root_cause", 12, "文字列"},
		{"enum not in options", "certainty", "maybe", "選択肢にありません"},
		{"enum wrong type", "certainty", true, "選択肢"},
		{"set value not in options", "data_items", []any{"name", "shoe_size"}, "選択肢にありません"},
		{"set element wrong type", "data_items", []any{"name", 3}, "一覧"},
		{"set wrong type", "data_items", "name", "一覧"},
		{"negative int", "affected_count", -1, "負の数"},
		{"fractional int", "affected_count", 1.5, "整数"},
		{"int from words", "affected_count", "many", "整数"},
		{"bool wrong type", "pseudonymized", "maybe", "はい・いいえ"},
		{"tristate wrong value", "wrongful_act", "perhaps", "選択肢にありません"},
		{"text too long", "root_cause_short", strings.Repeat("あ", 2001), "2000文字以内"},
		{"longtext too long", "root_cause", strings.Repeat("a", 20001), "20000文字以内"},
		{"datetime unparseable", "recognized_at", "30/04/2026 22:40", "読み取れません"},
		{"datetime wrong type", "recognized_at", 20260430, "日時"},
		{"recognized_at in the future", "recognized_at", "2026-05-01T09:06", "未来"},
		{"date unparseable", "monitoring_end_date", "2026-02-30", "読み取れません"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field := tt.field
			if field == "root_cause_short" {
				field = "police_station" // a plain text field (2000)
			}
			_, errs := NormalizePatch(map[string]any{field: tt.in}, t0)
			if len(errs) != 1 || errs[0].Field != field || !strings.Contains(errs[0].JA, tt.inJA) || errs[0].EN == "" {
				t.Fatalf("errors %+v, want one on %s containing %q", errs, field, tt.inJA)
			}
		})
	}
}

func TestNormalizePatch_PlausibilityLeftToLawRules(t *testing.T) {
	got, errs := NormalizePatch(map[string]any{
		"recognized_at":       "2026-05-01T09:04", // within the 5-minute slack
		"occurred_at":         "2026-05-01T09:00", // "after" recognized_at is not checked here
		"estimated_count_min": 10, "estimated_count_max": 5,
	}, t0)
	if len(errs) > 0 || len(got) != 4 {
		t.Fatalf("got %v, errors %v", got, errs)
	}
}

func TestNormalizePatch_ErrorsSortedAndAllReported(t *testing.T) {
	_, errs := NormalizePatch(map[string]any{"zzz": 1, "certainty": "x", "affected_count": -3}, t0)
	if len(errs) != 3 || errs[0].Field != "affected_count" || errs[2].Field != "zzz" {
		t.Fatalf("errors %+v", errs)
	}
}

func TestFieldRegistry(t *testing.T) {
	contract := strings.Fields(`recognized_at reported_to_soumu_at occurred_at occurred_at_precision event_types certainty route
		cause_category data_items data_subject_types medium affected_count affected_count_upper_bound
		estimated_count_min estimated_count_max insider_suspected unauthorized_access_suspected
		public_disclosure_possible involves_my_number is_personal_data being_acquired_for_db wrongful_act
		financial_harm_judgement encryption encryption_algorithm key_separated key_compromised remote_wipe_done
		key_unusable_by_design pseudonymized recovered_unviewed is_entrustee entrustor_name entrustor_notified_at
		has_contractor contractor_name mn_entity_role mn_system_scope mn_wrongful mn_public_view mn_leak_count
		mn_unlawful_use_count mn_unlawful_provision_count prelim_submitted_at prelim_method prelim_receipt_no
		final_submitted_at final_receipt_no notice_decision notice_decision_at notice_started_at
		notice_completed_at defer_review_by`)
	wantKind := map[string]FieldKind{"insider_suspected": KindTristate, "involves_my_number": KindTristate,
		"is_personal_data": KindTristate, "being_acquired_for_db": KindBool, "financial_harm_judgement": KindTristate,
		"encryption": KindEnum, "key_compromised": KindTristate, "mn_leak_count": KindInt, "entrustor_notified_at": KindDateTime,
		"defer_review_by": KindDate, "public_disclosure_possible": KindBool, "data_items": KindSet}
	for _, name := range contract {
		f, ok := LookupField(name)
		if !ok {
			t.Errorf("facts-contract name %s missing", name)
			continue
		}
		if k, ok := wantKind[name]; ok && f.Kind != k {
			t.Errorf("%s kind %s, want %s", name, f.Kind, k)
		}
	}
	for _, f := range Fields() {
		if !f.Stage.Valid() || f.LabelJA == "" || f.LabelEN == "" {
			t.Errorf("%s: stage or labels missing", f.Name)
		}
		if (f.Kind == KindEnum || f.Kind == KindSet || f.Kind == KindTristate) != (len(f.Options) > 0) {
			t.Errorf("%s: options and kind disagree", f.Name)
		}
		if f.Restricted != (f.Stage == StageDiscipline || f.Name == "responsible_dept" || f.Name == "handling_staff_ids") {
			t.Errorf("%s: restricted=%v", f.Name, f.Restricted)
		}
	}
	if f, _ := LookupField("recognized_at"); f.Stage != StageDiscovery {
		t.Error("recognized_at belongs to discovery")
	}
	if f, _ := LookupField("occurred_at"); f.Stage != StageInvestigation {
		t.Error("occurred_at belongs to investigation")
	}
}

func TestErrorCode(t *testing.T) {
	if ErrorCode(nil) != "" || ErrorCode(Forbidden("a", "b")) != CodeForbidden {
		t.Fatal("codes")
	}
	wrapped := &wrapErr{Conflict("a", "b")}
	if ErrorCode(wrapped) != CodeConflict {
		t.Fatal("errors.As through wrapping")
	}
	if ErrorCode(json.Unmarshal([]byte("x"), new(any))) != CodeInternal {
		t.Fatal("foreign errors are internal")
	}
}

type wrapErr struct{ err error }

func (w *wrapErr) Error() string { return "store: " + w.err.Error() }
func (w *wrapErr) Unwrap() error { return w.err }

func TestLabels(t *testing.T) {
	stageJA := []string{"発見・第一報", "調査・原因究明・影響範囲", "被害届・紛失届・捜査協力", "被害拡大防止・流出先特定・監視・返還請求・警告・差止め",
		"本人通知・謝罪・公表・問い合わせ窓口・賠償", "個人情報保護委員会への報告（速報・確報）", "再発防止策", "懲戒処分・告発"}
	for i, s := range Stages {
		if s.LabelJA() != stageJA[i] || s.LabelEN() == "" {
			t.Errorf("%s: %q", s, s.LabelJA())
		}
	}
	roleJA := []string{"総務部担当者", "総務部長・副部長", "個人情報保護管理者", "代表取締役", "人事", "監査責任者", "システム管理者", "役職員（第一報の報告者）"}
	for i, r := range Roles {
		if !r.Valid() || r.LabelJA() != roleJA[i] || r.LabelEN() == "" {
			t.Errorf("%s: %q", r, r.LabelJA())
		}
	}
	if e := Unmet("未達", "unmet", []Missing{{Item: "owner"}}); !strings.Contains(e.Error(), "unmet_criteria") || !strings.Contains(e.Error(), "owner") {
		t.Errorf("Error() = %q", e.Error())
	}
}
