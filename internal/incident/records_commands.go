package incident

// The record commands (add, update, withdraw, attach evidence): their decisions and how their events apply.

import (
	"reflect"
	"sort"
	"strings"
	"time"
)

// AddRecord adds a record of Kind to its stage. Values are normalised like
// facts (same kinds, options and lengths); the kind's required fields must
// be present. Writers are the stage's writers (hr for discipline). Errors:
// invalid (fields), forbidden, conflict (case closed).
type AddRecord struct {
	Kind   RecordKind
	Values map[string]any
}

// UpdateRecord applies a merge patch to a record's values. Version, when
// non-zero, must equal the record's version. A patch that changes nothing
// produces no event. Errors: not_found, invalid, forbidden, conflict
// (stale record version, withdrawn record, case closed).
type UpdateRecord struct {
	RecordID int64
	Version  int64
	Values   map[string]any
}

// WithdrawRecord marks a record as withdrawn (entered by mistake, replaced)
// with a required reason; it stays in the history and on the page. Errors:
// not_found, invalid, forbidden, conflict.
type WithdrawRecord struct {
	RecordID int64
	Reason   string
}

// AttachEvidence records that a file was attached to Stage: the store keeps
// the bytes in the same transaction. EvidenceID is allocated by the store.
// Errors: invalid, forbidden, conflict.
type AttachEvidence struct {
	EvidenceID  int64
	Stage       Stage
	Name        string
	Size        int64
	ContentType string
	SHA256      string
	Note        string
}

var errNoRecord = NotFound("記録が見つかりません。", "record not found")

// normalizeRecord validates a patch against the kind's fields; with base
// (an update) the result is the merged values. Empty values delete.
func normalizeRecord(d *RecordKindDef, base Facts, patch map[string]any, now time.Time) (Facts, []FieldError) {
	out := base.clone()
	if out == nil {
		out = Facts{}
	}
	var fes []FieldError
	for name, raw := range patch {
		f, ok := d.Field(name)
		if !ok {
			fes = append(fes, FieldError{Field: name, JA: "この項目は登録されていません。", EN: "unknown field"})
			continue
		}
		v, fe := normalizeValue(&f, raw, now)
		if fe != nil {
			fes = append(fes, *fe)
			continue
		}
		if v == nil {
			delete(out, name)
		} else {
			out[name] = v
		}
	}
	if len(fes) == 0 {
		for _, name := range d.Required {
			if !out.has(name) {
				f, _ := d.Field(name)
				fes = append(fes, FieldError{Field: name, JA: "「" + f.LabelJA + "」を入力してください。", EN: f.LabelEN + " is required"})
			}
		}
	}
	if len(fes) == 0 && d.Check != nil {
		fes = append(fes, d.Check(out)...)
	}
	sort.Slice(fes, func(i, j int) bool { return fes[i].Field < fes[j].Field })
	return out, fes
}

func recordValuesPayload(v Facts) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

func (cmd AddRecord) decide(d *decider) error {
	if err := d.requireOpen(); err != nil {
		return err
	}
	// Read-only users are refused whatever they send, before the input is looked at.
	if err := d.notReadOnlyOrInvolved(); err != nil {
		return err
	}
	def, ok := recordKindIndex[cmd.Kind]
	if !ok {
		return Invalid("記録の種類が正しくありません。", "unknown record kind",
			FieldError{Field: "kind", JA: "記録の種類が正しくありません。", EN: "unknown record kind"})
	}
	if err := canWriteStage(d.actor, d.sim, def.Stage); err != nil {
		return err
	}
	values, fes := normalizeRecord(def, nil, cmd.Values, d.now)
	if len(fes) > 0 {
		return Invalid("入力内容を確認してください。", "check the input", fes...)
	}
	return d.emit(EventRecordAdded, map[string]any{
		"record_id": int64(len(d.sim.Records) + 1), "kind": string(def.Kind), "stage": string(def.Stage),
		"values": recordValuesPayload(values),
	})
}

func (d *decider) writableRecord(id int64) (*Record, *RecordKindDef, error) {
	if err := d.requireOpen(); err != nil {
		return nil, nil, err
	}
	r := d.sim.Record(id)
	if r == nil {
		return nil, nil, errNoRecord
	}
	def := recordKindIndex[r.Kind]
	if def == nil {
		return nil, nil, Internal("record %d: unknown kind %q", id, r.Kind)
	}
	if err := canWriteStage(d.actor, d.sim, def.Stage); err != nil {
		return nil, nil, err
	}
	if r.Withdrawn {
		return nil, nil, Conflict("この記録は取り下げられています。", "the record was withdrawn")
	}
	return r, def, nil
}

func (cmd UpdateRecord) decide(d *decider) error {
	r, def, err := d.writableRecord(cmd.RecordID)
	if err != nil {
		return err
	}
	if cmd.Version != 0 && cmd.Version != r.Version {
		return Conflict("他の人が先にこの記録を更新しました。最新の内容を確認してからやり直してください。",
			"someone else updated this record first; review it and try again")
	}
	merged, fes := normalizeRecord(def, r.Values, cmd.Values, d.now)
	if len(fes) > 0 {
		return Invalid("入力内容を確認してください。", "check the input", fes...)
	}
	names := make([]string, 0, len(def.Fields))
	for _, f := range def.Fields {
		names = append(names, f.Name)
	}
	var changes []any
	for _, n := range names {
		old, had := r.Values[n]
		nv, has := merged[n]
		if had == has && (!had || reflect.DeepEqual(old, nv)) {
			continue
		}
		changes = append(changes, map[string]any{"field": n, "old": old, "new": nv})
	}
	if len(changes) == 0 {
		return nil
	}
	return d.emit(EventRecordUpdated, map[string]any{
		"record_id": r.ID, "kind": string(r.Kind), "stage": string(r.Stage), "changes": changes,
	})
}

func (cmd WithdrawRecord) decide(d *decider) error {
	r, _, err := d.writableRecord(cmd.RecordID)
	if err != nil {
		return err
	}
	if err := noteField("reason", cmd.Reason, true); err != nil {
		return err
	}
	return d.emit(EventRecordWithdrawn, map[string]any{
		"record_id": r.ID, "kind": string(r.Kind), "stage": string(r.Stage), "reason": strings.TrimSpace(cmd.Reason),
	})
}

func (cmd AttachEvidence) decide(d *decider) error {
	if err := d.requireOpen(); err != nil {
		return err
	}
	if !cmd.Stage.Valid() {
		return Invalid("段階が正しくありません。", "unknown stage", FieldError{Field: "stage", JA: "段階が正しくありません。", EN: "unknown stage"})
	}
	if err := canWriteStage(d.actor, d.sim, cmd.Stage); err != nil {
		return err
	}
	if cmd.EvidenceID <= 0 {
		return Internal("attach evidence: id %d", cmd.EvidenceID)
	}
	name := strings.TrimSpace(cmd.Name)
	if name == "" || len([]rune(name)) > 255 {
		return Invalid("ファイル名を確認してください。", "check the file name",
			FieldError{Field: "file", JA: "ファイル名は1〜255文字です。", EN: "file name must be 1 to 255 characters"})
	}
	if len(cmd.SHA256) != 64 || cmd.Size <= 0 {
		return Internal("attach evidence: bad hash or size")
	}
	if err := noteField("note", cmd.Note, false); err != nil {
		return err
	}
	return d.emit(EventEvidenceAttached, map[string]any{
		"evidence_id": cmd.EvidenceID, "stage": string(cmd.Stage), "name": name, "size": cmd.Size,
		"content_type": cmd.ContentType, "sha256": cmd.SHA256, "note": cmd.Note,
	})
}

// applyRecordEvent folds the record and evidence events into c.
func (c *Case) applyRecordEvent(e Event) error {
	p := e.Payload
	at := e.At.UTC()
	switch e.Type {
	case EventRecordAdded:
		id := pInt(p, "record_id")
		if id != int64(len(c.Records)+1) {
			return Internal("apply event %d: record id %d after %d records", e.Seq, id, len(c.Records))
		}
		def, ok := recordKindIndex[RecordKind(pStr(p, "kind"))]
		if !ok {
			return Internal("apply event %d: unknown record kind %q", e.Seq, pStr(p, "kind"))
		}
		values := Facts{}
		for k, v := range pMap(p, "values") {
			values[k] = coerceRecordValue(def, k, v)
		}
		c.Records = append(c.Records, &Record{ID: id, Kind: def.Kind, Stage: def.Stage, Values: values, Version: 1,
			CreatedAt: at, CreatedBy: e.ActorID, UpdatedAt: at, UpdatedBy: e.ActorID})
		c.addEditor(def.Stage, e.ActorID)
	case EventRecordUpdated:
		r := c.Record(pInt(p, "record_id"))
		if r == nil {
			return Internal("apply event %d: no record %d", e.Seq, pInt(p, "record_id"))
		}
		def := recordKindIndex[r.Kind]
		for _, ch := range pList(p, "changes") {
			name := pStr(ch, "field")
			if _, ok := def.Field(name); !ok {
				return Internal("apply event %d: record field %q", e.Seq, name)
			}
			if v := coerceRecordValue(def, name, ch["new"]); v == nil {
				delete(r.Values, name)
			} else {
				r.Values[name] = v
			}
		}
		r.Version++
		r.UpdatedAt, r.UpdatedBy = at, e.ActorID
		c.addEditor(r.Stage, e.ActorID)
	case EventRecordWithdrawn:
		r := c.Record(pInt(p, "record_id"))
		if r == nil {
			return Internal("apply event %d: no record %d", e.Seq, pInt(p, "record_id"))
		}
		r.Withdrawn, r.WithdrawReason = true, pStr(p, "reason")
		r.Version++
		r.UpdatedAt, r.UpdatedBy = at, e.ActorID
		c.addEditor(r.Stage, e.ActorID)
	case EventEvidenceAttached:
		st := Stage(pStr(p, "stage"))
		if !st.Valid() {
			return Internal("apply event %d: unknown stage %q", e.Seq, st)
		}
		c.Evidence = append(c.Evidence, &Evidence{ID: pInt(p, "evidence_id"), Stage: st, Name: pStr(p, "name"),
			Size: pInt(p, "size"), ContentType: pStr(p, "content_type"), SHA256: pStr(p, "sha256"), Note: pStr(p, "note"),
			At: at, By: e.ActorID})
		c.addEditor(st, e.ActorID)
	}
	return nil
}

// coerceRecordValue brings a value read back from JSON to its contract
// encoding (ints as int64, sets as []string), as coerceStored does for facts.
func coerceRecordValue(d *RecordKindDef, name string, v any) any {
	f, ok := d.Field(name)
	if !ok || v == nil {
		return v
	}
	switch f.Kind {
	case KindInt:
		if n, ok := toInt64(v); ok {
			return n
		}
	case KindSet:
		if xs, ok := toStrings(v); ok {
			return xs
		}
	}
	return v
}

// EvidenceByID returns the attached file with the given id, or nil.
func (c *Case) EvidenceByID(id int64) *Evidence {
	for _, e := range c.Evidence {
		if e.ID == id {
			return e
		}
	}
	return nil
}
