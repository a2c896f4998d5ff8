package main

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Docker cannot run on the development machines, so the files are checked by reading them: the
// build context leaves out the development secrets, the image's health check asks /readyz through
// a command that exists, and compose refuses to start without a data key.
func TestDocker_FilesAreSafe(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("../../" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ignore := strings.Fields(read(".dockerignore"))
	for _, must := range []string{".data/", "bin/", ".git/"} {
		if !contains(ignore, must) {
			t.Errorf(".dockerignore lacks %s", must)
		}
	}
	var hc string
	for _, line := range strings.Split(read("Dockerfile"), "\n") {
		if strings.HasPrefix(line, "HEALTHCHECK") {
			hc = line
		}
	}
	if !strings.Contains(hc, `"/usr/local/bin/leakdesk", "healthcheck"]`) {
		t.Errorf("Dockerfile HEALTHCHECK %q does not run leakdesk healthcheck", hc)
	}
	if _, _, code := runCLI("healthcheck", "--help"); code != 0 {
		t.Error("the HEALTHCHECK's command does not exist")
	}

	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Profiles    []string          `yaml:"profiles"`
			Environment map[string]string `yaml:"environment"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(read("docker-compose.yml")), &compose); err != nil {
		t.Fatal(err)
	}
	app := compose.Services["app"]
	if key := app.Environment["LEAKDESK_DATA_KEY"]; !strings.HasPrefix(key, "${LEAKDESK_DATA_KEY:?") {
		t.Errorf("app starts without a data key: LEAKDESK_DATA_KEY: %q", key)
	}
	if strings.Join(app.Healthcheck.Test, " ") != "CMD /usr/local/bin/leakdesk healthcheck" {
		t.Errorf("app health check %v", app.Healthcheck.Test)
	}
	mp, ok := compose.Services["mailpit"]
	if !ok || !contains(mp.Profiles, "dev") || !strings.Contains(mp.Image, "mailpit") {
		t.Errorf("no mailpit in the dev profile: %+v", mp)
	}
	for name, s := range compose.Services {
		if name != "mailpit" && contains(s.Profiles, "dev") {
			t.Errorf("%s is dev-only", name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
