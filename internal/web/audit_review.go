package web

// The management review's figures (SEED004 第46条): the page and its CSV.

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/audit"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// reviewPeriod reads from/to (JST dates, "to" included); the default is the current fiscal year
// (April to March) up to today.
func (s *Server) reviewPeriod(q url.Values) (from, to time.Time, vf view.AuditReviewFilter) {
	today := s.now().In(jstLoc)
	fy := today.Year()
	if today.Month() < time.April {
		fy--
	}
	from = time.Date(fy, time.April, 1, 0, 0, 0, 0, jstLoc)
	to = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, jstLoc)
	if t, ok := parseDay(q.Get("from")); ok {
		from = t
	}
	if t, ok := parseDay(q.Get("to")); ok {
		to = t
	}
	vf = view.AuditReviewFilter{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Drills: q.Get("drills") == "true"}
	nq := url.Values{"from": {vf.From}, "to": {vf.To}}
	if vf.Drills {
		nq.Set("drills", "true")
	}
	vf.Query = nq.Encode()
	return from, to.AddDate(0, 0, 1), vf
}

// reviewFigures computes the review over the period's cases, leaving out (and returning the numbers
// of) the cases the viewer is recorded as involved in.
func (s *Server) reviewFigures(ctx context.Context, from, to time.Time, drills bool) (audit.Review, []string, error) {
	hs, withheld, err := s.store.AuditHistoriesFor(ctx, from, to, drills, currentUser(ctx).ID)
	if err != nil {
		return audit.Review{}, nil, err
	}
	in := make([]audit.History, len(hs))
	for i, h := range hs {
		in[i] = audit.History{Events: h}
	}
	rv, bad := audit.Figures(in, s.lawNoRegister(), s.now())
	if len(bad) > 0 {
		s.log.Error("review: histories that do not replay were left out", "cases", bad)
	}
	return rv, withheld, nil
}

// Withheld is what the review shows for a case left out because the viewer is involved in it.
const withheldJA, withheldEN = "非表示（閲覧者が関係者）", "withheld: reviewer involved"

func daysText(d time.Duration, lang string) string {
	return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64) + pick(lang, "日", " d")
}

func optDur(d *time.Duration, lang string) string {
	if d == nil {
		return "—"
	}
	return durationText(*d, lang)
}

func (s *Server) getAuditReview(w http.ResponseWriter, r *http.Request) {
	from, to, vf := s.reviewPeriod(r.URL.Query())
	rv, withheld, err := s.reviewFigures(r.Context(), from, to, vf.Drills)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	lang := s.lang(r)
	count := func(id, ja, en string, cs []audit.Count) view.AuditChart {
		ch := view.AuditChart{ID: id, Title: pick(lang, ja, en)}
		for _, c := range cs {
			ch.Bars = append(ch.Bars, view.AuditBar{Label: pick(lang, c.JA, c.EN), Value: float64(c.N), Text: strconv.Itoa(c.N)})
		}
		return ch
	}
	v := view.AuditReview{Cases: rv.Cases, Drills: rv.Drills, Print: r.URL.Query().Get("print") == "1"}
	v.Charts = append(v.Charts,
		count("route", "経路別", "By route", rv.ByRoute),
		count("cause", "原因別", "By cause", rv.ByCause),
		count("data", "情報の種類別（件数）", "By data kind (cases)", rv.ByDataKind),
		count("reportable", "報告対象の判定", "Reportability", rv.ByReportability))
	stages := view.AuditChart{ID: "stages", Title: pick(lang, "段階ごとの平均所要日数（完了した段階）", "Mean days per stage (finished stages)")}
	for _, st := range rv.StageTimes {
		stages.Bars = append(stages.Bars, view.AuditBar{Label: pick(lang, st.Stage.LabelJA(), st.Stage.LabelEN()), Value: st.Mean.Hours(),
			Text: daysText(st.Mean, lang) + " (n=" + strconv.Itoa(st.N) + ")"})
	}
	v.Charts = append(v.Charts, stages)
	deadlines := view.AuditChart{ID: "deadlines", Title: pick(lang, "期限超過の件数", "Deadlines missed")}
	for _, d := range rv.Deadlines {
		deadlines.Bars = append(deadlines.Bars, view.AuditBar{Label: pick(lang, d.JA, d.EN), Value: float64(d.Missed), Text: strconv.Itoa(d.Missed)})
		v.Deadlines = append(v.Deadlines, view.AuditTableRow{Cells: []string{pick(lang, d.JA, d.EN), strconv.Itoa(d.Met), strconv.Itoa(d.Missed), strconv.Itoa(d.Open)}})
	}
	v.Charts = append(v.Charts, deadlines)
	for _, d := range rv.Durations {
		v.Durations = append(v.Durations, view.AuditTableRow{Cells: []string{pick(lang, d.JA, d.EN), strconv.Itoa(d.N),
			durationText(d.Mean, lang), durationText(d.Median, lang), durationText(d.Max, lang)}})
	}
	v.Recurrence = []view.AuditTableRow{
		{Cells: []string{pick(lang, "再発防止策の計画を記録", "Plan recorded"), strconv.Itoa(rv.PlanRecorded)}},
		{Cells: []string{pick(lang, "再発防止策の段階が完了", "Measures stage done"), strconv.Itoa(rv.MeasuresDone)}},
		{Cells: []string{pick(lang, "有効性の確認日を設定", "Effectiveness review scheduled"), strconv.Itoa(rv.ReviewScheduled)}},
	}
	for _, c := range rv.Rows {
		routeJA, routeEN := incident.OptionLabel("route", c.Route)
		causeJA, causeEN := incident.OptionLabel("cause_category", c.Cause)
		drill := ""
		if c.Drill {
			drill = pick(lang, "訓練", "drill")
		}
		v.CaseRows = append(v.CaseRows, view.AuditTableRow{Cells: []string{c.Number, c.Title, drill, pick(lang, routeJA, routeEN),
			pick(lang, causeJA, causeEN), audit.ReportabilityJA(c.Reportability), optDur(c.ToFirstReport, lang), optDur(c.ToPrelim, lang),
			optDur(c.ToFinal, lang), strconv.Itoa(c.Missed)}})
	}
	for _, n := range withheld {
		v.CaseRows = append(v.CaseRows, view.AuditTableRow{Cells: []string{n, pick(lang, withheldJA, withheldEN), "", "", "", "", "", "", "", ""}})
	}
	p := s.page(r, "マネジメントレビュー", "Management review")
	s.render(w, r, http.StatusOK, p, view.AuditReviewPage(p, vf, v))
}

// getAuditReviewCSV downloads every figure of the review page as one CSV (UTF-8 with BOM, formula
// cells neutralised): section, key, label, value columns, then one row per case.
func (s *Server) getAuditReviewCSV(w http.ResponseWriter, r *http.Request) {
	from, to, vf := s.reviewPeriod(r.URL.Query())
	rv, withheld, err := s.reviewFigures(r.Context(), from, to, vf.Drills)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csvWriter(&buf)
	row := func(cells ...string) { _ = cw.Write(archive.SafeCells(cells...)) }
	row("section", "key", "label", "value", "value2", "value3", "value4")
	row("period", "from", "期間（から）", vf.From)
	row("period", "to", "期間（まで）", vf.To)
	row("period", "drills_included", "訓練を含む", strconv.FormatBool(vf.Drills))
	row("total", "cases", "対象案件", strconv.Itoa(rv.Cases))
	row("total", "drills", "うち訓練", strconv.Itoa(rv.Drills))
	for _, sec := range []struct {
		name string
		cs   []audit.Count
	}{{"route", rv.ByRoute}, {"cause", rv.ByCause}, {"data_kind", rv.ByDataKind}, {"reportability", rv.ByReportability}} {
		for _, c := range sec.cs {
			row(sec.name, c.Key, c.JA, strconv.Itoa(c.N))
		}
	}
	hours := func(d time.Duration) string { return strconv.FormatFloat(d.Hours(), 'f', 2, 64) }
	row("duration", "key", "区間", "件数", "平均（時間）", "中央値（時間）", "最長（時間）")
	for _, d := range rv.Durations {
		row("duration", d.Key, d.JA, strconv.Itoa(d.N), hours(d.Mean), hours(d.Median), hours(d.Max))
	}
	row("deadline", "kind", "期限", "期限内", "超過", "未了")
	for _, d := range rv.Deadlines {
		row("deadline", d.Kind, d.JA, strconv.Itoa(d.Met), strconv.Itoa(d.Missed), strconv.Itoa(d.Open))
	}
	row("stage_time", "stage", "段階", "件数", "平均（時間）", "中央値（時間）")
	for _, st := range rv.StageTimes {
		row("stage_time", string(st.Stage), st.Stage.LabelJA(), strconv.Itoa(st.N), hours(st.Mean), hours(st.Median))
	}
	row("recurrence", "plan_recorded", "再発防止策の計画を記録", strconv.Itoa(rv.PlanRecorded))
	row("recurrence", "measures_done", "再発防止策の段階が完了", strconv.Itoa(rv.MeasuresDone))
	row("recurrence", "review_scheduled", "有効性の確認日を設定", strconv.Itoa(rv.ReviewScheduled))
	row("case", "number", "件名", "訓練", "経路", "原因", "報告", "第一報まで（時間）", "速報まで（時間）", "確報まで（時間）", "期限超過")
	optH := func(d *time.Duration) string {
		if d == nil {
			return ""
		}
		return hours(*d)
	}
	for _, c := range rv.Rows {
		row("case", c.Number, c.Title, strconv.FormatBool(c.Drill), c.Route, c.Cause, c.Reportability, optH(c.ToFirstReport), optH(c.ToPrelim), optH(c.ToFinal), strconv.Itoa(c.Missed))
	}
	for _, n := range withheld {
		row("case", n, withheldJA+" / "+withheldEN)
	}
	cw.Flush()
	writeDownload(w, download{Name: "leakdesk-review-" + vf.From + "_" + vf.To + ".csv", ContentType: "text/csv; charset=utf-8", Body: buf.Bytes()})
}

func csvWriter(w *bytes.Buffer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw
}
