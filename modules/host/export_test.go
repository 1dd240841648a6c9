package host

// Resolvers names the ways paths are resolved in the root: the kernel's
// openat2 (where it has it) and the walk.
var Resolvers = []string{"openat2", "walk"}

// UseResolver switches reads to a resolver for a test and returns the undo.
func UseResolver(name string) func() {
	old := walkOnly
	walkOnly = name == "walk"
	return func() { walkOnly = old }
}
