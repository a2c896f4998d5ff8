package csvimport

import (
	"runtime"
	"sync"
)

// Checking the cells (NFKC normalisation, the patterns, the length limits) was most of what
// parsing cost (docs/performance.md, "Verification and import profiles"). The CSV records are read
// in one pass — a quoted cell may span lines, so the file cannot be cut blindly — and handed over
// in batches; the rows of a batch are checked on every core (checkRow reads nothing shared) and
// merged in file order (parser.merge: errors, duplicates, rows), so the result is the one a single
// pass gives, messages and their order included (TestParse_ParallelIsSequential).

// parseBatch is how many rows are checked together: enough to keep every core busy, small enough
// that a file with an error early on does not check much more than a single pass would.
var parseBatch = 2048

type pendingRow struct {
	line int
	rec  []string
}

// flush checks and merges the rows read so far. It runs before anything that reads the error
// count or the rows (a malformed record, the row limit, the end of the file).
func (p *parser) flush() {
	rows := p.pending
	p.pending = p.pending[:0]
	if len(rows) == 0 {
		return
	}
	checked := make([]checkedRow, len(rows))
	workers := min(runtime.GOMAXPROCS(0), max(len(rows)/256, 1))
	if workers <= 1 {
		for i, r := range rows {
			checked[i] = checkRow(p.cols, r.line, r.rec)
		}
	} else {
		per := (len(rows) + workers - 1) / workers
		var wg sync.WaitGroup
		for lo := 0; lo < len(rows); lo += per {
			hi := min(lo+per, len(rows))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo; i < hi; i++ {
					checked[i] = checkRow(p.cols, rows[i].line, rows[i].rec)
				}
			}()
		}
		wg.Wait()
	}
	for _, c := range checked {
		p.merge(c)
	}
}
