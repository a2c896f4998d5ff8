package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// DefaultMFARoles must use a second factor when they sign in with a password: every role that can
// decrypt the affected-person register (staff, manager, privacy officer, auditor) or decide an
// approval (manager, privacy officer, executive, HR). An administrator changes the set on the
// sign-in settings page; this is the value a new installation starts with (migration 00051).
var DefaultMFARoles = []Role{RoleStaff, RoleManager, RolePrivacyOfficer, RoleExecutive, RoleHR, RoleAuditor}

// TOTP parameters (RFC 6238 as every authenticator app implements it): 30-second steps, 6 digits,
// SHA-1, one step of clock skew either way.
const (
	totpPeriod = 30
	totpSkew   = 1
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: totpSkew, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a new secret for account (the e-mail) and its otpauth:// URL for the QR code.
func NewTOTP(account string) (secret, keyURL string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: "leakdesk", AccountName: account, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", fmt.Errorf("auth: totp: %w", err)
	}
	return k.Secret(), k.URL(), nil
}

// TOTPStep checks code against secret at now and returns the time step it belongs to, so the
// caller can refuse a step already used (a code is good once, not for its whole window).
func TOTPStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	for off := -totpSkew; off <= totpSkew; off++ {
		t := now.Add(time.Duration(off*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

// RecoveryCodeCount is how many recovery codes an enrolment gives.
const RecoveryCodeCount = 10

// NewRecoveryCodes returns codes to show once (80 random bits each, as XXXX-XXXX-XXXX-XXXX) and
// the hashes to store in their place.
func NewRecoveryCodes() (codes []string, hashes [][]byte) {
	for range RecoveryCodeCount {
		b := make([]byte, 10)
		_, _ = rand.Read(b)
		s := base32.StdEncoding.EncodeToString(b) // 16 characters
		code := s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		codes = append(codes, code)
		hashes = append(hashes, RecoveryHash(code))
	}
	return codes, hashes
}

// RecoveryHash is the stored form of a recovery code, whatever the case and separators typed.
// 80 random bits need no salt or stretching: the hash is looked up, like an API token's.
func RecoveryHash(code string) []byte {
	norm := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r == '-' || r == ' ':
			return -1
		}
		return r
	}, code)
	h := sha256.Sum256([]byte("leakdesk-recovery:" + norm))
	return h[:]
}

// TOTPQR renders the otpauth:// URL as a QR code PNG (served from leakdesk itself: no inline
// data, no third-party image service that would learn the secret).
func TOTPQR(keyURL string, size int) ([]byte, error) {
	k, err := otp.NewKeyFromURL(keyURL)
	if err != nil {
		return nil, fmt.Errorf("auth: totp url: %w", err)
	}
	img, err := k.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("auth: qr: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("auth: png: %w", err)
	}
	return buf.Bytes(), nil
}

// TOTPSecretOf is the secret inside an otpauth:// URL.
func TOTPSecretOf(keyURL string) (string, error) {
	k, err := otp.NewKeyFromURL(keyURL)
	if err != nil {
		return "", fmt.Errorf("auth: totp url: %w", err)
	}
	return k.Secret(), nil
}
