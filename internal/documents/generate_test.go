package documents

import (
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/incident"
)

func TestWareki(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 10, 0, 0, 0, appi.JST), "令和8年11月23日 (2026年11月23日)"},
		{time.Date(2019, 5, 1, 0, 0, 0, 0, appi.JST), "令和元年5月1日 (2019年5月1日)"},
		{time.Date(2019, 4, 30, 23, 0, 0, 0, appi.JST), "平成31年4月30日 (2019年4月30日)"},
		{time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC), "令和8年11月23日 (2026年11月23日)"}, // JST date
	} {
		if got := Wareki(tc.at); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestLetter_26By20(t *testing.T) {
	c := &incident.Case{ID: 1, Number: "2026-0001", Facts: incident.Facts{}}
	long := strings.Repeat("当社の個人データの利用を直ちに停止してください。", 40)
	d := Generate(WarningLetter, Input{Case: c, Edits: map[string]string{"body": long, "sender": "東京都千代田区一丁目1番1号\n株式会社サンプル\n代表取締役　見本太郎", "recipient": "大阪府大阪市北区一丁目\n株式会社流出先"}, Now: time.Date(2026, 11, 23, 9, 0, 0, 0, appi.JST)})
	if d.Letter == nil || len(d.Letter.Pages) < 2 {
		t.Fatalf("pages: %+v", d.Letter)
	}
	total := 0
	for i, p := range d.Letter.Pages {
		if len(p) > LetterRows {
			t.Errorf("page %d has %d lines", i+1, len(p))
		}
		for _, l := range p {
			if n := len([]rune(l)); n > LetterCols {
				t.Errorf("line of %d characters: %q", n, l)
			}
			total += len([]rune(l))
		}
	}
	if total < len([]rune(long)) {
		t.Error("text lost in the layout")
	}
	last := strings.Join(d.Letter.Pages[len(d.Letter.Pages)-1], "")
	if !strings.Contains(last, "令和8年11月23日") || !strings.Contains(last, "株式会社サンプル") {
		t.Errorf("last page lacks the date or sender: %q", last)
	}
}

func TestReport_NineItemsAndUnknowns(t *testing.T) {
	c := &incident.Case{ID: 1, Number: "2026-0001", Facts: incident.Facts{"recognized_at": "2026-05-01T10:00:00+09:00", "data_items": []string{"name", "address"}}}
	a := appi.Assess(c.Facts, appi.DefaultOptions(), time.Date(2026, 5, 2, 0, 0, 0, 0, appi.JST))
	d := Generate(ReportFinal, Input{Case: c, Law: a, Now: time.Date(2026, 5, 2, 0, 0, 0, 0, appi.JST)})
	var heads []string
	unknown := 0
	for _, s := range d.Sections {
		heads = append(heads, s.Heading)
		for _, f := range s.Fields {
			if f.Unknown {
				unknown++
			}
		}
	}
	all := strings.Join(heads, "\n")
	for i := 1; i <= 9; i++ {
		if !strings.Contains(all, "\n"+string(rune('0'+i))+". ") {
			t.Errorf("item %d missing", i)
		}
	}
	if unknown == 0 || !strings.Contains(all, "確報") && d.Sections[0].Fields[0].Value != "確報（施行規則8条2項）" {
		t.Error("unknown items not marked or kind not final")
	}
}

// The company block fills the reporter and the sender, never overrides an edit, and leaves other
// sections alone.
func TestCompanyBlockPrefill(t *testing.T) {
	c := &incident.Case{ID: 1, Number: "2026-0001", Facts: incident.Facts{}}
	now := time.Date(2026, 5, 2, 0, 0, 0, 0, appi.JST)
	company := "株式会社サンプル商事\n東京都千代田区丸の内1-1-1\n代表取締役 佐藤一郎"
	cases := []struct {
		kind  Kind
		key   string
		edits map[string]string
		want  string
	}{
		{ReportPrelim, "reporter", nil, company},
		{ReportFinal, "reporter", map[string]string{"reporter": "株式会社サンプル商事 総務部"}, "株式会社サンプル商事 総務部"},
		{WarningLetter, "sender", nil, company},
		{WarningLetter, "body", nil, defaultWarning},
	}
	for _, tc := range cases {
		d := Generate(tc.kind, Input{Case: c, Now: now, Company: company, Edits: tc.edits})
		found := false
		for _, s := range d.Sections {
			if s.Key == tc.key {
				found = true
				if s.Text != tc.want {
					t.Errorf("%s %s = %q, want %q", tc.kind, tc.key, s.Text, tc.want)
				}
			}
		}
		if !found {
			t.Errorf("%s has no section %s", tc.kind, tc.key)
		}
	}
}
