package pii

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func key(t *testing.T, b byte) *Key {
	t.Helper()
	k, err := NewKey(bytes.Repeat([]byte{b}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSeal_BindsRowAndFieldAndKey(t *testing.T) {
	kr := NewKeyring(key(t, 1))
	ct := kr.SealString(AAD("affected_persons", 1, "name"), "山田 太郎")
	if bytes.Contains(ct, []byte("山田")) || SealedKeyID(ct) != kr.Primary().ID() {
		t.Fatal("plaintext in ciphertext or key ID missing")
	}
	if got, err := kr.OpenString(AAD("affected_persons", 1, "name"), ct); err != nil || got != "山田 太郎" {
		t.Fatalf("%q %v", got, err)
	}
	for _, aad := range [][]byte{AAD("affected_persons", 2, "name"), AAD("affected_persons", 1, "email")} {
		if _, err := kr.Open(aad, ct); !errors.Is(err, ErrDecrypt) {
			t.Errorf("moved ciphertext opened: %v", err)
		}
	}
	if _, err := NewKeyring(key(t, 2)).Open(AAD("affected_persons", 1, "name"), ct); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("other key: %v", err)
	}
	// After a rotation the old key still opens old values.
	if _, err := NewKeyring(key(t, 2), key(t, 1)).Open(AAD("affected_persons", 1, "name"), ct); err != nil {
		t.Errorf("keyring with the old key: %v", err)
	}
	if kr.Seal(nil, nil) != nil {
		t.Error("empty value sealed")
	}
}

func TestBlindIndex_NormalisesAndSeparatesFields(t *testing.T) {
	k := key(t, 1)
	if !bytes.Equal(k.BlindIndex(IndexEmail, NormalizeEmail(" Taro@Example.JP ")), k.BlindIndex(IndexEmail, NormalizeEmail("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"))) {
		t.Error("e-mail normalisation")
	}
	if NormalizePhone("+81 90-1234-5678") != "09012345678" || NormalizePhone("０９０（１２３４）５６７８") != "09012345678" {
		t.Error("phone normalisation")
	}
	if bytes.Equal(k.BlindIndex(IndexEmail, "x"), k.BlindIndex(IndexPhone, "x")) || bytes.Equal(k.BlindIndex(IndexEmail, "x"), key(t, 2).BlindIndex(IndexEmail, "x")) {
		t.Error("indexes not separated by field or key")
	}
	if k.BlindIndex(IndexEmail, "") != nil {
		t.Error("empty value indexed")
	}
}

func TestMask(t *testing.T) {
	for got, want := range map[string]string{
		MaskName("山田 太郎"): "山田 **", MaskName("山田太郎"): "山**", MaskPhone("090-1234-5678"): "***-****-5678",
		MaskEmail("taro@example.jp"): "t***@example.jp", MaskPostal("100-0001"): "***-****", MaskAddress("東京都千代田区1-1"): "東京都 ****",
		MaskAddress("神奈川県横浜市"): "神奈川県 ****", MaskAddress("千代田区"): "****", MaskCustomerID("CUST-12345"): "****345", MaskName(""): "",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestLoadKeyring_ClearErrors(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	_ = os.WriteFile(file, []byte(good+"\n"), 0o400)
	if kr, err := LoadKeyring("", file); err != nil || kr.Primary().ID() != key(t, 9).ID() {
		t.Fatalf("file: %v", err)
	}
	if _, err := LoadKeyring(good, ""); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ value, file string }{
		"missing": {}, "short": {value: base64.StdEncoding.EncodeToString([]byte("short"))}, "not base64": {value: "!!!"},
		"both": {value: good, file: file}, "no file": {file: filepath.Join(dir, "nope")},
	} {
		_, err := LoadKeyring(c.value, c.file)
		if err == nil || strings.Contains(err.Error(), good) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := LoadKeyring("", ""); !strings.Contains(err.Error(), "LEAKDESK_DATA_KEY") {
		t.Errorf("missing key message: %v", err)
	}
	if s := fmt.Sprintf("%v %+v %#v", key(t, 9), key(t, 9), NewKeyring(key(t, 9))); strings.Contains(s, "\\x09") || !strings.Contains(s, "pii.Key") {
		t.Errorf("key formats as %s", s)
	}
}
