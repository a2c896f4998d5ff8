package incident

import (
	"testing"
	"time"
)

func TestApproveRules_FourEyes(t *testing.T) {
	const drafter = 1
	mgr := Actor{UserID: 2, Roles: []Role{RoleManager}}
	po := Actor{UserID: 3, Roles: []Role{RolePrivacyOfficer}}
	both := Actor{UserID: 4, Roles: []Role{RoleManager, RolePrivacyOfficer}}
	draft := func(aps ...RuleApprovalBy) RuleVersionState {
		return RuleVersionState{Version: 2, State: RuleDraft, DraftedBy: drafter, Approvals: aps}
	}
	for _, tc := range []struct {
		name     string
		v        RuleVersionState
		a        Actor
		wantRole Role
		wantLast bool
		wantCode Code
	}{
		{"manager first", draft(), mgr, RoleManager, false, ""},
		{"privacy officer first", draft(), po, RolePrivacyOfficer, false, ""},
		{"privacy officer after manager is last", draft(RuleApprovalBy{RoleManager, 2}), po, RolePrivacyOfficer, true, ""},
		{"manager after privacy officer is last", draft(RuleApprovalBy{RolePrivacyOfficer, 3}), mgr, RoleManager, true, ""},
		{"holder of both takes the manager's first", draft(), both, RoleManager, false, ""},
		{"holder of both fills the open role", draft(RuleApprovalBy{RoleManager, 2}), both, RolePrivacyOfficer, true, ""},
		{"the same person never twice", draft(RuleApprovalBy{RoleManager, 4}), both, "", false, CodeConflict},
		{"a role approves once", draft(RuleApprovalBy{RoleManager, 2}), Actor{UserID: 5, Roles: []Role{RoleManager}}, "", false, CodeConflict},
		{"the drafter cannot approve", draft(), Actor{UserID: drafter, Roles: []Role{RoleManager}}, "", false, CodeForbidden},
		{"staff cannot approve", draft(), Actor{UserID: 6, Roles: []Role{RoleStaff}}, "", false, CodeForbidden},
		{"admin cannot approve", draft(), Actor{UserID: 7, Roles: []Role{RoleAdmin}}, "", false, CodeForbidden},
		{"executive cannot approve", draft(), Actor{UserID: 8, Roles: []Role{RoleExecutive}}, "", false, CodeForbidden},
		{"approved is decided", RuleVersionState{State: RuleApproved, DraftedBy: drafter}, mgr, "", false, CodeAlreadyDecided},
		{"withdrawn is decided", RuleVersionState{State: RuleWithdrawn, DraftedBy: drafter}, mgr, "", false, CodeAlreadyDecided},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ApproveRules(tc.v, tc.a)
			if tc.wantCode != "" {
				if ErrorCode(err) != tc.wantCode {
					t.Fatalf("err %v, want code %s", err, tc.wantCode)
				}
				return
			}
			if err != nil || got.Role != tc.wantRole || got.Last != tc.wantLast {
				t.Fatalf("got %+v, %v; want role %s last %v", got, err, tc.wantRole, tc.wantLast)
			}
		})
	}
}

func TestRuleBook_DraftWithdrawReview(t *testing.T) {
	const drafter = 1
	v := RuleVersionState{Version: 2, State: RuleDraft, DraftedBy: drafter}
	for _, tc := range []struct {
		name string
		run  func() error
		want Code // "" = allowed
	}{
		{"admin drafts", func() error { return CanDraftRules(Actor{Roles: []Role{RoleAdmin}}) }, ""},
		{"manager drafts", func() error { return CanDraftRules(Actor{Roles: []Role{RoleManager}}) }, ""},
		{"privacy officer drafts", func() error { return CanDraftRules(Actor{Roles: []Role{RolePrivacyOfficer}}) }, ""},
		{"staff does not draft", func() error { return CanDraftRules(Actor{Roles: []Role{RoleStaff}}) }, CodeForbidden},
		{"auditor does not draft", func() error { return CanDraftRules(Actor{Roles: []Role{RoleAuditor}}) }, CodeForbidden},
		{"drafter withdraws", func() error { return WithdrawRules(v, Actor{UserID: drafter, Roles: []Role{RoleAdmin}}, "誤り") }, ""},
		{"manager withdraws", func() error { return WithdrawRules(v, Actor{UserID: 9, Roles: []Role{RoleManager}}, "誤り") }, ""},
		{"other admin does not withdraw", func() error { return WithdrawRules(v, Actor{UserID: 9, Roles: []Role{RoleAdmin}}, "誤り") }, CodeForbidden},
		{"withdraw needs a reason", func() error { return WithdrawRules(v, Actor{UserID: drafter}, "  ") }, CodeInvalid},
		{"approved is not withdrawn", func() error {
			return WithdrawRules(RuleVersionState{State: RuleApproved, DraftedBy: drafter}, Actor{UserID: drafter}, "誤り")
		}, CodeAlreadyDecided},
		{"manager reviews", func() error { _, err := ReviewRules(Actor{Roles: []Role{RoleManager}}); return err }, ""},
		{"privacy officer reviews", func() error { _, err := ReviewRules(Actor{Roles: []Role{RolePrivacyOfficer}}); return err }, ""},
		{"admin does not review", func() error { _, err := ReviewRules(Actor{Roles: []Role{RoleAdmin}}); return err }, CodeForbidden},
		{"auditor does not review", func() error { _, err := ReviewRules(Actor{Roles: []Role{RoleAuditor}}); return err }, CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if tc.want == "" && err != nil || tc.want != "" && ErrorCode(err) != tc.want {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRuleEffectDate_TodayInJapanOrLater(t *testing.T) {
	// 2026-12-04 16:00 UTC is already 2026-12-05 in Japan.
	now := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		day string
		ok  bool
	}{{"2026-12-04", false}, {"2026-12-05", true}, {"2027-04-01", true}} {
		d, _ := time.Parse(time.DateOnly, tc.day)
		if err := RuleEffectDate(d, now); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.day, err, tc.ok)
		}
	}
}
