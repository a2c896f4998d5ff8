package config

import (
	"strings"
	"testing"
)

func TestFromEnv_OIDC(t *testing.T) {
	base := map[string]string{
		"LEAKDESK_OIDC_ISSUER": "https://login.microsoftonline.com/tenant/v2.0/", "LEAKDESK_OIDC_CLIENT_ID": "id", "LEAKDESK_OIDC_CLIENT_SECRET": "secret",
	}
	env := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	c, err := FromEnv(env(map[string]string{"LEAKDESK_OIDC_GROUP_ROLES": "g1=staff,g2=manager"}))
	if err != nil || !c.OIDC() || c.OIDCIssuer != "https://login.microsoftonline.com/tenant/v2.0" || len(c.OIDCGroupRoles) != 2 {
		t.Fatalf("%+v %v", c, err)
	}
	for name, extra := range map[string]map[string]string{
		"no secret":    {"LEAKDESK_OIDC_CLIENT_SECRET": ""},
		"bad issuer":   {"LEAKDESK_OIDC_ISSUER": "login.example"},
		"unknown role": {"LEAKDESK_OIDC_GROUP_ROLES": "g1=root"},
		"no role":      {"LEAKDESK_OIDC_GROUP_ROLES": "g1"},
	} {
		if _, err := FromEnv(env(extra)); err == nil || !strings.Contains(err.Error(), "LEAKDESK_OIDC") {
			t.Errorf("%s: err %v", name, err)
		}
	}
	if c, _ := FromEnv(func(string) string { return "" }); c.OIDC() {
		t.Error("single sign-on on without configuration")
	}
}
