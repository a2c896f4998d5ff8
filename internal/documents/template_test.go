package documents

import (
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/rules"
)

// Every section a version-1 template pre-fills exists in its document, and a case opened with the
// template starts its document with that text where the facts leave the section empty.
func TestTemplates_StartingTextOfDocuments(t *testing.T) {
	v := incident.Vocabulary()
	v.Sections = SectionKeys()
	if ps := rules.Check(rules.V1(), v); len(ps) > 0 {
		t.Fatalf("version 1's templates name sections the documents do not have: %v", ps)
	}
	ev := incident.Event{Seq: 1, Type: incident.EventCaseOpened, Payload: map[string]any{
		"case_id": int64(1), "number": "2026-0001", "title": "t", "drill": false, "owner_id": int64(1),
		"rules_version": int64(1), "rules_hash": incident.DefaultRules().Hash, "template": "ransomware"}}
	c, err := incident.Replay([]incident.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	want := c.TemplateText("announcement", "response")
	if want == "" {
		t.Fatal("the ransomware template has no announcement text")
	}
	for _, s := range Generate(Announcement, Input{Case: c}).Sections {
		if s.Key == "response" && !strings.Contains(s.Text, "ランサムウェア") {
			t.Fatalf("response section = %q, want the template's text", s.Text)
		}
	}
	// Without the template the section starts empty (shown as unknown).
	plain, _ := incident.Replay([]incident.Event{{Seq: 1, Type: incident.EventCaseOpened, Payload: map[string]any{
		"case_id": int64(1), "number": "2026-0002", "title": "t", "drill": false, "owner_id": int64(1)}}})
	for _, s := range Generate(Announcement, Input{Case: plain}).Sections {
		if s.Key == "response" && strings.Contains(s.Text, "ランサムウェア") {
			t.Fatal("a case without the template got its text")
		}
	}
}
