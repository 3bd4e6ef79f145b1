package access_test

import (
	"testing"

	"github.com/adc-dz/tahsil/access"
)

func TestParseRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   access.Role
		wantOK bool
	}{
		{"admin", access.RoleAdmin, true},
		{"agent", access.RoleAgent, true},
		{"auditor", access.RoleAuditor, true},
		{"creditor", access.RoleCreditor, true},
		{"debtor", access.RoleDebtor, true},
		{"", "", false},
		{"Admin", "", false},
		{" admin", "", false},
		{"admin ", "", false},
		{"root", "", false},
		{"staff", "", false},
	}
	for _, tt := range tests {
		got, ok := access.ParseRole(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRole(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRolesRoundTripAndAreDistinct(t *testing.T) {
	t.Parallel()
	roles := access.Roles()
	if len(roles) != 5 {
		t.Fatalf("Roles() has %d roles, want 5", len(roles))
	}
	seen := map[access.Role]bool{}
	for _, r := range roles {
		if seen[r] {
			t.Errorf("role %q listed twice", r)
		}
		seen[r] = true
		if got, ok := access.ParseRole(string(r)); !ok || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, ok)
		}
		if !r.Valid() {
			t.Errorf("%q.Valid() = false", r)
		}
	}
	if access.Role("root").Valid() {
		t.Error(`Role("root").Valid() = true`)
	}
}

func TestStaff(t *testing.T) {
	t.Parallel()
	want := map[access.Role]bool{
		access.RoleAdmin:    true,
		access.RoleAgent:    true,
		access.RoleAuditor:  true,
		access.RoleCreditor: false,
		access.RoleDebtor:   false,
		access.Role(""):     false,
		access.Role("root"): false,
	}
	for r, w := range want {
		if got := r.Staff(); got != w {
			t.Errorf("%q.Staff() = %v, want %v", r, got, w)
		}
	}
}
