package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/web/i18n"
)

// shanghai is the zone the API answers instants in (+08:00).
var shanghai = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}()

type metaBody struct {
	Version         string    `json:"version" example:"1.0.0" doc:"Server version."`
	Sandbox         bool      `json:"sandbox" example:"true" doc:"Whether the server runs in sandbox mode (test clock, sandbox providers)."`
	ServerTime      time.Time `json:"server_time" example:"2026-07-01T08:00:00+08:00" doc:"Business time now: the sandbox clock in sandbox mode, else wall time."`
	DefaultLanguage string    `json:"default_language" example:"zh-CN" doc:"Language of messages when Accept-Language names none we support."`
	Languages       []string  `json:"languages" example:"[\"zh-CN\",\"en\"]" doc:"Supported message languages."`
}

type metaOutput struct {
	Body metaBody
}

func registerMeta(s *server) {
	register(s, huma.Operation{
		OperationID: "get-meta",
		Method:      http.MethodGet,
		Path:        "/meta",
		Summary:     "Describe this server",
		Description: "Version, sandbox flag, business time and languages. Needs no authentication.",
		Tags:        []string{"meta"},
	}, func(ctx context.Context, _ *struct{}) (*metaOutput, error) {
		langs := make([]string, 0, len(i18n.Langs))
		for _, l := range i18n.Langs {
			langs = append(langs, string(l))
		}
		return &metaOutput{Body: metaBody{
			Version: s.version, Sandbox: s.app.IsSandbox(), ServerTime: s.app.Now().In(shanghai),
			DefaultLanguage: string(i18n.ZH), Languages: langs,
		}}, nil
	})
}
