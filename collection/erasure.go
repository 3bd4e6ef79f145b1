package collection

import "fmt"

// PersonalErasure is an event after which a person's personal data must be
// unreadable everywhere (crypto-shredding, Law 18-07). A projection that
// applies it destroys the data key of ErasedSubject in the transaction that
// writes its rows, so a crash leaves both or neither, and a replay (a
// rebuild) ends erased as well: the key is already gone.
type PersonalErasure interface {
	Event
	ErasedSubject() string
}

// checkErasure refuses to erase a party that does not exist, is already
// erased or is not archived (the reason names its status), then checks the
// reason. Archiving first is the deliberate step that ends the work on a
// party; erasure is the irreversible one that follows it.
func checkErasure(kind, id string, version int64, status string, erased bool, reason string) error {
	switch {
	case version == 0:
		return Reject(CodeNotFound, fmt.Sprintf("%s %s does not exist", kind, id))
	case erased:
		return Reject(CodeWrongStatus, fmt.Sprintf("%s %s is already erased", kind, id))
	case status != StatusArchived:
		return Reject(CodeWrongStatus,
			fmt.Sprintf("%s %s is %s; only an archived %s can be erased: archive it first", kind, id, status, kind))
	}
	return ValidateErasureReason(reason)
}

// ValidateErasureReason checks the reason of an erasure: required, at most
// MaxReasonLength runes, no control or invisible characters. The API checks
// it before submitting, the decider again.
func ValidateErasureReason(reason string) error {
	var fe FieldErrors
	checkReason(&fe, reason, true)
	return fe.Err()
}
