package projections_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// staffIDs are the staff accounts that work the debts: agents open, assign,
// record and propose; admins also decide proposals, never their own
// (maker-checker).
type staffIDs struct{ agents, admins []string }

func newStaffIDs() staffIDs {
	var s staffIDs
	for range 9 {
		s.agents = append(s.agents, uuid.Must(uuid.NewV7()).String())
	}
	for range 3 {
		s.admins = append(s.admins, uuid.Must(uuid.NewV7()).String())
	}
	return s
}

// generateDebts opens spec.Debts debts, each for an active creditor and
// debtor of the portfolio, and works each through a life of later
// commands (see debtLife). Every life is planned first; then all commands
// go to tahsil.commands through one producer, in large batches and
// interleaved (the first command of every debt, then the second of every
// debt, ...), so the decider decides thousands per transaction. It returns
// when the decider has accepted every command with the events planned.
func (p *portfolio) generateDebts(spec portfolioSpec) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	p.mu.Lock()
	base := len(p.debts)
	var creditors, debtors []string
	for _, id := range p.creditors {
		if !p.archivedCreditors[id] {
			creditors = append(creditors, id)
		}
	}
	for _, id := range p.debtors {
		if !p.archived[id] {
			debtors = append(debtors, id)
		}
	}
	p.mu.Unlock()
	if len(creditors) == 0 || len(debtors) == 0 {
		return fmt.Errorf("debts need an active creditor and debtor: the portfolio has %d and %d", len(creditors), len(debtors))
	}
	today := collection.DateIn(time.Now(), time.UTC)
	lives := make([]*debtLife, spec.Debts)
	for i := range lives {
		n := base + i
		// Streams of their own: the parties' use n*2 and n*2+1.
		rng := rand.New(rand.NewPCG(spec.Seed, 1<<40|uint64(n)))
		l := newDebtLife(n, today, rng, p.staff, func(debtorID string, text collection.DebtPersonal) (collection.Sealed, error) {
			return p.sealText(ctx, debtorID, text)
		})
		if err := l.live(creditors[rng.IntN(len(creditors))], debtors[rng.IntN(len(debtors))]); err != nil {
			return err
		}
		lives[i] = l
	}
	if err := p.submitLives(ctx, lives); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range lives {
		p.debts = append(p.debts, l.id)
		p.debtStates[l.id] = l.state
		for k, v := range l.tally {
			p.debtTally[k] += v
		}
	}
	return nil
}

// submitLives produces the commands of lives and waits for their outcomes.
func (p *portfolio) submitLives(ctx context.Context, lives []*debtLife) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	brokers := p.app.Brokers
	// Outcomes are read from the current end of tahsil.outcomes: those of
	// the commands below all come after it.
	admin, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	ends, err := kadm.NewClient(admin).ListEndOffsets(ctx, events.OutcomesTopic)
	admin.Close()
	if err != nil {
		return fmt.Errorf("list outcome offsets: %w", err)
	}
	start := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) { start[o.Partition] = kgo.NewOffset().At(o.Offset) })
	reader, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{events.OutcomesTopic: start}),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return err
	}
	defer reader.Close()
	// Keyed by the debt id like the bus's records, so one debt's commands
	// share a partition and keep their order.
	writer, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(20_000))
	if err != nil {
		return err
	}
	defer writer.Close()

	// The order of production: the first command of every debt, then the
	// second of every debt, and so on. Command ids are drawn first, so the
	// reader knows them all before the first outcome can come.
	type next struct {
		life *debtLife
		cmd  plannedCommand
	}
	var order []next
	for round := 0; ; round++ {
		n := len(order)
		for _, l := range lives {
			if round < len(l.cmds) {
				order = append(order, next{l, l.cmds[round]})
			}
		}
		if len(order) == n {
			break
		}
	}
	ids := make([]string, len(order))
	want := make(map[string]int, len(order)) // command id → events planned
	for i, o := range order {
		ids[i] = uuid.Must(uuid.NewV7()).String()
		want[ids[i]] = o.cmd.events
	}
	// A rejection stops the production.
	outcomes := make(chan error, 1)
	go func() {
		err := p.awaitOutcomes(ctx, reader, want)
		if err != nil {
			cancel()
		}
		outcomes <- err
	}()

	var (
		mu      sync.Mutex
		prodErr error
	)
	now := time.Now().UTC()
	for i, o := range order {
		typ, v, data, err := p.app.Registry.Encode(o.cmd.cmd)
		if err != nil {
			return err
		}
		rec, err := events.CommandRecord(&events.CommandEnvelope{
			ID: ids[i], Type: typ, V: v,
			Aggregate:       events.AggregateRef{Type: collection.DebtAggregate, ID: o.life.id},
			ExpectedVersion: collection.AnyVersion, IssuedAt: now,
			Actor:         events.Actor{UserID: o.cmd.by, Role: o.cmd.role, IP: "127.0.0.1"},
			CorrelationID: "projections-test", Data: data, Personal: personalOf(o.cmd.cmd),
		})
		if err != nil {
			return err
		}
		writer.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				prodErr = errors.Join(prodErr, err)
				mu.Unlock()
			}
		})
	}
	err = writer.Flush(ctx)
	mu.Lock()
	err = errors.Join(err, prodErr)
	mu.Unlock()
	if err != nil {
		cancel()
		if oerr := <-outcomes; oerr != nil && !errors.Is(oerr, context.Canceled) {
			return oerr
		}
		return fmt.Errorf("produce debt commands: %w", err)
	}
	return <-outcomes
}

// awaitOutcomes reads outcomes until every command of want has one, each
// accepted with the planned number of events, and records where the
// events landed.
func (p *portfolio) awaitOutcomes(ctx context.Context, reader *kgo.Client, want map[string]int) error {
	total := len(want)
	for len(want) > 0 {
		fetches := reader.PollFetches(ctx)
		if ctx.Err() != nil {
			return fmt.Errorf("%d of %d debt commands without an outcome: %w", len(want), total, ctx.Err())
		}
		var err error
		fetches.EachError(func(_ string, part int32, e error) {
			err = errors.Join(err, fmt.Errorf("read outcomes of partition %d: %w", part, e))
		})
		if err != nil {
			return err
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if err != nil {
				return
			}
			o, perr := events.ParseOutcome(r.Value)
			if perr != nil {
				err = perr
				return
			}
			n, ok := want[o.CommandID]
			if !ok {
				return
			}
			delete(want, o.CommandID)
			switch {
			case o.Status != events.Accepted:
				err = fmt.Errorf("%s of debt %s rejected: %+v", o.CommandType, o.Aggregate.ID, o.Rejection)
				return
			case o.EventCount != n:
				err = fmt.Errorf("%s of debt %s made %d events, the plan %d", o.CommandType, o.Aggregate.ID, o.EventCount, n)
				return
			}
			p.mu.Lock()
			p.events += o.EventCount
			if cur, ok := p.last[o.Partition]; o.EventCount > 0 && (!ok || o.LastOffset > cur) {
				p.last[o.Partition] = o.LastOffset
			}
			p.mu.Unlock()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// plannedCommand is a command of a debt's life and what its decision made.
type plannedCommand struct {
	cmd      collection.Command
	by, role string
	events   int
}

// debtLife plans the commands of one debt with the domain's own decide and
// evolve (collection.Handle, collection.Fold), as the decider runs them:
// each command is chosen from what the debt's state allows, so the
// decider, starting from the same empty state, accepts every one and makes
// the same events. state is the debt's state after the last command.
type debtLife struct {
	n     int
	id    string
	rng   *rand.Rand
	today collection.Date
	staff staffIDs
	b     collection.Behaviour
	state collection.DebtState
	cmds  []plannedCommand
	// tally counts the events by type, and the cases the tests want to
	// see happen: "status FROM → TO", "approved ACTION", "refused ACTION",
	// "payment with credit", "payment backdated", "cheque presented again".
	tally map[string]int
	refs  int
	// seal seals a description or a note under the debtor's data key, as
	// the API does.
	seal sealFunc
}

type sealFunc func(debtorID string, text collection.DebtPersonal) (collection.Sealed, error)

func newDebtLife(n int, today collection.Date, rng *rand.Rand, staff staffIDs, seal sealFunc) *debtLife {
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	id := uuid.Must(uuid.NewV7()).String()
	return &debtLife{n: n, id: id, rng: rng, today: today, staff: staff, b: b, seal: seal,
		state: b.New(id).(collection.DebtState), tally: map[string]int{}}
}

var (
	debtDescriptions = []string{
		"Facture de marchandises livrées, restée impayée.",
		"Loyer commercial impayé\nLocal situé au rez-de-chaussée.",
		"فاتورة غير مدفوعة",
		"Chèque revenu impayé pour défaut de provision.",
		"Crédit de consommation : échéances impayées.",
	}
	holdReasons = []string{
		"Le débiteur conteste le montant de la facture.",
		"Hospitalisation du débiteur, reprise dans un mois.",
		"En attente des pièces du créancier.",
		"نزاع حول الفاتورة",
	}
	rescheduleReasons = []string{"Promesse de paiement", "Accord verbal avec le débiteur", "وعد بالدفع", "Délai accordé par le créancier"}
	chargeReasons     = []string{"Frais de relance", "Frais d'huissier", "Frais de signification", "Frais de dossier"}
	reversalReasons   = []string{"Chèque impayé : sans provision", "Erreur de saisie", "Virement rejeté par la banque", "شيك بدون رصيد"}
	refusalReasons    = []string{"Montant de la remise trop élevé", "Pièces justificatives manquantes", "Le créancier s'y oppose"}
	proposalReasons   = map[string][]string{
		collection.ActionWriteOff:      {"Débiteur insolvable", "Société liquidée", "Débiteur décédé, succession vacante"},
		collection.ActionSettlement:    {"Règlement transactionnel proposé par le débiteur", "Remise contre paiement immédiat"},
		collection.ActionEscalateLegal: {"Aucune réponse aux relances", "Mise en demeure restée sans effet"},
	}
	paymentNotes = []string{"Versement au guichet", "Reçu n° 1245\nremis en main propre", "Paiement partiel convenu"}
)

func pick[T any](rng *rand.Rand, v []T) T { return v[rng.IntN(len(v))] }

// do decides cmd on the planned state and folds its events, as the
// decider will; a refusal is a mistake of the plan.
func (l *debtLife) do(cmd collection.Command, by, role string) error {
	before := l.state
	evs, err := collection.Handle(l.b, before, collection.AnyVersion, cmd)
	if err != nil {
		return fmt.Errorf("debt %d (%s, %s): %T refused: %w", l.n, l.id, before.Status, cmd, err)
	}
	l.state = collection.Fold(l.b, before, evs...).(collection.DebtState)
	l.cmds = append(l.cmds, plannedCommand{cmd: cmd, by: by, role: role, events: len(evs)})
	for _, ev := range evs {
		l.tally[ev.EventType()]++
		switch e := ev.(type) {
		case collection.DebtStatusChanged:
			l.tally["status "+e.From+" → "+e.To]++
		case collection.ProposalApproved:
			l.tally["approved "+e.Action]++
		case collection.ProposalRefused:
			l.tally["refused "+e.Action]++
		case collection.PaymentRecorded:
			if e.Allocation.Credit > 0 {
				l.tally["payment with credit"]++
			}
			if slices.ContainsFunc(before.Payments(), func(p collection.DebtPayment) bool { return e.ValueDate.Before(p.ValueDate) }) {
				l.tally["payment backdated"]++
			}
		}
	}
	return nil
}

func (l *debtLife) agent() string { return pick(l.rng, l.staff.agents) }

// checker is an admin other than the proposer.
func (l *debtLife) checker(proposer string) string {
	for {
		if a := pick(l.rng, l.staff.admins); a != proposer {
			return a
		}
	}
}

// live opens the debt and works it for up to thirteen steps, or until it
// closes for good.
func (l *debtLife) live(creditorID, debtorID string) error {
	due := l.today.AddDays(-30 - l.rng.IntN(900))
	in := collection.DebtInput{
		CreditorID: strings.ToUpper(creditorID), DebtorID: debtorID, // the input takes any case
		ExternalRef: fmt.Sprintf("FAC-%d/%06d", due.Time().Year(), l.n), Type: pick(l.rng, collection.DebtTypes()),
		Principal: int64(2_000+l.rng.IntN(800_000))*100 + int64(l.rng.IntN(4))*25, OriginalDueOn: due.String(),
	}
	if l.rng.IntN(3) == 0 {
		in.Fees = in.Principal / 100 * int64(1+l.rng.IntN(5))
	}
	if l.rng.IntN(3) == 0 {
		in.AcknowledgedOn = due.AddDays(-l.rng.IntN(60)).String()
	}
	if l.rng.IntN(2) == 0 {
		in.Description = pick(l.rng, debtDescriptions)
	}
	open, text, err := in.Validate()
	if err != nil {
		return fmt.Errorf("debt %d: %w", l.n, err)
	}
	if open.Personal, err = l.seal(debtorID, text); err != nil {
		return err
	}
	by := l.agent()
	open.ID, open.Ref, open.By = l.id, fmt.Sprintf("F-T%06d", l.n), by
	if err := l.do(open, by, collection.RoleAgent); err != nil {
		return err
	}
	if l.rng.IntN(10) < 8 {
		if err := l.assign(); err != nil {
			return err
		}
	}
	// Most debts see a few events; one in four is worked for long.
	steps := l.rng.IntN(4)
	if l.rng.IntN(4) == 0 {
		steps = 4 + l.rng.IntN(10)
	}
	for range steps {
		more, err := l.step()
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// step takes one command the debt's state allows, chosen with weights
// that make payments and proposals common and closing rare. It reports
// false when a closed debt has nothing left to happen.
func (l *debtLife) step() (bool, error) {
	s := l.state
	pending := s.PendingProposals()
	if !s.IsOpen() {
		// A refusal clears the checkers' queue of a closed debt; a bounced
		// cheque reopens a recovered one.
		if len(pending) > 0 && l.rng.IntN(2) == 0 {
			return true, l.decide(pick(l.rng, pending), false)
		}
		if s.Status == collection.DebtStatusRecovered && l.rng.IntN(3) == 0 {
			if p, ok := l.unreversed(); ok {
				return true, l.reverse(p)
			}
		}
		return false, nil
	}
	type action struct {
		w  int
		do func() error
	}
	var acts []action
	add := func(w int, do func() error) { acts = append(acts, action{w, do}) }
	add(10, l.assign)
	add(8, l.reschedule)
	// Moves that keep the debt open; a hold is one in four of them when
	// there is another.
	var moves []string
	hold := false
	for _, to := range s.StatusTargets() {
		switch to {
		case collection.DebtStatusWithdrawn, collection.DebtStatusUncollectible:
		case collection.DebtStatusOnHold:
			hold = true
		default:
			moves = append(moves, to)
		}
	}
	if hold && (len(moves) == 0 || l.rng.IntN(4) == 0) {
		moves = []string{collection.DebtStatusOnHold}
	}
	if len(moves) > 0 {
		add(20, func() error { return l.changeStatus(pick(l.rng, moves)) })
	}
	add(2, func() error {
		return l.changeStatus(pick(l.rng, []string{collection.DebtStatusWithdrawn, collection.DebtStatusUncollectible}))
	})
	add(10, l.charge)
	balance := s.Balance()
	if balance >= 2 {
		add(35, func() error { return l.pay("part") })
	}
	if balance >= 1 {
		add(10, func() error { return l.pay("full") })
	}
	add(4, func() error { return l.pay("over") })
	if _, ok := l.unreversed(); ok {
		add(7, func() error {
			p, _ := l.unreversed()
			return l.reverse(p)
		})
	}
	if _, ok := s.PendingProposal(collection.ActionSettlement); !ok && balance >= 2 {
		add(8, func() error { return l.propose(collection.ActionSettlement) })
	}
	if _, ok := s.PendingProposal(collection.ActionWriteOff); !ok {
		add(3, func() error { return l.propose(collection.ActionWriteOff) })
	}
	escalable := s.Status == collection.DebtStatusOpen || s.Status == collection.DebtStatusAmicable || s.Status == collection.DebtStatusPaymentPlan
	if _, ok := s.PendingProposal(collection.ActionEscalateLegal); !ok && escalable {
		add(6, func() error { return l.propose(collection.ActionEscalateLegal) })
	}
	if len(pending) > 0 {
		add(25, func() error { return l.decide(pick(l.rng, pending), l.rng.IntN(100) < 65) })
	}
	total := 0
	for _, a := range acts {
		total += a.w
	}
	r := l.rng.IntN(total)
	for _, a := range acts {
		if r < a.w {
			return true, a.do()
		}
		r -= a.w
	}
	panic("unreachable")
}

func (l *debtLife) assign() error {
	agent := l.agent()
	for agent == l.state.AgentID {
		agent = l.agent()
	}
	by := pick(l.rng, l.staff.admins)
	return l.do(collection.AssignDebt{ID: l.id, AgentID: agent, By: by}, by, collection.RoleAdmin)
}

func (l *debtLife) reschedule() error {
	by := l.agent()
	due := l.state.CurrentDueOn.AddDays(15 + l.rng.IntN(76))
	return l.do(collection.RescheduleDebt{ID: l.id, DueOn: due, Reason: pick(l.rng, rescheduleReasons), By: by}, by, collection.RoleAgent)
}

func (l *debtLife) changeStatus(to string) error {
	by := l.agent()
	c := collection.ChangeDebtStatus{ID: l.id, To: to, By: by}
	switch to {
	case collection.DebtStatusOnHold:
		c.HoldReason, c.Reason = pick(l.rng, collection.HoldReasons()), pick(l.rng, holdReasons)
	case collection.DebtStatusWithdrawn:
		c.Reason = "Retrait du dossier par le créancier"
	case collection.DebtStatusUncollectible:
		c.Reason = "Débiteur introuvable à toutes les adresses connues"
	default:
		if l.rng.IntN(2) == 0 {
			c.Reason = "Contact établi avec le débiteur"
		}
	}
	return l.do(c, by, collection.RoleAgent)
}

func (l *debtLife) charge() error {
	by := l.agent()
	kind := collection.ChargeKindFee
	if l.state.Status == collection.DebtStatusLegal || l.rng.IntN(4) == 0 {
		kind = collection.ChargeKindLegalCost
	}
	return l.do(collection.AddCharge{
		ID: l.id, ChargeID: uuid.Must(uuid.NewV7()).String(), Kind: kind, Amount: int64(500+l.rng.IntN(20_000)) * 100,
		Reason: pick(l.rng, chargeReasons), On: l.today.AddDays(-l.rng.IntN(30)), By: by,
	}, by, collection.RoleAgent)
}

// pay records a part of the balance, all of it, or more than it (the
// excess kept as the debtor's credit). One in four is backdated: the money
// moved weeks ago (a cheque cleared late, a CCP statement read late).
func (l *debtLife) pay(kind string) error {
	balance := l.state.Balance()
	in := collection.PaymentInput{Method: pick(l.rng, collection.PaymentMethods())}
	switch kind {
	case "part":
		in.Amount = min(balance-1, max(1, balance*int64(5+l.rng.IntN(56))/100/100*100))
	case "full":
		in.Amount = balance
	case "over":
		in.Amount, in.Overpayment = balance+int64(100+l.rng.IntN(5_000))*100, true
	}
	vd := l.today.AddDays(-l.rng.IntN(15))
	if l.rng.IntN(4) == 0 {
		vd = l.today.AddDays(-30 - l.rng.IntN(150))
	}
	in.ValueDate = vd.String()
	l.refs++
	switch in.Method {
	case collection.PaymentMethodCash, collection.PaymentMethodOther:
		if l.rng.IntN(3) == 0 {
			in.Reference = fmt.Sprintf("reçu %d-%d", l.n, l.refs)
		}
	case collection.PaymentMethodCheque:
		in.Reference = fmt.Sprintf("CHQ %07d", l.n*100+l.refs)
		// A bounced cheque presented again keeps its number.
		if ref, ok := l.bouncedCheque(); ok && l.rng.IntN(2) == 0 {
			in.Reference = ref
			l.tally["cheque presented again"]++
		}
	default:
		in.Reference = fmt.Sprintf("%s-%d-%03d", strings.ToUpper(in.Method), l.n, l.refs)
	}
	if l.rng.IntN(5) == 0 {
		in.Note = pick(l.rng, paymentNotes)
	}
	cmd, text, err := in.Validate(l.today)
	if err != nil {
		return fmt.Errorf("debt %d payment: %w", l.n, err)
	}
	if cmd.Personal, err = l.seal(l.state.DebtorID, text); err != nil {
		return err
	}
	by := l.agent()
	cmd.ID, cmd.PaymentID, cmd.By = l.id, uuid.Must(uuid.NewV7()).String(), by
	return l.do(cmd, by, collection.RoleAgent)
}

// bouncedCheque returns the number of a reversed cheque that no payment
// standing carries.
func (l *debtLife) bouncedCheque() (string, bool) {
	ps := l.state.Payments()
	for _, p := range ps {
		if !p.Reversed || p.Method != collection.PaymentMethodCheque {
			continue
		}
		if !slices.ContainsFunc(ps, func(q collection.DebtPayment) bool {
			return !q.Reversed && q.Method == p.Method && q.Reference == p.Reference
		}) {
			return p.Reference, true
		}
	}
	return "", false
}

// unreversed picks a payment not reversed, if any.
func (l *debtLife) unreversed() (collection.DebtPayment, bool) {
	var ps []collection.DebtPayment
	for _, p := range l.state.Payments() {
		if !p.Reversed {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return collection.DebtPayment{}, false
	}
	return pick(l.rng, ps), true
}

func (l *debtLife) reverse(p collection.DebtPayment) error {
	by := pick(l.rng, l.staff.admins)
	return l.do(collection.ReversePayment{ID: l.id, PaymentID: p.ID, Reason: pick(l.rng, reversalReasons), By: by}, by, collection.RoleAdmin)
}

// propose makes a proposal, mostly by an agent, sometimes by an admin.
func (l *debtLife) propose(action string) error {
	by, role := l.agent(), collection.RoleAgent
	if l.rng.IntN(5) == 0 {
		by, role = pick(l.rng, l.staff.admins), collection.RoleAdmin
	}
	c := collection.ProposeAction{ID: l.id, ProposalID: uuid.Must(uuid.NewV7()).String(), Action: action,
		Reason: pick(l.rng, proposalReasons[action]), By: by}
	if action == collection.ActionSettlement {
		balance := l.state.Balance()
		c.Discount = min(balance-1, max(1, balance*int64(10+l.rng.IntN(41))/100))
	}
	return l.do(c, by, role)
}

// decide approves or refuses a pending proposal, by an admin who did not
// make it. An approval the debt no longer allows (the balance fell below
// a settlement's discount) becomes a refusal, as a checker would do.
func (l *debtLife) decide(p collection.DebtProposal, approve bool) error {
	by := l.checker(p.By)
	c := collection.DecideProposal{ID: l.id, ProposalID: p.ID, Approve: approve, By: by}
	if approve {
		if _, err := collection.Handle(l.b, l.state, collection.AnyVersion, c); err != nil {
			if _, ok := collection.AsRejection(err); !ok {
				return err
			}
			c.Approve = false
		}
	}
	if !c.Approve {
		c.Reason = pick(l.rng, refusalReasons)
	}
	return l.do(c, by, collection.RoleAdmin)
}

// checkDebtLedger checks the debts, their payments and proposals against
// each other and against the timeline; like checkConsistent it holds at
// any moment, every batch being one transaction.
func checkDebtLedger(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	for _, c := range []struct{ what, sql string }{
		{"debts whose balance breaks balance = principal + charges − discount − written_off − paid + credit", `
			SELECT count(*) FROM debts WHERE balance <> principal + charges - discount - written_off - paid + credit`},
		{"debts with a negative amount", `SELECT count(*) FROM debts
			WHERE balance < 0 OR credit < 0 OR paid < 0 OR principal <= 0 OR charges < 0 OR discount < 0 OR written_off < 0`},
		{"recovered or written-off debts with a balance", `SELECT count(*) FROM debts
			WHERE status IN ('recovered', 'written_off') AND balance <> 0`},
		{"debts owing and holding a credit at once", `SELECT count(*) FROM debts WHERE balance > 0 AND credit > 0`},
		{"debts on hold without a hold reason, or with one off hold", `SELECT count(*) FROM debts
			WHERE (status = 'on_hold') = (hold_reason = '')
			  AND NOT (status = 'recovered' AND previous_status = 'on_hold')`},
		{"debts whose paid is not the sum of their payments not reversed", `
			SELECT count(*) FROM debts d LEFT JOIN (SELECT debt_id, sum(amount) AS s FROM payments
				WHERE reversed_at IS NULL GROUP BY debt_id) p ON p.debt_id = d.id
			WHERE d.paid <> coalesce(p.s, 0)`},
		{"debts whose last payment is not the latest value date of their payments not reversed", `
			SELECT count(*) FROM debts d LEFT JOIN (SELECT debt_id, max(value_date) AS m FROM payments
				WHERE reversed_at IS NULL GROUP BY debt_id) p ON p.debt_id = d.id
			WHERE d.last_payment_on IS DISTINCT FROM p.m`},
		{"payments whose allocation is not their amount", `SELECT count(*) FROM payments
			WHERE alloc_fees + alloc_principal + alloc_credit <> amount OR amount <= 0
			   OR alloc_fees < 0 OR alloc_principal < 0 OR alloc_credit < 0`},
		{"payments or proposals without their debt, or with other parties", `SELECT
			(SELECT count(*) FROM payments p LEFT JOIN debts d ON d.id = p.debt_id
				WHERE d.id IS NULL OR d.creditor_id <> p.creditor_id OR d.debtor_id <> p.debtor_id) +
			(SELECT count(*) FROM debt_proposals p LEFT JOIN debts d ON d.id = p.debt_id
				WHERE d.id IS NULL OR d.creditor_id <> p.creditor_id)`},
		{"debts whose wilaya is not their debtor's", `SELECT count(*) FROM debts d LEFT JOIN debtors x ON x.id = d.debtor_id
			WHERE d.wilaya IS DISTINCT FROM x.wilaya`},
		{"debts without their creditor_debtors link", `SELECT count(*) FROM debts d WHERE NOT EXISTS
			(SELECT 1 FROM creditor_debtors l WHERE l.creditor_id = d.creditor_id AND l.debtor_id = d.debtor_id)`},
		{"proposals whose decision columns disagree with their status", `SELECT count(*) FROM debt_proposals
			WHERE (status = 'pending') <> (decided_at IS NULL) OR (status = 'pending') <> (decided_by = '')
			   OR status NOT IN ('pending', 'approved', 'refused') OR decided_by = proposed_by`},
	} {
		if n := rowCount(t, pool, c.sql); n != 0 {
			t.Fatalf("%d %s", n, c.what)
		}
	}
	// Each row stands for its event in the timeline, which the same batch
	// transactions wrote.
	for _, c := range []struct{ rows, event string }{
		{"SELECT count(*) FROM debts", "debt.opened"},
		{"SELECT count(*) FROM payments", "debt.payment_recorded"},
		{"SELECT count(*) FROM payments WHERE reversed_at IS NOT NULL", "debt.payment_reversed"},
		{"SELECT count(*) FROM debt_proposals", "debt.action_proposed"},
		{"SELECT count(*) FROM debt_proposals WHERE status = 'approved'", "debt.proposal_approved"},
		{"SELECT count(*) FROM debt_proposals WHERE status = 'refused'", "debt.proposal_refused"},
	} {
		rows := rowCount(t, pool, c.rows)
		if evs := rowCount(t, pool, "SELECT count(*) FROM event_log WHERE type = $1", c.event); rows != evs {
			t.Fatalf("%q counts %d, the timeline has %d %s events", c.rows, rows, evs, c.event)
		}
	}
}

// checkDebtStates compares every debt row with the state the decider
// holds of it (folded by the generator from the same events): the
// projection's running totals must come out as the domain's ledger.
func checkDebtStates(t testing.TB, pool *pgxpool.Pool, p *portfolio) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id, status, hold_reason, coalesce(agent_id::text, ''),
		current_due_on, principal, charges, discount, written_off, paid, credit, balance, version FROM debts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := 0
	for rows.Next() {
		var (
			id, status, hold, agent                                         string
			due                                                             time.Time
			principal, charges, discount, writtenOff, paid, credit, balance int64
			version                                                         int64
		)
		if err := rows.Scan(&id, &status, &hold, &agent, &due, &principal, &charges, &discount, &writtenOff,
			&paid, &credit, &balance, &version); err != nil {
			t.Fatal(err)
		}
		s, ok := p.debtStates[id]
		if !ok {
			t.Fatalf("debt %s in the table was not generated", id)
		}
		seen++
		// A debt recovered while on hold keeps the reason of the hold a
		// reversal would reopen.
		wantHold := ""
		if s.Status == collection.DebtStatusOnHold ||
			s.Status == collection.DebtStatusRecovered && s.RecoveredFrom == collection.DebtStatusOnHold {
			wantHold = s.HoldReason
		}
		got := fmt.Sprintf("%#v", []any{status, hold, agent, due.Format(time.DateOnly), principal, charges, discount,
			writtenOff, paid, credit, balance, version})
		want := fmt.Sprintf("%#v", []any{s.Status, wantHold, s.AgentID, s.CurrentDueOn.String(), s.Principal(),
			s.Fees() + s.Charges(), s.Discount(), s.WrittenOff(), s.Paid(), s.Credit(), s.Balance(), s.Version()})
		if got != want {
			t.Fatalf("debt %s reads\n %s\nthe decider holds\n %s\n(status hold_reason agent due principal charges discount written_off paid credit balance version)", id, got, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(p.debtStates) {
		t.Fatalf("%d debts in the table, %d generated", seen, len(p.debtStates))
	}
}
