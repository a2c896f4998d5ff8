package web

import (
	"strings"
	"testing"
)

func TestCheckInput(t *testing.T) {
	long := strings.Repeat("漏", 201)
	cases := []struct {
		name  string
		in    any
		field string // "" = passes
		ja    string
	}{
		{"title ok", &newCaseInput{Title: "USBメモリ紛失"}, "", ""},
		{"title 200 kanji is the limit", &newCaseInput{Title: strings.Repeat("漏", 200)}, "", ""},
		{"title missing", &newCaseInput{}, "title", "件名を入力してください。"},
		{"title 201 kanji", &newCaseInput{Title: long}, "title", "件名は200文字以内で入力してください。"},
		{"request ok", &requestInput{Stage: "discovery", Kind: "complete"}, "", ""},
		{"request kind unknown", &requestInput{Stage: "discovery", Kind: "approve_myself"}, "kind", "依頼の種類は一覧から選んでください。"},
		{"request no stage", &requestInput{Kind: "skip"}, "stage", "段階を入力してください。"},
		{"case-level request has no stage", &requestInput{Kind: "close_not_incident", Note: "誤報"}, "", ""},
		{"request note too long", &requestInput{Stage: "discovery", Kind: "complete", Note: strings.Repeat("あ", 2001)}, "note", "コメントは2000文字以内で入力してください。"},
		{"request review date format", &requestInput{Stage: "customer_notice", Kind: "defer", ReviewBy: "2026/05/08"}, "review_by", "見直し期限は YYYY-MM-DD の形式で入力してください。"},
		{"request review date ok", &requestInput{Stage: "customer_notice", Kind: "defer", ReviewBy: "2026-05-08"}, "", ""},
		{"user bad email", &userInput{Email: "taro", Name: "山田", Roles: []string{"staff"}}, "email", "メールアドレスの形式が正しくありません（例: taro@example.co.jp）。"},
		{"user no roles", &userInput{Email: "taro@example.co.jp", Name: "山田"}, "roles", "役割を1つ以上選んでください。"},
		{"api case title json name", &apiNewCase{Title: ""}, "title", "件名を入力してください。"},
		{"api decision note", &apiDecision{Note: strings.Repeat("x", 2001)}, "note", "コメントは2000文字以内で入力してください。"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := checkInput(tc.in)
			if tc.field == "" {
				if len(got) != 0 {
					t.Fatalf("want pass, got %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Field != tc.field || got[0].JA != tc.ja || got[0].EN == "" {
				t.Fatalf("want one error on %s %q, got %+v", tc.field, tc.ja, got)
			}
		})
	}
}
