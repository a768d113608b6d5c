package version

import (
	"runtime/debug"
	"testing"
)

func TestLinkerValuesWinOverBuildInfo(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.9.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "ffffffffffffffffffff"}}}, true
	}
	got := resolve("1.2.3", "abc1234", "2026-11-29T00:00:00Z", read)
	want := "mailcheck 1.2.3 (commit abc1234, built 2026-11-29T00:00:00Z, go1.26.8)"
	if got.String() != want {
		t.Fatalf("got %q, want %q", got.String(), want)
	}
}

func TestGoInstallFallsBackToBuildInfo(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.9.0"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123456789abcdef0123"},
				{Key: "vcs.time", Value: "2026-11-01T10:00:00Z"},
			}}, true
	}
	got := resolve("", "", "", read)
	if got.Version != "v0.9.0" || got.Commit != "0123456789ab" || got.Date != "2026-11-01T10:00:00Z" {
		t.Fatalf("fallback gave %+v", got)
	}
}

func TestDevBuildWithoutInformationSaysSo(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true
	}
	got := resolve("", "", "", read)
	if got.Version != "dev" || got.Commit != "unknown" || got.Date != "unknown" {
		t.Fatalf("dev build gave %+v", got)
	}
}
