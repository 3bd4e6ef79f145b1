package importcsv

import (
	"strings"
	"sync"

	"github.com/adc-dz/tahsil/collection"
)

// Canonical field names. A header cell is mapped to one of these by
// MatchHeader; they are also the keys of Row.Values.
const (
	FieldExternalRef     = "external_ref"
	FieldType            = "type"
	FieldPrincipal       = "principal"
	FieldFees            = "fees"
	FieldCurrency        = "currency"
	FieldAcknowledgedOn  = "acknowledged_on"
	FieldOriginalDueOn   = "original_due_on"
	FieldDescription     = "description"
	FieldDebtorKind      = "debtor_kind"
	FieldDebtorFullName  = "debtor_full_name"
	FieldDebtorNIN       = "debtor_nin"
	FieldDebtorNIF       = "debtor_nif"
	FieldDebtorRC        = "debtor_rc"
	FieldDebtorPhone     = "debtor_phone"
	FieldDebtorEmail     = "debtor_email"
	FieldDebtorAddress   = "debtor_address"
	FieldDebtorWilaya    = "debtor_wilaya"
	FieldDebtorLanguage  = "debtor_language"
	identifierFieldsText = "debtor_nin, debtor_nif or debtor_phone"
)

// FieldInfo documents one field of the import format, for the API
// documentation and the creditor portal's help page.
type FieldInfo struct {
	// Name is the canonical name, which is always accepted as a header.
	Name string `json:"name"`
	// Required fields need a column and a value on every row.
	Required bool `json:"required"`
	// Identifier fields (debtor_nin, debtor_nif, debtor_phone): at least
	// one of their columns must be present, and every row must fill at
	// least one of them.
	Identifier bool `json:"identifier"`
	// Format says how a value is written.
	Format string `json:"format"`
	// Aliases are the other header names read as this field (French,
	// English, Arabic). Case, accents, Arabic diacritics and hamza forms,
	// spaces, underscores, hyphens and other punctuation are ignored, so
	// "Date d'échéance", "DATE_ECHEANCE" and "date-echeance" are one name.
	Aliases []string `json:"aliases"`
}

// fields is the import format, in the order of the documentation.
var fields = [...]FieldInfo{
	{
		Name: FieldExternalRef, Required: true,
		Format: "the creditor's own reference of the debt (file, invoice, contract or cheque number), unique in the file; at most 64 characters on one line",
		Aliases: []string{
			"reference", "référence", "ref", "réf", "ref_client", "référence client", "reference_externe",
			"ref_externe", "numero_dossier", "numéro de dossier", "n° dossier", "num_dossier", "no_dossier", "dossier",
			"numero_facture", "n° facture", "external_reference", "client_reference", "case_number", "file_number",
			"invoice_number",
			"المرجع", "مرجع", "رقم الملف", "رقم المرجع",
		},
	},
	{
		Name: FieldType,
		Format: "what the debt arises from: commercial, personal, utility, loan, rent, cheque or other, " +
			"also in French, English or Arabic words (facture, loyer, prêt, crédit, chèque impayé, électricité, autre, قرض, إيجار, شيك…)",
		Aliases: []string{"nature", "type_creance", "type de créance", "nature_creance", "nature de la créance", "debt_type", "نوع الدين", "النوع", "طبيعة الدين"},
	},
	{
		Name: FieldPrincipal, Required: true,
		Format: "amount due in DZD, more than 0, with at most 2 decimals: 12500, 12 500,50, 12.500,50, 12,500.50, 12500.5, 12 500 DA; " +
			"a single separator followed by exactly 3 digits (12.500) is refused as ambiguous",
		Aliases: []string{
			"montant", "montant_principal", "montant principal", "montant (DA)", "montant (DZD)", "montant_da",
			"montant dû", "montant_du", "somme", "somme due", "capital", "amount", "principal_amount", "amount_due",
			"المبلغ", "المبلغ الأصلي", "المبلغ المستحق", "مبلغ الدين",
		},
	},
	{
		Name:    FieldFees,
		Format:  "fees in DZD, 0 or more, written like principal; empty means none; principal and fees together at most 10000000000000.00 DZD",
		Aliases: []string{"frais", "frais annexes", "frais (DA)", "frais_recouvrement", "charges", "fee", "الرسوم", "المصاريف"},
	},
	{
		Name:    FieldCurrency,
		Format:  "DZD (also DA, دج, د.ج); empty means DZD, no other currency is accepted",
		Aliases: []string{"devise", "monnaie", "العملة"},
	},
	{
		Name:   FieldAcknowledgedOn,
		Format: "date the debtor acknowledged the debt: 2026-03-31, 31/03/2026, 31-03-2026 or 31.03.2026 (day first)",
		Aliases: []string{
			"date_reconnaissance", "date de reconnaissance", "reconnaissance", "date_empreinte", "acknowledgement_date",
			"acknowledgment_date", "acknowledged", "تاريخ البصمة", "تاريخ الاعتراف",
		},
	},
	{
		Name: FieldOriginalDueOn, Required: true,
		Format: "date the debt fell due, written like acknowledged_on",
		Aliases: []string{
			"date_echeance", "date d'échéance", "échéance", "échéance initiale", "date_exigibilite", "date d'exigibilité",
			"due_date", "due_on", "date due",
			"تاريخ الاستحقاق", "تاريخ الاستحقاق الأصلي", "الاستحقاق",
		},
	},
	{
		Name:    FieldDescription,
		Format:  "free text, line breaks kept; at most 2000 characters",
		Aliases: []string{"libellé", "objet", "motif", "designation", "désignation", "commentaire", "observation", "observations", "remarque", "notes", "الوصف", "البيان", "ملاحظات"},
	},
	{
		Name:   FieldDebtorKind,
		Format: "person or company (also personne, physique, particulier / entreprise, société, morale, شخص / شركة); empty: company when an RC, or a NIF without a NIN, is given, else person",
		Aliases: []string{
			"kind", "debtor_type", "type_debiteur", "type de débiteur", "nature_debiteur", "type_personne",
			"catégorie", "صفة المدين", "نوع المدين",
		},
	},
	{
		Name: FieldDebtorFullName, Required: true,
		Format: "a person's name or a company name, in Arabic or Latin script",
		Aliases: []string{
			"nom", "nom_complet", "nom complet", "nom et prénom", "nom_prenom", "nom prénom", "prénom et nom",
			"débiteur", "nom_debiteur", "nom du débiteur", "raison_sociale", "raison sociale", "full_name", "name",
			"debtor", "debtor_name", "customer_name",
			"الاسم", "الاسم الكامل", "الاسم واللقب", "اللقب والاسم", "المدين", "اسم المدين",
		},
	},
	{
		Name: FieldDebtorNIN, Identifier: true,
		Format: "national identification number: 18 digits (persons only)",
		Aliases: []string{
			"nin", "numero_identification_national", "numéro d'identification nationale", "numero_identification_nationale",
			"nni", "national_id", "رقم التعريف الوطني", "رقم التعريف الوطني الوحيد",
		},
	},
	{
		Name: FieldDebtorNIF, Identifier: true,
		Format: "tax identification number: 15 digits, 20 for an establishment",
		Aliases: []string{
			"nif", "numero_identification_fiscale", "numéro d'identification fiscale", "tax_id",
			"رقم التعريف الجبائي", "رقم التعريف الضريبي",
		},
	},
	{
		Name:    FieldDebtorRC,
		Format:  "commercial register number, as written (companies only); at most 40 characters",
		Aliases: []string{"rc", "registre_commerce", "registre du commerce", "numero_rc", "n° rc", "commercial_register", "السجل التجاري", "رقم السجل التجاري"},
	},
	{
		Name: FieldDebtorPhone, Identifier: true,
		Format: "Algerian mobile numbers (05, 06, 07), one or several (at most 5) separated by / , or ; — 0550 12 34 56, +213 550 12 34 56",
		Aliases: []string{
			"phone", "phones", "telephone", "téléphone", "tel", "tél", "mobile", "portable", "gsm", "numero_telephone",
			"numéro de téléphone", "mobile_phone", "الهاتف", "رقم الهاتف", "الجوال", "النقال", "الهاتف النقال",
		},
	},
	{
		Name:    FieldDebtorEmail,
		Format:  "e-mail address, name@example.dz",
		Aliases: []string{"email", "e-mail", "mail", "courriel", "adresse_email", "adresse e-mail", "البريد الإلكتروني", "البريد"},
	},
	{
		Name:    FieldDebtorAddress,
		Format:  "postal address, free text; at most 500 characters",
		Aliases: []string{"address", "adresse", "adresse postale", "domicile", "العنوان"},
	},
	{
		Name:    FieldDebtorWilaya,
		Format:  "wilaya code (16), code and name (16 - Alger) or name in French or Arabic (Alger, الجزائر)",
		Aliases: []string{"wilaya", "code_wilaya", "province", "الولاية"},
	},
	{
		Name:    FieldDebtorLanguage,
		Format:  "language of the reminders: ar, fr or en (also arabe, français, anglais, العربية…); empty means ar",
		Aliases: []string{"language", "langue", "lang", "اللغة"},
	},
}

// Fields returns the fields of the import format in documentation order,
// with their aliases. The slice is a copy.
func Fields() []FieldInfo {
	out := make([]FieldInfo, len(fields))
	for i, f := range fields {
		f.Aliases = append([]string(nil), f.Aliases...)
		out[i] = f
	}
	return out
}

// MatchHeader returns the canonical field that a header cell names, or
// false when it names none. See FieldInfo.Aliases for what is ignored.
func MatchHeader(name string) (string, bool) {
	f, ok := headerIndex()[foldHeader(name)]
	return f, ok
}

// headerIndex maps every folded name and alias to its field. Two fields
// sharing a folded alias is a bug caught by TestAliasesAreUnambiguous,
// which rebuilds the index itself.
var headerIndex = sync.OnceValue(func() map[string]string {
	idx := make(map[string]string)
	for _, f := range fields {
		idx[foldHeader(f.Name)] = f.Name
		for _, a := range f.Aliases {
			idx[foldHeader(a)] = f.Name
		}
	}
	return idx
})

// foldHeader reduces a header name to what is compared: the search
// folding of the domain (case, accents, Arabic hamza forms and
// diacritics, Arabic-Indic digits) without any space or punctuation.
func foldHeader(s string) string {
	return strings.ReplaceAll(collection.SearchText(s), " ", "")
}

func fieldInfo(name string) FieldInfo {
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	return FieldInfo{Name: name}
}
