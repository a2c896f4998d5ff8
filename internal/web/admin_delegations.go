package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/web/view"
)

// 代理承認の登録: an administrator registers a deputy for an absent approver over a period; only a
// registered deputy inside the period may approve for them (incident.Approve checks it), and each
// registration is logged in admin_events.

func (s *Server) adminDelegationsPage(w http.ResponseWriter, r *http.Request, status int, form view.DelegationForm) {
	users, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	dels, err := s.store.ListDelegations(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var opts []view.UserOption
	for _, u := range users {
		if !u.Disabled {
			opts = append(opts, view.UserOption{ID: u.ID, Name: u.Name})
		}
	}
	rows := make([]view.DelegationRow, len(dels))
	now := s.now()
	for i, d := range dels {
		rows[i] = view.DelegationRow{ID: d.ID, Principal: d.PrincipalName, Deputy: d.DeputyName, From: d.From, Until: d.Until, Reason: d.Reason,
			Active: !now.Before(d.From) && now.Before(d.Until)}
	}
	p := s.page(r, "代理承認の登録", "Deputy registrations")
	s.render(w, r, status, p, view.AdminDelegationsPage(p, rows, opts, form))
}

func (s *Server) getAdminDelegations(w http.ResponseWriter, r *http.Request) {
	s.adminDelegationsPage(w, r, http.StatusOK, view.DelegationForm{Errors: map[string]string{}})
}

func (s *Server) postAdminDelegation(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(r)
	f := view.DelegationForm{Principal: r.PostFormValue("principal_id"), Deputy: r.PostFormValue("deputy_id"),
		From: strings.TrimSpace(r.PostFormValue("valid_from")), Until: strings.TrimSpace(r.PostFormValue("valid_until")),
		Reason: strings.TrimSpace(r.PostFormValue("reason")), Errors: map[string]string{}}
	principal, perr := strconv.ParseInt(f.Principal, 10, 64)
	deputy, derr := strconv.ParseInt(f.Deputy, 10, 64)
	if perr != nil || principal <= 0 {
		f.Errors["principal_id"] = pick(lang, "不在となる承認者を選んでください。", "Choose the absent approver.")
	}
	if derr != nil || deputy <= 0 {
		f.Errors["deputy_id"] = pick(lang, "代理人を選んでください。", "Choose the deputy.")
	} else if deputy == principal {
		f.Errors["deputy_id"] = pick(lang, "本人を自分の代理人にはできません。", "A person cannot be their own deputy.")
	}
	from, ferr := time.ParseInLocation("2006-01-02T15:04", f.From, jstLoc)
	until, uerr := time.ParseInLocation("2006-01-02T15:04", f.Until, jstLoc)
	if ferr != nil {
		f.Errors["valid_from"] = pick(lang, "開始日時を入力してください（例: 2026-05-01T09:00）。", "Enter the start (e.g. 2026-05-01T09:00).")
	}
	if uerr != nil {
		f.Errors["valid_until"] = pick(lang, "終了日時を入力してください（例: 2026-05-08T18:00）。", "Enter the end (e.g. 2026-05-08T18:00).")
	} else if ferr == nil && !until.After(from) {
		f.Errors["valid_until"] = pick(lang, "終了日時は開始日時より後にしてください。", "The end must be after the start.")
	}
	if f.Reason == "" || len([]rune(f.Reason)) > 2000 {
		f.Errors["reason"] = pick(lang, "不在の理由を2000文字以内で入力してください。", "Give the reason for the absence (at most 2000 characters).")
	}
	if len(f.Errors) == 0 {
		for _, id := range []int64{principal, deputy} {
			if u, err := s.store.UserByID(r.Context(), id); err != nil || u.Disabled {
				f.Errors["deputy_id"] = pick(lang, "有効な利用者を選んでください。", "Choose active users.")
			}
		}
	}
	if len(f.Errors) > 0 {
		s.flashNow(r, pick(lang, "入力内容を確認してください。", "Check the input."))
		s.adminDelegationsPage(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if _, err := s.store.CreateDelegation(r.Context(), currentUser(r.Context()).ID, principal, deputy, from, until, f.Reason); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, flashSuccess, "代理承認の登録を追加しました。", "Deputy registered.")
	http.Redirect(w, r, "/admin/delegations", http.StatusSeeOther)
}
