"""Units and addresses the tests write amounts and tokens in."""

#: The ledger's name for ether where a token address is expected.
ETH = "0x" + "00" * 20
DAY = 86_400
USD = 10**8  # the ledger's USD amounts carry 8 decimals
