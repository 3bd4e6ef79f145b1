package projections_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/internal/pgtest"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/projections"
	"github.com/adc-dz/tahsil/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// eventProjections names the projections of tahsil.events.
var eventProjections = apptest.ProjectionNames()

// readModelTables are the tables of the event projections, with the
// columns that order a dump (a unique key, so the order is total).
// dumpReadModels fails when a projection owns a table not listed here.
var readModelTables = []struct{ table, key string }{
	{"creditors", "id"},
	{"debtors", "id"},
	{"accounts", "id"},
	{"creditor_debtors", "creditor_id, debtor_id"},
	{"debts", "id"},
	{"payments", "id"},
	{"debt_proposals", "id"},
	{"debt_debtor_wilayas", "debtor_id"},
	{"payment_plans", "id"},
	{"plan_payments", "plan_id, payment_id"},
	{"promises", "id"},
	{"documents", "id"},
	{"interactions", "id"},
	{"tasks", "id"},
	{"legal_procedures", "id"},
	{"legal_steps", "id"},
	{"legal_deadlines", "id"},
	{"event_log", "event_id"},
}

// scaled multiplies n by TAHSIL_TEST_SCALE (default 1), so the same tests
// can generate a much larger portfolio when someone asks for it.
func scaled(n int) int {
	if f, err := strconv.Atoi(os.Getenv("TAHSIL_TEST_SCALE")); err == nil && f > 1 {
		return n * f
	}
	return n
}

// portfolio submits commands straight to the bus, as the API does, and
// remembers where their events landed. It needs only the decider: it
// never reads a read model, so it also works with NoProjections.
type portfolio struct {
	app *apptest.App

	mu        sync.Mutex
	last      map[int32]int64 // partition → offset of the last event written
	events    int
	creditors []string
	debtors   []string
	archived  map[string]bool // archived debtors
	// archivedCreditors are not given new debts, as the API refuses them.
	archivedCreditors map[string]bool
	// debts are the debts opened, in order; debtStates their state as the
	// decider holds it after their last command (folded here with the
	// domain's own decide and evolve); debtTally counts their events by
	// type and by case (see debtLife.tally).
	debts      []string
	debtStates map[string]collection.DebtState
	debtTally  map[string]int
	staff      staffIDs
}

func newPortfolio(app *apptest.App) *portfolio {
	return &portfolio{
		app: app, last: map[int32]int64{}, archived: map[string]bool{}, archivedCreditors: map[string]bool{},
		debtStates: map[string]collection.DebtState{}, debtTally: map[string]int{}, staff: newStaffIDs(),
	}
}

// portfolioSpec says what generate makes: every party is registered, then
// updated and sometimes archived, one command after the other; Workers
// parties are worked on at once, so the log interleaves them. Then Debts
// debts are opened, each for a creditor and a debtor of the portfolio, and
// worked (see generateDebts): their commands go to tahsil.commands in
// large batches, interleaved.
type portfolioSpec struct {
	Creditors, Debtors int
	Debts              int
	Workers            int
	Seed               uint64
}

// generate builds the parties and debts of spec and returns when the
// decider has accepted every command.
func (p *portfolio) generate(t testing.TB, spec portfolioSpec) {
	t.Helper()
	start := time.Now()
	if err := p.generateErr(spec); err != nil {
		t.Fatalf("generate portfolio: %v", err)
	}
	t.Logf("generated %d creditors, %d debtors and %d debts (%d events so far) in %s",
		spec.Creditors, spec.Debtors, spec.Debts, p.eventCount(), time.Since(start).Round(time.Millisecond))
}

// generateErr is generate for goroutines other than the test's.
func (p *portfolio) generateErr(spec portfolioSpec) error {
	if spec.Workers == 0 {
		spec.Workers = 16
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p.mu.Lock()
	base := len(p.creditors) + len(p.debtors)
	p.mu.Unlock()
	jobs := make(chan func() error)
	errc := make(chan error, spec.Workers)
	var wg sync.WaitGroup
	for range spec.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if err := job(); err != nil {
					select {
					case errc <- err:
					default:
					}
					cancel()
				}
			}
		}()
	}
	for i := range max(spec.Creditors, spec.Debtors) {
		for j, job := range []struct {
			ok  bool
			run func(context.Context, int, *rand.Rand) error
		}{{i < spec.Creditors, p.creditorLife}, {i < spec.Debtors, p.debtorLife}} {
			if !job.ok {
				continue
			}
			n, run := base+i, job.run
			rng := rand.New(rand.NewPCG(spec.Seed, uint64(n)*2+uint64(j)))
			select {
			case jobs <- func() error { return run(ctx, n, rng) }:
			case <-ctx.Done():
			}
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	if spec.Debts > 0 {
		return p.generateDebts(spec)
	}
	return nil
}

var (
	givenNames  = []string{"Amina", "Yacine", "Meriem", "Karim", "Nadia", "Sofiane", "Lyes", "Samira", "محمد", "فاطمة", "Walid", "Khadidja"}
	familyNames = []string{"Kaci", "Benali", "Haddad", "Bouzid", "Mansouri", "Cherif", "بن علي", "Saadi", "Toumi", "Ferhat"}
	companies   = []string{"Atlas", "Sahara Distribution", "Numidia Import", "El Djazair Services", "Tassili", "Hoggar Froid", "Cirta BTP"}
)

func (p *portfolio) debtorLife(ctx context.Context, n int, rng *rand.Rand) error {
	id := uuid.Must(uuid.NewV7()).String()
	in := collection.DebtorInput{
		Kind:     collection.DebtorPerson,
		FullName: givenNames[n%len(givenNames)] + " " + familyNames[(n/len(givenNames))%len(familyNames)],
		NIN:      fmt.Sprintf("1%017d", 1000+n),
		Phones:   []string{fmt.Sprintf("06%08d", n)},
		Wilaya:   1 + n%58,
		Language: collection.Languages[n%3],
	}
	if n%5 == 4 {
		in.Kind, in.NIN = collection.DebtorCompany, ""
		in.FullName = "SARL " + companies[n%len(companies)] + " " + strconv.Itoa(n)
		in.NIF = fmt.Sprintf("0%014d", 5000+n)
		in.RC = fmt.Sprintf("16/00-%07dB%02d", n, n%25)
	}
	if rng.IntN(3) == 0 {
		in.Email = fmt.Sprintf("debtor%d@example.dz", n)
	}
	profile, personal, err := in.Validate()
	if err != nil {
		return fmt.Errorf("debtor %d: %w", n, err)
	}
	sealed, err := p.seal(ctx, id, personal)
	if err != nil {
		return err
	}
	ref := fmt.Sprintf("D-T%05d", n)
	if err := p.submit(ctx, id, collection.RegisterDebtor{ID: id, Ref: ref, Profile: profile, Personal: sealed}); err != nil {
		return err
	}
	p.mu.Lock()
	p.debtors = append(p.debtors, id)
	p.mu.Unlock()

	var patches []collection.DebtorPatch
	if rng.IntN(10) < 6 {
		e := fmt.Sprintf("d%d.new@example.dz", n)
		patches = append(patches, collection.DebtorPatch{Email: &e})
	}
	if rng.IntN(10) < 4 {
		w, lang := 1+rng.IntN(58), collection.Languages[rng.IntN(3)]
		patches = append(patches, collection.DebtorPatch{Wilaya: &w, Language: &lang})
	}
	if rng.IntN(10) < 3 {
		phones := []string{fmt.Sprintf("07%08d", n), fmt.Sprintf("+213 5%08d", n)}
		addr := fmt.Sprintf("%d rue Didouche Mourad, Alger", n)
		patches = append(patches, collection.DebtorPatch{Phones: &phones, Address: &addr})
	}
	for _, patch := range patches {
		changes, personal, fields, err := patch.Validate(in.Kind)
		if err != nil {
			return fmt.Errorf("debtor %d patch: %w", n, err)
		}
		var sealed collection.Sealed
		if len(fields) > 0 {
			if sealed, err = p.seal(ctx, id, personal); err != nil {
				return err
			}
		}
		if err := p.submit(ctx, id, collection.UpdateDebtor{ID: id, Changes: changes, PersonalFields: fields, Personal: sealed}); err != nil {
			return err
		}
	}
	if rng.IntN(100) < 15 {
		if err := p.submit(ctx, id, collection.ArchiveDebtor{ID: id, Reason: "paid in full"}); err != nil {
			return err
		}
		p.mu.Lock()
		p.archived[id] = true
		p.mu.Unlock()
	}
	return nil
}

func (p *portfolio) creditorLife(ctx context.Context, n int, rng *rand.Rand) error {
	id := uuid.Must(uuid.NewV7()).String()
	in := collection.CreditorInput{
		Name: companies[n%len(companies)] + " " + strconv.Itoa(n), LegalForm: []string{"SARL", "SPA", "EURL"}[n%3],
		NIF: fmt.Sprintf("1%014d", 7000+n), Wilaya: 1 + n%58, Phone: fmt.Sprintf("021 %02d %02d %02d", n%100, (n/100)%100, 11),
		ContactName: givenNames[n%len(givenNames)] + " " + familyNames[n%len(familyNames)], CommissionBPS: 500 + n%1000,
	}
	profile, personal, err := in.Validate()
	if err != nil {
		return fmt.Errorf("creditor %d: %w", n, err)
	}
	sealed, err := p.seal(ctx, id, personal)
	if err != nil {
		return err
	}
	if err := p.submit(ctx, id, collection.RegisterCreditor{ID: id, Ref: fmt.Sprintf("C-T%05d", n), Profile: profile, Personal: sealed}); err != nil {
		return err
	}
	p.mu.Lock()
	p.creditors = append(p.creditors, id)
	p.mu.Unlock()
	var patches []collection.CreditorPatch
	if rng.IntN(10) < 7 {
		e := fmt.Sprintf("contact%d@creditor.dz", n)
		patches = append(patches, collection.CreditorPatch{Email: &e})
	}
	if rng.IntN(10) < 5 {
		bps, sector := rng.IntN(2000), "distribution"
		patches = append(patches, collection.CreditorPatch{CommissionBPS: &bps, Sector: &sector})
	}
	for _, patch := range patches {
		changes, personal, fields, err := patch.Validate()
		if err != nil {
			return fmt.Errorf("creditor %d patch: %w", n, err)
		}
		var sealed collection.Sealed
		if len(fields) > 0 {
			if sealed, err = p.seal(ctx, id, personal); err != nil {
				return err
			}
		}
		if err := p.submit(ctx, id, collection.UpdateCreditor{ID: id, Changes: changes, PersonalFields: fields, Personal: sealed}); err != nil {
			return err
		}
	}
	if rng.IntN(100) < 10 {
		if err := p.submit(ctx, id, collection.ArchiveCreditor{ID: id, Reason: "contract ended"}); err != nil {
			return err
		}
		p.mu.Lock()
		p.archivedCreditors[id] = true
		p.mu.Unlock()
	}
	return nil
}

// seal creates the subject's data key if needed and seals v, as the API does.
func (p *portfolio) seal(ctx context.Context, subject string, v any) (collection.Sealed, error) {
	if err := p.app.Keys.Create(ctx, subject); err != nil {
		return nil, err
	}
	return p.app.Sealer.Seal(ctx, subject, v)
}

// sealText seals a text about a debtor as the API does: nil when there is
// none.
func (p *portfolio) sealText(ctx context.Context, debtorID string, text collection.DebtPersonal) (collection.Sealed, error) {
	if text.IsZero() {
		return nil, nil
	}
	return p.seal(ctx, debtorID, text)
}

// personalOf is the personal part of a command or an event, if any.
func personalOf(v any) []byte {
	if pc, ok := v.(collection.PersonalCarrier); ok {
		return pc.PersonalPart()
	}
	return nil
}

// submit sends a command through the bus and requires it accepted.
func (p *portfolio) submit(ctx context.Context, id string, cmd collection.Command) error {
	out, err := submitCommand(ctx, p.app, id, cmd)
	if err != nil {
		return err
	}
	if out.Status != events.Accepted {
		return fmt.Errorf("%s of %s rejected: %+v", out.CommandType, id, out.Rejection)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events += out.EventCount
	if cur, ok := p.last[out.Partition]; out.EventCount > 0 && (!ok || out.LastOffset > cur) {
		p.last[out.Partition] = out.LastOffset
	}
	return nil
}

// submitCommand builds a command envelope as api.Server.submit does and
// waits for its outcome.
func submitCommand(ctx context.Context, app *apptest.App, id string, cmd collection.Command) (*events.Outcome, error) {
	typ, v, data, err := app.Registry.Encode(cmd)
	if err != nil {
		return nil, err
	}
	personal := personalOf(cmd)
	env := &events.CommandEnvelope{
		ID: uuid.Must(uuid.NewV7()).String(), Type: typ, V: v,
		Aggregate:       events.AggregateRef{Type: cmd.Aggregate(), ID: id},
		ExpectedVersion: collection.AnyVersion, IssuedAt: time.Now().UTC(),
		Actor:         events.Actor{UserID: "projections-test", Role: "agent", IP: "127.0.0.1"},
		CorrelationID: "projections-test", Data: data, Personal: personal,
	}
	out, err := app.Bus.Submit(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("submit %s of %s: %w", typ, id, err)
	}
	return out, nil
}

func (p *portfolio) eventCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.events
}

// ends returns a copy of the offset of the last event of each partition.
func (p *portfolio) ends() map[int32]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int32]int64, len(p.last))
	for k, v := range p.last {
		out[k] = v
	}
	return out
}

// offsets reads the stored next offsets of the named projections.
func offsets(t testing.TB, pool *pgxpool.Pool, names ...string) map[string]map[int32]int64 {
	t.Helper()
	rows, err := store.New(pool).ProjectionOffsetsList(context.Background(), names)
	if err != nil {
		t.Fatalf("read projection offsets: %v", err)
	}
	out := map[string]map[int32]int64{}
	for _, n := range names {
		out[n] = map[int32]int64{}
	}
	for _, r := range rows {
		out[r.Projection][r.Partition] = r.NextOffset
	}
	return out
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitApplied waits until every named projection stored a next offset
// past the given last event offsets.
func waitApplied(t testing.TB, pool *pgxpool.Pool, last map[int32]int64, names ...string) {
	t.Helper()
	if len(names) == 0 {
		names = eventProjections
	}
	waitFor(t, 30*time.Second, "the projections to catch up", func() (bool, string) {
		got := offsets(t, pool, names...)
		for _, n := range names {
			for part, off := range last {
				if got[n][part] <= off {
					return false, fmt.Sprintf("%s at %d/%d, event at %d (stored %v)", n, part, got[n][part], off, got)
				}
			}
		}
		return true, ""
	})
}

// dumpTable copies a table, rows in key order, in COPY's text format:
// every column, byte for byte as PostgreSQL renders it.
func dumpTable(t testing.TB, pool *pgxpool.Pool, table, key string) []byte {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var buf bytes.Buffer
	sql := fmt.Sprintf("COPY (SELECT * FROM %s ORDER BY %s) TO STDOUT", table, key)
	if _, err := conn.Conn().PgConn().CopyTo(ctx, &buf, sql); err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	return buf.Bytes()
}

// dumpReadModels dumps the tables of the event projections.
func dumpReadModels(t testing.TB, pool *pgxpool.Pool) map[string][]byte {
	t.Helper()
	for _, p := range projections.ForEvents(nil) {
		for _, table := range p.Tables() {
			if !slices.ContainsFunc(readModelTables, func(tb struct{ table, key string }) bool { return tb.table == table }) {
				t.Fatalf("table %s of projection %s is not in readModelTables: it would not be compared", table, p.Name())
			}
		}
	}
	out := map[string][]byte{}
	for _, tb := range readModelTables {
		out[tb.table] = dumpTable(t, pool, tb.table, tb.key)
	}
	return out
}

// requireSameDumps fails with the first differing row of each table.
func requireSameDumps(t testing.TB, what string, want, got map[string][]byte) {
	t.Helper()
	for _, tb := range readModelTables {
		w, g := want[tb.table], got[tb.table]
		if bytes.Equal(w, g) {
			continue
		}
		wl, gl := strings.Split(string(w), "\n"), strings.Split(string(g), "\n")
		for i := 0; i < max(len(wl), len(gl)); i++ {
			var a, b string
			if i < len(wl) {
				a = wl[i]
			}
			if i < len(gl) {
				b = gl[i]
			}
			if a != b {
				t.Errorf("%s: table %s differs (%d vs %d rows) first at row %d:\n want %s\n  got %s", what, tb.table, len(wl)-1, len(gl)-1, i, a, b)
				break
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func rowCount(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// checkConsistent checks what a batch transaction guarantees, whatever
// moment it is looked at: the timeline holds exactly the records below its
// stored offsets, with each aggregate's versions 1..n, and each
// creditor's, debtor's and debt's row is at the version of its last event
// in the timeline (the projections of a runner advance together); the
// debts, their payments and proposals agree with each other and with the
// timeline (checkDebtLedger).
func checkConsistent(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	if n := rowCount(t, pool, `SELECT count(*) FROM event_log e LEFT JOIN projection_offsets o
		ON o.projection = 'timeline' AND o.partition = e.partition
		WHERE o.next_offset IS NULL OR e.kafka_offset >= o.next_offset`); n != 0 {
		t.Fatalf("%d timeline rows at or beyond the stored offsets: a batch was half committed", n)
	}
	if n := rowCount(t, pool, `SELECT count(*) FROM (SELECT aggregate_id FROM event_log GROUP BY aggregate_id
		HAVING count(*) <> max(aggregate_version) OR min(aggregate_version) <> 1) g`); n != 0 {
		t.Fatalf("%d aggregates with gaps or duplicates in their timeline versions", n)
	}
	if n := rowCount(t, pool, `SELECT count(*) FROM (SELECT partition FROM projection_offsets
		WHERE projection = ANY($1) GROUP BY partition
		HAVING count(DISTINCT next_offset) > 1 OR count(*) <> cardinality($1::text[])) d`, eventProjections); n != 0 {
		t.Fatalf("projections of one runner at different offsets: %v", offsets(t, pool, eventProjections...))
	}
	for _, p := range []struct{ table, agg string }{{"creditors", "creditor"}, {"debtors", "debtor"}, {"debts", "debt"}} {
		sql := fmt.Sprintf(`SELECT count(*) FROM (SELECT aggregate_id, max(aggregate_version) v FROM event_log
			WHERE aggregate_type = '%s' GROUP BY aggregate_id) e FULL JOIN %s r ON r.id = e.aggregate_id
			WHERE r.id IS NULL OR e.aggregate_id IS NULL OR r.version <> e.v`, p.agg, p.table)
		if n := rowCount(t, pool, sql); n != 0 {
			t.Fatalf("%d %s rows disagree with the timeline", n, p.table)
		}
	}
	checkDebtLedger(t, pool)
}

// runner is a projection runner running in the background.
type runner struct {
	*projections.Runner
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	// panicked holds what Run panicked with, if it did.
	panicked any
	started  atomic.Bool
	stopped  sync.Once
}

// startRunner runs a runner of tahsil.events until stopped or the test
// ends. configure, when set, may change the runner before Run.
func startRunner(t testing.TB, cfg projections.RunnerConfig, configure func(*projections.Runner)) *runner {
	t.Helper()
	r := newRunner(t, cfg, configure)
	r.start()
	return r
}

// newRunner makes a runner that start runs.
func newRunner(t testing.TB, cfg projections.RunnerConfig, configure func(*projections.Runner)) *runner {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = apptest.Logger()
	}
	r, err := projections.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rr := &runner{Runner: r, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	t.Cleanup(rr.stop)
	return rr
}

func (r *runner) start() {
	r.started.Store(true)
	go func() {
		defer close(r.done)
		defer func() { r.panicked = recover() }()
		r.err = r.Run(r.ctx)
	}()
}

// stop ends Run and leaves the group; it is safe to call twice.
func (r *runner) stop() {
	r.stopped.Do(func() {
		r.cancel()
		if r.started.Load() {
			<-r.done
		}
		r.Close()
	})
}

// eventRunnerConfig is the configuration of the app's events runner.
func eventRunnerConfig(app *apptest.App, group string, projs []projections.Projection) projections.RunnerConfig {
	if projs == nil {
		projs = app.EventProjections()
	}
	return projections.RunnerConfig{
		Brokers: app.Brokers, Pool: app.Pool, Group: group, Projections: projs, Registry: app.Registry,
	}
}

// rebuild rebuilds the named projections (all event projections if none)
// with a fresh keyring, as `tahsil projections rebuild` does in a process
// of its own, in batches of 500 records.
func rebuild(t testing.TB, app *apptest.App, names ...string) projections.RebuildResult {
	t.Helper()
	return rebuildInBatches(t, app, 500, names...)
}

// rebuildInBatches is rebuild with batches of up to batchSize records.
func rebuildInBatches(t testing.TB, app *apptest.App, batchSize int, names ...string) projections.RebuildResult {
	t.Helper()
	if len(names) == 0 {
		names = eventProjections
	}
	var chosen []projections.Projection
	for _, p := range freshProjections(t, app) {
		for _, n := range names {
			if p.Name() == n {
				chosen = append(chosen, p)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var calls int
	res, err := projections.Rebuild(ctx, projections.RebuildConfig{
		Brokers: app.Brokers, Pool: app.Pool, Projections: chosen, Registry: app.Registry,
		BatchSize: batchSize, Progress: func(done, total int64) {
			calls++
			if done > total {
				t.Errorf("rebuild progress %d of %d", done, total)
			}
		},
	})
	if err != nil {
		t.Fatalf("rebuild %v: %v", names, err)
	}
	if calls == 0 {
		t.Errorf("rebuild never reported progress")
	}
	return res
}

// freshProjections returns the event projections over a keyring of their
// own, with an empty cache, as another process would have.
func freshProjections(t testing.TB, app *apptest.App) []projections.Projection {
	t.Helper()
	keys, err := keyring.New(app.Pool, app.MasterKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	personal := struct {
		*events.Sealer
		*keyring.Keyring
	}{events.NewSealer(keys), keys}
	return projections.ForEvents(personal)
}

// produceEvent writes an event envelope straight to a partition of
// tahsil.events, outside any transaction, as a buggy or foreign writer
// would, and returns its offset.
func produceEvent(t testing.TB, app *apptest.App, partition int32, env *events.Envelope) int64 {
	t.Helper()
	rec, err := events.EventRecord(env)
	if err != nil {
		t.Fatal(err)
	}
	rec.Partition = partition
	cl, err := kgo.NewClient(kgo.SeedBrokers(app.Brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	res := cl.ProduceSync(context.Background(), rec)
	if err := res.FirstErr(); err != nil {
		t.Fatalf("produce event: %v", err)
	}
	return res[0].Record.Offset
}

// readEvents reads every record of tahsil.events up to the given last
// offsets, decoded as a runner decodes them.
func readEvents(t testing.TB, app *apptest.App, last map[int32]int64) []projections.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	consume := map[int32]kgo.Offset{}
	for part := range last {
		consume[part] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(app.Brokers...), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{events.EventsTopic: consume}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	remaining := len(last)
	var recs []projections.Record
	for remaining > 0 {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read events: %v", ctx.Err())
		}
		fetches.EachError(func(_ string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("read events: partition %d: %v", p, err)
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := last[r.Partition]
			if !ok || r.Offset > end {
				return
			}
			recs = append(recs, projections.Record{Partition: r.Partition, Offset: r.Offset, Value: r.Value})
			if r.Offset == end {
				remaining--
			}
		})
	}
	if err := projections.Decode(app.Registry, recs); err != nil {
		t.Fatal(err)
	}
	return recs
}
