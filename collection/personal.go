package collection

import (
	"fmt"
	"slices"
)

// CreditorPersonal is a creditor's personal part, sealed in commands and
// events. For a sole trader these identify a person, so all of it is sealed.
// Update events carry only the fields named in PersonalFields.
type CreditorPersonal struct {
	Name        string `json:"name,omitempty"`
	NIF         string `json:"nif,omitempty"`
	RC          string `json:"rc,omitempty"`
	Address     string `json:"address,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
	ContactName string `json:"contact_name,omitempty"`
}

// DebtorPersonal is a debtor's personal part, sealed in commands and events.
type DebtorPersonal struct {
	FullName string   `json:"full_name,omitempty"`
	NIN      string   `json:"nin,omitempty"`
	NIF      string   `json:"nif,omitempty"`
	RC       string   `json:"rc,omitempty"`
	Phones   []string `json:"phones,omitempty"`
	Email    string   `json:"email,omitempty"`
	Address  string   `json:"address,omitempty"`
}

// The JSON names of the personal fields, in struct order. An update's
// PersonalFields may name only these: a projection clears a named field
// that the sealed part leaves empty, so an unknown name is a bug to stop.
var (
	creditorPersonalFields = []string{"name", "nif", "rc", "address", "phone", "email", "contact_name"}
	debtorPersonalFields   = []string{"full_name", "nin", "nif", "rc", "phones", "email", "address"}
)

// CreditorPersonalFields lists the names an UpdateCreditor may put in
// PersonalFields (a copy).
func CreditorPersonalFields() []string { return append([]string(nil), creditorPersonalFields...) }

// DebtorPersonalFields lists the names an UpdateDebtor may put in
// PersonalFields (a copy).
func DebtorPersonalFields() []string { return append([]string(nil), debtorPersonalFields...) }

// checkPersonalFields refuses unknown and repeated names.
func checkPersonalFields(names, known []string) error {
	var fe FieldErrors
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		field := fmt.Sprintf("personal_fields[%d]", i)
		switch {
		case !slices.Contains(known, n):
			fe.Add(field, "is not a personal field")
		case seen[n]:
			fe.Add(field, "is named twice")
		}
		seen[n] = true
	}
	return fe.Err()
}
