package incident

import "testing"

func TestCanRead_RoleAndInvolvement(t *testing.T) {
	c := &Case{Involved: map[int64]bool{7: true}}
	cases := []struct {
		name  string
		actor Actor
		want  error // nil, errNotCaseReader or errInvolvedRead
	}{
		{"staff", Actor{UserID: 1, Roles: []Role{RoleStaff}}, nil},
		{"manager", Actor{UserID: 1, Roles: []Role{RoleManager}}, nil},
		{"privacy officer", Actor{UserID: 1, Roles: []Role{RolePrivacyOfficer}}, nil},
		{"executive", Actor{UserID: 1, Roles: []Role{RoleExecutive}}, nil},
		{"hr", Actor{UserID: 1, Roles: []Role{RoleHR}}, nil},
		{"auditor", Actor{UserID: 1, Roles: []Role{RoleAuditor}}, nil},
		{"admin reads no case", Actor{UserID: 1, Roles: []Role{RoleAdmin}}, errNotCaseReader},
		{"reporter reads no case", Actor{UserID: 1, Roles: []Role{RoleReporter}}, errNotCaseReader},
		{"no role", Actor{UserID: 1}, errNotCaseReader},
		{"admin who is also staff", Actor{UserID: 1, Roles: []Role{RoleAdmin, RoleStaff}}, nil},
		{"involved staff", Actor{UserID: 7, Roles: []Role{RoleStaff}}, errInvolvedRead},
		{"involved auditor", Actor{UserID: 7, Roles: []Role{RoleAuditor}}, errInvolvedRead},
		{"involved manager", Actor{UserID: 7, Roles: []Role{RoleManager, RoleHR}}, errInvolvedRead},
		{"involved admin: the role refuses first", Actor{UserID: 7, Roles: []Role{RoleAdmin}}, errNotCaseReader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CanRead(tc.actor, c)
			if err != tc.want {
				t.Fatalf("CanRead = %v, want %v", err, tc.want)
			}
			if err != nil && ErrorCode(err) != CodeForbidden {
				t.Fatalf("code %q, want forbidden", ErrorCode(err))
			}
			if roleErr := CanReadCases(tc.actor); (roleErr == nil) != (tc.want != errNotCaseReader) {
				t.Fatalf("CanReadCases = %v, disagrees with CanRead's role half", roleErr)
			}
		})
	}
}
