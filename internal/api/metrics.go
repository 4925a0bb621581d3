package api

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quanzi/quanzi/internal/store"
)

// metrics are the Prometheus series the API exports. Each Server has its
// own registry, so tests and several servers in one process do not clash.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// series caches each label combination's counter and histogram, so a
	// request does not hash its labels again.
	series sync.Map // seriesKey → *series
}

type seriesKey struct {
	route, method string
	status        int
}

type series struct {
	count prometheus.Counter
	time  prometheus.Observer
}

// batchStats says how many batches a batcher committed and how many
// calls they settled.
type batchStats func() (batches, calls int64)

func newMetrics(db *store.DB, transfers, tips batchStats) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quanzi_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "quanzi_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.reg.MustRegister(dbCollector{db})
	}
	for _, b := range []struct {
		stats        batchStats
		name, plural string
	}{{transfers, "transfer", "transfers"}, {tips, "tip", "tips"}} {
		if b.stats == nil {
			continue
		}
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "quanzi_" + b.name + "_batches_total",
				Help: "Transactions that settled a batch of " + b.plural + "."},
				func() float64 { n, _ := b.stats(); return float64(n) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "quanzi_" + b.plural + "_settled_total",
				Help: strings.ToUpper(b.plural[:1]) + b.plural[1:] + " settled in batches (divide by the batches for the mean batch size)."},
				func() float64 { _, n := b.stats(); return float64(n) }))
	}
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	k := seriesKey{route, method, status}
	v, ok := m.series.Load(k)
	if !ok {
		// Unmatched paths share one route label, so the key space stays
		// bounded by the route table.
		v, _ = m.series.LoadOrStore(k, &series{
			count: m.requests.WithLabelValues(route, method, strconv.Itoa(status)),
			time:  m.latency.WithLabelValues(route, method),
		})
	}
	s := v.(*series)
	s.count.Inc()
	s.time.Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// dbCollector exports the database pools' statistics.
type dbCollector struct{ db *store.DB }

var (
	dbOpen     = prometheus.NewDesc("quanzi_db_connections_open", "Open connections in the pool.", []string{"pool"}, nil)
	dbInUse    = prometheus.NewDesc("quanzi_db_connections_in_use", "Connections in use.", []string{"pool"}, nil)
	dbIdle     = prometheus.NewDesc("quanzi_db_connections_idle", "Idle connections.", []string{"pool"}, nil)
	dbMax      = prometheus.NewDesc("quanzi_db_connections_max", "The pool's connection limit.", []string{"pool"}, nil)
	dbWaits    = prometheus.NewDesc("quanzi_db_waits_total", "Times a request waited for a connection.", []string{"pool"}, nil)
	dbWaitTime = prometheus.NewDesc("quanzi_db_wait_seconds_total", "Time spent waiting for a connection.", []string{"pool"}, nil)
)

func (c dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbOpen, dbInUse, dbIdle, dbMax, dbWaits, dbWaitTime} {
		ch <- d
	}
}

func (c dbCollector) Collect(ch chan<- prometheus.Metric) {
	for pool, st := range c.db.Stats() {
		ch <- prometheus.MustNewConstMetric(dbOpen, prometheus.GaugeValue, float64(st.OpenConnections), pool)
		ch <- prometheus.MustNewConstMetric(dbInUse, prometheus.GaugeValue, float64(st.InUse), pool)
		ch <- prometheus.MustNewConstMetric(dbIdle, prometheus.GaugeValue, float64(st.Idle), pool)
		ch <- prometheus.MustNewConstMetric(dbMax, prometheus.GaugeValue, float64(st.MaxOpenConnections), pool)
		ch <- prometheus.MustNewConstMetric(dbWaits, prometheus.CounterValue, float64(st.WaitCount), pool)
		ch <- prometheus.MustNewConstMetric(dbWaitTime, prometheus.CounterValue, st.WaitDuration.Seconds(), pool)
	}
}
