package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/internal/apptest"
)

// commandView is the body of GET /api/v1/commands/{id}.
type commandView struct {
	CommandID string `json:"command_id"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	Aggregate *struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Version int64  `json:"version"`
	} `json:"aggregate"`
	Rejection *struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
	} `json:"rejection"`
	Href string `json:"href"`
}

// pendingBody is the body of a 202.
type pendingBody struct {
	CommandID string `json:"command_id"`
	Status    string `json:"status"`
	Href      string `json:"href"`
}

func (c *client) command(id string) commandView {
	c.t.Helper()
	r := c.get("/api/v1/commands/" + id)
	want(c.t, r, http.StatusOK)
	var v commandView
	r.decode(c.t, &v)
	return v
}

func countDebtors(t testing.TB, c *client, query string) int {
	t.Helper()
	return len(listAll(t, c, "/api/v1/debtors?"+query, 200, func(x debtor) string { return x.ID }))
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	_, c := start(t, apptest.Options{})

	t.Run("repeat returns the first result", func(t *testing.T) {
		c := c.on(t)
		body := with(validDebtor(), obj{"full_name": "Idir Ait Menguellet", "wilaya": 15})
		key := idemKey("create-idir-" + uuid.NewString())
		r1 := c.post("/api/v1/debtors", body, key)
		want(t, r1, http.StatusCreated)
		r2 := c.post("/api/v1/debtors", body, key)
		want(t, r2, http.StatusCreated)
		if !bytes.Equal(r1.Body, r2.Body) {
			t.Errorf("second answer differs:\n%s\n%s", r1.Body, r2.Body)
		}
		for _, h := range []string{"Location", "ETag"} {
			if r1.Header.Get(h) != r2.Header.Get(h) || r2.Header.Get(h) == "" {
				t.Errorf("%s: %q then %q", h, r1.Header.Get(h), r2.Header.Get(h))
			}
		}
		if n := countDebtors(t, c, "wilaya=15"); n != 1 {
			t.Errorf("%d debtors after a repeated request, want 1", n)
		}
		var d debtor
		r1.decode(t, &d)
		if h := c.history("/api/v1/debtors/" + d.ID); len(h) != 1 {
			t.Errorf("history %v, want one registration", historyTypes(h))
		}

		// Same key, another body: refused, nothing created.
		p := wantProblem(t, c.post("/api/v1/debtors", with(body, obj{"language": "ar"}), key),
			http.StatusUnprocessableEntity, "Idempotency-Key")
		if !strings.HasSuffix(p.Type, "/idempotency-key-reused") {
			t.Errorf("type %q", p.Type)
		}
		// A byte-for-byte different encoding of the same values is another body too.
		wantProblem(t, c.post("/api/v1/debtors", " "+string(mustJSON(t, body)), key), http.StatusUnprocessableEntity, "Idempotency-Key")
		if n := countDebtors(t, c, "wilaya=15"); n != 1 {
			t.Errorf("%d debtors, want 1", n)
		}
		// The key is scoped to its endpoint: the same key registers a creditor.
		crBody := validCreditor()
		cr := c.post("/api/v1/creditors", crBody, key)
		want(t, cr, http.StatusCreated)
		cr2 := c.post("/api/v1/creditors", crBody, key)
		want(t, cr2, http.StatusCreated)
		if !bytes.Equal(cr.Body, cr2.Body) {
			t.Errorf("creditor repeat differs:\n%s\n%s", cr.Body, cr2.Body)
		}
		if n := len(listAll(t, c, "/api/v1/creditors", 200, func(x creditor) string { return x.ID })); n != 1 {
			t.Errorf("%d creditors, want 1", n)
		}
		wantProblem(t, c.post("/api/v1/creditors", with(crBody, obj{"sector": "autre"}), key),
			http.StatusUnprocessableEntity, "Idempotency-Key")
	})

	t.Run("invalid request does not use the key", func(t *testing.T) {
		c := c.on(t)
		key := idemKey("bad-then-good-" + uuid.NewString())
		bad := with(validDebtor(), obj{"wilaya": 0})
		wantProblem(t, c.post("/api/v1/debtors", bad, key), http.StatusUnprocessableEntity, "wilaya")
		wantProblem(t, c.post("/api/v1/debtors", bad, key), http.StatusUnprocessableEntity, "wilaya")
		want(t, c.post("/api/v1/debtors", with(bad, obj{"wilaya": 1}), key), http.StatusCreated)
	})

	t.Run("repeat of a conflict is the same conflict", func(t *testing.T) {
		c := c.on(t)
		holder := c.createDebtor(with(validDebtor(), obj{"wilaya": 2}))
		key := idemKey("dup-nin-" + uuid.NewString())
		body := with(validDebtor(), obj{"nin": holder.NIN, "wilaya": 2})
		for i := range 2 {
			p := wantProblem(t, c.post("/api/v1/debtors", body, key), http.StatusConflict, "nin")
			if p.ExistingID != holder.ID {
				t.Errorf("attempt %d: existing_id %q, want %s", i, p.ExistingID, holder.ID)
			}
		}
		// Once the conflict is resolved (the holder changes its NIN), the
		// retry goes through.
		want(t, c.patch("/api/v1/debtors/"+holder.ID, obj{"nin": uniqueNIN()}), http.StatusOK)
		want(t, c.post("/api/v1/debtors", body, key), http.StatusCreated)
		if n := countDebtors(t, c, "wilaya=2"); n != 2 {
			t.Errorf("%d debtors in wilaya 2, want 2", n)
		}
	})

	t.Run("key too long", func(t *testing.T) {
		wantProblem(t, c.on(t).post("/api/v1/debtors", validDebtor(), idemKey(strings.Repeat("k", 201))),
			http.StatusBadRequest, "Idempotency-Key")
	})

	t.Run("concurrent repeats create one debtor", func(t *testing.T) {
		c := c.on(t)
		body := with(validDebtor(), obj{"full_name": "Kamel Concurrent", "wilaya": 40})
		key := idemKey("concurrent-" + uuid.NewString())
		const n = 10
		var (
			wg    sync.WaitGroup
			ready sync.WaitGroup
			gate  = make(chan struct{})
			resps = make([]response, n)
		)
		for i := range n {
			wg.Add(1)
			ready.Add(1)
			go func() {
				defer wg.Done()
				ready.Done()
				<-gate
				resps[i] = c.post("/api/v1/debtors", body, key)
			}()
		}
		ready.Wait()
		close(gate)
		wg.Wait()
		ids := map[string]bool{}
		commands := map[string]bool{}
		created := 0
		for i, r := range resps {
			switch r.Status {
			case http.StatusCreated:
				created++
				var d debtor
				r.decode(t, &d)
				ids[d.ID] = true
			case http.StatusAccepted:
				// In flight under another request: the client asks later.
				var p pendingBody
				r.decode(t, &p)
				commands[p.CommandID] = true
			default:
				t.Errorf("request %d: %s", i, r)
			}
		}
		if created == 0 || len(ids) != 1 || len(commands) > 1 {
			t.Fatalf("%d created, ids %v, pending commands %v", created, ids, commands)
		}
		var id string
		for id = range ids {
		}
		for cmd := range commands {
			eventually(t, 10*time.Second, "pending command accepted", func() bool {
				v := c.command(cmd)
				return v.Status == events.Accepted && v.Href == "/api/v1/debtors/"+id
			})
		}
		if got := countDebtors(t, c, "wilaya=40"); got != 1 {
			t.Errorf("%d debtors after %d concurrent repeats, want 1", got, n)
		}
		// And a late repeat still answers the same debtor.
		r := c.post("/api/v1/debtors", body, key)
		want(t, r, http.StatusCreated)
		var d debtor
		r.decode(t, &d)
		if d.ID != id {
			t.Errorf("late repeat answered %s, want %s", d.ID, id)
		}
	})

	t.Run("concurrent registrations of one NIN", func(t *testing.T) {
		c := c.on(t)
		nin := uniqueNIN()
		const n = 10
		var wg sync.WaitGroup
		gate := make(chan struct{})
		resps := make([]response, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				resps[i] = c.post("/api/v1/debtors", with(validDebtor(), obj{"nin": nin, "wilaya": 41}))
			}()
		}
		close(gate)
		wg.Wait()
		var winner string
		conflicts := 0
		for i, r := range resps {
			switch r.Status {
			case http.StatusCreated:
				var d debtor
				r.decode(t, &d)
				if winner != "" {
					t.Errorf("two debtors with one NIN: %s and %s", winner, d.ID)
				}
				winner = d.ID
			case http.StatusConflict:
				conflicts++
				wantProblem(t, r, http.StatusConflict, "nin")
			default:
				t.Errorf("request %d: %s", i, r)
			}
		}
		if winner == "" || conflicts != n-1 {
			t.Errorf("winner %q, %d conflicts", winner, conflicts)
		}
		for _, r := range resps {
			if r.Status == http.StatusConflict {
				var p problem
				r.decode(t, &p)
				if p.ExistingID != winner {
					t.Errorf("existing_id %q, want %s", p.ExistingID, winner)
				}
			}
		}
		if got := countDebtors(t, c, "wilaya=41"); got != 1 {
			t.Errorf("%d debtors, want 1", got)
		}
	})
}

// TestConcurrentPatch sends pairs of PATCHes with the same If-Match at the
// same moment: exactly one of each pair wins.
func TestConcurrentPatch(t *testing.T) {
	t.Parallel()
	_, c := start(t, apptest.Options{})
	d := c.createDebtor(validDebtor())
	cr := c.createCreditor(validCreditor())
	for _, res := range []struct {
		path   string
		bodies [2]func(i int) obj
	}{
		{"/api/v1/debtors/" + d.ID, [2]func(int) obj{
			func(i int) obj { return obj{"address": "adresse A " + string(rune('a'+i))} },
			func(i int) obj { return obj{"language": []string{"ar", "fr", "en"}[i%3]} },
		}},
		{"/api/v1/creditors/" + cr.ID, [2]func(int) obj{
			func(i int) obj { return obj{"sector": "secteur " + string(rune('a'+i))} },
			func(i int) obj { return obj{"nif": uniqueNIF()} },
		}},
	} {
		version := int64(1)
		for round := range 6 {
			etag := `"` + itoa(version) + `"`
			var (
				wg    sync.WaitGroup
				gate  = make(chan struct{})
				resps [2]response
			)
			for k := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-gate
					resps[k] = c.patch(res.path, res.bodies[k](round), ifMatch(etag))
				}()
			}
			close(gate)
			wg.Wait()
			won, lost := 0, 0
			for _, r := range resps {
				switch r.Status {
				case http.StatusOK:
					won++
					if r.Header.Get("ETag") != `"`+itoa(version+1)+`"` {
						t.Errorf("round %d: winner's ETag %s", round, r.Header.Get("ETag"))
					}
				case http.StatusPreconditionFailed:
					lost++
					wantProblem(t, r, http.StatusPreconditionFailed, "If-Match")
				default:
					t.Errorf("round %d: %s", round, r)
				}
			}
			if won != 1 || lost != 1 {
				t.Fatalf("%s round %d: %d won, %d lost; want one of each", res.path, round, won, lost)
			}
			version++
		}
		h := c.history(res.path)
		if len(h) != 7 {
			t.Errorf("%s: %d events, want 7", res.path, len(h))
		}
	}
}

// TestPendingCommand runs the API without a decider: a request times out
// into 202, and the command's outcome shows once a decider runs.
func TestPendingCommand(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{NoDecider: true, OutcomeTimeout: 500 * time.Millisecond})
	c := newClient(t, app).as(staffWithoutDecider(t, app, "agent"))

	body := with(validDebtor(), obj{"full_name": "Rachid Taha", "phones": []string{"0555 44 33 22"}})
	key := idemKey("late-" + uuid.NewString())
	r := c.post("/api/v1/debtors", body, key)
	want(t, r, http.StatusAccepted)
	var p pendingBody
	r.decode(t, &p)
	if !uuidPattern.MatchString(p.CommandID) && uuid.Validate(p.CommandID) != nil {
		t.Fatalf("command_id %q", p.CommandID)
	}
	if p.Status != "pending" || p.Href != "/api/v1/commands/"+p.CommandID || r.Header.Get("Location") != p.Href {
		t.Errorf("202 body %s, Location %q", r.Body, r.Header.Get("Location"))
	}
	if v := c.command(p.CommandID); v.Status != "pending" || v.Href != "" {
		t.Errorf("before the decider: %+v", v)
	}
	// A repeat while undecided is still pending, with the same command.
	r = c.post("/api/v1/debtors", body, key)
	want(t, r, http.StatusAccepted)
	var p2 pendingBody
	r.decode(t, &p2)
	if p2.CommandID != p.CommandID {
		t.Errorf("repeat got command %s, want %s", p2.CommandID, p.CommandID)
	}
	if n := countDebtors(t, c, ""); n != 0 {
		t.Errorf("%d debtors before the decider ran", n)
	}
	// A second, different registration is pending too.
	other := c.post("/api/v1/debtors", validDebtor())
	want(t, other, http.StatusAccepted)
	var po pendingBody
	other.decode(t, &po)

	app.StartDecider(t, "late")

	var v commandView
	eventually(t, 60*time.Second, "command accepted", func() bool {
		v = c.command(p.CommandID)
		return v.Status == events.Accepted
	})
	if v.Type != "debtor.register" || v.Aggregate == nil || v.Aggregate.Type != "debtor" ||
		v.Href != "/api/v1/debtors/"+v.Aggregate.ID {
		t.Errorf("accepted command %+v", v)
	}
	r = c.get(v.Href)
	want(t, r, http.StatusOK)
	var d debtor
	r.decode(t, &d)
	if d.FullName != "Rachid Taha" || d.Version != 1 || d.Phones[0] != "+213555443322" {
		t.Errorf("debtor %+v", d)
	}
	// The repeat now answers the resource.
	r = c.post("/api/v1/debtors", body, key)
	want(t, r, http.StatusCreated)
	if r.Header.Get("Location") != v.Href {
		t.Errorf("Location %q, want %q", r.Header.Get("Location"), v.Href)
	}
	// Past the group's session timeout (45 s): should the stopped decider
	// of staffWithoutDecider not have left cleanly, its partitions move to
	// the late one only then.
	eventually(t, 60*time.Second, "second command accepted", func() bool {
		return c.command(po.CommandID).Status == events.Accepted
	})
	if n := countDebtors(t, c, ""); n != 2 {
		t.Errorf("%d debtors, want 2", n)
	}
}

// staffWithoutDecider signs in a staff account on an application started
// with NoDecider. Creating an account is itself a command, so a decider of
// the test's own decides it, and is stopped (leaving its group) before the
// account is handed back: the requests that follow find no decider, as the
// caller means them to. The account's commands wait past the bus's short
// outcome timeout for the read model instead of failing on it.
func staffWithoutDecider(t *testing.T, app *apptest.App, role string) *apptest.User {
	t.Helper()
	p, err := events.NewProcessor(events.ProcessorConfig{
		Brokers: app.Brokers, TransactionalID: "tahsil-decider-accounts", Registry: app.Registry, Logger: apptest.Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	stop := func() {
		cancel()
		p.Close()
		<-done
	}
	defer stop()

	submit := func(ctx context.Context, cmd collection.Command, id string) error {
		err := app.Submitter()(ctx, cmd, id)
		if !errors.Is(err, events.ErrPending) {
			return err
		}
		// The command is in the log; the decider is still joining its
		// group. Resubmitting would decide a second account.create, so
		// wait for this one to show instead.
		for {
			var n int
			if err := app.Pool.QueryRow(ctx, "SELECT count(*) FROM accounts WHERE id = $1", id).Scan(&n); err != nil {
				return err
			}
			if n == 1 {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	u := &apptest.User{Email: "pending-" + uuid.NewString() + "@adc.test", Password: apptest.Password, Role: role}
	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	if u.ID, err = app.Identity.CreateStaff(cctx, collection.StaffInput{Email: u.Email, FullName: "Test " + role, Role: role},
		apptest.Password, submit); err != nil {
		t.Fatalf("create %s: %v", role, err)
	}
	app.SignIn(t, u)
	return u
}

func TestCommands(t *testing.T) {
	t.Parallel()
	app, c := start(t, apptest.Options{})

	t.Run("accepted", func(t *testing.T) {
		c := c.on(t)
		d := c.createDebtor(validDebtor())
		want(t, c.patch("/api/v1/debtors/"+d.ID, obj{"language": "en"}), http.StatusOK)
		h := c.history("/api/v1/debtors/" + d.ID)
		for i, typ := range []string{"debtor.register", "debtor.update"} {
			v := c.command(h[i].CommandID)
			if v.Status != events.Accepted || v.Type != typ || v.Href != "/api/v1/debtors/"+d.ID ||
				v.Aggregate == nil || v.Aggregate.ID != d.ID || v.Aggregate.Version != int64(i+1) {
				t.Errorf("command %d: %+v", i, v)
			}
		}
		cr := c.createCreditor(validCreditor())
		h = c.history("/api/v1/creditors/" + cr.ID)
		if v := c.command(h[0].CommandID); v.Href != "/api/v1/creditors/"+cr.ID || v.Type != "creditor.register" {
			t.Errorf("creditor command: %+v", v)
		}
	})

	t.Run("rejected", func(t *testing.T) {
		c := c.on(t)
		missing := uuid.Must(uuid.NewV7()).String()
		lang := "fr"
		cmd := collection.UpdateDebtor{ID: missing, Changes: collection.DebtorChanges{Language: &lang}}
		typ, ver, data, err := app.Registry.Encode(cmd)
		if err != nil {
			t.Fatal(err)
		}
		id := uuid.Must(uuid.NewV7()).String()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := app.Bus.Submit(ctx, &events.CommandEnvelope{
			ID: id, Type: typ, V: ver, Aggregate: events.AggregateRef{Type: collection.DebtorAggregate, ID: missing},
			ExpectedVersion: collection.AnyVersion, IssuedAt: time.Now().UTC(),
			Actor: events.Actor{Role: "test"}, CorrelationID: id, Data: data,
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != events.Rejected {
			t.Fatalf("outcome %+v", out)
		}
		// Rejections are recorded by the outcomes projection; whichever
		// answers, the client sees the same thing.
		eventually(t, 10*time.Second, "rejection visible", func() bool {
			v := c.command(id)
			return v.Status == events.Rejected
		})
		v := c.command(id)
		if v.Rejection == nil || v.Rejection.Code != collection.CodeNotFound || v.Href != "" || v.Type != "debtor.update" {
			t.Errorf("rejected command: %+v (rejection %+v)", v, v.Rejection)
		}
	})

	t.Run("unknown and malformed", func(t *testing.T) {
		c := c.on(t)
		// Not (yet) decided reads as pending: the client asks again.
		unknown := uuid.Must(uuid.NewV7()).String()
		if v := c.command(unknown); v.Status != "pending" || v.CommandID != unknown {
			t.Errorf("unknown command: %+v", v)
		}
		wantProblem(t, c.get("/api/v1/commands/not-a-uuid"), http.StatusNotFound)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
