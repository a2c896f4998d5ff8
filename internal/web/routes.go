package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/web"
)

// Role groups used by the route table.
var (
	caseReaders = authRoles(incident.CaseReaders) // the route-table half of incident.CanRead
)

func authRoles(rs []incident.Role) []auth.Role {
	out := make([]auth.Role, len(rs))
	for i, r := range rs {
		out[i] = auth.Role(r)
	}
	return out
}

// routes is the whole route table. Every route a user can reach is listed here, with the roles that
// may use it; the authorisation test enumerates this router.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.observe, s.recoverer, securityHeaders(s.cfg.Secure(), s.formActionOrigins))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusNotFound, errNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusMethodNotAllowed, errMethod) })

	// Operations: no session, no database needed for liveness.
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	if s.cfg.MetricsAddr == "" { // else `leakdesk serve` serves it on its own listener (metrics_guard.go)
		r.Method(http.MethodGet, "/metrics", s.MetricsHandler())
	}
	r.Handle("/static/*", http.StripPrefix("/static/", staticHandler()))
	r.Get("/api/openapi.json", s.openapi)

	// JSON API: bearer tokens, problem+json errors.
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.requireReady, s.limitBody, s.bearer, s.rateLimit(s.limits.api))
		r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusNotFound, errNotFound) })
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusMethodNotAllowed, errMethod) })
		r.Get("/me", s.apiMe)
		r.Get("/me/tokens", s.apiTokens)
		r.Post("/me/tokens", s.apiCreateToken)
		r.Delete("/me/tokens/{tid}", s.apiRevokeToken)
		// API ROUTES: persons
		r.With(s.requireRole(caseReaders...)).Get("/cases/{id}/persons", s.apiGetPersons)
		r.With(s.requireRole(caseReaders...)).Post("/cases/{id}/persons/search", s.apiSearchPersons)                                    // the query in the body: persons_search.go
		r.With(s.requireRole(personDecrypters...), s.rateLimit(s.limits.export)).Post("/cases/{id}/persons/export", s.apiPersonsExport) // the reason in the body: persons_export.go
		r.With(s.requireRole(auth.RolePrivacyOfficer)).Post("/cases/{id}/persons/grants", s.apiRegisterGrant)                           // need-to-know grants: persons_grants.go
		// API ROUTES: cases, records, law and the case page's twins — the case readers' group, as on the
		// pages; incident.CanRead on the case itself is the command's (or loadCase's) check.
		r.Group(func(r chi.Router) {
			r.Use(s.requireRole(caseReaders...))
			r.Post("/cases", s.apiCreateCase)
			r.Get("/cases", s.apiListCases)
			r.Get("/cases/{id}", s.apiGetCase)
			r.Patch("/cases/{id}", s.apiPatchCase)
			r.Post("/cases/{id}/requests", s.apiCreateRequest)
			r.Get("/cases/{id}/events", s.apiEvents)
			r.Post("/requests/{rid}/approve", s.apiApprove)
			r.Post("/requests/{rid}/send-back", s.apiSendBack)
			// API ROUTES: records (stage records and evidence; see records_api.go, evidence.go)
			r.Get("/cases/{id}/records", s.apiGetRecords)
			r.Post("/cases/{id}/records", s.apiCreateRecord)
			r.Patch("/cases/{id}/records/{rid}", s.apiPatchRecord)
			// API ROUTES: law
			r.Get("/cases/{id}/assessment", s.apiAssessment)
			// twins of the case page's forms (parity_api.go, evidence.go)
			r.Post("/cases/{id}/evidence", s.apiAttachEvidence) // larger body limit: evidenceUploadLimit
			r.Get("/cases/{id}/evidence/{eid}", s.getEvidence)
			r.Post("/cases/{id}/checklist", s.apiChecklist)
			r.Put("/cases/{id}/owner", s.apiOwner)
			r.Post("/cases/{id}/involved", s.apiInvolved)
			r.Post("/cases/{id}/reopen", s.apiReopen)
		})
		// API ROUTES: first reports (第一報; see report.go)
		r.With(s.requireRole(reportFilers...)).Post("/reports", s.apiFileReport)
		r.With(s.requireRole(reportFilers...)).Get("/reports", s.apiMyReports)
		r.With(s.requireRole(reportFilers...)).Get("/reports/{id}", s.apiMyReport)
		r.With(s.requireRole(reportFilers...)).Post("/reports/{id}/answers", s.apiReportAnswer)
		r.With(s.requireRole(caseReaders...)).Get("/cases/{id}/report", s.apiCaseReport)
		r.With(s.requireRole(reportHandlers...)).Post("/cases/{id}/report/questions", s.apiReportQuestion)
		// API ROUTES: twins of the case page's forms (see parity_api.go, upload_api.go)
		r.With(s.requireRole(personWriters...)).Post("/cases/{id}/persons/import", s.apiPersonImport) // larger body limit: personUploadLimit
		r.With(s.requireRole(personWriters...)).Post("/cases/{id}/persons/import/commit", s.apiPersonImportCommit)
		r.With(s.requireRole(personWriters...)).Post("/cases/{id}/persons", s.apiAddPerson) // see persons_write_api.go
		r.With(s.requireRole(personWriters...)).Patch("/cases/{id}/persons/{pid}", s.apiUpdatePerson)
		r.With(s.requireRole(personWriters...)).Post("/cases/{id}/persons/bulk-notice", s.apiBulkNotice)
		r.With(s.requireRole(caseReaders...)).Put("/cases/{id}/documents/{kind}", s.apiSaveDocument) // see documents_api.go
		r.With(s.requireRole(caseReaders...)).Post("/cases/{id}/documents/{kind}/finalise", s.apiFinaliseDocument)
		r.With(s.requireRole(caseReaders...)).Get("/cases/{id}/documents/{kind}/pdf", s.getDocumentPDF)
		r.With(s.requireRole(auditReaders...)).Get("/audit/cases/{id}/export", s.getAuditExport)
		r.With(s.requireRole(auditReaders...)).Get("/audit/review.csv", s.getAuditReviewCSV) // the desk's review figures, as the page downloads them
		r.With(s.requireRole(auth.RoleAuditor)).Post("/audit/cases/{id}/comments", s.apiAuditComment)
		r.With(s.requireRole(auth.RoleAuditor)).Post("/audit/cases/{id}/signoff", s.apiAuditSignoff)
		// API ROUTES: audit
		r.With(s.requireRole(auth.RoleAuditor)).Get("/audit/verify", s.apiAuditVerify)
		// API ROUTES: the rule book (rules_api.go); who drafts and who approves is incident's rule book
		r.With(s.requireRole(ruleReaders...)).Get("/rules", s.apiGetRules)
		r.With(s.requireRole(ruleDrafters...)).Post("/rules", s.apiCreateRuleVersion)
		r.With(s.requireRole(ruleDeciders...)).Post("/rules/review", s.apiReviewRules)
		r.With(s.requireRole(ruleReaders...)).Get("/rules/{ver}", s.apiGetRuleVersion)
		r.With(s.requireRole(ruleReaders...)).Get("/rules/{ver}/export", s.getRuleExport)
		r.With(s.requireRole(ruleDeciders...)).Post("/rules/{ver}/approve", s.apiApproveRuleVersion)
		r.With(s.requireRole(ruleDrafters...)).Post("/rules/{ver}/withdraw", s.apiWithdrawRuleVersion)
	})

	// SCIM 2.0 provisioning (identity providers push joiners and leavers; see scim.go).
	r.Route("/scim/v2", func(r chi.Router) {
		r.Use(s.requireReady, s.limitBody, s.scimAuth)
		r.Get("/Users", s.getSCIMUsers)
		r.Post("/Users", s.postSCIMUser)
		r.Get("/Users/{id}", s.getSCIMUser)
		r.Patch("/Users/{id}", s.patchSCIMUser)
		r.Delete("/Users/{id}", s.deleteSCIMUser)
	})

	// Pages: sessions, CSRF.
	r.Group(func(r chi.Router) {
		cop := http.NewCrossOriginProtection()
		cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, http.StatusForbidden, errCSRF) }))
		r.Use(s.requireReady, s.limitBody, cop.Handler, s.sessions.LoadAndSave, withSession, s.loadUser, s.checkCSRF)
		r.Get("/login", s.getLogin)
		r.Post("/login", s.postLogin)
		r.Get("/login/oidc", s.getLoginOIDC)
		r.Get("/login/oidc/callback", s.getOIDCCallback)
		r.Get("/login/mfa", s.getLoginMFA)
		r.Post("/login/mfa", s.postLoginMFA)
		r.Post("/login/mfa/passkey/begin", s.postPasskeyLoginBegin)
		r.Post("/login/mfa/passkey/finish", s.postPasskeyLoginFinish)
		r.Post("/lang", s.postLang)
		r.Group(func(r chi.Router) {
			// A temporary password is changed first (admin_reach.go), then a due second factor enrolled.
			r.Use(s.requireLogin, s.requireFreshPassword, s.requireMFAEnrolment)
			r.Get("/", s.home)
			r.Post("/logout", s.postLogout)
			r.Get("/account", s.getAccount)
			// ROUTES: account security (second factor; see account_mfa.go)
			r.Get("/account/mfa", s.getAccountMFA)
			r.Get("/account/mfa/qr.png", s.getAccountMFAQR)
			r.Post("/account/mfa", s.postAccountMFA)
			r.Post("/account/mfa/remove", s.postAccountMFARemove)
			r.Post("/account/passkeys/begin", s.postPasskeyRegisterBegin)
			r.Post("/account/passkeys/finish", s.postPasskeyRegisterFinish)
			r.Get("/account/sessions", s.getAccountSessions)
			r.Post("/account/sessions/{id}/end", s.postAccountSessionEnd)
			// The one change form: the user's own choice, or the forced change of a temporary password.
			r.Get("/account/password", s.getAccountPassword)
			r.Post("/account/password", s.postAccountPassword)
			// ROUTES: role grants (a second administrator or the privacy officer; see admin_reach.go)
			r.With(s.requireRole(grantDeciders...)).Get("/role-grants", s.getRoleGrants)
			r.With(s.requireRole(grantDeciders...)).Post("/role-grants/{gid}", s.postRoleGrant)
			r.Get("/account/tokens", s.getTokens) // self-service API tokens; see tokens.go
			r.Post("/account/tokens", s.postToken)
			r.Post("/account/tokens/{tid}/revoke", s.postTokenRevoke)
			r.With(s.requireRole(caseReaders...)).Get("/cases", s.getCases)
			// ROUTES: persons (affected-person register; see persons*.go)
			r.With(s.requireRole(caseReaders...)).Get("/cases/{id}/persons", s.getPersons)
			r.With(s.requireRole(caseReaders...)).Post("/cases/{id}/persons/search", s.postPersonsSearch) // reads: the query stays out of the URL
			r.With(s.requireRole(personDecrypters...), s.rateLimit(s.limits.export)).Get("/cases/{id}/persons/export", s.getPersonsExport)
			r.With(s.requireRole(auth.RolePrivacyOfficer)).Post("/cases/{id}/persons/grants", s.postRegisterGrant) // need-to-know grants: persons_grants.go
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(personWriters...))
				r.Post("/cases/{id}/persons", s.postPersonAdd)
				r.Get("/cases/{id}/persons/import", s.getPersonImport)
				r.With(s.rateLimit(s.limits.imp)).Post("/cases/{id}/persons/import", s.postPersonImport) // larger body limit: personUploadLimit
				r.Post("/cases/{id}/persons/import/commit", s.postPersonImportCommit)
				r.Post("/cases/{id}/persons/bulk-notice", s.postPersonsBulkNotice)
				r.Get("/cases/{id}/persons/{pid}", s.getPersonEdit)
				r.Post("/cases/{id}/persons/{pid}", s.postPersonEdit)
			})
			// ROUTES: cases (case engine pages; see case_new.go, case_page.go, case_writes.go, approvals_inbox.go)
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(caseReaders...))
				r.Get("/cases/new", s.getNewCase)
				r.Post("/cases", s.postNewCase)
				r.Get("/cases/{id}", s.getCase)
				r.Post("/cases/{id}/facts", s.postFacts)
				r.Post("/cases/{id}/checklist", s.postChecklist)
				r.Post("/cases/{id}/requests", s.postRequest)
				r.Post("/cases/{id}/owner", s.postOwner)
				r.Post("/cases/{id}/involved", s.postInvolved)
				r.Post("/cases/{id}/reopen", s.postReopen)
				r.Post("/requests/{rid}/approve", s.postApprove)
				r.Post("/requests/{rid}/send-back", s.postSendBack)
				r.Get("/approvals", s.getInbox)
				// ROUTES: records (stage records and evidence files; see records.go, evidence.go)
				r.Post("/cases/{id}/records", s.postRecordAdd)
				r.Get("/cases/{id}/records/{rid}", s.getRecord)
				r.Post("/cases/{id}/records/{rid}", s.postRecordEdit)
				r.Post("/cases/{id}/records/{rid}/withdraw", s.postRecordWithdraw)
				r.Post("/cases/{id}/evidence", s.postEvidence) // larger body limit: evidenceUploadLimit
				r.Get("/cases/{id}/evidence/{eid}", s.getEvidence)
			})
			// ROUTES: law (dashboard, documents; see dashboard.go, documents.go)
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(caseReaders...))
				r.Get("/dashboard", s.getDashboard)
				r.Get("/cases/{id}/documents", s.getDocuments)
				r.Get("/cases/{id}/documents/{kind}", s.getDocument)
				r.Post("/cases/{id}/documents/{kind}", s.postDocument)
				r.Post("/cases/{id}/documents/{kind}/finalise", s.postDocumentFinalise)
				r.With(s.rateLimit(s.limits.pdf)).Get("/cases/{id}/documents/{kind}/pdf", s.getDocumentPDF)
			})
			r.With(s.requireRole(auth.RoleAdmin)).Get("/admin/jobs", s.getAdminJobs)
			// ROUTES: first reports (第一報 from every employee; see report.go)
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(reportFilers...))
				r.Get("/report", s.getReport)
				r.Post("/report", s.postReport)
				r.Get("/report/{id}", s.getMyReport)
				r.Post("/report/{id}/answers", s.postReportAnswer)
			})
			r.With(s.requireRole(caseReaders...)).Get("/cases/{id}/report", s.getCaseReport)
			r.With(s.requireRole(reportHandlers...)).Post("/cases/{id}/report/questions", s.postReportQuestion)
			// ROUTES: audit (auditor desk; see audit*.go)
			r.Route("/audit", func(r chi.Router) {
				r.Use(s.requireRole(auditReaders...))
				r.Get("/", s.getAuditHome)
				r.Get("/verify", s.getAuditVerify) // the newest verdict; the jobs below are the auditor's (audit_jobs.go)
				r.With(s.requireRole(auth.RoleAuditor)).Post("/verify", s.postAuditVerify)
				r.With(s.requireRole(auth.RoleAuditor)).Get("/jobs/{jid}", s.getAuditJob)
				r.With(s.requireRole(auth.RoleAuditor)).Post("/jobs/{jid}/cancel", s.postAuditJobCancel)
				r.With(s.requireRole(auth.RoleAuditor)).Get("/jobs/{jid}/result", s.getAuditJobResult)
				r.Get("/access", s.getAuditAccess)
				r.Get("/admin-events", s.getAuditAdminEvents) // audit_admin_events.go
				r.Get("/review", s.getAuditReview)
				r.Get("/review.csv", s.getAuditReviewCSV)
				r.Get("/cases/{id}", s.getAuditCase)
				r.Get("/cases/{id}/diff", s.getAuditDiff)
				r.With(s.rateLimit(s.limits.export)).Get("/cases/{id}/export", s.getAuditExport)
				r.With(s.rateLimit(s.limits.export)).Post("/export", s.postAuditExport) // reads only: a selection is a form
				// The only writes an auditor may make: review comments and sign-offs (their own chain).
				r.With(s.requireRole(auth.RoleAuditor)).Post("/cases/{id}/comments", s.postAuditComment)
				r.With(s.requireRole(auth.RoleAuditor)).Post("/cases/{id}/signoff", s.postAuditSignoff)
			})
			// ROUTES: the rule book (versions, drafts, approvals, yearly review; see rules_pages.go)
			r.Route("/rules", func(r chi.Router) {
				r.Use(s.requireRole(ruleReaders...))
				r.Get("/", s.getRules)
				r.With(s.requireRole(ruleDrafters...)).Post("/", s.postRules)
				r.With(s.requireRole(ruleDeciders...)).Post("/review", s.postRulesReview)
				r.Get("/{ver}", s.getRuleVersion)
				r.Get("/{ver}/export", s.getRuleExport)
				r.With(s.requireRole(ruleDeciders...)).Post("/{ver}/approve", s.postRuleApprove)
				r.With(s.requireRole(ruleDrafters...)).Post("/{ver}/withdraw", s.postRuleWithdraw) // the drafter or an approver: incident.WithdrawRules
			})
			r.Route("/admin", func(r chi.Router) {
				r.Use(s.requireRole(auth.RoleAdmin))
				r.Get("/users", s.getAdminUsers)
				r.Post("/users", s.postAdminUser)
				r.Post("/users/{id}/roles", s.postAdminUserRoles)
				r.Post("/users/{id}/disable", s.postAdminUserDisable)
				r.Post("/users/{id}/password", s.postAdminUserPassword)
				r.Get("/logins", s.getAdminLogins)
				r.Get("/security", s.getAdminSecurity)
				r.Post("/security", s.postAdminSecurity)
				r.Get("/delegations", s.getAdminDelegations)
				r.Post("/delegations", s.postAdminDelegation)
				r.Get("/webhooks", s.getAdminWebhooks)
				r.Post("/webhooks", s.postAdminWebhook)
				r.Post("/webhooks/{id}/disable", s.postAdminWebhookDisable)
			})
		})
	})
	return r
}

func staticHandler() http.Handler {
	fs := http.FileServerFS(web.Static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}
