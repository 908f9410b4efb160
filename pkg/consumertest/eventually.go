package consumertest

import "time"

// Patience bounds every wait of the kit for something that must happen. It
// is a safety net against a hung test on a loaded machine (shared CI
// runners, -race, a broker starting), never a timing assertion: a test
// that must prove something happens quickly measures that itself, with
// its own margin.
const Patience = 2 * time.Minute

// pollEvery is how often Eventually asks again. Short, so a test waits
// little past the moment its condition holds; a slow condition (an HTTP
// scrape, a goroutine dump) simply takes longer per round.
const pollEvery = 10 * time.Millisecond

// Eventually returns as soon as cond returns true, asking first at once,
// then every 10ms, from the calling goroutine (cond may call t's
// methods). If cond is still false once Patience has passed, it fails t
// with "timed out after 2m0s waiting for <what>" — name what in words a
// reader of the failure understands ("every order to reach its
// outcome").
//
// Inside a testing/synctest bubble the wait runs on the bubble's clock.
func Eventually(t TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Patience)
	for !cond() {
		if !time.Now().Before(deadline) {
			t.Fatalf("timed out after %s waiting for %s", Patience, what)
			return
		}
		time.Sleep(pollEvery)
	}
}
