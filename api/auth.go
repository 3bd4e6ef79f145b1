package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/identity"
	"github.com/adc-dz/tahsil/store"
)

// SessionCookie carries the session of the web pages. The __Host- prefix
// makes browsers refuse it unless it is Secure, has Path=/ and no Domain,
// so no sibling host can plant or read it.
const SessionCookie = "__Host-tahsil_session"

// CSRFHeader carries the CSRF token on cookie-authenticated writes.
const CSRFHeader = "X-CSRF-Token"

// Public marks a route that answers without a session. Every route
// declares either a permission or Public; the route-table test holds the
// router to it.
const Public access.Permission = ""

const principalCtxKey = "tahsil.principal"

// principalOf returns the request's principal; handlers behind require
// always have one.
func principalOf(c echo.Context) identity.Principal {
	p, _ := c.Get(principalCtxKey).(identity.Principal)
	return p
}

// route registers a handler with the permission it needs.
func (s *Server) route(method, path string, perm access.Permission, h echo.HandlerFunc) {
	s.permissions[method+" "+path] = perm
	if perm != Public {
		h = s.require(perm, h)
	}
	s.e.Add(method, path, h)
}

// RoutePermissions maps "METHOD /path" to the permission each route needs
// (Public for none), for the role × route matrix test.
func (s *Server) RoutePermissions() map[string]access.Permission {
	out := make(map[string]access.Permission, len(s.permissions))
	for k, v := range s.permissions {
		out[k] = v
	}
	return out
}

// require authenticates the request and checks one permission. A missing
// or dead session is 401; a principal without the permission is 403, and
// the refusal is kept in the security log.
func (s *Server) require(perm access.Permission, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, viaCookie, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if viaCookie && !safeMethod(c.Request().Method) && !p.CheckCSRF(c.Request().Header.Get(CSRFHeader)) {
			s.securityFact(c, p, "access.denied", "denied", "route", c.Request().Method+" "+c.Path(), map[string]any{"reason": "csrf"})
			return problem(http.StatusForbidden, "csrf", "CSRF token missing or wrong",
				"a write authenticated by the session cookie needs the session's CSRF token in the "+CSRFHeader+" header")
		}
		if p.APIKeyID != "" && s.cfg.KeyLimiter != nil {
			if ok, wait := s.cfg.KeyLimiter.Allow(p.APIKeyID, s.cfg.Now()); !ok {
				return tooMany(c, wait, "this API key sent too many requests")
			}
		}
		if !p.Can(perm) {
			s.securityFact(c, p, "access.denied", "denied", "route", c.Request().Method+" "+c.Path(), map[string]any{"permission": perm})
			detail := fmt.Sprintf("your role (%s) does not allow this (%s)", p.Role, perm)
			if p.APIKeyID != "" && p.Role.Can(perm) {
				detail = fmt.Sprintf("this API key has no %s scope", perm)
			}
			return problem(http.StatusForbidden, "forbidden", "Forbidden", detail)
		}
		c.Set(principalCtxKey, p)
		return next(c)
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate reads the bearer token, else the session cookie.
func (s *Server) authenticate(c echo.Context) (identity.Principal, bool, error) {
	token, viaCookie := "", false
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
			return identity.Principal{}, false, unauthorized(c, "the Authorization header must be \"Bearer <token>\"")
		}
		token = strings.TrimSpace(rest)
	} else if ck, err := c.Cookie(SessionCookie); err == nil {
		token, viaCookie = ck.Value, true
	}
	if token == "" {
		return identity.Principal{}, false, unauthorized(c, "sign in first: send \"Authorization: Bearer <token>\"")
	}
	p, err := s.cfg.Identity.Authenticate(c.Request().Context(), token, c.RealIP())
	if errors.Is(err, identity.ErrUnauthenticated) {
		return identity.Principal{}, false, unauthorized(c, "the token is unknown, expired or revoked; sign in again")
	}
	if err != nil {
		return identity.Principal{}, false, err
	}
	return p, viaCookie, nil
}

func unauthorized(c echo.Context, detail string) *Problem {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tahsil"`)
	return problem(http.StatusUnauthorized, "unauthenticated", "Not signed in", detail)
}

// tooMany answers 429 with Retry-After in whole seconds.
func tooMany(c echo.Context, wait time.Duration, detail string) *Problem {
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return problem(http.StatusTooManyRequests, "rate-limited", "Too many requests",
		fmt.Sprintf("%s; retry in %d s", detail, secs))
}

// securityFact appends one entry to the security log. The log is the
// audit trail's record of what is not an aggregate's event; a failure to
// write it is logged, not hidden.
func (s *Server) securityFact(c echo.Context, p identity.Principal, action, outcome, subjectType, subjectID string, detail map[string]any) {
	if detail == nil {
		detail = map[string]any{}
	}
	if p.APIKeyID != "" {
		detail["api_key_id"] = p.APIKeyID
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		raw = []byte("{}")
	}
	var actorID *string
	if p.AccountID != "" {
		actorID = &p.AccountID
	}
	ua := c.Request().UserAgent()
	if len(ua) > 200 {
		ua = ua[:200]
	}
	err = s.q.SecurityLogInsert(c.Request().Context(), store.SecurityLogInsertParams{
		At: s.cfg.Now().UTC(), Action: action, Outcome: outcome, ActorID: actorID, ActorRole: string(p.Role),
		Ip: c.RealIP(), UserAgent: ua, SubjectType: subjectType, SubjectID: subjectID, Detail: raw,
	})
	if err != nil {
		s.log.Error("security log write failed", "action", action, "err", err)
	}
}
