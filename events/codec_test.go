package events_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func ptr[T any](v T) *T { return &v }

// samples returns one value of every command and event of the domain, with
// a personal part where the type carries one.
func samples() []any {
	id, by := newID(), newID()
	sealed := collection.Sealed("\x01sealed-bytes\x00\xff")
	return []any{
		collection.RegisterCreditor{ID: id, Ref: "C-7KQ2M9", Profile: collection.CreditorProfile{LegalForm: "SARL", Sector: "BTP", Wilaya: 16, CommissionBPS: 1250}, Personal: sealed},
		collection.UpdateCreditor{ID: id, Changes: collection.CreditorChanges{Sector: ptr("Télécoms"), Wilaya: ptr(31), CommissionBPS: ptr(0)}, PersonalFields: []string{"name", "phone"}, Personal: sealed},
		collection.ArchiveCreditor{ID: id, Reason: "contrat résilié"},
		collection.CreditorRegistered{ID: id, Ref: "C-7KQ2M9", Profile: collection.CreditorProfile{Wilaya: 58, CommissionBPS: 10000}, Personal: sealed},
		collection.CreditorUpdated{ID: id, Changes: collection.CreditorChanges{LegalForm: ptr("")}, PersonalFields: []string{"email"}, Personal: sealed},
		collection.CreditorArchived{ID: id, Reason: "doublon"},
		collection.EraseCreditor{ID: id, Reason: "demande du 02/05/2025 par lettre recommandée, dossier DP-2025-014"},
		collection.CreditorErased{ID: id, Reason: "demande du 02/05/2025"},
		collection.RegisterDebtor{ID: id, Ref: "D-7KQ2M9", Profile: collection.DebtorProfile{Kind: collection.DebtorPerson, Wilaya: 9, PreferredChannel: "sms", Language: "ar"}, Personal: sealed},
		collection.UpdateDebtor{ID: id, Changes: collection.DebtorChanges{Language: ptr("fr"), PreferredChannel: ptr("email")}, PersonalFields: []string{"phones"}, Personal: sealed},
		collection.ArchiveDebtor{ID: id},
		collection.DebtorRegistered{ID: id, Ref: "D-7KQ2M9", Profile: collection.DebtorProfile{Kind: collection.DebtorCompany, Wilaya: 69, PreferredChannel: "none", Language: "en"}, Personal: sealed},
		collection.DebtorUpdated{ID: id, Changes: collection.DebtorChanges{Wilaya: ptr(1)}},
		collection.DebtorArchived{ID: id, Reason: "décédé"},
		collection.EraseDebtor{ID: id, Reason: "طلب محو مؤرخ في 2025/05/02"},
		collection.DebtorErased{ID: id, Reason: "request of 2025-05-02\nfile DP-2025-014"},
		collection.RegisterAccount{ID: id, Kind: collection.RoleCreditor, Personal: sealed},
		collection.CreateAccount{ID: id, Role: collection.RoleDebtor, DebtorID: newID(), Personal: sealed},
		collection.ApproveRegistration{ID: id, CreditorID: newID()},
		collection.RejectRegistration{ID: id, Reason: "NIF introuvable\nmerci de nous contacter"},
		collection.ChangeRole{ID: id, Role: collection.RoleAuditor},
		collection.DisableAccount{ID: id, Reason: "départ"},
		collection.EnableAccount{ID: id},
		collection.EnrollMFA{ID: id},
		collection.ResetMFA{ID: id, Reason: "téléphone perdu"},
		collection.LockAccount{ID: id, Factor: collection.FactorTOTP, Until: time.Date(2025, 3, 1, 9, 15, 0, 0, time.UTC), Failures: 5},
		collection.UnlockAccount{ID: id},
		collection.RecordLogin{ID: id, Outcome: collection.LoginOutcomeFailed, Factor: collection.FactorPassword, Reason: "bad_password"},
		collection.NoteRegistrationAttempt{ID: id},
		collection.AccountRegistered{ID: id, Kind: collection.RoleDebtor, Personal: sealed},
		collection.AccountCreated{ID: id, Role: collection.RoleAdmin, Personal: sealed},
		collection.RegistrationApproved{ID: id, Role: collection.RoleCreditor, CreditorID: newID()},
		collection.RegistrationRejected{ID: id, Reason: "pièces illisibles"},
		collection.RoleChanged{ID: id, From: collection.RoleAgent, To: collection.RoleAdmin},
		collection.AccountDisabled{ID: id},
		collection.AccountEnabled{ID: id},
		collection.MFAEnrolled{ID: id},
		collection.MFAReset{ID: id},
		collection.AccountLocked{ID: id, Factor: collection.FactorPassword, Failures: 20, Permanent: true},
		collection.AccountUnlocked{ID: id, Factors: []string{collection.FactorPassword, collection.FactorTOTP}},
		collection.LoginSucceeded{ID: id, Factor: collection.FactorRecoveryCode},
		collection.LoginFailed{ID: id, Factor: collection.FactorTOTP, Reason: "bad_code"},
		collection.RegistrationAttempted{ID: id},
		collection.OpenDebt{ID: id, Ref: "F-7KQ2M9", CreditorID: newID(), DebtorID: newID(), ExternalRef: "FAC-2025/0042",
			Type: collection.DebtTypeCommercial, Principal: 12_345_678, Fees: 50_000, Currency: "DZD",
			AcknowledgedOn: collection.DateOf(2025, time.January, 12), OriginalDueOn: collection.DateOf(2025, time.March, 31),
			By: by, Personal: sealed},
		collection.ChangeDebtStatus{ID: id, To: collection.DebtStatusOnHold, HoldReason: collection.HoldReasonDispute, Reason: "conteste la livraison", By: by},
		collection.AssignDebt{ID: id, AgentID: newID(), By: by},
		collection.RescheduleDebt{ID: id, DueOn: collection.DateOf(2025, time.June, 30), Reason: "accord verbal", By: by},
		collection.AddCharge{ID: id, ChargeID: newID(), Kind: collection.ChargeKindLegalCost, Amount: 1_500_000, Reason: "frais d'huissier", On: collection.DateOf(2025, time.May, 4), By: by},
		collection.ProposeAction{ID: id, ProposalID: newID(), Action: collection.ActionSettlement, Discount: 200_000, Reason: "règlement immédiat du reste", By: by},
		collection.DecideProposal{ID: id, ProposalID: newID(), Approve: true, By: by},
		collection.RecordPayment{ID: id, PaymentID: newID(), Amount: 2_500_000, ValueDate: collection.DateOf(2025, time.April, 2),
			Method: collection.PaymentMethodCheque, Reference: "CHQ 0012345", Overpayment: true, By: by, Personal: sealed},
		collection.ReversePayment{ID: id, PaymentID: newID(), Reason: "chèque rejeté: provision insuffisante", By: by},
		collection.DebtOpened{ID: id, Ref: "F-7KQ2M9", CreditorID: newID(), DebtorID: newID(), ExternalRef: "LOYER-03",
			Type: collection.DebtTypeRent, Principal: 9_000_000, Fees: 0, Currency: "DZD",
			OriginalDueOn: collection.DateOf(2025, time.March, 1), CurrentDueOn: collection.DateOf(2025, time.March, 1),
			Status: collection.DebtStatusOpen, By: by, Personal: sealed},
		collection.DebtStatusChanged{ID: id, From: collection.DebtStatusPaymentPlan, To: collection.DebtStatusRecovered, Reason: "balance paid", By: by},
		collection.DebtAssigned{ID: id, AgentID: newID(), Previous: newID(), By: by},
		collection.DebtRescheduled{ID: id, From: collection.DateOf(2025, time.March, 1), To: collection.DateOf(2025, time.April, 1), Reason: "Ramadan", By: by},
		collection.ChargeAdded{ID: id, ChargeID: newID(), Kind: collection.ChargeKindFee, Amount: 10_000, Reason: "frais de relance", On: collection.DateOf(2025, time.May, 4), By: by},
		collection.ActionProposed{ID: id, ProposalID: newID(), Action: collection.ActionWriteOff, Balance: 4_200_000, Reason: "débiteur introuvable", By: by},
		collection.ProposalApproved{ID: id, ProposalID: newID(), Action: collection.ActionEscalateLegal, Reason: "ok", By: by},
		collection.ProposalRefused{ID: id, ProposalID: newID(), Action: collection.ActionSettlement, Reason: "remise trop élevée", By: by},
		collection.DiscountGranted{ID: id, ProposalID: newID(), Amount: 200_000, Allocation: collection.Allocation{Fees: 50_000, Principal: 150_000}, By: by},
		collection.DebtWrittenOff{ID: id, ProposalID: newID(), Amount: 4_200_000, Allocation: collection.Allocation{Fees: 200_000, Principal: 4_000_000}, By: by},
		collection.PaymentRecorded{ID: id, PaymentID: newID(), Amount: 1_000_000, ValueDate: collection.DateOf(2025, time.April, 2),
			Method: collection.PaymentMethodBaridiMob, Reference: "BM-884512", Overpayment: true,
			Allocation: collection.Allocation{Fees: 10_000, Principal: 900_000, Credit: 90_000}, By: by, Personal: sealed},
		collection.PaymentReversed{ID: id, PaymentID: newID(), Amount: 1_000_000,
			Allocation: collection.Allocation{Fees: 10_000, Principal: 900_000, Credit: 90_000}, Reason: "saisie en double", By: by},
		collection.SetPlan{ID: id, PlanID: newID(), Instalments: []collection.Instalment{
			{Due: collection.DateOf(2025, time.May, 4), Amount: 500_000}, {Due: collection.DateOf(2025, time.June, 4), Amount: 250_000}},
			Reason: "accord après relance", Today: collection.DateOf(2025, time.April, 20), MinInstalment: 100_000,
			Holidays: []collection.Date{collection.DateOf(2025, time.March, 31)}, By: by},
		collection.MakePromise{ID: id, PromiseID: newID(), Amount: 300_000, Due: collection.DateOf(2025, time.April, 30),
			Today: collection.DateOf(2025, time.April, 20), By: by},
		collection.PlanSet{ID: id, PlanID: newID(), Instalments: []collection.Instalment{
			{Due: collection.DateOf(2025, time.May, 4), Amount: 750_000}},
			Reason: "révision", Supersedes: newID(), SetOn: collection.DateOf(2025, time.April, 20), By: by},
		collection.PromiseMade{ID: id, PromiseID: newID(), Amount: 300_000, Due: collection.DateOf(2025, time.April, 30),
			MadeOn: collection.DateOf(2025, time.April, 20), By: by},
		collection.AttachDocument{ID: id, DocumentID: newID(), MediaType: collection.MediaTypePDF,
			Size: 482_113, SHA256: strings.Repeat("ab", 32), Kind: collection.DocumentKindContract, By: by, Personal: sealed},
		collection.LogInteraction{ID: id, InteractionID: newID(), Channel: collection.InteractionCall,
			Direction: collection.DirectionOutbound, Outcome: collection.CallOutcomePromise,
			OccurredAt: time.Date(2025, 4, 20, 9, 30, 15, 123_000_000, time.UTC), FollowUp: &collection.FollowUp{TaskID: newID(),
				Due: time.Date(2025, 4, 26, 8, 0, 0, 0, time.UTC), Assignee: newID(), Personal: collection.Sealed{1, 7, 7}},
			By: by, Personal: sealed},
		collection.CompleteTask{ID: id, TaskID: newID(), By: by},
		collection.DocumentAttached{ID: id, DocumentID: newID(), MediaType: collection.MediaTypeJPEG,
			Size: 1, SHA256: strings.Repeat("0f", 32), Kind: collection.DocumentKindBailiffReport, By: by, Personal: sealed},
		collection.InteractionLogged{ID: id, InteractionID: newID(), Channel: collection.InteractionVisit,
			Outcome: collection.CallOutcomeRefusal, OccurredAt: time.Date(2025, 4, 21, 14, 0, 0, 0, time.UTC), By: by,
			Personal: sealed},
		collection.TaskCreated{ID: id, TaskID: newID(), InteractionID: newID(), Due: time.Date(2025, 4, 22, 7, 0, 0, 0, time.UTC),
			Assignee: newID(), By: by, Personal: sealed},
		collection.TaskCompleted{ID: id, TaskID: newID(), By: by},
		collection.OpenLegalProcedure{ID: id, ProcedureID: newID(), Kind: collection.LegalKindPaymentOrder,
			Court: "Tribunal de Sidi M'Hamed", Section: "commerciale", CaseNumber: "25/01234", Bailiff: "Me Benali, huissier de justice",
			Lawyer: "Me Kaci", ClaimedAmount: 12_500_000, OpenedOn: collection.DateOf(2025, time.May, 4),
			Today: collection.DateOf(2025, time.May, 5), By: by},
		collection.RecordLegalStep{ID: id, ProcedureID: newID(), StepID: newID(), Step: collection.LegalStepHearingScheduled,
			On: collection.DateOf(2025, time.May, 6), Details: collection.LegalStepDetails{HearingOn: collection.DateOf(2025, time.June, 3),
				Room: "salle 2"}, DocumentIDs: []string{newID(), newID()}, Cost: 250_000,
			Today: collection.DateOf(2025, time.May, 6), Holidays: []collection.Date{collection.DateOf(2025, time.June, 6)}, By: by,
			Personal: sealed},
		collection.LegalProcedureOpened{ID: id, ProcedureID: newID(), Kind: collection.LegalKindFormalNotice,
			ClaimedAmount: 1_000_000, OpenedOn: collection.DateOf(2025, time.May, 4), By: by},
		collection.LegalStepRecorded{ID: id, ProcedureID: newID(), StepID: newID(), Seq: 3, Step: collection.LegalStepJudgment,
			On: collection.DateOf(2025, time.June, 3), Details: collection.LegalStepDetails{Outcome: collection.JudgmentPartial, AmountAwarded: 9_000_000},
			DocumentIDs: []string{newID()}, Cost: 100_000,
			Deadlines: []collection.LegalDeadline{{Seq: 3, Name: "appeal", From: collection.DateOf(2025, time.June, 3),
				Due: collection.DateOf(2025, time.July, 6), Days: 30, Franc: true}},
			Ends: []collection.LegalDeadlineRef{{Seq: 2, Name: "hearing"}}, By: by, Personal: sealed},
	}
}

// schemaVersion is the current schema version of each record type: 1 but
// for those listed.
func schemaVersion(typ string) int {
	switch typ {
	case "debt.attach_document", "debt.document_attached": // v2: the name sealed
		return 2
	case "debt.open", "debt.opened", "debt.record_payment", "debt.payment_recorded", "debt.log_interaction",
		"debt.interaction_logged", "debt.task_created", "debt.record_legal_step",
		"debt.legal_step_recorded": // v2: the text about the debtor sealed
		return 2
	}
	return 1
}

func typeOf(v any) string {
	switch v := v.(type) {
	case collection.Event:
		return v.EventType()
	case collection.Command:
		return v.CommandType()
	}
	return ""
}

func personalOf(v any) []byte {
	if pc, ok := v.(collection.PersonalCarrier); ok {
		return pc.PersonalPart()
	}
	return nil
}

func TestCodecRoundTripsEveryType(t *testing.T) {
	t.Parallel()
	reg := events.NewRegistry()
	var covered []string
	for _, v := range samples() {
		typ := typeOf(v)
		covered = append(covered, typ)
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			gotTyp, version, data, err := reg.Encode(v)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			current, ok := reg.Version(typ)
			if gotTyp != typ || !ok || version != current || version != schemaVersion(typ) {
				t.Errorf("Encode = (%q, v%d), want (%q, v%d)", gotTyp, version, typ, schemaVersion(typ))
			}
			// The personal part never travels in clear in data.
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(data, &fields); err != nil {
				t.Fatalf("data is not a JSON object: %s", data)
			}
			for k := range fields {
				if strings.EqualFold(k, "personal") {
					t.Errorf("data carries the personal part: %s", data)
				}
			}
			if strings.Contains(string(data), "sealed-bytes") {
				t.Errorf("data leaks the sealed part: %s", data)
			}

			personal := personalOf(v)
			got, err := reg.Decode(gotTyp, version, data, personal)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("round trip:\n got  %#v\n want %#v", got, v)
			}

			// The same through the envelopes the processor reads.
			switch v.(type) {
			case collection.Event:
				ev, err := reg.DecodeEvent(&events.Envelope{Type: gotTyp, V: version, Data: data, Personal: personal})
				if err != nil || !reflect.DeepEqual(ev, v) {
					t.Errorf("DecodeEvent = %#v, %v; want %#v", ev, err, v)
				}
				if _, err := reg.DecodeCommand(&events.CommandEnvelope{Type: gotTyp, V: version, Data: data, Personal: personal}); err == nil {
					t.Errorf("DecodeCommand accepted event %s", typ)
				}
			case collection.Command:
				cmd := v.(collection.Command)
				env := &events.CommandEnvelope{Type: gotTyp, V: version, Data: data, Personal: personal,
					Aggregate: events.AggregateRef{Type: cmd.Aggregate(), ID: reflect.ValueOf(v).FieldByName("ID").String()}}
				got, err := reg.DecodeCommand(env)
				if err != nil || !reflect.DeepEqual(got, v) {
					t.Errorf("DecodeCommand = %#v, %v; want %#v", got, err, v)
				}
				if _, err := reg.DecodeEvent(&events.Envelope{Type: gotTyp, V: version, Data: data, Personal: personal}); err == nil {
					t.Errorf("DecodeEvent accepted command %s", typ)
				}
			}
		})
	}
	// A type registered without a sample here would go untested.
	slices.Sort(covered)
	if all := events.RegisteredTypes(reg); !slices.Equal(covered, all) {
		t.Errorf("samples cover %v, registry holds %v", covered, all)
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	reg := events.NewRegistry()
	data := json.RawMessage(`{"id":"` + newID() + `","reason":"x"}`)
	for _, tc := range []struct {
		name     string
		typ      string
		v        int
		data     json.RawMessage
		personal []byte
		want     string
	}{
		{"unknown type", "creditor.renamed", 1, data, nil, "unknown record type"},
		{"empty type", "", 1, data, nil, "unknown record type"},
		{"version zero", "creditor.archived", 0, data, nil, "version 0 not supported"},
		{"negative version", "creditor.archived", -3, data, nil, "version -3 not supported"},
		{"version above current", "creditor.archived", 2, data, nil, "version 2 not supported (current 1)"},
		{"not JSON", "creditor.archived", 1, json.RawMessage(`{"id":`), nil, "decode creditor.archived v1"},
		{"wrong field type", "creditor.archived", 1, json.RawMessage(`{"id":42}`), nil, "decode creditor.archived v1"},
		{"no data", "creditor.archived", 1, nil, nil, "decode creditor.archived v1"},
		{"personal part on a type without one", "creditor.archived", 1, data, []byte{1, 2, 3}, "carries none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := reg.Decode(tc.typ, tc.v, tc.data, tc.personal)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode = %#v, %v; want an error containing %q", v, err, tc.want)
			}
		})
	}
	if _, _, _, err := reg.Encode(struct{ ID string }{"x"}); err == nil {
		t.Error("Encode accepted a value that is neither a command nor an event")
	}
	if _, _, _, err := events.NewRegistry().Encode(noteAdded{ID: "x"}); err == nil {
		t.Error("Encode accepted an unregistered event type")
	}
}

func TestDecodeCommandChecksItsAddress(t *testing.T) {
	t.Parallel()
	reg := events.NewRegistry()
	id := newID()
	_, v, data, err := reg.Encode(collection.ArchiveCreditor{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	env := func(aggType collection.AggregateType, aggID string) *events.CommandEnvelope {
		return &events.CommandEnvelope{ID: newID(), Type: "creditor.archive", V: v, Data: data,
			Aggregate: events.AggregateRef{Type: aggType, ID: aggID}}
	}
	if cmd, err := reg.DecodeCommand(env(collection.CreditorAggregate, id)); err != nil || cmd.(collection.ArchiveCreditor).ID != id {
		t.Fatalf("DecodeCommand of a well-addressed command = %#v, %v", cmd, err)
	}
	if cmd, err := reg.DecodeCommand(env(collection.CreditorAggregate, newID())); err == nil || !strings.Contains(err.Error(), "carries id") {
		t.Errorf("command whose data names another aggregate: %#v, %v; want an error", cmd, err)
	}
	if cmd, err := reg.DecodeCommand(env(collection.DebtorAggregate, id)); err == nil || !strings.Contains(err.Error(), "aggregate type debtor") {
		t.Errorf("creditor command sent to a debtor: %#v, %v; want an error", cmd, err)
	}
	if cmd, err := reg.DecodeCommand(env("", id)); err == nil {
		t.Errorf("command without aggregate type: %#v; want an error", cmd)
	}
}

// noteAdded is a test-only event at schema version 3:
//
//	v1 {"id", "author_name", "author_role", "body"}
//	v2 {"id", "author": {"name", "role"}, "body"}
//	v3 {"id", "author": {"name", "role"}, "text", "lang"}
type noteAdded struct {
	ID     string `json:"id"`
	Author struct {
		Name string `json:"name"`
		Role string `json:"role"`
	} `json:"author"`
	Text     string            `json:"text"`
	Lang     string            `json:"lang"`
	Personal collection.Sealed `json:"-"`
}

func (noteAdded) EventType() string                   { return "debtor.note_added" }
func (noteAdded) Aggregate() collection.AggregateType { return collection.DebtorAggregate }

// nestAuthor upcasts v1 to v2: author_name and author_role move under author.
func nestAuthor(data json.RawMessage) (json.RawMessage, error) {
	var v1 map[string]any
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, err
	}
	name, ok := v1["author_name"].(string)
	if !ok {
		return nil, errors.New("v1 note without author_name")
	}
	v1["author"] = map[string]any{"name": name, "role": v1["author_role"]}
	delete(v1, "author_name")
	delete(v1, "author_role")
	return json.Marshal(v1)
}

// renameBody upcasts v2 to v3: body becomes text, and the language, unknown
// before v3, is French.
func renameBody(data json.RawMessage) (json.RawMessage, error) {
	var v2 map[string]any
	if err := json.Unmarshal(data, &v2); err != nil {
		return nil, err
	}
	v2["text"], v2["lang"] = v2["body"], "fr"
	delete(v2, "body")
	return json.Marshal(v2)
}

func TestDecodeUpcastsOldVersions(t *testing.T) {
	t.Parallel()
	reg := events.NewRegistry()
	reg.Register(noteAdded{}, 3)
	reg.AddUpcaster("debtor.note_added", 1, nestAuthor)
	reg.AddUpcaster("debtor.note_added", 2, renameBody)
	if v, ok := reg.Version("debtor.note_added"); !ok || v != 3 {
		t.Fatalf("Version = %d, %v; want 3", v, ok)
	}

	var want noteAdded
	want.ID, want.Author.Name, want.Author.Role, want.Text, want.Lang = "n-1", "Amina", "agent", "a promis de payer jeudi", "fr"
	want.Personal = collection.Sealed{9, 9}

	for _, tc := range []struct {
		v    int
		data string
	}{
		{1, `{"id":"n-1","author_name":"Amina","author_role":"agent","body":"a promis de payer jeudi"}`},
		{2, `{"id":"n-1","author":{"name":"Amina","role":"agent"},"body":"a promis de payer jeudi"}`},
		{3, `{"id":"n-1","author":{"name":"Amina","role":"agent"},"text":"a promis de payer jeudi","lang":"fr"}`},
	} {
		env := &events.Envelope{Type: "debtor.note_added", V: tc.v, Data: json.RawMessage(tc.data), Personal: []byte{9, 9}}
		got, err := reg.DecodeEvent(env)
		if err != nil {
			t.Fatalf("v%d: %v", tc.v, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("v%d decoded as %#v, want %#v", tc.v, got, want)
		}
		// The log is never rewritten: the envelope keeps its old data.
		if string(env.Data) != tc.data {
			t.Errorf("v%d: decoding changed the envelope's data to %s", tc.v, env.Data)
		}
	}

	// Writers always write the current version.
	if _, v, data, err := reg.Encode(want); err != nil || v != 3 || !strings.Contains(string(data), `"text"`) {
		t.Errorf("Encode = v%d %s, %v; want v3 with text", v, data, err)
	}

	// An upcaster's failure names the version it came from.
	_, err := reg.Decode("debtor.note_added", 1, json.RawMessage(`{"id":"n-2","body":"x"}`), nil)
	if err == nil || !strings.Contains(err.Error(), "upcast from version 1") || !strings.Contains(err.Error(), "without author_name") {
		t.Errorf("failing upcaster: %v", err)
	}
}

func TestDecodeWithoutUpcasterFails(t *testing.T) {
	t.Parallel()
	reg := events.NewRegistry()
	reg.Register(noteAdded{}, 3)
	reg.AddUpcaster("debtor.note_added", 2, renameBody) // 1 → 2 is missing
	_, err := reg.Decode("debtor.note_added", 1, json.RawMessage(`{"id":"n-1","author_name":"Amina","body":"x"}`), nil)
	if err == nil || !strings.Contains(err.Error(), "no upcaster from version 1") {
		t.Errorf("Decode v1 without its upcaster: %v", err)
	}
	// Version 2 still reads, through the upcaster that exists.
	if _, err := reg.Decode("debtor.note_added", 2, json.RawMessage(`{"id":"n-1","author":{"name":"Amina"},"body":"x"}`), nil); err != nil {
		t.Errorf("Decode v2: %v", err)
	}

	// Re-registering a real type at a new version without an upcaster
	// makes its old records unreadable rather than misread.
	reg.Register(collection.CreditorArchived{}, 2)
	if _, err := reg.Decode("creditor.archived", 1, json.RawMessage(`{"id":"x"}`), nil); err == nil || !strings.Contains(err.Error(), "no upcaster from version 1") {
		t.Errorf("Decode creditor.archived v1 after moving to v2 without upcaster: %v", err)
	}
}

func TestRegistryPanicsOnMisuse(t *testing.T) {
	t.Parallel()
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	reg := events.NewRegistry()
	mustPanic("Register of a non-record", func() { reg.Register(struct{}{}, 1) })
	mustPanic("AddUpcaster of an unregistered type", func() { reg.AddUpcaster("debtor.note_added", 1, nestAuthor) })
}

// TestDocumentRecordsOfVersion1: a document record of version 1 carried
// its name in clear and no personal part; it still reads, name included,
// while version 2 writes no name in data.
func TestDocumentRecordsOfVersion1(t *testing.T) {
	t.Parallel()
	reg := events.NewRegistry()
	id, docID, by := newID(), newID(), newID()
	sum := strings.Repeat("ab", 32)
	v1 := `{"id":"` + id + `","document_id":"` + docID + `","name":"CNI Amina.jpg","media_type":"image/jpeg",` +
		`"size":1234,"sha256":"` + sum + `","kind":"other","by":"` + by + `"}`
	wantCmd := collection.AttachDocument{ID: id, DocumentID: docID, Name: "CNI Amina.jpg", MediaType: collection.MediaTypeJPEG,
		Size: 1234, SHA256: sum, Kind: collection.DocumentKindOther, By: by}

	ev, err := reg.DecodeEvent(&events.Envelope{Type: "debt.document_attached", V: 1, Data: json.RawMessage(v1)})
	if want := collection.DocumentAttached(wantCmd); err != nil || !reflect.DeepEqual(ev, want) {
		t.Errorf("v1 event = %#v, %v; want %#v", ev, err, want)
	}
	cmd, err := reg.DecodeCommand(&events.CommandEnvelope{Type: "debt.attach_document", V: 1, Data: json.RawMessage(v1),
		Aggregate: events.AggregateRef{Type: collection.DebtAggregate, ID: id}})
	if err != nil || !reflect.DeepEqual(cmd, wantCmd) {
		t.Errorf("v1 command = %#v, %v; want %#v", cmd, err, wantCmd)
	}

	sealedCmd := wantCmd
	sealedCmd.Name, sealedCmd.Personal = "", collection.Sealed{1, 2, 3}
	_, v, data, err := reg.Encode(collection.DocumentAttached(sealedCmd))
	if err != nil || v != 2 || strings.Contains(string(data), `"name"`) {
		t.Errorf("Encode = v%d %s, %v; want v2 without a name", v, data, err)
	}
}

// TestDebtTextRecordsOfVersion1: the records that carried free text about
// the debtor in clear (version 1: a description, a note, a summary, a
// task's title, a legal step's details.note) still read, the text as an
// already open value and no personal part; version 2 writes no text in
// data.
func TestDebtTextRecordsOfVersion1(t *testing.T) {
	t.Parallel()
	reg := events.NewRegistry()
	id, other, by := newID(), newID(), newID()
	at := time.Date(2025, 4, 20, 9, 30, 0, 0, time.UTC)
	due := collection.DateOf(2025, time.March, 31)
	for _, tc := range []struct {
		typ, v1 string
		want    any // as decoded
		sealed  any // as version 2 writes it: the text sealed
	}{
		{"debt.open",
			`{"id":"` + id + `","ref":"F-7KQ2M9","creditor_id":"` + other + `","debtor_id":"` + other + `","external_ref":"X","type":"rent",` +
				`"principal":1,"fees":0,"currency":"DZD","original_due_on":"2025-03-31","description":"loyer\nimpayé","by":"` + by + `"}`,
			collection.OpenDebt{ID: id, Ref: "F-7KQ2M9", CreditorID: other, DebtorID: other, ExternalRef: "X", Type: "rent",
				Principal: 1, Currency: "DZD", OriginalDueOn: due, Description: "loyer\nimpayé", By: by},
			collection.OpenDebt{ID: id, Ref: "F-7KQ2M9", CreditorID: other, DebtorID: other, ExternalRef: "X", Type: "rent",
				Principal: 1, Currency: "DZD", OriginalDueOn: due, By: by, Personal: collection.Sealed{1, 2}}},
		{"debt.opened",
			`{"id":"` + id + `","ref":"F-7KQ2M9","creditor_id":"` + other + `","debtor_id":"` + other + `","external_ref":"X","type":"rent",` +
				`"principal":1,"fees":0,"currency":"DZD","original_due_on":"2025-03-31","current_due_on":"2025-03-31",` +
				`"description":"loyer impayé","status":"open","by":"` + by + `"}`,
			collection.DebtOpened{ID: id, Ref: "F-7KQ2M9", CreditorID: other, DebtorID: other, ExternalRef: "X", Type: "rent",
				Principal: 1, Currency: "DZD", OriginalDueOn: due, CurrentDueOn: due, Description: "loyer impayé", Status: "open", By: by},
			collection.DebtOpened{ID: id, Ref: "F-7KQ2M9", CreditorID: other, DebtorID: other, ExternalRef: "X", Type: "rent",
				Principal: 1, Currency: "DZD", OriginalDueOn: due, CurrentDueOn: due, Status: "open", By: by, Personal: collection.Sealed{1, 2}}},
		{"debt.record_payment",
			`{"id":"` + id + `","payment_id":"` + other + `","amount":5,"value_date":"2025-03-31","method":"cash",` +
				`"note":"chômeur depuis mars","by":"` + by + `"}`,
			collection.RecordPayment{ID: id, PaymentID: other, Amount: 5, ValueDate: due, Method: "cash", Note: "chômeur depuis mars", By: by},
			collection.RecordPayment{ID: id, PaymentID: other, Amount: 5, ValueDate: due, Method: "cash", By: by, Personal: collection.Sealed{1, 2}}},
		{"debt.payment_recorded",
			`{"id":"` + id + `","payment_id":"` + other + `","amount":5,"value_date":"2025-03-31","method":"cash",` +
				`"note":"chômeur depuis mars","allocation":{"fees":0,"principal":5,"credit":0},"by":"` + by + `"}`,
			collection.PaymentRecorded{ID: id, PaymentID: other, Amount: 5, ValueDate: due, Method: "cash", Note: "chômeur depuis mars",
				Allocation: collection.Allocation{Principal: 5}, By: by},
			collection.PaymentRecorded{ID: id, PaymentID: other, Amount: 5, ValueDate: due, Method: "cash",
				Allocation: collection.Allocation{Principal: 5}, By: by, Personal: collection.Sealed{1, 2}}},
		{"debt.log_interaction",
			`{"id":"` + id + `","interaction_id":"` + other + `","channel":"note","summary":"épouse hospitalisée",` +
				`"occurred_at":"2025-04-20T09:30:00Z","follow_up":{"task_id":"` + by + `","due":"2025-04-20T09:30:00Z",` +
				`"assignee":"` + by + `","title":"rappeler"},"by":"` + by + `"}`,
			collection.LogInteraction{ID: id, InteractionID: other, Channel: "note", Summary: "épouse hospitalisée", OccurredAt: at,
				FollowUp: &collection.FollowUp{TaskID: by, Due: at, Assignee: by, Title: "rappeler"}, By: by},
			collection.LogInteraction{ID: id, InteractionID: other, Channel: "note", OccurredAt: at,
				FollowUp: &collection.FollowUp{TaskID: by, Due: at, Assignee: by, Personal: collection.Sealed{3}}, By: by,
				Personal: collection.Sealed{1, 2}}},
		{"debt.interaction_logged",
			`{"id":"` + id + `","interaction_id":"` + other + `","channel":"note","summary":"épouse hospitalisée",` +
				`"occurred_at":"2025-04-20T09:30:00Z","by":"` + by + `"}`,
			collection.InteractionLogged{ID: id, InteractionID: other, Channel: "note", Summary: "épouse hospitalisée", OccurredAt: at, By: by},
			collection.InteractionLogged{ID: id, InteractionID: other, Channel: "note", OccurredAt: at, By: by, Personal: collection.Sealed{1, 2}}},
		{"debt.task_created",
			`{"id":"` + id + `","task_id":"` + other + `","title":"rappeler","due":"2025-04-20T09:30:00Z","assignee":"` + by +
				`","by":"` + by + `"}`,
			collection.TaskCreated{ID: id, TaskID: other, Title: "rappeler", Due: at, Assignee: by, By: by},
			collection.TaskCreated{ID: id, TaskID: other, Due: at, Assignee: by, By: by, Personal: collection.Sealed{1, 2}}},
		{"debt.record_legal_step",
			`{"id":"` + id + `","procedure_id":"` + other + `","step_id":"` + by + `","step":"filed","on":"2025-03-31",` +
				`"details":{"case_number":"25/04417","note":"renvoi: il est hospitalisé"},"today":"2025-03-31","by":"` + by + `"}`,
			collection.RecordLegalStep{ID: id, ProcedureID: other, StepID: by, Step: "filed", On: due,
				Details: collection.LegalStepDetails{CaseNumber: "25/04417", Note: "renvoi: il est hospitalisé"}, Today: due, By: by},
			collection.RecordLegalStep{ID: id, ProcedureID: other, StepID: by, Step: "filed", On: due,
				Details: collection.LegalStepDetails{CaseNumber: "25/04417"}, Today: due, By: by, Personal: collection.Sealed{1, 2}}},
		{"debt.legal_step_recorded",
			`{"id":"` + id + `","procedure_id":"` + other + `","step_id":"` + by + `","seq":1,"step":"filed","on":"2025-03-31",` +
				`"details":{"note":"renvoi: il est hospitalisé"},"by":"` + by + `"}`,
			collection.LegalStepRecorded{ID: id, ProcedureID: other, StepID: by, Seq: 1, Step: "filed", On: due,
				Details: collection.LegalStepDetails{Note: "renvoi: il est hospitalisé"}, By: by},
			collection.LegalStepRecorded{ID: id, ProcedureID: other, StepID: by, Seq: 1, Step: "filed", On: due, By: by,
				Personal: collection.Sealed{1, 2}}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			t.Parallel()
			got, err := reg.Decode(tc.typ, 1, json.RawMessage(tc.v1), nil)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("v1 = %#v, %v; want %#v", got, err, tc.want)
			}
			if _, isEvent := tc.want.(collection.Event); !isEvent {
				env := &events.CommandEnvelope{Type: tc.typ, V: 1, Data: json.RawMessage(tc.v1),
					Aggregate: events.AggregateRef{Type: collection.DebtAggregate, ID: id}}
				if got, err := reg.DecodeCommand(env); err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Errorf("v1 command = %#v, %v", got, err)
				}
			}
			typ, v, data, err := reg.Encode(tc.sealed)
			if err != nil || typ != tc.typ || v != 2 {
				t.Fatalf("Encode = %s v%d, %v; want %s v2", typ, v, err, tc.typ)
			}
			for _, field := range []string{`"description":`, `"note":`, `"summary":`, `"title":`} {
				if strings.Contains(string(data), field) {
					t.Errorf("v2 data carries %s: %s", field, data)
				}
			}
			back, err := reg.Decode(tc.typ, 2, data, personalOf(tc.sealed))
			if err != nil || !reflect.DeepEqual(back, tc.sealed) {
				t.Errorf("v2 round trip = %#v, %v; want %#v", back, err, tc.sealed)
			}
		})
	}
}
