package collection_test

import (
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/collection"
)

const creditorID = "0193a1b2-0000-7000-8000-000000000001"

var (
	sealedCreditor = collection.Sealed("sealed creditor personal part")

	creditorProfile = collection.CreditorProfile{
		LegalForm: collection.LegalFormSARL, Sector: "Distribution", Wilaya: 16, CommissionBPS: 1500,
	}
	registerCreditor = collection.RegisterCreditor{
		ID: creditorID, Ref: "C-7KQ2M9", Profile: creditorProfile, Personal: sealedCreditor,
	}
	creditorRegistered = collection.CreditorRegistered(registerCreditor)
	creditorUpdated    = collection.CreditorUpdated{ID: creditorID, Changes: collection.CreditorChanges{Wilaya: ptr(19)}}
	creditorArchived   = collection.CreditorArchived{ID: creditorID, Reason: "contract ended"}
	creditorErased     = collection.CreditorErased{ID: creditorID, Reason: "sole trader's request of 2025-06-10, file DP-2025-031"}
)

func TestCreditorDecide(t *testing.T) {
	t.Parallel()
	active := []collection.Event{creditorRegistered}
	archived := []collection.Event{creditorRegistered, creditorArchived}
	erased := []collection.Event{creditorRegistered, creditorArchived, creditorErased}

	withProfile := func(change func(*collection.CreditorProfile)) collection.RegisterCreditor {
		c := registerCreditor
		change(&c.Profile)
		return c
	}
	update := func(c collection.CreditorChanges, fields ...string) collection.UpdateCreditor {
		u := collection.UpdateCreditor{ID: creditorID, Changes: c, PersonalFields: fields}
		if len(fields) > 0 {
			u.Personal = collection.Sealed("sealed changed fields")
		}
		return u
	}
	validUpdate := update(collection.CreditorChanges{Wilaya: ptr(59), CommissionBPS: ptr(0), LegalForm: ptr("")}, "name", "phone")
	personalOnly := update(collection.CreditorChanges{}, "email")
	archive := collection.ArchiveCreditor{ID: creditorID, Reason: "contract ended"}
	erase := func(reason string) collection.EraseCreditor {
		return collection.EraseCreditor{ID: creditorID, Reason: reason}
	}
	erasure := erase(creditorErased.Reason)

	runDecider(t, collection.CreditorAggregate, creditorID, []deciderCase{
		// register
		{name: "register on new", cmd: registerCreditor, want: []collection.Event{creditorRegistered}},
		{name: "register on new expecting version 0", expect: version(0), cmd: registerCreditor, want: []collection.Event{creditorRegistered}},
		{name: "register minimal profile", cmd: withProfile(func(p *collection.CreditorProfile) { *p = collection.CreditorProfile{Wilaya: 1} }),
			want: []collection.Event{collection.CreditorRegistered(withProfile(func(p *collection.CreditorProfile) { *p = collection.CreditorProfile{Wilaya: 1} }))}},
		{name: "register on existing", history: active, cmd: registerCreditor, code: collection.CodeAlreadyExists},
		{name: "register on archived", history: archived, cmd: registerCreditor, code: collection.CodeAlreadyExists},
		{name: "register on existing expecting version 0", history: active, expect: version(0), cmd: registerCreditor, code: collection.CodeVersionConflict},
		{name: "register with no wilaya", cmd: withProfile(func(p *collection.CreditorProfile) { p.Wilaya = 0 }),
			code: collection.CodeInvalid, fields: []string{"wilaya"}},
		{name: "register with a wilaya beyond the table", cmd: withProfile(func(p *collection.CreditorProfile) { p.Wilaya = 70 }),
			code: collection.CodeInvalid, fields: []string{"wilaya"}},
		{name: "register with everything invalid", cmd: withProfile(func(p *collection.CreditorProfile) {
			*p = collection.CreditorProfile{LegalForm: "sarl", Sector: strings.Repeat("s", 101), Wilaya: -3, CommissionBPS: 10001}
		}), code: collection.CodeInvalid, fields: []string{"legal_form", "sector", "wilaya", "commission_bps"}},
		{name: "register with negative commission", cmd: withProfile(func(p *collection.CreditorProfile) { p.CommissionBPS = -1 }),
			code: collection.CodeInvalid, fields: []string{"commission_bps"}},
		{name: "register with full commission", cmd: withProfile(func(p *collection.CreditorProfile) { p.CommissionBPS = 10000 }),
			want: []collection.Event{collection.CreditorRegistered(withProfile(func(p *collection.CreditorProfile) { p.CommissionBPS = 10000 }))}},
		{name: "register without personal part", cmd: func() collection.RegisterCreditor {
			c := registerCreditor
			c.Personal = nil
			return c
		}(), code: collection.CodeInvalid},

		// update
		{name: "update on missing", cmd: validUpdate, code: collection.CodeNotFound},
		{name: "update on archived", history: archived, cmd: validUpdate, code: collection.CodeArchived},
		{name: "update", history: active, cmd: validUpdate, want: []collection.Event{collection.CreditorUpdated(validUpdate)}},
		{name: "update personal fields only", history: active, cmd: personalOnly, want: []collection.Event{collection.CreditorUpdated(personalOnly)}},
		{name: "update after an update", history: []collection.Event{creditorRegistered, creditorUpdated}, expect: version(2),
			cmd: validUpdate, want: []collection.Event{collection.CreditorUpdated(validUpdate)}},
		{name: "update with nothing", history: active, cmd: update(collection.CreditorChanges{}), code: collection.CodeNoChange},
		{name: "update naming personal fields without sealed values", history: active,
			cmd: collection.UpdateCreditor{ID: creditorID, PersonalFields: []string{"name"}}, code: collection.CodeInvalid},
		{name: "update naming an unknown personal field", history: active,
			cmd: update(collection.CreditorChanges{}, "name", "full_name"), code: collection.CodeInvalid, fields: []string{"personal_fields[1]"}},
		{name: "update naming a personal field twice", history: active,
			cmd: update(collection.CreditorChanges{}, "phone", "phone"), code: collection.CodeInvalid, fields: []string{"personal_fields[1]"}},
		{name: "update invalid wilaya", history: active, cmd: update(collection.CreditorChanges{Wilaya: ptr(0)}),
			code: collection.CodeInvalid, fields: []string{"wilaya"}},
		{name: "update invalid everything", history: active,
			cmd:  update(collection.CreditorChanges{Wilaya: ptr(100), CommissionBPS: ptr(-5), LegalForm: ptr("Ltd"), Sector: ptr(strings.Repeat("é", 101))}),
			code: collection.CodeInvalid, fields: []string{"wilaya", "commission_bps", "legal_form", "sector"}},

		// archive
		{name: "archive on missing", cmd: archive, code: collection.CodeNotFound},
		{name: "archive on archived", history: archived, cmd: archive, code: collection.CodeArchived},
		{name: "archive", history: active, cmd: archive, want: []collection.Event{collection.CreditorArchived(archive)}},
		{name: "archive on erased", history: erased, cmd: archive, code: collection.CodeArchived},

		// erase
		{name: "erase on missing", cmd: erasure, code: collection.CodeNotFound},
		{name: "erase on active", history: active, cmd: erasure, code: collection.CodeWrongStatus, reason: "is active"},
		{name: "erase", history: archived, cmd: erasure, want: []collection.Event{creditorErased}},
		{name: "erase after updates", history: []collection.Event{creditorRegistered, creditorUpdated, creditorArchived}, cmd: erasure,
			want: []collection.Event{creditorErased}},
		{name: "erase twice", history: erased, cmd: erasure, code: collection.CodeWrongStatus, reason: "already erased"},
		{name: "erase without a reason", history: archived, cmd: erase(""), code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "erase with a reason too long", history: archived, cmd: erase(strings.Repeat("x", collection.MaxReasonLength+1)),
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "erase with a control character in the reason", history: archived, cmd: erase("file\x00DP"),
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "erase with a reason on two lines", history: archived, cmd: erase("request by letter\nfile DP-2025-031"),
			want: []collection.Event{collection.CreditorErased(erase("request by letter\nfile DP-2025-031"))}},
		{name: "update on erased", history: erased, cmd: validUpdate, code: collection.CodeArchived},
		{name: "erase expecting an old version", history: archived, expect: version(1), cmd: erasure, code: collection.CodeVersionConflict},

		// optimistic concurrency
		{name: "update expecting the current version", history: active, expect: version(1), cmd: validUpdate,
			want: []collection.Event{collection.CreditorUpdated(validUpdate)}},
		{name: "update expecting an old version", history: []collection.Event{creditorRegistered, creditorUpdated}, expect: version(1),
			cmd: validUpdate, code: collection.CodeVersionConflict},
		{name: "update expecting a future version", history: active, expect: version(2), cmd: validUpdate, code: collection.CodeVersionConflict},
		{name: "archive expecting an old version", history: []collection.Event{creditorRegistered, creditorUpdated}, expect: version(1),
			cmd: archive, code: collection.CodeVersionConflict},
		{name: "version conflict before not found", expect: version(3), cmd: validUpdate, code: collection.CodeVersionConflict},
		{name: "any version on archived still archived", history: archived, cmd: archive, code: collection.CodeArchived},

		// misrouted
		{name: "debtor command", history: active, cmd: collection.ArchiveDebtor{ID: creditorID}, plain: true},
		{name: "unknown creditor command", history: active, cmd: strayCreditorCommand{}, plain: true},
	})
}

// strayCreditorCommand claims the creditor aggregate but is not one of its
// commands: a programming error the decider must report, not swallow.
type strayCreditorCommand struct{}

func (strayCreditorCommand) CommandType() string                 { return "creditor.merge" }
func (strayCreditorCommand) Aggregate() collection.AggregateType { return collection.CreditorAggregate }

func TestCreditorEvolve(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.CreditorAggregate)
	for _, tc := range []struct {
		name    string
		events  []collection.Event
		version int64
		status  string
	}{
		{"new", nil, 0, ""},
		{"registered", []collection.Event{creditorRegistered}, 1, collection.StatusActive},
		{"updated", []collection.Event{creditorRegistered, creditorUpdated}, 2, collection.StatusActive},
		{"updated twice", []collection.Event{creditorRegistered, creditorUpdated, creditorUpdated}, 3, collection.StatusActive},
		{"archived", []collection.Event{creditorRegistered, creditorUpdated, creditorArchived}, 3, collection.StatusArchived},
		{"erased", []collection.Event{creditorRegistered, creditorArchived, creditorErased}, 3, collection.StatusArchived},
	} {
		s := collection.Fold(b, b.New(creditorID), tc.events...).(collection.CreditorState)
		if s.Version() != tc.version || s.Status != tc.status || s.ID != creditorID || s.Erased != (tc.name == "erased") {
			t.Errorf("%s: state %+v (version %d), want status %q version %d", tc.name, s, s.Version(), tc.status, tc.version)
		}
	}
}
