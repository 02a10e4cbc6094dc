package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// writeJSON answers with v as JSON; an empty body would break some clients,
// so nil becomes {}.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v == nil {
		_, _ = io.WriteString(w, "{}")
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// apiError is an error with the status and message to answer with.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// writeError answers {"error": ...} with the status Mastodon uses for err.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var ve *social.ValidationError
	var ie *social.IdentifierError
	var te *social.ToneError
	switch {
	case errors.As(err, &te):
		// Sending the same text again after the wait posts it.
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": te.Error(), "rounds_tone_reasons": te.Verdict.Reasons})
	case errors.As(err, &ie):
		// The message is for the clinician to read in their app; it never
		// holds the identifier itself, only a masked form.
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": ie.Error(), "rounds_identifier_kinds": ie.Kinds()})
	case errors.As(err, &ae):
		writeJSON(w, ae.status, map[string]string{"error": ae.msg})
	case errors.As(err, &ve):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: " + capitalize(ve.Error())})
	case errors.Is(err, social.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
	case errors.Is(err, social.ErrForbidden):
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "This action is not allowed"})
	case errors.Is(err, social.ErrConflict):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: " + err.Error()})
	case social.IsOutOfSpace(err):
		h.log.Error("api request failed: out of storage space", "path", r.URL.Path, "error", err)
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": social.OutOfSpaceMessage})
	default:
		h.log.Error("api request failed", "path", r.URL.Path, "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Something went wrong on our side"})
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// params are a request's parameters from the query string, a form,
// multipart form or JSON body, in one shape: Mastodon apps send all four.
type params map[string][]string

// parseParams reads every parameter of r. JSON objects and arrays are
// flattened the way Rails would read the same form: a[]=1, a[0][name]=x.
func parseParams(r *http.Request) (params, error) {
	p := params{}
	for k, v := range r.URL.Query() {
		p[k] = append(p[k], v...)
	}
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return p, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var body any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			return nil, errorf(http.StatusBadRequest, "The request body is not valid JSON: %v", err)
		}
		if body != nil {
			obj, ok := body.(map[string]any)
			if !ok {
				return nil, errorf(http.StatusBadRequest, "The request body must be a JSON object")
			}
			flatten(p, "", obj)
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, errorf(http.StatusBadRequest, "The form could not be read: %v", err)
		}
		for k, v := range r.MultipartForm.Value {
			p[k] = append(p[k], v...)
		}
	case "application/x-www-form-urlencoded":
		if r.Method != http.MethodDelete {
			if err := r.ParseForm(); err != nil {
				return nil, errorf(http.StatusBadRequest, "The form could not be read: %v", err)
			}
			for k, v := range r.PostForm {
				p[k] = append(p[k], v...)
			}
			break
		}
		// Go reads a form body for POST, PUT and PATCH only; Rails reads a
		// DELETE's too, and apps send DELETE /api/v1/domain_blocks with
		// the domain in one.
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "The form could not be read: %v", err)
		}
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "The form could not be read: %v", err)
		}
		for k, v := range vals {
			p[k] = append(p[k], v...)
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, errorf(http.StatusBadRequest, "The form could not be read: %v", err)
		}
		for k, v := range r.PostForm {
			p[k] = append(p[k], v...)
		}
	}
	return p, nil
}

func flatten(p params, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			key := k
			if prefix != "" {
				key = prefix + "[" + k + "]"
			}
			flatten(p, key, val)
		}
	case []any:
		if _, ok := p[prefix+"[]"]; !ok && len(x) == 0 {
			// An empty array is there, with no values: "media_ids": []
			// takes every image off a post in an edit.
			p[prefix+"[]"] = []string{}
		}
		for i, val := range x {
			switch val.(type) {
			case map[string]any, []any:
				flatten(p, fmt.Sprintf("%s[%d]", prefix, i), val)
			default:
				flatten(p, prefix+"[]", val)
			}
		}
	case nil:
		p[prefix] = append(p[prefix], "")
	case bool:
		p[prefix] = append(p[prefix], strconv.FormatBool(x))
	case json.Number:
		p[prefix] = append(p[prefix], x.String())
	case string:
		p[prefix] = append(p[prefix], x)
	}
}

// str returns the first value of key, or "".
func (p params) str(key string) string {
	if v := p[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// has reports whether key was given at all.
func (p params) has(key string) bool { _, ok := p[key]; return ok }

// boolean reads key as Mastodon does: true, 1, True, on are true.
func (p params) boolean(key string) bool {
	switch strings.ToLower(p.str(key)) {
	case "true", "1", "on", "t", "yes":
		return true
	}
	return false
}

// list returns the values of key[] (or key).
func (p params) list(key string) []string {
	if v := p[key+"[]"]; len(v) > 0 {
		return v
	}
	return p[key]
}

// id reads key as a 64-bit id; "" gives 0.
func (p params) id(key string) (int64, error) {
	s := p.str(key)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(http.StatusBadRequest, "%s must be an id", key)
	}
	return n, nil
}

// pathID reads the {id} route parameter; one that is not a number names
// nothing, so it is 404.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return 0, social.ErrNotFound
	}
	return id, nil
}

// idAction is the shape of most handlers about one thing named by {id}: it
// reads the id (404 when it is not a number) and the parameters, runs act,
// and answers its result as JSON (nil: {}) or the error as Mastodon does.
func (h *handler) idAction(act func(r *http.Request, id int64, p params) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		var p params
		if err == nil {
			p, err = parseParams(r)
		}
		var out any
		if err == nil {
			out, err = act(r, id, p)
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}
