package rules

import (
	"reflect"
	"testing"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string
		want     []Change
	}{
		{"same content, other spacing and key order", `{"a":1,"b":[1,2]}`, `{ "b": [1, 2], "a": 1 }`, nil},
		{"changed value", `{"compensation_executive_above":1000000}`, `{"compensation_executive_above":5000000}`,
			[]Change{{Path: "/compensation_executive_above", Kind: Changed, Old: "1000000", New: "5000000"}}},
		{"added and removed keys", `{"a":1,"b":{"c":"x"}}`, `{"b":{},"d":[1]}`, []Change{
			{Path: "/a", Kind: Removed, Old: "1"}, {Path: "/b/c", Kind: Removed, Old: `"x"`}, {Path: "/d", Kind: Added, New: "[1]"}}},
		{"an item inserted in a list with ids is one addition",
			`{"checklist":[{"id":"a","ja":"甲"},{"id":"b","ja":"乙"}]}`,
			`{"checklist":[{"id":"a","ja":"甲"},{"id":"new","ja":"新"},{"id":"b","ja":"乙（改）"}]}`, []Change{
				{Path: "/checklist/2/ja", Kind: Changed, Old: `"乙"`, New: `"乙（改）"`},
				{Path: "/checklist/1", Kind: Added, New: `{"id":"new","ja":"新"}`}}},
		{"an item removed from a list with codes", `{"r":[{"code":"X"},{"code":"Y"}]}`, `{"r":[{"code":"Y"}]}`,
			[]Change{{Path: "/r/0", Kind: Removed, Old: `{"code":"X"}`}}},
		{"plain lists by position", `{"o":["24h","2h"]}`, `{"o":["48h","2h","1h"]}`, []Change{
			{Path: "/o/0", Kind: Changed, Old: `"24h"`, New: `"48h"`}, {Path: "/o/2", Kind: Added, New: `"1h"`}}},
		{"a key with a slash is escaped", `{"a/b":1}`, `{"a/b":2}`, []Change{{Path: "/a~1b", Kind: Changed, Old: "1", New: "2"}}},
		{"a value of another type", `{"a":[1]}`, `{"a":{"x":1}}`, []Change{{Path: "/a", Kind: Changed, Old: "[1]", New: `{"x":1}`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Diff([]byte(tc.old), []byte(tc.new))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if _, err := Diff([]byte(`{`), []byte(`{}`)); err == nil {
		t.Fatal("a broken document diffed")
	}
}

func TestDiff_V1AgainstItselfCanonical(t *testing.T) {
	got, err := Diff(V1JSON(), V1().Canonical())
	if err != nil || len(got) != 0 {
		t.Fatalf("v1 file vs canonical: %v %v", got, err)
	}
}
