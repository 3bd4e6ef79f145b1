package events

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/adc-dz/tahsil/collection"
)

// Upcaster turns the data of one schema version into the next version's.
// Events are never rewritten in the log: old records are upcast each time
// they are read.
type Upcaster func(data json.RawMessage) (json.RawMessage, error)

type codec struct {
	version   int
	goType    reflect.Type
	upcasters map[int]Upcaster // from version → to version+1
}

// Registry maps record types to Go types and schema versions. It is built
// once by the composition root; a registry is safe for concurrent reads.
type Registry struct {
	codecs map[string]*codec
}

// NewRegistry returns a registry of every command and event of the domain.
func NewRegistry() *Registry {
	r := &Registry{codecs: map[string]*codec{}}
	for _, v := range []any{
		collection.RegisterCreditor{}, collection.UpdateCreditor{}, collection.ArchiveCreditor{}, collection.EraseCreditor{},
		collection.CreditorRegistered{}, collection.CreditorUpdated{}, collection.CreditorArchived{}, collection.CreditorErased{},
		collection.RegisterDebtor{}, collection.UpdateDebtor{}, collection.ArchiveDebtor{}, collection.EraseDebtor{},
		collection.DebtorRegistered{}, collection.DebtorUpdated{}, collection.DebtorArchived{}, collection.DebtorErased{},
		collection.RegisterAccount{}, collection.CreateAccount{}, collection.ApproveRegistration{},
		collection.RejectRegistration{}, collection.ChangeRole{}, collection.DisableAccount{},
		collection.EnableAccount{}, collection.EnrollMFA{}, collection.ResetMFA{},
		collection.LockAccount{}, collection.UnlockAccount{}, collection.RecordLogin{},
		collection.NoteRegistrationAttempt{},
		collection.AccountRegistered{}, collection.AccountCreated{}, collection.RegistrationApproved{},
		collection.RegistrationRejected{}, collection.RoleChanged{}, collection.AccountDisabled{},
		collection.AccountEnabled{}, collection.MFAEnrolled{}, collection.MFAReset{},
		collection.AccountLocked{}, collection.AccountUnlocked{}, collection.LoginSucceeded{},
		collection.LoginFailed{}, collection.RegistrationAttempted{},
		collection.OpenDebt{}, collection.ChangeDebtStatus{}, collection.AssignDebt{},
		collection.RescheduleDebt{}, collection.AddCharge{}, collection.ProposeAction{},
		collection.DecideProposal{}, collection.RecordPayment{}, collection.ReversePayment{},
		collection.DebtOpened{}, collection.DebtStatusChanged{}, collection.DebtAssigned{},
		collection.DebtRescheduled{}, collection.ChargeAdded{}, collection.ActionProposed{},
		collection.ProposalApproved{}, collection.ProposalRefused{}, collection.DiscountGranted{},
		collection.DebtWrittenOff{}, collection.PaymentRecorded{}, collection.PaymentReversed{},
		collection.SetPlan{}, collection.MakePromise{}, collection.PlanSet{}, collection.PromiseMade{},
		collection.AttachDocument{}, collection.LogInteraction{}, collection.CompleteTask{},
		collection.DocumentAttached{}, collection.InteractionLogged{}, collection.TaskCreated{}, collection.TaskCompleted{},
		collection.OpenLegalProcedure{}, collection.RecordLegalStep{},
		collection.LegalProcedureOpened{}, collection.LegalStepRecorded{},
	} {
		r.Register(v, 1)
	}
	// Version 2 of the document records seals the file name in the personal
	// part; version 1 carried it in clear in data, and the types still read
	// that field.
	for _, v := range []any{collection.AttachDocument{}, collection.DocumentAttached{}} {
		r.Register(v, 2)
		r.AddUpcaster(typeName(v), 1, personalInClear)
	}
	// Version 2 of the records that carry free text about a debtor (a
	// debt's description, a payment's note, an interaction's summary, a
	// task's title, a legal step's details.note) seals it in the personal
	// part, under the debtor's data key (collection.DebtPersonal); version
	// 1 carried it in clear in data, and the types still read those fields.
	for _, v := range []any{
		collection.OpenDebt{}, collection.DebtOpened{}, collection.RecordPayment{}, collection.PaymentRecorded{},
		collection.LogInteraction{}, collection.InteractionLogged{}, collection.TaskCreated{},
		collection.RecordLegalStep{}, collection.LegalStepRecorded{},
	} {
		r.Register(v, 2)
		r.AddUpcaster(typeName(v), 1, personalInClear)
	}
	return r
}

// personalInClear upcasts a version 1 record that carried personal data
// in clear in its data (a document's name, free text about a debtor) to
// version 2, which seals it in the personal part: the data is version 2
// data with the value in clear rather than sealed, an already open value
// that the decider, the projections and the API still accept. The log
// cannot be re-sealed, so those values stay readable there for good.
func personalInClear(data json.RawMessage) (json.RawMessage, error) { return data, nil }

// Register adds a command or event type whose current schema is version.
func (r *Registry) Register(v any, version int) {
	name := typeName(v)
	if name == "" {
		panic(fmt.Sprintf("events: %T is neither a command nor an event", v))
	}
	r.codecs[name] = &codec{version: version, goType: reflect.TypeOf(v), upcasters: map[int]Upcaster{}}
}

// AddUpcaster registers how to read version from of a type as version from+1.
func (r *Registry) AddUpcaster(typ string, from int, up Upcaster) {
	c, ok := r.codecs[typ]
	if !ok {
		panic("events: upcaster for unregistered type " + typ)
	}
	c.upcasters[from] = up
}

// Version returns the current schema version of a type.
func (r *Registry) Version(typ string) (int, bool) {
	c, ok := r.codecs[typ]
	if !ok {
		return 0, false
	}
	return c.version, true
}

func typeName(v any) string {
	switch v := v.(type) {
	case collection.Event:
		return v.EventType()
	case collection.Command:
		return v.CommandType()
	}
	return ""
}

// Encode returns the type, schema version and JSON data of a command or
// event. The personal part is not in data: the caller seals it separately.
func (r *Registry) Encode(v any) (typ string, version int, data json.RawMessage, err error) {
	typ = typeName(v)
	c, ok := r.codecs[typ]
	if !ok {
		return "", 0, nil, fmt.Errorf("encode %T: type %q is not registered", v, typ)
	}
	data, err = json.Marshal(v)
	if err != nil {
		return "", 0, nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return typ, c.version, data, nil
}

// Decode upcasts data of the given type and version to the current version
// and returns the typed value, with the personal part attached.
func (r *Registry) Decode(typ string, version int, data json.RawMessage, personal []byte) (any, error) {
	c, ok := r.codecs[typ]
	if !ok {
		return nil, fmt.Errorf("decode: unknown record type %q", typ)
	}
	if version < 1 || version > c.version {
		return nil, fmt.Errorf("decode %s: version %d not supported (current %d)", typ, version, c.version)
	}
	for v := version; v < c.version; v++ {
		up, ok := c.upcasters[v]
		if !ok {
			return nil, fmt.Errorf("decode %s: no upcaster from version %d", typ, v)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("decode %s: upcast from version %d: %w", typ, v, err)
		}
	}
	ptr := reflect.New(c.goType)
	dec := json.NewDecoder(bytesReader(data))
	if err := dec.Decode(ptr.Interface()); err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", typ, version, err)
	}
	if len(personal) > 0 {
		f := ptr.Elem().FieldByName("Personal")
		if !f.IsValid() || f.Type() != reflect.TypeOf(collection.Sealed(nil)) {
			return nil, fmt.Errorf("decode %s: record has a personal part but the type carries none", typ)
		}
		f.SetBytes(personal)
	}
	return ptr.Elem().Interface(), nil
}

// DecodeEvent decodes an envelope's event.
func (r *Registry) DecodeEvent(e *Envelope) (collection.Event, error) {
	v, err := r.Decode(e.Type, e.V, e.Data, e.Personal)
	if err != nil {
		return nil, err
	}
	ev, ok := v.(collection.Event)
	if !ok {
		return nil, fmt.Errorf("decode: %s is not an event", e.Type)
	}
	return ev, nil
}

// DecodeCommand decodes a command envelope's command.
func (r *Registry) DecodeCommand(c *CommandEnvelope) (collection.Command, error) {
	v, err := r.Decode(c.Type, c.V, c.Data, c.Personal)
	if err != nil {
		return nil, err
	}
	cmd, ok := v.(collection.Command)
	if !ok {
		return nil, fmt.Errorf("decode: %s is not a command", c.Type)
	}
	if cmd.Aggregate() != c.Aggregate.Type {
		return nil, fmt.Errorf("decode: %s addressed to aggregate type %s", c.Type, c.Aggregate.Type)
	}
	// A command whose data names another aggregate than its key would be
	// decided against the wrong state.
	if id := reflect.ValueOf(cmd).FieldByName("ID"); id.IsValid() && id.String() != c.Aggregate.ID {
		return nil, fmt.Errorf("decode: %s for %s carries id %q", c.Type, c.Aggregate.ID, id.String())
	}
	return cmd, nil
}
