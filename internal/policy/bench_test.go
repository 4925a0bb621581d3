package policy

import "testing"

// BenchmarkEval measures one check of a cached, compiled rule. The
// allowed path is a plain CEL evaluation; the denied path adds the traced
// evaluation and the explanation.
func BenchmarkEval(b *testing.B) {
	cases := []struct {
		name string
		expr string
	}{
		{"verified_women", `user.verified.gender == "female"`},
		{"verified_students", `user.verified.student == true`},
		{"min_credit", `user.credit_score >= 750`},
		{"adults", `user.age_years >= 18`},
		{"member_days", `member.tenure_days >= 30`},
		{"five_clauses", fiveClauses},
	}
	denied := bob()
	denied.User.Verified["gender"] = "female"         // so that five_clauses fails late,
	denied.User.Verified["identity_level"] = int64(1) // on its last clause
	denied.User.CreditScore = 712
	for _, c := range cases {
		r := mustCompile(b, c.expr)
		for _, run := range []struct {
			name    string
			in      Input
			allowed bool
		}{{"allowed", alice(), true}, {"denied", denied, false}} {
			if c.name == "verified_women" && !run.allowed {
				run.in = bob()
			}
			b.Run(c.name+"/"+run.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if d := r.Eval(run.in); d.Allowed != run.allowed {
						b.Fatalf("allowed = %v: %s", d.Allowed, d.Reason)
					}
				}
			})
			// The decision alone, as a preview counts it: a denial without
			// its sentence.
			b.Run(c.name+"/"+run.name+"/decision-only", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if r.Allows(run.in) != run.allowed {
						b.Fatal("wrong decision")
					}
				}
			})
		}
	}
	b.Run("compile_cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Compile(fiveClauses); err != nil {
				b.Fatal(err)
			}
		}
	})
}
