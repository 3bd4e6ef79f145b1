package collection

import (
	"fmt"
	"slices"
	"strings"
)

// Kinds of document attached to a debt. A kind is stored in events:
// renaming one needs an upcaster.
const (
	DocumentKindContract        = "contract"
	DocumentKindInvoice         = "invoice"
	DocumentKindAcknowledgement = "acknowledgement" // the debtor's acknowledgement of the debt (empreinte)
	DocumentKindPaymentProof    = "payment_proof"   // a transfer order, a CCP receipt, a cheque's copy
	DocumentKindCorrespondence  = "correspondence"
	DocumentKindFormalNotice    = "formal_notice" // mise en demeure, إعذار
	DocumentKindCourtDecision   = "court_decision"
	DocumentKindBailiffReport   = "bailiff_report" // procès-verbal d'huissier
	DocumentKindOther           = "other"
)

// The media types a document may have: what ADC can print, archive and
// show in a browser without running anything. The API decides the type
// from the file's content, never from its name or the client's word.
const (
	MediaTypePDF  = "application/pdf"
	MediaTypeJPEG = "image/jpeg"
	MediaTypePNG  = "image/png"
)

// MaxDocumentBytes bounds a document's size: 10 MiB holds a scanned
// contract of a few dozen pages.
const MaxDocumentBytes = 10 << 20

// MaxDocumentNameLength bounds a document's file name, in runes.
const MaxDocumentNameLength = 255

// MaxDocumentsPerDebt bounds the documents of one debt: enough for any
// case file, and a limit on what one account can store through a debt.
const MaxDocumentsPerDebt = 200

// CodeDocumentLimit rejects a document beyond MaxDocumentsPerDebt (409).
const CodeDocumentLimit = "document_limit"

var (
	documentKinds = []string{
		DocumentKindContract, DocumentKindInvoice, DocumentKindAcknowledgement, DocumentKindPaymentProof,
		DocumentKindCorrespondence, DocumentKindFormalNotice, DocumentKindCourtDecision, DocumentKindBailiffReport,
		DocumentKindOther,
	}
	documentMediaTypes = []string{MediaTypePDF, MediaTypeJPEG, MediaTypePNG}
)

// DocumentKinds lists the kinds of document (a copy).
func DocumentKinds() []string { return slices.Clone(documentKinds) }

// DocumentMediaTypes lists the media types a document may have (a copy).
func DocumentMediaTypes() []string { return slices.Clone(documentMediaTypes) }

// DocumentPersonal is a document's personal part, sealed under the data
// key of the debt's debtor: a file name ("CNI Amina Benali.jpg") tells
// whom and what the file is about.
type DocumentPersonal struct {
	Name string `json:"name"`
}

// AttachDocument attaches a file to a debt. The file itself is not in the
// command: the caller sealed it under the debtor's data key and wrote it
// to the blob store under DocumentID before submitting, and removes it if
// the command is rejected. The command carries what the caller measured:
// the size and SHA-256 of the clear content, and the media type sniffed
// from it.
//
// The file name the client gave, cleaned (ValidateDocumentName), is in
// Personal, sealed under the debtor's data key like the content, so that
// erasing the debtor erases it (schema version 2). Name is the name in
// clear of version 1 records, which read as version 2 with Name set; a
// record carries one or the other, never both.
//
// Any debt takes documents, a closed one too (a court decision may arrive
// after the debt was recovered). The same content twice on one debt is
// refused (CodeAlreadyExists), so a retried upload attaches nothing new.
type AttachDocument struct {
	ID         string `json:"id"`
	DocumentID string `json:"document_id"`
	Name       string `json:"name,omitempty"`
	MediaType  string `json:"media_type"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	Kind       string `json:"kind"`
	By         string `json:"by"`
	Personal   Sealed `json:"-"`
}

// DocumentAttached records a document attached to the debt: its metadata,
// and its name sealed in Personal (Name in clear in version 1 records);
// the bytes are in the blob store under DocumentID.
type DocumentAttached struct {
	ID         string `json:"id"`
	DocumentID string `json:"document_id"`
	Name       string `json:"name,omitempty"`
	MediaType  string `json:"media_type"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	Kind       string `json:"kind"`
	By         string `json:"by"`
	Personal   Sealed `json:"-"`
}

func (AttachDocument) CommandType() string      { return "debt.attach_document" }
func (AttachDocument) Aggregate() AggregateType { return DebtAggregate }

func (DocumentAttached) EventType() string        { return "debt.document_attached" }
func (DocumentAttached) Aggregate() AggregateType { return DebtAggregate }

func (c AttachDocument) PersonalPart() Sealed   { return c.Personal }
func (e DocumentAttached) PersonalPart() Sealed { return e.Personal }

// ValidateDocumentName checks a document's file name: required, at most
// MaxDocumentNameLength runes, no path, no control or invisible
// characters. The API checks it before sealing it; the decider checks a
// name in clear (version 1).
func ValidateDocumentName(name string) error {
	var fe FieldErrors
	checkDocumentName(&fe, name)
	return fe.Err()
}

func checkDocumentName(fe *FieldErrors, name string) {
	debtText(fe, "name", name, MaxDocumentNameLength, true, false)
	if strings.ContainsAny(name, `/\`) {
		fe.Add("name", "is a file name, without a path")
	}
}

// Document returns the SHA-256 of one of the debt's documents.
func (s DebtState) Document(id string) (sha256 string, ok bool) {
	sha256, ok = s.casework.documents[id]
	return sha256, ok
}

// DocumentWithContent returns the id of the debt's document whose content
// has this SHA-256, if any.
func (s DebtState) DocumentWithContent(sha256 string) (id string, ok bool) {
	id, ok = s.casework.contents[sha256]
	return id, ok
}

func decideAttachDocument(s DebtState, c AttachDocument) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "document_id", c.DocumentID)
	switch {
	case len(c.Personal) == 0:
		checkDocumentName(&fe, c.Name) // version 1: the name in clear
	case c.Name != "":
		fe.Add("name", "is sealed in the personal part, and must not travel in clear too")
	}
	debtOneOf(&fe, "media_type", c.MediaType, documentMediaTypes)
	switch {
	case c.Size <= 0:
		fe.Add("size", "must be more than 0 bytes")
	case c.Size > MaxDocumentBytes:
		fe.Add("size", fmt.Sprintf("must be at most %d bytes (%d MiB)", MaxDocumentBytes, MaxDocumentBytes>>20))
	}
	if !isSHA256Hex(c.SHA256) {
		fe.Add("sha256", "must be a SHA-256 digest in lower-case hex (64 characters)")
	}
	debtOneOf(&fe, "kind", c.Kind, documentKinds)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if _, dup := s.casework.documents[c.DocumentID]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("document %s is already attached to debt %s", c.DocumentID, s.ID))
	}
	if id, dup := s.casework.contents[c.SHA256]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("the same file is already attached to debt %s as document %s", s.ID, id),
			FieldError{"file", "already attached as document " + id})
	}
	if len(s.casework.documents) >= MaxDocumentsPerDebt {
		return nil, Reject(CodeDocumentLimit, fmt.Sprintf(
			"debt %s already has %d documents, the most a debt may have", s.ID, MaxDocumentsPerDebt))
	}
	return []Event{DocumentAttached(c)}, nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; !(b >= '0' && b <= '9' || b >= 'a' && b <= 'f') {
			return false
		}
	}
	return true
}
