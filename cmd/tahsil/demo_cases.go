package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/store"
)

// The demo's case files: a portfolio in every state ADC works one, for the
// demo creditors and debtors (demoCases[i].Creditor and .Debtor index
// them). Amounts are centimes of DZD. Dates are days before the first
// load (demoState.AsOf), so the portfolio looks current whenever it is
// loaded; what must lie ahead (a promise, a plan's instalments) counts
// from the day it is set.
var demoCases = []demoCase{
	{Creditor: 0, Debtor: 1, Ref: "FAC-2025-0142", Type: collection.DebtTypeCommercial, Principal: 12_500_000, Fees: 150_000,
		DueDaysAgo: 210, Description: "Fourniture de mobilier de bureau (12 postes de travail), bon de livraison BL-2025-0311.",
		Agent: true, Amicable: true,
		Interactions: []demoInteraction{
			{DaysAgo: 180, Channel: collection.InteractionLetter, Summary: "Lettre de relance amiable envoyée en recommandé avec accusé de réception."},
			{DaysAgo: 150, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomeReached,
				Summary: "Mme Boudiaf reconnaît la dette ; difficultés de trésorerie. Propose un premier versement par chèque."},
			{DaysAgo: 3, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomeReached,
				Summary: "Accord sur un échéancier en quatre mensualités pour le solde."},
		},
		Payments: []demoPayment{{DaysAgo: 120, Amount: 2_650_000, Method: collection.PaymentMethodCheque, Reference: "CHQ 5521907 BADR"}},
		Plan:     4,
	},
	{Creditor: 0, Debtor: 6, Ref: "LOC-2024-0311", Type: collection.DebtTypeRent, Principal: 48_000_000,
		DueDaysAgo: 480, Description: "Location de deux chariots élévateurs : trois loyers trimestriels impayés.",
		Agent: true, Amicable: true,
		Interactions: []demoInteraction{
			{DaysAgo: 450, Channel: collection.InteractionLetter, Summary: "Mise en demeure amiable envoyée au siège."},
			{DaysAgo: 400, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomeNoAnswer},
			{DaysAgo: 380, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomeRefusal,
				Summary: "Le gérant refuse de payer et tout échéancier."},
			{DaysAgo: 30, Channel: collection.InteractionVisit, Outcome: collection.CallOutcomeRefusal,
				Summary: "Visite au siège à Ghardaïa : nouveau refus.", FollowUpDays: 35,
				FollowUpTitle: "Proposer le passage au contentieux (mise en demeure par huissier)"},
		},
	},
	{Creditor: 0, Debtor: 0, Ref: "CHQ-0048213", Type: collection.DebtTypeCheque, Principal: 3_500_000, Fees: 250_000,
		DueDaysAgo: 300, Description: "Chèque impayé n° 0048213 (BNA, agence de Blida), rejeté pour défaut de provision.",
		Agent: true, Amicable: true,
		Interactions: []demoInteraction{
			{DaysAgo: 280, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomePromise,
				Summary: "السيد بن علي يعترف بالدين ويقترح الدفع على ثلاث دفعات."},
		},
		Payments: []demoPayment{
			{DaysAgo: 250, Amount: 1_000_000, Method: collection.PaymentMethodCash},
			{DaysAgo: 200, Amount: 1_500_000, Method: collection.PaymentMethodCCP, Reference: "CCP 0021547896"},
			{DaysAgo: 150, Amount: 1_250_000, Method: collection.PaymentMethodBaridiMob, Reference: "BM-7741203"},
		},
	},
	{Creditor: 0, Debtor: 5, Ref: "FAC-2025-0377", Type: collection.DebtTypeCommercial, Principal: 8_900_000,
		DueDaysAgo: 45, Description: "Fourniture et installation d'un système de vidéosurveillance."},
	{Creditor: 1, Debtor: 2, Ref: "FAC-2025-1184", Type: collection.DebtTypeCommercial, Principal: 6_240_000,
		DueDaysAgo: 95, Description: "فاتورة مواد غذائية (زيت، سكر، دقيق) لمحل بقالة في باتنة.",
		Agent: true, Amicable: true,
		Interactions: []demoInteraction{
			{DaysAgo: 60, Channel: collection.InteractionSMS, Summary: "Rappel de paiement envoyé par SMS."},
			{DaysAgo: 1, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomePromise,
				Summary: "يعد بدفع 20 000 دج خلال عشرة أيام.", FollowUpDays: 11},
		},
		Promise: 2_000_000,
	},
	{Creditor: 1, Debtor: 4, Ref: "PRT-2024-0058", Type: collection.DebtTypeLoan, Principal: 25_000_000,
		DueDaysAgo: 540, Description: "Avance sur marchandises consentie à un revendeur, remboursable en une fois.",
		Agent: true, Amicable: true,
		Interactions: []demoInteraction{
			{DaysAgo: 500, Channel: collection.InteractionLetter, Summary: "Première relance écrite."},
			{DaysAgo: 420, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomeReached,
				Summary: "Le débiteur s'engage à rembourser par virements."},
			{DaysAgo: 120, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomeNoAnswer},
			{DaysAgo: 60, Channel: collection.InteractionLetter, Summary: "Nouvelle relance écrite : aucun versement depuis huit mois."},
		},
		Payments: []demoPayment{
			{DaysAgo: 400, Amount: 5_000_000, Method: collection.PaymentMethodBankTransfer, Reference: "VIR-BDL-2024-88412"},
			{DaysAgo: 300, Amount: 5_000_000, Method: collection.PaymentMethodBankTransfer, Reference: "VIR-BDL-2025-10377"},
		},
	},
	{Creditor: 1, Debtor: 1, Ref: "FAC-2025-0903", Type: collection.DebtTypeCommercial, Principal: 1_850_000,
		DueDaysAgo: 60, Description: "Livraison de produits d'entretien.",
		Agent: true, Amicable: true,
		Interactions: []demoInteraction{
			{DaysAgo: 5, Channel: collection.InteractionCall, Direction: collection.DirectionInbound, Outcome: collection.CallOutcomeDispute,
				Summary: "La débitrice conteste avoir reçu la livraison et demande le bon de livraison signé.", FollowUpDays: 7,
				FollowUpTitle: "Obtenir du créancier le bon de livraison signé"},
		},
		Hold: "Livraison contestée : bon de livraison signé demandé au créancier.",
	},
	{Creditor: 2, Debtor: 3, Ref: "ABO-2025-0219", Type: collection.DebtTypeUtility, Principal: 960_000,
		DueDaysAgo: 130, Description: "Abonnement annuel d'hébergement web et de messagerie.",
		Agent: true, Amicable: true,
		Interactions: []demoInteraction{
			{DaysAgo: 100, Channel: collection.InteractionEmail, Summary: "Relance par e-mail, facture en pièce jointe."},
			{DaysAgo: 70, Channel: collection.InteractionCall, Direction: collection.DirectionInbound, Outcome: collection.CallOutcomeReached,
				Summary: "La débitrice rappelle : paie une partie par carte CIB, le reste le mois prochain."},
		},
		Payments: []demoPayment{{DaysAgo: 69, Amount: 400_000, Method: collection.PaymentMethodCIB, Reference: "CIB-TX-99812034"}},
	},
	{Creditor: 2, Debtor: 6, Ref: "FAC-2025-0456", Type: collection.DebtTypeCommercial, Principal: 36_750_000,
		DueDaysAgo: 75, Description: "Déploiement d'un logiciel de gestion de flotte : licences et formation.",
		Agent: true,
		Interactions: []demoInteraction{
			{DaysAgo: 20, Channel: collection.InteractionLetter, Summary: "Premier courrier de relance envoyé.", FollowUpDays: 10,
				FollowUpTitle: "Appeler le service comptable"},
		},
	},
	{Creditor: 3, Debtor: 7, Ref: "CHQ-3319087", Type: collection.DebtTypeCheque, Principal: 4_200_000, Fees: 150_000,
		DueDaysAgo: 20, Description: "Chèque impayé n° 3319087 (CPA, agence de Tlemcen)."},
	{Creditor: 3, Debtor: 5, Ref: "FAC-2024-2207", Type: collection.DebtTypeCommercial, Principal: 15_600_000,
		DueDaysAgo: 400, Description: "Produits laitiers livrés à une supérette d'Annaba.",
		Agent: true, Amicable: true,
		Interactions: []demoInteraction{
			{DaysAgo: 350, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomeWrongNumber,
				Summary: "Numéro erroné ; adresse à vérifier."},
			{DaysAgo: 300, Channel: collection.InteractionVisit, Outcome: collection.CallOutcomeReached,
				Summary: "Visite au commerce : le gérant promet de régulariser par versements."},
			{DaysAgo: 200, Channel: collection.InteractionNote, Summary: "Nouvelle adresse confirmée par le créancier."},
		},
		Payments: []demoPayment{{DaysAgo: 280, Amount: 3_000_000, Method: collection.PaymentMethodEdahabia, Reference: "EDH-553019"}},
	},
	{Creditor: 3, Debtor: 0, Ref: "LOY-2025-0007", Type: collection.DebtTypeRent, Principal: 5_400_000,
		DueDaysAgo: 250, Description: "Location d'une chambre froide : six mois de loyer impayés.",
		Agent: true, Amicable: true,
		Interactions: []demoInteraction{
			{DaysAgo: 230, Channel: collection.InteractionLetter, Summary: "Relance écrite."},
			{DaysAgo: 180, Channel: collection.InteractionCall, Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomeReached,
				Summary: "Le débiteur demande un délai et paie un tiers par chèque."},
		},
		Payments: []demoPayment{{DaysAgo: 170, Amount: 1_800_000, Method: collection.PaymentMethodCheque, Reference: "CHQ 7730215 BEA"}},
	},
}

const (
	// demoPromiseDays is how far ahead a demo promise to pay falls due.
	demoPromiseDays = 10
	// demoPlanDays is how far ahead a demo plan's first instalment falls
	// due, at the earliest; the next ones follow monthly.
	demoPlanDays = 14
	// demoHour is the time of day, in Algiers, of the demo interactions.
	demoHour = 10
)

// demoCase is one case file and how far ADC has worked it, step by step
// in this order: opened, assigned to the demo agent, moved to amicable,
// its interactions and payments recorded (a payment that clears the
// balance closes it as recovered), a promise to pay, a payment plan for
// the balance, a hold for a dispute.
//
// No case goes to legal: an escalation needs a second person to propose
// it (maker-checker), and the loader signing in as the demo agent too
// would spend most of the sign-in throttle (api.LoginBurst) of the
// address people then sign in from.
type demoCase struct {
	Creditor, Debtor int    // indexes in demoCreditors and demoDebtors
	Ref              string // the creditor's own reference
	Type             string
	Principal, Fees  int64
	DueDaysAgo       int // the original due date
	Description      string
	Agent, Amicable  bool
	Interactions     []demoInteraction
	Payments         []demoPayment
	Promise          int64  // a promise to pay this much within demoPromiseDays
	Plan             int    // instalments of a monthly plan for the balance
	Hold             string // the reason of a hold for a dispute
}

// demoInteraction is a contact logged on a case file, at least a day ago
// (the API refuses one in the future). FollowUpDays, when set, gives the
// demo agent a task due that many days after it.
type demoInteraction struct {
	DaysAgo                     int
	Channel, Direction, Outcome string
	Summary                     string
	FollowUpDays                int
	FollowUpTitle               string // the API's default when empty
}

type demoPayment struct {
	DaysAgo           int // the value date
	Amount            int64
	Method, Reference string
}

// demoParties are the ids of demoCreditors and demoDebtors, in order.
type demoParties struct{ creditors, debtors []string }

// demoWork is what working the case files needs besides each case.
type demoWork struct {
	parties  demoParties
	agentID  string
	asOf     collection.Date // what DaysAgo counts back from
	today    collection.Date // what a promise and a plan count ahead from
	loc      *time.Location  // Algiers
	calendar collection.Calendar
}

// demoDebt is what the loader reads of a debt to know which steps of its
// work are done.
type demoDebt struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	AgentID string `json:"agent_id"`
	Balance int64  `json:"balance"`
}

// loadCases opens and works the demo case files as the demo admin. Each
// step is taken only if the debt does not show it done, or is keyed by an
// Idempotency-Key, so a run resumed after a crash takes the remaining
// steps only.
func (d *demoLoader) loadCases(ctx context.Context, stateAsOf string, parties demoParties) error {
	asOf, err := collection.ParseDate(stateAsOf)
	if err != nil {
		return fmt.Errorf("demo state: as_of %q: %w", stateAsOf, err)
	}
	agent, err := store.New(d.pool).CredentialsByEmail(ctx, demoAccounts[demoAgentIdx].Email)
	if err != nil {
		return fmt.Errorf("demo agent: %w", err)
	}
	loc := algiers()
	today := collection.DateIn(d.now(), loc)
	// A demo plan runs a few months: this year's fixed holidays and the
	// next year's are all it can meet.
	y := today.Time().Year()
	w := demoWork{parties: parties, agentID: agent.AccountID, asOf: asOf, today: today, loc: loc,
		calendar: collection.NewCalendar(append(collection.DefaultHolidays(y), collection.DefaultHolidays(y+1)...))}
	for i, c := range demoCases {
		if err := d.workCase(ctx, w, i+1, c); err != nil {
			return fmt.Errorf("demo debt %s: %w", c.Ref, err)
		}
	}
	return nil
}

// workCase opens case n and takes the steps of its work still to take.
func (d *demoLoader) workCase(ctx context.Context, w demoWork, n int, c demoCase) error {
	key := fmt.Sprintf("demo-debt-%d", n)
	id, err := d.create(ctx, "/api/v1/debts", key, map[string]any{
		"creditor_id": w.parties.creditors[c.Creditor], "debtor_id": w.parties.debtors[c.Debtor],
		"external_ref": c.Ref, "type": c.Type, "principal": c.Principal, "fees": c.Fees,
		"original_due_on": w.asOf.AddDays(-c.DueDaysAgo).String(), "description": c.Description,
	})
	if err != nil {
		return err
	}
	path := "/api/v1/debts/" + id
	debt, err := d.debt(ctx, id)
	if err != nil {
		return err
	}
	if c.Agent && collection.IsOpenDebtStatus(debt.Status) && debt.AgentID != w.agentID {
		if err := d.step(ctx, http.MethodPatch, path, "", map[string]string{"agent_id": w.agentID}, nil); err != nil {
			return err
		}
	}
	if c.Amicable && debt.Status == collection.DebtStatusOpen {
		if err := d.step(ctx, http.MethodPost, path+"/transitions", "", map[string]string{"to": collection.DebtStatusAmicable}, nil); err != nil {
			return err
		}
	}
	for j, in := range c.Interactions {
		if err := d.step(ctx, http.MethodPost, path+"/interactions", fmt.Sprintf("%s-interaction-%d", key, j+1), in.body(w), nil); err != nil {
			return err
		}
	}
	for j, p := range c.Payments {
		body := map[string]any{"amount": p.Amount, "value_date": w.asOf.AddDays(-p.DaysAgo).String(), "method": p.Method, "reference": p.Reference}
		if err := d.step(ctx, http.MethodPost, path+"/payments", fmt.Sprintf("%s-payment-%d", key, j+1), body, nil); err != nil {
			return err
		}
	}
	if c.Promise > 0 {
		if err := d.promise(ctx, w, id, key+"-promise", c.Promise); err != nil {
			return err
		}
	}
	// What follows depends on the status the steps above left.
	if debt, err = d.debt(ctx, id); err != nil {
		return err
	}
	if c.Plan > 0 {
		if err := d.plan(ctx, w, debt, c.Plan); err != nil {
			return err
		}
	}
	if c.Hold != "" && debt.Status != collection.DebtStatusOnHold {
		body := map[string]string{"to": collection.DebtStatusOnHold, "hold_reason": collection.HoldReasonDispute, "reason": c.Hold}
		return d.step(ctx, http.MethodPost, path+"/transitions", "", body, nil)
	}
	return nil
}

func (d *demoLoader) debt(ctx context.Context, id string) (demoDebt, error) {
	var debt demoDebt
	err := d.get(ctx, "/api/v1/debts/"+id, &debt)
	return debt, err
}

// body is the interaction as the API takes it. Its times count from
// asOf, so a resumed load sends the same body under the same key.
func (in demoInteraction) body(w demoWork) map[string]any {
	day := w.asOf.AddDays(-in.DaysAgo).Time()
	at := time.Date(day.Year(), day.Month(), day.Day(), demoHour, 0, 0, 0, w.loc)
	b := map[string]any{"channel": in.Channel, "direction": in.Direction, "outcome": in.Outcome, "summary": in.Summary,
		"occurred_at": at.Format(time.RFC3339)}
	if in.FollowUpDays > 0 {
		b["follow_up"] = map[string]string{"due": w.asOf.AddDays(in.FollowUpDays - in.DaysAgo).String(),
			"assignee": w.agentID, "title": in.FollowUpTitle}
	}
	return b
}

// promise records a promise to pay, unless the debt has one. Its due date
// counts from today, so the body of a later run differs: the debt's
// promises, not the key, tell whether it is done.
func (d *demoLoader) promise(ctx context.Context, w demoWork, id, key string, amount int64) error {
	path := "/api/v1/debts/" + id + "/promises"
	var list struct {
		Items []struct{} `json:"items"`
	}
	if err := d.get(ctx, path, &list); err != nil || len(list.Items) > 0 {
		return err
	}
	return d.step(ctx, http.MethodPost, path, key, map[string]any{"amount": amount, "due": w.today.AddDays(demoPromiseDays).String()}, nil)
}

// plan sets a monthly payment plan for the debt's balance, unless the
// debt has a plan already (whatever became of it since). The server's
// calendar may hold public holidays the loader does not know
// (TAHSIL_HOLIDAYS): when it refuses a due date, the plan starts a
// business day later.
func (d *demoLoader) plan(ctx context.Context, w demoWork, debt demoDebt, count int) error {
	path := "/api/v1/debts/" + debt.ID + "/plan"
	err := d.get(ctx, path, nil)
	var p *demoProblem
	if err == nil || !errors.As(err, &p) || p.Status != http.StatusNotFound {
		return err
	}
	first := w.calendar.NextBusinessDay(w.today.AddDays(demoPlanDays))
	for attempt := 0; ; attempt++ {
		inst, err := collection.ProposeSchedule(w.calendar, debt.Balance, first, count, collection.Period{Months: 1})
		if err != nil {
			return err
		}
		err = d.step(ctx, http.MethodPut, path, "", map[string]any{"instalments": inst}, nil)
		if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity || !p.refusesDueDate() || attempt == 10 {
			return err
		}
		first = w.calendar.NextBusinessDay(first.AddDays(1))
	}
}

// refusesDueDate reports a plan refused for an instalment's due date.
func (p *demoProblem) refusesDueDate() bool {
	for _, fe := range p.Errors {
		if strings.HasPrefix(fe.Field, "instalments[") && strings.HasSuffix(fe.Field, "].due") {
			return true
		}
	}
	return false
}

// algiers is the zone of the dates the API checks: it decides what today
// is there. Algeria keeps UTC+1
// all year: the fixed zone stands in where the time zone database is
// missing.
func algiers() *time.Location {
	loc, err := time.LoadLocation("Africa/Algiers")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}
