package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// routeTimes is the server's own latency histogram (sum and count of seconds) by method and route
// pattern, read from /metrics; the difference of two readings says where a scenario's time went.
type routeTimes map[string][2]float64

var metricRe = regexp.MustCompile(`^leakdesk_http_request_duration_seconds_(sum|count)\{(.*)\} ([0-9.e+-]+)$`)
var labelRe = regexp.MustCompile(`(\w+)="([^"]*)"`)

func (b *bench) scrape(ctx context.Context) (routeTimes, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.baseURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := routeTimes{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := metricRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		labels := map[string]string{}
		for _, l := range labelRe.FindAllStringSubmatch(m[2], -1) {
			labels[l[1]] = l[2]
		}
		key := labels["method"] + " " + labels["route"]
		v, _ := strconv.ParseFloat(m[3], 64)
		e := out[key]
		if m[1] == "sum" {
			e[0] = v
		} else {
			e[1] = v
		}
		out[key] = e
	}
	return out, sc.Err()
}

// breakdown is the mean server time per request of each route that served requests between two
// readings, slowest first.
func breakdown(before, after routeTimes) string {
	type part struct {
		route string
		mean  float64
	}
	var parts []part
	for k, a := range after {
		bf := before[k]
		if n := a[1] - bf[1]; n > 0 {
			parts = append(parts, part{k, (a[0] - bf[0]) / n})
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].mean > parts[j].mean })
	var s []string
	for _, p := range parts {
		s = append(s, fmt.Sprintf("%s %.0f ms", p.route, p.mean*1000))
	}
	return "mean server time: " + strings.Join(s, ", ")
}
