package credit

import "testing"

func TestComputeSpansTheScaleAndExplainsItself(t *testing.T) {
	low, lowFactors := Compute(Inputs{})
	high, _ := Compute(Inputs{IdentityLevel: 3, AccountAgeDays: 800, Movements: 500, Volume: 5_000_000})
	if low != Min+maxStanding || high != Max {
		t.Fatalf("a new, unverified, idle account scores %d (want %d); a full record %d (want %d)", low, Min+maxStanding, high, Max)
	}
	for _, f := range lowFactors {
		if f.Points < f.Max && f.Raise == "" {
			t.Errorf("factor %s is below its cap without saying how to raise it", f.Key)
		}
	}
	marked, factors := Compute(Inputs{IdentityLevel: 3, AccountAgeDays: 800, Movements: 500, Volume: 5_000_000, Reversals: 1, FailedPayouts: 1})
	if marked != Max-maxStanding/2 || factors[4].Value != "1 reversed payment, 1 failed payout" {
		t.Fatalf("two marks: %d, %q", marked, factors[4].Value)
	}
	if s, _ := Compute(Inputs{Strikes: 99}); s != Min {
		t.Fatalf("many strikes: %d, want the floor %d", s, Min)
	}
}
