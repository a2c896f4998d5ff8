package pdf

// SetFontDirs points the font check elsewhere for a test and returns the undo.
func SetFontDirs(dirs []string) func() {
	old := fontDirs
	fontDirs = dirs
	return func() { fontDirs = old }
}
