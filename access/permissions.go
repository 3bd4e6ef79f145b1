package access

import (
	"slices"
)

// Permission names one thing a route may require. Values are "resource:verb";
// they are also the scopes of API keys (see ParseScope), so they are stored in
// PostgreSQL and must not be renamed.
//
// A permission says what kind of action is allowed, never on which record:
// a creditor holding PermDebtsRead still sees only its own debts, because
// every creditor and debtor query is filtered by its id in SQL.
type Permission string

// Permissions. Adding one means adding it to rolePermissions (at least to
// admin), and the tests fail until that is done.
const (
	// PermSelf covers an account's own identity: who am I, logout, my
	// sessions, my MFA. Every role holds it.
	PermSelf Permission = "self"

	PermCreditorsRead    Permission = "creditors:read"
	PermCreditorsCreate  Permission = "creditors:create"
	PermCreditorsUpdate  Permission = "creditors:update"
	PermCreditorsArchive Permission = "creditors:archive"
	PermCreditorsHistory Permission = "creditors:history"
	// PermCreditorsErase erases an archived creditor's personal data for
	// good (crypto-shredding): irreversible, so the admin's alone.
	PermCreditorsErase Permission = "creditors:erase"

	PermDebtorsRead    Permission = "debtors:read"
	PermDebtorsCreate  Permission = "debtors:create"
	PermDebtorsUpdate  Permission = "debtors:update"
	PermDebtorsArchive Permission = "debtors:archive"
	PermDebtorsHistory Permission = "debtors:history"
	// PermDebtorsErase erases an archived debtor's personal data for good
	// (crypto-shredding, Law 18-07): irreversible, so the admin's alone.
	PermDebtorsErase Permission = "debtors:erase"

	// Debts (case files) and payments.
	PermDebtsRead  Permission = "debts:read"
	PermDebtsWrite Permission = "debts:write"
	// PermDebtsManage works a case file: status transitions, assignment,
	// rescheduling, charges, proposals (ADC staff, not creditors, whose
	// debts:write only opens debts).
	PermDebtsManage Permission = "debts:manage"
	// PermDebtsApprove approves or refuses the maker-checker proposals
	// (write-off, settlement discount, escalation to legal); the decider
	// also refuses an approval by the proposer.
	PermDebtsApprove Permission = "debts:approve"
	// PermDebtsHistory reads a case file's timeline and its proposals
	// (staff: the actors, addresses and reasons are ADC's working notes).
	PermDebtsHistory  Permission = "debts:history"
	PermPaymentsRead  Permission = "payments:read"
	PermPaymentsWrite Permission = "payments:write"
	// PermPromisesWrite records a promise to pay: staff taking it down, or
	// a debtor's account on its own debt (DESIGN.md: the debtor promises
	// to pay). The one write a debtor holds.
	PermPromisesWrite Permission = "promises:write"

	// PermCommandsRead lets an account read the outcome of the commands it
	// sent (202 Accepted, then poll).
	PermCommandsRead Permission = "commands:read"

	// PermRegistrationsManage lists, approves and rejects registrations.
	PermRegistrationsManage Permission = "registrations:manage"
	// PermUsersManage creates staff accounts, disables and enables accounts,
	// changes roles, resets MFA and unlocks blocked accounts.
	PermUsersManage Permission = "users:manage"
	PermUsersRead   Permission = "users:read"
	// PermAuditRead reads the audit trail (logins, lockouts, role changes).
	PermAuditRead Permission = "audit:read"
	// PermAPIKeysManage creates and revokes the API keys of one's own
	// creditor account.
	PermAPIKeysManage Permission = "api-keys:manage"
)

// rolePermissions is the whole access policy: what each role may do. It is
// the one place to read or change it; everything else in this file derives
// from it. Admin lists every permission explicitly rather than "all", so that
// a new permission is a visible decision for every role, admin included.
var rolePermissions = map[Role][]Permission{
	RoleAdmin: {
		PermSelf,
		PermCreditorsRead, PermCreditorsCreate, PermCreditorsUpdate, PermCreditorsArchive, PermCreditorsHistory, PermCreditorsErase,
		PermDebtorsRead, PermDebtorsCreate, PermDebtorsUpdate, PermDebtorsArchive, PermDebtorsHistory, PermDebtorsErase,
		PermDebtsRead, PermDebtsWrite, PermDebtsManage, PermDebtsApprove, PermDebtsHistory, PermPaymentsRead, PermPaymentsWrite,
		PermPromisesWrite,
		PermCommandsRead,
		PermRegistrationsManage, PermUsersManage, PermUsersRead, PermAuditRead,
		PermAPIKeysManage,
	},
	// Agents run the collection work; accounts, registrations and the audit
	// trail are the admin's (DESIGN.md: "admin: users, roles, registrations").
	RoleAgent: {
		PermSelf,
		PermCreditorsRead, PermCreditorsCreate, PermCreditorsUpdate, PermCreditorsArchive, PermCreditorsHistory,
		PermDebtorsRead, PermDebtorsCreate, PermDebtorsUpdate, PermDebtorsArchive, PermDebtorsHistory,
		PermDebtsRead, PermDebtsWrite, PermDebtsManage, PermDebtsHistory, PermPaymentsRead, PermPaymentsWrite,
		PermPromisesWrite,
		PermCommandsRead,
	},
	// Auditors read everything, including the audit trail, and change nothing.
	RoleAuditor: {
		PermSelf,
		PermCreditorsRead, PermCreditorsHistory,
		PermDebtorsRead, PermDebtorsHistory,
		PermDebtsRead, PermDebtsHistory, PermPaymentsRead,
		PermCommandsRead,
		PermUsersRead, PermAuditRead,
	},
	// A creditor updates its own record, declares its debtors, posts debts
	// and manages its integration keys; scoping to its own portfolio is SQL's.
	RoleCreditor: {
		PermSelf,
		PermCreditorsRead, PermCreditorsUpdate,
		PermDebtorsRead, PermDebtorsCreate,
		PermDebtsRead, PermDebtsWrite, PermPaymentsRead,
		PermCommandsRead,
		PermAPIKeysManage,
	},
	// A debtor sees its own record, debts and payments, and promises to
	// pay on its own debts.
	RoleDebtor: {
		PermSelf,
		PermDebtorsRead,
		PermDebtsRead, PermPaymentsRead, PermPromisesWrite,
		PermCommandsRead,
	},
}

// apiKeyScopes are the permissions a creditor's API key may carry: the
// machine-to-machine part of the creditor role. A key never holds PermSelf or
// PermAPIKeysManage, so a leaked key cannot mint keys or see the account.
var apiKeyScopes = []Permission{
	PermCreditorsRead,
	PermDebtorsRead, PermDebtorsCreate,
	PermDebtsRead, PermDebtsWrite,
	PermPaymentsRead,
}

// Can reports whether role r holds permission p. An unknown role holds
// nothing, so a corrupted or forged role fails closed.
func (r Role) Can(p Permission) bool {
	return slices.Contains(rolePermissions[r], p)
}

// Permissions returns every permission, sorted by value.
func Permissions() []Permission {
	var all []Permission
	for _, ps := range rolePermissions {
		all = append(all, ps...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// PermissionsOf returns the permissions of role r, sorted by value; none for
// an unknown role. The slice is the caller's.
func PermissionsOf(r Role) []Permission {
	ps := slices.Clone(rolePermissions[r])
	slices.Sort(ps)
	return ps
}

// APIKeyScopes returns the scopes an API key may be given, sorted by value.
func APIKeyScopes() []Permission {
	s := slices.Clone(apiKeyScopes)
	slices.Sort(s)
	return s
}

// ParseScope returns the API-key scope spelled exactly s. Only scopes a
// creditor key may hold are accepted: asking for "users:manage" in a key is
// refused here, not merely ignored later.
func ParseScope(s string) (Permission, bool) {
	i := slices.Index(apiKeyScopes, Permission(s))
	if i < 0 {
		return "", false
	}
	return apiKeyScopes[i], true
}
