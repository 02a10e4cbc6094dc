package api

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"rounds/social"
)

// instanceDocumentRoutes are the instance's documents (Mastodon 4.0's
// extended description and privacy policy, 4.4's terms of service), its
// languages, and the peers search.
func (h *handler) instanceDocumentRoutes(r chi.Router) {
	pub := r.With(publicRoute(anyScope))
	pub.Get("/api/v1/instance/extended_description", h.instanceDocument(social.DocExtendedDescription))
	pub.Get("/api/v1/instance/privacy_policy", h.instanceDocument(social.DocPrivacyPolicy))
	pub.Get("/api/v1/instance/terms_of_service", h.termsOfService)
	pub.Get("/api/v1/instance/terms_of_service/{date}", h.termsOfService)
	pub.Get("/api/v1/instance/languages", h.instanceLanguages)
	pub.Get("/api/v1/instance/translation_languages", h.translationLanguages)
	// Rounds publishes no peers (/api/v1/instance/peers is empty), so a
	// search of them finds none either.
	pub.Get("/api/v1/peers/search", h.emptyList)
}

// instanceDocument answers Mastodon's ExtendedDescription and PrivacyPolicy
// entities: {updated_at, content}, content HTML.
func (h *handler) instanceDocument(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := h.social.InstanceDocument(r.Context(), kind)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		var updated *string // null until admins write one
		if !d.UpdatedAt.IsZero() {
			s := mastoTime(d.UpdatedAt)
			updated = &s
		}
		writeJSON(w, http.StatusOK, map[string]any{"updated_at": updated, "content": d.HTML})
	}
}

// termsOfService answers Mastodon 4.4's TermsOfService entity: the version
// in effect (GET /api/v1/instance/terms_of_service) or the one effective on
// a date (/terms_of_service/:date); 404 when there is none.
func (h *handler) termsOfService(w http.ResponseWriter, r *http.Request) {
	d, err := h.social.TermsOfService(r.Context(), chi.URLParam(r, "date"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var next *string
	if d.SucceededBy != "" {
		next = &d.SucceededBy
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"effective_date": d.EffectiveDate, "effective": d.Effective, "content": d.HTML, "succeeded_by": next,
	})
}

// iso6391 are the ISO 639-1 language codes a post's language may be, as
// Mastodon offers them.
var iso6391 = strings.Fields(`aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch
co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi
ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om
or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te
tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu`)

// instanceLanguages answers [{code, name}] for the languages a post may be
// in, names in English.
func (h *handler) instanceLanguages(w http.ResponseWriter, r *http.Request) {
	names := display.English.Languages()
	out := make([]map[string]string, 0, len(iso6391))
	for _, code := range iso6391 {
		name := names.Name(language.Make(code))
		if name == "" {
			name = code
		}
		out = append(out, map[string]string{"code": code, "name": name})
	}
	writeJSON(w, http.StatusOK, out)
}

// translationLanguages is {} as Mastodon answers while translation is off
// (configuration.translation.enabled is false).
func (h *handler) translationLanguages(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{})
}
