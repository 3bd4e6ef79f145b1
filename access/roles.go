package access

// Role is what an account is, and so what it may do (see Can). The value is
// stored in PostgreSQL and carried in audit events: renaming one is a data
// migration, not a refactoring.
type Role string

// The five roles of DESIGN.md. Staff are ADC's employees; creditors and
// debtors are outside parties who only ever see their own records.
const (
	RoleAdmin    Role = "admin"
	RoleAgent    Role = "agent"
	RoleAuditor  Role = "auditor"
	RoleCreditor Role = "creditor"
	RoleDebtor   Role = "debtor"
)

// Roles returns every role, staff first, in a fixed order suitable for a form.
func Roles() []Role {
	return []Role{RoleAdmin, RoleAgent, RoleAuditor, RoleCreditor, RoleDebtor}
}

// ParseRole returns the role spelled exactly s. It does not fold case or trim:
// a role comes from our own database or from a closed list in a form, so
// anything else is a bug or an attack, and both should fail loudly.
func ParseRole(s string) (Role, bool) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// Staff reports whether r is one of ADC's own roles (admin, agent, auditor),
// which use the staff console and may see every creditor's portfolio.
func (r Role) Staff() bool {
	switch r {
	case RoleAdmin, RoleAgent, RoleAuditor:
		return true
	}
	return false
}

// Valid reports whether r is one of the five roles.
func (r Role) Valid() bool {
	_, ok := ParseRole(string(r))
	return ok
}
