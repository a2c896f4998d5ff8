package seed

import (
	"context"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
)

func BenchmarkBuild(b *testing.B) {
	a := &Actors{
		Staff:   incident.Actor{UserID: 1, Name: "a", Roles: []incident.Role{incident.RoleStaff}},
		Staff2:  incident.Actor{UserID: 2, Name: "b", Roles: []incident.Role{incident.RoleStaff}},
		Manager: incident.Actor{UserID: 3, Name: "c", Roles: []incident.Role{incident.RoleManager}},
		Deputy:  incident.Actor{UserID: 4, Name: "d", Roles: []incident.Role{incident.RoleManager}},
		Officer: incident.Actor{UserID: 5, Name: "e", Roles: []incident.Role{incident.RolePrivacyOfficer}},
		HR:      incident.Actor{UserID: 6, Name: "f", Roles: []incident.Role{incident.RoleHR}},
		HRHead:  incident.Actor{UserID: 7, Name: "g", Roles: []incident.Role{incident.RoleHR}},
	}
	bl := newBuilder(a)
	now := time.Now()
	ev := 0
	for i := 0; i < b.N; i++ {
		p := makePlan(1, i, now)
		reqs := make([]int64, maxRequests)
		for j := range reqs {
			reqs[j] = int64(i*maxRequests + j + 1)
		}
		sc, _, err := bl.build(context.Background(), p, int64(i+1), "2026-0001", reqs, nil)
		if err != nil {
			b.Fatal(err)
		}
		ev += len(sc.Events)
	}
	b.ReportMetric(float64(ev)/float64(b.N), "events/case")
}
