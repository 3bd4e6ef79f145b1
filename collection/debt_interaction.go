package collection

import (
	"fmt"
	"slices"
	"time"
)

// Channels of an interaction with a debtor, logged by hand. Messages the
// reminder scheduler sends are recorded by the scheduler, not here. A
// channel is stored in events: renaming one needs an upcaster.
const (
	InteractionCall   = "call"
	InteractionVisit  = "visit"
	InteractionLetter = "letter"
	InteractionEmail  = "email"
	InteractionSMS    = "sms"
	InteractionNote   = "note" // an internal note: no contact took place
)

// Directions of a call, a letter, an e-mail or an SMS: who reached whom.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
)

// Outcomes of a call or a visit.
const (
	CallOutcomeReached     = "reached"
	CallOutcomeNoAnswer    = "no_answer"
	CallOutcomeWrongNumber = "wrong_number"
	CallOutcomePromise     = "promise" // the debtor promised to pay (record the promise itself too)
	CallOutcomeRefusal     = "refusal"
	CallOutcomeDispute     = "dispute" // the debtor contests the debt (a hold with reason dispute stops reminders)
)

// Task statuses.
const (
	TaskStatusOpen = "open"
	TaskStatusDone = "done"
)

// Limits of an interaction's text, in runes.
const (
	MaxInteractionSummaryLength = 2000
	MaxTaskTitleLength          = 200
)

var (
	interactionChannels = []string{
		InteractionCall, InteractionVisit, InteractionLetter, InteractionEmail, InteractionSMS, InteractionNote,
	}
	interactionDirections = []string{DirectionInbound, DirectionOutbound}
	callOutcomes          = []string{
		CallOutcomeReached, CallOutcomeNoAnswer, CallOutcomeWrongNumber, CallOutcomePromise, CallOutcomeRefusal,
		CallOutcomeDispute,
	}
	taskStatuses = []string{TaskStatusOpen, TaskStatusDone}
)

// InteractionChannels lists the channels of an interaction (a copy).
func InteractionChannels() []string { return slices.Clone(interactionChannels) }

// InteractionDirections lists the directions of an interaction (a copy).
func InteractionDirections() []string { return slices.Clone(interactionDirections) }

// CallOutcomes lists the outcomes of a call or a visit (a copy).
func CallOutcomes() []string { return slices.Clone(callOutcomes) }

// TaskStatuses lists the statuses of a task (a copy).
func TaskStatuses() []string { return slices.Clone(taskStatuses) }

// InteractionHasDirection reports whether an interaction on channel has a
// direction: a call, a letter, an e-mail and an SMS do (and need one); a
// visit and a note do not.
func InteractionHasDirection(channel string) bool {
	return channel == InteractionCall || channel == InteractionLetter || channel == InteractionEmail || channel == InteractionSMS
}

// LogInteraction records a contact with the debtor made or received by
// hand (a call, a visit, a letter, an e-mail or SMS sent by hand) or an
// internal note, on any debt (a closed one too: the debtor may call about
// a recovered debt).
//
//   - Direction is required for a call, a letter, an e-mail and an SMS,
//     and refused for a visit and a note.
//   - Outcome is required for a call, optional for a visit, refused
//     otherwise.
//   - The summary is required for a note, optional otherwise. It is
//     sealed in Personal (DebtPersonal.Summary) under the debtor's data
//     key, checked before by CheckInteractionSummary; Summary is the
//     summary in clear of a version 1 record.
//   - OccurredAt is when it happened; the caller checks it is not in the
//     future (the decider has no clock).
//   - FollowUp, when set, creates a task in the same decision: due at
//     Due (not before OccurredAt), for Assignee (a staff account the caller
//     checked).
//
// An outcome records what was said; it changes nothing else. A promise or
// a dispute is recorded by its own command (MakePromise, a hold).
type LogInteraction struct {
	ID            string    `json:"id"`
	InteractionID string    `json:"interaction_id"`
	Channel       string    `json:"channel"`
	Direction     string    `json:"direction,omitempty"`
	Outcome       string    `json:"outcome,omitempty"`
	Summary       string    `json:"summary,omitempty"`
	OccurredAt    time.Time `json:"occurred_at"`
	FollowUp      *FollowUp `json:"follow_up,omitempty"`
	By            string    `json:"by"`
	Personal      Sealed    `json:"-"`
}

// FollowUp is the task an interaction creates: what to do next, by when,
// and who does it. The title is required; it is sealed in Personal
// (DebtPersonal.Title, checked before by CheckTaskTitle), which becomes
// the task's personal part. A command has one personal part, the
// interaction's, so the task's travels in the command's data (base64);
// Title is the title in clear of a version 1 record.
type FollowUp struct {
	TaskID   string    `json:"task_id"`
	Due      time.Time `json:"due"`
	Assignee string    `json:"assignee"`
	Title    string    `json:"title,omitempty"`
	Personal Sealed    `json:"personal,omitempty"`
}

// CompleteTask marks one of the debt's open tasks done; whoever works the
// debt may complete it, not only its assignee.
type CompleteTask struct {
	ID     string `json:"id"`
	TaskID string `json:"task_id"`
	By     string `json:"by"`
}

// InteractionLogged records an interaction with the debtor (or a note).
// Its summary, if any, is sealed in Personal (DebtPersonal.Summary);
// Summary is the summary in clear of a version 1 record.
type InteractionLogged struct {
	ID            string    `json:"id"`
	InteractionID string    `json:"interaction_id"`
	Channel       string    `json:"channel"`
	Direction     string    `json:"direction,omitempty"`
	Outcome       string    `json:"outcome,omitempty"`
	Summary       string    `json:"summary,omitempty"`
	OccurredAt    time.Time `json:"occurred_at"`
	By            string    `json:"by"`
	Personal      Sealed    `json:"-"`
}

// TaskCreated records a task on the debt, open until TaskCompleted.
// InteractionID is the interaction it follows up. Its title is sealed in
// Personal (DebtPersonal.Title); Title is the title in clear of a version
// 1 record.
type TaskCreated struct {
	ID            string    `json:"id"`
	TaskID        string    `json:"task_id"`
	InteractionID string    `json:"interaction_id,omitempty"`
	Title         string    `json:"title,omitempty"`
	Due           time.Time `json:"due"`
	Assignee      string    `json:"assignee"`
	By            string    `json:"by"`
	Personal      Sealed    `json:"-"`
}

// TaskCompleted records that a task is done.
type TaskCompleted struct {
	ID     string `json:"id"`
	TaskID string `json:"task_id"`
	By     string `json:"by"`
}

func (LogInteraction) CommandType() string { return "debt.log_interaction" }
func (CompleteTask) CommandType() string   { return "debt.complete_task" }

func (LogInteraction) Aggregate() AggregateType { return DebtAggregate }
func (CompleteTask) Aggregate() AggregateType   { return DebtAggregate }

func (InteractionLogged) EventType() string { return "debt.interaction_logged" }
func (TaskCreated) EventType() string       { return "debt.task_created" }
func (TaskCompleted) EventType() string     { return "debt.task_completed" }

func (InteractionLogged) Aggregate() AggregateType { return DebtAggregate }
func (TaskCreated) Aggregate() AggregateType       { return DebtAggregate }
func (TaskCompleted) Aggregate() AggregateType     { return DebtAggregate }

func (c LogInteraction) PersonalPart() Sealed    { return c.Personal }
func (e InteractionLogged) PersonalPart() Sealed { return e.Personal }
func (e TaskCreated) PersonalPart() Sealed       { return e.Personal }

// ClearText implements DebtTextCarrier.
func (e InteractionLogged) ClearText() DebtPersonal { return DebtPersonal{Summary: e.Summary} }

// ClearText implements DebtTextCarrier.
func (e TaskCreated) ClearText() DebtPersonal { return DebtPersonal{Title: e.Title} }

// DebtTask is a task as the debt's state keeps it.
type DebtTask struct {
	ID       string
	Assignee string
	Due      time.Time
	Status   string
}

// Task returns one of the debt's tasks, open or done.
func (s DebtState) Task(id string) (DebtTask, bool) {
	t, ok := s.casework.tasks[id]
	return t, ok
}

// debtCasework is what the debt's state keeps of its documents,
// interactions and tasks: the ids used (each new one must be new, or the
// read models' keys would collide) and where each task stands.
type debtCasework struct {
	documents    map[string]string // document id → SHA-256 of its content
	contents     map[string]string // SHA-256 → document id
	interactions map[string]struct{}
	tasks        map[string]DebtTask
}

// evolve applies a document, interaction or task event, copying the maps
// it changes (see DebtState).
func (w debtCasework) evolve(e Event) debtCasework {
	switch e := e.(type) {
	case DocumentAttached:
		w.documents = cloneAdd(w.documents, e.DocumentID, e.SHA256)
		w.contents = cloneAdd(w.contents, e.SHA256, e.DocumentID)
	case InteractionLogged:
		w.interactions = cloneAdd(w.interactions, e.InteractionID, struct{}{})
	case TaskCreated:
		w.tasks = cloneAdd(w.tasks, e.TaskID, DebtTask{ID: e.TaskID, Assignee: e.Assignee, Due: e.Due, Status: TaskStatusOpen})
	case TaskCompleted:
		if t, ok := w.tasks[e.TaskID]; ok {
			t.Status = TaskStatusDone
			w.tasks = cloneAdd(w.tasks, e.TaskID, t)
		}
	}
	return w
}

func decideLogInteraction(s DebtState, c LogInteraction) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "interaction_id", c.InteractionID)
	if debtOneOf(&fe, "channel", c.Channel, interactionChannels) {
		switch {
		case InteractionHasDirection(c.Channel):
			debtOneOf(&fe, "direction", c.Direction, interactionDirections)
		case c.Direction != "":
			fe.Add("direction", fmt.Sprintf("a %s has no direction", c.Channel))
		}
		switch c.Channel {
		case InteractionCall:
			debtOneOf(&fe, "outcome", c.Outcome, callOutcomes)
		case InteractionVisit:
			if c.Outcome != "" {
				checkOneOf(&fe, "outcome", c.Outcome, callOutcomes)
			}
		default:
			if c.Outcome != "" {
				fe.Add("outcome", "only a call or a visit has an outcome")
			}
		}
	}
	checkDebtText(&fe, "summary", c.Summary, c.Personal, MaxInteractionSummaryLength, c.Channel == InteractionNote, true)
	if c.OccurredAt.IsZero() {
		fe.Add("occurred_at", "is required: when the interaction took place")
	}
	if f := c.FollowUp; f != nil {
		checkCanonicalUUID(&fe, "follow_up.task_id", f.TaskID)
		switch {
		case f.Due.IsZero():
			fe.Add("follow_up.due", "is required: when the task is due")
		case !c.OccurredAt.IsZero() && f.Due.Before(c.OccurredAt):
			fe.Add("follow_up.due", "must not be before occurred_at: a follow-up comes after the interaction")
		}
		checkCanonicalUUID(&fe, "follow_up.assignee", f.Assignee)
		checkDebtText(&fe, "follow_up.title", f.Title, f.Personal, MaxTaskTitleLength, true, false)
	}
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if _, dup := s.casework.interactions[c.InteractionID]; dup {
		return nil, Reject(CodeAlreadyExists, fmt.Sprintf("interaction %s is already logged on debt %s", c.InteractionID, s.ID))
	}
	evs := []Event{InteractionLogged{
		ID: c.ID, InteractionID: c.InteractionID, Channel: c.Channel, Direction: c.Direction, Outcome: c.Outcome,
		Summary: c.Summary, OccurredAt: c.OccurredAt, By: c.By, Personal: c.Personal,
	}}
	if f := c.FollowUp; f != nil {
		if _, dup := s.casework.tasks[f.TaskID]; dup {
			return nil, Reject(CodeAlreadyExists, fmt.Sprintf("task %s already exists on debt %s", f.TaskID, s.ID))
		}
		evs = append(evs, TaskCreated{
			ID: c.ID, TaskID: f.TaskID, InteractionID: c.InteractionID, Title: f.Title, Due: f.Due, Assignee: f.Assignee,
			By: c.By, Personal: f.Personal,
		})
	}
	return evs, nil
}

func decideCompleteTask(s DebtState, c CompleteTask) ([]Event, error) {
	if err := debtMustExist(s); err != nil {
		return nil, err
	}
	var fe FieldErrors
	checkCanonicalUUID(&fe, "task_id", c.TaskID)
	checkCanonicalUUID(&fe, "by", c.By)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	t, ok := s.casework.tasks[c.TaskID]
	if !ok {
		return nil, Reject(CodeNotFound, fmt.Sprintf("debt %s has no task %s", s.ID, c.TaskID))
	}
	if t.Status == TaskStatusDone {
		return nil, Reject(CodeNoChange, fmt.Sprintf("task %s is already done", c.TaskID))
	}
	return []Event{TaskCompleted(c)}, nil
}
