// Package appi applies the Japanese personal-data leak rules to the facts of
// one incident: the reporting duty to the Personal Information Protection
// Commission under the APPI (個人情報保護法26条, 施行規則7条〜10条), the
// parallel duty under the マイナンバー法 (番号法29条の4, 報告規則2条), the
// resulting deadlines, and the Japanese government calendar they are counted in.
//
// The package is pure: it reads a facts map (see docs/facts-contract.md), never
// reads the clock (time is passed in) and has no I/O. Its output, Assessment,
// marshals to the "assessment object" fixed in shared/docs/api.md, with
// additional fields only.
//
// Rule sources are domain.md §2 (decision tables) and §3 (deadlines). Rules
// that the domain marks [U] or [P] are either configurable through Options or
// surface as needs_review entries instead of being decided silently.
//
// Choices made where domain.md is silent:
//   - Dates are civil Date values in JST (a fixed +09:00 zone, no tzdata).
//     National holidays come from a table for 2025–2030 checked against the
//     祝日法 rules in a test; other years fall back to those rules and any
//     final due date there is flagged for review.
//   - An unrecorded involves_my_number leaves the My Number table
//     undetermined; an explicit "unknown" runs it as if involved. A
//     my_number data item counts as involved.
//   - is_personal_data "no" disables categories 1, 2 and 4 (Rule 7 speaks of
//     個人データ); category 3 still applies to data being acquired.
//   - With no count recorded at all, the 30-minute internal report is
//     assumed to apply.
//   - When both regimes require a final report, the earlier due date is
//     shown, because one PPC filing serves both.
//   - §3.4 late triggers are applied only when Options.CategorySince carries
//     the category history; they always add a needs_review entry.
package appi
