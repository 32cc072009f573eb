package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
)

// Certificates by ACME (issue 13, the acme driver): the customer names the
// domains and the challenge of a paid DV certificate, sees the record to
// publish, confirms a TXT record, downloads the certificate and chain, and
// reads a key we generated after re-authenticating.

type certificateOutput struct{ Body app.CertificateView }

type certificateRequestInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Body app.CertificateRequestInput
}

// CertificateKeyBody is the private key we generated for a certificate.
type CertificateKeyBody struct {
	PrivateKeyPEM string `json:"private_key_pem" example:"-----BEGIN PRIVATE KEY-----\n…"`
}

type certificateKeyOutput struct{ Body CertificateKeyBody }

func certificateOut(v app.CertificateView, err error) (*certificateOutput, error) {
	if err != nil {
		return nil, err
	}
	v.NotBefore, v.NotAfter = inCST(v.NotBefore), inCST(v.NotAfter)
	for i := range v.CertStates {
		v.CertStates[i].At = inCST(v.CertStates[i].At)
	}
	return &certificateOutput{Body: v}, nil
}

func registerCertificates(s *server) {
	tag := []string{"delivery"}
	commerceRegister(s, huma.Operation{OperationID: "request-certificate", Method: http.MethodPost, Path: "/services/{id}/certificate", Tags: tag,
		Security: secAny, Summary: "Request a paid DV certificate's issuance",
		Description: "Names the domains (as many as the product allows) and how control is proved: http-01 (the CA fetches " +
			"http://<domain>/.well-known/acme-challenge/<token>, which must reach this site — point the domain here or forward that path) " +
			"or dns-01 with dns_mode txt (you add the TXT record shown, then POST …/certificate/confirm) or cname (you delegate " +
			"_acme-challenge.<domain> once by CNAME to our zone). An optional CSR (RSA ≥ 2048 bits or ECDSA P-256/P-384) must name exactly " +
			"the domains; without one we generate the key. Everything is checked before the CA is contacted (acme.domain_invalid, " +
			"acme.csr_weak_key, acme.csr_names_mismatch, acme.csr_invalid, acme.challenge_invalid, acme.dns_mode_invalid, " +
			"acme.domains_too_many: 422 naming field and rule). Then the delivery is queued: the states validating → submitted_to_ca → " +
			"issued or ca_rejected are recorded as they happen (clause 3.2.2: a CA rejection is refunded in full). A second request is " +
			"acme.request_exists (409); a product not delivered by ACME acme.not_acme_product (409). Needs service.manage.",
		Errors: []int{401, 403, 404, 409, 422, 503}, DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *certificateRequestInput) (*certificateOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return certificateOut(s.app.SubmitCertificateRequest(ctx, p.Principal, in.ID, in.Body))
		})
	commerceRegister(s, huma.Operation{OperationID: "get-certificate", Method: http.MethodGet, Path: "/services/{id}/certificate", Tags: tag,
		Security: secAny, Summary: "Read a certificate and its request",
		Description: "The request's state (awaiting_request, submitted, awaiting_customer, confirmed, issued, rejected), the records to " +
			"publish while validation waits for you, the CA's reason of a rejection, the recorded CA states, and once issued the " +
			"certificate and chain (PEM) with their validity. Never the private key: GET …/certificate/key. Needs service.read.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *serviceIDInput) (*certificateOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return certificateOut(s.app.Certificate(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "confirm-certificate-challenge", Method: http.MethodPost, Path: "/services/{id}/certificate/confirm",
		Tags: tag, Security: secAny, Summary: "Confirm the DNS record is published",
		Description: "After adding the TXT record (or the CNAME) shown: the CA is asked to validate. A record not yet visible through our " +
			"resolver brings the request back to awaiting_customer with the reason; nothing waiting for you is acme.not_awaiting_customer " +
			"(409). Needs service.manage.",
		Errors: []int{401, 403, 404, 409}, DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *serviceIDInput) (*certificateOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return certificateOut(s.app.ConfirmCertificateChallenge(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "renew-certificate", Method: http.MethodPost, Path: "/services/{id}/certificate/renew",
		Tags: tag, Security: secAny, Summary: "Renew a certificate proved by your TXT record",
		Description: "Such a certificate is not renewed automatically (you are told certificate.renewal_due days before it ends, and " +
			"renewal_due is set on the certificate): a new order is opened at once and waits for the new TXT record shown in records, " +
			"then POST …/certificate/confirm. The old certificate stays downloadable until the new one is issued. Any other certificate " +
			"is acme.not_renewable (409). Needs service.manage.",
		Errors: []int{401, 403, 404, 409, 503}, DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *serviceIDInput) (*certificateOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return certificateOut(s.app.RenewCertificate(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "get-certificate-key", Method: http.MethodGet, Path: "/services/{id}/certificate/key", Tags: tag,
		Security: secSession, Summary: "Read the private key we generated",
		Description: "Decrypted for a browser session re-authenticated within the last 5 minutes (POST /me/reauthenticate; " +
			"session.reauth_required, 403, otherwise); API keys never read it, and it is never emailed. A certificate from your own CSR has " +
			"none (acme.no_private_key, 404). Each reading is audited. Needs service.manage.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *serviceIDInput) (*certificateKeyOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			k, err := s.app.CertificateKey(ctx, p.Principal, p.SessionToken, in.ID)
			if err != nil {
				return nil, err
			}
			return &certificateKeyOutput{Body: CertificateKeyBody{PrivateKeyPEM: k}}, nil
		})
}
