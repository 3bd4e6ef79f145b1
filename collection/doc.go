// Package collection is Tahsil's domain: the commands people issue, the events
// that record what happened, and for each aggregate the pure functions that
// decide (state, command) → events and evolve (state, event) → state.
//
// The package imports no HTTP, Kafka or database package. Adapters (api,
// events, projections) depend on it, never the reverse, so every rule here is
// tested as a table without any infrastructure.
//
// Personal data (names, national ids, phones, e-mails, addresses) never
// appears in clear in a command or an event: it travels as a Sealed blob that
// the domain carries but never opens. Deciding needs only status and versions.
// So does the free text staff write about a debtor on a case file (a debt's
// description, a payment's note, an interaction's summary, a task's title,
// a legal step's note: DebtPersonal), sealed under the debtor's data key.
//
// Because the decider cannot open the personal part, personal values are
// validated before a command is built: CreditorInput, DebtorInput and their
// patches check and normalise what a client sent (Algerian mobile and
// landline numbers, NIN, NIF, RC, names in Arabic or Latin script, e-mail,
// wilaya from the versioned table) and report every problem at once as
// FieldErrors; DebtInput, PaymentInput, CheckInteractionSummary and
// CheckTaskTitle do the same for the texts about a debtor. SearchText and NormalizeQuery fold Arabic and Latin text the
// same way for the read models' search.
package collection
