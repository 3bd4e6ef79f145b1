package collection

import "strings"

// DebtInput is a debt as a client sends it to open a case file (staff, or
// a creditor through its portal or the REST API). Amounts are integer
// centimes; dates are written YYYY-MM-DD.
type DebtInput struct {
	CreditorID     string `json:"creditor_id"`
	DebtorID       string `json:"debtor_id"`
	ExternalRef    string `json:"external_ref"`
	Type           string `json:"type"`
	Principal      int64  `json:"principal"`
	Fees           int64  `json:"fees"`
	Currency       string `json:"currency"`
	AcknowledgedOn string `json:"acknowledged_on"`
	OriginalDueOn  string `json:"original_due_on"`
	Description    string `json:"description"`
}

// Validate checks a new debt and returns the OpenDebt command without its
// ID, Ref and By, which the caller sets (the caller also checks that the
// creditor and the debtor exist, and scopes a creditor to its own id),
// and the description apart: the caller seals it under the debtor's data
// key into the command's personal part.
//
//   - creditor_id, debtor_id: required UUIDs; case and surrounding spaces
//     are ignored, the command carries the canonical lowercase form.
//   - external_ref: required, the creditor's own reference for the debt
//     (invoice, contract or cheque number), 1 to 64 characters on one line,
//     whitespace collapsed.
//   - type: required, one of DebtTypes (case is ignored).
//   - principal: required, centimes, more than 0.
//   - fees: centimes, 0 or more (0 by default).
//   - currency: DZD, the default; no other currency is kept.
//   - acknowledged_on: optional date the debtor acknowledged the debt.
//   - original_due_on: required date the debt fell due.
//   - description: optional, at most 2000 characters; line breaks are kept.
//
// The total of principal and fees is at most MaxDebtAmount.
func (in DebtInput) Validate() (OpenDebt, DebtPersonal, error) {
	var fe FieldErrors
	c := OpenDebt{Principal: in.Principal, Fees: in.Fees}
	c.CreditorID = inputUUID(&fe, "creditor_id", in.CreditorID)
	c.DebtorID = inputUUID(&fe, "debtor_id", in.DebtorID)
	c.ExternalRef = required(&fe, "external_ref", in.ExternalRef, singleLineUpTo(MaxExternalRefLength))
	c.Type = strings.ToLower(strings.TrimSpace(in.Type))
	debtOneOf(&fe, "type", c.Type, debtTypes)
	checkDebtAmounts(&fe, in.Principal, in.Fees)
	c.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if c.Currency == "" {
		c.Currency = DebtCurrency
	}
	checkDebtCurrency(&fe, c.Currency)
	c.AcknowledgedOn = inputDate(&fe, "acknowledged_on", in.AcknowledgedOn, false)
	c.OriginalDueOn = inputDate(&fe, "original_due_on", in.OriginalDueOn, true)
	text := DebtPersonal{Description: optional(&fe, "description", in.Description, multilineUpTo(MaxDebtDescriptionLength))}
	if err := fe.Err(); err != nil {
		return OpenDebt{}, DebtPersonal{}, err
	}
	return c, text, nil
}

// inputUUID reads a client's UUID into its canonical lowercase form.
func inputUUID(fe *FieldErrors, field, v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	var one FieldErrors
	checkCanonicalUUID(&one, field, v)
	if len(one) > 0 {
		fe.Add(field, one[0].Reason)
		return ""
	}
	return v
}
