package ui

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"rounds/social"
	"rounds/storage"
)

// directoryPageSize is how many clinicians the directory shows at once.
const directoryPageSize = 20

// directoryEntry is one clinician as the directory page shows them.
type directoryEntry struct {
	Name, Handle, Path, Avatar string
	Note                       template.HTML
	Profession, Specialty      string
	Organisation               string
	LastPosted                 time.Time // zero: never
}

// directoryPage is GET /directory: this server's verified clinicians
// (those who chose to be discoverable), by profession, specialty and
// organisation, searchable by words in their name or bio; a plain GET form,
// so it works without JavaScript.
func (h *handler) directoryPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	in := r.URL.Query()
	o := social.DirectoryOptions{
		Limit: directoryPageSize, Active: in.Get("order") != "new",
		Query:        strings.TrimSpace(in.Get("q")),
		Profession:   strings.TrimSpace(in.Get("profession")),
		Specialty:    strings.TrimSpace(in.Get("specialty")),
		Organisation: strings.TrimSpace(in.Get("organisation")),
	}
	if len(o.Query) > 200 || len(o.Specialty) > 200 || len(o.Organisation) > 200 || len(o.Profession) > 200 {
		h.problem(w, r, http.StatusBadRequest, "That search is too long; use fewer words.")
		return
	}
	page, _ := strconv.Atoi(in.Get("page"))
	page = max(page, 1)
	o.Offset = (page - 1) * directoryPageSize
	// A signed-in reader does not see those they block or mute, or who
	// block them.
	var viewer *storage.Account
	if sess, err := h.browserSession(r); err == nil && sess != nil {
		viewer = sess.User.Account
	}
	entries, err := h.social.VerifiedDirectory(ctx, viewer, o)
	if err != nil {
		h.log.Error("directory", "error", err)
		h.problem(w, r, http.StatusInternalServerError, "The directory could not be loaded. Try again in a moment.")
		return
	}
	facets, err := h.social.DirectoryFacets(ctx)
	if err != nil {
		h.log.Error("directory facets", "error", err)
	}
	h.renderDirectory(w, r, o, page, entries, facets)
}

func (h *handler) renderDirectory(w http.ResponseWriter, r *http.Request, o social.DirectoryOptions, page int, entries []social.DirectoryEntry, facets storage.DirectoryFacets) {
	var list []directoryEntry
	for _, e := range entries {
		d := directoryEntry{
			Name: displayName(e.Account), Handle: h.handle(e.Account), Path: h.profilePath(e.Account),
			Avatar:     avatarURL(e.Account),
			Note:       template.HTML(e.Account.Note), // #nosec G203 -- local notes are escaped when stored
			LastPosted: e.LastStatusAt,
		}
		if v := e.Verification; v != nil {
			d.Profession, d.Specialty, d.Organisation = v.Profession, v.Specialty, v.Organisation
		}
		list = append(list, d)
	}
	link := func(p int) string {
		q := url.Values{}
		for k, v := range map[string]string{"q": o.Query, "profession": o.Profession, "specialty": o.Specialty, "organisation": o.Organisation} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if !o.Active {
			q.Set("order", "new")
		}
		if p > 1 {
			q.Set("page", strconv.Itoa(p))
		}
		if len(q) == 0 {
			return "/directory"
		}
		return "/directory?" + q.Encode()
	}
	data := map[string]any{
		"Entries": list, "Facets": facets, "Options": o,
		"Filtered": o.Query != "" || o.Profession != "" || o.Specialty != "" || o.Organisation != "",
	}
	if page > 1 {
		data["Newer"] = link(page - 1)
	}
	if len(entries) == directoryPageSize {
		data["Older"] = link(page + 1)
	}
	h.render(w, r, http.StatusOK, "directory", data)
}
