package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Change is one difference between two rule sets, at a JSON Pointer path: a value added, removed
// or changed. Old and New are the values as compact JSON ("" for the side that has none).
type Change struct {
	Path string `json:"path"`
	Kind string `json:"kind"` // added, removed, changed
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// Change kinds.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Diff compares two rule-set documents (any JSON; canonical or not) and returns their differences
// (object keys sorted, list items as matched), for review before approval. Objects are compared key by key. Lists of objects
// that each carry an "id" or a "code" (checklist items, reasons, sanctions, templates) are matched
// by it, so one item inserted reads as one addition rather than every later item changed; their
// paths carry the index in the document that has them (the new one for added and changed items).
// Other lists are compared position by position.
func Diff(oldDoc, newDoc []byte) ([]Change, error) {
	a, err := decodeAny(oldDoc)
	if err != nil {
		return nil, fmt.Errorf("rules: diff: old document: %w", err)
	}
	b, err := decodeAny(newDoc)
	if err != nil {
		return nil, fmt.Errorf("rules: diff: new document: %w", err)
	}
	var out []Change
	diffValue("", a, b, &out)
	return out, nil
}

func decodeAny(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func compact(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimRight(buf.String(), "\n")
}

func pathEscape(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}

func diffValue(path string, a, b any, out *[]Change) {
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			diffObject(path, av, bv, out)
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			diffList(path, av, bv, out)
			return
		}
	}
	if ca, cb := compact(a), compact(b); ca != cb {
		*out = append(*out, Change{Path: path, Kind: Changed, Old: ca, New: cb})
	}
}

func diffObject(path string, a, b map[string]any, out *[]Change) {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := path + "/" + pathEscape(k)
		av, inA := a[k]
		bv, inB := b[k]
		switch {
		case !inB:
			*out = append(*out, Change{Path: p, Kind: Removed, Old: compact(av)})
		case !inA:
			*out = append(*out, Change{Path: p, Kind: Added, New: compact(bv)})
		default:
			diffValue(p, av, bv, out)
		}
	}
}

// identity returns the key the list's items are matched by ("id" or "code"), or "" when some item
// lacks it or two share it.
func identity(a, b []any) string {
	for _, key := range []string{"id", "code"} {
		ok := true
		for _, list := range [][]any{a, b} {
			seen := map[string]bool{}
			for _, x := range list {
				m, isObj := x.(map[string]any)
				id, isStr := m[key].(string)
				if !isObj || !isStr || seen[id] {
					ok = false
					break
				}
				seen[id] = true
			}
		}
		if ok && len(a)+len(b) > 0 {
			return key
		}
	}
	return ""
}

func diffList(path string, a, b []any, out *[]Change) {
	key := identity(a, b)
	if key == "" {
		for i := 0; i < max(len(a), len(b)); i++ {
			p := path + "/" + strconv.Itoa(i)
			switch {
			case i >= len(b):
				*out = append(*out, Change{Path: p, Kind: Removed, Old: compact(a[i])})
			case i >= len(a):
				*out = append(*out, Change{Path: p, Kind: Added, New: compact(b[i])})
			default:
				diffValue(p, a[i], b[i], out)
			}
		}
		return
	}
	idOf := func(x any) string { return x.(map[string]any)[key].(string) }
	inB := map[string]int{}
	for j, x := range b {
		inB[idOf(x)] = j
	}
	inA := map[string]bool{}
	for i, x := range a {
		inA[idOf(x)] = true
		if j, ok := inB[idOf(x)]; ok {
			diffValue(path+"/"+strconv.Itoa(j), x, b[j], out)
		} else {
			*out = append(*out, Change{Path: path + "/" + strconv.Itoa(i), Kind: Removed, Old: compact(x)})
		}
	}
	for j, x := range b {
		if !inA[idOf(x)] {
			*out = append(*out, Change{Path: path + "/" + strconv.Itoa(j), Kind: Added, New: compact(x)})
		}
	}
}
