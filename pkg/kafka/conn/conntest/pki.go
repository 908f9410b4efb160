package conntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TB is what the helpers need of a test; *testing.T satisfies it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	TempDir() string
}

// CA is a certificate authority made for one test. Its files live in the
// test's temporary directory.
type CA struct {
	t    TB
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// File is the CA's certificate in PEM: what a client's
	// kafka.tls.ca_file names to trust it.
	File string
}

// NewCA makes a CA valid from an hour ago for a day.
func NewCA(t TB, name string) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("conntest: make CA %s: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("conntest: parse CA %s: %v", name, err)
	}
	ca := &CA{t: t, cert: cert, key: key, File: filepath.Join(t.TempDir(), "ca.pem")}
	writePEM(t, ca.File, "CERTIFICATE", der)
	return ca
}

// Leaf says what a server certificate holds: the names it is valid for
// and when. A zero NotBefore or NotAfter means an hour ago or a day from
// now.
type Leaf struct {
	DNSNames            []string
	IPs                 []net.IP
	NotBefore, NotAfter time.Time
}

// Loopback is a Leaf valid for 127.0.0.1 and localhost, now.
func Loopback() Leaf {
	return Leaf{DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}
}

// Expired is a Loopback Leaf that expired a day ago.
func Expired() Leaf {
	l := Loopback()
	l.NotBefore, l.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	return l
}

// Issue signs a server certificate as l says, for a TLS listener.
func (ca *CA) Issue(l Leaf) tls.Certificate {
	ca.t.Helper()
	if l.NotBefore.IsZero() {
		l.NotBefore = time.Now().Add(-time.Hour)
	}
	if l.NotAfter.IsZero() {
		l.NotAfter = time.Now().Add(24 * time.Hour)
	}
	key := newKey(ca.t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(ca.t), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: l.NotBefore, NotAfter: l.NotAfter, DNSNames: l.DNSNames, IPAddresses: l.IPs,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		ca.t.Fatalf("conntest: issue certificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func newKey(t TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("conntest: key: %v", err)
	}
	return key
}

func serial(t TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatalf("conntest: serial: %v", err)
	}
	return n
}

func writePEM(t TB, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatalf("conntest: write %s: %v", path, err)
	}
}
