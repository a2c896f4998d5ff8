package auth

import (
	"bytes"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestTOTPStep(t *testing.T) {
	secret, url, err := NewTOTP("hanako@example.jp")
	if err != nil || secret == "" || url == "" {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_015, 0)
	for _, tc := range []struct {
		name string
		at   time.Time
		ok   bool
		step int64
	}{
		{"current step", now, true, now.Unix() / 30},
		{"previous step (clock skew)", now.Add(-30 * time.Second), true, now.Unix()/30 - 1},
		{"next step", now.Add(30 * time.Second), true, now.Unix()/30 + 1},
		{"two steps old", now.Add(-60 * time.Second), false, 0},
	} {
		code, _ := totp.GenerateCode(secret, tc.at)
		step, ok := TOTPStep(secret, code, now)
		if ok != tc.ok || step != tc.step {
			t.Errorf("%s: step %d ok %v, want %d %v", tc.name, step, ok, tc.step, tc.ok)
		}
	}
	if _, ok := TOTPStep(secret, "12345", now); ok {
		t.Error("a 5-digit code passed")
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes()
	if len(codes) != RecoveryCodeCount || len(codes[0]) != 19 {
		t.Fatalf("%v", codes)
	}
	if !bytes.Equal(RecoveryHash(codes[0]), hashes[0]) {
		t.Error("hash mismatch")
	}
	lower := string(bytes.ToLower([]byte(codes[1])))
	if !bytes.Equal(RecoveryHash(lower), hashes[1]) {
		t.Error("a code typed in lower case does not match")
	}
	if bytes.Equal(hashes[0], hashes[1]) {
		t.Error("two codes hash alike")
	}
}
