package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Charts are drawn on the server as inline SVG: no script, no style
// attribute (the page's CSP forbids both), the colours from app.css's
// .chart classes. Each chart carries an accessible title and description,
// a <title> tooltip on every bar and point, and its numbers for a table
// the page shows under it, for screen readers and for copying.

// Chart is a drawn chart with the numbers behind it.
type Chart struct {
	ID    string // unique on its page: the SVG's title and description hang on it
	Title string
	Desc  string
	SVG   template.HTML
	// Legend names the series, with the swatch class of each ("" or "b2").
	Legend []Legend
	// Head and Rows are the chart's numbers as a table: Head names the
	// columns (the first the labels'), each row a label and its values.
	Head []string
	Rows [][]string
}

// Legend is one series' name and swatch.
type Legend struct{ Name, Swatch string }

// Series is one row of bars: a value per label.
type Series struct {
	Name   string
	Values []float64
}

// BarChart is a bar chart of one or two series over labels (days, age
// buckets …); with two, each label gets a pair of bars.
type BarChart struct {
	ID, Title, Desc string
	Labels          []string
	Series          []Series
	// Tick writes an axis value, short (nil: compactNumber); Value writes
	// a value exactly, for tooltips and the table (nil: plainNumber).
	Tick, Value func(float64) string
	// Whole asks for whole-number ticks (counts).
	Whole bool
	// LabelEvery shows every nth label under the bars (0: as many as fit).
	LabelEvery int
}

// The drawing's size in SVG units; it scales to its container.
const (
	chartW, chartH                       = 640.0, 240.0
	padLeft, padRight, padTop, padBottom = 56.0, 10.0, 12.0, 28.0
	plotW, plotH                         = chartW - padLeft - padRight, chartH - padTop - padBottom
	maxXLabels                           = 10
	barFill, barGap                      = 0.8, 0.1 // a label's slot: bars take 80%, 10% air each side
)

// scale maps values to heights: from lo to hi, with ticks every step.
type scale struct{ lo, hi, step float64 }

// niceScale finds a scale from lo to hi (lo ≤ 0 ≤ hi) in about four
// steps of 1, 2, 2.5 or 5 times a power of ten; whole asks for steps of at
// least 1 and whole ticks. All zeros get a scale of 0 to 1.
func niceScale(lo, hi float64, whole bool) scale {
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	if hi-lo <= 0 {
		return scale{0, 1, 1}
	}
	raw := (hi - lo) / 4
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow * 10
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if whole && m == 2.5 && pow < 10 {
			continue // counts are not in quarters
		}
		if raw <= m*pow {
			step = m * pow
			break
		}
	}
	if whole && step < 1 {
		step = 1
	}
	return scale{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step, step: step}
}

// y is the vertical position of v.
func (s scale) y(v float64) float64 { return padTop + plotH*(s.hi-v)/(s.hi-s.lo) }

// ticks are the values the axis labels, lo to hi.
func (s scale) ticks() []float64 {
	var out []float64
	n := int(math.Round((s.hi - s.lo) / s.step))
	for i := 0; i <= n && i <= 20; i++ {
		out = append(out, s.lo+float64(i)*s.step)
	}
	return out
}

// finite is v, or 0 for NaN and infinities (which have no place on an axis).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// num writes a coordinate with one decimal at most.
func num(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}

// plainNumber writes a value as a whole number with thousands separators,
// or with up to two decimals when it has them.
func plainNumber(v float64) string {
	neg := v < 0
	v = math.Abs(v)
	whole := math.Floor(v)
	frac := strconv.FormatFloat(v-whole, 'f', 2, 64)[1:] // ".25"
	if frac == ".00" || frac == ".0" {
		frac = ""
	} else {
		frac = strings.TrimRight(frac, "0")
	}
	digits := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String() + frac
}

// compactNumber writes an axis value short: 950, 1.2k, 3M, 4.5B.
func compactNumber(v float64) string {
	a := math.Abs(v)
	for _, u := range []struct {
		at     float64
		suffix string
	}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= u.at {
			return strconv.FormatFloat(math.Round(v/u.at*10)/10, 'f', -1, 64) + u.suffix
		}
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// svgOpen starts a chart's SVG with its accessible name and description.
func svgOpen(b *strings.Builder, id, title, desc string) {
	esc := template.HTMLEscapeString
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`,
		num(chartW), num(chartH), esc(id), esc(id))
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, esc(id), esc(title), esc(id), esc(desc))
}

// yAxis draws the gridlines and their labels.
func yAxis(b *strings.Builder, s scale, tick func(float64) string) {
	for _, t := range s.ticks() {
		y := num(s.y(t))
		fmt.Fprintf(b, `<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(padLeft), num(chartW-padRight), y, y)
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, num(padLeft-6), num(s.y(t)+4), template.HTMLEscapeString(tick(t)))
	}
}

// Draw draws the bar chart.
func (c BarChart) Draw() Chart {
	tick, value := c.Tick, c.Value
	if tick == nil {
		tick = compactNumber
	}
	if value == nil {
		value = plainNumber
	}
	out := Chart{ID: c.ID, Title: c.Title, Desc: c.Desc, Head: []string{""}}
	lo, hi := 0.0, 0.0
	for i, s := range c.Series {
		out.Head = append(out.Head, s.Name)
		out.Legend = append(out.Legend, Legend{Name: s.Name, Swatch: map[bool]string{true: "b2"}[i == 1]})
		for _, v := range s.Values {
			lo, hi = math.Min(lo, finite(v)), math.Max(hi, finite(v))
		}
	}
	sc := niceScale(lo, hi, c.Whole)
	var b strings.Builder
	svgOpen(&b, c.ID, c.Title, c.Desc)
	yAxis(&b, sc, tick)
	n := len(c.Labels)
	every := c.LabelEvery
	if every <= 0 {
		every = (n + maxXLabels - 1) / maxXLabels
	}
	every = max(every, 1)
	if n > 0 {
		slot := plotW / float64(n)
		bw := slot * barFill / float64(max(len(c.Series), 1))
		zero := sc.y(0)
		for i, label := range c.Labels {
			row := []string{label}
			for k, s := range c.Series {
				v := 0.0
				if i < len(s.Values) {
					v = finite(s.Values[i])
				}
				row = append(row, value(v))
				top := math.Min(sc.y(v), zero)
				class := "bar"
				if k == 1 {
					class = "bar2"
				}
				tip := label + ": " + value(v)
				if len(c.Series) > 1 {
					tip = label + " · " + s.Name + ": " + value(v)
				}
				fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`, class,
					num(padLeft+float64(i)*slot+slot*barGap+float64(k)*bw), num(top), num(bw), num(math.Abs(sc.y(v)-zero)),
					template.HTMLEscapeString(tip))
			}
			out.Rows = append(out.Rows, row)
			if i%every == 0 {
				fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(padLeft+(float64(i)+.5)*slot), num(chartH-8),
					template.HTMLEscapeString(label))
			}
		}
	}
	b.WriteString(`</svg>`)
	out.SVG = template.HTML(b.String())
	if len(c.Series) < 2 {
		out.Legend = nil
	}
	return out
}

// Point is a value from a moment on.
type Point struct {
	At    time.Time
	Value float64
}

// StepChart is a line that holds each value until the next point, up to
// End: a percentage over time, say.
type StepChart struct {
	ID, Title, Desc string
	Points          []Point // in time order
	End             time.Time
	// Lo and Hi fix the vertical range (both 0: from the values).
	Lo, Hi float64
	// Name heads the values' column in the table.
	Name        string
	Tick, Value func(float64) string
	// When writes a point's time (nil: "2006-01-02 15:04" UTC).
	When func(time.Time) string
}

// Draw draws the step chart.
func (c StepChart) Draw() Chart {
	tick, value, when := c.Tick, c.Value, c.When
	if tick == nil {
		tick = compactNumber
	}
	if value == nil {
		value = plainNumber
	}
	if when == nil {
		when = func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	}
	out := Chart{ID: c.ID, Title: c.Title, Desc: c.Desc, Head: []string{"", c.Name}}
	var sc scale
	if c.Lo == 0 && c.Hi == 0 {
		lo, hi := 0.0, 0.0
		for _, p := range c.Points {
			lo, hi = math.Min(lo, finite(p.Value)), math.Max(hi, finite(p.Value))
		}
		sc = niceScale(lo, hi, false)
	} else {
		sc = niceScale(c.Lo, c.Hi, false)
	}
	var b strings.Builder
	svgOpen(&b, c.ID, c.Title, c.Desc)
	yAxis(&b, sc, tick)
	if len(c.Points) > 0 {
		start, end := c.Points[0].At, c.End
		if last := c.Points[len(c.Points)-1].At; end.Before(last) {
			end = last
		}
		if !end.After(start) {
			end = start.Add(time.Hour) // one moment: a level line an hour long
		}
		span := float64(end.Sub(start))
		x := func(t time.Time) float64 { return padLeft + plotW*float64(t.Sub(start))/span }
		var d strings.Builder
		for i, p := range c.Points {
			v := finite(p.Value)
			if i == 0 {
				fmt.Fprintf(&d, "M%s %s", num(x(p.At)), num(sc.y(v)))
			} else {
				fmt.Fprintf(&d, "H%sV%s", num(x(p.At)), num(sc.y(v)))
			}
			out.Rows = append(out.Rows, []string{when(p.At), value(v)})
		}
		fmt.Fprintf(&d, "H%s", num(x(end)))
		fmt.Fprintf(&b, `<path class="line" d="%s"/>`, d.String())
		for _, p := range c.Points {
			fmt.Fprintf(&b, `<circle class="dot" cx="%s" cy="%s" r="3.5"><title>%s</title></circle>`, num(x(p.At)), num(sc.y(finite(p.Value))),
				template.HTMLEscapeString(when(p.At)+": "+value(finite(p.Value))))
		}
		// Time labels: the start, the end, and two between, as precise as
		// the span needs.
		layout := "01-02"
		switch span := end.Sub(start); {
		case span < time.Hour:
			layout = "15:04:05"
		case span < 48*time.Hour:
			layout = "01-02 15:04"
		}
		for i := 0; i <= 3; i++ {
			t := start.Add(time.Duration(float64(end.Sub(start)) * float64(i) / 3))
			anchor := map[int]string{0: "start", 3: "end"}[i]
			if anchor == "" {
				anchor = "middle"
			}
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s">%s</text>`, num(x(t)), num(chartH-8), anchor,
				template.HTMLEscapeString(t.UTC().Format(layout)))
		}
	}
	b.WriteString(`</svg>`)
	out.SVG = template.HTML(b.String())
	return out
}

// days are the UTC midnights of the n days ending with today's.
func days(now time.Time, n int) []time.Time {
	today := now.UTC().Truncate(24 * time.Hour)
	out := make([]time.Time, n)
	for i := range n {
		out[i] = today.AddDate(0, 0, i-n+1)
	}
	return out
}

// perDay lines up a per-day map on days, zero where it has nothing.
func perDay(days []time.Time, m map[time.Time]int64, scaleBy float64) []float64 {
	out := make([]float64, len(days))
	for i, d := range days {
		out[i] = float64(m[d]) / scaleBy
	}
	return out
}

// dayLabels are days as short labels: "05-31".
func dayLabels(days []time.Time) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = d.Format("01-02")
	}
	return out
}
