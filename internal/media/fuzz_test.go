package media

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/quanzi/quanzi/internal/errs"
)

// seedImages are small valid files of every accepted format.
func seedImages(t testing.TB) [][]byte {
	webp, err := os.ReadFile(filepath.Join("testdata", "alpha.webp"))
	if err != nil {
		t.Fatal(err)
	}
	lossy, err := os.ReadFile(filepath.Join("testdata", "lossy.webp"))
	if err != nil {
		t.Fatal(err)
	}
	src := testPicture(48, 32, 3)
	return [][]byte{
		jpegOf(t, src, 80), withOrientation(jpegOf(t, src, 80), 6), pngOf(t, src),
		gifWith(4, 4, 3, []byte("c")), webp, lossy,
	}
}

// checkOutcome fails unless Process either made three variants or refused
// with a coded client error.
func checkOutcome(t *testing.T, res *Result, err error) {
	t.Helper()
	if err != nil {
		switch c := errs.CodeOf(err); c {
		case CodeCorruptImage, CodeImageTooLarge, CodeTooManyFrames, errs.UnsupportedType, CodeEmptyFile, errs.TooLarge:
		default:
			t.Fatalf("refused with %s: %v", c, err)
		}
		return
	}
	if len(res.Variants) != 3 {
		t.Fatalf("%d variants", len(res.Variants))
	}
}

// TestImageDamagedFilesAreClientErrors flips, cuts and splices bytes of
// valid files: every outcome is a picture or a 4xx refusal, never a panic
// or an internal error.
func TestImageDamagedFilesAreClientErrors(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	p := NewProcessor(0)
	for _, seed := range seedImages(t) {
		for range 150 {
			d := append([]byte{}, seed...)
			switch r.IntN(3) {
			case 0: // flip a few bytes past the signature
				for range 1 + r.IntN(4) {
					d[4+r.IntN(len(d)-4)] ^= byte(1 + r.IntN(255))
				}
			case 1: // cut
				d = d[:4+r.IntN(len(d)-4)]
			case 2: // repeat a stretch
				i := 4 + r.IntN(len(d)-4)
				j := i + r.IntN(len(d)-i)
				d = append(d[:j:j], d[i:]...)
			}
			res, err := p.Process(t.Context(), d, "")
			checkOutcome(t, res, err)
		}
	}
}

func FuzzProcess(f *testing.F) {
	for _, s := range seedImages(f) {
		f.Add(s)
	}
	p := NewProcessor(0)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := p.Process(t.Context(), data, "")
		checkOutcome(t, res, err)
	})
}
