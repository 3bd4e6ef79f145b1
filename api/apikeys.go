package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/identity"
)

// apiKeyView is a key as listed: never the token.
type apiKeyView struct {
	ID         string              `json:"id"`
	Prefix     string              `json:"prefix"`
	Name       string              `json:"name"`
	Scopes     []access.Permission `json:"scopes"`
	CreatedAt  time.Time           `json:"created_at"`
	CreatedBy  string              `json:"created_by"`
	ExpiresAt  *time.Time          `json:"expires_at,omitempty"`
	LastUsedAt *time.Time          `json:"last_used_at,omitempty"`
	LastUsedIP string              `json:"last_used_ip,omitempty"`
	RevokedAt  *time.Time          `json:"revoked_at,omitempty"`
	// Token is only in the creation's answer: it is shown once.
	Token string `json:"token,omitempty"`
}

func viewAPIKey(k identity.APIKey) apiKeyView {
	return apiKeyView{ID: k.ID, Prefix: k.Prefix, Name: k.Name, Scopes: k.Scopes, CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy,
		ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, LastUsedIP: k.LastUsedIP, RevokedAt: k.RevokedAt}
}

type apiKeyRequest struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// keyOwner is the creditor whose keys the principal manages. Keys are
// created from a signed-in session, never from another key.
func keyOwner(c echo.Context) (identity.Principal, error) {
	p := principalOf(c)
	if p.APIKeyID != "" {
		return p, problem(http.StatusForbidden, "session-required", "Sign in to manage API keys",
			"API keys are managed from an MFA-verified session, not with an API key")
	}
	if p.CreditorID == "" {
		return p, problem(http.StatusForbidden, "creditor-only", "Creditor accounts only",
			"API keys belong to a creditor; sign in with a creditor account")
	}
	return p, nil
}

// apiKeyCreate issues a key: POST /api/v1/api-keys. The answer holds the
// token, once.
func (s *Server) apiKeyCreate(c echo.Context) error {
	p, err := keyOwner(c)
	if err != nil {
		return err
	}
	var in apiKeyRequest
	if err := s.decodeBody(c, &in); err != nil {
		return err
	}
	var fe collection.FieldErrors
	name := strings.TrimSpace(in.Name)
	if name == "" {
		fe.Add("name", "is required: say what the key is for")
	} else if len([]rune(name)) > 100 {
		fe.Add("name", "at most 100 characters")
	}
	var scopes []access.Permission
	seen := map[access.Permission]bool{}
	if len(in.Scopes) == 0 {
		fe.Add("scopes", "give at least one scope")
	}
	for i, sc := range in.Scopes {
		perm, ok := access.ParseScope(sc)
		if !ok {
			fe.Add(fmt.Sprintf("scopes[%d]", i), "unknown scope; use "+scopeNames())
			continue
		}
		if !seen[perm] {
			seen[perm] = true
			scopes = append(scopes, perm)
		}
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.cfg.Now()) {
		fe.Add("expires_at", "must be in the future")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	k, token, err := s.cfg.Identity.NewAPIKey(c.Request().Context(), p.AccountID, p.CreditorID, name, scopes, in.ExpiresAt)
	if err != nil {
		return err
	}
	s.securityFact(c, p, "api_key.created", "succeeded", "api_key", k.ID, map[string]any{"name": name, "scopes": scopes})
	v := viewAPIKey(k)
	v.Token = token
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/api-keys/"+k.ID)
	return c.JSON(http.StatusCreated, v)
}

func scopeNames() string {
	var names []string
	for _, p := range access.APIKeyScopes() {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// keysOf is the creditor whose keys are listed or revoked: the creditor
// account's own, or for an admin (a leaked key is revoked by ADC too) the
// creditor named by ?creditor_id=.
func keysOf(c echo.Context) (string, error) {
	p := principalOf(c)
	if p.Role.Staff() && p.APIKeyID == "" {
		id := c.QueryParam("creditor_id")
		if _, err := uuid.Parse(id); err != nil {
			return "", invalidRequest("staff name the creditor whose keys they manage",
				collection.FieldError{Field: "creditor_id", Reason: "required: the creditor's id"})
		}
		return strings.ToLower(id), nil
	}
	if _, err := keyOwner(c); err != nil {
		return "", err
	}
	return p.CreditorID, nil
}

func (s *Server) apiKeyList(c echo.Context) error {
	creditorID, err := keysOf(c)
	if err != nil {
		return err
	}
	keys, err := s.cfg.Identity.APIKeys(c.Request().Context(), creditorID)
	if err != nil {
		return err
	}
	body := listBody[apiKeyView]{Items: make([]apiKeyView, 0, len(keys))}
	for _, k := range keys {
		body.Items = append(body.Items, viewAPIKey(k))
	}
	return c.JSON(http.StatusOK, body)
}

// apiKeyRevoke revokes a key: DELETE /api/v1/api-keys/:id. Another
// creditor's key is not found.
func (s *Server) apiKeyRevoke(c echo.Context) error {
	creditorID, err := keysOf(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	id, err := pathID(c, "API key")
	if err != nil {
		return err
	}
	k, err := s.cfg.Identity.RevokeAPIKey(c.Request().Context(), creditorID, id)
	if errors.Is(err, identity.ErrNoSuchKey) {
		return notFound("API key", id)
	}
	if err != nil {
		return err
	}
	s.securityFact(c, p, "api_key.revoked", "succeeded", "api_key", k.ID, nil)
	return c.JSON(http.StatusOK, viewAPIKey(k))
}
