package iota

import "strings"

// Methods are iota-node's JSON-RPC methods (crates/iota-json-rpc-api, the
// namespaces iota, iotax and unsafe; 2024 and 2025 releases), for checking
// a profile's method lists with a "did you mean". The list is static on
// purpose: `harden validate` never touches the machine.
var Methods = []string{
	// Read API
	"iota_getChainIdentifier", "iota_getCheckpoint", "iota_getCheckpoints", "iota_getEvents",
	"iota_getLatestCheckpointSequenceNumber", "iota_getLoadedChildObjects", "iota_getObject",
	"iota_getProtocolConfig", "iota_getTotalTransactionBlocks", "iota_getTransactionBlock",
	"iota_multiGetObjects", "iota_multiGetTransactionBlocks", "iota_tryGetObjectBeforeVersion",
	"iota_tryGetPastObject", "iota_tryMultiGetPastObjects",
	// Move utils
	"iota_getMoveFunctionArgTypes", "iota_getNormalizedMoveFunction", "iota_getNormalizedMoveModule",
	"iota_getNormalizedMoveModulesByPackage", "iota_getNormalizedMoveStruct",
	// Write API
	"iota_devInspectTransactionBlock", "iota_dryRunTransactionBlock", "iota_executeTransactionBlock",
	// Coin, governance, extended, indexer, bridge (iotax)
	"iotax_getAllBalances", "iotax_getAllCoins", "iotax_getBalance", "iotax_getCoinMetadata", "iotax_getCoins",
	"iotax_getTotalSupply",
	"iotax_getCommitteeInfo", "iotax_getLatestIotaSystemState", "iotax_getReferenceGasPrice", "iotax_getStakes",
	"iotax_getStakesByIds", "iotax_getTimelockedStakes", "iotax_getTimelockedStakesByIds", "iotax_getValidatorsApy",
	"iotax_getAllEpochAddressMetrics", "iotax_getCheckpointAddressMetrics", "iotax_getCurrentEpoch", "iotax_getEpochMetrics",
	"iotax_getEpochs", "iotax_getLatestAddressMetrics", "iotax_getMoveCallMetrics", "iotax_getNetworkMetrics",
	"iotax_getTotalTransactions",
	"iotax_getDynamicFieldObject", "iotax_getDynamicFieldObjectV2", "iotax_getDynamicFields", "iotax_getOwnedObjects",
	"iotax_iotaNamesFindAllRegistrationNFTs", "iotax_iotaNamesLookup", "iotax_iotaNamesReverseLookup",
	"iotax_queryEvents", "iotax_queryTransactionBlocks", "iotax_subscribeEvent", "iotax_subscribeTransaction",
	"iotax_getBridgeObjectInitialSharedVersion", "iotax_getLatestBridge",
	// Transaction builder: builds unsigned transactions for a caller
	"unsafe_batchTransaction", "unsafe_mergeCoins", "unsafe_moveCall", "unsafe_pay", "unsafe_payAllIota",
	"unsafe_payIota", "unsafe_publish", "unsafe_requestAddStake", "unsafe_requestAddTimelockedStake",
	"unsafe_requestWithdrawStake", "unsafe_requestWithdrawTimelockedStake", "unsafe_splitCoin",
	"unsafe_splitCoinEqual", "unsafe_transferIota", "unsafe_transferObject",
	// The OpenRPC document
	"rpc.discover",
}

// Heavy are the methods that execute Move code for the caller without
// charging gas: a public gateway bounds them on their own.
var Heavy = []string{"iota_devInspectTransactionBlock", "iota_dryRunTransactionBlock"}

// Unsafe reports a transaction-builder method.
func Unsafe(method string) bool { return strings.HasPrefix(method, "unsafe_") }

// Subscription reports a method that only works over WebSocket.
func Subscription(method string) bool { return strings.HasPrefix(method, "iotax_subscribe") }
