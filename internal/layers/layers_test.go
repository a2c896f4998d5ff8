package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// pkg is what the layering test needs of one `go list -json` record.
type pkg struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	Imports    []string
	Deps       []string
}

var (
	listOnce sync.Once
	listed   []pkg
	listErr  error
)

// goList lists every package of the module with its direct imports and all its dependencies (non-test
// files: a test may import the tools room). It runs once per test binary.
func goList(t *testing.T) []pkg {
	t.Helper()
	listOnce.Do(func() {
		cmd := exec.Command("go", "list", "-json=ImportPath,Dir,Standard,GoFiles,Imports,Deps", "./...")
		cmd.Dir = filepath.Join("..", "..")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			listErr = errors.New("go list: " + err.Error() + ": " + stderr.String())
			return
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p pkg
			if err := dec.Decode(&p); err == io.EOF {
				break
			} else if err != nil {
				listErr = err
				return
			}
			listed = append(listed, p)
		}
	})
	if listErr != nil {
		t.Fatal(listErr)
	}
	if len(listed) < 10 {
		t.Fatalf("go list found %d packages; run from the module", len(listed))
	}
	return listed
}

func rel(path string) (string, bool) {
	if path == Module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, Module+"/")
	return r, ok
}

func roomOf(relPath string) (Room, bool) {
	for _, r := range Rooms {
		if slices.Contains(r.Packages, relPath) {
			return r, true
		}
	}
	return Room{}, false
}

func hasPrefixPath(imp, prefix string) bool {
	return imp == prefix || strings.HasPrefix(imp, prefix+"/") || (strings.HasSuffix(prefix, "/") && strings.HasPrefix(imp, prefix))
}

// violations returns every import of the module's packages the map forbids, as "from → import: reason".
func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		room, ok := roomOf(from)
		if !ok {
			out = append(out, from+": not on the map (add it to a room in layers.go and to docs/architecture.md)")
			continue
		}
		for _, imp := range p.Imports {
			name := imp
			if to, mine := rel(imp); mine {
				name = to
				target, ok := roomOf(to)
				if ok && target.Name != room.Name && target.Name != "assets" && !slices.Contains(room.MayImport, target.Name) {
					out = append(out, from+" → "+to+": "+room.Name+" may not import "+target.Name)
				}
			}
			for _, tech := range Techs {
				if hasPrefixPath(imp, tech.Prefix) && !slices.Contains(tech.Rooms, room.Name) && !slices.Contains(tech.Also, from) {
					out = append(out, from+" → "+name+": only "+strings.Join(tech.Rooms, ", ")+" may ("+tech.Why+")")
				}
			}
		}
		if room.StdlibOnly {
			for _, d := range p.Deps {
				if dr, mine := rel(d); mine {
					if r, _ := roomOf(dr); r.Name != room.Name {
						out = append(out, from+" → "+dr+": the "+room.Name+" room depends on the standard library only")
					}
				} else if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
					out = append(out, from+" → "+d+": the "+room.Name+" room depends on the standard library only")
				} else if slices.Contains(room.NoStd, d) {
					out = append(out, from+" → "+d+": the "+room.Name+" room has no "+d)
				}
			}
		}
	}
	return out
}

// excepted reports whether v is written down in Exceptions.
func excepted(v string) (int, bool) {
	for i, e := range Exceptions {
		head := e.From + " → "
		if !strings.HasPrefix(v, head) {
			continue
		}
		imp, _, _ := strings.Cut(strings.TrimPrefix(v, head), ":")
		if hasPrefixPath(imp, e.Import) || hasPrefixPath(Module+"/"+imp, Module+"/"+e.Import) {
			return i, true
		}
	}
	return -1, false
}

func TestLayers_ImportsFollowTheMap(t *testing.T) {
	used := make([]bool, len(Exceptions))
	for _, v := range violations(goList(t)) {
		if i, ok := excepted(v); ok {
			used[i] = true
			continue
		}
		t.Error(v)
	}
	for i, e := range Exceptions {
		if !used[i] {
			t.Errorf("exception %s → %s is no longer needed: remove it from layers.Exceptions (and docs/architecture.md)", e.From, e.Import)
		}
	}
}

// TestLayers_MapCatchesForbiddenImports feeds the checker imports the map forbids, so a checker that
// lets everything through fails here.
func TestLayers_MapCatchesForbiddenImports(t *testing.T) {
	m := func(s string) string { return Module + "/" + s }
	cases := []struct {
		name string
		p    pkg
		want string
	}{
		{"domain imports net/http through a dependency", pkg{ImportPath: m("internal/incident"), Deps: []string{"net/http", m("internal/chain")}}, ""},
		{"domain imports a SQL driver", pkg{ImportPath: m("internal/appi"), Imports: []string{"github.com/jackc/pgx/v5"}, Deps: []string{"github.com/jackc/pgx/v5"}}, "internal/appi → github.com/jackc/pgx/v5"},
		{"domain imports the store", pkg{ImportPath: m("internal/chain"), Imports: []string{m("internal/store")}, Deps: []string{m("internal/store")}}, "internal/chain → internal/store"},
		{"store imports web", pkg{ImportPath: m("internal/store"), Imports: []string{m("internal/web")}}, "internal/store → internal/web"},
		{"lib imports the store", pkg{ImportPath: m("internal/audit"), Imports: []string{m("internal/store")}}, "internal/audit → internal/store"},
		{"web imports pgx", pkg{ImportPath: m("internal/web"), Imports: []string{"github.com/jackc/pgx/v5/pgxpool"}}, "internal/web → github.com/jackc/pgx/v5/pgxpool"},
		{"casework imports templ", pkg{ImportPath: m("internal/casework"), Imports: []string{"github.com/a-h/templ"}}, "internal/casework → github.com/a-h/templ"},
		{"a library reads the configuration", pkg{ImportPath: m("internal/pii"), Imports: []string{m("internal/config")}}, "internal/pii → internal/config"},
		{"a package off the map", pkg{ImportPath: m("internal/newthing")}, "internal/newthing: not on the map"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := violations([]pkg{c.p})
			if len(got) == 0 {
				t.Fatalf("no violation found")
			}
			if c.want != "" && !strings.HasPrefix(got[0], c.want) {
				t.Fatalf("got %q, want it to start with %q", got, c.want)
			}
		})
	}
	if v := violations([]pkg{{ImportPath: m("internal/web"), Imports: []string{m("internal/casework"), m("internal/store"), "github.com/a-h/templ"}}}); len(v) != 0 {
		t.Fatalf("allowed imports reported: %q", v)
	}
}

func TestLayers_EveryRoomHasPackagesThatExist(t *testing.T) {
	have := map[string]bool{}
	for _, p := range goList(t) {
		if r, ok := rel(p.ImportPath); ok {
			have[r] = true
		}
	}
	seen := map[string]string{}
	for _, r := range Rooms {
		for _, p := range r.Packages {
			if !have[p] {
				t.Errorf("room %s lists %s, which go list does not find", r.Name, p)
			}
			if other, dup := seen[p]; dup {
				t.Errorf("%s is in rooms %s and %s", p, other, r.Name)
			}
			seen[p] = r.Name
		}
	}
}

// sqlText matches a string literal that is SQL: a statement keyword and the word that must follow it.
var sqlText = regexp.MustCompile(`(?is)^\s*(SELECT\b.+\bFROM\b|SELECT\s+\S+\(|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|WITH\s+\w+\s+AS\b|LOCK\s+TABLE\b)`)

func sqlFiles(t *testing.T, p pkg) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || found {
				return !found
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && sqlText.MatchString(s) {
				found = true
			}
			return false
		})
		if found {
			out = append(out, name)
		}
	}
	return out
}

func TestLayers_SQLLivesInTheStore(t *testing.T) {
	used := make([]bool, len(SQLFiles))
	storeHasSQL := false
	for _, p := range goList(t) {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		room, _ := roomOf(from)
		for _, f := range sqlFiles(t, p) {
			path := from + "/" + f
			switch {
			case room.Name == "store":
				storeHasSQL = true
			case room.Name == "tools":
			default:
				i := slices.IndexFunc(SQLFiles, func(e Exception) bool { return e.From == path })
				if i < 0 {
					t.Errorf("%s holds SQL: queries belong in internal/store", path)
					continue
				}
				used[i] = true
			}
		}
	}
	if !storeHasSQL {
		t.Fatal("found no SQL in internal/store: the SQL finder is broken")
	}
	for i, e := range SQLFiles {
		if !used[i] {
			t.Errorf("%s holds no SQL any more: remove it from layers.SQLFiles", e.From)
		}
	}
}

func TestLayers_NoFileOverTheLimit(t *testing.T) {
	root := filepath.Join("..", "..")
	used := make([]bool, len(LongFiles))
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "bin" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_templ.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		n := bytes.Count(b, []byte("\n"))
		rel := filepath.ToSlash(strings.TrimPrefix(path, root+string(filepath.Separator)))
		i := slices.IndexFunc(LongFiles, func(e Exception) bool { return e.From == rel })
		switch {
		case n > MaxFileLines && i < 0:
			t.Errorf("%s has %d lines (over %d): split it by what it holds", rel, n, MaxFileLines)
		case i >= 0:
			used[i] = n > MaxFileLines
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("read only %d Go files: the walk is broken", checked)
	}
	for i, e := range LongFiles {
		if !used[i] {
			t.Errorf("%s is not over %d lines any more (or is gone): remove it from layers.LongFiles", e.From, MaxFileLines)
		}
	}
}
