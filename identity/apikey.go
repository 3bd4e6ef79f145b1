package identity

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/store"
)

// APIKey is a creditor's integration key as listed; the token itself is
// only in NewAPIKey's answer.
type APIKey struct {
	ID         string
	Prefix     string
	Name       string
	Scopes     []access.Permission
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	LastUsedIP string
	RevokedAt  *time.Time
	CreatedBy  string
}

// ErrNoSuchKey is a key id that is not the creditor's.
var ErrNoSuchKey = errors.New("identity: no such API key")

// NewAPIKey issues a key for a creditor. The token is returned once.
func (s *Service) NewAPIKey(ctx context.Context, accountID, creditorID, name string, scopes []access.Permission, expiresAt *time.Time) (APIKey, string, error) {
	token, hash, err := access.NewToken("tk_")
	if err != nil {
		return APIKey{}, "", err
	}
	now := s.now()
	k := APIKey{ID: uuid.Must(uuid.NewV7()).String(), Prefix: token[:10], Name: name, Scopes: scopes, CreatedAt: now,
		ExpiresAt: expiresAt, CreatedBy: accountID}
	names := make([]string, len(scopes))
	for i, sc := range scopes {
		names[i] = string(sc)
	}
	err = store.New(s.cfg.Pool).APIKeyInsert(ctx, store.APIKeyInsertParams{
		ID: k.ID, TokenHash: hash, Prefix: k.Prefix, AccountID: accountID, CreditorID: creditorID, Name: name,
		Scopes: names, Now: now, ExpiresAt: expiresAt,
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return k, token, nil
}

// APIKeys lists a creditor's keys, newest first, revoked ones included.
func (s *Service) APIKeys(ctx context.Context, creditorID string) ([]APIKey, error) {
	rows, err := store.New(s.cfg.Pool).APIKeysOfCreditor(ctx, creditorID)
	if err != nil {
		return nil, err
	}
	out := make([]APIKey, len(rows))
	for i, r := range rows {
		out[i] = apiKeyOf(store.APIKeyGetRow(r))
	}
	return out, nil
}

// APIKey returns one of a creditor's keys.
func (s *Service) APIKey(ctx context.Context, creditorID, id string) (APIKey, error) {
	r, err := store.New(s.cfg.Pool).APIKeyGet(ctx, store.APIKeyGetParams{ID: id, CreditorID: creditorID})
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKey{}, ErrNoSuchKey
	}
	if err != nil {
		return APIKey{}, err
	}
	return apiKeyOf(r), nil
}

// RevokeAPIKey revokes one of a creditor's keys; revoking twice is no
// error, a key of another creditor is ErrNoSuchKey.
func (s *Service) RevokeAPIKey(ctx context.Context, creditorID, id string) (APIKey, error) {
	if _, err := store.New(s.cfg.Pool).APIKeyRevoke(ctx, store.APIKeyRevokeParams{ID: id, CreditorID: creditorID, Now: s.now()}); err != nil {
		return APIKey{}, err
	}
	return s.APIKey(ctx, creditorID, id)
}

func apiKeyOf(r store.APIKeyGetRow) APIKey {
	k := APIKey{ID: r.ID, Prefix: r.Prefix, Name: r.Name, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
		LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt, CreatedBy: r.AccountID}
	if r.LastUsedIp != nil {
		k.LastUsedIP = *r.LastUsedIp
	}
	for _, sc := range r.Scopes {
		k.Scopes = append(k.Scopes, access.Permission(sc))
	}
	return k
}

func (s *Service) apiKey(ctx context.Context, token, ip string) (Principal, error) {
	q := store.New(s.cfg.Pool)
	row, err := q.APIKeyByToken(ctx, access.HashToken(token))
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	now := s.now()
	if row.RevokedAt != nil || (row.ExpiresAt != nil && !now.Before(*row.ExpiresAt)) || row.AccountStatus != "active" ||
		row.Role != string(access.RoleCreditor) {
		return Principal{}, ErrUnauthenticated
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= touchEvery {
		if err := q.APIKeyTouch(ctx, store.APIKeyTouchParams{ID: row.ID, Now: now, Ip: ip}); err != nil {
			return Principal{}, err
		}
	}
	p := Principal{AccountID: row.AccountID, Role: access.RoleCreditor, CreditorID: row.CreditorID, APIKeyID: row.ID}
	for _, sc := range row.Scopes {
		p.Scopes = append(p.Scopes, access.Permission(sc))
	}
	return p, nil
}
