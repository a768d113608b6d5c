package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
)

// NewCert makes a self-signed ECDSA P-256 certificate for names (DNS names,
// or IP addresses in text form) valid until notAfter. The certificate is its
// own CA, so a pool holding it (CertPool) verifies it.
func NewCert(notAfter time.Time, names ...string) (tls.Certificate, error) {
	return NewCertValid(time.Now().Add(-time.Hour), notAfter, names...)
}

// NewCertValid is NewCert with an explicit validity start, for callers with
// their own clock (the demo sandbox fixes its dates so its verdicts do not
// depend on the day it runs).
func NewCertValid(notBefore, notAfter time.Time, names ...string) (tls.Certificate, error) {
	return newCert(nil, nil, notBefore, notAfter, true, names)
}

// NewCertWithKey is NewCertValid with a given key, for callers that need
// the same public key on every run (the demo's TLSA records name it).
func NewCertWithKey(key *ecdsa.PrivateKey, notBefore, notAfter time.Time, names ...string) (tls.Certificate, error) {
	return newCert(nil, key, notBefore, notAfter, true, names)
}

// NewCertSignedBy makes an ECDSA P-256 certificate for names signed by
// parent (a certificate from NewCert, or from this function with isCA
// set), for tests of chains: DANE-TA trust anchors, intermediates, long
// chains. The returned certificate's Certificate holds only its own DER;
// append the parents' to present a chain.
func NewCertSignedBy(parent tls.Certificate, notAfter time.Time, isCA bool, names ...string) (tls.Certificate, error) {
	return newCert(&parent, nil, parent.Leaf.NotBefore, notAfter, isCA, names)
}

// newCert makes a certificate for key (nil: a fresh one) signed by parent,
// or self-signed when parent is nil.
func newCert(parent *tls.Certificate, key *ecdsa.PrivateKey, notBefore, notAfter time.Time, isCA bool, names []string) (tls.Certificate, error) {
	var err error
	if key == nil {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("smtptest: key: %w", err)
		}
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if len(names) > 0 {
		tmpl.Subject.CommonName = names[0]
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	issuer, signer := tmpl, any(key)
	if parent != nil {
		issuer, signer = parent.Leaf, parent.PrivateKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// CertPool returns a pool that trusts the given certificates (for a probe's
// RootCAs).
func CertPool(certs ...*tls.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		if c != nil && c.Leaf != nil {
			p.AddCert(c.Leaf)
		}
	}
	return p
}
