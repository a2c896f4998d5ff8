package incident

import "github.com/leakdesk/leakdesk/internal/rules"

// The conditions of the approval policy's conditional slots (policy.go),
// one function per condition. Each reads the case as a whole: a decision
// that the regulation reserves for someone can be recorded as a fact, as a
// stage record or through another decision (publication as the
// alternative to individual notice), and every way to record it must ask
// for the same approver. A condition is named so that the policy table
// refers to it by name and can become data (issue 16).

// CondID names a slot condition.
type CondID string

// Slot conditions.
const (
	CondNotReportable     CondID = "not_reportable_finding"
	CondAccusation        CondID = "criminal_accusation"
	CondInjunction        CondID = "injunction_suit"
	CondPublication       CondID = "publication"
	CondCompensationAbove CondID = "compensation_above_limit"
	CondDismissal         CondID = "dismissal_level_sanction"
	// CondCompensationOffered: the notice offers compensation (documents.go).
	CondCompensationOffered CondID = "compensation_offered"
)

// Condition is one named test on the whole case.
type Condition struct {
	ID     CondID `json:"id"`
	JA, EN string // why the slot is needed, for the approval screen
	holds  func(c *Case) bool
}

// Holds evaluates the condition on c now.
func (cd *Condition) Holds(c *Case) bool { return c != nil && cd.holds(c) }

var conditions = []Condition{
	{CondNotReportable, "「報告対象外」の判断は個人情報保護管理者の承認も必要です。", "A not-reportable finding also needs the privacy officer.", notReportableFinding},
	{CondAccusation, "刑事告発は総務部長と代表取締役の承認も必要です。", "A criminal accusation also needs the head of general affairs and the CEO.", criminalAccusation},
	{CondInjunction, "差止め訴訟は代表取締役の承認も必要です。", "An injunction suit also needs the CEO.", injunctionSuit},
	{CondPublication, "公表は代表取締役の承認も必要です。", "Publication also needs the CEO.", publication},
	{CondCompensationAbove, "一定額を超える補償は代表取締役の承認も必要です。", "Compensation above the set amount also needs the CEO.", compensationAboveLimit},
	{CondDismissal, "解雇相当の処分は代表取締役の承認も必要です。", "A dismissal-level sanction also needs the CEO.", dismissalLevelSanction},
	{CondCompensationOffered, "補償を申し出る通知（補償の案内）は代表取締役の承認も必要です。", "A notice offering compensation also needs the CEO.", compensationOffered},
}

// conditionIndex: a rule set naming a condition not in this list does not
// compile (rules.Check with Vocabulary), so every slot's condition exists.
var conditionIndex = func() map[CondID]*Condition {
	m := make(map[CondID]*Condition, len(conditions))
	for i := range conditions {
		m[conditions[i].ID] = &conditions[i]
	}
	return m
}()

func conditionOf(id CondID) *Condition { return conditionIndex[id] }

// Conditions returns the slot conditions (a copy).
func Conditions() []Condition { return append([]Condition(nil), conditions...) }

func notReportableFinding(c *Case) bool {
	return c.Facts.Str("reportability_finding") == "not_reportable"
}

// criminalAccusation: an accusation (告発) chosen among the police actions,
// decided in the discipline stage, or recorded as a filing.
func criminalAccusation(c *Case) bool {
	if c.Facts.setHas("police_actions", "accusation") || c.Facts.isTrue("accusation_filed") || c.Facts.has("accusation_filed_at") {
		return true
	}
	for _, r := range c.activeRecords(RecCriminalComplaint) {
		if r.Values.Str("kind") == "accusation" {
			return true
		}
	}
	return false
}

// injunctionSuit: a suit filed (the fact), under way or done (the
// escalation step), or any suit record, from preparation on.
func injunctionSuit(c *Case) bool {
	if c.Facts.has("injunction_filed_at") {
		return true
	}
	switch c.Facts.Str("injunction_status") {
	case "in_progress", "done":
		return true
	}
	return len(c.activeRecords(RecInjunction)) > 0
}

// publication: published (the fact or its time), or publication chosen as
// the alternative measure to individual notice (GL 3-5-4-2).
func publication(c *Case) bool {
	return c.Facts.isTrue("publication_done") || c.Facts.has("published_at") ||
		c.Facts.setHas("alternative_measure", "publication")
}

// dismissalLevelSanction: the stage's sanction or any one employee's.
func dismissalLevelSanction(c *Case) bool {
	level := c.Rules().dismissal
	if level[c.Facts.Str("sanction")] {
		return true
	}
	for _, r := range c.activeRecords(RecDiscipline) {
		if level[r.Values.Str("sanction")] {
			return true
		}
	}
	return false
}

// DefaultCompensationExecutiveAbove is version 1's compensation total (yen)
// above which the CEO approves the compensation policy (domain.md §5.3
// leaves the amount to the company [P]): ¥1,000,000, e.g. a ¥500 voucher to
// 2,000 people. The amount a case uses is its rule set's
// (compensation_executive_above), which Outside.CompensationExecutiveAbove
// (LEAKDESK_COMPENSATION_CEO_ABOVE) overrides.
var DefaultCompensationExecutiveAbove = rules.V1().CompensationExecutiveAbove

// Outside is what the approval policy reads about a case from outside its
// own history: the affected-person register (its own encrypted table) and
// the company's set amount. The application service fills it before each
// decision; it is not part of the event history, so approval events record
// the slots that were required.
type Outside struct {
	RegisterCount              int64 // people in the register
	RegisterCompensationTotal  int64 // Σ compensation_amount over the register (yen)
	CompensationExecutiveAbove int64 // 0 = the case's rule set's amount
}

// CompensationTotal is the case's compensation in yen: the larger of the
// register's total and the decided amount per person times the people
// affected (the register's count or the investigated count, whichever is
// larger).
func CompensationTotal(c *Case) int64 {
	total := c.Outside.RegisterCompensationTotal
	if form := c.Facts.Str("compensation_form"); form != "" && form != "none" {
		per, _ := c.Facts.Int("compensation_amount_per_person")
		people, _ := c.Facts.Int("affected_count")
		people = max(people, c.Outside.RegisterCount)
		total = max(total, per*people)
	}
	return total
}

// CompensationLimit is the amount above which the CEO approves.
func CompensationLimit(c *Case) int64 {
	if c.Outside.CompensationExecutiveAbove > 0 {
		return c.Outside.CompensationExecutiveAbove
	}
	return c.Rules().CompensationExecutiveAbove
}

func compensationAboveLimit(c *Case) bool { return CompensationTotal(c) > CompensationLimit(c) }

func (c *Case) activeRecords(k RecordKind) []*Record {
	var out []*Record
	for _, r := range c.Records {
		if r.Kind == k && !r.Withdrawn {
			out = append(out, r)
		}
	}
	return out
}
