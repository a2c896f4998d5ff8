package web

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// Input shape checks (present, length, format, one of a list) are declared as `validate` tags on the
// input structs of forms and API bodies and run by go-playground/validator, so that a page and the API
// refuse the same input with the same words. Domain rules (facts, stage transitions, approvals) stay in
// internal/incident: they need the case, not just the input.
//
// Each checked field carries a `label:"日本語|English"` tag; the messages below are written for a
// general-affairs reader, not generated from the tag names.

// inputValidator is built once: the validator caches each struct's parsed tags.
var inputValidator = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Field errors are keyed by the name the client used: the form field or the JSON member.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, key := range []string{"form", "json"} {
			if n, _, _ := strings.Cut(f.Tag.Get(key), ","); n != "" && n != "-" {
				return n
			}
		}
		return f.Name
	})
	return v
}()

// checkInput validates in (a pointer to a struct with validate tags) and returns one field error per
// failing field, in declaration order. A nil result means the input passed.
func checkInput(in any) []fieldError {
	err := inputValidator.Struct(in)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		// InvalidValidationError: a programming error (not a struct); refuse rather than let it through.
		return []fieldError{{Field: "_", JA: "入力を確認できませんでした。", EN: "The input could not be checked."}}
	}
	t := reflect.TypeOf(in)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []fieldError
	seen := map[string]bool{}
	for _, fe := range ves {
		if seen[fe.Field()] {
			continue
		}
		seen[fe.Field()] = true
		ja, en := fe.Field(), fe.Field()
		if sf, ok := t.FieldByName(fe.StructField()); ok {
			if l := sf.Tag.Get("label"); l != "" {
				ja, en, _ = strings.Cut(l, "|")
				if en == "" {
					en = ja
				}
			}
		}
		mja, men := fieldMessage(fe, ja, en)
		out = append(out, fieldError{Field: fe.Field(), JA: mja, EN: men})
	}
	return out
}

// fieldMessage words one failed check. Lengths are counted in characters (runes), as the validator does
// for strings, so 200 means 200 kanji as well as 200 letters.
func fieldMessage(fe validator.FieldError, ja, en string) (string, string) {
	p := fe.Param()
	isList := fe.Kind() == reflect.Slice || fe.Kind() == reflect.Map
	switch fe.Tag() {
	case "required", "required_if", "required_with":
		if isList {
			return ja + "を1つ以上選んでください。", "Choose at least one " + en + "."
		}
		return ja + "を入力してください。", "Enter " + en + "."
	case "max":
		if isList {
			return fmt.Sprintf("%sは%s件までです。", ja, p), fmt.Sprintf("%s: at most %s entries.", en, p)
		}
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("%sは%s文字以内で入力してください。", ja, p), fmt.Sprintf("%s: at most %s characters.", en, p)
		}
		return fmt.Sprintf("%sは%s以下の値にしてください。", ja, p), fmt.Sprintf("%s: at most %s.", en, p)
	case "min":
		if isList {
			return fmt.Sprintf("%sを%s件以上選んでください。", ja, p), fmt.Sprintf("Choose at least %s %s.", p, en)
		}
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("%sは%s文字以上で入力してください。", ja, p), fmt.Sprintf("%s: at least %s characters.", en, p)
		}
		return fmt.Sprintf("%sは%s以上の値にしてください。", ja, p), fmt.Sprintf("%s: at least %s.", en, p)
	case "gte", "gt":
		return fmt.Sprintf("%sは%s以上の値にしてください。", ja, p), fmt.Sprintf("%s must be at least %s.", en, p)
	case "lte", "lt":
		return fmt.Sprintf("%sは%s以下の値にしてください。", ja, p), fmt.Sprintf("%s must be at most %s.", en, p)
	case "email":
		return ja + "の形式が正しくありません（例: taro@example.co.jp）。", "Enter a valid " + en + "."
	case "datetime":
		return ja + "は YYYY-MM-DD の形式で入力してください。", "Enter " + en + " as YYYY-MM-DD."
	case "oneof":
		return ja + "は一覧から選んでください。", "Choose " + en + " from the list."
	}
	return ja + "の値が正しくありません。", en + " is invalid."
}

// invalidInput is the 422 answer for failed field checks.
func invalidInput(fields []fieldError) *uiError {
	return &uiError{Code: "invalid", JA: "入力内容に誤りがあります。該当する項目を確認してください。", EN: "The input is invalid; check the fields named.", Fields: fields}
}

// fieldMap turns field errors into the per-field messages a form shows next to each input.
func fieldMap(lang string, fields []fieldError) map[string]string {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		if _, dup := m[f.Field]; !dup {
			m[f.Field] = pick(lang, f.JA, f.EN)
		}
	}
	return m
}
