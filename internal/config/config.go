// Package config reads leakdesk's settings from environment variables. Every setting has a default
// that is safe for a local run; production sets DATABASE_URL, LEAKDESK_BASE_URL (https) and the keys.
package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/auth"
)

// Config is the whole runtime configuration. It is built once in main and passed down; no package
// reads the environment itself.
type Config struct {
	DatabaseURL      string        // DATABASE_URL
	Addr             string        // LEAKDESK_ADDR, default 127.0.0.1:8080
	BaseURL          string        // LEAKDESK_BASE_URL, default http://<Addr>
	SessionIdle      time.Duration // LEAKDESK_SESSION_IDLE, default 30m
	SessionLifetime  time.Duration // LEAKDESK_SESSION_LIFETIME, default 8h
	MaxBodyBytes     int64         // LEAKDESK_MAX_BODY_BYTES, default 1 MiB (uploads have their own limit)
	LogLevel         string        // LEAKDESK_LOG_LEVEL: debug, info, warn, error
	LogFormat        string        // LEAKDESK_LOG_FORMAT: text or json
	SMTPURL          string        // SMTP_URL, e.g. smtp://user:pass@mail.example.jp:587
	MailFrom         string        // LEAKDESK_MAIL_FROM
	DataKey          string        // LEAKDESK_DATA_KEY (base64, 32 bytes) — encrypts affected-person data
	DataKeyFile      string        // LEAKDESK_DATA_KEY_FILE, alternative to LEAKDESK_DATA_KEY
	LoginMaxFails    int           // LEAKDESK_LOGIN_MAX_FAILS per account within LoginWindow, default 5
	LoginIPMaxFails  int           // LEAKDESK_LOGIN_IP_MAX_FAILS per IP within LoginWindow, default 20
	LoginWindow      time.Duration // LEAKDESK_LOGIN_WINDOW, default 15m
	Company          string        // LEAKDESK_COMPANY: name, address, representative, contact; "\n" or " / " separate lines
	ReminderOffsets  string        // LEAKDESK_REMINDER_OFFSETS, e.g. "24h,2h" (the default); parsed by the reminder package
	EvidenceMaxBytes int64         // LEAKDESK_EVIDENCE_MAX_BYTES: size limit of an evidence file, default 20 MiB

	// Single sign-on (OpenID Connect); off unless the issuer is set. The redirect URI is
	// LEAKDESK_BASE_URL + /login/oidc/callback.
	OIDCIssuer       string          // LEAKDESK_OIDC_ISSUER, e.g. https://login.microsoftonline.com/<tenant>/v2.0
	OIDCClientID     string          // LEAKDESK_OIDC_CLIENT_ID
	OIDCClientSecret string          // LEAKDESK_OIDC_CLIENT_SECRET
	OIDCScopes       []string        // LEAKDESK_OIDC_SCOPES besides openid, space-separated; default "email profile"
	OIDCGroupsClaim  string          // LEAKDESK_OIDC_GROUPS_CLAIM, default "groups"
	OIDCGroupRoles   auth.GroupRoles // LEAKDESK_OIDC_GROUP_ROLES: group=role,…; when set, the IdP's groups decide SSO users' roles
	SCIMToken        string          // LEAKDESK_SCIM_TOKEN: bearer token of the SCIM 2.0 provisioning endpoint (off when empty)
}

// OIDC reports whether single sign-on is configured.
func (c Config) OIDC() bool { return c.OIDCIssuer != "" }

// Secure reports whether cookies must carry the Secure flag (served over https).
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// FromEnv builds a Config from getenv (os.Getenv in main, a map in tests).
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL: getenv("DATABASE_URL"),
		Addr:        or(getenv("LEAKDESK_ADDR"), "127.0.0.1:8080"),
		LogLevel:    or(getenv("LEAKDESK_LOG_LEVEL"), "info"),
		LogFormat:   or(getenv("LEAKDESK_LOG_FORMAT"), "text"),
		SMTPURL:     getenv("SMTP_URL"),
		MailFrom:    or(getenv("LEAKDESK_MAIL_FROM"), "leakdesk@localhost"),
		DataKey:     getenv("LEAKDESK_DATA_KEY"),
		DataKeyFile: getenv("LEAKDESK_DATA_KEY_FILE"),

		ReminderOffsets: getenv("LEAKDESK_REMINDER_OFFSETS"),
		Company:         companyBlock(getenv("LEAKDESK_COMPANY")),
	}
	c.BaseURL = strings.TrimRight(or(getenv("LEAKDESK_BASE_URL"), "http://"+c.Addr), "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("config: LEAKDESK_BASE_URL %q is not an http(s) URL", c.BaseURL)
	}
	var err error
	if c.SessionIdle, err = duration(getenv, "LEAKDESK_SESSION_IDLE", 30*time.Minute); err != nil {
		return c, err
	}
	if c.SessionLifetime, err = duration(getenv, "LEAKDESK_SESSION_LIFETIME", 8*time.Hour); err != nil {
		return c, err
	}
	if c.LoginWindow, err = duration(getenv, "LEAKDESK_LOGIN_WINDOW", 15*time.Minute); err != nil {
		return c, err
	}
	if c.MaxBodyBytes, err = integer(getenv, "LEAKDESK_MAX_BODY_BYTES", 1<<20); err != nil {
		return c, err
	}
	if c.EvidenceMaxBytes, err = integer(getenv, "LEAKDESK_EVIDENCE_MAX_BYTES", 20<<20); err != nil {
		return c, err
	}
	n, err := integer(getenv, "LEAKDESK_LOGIN_MAX_FAILS", 5)
	if err != nil {
		return c, err
	}
	c.LoginMaxFails = int(n)
	if n, err = integer(getenv, "LEAKDESK_LOGIN_IP_MAX_FAILS", 20); err != nil {
		return c, err
	}
	c.LoginIPMaxFails = int(n)
	if err := c.oidcFromEnv(getenv); err != nil {
		return c, err
	}
	return c, nil
}

func (c *Config) oidcFromEnv(getenv func(string) string) error {
	c.OIDCIssuer = strings.TrimRight(getenv("LEAKDESK_OIDC_ISSUER"), "/")
	c.OIDCClientID = getenv("LEAKDESK_OIDC_CLIENT_ID")
	c.OIDCClientSecret = getenv("LEAKDESK_OIDC_CLIENT_SECRET")
	c.OIDCScopes = strings.Fields(getenv("LEAKDESK_OIDC_SCOPES"))
	c.OIDCGroupsClaim = getenv("LEAKDESK_OIDC_GROUPS_CLAIM")
	c.SCIMToken = getenv("LEAKDESK_SCIM_TOKEN")
	if c.SCIMToken != "" && len(c.SCIMToken) < 32 {
		return fmt.Errorf("config: LEAKDESK_SCIM_TOKEN must be at least 32 characters (a random secret)")
	}
	if c.OIDCIssuer == "" {
		return nil
	}
	if u, err := url.Parse(c.OIDCIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("config: LEAKDESK_OIDC_ISSUER %q is not an http(s) URL", c.OIDCIssuer)
	}
	if c.OIDCClientID == "" || c.OIDCClientSecret == "" {
		return fmt.Errorf("config: LEAKDESK_OIDC_ISSUER is set but LEAKDESK_OIDC_CLIENT_ID or LEAKDESK_OIDC_CLIENT_SECRET is not")
	}
	gr, err := auth.ParseGroupRoles(getenv("LEAKDESK_OIDC_GROUP_ROLES"))
	if err != nil {
		return fmt.Errorf("config: LEAKDESK_OIDC_GROUP_ROLES: %w", err)
	}
	if len(gr) > 0 {
		c.OIDCGroupRoles = gr
	}
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func duration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("config: %s=%q is not a positive duration (e.g. 30m)", key, v)
	}
	return d, nil
}

func integer(getenv func(string) string, key string, def int64) (int64, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("config: %s=%q is not a positive integer", key, v)
	}
	return n, nil
}

// companyBlock turns the one-line LEAKDESK_COMPANY value into lines: environment files rarely carry
// newlines, so a literal "\n" or " / " separates the items.
func companyBlock(v string) string {
	v = strings.ReplaceAll(v, `\n`, "\n")
	v = strings.ReplaceAll(v, " / ", "\n")
	var lines []string
	for _, l := range strings.Split(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
