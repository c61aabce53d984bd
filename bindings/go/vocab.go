package shieldwatch

// EventSource names where an event came from: the value of Event.Source,
// one of the EventSource* constants (generated from the C header's
// SW_EVENT_SOURCE_* in vocab_gen.go). It is not the Source bit mask that
// selects sources in WithSources.
type EventSource string

// Action says what happened: the value of Event.Action. The Action*
// constants (vocab_gen.go, from the header's SW_ACTION_*) are what the
// library emits itself and what the shield tool writes to the audit log;
// an audit line may carry any other string, which is kept as is.
type Action string

// String returns the name as the library writes it.
func (s EventSource) String() string { return string(s) }

// Known reports whether s is one of the header's SW_EVENT_SOURCE_* names.
func (s EventSource) Known() bool {
	for _, k := range eventSources {
		if s == k {
			return true
		}
	}
	return false
}

// String returns the action as the library writes it.
func (a Action) String() string { return string(a) }

// Known reports whether a is one of the header's SW_ACTION_* names.
func (a Action) Known() bool {
	for _, k := range actions {
		if a == k {
			return true
		}
	}
	return false
}
