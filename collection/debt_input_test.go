package collection_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

func validDebt() collection.DebtInput {
	return collection.DebtInput{
		CreditorID: creditorID, DebtorID: debtorID, ExternalRef: "FAC-2025/0042", Type: "commercial",
		Principal: 1_000_000, Fees: 50_000, Currency: "DZD", AcknowledgedOn: "2025-01-12", OriginalDueOn: "2025-03-31",
		Description: "Facture impayée",
	}
}

func TestDebtInputValid(t *testing.T) {
	t.Parallel()
	got, text, err := validDebt().Validate()
	if err != nil {
		t.Fatal(err)
	}
	want := collection.OpenDebt{
		CreditorID: creditorID, DebtorID: debtorID, ExternalRef: "FAC-2025/0042", Type: collection.DebtTypeCommercial,
		Principal: 1_000_000, Fees: 50_000, Currency: "DZD", AcknowledgedOn: collection.DateOf(2025, time.January, 12),
		OriginalDueOn: collection.DateOf(2025, time.March, 31),
	}
	if !reflect.DeepEqual(got, want) || text != (collection.DebtPersonal{Description: "Facture impayée"}) {
		t.Errorf("Validate() =\n%+v, %+v\nwant\n%+v and the description apart", got, text, want)
	}
	// What Validate returns, with its id, ref, author and sealed
	// description, the decider accepts.
	got.ID, got.Ref, got.By, got.Personal = debtID, "F-7KQ2M9", debtMaker, sealedText
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	if _, err := collection.Handle(b, b.New(debtID), 0, got); err != nil {
		t.Errorf("the decider refused a validated debt: %v", err)
	}
}

func TestDebtInputNormalizes(t *testing.T) {
	t.Parallel()
	in := collection.DebtInput{
		CreditorID: "  " + strings.ToUpper(creditorID) + " ", DebtorID: strings.ToUpper(debtorID),
		ExternalRef: "  FAC   2025\t42 ", Type: " Rent ", Principal: 1, OriginalDueOn: " 2025-03-31 ",
		Description: "  Loyer de mars\r\nappartement F3\r  ",
	}
	got, text, err := in.Validate()
	if err != nil {
		t.Fatal(err)
	}
	want := collection.OpenDebt{
		CreditorID: creditorID, DebtorID: debtorID, ExternalRef: "FAC 2025 42", Type: collection.DebtTypeRent,
		Principal: 1, Currency: "DZD", OriginalDueOn: collection.DateOf(2025, time.March, 31),
	}
	if !reflect.DeepEqual(got, want) || text.Description != "Loyer de mars\nappartement F3" {
		t.Errorf("Validate() =\n%+v, %+v\nwant\n%+v", got, text, want)
	}
}

func TestDebtInputInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*collection.DebtInput)
		want   map[string]string
	}{
		{"nothing", func(in *collection.DebtInput) { *in = collection.DebtInput{} }, map[string]string{
			"creditor_id": "is required", "debtor_id": "is required", "external_ref": "is required",
			"type": "is required", "principal": "more than 0", "original_due_on": "is required",
		}},
		{"malformed ids", func(in *collection.DebtInput) { in.CreditorID, in.DebtorID = "C-7KQ2M9", "{"+debtorID+"}" },
			map[string]string{"creditor_id": "canonical", "debtor_id": "canonical"}},
		{"an unknown type", func(in *collection.DebtInput) { in.Type = "invoice" }, map[string]string{"type": "must be one of"}},
		{"a negative principal", func(in *collection.DebtInput) { in.Principal = -100 }, map[string]string{"principal": "more than 0"}},
		{"negative fees", func(in *collection.DebtInput) { in.Fees = -1 }, map[string]string{"fees": "negative"}},
		{"too much", func(in *collection.DebtInput) { in.Principal = collection.MaxDebtAmount }, map[string]string{"fees": "together"}},
		{"euros", func(in *collection.DebtInput) { in.Currency = "eur" }, map[string]string{"currency": "DZD"}},
		{"dates written otherwise", func(in *collection.DebtInput) { in.AcknowledgedOn, in.OriginalDueOn = "12/01/2025", "2025-02-30" },
			map[string]string{"acknowledged_on": "YYYY-MM-DD", "original_due_on": "YYYY-MM-DD"}},
		{"a long external_ref", func(in *collection.DebtInput) { in.ExternalRef = strings.Repeat("x", 65) },
			map[string]string{"external_ref": "too long"}},
		{"an external_ref with a control character", func(in *collection.DebtInput) { in.ExternalRef = "FAC\x07" },
			map[string]string{"external_ref": "control"}},
		{"a long description", func(in *collection.DebtInput) { in.Description = strings.Repeat("é", 2001) },
			map[string]string{"description": "too long"}},
		{"a description with a bidi override", func(in *collection.DebtInput) { in.Description = "ok \u202e" },
			map[string]string{"description": "invisible"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := validDebt()
			tc.change(&in)
			got, text, err := in.Validate()
			wantFields(t, err, tc.want)
			if err != nil && (!reflect.DeepEqual(got, collection.OpenDebt{}) || !text.IsZero()) {
				t.Errorf("an invalid input returned %+v, %+v", got, text)
			}
		})
	}
}

func TestDebtInputJSON(t *testing.T) {
	t.Parallel()
	var in collection.DebtInput
	body := `{"creditor_id":"` + creditorID + `","debtor_id":"` + debtorID + `","external_ref":"CHQ 0012345","type":"cheque",` +
		`"principal":12345678,"fees":0,"acknowledged_on":"","original_due_on":"2025-03-31","description":""}`
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	c, text, err := in.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if c.Currency != "DZD" || c.Principal != 12_345_678 || !c.AcknowledgedOn.IsZero() || c.Type != "cheque" || !text.IsZero() {
		t.Errorf("Validate() = %+v, %+v", c, text)
	}
}

func TestPaymentInput(t *testing.T) {
	t.Parallel()
	today := collection.DateOf(2025, time.April, 10)
	valid := collection.PaymentInput{Amount: 250_000, ValueDate: "2025-04-10", Method: " Cheque ",
		Reference: " CHQ  0012345 ", Note: " remis à l'agence\r\nd'Oran ", Overpayment: true}
	got, text, err := valid.Validate(today)
	if err != nil {
		t.Fatal(err)
	}
	want := collection.RecordPayment{Amount: 250_000, ValueDate: today, Method: "cheque", Reference: "CHQ 0012345",
		Overpayment: true}
	if !reflect.DeepEqual(got, want) || text != (collection.DebtPersonal{Note: "remis à l'agence\nd'Oran"}) {
		t.Errorf("Validate() =\n%+v, %+v\nwant\n%+v and the note apart", got, text, want)
	}
	// Backdated is fine; cash needs no reference.
	if got, text, err := (collection.PaymentInput{Amount: 1, ValueDate: "2019-01-01", Method: "cash"}).Validate(today); err != nil ||
		got.Reference != "" || !got.ValueDate.Equal(collection.DateOf(2019, time.January, 1)) || !text.IsZero() {
		t.Errorf("backdated cash: %+v, %+v, %v", got, text, err)
	}

	for _, tc := range []struct {
		name string
		in   collection.PaymentInput
		want map[string]string
	}{
		{"nothing", collection.PaymentInput{}, map[string]string{
			"amount": "more than 0", "value_date": "is required", "method": "is required"}},
		{"tomorrow", collection.PaymentInput{Amount: 1, ValueDate: "2025-04-11", Method: "cash"},
			map[string]string{"value_date": "in the future"}},
		{"a date written otherwise", collection.PaymentInput{Amount: 1, ValueDate: "10/04/2025", Method: "cash"},
			map[string]string{"value_date": "YYYY-MM-DD"}},
		{"a transfer without reference", collection.PaymentInput{Amount: 1, ValueDate: "2025-04-01", Method: "bank_transfer", Reference: "  "},
			map[string]string{"reference": "is required"}},
		{"an unknown method", collection.PaymentInput{Amount: 1, ValueDate: "2025-04-01", Method: "paypal"},
			map[string]string{"method": "must be one of"}},
		{"a long reference and note", collection.PaymentInput{Amount: 1, ValueDate: "2025-04-01", Method: "ccp",
			Reference: strings.Repeat("1", 65), Note: strings.Repeat("n", 501)},
			map[string]string{"reference": "too long", "note": "too long"}},
		{"a negative amount", collection.PaymentInput{Amount: -5, ValueDate: "2025-04-01", Method: "other"},
			map[string]string{"amount": "more than 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := tc.in.Validate(today)
			wantFields(t, err, tc.want)
		})
	}

	if _, _, err := valid.Validate(collection.Date{}); err == nil {
		t.Error("Validate without today's date accepted the payment")
	} else if _, ok := collection.AsRejection(err); ok {
		t.Errorf("Validate without today's date is the caller's bug, not a rejection: %v", err)
	}
}
