package collection_test

import (
	"math"
	"testing"

	"github.com/adc-dz/tahsil/collection"
)

func TestPromiseStatus(t *testing.T) {
	t.Parallel()
	// 500 DZD promised on Saturday 1 February 2025 for Monday 10 February.
	p := collection.Promise{Amount: 50000, MadeOn: civil("2025-02-01"), Due: civil("2025-02-10")}
	tests := []struct {
		name     string
		p        collection.Promise
		payments []collection.PlanPayment
		asOf     string
		want     string
	}{
		{name: "nothing paid yet", asOf: "2025-02-05", want: "pending"},
		{name: "nothing paid on the due date", asOf: "2025-02-10", want: "pending"},
		{name: "nothing paid the day after", asOf: "2025-02-11", want: "broken"},
		{name: "paid on the day it was made", asOf: "2025-02-01",
			payments: []collection.PlanPayment{pay("2025-02-01", 50000)}, want: "kept"},
		{name: "paid on the due date", asOf: "2025-02-20",
			payments: []collection.PlanPayment{pay("2025-02-10", 50000)}, want: "kept"},
		{name: "kept early", asOf: "2025-02-03",
			payments: []collection.PlanPayment{pay("2025-02-02", 50000)}, want: "kept"},
		{name: "overpaid", asOf: "2025-02-03",
			payments: []collection.PlanPayment{pay("2025-02-02", 80000)}, want: "kept"},
		{name: "partial payments add up", asOf: "2025-02-11",
			payments: []collection.PlanPayment{pay("2025-02-02", 20000), pay("2025-02-06", 20000), pay("2025-02-10", 10000)},
			want:     "kept"},
		{name: "partial payments fall short, not due yet", asOf: "2025-02-06",
			payments: []collection.PlanPayment{pay("2025-02-02", 20000), pay("2025-02-06", 20000)}, want: "pending"},
		{name: "partial payments fall short", asOf: "2025-02-11",
			payments: []collection.PlanPayment{pay("2025-02-02", 20000), pay("2025-02-06", 29999)}, want: "broken"},
		{name: "a payment before the promise does not count", asOf: "2025-02-11",
			payments: []collection.PlanPayment{pay("2025-01-31", 50000)}, want: "broken"},
		{name: "a payment after the due date does not keep it", asOf: "2025-02-12",
			payments: []collection.PlanPayment{pay("2025-02-11", 50000)}, want: "broken"},
		{name: "a payment valued after asOf does not count yet", asOf: "2025-02-05",
			payments: []collection.PlanPayment{pay("2025-02-08", 50000)}, want: "pending"},
		{name: "a backdated payment keeps a promise that looked broken", asOf: "2025-02-20",
			// Recorded on the 20th, the money moved on the 9th.
			payments: []collection.PlanPayment{pay("2025-02-09", 50000)}, want: "kept"},
		{name: "zero and negative amounts are ignored", asOf: "2025-02-11",
			payments: []collection.PlanPayment{pay("2025-02-02", 0), pay("2025-02-03", -50000), pay("2025-02-04", 50000)},
			want:     "kept"},
		{name: "huge payments do not overflow", asOf: "2025-02-11",
			p:        collection.Promise{Amount: math.MaxInt64, MadeOn: civil("2025-02-01"), Due: civil("2025-02-10")},
			payments: []collection.PlanPayment{pay("2025-02-02", math.MaxInt64), pay("2025-02-03", math.MaxInt64)},
			want:     "kept"},
		{name: "a promise due the day it is made", asOf: "2025-02-02",
			p:        collection.Promise{Amount: 100, MadeOn: civil("2025-02-01"), Due: civil("2025-02-01")},
			payments: []collection.PlanPayment{pay("2025-02-01", 100)}, want: "kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pr := tt.p
			if pr == (collection.Promise{}) {
				pr = p
			}
			if got := collection.PromiseStatus(pr, tt.payments, civil(tt.asOf)); got != tt.want {
				t.Errorf("PromiseStatus = %s, want %s", got, tt.want)
			}
		})
	}
}
