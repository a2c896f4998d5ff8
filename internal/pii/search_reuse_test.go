package pii

import (
	"bytes"
	"strconv"
	"testing"
)

// TestTextIndex_ReusedHMACGivesEachPairsBlindIndex: TextIndex resets one HMAC between pairs; every
// entry must still be the truncated BlindIndex of its own pair, whatever came before it.
func TestTextIndex_ReusedHMACGivesEachPairsBlindIndex(t *testing.T) {
	k := key(t, 1)
	grams := []string{"山田", "田太", "太郎", "東京都千代田区千代田一丁目の長い住所の対", "a", "1子"}
	got := k.TextIndex(42, grams)
	for i, g := range grams {
		want := k.BlindIndex(IndexText, strconv.Itoa(42)+"\x00"+g)[:textGramLen]
		if !bytes.Equal(got[i], want) || cap(got[i]) != textGramLen {
			t.Fatalf("gram %d (%q): %x, want %x", i, g, got[i], want)
		}
	}
}
