package collection

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Legal procedures (procédures judiciaires, إجراءات قانونية) of a debt.
//
// A procedure is opened on a debt in status legal (reached only through an
// approved escalate_legal proposal) and then moves through steps, each an
// event with its date, its documents and, for some, typed details. The
// steps of each kind of procedure follow a fixed order, the step machine
// below; a step out of order is rejected with the procedure's current step
// and the steps allowed next.
//
// The machine (→ lists the steps allowed next; "closed" is allowed from
// every step of every kind, and is the only step after the ones marked
// "(closed only)"):
//
//	kind                 current step            next steps
//	-------------------  ----------------------  ------------------------------------------
//	formal_notice        (opened)                sent, served
//	(mise en demeure)    sent                    served
//	                     served                  (closed only)
//	payment_order        (opened)                filed
//	(injonction de       filed                   served
//	payer)               served                  contested, enforcement_started
//	                     contested               hearing_scheduled
//	                     hearing_scheduled       hearing_scheduled, judgment
//	                     judgment                appeal, enforcement_started (not after a judgment lost)
//	                     appeal                  hearing_scheduled
//	                     enforcement_started     enforcement_completed
//	                     enforcement_completed   (closed only)
//	summary_proceedings  (opened)                filed
//	(référé) and         filed                   served, hearing_scheduled
//	lawsuit              served                  hearing_scheduled
//	(action au fond)     hearing_scheduled       hearing_scheduled, judgment
//	                     judgment                appeal, enforcement_started (not after a judgment lost)
//	                     appeal                  hearing_scheduled
//	                     enforcement_started     enforcement_completed
//	                     enforcement_completed   (closed only)
//	enforcement          (opened)                served, enforcement_started
//	(exécution d'un      served                  enforcement_started
//	titre exécutoire)    enforcement_started     enforcement_completed
//	                     enforcement_completed   (closed only)
//
// Notes on the machine:
//
//   - A formal notice is extrajudicial. It may be sent (posted, handed to
//     the bailiff) and then served, or served directly by a bailiff.
//   - A payment order is asked of the court's president by a request
//     (filed) and served on the debtor, who pays, contests it (opposition,
//     which brings the case to a hearing) or lets it become enforceable.
//     The president's refusal of the order is recorded by closing the
//     procedure with the outcome lost.
//   - hearing_scheduled repeats: a postponement (renvoi) schedules the next
//     hearing, which replaces the previous one.
//   - A judgment's outcome is the creditor's: won, lost or partial. A
//     judgment lost cannot be enforced: it is appealed or the procedure is
//     closed. An appeal (at the court of appeal, which may bring a new
//     court, section and case number) goes to a hearing and a new judgment;
//     an appeal after an appeal's judgment records a pourvoi en cassation.
//   - enforcement is the forced execution of a title the creditor already
//     holds (a judgment obtained elsewhere, a protested cheque, a notarial
//     deed): a commandement de payer is served, then the bailiff executes.
//   - closed ends the procedure with an outcome (LegalOutcomes): the debt
//     was paid, a settlement ended it, the creditor withdrew, another
//     procedure took over (escalated)... A closed procedure accepts no more
//     steps. Closing a procedure does not change the debt's status, and a
//     debt's status does not close its procedures: both are staff's
//     decisions. Once the debt itself is closed (recovered, written off,
//     withdrawn, uncollectible), its procedures only accept a closing step.
//
// Each step's date is not before the previous step's (the procedure's
// opening date for the first step) nor after the day it is recorded: a
// step is a fact that happened. A judgment is not dated before the last
// hearing scheduled.
//
// A step may carry a legal cost (court fees, the bailiff's or lawyer's
// fees): it is added to the debt's fees by a ChargeAdded of kind legal_cost
// in the same decision, so the balance follows.
//
// Bailiffs, lawyers and courts are named in clear: they are officers of
// justice acting in their profession, not persons this system keeps data
// about. The debtor's personal data has no place in these fields or in the
// notes.

// Kinds of legal procedure. A kind is stored in events: renaming one needs
// an upcaster.
const (
	LegalKindFormalNotice       = "formal_notice"       // mise en demeure, إعذار
	LegalKindPaymentOrder       = "payment_order"       // injonction de payer, أمر بالأداء
	LegalKindSummaryProceedings = "summary_proceedings" // référé, قضاء استعجالي
	LegalKindLawsuit            = "lawsuit"             // action au fond, دعوى قضائية
	LegalKindEnforcement        = "enforcement"         // exécution forcée, تنفيذ جبري
)

// Steps of a legal procedure. LegalStepOpened is no step: it is where a
// procedure stands before its first step.
const (
	LegalStepOpened               = "opened"
	LegalStepSent                 = "sent"
	LegalStepServed               = "served"
	LegalStepFiled                = "filed"
	LegalStepContested            = "contested"
	LegalStepHearingScheduled     = "hearing_scheduled"
	LegalStepJudgment             = "judgment"
	LegalStepAppeal               = "appeal"
	LegalStepEnforcementStarted   = "enforcement_started"
	LegalStepEnforcementCompleted = "enforcement_completed"
	LegalStepClosed               = "closed"
)

// Outcomes of a judgment, for the creditor.
const (
	JudgmentWon     = "won"
	JudgmentLost    = "lost"
	JudgmentPartial = "partial"
)

// Outcomes of a closed procedure.
const (
	LegalOutcomePaid          = "paid"          // the debtor paid what was claimed
	LegalOutcomeSettled       = "settled"       // an agreement ended the procedure
	LegalOutcomeEnforced      = "enforced"      // recovered by forced execution
	LegalOutcomeLost          = "lost"          // the court ruled against the creditor, and no remedy is pursued
	LegalOutcomeWithdrawn     = "withdrawn"     // désistement: the creditor gave the procedure up
	LegalOutcomeEscalated     = "escalated"     // another procedure took over (an unanswered notice, then a payment order)
	LegalOutcomeUncollectible = "uncollectible" // execution failed: the debtor is insolvent or cannot be found
)

// Limits of a legal procedure's fields, in runes (or items).
const (
	MaxLegalCourtLength      = 200
	MaxLegalSectionLength    = 100
	MaxLegalCaseNumberLength = 64
	MaxLegalPersonLength     = 200 // a bailiff's or a lawyer's name and office
	MaxLegalRoomLength       = 64
	MaxLegalNoteLength       = 2000
	MaxLegalDocuments        = 20
	// MaxLegalSteps bounds the steps of one procedure (hearings repeat):
	// the decider keeps every debt in memory.
	MaxLegalSteps = 200
)

var (
	legalKinds = []string{
		LegalKindFormalNotice, LegalKindPaymentOrder, LegalKindSummaryProceedings, LegalKindLawsuit, LegalKindEnforcement,
	}
	legalSteps = []string{
		LegalStepSent, LegalStepServed, LegalStepFiled, LegalStepContested, LegalStepHearingScheduled, LegalStepJudgment,
		LegalStepAppeal, LegalStepEnforcementStarted, LegalStepEnforcementCompleted, LegalStepClosed,
	}
	judgmentOutcomes = []string{JudgmentWon, JudgmentLost, JudgmentPartial}
	legalOutcomes    = []string{
		LegalOutcomePaid, LegalOutcomeSettled, LegalOutcomeEnforced, LegalOutcomeLost, LegalOutcomeWithdrawn,
		LegalOutcomeEscalated, LegalOutcomeUncollectible,
	}
)

// courtProcedure is the machine shared by summary proceedings and lawsuits.
var courtProcedure = map[string][]string{
	LegalStepOpened:               {LegalStepFiled},
	LegalStepFiled:                {LegalStepServed, LegalStepHearingScheduled},
	LegalStepServed:               {LegalStepHearingScheduled},
	LegalStepHearingScheduled:     {LegalStepHearingScheduled, LegalStepJudgment},
	LegalStepJudgment:             {LegalStepAppeal, LegalStepEnforcementStarted},
	LegalStepAppeal:               {LegalStepHearingScheduled},
	LegalStepEnforcementStarted:   {LegalStepEnforcementCompleted},
	LegalStepEnforcementCompleted: {},
}

// legalMachine is the step machine as data: kind → current step → the
// steps allowed next, closed aside (always allowed). The table in this
// file's comment is this map; TestLegalStepMachine writes it out again.
var legalMachine = map[string]map[string][]string{
	LegalKindFormalNotice: {
		LegalStepOpened: {LegalStepSent, LegalStepServed},
		LegalStepSent:   {LegalStepServed},
		LegalStepServed: {},
	},
	LegalKindPaymentOrder: {
		LegalStepOpened:               {LegalStepFiled},
		LegalStepFiled:                {LegalStepServed},
		LegalStepServed:               {LegalStepContested, LegalStepEnforcementStarted},
		LegalStepContested:            {LegalStepHearingScheduled},
		LegalStepHearingScheduled:     {LegalStepHearingScheduled, LegalStepJudgment},
		LegalStepJudgment:             {LegalStepAppeal, LegalStepEnforcementStarted},
		LegalStepAppeal:               {LegalStepHearingScheduled},
		LegalStepEnforcementStarted:   {LegalStepEnforcementCompleted},
		LegalStepEnforcementCompleted: {},
	},
	LegalKindSummaryProceedings: courtProcedure,
	LegalKindLawsuit:            courtProcedure,
	LegalKindEnforcement: {
		LegalStepOpened:               {LegalStepServed, LegalStepEnforcementStarted},
		LegalStepServed:               {LegalStepEnforcementStarted},
		LegalStepEnforcementStarted:   {LegalStepEnforcementCompleted},
		LegalStepEnforcementCompleted: {},
	},
}

// LegalKinds lists the kinds of legal procedure (a copy).
func LegalKinds() []string { return slices.Clone(legalKinds) }

// LegalSteps lists the steps of legal procedures (a copy).
func LegalSteps() []string { return slices.Clone(legalSteps) }

// JudgmentOutcomes lists the outcomes of a judgment (a copy).
func JudgmentOutcomes() []string { return slices.Clone(judgmentOutcomes) }

// LegalOutcomes lists the outcomes of a closed procedure (a copy).
func LegalOutcomes() []string { return slices.Clone(legalOutcomes) }

// LegalNextSteps lists the steps a procedure of kind may take after step
// (LegalStepOpened before its first), closed included, in the machine's
// order; judgment is the outcome of its last judgment, if any. A closed
// procedure, or an unknown kind or step, has none.
func LegalNextSteps(kind, step, judgment string) []string {
	next, ok := legalMachine[kind][step]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(next)+1)
	for _, n := range next {
		// A judgment lost is not enforced: it is appealed, or the
		// procedure ends.
		if step == LegalStepJudgment && judgment == JudgmentLost && n == LegalStepEnforcementStarted {
			continue
		}
		out = append(out, n)
	}
	return append(out, LegalStepClosed)
}

// Where a deadline starts to run.
const (
	LegalFromStepDate = "step_date"  // the step's date (a service, a judgment)
	LegalFromHearing  = "hearing_on" // the hearing date of a hearing_scheduled step
)

// When a judgment's deadline rule applies.
const (
	LegalFirstInstance = "first_instance" // no appeal recorded yet
	LegalOnAppeal      = "on_appeal"      // after an appeal: the judgment of the court of appeal
)

// LegalDeadlineRule says which deadline a step starts: for procedures of
// Kinds, the step Step starts Deadline, counted from From (the step's date
// or its hearing date) with Calendar.DeadlineFrom. The deadline ends, met or
// moot, when one of EndedBy is recorded; closing the procedure ends all of
// its deadlines. Instance restricts a judgment's rule to first instance or
// appeal ("" for both). Basis says where the rule comes from, for people.
type LegalDeadlineRule struct {
	Kinds    []string `json:"kinds"`
	Step     string   `json:"step"`
	Instance string   `json:"instance,omitempty"`
	From     string   `json:"from"`
	Deadline Deadline `json:"deadline"`
	EndedBy  []string `json:"ended_by"`
	Basis    string   `json:"basis"`
}

// legalDeadlineRules is the configuration of legal deadlines: data, read
// by the decider when a step is recorded. Each rule is a legal judgement
// (how long, in calendar or business days, franc or not, counted from
// what) that ADC's counsel must confirm before it is relied on; the basis
// given is our reading, not advice. Changing a rule changes the deadlines
// of steps recorded afterwards only: a step's deadlines are recorded in its
// event, as computed that day, so history never moves.
//
// Simplifications, on the side of caution (a deadline shown earlier than
// the law's, never later):
//
//   - The appeal deadlines run from the judgment's date, where the law
//     counts from its service (signification), which is later.
//   - "One month" and "two months" are kept as 30 and 60 days, which is
//     earlier than the calendar month except when February is inside.
//   - The delay of a formal notice is the one the notice grants: 15 days is
//     the usual wording ("dans un délai de quinze jours"), 8 days is also
//     seen; change the rule if ADC's notices say otherwise.
var legalDeadlineRules = []LegalDeadlineRule{
	{
		Kinds: []string{LegalKindFormalNotice}, Step: LegalStepServed, From: LegalFromStepDate,
		Deadline: Deadline{Name: "pay", Days: 15}, EndedBy: nil,
		Basis: "the delay the formal notice grants (Code civil, art. 180: mise en demeure); not a procedural delay, so not franc",
	},
	{
		Kinds: []string{LegalKindPaymentOrder}, Step: LegalStepServed, From: LegalFromStepDate,
		Deadline: Deadline{Name: "pay", Days: 15, Franc: true},
		EndedBy:  []string{LegalStepContested, LegalStepEnforcementStarted},
		Basis:    "CPCA (loi 08-09), injonction de payer, art. 306 s.: the order served summons the debtor to pay within 15 days",
	},
	{
		Kinds: []string{LegalKindPaymentOrder}, Step: LegalStepServed, From: LegalFromStepDate,
		Deadline: Deadline{Name: "contest", Days: 15, Franc: true},
		EndedBy:  []string{LegalStepContested, LegalStepEnforcementStarted},
		Basis:    "CPCA, injonction de payer, art. 306 s.: opposition within 15 days of service; after it, the order is enforceable",
	},
	{
		Kinds: []string{LegalKindEnforcement}, Step: LegalStepServed, From: LegalFromStepDate,
		Deadline: Deadline{Name: "pay", Days: 15, Franc: true},
		EndedBy:  []string{LegalStepEnforcementStarted},
		Basis:    "CPCA, art. 612: the commandement de payer gives 15 days before forced execution",
	},
	{
		Kinds: []string{LegalKindPaymentOrder, LegalKindSummaryProceedings, LegalKindLawsuit}, Step: LegalStepHearingScheduled,
		From: LegalFromHearing, Deadline: Deadline{Name: "hearing", Days: 0},
		EndedBy: []string{LegalStepHearingScheduled, LegalStepJudgment},
		Basis:   "the hearing itself (a later hearing_scheduled is a postponement and replaces it)",
	},
	{
		Kinds: []string{LegalKindPaymentOrder, LegalKindLawsuit}, Step: LegalStepJudgment, Instance: LegalFirstInstance,
		From: LegalFromStepDate, Deadline: Deadline{Name: "appeal", Days: 30, Franc: true},
		EndedBy: []string{LegalStepAppeal},
		Basis:   "CPCA, art. 336: appeal within one month of the judgment's service",
	},
	{
		Kinds: []string{LegalKindSummaryProceedings}, Step: LegalStepJudgment, Instance: LegalFirstInstance,
		From: LegalFromStepDate, Deadline: Deadline{Name: "appeal", Days: 15, Franc: true},
		EndedBy: []string{LegalStepAppeal},
		Basis:   "CPCA, art. 304: appeal of an ordonnance de référé within 15 days of its service",
	},
	{
		Kinds: []string{LegalKindPaymentOrder, LegalKindSummaryProceedings, LegalKindLawsuit}, Step: LegalStepJudgment,
		Instance: LegalOnAppeal, From: LegalFromStepDate, Deadline: Deadline{Name: "cassation", Days: 60, Franc: true},
		EndedBy: []string{LegalStepAppeal},
		Basis:   "CPCA, art. 354: pourvoi en cassation within two months of the decision's service",
	},
}

// LegalDeadlineRules returns the configured deadline rules (a deep copy).
func LegalDeadlineRules() []LegalDeadlineRule {
	out := make([]LegalDeadlineRule, len(legalDeadlineRules))
	for i, r := range legalDeadlineRules {
		r.Kinds, r.EndedBy = slices.Clone(r.Kinds), slices.Clone(r.EndedBy)
		out[i] = r
	}
	return out
}

// LegalDeadline is a deadline a step started: Name ("pay", "contest",
// "hearing", "appeal", "cassation"), counted from From for Days (business
// days if Business, franc if Franc), last day Due. Seq is the number of the
// step that started it within its procedure.
type LegalDeadline struct {
	Seq      int    `json:"seq"`
	Name     string `json:"name"`
	From     Date   `json:"from"`
	Due      Date   `json:"due"`
	Days     int    `json:"days"`
	Business bool   `json:"business,omitempty"`
	Franc    bool   `json:"franc,omitempty"`
}

// LegalDeadlineRef names a deadline of a procedure: the step that started
// it and its name.
type LegalDeadlineRef struct {
	Seq  int    `json:"seq"`
	Name string `json:"name"`
}

// LegalCalendar is the business calendar legal deadlines are computed on:
// the fixed national holidays (DefaultHolidays) of each year from the
// earliest start to a year after the latest, and the configured holidays
// (the Islamic ones as announced).
func LegalCalendar(holidays []Date, starts ...Date) Calendar {
	all := slices.Clone(holidays)
	seen := map[int]bool{}
	for _, d := range starts {
		if d.IsZero() {
			continue
		}
		for _, y := range []int{d.Time().Year(), d.Time().Year() + 1} {
			if !seen[y] {
				seen[y] = true
				all = append(all, DefaultHolidays(y)...)
			}
		}
	}
	return NewCalendar(all)
}

// OpenLegalProcedure opens a legal procedure of Kind on a debt in status
// legal. Court is required but for a formal notice (extrajudicial);
// ClaimedAmount (centimes) is what the procedure claims, which may exceed
// the balance (interest, damages). OpenedOn is not after Today, the date
// in Algiers when the command is built (the decider has no clock).
type OpenLegalProcedure struct {
	ID            string `json:"id"`
	ProcedureID   string `json:"procedure_id"`
	Kind          string `json:"kind"`
	Court         string `json:"court,omitempty"`
	Section       string `json:"section,omitempty"`
	CaseNumber    string `json:"case_number,omitempty"`
	Bailiff       string `json:"bailiff,omitempty"`
	Lawyer        string `json:"lawyer,omitempty"`
	ClaimedAmount int64  `json:"claimed_amount"`
	OpenedOn      Date   `json:"opened_on"`
	Today         Date   `json:"today"`
	By            string `json:"by"`
}

// LegalStepDetails are the typed fields of a step; each step takes its own
// and refuses the others (see checkLegalDetails):
//
//   - hearing_scheduled: HearingOn (required, a business day, not before
//     the step's date) and Room (the court room, optional);
//   - judgment: Outcome (won, lost or partial, required) and AmountAwarded
//     (centimes; required for won and partial, absent for lost);
//   - closed: Outcome (one of LegalOutcomes, required);
//   - filed and appeal: Court, Section and CaseNumber, optional, which
//     replace the procedure's (an appeal goes to the court of appeal);
//   - every step: Note, optional, sealed since schema version 2 (below).
//
// The note is free text about the debtor's case, so it is sealed in the
// record's Personal (DebtPersonal.LegalNote) under the debtor's data key,
// checked before by the API (LegalStepInput.Validate); Note is the note
// in clear of a version 1 record. The other details are short facts of the
// court's and stay in clear.
type LegalStepDetails struct {
	HearingOn     Date   `json:"hearing_on,omitzero"`
	Room          string `json:"room,omitempty"`
	Outcome       string `json:"outcome,omitempty"`
	AmountAwarded int64  `json:"amount_awarded,omitempty"`
	Court         string `json:"court,omitempty"`
	Section       string `json:"section,omitempty"`
	CaseNumber    string `json:"case_number,omitempty"`
	Note          string `json:"note,omitempty"`
}

// RecordLegalStep records a step of a legal procedure of the debt, on its
// date On, with its documents (ids of stored documents) and an optional
// legal Cost in centimes, which is added to the debt's fees. StepID names
// the step; it is also the id of the charge a cost adds. Today is the date
// in Algiers when the command is built and Holidays the configured public
// holidays beyond DefaultHolidays: the caller's facts, as for SetPlan.
// The note, optional, is sealed in Personal (DebtPersonal.LegalNote) under
// the debtor's data key; Details.Note is the note in clear of a version 1
// record.
type RecordLegalStep struct {
	ID          string           `json:"id"`
	ProcedureID string           `json:"procedure_id"`
	StepID      string           `json:"step_id"`
	Step        string           `json:"step"`
	On          Date             `json:"on"`
	Details     LegalStepDetails `json:"details,omitzero"`
	DocumentIDs []string         `json:"document_ids,omitempty"`
	Cost        int64            `json:"cost,omitempty"`
	Today       Date             `json:"today"`
	Holidays    []Date           `json:"holidays,omitempty"`
	By          string           `json:"by"`
	Personal    Sealed           `json:"-"`
}

// LegalProcedureOpened records a procedure opened on a debt in status legal.
type LegalProcedureOpened struct {
	ID            string `json:"id"`
	ProcedureID   string `json:"procedure_id"`
	Kind          string `json:"kind"`
	Court         string `json:"court,omitempty"`
	Section       string `json:"section,omitempty"`
	CaseNumber    string `json:"case_number,omitempty"`
	Bailiff       string `json:"bailiff,omitempty"`
	Lawyer        string `json:"lawyer,omitempty"`
	ClaimedAmount int64  `json:"claimed_amount"`
	OpenedOn      Date   `json:"opened_on"`
	By            string `json:"by"`
}

// LegalStepRecorded records a step, the Seq-th of its procedure. Deadlines
// are the deadlines it starts, computed when it was recorded (see
// legalDeadlineRules); Ends names the earlier deadlines it ends, met or
// moot (all of them when the step is closed). A Cost is added to the debt
// by a ChargeAdded (kind legal_cost, ChargeID the StepID) that follows in
// the same decision. Its note, if any, is sealed in Personal
// (DebtPersonal.LegalNote); Details.Note is the note in clear of a
// version 1 record.
type LegalStepRecorded struct {
	ID          string             `json:"id"`
	ProcedureID string             `json:"procedure_id"`
	StepID      string             `json:"step_id"`
	Seq         int                `json:"seq"`
	Step        string             `json:"step"`
	On          Date               `json:"on"`
	Details     LegalStepDetails   `json:"details,omitzero"`
	DocumentIDs []string           `json:"document_ids,omitempty"`
	Cost        int64              `json:"cost,omitempty"`
	Deadlines   []LegalDeadline    `json:"deadlines,omitempty"`
	Ends        []LegalDeadlineRef `json:"ends,omitempty"`
	By          string             `json:"by"`
	Personal    Sealed             `json:"-"`
}

func (OpenLegalProcedure) CommandType() string { return "debt.open_legal_procedure" }
func (RecordLegalStep) CommandType() string    { return "debt.record_legal_step" }

func (OpenLegalProcedure) Aggregate() AggregateType { return DebtAggregate }
func (RecordLegalStep) Aggregate() AggregateType    { return DebtAggregate }

func (LegalProcedureOpened) EventType() string { return "debt.legal_procedure_opened" }
func (LegalStepRecorded) EventType() string    { return "debt.legal_step_recorded" }

func (LegalProcedureOpened) Aggregate() AggregateType { return DebtAggregate }
func (LegalStepRecorded) Aggregate() AggregateType    { return DebtAggregate }

func (c RecordLegalStep) PersonalPart() Sealed   { return c.Personal }
func (e LegalStepRecorded) PersonalPart() Sealed { return e.Personal }

// ClearText implements DebtTextCarrier.
func (e LegalStepRecorded) ClearText() DebtPersonal { return DebtPersonal{LegalNote: e.Details.Note} }

// LegalProcedure is a legal procedure as the debt's state keeps it.
type LegalProcedure struct {
	ID         string
	Kind       string
	Court      string
	Section    string
	CaseNumber string
	// Step is the last step recorded, LegalStepOpened before the first;
	// StepOn its date (OpenedOn before the first) and Steps their number.
	Step     string
	StepOn   Date
	Steps    int
	OpenedOn Date
	// Judgment is the outcome of the last judgment, Appealed whether an
	// appeal was recorded, LastHearingOn the last hearing scheduled.
	Judgment      string
	Appealed      bool
	LastHearingOn Date
	// Outcome is set once the procedure is closed.
	Outcome string
	// Deadlines are the deadlines still running, in the order they started.
	Deadlines []LegalDeadline
	// Costs is the sum of the legal costs its steps added.
	Costs int64
}

// Closed reports whether the procedure is closed.
func (p LegalProcedure) Closed() bool { return p.Step == LegalStepClosed }

// NextSteps lists the steps the procedure may take next (none once closed).
func (p LegalProcedure) NextSteps() []string { return LegalNextSteps(p.Kind, p.Step, p.Judgment) }

// debtLegal is what the debt's state keeps of its legal procedures, and
// every step id used.
type debtLegal struct {
	procedures map[string]LegalProcedure
	stepIDs    map[string]struct{}
}

// LegalProcedure returns one legal procedure of the debt.
func (s DebtState) LegalProcedure(id string) (LegalProcedure, bool) {
	p, ok := s.legal.procedures[id]
	p.Deadlines = slices.Clone(p.Deadlines)
	return p, ok
}

// LegalProcedures lists the debt's legal procedures by id (UUIDv7 ids
// sort by opening time).
func (s DebtState) LegalProcedures() []LegalProcedure {
	out := make([]LegalProcedure, 0, len(s.legal.procedures))
	for _, p := range s.legal.procedures {
		p.Deadlines = slices.Clone(p.Deadlines)
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b LegalProcedure) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func decideOpenLegalProcedure(s DebtState, c OpenLegalProcedure) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "procedure_id", c.ProcedureID)
	checkLegalProcedureFields(&fe, c)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if s.Status != DebtStatusLegal {
		return nil, Reject(CodeWrongStatus, fmt.Sprintf(
			"debt %s is %s; a legal procedure is opened on a debt in status legal only (an escalation to legal needs an approved escalate_legal proposal)",
			s.ID, s.Status))
	}
	if _, dup := s.legal.procedures[c.ProcedureID]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("legal procedure %s already exists on debt %s", c.ProcedureID, s.ID))
	}
	return []Event{LegalProcedureOpened{
		ID: c.ID, ProcedureID: c.ProcedureID, Kind: c.Kind, Court: c.Court, Section: c.Section, CaseNumber: c.CaseNumber,
		Bailiff: c.Bailiff, Lawyer: c.Lawyer, ClaimedAmount: c.ClaimedAmount, OpenedOn: c.OpenedOn, By: c.By,
	}}, nil
}

// checkLegalProcedureFields checks what a new procedure says of itself.
func checkLegalProcedureFields(fe *FieldErrors, c OpenLegalProcedure) {
	kindOK := debtOneOf(fe, "kind", c.Kind, legalKinds)
	if kindOK && c.Kind != LegalKindFormalNotice && c.Court == "" {
		fe.Add("court", "is required: the court (tribunal) the procedure is brought before")
	} else {
		debtText(fe, "court", c.Court, MaxLegalCourtLength, false, false)
	}
	debtText(fe, "section", c.Section, MaxLegalSectionLength, false, false)
	debtText(fe, "case_number", c.CaseNumber, MaxLegalCaseNumberLength, false, false)
	debtText(fe, "bailiff", c.Bailiff, MaxLegalPersonLength, false, false)
	debtText(fe, "lawyer", c.Lawyer, MaxLegalPersonLength, false, false)
	checkDebtAmount(fe, "claimed_amount", c.ClaimedAmount)
	checkLegalDate(fe, "opened_on", c.OpenedOn, c.Today)
	if c.Today.IsZero() {
		fe.Add("today", "is required: the date in Algiers when the command is built")
	}
}

// checkLegalDate requires a date not after today (when today is known).
func checkLegalDate(fe *FieldErrors, field string, d, today Date) {
	switch {
	case d.IsZero():
		fe.Add(field, "is required")
	case !today.IsZero() && d.After(today):
		fe.Add(field, fmt.Sprintf("is in the future (today is %s); record a step once it happened", today))
	}
}

func decideRecordLegalStep(s DebtState, c RecordLegalStep) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "procedure_id", c.ProcedureID)
	checkCanonicalUUID(&fe, "step_id", c.StepID)
	checkLegalStepFields(&fe, c)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	p, ok := s.legal.procedures[c.ProcedureID]
	if !ok {
		return nil, Reject(CodeNotFound, fmt.Sprintf("legal procedure %s does not exist on debt %s", c.ProcedureID, s.ID))
	}
	if p.Closed() {
		return nil, Reject(CodeWrongStatus, fmt.Sprintf(
			"legal procedure %s (%s) is closed (outcome %s); a closed procedure accepts no more steps", p.ID, p.Kind, p.Outcome))
	}
	if !IsOpenDebtStatus(s.Status) && c.Step != LegalStepClosed {
		return nil, Reject(CodeWrongStatus, fmt.Sprintf(
			"debt %s is %s, which is closed; its legal procedure %s can only be closed", s.ID, s.Status, p.ID))
	}
	if next := p.NextSteps(); !slices.Contains(next, c.Step) {
		return nil, Reject(CodeWrongStatus, wrongLegalStep(p, c.Step))
	}
	if _, dup := s.legal.stepIDs[c.StepID]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("step %s is already recorded on debt %s", c.StepID, s.ID))
	}
	if p.Steps >= MaxLegalSteps {
		return nil, Reject(CodeInvalid, fmt.Sprintf("legal procedure %s has %d steps, the most one procedure keeps", p.ID, MaxLegalSteps))
	}
	if c.On.Before(p.StepOn) {
		prev := "the procedure's opening on " + p.StepOn.String()
		if p.Steps > 0 {
			prev = "its previous step, " + p.Step + " on " + p.StepOn.String()
		}
		return nil, Reject(CodeInvalid, "the step is dated before the procedure's previous step",
			FieldError{"on", "must not be before " + prev})
	}
	if c.Step == LegalStepJudgment && !p.LastHearingOn.IsZero() && c.On.Before(p.LastHearingOn) {
		return nil, Reject(CodeInvalid, "the judgment is dated before its hearing",
			FieldError{"on", "must not be before the last hearing, on " + p.LastHearingOn.String()})
	}
	if c.Cost > 0 {
		if err := debtMustBeOpen(s, "a legal cost is added to an open debt only"); err != nil {
			return nil, err
		}
		if _, dup := s.chargeIDs[c.StepID]; dup {
			return nil, Reject(CodeAlreadyExists, fmt.Sprintf("charge %s is already added to debt %s", c.StepID, s.ID))
		}
		if total := s.principal + s.fees + s.charges; c.Cost > MaxDebtAmount-total {
			return nil, Reject(CodeInvalid, "the legal cost would bring the debt above its maximum",
				FieldError{"cost", fmt.Sprintf("would bring the debt's total above %s", dzd(MaxDebtAmount))})
		}
	}
	seq := p.Steps + 1
	e := LegalStepRecorded{
		ID: c.ID, ProcedureID: c.ProcedureID, StepID: c.StepID, Seq: seq, Step: c.Step, On: c.On, Details: c.Details,
		DocumentIDs: slices.Clone(c.DocumentIDs), Cost: c.Cost, By: c.By, Personal: c.Personal,
	}
	e.Ends = legalDeadlinesEnded(p, c.Step)
	e.Deadlines = legalDeadlinesStarted(p, c, seq)
	evs := []Event{e}
	if c.Cost > 0 {
		evs = append(evs, ChargeAdded{ID: c.ID, ChargeID: c.StepID, Kind: ChargeKindLegalCost, Amount: c.Cost,
			Reason: fmt.Sprintf("legal cost: %s of %s procedure %s", c.Step, p.Kind, p.ID), On: c.On, By: c.By})
	}
	return evs, nil
}

// wrongLegalStep says why a step cannot be recorded: where the procedure
// stands and what may come next.
func wrongLegalStep(p LegalProcedure, step string) string {
	at := "is at step " + p.Step
	switch {
	case p.Steps == 0:
		at = "has no step yet"
	case p.Step == LegalStepJudgment && p.Judgment != "":
		at += " (" + p.Judgment + ")"
	}
	msg := fmt.Sprintf("legal procedure %s (%s) %s; its next step can be %s, not %s",
		p.ID, p.Kind, at, orList(p.NextSteps()), step)
	if p.Step == LegalStepJudgment && p.Judgment == JudgmentLost && step == LegalStepEnforcementStarted {
		msg += " (a judgment lost is not enforced: appeal it or close the procedure)"
	}
	return msg
}

// checkLegalStepFields checks a step's own fields, all problems at once:
// what does not depend on the procedure's state.
func checkLegalStepFields(fe *FieldErrors, c RecordLegalStep) {
	stepOK := debtOneOf(fe, "step", c.Step, legalSteps)
	checkLegalDate(fe, "on", c.On, c.Today)
	if c.Today.IsZero() {
		fe.Add("today", "is required: the date in Algiers when the command is built")
	}
	if stepOK {
		checkLegalDetails(fe, c.Step, c.On, c.Details, c.Personal, LegalCalendar(c.Holidays, c.Details.HearingOn))
	}
	checkLegalDocuments(fe, c.DocumentIDs)
	switch {
	case c.Cost < 0:
		fe.Add("cost", "cannot be negative (0 or absent: no cost)")
	case c.Cost > MaxDebtAmount:
		fe.Add("cost", fmt.Sprintf("must be at most %s", dzd(MaxDebtAmount)))
	}
}

// checkLegalDetails checks the typed fields of a step: each step takes
// its own (see LegalStepDetails) and refuses the others. The note is
// sealed, the step's personal part, or in clear (a command of version 1).
func checkLegalDetails(fe *FieldErrors, step string, on Date, d LegalStepDetails, sealedNote Sealed, cal Calendar) {
	only := func(field string, set bool, steps ...string) {
		if set && !slices.Contains(steps, step) {
			fe.Add("details."+field, "only a "+orList(steps)+" step has "+field)
		}
	}
	only("hearing_on", !d.HearingOn.IsZero(), LegalStepHearingScheduled)
	only("room", d.Room != "", LegalStepHearingScheduled)
	only("outcome", d.Outcome != "", LegalStepJudgment, LegalStepClosed)
	only("amount_awarded", d.AmountAwarded != 0, LegalStepJudgment)
	only("court", d.Court != "", LegalStepFiled, LegalStepAppeal)
	only("section", d.Section != "", LegalStepFiled, LegalStepAppeal)
	only("case_number", d.CaseNumber != "", LegalStepFiled, LegalStepAppeal)
	checkDebtText(fe, "details.note", d.Note, sealedNote, MaxLegalNoteLength, false, true)
	switch step {
	case LegalStepHearingScheduled:
		switch {
		case d.HearingOn.IsZero():
			fe.Add("details.hearing_on", "is required: the date of the hearing")
		case !on.IsZero() && d.HearingOn.Before(on):
			fe.Add("details.hearing_on", "must not be before the step's date ("+on.String()+")")
		case IsWeekend(d.HearingOn):
			fe.Add("details.hearing_on", "is a "+d.HearingOn.Weekday().String()+": courts do not sit on the weekend")
		case cal.IsHoliday(d.HearingOn):
			fe.Add("details.hearing_on", "is a public holiday: courts do not sit")
		}
		debtText(fe, "details.room", d.Room, MaxLegalRoomLength, false, false)
	case LegalStepJudgment:
		if debtOneOf(fe, "details.outcome", d.Outcome, judgmentOutcomes) {
			if d.Outcome == JudgmentLost {
				if d.AmountAwarded != 0 {
					fe.Add("details.amount_awarded", "must be absent when the judgment is lost")
				}
			} else {
				checkDebtAmount(fe, "details.amount_awarded", d.AmountAwarded)
			}
		}
	case LegalStepClosed:
		debtOneOf(fe, "details.outcome", d.Outcome, legalOutcomes)
	case LegalStepFiled, LegalStepAppeal:
		debtText(fe, "details.court", d.Court, MaxLegalCourtLength, false, false)
		debtText(fe, "details.section", d.Section, MaxLegalSectionLength, false, false)
		debtText(fe, "details.case_number", d.CaseNumber, MaxLegalCaseNumberLength, false, false)
	}
}

func checkLegalDocuments(fe *FieldErrors, ids []string) {
	if len(ids) > MaxLegalDocuments {
		fe.Add("document_ids", "a step has at most "+strconv.Itoa(MaxLegalDocuments)+" documents")
		return
	}
	for i, id := range ids {
		field := "document_ids[" + strconv.Itoa(i) + "]"
		if j := slices.Index(ids[:i], id); j >= 0 {
			fe.Add(field, "is the same document as document_ids["+strconv.Itoa(j)+"]")
			continue
		}
		checkCanonicalUUID(fe, field, id)
	}
}

// legalDeadlinesEnded lists the running deadlines of p that step ends:
// every one when it closes the procedure.
func legalDeadlinesEnded(p LegalProcedure, step string) []LegalDeadlineRef {
	var out []LegalDeadlineRef
	for _, d := range p.Deadlines {
		if step == LegalStepClosed || slices.Contains(legalRuleOf(p.Kind, d).EndedBy, step) {
			out = append(out, LegalDeadlineRef{Seq: d.Seq, Name: d.Name})
		}
	}
	return out
}

// legalRuleOf finds the rule a running deadline came from, by kind and
// name. A deadline whose rule was removed since ends only with its
// procedure.
func legalRuleOf(kind string, d LegalDeadline) LegalDeadlineRule {
	for _, r := range legalDeadlineRules {
		if r.Deadline.Name == d.Name && slices.Contains(r.Kinds, kind) {
			return r
		}
	}
	return LegalDeadlineRule{}
}

// legalDeadlinesStarted computes the deadlines step c starts, the seq-th
// of procedure p.
func legalDeadlinesStarted(p LegalProcedure, c RecordLegalStep, seq int) []LegalDeadline {
	instance := LegalFirstInstance
	if p.Appealed {
		instance = LegalOnAppeal
	}
	var out []LegalDeadline
	for _, r := range legalDeadlineRules {
		if r.Step != c.Step || !slices.Contains(r.Kinds, p.Kind) || (r.Instance != "" && r.Instance != instance) {
			continue
		}
		from := c.On
		if r.From == LegalFromHearing {
			from = c.Details.HearingOn
		}
		cal := LegalCalendar(c.Holidays, from)
		out = append(out, LegalDeadline{Seq: seq, Name: r.Deadline.Name, From: from, Due: cal.DeadlineFrom(from, r.Deadline),
			Days: r.Deadline.Days, Business: r.Deadline.Business, Franc: r.Deadline.Franc})
	}
	return out
}

// evolve applies a legal event; the state before keeps its own maps and
// slices.
func (l debtLegal) evolve(e Event) debtLegal {
	switch e := e.(type) {
	case LegalProcedureOpened:
		l.procedures = cloneAdd(l.procedures, e.ProcedureID, LegalProcedure{
			ID: e.ProcedureID, Kind: internAccountValue(e.Kind, legalKinds), Court: e.Court, Section: e.Section,
			CaseNumber: e.CaseNumber, Step: LegalStepOpened, StepOn: e.OpenedOn, OpenedOn: e.OpenedOn,
		})
	case LegalStepRecorded:
		p, ok := l.procedures[e.ProcedureID]
		if !ok {
			return l
		}
		p.Step, p.StepOn, p.Steps = internAccountValue(e.Step, legalSteps), e.On, e.Seq
		p.Costs += e.Cost
		switch e.Step {
		case LegalStepHearingScheduled:
			p.LastHearingOn = e.Details.HearingOn
		case LegalStepJudgment:
			p.Judgment = internAccountValue(e.Details.Outcome, judgmentOutcomes)
		case LegalStepAppeal:
			p.Appealed = true
		case LegalStepClosed:
			p.Outcome = internAccountValue(e.Details.Outcome, legalOutcomes)
		}
		if e.Details.Court != "" {
			p.Court = e.Details.Court
		}
		if e.Details.Section != "" {
			p.Section = e.Details.Section
		}
		if e.Details.CaseNumber != "" {
			p.CaseNumber = e.Details.CaseNumber
		}
		running := make([]LegalDeadline, 0, len(p.Deadlines)+len(e.Deadlines))
		for _, d := range p.Deadlines {
			if !slices.Contains(e.Ends, LegalDeadlineRef{Seq: d.Seq, Name: d.Name}) {
				running = append(running, d)
			}
		}
		p.Deadlines = append(running, e.Deadlines...)
		l.procedures = cloneAdd(l.procedures, e.ProcedureID, p)
		l.stepIDs = cloneAdd(l.stepIDs, e.StepID, struct{}{})
	}
	return l
}

// LegalProcedureInput is a new legal procedure as a client sends it:
// amounts in centimes, the opening date written YYYY-MM-DD (today when
// left out).
type LegalProcedureInput struct {
	Kind          string `json:"kind"`
	Court         string `json:"court"`
	Section       string `json:"section"`
	CaseNumber    string `json:"case_number"`
	Bailiff       string `json:"bailiff"`
	Lawyer        string `json:"lawyer"`
	ClaimedAmount int64  `json:"claimed_amount"`
	OpenedOn      string `json:"opened_on"`
}

// Validate reads a new procedure and returns the OpenLegalProcedure
// command without its ID, ProcedureID and By, which the caller sets; Today
// is today, the date in Algiers. Texts are normalised (whitespace
// collapsed, one line); the checks are the decider's, so that a client
// fixes every field in one round trip. Whether the debt is in status legal
// is the decider's alone.
func (in LegalProcedureInput) Validate(today Date) (OpenLegalProcedure, error) {
	var fe FieldErrors
	c := OpenLegalProcedure{ClaimedAmount: in.ClaimedAmount, Today: today}
	c.Kind = strings.ToLower(strings.TrimSpace(in.Kind))
	c.Court = optional(&fe, "court", in.Court, singleLineUpTo(MaxLegalCourtLength))
	c.Section = optional(&fe, "section", in.Section, singleLineUpTo(MaxLegalSectionLength))
	c.CaseNumber = optional(&fe, "case_number", in.CaseNumber, singleLineUpTo(MaxLegalCaseNumberLength))
	c.Bailiff = optional(&fe, "bailiff", in.Bailiff, singleLineUpTo(MaxLegalPersonLength))
	c.Lawyer = optional(&fe, "lawyer", in.Lawyer, singleLineUpTo(MaxLegalPersonLength))
	c.OpenedOn = today
	if strings.TrimSpace(in.OpenedOn) != "" {
		c.OpenedOn = inputDate(&fe, "opened_on", in.OpenedOn, true)
	}
	checkLegalProcedureFields(&fe, c)
	if err := firstPerField(fe).Err(); err != nil {
		return OpenLegalProcedure{}, err
	}
	return c, nil
}

// LegalStepInput is a step as a client sends it: dates written
// YYYY-MM-DD (on is today when left out), amounts in centimes.
type LegalStepInput struct {
	Step        string                `json:"step"`
	On          string                `json:"on"`
	Details     LegalStepDetailsInput `json:"details"`
	DocumentIDs []string              `json:"document_ids"`
	Cost        int64                 `json:"cost"`
}

// LegalStepDetailsInput are a step's typed fields as a client sends them.
type LegalStepDetailsInput struct {
	HearingOn     string `json:"hearing_on"`
	Room          string `json:"room"`
	Outcome       string `json:"outcome"`
	AmountAwarded int64  `json:"amount_awarded"`
	Court         string `json:"court"`
	Section       string `json:"section"`
	CaseNumber    string `json:"case_number"`
	Note          string `json:"note"`
}

// Validate reads a step and returns the RecordLegalStep command without
// its ID, ProcedureID, StepID and By, which the caller sets; Today and
// Holidays are set from today (the date in Algiers) and the configured
// holidays. The checks that do not need the procedure's state are the
// decider's own, so a client fixes every field in one round trip. The
// note (details.note: optional, at most MaxLegalNoteLength characters,
// line breaks kept) is returned apart: the caller seals it under the
// debtor's data key into the command's personal part.
func (in LegalStepInput) Validate(today Date, holidays []Date) (RecordLegalStep, DebtPersonal, error) {
	var fe FieldErrors
	c := RecordLegalStep{Cost: in.Cost, Today: today, Holidays: slices.Clone(holidays), On: today}
	c.Step = strings.ToLower(strings.TrimSpace(in.Step))
	if strings.TrimSpace(in.On) != "" {
		c.On = inputDate(&fe, "on", in.On, true)
	}
	d := in.Details
	c.Details = LegalStepDetails{
		HearingOn:     inputDate(&fe, "details.hearing_on", d.HearingOn, false),
		Room:          optional(&fe, "details.room", d.Room, singleLineUpTo(MaxLegalRoomLength)),
		Outcome:       strings.ToLower(strings.TrimSpace(d.Outcome)),
		AmountAwarded: d.AmountAwarded,
		Court:         optional(&fe, "details.court", d.Court, singleLineUpTo(MaxLegalCourtLength)),
		Section:       optional(&fe, "details.section", d.Section, singleLineUpTo(MaxLegalSectionLength)),
		CaseNumber:    optional(&fe, "details.case_number", d.CaseNumber, singleLineUpTo(MaxLegalCaseNumberLength)),
	}
	text := DebtPersonal{LegalNote: optional(&fe, "details.note", d.Note, multilineUpTo(MaxLegalNoteLength))}
	if len(in.DocumentIDs) > 0 {
		c.DocumentIDs = make([]string, len(in.DocumentIDs))
		for i, id := range in.DocumentIDs {
			c.DocumentIDs[i] = strings.ToLower(strings.TrimSpace(id))
		}
	}
	checkLegalStepFields(&fe, c)
	if err := firstPerField(fe).Err(); err != nil {
		return RecordLegalStep{}, DebtPersonal{}, err
	}
	return c, text, nil
}

// firstPerField keeps the first problem of each field: a value the form
// check refused is then missing for the rule check, which would only add
// "is required".
func firstPerField(fe FieldErrors) FieldErrors {
	var out FieldErrors
	for _, e := range fe {
		if !slices.ContainsFunc(out, func(o FieldError) bool { return o.Field == e.Field }) {
			out = append(out, e)
		}
	}
	return out
}
