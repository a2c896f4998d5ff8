package incident

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// rec builds a stored record of kind k from raw values, normalised as the
// command would; it fails the test on invalid values.
func rec(t *testing.T, id int64, k RecordKind, raw map[string]any) *Record {
	t.Helper()
	d := recordKindIndex[k]
	v, fes := normalizeRecord(d, nil, raw, t0.AddDate(0, 2, 0))
	if len(fes) > 0 {
		t.Fatalf("fixture %s: %v", k, fes)
	}
	return &Record{ID: id, Kind: k, Stage: d.Stage, Values: v, Version: 1}
}

// stageRecordsMet returns records that meet the record-fed exit criteria of
// stage s whatever the escalation facts say, so TestExitCriteria's rows keep
// testing the facts.
func stageRecordsMet(t *testing.T, s Stage) []*Record {
	switch s {
	case StageContainment:
		return []*Record{
			rec(t, 1, RecMonitoring, map[string]any{"date": "2026-05-02", "searched_where": "dark_web_service", "result": "nothing_found"}),
			rec(t, 2, RecReturnRequest, map[string]any{"sent_at": "2026-05-02", "recipient": "誤送信先A社", "request": "deletion"}),
			rec(t, 3, RecWarningLetter, map[string]any{"sent_at": "2026-05-03", "recipient": "A社", "delivery_proof": "配達証明 1234"}),
			rec(t, 4, RecInjunction, map[string]any{"court": "東京地裁", "status": "pending", "filed_at": "2026-05-10", "case_no": "令和8年(ヨ)第1号"}),
		}
	case StageRecurrencePrevention:
		return []*Record{rec(t, 1, RecMeasure, map[string]any{"description": "注意喚起", "safeguard": "human", "scope": "company_wide",
			"owner": "総務部長", "due_date": "2026-05-31", "status": "done", "evidence": "通達第12号"})}
	case StageDiscipline:
		return []*Record{rec(t, 1, RecCriminalComplaint, map[string]any{"kind": "accusation", "against": "元従業員X", "station": "新宿警察署", "filed_on": "2026-06-02"})}
	}
	return nil
}

func TestExitCriteria_Records(t *testing.T) {
	withdrawn := func(r *Record) *Record { r.Withdrawn = true; return r }
	tests := []struct {
		name    string
		stage   Stage
		facts   map[string]any
		records func(t *testing.T) []*Record
		want    []string
	}{
		{"containment needs a monitoring entry", StageContainment, containmentFacts(), func(*testing.T) []*Record { return nil },
			[]string{"record:monitoring_entry"}},
		{"containment withdrawn entry does not count", StageContainment, containmentFacts(), func(t *testing.T) []*Record {
			return []*Record{withdrawn(rec(t, 1, RecMonitoring, map[string]any{"date": "2026-05-02", "searched_where": "web", "result": "nothing_found"}))}
		}, []string{"record:monitoring_entry"}},
		{"containment steps done need their records", StageContainment,
			merge(containmentFacts(), map[string]any{"return_request_status": "done", "warning_letter_status": "done", "injunction_status": "done", "escalation_na_reason": nil}),
			func(t *testing.T) []*Record {
				return []*Record{
					rec(t, 1, RecMonitoring, map[string]any{"date": "2026-05-02", "searched_where": "marketplace", "result": "nothing_found"}),
					rec(t, 2, RecWarningLetter, map[string]any{"sent_at": "2026-05-03", "recipient": "A社"}), // no delivery proof
					rec(t, 3, RecInjunction, map[string]any{"court": "東京地裁", "status": "preparing"}),        // no case number
				}
			}, []string{"record:return_request", "record:warning_letter", "record:injunction"}},
		{"police filing needs receipt", StagePoliceReport, policeFacts(), func(t *testing.T) []*Record {
			return []*Record{
				rec(t, 1, RecPoliceFiling, map[string]any{"action": "damage_report", "station": "新宿警察署", "filed_at": "2026-05-01T11:00"}),
				rec(t, 2, RecPoliceFiling, map[string]any{"action": "consultation", "station": "新宿警察署", "filed_at": "2026-05-01T10:00"}),
			}
		}, []string{"record:police_filing:1"}},
		{"notice pending claim blocks", StageCustomerNotice, noticeFacts(), func(t *testing.T) []*Record {
			return []*Record{
				rec(t, 1, RecMoneyClaim, map[string]any{"received_at": "2026-05-09T10:00", "claimant": "匿名", "decision": "pending"}),
				rec(t, 2, RecMoneyClaim, map[string]any{"received_at": "2026-05-09T11:00", "claimant": "B", "decision": "refused", "reason": "根拠のない高額請求"}),
			}
		}, []string{"record:money_claim:1"}},
		{"recurrence needs a measure", StageRecurrencePrevention, recurrenceFacts(), func(*testing.T) []*Record { return nil },
			[]string{"record:recurrence_measure"}},
		{"recurrence planned measure with owner and date is enough", StageRecurrencePrevention, recurrenceFacts(), func(t *testing.T) []*Record {
			return []*Record{rec(t, 1, RecMeasure, map[string]any{"description": "暗号化", "safeguard": "technical", "scope": "department",
				"department": "営業部", "owner": "営業部長", "due_date": "2026-07-31", "status": "planned"})}
		}, nil},
		{"recurrence done measure without evidence", StageRecurrencePrevention, recurrenceFacts(), func(t *testing.T) []*Record {
			r := rec(t, 1, RecMeasure, map[string]any{"description": "暗号化", "safeguard": "technical", "scope": "company_wide",
				"owner": "部長", "due_date": "2026-07-31", "status": "planned"})
			r.Values["status"] = "done" // as a history from before the rule would hold it
			return []*Record{r}
		}, []string{"record:recurrence_measure:1"}},
		{"discipline accusation needs its record", StageDiscipline,
			merge(disciplineFacts(), map[string]any{"accusation_filed": true, "accusation_filed_at": "2026-06-02T10:00"}),
			func(*testing.T) []*Record { return nil }, []string{"record:criminal_complaint"}},
		{"discipline without accusation needs none", StageDiscipline, disciplineFacts(), func(*testing.T) []*Record { return nil }, nil},
		{"discipline fact lighter than an employee's dismissal", StageDiscipline, disciplineFacts(), func(t *testing.T) []*Record {
			return []*Record{
				rec(t, 1, RecDiscipline, map[string]any{"employee": "社員A", "culpability": "negligence", "sanction": "reprimand"}),
				rec(t, 2, RecDiscipline, map[string]any{"employee": "社員B", "culpability": "intentional", "sanction": "disciplinary_dismissal"}),
			}
		}, []string{"sanction"}},
		{"discipline fact as heavy as every record", StageDiscipline, disciplineFacts(), func(t *testing.T) []*Record {
			return []*Record{rec(t, 1, RecDiscipline, map[string]any{"employee": "社員A", "culpability": "negligence", "sanction": "reprimand"})}
		}, nil},
		{"withdrawn dismissal record does not count", StageDiscipline, disciplineFacts(), func(t *testing.T) []*Record {
			return []*Record{withdrawn(rec(t, 1, RecDiscipline, map[string]any{"employee": "社員B", "culpability": "intentional", "sanction": "disciplinary_dismissal"}))}
		}, nil},
	}
	ticks := map[string]Tick{}
	for _, id := range slices.Concat(containmentTicks, recurrenceTicks, disciplineTicks, []string{"police_report.file_report"}) {
		ticks[id] = Tick{Checked: true}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			facts, fes := NormalizePatch(tt.facts, t0)
			if len(fes) > 0 {
				t.Fatal(fes)
			}
			for k, v := range facts {
				if v == nil {
					delete(facts, k)
				}
			}
			var active []*Record
			for _, r := range tt.records(t) {
				if !r.Withdrawn {
					active = append(active, r)
				}
			}
			got := missingItems(ExitCriteria(tt.stage, ExitInput{Facts: facts, Checklist: ticks, Records: active}))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("missing\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestAddRecord_Validation covers every kind: a valid record is accepted,
// and each kind's required fields, options, lengths and cross-field rules
// refuse bad input with the field named.
func TestAddRecord_Validation(t *testing.T) {
	tooLong := strings.Repeat("あ", 2001)
	valid := map[RecordKind]map[string]any{
		RecFirstMeasure:      {"measure": "network_isolation", "executed_at": "2026-05-01T09:10", "executed_by": "情報システム部"},
		RecLeakDestination:   {"who": "誤送信先のA社", "identified_how": "own_investigation"},
		RecMonitoring:        {"date": "2026-05-02", "searched_where": "web", "result": "nothing_found"},
		RecReturnRequest:     {"sent_at": "2026-05-02", "recipient": "A社", "request": "deletion"},
		RecWarningLetter:     {"sent_at": "2026-05-03", "recipient": "A社", "delivery_proof": "配達証明 1234"},
		RecInjunction:        {"court": "東京地裁", "status": "preparing"},
		RecPoliceFiling:      {"action": "lost_property_report", "station": "新宿警察署", "filed_at": "2026-05-01T11:00", "receipt_no": "R-1"},
		RecPoliceCooperation: {"date": "2026-05-05", "request": "アクセスログの提出"},
		RecInquiryChannel:    {"channel": "dedicated_phone", "contact": "0120-000-000"},
		RecInquiry:           {"received_at": "2026-05-08T10:00", "channel": "phone", "category": "am_i_affected", "person_id": "12"},
		RecMoneyClaim:        {"received_at": "2026-05-09T10:00", "claimant": "匿名", "decision": "pending", "amount": 1000000},
		RecMeasure:           {"description": "暗号化", "safeguard": "technical", "scope": "company_wide", "owner": "部長", "due_date": "2026-07-31", "status": "planned"},
		RecDiscipline:        {"employee": "E123", "culpability": "negligence", "sanction": "reprimand", "self_reported": true},
		RecCriminalComplaint: {"kind": "accusation", "against": "元従業員", "station": "新宿警察署", "filed_on": "2026-06-02"},
	}
	for _, d := range recordKinds {
		if valid[d.Kind] == nil {
			t.Fatalf("no fixture for kind %s", d.Kind)
		}
		if d.Cite == "" || d.LabelJA == "" {
			t.Errorf("%s: label or citation missing", d.Kind)
		}
	}
	bad := []struct {
		name  string
		kind  RecordKind
		patch map[string]any
		field string
	}{
		{"unknown kind", "nonsense", nil, "kind"},
		{"unknown field", RecMonitoring, map[string]any{"colour": "red"}, "colour"},
		{"required missing", RecMonitoring, map[string]any{"date": nil}, "date"},
		{"option not allowed", RecMonitoring, map[string]any{"searched_where": "newspaper"}, "searched_where"},
		{"found needs details", RecMonitoring, map[string]any{"result": "found"}, "details"},
		{"bad date", RecReturnRequest, map[string]any{"sent_at": "5月2日"}, "sent_at"},
		{"text too long", RecWarningLetter, map[string]any{"recipient": tooLong}, "recipient"},
		{"filed suit needs case number", RecInjunction, map[string]any{"status": "pending"}, "case_no"},
		{"future filing time", RecPoliceFiling, map[string]any{"filed_at": "2027-01-01T00:00"}, "filed_at"},
		{"person id negative", RecInquiry, map[string]any{"person_id": -1}, "person_id"},
		{"decision needs reason", RecMoneyClaim, map[string]any{"decision": "refused"}, "reason"},
		{"department scope names it", RecMeasure, map[string]any{"scope": "department"}, "department"},
		{"done measure needs evidence", RecMeasure, map[string]any{"status": "done"}, "evidence"},
		{"measure owner required", RecMeasure, map[string]any{"owner": ""}, "owner"},
		{"sanction from the work rules", RecDiscipline, map[string]any{"sanction": "fine"}, "sanction"},
		{"complaint kind", RecCriminalComplaint, map[string]any{"kind": "tweet"}, "kind"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, discoveryFacts())
			h.passG1()
			h.now = h.now.AddDate(0, 1, 0)                                      // the fixtures' times lie in May
			h.do(staff, PatchFacts{Patch: map[string]any{"root_cause": "誤送信"}}) // opens recurrence
			base := map[string]any{}
			for k, v := range valid[tt.kind] {
				base[k] = v
			}
			for k, v := range tt.patch {
				base[k] = v
			}
			def, ok := LookupRecordKind(tt.kind)
			a := staff
			if ok && def.Restricted {
				a = hr
			}
			e := h.fail(a, AddRecord{Kind: tt.kind, Values: base}, CodeInvalid)
			if len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Fatalf("fields %+v, want %s", e.Fields, tt.field)
			}
		})
	}
	t.Run("every kind accepts its valid fixture and replays equal", func(t *testing.T) {
		h := newHarness(t, discoveryFacts())
		h.passG1()
		h.now = h.now.AddDate(0, 1, 0)
		for _, d := range recordKinds {
			a := writerOf(d.Stage)
			h.do(a, AddRecord{Kind: d.Kind, Values: valid[d.Kind]})
		}
		if len(h.c.Records) != len(recordKinds) {
			t.Fatalf("%d records", len(h.c.Records))
		}
		if n, _ := h.c.Record(10).Values.Int("person_id"); n != 12 {
			t.Fatalf("person_id %v", h.c.Record(10).Values["person_id"])
		}
		assertJSONReplay(t, h)
	})
}

// assertJSONReplay stores the events as the store does (JSON with numbers
// kept) and checks the replayed case equals the one built step by step.
func assertJSONReplay(t *testing.T, h *harness) {
	t.Helper()
	raw, err := json.Marshal(h.events)
	if err != nil {
		t.Fatal(err)
	}
	var back []Event
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	c, err := Replay(back)
	if err != nil {
		t.Fatal(err)
	}
	if !equalCases(c, h.c) {
		a, _ := caseJSON(c)
		b, _ := caseJSON(h.c)
		t.Fatalf("replay differs\n%s\n%s", a, b)
	}
}

func TestRecords_WritersAndVisibility(t *testing.T) {
	h := newHarness(t, discoveryFacts())
	h.passG1()
	f := investigationFacts()
	h.patch(staff, f)
	h.ticks(staff, investigationTicks...)
	h.do(manager, Approve{RequestID: h.submit(staff, KindComplete, StageInvestigation, "", ""), Note: "確認しました"}) // opens discipline
	mon := AddRecord{Kind: RecMonitoring, Values: map[string]any{"date": "2026-05-02", "searched_where": "web", "result": "nothing_found"}}
	disc := AddRecord{Kind: RecDiscipline, Values: map[string]any{"employee": "E1", "culpability": "negligence", "sanction": "reprimand"}}
	h.fail(auditor, mon, CodeForbidden)
	h.fail(admin, mon, CodeForbidden)
	h.fail(hr, mon, CodeForbidden)
	h.fail(staff, disc, CodeForbidden)
	h.fail(manager, disc, CodeForbidden)
	h.do(staff, mon)
	h.do(hr, disc)

	for _, tt := range []struct {
		a    Actor
		want []RecordKind
	}{
		{staff, []RecordKind{RecMonitoring}},
		{ceo, []RecordKind{RecMonitoring}},
		{hr, []RecordKind{RecMonitoring, RecDiscipline}},
		{manager, []RecordKind{RecMonitoring, RecDiscipline}},
		{officer, []RecordKind{RecMonitoring, RecDiscipline}},
		{auditor, []RecordKind{RecMonitoring, RecDiscipline}},
	} {
		var got []RecordKind
		for _, r := range VisibleRecords(tt.a, h.c, "") {
			got = append(got, r.Kind)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s sees %v, want %v", tt.a.Name, got, tt.want)
		}
	}
	// An involved manager no longer sees discipline records.
	h.do(officer, MarkInvolved{UserID: manager.UserID, Involved: true, Reason: "上長"})
	if rs := VisibleRecords(manager, h.c, StageDiscipline); len(rs) != 0 {
		t.Fatalf("involved manager sees %d discipline records", len(rs))
	}
	// Recording a stage's records makes the recorder a maker of the stage.
	if !h.c.IsEditor(StageContainment, staff.UserID) || !h.c.IsEditor(StageDiscipline, hr.UserID) {
		t.Fatal("record writers are not stage editors")
	}
}

func TestUpdateAndWithdrawRecord(t *testing.T) {
	h := newHarness(t, discoveryFacts())
	h.passG1()
	h.patch(staff, map[string]any{"root_cause": "誤送信"})
	h.records(staff, recurrenceRecords()...)
	r := h.c.Record(1)
	if r.Version != 1 {
		t.Fatalf("version %d", r.Version)
	}
	// No change → no event.
	if evs := h.do(staff2, UpdateRecord{RecordID: 1, Version: 1, Values: map[string]any{"owner": "情報システム部長"}}); len(evs) != 0 {
		t.Fatalf("no-op update produced %d events", len(evs))
	}
	h.do(staff2, UpdateRecord{RecordID: 1, Version: 1, Values: map[string]any{"status": "in_progress"}})
	if r := h.c.Record(1); r.Version != 2 || r.Values.Str("status") != "in_progress" || r.UpdatedBy != staff2.UserID {
		t.Fatalf("after update %+v", r)
	}
	h.fail(staff, UpdateRecord{RecordID: 1, Version: 1, Values: map[string]any{"status": "planned"}}, CodeConflict) // stale
	h.fail(staff, UpdateRecord{RecordID: 1, Version: 2, Values: map[string]any{"owner": nil}}, CodeInvalid)         // required
	h.fail(staff, UpdateRecord{RecordID: 1, Version: 2, Values: map[string]any{"status": "done"}}, CodeInvalid)     // evidence
	h.do(staff, UpdateRecord{RecordID: 1, Version: 2, Values: map[string]any{"status": "done", "evidence": "証跡.pdf", "completed_on": "2026-05-20"}})
	h.fail(staff, UpdateRecord{RecordID: 9}, CodeNotFound)
	h.fail(auditor, WithdrawRecord{RecordID: 1, Reason: "x"}, CodeForbidden)
	h.fail(staff, WithdrawRecord{RecordID: 1}, CodeInvalid)
	h.do(staff, WithdrawRecord{RecordID: 1, Reason: "重複して登録した"})
	if r := h.c.Record(1); !r.Withdrawn || r.WithdrawReason != "重複して登録した" {
		t.Fatalf("withdrawn %+v", r)
	}
	h.fail(staff, UpdateRecord{RecordID: 1, Values: map[string]any{"owner": "x"}}, CodeConflict)
	if m := missingItems(ExitCriteria(StageRecurrencePrevention, h.c.ExitInput())); !slices.Contains(m, "record:recurrence_measure") {
		t.Fatalf("a withdrawn measure still counts: %v", m)
	}
	// The history keeps all of it.
	n := 0
	for _, e := range h.events {
		if e.Type == EventRecordAdded || e.Type == EventRecordUpdated || e.Type == EventRecordWithdrawn {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("%d record events, want 4", n)
	}
	assertJSONReplay(t, h)
}

func TestAttachEvidence(t *testing.T) {
	h := newHarness(t, discoveryFacts())
	h.passG1()
	sum := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	ok := AttachEvidence{EvidenceID: 5, Stage: StageContainment, Name: "削除確認書.pdf", Size: 1234, ContentType: "application/pdf", SHA256: sum}
	h.fail(auditor, ok, CodeForbidden)
	h.fail(hr, ok, CodeForbidden)
	bad := ok
	bad.Name = " "
	h.fail(staff, bad, CodeInvalid)
	bad = ok
	bad.Stage = "nowhere"
	h.fail(staff, bad, CodeInvalid)
	h.do(staff, ok)
	if e := h.c.EvidenceByID(5); e == nil || e.SHA256 != sum || e.Size != 1234 || e.By != staff.UserID {
		t.Fatalf("evidence %+v", e)
	}
	assertJSONReplay(t, h)
}

func TestRecordOverdue(t *testing.T) {
	now := time.Date(2026, 7, 1, 0, 30, 0, 0, jst) // 2026-06-30 15:30 UTC: already July 1st in Japan
	mk := func(status, due string) *Record {
		return &Record{Kind: RecMeasure, Values: Facts{"status": status, "due_date": due}}
	}
	for _, tt := range []struct {
		r    *Record
		want bool
	}{
		{mk("planned", "2026-06-30"), true},
		{mk("in_progress", "2026-07-01"), false},
		{mk("done", "2026-06-01"), false},
		{mk("verified", "2026-06-01"), false},
		{&Record{Kind: RecMeasure, Withdrawn: true, Values: Facts{"status": "planned", "due_date": "2026-06-01"}}, false},
		{&Record{Kind: RecMonitoring, Values: Facts{"due_date": "2026-06-01"}}, false},
	} {
		if got := tt.r.Overdue(now.UTC()); got != tt.want {
			t.Errorf("%v: overdue %v, want %v", tt.r.Values, got, tt.want)
		}
	}
}

func TestAddRecord_ReadOnlyRefusedBeforeInput(t *testing.T) {
	h := newHarness(t, discoveryFacts())
	h.fail(auditor, AddRecord{Kind: "nonsense"}, CodeForbidden)
	h.fail(auditor, AddRecord{Kind: RecMonitoring}, CodeForbidden)
	h.fail(staff, AddRecord{Kind: "nonsense"}, CodeInvalid)
}
