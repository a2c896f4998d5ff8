package incident

import (
	"slices"
	"sort"
	"time"
)

// StageStatus is the state of one stage of a case.
type StageStatus struct {
	State          StageState `json:"state"`
	ChangedAt      time.Time  `json:"changed_at"`
	ChangedBy      int64      `json:"changed_by"`
	SkipReasonCode string     `json:"skip_reason_code,omitempty"`
	SkipReasonText string     `json:"skip_reason_text,omitempty"`
	DeferredUntil  string     `json:"deferred_until,omitempty"` // YYYY-MM-DD (JST)
	// Note is the comment of the last send-back or reopening.
	Note string `json:"note,omitempty"`
}

// RequestState is the state of a request.
type RequestState string

// Request states.
const (
	RequestPending   RequestState = "pending"
	RequestApproved  RequestState = "approved"
	RequestSentBack  RequestState = "sent_back"
	RequestWithdrawn RequestState = "withdrawn" // the case was closed as not an incident meanwhile
)

// requestStateLabels name the states on pages, in the audit view and in exported reports — one
// wording everywhere (承認済み, not 承認済 on one page and 承認済み on another).
var requestStateLabels = map[RequestState][2]string{
	RequestPending:   {"承認待ち", "Pending"},
	RequestApproved:  {"承認済み", "Approved"},
	RequestSentBack:  {"差戻し", "Sent back"},
	RequestWithdrawn: {"取下げ", "Withdrawn"},
}

// LabelJA names the state in Japanese (the code itself for an unknown state).
func (s RequestState) LabelJA() string {
	if l, ok := requestStateLabels[s]; ok {
		return l[0]
	}
	return string(s)
}

// LabelEN names the state in English (the code itself for an unknown state).
func (s RequestState) LabelEN() string {
	if l, ok := requestStateLabels[s]; ok {
		return l[1]
	}
	return string(s)
}

// Approval is one approver's approval of a request.
type Approval struct {
	UserID     int64  `json:"user_id"`
	Name       string `json:"name"`
	Roles      []Role `json:"roles"` // roles held when approving
	RoleFilled Role   `json:"role_filled"`
	AsDeputy   bool   `json:"as_deputy"` // 代理承認: the principal was absent
	// OnBehalfOf is the absent principal a deputy approved for (0 in
	// approvals recorded before delegations existed).
	OnBehalfOfID   int64     `json:"on_behalf_of_id,omitempty"`
	OnBehalfOfName string    `json:"on_behalf_of_name,omitempty"`
	Note           string    `json:"note,omitempty"`
	At             time.Time `json:"at"`
}

// Request asks approvers to complete, skip or defer a stage, or to close
// the case. Snapshot holds the facts it was made on.
type Request struct {
	ID           int64        `json:"id"`
	Kind         RequestKind  `json:"kind"`
	Stage        Stage        `json:"stage,omitempty"`
	ReasonCode   string       `json:"reason_code,omitempty"`
	Note         string       `json:"note,omitempty"`
	ReviewBy     string       `json:"review_by,omitempty"`
	State        RequestState `json:"state"`
	RequestedBy  int64        `json:"requested_by"`
	RequestedAt  time.Time    `json:"requested_at"`
	Snapshot     Facts        `json:"snapshot"`
	Approvals    []Approval   `json:"approvals"`
	DecidedAt    time.Time    `json:"decided_at"`
	DecidedBy    int64        `json:"decided_by"`
	DecisionNote string       `json:"decision_note,omitempty"`
	// Round counts the rounds of one 稟議: 1, then one more after each send-back.
	Round int `json:"round"`
	// Doc is the document version a finalisation request is about.
	Doc *DocRef `json:"document,omitempty"`
	// RulesTo and RulesToHash name the rule-set version a move_rules
	// request asks for.
	RulesTo     int    `json:"rules_to,omitempty"`
	RulesToHash string `json:"rules_to_hash,omitempty"`
}

// Case is the aggregate: the current state folded from its events.
type Case struct {
	ID        int64                  `json:"id"`
	Number    string                 `json:"number"`
	Title     string                 `json:"title"`
	Drill     bool                   `json:"drill"` // a training case (SEED000: drills)
	Status    CaseStatus             `json:"status"`
	Version   int64                  `json:"version"` // == Seq of the last applied event
	Facts     Facts                  `json:"facts"`
	Stages    map[Stage]*StageStatus `json:"stages"`
	Checklist map[string]Tick        `json:"checklist"`
	Requests  []*Request             `json:"requests"` // all, in submission order
	OwnerID   int64                  `json:"owner_id"` // the case handler (担当者), 0 = none
	// Involved users are implicated in the incident (or line managers of
	// those who are): they may neither handle nor approve (§5.2 rule 2).
	Involved map[int64]bool `json:"involved"`
	// StageEditors are the users who recorded facts or ticks of a stage:
	// makers, who may not approve that stage's requests (§5.2 rule 1).
	StageEditors map[Stage]map[int64]bool `json:"stage_editors"`
	CreatedAt    time.Time                `json:"created_at"`
	CreatedBy    int64                    `json:"created_by"`
	UpdatedAt    time.Time                `json:"updated_at"`
	ClosedAt     time.Time                `json:"closed_at"`
	ClosedBy     int64                    `json:"closed_by"`
	Outcome      CaseStatus               `json:"outcome,omitempty"` // how it was last closed
	CloseReason  string                   `json:"close_reason,omitempty"`
	// Assessment is the latest assessment_changed payload, if any.
	Assessment map[string]any `json:"assessment,omitempty"`
	// Records are the stages' repeatable entries, in order of addition
	// (Record.ID = index + 1); Evidence the files attached to stages.
	Records  []*Record   `json:"records,omitempty"`
	Evidence []*Evidence `json:"evidence,omitempty"`
	// Outside is what the approval policy reads from outside the history
	// (the register's totals); filled by the application service.
	Outside Outside `json:"-"`
	// Filings name, per filing time recorded, the approved document version
	// it filed (documents.go).
	Filings map[string]Filing `json:"filings,omitempty"`
	// RulesVersion is the rule set version the case was opened under
	// (case_opened's rules_version); 0 = opened before versions were
	// recorded, decided under version 1.
	RulesVersion int    `json:"rules_version,omitempty"`
	RulesHash    string `json:"rules_hash,omitempty"`
	// Template is the incident-type template chosen when the case was
	// opened ("" = none), from its rule set.
	Template string `json:"template,omitempty"`
}

// Replay folds events, in seq order, into a new case. It fails with
// CodeInternal on an unknown type, a seq gap or an inconsistent event.
func Replay(events []Event) (*Case, error) {
	c := &Case{}
	for _, e := range events {
		if err := c.Apply(e); err != nil {
			return nil, err
		}
	}
	if c.Version == 0 {
		return nil, NotFound("案件が見つかりません。", "case not found")
	}
	return c, nil
}

// Request returns the request with the given ID, or nil.
func (c *Case) Request(id int64) *Request {
	for _, r := range c.Requests {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// PendingRequests returns the pending requests.
func (c *Case) PendingRequests() []*Request {
	var out []*Request
	for _, r := range c.Requests {
		if r.State == RequestPending {
			out = append(out, r)
		}
	}
	return out
}

func (c *Case) stateOf(s Stage) StageState {
	if st := c.Stages[s]; st != nil {
		return st.State
	}
	return StateNotStarted
}

// StateOf returns the state of stage s.
func (c *Case) StateOf(s Stage) StageState { return c.stateOf(s) }

func (c *Case) states() map[Stage]StageState {
	m := make(map[Stage]StageState, len(Stages))
	for _, s := range Stages {
		m[s] = c.stateOf(s)
	}
	return m
}

func (c *Case) exitInput() ExitInput {
	return ExitInput{Facts: c.Facts, Checklist: c.Checklist, OwnerID: c.OwnerID, Records: activeRecords(c.Records), Rules: c.Rules(), Extra: c.templateItems()}
}

// ChecklistItem returns the item id of the case's checklist: its rule
// set's, or one its template added.
func (c *Case) ChecklistItem(id string) (ChecklistItem, bool) {
	if it, ok := c.Rules().LookupChecklistItem(id); ok {
		return it, true
	}
	for _, it := range c.templateItems() {
		if it.ID == id {
			return it, true
		}
	}
	return ChecklistItem{}, false
}

// ChecklistOf returns the case's checklist items of stage s in order: the
// rule set's, then its template's.
func (c *Case) ChecklistOf(s Stage) []ChecklistItem {
	out := c.Rules().Checklist(s)
	for _, it := range c.templateItems() {
		if it.Stage == s {
			out = append(out, it)
		}
	}
	return out
}

// IsEditor reports whether user recorded facts or ticks of stage s.
func (c *Case) IsEditor(s Stage, user int64) bool { return c.StageEditors[s][user] }

// Editors returns the sorted IDs of the users who edited stage s.
func (c *Case) Editors(s Stage) []int64 {
	var out []int64
	for id := range c.StageEditors[s] {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (c *Case) addEditor(s Stage, user int64) {
	if c.StageEditors[s] == nil {
		c.StageEditors[s] = map[int64]bool{}
	}
	c.StageEditors[s][user] = true
}

// clone returns a deep copy, so Decide can simulate events without
// touching the receiver.
func (c *Case) clone() *Case {
	n := *c
	n.Facts = c.Facts.clone()
	// Maps stay nil when they were nil, so a clone of an empty case is
	// indistinguishable from it.
	if c.Stages != nil {
		n.Stages = make(map[Stage]*StageStatus, len(c.Stages))
		for s, st := range c.Stages {
			cp := *st
			n.Stages[s] = &cp
		}
	}
	if c.Checklist != nil {
		n.Checklist = make(map[string]Tick, len(c.Checklist))
		for k, v := range c.Checklist {
			n.Checklist[k] = v
		}
	}
	if c.Requests != nil {
		n.Requests = make([]*Request, len(c.Requests))
		for i, r := range c.Requests {
			cp := *r
			cp.Snapshot = r.Snapshot.clone()
			cp.Approvals = append([]Approval(nil), r.Approvals...)
			n.Requests[i] = &cp
		}
	}
	n.Records = cloneRecords(c.Records)
	if c.Filings != nil {
		n.Filings = make(map[string]Filing, len(c.Filings))
		for k, v := range c.Filings {
			n.Filings[k] = v
		}
	}
	if c.Evidence != nil {
		n.Evidence = make([]*Evidence, len(c.Evidence))
		for i, e := range c.Evidence {
			cp := *e
			n.Evidence[i] = &cp
		}
	}
	if c.Involved != nil {
		n.Involved = make(map[int64]bool, len(c.Involved))
		for k, v := range c.Involved {
			n.Involved[k] = v
		}
	}
	if c.StageEditors != nil {
		n.StageEditors = make(map[Stage]map[int64]bool, len(c.StageEditors))
		for s, m := range c.StageEditors {
			cp := make(map[int64]bool, len(m))
			for k, v := range m {
				cp[k] = v
			}
			n.StageEditors[s] = cp
		}
	}
	return &n
}

// Apply folds one event into the case. Events must come in seq order
// starting at 1 with case_opened. Apply validates only what is needed to
// keep the state consistent (seq, type, references); business rules are
// Decide's job. Errors are CodeInternal: the history is corrupt.
func (c *Case) Apply(e Event) error {
	if !eventTypes[e.Type] {
		return Internal("apply event %d: unknown event type %q", e.Seq, e.Type)
	}
	if e.Seq != c.Version+1 {
		return Internal("apply event: seq %d after version %d", e.Seq, c.Version)
	}
	if (c.Version == 0) != (e.Type == EventCaseOpened) {
		return Internal("apply event %d: case_opened must be the first event and only the first", e.Seq)
	}
	p := e.Payload
	at := e.At.UTC()
	switch e.Type {
	case EventCaseOpened:
		c.ID = pInt(p, "case_id")
		c.Number = pStr(p, "number")
		c.Title = pStr(p, "title")
		c.Drill = pBool(p, "drill")
		c.OwnerID = pInt(p, "owner_id")
		c.Status = StatusOpen
		if err := c.pinRules(int(pInt(p, "rules_version")), pStr(p, "rules_hash")); err != nil {
			return Internal("apply event %d: %v", e.Seq, err)
		}
		c.Template = pStr(p, "template")
		if _, ok := c.TemplateOf(); c.Template != "" && !ok {
			return Internal("apply event %d: rule set version %d has no template %q", e.Seq, c.Rules().Version, c.Template)
		}
		c.Facts = Facts{}
		c.Stages = make(map[Stage]*StageStatus, len(Stages))
		for _, s := range Stages {
			c.Stages[s] = &StageStatus{State: StateNotStarted, ChangedAt: at, ChangedBy: e.ActorID}
		}
		c.Checklist = map[string]Tick{}
		c.Involved = map[int64]bool{}
		c.StageEditors = map[Stage]map[int64]bool{}
		c.CreatedAt = at
		c.CreatedBy = e.ActorID
	case EventFactsChanged:
		for _, ch := range pList(p, "changes") {
			name := pStr(ch, "field")
			f, ok := fieldIndex[name]
			if !ok {
				return Internal("apply event %d: unknown field %q", e.Seq, name)
			}
			if v := coerceStored(name, ch["new"]); v == nil {
				delete(c.Facts, name)
			} else {
				c.Facts[name] = v
			}
			c.addEditor(f.Stage, e.ActorID)
		}
		c.applyFilings(p)
	case EventChecklistTicked:
		id := pStr(p, "item")
		it, ok := c.ChecklistItem(id)
		if !ok {
			return Internal("apply event %d: unknown checklist item %q", e.Seq, id)
		}
		c.Checklist[id] = Tick{Checked: pBool(p, "checked"), By: e.ActorID, At: at, Note: pStr(p, "note")}
		c.addEditor(it.Stage, e.ActorID)
	case EventOwnerAssigned:
		c.OwnerID = pInt(p, "owner_id")
	case EventInvolvementMarked:
		if pBool(p, "involved") {
			c.Involved[pInt(p, "user_id")] = true
		} else {
			delete(c.Involved, pInt(p, "user_id"))
		}
	case EventStageOpened:
		st, err := c.stageFor(e, pStr(p, "stage"))
		if err != nil {
			return err
		}
		*st = StageStatus{State: StateInProgress, ChangedAt: at, ChangedBy: e.ActorID}
	case EventStageChanged:
		st, err := c.stageFor(e, pStr(p, "stage"))
		if err != nil {
			return err
		}
		to := StageState(pStr(p, "to"))
		if from := StageState(pStr(p, "from")); from != st.State {
			return Internal("apply event %d: stage %s is %s, event says %s", e.Seq, pStr(p, "stage"), st.State, from)
		}
		*st = StageStatus{State: to, ChangedAt: at, ChangedBy: e.ActorID, Note: pStr(p, "note"),
			DeferredUntil: pStr(p, "deferred_until")}
		if to == StateSkipped {
			st.SkipReasonCode = pStr(p, "reason_code")
			st.SkipReasonText = pStr(p, "note")
		}
	case EventRequestSubmitted:
		id := pInt(p, "request_id")
		if c.Request(id) != nil {
			return Internal("apply event %d: request %d exists", e.Seq, id)
		}
		snap := Facts{}
		for k, v := range pMap(p, "facts") {
			snap[k] = coerceStored(k, v)
		}
		nr := &Request{
			ID: id, Kind: RequestKind(pStr(p, "kind")), Stage: Stage(pStr(p, "stage")),
			ReasonCode: pStr(p, "reason_code"), Note: pStr(p, "note"), ReviewBy: pStr(p, "review_by"),
			State: RequestPending, RequestedBy: e.ActorID, RequestedAt: at, Snapshot: snap, Round: 1,
			Doc: docRefOf(pMap(p, "document")), RulesTo: int(pInt(p, "rules_to_version")), RulesToHash: pStr(p, "rules_to_hash"),
		}
		// After a send-back the same request made again is the next round of one 稟議: its route
		// starts again from the first slot.
		for i := len(c.Requests) - 1; i >= 0; i-- {
			if o := c.Requests[i]; o.Kind == nr.Kind && o.Stage == nr.Stage && sameDoc(o.Doc, nr.Doc) {
				if o.State == RequestSentBack {
					nr.Round = o.Round + 1
				}
				break
			}
		}
		c.Requests = append(c.Requests, nr)
	case EventRequestApproved:
		r, err := c.pendingFor(e)
		if err != nil {
			return err
		}
		r.Approvals = append(r.Approvals, Approval{
			UserID: pInt(p, "approver_id"), Name: pStr(p, "approver_name"),
			Roles: stringsToRoles(pStrs(p, "roles")), RoleFilled: Role(pStr(p, "role")),
			AsDeputy: pBool(p, "as_deputy"), Note: pStr(p, "note"), At: at,
			OnBehalfOfID: pInt(p, "on_behalf_of_id"), OnBehalfOfName: pStr(p, "on_behalf_of_name"),
		})
		if pBool(p, "final") {
			r.State, r.DecidedAt, r.DecidedBy, r.DecisionNote = RequestApproved, at, e.ActorID, pStr(p, "note")
		}
	case EventRequestSentBack, EventRequestWithdrawn:
		r, err := c.pendingFor(e)
		if err != nil {
			return err
		}
		r.State = RequestSentBack
		r.DecisionNote = pStr(p, "note")
		if e.Type == EventRequestWithdrawn {
			r.State = RequestWithdrawn
			r.DecisionNote = pStr(p, "reason")
		}
		r.DecidedAt, r.DecidedBy = at, e.ActorID
	case EventCaseClosed:
		c.Status = CaseStatus(pStr(p, "outcome"))
		c.Outcome = c.Status
		c.CloseReason = pStr(p, "reason")
		c.ClosedAt, c.ClosedBy = at, e.ActorID
	case EventCaseReopened:
		c.Status = StatusOpen
	case EventAssessmentChanged:
		c.Assessment = p
	case EventRecordAdded, EventRecordUpdated, EventRecordWithdrawn, EventEvidenceAttached:
		if err := c.applyRecordEvent(e); err != nil {
			return err
		}
	case EventRulesMoved:
		if err := c.applyRulesMoved(e); err != nil {
			return err
		}
	}
	c.Version = e.Seq
	c.UpdatedAt = at
	return nil
}

func (c *Case) stageFor(e Event, slug string) (*StageStatus, error) {
	st := c.Stages[Stage(slug)]
	if st == nil {
		return nil, Internal("apply event %d: unknown stage %q", e.Seq, slug)
	}
	return st, nil
}

func (c *Case) pendingFor(e Event) (*Request, error) {
	id := pInt(e.Payload, "request_id")
	r := c.Request(id)
	if r == nil || r.State != RequestPending {
		return nil, Internal("apply event %d: request %d is not pending", e.Seq, id)
	}
	return r, nil
}

// ExitInput returns what the exit criteria of c's stages are checked on.
func (c *Case) ExitInput() ExitInput { return c.exitInput() }

// InvolvedIDs lists the users recorded as involved, in ascending order (the store keeps them in a
// column so that lists can leave the case out for them without reading the whole state).
func (c *Case) InvolvedIDs() []int64 {
	ids := make([]int64, 0, len(c.Involved))
	for id, yes := range c.Involved {
		if yes {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
