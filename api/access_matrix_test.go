package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/api"
	"github.com/adc-dz/tahsil/internal/apptest"
)

// The access policy written again, independently of access/permissions.go
// and api/routes.go, from DESIGN.md ("People and what they do", "Security
// model"). The test holds both the table and the router to it, then asks
// the running API, so a wrong permission on a route, a wrong row in the
// role table and a handler that skips the check all fail here.

const (
	rAdmin    = access.RoleAdmin
	rAgent    = access.RoleAgent
	rAuditor  = access.RoleAuditor
	rCreditor = access.RoleCreditor
	rDebtor   = access.RoleDebtor
)

// roleGrants is what each role holds. Admin holds everything, and alone
// erases a person (erasure cannot be undone); the agent works creditors,
// debtors, debts and payments but not accounts; the auditor reads
// everything, the audit trail included, and writes nothing; the creditor
// keeps its own record's contacts, declares debtors, posts debts and
// manages its integration keys; the debtor reads, and promises to pay on
// its own debts.
var roleGrants = map[access.Role][]access.Permission{
	rAdmin: {
		access.PermSelf,
		access.PermCreditorsRead, access.PermCreditorsCreate, access.PermCreditorsUpdate, access.PermCreditorsArchive, access.PermCreditorsHistory,
		access.PermCreditorsErase,
		access.PermDebtorsRead, access.PermDebtorsCreate, access.PermDebtorsUpdate, access.PermDebtorsArchive, access.PermDebtorsHistory,
		access.PermDebtorsErase,
		access.PermDebtsRead, access.PermDebtsWrite, access.PermDebtsManage, access.PermDebtsApprove, access.PermDebtsHistory, access.PermPaymentsRead, access.PermPaymentsWrite,
		access.PermPromisesWrite,
		access.PermCommandsRead,
		access.PermRegistrationsManage, access.PermUsersManage, access.PermUsersRead, access.PermAuditRead,
		access.PermAPIKeysManage,
	},
	rAgent: {
		access.PermSelf,
		access.PermCreditorsRead, access.PermCreditorsCreate, access.PermCreditorsUpdate, access.PermCreditorsArchive, access.PermCreditorsHistory,
		access.PermDebtorsRead, access.PermDebtorsCreate, access.PermDebtorsUpdate, access.PermDebtorsArchive, access.PermDebtorsHistory,
		access.PermDebtsRead, access.PermDebtsWrite, access.PermDebtsManage, access.PermDebtsHistory, access.PermPaymentsRead, access.PermPaymentsWrite,
		access.PermPromisesWrite,
		access.PermCommandsRead,
	},
	rAuditor: {
		access.PermSelf,
		access.PermCreditorsRead, access.PermCreditorsHistory,
		access.PermDebtorsRead, access.PermDebtorsHistory,
		access.PermDebtsRead, access.PermDebtsHistory, access.PermPaymentsRead,
		access.PermCommandsRead,
		access.PermUsersRead, access.PermAuditRead,
	},
	rCreditor: {
		access.PermSelf,
		access.PermCreditorsRead, access.PermCreditorsUpdate,
		access.PermDebtorsRead, access.PermDebtorsCreate,
		access.PermDebtsRead, access.PermDebtsWrite, access.PermPaymentsRead,
		access.PermCommandsRead,
		access.PermAPIKeysManage,
	},
	rDebtor: {
		access.PermSelf,
		access.PermDebtorsRead,
		access.PermDebtsRead, access.PermPaymentsRead, access.PermPromisesWrite,
		access.PermCommandsRead,
	},
}

// debtorWrites are the only writes a debtor holds, and debtorRoutes the
// only writes it calls: DESIGN.md, "debtor: ... promise to pay".
var (
	debtorWrites = []access.Permission{access.PermPromisesWrite}
	debtorRoutes = []string{"POST /api/v1/debts/:id/promises"}
)

// everyone is every role; public marks a route that needs no session.
var (
	allRoles    = []access.Role{rAdmin, rAgent, rAuditor, rCreditor, rDebtor}
	publicRoute = []access.Role(nil)
)

// routeCallers is, for every route of the API, the roles that may call it
// (public: anyone, signed in or not). A route missing here fails the test:
// adding one is a decision about who may call it.
var routeCallers = map[string][]access.Role{
	"GET /healthz":             publicRoute,
	"GET /readyz":              publicRoute,
	"GET /metrics":             publicRoute, // only when configured
	"GET /api/v1/openapi.json": publicRoute,

	"POST /api/v1/auth/login":                  publicRoute,
	"POST /api/v1/auth/mfa/enroll":             publicRoute,
	"POST /api/v1/auth/mfa/activate":           publicRoute,
	"POST /api/v1/auth/mfa":                    publicRoute,
	"POST /api/v1/auth/logout":                 allRoles,
	"GET /api/v1/me":                           allRoles,
	"POST /api/v1/registrations":               publicRoute,
	"GET /api/v1/registrations":                {rAdmin},
	"GET /api/v1/registrations/:id":            {rAdmin},
	"POST /api/v1/registrations/:id/approval":  {rAdmin},
	"POST /api/v1/registrations/:id/rejection": {rAdmin},

	"POST /api/v1/users":               {rAdmin},
	"GET /api/v1/users":                {rAdmin, rAuditor},
	"GET /api/v1/users/:id":            {rAdmin, rAuditor},
	"PUT /api/v1/users/:id/role":       {rAdmin},
	"POST /api/v1/users/:id/disable":   {rAdmin},
	"POST /api/v1/users/:id/enable":    {rAdmin},
	"POST /api/v1/users/:id/mfa-reset": {rAdmin},
	"POST /api/v1/users/:id/unlock":    {rAdmin},

	"POST /api/v1/api-keys":       {rAdmin, rCreditor},
	"GET /api/v1/api-keys":        {rAdmin, rCreditor},
	"DELETE /api/v1/api-keys/:id": {rAdmin, rCreditor},

	"GET /api/v1/audit": {rAdmin, rAuditor},

	"POST /api/v1/creditors":             {rAdmin, rAgent},
	"GET /api/v1/creditors":              {rAdmin, rAgent, rAuditor, rCreditor},
	"GET /api/v1/creditors/:id":          {rAdmin, rAgent, rAuditor, rCreditor},
	"PATCH /api/v1/creditors/:id":        {rAdmin, rAgent, rCreditor},
	"DELETE /api/v1/creditors/:id":       {rAdmin, rAgent},
	"GET /api/v1/creditors/:id/history":  {rAdmin, rAgent, rAuditor},
	"POST /api/v1/creditors/:id/erasure": {rAdmin},

	"POST /api/v1/debtors":             {rAdmin, rAgent, rCreditor},
	"GET /api/v1/debtors":              allRoles,
	"GET /api/v1/debtors/:id":          allRoles,
	"PATCH /api/v1/debtors/:id":        {rAdmin, rAgent},
	"DELETE /api/v1/debtors/:id":       {rAdmin, rAgent},
	"GET /api/v1/debtors/:id/history":  {rAdmin, rAgent, rAuditor},
	"POST /api/v1/debtors/:id/erasure": {rAdmin},

	// Case files: everyone reads the debts and payments it may see (a
	// tenant its own, in SQL); staff work them; a creditor opens its own;
	// only an admin decides a maker-checker proposal; the timeline and the
	// proposals are ADC's working notes.
	"POST /api/v1/debts":                 {rAdmin, rAgent, rCreditor},
	"GET /api/v1/debts":                  allRoles,
	"GET /api/v1/debts/:id":              allRoles,
	"PATCH /api/v1/debts/:id":            {rAdmin, rAgent},
	"GET /api/v1/debts/:id/history":      {rAdmin, rAgent, rAuditor},
	"POST /api/v1/debts/:id/transitions": {rAdmin, rAgent},
	"POST /api/v1/debts/:id/charges":     {rAdmin, rAgent},
	"POST /api/v1/debts/:id/proposals":   {rAdmin, rAgent},
	"GET /api/v1/creditors/:id/debts":    allRoles,
	"GET /api/v1/debtors/:id/debts":      allRoles,
	"GET /api/v1/approvals":              {rAdmin, rAgent, rAuditor},
	"GET /api/v1/approvals/:id":          {rAdmin, rAgent, rAuditor},
	"POST /api/v1/approvals/:id":         {rAdmin},
	"POST /api/v1/debts/:id/payments":    {rAdmin, rAgent},
	"GET /api/v1/debts/:id/payments":     allRoles,
	"GET /api/v1/payments/:id":           allRoles,
	"GET /api/v1/payments/:id/receipt":   allRoles,
	"GET /api/v1/receipts/verify":        publicRoute,
	"POST /api/v1/imports/debts":         {rAdmin, rAgent, rCreditor},
	"GET /api/v1/imports/:id":            allRoles,
	"POST /api/v1/payments/:id/reversal": {rAdmin, rAgent},

	// Plans are ADC's to set, everyone's (in scope) to read; a debtor
	// promises to pay on its own debts, staff take promises down.
	"PUT /api/v1/debts/:id/plan":      {rAdmin, rAgent},
	"GET /api/v1/debts/:id/plan":      allRoles,
	"POST /api/v1/debts/:id/promises": {rAdmin, rAgent, rDebtor},
	"GET /api/v1/debts/:id/promises":  allRoles,

	// Documents go with their debt: whoever may see the debt reads them;
	// staff and the debt's own creditor (debts:write) upload them.
	// Interactions are ADC's working notes; tasks the agents' work queue.
	"POST /api/v1/debts/:id/documents":    {rAdmin, rAgent, rCreditor},
	"GET /api/v1/debts/:id/documents":     allRoles,
	"GET /api/v1/documents/:id/content":   allRoles,
	"POST /api/v1/debts/:id/interactions": {rAdmin, rAgent},
	"GET /api/v1/debts/:id/interactions":  {rAdmin, rAgent, rAuditor},
	"GET /api/v1/tasks":                   {rAdmin, rAgent},
	"POST /api/v1/tasks/:id/completion":   {rAdmin, rAgent},

	// Legal procedures are ADC's to work, everyone's (in scope) to read.
	"POST /api/v1/debts/:id/legal-procedures": {rAdmin, rAgent},
	"GET /api/v1/debts/:id/legal-procedures":  allRoles,
	"GET /api/v1/legal-procedures/:id":        allRoles,
	"POST /api/v1/legal-procedures/:id/steps": {rAdmin, rAgent},
	"GET /api/v1/legal/deadlines":             allRoles,

	"GET /api/v1/commands/:id": allRoles,
}

// handlerRefusals are the calls the role's permission lets through but the
// handler refuses for a reason of its own, with the problem slug it gives.
// Admin holds api-keys:manage (admin holds every permission): it lists and
// revokes a creditor's keys (?creditor_id=), but keys are issued to a
// creditor's own account only.
var handlerRefusals = map[string]string{
	"admin POST /api/v1/api-keys": "creditor-only",
}

// routeTable is the router's routes, as "METHOD /path" in echo's syntax.
func routeTable(t *testing.T, app *apptest.App) []string {
	t.Helper()
	var out []string
	for _, rt := range app.Server.Echo().Routes() {
		if rt.Method == echo.RouteNotFound || strings.Contains(rt.Path, "*") {
			continue
		}
		out = append(out, rt.Method+" "+rt.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestAccessTable checks the role table against the policy above, and the
// policy's own properties, without a server.
func TestAccessTable(t *testing.T) {
	t.Parallel()
	if got, want := access.Roles(), allRoles; !slices.Equal(got, want) {
		t.Fatalf("roles %v, want %v", got, want)
	}
	for _, r := range allRoles {
		want := slices.Clone(roleGrants[r])
		slices.Sort(want)
		if got := access.PermissionsOf(r); !slices.Equal(got, want) {
			t.Errorf("%s holds %v\nwant %v", r, got, want)
		}
		for _, p := range access.Permissions() {
			if got, want := r.Can(p), slices.Contains(roleGrants[r], p); got != want {
				t.Errorf("%s.Can(%s) = %v, want %v", r, p, got, want)
			}
		}
	}
	isRead := func(p access.Permission) bool {
		return p == access.PermSelf || strings.HasSuffix(string(p), ":read") || strings.HasSuffix(string(p), ":history")
	}
	for _, p := range access.Permissions() {
		if !rAdmin.Can(p) {
			t.Errorf("admin lacks %s", p)
		}
		if isRead(p) && !rAuditor.Can(p) {
			t.Errorf("the auditor reads everything, but lacks %s", p)
		}
		if !isRead(p) && (rAuditor.Can(p) || (rDebtor.Can(p) && !slices.Contains(debtorWrites, p))) {
			t.Errorf("%s is a write: neither auditor nor debtor may hold it", p)
		}
	}
	for _, r := range []access.Role{rCreditor, rDebtor} {
		for _, p := range []access.Permission{access.PermUsersManage, access.PermUsersRead, access.PermRegistrationsManage,
			access.PermAuditRead, access.PermCreditorsCreate, access.PermCreditorsArchive, access.PermDebtorsUpdate,
			access.PermDebtorsArchive, access.PermCreditorsHistory, access.PermDebtorsHistory, access.PermPaymentsWrite,
			access.PermDebtsManage, access.PermDebtsApprove, access.PermDebtsHistory,
			access.PermCreditorsErase, access.PermDebtorsErase} {
			if r.Can(p) {
				t.Errorf("%s holds %s, which is ADC staff's", r, p)
			}
		}
	}
	for _, r := range []access.Role{"", "Admin", "root", "admin "} {
		for _, p := range access.Permissions() {
			if r.Can(p) {
				t.Errorf("unknown role %q holds %s", r, p)
			}
		}
	}
	// The route policy itself: the auditor and the debtor call nothing but
	// reads (and sign out); staff-only routes name no tenant role.
	for route, roles := range routeCallers {
		method, path, _ := strings.Cut(route, " ")
		if roles == nil {
			continue
		}
		if route == "POST /api/v1/auth/logout" {
			continue
		}
		for _, r := range []access.Role{rAuditor, rDebtor} {
			if slices.Contains(roles, r) && method != http.MethodGet && !(r == rDebtor && slices.Contains(debtorRoutes, route)) {
				t.Errorf("%s may call %s, which is not a read", r, route)
			}
		}
		if strings.HasPrefix(path, "/api/v1/users") || strings.HasPrefix(path, "/api/v1/registrations") ||
			strings.HasPrefix(path, "/api/v1/audit") || strings.HasSuffix(path, "/history") ||
			strings.HasPrefix(path, "/api/v1/approvals") {
			if slices.Contains(roles, rCreditor) || slices.Contains(roles, rDebtor) {
				t.Errorf("%s is ADC staff's, yet a tenant role may call it", route)
			}
		}
	}
}

// TestAccessMatrix builds the role × route matrix from the router itself
// and sends every cell: a role without the route's permission gets exactly
// 403 forbidden; a role with it is never refused (401 or 403), whatever
// else a random id or an empty body earns it. Without a token, or with a
// token that is none of ours, every route but the public ones is 401.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	visitor := newClient(t, app)
	users := map[access.Role]*apptest.User{rAdmin: app.NewStaff(t, string(rAdmin))}
	staff := visitor.as(users[rAdmin])
	// The tenant accounts act for records an admin registered first.
	cr := staff.createCreditor(validCreditor())
	db := staff.createDebtor(validDebtor())
	users[rAgent] = app.NewStaff(t, string(rAgent))
	users[rAuditor] = app.NewStaff(t, string(rAuditor))
	users[rCreditor] = app.NewTenant(t, string(rCreditor), cr.ID)
	users[rDebtor] = app.NewTenant(t, string(rDebtor), db.ID)

	routes := routeTable(t, app)
	perms := app.Server.RoutePermissions()

	t.Run("every route declares its permission", func(t *testing.T) {
		for _, rt := range routes {
			if _, ok := perms[rt]; !ok {
				t.Errorf("route %s has no permission entry (neither a permission nor api.Public)", rt)
			}
			if _, ok := routeCallers[rt]; !ok {
				t.Errorf("route %s is not in this test's policy: decide who may call it", rt)
			}
		}
		for rt := range perms {
			if !slices.Contains(routes, rt) {
				t.Errorf("permission entry %s names no route", rt)
			}
		}
		for rt := range routeCallers {
			if !slices.Contains(routes, rt) && rt != "GET /metrics" {
				t.Errorf("this test's policy names %s, which the router does not serve", rt)
			}
		}
		for _, rt := range routes {
			perm, roles := perms[rt], routeCallers[rt]
			if (perm == api.Public) != (roles == nil) {
				t.Errorf("%s: permission %q, but the policy says public = %v", rt, perm, roles == nil)
				continue
			}
			if perm == api.Public {
				continue
			}
			if !slices.Contains(access.Permissions(), perm) {
				t.Errorf("%s needs %q, which is no permission of the access table", rt, perm)
			}
			for _, r := range allRoles {
				if got, want := r.Can(perm), slices.Contains(roles, r); got != want {
					t.Errorf("%s on %s (%s): the access table says %v, the policy %v", r, rt, perm, got, want)
				}
			}
		}
	})

	// call sends a route's request: a random id for :id, an empty object
	// for a body. None of them can change anything: the ids name nothing.
	call := func(c *client, rt string, hdrs ...header) response {
		method, path, _ := strings.Cut(rt, " ")
		path = echoParam.ReplaceAllStringFunc(path, func(string) string { return uuid.NewString() })
		var body any
		if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
			body = obj{}
		}
		return c.do(method, path, body, hdrs...)
	}

	t.Run("no token", func(t *testing.T) {
		c := visitor.on(t)
		for _, rt := range routes {
			r := call(c, rt)
			if perms[rt] == api.Public {
				if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden {
					t.Errorf("public %s refused a visitor: %s", rt, r)
				}
				continue
			}
			p := wantProblem(t, r, http.StatusUnauthorized)
			if !strings.HasSuffix(p.Type, "/unauthenticated") {
				t.Errorf("%s: 401 of type %q", rt, p.Type)
			}
			if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
				t.Errorf("%s: WWW-Authenticate %q", rt, got)
			}
		}
	})

	t.Run("garbage tokens", func(t *testing.T) {
		c := visitor.on(t)
		tokens := []string{"garbage", "ts_" + strings.Repeat("A", 43), "tk_" + uuid.NewString(), users[rAdmin].Token + "x",
			users[rAdmin].CSRF}
		for _, rt := range routes {
			if perms[rt] == api.Public {
				continue
			}
			for _, tok := range tokens {
				r := call(c, rt, header{"Authorization", "Bearer " + tok})
				p := wantProblem(t, r, http.StatusUnauthorized)
				if !strings.HasSuffix(p.Type, "/unauthenticated") || r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s with token %.12q…: %s", rt, tok, r)
				}
			}
		}
		// Malformed Authorization headers are 401 too, never a fallback
		// to no authentication.
		for _, h := range []string{"Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", users[rCreditor].Token,
			"Token " + users[rCreditor].Token} {
			wantProblem(t, c.get("/api/v1/me", header{"Authorization", h}), http.StatusUnauthorized)
		}
	})

	for _, role := range allRoles {
		t.Run(string(role), func(t *testing.T) {
			c := visitor.on(t).as(users[role])
			// Signing out ends the session the other calls use: last.
			order := slices.Clone(routes)
			slices.SortStableFunc(order, func(a, b string) int {
				return lastIf(a == "POST /api/v1/auth/logout") - lastIf(b == "POST /api/v1/auth/logout")
			})
			for _, rt := range order {
				perm, ok := perms[rt]
				if !ok || perm == api.Public {
					continue
				}
				r := call(c, rt)
				cell := string(role) + " " + rt
				switch {
				case !role.Can(perm):
					p := wantProblem(t, r, http.StatusForbidden)
					if !strings.HasSuffix(p.Type, "/forbidden") {
						t.Errorf("%s: 403 of type %q, want .../forbidden", cell, p.Type)
					}
				case handlerRefusals[cell] != "":
					p := wantProblem(t, r, http.StatusForbidden)
					if !strings.HasSuffix(p.Type, "/"+handlerRefusals[cell]) {
						t.Errorf("%s: 403 of type %q, want .../%s", cell, p.Type, handlerRefusals[cell])
					}
				default:
					if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || r.Status >= 500 {
						t.Errorf("%s (%s held): %s", cell, perm, r)
					}
				}
			}
			// The signed-out session is dead everywhere.
			wantProblem(t, c.get("/api/v1/me"), http.StatusUnauthorized)
		})
	}
}

func lastIf(b bool) int {
	if b {
		return 1
	}
	return 0
}
