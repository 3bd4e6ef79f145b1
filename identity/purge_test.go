package identity_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/events"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/internal/pgtest"
	"github.com/adc-dz/tahsil/keyring"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newService(t *testing.T, pool *pgxpool.Pool, now func() time.Time) *identity.Service {
	t.Helper()
	master := make([]byte, keyring.KeySize)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.New(pool, master, 0)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := identity.New(identity.Config{Pool: pool, Sealer: events.NewSealer(keys), Keys: keys, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestPurgeKeepsWhatIsRecent places sessions and MFA challenges on both
// sides of each retention boundary, by every way a session ends, and checks
// that exactly the old ones go.
func TestPurgeKeepsWhatIsRecent(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	svc := newService(t, pool, func() time.Time { return now })

	account := uuid.Must(uuid.NewV7())
	if _, err := pool.Exec(ctx, `INSERT INTO credentials (account_id, email, password_hash, created_at, updated_at)
		VALUES ($1, 'purge@example.dz', 'x', $2, $2)`, account, now.Add(-90*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	const idle = 30 * time.Minute
	old := now.Add(-identity.SessionRetention - time.Minute)    // ended just before the boundary
	recent := now.Add(-identity.SessionRetention + time.Minute) // ended just after it
	sessions := []struct {
		name             string
		lastSeen, expiry time.Time
		revoked          *time.Time
		kept             bool
	}{
		{name: "revoked long ago", lastSeen: old, expiry: now.Add(time.Hour), revoked: &old, kept: false},
		{name: "revoked recently", lastSeen: old, expiry: now.Add(time.Hour), revoked: &recent, kept: true},
		{name: "expired long ago", lastSeen: old.Add(-time.Hour), expiry: old, kept: false},
		{name: "expired recently", lastSeen: recent.Add(-10 * time.Minute), expiry: recent, kept: true},
		{name: "idle long ago", lastSeen: old.Add(-idle), expiry: now.Add(time.Hour), kept: false},
		{name: "idle recently", lastSeen: recent.Add(-idle), expiry: now.Add(time.Hour), kept: true},
		{name: "live", lastSeen: now, expiry: now.Add(time.Hour), kept: true},
	}
	ids := make([]uuid.UUID, len(sessions))
	for i, s := range sessions {
		ids[i] = uuid.Must(uuid.NewV7())
		token := make([]byte, 32)
		rand.Read(token) //nolint:errcheck // crypto/rand.Read never fails
		if _, err := pool.Exec(ctx, `INSERT INTO sessions
			(id, token_hash, csrf_hash, account_id, created_at, last_seen_at, expires_at, revoked_at, ip, user_agent)
			VALUES ($1, $2, $2, $3, $4, $4, $5, $6, '192.0.2.1', 'test')`,
			ids[i], token, account, s.lastSeen, s.expiry, s.revoked); err != nil {
			t.Fatal(err)
		}
	}
	challenges := []struct {
		name   string
		expiry time.Time
		kept   bool
	}{
		{name: "expired two days ago", expiry: now.Add(-identity.MFAChallengeRetention - time.Minute), kept: false},
		{name: "expired an hour ago", expiry: now.Add(-time.Hour), kept: true},
		{name: "pending", expiry: now.Add(4 * time.Minute), kept: true},
	}
	for i, c := range challenges {
		if _, err := pool.Exec(ctx, `INSERT INTO mfa_challenges (token_hash, account_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4)`, []byte{byte(i)}, account, c.expiry.Add(-5*time.Minute), c.expiry); err != nil {
			t.Fatal(err)
		}
	}

	got, err := svc.Purge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != (identity.Purged{MFAChallenges: 1, Sessions: 3}) {
		t.Errorf("Purge = %+v, want 1 challenge and 3 sessions", got)
	}
	for i, s := range sessions {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE id = $1`, ids[i]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != s.kept {
			t.Errorf("session %q: kept = %v, want %v", s.name, n == 1, s.kept)
		}
	}
	for i, c := range challenges {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM mfa_challenges WHERE token_hash = $1`, []byte{byte(i)}).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != c.kept {
			t.Errorf("challenge %q: kept = %v, want %v", c.name, n == 1, c.kept)
		}
	}

	again, err := svc.Purge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again != (identity.Purged{}) {
		t.Errorf("second Purge = %+v, want nothing", again)
	}
}
