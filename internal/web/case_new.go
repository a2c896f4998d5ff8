package web

// Opening a case (/cases/new): the form, the incident-type template's suggestions, the first facts.

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

func (s *Server) newCaseForm(r *http.Request, title string, drill bool, values map[string][]string, errs map[string]string, template string) view.NewCaseForm {
	f := view.NewCaseForm{Title: title, Drill: drill, Errors: errs}
	lang := s.lang(r)
	templates, err := s.svc.Templates(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "templates", "err", err)
	}
	var presets incident.Facts
	for _, t := range templates {
		f.Templates = append(f.Templates, view.TemplateOption{ID: t.ID, JA: t.JA, EN: t.EN, Selected: t.ID == template})
		if t.ID == template {
			f.Template, presets = templateSuggestion(t, lang), incident.Facts(t.Facts)
		}
	}
	for _, fd := range incident.FieldsOf(incident.StageDiscovery) {
		f.Fields = append(f.Fields, fieldView(fd, presets, values, errs))
	}
	return f
}

// templateSuggestion lists what a template proposes beyond the discovery fields it pre-fills.
func templateSuggestion(t incident.Template, lang string) *view.TemplateSuggestion {
	out := &view.TemplateSuggestion{ID: t.ID, JA: t.JA, EN: t.EN, Citation: t.Citation}
	for _, name := range t.PresetNames() {
		fd, ok := incident.LookupField(name)
		if !ok || fd.Stage == incident.StageDiscovery {
			continue
		}
		fv := fieldView(fd, incident.Facts(t.Facts), nil, nil)
		out.Presets = append(out.Presets, view.Pair{Label: pick(lang, fd.LabelJA, fd.LabelEN), Value: fv.Shown})
	}
	for _, it := range t.Items {
		out.Items = append(out.Items, view.Pair{Label: pick(lang, it.Stage.LabelJA(), it.Stage.LabelEN()), Value: pick(lang, it.JA, it.EN)})
	}
	for _, st := range incident.Stages {
		code := t.Skips[st]
		if code == "" {
			continue
		}
		for _, rs := range incident.Def(st).SkipReasons {
			if rs.Code == code {
				out.Skips = append(out.Skips, view.Pair{Label: pick(lang, st.LabelJA(), st.LabelEN()), Value: pick(lang, rs.JA, rs.EN)})
			}
		}
	}
	return out
}

func (s *Server) getNewCase(w http.ResponseWriter, r *http.Request) {
	if !s.canOpenCase(r) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	p := s.page(r, "新しい案件", "New case")
	s.render(w, r, http.StatusOK, p, view.NewCasePage(p, s.newCaseForm(r, "", false, nil, map[string]string{}, r.URL.Query().Get("template"))))
}

// newCaseInput is the shape check of the new-case form; the discovery facts are checked by the domain.
type newCaseInput struct {
	Title string `form:"title" validate:"required,max=200" label:"件名|title"`
}

func (s *Server) postNewCase(w http.ResponseWriter, r *http.Request) {
	if !s.canOpenCase(r) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return
	}
	lang := s.lang(r)
	title := strings.TrimSpace(r.PostFormValue("title"))
	drill := r.PostFormValue("drill") == "true"
	patch := formPatch(r, incident.FieldsOf(incident.StageDiscovery))
	template := r.PostFormValue("template")
	errs := fieldMap(lang, checkInput(&newCaseInput{Title: title}))
	if len(errs) == 0 {
		c, err := s.svc.OpenWith(r.Context(), actor(currentUser(r.Context())), casework.OpenInput{Title: title, Facts: patch, Drill: drill, Template: template})
		if err == nil {
			s.flash(r, flashSuccess, "案件を登録しました: "+c.Number, "Case opened: "+c.Number)
			http.Redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), http.StatusSeeOther)
			return
		}
		if !s.fieldErrors(w, r, err, errs) {
			return
		}
	}
	p := s.page(r, "新しい案件", "New case")
	s.render(w, r, http.StatusUnprocessableEntity, p, view.NewCasePage(p, s.newCaseForm(r, title, drill, r.PostForm, errs, template)))
}

// formPatch turns the posted form into a merge patch of the given fields. An empty input means
// "not recorded" (the domain deletes the fact); a set whose checkboxes are all unticked is sent as
// an empty set thanks to the hidden _sets marker.
func formPatch(r *http.Request, fields []incident.Field) map[string]any {
	sets := map[string]bool{}
	for _, n := range r.PostForm["_sets"] {
		sets[n] = true
	}
	patch := map[string]any{}
	for _, f := range fields {
		if f.Kind == incident.KindSet {
			if !sets[f.Name] {
				continue
			}
			vals := []any{}
			for _, v := range r.PostForm[f.Name] {
				vals = append(vals, v)
			}
			patch[f.Name] = vals
			continue
		}
		vs, ok := r.PostForm[f.Name]
		if !ok {
			continue
		}
		v := ""
		if len(vs) > 0 {
			v = strings.TrimSpace(vs[0])
		}
		if v == "" {
			patch[f.Name] = nil // "not recorded": a merge-patch delete
			continue
		}
		patch[f.Name] = v
	}
	return patch
}

// fieldView prepares one field: the typed value when the form is shown again, the stored value
// otherwise, in the format the input expects.
func fieldView(f incident.Field, facts incident.Facts, typed map[string][]string, errs map[string]string) view.FieldView {
	fv := view.FieldView{F: f, Error: errs[f.Name]}
	if typed != nil {
		if vs, ok := typed[f.Name]; ok || f.Kind == incident.KindSet {
			if f.Kind == incident.KindSet {
				fv.Values = vs
			} else if len(vs) > 0 {
				fv.Value = vs[0]
			}
			return fv
		}
	}
	v, ok := facts[f.Name]
	if !ok || v == nil {
		return fv
	}
	switch f.Kind {
	case incident.KindSet:
		switch xs := v.(type) {
		case []string:
			fv.Values = xs
		case []any:
			for _, x := range xs {
				fv.Values = append(fv.Values, fmt.Sprint(x))
			}
		}
		var labels []string
		for _, x := range fv.Values {
			ja, _ := incident.OptionLabel(f.Name, x)
			labels = append(labels, ja)
		}
		fv.Shown = strings.Join(labels, "、")
	case incident.KindDateTime:
		s := fmt.Sprint(v)
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			fv.Value = t.In(jst).Format("2006-01-02T15:04")
			fv.Shown = view.JST(t)
		} else {
			fv.Value, fv.Shown = s, s
		}
	case incident.KindEnum:
		fv.Value = fmt.Sprint(v)
		fv.Shown, _ = incident.OptionLabel(f.Name, fv.Value)
	case incident.KindTristate:
		fv.Value = fmt.Sprint(v)
		fv.Shown = map[string]string{"yes": "はい", "no": "いいえ", "unknown": "不明"}[fv.Value]
	case incident.KindBool:
		fv.Value = fmt.Sprint(v)
		fv.Shown = map[string]string{"true": "はい", "false": "いいえ"}[fv.Value]
	default:
		fv.Value = fmt.Sprint(v)
		fv.Shown = fv.Value
	}
	return fv
}

var jst = time.FixedZone("JST", 9*60*60)
