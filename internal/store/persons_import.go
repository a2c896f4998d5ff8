package store

import (
	"runtime"
	"sync"

	"github.com/leakdesk/leakdesk/internal/pii"
)

// The import's cost is cryptography, not the database: blind indexes (HMAC, one per pair of the
// text index) and the seven ciphertexts of each row were a single goroutine's work inside the
// COPY callback (docs/performance.md, "Verification and import profiles"). They are computed here
// on every core, before the COPY, which then only streams bytes.

// importProbe is what de-duplication needs of one row, computed ahead: its identity's blind
// indexes under every key (identitySet.has) and its four indexes under the primary key
// (identitySet.add).
type importProbe struct {
	kind       string
	under      [][]byte
	c, e, p, n []byte
}

func probeRow(kr *pii.Keyring, d PersonData) importProbe {
	kind, norm := dedupeKey(d)
	k := kr.Primary()
	return importProbe{kind: kind, under: kr.BlindIndexes(kind, norm),
		c: k.BlindIndex(pii.IndexCustomerID, pii.NormalizeCustomerID(d.CustomerID)), e: k.BlindIndex(pii.IndexEmail, pii.NormalizeEmail(d.Email)),
		p: k.BlindIndex(pii.IndexPhone, pii.NormalizePhone(d.Phone)), n: k.BlindIndex(pii.IndexNameAddress, pii.NormalizeNameAddress(d.Name, d.Address))}
}

// hasProbe is identitySet.has for a probe computed ahead.
func (set identitySet) hasProbe(pr importProbe) bool {
	for _, ix := range pr.under {
		if set[pr.kind][string(ix)] {
			return true
		}
	}
	return false
}

// inParallel runs fn(i) for every i < n on GOMAXPROCS goroutines, each taking contiguous blocks.
func inParallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/256, 1))
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

func probeRows(kr *pii.Keyring, rows []PersonData) []importProbe {
	out := make([]importProbe, len(rows))
	inParallel(len(rows), func(i int) { out[i] = probeRow(kr, rows[i]) })
	return out
}

func sealRows(kr *pii.Keyring, caseID int64, ids []int64, rows []PersonData) []sealed {
	out := make([]sealed, len(rows))
	inParallel(len(rows), func(i int) { out[i] = seal(kr, caseID, ids[i], rows[i]) })
	return out
}
