package collection_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/collection"
)

// contentSHA is the SHA-256 of a test document's made-up content.
func contentSHA(n int) string {
	s := sha256.Sum256([]byte(fmt.Sprintf("document %d", n)))
	return hex.EncodeToString(s[:])
}

func attach(n int) collection.AttachDocument {
	return collection.AttachDocument{ID: debtID, DocumentID: debtUUID(200 + n), Name: fmt.Sprintf("facture-%d.pdf", n),
		MediaType: collection.MediaTypePDF, Size: 48_213, SHA256: contentSHA(n), Kind: collection.DocumentKindInvoice,
		By: debtAgent}
}

func attached(c collection.AttachDocument) collection.DocumentAttached {
	return collection.DocumentAttached(c)
}

// sealedName is attach(n) as the API submits it since version 2: the name
// sealed in the personal part, none in clear.
func sealedName(n int) collection.AttachDocument {
	c := attach(n)
	c.Name, c.Personal = "", collection.Sealed(fmt.Sprintf("\x01sealed name %d", n))
	return c
}

func TestDebtAttachDocument(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	withDoc := debtEvents(h["open"], evs(attached(attach(1))))
	with := func(f func(c *collection.AttachDocument)) collection.AttachDocument {
		c := attach(2)
		f(&c)
		return c
	}
	full := h["open"]
	for i := range collection.MaxDocumentsPerDebt {
		full = debtEvents(full, evs(attached(attach(1000+i))))
	}
	cases := []deciderCase{
		{name: "a PDF on an open debt", history: h["open"], cmd: attach(1), want: evs(attached(attach(1)))},
		{name: "a JPEG scan, in Arabic", history: h["open"], cmd: with(func(c *collection.AttachDocument) {
			c.MediaType, c.Name, c.Kind = collection.MediaTypeJPEG, "اعتراف بالدين.jpg", collection.DocumentKindAcknowledgement
		}), want: evs(attached(with(func(c *collection.AttachDocument) {
			c.MediaType, c.Name, c.Kind = collection.MediaTypeJPEG, "اعتراف بالدين.jpg", collection.DocumentKindAcknowledgement
		})))},
		{name: "a closed debt still takes documents", history: h["recovered"], cmd: attach(1), want: evs(attached(attach(1)))},
		{name: "the name sealed (version 2)", history: h["open"], cmd: sealedName(1), want: evs(attached(sealedName(1)))},
		{name: "the name sealed and in clear", history: h["open"], cmd: with(func(c *collection.AttachDocument) {
			c.Personal = sealedName(2).Personal
		}), code: collection.CodeInvalid, fields: []string{"name"}},
		{name: "a sealed name for content already attached", history: debtEvents(h["open"], evs(attached(sealedName(1)))),
			cmd: with(func(c *collection.AttachDocument) {
				c.SHA256, c.Name, c.Personal = contentSHA(1), "", sealedName(2).Personal
			}),
			code: collection.CodeAlreadyExists, fields: []string{"file"}},
		{name: "a second document", history: withDoc, cmd: attach(2), want: evs(attached(attach(2)))},
		{name: "exactly the largest size", history: h["open"], cmd: with(func(c *collection.AttachDocument) {
			c.Size = collection.MaxDocumentBytes
		}), want: evs(attached(with(func(c *collection.AttachDocument) { c.Size = collection.MaxDocumentBytes })))},
		{name: "no debt", cmd: attach(1), code: collection.CodeNotFound},
		{name: "every field wrong", history: h["open"], cmd: collection.AttachDocument{ID: debtID, DocumentID: "doc-1",
			MediaType: "text/plain", Size: 0, SHA256: strings.ToUpper(contentSHA(1)), Kind: "receipt"},
			code: collection.CodeInvalid, fields: []string{"document_id", "name", "media_type", "size", "sha256", "kind", "by"}},
		{name: "nothing at all", history: h["open"], cmd: collection.AttachDocument{ID: debtID}, code: collection.CodeInvalid,
			fields: []string{"document_id", "name", "media_type", "size", "sha256", "kind", "by"}},
		{name: "a path for a name", history: h["open"], cmd: with(func(c *collection.AttachDocument) { c.Name = `C:\scans\x.pdf` }),
			code: collection.CodeInvalid, fields: []string{"name"}},
		{name: "a line break in the name", history: h["open"], cmd: with(func(c *collection.AttachDocument) { c.Name = "x\n.pdf" }),
			code: collection.CodeInvalid, fields: []string{"name"}},
		{name: "a bidi override in the name", history: h["open"], cmd: with(func(c *collection.AttachDocument) {
			c.Name = "facture\u202Efdp.exe"
		}), code: collection.CodeInvalid, fields: []string{"name"}},
		{name: "a name too long", history: h["open"], cmd: with(func(c *collection.AttachDocument) {
			c.Name = strings.Repeat("é", collection.MaxDocumentNameLength-3) + ".pdf"
		}), code: collection.CodeInvalid, fields: []string{"name"}},
		{name: "one byte too many", history: h["open"], cmd: with(func(c *collection.AttachDocument) {
			c.Size = collection.MaxDocumentBytes + 1
		}), code: collection.CodeInvalid, fields: []string{"size"}},
		{name: "a short digest", history: h["open"], cmd: with(func(c *collection.AttachDocument) { c.SHA256 = c.SHA256[:63] }),
			code: collection.CodeInvalid, fields: []string{"sha256"}},
		{name: "the same document id twice", history: withDoc, cmd: with(func(c *collection.AttachDocument) {
			c.DocumentID = attach(1).DocumentID
		}), code: collection.CodeAlreadyExists},
		{name: "the same content twice, under another name", history: withDoc, cmd: with(func(c *collection.AttachDocument) {
			c.SHA256, c.Name = attach(1).SHA256, "copie.pdf"
		}), code: collection.CodeAlreadyExists, fields: []string{"file"}},
		{name: "one document beyond the limit", history: full, cmd: attach(1), code: collection.CodeDocumentLimit},
	}
	runDecider(t, collection.DebtAggregate, debtID, cases)
}

func TestDebtDocumentState(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	base := collection.Fold(b, b.New(debtID), debtOpened, attached(attach(1)))
	one := collection.Fold(b, base, attached(attach(2))).(collection.DebtState)
	bs := base.(collection.DebtState)
	if sum, ok := one.Document(attach(2).DocumentID); !ok || sum != contentSHA(2) {
		t.Errorf("Document = %q, %v", sum, ok)
	}
	if id, ok := one.DocumentWithContent(contentSHA(1)); !ok || id != attach(1).DocumentID {
		t.Errorf("DocumentWithContent = %q, %v", id, ok)
	}
	// The state before the event keeps its own maps.
	if _, ok := bs.Document(attach(2).DocumentID); ok {
		t.Error("a document leaked into the state before it")
	}
	if _, ok := bs.DocumentWithContent(contentSHA(2)); ok {
		t.Error("a document's content leaked into the state before it")
	}
	if one.Version() != 3 {
		t.Errorf("version %d after three events", one.Version())
	}
}

func TestDocumentLists(t *testing.T) {
	t.Parallel()
	if got := collection.DocumentKinds(); !slices.Equal(got, []string{"contract", "invoice", "acknowledgement",
		"payment_proof", "correspondence", "formal_notice", "court_decision", "bailiff_report", "other"}) {
		t.Errorf("DocumentKinds() = %v", got)
	}
	if got := collection.DocumentMediaTypes(); !slices.Equal(got, []string{"application/pdf", "image/jpeg", "image/png"}) {
		t.Errorf("DocumentMediaTypes() = %v", got)
	}
	kinds := collection.DocumentKinds()
	kinds[0] = "x"
	if collection.DocumentKinds()[0] != "contract" {
		t.Error("DocumentKinds() returned the package's own slice")
	}
}

// TestCaseworkRecords: the document, interaction and task records are the
// debt's, named debt.*; the documents' carry a personal part (their
// name).
func TestCaseworkRecords(t *testing.T) {
	t.Parallel()
	for _, v := range []any{
		collection.AttachDocument{}, collection.LogInteraction{}, collection.CompleteTask{},
		collection.DocumentAttached{}, collection.InteractionLogged{}, collection.TaskCreated{}, collection.TaskCompleted{},
	} {
		switch v.(type) {
		case collection.AttachDocument, collection.DocumentAttached:
			if _, ok := v.(collection.PersonalCarrier); !ok {
				t.Errorf("%T carries no personal part", v)
			}
		}
		switch r := v.(type) {
		case collection.Command:
			if r.Aggregate() != collection.DebtAggregate || !strings.HasPrefix(r.CommandType(), "debt.") {
				t.Errorf("%s of aggregate %s", r.CommandType(), r.Aggregate())
			}
		case collection.Event:
			if r.Aggregate() != collection.DebtAggregate || !strings.HasPrefix(r.EventType(), "debt.") {
				t.Errorf("%s of aggregate %s", r.EventType(), r.Aggregate())
			}
		default:
			t.Errorf("%T is neither a command nor an event", v)
		}
	}
}

func TestValidateDocumentName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Contrat de vente 2025.pdf", true},
		{"اعتراف بالدين.jpg", true},
		{strings.Repeat("é", collection.MaxDocumentNameLength), true},
		{"", false},
		{"   ", false},
		{strings.Repeat("é", collection.MaxDocumentNameLength+1), false},
		{`C:\scans\x.pdf`, false},
		{"scans/x.pdf", false},
		{"x\n.pdf", false},
		{"facture\u202Efdp.exe", false},
		{"bad\xffutf8.pdf", false},
	} {
		err := collection.ValidateDocumentName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateDocumentName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
		if rej, ok := collection.AsRejection(err); ok {
			for _, e := range rej.Errors {
				if e.Field != "name" {
					t.Errorf("ValidateDocumentName(%q) names %s", tc.name, e.Field)
				}
			}
		}
	}
}
