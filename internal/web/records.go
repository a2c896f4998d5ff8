package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/web/view"
)

// Stage records and evidence files (docs/records.md): the sections inside the case page's stage
// area, the record edit page, the upload and the logged download, and the JSON API.

// --- the case page's record sections ---

// recordInputName is the input name of a record field in the page's forms: "<kind>.<field>", so
// that the add forms of several kinds on one page never share an input id.
func recordInputName(k incident.RecordKind, field string) string { return string(k) + "." + field }

// recordFieldViews prepares the inputs of kind d: typed values when a refused form is shown again,
// else the record's values (nil for an add form).
func recordFieldViews(d incident.RecordKindDef, values incident.Facts, typed map[string][]string, errs map[string]string) []view.FieldView {
	var out []view.FieldView
	stored := incident.Facts{}
	for k, v := range values {
		stored[recordInputName(d.Kind, k)] = v
	}
	for _, f := range d.Fields {
		named := f
		named.Name = recordInputName(d.Kind, f.Name)
		if d.IsRequired(f.Name) {
			named.LabelJA += "（必須）"
			named.LabelEN += " (required)"
		}
		out = append(out, fieldView(named, stored, typed, errs))
	}
	return out
}

// recordCells renders a record's values for the list, in the kind's field order.
func recordCells(d incident.RecordKindDef, r *incident.Record, lang string) []view.RecordCell {
	var out []view.RecordCell
	for _, f := range d.Fields {
		named := f
		named.Name = recordInputName(d.Kind, f.Name)
		fv := fieldView(named, incident.Facts{named.Name: r.Values[f.Name]}, nil, nil)
		if f.Kind == incident.KindEnum {
			ja, en := d.OptionLabel(f.Name, fv.Value)
			fv.Shown = pick(lang, ja, en)
		}
		if fv.Shown == "" {
			continue
		}
		out = append(out, view.RecordCell{Label: pick(lang, f.LabelJA, f.LabelEN), Value: fv.Shown})
	}
	return out
}

// fillRecords adds the open stage's record sections and files to the case page.
func (s *Server) fillRecords(v *view.CaseView, c *incident.Case, a incident.Actor, names map[int64]string, lang string,
	typed map[string][]string, errs map[string]string, now time.Time) {
	if !incident.CanSeeStageContents(a, c, v.Stage) {
		return
	}
	openKind := ""
	if typed != nil {
		openKind = firstOf(typed["kind"])
	}
	byKind := map[incident.RecordKind][]*incident.Record{}
	for _, r := range incident.VisibleRecords(a, c, v.Stage) {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	for _, d := range incident.RecordKindsOf(v.Stage) {
		if !incident.CanSeeRecordKind(a, c, d) {
			continue
		}
		sec := view.RecordSection{Def: d, Open: openKind == string(d.Kind)}
		var secTyped map[string][]string
		if sec.Open {
			secTyped = typed
		}
		sec.Add = recordFieldViews(d, nil, secTyped, errs)
		for _, r := range byKind[d.Kind] {
			sec.Rows = append(sec.Rows, view.RecordRow{R: r, Cells: recordCells(d, r, lang), By: names[r.UpdatedBy], Overdue: r.Overdue(now)})
		}
		v.Records = append(v.Records, sec)
	}
	for _, e := range incident.VisibleEvidence(a, c, v.Stage) {
		v.Evidence = append(v.Evidence, view.EvidenceRow{E: e, By: names[e.By], Href: fmt.Sprintf("/cases/%d/evidence/%d", c.ID, e.ID)})
	}
	v.CanUpload = v.CanEdit
	v.UploadLimit = s.evidenceLimit()
}

func firstOf(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// recordPatch reads the posted inputs of kind d into a merge patch ("" deletes).
func recordPatch(r *http.Request, d incident.RecordKindDef) map[string]any {
	patch := map[string]any{}
	for _, f := range d.Fields {
		vs, ok := r.PostForm[recordInputName(d.Kind, f.Name)]
		if !ok {
			continue
		}
		v := strings.TrimSpace(firstOf(vs))
		if v == "" {
			patch[f.Name] = nil
			continue
		}
		patch[f.Name] = v
	}
	return patch
}

// recordFieldErrors renames the domain's field errors to the page's input names.
func recordFieldErrors(err error, k incident.RecordKind) error {
	var de *incident.Error
	if !errors.As(err, &de) || de.Code != incident.CodeInvalid {
		return err
	}
	cp := *de
	cp.Fields = nil
	for _, f := range de.Fields {
		if f.Field != "kind" && f.Field != "reason" {
			f.Field = recordInputName(k, f.Field)
		}
		cp.Fields = append(cp.Fields, f)
	}
	return &cp
}

func (s *Server) postRecordAdd(w http.ResponseWriter, r *http.Request) {
	c, a, version, ok := s.writeTarget(w, r)
	if !ok {
		return
	}
	kind := incident.RecordKind(r.PostFormValue("kind"))
	d, _ := incident.LookupRecordKind(kind) // an unknown kind is refused by the domain (after the read-only check)
	_, _, err := s.svc.Do(r.Context(), c.ID, version, a, incident.AddRecord{Kind: kind, Values: recordPatch(r, d)})
	if err != nil {
		s.caseWriteFailed(w, r, c.ID, version, a, d.Stage, recordFieldErrors(err, kind))
		return
	}
	s.flash(r, flashSuccess, "「"+d.LabelJA+"」を記録しました。", d.LabelEN+" recorded.")
	http.Redirect(w, r, fmt.Sprintf("/cases/%d?stage=%s#stage", c.ID, d.Stage), http.StatusSeeOther)
}

// loadRecord loads the case and the record {rid}, refusing records the viewer may not see.
func (s *Server) loadRecord(w http.ResponseWriter, r *http.Request, page string) (*incident.Case, incident.Actor, *incident.Record, incident.RecordKindDef, bool) {
	c, a, ok := s.loadCase(w, r, page)
	if !ok {
		return nil, a, nil, incident.RecordKindDef{}, false
	}
	rid, err := strconv.ParseInt(chi.URLParam(r, "rid"), 10, 64)
	rec := c.Record(rid)
	if err != nil || rec == nil {
		s.fail(w, r, http.StatusNotFound, errNotFound)
		return nil, a, nil, incident.RecordKindDef{}, false
	}
	d, _ := incident.LookupRecordKind(rec.Kind)
	if !incident.CanSeeRecordKind(a, c, d) {
		s.fail(w, r, http.StatusForbidden, errForbidden)
		return nil, a, nil, incident.RecordKindDef{}, false
	}
	return c, a, rec, d, true
}

func (s *Server) renderRecordEdit(w http.ResponseWriter, r *http.Request, status int, c *incident.Case, a incident.Actor, rec *incident.Record,
	d incident.RecordKindDef, typed map[string][]string, errs map[string]string, conflict bool) {
	v := view.RecordEditView{C: c, Def: d, R: rec, CanEdit: incident.CanWriteStage(a, c, d.Stage) == nil && c.Status == incident.StatusOpen,
		Conflict: conflict, Cells: recordCells(d, rec, s.lang(r))}
	v.Fields = recordFieldViews(d, rec.Values, typed, errs)
	p := s.page(r, c.Number+" "+d.LabelJA, c.Number+" "+d.LabelEN)
	s.render(w, r, status, p, view.RecordEditPage(p, v))
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) {
	c, a, rec, d, ok := s.loadRecord(w, r, "record")
	if !ok {
		return
	}
	s.renderRecordEdit(w, r, http.StatusOK, c, a, rec, d, nil, nil, false)
}

func (s *Server) postRecordEdit(w http.ResponseWriter, r *http.Request) {
	c, a, rec, d, version, ok := s.recordWriteTarget(w, r)
	if !ok {
		return
	}
	recVersion, _ := strconv.ParseInt(r.PostFormValue("record_version"), 10, 64)
	if recVersion == 0 {
		s.fail(w, r, http.StatusBadRequest, errMalformed)
		return
	}
	_, _, err := s.svc.Do(r.Context(), c.ID, version, a, incident.UpdateRecord{RecordID: rec.ID, Version: recVersion, Values: recordPatch(r, d)})
	if err == nil {
		s.flash(r, flashSuccess, "記録を更新しました。", "Record updated.")
		http.Redirect(w, r, fmt.Sprintf("/cases/%d?stage=%s#stage", c.ID, d.Stage), http.StatusSeeOther)
		return
	}
	s.recordWriteFailed(w, r, c.ID, a, rec.ID, d, recordFieldErrors(err, d.Kind))
}

// recordWriteFailed shows the edit page again with the fresh record, the typed input and the
// errors; a stale case or record version shows the conflict.
func (s *Server) recordWriteFailed(w http.ResponseWriter, r *http.Request, caseID int64, a incident.Actor, rid int64, d incident.RecordKindDef, err error) {
	status, ue, ok := domainError(err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	fresh, gerr := s.store.GetCase(r.Context(), caseID)
	if gerr != nil {
		s.serverError(w, r, gerr)
		return
	}
	errs := map[string]string{}
	lang := s.lang(r)
	for _, fe := range ue.Fields {
		errs[fe.Field] = pick(lang, fe.JA, fe.EN)
	}
	conflict := status == http.StatusConflict
	if !conflict {
		s.flashNow(r, pick(lang, ue.JA, ue.EN))
	}
	s.renderRecordEdit(w, r, status, fresh, a, fresh.Record(rid), d, r.PostForm, errs, conflict)
}

func (s *Server) postRecordWithdraw(w http.ResponseWriter, r *http.Request) {
	c, a, rec, d, version, ok := s.recordWriteTarget(w, r)
	if !ok {
		return
	}
	_, _, err := s.svc.Do(r.Context(), c.ID, version, a, incident.WithdrawRecord{RecordID: rec.ID, Reason: r.PostFormValue("reason")})
	if err == nil {
		s.flash(r, flashSuccess, "記録を取り下げました（履歴には残ります）。", "Record withdrawn (it stays in the history).")
		http.Redirect(w, r, fmt.Sprintf("/cases/%d?stage=%s#stage", c.ID, d.Stage), http.StatusSeeOther)
		return
	}
	s.recordWriteFailed(w, r, c.ID, a, rec.ID, d, err)
}
