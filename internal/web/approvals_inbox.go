package web

// The approvals inbox (/approvals): every request the user may decide, oldest first.

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

func (s *Server) getInbox(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r.Context())
	a := actor(u)
	lang := s.lang(r)
	pending, err := s.store.PendingRequests(r.Context(), 200)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	names, _, err := s.userNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	cache := map[int64]*incident.Case{}
	var rows []view.InboxRow
	for _, pr := range pending {
		c := cache[pr.CaseID]
		if c == nil {
			if c, err = s.store.GetCase(r.Context(), pr.CaseID); err == nil {
				err = s.svc.FillOutside(r.Context(), c)
			}
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			cache[pr.CaseID] = c
		}
		rq := c.Request(pr.ID)
		// Only what waits for the viewer's slot of its route now (CanApprove also refuses the
		// requester, the stage's editors and involved users).
		if rq == nil || rq.State != incident.RequestPending || incident.CanRead(a, c) != nil || incident.CanApprove(a, rq, c) != nil {
			continue
		}
		row := view.InboxRow{RequestID: rq.ID, CaseID: c.ID, CaseNumber: c.Number, CaseTitle: c.Title, Drill: c.Drill,
			Kind: pick(lang, kindJA(rq.Kind), string(rq.Kind)), StageJA: rq.Stage.LabelJA(), StageEN: rq.Stage.LabelEN(),
			RequestedBy: names[rq.RequestedBy], RequestedAt: rq.RequestedAt}
		if rq.Stage == "" {
			row.StageJA, row.StageEN = "案件全体", "Whole case"
		}
		if rq.Doc != nil {
			row.StageJA, row.StageEN = fmt.Sprintf("%s 第%d版", rq.Doc.Kind.LabelJA(), rq.Doc.Version), fmt.Sprintf("%s v%d", rq.Doc.Kind, rq.Doc.Version)
		}
		if roles, ok := incident.VisibleNeeds(a, c, rq); ok {
			var parts []string
			for _, r := range roles {
				parts = append(parts, pick(lang, r.LabelJA(), r.LabelEN()))
			}
			row.Needs = strings.Join(parts, pick(lang, " と ", " and "))
		}
		rows = append(rows, row)
	}
	p := s.page(r, "承認待ち一覧", "Approvals inbox")
	s.render(w, r, http.StatusOK, p, view.InboxPage(p, rows))
}

func kindJA(k incident.RequestKind) string {
	switch k {
	case incident.KindComplete:
		return "完了"
	case incident.KindSkip:
		return "省略"
	case incident.KindDefer:
		return "延期"
	case incident.KindClose:
		return "案件終了"
	case incident.KindCloseNotIncident:
		return "事案に該当せず終了"
	case incident.KindFinalise:
		return "文書の確定"
	}
	return string(k)
}

// errIfMatch is returned when an API write lacks If-Match.
