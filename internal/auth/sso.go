package auth

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultSSORoles are the roles of a user created by a first single-sign-on login: every employee
// may raise the alarm (SEED003 第4条), nothing more. Other roles are granted in leakdesk by an
// administrator (or mapped from the IdP's groups, GroupRoles).
var DefaultSSORoles = []Role{RoleReporter}

// GroupRoles maps an identity provider's group (an Entra ID object id, a Google group address…) to
// leakdesk roles.
type GroupRoles map[string][]Role

// ParseGroupRoles reads LEAKDESK_OIDC_GROUP_ROLES: comma-separated group=role pairs; a group may
// appear more than once ("g1=staff,g2=manager,g2=privacy_officer").
func ParseGroupRoles(s string) (GroupRoles, error) {
	out := GroupRoles{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		g, r, ok := strings.Cut(pair, "=")
		g, r = strings.TrimSpace(g), strings.TrimSpace(r)
		if !ok || g == "" || !Role(r).Valid() {
			return nil, fmt.Errorf("%q is not group=role with a known role (%v)", pair, AllRoles)
		}
		if !slices.Contains(out[g], Role(r)) {
			out[g] = append(out[g], Role(r))
		}
	}
	return out, nil
}

// For returns the roles the groups map to, in AllRoles order (empty when none match).
func (m GroupRoles) For(groups []string) []Role {
	var out []Role
	for _, r := range AllRoles {
		for _, g := range groups {
			if slices.Contains(m[g], r) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}
