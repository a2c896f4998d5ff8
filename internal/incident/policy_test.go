package incident

import (
	"slices"
	"testing"
)

func TestRequiredApprovals_EveryPolicyRow(t *testing.T) {
	tests := []struct {
		kind  RequestKind
		stage Stage
		facts Facts
		want  []Role
	}{
		{KindComplete, StageDiscovery, nil, []Role{RoleManager}},
		{KindComplete, StageInvestigation, Facts{"reportability_finding": "reportable"}, []Role{RoleManager}},
		{KindComplete, StageInvestigation, Facts{"reportability_finding": "not_reportable"}, []Role{RoleManager, RolePrivacyOfficer}},
		{KindComplete, StagePoliceReport, Facts{"police_actions": []string{"damage_report"}}, []Role{RoleManager}},
		{KindComplete, StagePoliceReport, Facts{"police_actions": []any{"accusation", "damage_report"}}, []Role{RoleManager, RoleExecutive}},
		{KindSkip, StagePoliceReport, nil, []Role{RoleManager}},
		{KindComplete, StageContainment, nil, []Role{RoleManager}},
		{KindComplete, StageContainment, Facts{"injunction_filed_at": "2026-05-10T10:00:00+09:00"}, []Role{RoleManager, RoleExecutive}},
		{KindComplete, StageCustomerNotice, Facts{"publication_done": false}, []Role{RoleManager}},
		{KindComplete, StageCustomerNotice, Facts{"publication_done": true}, []Role{RoleManager, RoleExecutive}},
		{KindSkip, StageCustomerNotice, nil, []Role{RoleManager, RolePrivacyOfficer}},
		{KindDefer, StageCustomerNotice, nil, []Role{RoleManager, RolePrivacyOfficer}},
		{KindComplete, StageRegulatorReport, nil, []Role{RoleManager, RolePrivacyOfficer}},
		{KindSkip, StageRegulatorReport, nil, []Role{RoleManager, RolePrivacyOfficer}},
		{KindComplete, StageRecurrencePrevention, nil, []Role{RolePrivacyOfficer}},
		{KindComplete, StageDiscipline, Facts{"sanction": "pay_cut"}, []Role{RoleHR}},
		{KindComplete, StageDiscipline, Facts{"sanction": "advised_resignation"}, []Role{RoleHR, RoleExecutive}},
		{KindComplete, StageDiscipline, Facts{"sanction": "disciplinary_dismissal"}, []Role{RoleHR, RoleExecutive}},
		{KindSkip, StageDiscipline, nil, []Role{RoleHR, RoleManager}},
		{KindClose, "", nil, []Role{RolePrivacyOfficer}},
		{KindCloseNotIncident, "", nil, []Role{RoleManager, RolePrivacyOfficer}},
	}
	for _, tt := range tests {
		got, ok := RequiredApprovals(tt.kind, tt.stage, &Case{Facts: tt.facts})
		if !ok || !slices.Equal(got, tt.want) {
			t.Errorf("%s %s %v: got %v (%v), want %v", tt.kind, tt.stage, tt.facts, got, ok, tt.want)
		}
	}
	for _, bad := range []struct {
		k RequestKind
		s Stage
	}{{KindSkip, StageDiscovery}, {KindSkip, StageInvestigation}, {KindSkip, StageContainment}, {KindSkip, StageRecurrencePrevention}, {KindDefer, StageRegulatorReport}} {
		if _, ok := RequiredApprovals(bad.k, bad.s, &Case{}); ok {
			t.Errorf("%s %s must not be allowed", bad.k, bad.s)
		}
	}
}
