package collection_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

// callAt is when the tests' interactions took place.
var callAt = time.Date(2025, time.April, 20, 9, 30, 0, 0, time.UTC)

func call(n int, outcome string) collection.LogInteraction {
	return collection.LogInteraction{ID: debtID, InteractionID: debtUUID(400 + n), Channel: collection.InteractionCall,
		Direction: collection.DirectionOutbound, Outcome: outcome, Summary: "Le débiteur rappellera demain",
		OccurredAt: callAt, By: debtAgent}
}

func withFollowUp(c collection.LogInteraction, n int) collection.LogInteraction {
	c.FollowUp = &collection.FollowUp{TaskID: debtUUID(500 + n), Due: callAt.Add(24 * time.Hour), Assignee: debtAgent2,
		Title: "Rappeler le débiteur"}
	return c
}

func logged(c collection.LogInteraction) collection.InteractionLogged {
	return collection.InteractionLogged{ID: c.ID, InteractionID: c.InteractionID, Channel: c.Channel,
		Direction: c.Direction, Outcome: c.Outcome, Summary: c.Summary, OccurredAt: c.OccurredAt, By: c.By,
		Personal: c.Personal}
}

func taskCreated(c collection.LogInteraction) collection.TaskCreated {
	f := c.FollowUp
	return collection.TaskCreated{ID: c.ID, TaskID: f.TaskID, InteractionID: c.InteractionID, Title: f.Title, Due: f.Due,
		Assignee: f.Assignee, By: c.By, Personal: f.Personal}
}

func complete(n int) collection.CompleteTask {
	return collection.CompleteTask{ID: debtID, TaskID: debtUUID(500 + n), By: debtAgent}
}

func TestDebtLogInteraction(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	follow := withFollowUp(call(1, collection.CallOutcomeNoAnswer), 1)
	withTask := debtEvents(h["open"], evs(logged(follow), taskCreated(follow)))
	other := func(channel, direction, outcome, summary string) collection.LogInteraction {
		c := call(2, "")
		c.Channel, c.Direction, c.Outcome, c.Summary = channel, direction, outcome, summary
		return c
	}
	longAr := strings.Repeat("ق", collection.MaxInteractionSummaryLength)
	cases := []deciderCase{
		{name: "a call reached the debtor", history: h["open"], cmd: call(1, collection.CallOutcomeReached),
			want: evs(logged(call(1, collection.CallOutcomeReached)))},
		{name: "a call with a follow-up task", history: h["open"], cmd: follow,
			want: evs(logged(follow), taskCreated(follow))},
		{name: "an inbound call on a recovered debt", history: h["recovered"],
			cmd:  other(collection.InteractionCall, collection.DirectionInbound, collection.CallOutcomeReached, ""),
			want: evs(logged(other(collection.InteractionCall, collection.DirectionInbound, collection.CallOutcomeReached, "")))},
		{name: "every outcome of a call", history: h["amicable"],
			cmd:  other(collection.InteractionCall, collection.DirectionOutbound, collection.CallOutcomeDispute, ""),
			want: evs(logged(other(collection.InteractionCall, collection.DirectionOutbound, collection.CallOutcomeDispute, "")))},
		{name: "a visit, no direction nor outcome", history: h["legal"], cmd: other(collection.InteractionVisit, "", "", ""),
			want: evs(logged(other(collection.InteractionVisit, "", "", "")))},
		{name: "a visit with its outcome", history: h["open"],
			cmd:  other(collection.InteractionVisit, "", collection.CallOutcomePromise, "promet 5000 DA samedi"),
			want: evs(logged(other(collection.InteractionVisit, "", collection.CallOutcomePromise, "promet 5000 DA samedi")))},
		{name: "a letter sent by hand", history: h["open"], cmd: other(collection.InteractionLetter, collection.DirectionOutbound, "", ""),
			want: evs(logged(other(collection.InteractionLetter, collection.DirectionOutbound, "", "")))},
		{name: "an e-mail received", history: h["open"], cmd: other(collection.InteractionEmail, collection.DirectionInbound, "", "x"),
			want: evs(logged(other(collection.InteractionEmail, collection.DirectionInbound, "", "x")))},
		{name: "an SMS sent by hand", history: h["open"], cmd: other(collection.InteractionSMS, collection.DirectionOutbound, "", ""),
			want: evs(logged(other(collection.InteractionSMS, collection.DirectionOutbound, "", "")))},
		{name: "a note, multi-line, in Arabic, at the longest", history: h["open"],
			cmd:  other(collection.InteractionNote, "", "", longAr[:len(longAr)-2]+"\n"),
			want: evs(logged(other(collection.InteractionNote, "", "", longAr[:len(longAr)-2]+"\n")))},
		{name: "a task due at the very time of the call", history: h["open"], cmd: func() collection.LogInteraction {
			c := withFollowUp(call(1, collection.CallOutcomeReached), 1)
			c.FollowUp.Due = callAt
			return c
		}(), want: func() []collection.Event {
			c := withFollowUp(call(1, collection.CallOutcomeReached), 1)
			c.FollowUp.Due = callAt
			return evs(logged(c), taskCreated(c))
		}()},

		{name: "no debt", cmd: call(1, collection.CallOutcomeReached), code: collection.CodeNotFound},
		{name: "nothing at all", history: h["open"], cmd: collection.LogInteraction{ID: debtID}, code: collection.CodeInvalid,
			fields: []string{"interaction_id", "channel", "occurred_at", "by"}},
		{name: "a call without direction nor outcome", history: h["open"], cmd: other(collection.InteractionCall, "", "", ""),
			code: collection.CodeInvalid, fields: []string{"direction", "outcome"}},
		{name: "unknown direction and outcome", history: h["open"], cmd: other(collection.InteractionCall, "sideways", "busy", ""),
			code: collection.CodeInvalid, fields: []string{"direction", "outcome"}},
		{name: "a visit has no direction", history: h["open"], cmd: other(collection.InteractionVisit, collection.DirectionOutbound, "", ""),
			code: collection.CodeInvalid, fields: []string{"direction"}},
		{name: "a note has no direction nor outcome", history: h["open"],
			cmd:  other(collection.InteractionNote, collection.DirectionInbound, collection.CallOutcomeReached, "x"),
			code: collection.CodeInvalid, fields: []string{"direction", "outcome"}},
		{name: "a letter has no outcome and needs a direction", history: h["open"],
			cmd: other(collection.InteractionLetter, "", collection.CallOutcomeReached, ""), code: collection.CodeInvalid,
			fields: []string{"direction", "outcome"}},
		{name: "a note needs a summary", history: h["open"], cmd: other(collection.InteractionNote, "", "", ""),
			code: collection.CodeInvalid, fields: []string{"summary"}},
		{name: "a blank summary", history: h["open"], cmd: other(collection.InteractionNote, "", "", " \n "),
			code: collection.CodeInvalid, fields: []string{"summary"}},
		{name: "a summary too long", history: h["open"], cmd: other(collection.InteractionNote, "", "", longAr+"!"),
			code: collection.CodeInvalid, fields: []string{"summary"}},
		{name: "a bidi override in the summary", history: h["open"], cmd: other(collection.InteractionNote, "", "", "a\u202Eb"),
			code: collection.CodeInvalid, fields: []string{"summary"}},
		{name: "unknown channel", history: h["open"], cmd: other("fax", "", "", ""), code: collection.CodeInvalid,
			fields: []string{"channel"}},
		{name: "an empty follow-up", history: h["open"], cmd: func() collection.LogInteraction {
			c := call(1, collection.CallOutcomeReached)
			c.FollowUp = &collection.FollowUp{}
			return c
		}(), code: collection.CodeInvalid,
			fields: []string{"follow_up.task_id", "follow_up.due", "follow_up.assignee", "follow_up.title"}},
		{name: "a follow-up due before the call", history: h["open"], cmd: func() collection.LogInteraction {
			c := withFollowUp(call(1, collection.CallOutcomeReached), 1)
			c.FollowUp.Due = callAt.Add(-time.Minute)
			return c
		}(), code: collection.CodeInvalid, fields: []string{"follow_up.due"}},
		{name: "a title on two lines", history: h["open"], cmd: func() collection.LogInteraction {
			c := withFollowUp(call(1, collection.CallOutcomeReached), 1)
			c.FollowUp.Title = "rappeler\ndemain"
			return c
		}(), code: collection.CodeInvalid, fields: []string{"follow_up.title"}},
		{name: "the same interaction twice", history: withTask, cmd: call(1, collection.CallOutcomeReached),
			code: collection.CodeAlreadyExists},
		{name: "the same task twice", history: withTask, cmd: withFollowUp(call(2, collection.CallOutcomeReached), 1),
			code: collection.CodeAlreadyExists},
	}
	runDecider(t, collection.DebtAggregate, debtID, cases)
}

func TestDebtCompleteTask(t *testing.T) {
	t.Parallel()
	h := debtHistories()
	follow := withFollowUp(call(1, collection.CallOutcomeNoAnswer), 1)
	withTask := debtEvents(h["open"], evs(logged(follow), taskCreated(follow)))
	done := debtEvents(withTask, evs(collection.TaskCompleted(complete(1))))
	closed := debtEvents(withTask, evs(moved("open", "withdrawn")))
	cases := []deciderCase{
		{name: "an open task", history: withTask, cmd: complete(1), want: evs(collection.TaskCompleted(complete(1)))},
		{name: "by someone else than its assignee", history: withTask, cmd: func() collection.CompleteTask {
			c := complete(1)
			c.By = debtChecker
			return c
		}(), want: func() []collection.Event {
			c := complete(1)
			c.By = debtChecker
			return evs(collection.TaskCompleted(c))
		}()},
		{name: "on a debt closed since", history: closed, cmd: complete(1), want: evs(collection.TaskCompleted(complete(1)))},
		{name: "twice", history: done, cmd: complete(1), code: collection.CodeNoChange},
		{name: "no such task", history: withTask, cmd: complete(2), code: collection.CodeNotFound},
		{name: "no debt", cmd: complete(1), code: collection.CodeNotFound},
		{name: "bad ids", history: withTask, cmd: collection.CompleteTask{ID: debtID, TaskID: "task-1"},
			code: collection.CodeInvalid, fields: []string{"task_id", "by"}},
	}
	runDecider(t, collection.DebtAggregate, debtID, cases)
}

func TestDebtTaskState(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.DebtAggregate)
	follow := withFollowUp(call(1, collection.CallOutcomeNoAnswer), 1)
	base := collection.Fold(b, b.New(debtID), debtOpened, logged(follow), taskCreated(follow))
	done := collection.Fold(b, base, collection.TaskCompleted(complete(1))).(collection.DebtState)
	bs := base.(collection.DebtState)
	want := collection.DebtTask{ID: follow.FollowUp.TaskID, Assignee: debtAgent2, Due: follow.FollowUp.Due,
		Status: collection.TaskStatusOpen}
	if got, ok := bs.Task(follow.FollowUp.TaskID); !ok || got != want {
		t.Errorf("Task = %+v, %v; want %+v", got, ok, want)
	}
	want.Status = collection.TaskStatusDone
	if got, _ := done.Task(follow.FollowUp.TaskID); got != want {
		t.Errorf("after completion Task = %+v, want %+v", got, want)
	}
	// The completion did not reach the state before it.
	if got, _ := bs.Task(follow.FollowUp.TaskID); got.Status != collection.TaskStatusOpen {
		t.Error("a completion leaked into the state before it")
	}
	// An interaction logged in a sibling state is free in this one.
	sibling := collection.Fold(b, base, logged(call(2, collection.CallOutcomeReached)))
	if _, err := collection.Handle(b, done, collection.AnyVersion, call(2, collection.CallOutcomeReached)); err != nil {
		t.Errorf("an interaction of a sibling state leaked: %v", err)
	}
	if _, err := collection.Handle(b, sibling, collection.AnyVersion, call(2, collection.CallOutcomeReached)); err == nil {
		t.Error("the same interaction was accepted twice")
	}
}

func TestInteractionLists(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ got, want []string }{
		"InteractionChannels":   {collection.InteractionChannels(), []string{"call", "visit", "letter", "email", "sms", "note"}},
		"InteractionDirections": {collection.InteractionDirections(), []string{"inbound", "outbound"}},
		"CallOutcomes": {collection.CallOutcomes(), []string{"reached", "no_answer", "wrong_number", "promise", "refusal",
			"dispute"}},
		"TaskStatuses": {collection.TaskStatuses(), []string{"open", "done"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s() = %v, want %v", name, tc.got, tc.want)
		}
	}
	for _, ch := range collection.InteractionChannels() {
		want := ch != collection.InteractionVisit && ch != collection.InteractionNote
		if collection.InteractionHasDirection(ch) != want {
			t.Errorf("InteractionHasDirection(%q) = %v", ch, !want)
		}
	}
}
