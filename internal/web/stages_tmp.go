package web

import (
	"net/http"

	"github.com/leakdesk/leakdesk/internal/web/view"
)

// stageOptions lists the eight stages for filters.
var stageOptions = []view.Option{
	{Value: "discovery", JA: "発見・第一報", EN: "Discovery"},
	{Value: "investigation", JA: "調査・原因究明・影響範囲", EN: "Investigation"},
	{Value: "police_report", JA: "被害届・紛失届・捜査協力", EN: "Police"},
	{Value: "containment", JA: "被害拡大防止", EN: "Containment"},
	{Value: "customer_notice", JA: "本人通知・公表", EN: "Customer notice"},
	{Value: "regulator_report", JA: "個人情報保護委員会への報告", EN: "Regulator report"},
	{Value: "recurrence_prevention", JA: "再発防止策", EN: "Recurrence prevention"},
	{Value: "discipline", JA: "懲戒処分・告発", EN: "Discipline"},
}

// canOpenCase is false until the case engine's pages exist.
func (s *Server) canOpenCase(*http.Request) bool { return false }
