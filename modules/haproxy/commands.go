package haproxy

// IRI API commands (IRI 1.8), for validating a profile's command lists with
// a "did you mean". The list is static on purpose: `harden validate` never
// touches the machine.
var knownCommands = []string{
	"addNeighbors", "removeNeighbors", "getNeighbors",
	"attachToTangle", "interruptAttachingToTangle",
	"broadcastTransactions", "storeTransactions",
	"checkConsistency", "findTransactions", "getBalances", "getInclusionStates",
	"getNodeInfo", "getNodeAPIConfiguration", "getTips", "getTransactionsToApprove",
	"getTrytes", "wereAddressesSpentFrom", "getMissingTransactions",
}

// readOnlyCommands are what a public node answers by default: they read the
// ledger and change nothing on the node or the Tangle. Wallets that send
// also need broadcastTransactions and storeTransactions, which a profile adds.
var readOnlyCommands = []string{
	"getNodeInfo", "getNodeAPIConfiguration", "getTips", "findTransactions", "getTrytes",
	"getInclusionStates", "getBalances", "getTransactionsToApprove", "wereAddressesSpentFrom",
	"checkConsistency",
}

// defaultRemoteLimitAPI is IRI's REMOTE_LIMIT_API as the community set it,
// used when the profile has no iri block to take the list from.
var defaultRemoteLimitAPI = []string{
	"addNeighbors", "removeNeighbors", "getNeighbors", "attachToTangle", "interruptAttachingToTangle",
}

// powCommand is proof of work: it gets its own backend, globally bounded.
const powCommand = "attachToTangle"

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
