package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// TestIdempotencyKeyOfALostRequest: the first request stored its key and
// died before its command reached the log. The retry must not wait forever
// on a command that does not exist: it submits it again, under the ids the
// key reserved, and creates the debtor once. Keys are scoped to the method,
// the route and the signed-in account, so the row the lost request left is
// the agent's own; another account's same key is another key.
func TestIdempotencyKeyOfALostRequest(t *testing.T) {
	t.Parallel()
	app, c := start(t, apptest.Options{})
	body, err := json.Marshal(validDebtor())
	if err != nil {
		t.Fatal(err)
	}
	key := "lost-" + uuid.NewString()
	sum := sha256.Sum256(body)
	commandID, aggregateID := uuid.NewString(), uuid.Must(uuid.NewV7()).String()
	if _, err := app.Pool.Exec(context.Background(), `INSERT INTO idempotency_keys
		(scope, key, request_hash, command_id, aggregate_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		"POST /api/v1/debtors "+c.user.ID, key, sum[:], commandID, aggregateID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}

	r := c.post("/api/v1/debtors", body, idemKey(key))
	want(t, r, http.StatusCreated)
	var d debtor
	r.decode(t, &d)
	if d.ID != aggregateID {
		t.Fatalf("created %s, want the id the key reserved (%s)", d.ID, aggregateID)
	}
	again := c.post("/api/v1/debtors", body, idemKey(key))
	want(t, again, http.StatusCreated)
	if h := c.history("/api/v1/debtors/" + d.ID); len(h) != 1 || h[0].CommandID != commandID {
		t.Fatalf("history %v, want one registration by command %s", historyTypes(h), commandID)
	}
	// Another agent's request with the same key and body is not a replay
	// of this agent's: it is a new registration of the same person, refused
	// as a duplicate of the debtor just created.
	other := c.as(app.NewStaff(t, "agent"))
	p := wantProblem(t, other.post("/api/v1/debtors", body, idemKey(key)), http.StatusConflict, "nin")
	if p.ExistingID != d.ID {
		t.Errorf("existing_id %q, want %s", p.ExistingID, d.ID)
	}
}
