package pii

import (
	"bytes"
	"testing"
)

func TestTextGramsAndMatch(t *testing.T) {
	g := TextGrams("森 ①子", "みなとみらい2-2-1 ㈱ビル３階")
	has := map[string]bool{}
	for _, x := range g {
		has[x] = true
	}
	for _, want := range []string{"森1", "1子", "(株", "株)", "ビル", "3階"} {
		if !has[want] {
			t.Errorf("grams lack %q: %q", want, g)
		}
	}
	if has["子み"] {
		t.Error("a pair spans two fields")
	}
	if TextGrams("子") != nil {
		t.Error("one character has pairs")
	}
	for q, want := range map[string]bool{"1子": true, "①子": true, "(株)": true, "ｂｉｒｕ": false, "森 1": true, "子森": false, "": false} {
		if got := MatchText(q, "森 ①子", "㈱ビル"); got != want {
			t.Errorf("MatchText(%q) = %v", q, got)
		}
	}
	k := key(t, 1)
	a, b := k.TextIndex(1, []string{"1子"}), k.TextIndex(2, []string{"1子"})
	if !bytes.Equal(a[0], k.BlindIndex(IndexText, "1\x001子")[:textGramLen]) {
		t.Error("TextIndex is not the truncated BlindIndex of case and gram")
	}
	if len(a[0]) != textGramLen || bytes.Equal(a[0], b[0]) || bytes.Equal(a[0], key(t, 2).TextIndex(1, []string{"1子"})[0]) {
		t.Error("the text index is not scoped by case and key, or not truncated")
	}
}

// BenchmarkTextIndex is the added cost per imported person: the pairs of a typical name, kana and
// address, each an HMAC.
func BenchmarkTextIndex(b *testing.B) {
	k, _ := NewKey(bytes.Repeat([]byte{1}, KeySize))
	for b.Loop() {
		k.TextIndex(42, TextGrams("山田 太郎", "ヤマダ タロウ", "東京都千代田区千代田1-1-1 ㈱ビル３階"))
	}
}
