package access_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/access"
)

// holders is the access policy written again, by permission rather than by
// role, from the brief and DESIGN.md. The table in permissions.go must agree
// with it cell for cell; a change to either is a deliberate change to both.
var holders = map[access.Permission][]access.Role{
	access.PermSelf: {access.RoleAdmin, access.RoleAgent, access.RoleAuditor, access.RoleCreditor, access.RoleDebtor},

	access.PermCreditorsRead:    {access.RoleAdmin, access.RoleAgent, access.RoleAuditor, access.RoleCreditor},
	access.PermCreditorsCreate:  {access.RoleAdmin, access.RoleAgent},
	access.PermCreditorsUpdate:  {access.RoleAdmin, access.RoleAgent, access.RoleCreditor},
	access.PermCreditorsArchive: {access.RoleAdmin, access.RoleAgent},
	access.PermCreditorsHistory: {access.RoleAdmin, access.RoleAgent, access.RoleAuditor},
	access.PermCreditorsErase:   {access.RoleAdmin},

	access.PermDebtorsRead:    {access.RoleAdmin, access.RoleAgent, access.RoleAuditor, access.RoleCreditor, access.RoleDebtor},
	access.PermDebtorsCreate:  {access.RoleAdmin, access.RoleAgent, access.RoleCreditor},
	access.PermDebtorsUpdate:  {access.RoleAdmin, access.RoleAgent},
	access.PermDebtorsArchive: {access.RoleAdmin, access.RoleAgent},
	access.PermDebtorsHistory: {access.RoleAdmin, access.RoleAgent, access.RoleAuditor},
	access.PermDebtorsErase:   {access.RoleAdmin},

	access.PermDebtsRead:     {access.RoleAdmin, access.RoleAgent, access.RoleAuditor, access.RoleCreditor, access.RoleDebtor},
	access.PermDebtsWrite:    {access.RoleAdmin, access.RoleAgent, access.RoleCreditor},
	access.PermDebtsManage:   {access.RoleAdmin, access.RoleAgent},
	access.PermDebtsApprove:  {access.RoleAdmin},
	access.PermDebtsHistory:  {access.RoleAdmin, access.RoleAgent, access.RoleAuditor},
	access.PermPaymentsRead:  {access.RoleAdmin, access.RoleAgent, access.RoleAuditor, access.RoleCreditor, access.RoleDebtor},
	access.PermPaymentsWrite: {access.RoleAdmin, access.RoleAgent},
	// DESIGN.md: a debtor promises to pay (on its own debts: SQL scoping).
	access.PermPromisesWrite: {access.RoleAdmin, access.RoleAgent, access.RoleDebtor},

	access.PermCommandsRead: {access.RoleAdmin, access.RoleAgent, access.RoleAuditor, access.RoleCreditor, access.RoleDebtor},

	access.PermRegistrationsManage: {access.RoleAdmin},
	access.PermUsersManage:         {access.RoleAdmin},
	access.PermUsersRead:           {access.RoleAdmin, access.RoleAuditor},
	access.PermAuditRead:           {access.RoleAdmin, access.RoleAuditor},
	access.PermAPIKeysManage:       {access.RoleAdmin, access.RoleCreditor},
}

func TestPolicyMatrix(t *testing.T) {
	t.Parallel()
	if got, want := len(access.Permissions()), len(holders); got != want {
		t.Errorf("Permissions() has %d permissions, the expected matrix %d", got, want)
	}
	for _, p := range access.Permissions() {
		if _, ok := holders[p]; !ok {
			t.Errorf("permission %q is missing from the expected matrix", p)
		}
	}
	for p, roles := range holders {
		for _, r := range access.Roles() {
			if got, want := r.Can(p), slices.Contains(roles, r); got != want {
				t.Errorf("%s.Can(%s) = %v, want %v", r, p, got, want)
			}
		}
	}
}

// TestEveryDeclaredPermissionIsInTheTable reads permissions.go, so that a
// constant added without a row in the table (and so held by nobody, not
// even admin) fails here rather than in production with a 403.
func TestEveryDeclaredPermissionIsInTheTable(t *testing.T) {
	t.Parallel()
	declared := declaredPermissions(t)
	if len(declared) == 0 {
		t.Fatal("found no Permission constants in permissions.go")
	}
	if got := access.Permissions(); !slices.Equal(got, declared) {
		t.Errorf("Permissions() = %v\ndeclared constants = %v", got, declared)
	}
}

func declaredPermissions(t *testing.T) []access.Permission {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "permissions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []access.Permission
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Permission" {
				t.Fatalf("constant %s in permissions.go is not of type Permission", vs.Names[0])
			}
			for _, v := range vs.Values {
				s, err := strconv.Unquote(v.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, access.Permission(s))
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestPolicyProperties(t *testing.T) {
	t.Parallel()
	isRead := func(p access.Permission) bool {
		return strings.HasSuffix(string(p), ":read") || strings.HasSuffix(string(p), ":history")
	}
	for _, p := range access.Permissions() {
		if !access.RoleAdmin.Can(p) {
			t.Errorf("admin cannot %s: admin holds every permission", p)
		}
		// The auditor reads everything there is to read.
		if isRead(p) && !access.RoleAuditor.Can(p) {
			t.Errorf("auditor cannot %s", p)
		}
	}
	for _, r := range access.Roles() {
		if !r.Can(access.PermSelf) {
			t.Errorf("%s cannot %s", r, access.PermSelf)
		}
		for _, p := range access.PermissionsOf(r) {
			if !r.Staff() && strings.HasSuffix(string(p), ":history") {
				t.Errorf("%s holds %s: the full history of a record is for staff", r, p)
			}
		}
	}
	for _, p := range access.PermissionsOf(access.RoleAuditor) {
		if p != access.PermSelf && !isRead(p) {
			t.Errorf("auditor holds %s, which is not a read", p)
		}
	}
	for _, p := range access.PermissionsOf(access.RoleDebtor) {
		// A promise to pay is the one thing a debtor writes.
		if p != access.PermSelf && p != access.PermPromisesWrite && !strings.HasSuffix(string(p), ":read") {
			t.Errorf("debtor holds %s, which is not a read", p)
		}
	}
	adminOnly := []access.Permission{access.PermUsersManage, access.PermRegistrationsManage,
		access.PermCreditorsErase, access.PermDebtorsErase}
	for _, r := range access.Roles() {
		for _, p := range adminOnly {
			if r != access.RoleAdmin && r.Can(p) {
				t.Errorf("%s can %s, which only admin may", r, p)
			}
		}
	}
}

func TestUnknownRoleHoldsNothing(t *testing.T) {
	t.Parallel()
	for _, r := range []access.Role{"", "root", "Admin", "admin "} {
		for _, p := range access.Permissions() {
			if r.Can(p) {
				t.Errorf("%q.Can(%s) = true", r, p)
			}
		}
		if got := access.PermissionsOf(r); len(got) != 0 {
			t.Errorf("PermissionsOf(%q) = %v", r, got)
		}
	}
	if access.RoleAdmin.Can("") || access.RoleAdmin.Can("debts:delete") {
		t.Error("admin holds a permission that does not exist")
	}
}

var permissionSyntax = regexp.MustCompile(`^(self|[a-z]+(-[a-z]+)*:[a-z]+)$`)

func TestPermissionListsAreSortedCopies(t *testing.T) {
	t.Parallel()
	all := access.Permissions()
	if !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Errorf("Permissions() is not sorted and unique: %v", all)
	}
	for _, p := range all {
		if !permissionSyntax.MatchString(string(p)) {
			t.Errorf("permission %q is not self or resource:verb", p)
		}
	}
	for _, r := range access.Roles() {
		ps := access.PermissionsOf(r)
		if !slices.IsSorted(ps) {
			t.Errorf("PermissionsOf(%s) is not sorted: %v", r, ps)
		}
		for _, p := range ps {
			if !r.Can(p) {
				t.Errorf("PermissionsOf(%s) lists %s, but it cannot", r, p)
			}
		}
		// Changing the returned slice must not change the policy.
		for i := range ps {
			ps[i] = access.PermUsersManage
		}
		if r != access.RoleAdmin && r.Can(access.PermUsersManage) {
			t.Fatalf("writing to PermissionsOf(%s) changed the policy", r)
		}
	}
	scopes := access.APIKeyScopes()
	scopes[0] = access.PermUsersManage
	if _, ok := access.ParseScope(string(access.PermUsersManage)); ok {
		t.Fatal("writing to APIKeyScopes() changed the accepted scopes")
	}
}

func TestAPIKeyScopes(t *testing.T) {
	t.Parallel()
	want := []access.Permission{
		access.PermCreditorsRead,
		access.PermDebtorsCreate,
		access.PermDebtorsRead,
		access.PermDebtsRead,
		access.PermDebtsWrite,
		access.PermPaymentsRead,
	}
	if got := access.APIKeyScopes(); !slices.Equal(got, want) {
		t.Errorf("APIKeyScopes() = %v, want %v", got, want)
	}
	for _, s := range access.APIKeyScopes() {
		// A key acts for a creditor and must never exceed what it may do.
		if !access.RoleCreditor.Can(s) {
			t.Errorf("scope %s is not held by the creditor role", s)
		}
		if got, ok := access.ParseScope(string(s)); !ok || got != s {
			t.Errorf("ParseScope(%q) = %q, %v", s, got, ok)
		}
	}
	for _, p := range access.Permissions() {
		if _, ok := access.ParseScope(string(p)); ok != slices.Contains(want, p) {
			t.Errorf("ParseScope(%q) ok = %v", p, ok)
		}
	}
	for _, s := range []string{"", "self", "api-keys:manage", "users:manage", "DEBTS:READ", " debts:read", "debts:read ", "debts:*", "*"} {
		if got, ok := access.ParseScope(s); ok {
			t.Errorf("ParseScope(%q) = %q, true; want refused", s, got)
		}
	}
}
