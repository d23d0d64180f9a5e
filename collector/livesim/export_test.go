package livesim

// FakeClock and NewFakeClock let the external tests drive Options.Now.
type FakeClock = fakeClock

// NewFakeClock returns a FakeClock at a fixed time.
var NewFakeClock = newFakeClock

// WaitFor polls a condition until it holds or a generous deadline passes.
var WaitFor = waitFor
