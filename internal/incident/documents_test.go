package incident

import "testing"

// docRequest has staff ask for version 1 of a document of kind k (drafted by staff and staff2).
func (h *harness) docRequest(k DocKind) int64 {
	h.t.Helper()
	h.nextID++
	h.do(staff, SubmitRequest{RequestID: h.nextID, Kind: KindFinalise, Doc: &DocRef{Kind: k, ID: 500, Version: 1,
		SHA256: "ab12", Editors: []int64{staff.UserID, staff2.UserID, mgrAndPO.UserID}}})
	return h.nextID
}

func routeRoles(r *Request, c *Case) []Role {
	var out []Role
	for _, st := range RouteOf(r, c) {
		out = append(out, st.Role)
	}
	return out
}

// TestDocumentFinalise_RouteByKind: each document kind's route is its row of domain.md §5.3.
func TestDocumentFinalise_RouteByKind(t *testing.T) {
	tests := []struct {
		kind  DocKind
		facts map[string]any
		want  []Role
	}{
		{DocReportPrelim, nil, []Role{RoleManager}},
		{DocReportFinal, nil, []Role{RoleManager, RolePrivacyOfficer}},
		{DocNotice, nil, []Role{RoleManager}},
		{DocNotice, map[string]any{"compensation_form": "none"}, []Role{RoleManager}},
		{DocNotice, map[string]any{"compensation_form": "gift_card"}, []Role{RoleManager, RoleExecutive}},
		{DocAnnouncement, nil, []Role{RoleManager, RoleExecutive}},
		{DocWarningLetter, nil, []Role{RoleManager}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			h := newHarness(t, discoveryFacts())
			if tt.facts != nil {
				h.c.Facts["compensation_form"] = tt.facts["compensation_form"]
			}
			id := h.docRequest(tt.kind)
			got := routeRoles(h.c.Request(id), h.c)
			if len(got) != len(tt.want) {
				t.Fatalf("route %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("route %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestDocumentFinalise_BadApprovals: the drafter, an editor, an involved user, a wrong role, an
// auditor and an empty reason are refused and nothing is written; the right approvers in order
// approve it.
func TestDocumentFinalise_BadApprovals(t *testing.T) {
	h := newHarness(t, discoveryFacts())
	h.do(manager, MarkInvolved{UserID: deputy.UserID, Involved: true, Reason: "流出元部署の上長"})
	id := h.docRequest(DocAnnouncement)
	before := h.c.Version
	tests := []struct {
		name string
		a    Actor
		note string
		want Code
	}{
		{"the drafter (requester)", staff, "確認", CodeForbidden},
		{"an editor of the version", staff2, "確認", CodeForbidden},
		{"an editor who holds the slot's role", mgrAndPO, "確認", CodeForbidden},
		{"an involved user", deputy, "確認", CodeForbidden},
		{"a wrong role (the CEO before the head)", ceo, "確認", CodeForbidden},
		{"a wrong role (privacy officer)", officer, "確認", CodeForbidden},
		{"the auditor", auditor, "確認", CodeForbidden},
		{"an empty reason", manager, "  ", CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			h.fail(tt.a, Approve{RequestID: id, Note: tt.note}, tt.want)
			if h.c.Version != before {
				t.Fatalf("something was written: version %d, was %d", h.c.Version, before)
			}
		})
	}
	h.t = t
	h.do(manager, Approve{RequestID: id, Note: "文面を確認"})
	if r := h.c.Request(id); r.State != RequestPending {
		t.Fatalf("after the head: %s, want pending (the CEO's slot)", r.State)
	}
	h.fail(manager, Approve{RequestID: id, Note: "再度"}, CodeForbidden)
	h.do(ceo, Approve{RequestID: id, Note: "公表を承認"})
	r := h.c.Request(id)
	if r.State != RequestApproved || h.c.ApprovedDocument(DocAnnouncement) != r {
		t.Fatalf("state %s, approved %v", r.State, h.c.ApprovedDocument(DocAnnouncement))
	}
	if r.Doc == nil || r.Doc.ID != 500 || r.Doc.Version != 1 || r.Doc.SHA256 != "ab12" || len(r.Doc.Editors) != 3 {
		t.Fatalf("request document %+v", r.Doc)
	}
}

// TestDocumentFinalise_RequestChecks: one pending finalisation per document, a version is named,
// only document preparers ask.
func TestDocumentFinalise_RequestChecks(t *testing.T) {
	h := newHarness(t, discoveryFacts())
	ref := func(k DocKind) *DocRef {
		return &DocRef{Kind: k, ID: 1, Version: 1, SHA256: "ff", Editors: []int64{staff.UserID}}
	}
	h.fail(staff, SubmitRequest{RequestID: 1, Kind: KindFinalise}, CodeInvalid)
	h.fail(staff, SubmitRequest{RequestID: 1, Kind: KindFinalise, Doc: &DocRef{Kind: "memo", ID: 1, Version: 1, SHA256: "ff"}}, CodeInvalid)
	h.fail(auditor, SubmitRequest{RequestID: 1, Kind: KindFinalise, Doc: ref(DocNotice)}, CodeForbidden)
	h.fail(hr, SubmitRequest{RequestID: 1, Kind: KindFinalise, Doc: ref(DocNotice)}, CodeForbidden)
	h.fail(staff, SubmitRequest{RequestID: 1, Kind: KindFinalise, Stage: StageCustomerNotice, Doc: ref(DocNotice)}, CodeInvalid)
	h.do(staff, SubmitRequest{RequestID: 1, Kind: KindFinalise, Doc: ref(DocNotice)})
	h.fail(staff2, SubmitRequest{RequestID: 2, Kind: KindFinalise, Doc: ref(DocNotice)}, CodeConflict)
	// A send-back leaves the version frozen; the next version is the next round of the 稟議.
	h.fail(manager, SendBack{RequestID: 1, Note: ""}, CodeInvalid)
	h.do(manager, SendBack{RequestID: 1, Note: "お詫びの文面を見直してください"})
	r2 := ref(DocNotice)
	r2.Version = 2
	h.do(staff, SubmitRequest{RequestID: 2, Kind: KindFinalise, Doc: r2})
	if got := h.c.Request(2).Round; got != 2 {
		t.Fatalf("round %d, want 2", got)
	}
	if h.c.ApprovedDocument(DocNotice) != nil {
		t.Fatal("a sent-back version counts as approved")
	}
}

// TestFiling_NeedsApprovedDocument: a filing time is refused (invalid, the field named, nothing
// written) until a version of its document is approved; then the facts_changed event names it.
func TestFiling_NeedsApprovedDocument(t *testing.T) {
	for field, k := range FilingFacts {
		t.Run(field, func(t *testing.T) {
			h := newHarness(t, discoveryFacts())
			before := h.c.Version
			e := h.fail(staff, PatchFacts{Patch: map[string]any{field: "2026-05-02T10:00"}}, CodeInvalid)
			if len(e.Fields) != 1 || e.Fields[0].Field != field || e.Fields[0].JA == "" {
				t.Fatalf("fields %+v", e.Fields)
			}
			if h.c.Version != before || h.c.Facts.has(field) {
				t.Fatal("something was written")
			}
			// A pending (not yet approved) version is not enough.
			pending := h.docRequest(k)
			h.fail(staff, PatchFacts{Patch: map[string]any{field: "2026-05-02T10:00"}}, CodeInvalid)
			h.do(manager, SendBack{RequestID: pending, Note: "差戻し"})
			rid := h.approvedDocument(k)
			evs := h.do(staff, PatchFacts{Patch: map[string]any{field: "2026-05-02T10:00"}})
			docs := pList(evs[0].Payload, "documents")
			if len(docs) != 1 || pStr(docs[0], "field") != field || pInt(docs[0], "request_id") != rid ||
				pInt(docs[0], "document_id") != 9000+rid || pInt(docs[0], "version") != 2 {
				t.Fatalf("facts_changed documents %v", docs)
			}
			if f := h.c.Filings[field]; f.RequestID != rid || f.Version != 2 {
				t.Fatalf("case filing %+v", f)
			}
			// Clearing a filing time needs nothing.
			h.do(staff, PatchFacts{Patch: map[string]any{field: nil}})
		})
	}
}
