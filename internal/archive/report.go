package archive

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// The report is a self-contained HTML document printed by Chromium (never served to a browser, so
// the inline stylesheet is not subject to the site's CSP).
var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"jst": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(incident.JST()).Format("2006-01-02 15:04")
	},
	"short": func(b []byte) string {
		s := fmt.Sprintf("%x", b)
		if len(s) > 16 {
			return s[:16] + "…"
		}
		return s
	},
}).Parse(`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>案件記録 {{.Number}}</title>
<style>
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "IPAexGothic", "Noto Sans CJK JP", sans-serif; font-size: 10pt; color: #000; line-height: 1.5; }
h1 { font-size: 18pt; margin: 0 0 6mm; } h2 { font-size: 13pt; border-bottom: 1px solid #444; margin: 7mm 0 3mm; break-after: avoid; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0; } th, td { border: 1px solid #999; padding: 1mm 2mm; text-align: left; vertical-align: top; }
th { background: #eee; } .cover { break-after: page; } .verdict { padding: 4mm; border: 2px solid; margin: 6mm 0; font-size: 12pt; }
.ok { border-color: #1f7a3d; color: #1f7a3d; } .bad { border-color: #b42318; color: #b42318; }
.drill { display: inline-block; border: 2px solid #6d28d9; color: #6d28d9; padding: 1mm 3mm; font-weight: bold; }
.mono { font-family: monospace; font-size: 8pt; } .muted { color: #555; } tr { break-inside: avoid; }
dl { display: grid; grid-template-columns: 45mm 1fr; gap: 1mm 4mm; } dt { color: #444; } dd { margin: 0; }
</style></head><body>
<section class="cover">
<p class="muted">leakdesk 案件記録（監査用エクスポート）</p>
<h1>{{.Number}} {{.Title}}</h1>
{{if .Drill}}<p class="drill">訓練（ドリル）案件</p>{{end}}
<dl>
<dt>案件番号</dt><dd>{{.Number}}</dd>
<dt>状態</dt><dd>{{.Status}}</dd>
<dt>版（最新のイベント番号）</dt><dd>{{.Version}}</dd>
{{if .Rules}}<dt>適用された規程ルールセット</dt><dd data-testid="report-rules">{{.Rules}}<br><span class="mono">SHA-256 {{.RulesHash}}</span></dd>{{end}}
<dt>出力日時</dt><dd>{{jst .At}} JST</dd>
<dt>出力者</dt><dd>{{.By}}</dd>
<dt>イベント数</dt><dd>{{len .Events}}</dd>
<dt>チェーンの先頭ハッシュ</dt><dd class="mono">{{.Head}}</dd>
</dl>
{{if .ChainOK}}<div class="verdict ok">改ざん検知チェーンの検証: 改ざんは検出されませんでした（{{.Checked}}件のイベントを再計算）。</div>
{{else}}<div class="verdict bad">改ざん検知チェーンの検証: 不整合を検出しました。最初の不整合はイベント {{.BadSeq}} です（{{.BadReason}}）。この記録は保存されている内容のまま出力しています。</div>{{end}}
{{if not .CommentsOK}}<div class="verdict bad">監査コメントのチェーンに不整合があります（{{.CommentsBad}}）。</div>{{end}}
</section>

<h2>概要</h2>
<dl>{{range .Summary}}<dt>{{.Label}}</dt><dd>{{.Value}}</dd>{{end}}</dl>

<h2>段階の状況</h2>
<table><tr><th>段階</th><th>状態</th><th>変更日時</th><th>省略・対象外の理由</th></tr>
{{range .Stages}}<tr><td>{{.Label}}</td><td>{{.State}}</td><td>{{jst .At}}</td><td>{{.Reason}}</td></tr>{{end}}</table>

<h2>法的評価（出力時点の事実による）</h2>
{{with .Assessment}}<p>個人情報保護法: {{.APPI}}　番号法: {{.MyNumber}}</p>
<table><tr><th>期限</th><th>期日</th><th>状況</th><th>超過</th></tr>
{{range .Deadlines}}<tr><td>{{.Label}}</td><td>{{.Due}}</td><td>{{.State}}</td><td>{{.Late}}</td></tr>{{end}}</table>
{{else}}<p class="muted">評価はありません。</p>{{end}}

<h2>注目すべき事項</h2>
{{if .Notes}}<table><tr><th>イベント</th><th>日時</th><th>内容</th></tr>
{{range .Notes}}<tr><td>{{if .Seq}}{{.Seq}}{{end}}</td><td>{{jst .At}}</td><td>{{.JA}}</td></tr>{{end}}</table>
{{else}}<p class="muted">該当なし</p>{{end}}

<h2>承認の記録</h2>
{{if .Requests}}<table><tr><th>申請</th><th>段階・種類</th><th>申請者・日時</th><th>状態</th><th>承認者</th></tr>
{{range .Requests}}<tr><td>#{{.ID}}</td><td>{{.What}}</td><td>{{.By}}<br>{{jst .At}}</td><td>{{.State}}</td><td>{{range .Approvals}}{{.}}<br>{{end}}</td></tr>{{end}}</table>
{{else}}<p class="muted">申請はありません。</p>{{end}}

<h2>発行した文書</h2>
{{if not .HasDocuments}}<p class="muted">文書の記録機能はこの環境にありません。</p>
{{else if .Documents}}<table><tr><th>内容</th></tr>{{range .Documents}}<tr><td>{{.}}</td></tr>{{end}}</table>
{{else}}<p class="muted">発行した文書はありません。</p>{{end}}

<h2>監査コメント・監査済み記録</h2>
{{if .Comments}}<table><tr><th>#</th><th>日時・記入者</th><th>種類</th><th>内容</th></tr>
{{range .Comments}}<tr><td>{{.Seq}}</td><td>{{jst .At}}<br>{{.AuthorName}}</td><td>{{if eq .Kind "signoff"}}監査済み（{{.ReviewedOn}}）<br>範囲: {{.Scope}}{{else}}コメント{{end}}</td><td>{{.Body}}</td></tr>{{end}}</table>
{{else}}<p class="muted">コメントはありません。</p>{{end}}

<h2>全履歴</h2>
<table><tr><th>#</th><th>日時 (JST)</th><th>実行者</th><th>内容</th><th>ハッシュ</th></tr>
{{range .Events}}{{if .Gap}}<tr><td colspan="5">……（イベント {{$.OmittedFrom}}〜{{$.OmittedTo}} の {{$.Omitted}} 件は印刷を省略。全件は events.csv と events.jsonl に収録され、manifest.json のハッシュで保護されています）……</td></tr>{{else}}<tr><td>{{.Seq}}</td><td>{{jst .At}}</td><td>{{.Actor}}</td><td>{{.Summary}}</td><td class="mono">{{short .Hash}}</td></tr>{{end}}{{end}}</table>
</body></html>`))

type reportView struct {
	Number, Title, Status, By, Head string
	Rules, RulesHash                string
	Drill                           bool
	Version                         int64
	At                              time.Time
	ChainOK, CommentsOK             bool
	Checked, BadSeq                 int64
	BadReason, CommentsBad          string
	Summary                         []kv
	Stages                          []stageRow
	Assessment                      *assessView
	Notes                           []audit.Note
	Requests                        []requestRow
	HasDocuments                    bool
	Documents                       []string
	Comments                        []audit.Comment
	Events                          []eventRow
	Omitted                         int
	OmittedFrom, OmittedTo          int64
}

// MaxReportEvents is the longest timeline the printed report holds in full.
const MaxReportEvents = 2000

type kv struct{ Label, Value string }

type stageRow struct {
	Label, State, Reason string
	At                   time.Time
}

type assessView struct {
	APPI, MyNumber string
	Deadlines      []deadlineRow
}

type deadlineRow struct{ Label, Due, State, Late string }

type requestRow struct {
	ID        int64
	What, By  string
	State     string
	At        time.Time
	Approvals []string
}

type eventRow struct {
	Gap            bool // stands for the events left out of the printed timeline
	Seq            int64
	At             time.Time
	Actor, Summary string
	Hash           []byte
}

// ReportHTML renders the printable report of one case.
func ReportHTML(f CaseFile, opts Options) ([]byte, error) {
	v := reportView{Number: f.Number, Title: f.Title, By: opts.ByName, At: opts.At, ChainOK: f.Verdict.OK, Checked: f.Verdict.Checked,
		BadSeq: f.Verdict.BadSeq, BadReason: f.Verdict.Reason, CommentsOK: f.CommentsVerdict.OK,
		CommentsBad:  describeBad(&BadRef{Seq: f.CommentsVerdict.BadSeq, Reason: f.CommentsVerdict.Reason}),
		HasDocuments: f.HasDocuments, Comments: f.Comments, Notes: f.Notes, Status: "—"}
	if f.Case != nil {
		v.Rules, _ = f.Case.RulesLabel()
		v.RulesHash = f.Case.Rules().Hash
	}
	name := func(id int64) string {
		if id == 0 {
			return "システム"
		}
		if n, ok := f.Names[id]; ok {
			return n
		}
		return fmt.Sprintf("ユーザー #%d", id)
	}
	if len(f.Events) > 0 {
		v.Head = fmt.Sprintf("%x", f.Events[len(f.Events)-1].Hash)
	}
	if c := f.Case; c != nil {
		v.Number, v.Title, v.Drill, v.Version = c.Number, c.Title, c.Drill, c.Version
		v.Status = statusJA(c.Status)
		v.Summary = summary(c, name)
		for _, s := range incident.Stages {
			st := c.Stages[s]
			row := stageRow{Label: s.LabelJA(), State: audit.StateJA(c.StateOf(s))}
			if st != nil {
				row.At = st.ChangedAt
				if st.SkipReasonCode != "" {
					row.Reason = st.SkipReasonCode + ": " + st.SkipReasonText
				} else if st.State == incident.StateNotApplicable {
					row.Reason = st.Note
				}
			}
			v.Stages = append(v.Stages, row)
		}
		for _, r := range c.Requests {
			rr := requestRow{ID: r.ID, What: stageJA(r.Stage) + " " + audit.KindJA(r.Kind), By: name(r.RequestedBy), At: r.RequestedAt, State: requestStateJA(r.State)}
			for _, ap := range r.Approvals {
				s := fmt.Sprintf("%s（%s、%s）", ap.Name, roleJA(ap.RoleFilled), ap.At.In(incident.JST()).Format("2006-01-02 15:04"))
				if ap.AsDeputy {
					s += "【代理承認】"
					if ap.OnBehalfOfName != "" {
						s += "（不在: " + ap.OnBehalfOfName + "）"
					}
				}
				if ap.Note != "" {
					s += " " + ap.Note
				}
				rr.Approvals = append(rr.Approvals, s)
			}
			v.Requests = append(v.Requests, rr)
		}
	}
	if a := f.Assessment; a != nil {
		av := &assessView{APPI: audit.ReportabilityJA(string(a.APPI.Status)), MyNumber: audit.ReportabilityJA(string(a.MyNumber.Status))}
		for _, d := range a.Deadlines {
			row := deadlineRow{Label: d.LabelJA, Due: d.Due, State: deadlineStateJA(d.State)}
			if d.State == appi.StateMissed && d.MissedBySeconds != nil {
				row.Late = audit.DurationJA(time.Duration(*d.MissedBySeconds) * time.Second)
			}
			av.Deadlines = append(av.Deadlines, row)
		}
		v.Assessment = av
	}
	for _, d := range f.Documents {
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %v", k, d[k]))
		}
		v.Documents = append(v.Documents, strings.Join(parts, " / "))
	}
	// Chromium prints about 300 timeline rows a second; past MaxReportEvents the report keeps the
	// first and last halves and says where the complete history is (events.csv, events.jsonl).
	for i, e := range f.Events {
		if len(f.Events) > MaxReportEvents && i >= MaxReportEvents/2 && i < len(f.Events)-MaxReportEvents/2 {
			if i == MaxReportEvents/2 {
				v.Omitted = len(f.Events) - MaxReportEvents
				v.OmittedFrom, v.OmittedTo = e.Seq, f.Events[len(f.Events)-MaxReportEvents/2-1].Seq
				v.Events = append(v.Events, eventRow{Gap: true})
			}
			continue
		}
		ja, _ := audit.Summary(e.Event)
		v.Events = append(v.Events, eventRow{Seq: e.Seq, At: e.At, Actor: name(e.ActorID), Summary: ja, Hash: e.Hash})
	}
	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("archive: report: %w", err)
	}
	return buf.Bytes(), nil
}

func summary(c *incident.Case, name func(int64) string) []kv {
	out := []kv{{"件名", c.Title}, {"担当者", name(c.OwnerID)}, {"登録日時", c.CreatedAt.In(incident.JST()).Format("2006-01-02 15:04")}}
	for _, k := range []string{"recognized_at", "reported_to_soumu_at", "route", "suspected_route", "cause_category", "data_items",
		"affected_count", "certainty", "involves_my_number", "prelim_submitted_at", "final_submitted_at", "recurrence_plan_summary"} {
		v, ok := c.Facts[k]
		if !ok || v == nil {
			continue
		}
		f, _ := incident.LookupField(k)
		out = append(out, kv{f.LabelJA, audit.FactText(k, v)})
	}
	if c.Status != incident.StatusOpen {
		out = append(out, kv{"終了日時", c.ClosedAt.In(incident.JST()).Format("2006-01-02 15:04")}, kv{"終了理由", c.CloseReason})
	}
	return out
}

func stageJA(s incident.Stage) string {
	if s.Valid() {
		return s.LabelJA()
	}
	return "案件"
}

func statusJA(s incident.CaseStatus) string {
	switch s {
	case incident.StatusOpen:
		return "対応中"
	case incident.StatusClosed:
		return "完了"
	case incident.StatusClosedNotIncident:
		return "事案に該当せず終了"
	}
	return string(s)
}

func requestStateJA(s incident.RequestState) string { return s.LabelJA() }

func deadlineStateJA(s string) string {
	switch s {
	case appi.StateMet:
		return "期限内に完了"
	case appi.StateMissed:
		return "期限超過"
	case appi.StateOpen:
		return "未了（期限前）"
	}
	return s
}

func roleJA(r incident.Role) string {
	if r.Valid() {
		return r.LabelJA()
	}
	return string(r)
}
