package config

import (
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		check   func(Config) bool
		wantErr bool
	}{
		{"defaults", nil, func(c Config) bool {
			return c.Addr == "127.0.0.1:8080" && c.BaseURL == "http://127.0.0.1:8080" && c.MaxBodyBytes == 1<<20 && c.LoginMaxFails == 5 && c.Company == ""
		}, false},
		{"company with escaped newlines", map[string]string{"LEAKDESK_COMPANY": `株式会社サンプル商事\n東京都千代田区丸の内1-1-1\n代表取締役 佐藤一郎`}, func(c Config) bool {
			return c.Company == "株式会社サンプル商事\n東京都千代田区丸の内1-1-1\n代表取締役 佐藤一郎"
		}, false},
		{"company with slashes", map[string]string{"LEAKDESK_COMPANY": "株式会社サンプル商事 / 代表取締役 佐藤一郎 / "}, func(c Config) bool {
			return c.Company == "株式会社サンプル商事\n代表取締役 佐藤一郎"
		}, false},
		{"https base url", map[string]string{"LEAKDESK_BASE_URL": "https://leakdesk.example.jp/"}, func(c Config) bool {
			return c.BaseURL == "https://leakdesk.example.jp" && c.Secure()
		}, false},
		{"evidence limit default", nil, func(c Config) bool { return c.EvidenceMaxBytes == 20<<20 }, false},
		{"evidence limit set", map[string]string{"LEAKDESK_EVIDENCE_MAX_BYTES": "5242880"}, func(c Config) bool { return c.EvidenceMaxBytes == 5<<20 }, false},
		{"evidence limit not a number", map[string]string{"LEAKDESK_EVIDENCE_MAX_BYTES": "20MB"}, nil, true},
		{"db defaults", nil, func(c Config) bool {
			return c.DB.MaxConns == 32 && c.DB.LockTimeout == 5*time.Second && c.DB.StatementTimeout == time.Minute && c.DB.IdleInTxTimeout == time.Minute
		}, false},
		{"db set", map[string]string{"LEAKDESK_DB_MAX_CONNS": "4", "LEAKDESK_DB_LOCK_TIMEOUT": "250ms"}, func(c Config) bool {
			return c.DB.MaxConns == 4 && c.DB.LockTimeout == 250*time.Millisecond
		}, false},
		{"db pool too large", map[string]string{"LEAKDESK_DB_MAX_CONNS": "5000"}, nil, true},
		{"metrics token too short", map[string]string{"LEAKDESK_METRICS_TOKEN": "short"}, nil, true},
		{"metrics addr and token", map[string]string{"LEAKDESK_METRICS_ADDR": "127.0.0.1:9090", "LEAKDESK_METRICS_TOKEN": "0123456789abcdef"}, func(c Config) bool {
			return c.MetricsAddr == "127.0.0.1:9090" && c.MetricsToken == "0123456789abcdef"
		}, false},
		{"trusted proxies", map[string]string{"LEAKDESK_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}, func(c Config) bool {
			return len(c.TrustedProxies) == 2 && c.TrustedProxies[1] == "10.0.0.0/8" && c.LoginRetention == 90*24*time.Hour
		}, false},
		{"trusted proxy not an address", map[string]string{"LEAKDESK_TRUSTED_PROXIES": "proxy.example.jp"}, nil, true},
		{"retention shorter than the window", map[string]string{"LEAKDESK_LOGIN_RETENTION": "1m"}, nil, true},
		{"bad duration", map[string]string{"LEAKDESK_SESSION_IDLE": "soon"}, nil, true},
		{"negative duration", map[string]string{"LEAKDESK_LOGIN_WINDOW": "-5m"}, nil, true},
		{"bad base url", map[string]string{"LEAKDESK_BASE_URL": "ftp://x"}, nil, true},
		{"api rate default", map[string]string{}, func(c Config) bool { return c.APIRate == 20 }, false},
		{"api rate off", map[string]string{"LEAKDESK_API_RATE": "0"}, func(c Config) bool { return c.APIRate == 0 }, false},
		{"api rate negative", map[string]string{"LEAKDESK_API_RATE": "-1"}, nil, true},
		{"api rate not a number", map[string]string{"LEAKDESK_API_RATE": "fast"}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FromEnv(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && !tc.check(c) {
				t.Fatalf("config %+v", c)
			}
		})
	}
}
