package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/csvimport"
)

func TestBreakdown_MeanPerRouteBetweenReadings(t *testing.T) {
	before := routeTimes{"POST /api/v1/cases": {2.0, 10}, "GET /healthz": {1, 1000}}
	after := routeTimes{"POST /api/v1/cases": {6.0, 20}, "GET /healthz": {1, 1000}, "POST /api/v1/requests/{rid}/approve": {0.5, 10}}
	got := breakdown(before, after)
	want := "mean server time: POST /api/v1/cases 400 ms, POST /api/v1/requests/{rid}/approve 50 ms"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestMetricLine_ParsesSumAndCountWithLabels(t *testing.T) {
	for _, tc := range []struct {
		line, kind, labels, value string
	}{
		{`leakdesk_http_request_duration_seconds_sum{method="POST",route="/api/v1/cases"} 12.5`, "sum", `method="POST",route="/api/v1/cases"`, "12.5"},
		{`leakdesk_http_request_duration_seconds_count{method="GET",route="/cases/{id}"} 3e+06`, "count", `method="GET",route="/cases/{id}"`, "3e+06"},
	} {
		m := metricRe.FindStringSubmatch(tc.line)
		if m == nil || m[1] != tc.kind || m[2] != tc.labels || m[3] != tc.value {
			t.Errorf("%s: %q", tc.line, m)
		}
	}
	if metricRe.MatchString(`leakdesk_http_request_duration_seconds_bucket{method="GET",route="/",le="0.1"} 3`) {
		t.Error("a bucket line matched")
	}
}

func TestToolOutput_PgbenchAndGoBench(t *testing.T) {
	pg := "number of failed transactions: 0 (0.000%)\nlatency average = 9.1 ms\ninitial connection time = 12.3 ms\ntps = 872.215 (without initial connection time)\n"
	if m := tpsRe.FindStringSubmatch(pg); m == nil || m[1] != "872.215" {
		t.Fatalf("pgbench tps: %q", m)
	}
	out := strings.Join([]string{
		"BenchmarkRequestApprove-2      \t      20\t  22665232 ns/op",
		"--- BENCH: BenchmarkRequestApprove-2",
		"BenchmarkPlainInsertCommit   \t 500\t    638906.5 ns/op",
	}, "\n")
	ms := benchLineRe.FindAllStringSubmatch(out, -1)
	if len(ms) != 2 || ms[0][1] != "BenchmarkRequestApprove" || ms[0][3] != "22665232" || ms[1][1] != "BenchmarkPlainInsertCommit" || ms[1][3] != "638906.5" {
		t.Fatalf("bench lines: %q", ms)
	}
}

func TestCSVFile_ParsesCleanly(t *testing.T) {
	// The import figure is only meaningful if every generated row is valid and distinct.
	res, err := csvimport.Parse(bytes.NewReader(csvFile(500)), csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || len(res.Rows) != 500 {
		t.Fatalf("%d rows, %d errors: %+v", len(res.Rows), res.ErrorCount, res.Errors)
	}
}
