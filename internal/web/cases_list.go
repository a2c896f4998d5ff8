package web

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

var caseStatuses = []view.Option{
	{Value: "open", JA: "対応中", EN: "Open"},
	{Value: "closed", JA: "完了", EN: "Closed"},
	{Value: "closed_not_incident", JA: "事案に該当せず終了", EN: "Closed: not an incident"},
}

func optionLabel(opts []view.Option, v string) (string, string) {
	for _, o := range opts {
		if o.Value == v {
			return o.JA, o.EN
		}
	}
	return v, v
}

// parseCaseFilter reads the list filters from the query string; unknown values are ignored rather
// than failing the page, since they only narrow a read.
func parseCaseFilter(q url.Values) (view.CaseListFilter, store.CaseFilter) {
	vf := view.CaseListFilter{
		Q:       strings.TrimSpace(q.Get("q")),
		Status:  q.Get("status"),
		Stage:   q.Get("stage"),
		Overdue: q.Get("overdue") == "true",
		Mine:    q.Get("mine") == "true",
	}
	if len([]rune(vf.Q)) > 200 {
		vf.Q = string([]rune(vf.Q)[:200])
	}
	sf := store.CaseFilter{Query: vf.Q, Overdue: vf.Overdue, Limit: 50}
	if l, _ := optionLabel(caseStatuses, vf.Status); l != vf.Status {
		sf.Status = vf.Status
	}
	if l, _ := optionLabel(stageOptions, vf.Stage); l != vf.Stage {
		sf.Stage = vf.Stage
	}
	if c := q.Get("after"); c != "" {
		if at, id, ok := decodeCursor(c); ok {
			sf.AfterUpdated, sf.AfterID = at, id
		}
	}
	return vf, sf
}

func encodeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (time.Time, int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, false
	}
	us, ids, ok := strings.Cut(string(b), ".")
	if !ok {
		return time.Time{}, 0, false
	}
	u, err1 := strconv.ParseInt(us, 10, 64)
	id, err2 := strconv.ParseInt(ids, 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, false
	}
	return time.UnixMicro(u), id, true
}

func (s *Server) getCases(w http.ResponseWriter, r *http.Request) {
	vf, sf := parseCaseFilter(r.URL.Query())
	if vf.Mine {
		sf.OwnerID = currentUser(r.Context()).ID
	}
	sf.ViewerID = currentUser(r.Context()).ID
	rows, err := s.store.ListCases(r.Context(), sf)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	out := make([]view.CaseListRow, len(rows))
	for i, c := range rows {
		sja, sen := optionLabel(caseStatuses, c.Status)
		stja, sten := optionLabel(stageOptions, c.CurrentStage)
		out[i] = view.CaseListRow{ID: c.ID, Number: c.Number, Title: c.Title, Status: c.Status, StatusJA: sja, StatusEN: sen,
			Drill: c.Drill, Owner: c.OwnerName, StageJA: stja, StageEN: sten, Pending: c.PendingRequests,
			RecognizedAt: c.RecognizedAt, NextDueAt: c.NextDueAt, Overdue: c.Overdue, UpdatedAt: c.UpdatedAt}
	}
	next := ""
	if len(rows) == sf.Limit {
		q := r.URL.Query()
		last := rows[len(rows)-1]
		q.Set("after", encodeCursor(last.UpdatedAt, last.ID))
		next = "/cases?" + q.Encode()
	}
	p := s.page(r, "案件一覧", "Cases")
	s.render(w, r, http.StatusOK, p, view.CaseListPage(p, vf, out, caseStatuses, stageOptions, next, s.canOpenCase(r)))
}

// stageOptions lists the eight stages for filters, from the domain's stage table.
var stageOptions = func() []view.Option {
	out := make([]view.Option, 0, len(incident.Stages))
	for _, st := range incident.Stages {
		out = append(out, view.Option{Value: string(st), JA: st.LabelJA(), EN: st.LabelEN()})
	}
	return out
}()
