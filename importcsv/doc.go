// Package importcsv reads a creditor's debt file for bulk import: one debt
// and its debtor per row. It is pure: it parses and checks, and leaves
// registering debtors and posting debts to its caller (no database, no
// Kafka).
//
// # The file
//
// CSV (RFC 4180) in UTF-8, with or without a BOM, as "CSV UTF-8" in Excel
// or LibreOffice saves it. The delimiter (comma, semicolon, pipe or tab)
// is detected from the header line: the one that splits it into the most
// known field names; Excel's "sep=;" first line is honoured. A value that
// contains the delimiter, a double quote or a line break is quoted, a
// quote inside doubled. Spaces around values are ignored, and so are
// lines without any value. The first non-empty line is the header. Files
// in a Windows code page (1252, 1256), UTF-16 and workbooks are refused
// with a message saying how to save them. Read refuses files over
// Options.MaxBytes (50 MiB) and over Options.MaxRows rows (100,000).
//
// # The columns
//
// Each header cell names a field, by its canonical name or an alias in
// French, English or Arabic. Case, accents, Arabic diacritics and hamza
// forms, spaces, underscores, hyphens and punctuation do not matter:
// "Date d'échéance", "DATE_ECHEANCE" and "تاريخ الاستحقاق" all name
// original_due_on. Fields lists every field with its aliases and format,
// for the API documentation; MatchHeader maps one header cell.
//
//	field             required  value
//	external_ref      yes       creditor's reference (file or invoice number), unique in the file
//	type                        commercial, personal, utility, loan, rent, cheque, other (facture, loyer, prêt…)
//	principal         yes       amount in DZD > 0: 12500, 12 500,50, 12.500,50, 12,500.50, 12500.5, 12 500 DA
//	fees                        amount in DZD ≥ 0, written like principal
//	currency                    DZD (DA, دج); empty means DZD
//	acknowledged_on             date: 2026-03-31, 31/03/2026, 31-03-2026, 31.03.2026 (day first)
//	original_due_on   yes       date, as acknowledged_on
//	description                 free text, line breaks kept
//	debtor_kind                 person or company (personne/entreprise, شخص/شركة); inferred when empty
//	debtor_full_name  yes       a person's or a company's name, Arabic or Latin script
//	debtor_nin        one of    18 digits (persons only)
//	debtor_nif        one of    15 or 20 digits
//	debtor_rc                   commercial register, free text (companies only)
//	debtor_phone      one of    mobile numbers, several separated by / , or ;
//	debtor_email                e-mail address
//	debtor_address              postal address
//	debtor_wilaya               code (16), code and name (16 - Alger) or name (Alger, الجزائر)
//	debtor_language             ar, fr or en (arabe, français, anglais…)
//
// "one of": the header has at least one of these columns, and each row
// fills at least one of them. A column that names no field refuses the
// file, unless Options.IgnoreUnknown; so does a field named twice, or a
// required column missing. All header problems are reported at once in a
// *FileError.
//
// # Values
//
// Amounts become int64 centimes, exactly, without floating point; a
// single separator followed by three digits ("12.500") is refused as
// ambiguous rather than guessed. Dates become YYYY-MM-DD, day first as in
// Algeria, impossible dates refused. Arabic-Indic digits (٠-٩) are read
// in amounts, dates, phones, NIN, NIF and wilaya codes. Identifiers,
// phones, e-mail and names are checked by the domain's validators
// (collection.ValidateNIN, NormalizeMobile, ValidatePersonName, …), so an
// import report gives the same reasons as the API.
//
// Every problem of a row is a CellError with its physical line and
// 1-based column; a row with errors is still returned, with its valid
// values, so that the whole file is reported in one pass. Reasons never
// repeat the value: values are personal data.
package importcsv
