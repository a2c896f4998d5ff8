package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// row is one line of the table. A negative CPU figure means "not measured separately" (the work
// ran in this process or outside the database).
type row struct {
	Group    string
	Figure   string
	Clients  int
	Value    float64
	Unit     string
	P50, P99 time.Duration
	App, DB  time.Duration
	RefName  string
	Ref      float64
	RefUnit  string
	Note     string
}

// decodeJSON decodes an event payload the way the store does (numbers kept exact), so the
// canonical bytes of the reference are the ones the verifier hashes.
func decodeJSON(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var p map[string]any
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	if p == nil {
		p = map[string]any{}
	}
	return p, nil
}

func num(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func ms(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f ms", float64(d)/1e6)
}

func cpuSecs(d time.Duration) string {
	if d < 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f", d.Seconds())
}

// table renders the Markdown table with its header (machine, PostgreSQL, durability).
func (b *bench) table(env environment) string {
	var s strings.Builder
	fmt.Fprintf(&s, "### make bench — %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&s, "Machine: %s, %d logical CPUs (shared). PostgreSQL %s, fsync=%s, synchronous_commit=%s (durable, own cluster).\n",
		env.CPU, env.Cores, env.Postgres, env.Fsync, env.SyncCommit)
	fmt.Fprintf(&s, "Load: closed loop, %s measured after %s warm-up per scenario, loopback HTTP to `leakdesk serve` in its own process. "+
		"%d seed cases opened through casework.Service in %.1f s (%d of them ticked and kept for request → approve). Whole run %.0f s.\n\n",
		b.o.duration, b.o.warmup, env.Seeded, env.SeedTime.Seconds(), len(b.ready), env.Total.Seconds())
	s.WriteString("| figure | clients | result | p50 | p99 | reference (same run) | ratio | app CPU s | DB CPU s | note |\n")
	s.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range b.rows {
		ref, ratio := "", ""
		if r.RefName != "" && r.Ref > 0 {
			ref = fmt.Sprintf("%s %s %s", r.RefName, num(r.Ref), r.RefUnit)
			ratio = fmt.Sprintf("%.3g×", r.Value/r.Ref)
		}
		fmt.Fprintf(&s, "| %s | %d | %s %s | %s | %s | %s | %s | %s | %s | %s |\n",
			strings.ReplaceAll(r.Figure, "|", "\\|"), r.Clients, num(r.Value), r.Unit, ms(r.P50), ms(r.P99), ref, ratio,
			cpuSecs(r.App), cpuSecs(r.DB), r.Note)
	}
	s.WriteString("\nratio = result ÷ reference (throughput; 1× would match the reference). CPU seconds are per scenario " +
		"(measured part only): app = the `leakdesk serve` process (or the process named in the note), DB = every process of the cluster, " +
		"exited backends included; — = not separately measured.\n")
	return s.String()
}
