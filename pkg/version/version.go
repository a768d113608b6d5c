// Package version reports what build of mailcheck is running. Release builds
// set Version, Commit and Date through -ldflags -X; a plain `go install`
// falls back to the module and VCS information Go embeds in the binary.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker in release builds:
//
//	-X github.com/mailcheck/mailcheck/pkg/version.Version=1.2.3
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is the resolved build information.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
}

// Get resolves Info from the linker variables, then from the embedded build
// information, then "dev"/"unknown".
func Get() Info {
	return resolve(Version, Commit, Date, readBuildInfo)
}

func readBuildInfo() (*debug.BuildInfo, bool) { return debug.ReadBuildInfo() }

func resolve(v, c, d string, read func() (*debug.BuildInfo, bool)) Info {
	info := Info{Version: v, Commit: c, Date: d, GoVersion: runtime.Version()}
	if bi, ok := read(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			}
		}
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if len(info.Commit) > 12 {
		info.Commit = info.Commit[:12]
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}

// String is the one-line form `mailcheck version` prints:
// "mailcheck VERSION (commit COMMIT, built DATE, GOVERSION)".
func (i Info) String() string {
	return fmt.Sprintf("mailcheck %s (commit %s, built %s, %s)", i.Version, i.Commit, i.Date, i.GoVersion)
}
