package web

import (
	"net/http"

	"github.com/leakdesk/leakdesk/internal/web/view"
	"github.com/leakdesk/leakdesk/internal/webhook"
)

// webhookLogLimit is how many delivery attempts the admin page lists.
const webhookLogLimit = 200

func (s *Server) getAdminWebhooks(w http.ResponseWriter, r *http.Request) {
	s.adminWebhooksPage(w, r, http.StatusOK, view.WebhookForm{Errors: map[string]string{}}, "")
}

func (s *Server) adminWebhooksPage(w http.ResponseWriter, r *http.Request, status int, f view.WebhookForm, secret string) {
	eps, err := s.hooks.Endpoints(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	log, err := s.hooks.Deliveries(r.Context(), webhookLogLimit)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rows := make([]view.WebhookRow, len(eps))
	for i, e := range eps {
		rows[i] = view.WebhookRow{ID: e.ID, URL: e.URL, Events: e.Events, AllowPrivate: e.AllowPrivate, CreatedAt: e.CreatedAt, Disabled: e.Disabled}
	}
	out := make([]view.WebhookDelivery, len(log))
	for i, d := range log {
		out[i] = view.WebhookDelivery{EndpointID: d.EndpointID, MessageID: d.MessageID, EventType: d.EventType, CaseID: d.CaseID,
			Attempt: d.Attempt, Status: d.Status, Error: d.Error, At: d.At, DurationMS: d.DurationMS}
	}
	choices := make([]view.EventChoice, len(webhook.EventTypes))
	for i, t := range webhook.EventTypes {
		ja, en := webhook.Label(t)
		choices[i] = view.EventChoice{Value: t, JA: ja, EN: en}
	}
	p := s.page(r, "Webhook", "Webhooks")
	s.render(w, r, status, p, view.AdminWebhooksPage(p, rows, out, f, choices, secret))
}

// postAdminWebhook registers an endpoint; the answer shows its secret once (201).
func (s *Server) postAdminWebhook(w http.ResponseWriter, r *http.Request) {
	in := webhook.NewEndpoint{URL: r.PostFormValue("url"), Secret: r.PostFormValue("secret"), Events: r.PostForm["events"],
		AllowPrivate: r.PostFormValue("allow_private") == "true"}
	_, secret, err := s.hooks.Register(r.Context(), currentUser(r.Context()).ID, in, s.now())
	if err != nil {
		status, ue, ok := domainError(err)
		if !ok {
			s.serverError(w, r, err)
			return
		}
		f := view.WebhookForm{URL: in.URL, Events: in.Events, AllowPrivate: in.AllowPrivate, Errors: fieldMap(s.lang(r), ue.Fields)}
		s.adminWebhooksPage(w, r, status, f, "")
		return
	}
	s.adminWebhooksPage(w, r, http.StatusCreated, view.WebhookForm{Errors: map[string]string{}}, secret)
}

func (s *Server) postAdminWebhookDisable(w http.ResponseWriter, r *http.Request) {
	id, ok := caseIDParam(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return
	}
	if err := s.hooks.Disable(r.Context(), id, s.now()); err != nil {
		s.failErr(w, r, err)
		return
	}
	s.flash(r, flashSuccess, "Webhook を停止しました。", "Webhook disabled.")
	http.Redirect(w, r, "/admin/webhooks", http.StatusSeeOther)
}
