package web

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"golang.org/x/text/language"

	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Session keys.
const (
	sessUserID  = "user_id"
	sessCSRF    = "csrf"
	sessNext    = "next"
	sessLang    = "lang"
	sessFlash   = "flash"
	sessLoginAt = "login_at"
)

const (
	flashInfo    = "info"
	flashSuccess = "success"
	flashError   = "error"
)

var langMatcher = language.NewMatcher([]language.Tag{language.Japanese, language.English})

// lang is the page language: the user's setting, else the session's choice, else Accept-Language,
// else Japanese.
func (s *Server) lang(r *http.Request) string {
	if isAPI(r) {
		// API clients choose per request (api.md): Japanese unless Accept-Language asks for English.
		return acceptLang(r)
	}
	if u := currentUser(r.Context()); u != nil && u.Lang != "" {
		return u.Lang
	}
	if hasSession(r.Context()) {
		if l := s.sessions.GetString(r.Context(), sessLang); l == "ja" || l == "en" {
			return l
		}
	}
	return acceptLang(r)
}

func acceptLang(r *http.Request) string {
	if al := r.Header.Get("Accept-Language"); al != "" {
		tag, _ := language.MatchStrings(langMatcher, al)
		if base, _ := tag.Base(); base.String() == "en" {
			return "en"
		}
	}
	return "ja"
}

func (s *Server) basePage(r *http.Request, title string) view.Page {
	p := view.Page{Title: title, Lang: s.lang(r), Path: r.URL.Path}
	if u := currentUser(r.Context()); u != nil {
		p.User = &view.Viewer{ID: u.ID, Name: u.Name, Email: u.Email, Roles: u.Roles}
	}
	if hasSession(r.Context()) {
		p.CSRF = s.csrfToken(r)
		p.Flashes = s.popFlashes(r)
	}
	return p
}

// page builds the frame for a page whose title is given in both languages.
func (s *Server) page(r *http.Request, ja, en string) view.Page {
	return s.basePage(r, pick(s.lang(r), ja, en))
}

// render writes the component inside the layout. It renders to a buffer first so that a template
// error becomes a clean 500 instead of half a page with a 200 status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, p view.Page, c templ.Component) {
	var buf bytes.Buffer
	if err := view.Layout(p, c).Render(r.Context(), &buf); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) flash(r *http.Request, kind, ja, en string) {
	if !hasSession(r.Context()) {
		return
	}
	list, _ := s.sessions.Get(r.Context(), sessFlash).([]string)
	list = append(list, kind+"|"+pick(s.lang(r), ja, en))
	s.sessions.Put(r.Context(), sessFlash, list)
}

func (s *Server) popFlashes(r *http.Request) []view.Flash {
	list, _ := s.sessions.Pop(r.Context(), sessFlash).([]string)
	out := make([]view.Flash, 0, len(list))
	for _, item := range list {
		for i := 0; i < len(item); i++ {
			if item[i] == '|' {
				out = append(out, view.Flash{Kind: item[:i], Text: item[i+1:]})
				break
			}
		}
	}
	return out
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
