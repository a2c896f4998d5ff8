// Package pii protects the personal data of affected people: AES-256-GCM encryption with the row
// and field bound as additional data, keyed blind indexes for exact-match search, masking for
// users who may not see the data, and loading of the operator's data key. It is pure: no SQL, no
// HTTP, and nothing here ever logs or formats a key or a plaintext.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// KeySize is the length of a data key: 32 bytes (AES-256).
const KeySize = 32

// keyIDLen is the length of the key ID carried in every ciphertext.
const keyIDLen = 8

// Errors returned by key loading and decryption. Their text never contains key material.
var (
	ErrNoKey      = errors.New("pii: no data key: set LEAKDESK_DATA_KEY (base64 of 32 random bytes) or LEAKDESK_DATA_KEY_FILE; generate one with `head -c 32 /dev/urandom | base64`")
	ErrBadKey     = errors.New("pii: the data key is not base64 of exactly 32 bytes")
	ErrUnknownKey = errors.New("pii: the ciphertext was made with a key that is not in the keyring")
	ErrDecrypt    = errors.New("pii: decryption failed (wrong key, or the value was altered or moved to another row or field)")
)

// Key is one data key with the subkeys derived from it. Its fields are unexported and it formats
// as "[redacted]" so that it cannot reach a log by accident.
type Key struct {
	id    [keyIDLen]byte
	aead  cipher.AEAD
	bidx  []byte // HMAC key for blind indexes
	check []byte // HMAC key for the key-check value
	// macs holds reset-ready HMACs under bidx: building one per blind index was a fifth of an
	// import's CPU (docs/performance.md, "Verification and import profiles").
	macs sync.Pool
}

// NewKey derives a Key from 32 bytes of key material.
func NewKey(material []byte) (*Key, error) {
	if len(material) != KeySize {
		return nil, ErrBadKey
	}
	derive := func(info string) []byte {
		b, err := hkdf.Key(sha256.New, material, nil, "leakdesk pii v1 "+info, 32)
		if err != nil {
			panic(err) // only for lengths out of range, which these are not
		}
		return b
	}
	block, err := aes.NewCipher(derive("aes-256-gcm"))
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	k := &Key{aead: aead, bidx: derive("blind-index"), check: derive("key-check")}
	copy(k.id[:], derive("key-id"))
	return k, nil
}

// ParseKey decodes a base64 (standard or URL alphabet, padded or not) 32-byte key.
func ParseKey(b64 string) (*Key, error) {
	s := strings.TrimSpace(b64)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return NewKey(b)
		}
	}
	return nil, ErrBadKey
}

// ReadKeyFile reads a key file holding the base64 key (or exactly 32 raw bytes).
func ReadKeyFile(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		// The error names the path, never the content.
		return nil, fmt.Errorf("pii: read LEAKDESK_DATA_KEY_FILE: %w", err)
	}
	if len(b) == KeySize {
		if k, err := NewKey(b); err == nil && !isBase64Text(b) {
			return k, nil
		}
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("pii: LEAKDESK_DATA_KEY_FILE %s: %w", path, err)
	}
	return k, nil
}

func isBase64Text(b []byte) bool {
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' || c == '=' || c == '\n' || c == '\r') {
			return false
		}
	}
	return true
}

// ID is the key's public identifier (16 hex digits), derived from the key; it is stored beside
// every ciphertext and in pii_keys, and is safe to print.
func (k *Key) ID() string { return hex.EncodeToString(k.id[:]) }

// CheckValue is HMAC-SHA256 of a constant under a subkey: stored in the database at first start
// so that a wrong key is detected before any data is touched.
func (k *Key) CheckValue() []byte {
	m := hmac.New(sha256.New, k.check)
	m.Write([]byte("leakdesk data key check v1"))
	return m.Sum(nil)
}

// String, GoString and LogValue keep the key out of logs and error messages.
func (k *Key) String() string            { return "pii.Key[" + k.ID() + "]" }
func (k *Key) GoString() string          { return k.String() }
func (k *Key) LogValue() slog.Value      { return slog.StringValue(k.String()) }
func (kr *Keyring) String() string       { return "pii.Keyring[" + kr.primary.ID() + "]" }
func (kr *Keyring) GoString() string     { return kr.String() }
func (kr *Keyring) LogValue() slog.Value { return slog.StringValue(kr.String()) }

// Keyring is the primary key (which encrypts) and older keys (which still decrypt, during and
// after a rotation).
type Keyring struct {
	primary *Key
	byID    map[[keyIDLen]byte]*Key
}

// NewKeyring makes a keyring; primary encrypts, all decrypt.
func NewKeyring(primary *Key, older ...*Key) *Keyring {
	kr := &Keyring{primary: primary, byID: map[[keyIDLen]byte]*Key{primary.id: primary}}
	for _, k := range older {
		if _, ok := kr.byID[k.id]; !ok {
			kr.byID[k.id] = k
		}
	}
	return kr
}

// Primary is the key new ciphertexts are made with.
func (kr *Keyring) Primary() *Key { return kr.primary }

// Keys returns every key, primary first.
func (kr *Keyring) Keys() []*Key {
	out := []*Key{kr.primary}
	for id, k := range kr.byID {
		if id != kr.primary.id {
			out = append(out, k)
		}
	}
	return out
}

// LoadKeyring builds the keyring from the operator's settings, which cmd reads and hands over as
// values (pii reads no configuration): value is LEAKDESK_DATA_KEY, file is LEAKDESK_DATA_KEY_FILE.
// A missing or malformed key is an error whose message tells the operator what to set; the server
// must not start without it.
func LoadKeyring(value, file string) (*Keyring, error) {
	var (
		k   *Key
		err error
	)
	switch {
	case value != "" && file != "":
		return nil, errors.New("pii: set only one of LEAKDESK_DATA_KEY and LEAKDESK_DATA_KEY_FILE")
	case value != "":
		k, err = ParseKey(value)
		if err != nil {
			return nil, fmt.Errorf("pii: LEAKDESK_DATA_KEY: %w", err)
		}
	case file != "":
		k, err = ReadKeyFile(file)
		if err != nil {
			return nil, err
		}
	default:
		return nil, ErrNoKey
	}
	return NewKeyring(k), nil
}
