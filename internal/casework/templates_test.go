package casework_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
)

func TestTemplates_VersionOneHasTheSevenIncidentTypes(t *testing.T) {
	var got []string
	for _, tp := range incident.DefaultRules().Templates() {
		got = append(got, tp.JA)
	}
	want := []string{"メール・FAX誤送信", "紛失・盗難", "不正アクセス", "ランサムウェア", "Webスキミング", "内部不正", "委託先事故"}
	if !slices.Equal(got, want) {
		t.Fatalf("templates %v, want %v", got, want)
	}
}

func TestTemplates_OpeningFromOnePresetsAndRecords(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	staff := e.actors["staff"]
	facts := discoveryFacts()
	facts["suspected_route"] = "unauthorized_access" // the opener's value wins over the preset
	c, err := e.svc.OpenWith(ctx, staff, casework.OpenInput{Title: "ファイルサーバの暗号化被害", Facts: facts, Template: "ransomware"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Template != "ransomware" {
		t.Fatalf("template %q", c.Template)
	}
	for name, want := range map[string]any{"route": "malware_ransomware", "wrongful_act": "yes", "unauthorized_access_suspected": "yes", "suspected_route": "unauthorized_access"} {
		if got := c.Facts[name]; got != want {
			t.Errorf("fact %s = %v, want %v", name, got, want)
		}
	}
	// Its checklist items join the case's checklist; the required ones block discovery's exit.
	var ids []string
	for _, it := range c.ChecklistOf(incident.StageDiscovery) {
		ids = append(ids, it.ID)
	}
	for _, want := range []string{"discovery.tpl_ransomware_isolate", "discovery.tpl_ransomware_preserve"} {
		if !slices.Contains(ids, want) {
			t.Fatalf("discovery checklist %v lacks %s", ids, want)
		}
	}
	var cont []string
	for _, it := range c.ChecklistOf(incident.StageContainment) {
		cont = append(cont, it.JA)
	}
	for _, want := range []string{"身代金を支払わない", "バックアップから復旧", "JPCERT/CC・IPA・警察"} {
		found := false
		for _, ja := range cont {
			found = found || contains(ja, want)
		}
		if !found {
			t.Errorf("containment checklist lacks %q", want)
		}
	}
	c, _, err = e.svc.Do(ctx, c.ID, c.Version, staff, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "第一報完了"})
	var ie *incident.Error
	if !errors.As(err, &ie) || !missingHas(ie.Missing, "discovery.tpl_ransomware_isolate") {
		t.Fatalf("discovery completed without the template's required items: %v", err)
	}
	for _, id := range []string{"discovery.tpl_ransomware_isolate", "discovery.tpl_ransomware_preserve"} {
		if c, _, err = e.svc.Do(ctx, c.ID, c.Version, staff, incident.TickChecklist{ItemID: id, Checked: true}); err != nil {
			t.Fatalf("tick %s: %v", id, err)
		}
	}
	if _, _, err := e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "第一報完了"}); err != nil {
		t.Fatalf("with the items ticked: %v", err)
	}
	// Everything it preset stays editable.
	cur, err := e.db.Store.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur, _, err = e.svc.Do(ctx, c.ID, cur.Version, staff, incident.PatchFacts{Patch: map[string]any{"wrongful_act": "unknown"}}); err != nil || cur.Facts["wrongful_act"] != "unknown" {
		t.Fatalf("editing a preset: %v %v", err, cur.Facts["wrongful_act"])
	}

	// The history says what came from the template: case_opened names it, the opening facts_changed
	// lists the presets kept (not the one the opener typed).
	events, err := e.db.Store.CaseEvents(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if events[0].Payload["template"] != "ransomware" {
		t.Fatalf("case_opened %v", events[0].Payload)
	}
	var preset []string
	for _, ev := range events {
		if ev.Type == incident.EventFactsChanged && ev.Payload["template"] == "ransomware" {
			for _, x := range ev.Payload["preset"].([]any) {
				preset = append(preset, x.(string))
			}
			break
		}
	}
	if !slices.Contains(preset, "route") || slices.Contains(preset, "suspected_route") {
		t.Fatalf("presets recorded %v", preset)
	}
	if res, err := e.db.Store.Verify(ctx, 0); err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

func TestTemplates_MissendSuggestsSkipAndDeletion(t *testing.T) {
	e := newEnv(t)
	c, err := e.svc.OpenWith(context.Background(), e.actors["staff"], casework.OpenInput{Title: "見積書のメール誤送信", Facts: discoveryFacts(), Template: "missend"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.SuggestedSkip(incident.StagePoliceReport); got != "NO_CRIME_SELF_CAUSED" {
		t.Fatalf("suggested police skip %q", got)
	}
	for id, stage := range map[string]incident.Stage{"discovery.tpl_missend_deletion_request": incident.StageDiscovery, "containment.tpl_missend_deletion_confirmed": incident.StageContainment} {
		if it, ok := c.ChecklistItem(id); !ok || it.Stage != stage || !it.RequiredForExit {
			t.Errorf("item %s: %+v %v", id, it, ok)
		}
	}
	if c.TemplateText("notice", "facts") == "" {
		t.Error("no starting text for the notice")
	}
}

func TestTemplates_UnknownIsRefusedWithTheField(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.OpenWith(context.Background(), e.actors["staff"], casework.OpenInput{Title: "x", Facts: discoveryFacts(), Template: "meteor"})
	var ie *incident.Error
	if !errors.As(err, &ie) || len(ie.Fields) == 0 || ie.Fields[0].Field != "template" {
		t.Fatalf("want a field error on template, got %v", err)
	}
	if rows, _ := e.db.Store.CaseEvents(context.Background(), 1); len(rows) != 0 {
		t.Fatal("a refused open wrote events")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
