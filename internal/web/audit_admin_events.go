package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// getAuditAdminEvents lists admin_events on the auditor's desk (issue 21): what administrators did
// to accounts, newest first, with the case-reading roles each grant added.
func (s *Server) getAuditAdminEvents(w http.ResponseWriter, r *http.Request) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	const page = 100
	evs, err := s.store.AdminEvents(r.Context(), before, page)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	lang := s.lang(r)
	who := func(id int64, name string) string {
		if id == 0 {
			return pick(lang, "システム（コマンド）", "system (command line)")
		}
		return name + " (#" + itoa64(id) + ")"
	}
	rows := make([]view.AuditAdminEvent, len(evs))
	for i, e := range evs {
		var added []string
		for _, ro := range e.Roles {
			if auth.ReadsCases(auth.Role(ro)) && !slices.Contains(e.PrevRoles, ro) {
				added = append(added, ro)
			}
		}
		rows[i] = view.AuditAdminEvent{At: e.At, Actor: who(e.ActorID, e.ActorName), Target: who(e.TargetID, e.TargetName), Action: e.Action,
			Roles: strings.Join(e.Roles, ", "), Added: strings.Join(added, ", "), GrantsCaseRoles: len(added) > 0}
	}
	next := ""
	if len(evs) == page {
		next = "/audit/admin-events?before=" + itoa64(evs[len(evs)-1].ID)
	}
	p := s.page(r, "管理者の操作", "Admin actions")
	s.render(w, r, http.StatusOK, p, view.AuditAdminEventsPage(p, rows, next))
}
