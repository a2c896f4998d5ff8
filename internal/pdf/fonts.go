package pdf

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
)

// fontDirs are where Debian (and a local install) keep fonts; a test points it elsewhere.
var fontDirs = []string{"/usr/share/fonts", "/usr/local/share/fonts"}

// japaneseFont reports whether a Japanese font the documents name is installed (IPAex, IPA or Noto
// CJK). Without one Chromium still prints — every kanji as a box — so New refuses instead, and the
// pages offer the HTML version.
func japaneseFont() bool {
	found := false
	for _, dir := range fontDirs {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			n := strings.ToLower(d.Name())
			if strings.HasPrefix(n, "ipaex") || n == "ipag.ttf" || n == "ipam.ttf" || strings.HasPrefix(n, "notosanscjk") || strings.HasPrefix(n, "notoserifcjk") {
				found = true
				return filepath.SkipAll
			}
			return nil
		})
		if found {
			return true
		}
	}
	return false
}

// ErrNoJapaneseFont is New's error when no Japanese font is installed.
var ErrNoJapaneseFont = errors.New("pdf: no Japanese font: install the Debian packages fonts-ipaexfont-gothic and fonts-ipaexfont-mincho")
