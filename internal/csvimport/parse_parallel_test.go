package csvimport

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// TestParse_ParallelIsSequential: rows checked in parallel batches give exactly the result of one
// row at a time in file order (parseBatch = 1 is the single pass: each row checked, then merged,
// before the next is read) — rows, errors and their order, the error cap, duplicates across batch
// boundaries, malformed records and the row limit included.
func TestParse_ParallelIsSequential(t *testing.T) {
	var big bytes.Buffer
	big.WriteString("氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,顧客番号,漏えい項目\n")
	for i := range 6000 {
		email := fmt.Sprintf("user%d@example.jp", i)
		switch {
		case i%997 == 5:
			email = "not-an-email"
		case i%1499 == 7:
			email = "user3@example.jp" // a duplicate of a row in the first batch
		}
		phone := fmt.Sprintf("03-%04d-%04d", i/10000, i%10000)
		if i%2111 == 3 {
			phone = "=1+1"
		}
		fmt.Fprintf(&big, "山田 太郎%d,ヤマダ タロウ,100-0001,東京都千代田区千代田1-%d,%s,%s,C%07d,氏名、住所\n", i, i, phone, email, i)
		if i == 4100 {
			big.WriteString(",,,,,,,\n")      // blank: skipped
			big.WriteString("田中,タナカ,,,,,,\n") // no identifier beyond the name: valid
		}
	}
	malformed := append(bytes.Clone(big.Bytes()), "\"unterminated,x\n"...)
	manyErrors := func() []byte {
		var b bytes.Buffer
		b.WriteString("氏名,メールアドレス\n")
		for i := range 3000 {
			fmt.Fprintf(&b, "名前%d,bad%d\n", i, i)
		}
		return b.Bytes()
	}()
	files := []struct {
		name string
		data []byte
		opt  Options
	}{
		{"clean and faulty rows", big.Bytes(), Options{}},
		{"row limit", big.Bytes(), Options{MaxRows: 4500}},
		{"error cap", manyErrors, Options{MaxErrors: 50}},
		{"malformed record at the end", malformed, Options{}},
	}
	defer func(n int) { parseBatch = n }(parseBatch)
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			parseBatch = 1
			want, err := Parse(bytes.NewReader(f.data), f.opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{7, 2048, 100000} {
				parseBatch = n
				got, err := Parse(bytes.NewReader(f.data), f.opt)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("batch %d: %d rows, %d errors (%d kept); single pass: %d rows, %d errors (%d kept)",
						n, len(got.Rows), got.ErrorCount, len(got.Errors), len(want.Rows), want.ErrorCount, len(want.Errors))
				}
			}
			if want.ErrorCount == 0 {
				t.Fatal("every file here was meant to have errors")
			}
		})
	}
}
