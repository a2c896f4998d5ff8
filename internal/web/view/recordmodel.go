package view

import (
	"github.com/leakdesk/leakdesk/internal/incident"
)

// RecordSection is one record kind of the open stage: its list and its add form.
type RecordSection struct {
	Def  incident.RecordKindDef
	Rows []RecordRow
	Add  []FieldView // the add form's inputs, named "<kind>.<field>"
	Open bool        // the add form was refused: show it open with the errors
}

// RecordRow is one record in the list.
type RecordRow struct {
	R       *incident.Record
	Cells   []RecordCell
	By      string
	Overdue bool
}

// RecordCell is one recorded value with its label.
type RecordCell struct {
	Label, Value string
}

// EvidenceRow is one attached file.
type EvidenceRow struct {
	E    *incident.Evidence
	By   string
	Href string
}

// RecordEditView is the page that edits or withdraws one record.
type RecordEditView struct {
	C        *incident.Case
	Def      incident.RecordKindDef
	R        *incident.Record
	Fields   []FieldView
	CanEdit  bool
	Cells    []RecordCell
	Conflict bool
}

// Required reports whether the field of the section's kind is required.
func (s RecordSection) Required(f FieldView) bool {
	return s.Def.IsRequired(RecordFieldName(f))
}

// RecordFieldName strips the "<kind>." prefix of an input name.
func RecordFieldName(f FieldView) string {
	n := f.F.Name
	for i := 0; i < len(n); i++ {
		if n[i] == '.' {
			return n[i+1:]
		}
	}
	return n
}

// MiB formats a byte count in MiB for the upload limit.
func MiB(n int64) string { return itoa(n >> 20) }
