package user

import "harden/modules/module"

// Reference documents the user block.
func (m *Module) Reference() module.Reference {
	a := module.Attr
	return module.Reference{
		Summary: "The unprivileged system account the node runs as (the label is its name): the user and its group, " +
			"its home and data directory, and optionally a drop-in that runs the node's unit as that user in a sandbox " +
			"(PrivateTmp, PrivateDevices, ProtectSystem=full, ProtectHome, NoNewPrivileges). The password is always " +
			"locked. Null leaves a setting of an existing account alone.",
		Attributes: []module.AttributeDoc{
			a("group", "string", "the user's name", "Primary group, created if missing"),
			a("uid", "number", "useradd's choice", "User id (1 to 65533)"),
			a("gid", "number", "groupadd's choice", "Group id (1 to 65533)"),
			a("home", "string", `"/var/lib/NAME"`, "Home directory"),
			a("shell", "string", `"/usr/sbin/nologin"`, "Login shell"),
			a("data_dir", "string", "home", "Directory the user owns, with mode data_mode; null leaves it alone"),
			a("data_mode", "string", `"0750"`, "Mode of data_dir, in octal"),
			a("private_dirs", "list(string)", "[]", "Directories the user owns with mode 0700 (key pairs)"),
			a("unit", "string", "none", "The node's systemd unit"),
			a("run_unit_as_user", "bool", "false", "Drop-in for unit: User=, Group= and the sandbox"),
			a("restart", "bool", "false", "Restart the unit after its drop-in changed, so the node runs as the user at once"),
		},
	}
}
