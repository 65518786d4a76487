"""Running the affiliate program: commission plans, the commission engine and its ledger.

`plans`, `facts`, `commissions`, `tranches` and `ledger` are pure (no database, no clock);
`books` persists their output in the app store.
"""
