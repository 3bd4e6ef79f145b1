package projections_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/keyring"
	"github.com/adc-dz/tahsil/store"
)

// TestRebuildEqualsIncremental builds a portfolio through the running app
// (its REST API and its bus), then rebuilds every event projection from
// offset zero beside the live runners: the tables must come out byte for
// byte as incremental application left them. Rebuilding one projection
// then leaves the others' rows physically untouched.
func TestRebuildEqualsIncremental(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	restIDs := throughREST(t, app)
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: scaled(50), Debtors: scaled(300), Debts: scaled(300), Seed: 1})
	waitApplied(t, app.Pool, p.ends())

	pool := app.Pool
	if got, want := rowCount(t, pool, "SELECT count(*) FROM debtors"), len(p.debtors)+1; got != want {
		t.Fatalf("%d debtors, want %d", got, want)
	}
	if got, want := rowCount(t, pool, "SELECT count(*) FROM creditors"), len(p.creditors)+1; got != want {
		t.Fatalf("%d creditors, want %d", got, want)
	}
	if got, want := rowCount(t, pool, "SELECT count(*) FROM debtors WHERE status = 'archived'"), len(p.archived)+1; got != want {
		t.Fatalf("%d archived debtors, want %d", got, want)
	}
	// The agent's account events (sign-in facts are recorded in the
	// background) are not the portfolio's.
	if got, want := rowCount(t, pool, "SELECT count(*) FROM event_log WHERE aggregate_type <> 'account'"), p.eventCount()+restIDs.events; got != want {
		t.Fatalf("%d timeline rows, want %d", got, want)
	}
	checkConsistent(t, pool)
	checkDebtStates(t, pool, p)
	incremental := dumpReadModels(t, pool)
	offsetsBefore := offsets(t, pool, eventProjections...)

	start := time.Now()
	res := rebuild(t, app)
	t.Logf("rebuilt %d records in %s", res.Records, time.Since(start).Round(time.Millisecond))
	if len(res.Failures) > 0 {
		t.Fatalf("rebuild stopped: %+v", res.Failures)
	}
	if res.Records < int64(p.eventCount()) {
		t.Fatalf("rebuild read %d records, the log has at least %d events", res.Records, p.eventCount())
	}
	requireSameDumps(t, "full rebuild", incremental, dumpReadModels(t, pool))
	if got := offsets(t, pool, eventProjections...); fmt.Sprint(got) != fmt.Sprint(offsetsBefore) {
		t.Fatalf("offsets after rebuild %v, before %v", got, offsetsBefore)
	}
	// The rebuilt rows still serve the API.
	var d struct {
		Email   string `json:"email"`
		Status  string `json:"status"`
		Version int64  `json:"version"`
	}
	getJSON(t, restIDs.token, app.URL+"/api/v1/debtors/"+restIDs.debtor, &d)
	if d.Email != "amina.kaci@example.dz" || d.Status != collection.StatusArchived || d.Version != 3 {
		t.Fatalf("debtor made through the API reads %+v after the rebuild", d)
	}

	// One projection alone: the others are neither emptied nor rewritten.
	untouched := physicalRows(t, app)
	res = rebuild(t, app, "debtors")
	if len(res.Failures) > 0 {
		t.Fatalf("rebuild of debtors stopped: %+v", res.Failures)
	}
	requireSameDumps(t, "rebuild of debtors", incremental, dumpReadModels(t, pool))
	if got := physicalRows(t, app); got != untouched {
		t.Fatalf("rebuilding debtors touched the other projections' rows or offsets")
	}
}

// restResult names what throughREST made.
type restResult struct {
	debtor, creditor string
	token            string
	events           int
}

// throughREST makes a creditor and a debtor through the REST API, then
// updates and archives the debtor: the realistic path, with read-your-writes.
func throughREST(t testing.TB, app *apptest.App) restResult {
	t.Helper()
	var r restResult
	token := app.NewStaff(t, "agent").Token
	send := func(t testing.TB, method, url, body string, want int, into any) {
		t.Helper()
		sendAs(t, token, method, url, body, want, into)
	}
	var c struct {
		ID string `json:"id"`
	}
	send(t, http.MethodPost, app.URL+"/api/v1/creditors", `{"name":"SARL Atlas","nif":"000216012345678","wilaya":16}`, http.StatusCreated, &c)
	send(t, http.MethodPatch, app.URL+"/api/v1/creditors/"+c.ID, `{"email":"compta@atlas.dz","commission_bps":750}`, http.StatusOK, nil)
	var d struct {
		ID string `json:"id"`
	}
	send(t, http.MethodPost, app.URL+"/api/v1/debtors",
		`{"kind":"person","full_name":"Amina Kaci","nin":"209950456789012345","phones":["0661 98 76 54"],"wilaya":6}`, http.StatusCreated, &d)
	send(t, http.MethodPatch, app.URL+"/api/v1/debtors/"+d.ID, `{"email":"amina.kaci@example.dz"}`, http.StatusOK, nil)
	send(t, http.MethodDelete, app.URL+"/api/v1/debtors/"+d.ID, "", http.StatusOK, nil)
	r.debtor, r.creditor, r.events, r.token = d.ID, c.ID, 5, token
	return r
}

func sendAs(t testing.TB, token, method, url, body string, want int, into any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, want, buf.String())
	}
	if into != nil {
		if err := json.Unmarshal(buf.Bytes(), into); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
}

func getJSON(t testing.TB, token, url string, into any) {
	t.Helper()
	sendAs(t, token, http.MethodGet, url, "", http.StatusOK, into)
}

// physicalRows identifies the creditors and timeline rows and offsets by
// their physical version (xmin, ctid): a rewrite or a truncation changes
// them even when the values stay equal.
func physicalRows(t testing.TB, app *apptest.App) string {
	t.Helper()
	var s string
	err := app.Pool.QueryRow(context.Background(), `SELECT
		(SELECT string_agg(id::text || xmin::text || ctid::text, ',' ORDER BY id) FROM creditors) ||
		(SELECT string_agg(event_id::text || xmin::text || ctid::text, ',' ORDER BY event_id) FROM event_log) ||
		(SELECT string_agg(projection || partition || xmin::text || next_offset || updated_at, ',' ORDER BY projection, partition)
		 FROM projection_offsets WHERE projection <> 'debtors')`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRebuildShowsErasedPeople destroys the data keys of a debtor and a
// creditor (crypto-shredding): a rebuild shows them erased, personal
// columns blank, everything else as it was, and the log untouched.
func TestRebuildShowsErasedPeople(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: 6, Debtors: 30, Seed: 6})
	waitApplied(t, app.Pool, p.ends())
	ctx := context.Background()
	q := store.New(app.Pool)

	var debtorID, creditorID string
	if err := app.Pool.QueryRow(ctx, `SELECT id FROM debtors WHERE status = 'active' AND email <> '' AND address <> ''
		ORDER BY version DESC, id LIMIT 1`).Scan(&debtorID); err != nil {
		t.Fatalf("pick a debtor with updates: %v", err)
	}
	if err := app.Pool.QueryRow(ctx, `SELECT id FROM creditors WHERE status = 'active' AND email <> '' ORDER BY id LIMIT 1`).Scan(&creditorID); err != nil {
		t.Fatalf("pick a creditor: %v", err)
	}
	debtorBefore, err := q.DebtorGet(ctx, store.DebtorGetParams{ID: debtorID})
	if err != nil {
		t.Fatal(err)
	}
	creditorBefore, err := q.CreditorGet(ctx, store.CreditorGetParams{ID: creditorID})
	if err != nil {
		t.Fatal(err)
	}
	if debtorBefore.FullName == "" || debtorBefore.Nin == "" && debtorBefore.Nif == "" || len(debtorBefore.Phones) == 0 {
		t.Fatalf("the chosen debtor has no personal data to erase: %+v", debtorBefore)
	}
	others := func() []byte {
		return bytes.Join([][]byte{
			dumpTable(t, app.Pool, fmt.Sprintf("debtors WHERE id <> '%s'", debtorID), "id"),
			dumpTable(t, app.Pool, fmt.Sprintf("creditors WHERE id <> '%s'", creditorID), "id"),
			dumpTable(t, app.Pool, "event_log", "event_id"),
		}, []byte("--\n"))
	}
	othersBefore := others()

	for _, id := range []string{debtorID, creditorID} {
		if err := app.Keys.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	res := rebuild(t, app)
	if len(res.Failures) > 0 {
		t.Fatalf("rebuild stopped: %+v", res.Failures)
	}

	d, err := q.DebtorGet(ctx, store.DebtorGetParams{ID: debtorID})
	if err != nil {
		t.Fatal(err)
	}
	want := debtorBefore
	want.Erased = true
	want.FullName, want.Nin, want.Nif, want.Rc, want.Email, want.Address = "", "", "", "", "", ""
	want.Phones = []string{}
	want.Search = collection.SearchText(want.Ref)
	if fmt.Sprintf("%#v", d) != fmt.Sprintf("%#v", want) {
		t.Fatalf("erased debtor after rebuild:\n got %#v\nwant %#v", d, want)
	}
	c, err := q.CreditorGet(ctx, store.CreditorGetParams{ID: creditorID})
	if err != nil {
		t.Fatal(err)
	}
	wantC := creditorBefore
	wantC.Erased = true
	wantC.Name, wantC.Nif, wantC.Rc, wantC.Address, wantC.Phone, wantC.Email, wantC.ContactName = "", "", "", "", "", "", ""
	wantC.Search = collection.SearchText(wantC.Ref)
	if fmt.Sprintf("%#v", c) != fmt.Sprintf("%#v", wantC) {
		t.Fatalf("erased creditor after rebuild:\n got %#v\nwant %#v", c, wantC)
	}
	if !bytes.Equal(others(), othersBefore) {
		t.Fatal("erasing two people changed other rows or the timeline")
	}
	// The log keeps the sealed parts; nobody can open them any more.
	var sealed []byte
	if err := app.Pool.QueryRow(ctx, `SELECT personal FROM event_log WHERE aggregate_id = $1 AND aggregate_version = 1`, debtorID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	var dp collection.DebtorPersonal
	if err := freshSealer(t, app).Open(ctx, debtorID, sealed, &dp); !errors.Is(err, keyring.ErrErased) {
		t.Fatalf("opening an erased debtor's sealed part: %v, want ErrErased", err)
	}

	// A later event of the erased debtor, applied incrementally, keeps the
	// row erased.
	if err := p.submit(ctx, debtorID, collection.ArchiveDebtor{ID: debtorID}); err != nil {
		t.Fatal(err)
	}
	waitApplied(t, app.Pool, p.ends())
	d, err = q.DebtorGet(ctx, store.DebtorGetParams{ID: debtorID})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Erased || d.FullName != "" || d.Status != collection.StatusArchived || d.Version != want.Version+1 {
		t.Fatalf("erased debtor after its archive event: %+v", d)
	}
}

func freshSealer(t testing.TB, app *apptest.App) *events.Sealer {
	t.Helper()
	keys, err := keyring.New(app.Pool, app.MasterKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	return events.NewSealer(keys)
}

// TestRebuildBesideLiveTraffic rebuilds the debtors and the debts
// projections, in turns, while commands keep coming and the app's runners
// apply them: the runners wait for the rebuild's lock and continue from
// the offsets it stored, so the tables end as a quiet full rebuild makes
// them.
func TestRebuildBesideLiveTraffic(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	p := newPortfolio(app)
	p.generate(t, portfolioSpec{Creditors: scaled(20), Debtors: scaled(100), Debts: scaled(100), Seed: 11})
	waitApplied(t, app.Pool, p.ends())

	traffic := make(chan error, 1)
	go func() {
		traffic <- p.generateErr(portfolioSpec{Creditors: scaled(10), Debtors: scaled(80), Debts: scaled(150), Seed: 12, Workers: 4})
	}()
	rebuilds := 0
	for done := false; !done; {
		select {
		case err := <-traffic:
			if err != nil {
				t.Fatalf("traffic: %v", err)
			}
			done = true
		default:
			name := []string{"debtors", "debts"}[rebuilds%2]
			if res := rebuild(t, app, name); len(res.Failures) > 0 {
				t.Fatalf("rebuild of %s stopped: %+v", name, res.Failures)
			}
			rebuilds++
		}
	}
	t.Logf("%d rebuilds of debtors and debts during the traffic", rebuilds)
	waitApplied(t, app.Pool, p.ends())
	checkConsistent(t, app.Pool)
	if got, want := rowCount(t, app.Pool, "SELECT count(*) FROM debtors"), len(p.debtors); got != want {
		t.Fatalf("%d debtors, want %d", got, want)
	}
	checkDebtStates(t, app.Pool, p)
	incremental := dumpReadModels(t, app.Pool)
	rebuild(t, app)
	requireSameDumps(t, "quiet rebuild", incremental, dumpReadModels(t, app.Pool))
}
