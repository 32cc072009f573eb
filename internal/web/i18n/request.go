package i18n

import "net/http"

// CookieName holds a visitor's chosen language until accounts store it per
// user.
const CookieName = "yuanxu_lang"

// FromRequest returns the request's language: the language cookie if set and
// supported, else the Accept-Language header, else zh-CN.
func FromRequest(r *http.Request) Lang {
	if c, err := r.Cookie(CookieName); err == nil {
		if l, ok := Parse(c.Value); ok {
			return l
		}
	}
	return Negotiate(r.Header.Get("Accept-Language"))
}
