package collection

import "strings"

// RegistrationInput is a visitor's registration as the API receives it
// (the password is checked by the access policy, not here).
type RegistrationInput struct {
	Kind     string `json:"kind"`
	Email    string `json:"email"`
	FullName string `json:"full_name"`
	Phone    string `json:"phone"`
	NIF      string `json:"nif"`
	RC       string `json:"rc"`
	NIN      string `json:"nin"`
}

// Validate checks every field at once and returns the normalised personal
// part. A creditor registers its company (NIF required, RC optional); a
// debtor registers as a person (NIN required).
func (in RegistrationInput) Validate() (string, AccountPersonal, error) {
	var fe FieldErrors
	var p AccountPersonal
	kind := strings.TrimSpace(in.Kind)
	switch kind {
	case RoleCreditor, RoleDebtor:
	case "":
		fe.Add("kind", "is required: creditor or debtor")
	default:
		fe.Add("kind", "must be creditor or debtor")
	}
	p.Email = required(&fe, "email", in.Email, NormalizeEmail)
	p.FullName = required(&fe, "full_name", in.FullName, ValidatePersonName)
	p.Phone = required(&fe, "phone", in.Phone, NormalizePhone)
	switch kind {
	case RoleCreditor:
		p.NIF = required(&fe, "nif", in.NIF, ValidateNIF)
		p.RC = optional(&fe, "rc", in.RC, validateRC)
		if strings.TrimSpace(in.NIN) != "" {
			fe.Add("nin", "a creditor registers its company: give nif (and rc), not nin")
		}
	case RoleDebtor:
		p.NIN = required(&fe, "nin", in.NIN, ValidateNIN)
		for _, f := range [][2]string{{"nif", in.NIF}, {"rc", in.RC}} {
			if strings.TrimSpace(f[1]) != "" {
				fe.Add(f[0], "a debtor registers as a person: give nin only")
			}
		}
	}
	if err := fe.Err(); err != nil {
		return "", AccountPersonal{}, err
	}
	return kind, p, nil
}

// StaffInput is an account created by an admin or from the command line.
type StaffInput struct {
	Email    string `json:"email"`
	FullName string `json:"full_name"`
	Phone    string `json:"phone"`
	Role     string `json:"role"`
}

// Validate checks every field at once. Only staff roles are created this
// way: creditor and debtor accounts come through registration.
func (in StaffInput) Validate() (string, AccountPersonal, error) {
	var fe FieldErrors
	var p AccountPersonal
	role := strings.TrimSpace(in.Role)
	if role == "" {
		fe.Add("role", "is required: admin, agent or auditor")
	} else if !IsStaffRole(role) {
		fe.Add("role", "must be admin, agent or auditor; creditor and debtor accounts come through registration")
	}
	p.Email = required(&fe, "email", in.Email, NormalizeEmail)
	p.FullName = required(&fe, "full_name", in.FullName, ValidatePersonName)
	p.Phone = optional(&fe, "phone", in.Phone, NormalizePhone)
	if err := fe.Err(); err != nil {
		return "", AccountPersonal{}, err
	}
	return role, p, nil
}
