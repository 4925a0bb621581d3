package policy

import (
	"fmt"
	"testing"

	"cel.dev/cel-go/common/cost"
)

type unb struct{}

func (unb) EstimateSize(n cost.AstNode) *cost.SizeEstimate { fmt.Println("  path", n.Path()); return nil }
func (unb) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

func TestScratch(t *testing.T) {
	env, _ := environment()
	for _, src := range []string{
		`user.verified.employment.matches("^stu")`,
		`user.verified.employment.contains("x")`,
		`user.roles.exists(r, r.matches("a+"))`,
		`user.handle.matches("a+")`,
		`"a" in user.roles`,
		`user.verified.gender == "female"`,
		`user.handle + user.handle == "x"`,
	} {
		ast, _ := env.Compile(src)
		est, err := env.EstimateCost(ast, estimator{})
		est2, _ := env.EstimateCost(ast, unb{})
		fmt.Printf("%-50s %v %v %v\n", src, est, est2, err)
	}
}
