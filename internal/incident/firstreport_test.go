package incident

import (
	"errors"
	"slices"
	"testing"
)

func TestFileFirstReport_WhoAndWhat(t *testing.T) {
	reporter := Actor{UserID: 80, Name: "営業 花子", Roles: []Role{RoleReporter}}
	ok := FirstReport{InitialDescription: "見積書を誤送信した\n詳細は後で", RecognizedAt: "2026-05-01T08:40", ReporterContact: "内線 1"}
	phone := ok
	phone.ByPhone, phone.ReporterName = true, "派遣 太郎"
	future := ok
	future.RecognizedAt = "2026-05-02T08:40"
	for _, tc := range []struct {
		name   string
		a      Actor
		r      FirstReport
		code   Code
		fields []string
	}{
		{"reporter files", reporter, ok, "", nil},
		{"staff files for themselves", staff, ok, "", nil},
		{"staff takes a call", staff, phone, "", nil},
		{"reporter cannot enter a call", reporter, phone, CodeForbidden, nil},
		{"auditor", auditor, ok, CodeForbidden, nil},
		{"hr", hr, ok, CodeForbidden, nil},
		{"admin", admin, ok, CodeForbidden, nil},
		{"empty", reporter, FirstReport{}, CodeInvalid, []string{"initial_description", "recognized_at", "reporter_contact"}},
		{"future", reporter, future, CodeInvalid, []string{"recognized_at"}},
		{"call without a name", staff, FirstReport{ByPhone: true, InitialDescription: "x", RecognizedAt: "2026-05-01T08:40", ReporterContact: "x"}, CodeInvalid, []string{"reporter_name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Case{}
			evs, err := c.Decide(FileFirstReport{ID: 9, Number: "2026-0009", Report: tc.r, OwnerID: 0}, tc.a, t0)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range evs {
					if err := c.Apply(e); err != nil {
						t.Fatal(err)
					}
				}
				if c.Title != "第一報: 見積書を誤送信した" || c.Facts["recognized_at"] != "2026-05-01T08:40:00+09:00" {
					t.Errorf("title %q, recognized_at %v", c.Title, c.Facts["recognized_at"])
				}
				_, reported := c.Facts["reported_to_soumu_at"]
				if reported != tc.r.ByPhone || (c.Facts["report_channel"] == "phone") != tc.r.ByPhone {
					t.Errorf("by phone %v: reported_to_soumu_at %v, channel %v", tc.r.ByPhone, reported, c.Facts["report_channel"])
				}
				return
			}
			var de *Error
			if !errors.As(err, &de) || de.Code != tc.code {
				t.Fatalf("err %v, want %s", err, tc.code)
			}
			var got []string
			for _, f := range de.Fields {
				got = append(got, f.Field)
			}
			slices.Sort(got)
			if tc.fields != nil && !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v", got, tc.fields)
			}
		})
	}
}
