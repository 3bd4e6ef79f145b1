package collection

import (
	"fmt"
	"strings"
)

// DebtPersonal is the personal part of the debt's records that carry free
// text staff wrote about the debtor: a debt's description, a payment's
// note, an interaction's summary, a task's title, a legal step's note.
// That text is where the most sensitive facts end up ("lost his job",
// "wife in hospital"), so it is sealed like a name: under the data key of
// the debt's debtor (the subject is the debtor's id, not the debt's), and
// erasing the debtor erases it. Each record fills its own field only.
//
// Records of schema version 1 carried the text in clear in their data;
// they read as the current version with the text in their clear field
// (ClearText) and no personal part. A record carries one or the other,
// never both. The log cannot be re-sealed: those texts stay readable there
// for good.
type DebtPersonal struct {
	Description string `json:"description,omitempty"` // OpenDebt, DebtOpened
	Note        string `json:"note,omitempty"`        // RecordPayment, PaymentRecorded
	Summary     string `json:"summary,omitempty"`     // LogInteraction, InteractionLogged
	Title       string `json:"title,omitempty"`       // FollowUp, TaskCreated
	// LegalNote is a legal step's details.note (RecordLegalStep,
	// LegalStepRecorded): a field of its own rather than Note, as each
	// text has its own limit (MaxLegalNoteLength, not
	// MaxPaymentNoteLength) and its own place in a record of version 1
	// (nested in details), and the opened part then says which it is.
	LegalNote string `json:"legal_note,omitempty"`
}

// IsZero reports whether p holds no text: there is nothing to seal.
func (p DebtPersonal) IsZero() bool { return p == DebtPersonal{} }

// DebtTextCarrier is implemented by the debt's events that carry free text
// about the debtor: sealed in their personal part, or in clear in a
// record of version 1. Readers open the personal part with the data key
// of the debt's debtor.
type DebtTextCarrier interface {
	PersonalCarrier
	// ClearText is the text of a version 1 record, already open; zero in
	// a sealed record.
	ClearText() DebtPersonal
}

// sealedTextOverhead bounds what sealing adds to a text: the JSON object
// around it and the seal's version byte, nonce and tag (events.Sealer
// adds 29 bytes).
const sealedTextOverhead = 64

// checkDebtText checks a free text of a debt's command that the decider
// may not be able to read. Sealed, it was checked by the API before it
// was sealed; the decider can still tell it is there and not larger than
// the longest text the field takes (a JSON encoder writes a rune in at
// most 6 bytes). In clear (a command of version 1), it is checked as any
// text. Both at once would put the text in the log in clear.
func checkDebtText(fe *FieldErrors, field, clear string, sealed Sealed, max int, required, multiline bool) {
	switch {
	case len(sealed) == 0:
		debtText(fe, field, clear, max, required, multiline)
	case clear != "":
		fe.Add(field, "is sealed in the personal part, and must not travel in clear too")
	case len(sealed) > 6*max+sealedTextOverhead:
		fe.Add(field, fmt.Sprintf("is too long (at most %d characters)", max))
	}
}

// CheckInteractionSummary checks and normalises the summary a client wrote
// for an interaction on channel, before it is sealed (the decider cannot
// read it): required for a note, optional otherwise, at most
// MaxInteractionSummaryLength characters, line breaks kept. A problem is
// added to fe as "summary".
func CheckInteractionSummary(fe *FieldErrors, channel, summary string) string {
	if channel == InteractionNote {
		return required(fe, "summary", summary, multilineUpTo(MaxInteractionSummaryLength))
	}
	return optional(fe, "summary", summary, multilineUpTo(MaxInteractionSummaryLength))
}

// CheckTaskTitle checks and normalises the title of an interaction's
// follow-up task, before it is sealed: required, at most
// MaxTaskTitleLength characters on one line (whitespace collapsed). A
// problem is added to fe as "follow_up.title".
func CheckTaskTitle(fe *FieldErrors, title string) string {
	return required(fe, "follow_up.title", strings.TrimSpace(title), singleLineUpTo(MaxTaskTitleLength))
}
