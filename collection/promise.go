package collection

// Promise is a debtor's promise to pay (une promesse de paiement): Amount
// centimes by Due, made on MadeOn.
type Promise struct {
	Amount int64 `json:"amount"`
	Due    Date  `json:"due"`
	MadeOn Date  `json:"made_on"`
}

// States of a promise to pay, reported by PromiseStatus.
const (
	PromisePending = "pending"
	PromiseKept    = "kept"
	PromiseBroken  = "broken"
)

// PromiseStatus tells where a promise stands on asOf:
//
//   - PromiseKept when the payments with a value date from MadeOn to Due,
//     both included, and not after asOf, add up to Amount or more: several
//     partial payments keep a promise together, and paying early keeps it
//     at once;
//   - PromiseBroken when asOf is after Due and the promise was not kept;
//   - PromisePending otherwise.
//
// Payments with a value date before MadeOn do not count: they were known
// when the promise was made. The status depends on its inputs alone and
// payments are placed by value date, so a backdated payment recorded after
// Due can turn a broken promise into a kept one. Payments of zero or
// negative amount are ignored; pass the payments not reversed.
func PromiseStatus(p Promise, payments []PlanPayment, asOf Date) string {
	var paid int64
	for _, pay := range payments {
		if pay.Amount <= 0 || pay.ValueDate.Before(p.MadeOn) || pay.ValueDate.After(p.Due) || pay.ValueDate.After(asOf) {
			continue
		}
		paid = addSat(paid, pay.Amount)
	}
	switch {
	case paid >= p.Amount:
		return PromiseKept
	case asOf.After(p.Due):
		return PromiseBroken
	default:
		return PromisePending
	}
}
