package cli

import (
	"fmt"
	"os"

	"harden/agent/cloudinit"
	"harden/agent/plan"
)

// runCloudInit prints a #cloud-config that installs harden and applies a
// profile on first boot, with no one logged in.
func runCloudInit(io IO, args []string) int {
	var o options
	var debURL, debSHA, aptRepo, aptKeyFile string
	fs := newFlagSet(io, "cloud-init", "[flags]",
		"Print a #cloud-config (user-data) that on first boot writes the profile to /etc/harden/profile.hcl\n"+
			"(-var values become its defaults), installs harden and runs `harden apply -auto-approve -json\n"+
			"-no-confirm` (nobody is logged in to confirm). Log: /var/log/harden-cloud-init.log; plan and\n"+
			"result: /var/lib/harden/cloud-init/.")
	o.register(fs, false)
	fs.StringVar(&debURL, "deb-url", "", "install harden from the .deb at `URL` (http or https; needs -deb-sha256)")
	fs.StringVar(&debSHA, "deb-sha256", "", "the .deb's SHA-256 `HEX`, checked before it is installed (required with -deb-url)")
	fs.StringVar(&aptRepo, "apt-repo", "", "install harden from the signed apt source `LINE` (deb [signed-by=$KEY_FILE] URL SUITE COMPONENT)")
	fs.StringVar(&aptKeyFile, "apt-key", "", "ASCII-armored signing key `FILE` for -apt-repo's $KEY_FILE")
	if code, ok := parseFlags(fs, io, args); !ok {
		return code
	}
	if len(o.varFiles) > 0 {
		return fail(io, fmt.Errorf("cloud-init: use -var (the values are written into the profile)"))
	}
	s, ok := o.load(io) // validates the profile with the -var values
	if !ok {
		return ExitError
	}
	var key []byte
	if aptKeyFile != "" {
		var err error
		if key, err = os.ReadFile(aptKeyFile); err != nil {
			return fail(io, err)
		}
	}
	doc, err := cloudinit.Render(cloudinit.Options{Profile: s.source.Bytes, ProfileName: s.source.Name,
		Vars: o.vars, DebURL: debURL, DebSHA256: debSHA, AptRepo: aptRepo, AptKey: string(key), Version: version()})
	if err != nil {
		return fail(io, err)
	}
	if o.json {
		emitJSON(io, cloudInitResult{FormatVersion: plan.FormatVersion, Profile: s.source.Name, UserData: string(doc)})
		return ExitOK
	}
	_, _ = io.Out.Write(doc)
	return ExitOK
}

// cloudInitResult is cloud-init's JSON document: the user-data as a string.
type cloudInitResult struct {
	FormatVersion string `json:"format_version"`
	Profile       string `json:"profile"`
	UserData      string `json:"user_data"`
}
