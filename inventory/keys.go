package inventory

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/multicloud-ecs/multicloud"
)

// KeyProvider seals and opens account secrets. Implementations may wrap a
// KMS or Vault; they must be safe for concurrent use.
type KeyProvider interface {
	// Encrypt seals plaintext and returns the ciphertext and the ID of the
	// key that sealed it.
	Encrypt(ctx context.Context, plaintext []byte) (ciphertext []byte, keyID string, err error)
	// Decrypt opens a ciphertext that Encrypt sealed with key keyID. It
	// fails when the key is unknown or the ciphertext was altered.
	Decrypt(ctx context.Context, ciphertext []byte, keyID string) ([]byte, error)
}

// AESGCMKeyProvider is a KeyProvider over one AES-256 key held in memory,
// with a random 96-bit nonce per encryption (stored before the sealed
// bytes). It is safe for concurrent use.
type AESGCMKeyProvider struct {
	aead  cipher.AEAD
	keyID string
}

// NewAESGCMKeyProvider returns a KeyProvider over key, which must be 32
// bytes long (AES-256); otherwise it returns an error matching
// multicloud.ErrInvalidArgument. The key ID is derived from a hash of the
// key, so rotating keys yields a new ID. The caller may reuse key after
// the call.
func NewAESGCMKeyProvider(key []byte) (*AESGCMKeyProvider, error) {
	if len(key) != 32 {
		return nil, multicloud.Errorf(multicloud.CodeInvalidArgument, "aes-256-gcm key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte("inventory key id\x00"), key...))
	return &AESGCMKeyProvider{aead: aead, keyID: "aesgcm:" + hex.EncodeToString(sum[:6])}, nil
}

// KeyID returns the ID of the provider's key.
func (p *AESGCMKeyProvider) KeyID() string { return p.keyID }

// Encrypt seals plaintext under a fresh random nonce.
func (p *AESGCMKeyProvider) Encrypt(_ context.Context, plaintext []byte) ([]byte, string, error) {
	nonce := make([]byte, p.aead.NonceSize(), p.aead.NonceSize()+len(plaintext)+p.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", err
	}
	return p.aead.Seal(nonce, nonce, plaintext, nil), p.keyID, nil
}

// Decrypt opens ciphertext; keyID must be the provider's own.
func (p *AESGCMKeyProvider) Decrypt(_ context.Context, ciphertext []byte, keyID string) ([]byte, error) {
	if keyID != p.keyID {
		return nil, fmt.Errorf("secret sealed with key %q, have %q", keyID, p.keyID)
	}
	n := p.aead.NonceSize()
	if len(ciphertext) < n+p.aead.Overhead() {
		return nil, fmt.Errorf("ciphertext too short")
	}
	pt, err := p.aead.Open(nil, ciphertext[:n], ciphertext[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("open secret: %w", err)
	}
	return pt, nil
}
