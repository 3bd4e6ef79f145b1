package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/store"
)

// pendingBody is the 202 answer: the command is in the log and will be
// decided; GET its href for the outcome.
type pendingBody struct {
	CommandID string `json:"command_id"`
	Status    string `json:"status"`
	Href      string `json:"href"`
}

// result is what submitting a command led to.
type result struct {
	outcome *events.Outcome
	// visible is true when the read models reflect the outcome's events.
	visible bool
}

// submit builds the command envelope, sends it, waits for the outcome and
// then for the projections. A rejection is returned as the domain error.
func (s *Server) submit(c echo.Context, commandID string, expected int64, cmd collection.Command, aggID string) (result, error) {
	return s.submitAs(c.Request().Context(), actor(c), commandID, expected, cmd, aggID, correlationID(c))
}

// submitAs is submit for a given actor, outside a request's context when
// needed (security facts recorded in the background).
func (s *Server) submitAs(ctx context.Context, act events.Actor, commandID string, expected int64, cmd collection.Command, aggID string, correlation ...string) (result, error) {
	corr := ""
	if len(correlation) > 0 {
		corr = correlation[0]
	}
	env, err := s.envelope(act, commandID, expected, cmd, aggID, corr)
	if err != nil {
		return result{}, err
	}
	out, err := s.cfg.Bus.Submit(ctx, env)
	if err != nil {
		return result{}, err
	}
	return s.settle(ctx, out)
}

// envelope builds the record of a command.
func (s *Server) envelope(act events.Actor, commandID string, expected int64, cmd collection.Command, aggID, correlation string) (*events.CommandEnvelope, error) {
	typ, v, data, err := s.cfg.Registry.Encode(cmd)
	if err != nil {
		return nil, err
	}
	var personal []byte
	if pc, ok := cmd.(collection.PersonalCarrier); ok {
		personal = pc.PersonalPart()
	}
	return &events.CommandEnvelope{
		ID: commandID, Type: typ, V: v,
		Aggregate:       events.AggregateRef{Type: cmd.Aggregate(), ID: aggID},
		ExpectedVersion: expected, IssuedAt: s.cfg.Now().UTC(), Actor: act,
		CorrelationID: correlation, Data: data, Personal: personal,
	}, nil
}

// late tells a submission that must answer 202: the outcome, or the read
// models showing it, did not arrive in time; the command is in the log.
func late(res result, err error) bool {
	return errors.Is(err, events.ErrPending) || (err == nil && !res.visible)
}

// submitAccount decides a command on an account aggregate for the request.
// When the outcome or the read models are late it answers 202 itself and
// reports answered, like the other writes.
func (s *Server) submitAccount(c echo.Context, accountID string, cmd collection.Command) (answered bool, err error) {
	commandID := newID()
	res, err := s.submit(c, commandID, collection.AnyVersion, cmd, accountID)
	if late(res, err) {
		return true, pending(c, commandID)
	}
	return false, err
}

// settle turns an outcome into a result, waiting for the projections.
func (s *Server) settle(ctx context.Context, out *events.Outcome) (result, error) {
	if out.Status == events.Rejected {
		if out.Rejection == nil {
			return result{outcome: out}, collection.Reject(collection.CodeInvalid, "rejected")
		}
		return result{outcome: out}, out.Rejection
	}
	if out.LastOffset < 0 {
		return result{outcome: out, visible: true}, nil
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.ProjectionWait)
	defer cancel()
	err := s.cfg.Progress.Wait(wctx, out.Partition, out.LastOffset)
	return result{outcome: out, visible: err == nil}, nil
}

func correlationID(c echo.Context) string {
	if id := c.Request().Header.Get("X-Correlation-ID"); id != "" && len(id) <= 100 {
		return id
	}
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// pending answers 202 for a command whose outcome or projection is late.
func pending(c echo.Context, commandID string) error {
	href := "/api/v1/commands/" + commandID
	c.Response().Header().Set(echo.HeaderLocation, href)
	return c.JSON(http.StatusAccepted, pendingBody{CommandID: commandID, Status: "pending", Href: href})
}

// newID returns a UUIDv7: time-ordered, so indexes stay compact.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// idempotency resolves an Idempotency-Key. For a new key it reserves the
// command and aggregate ids; for a known key with the same body it returns
// the first request's ids with fresh=false; with another body, a problem.
type idempotency struct {
	commandID, aggregateID string
	fresh                  bool
	scope, key             string // key is "" without Idempotency-Key
}

// idempotencyNamespace makes command ids derived from keys deterministic.
var idempotencyNamespace = uuid.MustParse("6f1c1d0e-3c59-4a0a-9a43-6b1e7c8d2f10")

func (s *Server) idempotencyKey(c echo.Context, body []byte) (idempotency, error) {
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		return idempotency{commandID: newID(), aggregateID: newID(), fresh: true}, nil
	}
	if len(key) > 200 {
		return idempotency{}, badRequest("Idempotency-Key is at most 200 characters",
			collection.FieldError{Field: "Idempotency-Key", Reason: "longer than 200 characters"})
	}
	// The request's own path, not the route's pattern: a key sent to
	// /debts/A/payments and /debts/B/payments is two keys, or the second
	// payment would replay the first debt's and never be recorded.
	scope := c.Request().Method + " " + c.Request().URL.Path + " " + actor(c).UserID
	sum := sha256.Sum256(body)
	row, err := retryNoRows(func() (store.IdempotencyKeyInsertRow, error) {
		return s.q.IdempotencyKeyInsert(c.Request().Context(), store.IdempotencyKeyInsertParams{
			Scope: scope, Key: key, RequestHash: sum[:],
			CommandID:   uuid.NewSHA1(idempotencyNamespace, []byte(scope+"\x00"+key)).String(),
			AggregateID: newID(), CreatedAt: s.cfg.Now().UTC(),
		})
	})
	if err != nil {
		return idempotency{}, fmt.Errorf("idempotency key: %w", err)
	}
	if !hmac.Equal(row.RequestHash, sum[:]) {
		return idempotency{}, problem(http.StatusUnprocessableEntity, "idempotency-key-reused",
			"Idempotency-Key reused", "this Idempotency-Key was used for a different request body",
			collection.FieldError{Field: "Idempotency-Key", Reason: "already used with another body"})
	}
	return idempotency{commandID: row.CommandID, aggregateID: row.AggregateID, fresh: row.Fresh, scope: scope, key: key}, nil
}

// forgetKey drops the Idempotency-Key of a request that failed before its
// command was submitted (a duplicate NIN, an internal error). Kept, the key
// would make every retry answer 202 for a command that never reaches the
// log; forgotten, the retry runs again and gets its own answer.
func (s *Server) forgetKey(ctx context.Context, idem idempotency) {
	if idem.key == "" || !idem.fresh {
		return
	}
	if err := s.q.IdempotencyKeyDelete(context.WithoutCancel(ctx), store.IdempotencyKeyDeleteParams{
		Scope: idem.scope, Key: idem.key, CommandID: idem.commandID,
	}); err != nil {
		s.log.Warn("forget idempotency key", "err", err)
	}
}

// errUndecided tells a handler that the first request of an
// Idempotency-Key has no outcome yet: it may still be in flight, or it died
// before its command reached the log. The handler submits the command again
// under the same command and aggregate ids; the decider applies a command
// id once, so either way exactly one record results.
var errUndecided = errors.New("first request not decided yet")

// replay answers a repeated Idempotency-Key request with the first
// request's outcome: never a second command.
func (s *Server) replay(c echo.Context, idem idempotency, render func(ctx context.Context, id string) error) error {
	ctx := c.Request().Context()
	out, ok := s.cfg.Bus.Recent(idem.commandID)
	if !ok {
		row, err := s.q.CommandOutcomeGet(ctx, idem.commandID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errUndecided
		}
		if err != nil {
			return err
		}
		out = outcomeFromRow(row)
	}
	res, err := s.settle(ctx, out)
	if err != nil {
		return err
	}
	if !res.visible {
		return pending(c, idem.commandID)
	}
	return render(ctx, idem.aggregateID)
}

// claim reserves a unique value (a NIN, a NIF, a reference) for an
// aggregate before its command is submitted, so that two concurrent
// requests cannot both pass. It returns the id of another aggregate that
// holds the value, or "" when the claim is the caller's.
func (s *Server) claim(ctx context.Context, kind, value, aggregateID string, exists func(ctx context.Context, id string) (bool, error)) (string, error) {
	digest := s.digest(kind, value)
	now := s.cfg.Now().UTC()
	row, err := retryNoRows(func() (store.UniqueClaimInsertRow, error) {
		return s.q.UniqueClaimInsert(ctx, store.UniqueClaimInsertParams{
			Kind: kind, Digest: digest, AggregateID: aggregateID, ClaimedAt: now,
		})
	})
	if err != nil {
		return "", fmt.Errorf("claim %s: %w", kind, err)
	}
	holder := row.AggregateID
	if holder == aggregateID {
		return "", nil
	}
	// A holder that never came to exist (its command was rejected) must not
	// block the value forever; one still in flight keeps it.
	if now.Sub(row.ClaimedAt) < claimGrace {
		return holder, nil
	}
	ok, err := exists(ctx, holder)
	if err != nil || ok {
		return holder, err
	}
	if n, err := s.q.UniqueClaimTransfer(ctx, store.UniqueClaimTransferParams{
		Kind: kind, Digest: digest, NewAggregateID: aggregateID, OldAggregateID: holder, ClaimedAt: s.cfg.Now().UTC(),
	}); err != nil || n == 0 {
		return holder, err
	}
	return "", nil
}

// retryNoRows runs an insert-or-get query (IdempotencyKeyInsert,
// UniqueClaimInsert: INSERT ... ON CONFLICT DO NOTHING, then SELECT the row
// that is there) again when it returns no row. That happens when another
// transaction inserts the same key concurrently: the INSERT waits for it
// to commit and does nothing, but the SELECT reads the snapshot taken when
// the statement began, before that row existed. A new statement sees it.
func retryNoRows[T any](query func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		row, err := query()
		if !errors.Is(err, pgx.ErrNoRows) || attempt == 3 {
			return row, err
		}
	}
}

// claimGrace is how long a claim whose aggregate is not in the read model
// yet is presumed in flight: far beyond the bus and projection waits.
const claimGrace = 2 * time.Minute

// release gives up a claim the caller made but will not use.
func (s *Server) release(ctx context.Context, kind, value, aggregateID string) {
	if err := s.q.UniqueClaimRelease(context.WithoutCancel(ctx), store.UniqueClaimReleaseParams{
		Kind: kind, Digest: s.digest(kind, value), AggregateID: aggregateID,
	}); err != nil {
		s.log.Warn("release unique claim", "kind", kind, "err", err)
	}
}

func (s *Server) digest(kind, value string) []byte {
	m := hmac.New(sha256.New, s.cfg.ClaimKey)
	m.Write([]byte(kind + "\x00" + value))
	return m.Sum(nil)
}

// refAlphabet is Crockford's base 32: no I, L, O or U, so a reference read
// over the phone is not misheard.
const refAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// reserveRef picks a short human reference ("D-7KQ2M9") and claims it.
func (s *Server) reserveRef(ctx context.Context, prefix, aggregateID string) (string, error) {
	for attempt := 0; attempt < 8; attempt++ {
		ref, err := newRef(prefix)
		if err != nil {
			return "", err
		}
		holder, err := s.claim(ctx, "ref", ref, aggregateID, func(context.Context, string) (bool, error) { return true, nil })
		if err != nil {
			return "", err
		}
		if holder == "" {
			return ref, nil
		}
	}
	return "", errors.New("no free reference after 8 attempts")
}

// newRef draws a short human reference ("D-7KQ2M9"), not yet claimed.
func newRef(prefix string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString(prefix + "-")
	for _, x := range b {
		sb.WriteByte(refAlphabet[int(x)%len(refAlphabet)])
	}
	return sb.String(), nil
}

func outcomeFromRow(r store.CommandOutcome) *events.Outcome {
	o := &events.Outcome{
		CommandID: r.CommandID, CommandType: r.CommandType, Status: r.Status,
		Aggregate:  events.AggregateRef{Type: collection.AggregateType(r.AggregateType), ID: r.AggregateID, Version: r.AggregateVersion},
		LastOffset: -1, DecidedAt: r.DecidedAt,
	}
	if r.EventPartition != nil {
		o.Partition = *r.EventPartition
	}
	if r.LastEventOffset != nil {
		o.LastOffset = *r.LastEventOffset
	}
	_ = json.Unmarshal(r.Actor, &o.Actor) // written by the outcomes projection from a valid record
	if len(r.Rejection) > 0 {
		var rej collection.Rejection
		if err := json.Unmarshal(r.Rejection, &rej); err == nil {
			o.Rejection = &rej
		}
	}
	return o
}
