package collection_test

import (
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/collection"
)

const debtorID = "0193a1b2-0000-7000-8000-000000000002"

var (
	sealedDebtor = collection.Sealed("sealed debtor personal part")

	debtorProfile = collection.DebtorProfile{
		Kind: collection.DebtorPerson, Wilaya: 19, PreferredChannel: "sms", Language: "ar",
	}
	registerDebtor = collection.RegisterDebtor{
		ID: debtorID, Ref: "D-7KQ2M9", Profile: debtorProfile, Personal: sealedDebtor,
	}
	debtorRegistered = collection.DebtorRegistered(registerDebtor)
	debtorUpdated    = collection.DebtorUpdated{ID: debtorID, Changes: collection.DebtorChanges{Language: ptr("fr")}}
	debtorArchived   = collection.DebtorArchived{ID: debtorID, Reason: "duplicate record"}
	debtorErased     = collection.DebtorErased{ID: debtorID, Reason: "request of 2025-05-02 by registered letter, file DP-2025-014"}
)

func TestDebtorDecide(t *testing.T) {
	t.Parallel()
	active := []collection.Event{debtorRegistered}
	archived := []collection.Event{debtorRegistered, debtorArchived}
	erased := []collection.Event{debtorRegistered, debtorArchived, debtorErased}

	withProfile := func(change func(*collection.DebtorProfile)) collection.RegisterDebtor {
		c := registerDebtor
		change(&c.Profile)
		return c
	}
	company := withProfile(func(p *collection.DebtorProfile) {
		*p = collection.DebtorProfile{Kind: collection.DebtorCompany, Wilaya: 69, PreferredChannel: "email", Language: "fr"}
	})
	update := func(c collection.DebtorChanges, fields ...string) collection.UpdateDebtor {
		u := collection.UpdateDebtor{ID: debtorID, Changes: c, PersonalFields: fields}
		if len(fields) > 0 {
			u.Personal = collection.Sealed("sealed changed fields")
		}
		return u
	}
	validUpdate := update(collection.DebtorChanges{Wilaya: ptr(64), PreferredChannel: ptr("none")}, "phones", "address")
	personalOnly := update(collection.DebtorChanges{}, "full_name")
	archive := collection.ArchiveDebtor{ID: debtorID, Reason: "duplicate record"}
	erase := func(reason string) collection.EraseDebtor {
		return collection.EraseDebtor{ID: debtorID, Reason: reason}
	}
	erasure := erase(debtorErased.Reason)

	runDecider(t, collection.DebtorAggregate, debtorID, []deciderCase{
		// register
		{name: "register a person on new", cmd: registerDebtor, want: []collection.Event{debtorRegistered}},
		{name: "register a company on new", expect: version(0), cmd: company, want: []collection.Event{collection.DebtorRegistered(company)}},
		{name: "register on existing", history: active, cmd: registerDebtor, code: collection.CodeAlreadyExists},
		{name: "register on archived", history: archived, cmd: company, code: collection.CodeAlreadyExists},
		{name: "register with an unknown kind", cmd: withProfile(func(p *collection.DebtorProfile) { p.Kind = "robot" }),
			code: collection.CodeInvalid, fields: []string{"kind"}},
		{name: "register with no wilaya", cmd: withProfile(func(p *collection.DebtorProfile) { p.Wilaya = 0 }),
			code: collection.CodeInvalid, fields: []string{"wilaya"}},
		{name: "register with an empty profile", cmd: withProfile(func(p *collection.DebtorProfile) { *p = collection.DebtorProfile{} }),
			code: collection.CodeInvalid, fields: []string{"kind", "wilaya", "preferred_channel", "language"}},
		{name: "register with an unknown channel and language", cmd: withProfile(func(p *collection.DebtorProfile) {
			p.PreferredChannel, p.Language = "fax", "de"
		}), code: collection.CodeInvalid, fields: []string{"preferred_channel", "language"}},
		{name: "register without personal part", cmd: func() collection.RegisterDebtor {
			c := registerDebtor
			c.Personal = collection.Sealed{}
			return c
		}(), code: collection.CodeInvalid},

		// update
		{name: "update on missing", cmd: validUpdate, code: collection.CodeNotFound},
		{name: "update on archived", history: archived, cmd: validUpdate, code: collection.CodeArchived},
		{name: "update", history: active, cmd: validUpdate, want: []collection.Event{collection.DebtorUpdated(validUpdate)}},
		{name: "update personal fields only", history: active, cmd: personalOnly, want: []collection.Event{collection.DebtorUpdated(personalOnly)}},
		{name: "update with nothing", history: active, cmd: update(collection.DebtorChanges{}), code: collection.CodeNoChange},
		{name: "update naming personal fields without sealed values", history: active,
			cmd:  collection.UpdateDebtor{ID: debtorID, Changes: collection.DebtorChanges{Language: ptr("en")}, PersonalFields: []string{"nin"}},
			code: collection.CodeInvalid},
		{name: "update naming an unknown personal field", history: active,
			cmd: update(collection.DebtorChanges{}, "contact_name"), code: collection.CodeInvalid, fields: []string{"personal_fields[0]"}},
		{name: "update invalid wilaya", history: active, cmd: update(collection.DebtorChanges{Wilaya: ptr(70)}),
			code: collection.CodeInvalid, fields: []string{"wilaya"}},
		{name: "update invalid channel and language", history: active,
			cmd:  update(collection.DebtorChanges{PreferredChannel: ptr(""), Language: ptr("kab")}),
			code: collection.CodeInvalid, fields: []string{"preferred_channel", "language"}},

		// archive
		{name: "archive on missing", cmd: archive, code: collection.CodeNotFound},
		{name: "archive on archived", history: archived, cmd: archive, code: collection.CodeArchived},
		{name: "archive", history: active, cmd: archive, want: []collection.Event{collection.DebtorArchived(archive)}},
		{name: "archive on erased", history: erased, cmd: archive, code: collection.CodeArchived},

		// erase
		{name: "erase on missing", cmd: erasure, code: collection.CodeNotFound},
		{name: "erase on active", history: active, cmd: erasure, code: collection.CodeWrongStatus, reason: "is active"},
		{name: "erase on updated and active", history: []collection.Event{debtorRegistered, debtorUpdated}, cmd: erasure,
			code: collection.CodeWrongStatus, reason: "archive it first"},
		{name: "erase", history: archived, cmd: erasure, want: []collection.Event{debtorErased}},
		{name: "erase twice", history: erased, cmd: erasure, code: collection.CodeWrongStatus, reason: "already erased"},
		{name: "erase without a reason", history: archived, cmd: erase(""), code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "erase with a blank reason", history: archived, cmd: erase(" \n\t"), code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "erase with a reason too long", history: archived, cmd: erase(strings.Repeat("é", collection.MaxReasonLength+1)),
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "erase with the longest reason", history: archived, cmd: erase(strings.Repeat("é", collection.MaxReasonLength)),
			want: []collection.Event{collection.DebtorErased(erase(strings.Repeat("é", collection.MaxReasonLength)))}},
		{name: "erase with a one-letter reason", history: archived, cmd: erase("x"),
			want: []collection.Event{collection.DebtorErased(erase("x"))}},
		{name: "erase with a bidi override in the reason", history: archived, cmd: erase("file \u202eDP-2025"),
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "erase active without a reason: the status first", history: active, cmd: erase(""),
			code: collection.CodeWrongStatus, reason: "is active"},
		{name: "erase twice without a reason: the status first", history: erased, cmd: erase(""),
			code: collection.CodeWrongStatus, reason: "already erased"},
		{name: "update on erased", history: erased, cmd: validUpdate, code: collection.CodeArchived},

		// optimistic concurrency
		{name: "update expecting the current version", history: []collection.Event{debtorRegistered, debtorUpdated}, expect: version(2),
			cmd: validUpdate, want: []collection.Event{collection.DebtorUpdated(validUpdate)}},
		{name: "update expecting an old version", history: []collection.Event{debtorRegistered, debtorUpdated}, expect: version(1),
			cmd: validUpdate, code: collection.CodeVersionConflict},
		{name: "register expecting version 1", expect: version(1), cmd: registerDebtor, code: collection.CodeVersionConflict},
		{name: "archive expecting the current version", history: active, expect: version(1), cmd: archive,
			want: []collection.Event{collection.DebtorArchived(archive)}},
		{name: "erase expecting the current version", history: archived, expect: version(2), cmd: erasure,
			want: []collection.Event{debtorErased}},
		{name: "erase expecting an old version", history: archived, expect: version(1), cmd: erasure,
			code: collection.CodeVersionConflict},

		// misrouted
		{name: "creditor command", history: active, cmd: collection.UpdateCreditor{ID: debtorID}, plain: true},
		{name: "unknown debtor command", history: active, cmd: strayDebtorCommand{}, plain: true},
	})
}

type strayDebtorCommand struct{}

func (strayDebtorCommand) CommandType() string                 { return "debtor.merge" }
func (strayDebtorCommand) Aggregate() collection.AggregateType { return collection.DebtorAggregate }

func TestDebtorEvolve(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtorAggregate)
	companyRegistered := debtorRegistered
	companyRegistered.Profile.Kind = collection.DebtorCompany
	for _, tc := range []struct {
		name    string
		events  []collection.Event
		version int64
		status  string
		kind    string
		erased  bool
	}{
		{"new", nil, 0, "", "", false},
		{"person registered", []collection.Event{debtorRegistered}, 1, collection.StatusActive, collection.DebtorPerson, false},
		{"company registered", []collection.Event{companyRegistered}, 1, collection.StatusActive, collection.DebtorCompany, false},
		{"updated", []collection.Event{debtorRegistered, debtorUpdated}, 2, collection.StatusActive, collection.DebtorPerson, false},
		{"archived", []collection.Event{debtorRegistered, debtorUpdated, debtorArchived}, 3, collection.StatusArchived, collection.DebtorPerson, false},
		{"erased", []collection.Event{debtorRegistered, debtorArchived, debtorErased}, 3, collection.StatusArchived, collection.DebtorPerson, true},
	} {
		s := collection.Fold(b, b.New(debtorID), tc.events...).(collection.DebtorState)
		if s.Version() != tc.version || s.Status != tc.status || s.Kind != tc.kind || s.Erased != tc.erased || s.ID != debtorID {
			t.Errorf("%s: state %+v (version %d), want status %q kind %q erased %v version %d",
				tc.name, s, s.Version(), tc.status, tc.kind, tc.erased, tc.version)
		}
	}
}
