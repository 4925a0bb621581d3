package web

import (
	"encoding/xml"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var rectHeight = regexp.MustCompile(`<rect class="(bar2?)" x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)">`)

type rect struct {
	class      string
	x, y, w, h float64
}

func rects(t *testing.T, svg string) []rect {
	t.Helper()
	var out []rect
	for _, m := range rectHeight.FindAllStringSubmatch(svg, -1) {
		var r rect
		r.class = m[1]
		for i, p := range []*float64{&r.x, &r.y, &r.w, &r.h} {
			v, err := strconv.ParseFloat(m[i+2], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("a bar's coordinate %q: %v", m[i+2], err)
			}
			*p = v
		}
		out = append(out, r)
	}
	return out
}

// wellFormed checks the SVG parses as XML, and has its accessible name
// and no style attribute (the CSP forbids them).
func wellFormed(t *testing.T, c Chart) {
	t.Helper()
	svg := string(c.SVG)
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("the SVG is not well-formed: %v\n%s", err, svg)
		}
	}
	for _, want := range []string{`role="img"`, `aria-labelledby="` + c.ID + `-t ` + c.ID + `-d"`, `<title id="` + c.ID + `-t">`, `<desc id="` + c.ID + `-d">`} {
		if !strings.Contains(svg, want) {
			t.Fatalf("the SVG lacks %s:\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "style=") || strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
		t.Fatalf("the SVG has a style attribute or a number that is not one:\n%s", svg)
	}
}

func TestBarHeightsFollowTheValues(t *testing.T) {
	c := BarChart{ID: "c", Title: "Tips <per> day", Desc: "d & e", Labels: []string{"a", "b", "c", "d"},
		Series: []Series{{Name: "n", Values: []float64{0, 5, 10, 2.5}}}, Whole: true}.Draw()
	wellFormed(t, c)
	rs := rects(t, string(c.SVG))
	if len(rs) != 4 {
		t.Fatalf("%d bars", len(rs))
	}
	// 0–10 in steps of 5: counts get whole ticks.
	for i, want := range []float64{0, plotH / 2, plotH, plotH / 4} {
		if math.Abs(rs[i].h-want) > 0.1 {
			t.Fatalf("bar %d is %v high, want %v", i, rs[i].h, want)
		}
		if math.Abs(rs[i].y+rs[i].h-(padTop+plotH)) > 0.1 {
			t.Fatalf("bar %d does not stand on the axis: y %v h %v", i, rs[i].y, rs[i].h)
		}
	}
	if !strings.Contains(string(c.SVG), "Tips &lt;per&gt; day") || !strings.Contains(string(c.SVG), "<title>b: 5</title>") {
		t.Fatalf("titles are escaped and every bar has its tooltip:\n%s", c.SVG)
	}
	if len(c.Rows) != 4 || c.Rows[2][0] != "c" || c.Rows[2][1] != "10" || c.Head[1] != "n" {
		t.Fatalf("the table: %v %v", c.Head, c.Rows)
	}
	if c.Legend != nil {
		t.Fatal("one series needs no legend")
	}
}

func TestChartEdgeCases(t *testing.T) {
	t.Run("all zeros", func(t *testing.T) {
		c := BarChart{ID: "z", Labels: []string{"a", "b", "c"}, Series: []Series{{Values: []float64{0, 0, 0}}}, Whole: true}.Draw()
		wellFormed(t, c)
		for _, r := range rects(t, string(c.SVG)) {
			if r.h != 0 {
				t.Fatalf("a zero is %v high", r.h)
			}
		}
		if !strings.Contains(string(c.SVG), `text-anchor="end">1</text>`) {
			t.Fatalf("all zeros still get an axis of 0 to 1:\n%s", c.SVG)
		}
	})
	t.Run("a single day", func(t *testing.T) {
		c := BarChart{ID: "one", Labels: []string{"05-31"}, Series: []Series{{Values: []float64{7}}}, Whole: true}.Draw()
		wellFormed(t, c)
		rs := rects(t, string(c.SVG))
		if len(rs) != 1 || rs[0].w <= 0 || rs[0].x+rs[0].w > chartW-padRight || rs[0].h <= 0 {
			t.Fatalf("one bar: %+v", rs)
		}
		if !strings.Contains(string(c.SVG), ">05-31</text>") {
			t.Fatal("its label is shown")
		}
	})
	t.Run("huge values", func(t *testing.T) {
		c := BarChart{ID: "big", Labels: []string{"a", "b"}, Series: []Series{{Values: []float64{9.2e15, 1}}}}.Draw()
		wellFormed(t, c)
		rs := rects(t, string(c.SVG))
		if rs[0].h < plotH*0.9 || rs[0].h > plotH || rs[1].h > 0.1 {
			t.Fatalf("bars: %+v", rs)
		}
		if !strings.Contains(string(c.SVG), "T</text>") || c.Rows[0][1] != "9,200,000,000,000,000" {
			t.Fatalf("axis in short units, table in full: %v\n%s", c.Rows, c.SVG)
		}
	})
	t.Run("negative values hang below zero", func(t *testing.T) {
		c := BarChart{ID: "neg", Labels: []string{"a", "b"}, Series: []Series{{Values: []float64{-4, 8}}}, Whole: true}.Draw()
		wellFormed(t, c)
		rs := rects(t, string(c.SVG))
		sc := niceScale(-4, 8, true)
		zero := sc.y(0)
		if math.Abs(rs[0].y-zero) > 0.1 || math.Abs(rs[1].y+rs[1].h-zero) > 0.1 || math.Abs(rs[1].h-2*rs[0].h) > 0.2 {
			t.Fatalf("bars around zero at %v: %+v", zero, rs)
		}
	})
	t.Run("not numbers count as zero", func(t *testing.T) {
		c := BarChart{ID: "nan", Labels: []string{"a", "b", "c"}, Series: []Series{{Values: []float64{math.NaN(), math.Inf(1), 3}}}}.Draw()
		wellFormed(t, c)
	})
	t.Run("no data", func(t *testing.T) {
		wellFormed(t, BarChart{ID: "none"}.Draw())
		wellFormed(t, StepChart{ID: "none2", End: time.Now()}.Draw())
	})
	t.Run("more values than labels, fewer values than labels", func(t *testing.T) {
		c := BarChart{ID: "ragged", Labels: []string{"a", "b", "c"}, Series: []Series{{Values: []float64{1}}, {Values: []float64{1, 2, 3, 4}}}}.Draw()
		wellFormed(t, c)
		if n := len(rects(t, string(c.SVG))); n != 6 {
			t.Fatalf("%d bars for 3 labels of 2 series", n)
		}
	})
}

func TestTwoSeriesStandSideBySide(t *testing.T) {
	c := BarChart{ID: "two", Labels: []string{"a", "b"}, Series: []Series{{Name: "Posts", Values: []float64{4, 2}}, {Name: "Reports", Values: []float64{1, 0}}}, Whole: true}.Draw()
	wellFormed(t, c)
	rs := rects(t, string(c.SVG))
	if len(rs) != 4 || rs[0].class != "bar" || rs[1].class != "bar2" || rs[1].x <= rs[0].x || rs[2].x <= rs[1].x {
		t.Fatalf("bars: %+v", rs)
	}
	if len(c.Legend) != 2 || c.Legend[1].Swatch != "b2" || c.Rows[0][2] != "1" {
		t.Fatalf("legend %v, rows %v", c.Legend, c.Rows)
	}
	if !strings.Contains(string(c.SVG), "<title>a · Reports: 1</title>") {
		t.Fatalf("a pair's tooltips name their series:\n%s", c.SVG)
	}
}

func TestManyDaysLabelOnlySome(t *testing.T) {
	now := time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC)
	span := days(now, 30)
	if len(span) != 30 || !span[29].Equal(time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC)) || !span[0].Equal(time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("days: %v … %v", span[0], span[len(span)-1])
	}
	values := perDay(span, map[time.Time]int64{span[29]: 250, span[3]: 100, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC): 9}, 100)
	if values[29] != 2.5 || values[3] != 1 || values[0] != 0 {
		t.Fatalf("per day: %v", values)
	}
	c := BarChart{ID: "m", Labels: dayLabels(span), Series: []Series{{Values: values}}}.Draw()
	wellFormed(t, c)
	if n := strings.Count(string(c.SVG), `text-anchor="middle"`); n != 10 {
		t.Fatalf("%d day labels for 30 days, want 10", n)
	}
}

func TestNiceScales(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		whole  bool
		want   scale
	}{
		{0, 0, true, scale{0, 1, 1}},
		{0, 2, true, scale{0, 2, 1}},
		{0, 2, false, scale{0, 2, 0.5}},
		{0, 10, true, scale{0, 10, 5}},
		{0, 10, false, scale{0, 10, 2.5}},
		{0, 97, true, scale{0, 100, 25}},
		{0, 100, false, scale{0, 100, 25}},
		{0, 1234, true, scale{0, 1500, 500}},
		{-3, 8, true, scale{-5, 10, 5}},
		{5, 9, true, scale{0, 10, 5}}, // zero is always on the axis
	} {
		if got := niceScale(c.lo, c.hi, c.whole); got != c.want {
			t.Errorf("niceScale(%v, %v, %v) = %+v, want %+v", c.lo, c.hi, c.whole, got, c.want)
		}
	}
}

func TestNumbers(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 12: "12", 1234: "1,234", -1234567: "-1,234,567", 2.5: "2.5", 1000.25: "1,000.25"} {
		if got := plainNumber(v); got != want {
			t.Errorf("plainNumber(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]string{0: "0", 950: "950", 1200: "1.2k", 3e6: "3M", 4.5e9: "4.5B", 2.5: "2.5", -2000: "-2k"} {
		if got := compactNumber(v); got != want {
			t.Errorf("compactNumber(%v) = %q, want %q", v, got, want)
		}
	}
	if num(-0.01) != "0" || num(12.345) != "12.3" {
		t.Errorf("num: %q %q", num(-0.01), num(12.345))
	}
}

func TestStepChartHoldsEachValue(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	c := StepChart{ID: "flag", Title: "circles", Points: []Point{{t0, 10}, {t0.Add(24 * time.Hour), 50}, {t0.Add(48 * time.Hour), 100}},
		End: t0.Add(72 * time.Hour), Lo: 0, Hi: 100, Name: "Users", Value: func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "%" }}.Draw()
	wellFormed(t, c)
	svg := string(c.SVG)
	// 0–100 over 200 units of height; 72 hours over 574 of width.
	x := func(h float64) string { return num(padLeft + plotW*h/72) }
	y := func(v float64) string { return num(padTop + plotH*(100-v)/100) }
	want := `d="M` + x(0) + ` ` + y(10) + `H` + x(24) + `V` + y(50) + `H` + x(48) + `V` + y(100) + `H` + x(72) + `"`
	if !strings.Contains(svg, want) {
		t.Fatalf("the path should be %s:\n%s", want, svg)
	}
	if strings.Count(svg, `<circle class="dot"`) != 3 || !strings.Contains(svg, "<title>2026-05-02 00:00: 50%</title>") {
		t.Fatalf("a dot with a tooltip at each change:\n%s", svg)
	}
	if len(c.Rows) != 3 || c.Rows[2][1] != "100%" {
		t.Fatalf("rows: %v", c.Rows)
	}
	// One point alone still draws a level line.
	one := StepChart{ID: "one", Points: []Point{{t0, 25}}, End: t0, Lo: 0, Hi: 100}.Draw()
	wellFormed(t, one)
	if !strings.Contains(string(one.SVG), `H`+num(chartW-padRight)+`"`) {
		t.Fatalf("one point:\n%s", one.SVG)
	}
}
