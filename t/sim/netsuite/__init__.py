"""NetSuite SuiteTalk REST simulator (see docs/sim-netsuite.md)."""
