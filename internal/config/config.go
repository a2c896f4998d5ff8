// Package config reads leakdesk's settings from environment variables. Every setting has a default
// that is safe for a local run; production sets DATABASE_URL, LEAKDESK_BASE_URL (https) and the keys.
package config

import (
	"fmt"
	"net"
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

	SigningKeyFile string   // LEAKDESK_SIGNING_KEY_FILE: Ed25519 key that signs the checkpoints (serve requires it)
	VerifyKeysFile string   // LEAKDESK_VERIFY_KEYS_FILE: earlier public keys, one per line, still trusted for verification
	WitnessDir     string   // LEAKDESK_WITNESS_DIR: append-only directory each signed checkpoint is copied to
	DB             DBConfig // LEAKDESK_DB_*: the server's pool size and session timeouts
	// MetricsAddr (LEAKDESK_METRICS_ADDR) serves /metrics on its own listener (e.g. 127.0.0.1:9090)
	// and not on Addr; MetricsToken (LEAKDESK_METRICS_TOKEN, at least 16 characters) makes /metrics
	// require "Authorization: Bearer <token>" wherever it is served. With neither, /metrics is open
	// on Addr: for a private network only (docs/operations.md).
	MetricsAddr  string
	MetricsToken string
	// TrustedProxies (LEAKDESK_TRUSTED_PROXIES, comma-separated addresses or CIDR ranges) are the
	// proxies whose X-Forwarded-For / Forwarded header names the client; none by default.
	TrustedProxies []string
	// LoginRetention (LEAKDESK_LOGIN_RETENTION, default 90 days, at least LoginWindow) is how long
	// login attempts are kept for the login record; a periodic job deletes older ones.
	LoginRetention time.Duration
	// CompensationCEOAbove is the compensation total (yen) above which the CEO approves the
	// compensation policy (domain.md §5.3); LEAKDESK_COMPENSATION_CEO_ABOVE, 0 = the domain default.
	CompensationCEOAbove int64
	// APIRate (LEAKDESK_API_RATE, default 20) is how many API-token requests per second one user may
	// make, with a burst of ten seconds' worth; 0 turns the limit off (load and fault tests, or a
	// company whose integration needs more).
	APIRate int64
	// MyNumberOfficers (LEAKDESK_MYNUMBER_OFFICER_EMAIL, comma-separated): the 事務取扱責任者,
	// alerted with 総務部 to a first report that may involve My Number.
	MyNumberOfficers []string
}

// DBConfig sizes the server's connection pool and bounds how long a session may wait on a lock, run
// one statement or sit idle inside a transaction; when one fires the request answers 503 with
// Retry-After instead of hanging. The command-line tools (migrate, seed, import) do not use them.
type DBConfig struct {
	MaxConns         int32         // LEAKDESK_DB_MAX_CONNS, default 32
	LockTimeout      time.Duration // LEAKDESK_DB_LOCK_TIMEOUT, default 5s
	StatementTimeout time.Duration // LEAKDESK_DB_STATEMENT_TIMEOUT, default 60s
	IdleInTxTimeout  time.Duration // LEAKDESK_DB_IDLE_TX_TIMEOUT, default 60s
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
		SigningKeyFile:  getenv("LEAKDESK_SIGNING_KEY_FILE"),
		VerifyKeysFile:  getenv("LEAKDESK_VERIFY_KEYS_FILE"),
		WitnessDir:      getenv("LEAKDESK_WITNESS_DIR"),
		MetricsAddr:     getenv("LEAKDESK_METRICS_ADDR"),
		MetricsToken:    getenv("LEAKDESK_METRICS_TOKEN"),
		Company:         companyBlock(getenv("LEAKDESK_COMPANY")),
	}
	for _, a := range strings.Split(getenv("LEAKDESK_MYNUMBER_OFFICER_EMAIL"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			if !strings.Contains(a, "@") {
				return c, fmt.Errorf("config: LEAKDESK_MYNUMBER_OFFICER_EMAIL %q is not an e-mail address", a)
			}
			c.MyNumberOfficers = append(c.MyNumberOfficers, a)
		}
	}
	c.BaseURL = strings.TrimRight(or(getenv("LEAKDESK_BASE_URL"), "http://"+c.Addr), "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("config: LEAKDESK_BASE_URL %q is not an http(s) URL", c.BaseURL)
	}
	for _, p := range strings.Split(getenv("LEAKDESK_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return c, fmt.Errorf("config: LEAKDESK_TRUSTED_PROXIES: %q is neither an address nor a CIDR range", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return c, fmt.Errorf("config: LEAKDESK_METRICS_TOKEN is shorter than 16 characters")
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
	if c.CompensationCEOAbove, err = integer(getenv, "LEAKDESK_COMPENSATION_CEO_ABOVE", 0); err != nil {
		return c, err
	}
	c.APIRate = 20
	if v := strings.TrimSpace(getenv("LEAKDESK_API_RATE")); v != "" {
		if c.APIRate, err = strconv.ParseInt(v, 10, 64); err != nil {
			return c, fmt.Errorf("config: LEAKDESK_API_RATE=%q is not a whole number of requests per second (0: no limit)", v)
		}
	}
	if c.APIRate < 0 || c.APIRate > 100000 {
		return c, fmt.Errorf("config: LEAKDESK_API_RATE=%d: use 0 (no limit) to 100000 requests per second", c.APIRate)
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
	if c.LoginRetention, err = duration(getenv, "LEAKDESK_LOGIN_RETENTION", 90*24*time.Hour); err != nil {
		return c, err
	}
	if c.LoginRetention < c.LoginWindow {
		return c, fmt.Errorf("config: LEAKDESK_LOGIN_RETENTION (%s) is shorter than LEAKDESK_LOGIN_WINDOW (%s)", c.LoginRetention, c.LoginWindow)
	}
	if n, err = integer(getenv, "LEAKDESK_DB_MAX_CONNS", 32); err != nil {
		return c, err
	}
	if n > 1000 {
		return c, fmt.Errorf("config: LEAKDESK_DB_MAX_CONNS=%d is more than 1000", n)
	}
	c.DB.MaxConns = int32(n)
	if c.DB.LockTimeout, err = duration(getenv, "LEAKDESK_DB_LOCK_TIMEOUT", 5*time.Second); err != nil {
		return c, err
	}
	if c.DB.StatementTimeout, err = duration(getenv, "LEAKDESK_DB_STATEMENT_TIMEOUT", 60*time.Second); err != nil {
		return c, err
	}
	if c.DB.IdleInTxTimeout, err = duration(getenv, "LEAKDESK_DB_IDLE_TX_TIMEOUT", 60*time.Second); err != nil {
		return c, err
	}
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
