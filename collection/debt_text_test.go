package collection_test

import (
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/collection"
)

// sealedText stands for a text the API sealed: the decider never opens it.
var sealedText = collection.Sealed("\x01sealed text about the debtor")

// TestDebtTextsSealed: the decider carries a sealed text from the command
// to its event without reading it (a debt's description, a payment's note,
// an interaction's summary, a task's title, a legal step's note), knows
// whether one is there,
// refuses one that is also in clear or larger than the field's longest
// text, and still checks a text in clear (a command of version 1).
func TestDebtTextsSealed(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	big := collection.Sealed(strings.Repeat("x", 6*collection.MaxInteractionSummaryLength+65))

	open := openDebt
	open.Description, open.Personal = "", sealedText
	opened := debtOpened
	opened.Description, opened.Personal = "", sealedText

	pay := cash(1, 100_000)
	pay.Personal = sealedText
	paid := recorded(pay, alloc(50_000, 50_000, 0))

	note := func(summary string, sealed collection.Sealed) collection.LogInteraction {
		c := call(3, "")
		c.Channel, c.Direction, c.Summary, c.Personal = collection.InteractionNote, "", summary, sealed
		return c
	}
	withTitle := func(title string, sealed collection.Sealed) collection.LogInteraction {
		c := withFollowUp(call(4, collection.CallOutcomeNoAnswer), 4)
		c.Summary = ""
		c.FollowUp.Title, c.FollowUp.Personal = title, sealed
		return c
	}
	legal := legalRun(t, h[collection.DebtStatusLegal], openLegal(1, collection.LegalKindPaymentOrder))
	step := func(note string, sealed collection.Sealed) collection.RecordLegalStep {
		c := legalStep(1, 1, collection.LegalStepFiled, legalOpenedOn.AddDays(14))
		c.Details.Note, c.Personal = note, sealed
		return c
	}
	titled := withTitle("", sealedText)
	task := taskCreated(titled)
	if task.Personal == nil || task.Title != "" {
		t.Fatalf("the task does not carry its sealed title: %+v", task)
	}

	runDecider(t, collection.DebtAggregate, debtID, []deciderCase{
		{name: "a sealed description", cmd: open, want: evs(opened)},
		{name: "a description sealed and in clear", cmd: func() collection.OpenDebt {
			c := open
			c.Description = "Facture"
			return c
		}(), code: collection.CodeInvalid, fields: []string{"description"}},
		{name: "a sealed note", history: h["open"], cmd: pay, want: evs(paid)},
		{name: "a sealed summary makes a note", history: h["open"], cmd: note("", sealedText),
			want: evs(logged(note("", sealedText)))},
		{name: "a note with neither", history: h["open"], cmd: note("", nil), code: collection.CodeInvalid,
			fields: []string{"summary"}},
		{name: "a summary sealed and in clear", history: h["open"], cmd: note("il a perdu son emploi", sealedText),
			code: collection.CodeInvalid, fields: []string{"summary"}},
		{name: "a sealed summary too large for any summary", history: h["open"], cmd: note("", big),
			code: collection.CodeInvalid, fields: []string{"summary"}},
		{name: "a sealed title goes to the task", history: h["open"], cmd: titled,
			want: evs(logged(titled), task)},
		{name: "a follow-up without title", history: h["open"], cmd: withTitle("", nil), code: collection.CodeInvalid,
			fields: []string{"follow_up.title"}},
		{name: "a legal note sealed and in clear", history: legal, cmd: step("renvoi: il est hospitalisé", sealedText),
			code: collection.CodeInvalid, fields: []string{"details.note"}},
		{name: "a sealed legal note too large for any note", history: legal,
			cmd:  step("", collection.Sealed(strings.Repeat("x", 6*collection.MaxLegalNoteLength+65))),
			code: collection.CodeInvalid, fields: []string{"details.note"}},
		{name: "a legal note in clear (version 1) is still checked", history: legal, cmd: step("a\x00", nil),
			code: collection.CodeInvalid, fields: []string{"details.note"}},
	})

	evs := legalRun(t, legal, step("", sealedText))[len(legal):]
	if e, ok := evs[0].(collection.LegalStepRecorded); !ok || string(e.Personal) != string(sealedText) || e.Details.Note != "" {
		t.Errorf("the step does not carry its sealed note: %+v", evs[0])
	}
}

func TestDebtTextCarriers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ev   collection.DebtTextCarrier
		want collection.DebtPersonal
	}{
		{collection.DebtOpened{Description: "d"}, collection.DebtPersonal{Description: "d"}},
		{collection.PaymentRecorded{Note: "n"}, collection.DebtPersonal{Note: "n"}},
		{collection.InteractionLogged{Summary: "s"}, collection.DebtPersonal{Summary: "s"}},
		{collection.TaskCreated{Title: "t", Personal: sealedText}, collection.DebtPersonal{Title: "t"}},
		{collection.LegalStepRecorded{Details: collection.LegalStepDetails{Note: "l", Court: "c"}},
			collection.DebtPersonal{LegalNote: "l"}},
	} {
		if got := tc.ev.ClearText(); got != tc.want {
			t.Errorf("%T.ClearText() = %+v, want %+v", tc.ev, got, tc.want)
		}
	}
	if !(collection.DebtPersonal{}).IsZero() || (collection.DebtPersonal{Title: "x"}).IsZero() {
		t.Error("IsZero")
	}
}

// TestInteractionTexts: the API checks what staff wrote on an interaction
// before sealing it, as the decider cannot read it then.
func TestInteractionTexts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, channel, summary, want string
		problem                      string
	}{
		{"a call needs no summary", collection.InteractionCall, "  ", "", ""},
		{"a note needs one", collection.InteractionNote, " \r\n ", "", "is required"},
		{"line breaks kept", collection.InteractionVisit, " dit avoir perdu son emploi\r\nrappeler lundi ",
			"dit avoir perdu son emploi\nrappeler lundi", ""},
		{"too long", collection.InteractionNote, strings.Repeat("ق", collection.MaxInteractionSummaryLength+1), "", "too long"},
		{"a bidi override", collection.InteractionNote, "a\u202Eb", "", "invisible"},
		{"not UTF-8", collection.InteractionNote, "a\xff", "", "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var fe collection.FieldErrors
			got := collection.CheckInteractionSummary(&fe, tc.channel, tc.summary)
			checkOneProblem(t, fe, "summary", tc.problem)
			if tc.problem == "" && got != tc.want {
				t.Errorf("summary %q, want %q", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, title, want string
		problem           string
	}{
		{"trimmed, spaces collapsed", "  vérifier   le versement ", "vérifier le versement", ""},
		{"required", " ", "", "is required"},
		{"one line", "rappeler\ndemain", "rappeler demain", ""},
		{"too long", strings.Repeat("t", collection.MaxTaskTitleLength+1), "", "too long"},
		{"a control character", "rappeler\x07", "", "control"},
	} {
		t.Run("title "+tc.name, func(t *testing.T) {
			t.Parallel()
			var fe collection.FieldErrors
			got := collection.CheckTaskTitle(&fe, tc.title)
			checkOneProblem(t, fe, "follow_up.title", tc.problem)
			if tc.problem == "" && got != tc.want {
				t.Errorf("title %q, want %q", got, tc.want)
			}
		})
	}
}

// checkOneProblem requires fe to hold one problem of field whose reason
// says problem, or none when problem is "".
func checkOneProblem(t *testing.T, fe collection.FieldErrors, field, problem string) {
	t.Helper()
	switch {
	case problem == "" && len(fe) > 0:
		t.Errorf("problems %v, want none", fe)
	case problem != "" && (len(fe) != 1 || fe[0].Field != field || !strings.Contains(fe[0].Reason, problem)):
		t.Errorf("problems %v, want one of %s saying %q", fe, field, problem)
	}
}
