package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/access"
	"github.com/adc-dz/tahsil/collection"
)

// scope is the tenant a request is confined to, passed to the queries:
// nil for staff, the creditor's or debtor's own id for their accounts.
// Filtering in SQL means another tenant's record is simply not found.
type scope struct {
	creditor *string
	debtor   *string
}

// nobody matches no record: a principal with a tenant role but no tenant
// (which approval prevents) sees nothing rather than everything.
var nobody = "00000000-0000-0000-0000-000000000000"

func scopeOf(c echo.Context) scope {
	p := principalOf(c)
	switch p.Role {
	case access.RoleCreditor:
		id := p.CreditorID
		if id == "" {
			id = nobody
		}
		return scope{creditor: &id, debtor: &nobody}
	case access.RoleDebtor:
		id := p.DebtorID
		if id == "" {
			id = nobody
		}
		return scope{creditor: &nobody, debtor: &id}
	}
	return scope{}
}

// creditorsScope is the scope of the creditors table: a debtor's account
// sees no creditor record, a creditor's its own.
func (sc scope) creditorsScope() *string {
	if sc.debtor != nil && sc.creditor != nil && *sc.creditor == nobody {
		return &nobody
	}
	return sc.creditor
}

// debtorsScope is the scope of the debtors, debts and payments tables: a
// creditor's account sees the debtors linked to it and its own debts, a
// debtor's account its own record and debts.
func (sc scope) debtorsScope() (creditor, debtor *string) {
	if sc.creditor == nil {
		return nil, nil
	}
	if *sc.creditor == nobody {
		return nil, sc.debtor
	}
	return sc.creditor, nil
}

// staffOnlyFields are the fields of a resource only staff may set; a
// tenant's request naming one is refused, never silently applied.
var staffOnlyFields = map[string][]string{
	"creditor": {"name", "legal_form", "nif", "rc", "commission_bps"},
}

// refuseStaffFields rejects a body that sets a field the principal's role
// may not set.
func refuseStaffFields(c echo.Context, resource string, body []byte) error {
	if principalOf(c).Role.Staff() {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil // the strict decoder reports it
	}
	// encoding/json matches a key to a field case-insensitively
	// (bytes.EqualFold, which also folds ſ to s and K to k): "NIF" sets nif
	// as surely as "nif" does, so every spelling is refused.
	var refused []string
	for name := range fields {
		for _, staffOnly := range staffOnlyFields[resource] {
			if strings.EqualFold(name, staffOnly) && !slices.Contains(refused, staffOnly) {
				refused = append(refused, staffOnly)
			}
		}
	}
	sort.Strings(refused)
	var fe collection.FieldErrors
	for _, name := range refused {
		fe.Add(name, "your role cannot set this field; ask ADC to change it")
	}
	if len(fe) > 0 {
		return problem(http.StatusForbidden, "field-forbidden", "Field not settable by your role",
			"the request sets fields only ADC staff may change", fe...)
	}
	return nil
}
