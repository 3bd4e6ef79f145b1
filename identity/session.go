package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/store"
)

// Session is an opened session. Token and CSRFToken are shown once; only
// their hashes are stored.
type Session struct {
	ID        string
	Token     string
	CSRFToken string
	// ExpiresAt is the absolute end; idle sessions end earlier.
	ExpiresAt time.Time
}

// touchEvery bounds how stale last_seen_at may be: writing it on every
// request would cost a row update per read.
const touchEvery = 15 * time.Second

func (s *Service) openSession(ctx context.Context, q *store.Queries, accountID string, from Client) (Session, error) {
	token, hash, err := access.NewToken("ts_")
	if err != nil {
		return Session{}, err
	}
	csrf, csrfHash, err := access.NewToken("tc_")
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	out := Session{ID: uuid.Must(uuid.NewV7()).String(), Token: token, CSRFToken: csrf, ExpiresAt: now.Add(s.cfg.AbsoluteTimeout)}
	err = q.SessionInsert(ctx, store.SessionInsertParams{
		ID: out.ID, TokenHash: hash, CsrfHash: csrfHash, AccountID: accountID, Now: now, ExpiresAt: out.ExpiresAt,
		Ip: from.IP, UserAgent: truncate(from.UserAgent, 200),
	})
	return out, err
}

// Principal is who a request acts for, after authentication.
type Principal struct {
	AccountID  string
	Role       access.Role
	CreditorID string
	DebtorID   string
	// SessionID is set for sessions, APIKeyID and Scopes for API keys.
	SessionID string
	APIKeyID  string
	Scopes    []access.Permission
	csrfHash  []byte
}

// Can tells whether the principal holds a permission: its role's, and for
// an API key only those of the key's scopes too.
func (p Principal) Can(perm access.Permission) bool {
	if !p.Role.Can(perm) {
		return false
	}
	if p.APIKeyID == "" {
		return true
	}
	for _, s := range p.Scopes {
		if s == perm {
			return true
		}
	}
	return false
}

// CheckCSRF compares a request's CSRF token with the session's.
func (p Principal) CheckCSRF(token string) bool {
	if len(p.csrfHash) == 0 || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare(access.HashToken(token), p.csrfHash) == 1
}

// Authenticate resolves a bearer token (session "ts_..." or API key
// "tk_...") to its principal. Unknown, expired, revoked tokens and tokens
// of accounts that are no longer active all give ErrUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, token, ip string) (Principal, error) {
	switch {
	case strings.HasPrefix(token, "ts_"):
		return s.session(ctx, token)
	case strings.HasPrefix(token, "tk_"):
		return s.apiKey(ctx, token, ip)
	}
	return Principal{}, ErrUnauthenticated
}

func (s *Service) session(ctx context.Context, token string) (Principal, error) {
	q := store.New(s.cfg.Pool)
	row, err := q.SessionByToken(ctx, access.HashToken(token))
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	now := s.now()
	if row.RevokedAt != nil || !now.Before(row.ExpiresAt) || !now.Before(row.LastSeenAt.Add(s.cfg.IdleTimeout)) ||
		row.AccountStatus != "active" {
		return Principal{}, ErrUnauthenticated
	}
	role, ok := access.ParseRole(row.Role)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		if err := q.SessionTouch(ctx, store.SessionTouchParams{ID: row.ID, Now: now}); err != nil {
			return Principal{}, err
		}
	}
	return Principal{AccountID: row.AccountID, Role: role, CreditorID: deref0(row.CreditorID), DebtorID: deref0(row.DebtorID),
		SessionID: row.ID, csrfHash: row.CsrfHash}, nil
}

// Logout revokes one session.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	_, err := store.New(s.cfg.Pool).SessionRevoke(ctx, store.SessionRevokeParams{ID: sessionID, Now: s.now(), Why: "logout"})
	return err
}

func deref0(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
