package pii

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"hash"
	"strconv"
)

const sealVersion = 1

// AAD binds a ciphertext to where it is stored: table, row ID and field. A ciphertext copied to
// another row or field no longer decrypts.
func AAD(table string, rowID int64, field string) []byte {
	return []byte("leakdesk/pii/v1\x00" + table + "\x00" + strconv.FormatInt(rowID, 10) + "\x00" + field)
}

// Seal encrypts plaintext with the primary key. The result is
// version(1) | key ID(8) | nonce(12) | ciphertext+tag; an empty plaintext seals to nil (NULL).
func (kr *Keyring) Seal(aad, plaintext []byte) []byte {
	if len(plaintext) == 0 {
		return nil
	}
	k := kr.primary
	out := make([]byte, 1+keyIDLen+12, 1+keyIDLen+12+len(plaintext)+k.aead.Overhead())
	out[0] = sealVersion
	copy(out[1:], k.id[:])
	if _, err := rand.Read(out[1+keyIDLen:]); err != nil {
		panic("pii: crypto/rand failed: " + err.Error()) // never happens on supported systems
	}
	return k.aead.Seal(out, out[1+keyIDLen:], plaintext, withKeyID(aad, k.id))
}

// SealString is Seal for text.
func (kr *Keyring) SealString(aad []byte, s string) []byte { return kr.Seal(aad, []byte(s)) }

// Open decrypts a value made by Seal with any key of the keyring. nil opens to nil.
func (kr *Keyring) Open(aad, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	if len(sealed) < 1+keyIDLen+12+16 || sealed[0] != sealVersion {
		return nil, ErrDecrypt
	}
	var id [keyIDLen]byte
	copy(id[:], sealed[1:])
	k, ok := kr.byID[id]
	if !ok {
		return nil, ErrUnknownKey
	}
	nonce := sealed[1+keyIDLen : 1+keyIDLen+12]
	pt, err := k.aead.Open(nil, nonce, sealed[1+keyIDLen+12:], withKeyID(aad, id))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// OpenString is Open for text.
func (kr *Keyring) OpenString(aad, sealed []byte) (string, error) {
	b, err := kr.Open(aad, sealed)
	return string(b), err
}

// SealedKeyID returns the key ID (hex) a sealed value carries, or "" when malformed.
func SealedKeyID(sealed []byte) string {
	if len(sealed) < 1+keyIDLen || sealed[0] != sealVersion {
		return ""
	}
	k := Key{}
	copy(k.id[:], sealed[1:])
	return k.ID()
}

func withKeyID(aad []byte, id [keyIDLen]byte) []byte {
	out := make([]byte, 0, len(aad)+keyIDLen+1)
	out = append(out, id[:]...)
	out = append(out, 0)
	return append(out, aad...)
}

// Blind-index fields. Each has its own domain so equal strings in two fields index differently.
const (
	IndexEmail       = "email"
	IndexPhone       = "phone"
	IndexCustomerID  = "customer_id"
	IndexNameAddress = "name_address"
)

// BlindIndex is HMAC-SHA256, under a key derived from k, of an already normalised value (see
// Normalize*). An empty value has no index (nil).
func (k *Key) BlindIndex(field, normalized string) []byte {
	if normalized == "" {
		return nil
	}
	m := k.mac()
	defer k.macs.Put(m)
	m.Write([]byte("v1\x00" + field + "\x00" + normalized))
	return m.Sum(nil)
}

// mac returns a fresh HMAC under the blind-index key, from the pool when one is there; the
// caller puts it back.
func (k *Key) mac() hash.Hash {
	if m, ok := k.macs.Get().(hash.Hash); ok {
		m.Reset()
		return m
	}
	return hmac.New(sha256.New, k.bidx)
}

// BlindIndexes returns the index of a normalised value under every key of the ring, primary first:
// a search during or after a rotation matches rows indexed under either key.
func (kr *Keyring) BlindIndexes(field, normalized string) [][]byte {
	if normalized == "" {
		return nil
	}
	var out [][]byte
	for _, k := range kr.Keys() {
		out = append(out, k.BlindIndex(field, normalized))
	}
	return out
}
