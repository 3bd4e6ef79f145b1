package importcsv

import (
	"testing"
)

func TestAliasesAreUnambiguous(t *testing.T) {
	t.Parallel()
	owner := map[string]string{}
	for _, f := range Fields() {
		if f.Format == "" {
			t.Errorf("%s has no format", f.Name)
		}
		for _, a := range append([]string{f.Name}, f.Aliases...) {
			k := foldHeader(a)
			if k == "" {
				t.Errorf("%s: alias %q folds to nothing", f.Name, a)
			}
			if o, dup := owner[k]; dup && o != f.Name {
				t.Errorf("alias %q names both %s and %s", a, o, f.Name)
			}
			owner[k] = f.Name
		}
	}
}

func TestMatchHeader(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		// canonical names, any case and separator
		"external_ref": FieldExternalRef, "EXTERNAL-REF": FieldExternalRef, "External Ref": FieldExternalRef,
		"debtor_full_name": FieldDebtorFullName, "Debtor Full Name": FieldDebtorFullName,
		// external_ref
		"référence": FieldExternalRef, "Reference": FieldExternalRef, "ref_client": FieldExternalRef,
		"numero_dossier": FieldExternalRef, "Numéro de dossier": FieldExternalRef, "N° dossier": FieldExternalRef,
		"المرجع": FieldExternalRef,
		// principal
		"montant": FieldPrincipal, "Montant_Principal": FieldPrincipal, "principal": FieldPrincipal,
		"amount": FieldPrincipal, "Montant (DA)": FieldPrincipal, "Montant dû": FieldPrincipal, "المبلغ": FieldPrincipal,
		// fees
		"frais": FieldFees, "Fees": FieldFees,
		// dates
		"date_echeance": FieldOriginalDueOn, "échéance": FieldOriginalDueOn, "Date d'échéance": FieldOriginalDueOn,
		"due_date": FieldOriginalDueOn, "تاريخ الاستحقاق": FieldOriginalDueOn,
		"date_reconnaissance": FieldAcknowledgedOn, "acknowledged_on": FieldAcknowledgedOn, "تاريخ البصمة": FieldAcknowledgedOn,
		// debtor
		"nom": FieldDebtorFullName, "nom_complet": FieldDebtorFullName, "débiteur": FieldDebtorFullName,
		"full_name": FieldDebtorFullName, "name": FieldDebtorFullName, "Raison sociale": FieldDebtorFullName,
		"الاسم": FieldDebtorFullName, "الإسم": FieldDebtorFullName, // hamza forms fold together
		"nin": FieldDebtorNIN, "numero_identification_national": FieldDebtorNIN, "رقم التعريف الوطني": FieldDebtorNIN,
		"nif": FieldDebtorNIF, "rc": FieldDebtorRC, "registre_commerce": FieldDebtorRC, "Registre du commerce": FieldDebtorRC,
		"telephone": FieldDebtorPhone, "téléphone": FieldDebtorPhone, "tel": FieldDebtorPhone, "Tél.": FieldDebtorPhone,
		"mobile": FieldDebtorPhone, "phone": FieldDebtorPhone, "الهاتف": FieldDebtorPhone,
		"email": FieldDebtorEmail, "e-mail": FieldDebtorEmail, "E-Mail": FieldDebtorEmail, "courriel": FieldDebtorEmail,
		"adresse": FieldDebtorAddress, "address": FieldDebtorAddress,
		"wilaya": FieldDebtorWilaya, "الولاية": FieldDebtorWilaya,
		"type": FieldType, "nature": FieldType,
		"langue": FieldDebtorLanguage, "language": FieldDebtorLanguage,
		"devise": FieldCurrency, "kind": FieldDebtorKind, "libellé": FieldDescription,
	}
	for name, want := range cases {
		if got, ok := MatchHeader(name); !ok || got != want {
			t.Errorf("MatchHeader(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "couleur", "montant total ttc", "  ", "nom2"} {
		if got, ok := MatchHeader(name); ok {
			t.Errorf("MatchHeader(%q) = %q, want no field", name, got)
		}
	}
}

func TestFieldsIsACopy(t *testing.T) {
	t.Parallel()
	a := Fields()
	if len(a) != 18 {
		t.Fatalf("%d fields", len(a))
	}
	a[0].Name = "changed"
	a[0].Aliases[0] = "changed"
	b := Fields()
	if b[0].Name != FieldExternalRef || b[0].Aliases[0] == "changed" {
		t.Error("Fields shares its table")
	}
	var required, identifiers []string
	for _, f := range b {
		if f.Required {
			required = append(required, f.Name)
		}
		if f.Identifier {
			identifiers = append(identifiers, f.Name)
		}
	}
	if want := []string{FieldExternalRef, FieldPrincipal, FieldOriginalDueOn, FieldDebtorFullName}; !equal(required, want) {
		t.Errorf("required %v", required)
	}
	if want := []string{FieldDebtorNIN, FieldDebtorNIF, FieldDebtorPhone}; !equal(identifiers, want) {
		t.Errorf("identifiers %v", identifiers)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
