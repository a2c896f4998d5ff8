// Package seed generates realistic cases at scale for `leakdesk dev seed`: every case is built by
// the real domain (incident.Decide/Apply through casework.Service.Apply, with the law engine's
// assessments) over a scripted sequence of commands on a fake clock, so its events form a valid
// hash chain and its projections are what replaying the events gives; the store then writes
// batches with COPY. Seeded cases are ordinary cases (the schema has no seed marker, and adding one
// only for benchmarks would be a migration hack).
package seed

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
)

// Actors are the users a seeded case is worked by (created by EnsureUsers).
type Actors struct {
	Staff, Staff2, Manager, Deputy, Officer, HR, HRHead incident.Actor
}

// step is one command of the script, issued gap after the previous one.
type step struct {
	actor func(a *Actors) incident.Actor
	cmd   func(s *script) incident.Command
	gap   time.Duration
}

// script holds one case's varying data and its request ids.
type script struct {
	rng     *rand.Rand
	t0      time.Time // when the case is opened
	title   string
	count   int
	dept    string
	reqs    map[string]int64 // request ids by label
	nextReq func() int64
}

func (s *script) at(d time.Duration) string {
	return s.t0.Add(d).In(incident.JST()).Format("2006-01-02T15:04")
}

func (s *script) day(d time.Duration) string {
	return s.t0.Add(d).In(incident.JST()).Format("2006-01-02")
}

var (
	titles = []string{
		"顧客情報の漏洩（USBメモリの紛失）", "USBメモリの紛失", "顧客名簿を含むノートPCの紛失", "会員データの漏洩のおそれ",
		"委託先での顧客情報の紛失", "申込書類の紛失", "営業資料（顧客一覧）の置き忘れ", "個人情報を含む外付けHDDの紛失",
	}
	depts  = []string{"営業部", "総務部", "経理部", "カスタマーサポート部", "物流センター", "大阪支店", "名古屋支店", "福岡支店"}
	causes = []string{"規程に反し暗号化なしのUSBで持ち帰った", "帰宅途中に電車の網棚へ置き忘れた", "持出し台帳に記録せずに社外へ持ち出した",
		"飲食店に鞄ごと置き忘れた", "委託先の担当者が私物の鞄で運搬した"}
	surnames = []string{"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田"}
	given    = []string{"花子", "一郎", "健", "美咲", "誠", "直樹", "由美", "剛", "翔", "陽子", "大輔", "愛"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (s *script) patch(m map[string]any) incident.Command { return incident.PatchFacts{Patch: m} }

func (s *script) submit(label string, kind incident.RequestKind, st incident.Stage, note string) incident.Command {
	id := s.nextReq()
	s.reqs[label] = id
	return incident.SubmitRequest{RequestID: id, Kind: kind, Stage: st, Note: note}
}

// docRequest asks for the case's document of kind k to be finalised (the builder drafts, freezes
// and stores the version and fills in its reference): filing times need an approved document.
func docRequest(label string, k incident.DocKind) func(*script) incident.Command {
	return func(s *script) incident.Command {
		id := s.nextReq()
		s.reqs[label] = id
		return incident.SubmitRequest{RequestID: id, Kind: incident.KindFinalise, Doc: &incident.DocRef{Kind: k}, Note: "確認をお願いします"}
	}
}

func tick(id string) func(*script) incident.Command {
	return func(*script) incident.Command { return incident.TickChecklist{ItemID: id, Checked: true} }
}

func approve(label, note string) func(*script) incident.Command {
	return func(s *script) incident.Command {
		return incident.Approve{RequestID: s.reqs[label], Note: note}
	}
}

var (
	staff   = func(a *Actors) incident.Actor { return a.Staff }
	staff2  = func(a *Actors) incident.Actor { return a.Staff2 }
	manager = func(a *Actors) incident.Actor { return a.Manager }
	deputy  = func(a *Actors) incident.Actor { return a.Deputy }
	officer = func(a *Actors) incident.Actor { return a.Officer }
	hr      = func(a *Actors) incident.Actor { return a.HR }
	hrHead  = func(a *Actors) incident.Actor { return a.HRHead }
)

// openFacts are the discovery facts the case is opened with (domain.md §6 S2a, varied).
func (s *script) openFacts() map[string]any {
	return map[string]any{
		"recognized_at": s.at(-10 * time.Hour), "reported_to_soumu_at": s.at(-10 * time.Minute),
		"discovery_source": "internal_detection", "report_channel": "phone", "reporter_dept": s.dept,
		"initial_description":  fmt.Sprintf("%sの担当者が%s。対象はおよそ%d件。", s.dept, pick(s.rng, causes), s.count),
		"suspected_route":      "media_lost",
		"suspected_data_items": []any{"name", "address", "phone", "purchase_history"},
		"estimated_count_min":  s.count, "estimated_count_max": s.count, "public_disclosure_possible": true,
		"insider_suspected": "no", "unauthorized_access_suspected": "no",
	}
}

// fullStory is the whole life of a case: all eight stages run and finish, with a send-back and a
// deputy approval on the way, then the case is closed. Cases stop at a random point of it (open
// cases at every stage) or are closed early as "not an incident".
func fullStory() []step {
	h := time.Hour
	m := time.Minute
	d := 24 * h
	p := func(f func(s *script) map[string]any) func(*script) incident.Command {
		return func(s *script) incident.Command { return s.patch(f(s)) }
	}
	sub := func(label string, kind incident.RequestKind, st incident.Stage, note string) func(*script) incident.Command {
		return func(s *script) incident.Command { return s.submit(label, kind, st, note) }
	}
	return []step{
		{staff, p(func(s *script) map[string]any {
			return map[string]any{"containment_ordered_at": s.at(5 * m), "prelim_screen": "reportable",
				"involves_my_number": "no", "exec_notification_decision": "notify_now", "exec_notified_at": s.at(30 * m),
				"first_report_late_reason": "発覚が深夜で翌朝の報告になった"}
		}), 40 * m},
		{staff, tick("discovery.report_to_soumu"), 2 * m},
		{staff, tick("discovery.direct_report_30min"), 2 * m},
		{staff, tick("discovery.evidence_preserved"), 2 * m},
		{staff, tick("discovery.prelim_screen"), 2 * m},
		{staff, sub("g1", incident.KindComplete, incident.StageDiscovery, "第一報の記録完了"), 5 * m},
		{manager, approve("g1", "受理"), 40 * m},
		{staff2, p(func(s *script) map[string]any {
			return map[string]any{"occurred_at": s.at(-14 * h), "occurred_at_precision": "exact",
				"event_types": []any{"leak"}, "certainty": "suspected", "route": "media_lost", "medium": "usb"}
		}), 3 * h},
		{staff2, p(func(s *script) map[string]any {
			return map[string]any{"data_items": []any{"purchase_history", "name", "address", "phone"},
				"data_subject_types": []any{"customer"}, "affected_count": s.count, "encryption": "none"}
		}), 2 * h},
		{staff2, p(func(s *script) map[string]any {
			return map[string]any{"cause_category": "human_error", "cause_actor": "own_employee", "root_cause": pick(s.rng, causes)}
		}), 4 * h},
		{staff2, p(func(s *script) map[string]any {
			return map[string]any{"secondary_damage_exists": "unknown",
				"impact_scope":            fmt.Sprintf("顧客%d名の氏名・住所・電話・購買履歴", s.count),
				"reportability_finding":   "reportable",
				"reportability_rationale": "財産的被害のおそれ・1,000人超の可能性（規則7条）"}
		}), 5 * h},
		{staff2, tick("investigation.basic_facts"), 10 * m},
		{staff2, tick("investigation.four_points"), 10 * m},
		{staff2, tick("investigation.cause_four_angles"), 10 * m},
		{staff2, tick("investigation.staff_interviews"), 10 * m},
		{staff2, tick("investigation.legal_definitions"), 10 * m},
		{staff, p(func(s *script) map[string]any {
			return map[string]any{"police_actions": []any{"lost_property_report"}, "police_station": pick(s.rng, []string{"新宿警察署", "渋谷警察署", "大阪府警曽根崎警察署", "愛知県警中警察署"}),
				"police_filed_at": s.at(26 * h), "police_receipt_no": fmt.Sprintf("R-%06d", s.rng.IntN(1000000))}
		}), 4 * h},
		{staff, tick("police_report.file_report"), 5 * m},
		{staff, sub("pol", incident.KindComplete, incident.StagePoliceReport, ""), 5 * m},
		{staff, p(func(s *script) map[string]any {
			return map[string]any{"exposure_ended_at": s.at(25 * h), "destination_status": "unidentifiable",
				"monitoring_method": "web_search", "monitoring_end_date": s.day(90 * d),
				"return_request_status": "not_applicable", "warning_letter_status": "not_applicable",
				"injunction_status": "not_applicable", "escalation_na_reason": "拾得者不明のため"}
		}), 3 * h},
		{staff, tick("containment.provisional_measures"), 5 * m},
		{staff, tick("containment.identify_destination"), 5 * m},
		{staff, tick("containment.prevent_further_damage"), 5 * m},
		{staff, func(s *script) incident.Command {
			return incident.AddRecord{Kind: incident.RecMonitoring, Values: map[string]any{"date": s.day(2 * d), "searched_where": "web",
				"query": "社名 顧客 流出", "result": "nothing_found"}}
		}, 10 * m},
		{staff, sub("con", incident.KindComplete, incident.StageContainment, ""), 5 * m},
		{manager, approve("pol", "内容を確認した"), 2 * h},
		{deputy, approve("con", "部長出張中のため副部長が確認"), 1 * h},
		{staff, sub("inv1", incident.KindComplete, incident.StageInvestigation, ""), 4 * h},
		{manager, func(s *script) incident.Command {
			return incident.SendBack{RequestID: s.reqs["inv1"], Note: "発生時刻の根拠を追記してください"}
		}, 3 * h},
		{staff2, p(func(s *script) map[string]any {
			return map[string]any{"cause_analysis_notes": "発生時刻は乗車記録から推定"}
		}), 5 * h},
		{staff, sub("inv2", incident.KindComplete, incident.StageInvestigation, ""), 1 * h},
		{manager, approve("inv2", "内容を確認した"), 3 * h},
		{staff, docRequest("doc_prelim", incident.DocReportPrelim), 1 * h},
		{manager, approve("doc_prelim", "速報の記載を確認した"), 1 * h},
		{staff, docRequest("doc_final", incident.DocReportFinal), 1 * h},
		{manager, approve("doc_final", "確報の記載を確認した"), 1 * h},
		{officer, approve("doc_final", "確報を確認"), 1 * h},
		{staff, p(func(s *script) map[string]any {
			return map[string]any{"report_destination": "PPC", "prelim_submitted_at": s.at(2 * d),
				"final_submitted_at": s.at(20 * d), "final_receipt_no": fmt.Sprintf("PPC-%05d", s.rng.IntN(100000)), "supplement_status": "none_needed",
				"recurrence_plan_summary": "実施済み: 注意喚起。予定: USB暗号化（情報システム部）"}
		}), 19 * d},
		{staff, tick("regulator_report.web_form"), 10 * m},
		{staff, sub("reg", incident.KindComplete, incident.StageRegulatorReport, ""), 10 * m},
		{manager, approve("reg", "内容を確認した"), 3 * h},
		{officer, approve("reg", "確報を確認"), 5 * h},
		{staff, docRequest("doc_notice", incident.DocNotice), 1 * h},
		{manager, approve("doc_notice", "通知文を確認した"), 1 * h},
		{staff, p(func(s *script) map[string]any {
			return map[string]any{"notice_decision": "notify_individually", "notice_method": []any{"letter"},
				"notice_started_at": s.at(7 * d), "notice_completed_at": s.at(11 * d),
				"publication_done": false, "publication_omission_reason": "個別通知で足りる",
				"inquiry_desk_opened_at": s.at(7 * d), "inquiry_desk_close_date": s.day(120 * d),
				"compensation_form": "none", "unjust_claims_procedure": "弁護士に相談の上で拒否"}
		}), 1 * d},
		{staff, sub("not", incident.KindComplete, incident.StageCustomerNotice, ""), 1 * h},
		{manager, approve("not", "内容を確認した"), 2 * h},
		{staff, p(func(s *script) map[string]any {
			return map[string]any{"recurrence_plan_summary": "実施済み: 注意喚起。予定: USB暗号化（情報システム部）",
				"effectiveness_review_at": s.day(150 * d)}
		}), 1 * d},
		{staff, tick("recurrence_prevention.measures_four_points"), 10 * m},
		{staff, tick("recurrence_prevention.corrective_action_cycle"), 10 * m},
		{staff, func(s *script) incident.Command {
			return incident.AddRecord{Kind: incident.RecMeasure, Values: map[string]any{"description": "USBメモリの暗号化と持出し申請の徹底",
				"safeguard": "technical", "scope": "company_wide", "owner": "情報システム部長", "due_date": s.day(60 * d), "status": "planned"}}
		}, 10 * m},
		{staff, sub("rec", incident.KindComplete, incident.StageRecurrencePrevention, ""), 10 * m},
		{officer, approve("rec", "内容を確認した"), 4 * h},
		{hr, p(func(s *script) map[string]any {
			return map[string]any{"sanction": "reprimand", "culpability": "negligence", "discipline_decided_at": s.at(31 * d), "accusation_filed": false}
		}), 2 * d},
		{hr, tick("discipline.work_rules"), 10 * m},
		{hr, sub("dis", incident.KindComplete, incident.StageDiscipline, ""), 10 * m},
		{hrHead, approve("dis", "内容を確認した"), 5 * h},
		{manager, sub("close", incident.KindClose, "", "全段階完了"), 1 * d},
		{officer, approve("close", "内容を確認した"), 4 * h},
	}
}

// notIncident closes a case early as "not an incident" (the stick was found in the office).
func notIncident() []step {
	return []step{
		{staff2, func(s *script) incident.Command {
			return s.submit("cni", incident.KindCloseNotIncident, "", "USBは社内で発見。持出しの事実なし")
		}, 6 * time.Hour},
		{manager, approve("cni", "内容を確認した"), 2 * time.Hour},
		{officer, approve("cni", "内容を確認した"), 3 * time.Hour},
	}
}
