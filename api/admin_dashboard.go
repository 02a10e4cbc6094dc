package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// dashboardRoutes mounts Mastodon's dashboard figures: POST
// /api/v1/admin/measures, dimensions and retention (admin:read, staff).
func (h *handler) dashboardRoutes(r chi.Router) {
	read := requireStaff("admin:read", social.PermModerate)
	r.With(read).Post("/api/v1/admin/measures", h.adminMeasures)
	r.With(read).Post("/api/v1/admin/dimensions", h.adminDimensions)
	r.With(read).Post("/api/v1/admin/retention", h.adminRetention)
}

// dashboardPeriod reads start_at and end_at, both required.
func dashboardPeriod(p params) (from, to time.Time, err error) {
	for _, f := range []struct {
		key string
		dst *time.Time
	}{{"start_at", &from}, {"end_at", &to}} {
		v := p.str(f.key)
		if v == "" {
			return from, to, errorf(http.StatusBadRequest, "%s is missing", f.key)
		}
		if *f.dst, err = social.ParseDashboardTime(v); err != nil {
			return from, to, errorf(http.StatusBadRequest, "%s is not an ISO 8601 date", f.key)
		}
	}
	return from, to, nil
}

// dashboardArgs reads the tag id of the tag_ keys and the domain of the
// instance_ keys: tag_accounts[id]=1, instance_accounts[domain]=x.
func dashboardArgs(p params, keys []string) (social.DashboardArgs, error) {
	var a social.DashboardArgs
	for _, k := range keys {
		if v := p.str(k + "[id]"); v != "" && a.TagID == 0 {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return a, errorf(http.StatusBadRequest, "%s[id] must be a number", k)
			}
			a.TagID = n
		}
		if v := p.str(k + "[domain]"); v != "" && a.Domain == "" {
			a.Domain = v
		}
	}
	return a, nil
}

// AdminMeasure is Mastodon's Admin::Measure entity.
type AdminMeasure struct {
	Key           string             `json:"key"`
	Unit          *string            `json:"unit"`
	Total         string             `json:"total"`
	HumanValue    *string            `json:"human_value,omitempty"`
	PreviousTotal *string            `json:"previous_total"`
	Data          []AdminMeasureData `json:"data"`
}

// AdminMeasureData is one day of a measure.
type AdminMeasureData struct {
	Date  string `json:"date"`
	Value string `json:"value"`
}

func (h *handler) adminMeasures(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	var from, to time.Time
	if err == nil {
		from, to, err = dashboardPeriod(p)
	}
	keys := p.list("keys")
	var args social.DashboardArgs
	if err == nil {
		args, err = dashboardArgs(p, keys)
	}
	var list []social.Measure
	if err == nil {
		list, err = h.social.Measures(r.Context(), staffActor(r), keys, from, to, args)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]AdminMeasure, 0, len(list))
	for _, m := range list {
		e := AdminMeasure{Key: m.Key, Total: strconv.FormatInt(m.Total, 10), Data: make([]AdminMeasureData, 0, len(m.Data))}
		prev := strconv.FormatInt(m.PreviousTotal, 10)
		e.PreviousTotal = &prev
		if m.Unit != "" {
			u := m.Unit
			e.Unit = &u
		}
		for _, d := range m.Data {
			e.Data = append(e.Data, AdminMeasureData{Date: mastoTime(d.Date), Value: strconv.FormatInt(d.Value, 10)})
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, out)
}

// AdminDimension is Mastodon's Admin::Dimension entity.
type AdminDimension struct {
	Key  string               `json:"key"`
	Data []AdminDimensionData `json:"data"`
}

// AdminDimensionData is one value of a dimension.
type AdminDimensionData struct {
	Key        string  `json:"key"`
	HumanKey   string  `json:"human_key"`
	Value      string  `json:"value"`
	Unit       *string `json:"unit,omitempty"`
	HumanValue *string `json:"human_value,omitempty"`
}

func (h *handler) adminDimensions(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	var from, to time.Time
	if err == nil {
		from, to, err = dashboardPeriod(p)
	}
	keys := p.list("keys")
	var args social.DashboardArgs
	if err == nil {
		args, err = dashboardArgs(p, keys)
	}
	limit := 10
	if err == nil {
		limit, err = intParam(p, "limit", 10)
	}
	var list []social.Dimension
	if err == nil {
		list, err = h.social.Dimensions(r.Context(), staffActor(r), keys, from, to, min(max(limit, 1), 100), args, h.version)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]AdminDimension, 0, len(list))
	for _, d := range list {
		e := AdminDimension{Key: d.Key, Data: make([]AdminDimensionData, 0, len(d.Data))}
		for _, v := range d.Data {
			dv := AdminDimensionData{Key: v.Key, HumanKey: v.HumanKey, Value: strconv.FormatInt(v.Value, 10)}
			if v.Unit != "" {
				u := v.Unit
				dv.Unit = &u
			}
			e.Data = append(e.Data, dv)
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, out)
}

// AdminCohort is Mastodon's Admin::Cohort entity.
type AdminCohort struct {
	Period    string            `json:"period"`
	Frequency string            `json:"frequency"`
	Data      []AdminCohortData `json:"data"`
}

// AdminCohortData is one period of a cohort.
type AdminCohortData struct {
	Date  string  `json:"date"`
	Rate  float64 `json:"rate"`
	Value string  `json:"value"`
}

func (h *handler) adminRetention(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	var from, to time.Time
	if err == nil {
		from, to, err = dashboardPeriod(p)
	}
	var list []social.Cohort
	if err == nil {
		list, err = h.social.Retention(r.Context(), staffActor(r), from, to, p.str("frequency"))
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]AdminCohort, 0, len(list))
	for _, c := range list {
		e := AdminCohort{Period: mastoTime(c.Period), Frequency: c.Frequency, Data: make([]AdminCohortData, 0, len(c.Data))}
		for _, d := range c.Data {
			e.Data = append(e.Data, AdminCohortData{Date: mastoTime(d.Date), Rate: d.Rate, Value: strconv.FormatInt(d.Value, 10)})
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, out)
}
